-- 0050: a sign-in still waiting for its second factor holds no staff context; sign-in refusals write
-- the same whether or not the account exists (review 10, findings 1 and 2; issue #16).
--
-- Finding 1. haven_sign_in wrote the account's full staff context before answering 'second-factor',
-- and haven_open_pending_context wrote the same for a session still owing its code, so the password
-- alone ran every function that asks haven_context_staff() (an admin's included). Now such a
-- transaction holds a *pending* context: a request_contexts row with no practice, staff member, roles,
-- caseload or session token, only pending_token_hash. It is no staff context twice over: by its shape
-- (the CHECK below), so the inlined readers (haven_current_practice() and friends) answer NULL or empty
-- and every staff policy is false; and haven_context(), the base of every other reader, returns no row
-- for it, so haven_context_staff() raises 42501 and so does everything else that asks for a context. Only the code step reads it: haven_context_pending() (internal) resolves it to its waiting
-- session; haven_sign_in_second_factor and haven_second_factor_key(id) (the one data key the server
-- needs to open the sealed secret) use it. A right code turns the context into the session's staff
-- context.
--
-- Finding 2. With no valid committed ticket haven_sign_in_check refuses with no write at all, for every
-- address. A counted check marks its ticket checked (one check per ticket, so a ticket cannot flood the
-- audit log), and a refusal or pause is audited whether or not the account exists: for an address with
-- no account, in the practice its lock falls on (haven_sign_in_lock_practice, chosen with the decoy
-- secret) with no entity. Both paths write one sign_in_tries update and one audit entry.

-- ---------------------------------------------------------------------------------------------------
-- The pending context.

ALTER TABLE request_contexts
    -- A sign-in waiting for its second factor: the token hash of its pending staff_sessions row.
    ADD COLUMN pending_token_hash bytea,
    DROP CONSTRAINT request_contexts_one_actor,
    -- Exactly one actor kind: staff/operator (a practice), partner, or a sign-in owing its code (neither).
    ADD CONSTRAINT request_contexts_one_actor CHECK (
        CASE WHEN partner_client_id IS NOT NULL
             THEN practice_id IS NULL AND staff_id IS NULL AND staff_roles = '{}' AND caseload = '{}'
                  AND NOT break_glass AND break_glass_subjects = '{}' AND NOT calendar AND token_hash IS NULL
                  AND partner_practice_id IS NOT NULL AND partner_account_id IS NOT NULL
                  AND partner_token_hash IS NOT NULL AND pending_token_hash IS NULL
             WHEN pending_token_hash IS NOT NULL
             THEN practice_id IS NULL AND staff_id IS NULL AND staff_roles = '{}' AND caseload = '{}'
                  AND NOT break_glass AND break_glass_subjects = '{}' AND NOT calendar AND token_hash IS NULL
                  AND partner_practice_id IS NULL AND partner_account_id IS NULL AND partner_chart IS NULL
                  AND partner_token_hash IS NULL
             ELSE practice_id IS NOT NULL AND partner_practice_id IS NULL AND partner_account_id IS NULL
                  AND partner_chart IS NULL AND partner_token_hash IS NULL
        END
    );

-- 0043's writers, clearing the pending column too (the row is per backend and reused).
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
        partner_chart = NULL, partner_token_hash = NULL, pending_token_hash = NULL;
END
$$;

CREATE OR REPLACE FUNCTION haven_write_partner_context(practice uuid, client uuid, account uuid, chart text,
                                                       token bytea, source text, request_id text) RETURNS void
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
        partner_token_hash = EXCLUDED.partner_token_hash, pending_token_hash = NULL;
END
$$;

-- The base function of every staff reader: a pending context is no context (0028's, with the filter).
CREATE OR REPLACE FUNCTION haven_context() RETURNS SETOF request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM request_contexts
        WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned()
          AND pending_token_hash IS NULL;
END
$$;

-- Writes the pending context of the sign-in `token` (internal).
CREATE FUNCTION haven_write_pending_context(token bytea, source text, request_id text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO request_contexts AS c (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                       break_glass, break_glass_subjects, token_hash, source, request_id, calendar,
                                       pending_token_hash)
    VALUES (pg_backend_pid(), pg_current_xact_id(), NULL, NULL, '{}', '{}', false, '{}', NULL, source, request_id,
            false, token)
    ON CONFLICT (backend_pid) DO UPDATE SET
        transaction_id = EXCLUDED.transaction_id, practice_id = NULL, staff_id = NULL, staff_roles = '{}',
        caseload = '{}', break_glass = false, break_glass_subjects = '{}', token_hash = NULL,
        source = EXCLUDED.source, request_id = EXCLUDED.request_id, calendar = false,
        partner_practice_id = NULL, partner_client_id = NULL, partner_account_id = NULL, partner_chart = NULL,
        partner_token_hash = NULL, pending_token_hash = EXCLUDED.pending_token_hash;
END
$$;
REVOKE ALL ON FUNCTION haven_write_pending_context(bytea, text, text) FROM PUBLIC;

-- The sign-in the current transaction's pending context waits for, in a staff context's shape (practice,
-- staff member, roles and session token; never stored as one): only for the code step. Raises 42501
-- without a pending context or when its session no longer waits (internal).
CREATE FUNCTION haven_context_pending() RETURNS request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM request_contexts c
    WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned()
      AND c.pending_token_hash IS NOT NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT s.practice_id, s.staff_id, ARRAY(SELECT r FROM unnest(st.roles) AS r ORDER BY r COLLATE "C"), s.token_hash
    INTO ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.token_hash
    FROM staff_sessions s
    JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    WHERE s.token_hash = ctx.pending_token_hash AND s.second_factor_pending AND s.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    ctx.pending_token_hash := NULL;
    RETURN ctx;
END
$$;
REVOKE ALL ON FUNCTION haven_context_pending() FROM PUBLIC;

-- The data key a waiting sign-in's sealed one-time-code secret was sealed with, by id: only a key of
-- the pending staff member's own subject (the server opens the secret to check the code; a pending
-- context reads no data_keys row otherwise). Raises 42501 without a pending context.
CREATE FUNCTION haven_second_factor_key(wanted uuid)
    RETURNS TABLE (id uuid, practice_id uuid, subject_kind text, subject_id text, state text,
                   master_key_version integer, wrapped_key bytea, created_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_pending();
BEGIN
    RETURN QUERY
        SELECT k.id, k.practice_id, k.subject_kind, k.subject_id, k.state, k.master_key_version, k.wrapped_key,
               k.created_at
        FROM data_keys k
        WHERE k.id = wanted AND k.practice_id = ctx.practice_id AND k.subject_kind = 'staff'
          AND k.subject_id = ctx.staff_id::text;
END
$$;
REVOKE ALL ON FUNCTION haven_second_factor_key(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_second_factor_key(uuid) TO haven_app;

-- 0027's: the session is the staff context's or, at sign-in, the pending context's.
CREATE OR REPLACE FUNCTION haven_step_attested(step bigint, master_key_version integer, attestation bytea)
    RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    session bytea;
    attestation_key bytea;
BEGIN
    SELECT c.token_hash INTO session FROM haven_context() c;
    IF session IS NULL THEN
        SELECT c.pending_token_hash INTO session FROM request_contexts c
        WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned();
    END IF;
    SELECT k.key INTO attestation_key FROM second_factor_attestation_keys k
    WHERE k.master_key_version = haven_step_attested.master_key_version;
    IF attestation_key IS NULL THEN
        RAISE EXCEPTION 'no second-factor attestation key is recorded for this master key version'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN step IS NOT NULL AND session IS NOT NULL AND attestation IS NOT NULL
        AND attestation = haven_hmac_sha256(attestation_key, session || int8send(step));
END
$$;

-- 0027's second factor, reading only the pending context; a right code makes the context the
-- session's staff context.
CREATE OR REPLACE FUNCTION haven_sign_in_second_factor(step bigint, master_key_version integer, attestation bytea)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_pending();
    moved integer := 0;
BEGIN
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        UPDATE staff_totp SET last_used_step = step
        WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id AND confirmed_at IS NOT NULL
          AND last_used_step < step;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    IF moved = 1 THEN
        UPDATE staff_sessions SET second_factor_pending = false WHERE token_hash = ctx.token_hash;
        PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                                  'staff.login', 'staff', ctx.staff_id, '{}', 'success', NULL);
        PERFORM haven_write_context(ctx.practice_id, ctx.staff_id, ctx.staff_roles, '{}', false, '{}', ctx.token_hash,
                                    ctx.source, ctx.request_id);
        RETURN true;
    END IF;
    DELETE FROM staff_sessions WHERE token_hash = ctx.token_hash;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, '{}', false, ctx.source, ctx.request_id,
                              'staff.login', 'staff', ctx.staff_id, '{}', 'denied', NULL);
    RETURN false;
END
$$;

-- 0039's, writing the pending context.
CREATE OR REPLACE FUNCTION haven_open_pending_context(token bytea, source text, request_id text)
    RETURNS TABLE (practice_id uuid, staff_id uuid, roles text[], totp_secret bytea, totp_last_used_step bigint,
                   absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    pending record;
    totp record;
BEGIN
    SELECT s.practice_id, s.staff_id, st.roles, s.absolute_expires_at INTO pending
    FROM staff_sessions s
    JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    WHERE s.token_hash = token AND s.second_factor_pending AND s.revoked_at IS NULL AND st.active
      AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    FOR UPDATE OF s;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    SELECT t.secret, t.last_used_step INTO totp FROM staff_totp t
    WHERE t.practice_id = pending.practice_id AND t.staff_id = pending.staff_id AND t.confirmed_at IS NOT NULL
    FOR UPDATE;
    IF NOT FOUND THEN
        -- The app was reset after the password step: start again (the new sign-in needs no code).
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = token;
    PERFORM haven_write_pending_context(token, source, request_id);
    RETURN QUERY SELECT pending.practice_id, pending.staff_id, pending.roles, totp.secret, totp.last_used_step,
                        pending.absolute_expires_at;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Finding 2: the sign-in check.

-- Tickets are checked once: a counted check sets checked_at (committed with the caller's transaction).
ALTER TABLE sign_in_tries ADD COLUMN checked_at timestamptz;

-- 0046's check; the order is now: the lock; the ticket (anything but a valid, committed, unchecked
-- ticket is 'refused' with no write at all); the ticket marked checked; the pause; the candidate. A
-- refusal or pause is audited for every address: an existing account in its practice with the account
-- as the entity, an address with no account in its lock practice with no entity (none in a database
-- without practices, where no account can exist).
CREATE OR REPLACE FUNCTION haven_sign_in_check(
    kind text, ticket uuid, login_email text, candidate text, stored_hash text, usable boolean, practice uuid,
    account uuid, clients uuid[], source text, request_id text
) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    try sign_in_tries;
    address bytea := haven_sign_in_address_key(kind, login_email);
    locked uuid := haven_sign_in_lock_practice(kind, login_email);
    verdict text;
BEGIN
    PERFORM pg_advisory_xact_lock(7, hashtext(locked::text));
    SELECT t.* INTO try FROM sign_in_tries t WHERE t.ticket = haven_sign_in_check.ticket;
    IF NOT FOUND OR try.kind <> haven_sign_in_check.kind OR try.address_key <> address
       OR try.candidate_hash IS DISTINCT FROM sha256(convert_to(coalesce(candidate, ''), 'UTF8'))
       OR try.noted_in = pg_current_xact_id_if_assigned() OR try.tried_at <= now() - haven_sign_in_try_window()
       OR try.checked_at IS NOT NULL THEN
        RETURN 'refused';
    END IF;
    IF (SELECT count(*) FROM sign_in_tries t
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
        verdict := 'check-passed';
    END IF;
    UPDATE sign_in_tries t SET checked_at = now(), succeeded_at = CASE WHEN verdict = 'check-passed' THEN now() END
    WHERE t.ticket = try.ticket;
    IF verdict = 'check-passed' THEN
        RETURN verdict;
    END IF;
    IF EXISTS (SELECT 1 FROM practices p WHERE p.id = locked) THEN
        PERFORM haven_audit_write(locked, NULL, '{}', false, source, request_id,
                                  CASE kind WHEN 'staff' THEN 'staff.login' ELSE 'portal.login' END,
                                  CASE kind WHEN 'staff' THEN 'staff' ELSE 'partner_account' END,
                                  account, coalesce(clients, '{}'), 'denied', NULL);
    END IF;
    RETURN verdict;
END
$$;

-- 0046's staff sign-in; an account with a code app gets only the pending context.
CREATE OR REPLACE FUNCTION haven_sign_in(
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
    IF totp.secret IS NOT NULL THEN
        PERFORM haven_write_pending_context(token, source, request_id);
        RETURN QUERY SELECT 'second-factor', account.practice_id, account.id, account.roles, totp.secret,
                            totp.last_used_step, false, expires;
        RETURN;
    END IF;
    PERFORM haven_write_context(account.practice_id, account.id, account.roles, '{}', false, '{}', token, source,
                                request_id);
    PERFORM haven_audit_write(account.practice_id, account.id,
                              ARRAY(SELECT r FROM unnest(account.roles) AS r ORDER BY r COLLATE "C"), false, source,
                              request_id, 'staff.login', 'staff', account.id, '{}', 'success', NULL);
    RETURN QUERY SELECT 'signed-in', account.practice_id, account.id, account.roles, NULL::bytea, NULL::bigint,
                        coalesce(required, false), expires;
END
$$;
