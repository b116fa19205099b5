-- 0046: one sign-in check for staff and partners, with committed tries (review findings 5 and 9; issue #16).
--
-- Before: haven_sign_in (0025) and haven_portal_sign_in (0043) were near-copies; each looked the
-- address up and, only when it existed, wrote a denial to the audit log, taking the practice's audit
-- lock (visible in pg_locks to any session) and naming the targeted person as the actor. Inside
-- BEGIN ... ROLLBACK a denial disappeared, so a holder of the haven_app password could guess
-- passphrases without limit and without a trace.
--
-- Now every sign-in takes a ticket first, as the invitation codes do (0043, finding 2):
-- haven_sign_in_note_try() notes the try (a keyed hash of the address and the SHA-256 of the
-- candidate) in a transaction of its own, and the sign-in functions take the ticket and check only the
-- candidate it was noted with, only when another transaction committed it. Tries are therefore counted
-- whatever the caller rolls back, and one ticket checks one guess. The lock, the ticket, the pause and
-- the refusal's audit entry live in ONE function, haven_sign_in_check(), which both sign-ins call:
--   * the same advisory lock on every path: the audit lock of the account's practice, or, for an
--     address with no account, of a practice chosen from the address with the decoy secret (so a lock
--     on a practice does not tell whether the address exists);
--   * a pause: past haven_sign_in_try_limit() failed tries of an address in haven_sign_in_try_window()
--     (counted since its last successful sign-in), every try of it is refused, the right passphrase too;
--   * a refusal of an existing account is audited with an anonymous actor (no staff member, no partner):
--     the account is the entity, not the actor (finding 9). The entry keeps the v1 encoding, so
--     `haven audit verify` checks old and new entries as before.
-- The old eight-argument functions are dropped: nothing can check a candidate without a ticket.
--
-- Finding 5(b): portal addresses stay unique across the database (the sign-in page asks only the
-- address), but an invitation's answer no longer depends on whether another account uses the address:
-- it is 'done' either way. The address goes on the invitation (partner_links.address); the account
-- takes it only when no other account has it, otherwise the partner chooses their sign-in address
-- when they accept (docs/portal.md).

-- ---------------------------------------------------------------------------------------------------
-- The committed tries.

CREATE TABLE sign_in_tries (
    ticket uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- 'staff' and 'partner': a sign-in try (a ticket); 'partner-link': a request for a sign-in link.
    kind text NOT NULL CONSTRAINT sign_in_tries_kind CHECK (kind IN ('staff', 'partner', 'partner-link')),
    -- haven_sign_in_address_key(kind, address): keyed with the decoy secret, so the table holds no address.
    address_key bytea NOT NULL CONSTRAINT sign_in_tries_address_key CHECK (length(address_key) = 32),
    -- The SHA-256 of the candidate hash; cleared once the try's window has passed.
    candidate_hash bytea CONSTRAINT sign_in_tries_candidate CHECK (length(candidate_hash) = 32),
    tried_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    noted_in xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- Set by a sign-in that succeeded with this ticket (committed with its session, or not at all).
    succeeded_at timestamptz,
    source text NOT NULL,
    request_id text
);
CREATE INDEX sign_in_tries_address ON sign_in_tries (address_key, tried_at);
CREATE INDEX sign_in_tries_time ON sign_in_tries (tried_at);
ALTER TABLE sign_in_tries ENABLE ROW LEVEL SECURITY;
ALTER TABLE sign_in_tries FORCE ROW LEVEL SECURITY;
CREATE POLICY sign_in_tries_owner ON sign_in_tries TO CURRENT_USER USING (true) WITH CHECK (true);
REVOKE ALL ON sign_in_tries FROM PUBLIC;

-- The window failed tries are counted in, and how long a ticket works (the web's LoginThrottle's).
CREATE FUNCTION haven_sign_in_try_window() RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT interval '15 minutes' $$;

-- How many failed tries an address gets in the window before every try of it is refused.
CREATE FUNCTION haven_sign_in_try_limit() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 5 $$;

-- The keyed hash an address is counted under (internal).
CREATE FUNCTION haven_sign_in_address_key(kind text, login_email text) RETURNS bytea
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT sha256((SELECT secret FROM sign_in_decoy)
                      || convert_to('try:' || kind || ':' || coalesce(lower(btrim(login_email)), ''), 'UTF8'))
    $$;
REVOKE ALL ON FUNCTION haven_sign_in_address_key(text, text) FROM PUBLIC;

-- Notes one sign-in try of `candidate` for `login_email` ('staff' or 'partner' kind) and returns the
-- ticket the sign-in takes (NULL for a kind that is not one). Call it in its own transaction and commit
-- before the sign-in. Looks nothing up (the same work for every address); clears old rows as it goes.
CREATE FUNCTION haven_sign_in_note_try(kind text, login_email text, candidate text, source text, request_id text)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    noted uuid;
BEGIN
    IF kind IS NULL OR kind NOT IN ('staff', 'partner') THEN
        RETURN NULL;
    END IF;
    DELETE FROM sign_in_tries t WHERE t.tried_at < now() - interval '1 day';
    UPDATE sign_in_tries t SET candidate_hash = NULL
    WHERE t.candidate_hash IS NOT NULL AND t.tried_at < now() - haven_sign_in_try_window();
    INSERT INTO sign_in_tries (kind, address_key, candidate_hash, source, request_id)
    VALUES (kind, haven_sign_in_address_key(kind, login_email), sha256(convert_to(coalesce(candidate, ''), 'UTF8')),
            left(coalesce(source, 'unknown'), 200), left(request_id, 200))
    RETURNING ticket INTO noted;
    RETURN noted;
END
$$;
REVOKE ALL ON FUNCTION haven_sign_in_note_try(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_sign_in_note_try(text, text, text, text, text) TO haven_app;

-- The practice whose audit lock a sign-in for `login_email` takes: the account's, or for an address with
-- no account one chosen from the address with the decoy secret (the nil id in a database without
-- practices). Internal.
CREATE FUNCTION haven_sign_in_lock_practice(kind text, login_email text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT coalesce(
            CASE kind
                WHEN 'staff' THEN (SELECT st.practice_id FROM staff st WHERE st.email = lower(btrim(login_email)))
                ELSE (SELECT a.practice_id FROM partner_accounts a WHERE a.email = lower(btrim(login_email)))
            END,
            (SELECT p.id FROM practices p
             ORDER BY sha256((SELECT secret FROM sign_in_decoy) || uuid_send(p.id)
                             || convert_to(coalesce(lower(btrim(login_email)), ''), 'UTF8'))
             LIMIT 1),
            '00000000-0000-0000-0000-000000000000'::uuid
        )
    $$;
REVOKE ALL ON FUNCTION haven_sign_in_lock_practice(text, text) FROM PUBLIC;

-- THE sign-in check, shared by haven_sign_in and haven_portal_sign_in. The caller has looked the
-- account up (practice, account and clients NULL when there is none) and says whether it may sign in
-- apart from the passphrase (`usable`: active, not disabled, a chart open to it). In order:
--   1. the same advisory lock on every path (haven_sign_in_lock_practice);
--   2. the ticket: noted for this kind, address and candidate, committed by another transaction, within
--      the window; anything else is refused (one answer);
--   3. the pause: haven_sign_in_try_limit() failed tries of the address noted before this one in the
--      window since its last success refuse it, whatever the candidate ('paused');
--   4. the candidate against the stored hash.
-- Returns 'check-passed' (the ticket is marked as a success, committed with the caller's session),
-- 'paused' or 'refused'. A refusal or pause of an existing account is audited `staff.login` or
-- `portal.login` denied with an anonymous actor: the account is the entity.
CREATE FUNCTION haven_sign_in_check(
    kind text, ticket uuid, login_email text, candidate text, stored_hash text, usable boolean, practice uuid,
    account uuid, clients uuid[], source text, request_id text
) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    try sign_in_tries;
    address bytea := haven_sign_in_address_key(kind, login_email);
    verdict text;
BEGIN
    PERFORM pg_advisory_xact_lock(7, hashtext(haven_sign_in_lock_practice(kind, login_email)::text));
    SELECT t.* INTO try FROM sign_in_tries t WHERE t.ticket = haven_sign_in_check.ticket;
    IF NOT FOUND OR try.kind <> haven_sign_in_check.kind OR try.address_key <> address
       OR try.candidate_hash IS DISTINCT FROM sha256(convert_to(coalesce(candidate, ''), 'UTF8'))
       OR try.noted_in = pg_current_xact_id_if_assigned() OR try.tried_at <= now() - haven_sign_in_try_window() THEN
        verdict := 'refused';
    ELSIF (SELECT count(*) FROM sign_in_tries t
           WHERE t.address_key = address AND t.succeeded_at IS NULL AND t.tried_at < try.tried_at
             AND t.tried_at > try.tried_at - haven_sign_in_try_window()
             AND t.tried_at > coalesce((SELECT max(s.tried_at) FROM sign_in_tries s
                                        WHERE s.address_key = address AND s.succeeded_at IS NOT NULL
                                          AND s.tried_at < try.tried_at), '-infinity')
          ) >= haven_sign_in_try_limit() THEN
        verdict := 'paused';
    ELSIF account IS NULL OR NOT coalesce(usable, false) OR candidate IS DISTINCT FROM stored_hash THEN
        verdict := 'refused';
    ELSE
        UPDATE sign_in_tries t SET succeeded_at = now() WHERE t.ticket = try.ticket;
        RETURN 'check-passed';
    END IF;
    IF practice IS NOT NULL AND account IS NOT NULL THEN
        PERFORM haven_audit_write(practice, NULL, '{}', false, source, request_id,
                                  CASE kind WHEN 'staff' THEN 'staff.login' ELSE 'portal.login' END,
                                  CASE kind WHEN 'staff' THEN 'staff' ELSE 'partner_account' END, account,
                                  coalesce(clients, '{}'), 'denied', NULL);
    END IF;
    RETURN verdict;
END
$$;
REVOKE ALL ON FUNCTION haven_sign_in_check(text, uuid, text, text, text, boolean, uuid, uuid, uuid[], text, text)
    FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- Staff sign-in (0025's, with the ticket and the shared check). Outcomes 'refused', 'paused',
-- 'signed-in', 'second-factor' (see 0025).

DROP FUNCTION haven_sign_in(text, text, bytea, integer, integer, text, text, text);

CREATE FUNCTION haven_sign_in(
    ticket uuid, login_email text, candidate text, token bytea, idle_seconds integer, lifetime_seconds integer,
    rehash text, source text, request_id text
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
    verdict text;
BEGIN
    SELECT st.id, st.practice_id, st.roles, st.active, st.password_hash INTO account
    FROM staff st WHERE st.email = lower(btrim(login_email));
    verdict := haven_sign_in_check('staff', ticket, login_email, candidate, account.password_hash,
                                   account.active, account.practice_id, account.id, '{}', source, request_id);
    IF verdict <> 'check-passed' THEN
        RETURN QUERY SELECT verdict, NULL::uuid, NULL::uuid, NULL::text[], NULL::bytea, NULL::bigint, NULL::boolean,
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
REVOKE ALL ON FUNCTION haven_sign_in(uuid, text, text, bytea, integer, integer, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_sign_in(uuid, text, text, bytea, integer, integer, text, text, text) TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- Partner sign-in (0043's, with the ticket and the shared check). Outcomes 'refused', 'paused',
-- 'signed-in' (with the number of charts and the session's absolute expiry).

-- The sessions of an account, as a sign-in opens them: with exactly one live chart it is chosen; the
-- stored hash replaced by `rehash` when given; audited portal.login with the partner as the actor
-- (internal: the callers have checked the passphrase or the link).
CREATE FUNCTION haven_portal_open_session(
    account partner_accounts, token bytea, idle_seconds integer, lifetime_seconds integer, rehash text,
    source text, request_id text
) RETURNS TABLE (charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    live record;
    reached integer;
    expires timestamptz := now() + make_interval(secs => lifetime_seconds);
BEGIN
    SELECT count(*)::integer INTO reached FROM haven_portal_live_charts(account.id);
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
    RETURN QUERY SELECT reached, expires;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_open_session(partner_accounts, bytea, integer, integer, text, text, text)
    FROM PUBLIC;

DROP FUNCTION haven_portal_sign_in(text, text, bytea, integer, integer, text, text, text);

CREATE FUNCTION haven_portal_sign_in(
    ticket uuid, login_email text, candidate text, token bytea, idle_seconds integer, lifetime_seconds integer,
    rehash text, source text, request_id text
) RETURNS TABLE (outcome text, charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    account partner_accounts;
    reached integer := 0;
    verdict text;
BEGIN
    SELECT a.* INTO account FROM partner_accounts a WHERE a.email = lower(btrim(login_email));
    IF FOUND THEN
        SELECT count(*)::integer INTO reached FROM haven_portal_live_charts(account.id);
    END IF;
    verdict := haven_sign_in_check('partner', ticket, login_email, candidate, account.passphrase_hash,
                                   account.disabled_at IS NULL AND reached > 0, account.practice_id, account.id,
                                   CASE WHEN account.id IS NOT NULL THEN ARRAY[account.client_id] END, source,
                                   request_id);
    IF verdict <> 'check-passed' THEN
        RETURN QUERY SELECT verdict, NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'signed-in', s.charts, s.absolute_expires_at
        FROM haven_portal_open_session(account, token, idle_seconds, lifetime_seconds, rehash, source, request_id) s;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_sign_in(uuid, text, text, bytea, integer, integer, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_sign_in(uuid, text, text, bytea, integer, integer, text, text, text)
    TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- Finding 5(b): an invitation's answer does not depend on whether another account uses the address.

-- The address an emailed invitation was sent to (what the counselor's chart shows until the partner has
-- a passphrase; the account takes it only when no other account uses it).
ALTER TABLE partner_links
    ADD COLUMN address text CONSTRAINT partner_links_address_form CHECK (
        address = lower(btrim(address)) AND address ~ '^[^@\s]+@[^@\s]+$' AND length(address) <= 254
    );

-- 0043's invitation, except that the address never makes the answer 'taken': the account takes the
-- address when it has no passphrase yet and no other account uses it; otherwise the account keeps no
-- address (the partner chooses one when accepting) and the answer is 'done' all the same. Results
-- 'done', 'not-found', 'inactive', 'disabled', 'invalid'. Audited portal.invite.
CREATE OR REPLACE FUNCTION haven_portal_invite(
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
       OR (link_kind = 'invitation-link' AND address IS NULL)
       OR (address IS NOT NULL AND NOT (address ~ '^[^@\s]+@[^@\s]+$' AND length(address) <= 254)) THEN
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
        INSERT INTO partner_accounts AS a (practice_id, client_id, email, created_by)
        VALUES (ctx.practice_id, client, NULL, ctx.staff_id)
        ON CONFLICT (practice_id, client_id) DO UPDATE SET email = a.email
        RETURNING * INTO account;
        IF account.disabled_at IS NOT NULL THEN
            outcome := 'disabled';
        ELSE
            -- An address may be corrected until the partner has set a passphrase; one another account
            -- uses leaves the account without one, and the answer is the same.
            IF account.passphrase_hash IS NULL AND address IS NOT NULL AND address IS DISTINCT FROM account.email THEN
                BEGIN
                    UPDATE partner_accounts SET email = address WHERE id = account.id;
                EXCEPTION
                    WHEN unique_violation THEN
                        UPDATE partner_accounts SET email = NULL WHERE id = account.id;
                END;
            END IF;
            UPDATE partner_links l SET superseded_at = now()
            WHERE l.account_id = account.id AND l.spent_at IS NULL AND l.superseded_at IS NULL
              AND l.kind <> 'sign-in';
            INSERT INTO partner_links (token_hash, practice_id, account_id, kind, chart_kind, chart_id, issued_by,
                                       expires_at, address)
            VALUES (haven_portal_invite.token_hash, ctx.practice_id, account.id, link_kind, kind, chart,
                    ctx.staff_id, now() + haven_portal_invitation_life(), address);
            outcome := 'done';
        END IF;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'portal.invite', kind, chart,
                              CASE WHEN outcome = 'not-found' THEN '{}'
                                   ELSE haven_portal_chart_clients(ctx.practice_id, kind, chart) END,
                              CASE WHEN outcome = 'done' THEN 'success' ELSE 'denied' END, NULL);
    RETURN QUERY SELECT outcome, CASE WHEN outcome = 'done' THEN account.id END;
END
$$;

-- 0043's status, except that before the partner has a passphrase the address shown is the newest one a
-- counselor invited it with (what they typed), whether or not the account could take it.
CREATE OR REPLACE FUNCTION haven_portal_status(kind text, chart uuid)
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
        SELECT p.id,
               CASE WHEN a.passphrase_hash IS NULL
                    THEN coalesce((SELECT r.address FROM partner_links r
                                   WHERE r.account_id = a.id AND r.address IS NOT NULL
                                   ORDER BY r.issued_at DESC LIMIT 1), a.email)
                    ELSE a.email END,
               a.passphrase_hash IS NOT NULL, x.granted_at, x.revoked_at, l.kind, l.expires_at
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
-- Sign-in links by email (docs/portal.md "Access"): the everyday way in. The server asks for one with
-- the address; the database issues it only for a live account, keeps only the token's SHA-256, and
-- only the newest unspent link of an account works, for haven_portal_sign_in_link_life(). The POST from
-- the link's page spends it (mail scanners fetch GETs). A link needs an attestation over its token hash
-- under the master key's attestation key (0027), so a holder of the haven_app password, who can call
-- the function too, cannot make a link whose token they know: only the server can, and it mails the
-- token without keeping it.

-- How long a sign-in link works.
CREATE FUNCTION haven_portal_sign_in_link_life() RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT interval '15 minutes' $$;

-- Requests per address, and across the database, per haven_sign_in_try_window() that may issue a link.
CREATE FUNCTION haven_portal_link_request_limit() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 3 $$;
CREATE FUNCTION haven_portal_link_request_budget() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 200 $$;

-- Issues a sign-in link for `login_email` when it is an enabled account with a live chart: supersedes
-- its open sign-in link and stores `token_hash`, which must come with `attestation` =
-- HMAC-SHA-256(attestation key of `master_key_version`, 'haven-sign-in-link-v1:' || token_hash).
-- Every request is counted (a row of sign_in_tries, kind 'partner-link'); past
-- haven_portal_link_request_limit() for the address or haven_portal_link_request_budget() across the
-- database in the window, nothing is issued. Returns the practice's name and time zone and the link's
-- expiry for the message, or no row (unknown address, no live chart, over a limit, a bad attestation:
-- the caller's answer to the person is the same). Takes the same lock whether or not the address exists.
-- An issued link is audited portal.link.issue with no actor (the account is the entity).
CREATE FUNCTION haven_portal_request_sign_in_link(
    login_email text, token_hash bytea, master_key_version integer, attestation bytea, source text, request_id text
) RETURNS TABLE (practice_name text, time_zone text, expires_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    address bytea := haven_sign_in_address_key('partner-link', login_email);
    attestation_key bytea;
    account partner_accounts;
    expires timestamptz := now() + haven_portal_sign_in_link_life();
BEGIN
    PERFORM pg_advisory_xact_lock(7, hashtext(haven_sign_in_lock_practice('partner', login_email)::text));
    SELECT k.key INTO attestation_key FROM second_factor_attestation_keys k
    WHERE k.master_key_version = haven_portal_request_sign_in_link.master_key_version;
    IF attestation_key IS NULL OR token_hash IS NULL OR length(token_hash) <> 32 OR attestation IS NULL
       OR attestation <> haven_hmac_sha256(attestation_key, convert_to('haven-sign-in-link-v1:', 'UTF8') || token_hash)
    THEN
        RETURN;
    END IF;
    IF (SELECT count(*) FROM sign_in_tries t
        WHERE t.address_key = address AND t.tried_at > now() - haven_sign_in_try_window())
           >= haven_portal_link_request_limit()
       OR (SELECT count(*) FROM sign_in_tries t
           WHERE t.kind = 'partner-link' AND t.tried_at > now() - haven_sign_in_try_window())
           >= haven_portal_link_request_budget() THEN
        INSERT INTO sign_in_tries (kind, address_key, source, request_id)
        VALUES ('partner-link', address, left(coalesce(source, 'unknown'), 200), left(request_id, 200));
        RETURN;
    END IF;
    INSERT INTO sign_in_tries (kind, address_key, source, request_id)
    VALUES ('partner-link', address, left(coalesce(source, 'unknown'), 200), left(request_id, 200));
    SELECT a.* INTO account FROM partner_accounts a
    WHERE a.email = lower(btrim(login_email)) AND a.disabled_at IS NULL;
    IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM haven_portal_live_charts(account.id)) THEN
        RETURN;
    END IF;
    UPDATE partner_links l SET superseded_at = now()
    WHERE l.account_id = account.id AND l.kind = 'sign-in' AND l.spent_at IS NULL AND l.superseded_at IS NULL;
    INSERT INTO partner_links (token_hash, practice_id, account_id, kind, expires_at)
    VALUES (haven_portal_request_sign_in_link.token_hash, account.practice_id, account.id, 'sign-in', expires);
    PERFORM haven_audit_write(account.practice_id, NULL, '{}', false, source, request_id, 'portal.link.issue',
                              'partner_account', account.id, ARRAY[account.client_id], 'success', NULL);
    RETURN QUERY SELECT p.name, p.time_zone, expires FROM practices p WHERE p.id = account.practice_id;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_request_sign_in_link(text, bytea, integer, bytea, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_request_sign_in_link(text, bytea, integer, bytea, text, text) TO haven_app;

-- Spends a sign-in link (the POST from its page) and opens a session as haven_portal_sign_in does. The
-- ticket is haven_portal_note_try('link', token_hash, ...)'s, committed before. Outcomes 'signed-in' (with
-- the number of charts and the absolute expiry) or 'refused': unknown, spent, superseded or expired, an
-- invitation's token, a disabled account or one with no live chart, a ticket that does not let the hash
-- be checked. Of two concurrent spends one wins (the link's row lock).
CREATE FUNCTION haven_portal_spend_sign_in_link(
    ticket uuid, token_hash bytea, token bytea, idle_seconds integer, lifetime_seconds integer, source text,
    request_id text
) RETURNS TABLE (outcome text, charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    link partner_links;
    account partner_accounts;
BEGIN
    IF haven_portal_try_kind(ticket, token_hash) IS DISTINCT FROM 'invitation-link' THEN
        RETURN QUERY SELECT 'refused', NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT l.* INTO link FROM partner_links l
    WHERE l.token_hash = haven_portal_spend_sign_in_link.token_hash AND l.kind = 'sign-in' AND l.spent_at IS NULL
      AND l.superseded_at IS NULL AND l.expires_at > now()
    FOR UPDATE;
    IF FOUND THEN
        SELECT a.* INTO account FROM partner_accounts a
        WHERE a.practice_id = link.practice_id AND a.id = link.account_id AND a.disabled_at IS NULL;
    END IF;
    IF account.id IS NULL OR NOT EXISTS (SELECT 1 FROM haven_portal_live_charts(account.id)) THEN
        RETURN QUERY SELECT 'refused', NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    UPDATE partner_links SET spent_at = now() WHERE partner_links.token_hash = link.token_hash;
    RETURN QUERY SELECT 'signed-in', s.charts, s.absolute_expires_at
        FROM haven_portal_open_session(account, token, idle_seconds, lifetime_seconds, NULL, source, request_id) s;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_spend_sign_in_link(uuid, bytea, bytea, integer, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_spend_sign_in_link(uuid, bytea, bytea, integer, integer, text, text)
    TO haven_app;
