-- 0043: the partner portal's foundation (issue #16; docs/portal.md). A partner is a new actor of the
-- trust boundary: a person (one `clients` row) with a portal account, signed in with a session of their
-- own, reaching one chart at a time.
--
-- The context a partner's request opens is a request_contexts row with practice_id NULL, no staff
-- member, an empty caseload, no break-glass reach and no calendar, so every staff reader
-- (haven_current_practice() and friends) answers NULL or empty and every staff policy is false. The
-- partner's practice, client, account and chosen chart live in columns of their own that only the
-- partner readers (haven_partner_practice(), haven_partner_client(), haven_partner_chart()) return.
-- The partner policies use those readers only.
--
-- haven_app has no privilege on the four portal tables: narrow SECURITY DEFINER functions invite,
-- spend an invitation, sign in, choose a chart, open the context, sign out and revoke, each audited.
-- The audit log gains partner_client_id (the actor when a partner acts), covered by a third version of
-- the chain's canonical encoding; entries without it keep v1/v2 and verify as before.

-- ---------------------------------------------------------------------------------------------------
-- The context store: a partner context beside the staff one.

ALTER TABLE request_contexts
    ALTER COLUMN practice_id DROP NOT NULL,
    ADD COLUMN partner_practice_id uuid,
    ADD COLUMN partner_client_id uuid,
    ADD COLUMN partner_account_id uuid,
    -- The chart chosen: 'couple:<id>' or 'client:<id>' (the key subject form), or NULL before a choice.
    ADD COLUMN partner_chart text,
    ADD COLUMN partner_token_hash bytea,
    -- Exactly one actor kind: a staff/operator context has a practice_id and no partner; a partner
    -- context has no practice_id, no staff member and no staff reach at all.
    ADD CONSTRAINT request_contexts_one_actor CHECK (
        CASE WHEN partner_client_id IS NULL
             THEN practice_id IS NOT NULL AND partner_practice_id IS NULL AND partner_account_id IS NULL
                  AND partner_chart IS NULL AND partner_token_hash IS NULL
             ELSE practice_id IS NULL AND staff_id IS NULL AND staff_roles = '{}' AND caseload = '{}'
                  AND NOT break_glass AND break_glass_subjects = '{}' AND NOT calendar AND token_hash IS NULL
                  AND partner_practice_id IS NOT NULL AND partner_account_id IS NOT NULL
                  AND partner_token_hash IS NOT NULL
        END
    );

-- A staff or operator context clears every partner column (the row is per backend and reused).
CREATE OR REPLACE FUNCTION haven_write_context(practice uuid, staff uuid, roles text[], caseload uuid[],
                                               break_glass boolean, subjects text[], token bytea,
                                               source text, request_id text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    INSERT INTO request_contexts AS c (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                       break_glass, break_glass_subjects, token_hash, source, request_id, calendar)
    VALUES (pg_backend_pid(), pg_current_xact_id(), practice, staff,
            ARRAY(SELECT r FROM unnest(roles) AS r ORDER BY r COLLATE "C"), caseload, break_glass, subjects,
            token, source, request_id, false)
    ON CONFLICT (backend_pid) DO UPDATE SET
        transaction_id = EXCLUDED.transaction_id, practice_id = EXCLUDED.practice_id,
        staff_id = EXCLUDED.staff_id, staff_roles = EXCLUDED.staff_roles, caseload = EXCLUDED.caseload,
        break_glass = EXCLUDED.break_glass, break_glass_subjects = EXCLUDED.break_glass_subjects,
        token_hash = EXCLUDED.token_hash, source = EXCLUDED.source, request_id = EXCLUDED.request_id,
        calendar = false, partner_practice_id = NULL, partner_client_id = NULL, partner_account_id = NULL,
        partner_chart = NULL, partner_token_hash = NULL;
END
$$;

-- Writes a partner context (internal).
CREATE FUNCTION haven_write_partner_context(practice uuid, client uuid, account uuid, chart text, token bytea,
                                            source text, request_id text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO request_contexts AS c (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                       break_glass, break_glass_subjects, token_hash, source, request_id, calendar,
                                       partner_practice_id, partner_client_id, partner_account_id, partner_chart,
                                       partner_token_hash)
    VALUES (pg_backend_pid(), pg_current_xact_id(), NULL, NULL, '{}', '{}', false, '{}', NULL, source, request_id,
            false, practice, client, account, chart, token)
    ON CONFLICT (backend_pid) DO UPDATE SET
        transaction_id = EXCLUDED.transaction_id, practice_id = NULL, staff_id = NULL, staff_roles = '{}',
        caseload = '{}', break_glass = false, break_glass_subjects = '{}', token_hash = NULL,
        source = EXCLUDED.source, request_id = EXCLUDED.request_id, calendar = false,
        partner_practice_id = EXCLUDED.partner_practice_id, partner_client_id = EXCLUDED.partner_client_id,
        partner_account_id = EXCLUDED.partner_account_id, partner_chart = EXCLUDED.partner_chart,
        partner_token_hash = EXCLUDED.partner_token_hash;
END
$$;
REVOKE ALL ON FUNCTION haven_write_partner_context(uuid, uuid, uuid, text, bytea, text, text) FROM PUBLIC;

-- The partner readers (InitPlan forms for policies, as the staff ones).
CREATE FUNCTION haven_partner_practice() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN (SELECT partner_practice_id FROM request_contexts
            WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned());
END
$$;

CREATE FUNCTION haven_partner_client() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN (SELECT partner_client_id FROM request_contexts
            WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned());
END
$$;

CREATE FUNCTION haven_partner_chart() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN (SELECT partner_chart FROM request_contexts
            WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned());
END
$$;

-- The context's partner (raises 42501 without a partner context; internal).
CREATE FUNCTION haven_context_partner() RETURNS request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND OR ctx.partner_client_id IS NULL THEN
        RAISE EXCEPTION 'this needs a partner''s session context' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN ctx;
END
$$;
REVOKE ALL ON FUNCTION haven_context_partner() FROM PUBLIC;

-- Staff sign-out needs a staff member's session (a partner context has none to end here).
CREATE OR REPLACE FUNCTION haven_sign_out() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    UPDATE staff_sessions SET revoked_at = now() WHERE token_hash = ctx.token_hash AND revoked_at IS NULL;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.logout', 'staff', ctx.staff_id, '{}', 'success', NULL);
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- The audit log: a partner as the actor, in a third version of the canonical encoding.

ALTER TABLE audit_log
    ADD COLUMN partner_client_id uuid,
    ADD CONSTRAINT audit_log_one_actor CHECK (partner_client_id IS NULL OR (staff_id IS NULL AND staff_roles = '{}'
                                                                            AND NOT break_glass));

-- v1 and v2 as before; an entry with a partner actor is labelled v3 and ends with lp(digest or nothing)
-- and lp(partner client id) (docs/security.md).
CREATE FUNCTION haven_audit_canonical(
    practice uuid, occurred timestamptz, staff uuid, roles text[], break_glass boolean, action text,
    entity_type text, entity uuid, clients uuid[], outcome text, source text, request_id text, digest bytea,
    partner uuid
) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
    IF partner IS NULL THEN
        RETURN haven_audit_canonical(practice, occurred, staff, roles, break_glass, action, entity_type, entity,
                                     clients, outcome, source, request_id, digest);
    END IF;
    RETURN convert_to('haven-audit-v3', 'UTF8')
        || haven_audit_field(uuid_send(practice))
        || haven_audit_field(timestamptz_send(occurred))
        || haven_audit_field(coalesce(uuid_send(staff), ''::bytea))
        || haven_audit_field(convert_to(array_to_string(roles, ','), 'UTF8'))
        || haven_audit_field(CASE WHEN break_glass THEN '\x01'::bytea ELSE '\x00'::bytea END)
        || haven_audit_field(convert_to(action, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(entity_type, ''), 'UTF8'))
        || haven_audit_field(coalesce(uuid_send(entity), ''::bytea))
        || haven_audit_field(coalesce(
               (SELECT string_agg(uuid_send(c), ''::bytea ORDER BY o) FROM unnest(clients) WITH ORDINALITY AS u (c, o)),
               ''::bytea))
        || haven_audit_field(convert_to(outcome, 'UTF8'))
        || haven_audit_field(convert_to(source, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(request_id, ''), 'UTF8'))
        || haven_audit_field(coalesce(digest, ''::bytea))
        || haven_audit_field(uuid_send(partner));
END
$$;

-- Appends one entry for an explicit actor, staff or partner (internal).
CREATE FUNCTION haven_audit_write(
    practice uuid, staff uuid, roles text[], break_glass boolean, source text, request_id text,
    action text, entity_type text, entity uuid, clients uuid[], outcome text, digest bytea, partner uuid
) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    last record;
    next_seq bigint;
    previous bytea;
    occurred timestamptz := clock_timestamp();
    link bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(7, hashtext(practice::text));
    SELECT a.seq, a.hash INTO last FROM audit_log a WHERE a.practice_id = practice ORDER BY a.seq DESC LIMIT 1;
    next_seq := coalesce(last.seq, 0) + 1;
    previous := coalesce(last.hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    link := sha256(previous || int8send(next_seq) || haven_audit_canonical(
        practice, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome, source, request_id,
        digest, partner
    ));
    INSERT INTO audit_log (practice_id, seq, occurred_at, staff_id, staff_roles, break_glass, action, entity_type,
                           entity_id, client_ids, outcome, source, request_id, digest, previous_hash, hash,
                           partner_client_id)
    VALUES (practice, next_seq, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome,
            source, request_id, digest, previous, link, partner);
    RETURN QUERY SELECT next_seq, link;
END
$$;
REVOKE ALL ON FUNCTION haven_audit_write(uuid, uuid, text[], boolean, text, text, text, text, uuid, uuid[], text, bytea,
                                         uuid) FROM PUBLIC;

-- The staff form: every caller before this migration, unchanged.
CREATE OR REPLACE FUNCTION haven_audit_write(
    practice uuid, staff uuid, roles text[], break_glass boolean, source text, request_id text,
    action text, entity_type text, entity uuid, clients uuid[], outcome text, digest bytea
) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM haven_audit_write(practice, staff, roles, break_glass, source, request_id, action,
                                                 entity_type, entity, clients, outcome, digest, NULL::uuid);
END
$$;

-- Appends one entry as the context's actor: a staff member (as before) or a partner. A partner records
-- only the portal's own reads (the allow-list below; every other portal action is written by the
-- function that performs it), about the context's chart: the entity and clients are the chart's (the
-- partner's own id before a chart is chosen) whatever the caller passed, and the digest is NULL. So a
-- partner cannot forge a `note.sign` (NoteIntegrity) or a staff action, nor name other clients.
CREATE OR REPLACE FUNCTION haven_audit_append(
    action text, entity_type text, entity uuid, clients uuid[], outcome text, digest bytea
) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
    chart_kind text;
    chart uuid;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'an audit entry needs a context' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ctx.partner_client_id IS NOT NULL THEN
        IF action IS NULL OR action <> ALL (ARRAY['portal.home.read']) THEN
            RAISE EXCEPTION 'a partner records only the portal''s reads' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF ctx.partner_chart IS NOT NULL THEN
            chart_kind := split_part(ctx.partner_chart, ':', 1);
            chart := split_part(ctx.partner_chart, ':', 2)::uuid;
        END IF;
        RETURN QUERY SELECT * FROM haven_audit_write(
            ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id,
            action, chart_kind, chart,
            CASE WHEN chart IS NULL THEN ARRAY[ctx.partner_client_id]
                 ELSE haven_portal_chart_clients(ctx.partner_practice_id, chart_kind, chart) END,
            outcome, NULL, ctx.partner_client_id
        );
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM haven_audit_write(
        ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source, ctx.request_id,
        action, entity_type, entity, coalesce(clients, '{}'), outcome, digest
    );
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Staff sessions get the same bounds as partner sessions below (the policy's range; before, only
-- idle > 0 was checked).

ALTER TABLE staff_sessions
    ADD CONSTRAINT staff_sessions_idle_limit CHECK (idle_timeout_seconds <= 86400),
    ADD CONSTRAINT staff_sessions_lifetime CHECK (absolute_expires_at <= created_at + interval '168 hours');

-- ---------------------------------------------------------------------------------------------------
-- The portal tables. haven_app has no privilege on any of them.

CREATE TABLE partner_accounts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    practice_id uuid NOT NULL REFERENCES practices (id),
    client_id uuid NOT NULL,
    -- The sign-in address: given by the counselor's email invitation, or by the partner when spending a
    -- code (NULL until then). Stored trimmed and lower-case.
    email text CONSTRAINT partner_accounts_email_form CHECK (email = lower(btrim(email)) AND email ~ '^[^@\s]+@[^@\s]+$'
                                                            AND length(email) <= 254),
    -- '$scrypt$<settings>$<salt>$<hash>' as PasswordHasher writes it (base64 without padding, a salt of at
    -- least 12 bytes and a hash of at least 16); NULL until an invitation is spent.
    passphrase_hash text CONSTRAINT partner_accounts_passphrase_form CHECK (
        passphrase_hash ~ '^\$scrypt\$ln=[0-9]{1,2},r=[0-9]{1,3},p=[0-9]{1,3}\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{22,}$'
    ),
    -- The counselor whose invitation set the current passphrase (docs/security.md, the residual risk).
    passphrase_link_issuer uuid,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    UNIQUE (practice_id, id),
    UNIQUE (practice_id, client_id),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, created_by) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, passphrase_link_issuer) REFERENCES staff (practice_id, id)
);
CREATE UNIQUE INDEX partner_accounts_email ON partner_accounts (email);

-- Which charts an account reaches: a row per spent invitation's chart, until the counselor revokes it.
CREATE TABLE partner_chart_access (
    practice_id uuid NOT NULL,
    account_id uuid NOT NULL,
    chart_kind text NOT NULL CONSTRAINT partner_chart_access_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid NOT NULL,
    granted_by uuid NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    revoked_by uuid,
    revoked_at timestamptz,
    PRIMARY KEY (account_id, chart_kind, chart_id),
    FOREIGN KEY (practice_id, account_id) REFERENCES partner_accounts (practice_id, id),
    FOREIGN KEY (practice_id, granted_by) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, revoked_by) REFERENCES staff (practice_id, id)
);

CREATE TABLE partner_sessions (
    token_hash bytea PRIMARY KEY CONSTRAINT partner_sessions_token_length CHECK (length(token_hash) = 32),
    practice_id uuid NOT NULL,
    account_id uuid NOT NULL,
    chart_kind text CONSTRAINT partner_sessions_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid,
    -- The staff session policy's range (`haven serve --idle-minutes 1-1440 --lifetime-hours 1-168`), so
    -- a caller of haven_portal_sign_in cannot open a session for longer than the server could.
    idle_timeout_seconds integer NOT NULL
        CONSTRAINT partner_sessions_idle CHECK (idle_timeout_seconds BETWEEN 1 AND 86400),
    absolute_expires_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT partner_sessions_lifetime CHECK (absolute_expires_at <= created_at + interval '168 hours'),
    revoked_at timestamptz,
    -- For the code app (a later step): the passphrase was right, the code not yet given.
    second_factor_pending boolean NOT NULL DEFAULT false,
    CONSTRAINT partner_sessions_chart_whole CHECK ((chart_kind IS NULL) = (chart_id IS NULL)),
    FOREIGN KEY (practice_id, account_id) REFERENCES partner_accounts (practice_id, id)
);
CREATE INDEX partner_sessions_account ON partner_sessions (account_id);
CREATE INDEX partner_sessions_chart ON partner_sessions (chart_id) WHERE chart_id IS NOT NULL;

-- Invitations (a 256-bit link token, or a 12-character code read out in session) and, later, sign-in
-- links; only the SHA-256 of the token or code is kept. Only the newest open invitation of an account works.
CREATE TABLE partner_links (
    token_hash bytea PRIMARY KEY CONSTRAINT partner_links_token_length CHECK (length(token_hash) = 32),
    practice_id uuid NOT NULL,
    account_id uuid NOT NULL,
    kind text NOT NULL CONSTRAINT partner_links_kind CHECK (kind IN ('invitation-link', 'invitation-code', 'sign-in')),
    chart_kind text CONSTRAINT partner_links_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid,
    issued_by uuid,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    spent_at timestamptz,
    superseded_at timestamptz,
    CONSTRAINT partner_links_one_end CHECK (spent_at IS NULL OR superseded_at IS NULL),
    CONSTRAINT partner_links_invitation_whole CHECK (
        kind = 'sign-in' OR (chart_kind IS NOT NULL AND chart_id IS NOT NULL AND issued_by IS NOT NULL)
    ),
    FOREIGN KEY (practice_id, account_id) REFERENCES partner_accounts (practice_id, id),
    FOREIGN KEY (practice_id, issued_by) REFERENCES staff (practice_id, id)
);
CREATE UNIQUE INDEX partner_links_open_invitation ON partner_links (account_id)
    WHERE spent_at IS NULL AND superseded_at IS NULL AND kind <> 'sign-in';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['partner_accounts', 'partner_chart_access', 'partner_sessions', 'partner_links'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', t || '_owner', t);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    END LOOP;
END
$$;

-- Every check of an invitation's token or code, noted and committed before the check (review finding 2):
-- haven_portal_note_try() writes the row in its own transaction and hands back a random ticket;
-- haven_portal_invitation() and haven_portal_spend_invitation() take the ticket and check only the hash
-- it was noted with, and only when the row was committed by another transaction, so a ROLLBACK cannot
-- hide a try and one ticket is one guess. Code tries beyond haven_portal_code_try_budget() per
-- haven_portal_try_window() across the database are refused (the answer of a wrong code). The row keeps
-- the address and request id a day; the guessed hash is cleared once its window has passed.
CREATE TABLE partner_link_tries (
    ticket uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind text NOT NULL CONSTRAINT partner_link_tries_kind CHECK (kind IN ('code', 'link')),
    token_hash bytea CONSTRAINT partner_link_tries_token_length CHECK (length(token_hash) = 32),
    tried_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    noted_in xid8 NOT NULL DEFAULT pg_current_xact_id(),
    source text NOT NULL,
    request_id text
);
CREATE INDEX partner_link_tries_time ON partner_link_tries (tried_at);
CREATE INDEX partner_link_tries_code_time ON partner_link_tries (tried_at) WHERE kind = 'code';
ALTER TABLE partner_link_tries ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_link_tries FORCE ROW LEVEL SECURITY;
CREATE POLICY partner_link_tries_owner ON partner_link_tries TO CURRENT_USER USING (true) WITH CHECK (true);
REVOKE ALL ON partner_link_tries FROM PUBLIC;

-- The window code tries are counted in, and how long a ticket works.
CREATE FUNCTION haven_portal_try_window() RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT interval '10 minutes' $$;

-- How many code tries the whole database answers per window (docs/portal.md: the guessing time).
CREATE FUNCTION haven_portal_code_try_budget() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 100 $$;

-- Notes one try of `token_hash` (the SHA-256 of a 'code' or a 'link' token) from `source`, and returns
-- the ticket the check takes (NULL for a hash that cannot be one: nothing to check). Call it in its own
-- transaction and commit before the check. Clears old rows as it goes.
CREATE FUNCTION haven_portal_note_try(kind text, token_hash bytea, source text, request_id text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    noted uuid;
BEGIN
    IF kind IS NULL OR kind NOT IN ('code', 'link') OR token_hash IS NULL OR length(token_hash) <> 32 THEN
        RETURN NULL;
    END IF;
    DELETE FROM partner_link_tries t WHERE t.tried_at < now() - interval '1 day';
    UPDATE partner_link_tries t SET token_hash = NULL
    WHERE t.token_hash IS NOT NULL AND t.tried_at < now() - haven_portal_try_window();
    INSERT INTO partner_link_tries (kind, token_hash, source, request_id)
    VALUES (kind, token_hash, left(coalesce(source, 'unknown'), 200), left(request_id, 200))
    RETURNING ticket INTO noted;
    RETURN noted;
END
$$;

-- The invitation kind a ticket may check `token_hash` against ('invitation-code' or 'invitation-link'),
-- or NULL: no such ticket, another hash, noted in this transaction (not committed before the check),
-- older than the window, or a code try past the budget of its window (internal).
CREATE FUNCTION haven_portal_try_kind(ticket uuid, token_hash bytea) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    try partner_link_tries;
BEGIN
    SELECT t.* INTO try FROM partner_link_tries t WHERE t.ticket = haven_portal_try_kind.ticket;
    IF NOT FOUND OR try.token_hash IS NULL OR try.token_hash <> haven_portal_try_kind.token_hash
       OR try.noted_in = pg_current_xact_id_if_assigned() OR try.tried_at <= now() - haven_portal_try_window() THEN
        RETURN NULL;
    END IF;
    IF try.kind = 'link' THEN
        RETURN 'invitation-link';
    END IF;
    IF (SELECT count(*) FROM partner_link_tries t
        WHERE t.kind = 'code' AND t.tried_at > try.tried_at - haven_portal_try_window()
          AND t.tried_at <= try.tried_at) > haven_portal_code_try_budget() THEN
        RETURN NULL;
    END IF;
    RETURN 'invitation-code';
END
$$;
REVOKE ALL ON FUNCTION haven_portal_try_kind(uuid, bytea) FROM PUBLIC;

-- How long an invitation works (as the staff links).
CREATE FUNCTION haven_portal_invitation_life() RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT interval '72 hours' $$;
REVOKE ALL ON FUNCTION haven_portal_invitation_life() FROM PUBLIC;

-- Whether a chart ('couple:<id>' or 'client:<id>') of `practice` is active and `client` is one of its
-- people (internal).
CREATE FUNCTION haven_portal_chart_live(practice uuid, client uuid, kind text, chart uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF kind = 'couple' THEN
        RETURN EXISTS (SELECT 1 FROM couples c WHERE c.practice_id = practice AND c.id = chart AND c.status = 'active'
                       AND client IN (c.partner_a_id, c.partner_b_id));
    ELSIF kind = 'client' THEN
        RETURN chart = client AND EXISTS (SELECT 1 FROM clients c WHERE c.practice_id = practice AND c.id = chart
                                          AND c.status = 'active');
    END IF;
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_chart_live(uuid, uuid, text, uuid) FROM PUBLIC;

-- The chart's clients, for audit entries (internal).
CREATE FUNCTION haven_portal_chart_clients(practice uuid, kind text, chart uuid) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT CASE kind
            WHEN 'client' THEN ARRAY[chart]
            ELSE coalesce((SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c
                           WHERE c.practice_id = practice AND c.id = chart), '{}')
        END
    $$;
REVOKE ALL ON FUNCTION haven_portal_chart_clients(uuid, text, uuid) FROM PUBLIC;

-- Whether the chart ('couple' or 'client', id) is in the staff context's caseload (internal).
CREATE FUNCTION haven_portal_chart_in_caseload(kind text, chart uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN CASE kind WHEN 'couple' THEN haven_couple_in_caseload(chart)
                     WHEN 'client' THEN haven_client_in_caseload(chart) ELSE false END;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_chart_in_caseload(text, uuid) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- The counselor's side: invite a partner of a chart in their reach, revoke, and read the status.

-- Issues an invitation for `client` to chart (`kind`, `chart`): creates the person's account when it has
-- none (with `email` when given), supersedes the account's open invitation, and stores the token's (or
-- code's) SHA-256. Results: 'done' (with the account id), 'not-found' (no such chart in the actor's
-- caseload, or the client is not one of its people), 'inactive' (the chart is paused or discharged),
-- 'disabled' (the account is disabled), 'invalid' (kind, token or email), 'taken' (the email belongs to
-- another account). Audited portal.invite with the chart's clients.
CREATE FUNCTION haven_portal_invite(
    client uuid, kind text, chart uuid, email text, token_hash bytea, link_kind text
) RETURNS TABLE (result text, account_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    outcome text;
    account partner_accounts;
    address text := lower(btrim(email));
BEGIN
    IF kind IS NULL OR kind NOT IN ('couple', 'client') OR link_kind IS NULL
       OR link_kind NOT IN ('invitation-link', 'invitation-code') OR token_hash IS NULL OR length(token_hash) <> 32
       OR (link_kind = 'invitation-link' AND address IS NULL) THEN
        outcome := 'invalid';
    ELSIF NOT haven_portal_chart_in_caseload(kind, chart)
          OR NOT (kind = 'client' AND chart = client
                  OR kind = 'couple' AND EXISTS (SELECT 1 FROM couples c WHERE c.practice_id = ctx.practice_id
                                                 AND c.id = chart AND client IN (c.partner_a_id, c.partner_b_id))) THEN
        outcome := 'not-found';
    ELSIF NOT haven_portal_chart_live(ctx.practice_id, client, kind, chart) THEN
        outcome := 'inactive';
    END IF;
    IF outcome IS NULL THEN
        BEGIN
            INSERT INTO partner_accounts AS a (practice_id, client_id, email, created_by)
            VALUES (ctx.practice_id, client, address, ctx.staff_id)
            ON CONFLICT (practice_id, client_id) DO UPDATE
                -- An address may be corrected until the partner has set a passphrase.
                SET email = CASE WHEN a.passphrase_hash IS NULL AND EXCLUDED.email IS NOT NULL
                                 THEN EXCLUDED.email ELSE a.email END
            RETURNING * INTO account;
            IF account.disabled_at IS NOT NULL THEN
                outcome := 'disabled';
            ELSE
                UPDATE partner_links l SET superseded_at = now()
                WHERE l.account_id = account.id AND l.spent_at IS NULL AND l.superseded_at IS NULL
                  AND l.kind <> 'sign-in';
                INSERT INTO partner_links (token_hash, practice_id, account_id, kind, chart_kind, chart_id, issued_by,
                                           expires_at)
                VALUES (haven_portal_invite.token_hash, ctx.practice_id, account.id, link_kind, kind, chart,
                        ctx.staff_id, now() + haven_portal_invitation_life());
                outcome := 'done';
            END IF;
        EXCEPTION
            WHEN unique_violation THEN outcome := 'taken';
            WHEN check_violation THEN outcome := 'invalid';
        END;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'portal.invite', kind, chart,
                              CASE WHEN outcome = 'not-found' THEN '{}'
                                   ELSE haven_portal_chart_clients(ctx.practice_id, kind, chart) END,
                              CASE WHEN outcome = 'done' THEN 'success' ELSE 'denied' END, NULL);
    RETURN QUERY SELECT outcome, CASE WHEN outcome = 'done' THEN account.id END;
END
$$;

-- Turns `client`'s portal access to the chart off: the access row is revoked, the open invitation for it
-- superseded, and the sessions on that chart (and the account's sessions with no chart chosen) deleted. Results: 'done', 'not-found' (chart out of reach or
-- no access to revoke). Audited portal.revoke.
CREATE FUNCTION haven_portal_revoke(client uuid, kind text, chart uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    account uuid;
    touched integer := 0;
    moved integer;
BEGIN
    IF kind IN ('couple', 'client')
       AND haven_portal_chart_in_caseload(kind, chart) THEN
        SELECT a.id INTO account FROM partner_accounts a WHERE a.practice_id = ctx.practice_id AND a.client_id = client;
    END IF;
    IF account IS NOT NULL THEN
        UPDATE partner_chart_access x SET revoked_at = now(), revoked_by = ctx.staff_id
        WHERE x.account_id = account AND x.chart_kind = kind AND x.chart_id = chart AND x.revoked_at IS NULL;
        GET DIAGNOSTICS touched = ROW_COUNT;
        UPDATE partner_links l SET superseded_at = now()
        WHERE l.account_id = account AND l.chart_kind = haven_portal_revoke.kind AND l.chart_id = chart
          AND l.spent_at IS NULL
          AND l.superseded_at IS NULL;
        GET DIAGNOSTICS moved = ROW_COUNT;
        touched := touched + moved;
        -- The sessions on that chart, and those with no chart chosen (they sign in again).
        DELETE FROM partner_sessions s
        WHERE s.account_id = account AND (s.chart_id IS NULL OR s.chart_kind = kind AND s.chart_id = chart);
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'portal.revoke', kind, chart,
                              CASE WHEN touched > 0 THEN haven_portal_chart_clients(ctx.practice_id, kind, chart)
                                   ELSE '{}' END,
                              CASE WHEN touched > 0 THEN 'success' ELSE 'denied' END, NULL);
    RETURN CASE WHEN touched > 0 THEN 'done' ELSE 'not-found' END;
END
$$;

-- The portal status of a chart in the actor's reach, per person of it: whether they have an account,
-- a passphrase, live access, and an open invitation (its kind and expiry). Nothing for a chart out of reach.
CREATE FUNCTION haven_portal_status(kind text, chart uuid)
    RETURNS TABLE (client_id uuid, email text, has_passphrase boolean, access_granted_at timestamptz,
                   access_revoked_at timestamptz, invitation_kind text, invitation_expires_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    IF kind NOT IN ('couple', 'client')
       OR NOT haven_portal_chart_in_caseload(kind, chart) THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT p.id, a.email, a.passphrase_hash IS NOT NULL, x.granted_at, x.revoked_at, l.kind, l.expires_at
        FROM unnest(haven_portal_chart_clients(ctx.practice_id, haven_portal_status.kind, haven_portal_status.chart))
             WITH ORDINALITY AS p (id, o)
        LEFT JOIN partner_accounts a ON a.practice_id = ctx.practice_id AND a.client_id = p.id
        LEFT JOIN partner_chart_access x ON x.account_id = a.id AND x.chart_kind = haven_portal_status.kind
            AND x.chart_id = haven_portal_status.chart
        LEFT JOIN partner_links l ON l.account_id = a.id AND l.chart_kind = haven_portal_status.kind
            AND l.chart_id = haven_portal_status.chart
            AND l.spent_at IS NULL AND l.superseded_at IS NULL AND l.expires_at > now()
        ORDER BY p.o;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- The partner's side, before a session: the invitation page and its spend. The token is the authority.

-- What an open invitation's page shows: the practice's name, the account's sign-in address (NULL: the
-- partner chooses it) and whether a passphrase is already set (then spending adds the chart and asks
-- for nothing). No row: unknown, spent, superseded, expired, a disabled account, an inactive chart, or a
-- ticket that does not let the hash be checked (haven_portal_try_kind).
CREATE FUNCTION haven_portal_invitation(ticket uuid, token_hash bytea)
    RETURNS TABLE (practice_name text, email text, has_passphrase boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    link_kind text := haven_portal_try_kind(ticket, token_hash);
BEGIN
    IF link_kind IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT p.name, a.email, a.passphrase_hash IS NOT NULL
        FROM partner_links l
        JOIN partner_accounts a ON a.practice_id = l.practice_id AND a.id = l.account_id
        JOIN practices p ON p.id = l.practice_id
        WHERE l.token_hash = haven_portal_invitation.token_hash AND l.kind = link_kind AND l.spent_at IS NULL
          AND l.superseded_at IS NULL AND l.expires_at > now() AND a.disabled_at IS NULL
          AND haven_portal_chart_live(l.practice_id, a.client_id, l.chart_kind, l.chart_id);
END
$$;

-- Spends an open invitation (a POST from its page): grants the account its chart and, when the account
-- has no passphrase yet, sets it to `new_hash` (PasswordHasher's stored form) and its sign-in address to
-- `email` when it has none. An account that already has a passphrase keeps it (whoever spends the
-- link learns nothing and signs no one in). Results: 'done', 'added' (the chart was added to an account
-- with a passphrase), 'refused' (every link that does not work, and every ticket that does not let the
-- hash be checked, as haven_portal_invitation: one answer), 'invalid' (a hash not in
-- the stored form, or an address missing or malformed; the link stays open), 'taken' (the address
-- belongs to another account; the link stays open). Of two concurrent spends one wins: the second
-- waits for the link's row lock and then finds it spent. Audited portal.invitation.spend as the partner.
CREATE FUNCTION haven_portal_spend_invitation(ticket uuid, token_hash bytea, email text, new_hash text,
                                              source text, request_id text) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    link partner_links;
    account partner_accounts;
    address text := lower(btrim(email));
    outcome text;
    link_kind text := haven_portal_try_kind(ticket, token_hash);
BEGIN
    SELECT l.* INTO link FROM partner_links l
    WHERE l.token_hash = haven_portal_spend_invitation.token_hash AND l.kind = link_kind AND l.spent_at IS NULL
      AND l.superseded_at IS NULL AND l.expires_at > now()
    FOR UPDATE;
    IF FOUND THEN
        SELECT a.* INTO account FROM partner_accounts a
        WHERE a.practice_id = link.practice_id AND a.id = link.account_id AND a.disabled_at IS NULL
        FOR UPDATE;
    END IF;
    IF account.id IS NULL
       OR NOT haven_portal_chart_live(link.practice_id, account.client_id, link.chart_kind, link.chart_id) THEN
        RETURN 'refused';
    END IF;
    IF account.passphrase_hash IS NULL THEN
        IF new_hash IS NULL OR new_hash NOT LIKE '$scrypt$%$%$%' OR coalesce(account.email, address) IS NULL THEN
            RETURN 'invalid';
        END IF;
        BEGIN
            UPDATE partner_accounts SET passphrase_hash = new_hash, passphrase_link_issuer = link.issued_by,
                                        email = coalesce(account.email, address)
            WHERE id = account.id;
        EXCEPTION
            WHEN unique_violation THEN RETURN 'taken';
            WHEN check_violation THEN RETURN 'invalid';
        END;
        DELETE FROM partner_sessions WHERE account_id = account.id;
        outcome := 'done';
    ELSE
        outcome := 'added';
    END IF;
    UPDATE partner_links SET spent_at = now() WHERE partner_links.token_hash = link.token_hash;
    INSERT INTO partner_chart_access AS x (practice_id, account_id, chart_kind, chart_id, granted_by)
    VALUES (link.practice_id, account.id, link.chart_kind, link.chart_id, link.issued_by)
    ON CONFLICT (account_id, chart_kind, chart_id) DO UPDATE
        SET granted_by = EXCLUDED.granted_by, granted_at = now(), revoked_at = NULL, revoked_by = NULL;
    PERFORM haven_audit_write(link.practice_id, NULL, '{}', false, source, request_id, 'portal.invitation.spend',
                              link.chart_kind, link.chart_id,
                              haven_portal_chart_clients(link.practice_id, link.chart_kind, link.chart_id),
                              'success', NULL, account.client_id);
    RETURN outcome;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Sign-in, the chart chosen, the context, sign-out.

-- The account's scrypt settings (parameters and salt), or the staff sign-in's decoy for an unknown
-- address or an account without a passphrase: the answer says nothing about which addresses exist.
CREATE FUNCTION haven_portal_sign_in_settings(login_email text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT coalesce(
            (SELECT left(passphrase_hash, length(passphrase_hash) - strpos(reverse(passphrase_hash), '$'))
             FROM partner_accounts WHERE email = lower(btrim(login_email)) AND passphrase_hash IS NOT NULL),
            '$scrypt$ln=17,r=8,p=1$' || rtrim(encode(substr(sha256(
                (SELECT secret FROM sign_in_decoy) || convert_to('partner:' || lower(btrim(login_email)), 'UTF8')
            ), 1, 16), 'base64'), '=')
        )
    $$;

-- The charts a session's account reaches now (live access, chart active). Nothing for a session that
-- is not live.
CREATE FUNCTION haven_portal_live_charts(account uuid)
    RETURNS TABLE (chart_kind text, chart_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
        SELECT x.chart_kind, x.chart_id
        FROM partner_chart_access x JOIN partner_accounts a ON a.id = x.account_id
        WHERE x.account_id = account AND x.revoked_at IS NULL AND a.disabled_at IS NULL
          AND haven_portal_chart_live(a.practice_id, a.client_id, x.chart_kind, x.chart_id)
        ORDER BY x.chart_kind DESC, x.granted_at, x.chart_id;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_live_charts(uuid) FROM PUBLIC;

-- Checks the candidate hash and, for an enabled account with the matching passphrase and at least one
-- live chart, opens a session with the token hash the service chose; with exactly one chart it is
-- chosen. Outcomes 'refused' (audited for an existing account) or 'signed-in' (audited, with the number
-- of charts and the session's absolute expiry). rehash, when given, replaces the stored hash.
CREATE FUNCTION haven_portal_sign_in(
    login_email text, candidate text, token bytea, idle_seconds integer, lifetime_seconds integer, rehash text,
    source text, request_id text
) RETURNS TABLE (outcome text, charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    account partner_accounts;
    live record;
    reached integer;
    expires timestamptz := now() + make_interval(secs => lifetime_seconds);
BEGIN
    SELECT a.* INTO account FROM partner_accounts a WHERE a.email = lower(btrim(login_email));
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'refused', NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT count(*)::integer INTO reached FROM haven_portal_live_charts(account.id);
    IF candidate IS DISTINCT FROM account.passphrase_hash OR account.disabled_at IS NOT NULL OR reached = 0 THEN
        PERFORM haven_audit_write(account.practice_id, NULL, '{}', false, source, request_id, 'portal.login',
                                  'partner_account', account.id, ARRAY[account.client_id], 'denied', NULL,
                                  account.client_id);
        RETURN QUERY SELECT 'refused', NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT * INTO live FROM haven_portal_live_charts(account.id) LIMIT 1;
    INSERT INTO partner_sessions (token_hash, practice_id, account_id, chart_kind, chart_id, idle_timeout_seconds,
                                  absolute_expires_at)
    VALUES (token, account.practice_id, account.id, CASE WHEN reached = 1 THEN live.chart_kind END,
            CASE WHEN reached = 1 THEN live.chart_id END, idle_seconds, expires);
    IF rehash IS NOT NULL THEN
        UPDATE partner_accounts SET passphrase_hash = rehash WHERE id = account.id;
    END IF;
    PERFORM haven_audit_write(account.practice_id, NULL, '{}', false, source, request_id, 'portal.login',
                              'partner_account', account.id, ARRAY[account.client_id], 'success', NULL,
                              account.client_id);
    RETURN QUERY SELECT 'signed-in', reached, expires;
END
$$;

-- A partner's live session: not revoked, not idle too long, not past its absolute expiry, no second
-- factor owed, the account enabled, and its chosen chart still reached (before a choice: at least one
-- chart still reached) (internal).
CREATE FUNCTION haven_portal_live_session(token bytea)
    RETURNS TABLE (practice_id uuid, client_id uuid, account_id uuid, chart_kind text, chart_id uuid,
                   last_seen_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
        SELECT s.practice_id, a.client_id, a.id, s.chart_kind, s.chart_id, s.last_seen_at
        FROM partner_sessions s
        JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
        WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending
          AND a.disabled_at IS NULL AND a.passphrase_hash IS NOT NULL
          AND now() < s.absolute_expires_at
          AND now() < s.last_seen_at + make_interval(secs => s.idle_timeout_seconds)
          AND (s.chart_id IS NULL AND EXISTS (SELECT 1 FROM haven_portal_live_charts(a.id))
               OR s.chart_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM partner_chart_access x
              WHERE x.account_id = a.id AND x.chart_kind = s.chart_kind AND x.chart_id = s.chart_id
                AND x.revoked_at IS NULL
                AND haven_portal_chart_live(a.practice_id, a.client_id, s.chart_kind, s.chart_id)));
END
$$;
REVOKE ALL ON FUNCTION haven_portal_live_session(bytea) FROM PUBLIC;

-- The charts a live session may choose among (kind and id; the service names them). Nothing otherwise.
CREATE FUNCTION haven_portal_charts(token bytea) RETURNS TABLE (chart_kind text, chart_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT c.chart_kind, c.chart_id
        FROM haven_portal_live_session(token) l, haven_portal_live_charts(l.account_id) c;
END
$$;

-- Opens the current transaction's partner context from a live session token, refreshing the idle clock
-- at most every 30 seconds. Returns what the context holds and the chart's clients (for audit entries). Raises SQLSTATE 28000 when the session is not live: revoked, idle, expired,
-- a disabled account, or a chosen chart that is paused, discharged or whose access was revoked.
CREATE FUNCTION haven_open_partner_context(token bytea, source text, request_id text)
    RETURNS TABLE (practice_id uuid, client_id uuid, account_id uuid, chart_kind text, chart_id uuid,
                   chart_clients uuid[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    live record;
BEGIN
    SELECT * INTO live FROM haven_portal_live_session(token);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the session has expired or was ended' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    PERFORM haven_write_partner_context(live.practice_id, live.client_id, live.account_id,
                                        CASE WHEN live.chart_id IS NOT NULL
                                             THEN live.chart_kind || ':' || live.chart_id::text END,
                                        token, source, request_id);
    IF live.last_seen_at < now() - interval '30 seconds' THEN
        UPDATE partner_sessions SET last_seen_at = now() WHERE token_hash = token;
    END IF;
    RETURN QUERY SELECT live.practice_id, live.client_id, live.account_id, live.chart_kind, live.chart_id,
                        CASE WHEN live.chart_id IS NULL THEN ARRAY[live.client_id]
                             ELSE haven_portal_chart_clients(live.practice_id, live.chart_kind, live.chart_id) END;
END
$$;

-- Chooses the context session's chart among the account's live ones (audited portal.chart.choose);
-- returns whether it was one of them. The context's chart changes from the next transaction on.
CREATE FUNCTION haven_portal_choose_chart(kind text, chart uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    allowed boolean;
BEGIN
    allowed := EXISTS (SELECT 1 FROM haven_portal_live_charts(ctx.partner_account_id) c
                       WHERE c.chart_kind = kind AND c.chart_id = chart);
    IF allowed THEN
        UPDATE partner_sessions SET chart_kind = kind, chart_id = chart WHERE token_hash = ctx.partner_token_hash;
    END IF;
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id,
                              'portal.chart.choose', CASE WHEN allowed THEN kind END, CASE WHEN allowed THEN chart END,
                              CASE WHEN allowed THEN haven_portal_chart_clients(ctx.partner_practice_id, kind, chart)
                                   ELSE '{}' END,
                              CASE WHEN allowed THEN 'success' ELSE 'denied' END, NULL, ctx.partner_client_id);
    RETURN allowed;
END
$$;

-- Ends the context's own partner session (audited portal.logout).
CREATE FUNCTION haven_portal_sign_out() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    UPDATE partner_sessions SET revoked_at = now() WHERE token_hash = ctx.partner_token_hash AND revoked_at IS NULL;
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id, 'portal.logout',
                              'partner_account', ctx.partner_account_id, ARRAY[ctx.partner_client_id], 'success',
                              NULL, ctx.partner_client_id);
END
$$;

-- The chosen chart's next scheduled session: its start, length and the practice's time zone only (the
-- row's counselor, type and the rest are not the partner's to read).
CREATE FUNCTION haven_portal_next_session()
    RETURNS TABLE (scheduled_start timestamptz, duration_minutes integer, time_zone text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
        SELECT s.scheduled_start, s.duration_minutes, p.time_zone
        FROM therapy_sessions s JOIN practices p ON p.id = s.practice_id
        WHERE s.practice_id = ctx.partner_practice_id AND s.key_subject = ctx.partner_chart
          AND s.status = 'scheduled' AND s.scheduled_start > now()
          AND (s.couple_id IS NOT NULL OR ctx.partner_client_id = ANY (s.attendee_ids) OR s.client_id = ctx.partner_client_id)
        ORDER BY s.scheduled_start
        LIMIT 1;
END
$$;

-- The chosen chart's assignments addressed to the partner or to both, with what the portal shows only:
-- the prompt's title and instructions, the due date and whether it is joint (never the counselor, the
-- session or anything of a risk override). Nothing before a chart is chosen.
CREATE FUNCTION haven_portal_assignments()
    RETURNS TABLE (id uuid, title text, instructions text, due_on date, joint boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
        SELECT a.id, p.title, p.instructions, a.due_on, a.partner_id IS NULL
        FROM homework_assignments a JOIN homework_prompts p ON p.id = a.prompt_id
        WHERE a.practice_id = ctx.partner_practice_id AND a.key_subject = ctx.partner_chart
          AND (a.partner_id IS NULL OR a.partner_id = ctx.partner_client_id)
          AND (p.practice_id IS NULL OR p.practice_id = ctx.partner_practice_id)
        ORDER BY a.due_on, p.title, a.id;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Discharge or pause ends the sessions on the chart at once (the context refuses them anyway), and the
-- sessions with no chart chosen of every account with access to it (they sign in again). Discharge also
-- revokes the chart's access rows and supersedes its open invitations: a readmitted chart reaches no
-- partner until the counselor invites again. A pause keeps them: unpausing brings access back.

CREATE FUNCTION haven_portal_chart_closed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.status <> 'active' AND OLD.status <> NEW.status THEN
        DELETE FROM partner_sessions s
        WHERE s.practice_id = NEW.practice_id
          AND (s.chart_kind = TG_ARGV[0] AND s.chart_id = NEW.id
               OR s.chart_id IS NULL AND s.account_id IN (
                   SELECT x.account_id FROM partner_chart_access x
                   WHERE x.practice_id = NEW.practice_id AND x.chart_kind = TG_ARGV[0] AND x.chart_id = NEW.id));
    END IF;
    IF NEW.status = 'discharged' AND OLD.status <> 'discharged' THEN
        UPDATE partner_chart_access x SET revoked_at = now()
        WHERE x.practice_id = NEW.practice_id AND x.chart_kind = TG_ARGV[0] AND x.chart_id = NEW.id
          AND x.revoked_at IS NULL;
        UPDATE partner_links l SET superseded_at = now()
        WHERE l.practice_id = NEW.practice_id AND l.chart_kind = TG_ARGV[0] AND l.chart_id = NEW.id
          AND l.spent_at IS NULL AND l.superseded_at IS NULL;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_chart_closed() FROM PUBLIC;
CREATE TRIGGER couples_portal_closed AFTER UPDATE OF status ON couples
    FOR EACH ROW EXECUTE FUNCTION haven_portal_chart_closed('couple');
CREATE TRIGGER clients_portal_closed AFTER UPDATE OF status ON clients
    FOR EACH ROW EXECUTE FUNCTION haven_portal_chart_closed('client');

-- ---------------------------------------------------------------------------------------------------
-- The partner policies (beside the staff ones; nothing else is visible to a partner context). The
-- assignments are read through haven_portal_assignments() (no policy: a row holds the counselor, the
-- session and the sealed risk-override reason, whose presence tells of a high-risk flag), and no data
-- key is reachable from a partner context: the portal opens nothing sealed yet (step 3 decides).

CREATE POLICY practices_partner ON practices FOR SELECT TO haven_app
    USING (id = (SELECT haven_partner_practice()));
CREATE POLICY homework_responses_partner ON homework_responses FOR SELECT TO haven_app
    USING (practice_id = (SELECT haven_partner_practice()) AND key_subject = (SELECT haven_partner_chart())
           AND partner_id = (SELECT haven_partner_client()));

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'haven_partner_practice()', 'haven_partner_client()', 'haven_partner_chart()', 'haven_portal_invitation_life()',
        'haven_portal_invite(uuid, text, uuid, text, bytea, text)', 'haven_portal_revoke(uuid, text, uuid)',
        'haven_portal_status(text, uuid)', 'haven_portal_try_window()', 'haven_portal_code_try_budget()',
        'haven_portal_note_try(text, bytea, text, text)', 'haven_portal_invitation(uuid, bytea)',
        'haven_portal_spend_invitation(uuid, bytea, text, text, text, text)', 'haven_portal_sign_in_settings(text)',
        'haven_portal_sign_in(text, text, bytea, integer, integer, text, text, text)', 'haven_portal_charts(bytea)',
        'haven_open_partner_context(bytea, text, text)', 'haven_portal_choose_chart(text, uuid)',
        'haven_portal_sign_out()', 'haven_portal_next_session()', 'haven_portal_assignments()'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
