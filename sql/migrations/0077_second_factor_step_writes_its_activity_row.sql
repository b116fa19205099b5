-- 0077: the second-factor step writes the session's activity row, not its session's row (the
-- residual 0076 left; attacker review of 2026-12-07).
--
-- A sign-in that waits for its one-time code is a session row made with second_factor_pending. The
-- code step locked that row (haven_open_pending_context, FOR UPDATE OF s) and then made it live
-- (UPDATE) or deleted it on a refused code (or, for a partner, a paused address). With the app role's
-- password and the member's password, that step kept open in a transaction held back every ending of
-- the member's sessions that writes their rows — an admin's disable, "end sessions" or password reset,
-- the operator's CLI, a counselor's portal revoke, a pause or a discharge — while the member's other
-- sessions went on opening contexts. Now the step's outcome lives in the activity row, beside the
-- clock: second_factor_outcome is 'given' or 'refused'. A session made waiting is waiting while that
-- is NULL, and live once it is 'given'; a refused one stays, refused by every opener, instead of being
-- deleted. The step locks the activity row (serializing two steps of one sign-in) and the member's
-- code-app row (so a code's time step works once, as before); no request of a session locks its
-- session's row any more. A reset of the code app (which deletes that row; for a partner, the
-- counselor's reset also ends the sign-ins still waiting) still waits for a held code step, which
-- docs/security.md says.

ALTER TABLE staff_session_activity
    ADD COLUMN second_factor_outcome text
        CONSTRAINT staff_session_activity_second_factor CHECK (second_factor_outcome IN ('given', 'refused'));
ALTER TABLE partner_session_activity
    ADD COLUMN second_factor_outcome text
        CONSTRAINT partner_session_activity_second_factor CHECK (second_factor_outcome IN ('given', 'refused'));

CREATE OR REPLACE FUNCTION haven_live_session(token bytea)
    RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], last_seen_at timestamptz,
                  totp_enrollment_due boolean)
    LANGUAGE sql STABLE
    AS $$
    SELECT s.practice_id, s.staff_id, st.roles, a.last_seen_at,
           p.require_totp AND NOT EXISTS (
               SELECT 1 FROM public.staff_totp t
               WHERE t.practice_id = s.practice_id AND t.staff_id = s.staff_id AND t.confirmed_at IS NOT NULL
           )
    FROM public.staff_sessions s
    JOIN public.staff_session_activity a ON a.token_hash = s.token_hash
    JOIN public.staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    JOIN public.practices p ON p.id = s.practice_id
    WHERE s.token_hash = token AND s.revoked_at IS NULL
      AND (NOT s.second_factor_pending OR a.second_factor_outcome = 'given') AND st.active
      AND NOT EXISTS (SELECT 1 FROM public.session_sign_outs o WHERE o.token_hash = s.token_hash)
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < a.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
$$;

CREATE OR REPLACE FUNCTION haven_portal_live_session(token bytea)
    RETURNS TABLE(practice_id uuid, client_id uuid, account_id uuid, chart_kind text, chart_id uuid,
                  last_seen_at timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT s.practice_id, a.client_id, a.id, v.chart_kind, v.chart_id, v.last_seen_at
    FROM public.partner_sessions s
    JOIN public.partner_session_activity v ON v.token_hash = s.token_hash
    JOIN public.partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = token AND s.revoked_at IS NULL
      AND (NOT s.second_factor_pending OR v.second_factor_outcome = 'given')
      AND NOT EXISTS (SELECT 1 FROM public.session_sign_outs o WHERE o.token_hash = s.token_hash)
      AND a.disabled_at IS NULL AND a.passphrase_hash IS NOT NULL
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < v.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
      AND (v.chart_id IS NULL AND EXISTS (SELECT 1 FROM public.haven_portal_live_charts(a.id))
           OR v.chart_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM public.partner_chart_access x
          WHERE x.account_id = a.id AND x.chart_kind = v.chart_kind AND x.chart_id = v.chart_id
            AND x.revoked_at IS NULL
            AND public.haven_portal_chart_live(a.practice_id, a.client_id, v.chart_kind, v.chart_id)))
$$;

-- Staff: the code step's context, its reader, the browser's look-up and the step itself.

CREATE OR REPLACE FUNCTION haven_open_pending_context(token bytea, source text, request_id text)
    RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], totp_secret bytea, totp_last_used_step bigint,
                  absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    pending record;
    totp record;
BEGIN
    SELECT s.practice_id, s.staff_id, st.roles, s.absolute_expires_at INTO pending
    FROM staff_sessions s
    JOIN staff_session_activity a ON a.token_hash = s.token_hash
    JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    WHERE s.token_hash = token AND s.second_factor_pending AND a.second_factor_outcome IS NULL
      AND s.revoked_at IS NULL AND st.active
      AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    FOR UPDATE OF a;
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
    UPDATE staff_session_activity SET last_seen_at = now() WHERE token_hash = token;
    PERFORM haven_write_pending_context(token, source, request_id);
    RETURN QUERY SELECT pending.practice_id, pending.staff_id, pending.roles, totp.secret, totp.last_used_step,
                        pending.absolute_expires_at;
END
$$;

CREATE OR REPLACE FUNCTION haven_context_pending() RETURNS request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM request_contexts c
    WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned()
      AND c.pending_token_hash IS NOT NULL AND haven_context_in_time(c.valid_until);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT s.practice_id, s.staff_id, ARRAY(SELECT r FROM unnest(st.roles) AS r ORDER BY r COLLATE "C"), s.token_hash
    INTO ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.token_hash
    FROM staff_sessions s
    JOIN staff_session_activity a ON a.token_hash = s.token_hash
    JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    WHERE s.token_hash = ctx.pending_token_hash AND s.second_factor_pending AND a.second_factor_outcome IS NULL
      AND s.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    ctx.pending_token_hash := NULL;
    RETURN ctx;
END
$$;

CREATE OR REPLACE FUNCTION haven_pending_sign_in(token bytea)
    RETURNS TABLE(email text, expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
        SELECT st.email, least(s.created_at + interval '5 minutes', s.absolute_expires_at)
        FROM staff_sessions s
        JOIN staff_session_activity a ON a.token_hash = s.token_hash
        JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
        WHERE s.token_hash = token AND s.second_factor_pending AND a.second_factor_outcome IS NULL
          AND s.revoked_at IS NULL AND st.active
          AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    $$;

CREATE OR REPLACE FUNCTION haven_sign_in_second_factor(step bigint, master_key_version integer, attestation bytea)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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
        UPDATE staff_session_activity SET second_factor_outcome = 'given' WHERE token_hash = ctx.token_hash;
        PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                                  'staff.login', 'staff', ctx.staff_id, '{}', 'success', NULL);
        PERFORM haven_write_context(ctx.practice_id, ctx.staff_id, ctx.staff_roles, '{}', false, '{}', ctx.token_hash,
                                    ctx.source, ctx.request_id);
        RETURN true;
    END IF;
    UPDATE staff_session_activity SET second_factor_outcome = 'refused' WHERE token_hash = ctx.token_hash;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, '{}', false, ctx.source, ctx.request_id,
                              'staff.login', 'staff', ctx.staff_id, '{}', 'denied', NULL);
    RETURN false;
END
$$;

-- Partners: the same four, and the counselor's code-app reset, which ends the sign-ins still waiting.

CREATE OR REPLACE FUNCTION haven_portal_open_pending_context(token bytea, source text, request_id text)
    RETURNS TABLE(account_id uuid, totp_secret bytea, totp_last_used_step bigint, absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    pending record;
    totp record;
BEGIN
    SELECT s.practice_id, s.account_id, s.absolute_expires_at INTO pending FROM partner_sessions s
    JOIN partner_session_activity v ON v.token_hash = s.token_hash
    JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = token AND s.second_factor_pending AND v.second_factor_outcome IS NULL
      AND s.revoked_at IS NULL AND a.disabled_at IS NULL
      AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    FOR UPDATE OF v;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    SELECT t.secret, t.last_used_step INTO totp FROM partner_totp t
    WHERE t.practice_id = pending.practice_id AND t.account_id = pending.account_id AND t.confirmed_at IS NOT NULL
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    PERFORM haven_write_pending_context(token, source, request_id);
    RETURN QUERY SELECT pending.account_id, totp.secret, totp.last_used_step, pending.absolute_expires_at;
END
$$;

CREATE OR REPLACE FUNCTION haven_context_partner_pending() RETURNS request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM request_contexts c
    WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned()
      AND c.pending_token_hash IS NOT NULL AND haven_context_in_time(c.valid_until);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT s.practice_id, a.client_id, a.id, s.token_hash
    INTO ctx.partner_practice_id, ctx.partner_client_id, ctx.partner_account_id, ctx.partner_token_hash
    FROM partner_sessions s
    JOIN partner_session_activity v ON v.token_hash = s.token_hash
    JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = ctx.pending_token_hash AND s.second_factor_pending AND v.second_factor_outcome IS NULL
      AND s.revoked_at IS NULL
      AND clock_timestamp() < s.created_at + interval '5 minutes';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    ctx.pending_token_hash := NULL;
    RETURN ctx;
END
$$;

CREATE OR REPLACE FUNCTION haven_portal_pending_sign_in(token bytea)
    RETURNS TABLE(email text, expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
        SELECT a.email, least(s.created_at + interval '5 minutes', s.absolute_expires_at)
        FROM partner_sessions s
        JOIN partner_session_activity v ON v.token_hash = s.token_hash
        JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
        WHERE s.token_hash = token AND s.second_factor_pending AND v.second_factor_outcome IS NULL
          AND s.revoked_at IS NULL AND a.disabled_at IS NULL
          AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    $$;

CREATE OR REPLACE FUNCTION haven_portal_second_factor(ticket uuid, candidate text, step bigint,
                                                      master_key_version integer, attestation bytea)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner_pending();
    account partner_accounts;
    moved integer := 0;
    verdict text;
BEGIN
    SELECT a.* INTO account FROM partner_accounts a
    WHERE a.practice_id = ctx.partner_practice_id AND a.id = ctx.partner_account_id;
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        UPDATE partner_totp t SET last_used_step = step
        WHERE t.practice_id = account.practice_id AND t.account_id = account.id AND t.confirmed_at IS NOT NULL
          AND t.last_used_step < step;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    verdict := haven_sign_in_check('partner-code', ticket, account.email, candidate,
                                   CASE WHEN moved = 1 THEN candidate END, true, account.practice_id, account.id,
                                   ARRAY[account.client_id], ctx.source, ctx.request_id);
    IF verdict = 'check-passed' THEN
        UPDATE partner_session_activity SET second_factor_outcome = 'given', last_seen_at = now()
        WHERE token_hash = ctx.partner_token_hash;
        PERFORM haven_audit_write(account.practice_id, NULL, '{}', false, ctx.source, ctx.request_id, 'portal.login',
                                  'partner_account', account.id, ARRAY[account.client_id], 'success', NULL,
                                  account.client_id);
        RETURN 'signed-in';
    END IF;
    IF verdict = 'paused' THEN
        UPDATE partner_session_activity SET second_factor_outcome = 'refused' WHERE token_hash = ctx.partner_token_hash;
    END IF;
    RETURN verdict;
END
$$;

CREATE OR REPLACE FUNCTION haven_portal_totp_reset(client uuid, kind text, chart uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    account uuid;
    removed integer := 0;
BEGIN
    IF kind IN ('couple', 'client') AND haven_portal_chart_in_caseload(kind, chart)
       AND client = ANY (haven_portal_chart_clients(ctx.practice_id, kind, chart)) THEN
        SELECT a.id INTO account FROM partner_accounts a WHERE a.practice_id = ctx.practice_id AND a.client_id = client;
    END IF;
    IF account IS NOT NULL THEN
        DELETE FROM partner_totp t WHERE t.practice_id = ctx.practice_id AND t.account_id = account;
        GET DIAGNOSTICS removed = ROW_COUNT;
        -- The sign-ins still waiting for a code (and those refused one); a session that gave it stays.
        DELETE FROM partner_sessions s
        WHERE s.account_id = account AND s.second_factor_pending
          AND NOT EXISTS (SELECT 1 FROM partner_session_activity v
                          WHERE v.token_hash = s.token_hash AND v.second_factor_outcome = 'given');
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'portal.totp.reset', 'partner_account', account,
                              CASE WHEN removed = 1 THEN ARRAY[client] ELSE '{}' END,
                              CASE WHEN removed = 1 THEN 'success' ELSE 'denied' END, NULL);
    RETURN CASE WHEN removed = 1 THEN 'done' ELSE 'not-found' END;
END
$$;
