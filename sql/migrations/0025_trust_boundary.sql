-- 0025: the trust boundary inside the database. Row-level security no longer trusts settings that any
-- role can set: the acting practice, staff member, caseload and break-glass reach are derived from the
-- request's live session token by the database itself, and kept where haven_app cannot write.
--
-- How a transaction gets its context:
--   haven_open_context(token_hash, break_glass, source, request_id)   the service, for a staff member
--   haven_operator_context(practice, staff, source, request_id)       the owner role only (operators)
-- Both write one row of request_contexts, keyed by the backend and the transaction's own id. The
-- readers (haven_current_practice() and friends) return it only to that very transaction: a later
-- transaction on the same connection, or another connection, sees no context at all. haven_app has no
-- privilege on request_contexts, so nothing it runs can put a row there but these functions.
--
-- Everything that changes who can act (sign-in, sign-out, the idle clock, password upgrades, TOTP
-- changes, break-glass grants) and every audit append goes through a narrow SECURITY DEFINER function
-- that acts as the context's own staff member; the audit actor always comes from the context.
-- docs/security.md lists what a holder of the haven_app password can still do, and what not.

-- ---------------------------------------------------------------------------------------------------
-- The context store.

CREATE UNLOGGED TABLE request_contexts (
    backend_pid integer PRIMARY KEY,
    transaction_id xid8 NOT NULL,
    practice_id uuid NOT NULL,
    staff_id uuid,
    staff_roles text[] NOT NULL DEFAULT '{}',
    -- The counselors whose charts the actor reaches: themselves and their supervisees.
    caseload uuid[] NOT NULL DEFAULT '{}',
    break_glass boolean NOT NULL DEFAULT false,
    -- With break_glass: the chart subjects ('couple:<id>', 'client:<id>') of the actor's live grants.
    break_glass_subjects text[] NOT NULL DEFAULT '{}',
    -- The session this context came from (NULL for an operator's context).
    token_hash bytea,
    source text NOT NULL,
    request_id text
);
REVOKE ALL ON request_contexts FROM PUBLIC;

-- The current transaction's context row, if any: the one place that says which row that is.
CREATE FUNCTION haven_context() RETURNS SETOF request_contexts
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT * FROM request_contexts
        WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned()
    $$;
REVOKE ALL ON FUNCTION haven_context() FROM PUBLIC;

-- The readers. SECURITY DEFINER, so haven_app can call them without reading the table; policies call
-- them as `(SELECT haven_current_...())`, an InitPlan evaluated once per statement.
CREATE OR REPLACE FUNCTION haven_current_practice() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT practice_id FROM haven_context() $$;

CREATE OR REPLACE FUNCTION haven_current_staff() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT staff_id FROM haven_context() $$;

CREATE FUNCTION haven_current_caseload() RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT coalesce((SELECT caseload FROM haven_context()), '{}') $$;

CREATE FUNCTION haven_current_break_glass() RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT coalesce((SELECT break_glass_subjects FROM haven_context()), '{}') $$;

-- The per-row forms earlier migrations' functions use; policies use the InitPlan forms below.
CREATE OR REPLACE FUNCTION haven_in_caseload(counselor uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT counselor = ANY (haven_current_caseload()) $$;

CREATE OR REPLACE FUNCTION haven_break_glass(subject text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT subject = ANY (haven_current_break_glass()) $$;

GRANT EXECUTE ON FUNCTION haven_current_caseload(), haven_current_break_glass() TO haven_app;

-- The settings-based context is gone: nothing reads app.* any more, and nobody may call the old setters.
DROP FUNCTION haven_set_context(uuid, uuid, boolean);
DROP FUNCTION haven_set_context(uuid, uuid);

-- Writes the context row of the current transaction (internal: not executable by haven_app).
CREATE FUNCTION haven_write_context(
    practice uuid, staff uuid, roles text[], caseload uuid[], break_glass boolean, subjects text[],
    token bytea, source text, request_id text
) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        INSERT INTO request_contexts AS c (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                           break_glass, break_glass_subjects, token_hash, source, request_id)
        VALUES (pg_backend_pid(), pg_current_xact_id(), practice, staff,
                ARRAY(SELECT r FROM unnest(roles) AS r ORDER BY r COLLATE "C"), caseload, break_glass, subjects,
                token, source, request_id)
        ON CONFLICT (backend_pid) DO UPDATE SET
            transaction_id = EXCLUDED.transaction_id, practice_id = EXCLUDED.practice_id,
            staff_id = EXCLUDED.staff_id, staff_roles = EXCLUDED.staff_roles, caseload = EXCLUDED.caseload,
            break_glass = EXCLUDED.break_glass, break_glass_subjects = EXCLUDED.break_glass_subjects,
            token_hash = EXCLUDED.token_hash, source = EXCLUDED.source, request_id = EXCLUDED.request_id
    $$;
REVOKE ALL ON FUNCTION haven_write_context(uuid, uuid, text[], uuid[], boolean, text[], bytea, text, text) FROM PUBLIC;

-- The chart subjects a staff member's live break-glass grants reach: a couple grant reaches the couple
-- and both partners' own charts; a client grant reaches the client and the couples they belong to.
CREATE FUNCTION haven_break_glass_reach(for_practice uuid, for_staff uuid) RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        WITH live AS (
            SELECT chart_kind, chart_id FROM break_glass_grants
            WHERE practice_id = for_practice AND staff_id = for_staff AND revoked_at IS NULL AND expires_at > now()
        ), reach AS (
            SELECT chart_kind || ':' || chart_id::text AS subject FROM live
            UNION
            SELECT 'client:' || unnest(ARRAY[c.partner_a_id, c.partner_b_id])::text
            FROM live JOIN couples c ON live.chart_kind = 'couple' AND c.practice_id = for_practice
                AND c.id = live.chart_id
            UNION
            SELECT 'couple:' || c.id::text
            FROM live JOIN couples c ON live.chart_kind = 'client' AND c.practice_id = for_practice
                AND live.chart_id IN (c.partner_a_id, c.partner_b_id)
        )
        SELECT coalesce(array_agg(subject ORDER BY subject), '{}') FROM reach
    $$;
REVOKE ALL ON FUNCTION haven_break_glass_reach(uuid, uuid) FROM PUBLIC;

-- Sessions waiting for their second factor: the password was right, the one-time code not yet given.
-- Such a session opens no context but its own sign-in transaction's (with an empty caseload).
ALTER TABLE staff_sessions ADD COLUMN second_factor_pending boolean NOT NULL DEFAULT false;

-- A staff member's live session: not revoked, not idle too long, not past its absolute expiry, the
-- account active, the second factor given. Returns nothing otherwise.
CREATE FUNCTION haven_live_session(token bytea)
    RETURNS TABLE (
        practice_id uuid, staff_id uuid, roles text[], last_seen_at timestamptz, totp_enrollment_due boolean
    )
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT s.practice_id, s.staff_id, st.roles, s.last_seen_at,
               p.require_totp AND NOT EXISTS (
                   SELECT 1 FROM staff_totp t
                   WHERE t.practice_id = s.practice_id AND t.staff_id = s.staff_id AND t.confirmed_at IS NOT NULL
               )
        FROM staff_sessions s
        JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
        JOIN practices p ON p.id = s.practice_id
        WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending AND st.active
          AND now() < s.absolute_expires_at
          AND now() < s.last_seen_at + make_interval(secs => s.idle_timeout_seconds)
    $$;
REVOKE ALL ON FUNCTION haven_live_session(bytea) FROM PUBLIC;

-- Who a token belongs to, if its session is live (no context is opened; nothing is written). The
-- service calls it to learn the actor's roles before it runs a use case.
CREATE FUNCTION haven_session_actor(token bytea)
    RETURNS TABLE (practice_id uuid, staff_id uuid, roles text[], totp_enrollment_due boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT practice_id, staff_id, roles, totp_enrollment_due FROM haven_live_session(token) $$;
REVOKE ALL ON FUNCTION haven_session_actor(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_session_actor(bytea) TO haven_app;

-- Opens the current transaction's context from a live session token, refreshing the idle clock at most
-- every 30 seconds. With break_glass, the staff member's live grants widen what it may read. A session
-- that owes the practice a second factor gets an empty caseload: it reaches no chart until it enrols.
--
-- Raises SQLSTATE 28000 when the token's session is not live.
CREATE FUNCTION haven_open_context(token bytea, break_glass boolean, source text, request_id text)
    RETURNS TABLE (practice_id uuid, staff_id uuid, roles text[], totp_enrollment_due boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    live record;
    reach uuid[];
BEGIN
    SELECT * INTO live FROM haven_live_session(token);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the session has expired or was ended' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    IF live.totp_enrollment_due THEN
        reach := '{}';
    ELSE
        SELECT array_agg(id) INTO reach FROM (
            SELECT live.staff_id AS id
            UNION
            SELECT supervisee_id FROM supervision_links l
            WHERE l.practice_id = live.practice_id AND l.supervisor_id = live.staff_id
        ) AS reachable;
    END IF;
    PERFORM haven_write_context(
        live.practice_id, live.staff_id, live.roles, reach, break_glass,
        CASE WHEN break_glass AND NOT live.totp_enrollment_due
             THEN haven_break_glass_reach(live.practice_id, live.staff_id) ELSE '{}' END,
        token, source, request_id
    );
    IF live.last_seen_at < now() - interval '30 seconds' THEN
        UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = token;
    END IF;
    RETURN QUERY SELECT live.practice_id, live.staff_id, live.roles, live.totp_enrollment_due;
END
$$;
REVOKE ALL ON FUNCTION haven_open_context(bytea, boolean, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_open_context(bytea, boolean, text, text) TO haven_app;

-- An operator's context (the owner role only: never granted to haven_app): the practice, and the staff
-- member the operator acts for, if any. The owner's policies see every row anyway; the context is what
-- its audit entries and key guard record.
CREATE FUNCTION haven_operator_context(for_practice uuid, for_staff uuid, source text, request_id text)
    RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = public, pg_temp
    AS $$
        SELECT haven_write_context(
            for_practice, for_staff,
            coalesce((SELECT st.roles FROM staff st WHERE st.id = for_staff AND st.practice_id = for_practice), '{}'),
            '{}', false, '{}', NULL, source, request_id
        )
    $$;
REVOKE ALL ON FUNCTION haven_operator_context(uuid, uuid, text, text) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- The audit log: appends are computed here, from the previous entry, with the actor of the context.

-- An entry may carry a digest of what it is about: a signed note's content hash on its `note.sign`
-- entry, so changing a note and its stored hash together still disagrees with the chain.
ALTER TABLE audit_log ADD COLUMN digest bytea
    CONSTRAINT audit_log_digest_length CHECK (digest IS NULL OR length(digest) = 32);
-- `haven keys verify` finds each signed note's signing entry by the note's id.
CREATE INDEX audit_log_note_signing ON audit_log (practice_id, entity_id) WHERE action = 'note.sign';

-- The canonical encoding the hash covers (docs/security.md; AuditEntry.canonicalBytes in Swift): a
-- label, then every field prefixed with its length as 4 bytes big-endian. An entry with a digest is
-- labelled v2 and ends with the digest; one without keeps the v1 form, so older entries still verify.
CREATE FUNCTION haven_audit_field(value bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT int4send(length(value)) || value $$;

CREATE FUNCTION haven_audit_canonical(
    practice uuid, occurred timestamptz, staff uuid, roles text[], break_glass boolean, action text,
    entity_type text, entity uuid, clients uuid[], outcome text, source text, request_id text, digest bytea
) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT convert_to(CASE WHEN digest IS NULL THEN 'haven-audit-v1' ELSE 'haven-audit-v2' END, 'UTF8')
            || haven_audit_field(uuid_send(practice))
            || haven_audit_field(timestamptz_send(occurred))
            || haven_audit_field(coalesce(uuid_send(staff), ''::bytea))
            || haven_audit_field(convert_to(array_to_string(roles, ','), 'UTF8'))
            || haven_audit_field(CASE WHEN break_glass THEN '\x01'::bytea ELSE '\x00'::bytea END)
            || haven_audit_field(convert_to(action, 'UTF8'))
            || haven_audit_field(convert_to(coalesce(entity_type, ''), 'UTF8'))
            || haven_audit_field(coalesce(uuid_send(entity), ''::bytea))
            || haven_audit_field(coalesce(
                   (SELECT string_agg(uuid_send(c), ''::bytea ORDER BY o)
                    FROM unnest(clients) WITH ORDINALITY AS u (c, o)),
                   ''::bytea))
            || haven_audit_field(convert_to(outcome, 'UTF8'))
            || haven_audit_field(convert_to(source, 'UTF8'))
            || haven_audit_field(convert_to(coalesce(request_id, ''), 'UTF8'))
            || coalesce(haven_audit_field(digest), ''::bytea)
    $$;

-- Appends one entry for an explicit actor (internal: the functions below decide the actor). Entries of
-- one practice take turns on a transaction-scoped advisory lock, so each sees the previous one.
CREATE FUNCTION haven_audit_write(
    practice uuid, staff uuid, roles text[], break_glass boolean, source text, request_id text,
    action text, entity_type text, entity uuid, clients uuid[], outcome text, digest bytea
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
        digest
    ));
    INSERT INTO audit_log (practice_id, seq, occurred_at, staff_id, staff_roles, break_glass, action, entity_type,
                           entity_id, client_ids, outcome, source, request_id, digest, previous_hash, hash)
    VALUES (practice, next_seq, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome,
            source, request_id, digest, previous, link);
    RETURN QUERY SELECT next_seq, link;
END
$$;
REVOKE ALL ON FUNCTION haven_audit_write(uuid, uuid, text[], boolean, text, text, text, text, uuid, uuid[], text, bytea)
    FROM PUBLIC;

-- Appends one entry as the current context's actor (practice, staff member, roles, break-glass mode,
-- source and request id all come from the context). Raises 42501 without a context.
CREATE FUNCTION haven_audit_append(
    action text, entity_type text, entity uuid, clients uuid[], outcome text, digest bytea
) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'an audit entry needs a context' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY SELECT * FROM haven_audit_write(
        ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source, ctx.request_id,
        action, entity_type, entity, coalesce(clients, '{}'), outcome, digest
    );
END
$$;
REVOKE ALL ON FUNCTION haven_audit_append(text, text, uuid, uuid[], text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_audit_append(text, text, uuid, uuid[], text, bytea) TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- Sign-in, second factor, sign-out. The service never reads a password hash: it asks for the
-- account's scrypt settings (parameters and salt), derives the candidate hash from the password, and
-- the database compares. For an unknown email the settings are a decoy derived from the email with a
-- secret only the owner reads, the same every time, so the answer says nothing about which emails exist.

CREATE TABLE sign_in_decoy (
    only_row boolean PRIMARY KEY DEFAULT true CONSTRAINT sign_in_decoy_one_row CHECK (only_row),
    secret bytea NOT NULL
);
REVOKE ALL ON sign_in_decoy FROM PUBLIC;
INSERT INTO sign_in_decoy (secret)
VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')));

CREATE FUNCTION haven_sign_in_settings(login_email text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT coalesce(
            (SELECT left(password_hash, length(password_hash) - strpos(reverse(password_hash), '$'))
             FROM staff WHERE email = lower(btrim(login_email))),
            '$scrypt$ln=17,r=8,p=1$' || rtrim(encode(substr(sha256(
                (SELECT secret FROM sign_in_decoy) || convert_to(lower(btrim(login_email)), 'UTF8')
            ), 1, 16), 'base64'), '=')
        )
    $$;
REVOKE ALL ON FUNCTION haven_sign_in_settings(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_sign_in_settings(text) TO haven_app;

-- Checks the candidate hash and, when it matches an active account, opens a session with the token
-- hash the service chose (and this transaction's context, with an empty caseload). Outcomes:
--   'refused'        unknown email, wrong password or disabled account (audited for an existing account)
--   'signed-in'      the session is live (audited)
--   'second-factor'  the account has a confirmed one-time-code app: the session waits for
--                    haven_sign_in_second_factor in this same transaction; its sealed secret and last
--                    accepted step are returned so the service can check the code
-- rehash, when given, replaces the stored hash (stronger parameters, same password).
CREATE FUNCTION haven_sign_in(
    login_email text, candidate text, token bytea, idle_seconds integer, lifetime_seconds integer, rehash text,
    source text, request_id text
) RETURNS TABLE (
    outcome text, practice_id uuid, staff_id uuid, roles text[], totp_secret bytea, totp_last_used_step bigint,
    totp_enrollment_due boolean, absolute_expires_at timestamptz
)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    account record;
    totp record;
    expires timestamptz := now() + make_interval(secs => lifetime_seconds);
    required boolean;
BEGIN
    SELECT st.id, st.practice_id, st.roles, st.active, st.password_hash INTO account
    FROM staff st WHERE st.email = lower(btrim(login_email));
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'refused', NULL::uuid, NULL::uuid, NULL::text[], NULL::bytea, NULL::bigint, NULL::boolean,
                            NULL::timestamptz;
        RETURN;
    END IF;
    IF candidate IS DISTINCT FROM account.password_hash OR NOT account.active THEN
        PERFORM haven_audit_write(account.practice_id, account.id, '{}', false, source, request_id,
                                  'staff.login', 'staff', account.id, '{}', 'denied', NULL);
        RETURN QUERY SELECT 'refused', NULL::uuid, NULL::uuid, NULL::text[], NULL::bytea, NULL::bigint, NULL::boolean,
                            NULL::timestamptz;
        RETURN;
    END IF;
    SELECT t.secret, t.last_used_step INTO totp FROM staff_totp t
    WHERE t.practice_id = account.practice_id AND t.staff_id = account.id AND t.confirmed_at IS NOT NULL
    FOR UPDATE;
    SELECT p.require_totp INTO required FROM practices p WHERE p.id = account.practice_id;
    INSERT INTO staff_sessions (token_hash, practice_id, staff_id, idle_timeout_seconds, absolute_expires_at,
                                second_factor_pending)
    VALUES (token, account.practice_id, account.id, idle_seconds, expires, totp.secret IS NOT NULL);
    IF rehash IS NOT NULL THEN
        UPDATE staff SET password_hash = rehash WHERE id = account.id;
    END IF;
    PERFORM haven_write_context(account.practice_id, account.id, account.roles, '{}', false, '{}', token, source,
                                request_id);
    IF totp.secret IS NOT NULL THEN
        RETURN QUERY SELECT 'second-factor', account.practice_id, account.id, account.roles, totp.secret,
                            totp.last_used_step, false, expires;
        RETURN;
    END IF;
    PERFORM haven_audit_write(account.practice_id, account.id,
                              ARRAY(SELECT r FROM unnest(account.roles) AS r ORDER BY r COLLATE "C"), false, source,
                              request_id, 'staff.login', 'staff', account.id, '{}', 'success', NULL);
    RETURN QUERY SELECT 'signed-in', account.practice_id, account.id, account.roles, NULL::bytea, NULL::bigint,
                        coalesce(required, false), expires;
END
$$;
REVOKE ALL ON FUNCTION haven_sign_in(text, text, bytea, integer, integer, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_sign_in(text, text, bytea, integer, integer, text, text, text) TO haven_app;

-- Completes the context's pending sign-in: with the time step of the code the service checked (it must
-- be newer than any accepted before, so a code works once), the session becomes live and the sign-in is
-- audited; with NULL (a wrong code), the session is deleted and the refusal audited. Returns whether the
-- session is live.
CREATE FUNCTION haven_sign_in_second_factor(step bigint) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
    moved integer := 0;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND OR ctx.token_hash IS NULL OR NOT EXISTS (
        SELECT 1 FROM staff_sessions WHERE token_hash = ctx.token_hash AND second_factor_pending
    ) THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF step IS NOT NULL THEN
        UPDATE staff_totp SET last_used_step = step
        WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id AND confirmed_at IS NOT NULL
          AND last_used_step < step;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    IF moved = 1 THEN
        UPDATE staff_sessions SET second_factor_pending = false WHERE token_hash = ctx.token_hash;
        PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                                  'staff.login', 'staff', ctx.staff_id, '{}', 'success', NULL);
        RETURN true;
    END IF;
    DELETE FROM staff_sessions WHERE token_hash = ctx.token_hash;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, '{}', false, ctx.source, ctx.request_id,
                              'staff.login', 'staff', ctx.staff_id, '{}', 'denied', NULL);
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION haven_sign_in_second_factor(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_sign_in_second_factor(bigint) TO haven_app;

-- Ends the context's own session (audited).
CREATE FUNCTION haven_sign_out() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND OR ctx.token_hash IS NULL THEN
        RAISE EXCEPTION 'sign-out needs a session context' USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE staff_sessions SET revoked_at = now() WHERE token_hash = ctx.token_hash AND revoked_at IS NULL;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.logout', 'staff', ctx.staff_id, '{}', 'success', NULL);
END
$$;
REVOKE ALL ON FUNCTION haven_sign_out() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_sign_out() TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- The context's own one-time-code app. The code itself is checked by the service (the secret is sealed
-- with a key only the server can open); the database makes sure each change is the actor's own, that a
-- time step is never accepted twice, and that every change is audited.

CREATE FUNCTION haven_context_staff() RETURNS request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND OR ctx.staff_id IS NULL OR ctx.token_hash IS NULL THEN
        RAISE EXCEPTION 'this needs a staff member''s session context' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN ctx;
END
$$;
REVOKE ALL ON FUNCTION haven_context_staff() FROM PUBLIC;

-- The actor's own TOTP row (locked for the rest of the transaction), the practice's policy and email.
CREATE FUNCTION haven_totp_own()
    RETURNS TABLE (email text, require_totp boolean, secret bytea, confirmed boolean, last_used_step bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    PERFORM 1 FROM staff_totp t WHERE t.practice_id = ctx.practice_id AND t.staff_id = ctx.staff_id FOR UPDATE;
    RETURN QUERY
        SELECT st.email, p.require_totp, t.secret, t.confirmed_at IS NOT NULL, t.last_used_step
        FROM staff st
        JOIN practices p ON p.id = st.practice_id
        LEFT JOIN staff_totp t ON t.practice_id = st.practice_id AND t.staff_id = st.id
        WHERE st.practice_id = ctx.practice_id AND st.id = ctx.staff_id;
END
$$;
REVOKE ALL ON FUNCTION haven_totp_own() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_totp_own() TO haven_app;

-- Stores a new, unconfirmed secret for the actor (refused while a confirmed one exists). Audited.
CREATE FUNCTION haven_totp_enroll(new_secret bytea, new_key_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    IF EXISTS (SELECT 1 FROM staff_totp WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id
               AND confirmed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'a one-time-code app is already enrolled' USING ERRCODE = 'unique_violation',
            CONSTRAINT = 'staff_totp_already_confirmed';
    END IF;
    INSERT INTO staff_totp (practice_id, staff_id, secret, secret_key_id)
    VALUES (ctx.practice_id, ctx.staff_id, new_secret, new_key_id)
    ON CONFLICT (practice_id, staff_id) DO UPDATE
    SET secret = EXCLUDED.secret, secret_key_id = EXCLUDED.secret_key_id, created_at = now(),
        confirmed_at = NULL, last_used_step = NULL;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.totp.begin', 'staff', ctx.staff_id, '{}', 'success', NULL);
END
$$;
REVOKE ALL ON FUNCTION haven_totp_enroll(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_totp_enroll(bytea, uuid) TO haven_app;

-- Confirms the actor's pending secret at the time step of the code the service checked. Audited.
CREATE FUNCTION haven_totp_confirm(step bigint) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    moved integer;
BEGIN
    UPDATE staff_totp SET confirmed_at = now(), last_used_step = step
    WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id AND confirmed_at IS NULL;
    GET DIAGNOSTICS moved = ROW_COUNT;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.totp.confirm', 'staff', ctx.staff_id, '{}',
                              CASE WHEN moved = 1 THEN 'success' ELSE 'denied' END, NULL);
    RETURN moved = 1;
END
$$;
REVOKE ALL ON FUNCTION haven_totp_confirm(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_totp_confirm(bigint) TO haven_app;

-- Removes the actor's confirmed app at the time step of a fresh code the service checked, unless the
-- practice requires one. Returns 'removed', 'required' or 'stale' (the step was not newer). Audited.
CREATE FUNCTION haven_totp_remove(step bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text;
    removed integer;
BEGIN
    IF (SELECT require_totp FROM practices WHERE id = ctx.practice_id) THEN
        result := 'required';
    ELSE
        DELETE FROM staff_totp
        WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id AND confirmed_at IS NOT NULL
          AND last_used_step < step;
        GET DIAGNOSTICS removed = ROW_COUNT;
        result := CASE WHEN removed = 1 THEN 'removed' ELSE 'stale' END;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.totp.remove', 'staff', ctx.staff_id, '{}',
                              CASE WHEN result = 'removed' THEN 'success' ELSE 'denied' END, NULL);
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION haven_totp_remove(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_totp_remove(bigint) TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- Break-glass grants: opened and closed only by the context's own clinician, always audited (flagged).

CREATE FUNCTION haven_break_glass_open(
    grant_id uuid, kind text, chart uuid, sealed_reason bytea, sealed_reason_key uuid, seconds double precision
) RETURNS TABLE (granted_at timestamptz, expires_at timestamptz, client_ids uuid[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    clients uuid[];
    granted timestamptz;
    expires timestamptz;
BEGIN
    IF NOT ctx.staff_roles && ARRAY['counselor', 'supervisor'] THEN
        RAISE EXCEPTION 'break-glass access is for clinicians' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO break_glass_grants AS g (id, practice_id, staff_id, chart_kind, chart_id, reason, reason_key_id,
                                         expires_at)
    VALUES (grant_id, ctx.practice_id, ctx.staff_id, kind, chart, sealed_reason, sealed_reason_key,
            now() + make_interval(secs => seconds))
    RETURNING g.granted_at, g.expires_at INTO granted, expires;
    IF kind = 'couple' THEN
        SELECT ARRAY[c.partner_a_id, c.partner_b_id] INTO clients
        FROM couples c WHERE c.practice_id = ctx.practice_id AND c.id = chart;
    ELSE
        clients := ARRAY[chart];
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, true, ctx.source, ctx.request_id,
                              'break_glass.open', kind, chart, coalesce(clients, '{}'), 'success', NULL);
    RETURN QUERY SELECT granted, expires, coalesce(clients, '{}');
END
$$;
REVOKE ALL ON FUNCTION haven_break_glass_open(uuid, text, uuid, bytea, uuid, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_break_glass_open(uuid, text, uuid, bytea, uuid, double precision) TO haven_app;

-- Ends one of the actor's own open grants early (audited). Returns nothing when there is none.
CREATE FUNCTION haven_break_glass_close(grant_id uuid) RETURNS TABLE (chart_kind text, chart_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    closed record;
BEGIN
    UPDATE break_glass_grants g SET revoked_at = now()
    WHERE g.id = grant_id AND g.practice_id = ctx.practice_id AND g.staff_id = ctx.staff_id AND g.revoked_at IS NULL
    RETURNING g.chart_kind, g.chart_id INTO closed;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'break_glass.close', closed.chart_kind, closed.chart_id, '{}', 'success', NULL);
    RETURN QUERY SELECT closed.chart_kind, closed.chart_id;
END
$$;
REVOKE ALL ON FUNCTION haven_break_glass_close(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_break_glass_close(uuid) TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- What haven_app may no longer touch directly.

DROP FUNCTION haven_login_lookup(text);
DROP FUNCTION haven_session_lookup(bytea);

-- Staff: every column but the password hash, read-only.
REVOKE ALL ON staff FROM haven_app;
GRANT SELECT (id, practice_id, email, display_name, credentials, roles, pre_licensed, active, created_at, disabled_at)
    ON staff TO haven_app;
-- Sessions, one-time-code secrets and the decoy: no direct access at all.
REVOKE ALL ON staff_sessions FROM haven_app;
DROP POLICY sessions_practice ON staff_sessions;
REVOKE ALL ON staff_totp FROM haven_app;
DROP POLICY staff_totp_self ON staff_totp;
-- Grants: the actor's own, read-only; opened and closed through the functions above.
REVOKE INSERT, UPDATE ON break_glass_grants FROM haven_app;
-- The audit log: read within the practice; appended only through haven_audit_append.
REVOKE INSERT, UPDATE, DELETE ON audit_log FROM haven_app;

-- ---------------------------------------------------------------------------------------------------
-- Every policy of haven_app reads the context once per statement (InitPlans), not once per row.

ALTER POLICY are_ratings_break_glass ON are_ratings
    USING (practice_id = (SELECT haven_current_practice())
           AND ('client:' || partner_id::text) = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY are_ratings_caseload ON are_ratings
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]));
ALTER POLICY attachment_injuries_break_glass ON attachment_injuries
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY attachment_injuries_caseload ON attachment_injuries
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]) AND haven_couple_in_caseload(couple_id));
ALTER POLICY audit_practice ON audit_log
    USING (practice_id = (SELECT haven_current_practice()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()));
ALTER POLICY break_glass_grants_own ON break_glass_grants
    USING (practice_id = (SELECT haven_current_practice()) AND staff_id = (SELECT haven_current_staff()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()) AND staff_id = (SELECT haven_current_staff()));
ALTER POLICY clients_break_glass ON clients
    USING (practice_id = (SELECT haven_current_practice())
           AND ('client:' || id::text) = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY clients_caseload ON clients
    USING (practice_id = (SELECT haven_current_practice())
           AND (primary_counselor_id = ANY ((SELECT haven_current_caseload())::uuid[])
                OR EXISTS (SELECT 1 FROM couples c
                           WHERE c.practice_id = clients.practice_id AND clients.id IN (c.partner_a_id, c.partner_b_id))))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND primary_counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]));
ALTER POLICY couples_break_glass ON couples
    USING (practice_id = (SELECT haven_current_practice())
           AND ('couple:' || id::text) = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY couples_caseload ON couples
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[])
                AND haven_client_in_caseload(partner_a_id) AND haven_client_in_caseload(partner_b_id));
ALTER POLICY cycle_maps_break_glass ON cycle_maps
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY cycle_maps_caseload ON cycle_maps
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]) AND haven_couple_in_caseload(couple_id));
ALTER POLICY data_keys_practice ON data_keys
    USING (practice_id = (SELECT haven_current_practice()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()));
ALTER POLICY homework_assignments_break_glass ON homework_assignments
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY homework_assignments_caseload ON homework_assignments
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]) AND haven_couple_in_caseload(couple_id));
ALTER POLICY homework_prompts_library ON homework_prompts
    USING (practice_id IS NULL OR practice_id = (SELECT haven_current_practice()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()));
ALTER POLICY homework_responses_break_glass ON homework_responses
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY homework_responses_caseload ON homework_responses
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]));
ALTER POLICY measure_administrations_break_glass ON measure_administrations
    USING (practice_id = (SELECT haven_current_practice())
           AND ('client:' || client_id::text) = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY measure_administrations_caseload ON measure_administrations
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]) AND haven_client_in_caseload(client_id));
ALTER POLICY measure_definitions_library ON measure_definitions
    USING (practice_id IS NULL OR practice_id = (SELECT haven_current_practice()));
ALTER POLICY note_addenda_break_glass ON note_addenda
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY note_addenda_caseload ON note_addenda
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]));
ALTER POLICY note_cosignatures_break_glass ON note_cosignatures
    USING (practice_id = (SELECT haven_current_practice())
           AND EXISTS (SELECT 1 FROM progress_notes n
                       WHERE n.practice_id = note_cosignatures.practice_id AND n.id = note_cosignatures.note_id));
ALTER POLICY note_cosignatures_caseload ON note_cosignatures
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]));
ALTER POLICY practices_own ON practices
    USING (id = (SELECT haven_current_practice()));
ALTER POLICY progress_notes_break_glass ON progress_notes
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY progress_notes_caseload ON progress_notes
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]));
ALTER POLICY psychotherapy_notes_author ON psychotherapy_notes
    USING (practice_id = (SELECT haven_current_practice()) AND author_id = (SELECT haven_current_staff()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()) AND author_id = (SELECT haven_current_staff())
                AND CASE chart_kind WHEN 'couple' THEN haven_couple_in_caseload(chart_id)
                                    ELSE haven_client_in_caseload(chart_id) END);
ALTER POLICY psychotherapy_notes_break_glass ON psychotherapy_notes
    USING (practice_id = (SELECT haven_current_practice())
           AND (chart_kind || ':' || chart_id::text) = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY report_runs_caseload ON report_runs
    USING (practice_id = (SELECT haven_current_practice()) AND generated_by = (SELECT haven_current_staff()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()) AND generated_by = (SELECT haven_current_staff()));
ALTER POLICY report_summaries_break_glass ON report_summaries
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY report_summaries_caseload ON report_summaries
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]) AND author_id = (SELECT haven_current_staff())
                AND CASE chart_kind WHEN 'couple' THEN haven_couple_in_caseload(chart_id)
                                    ELSE haven_client_in_caseload(chart_id) END);
ALTER POLICY staff_practice ON staff
    USING (practice_id = (SELECT haven_current_practice()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()));
ALTER POLICY supervision_practice ON supervision_links
    USING (practice_id = (SELECT haven_current_practice()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()));
ALTER POLICY sessions_break_glass ON therapy_sessions
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY sessions_caseload ON therapy_sessions
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[])
                AND (couple_id IS NULL OR haven_couple_in_caseload(couple_id))
                AND (client_id IS NULL OR haven_client_in_caseload(client_id)));
ALTER POLICY treatment_goals_break_glass ON treatment_goals
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
ALTER POLICY treatment_goals_caseload ON treatment_goals
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (practice_id = (SELECT haven_current_practice())
                AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]) AND haven_couple_in_caseload(couple_id));
