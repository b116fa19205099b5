-- 0074: ending a session never waits for a request of that session (attacker review, 2026-12-07).
--
-- Opening a context moves the session's last_seen_at on when it is more than 30 seconds old, and that
-- UPDATE held the session's row until its transaction ended. Sign-out, revocation and disabling an
-- account all UPDATE that row too, so they waited for it: with the app role's password and a session,
-- a transaction opened after a refresh and kept open (pg_sleep) held back the admin's "disable" or the
-- counselor's sign-out for as long as it stayed open, and since 0068 the session's other transactions
-- skipped the held row and went on opening contexts meanwhile (bounded by the idle timeout, as no
-- refresh committed). Now the time a session was last seen lives in a table of its own, one row per
-- session, made with the session (a trigger) and written only by the refresh and the second-factor
-- steps; the session's row is written only to change what the session is (pending, revoked). A
-- transaction that holds its activity row keeps no one from ending the session, and once that commits
-- no new context opens (haven_live_session reads revoked_at as before). Same idle rule, same values:
-- each session's last_seen_at moves over as it is.

CREATE TABLE staff_session_activity (
    token_hash bytea PRIMARY KEY REFERENCES staff_sessions (token_hash) ON DELETE CASCADE,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE partner_session_activity (
    token_hash bytea PRIMARY KEY REFERENCES partner_sessions (token_hash) ON DELETE CASCADE,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE staff_session_activity ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_session_activity FORCE ROW LEVEL SECURITY;
ALTER TABLE partner_session_activity ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_session_activity FORCE ROW LEVEL SECURITY;
-- The owner's functions only; haven_app has no privilege on either table.
CREATE POLICY staff_session_activity_owner ON staff_session_activity TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY partner_session_activity_owner ON partner_session_activity TO CURRENT_USER
    USING (true) WITH CHECK (true);

INSERT INTO staff_session_activity (token_hash, last_seen_at) SELECT token_hash, last_seen_at FROM staff_sessions;
INSERT INTO partner_session_activity (token_hash, last_seen_at)
    SELECT token_hash, last_seen_at FROM partner_sessions;

-- Every new session gets its row, whichever function (or the owner's CLI) creates it.
CREATE FUNCTION haven_session_activity_start() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_TABLE_NAME = 'staff_sessions' THEN
        INSERT INTO public.staff_session_activity (token_hash) VALUES (NEW.token_hash);
    ELSE
        INSERT INTO public.partner_session_activity (token_hash) VALUES (NEW.token_hash);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_session_activity_start() FROM PUBLIC;
CREATE TRIGGER staff_sessions_activity AFTER INSERT ON staff_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_session_activity_start();
CREATE TRIGGER partner_sessions_activity AFTER INSERT ON partner_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_session_activity_start();

ALTER TABLE staff_sessions DROP COLUMN last_seen_at;
ALTER TABLE partner_sessions DROP COLUMN last_seen_at;

-- The readers and writers of last_seen_at, otherwise as they were (0068, 0069, 0061).

CREATE OR REPLACE FUNCTION haven_live_session(token bytea) RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], last_seen_at timestamp with time zone, totp_enrollment_due boolean)
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
    WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending AND st.active
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < a.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
$$;

CREATE OR REPLACE FUNCTION haven_portal_live_session(token bytea) RETURNS TABLE(practice_id uuid, client_id uuid, account_id uuid, chart_kind text, chart_id uuid, last_seen_at timestamp with time zone)
    LANGUAGE sql STABLE
    AS $$
    SELECT s.practice_id, a.client_id, a.id, s.chart_kind, s.chart_id, v.last_seen_at
    FROM public.partner_sessions s
    JOIN public.partner_session_activity v ON v.token_hash = s.token_hash
    JOIN public.partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending
      AND a.disabled_at IS NULL AND a.passphrase_hash IS NOT NULL
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < v.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
      AND (s.chart_id IS NULL AND EXISTS (SELECT 1 FROM public.haven_portal_live_charts(a.id))
           OR s.chart_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM public.partner_chart_access x
          WHERE x.account_id = a.id AND x.chart_kind = s.chart_kind AND x.chart_id = s.chart_id
            AND x.revoked_at IS NULL
            AND public.haven_portal_chart_live(a.practice_id, a.client_id, s.chart_kind, s.chart_id)))
$$;

CREATE OR REPLACE FUNCTION haven_open_context(token bytea, break_glass boolean, source text, request_id text) RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], totp_enrollment_due boolean)
    LANGUAGE plpgsql SECURITY DEFINER
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
        live.practice_id, live.staff_id,
        CASE WHEN live.totp_enrollment_due THEN '{}'::text[] ELSE live.roles END, reach, break_glass,
        CASE WHEN break_glass AND NOT live.totp_enrollment_due
             THEN haven_break_glass_reach(live.practice_id, live.staff_id) ELSE '{}' END,
        token, source, request_id
    );
    IF 'scheduler' = ANY (live.roles) AND NOT live.totp_enrollment_due AND NOT break_glass THEN
        UPDATE request_contexts c SET calendar = true WHERE c.backend_pid = pg_backend_pid();
    END IF;
    IF live.last_seen_at < now() - interval '30 seconds' THEN
        -- Not while another transaction of the session holds its activity row (refreshing it too):
        -- that one's commit decides, and this request does not wait for it. The session's own row is
        -- not touched, so ending the session never waits for this transaction (0074).
        PERFORM 1 FROM staff_session_activity a WHERE a.token_hash = token FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE staff_session_activity a SET last_seen_at = now() WHERE a.token_hash = token;
        END IF;
    END IF;
    RETURN QUERY SELECT live.practice_id, live.staff_id, live.roles, live.totp_enrollment_due;
END
$$;

CREATE OR REPLACE FUNCTION haven_open_partner_context(token bytea, source text, request_id text) RETURNS TABLE(practice_id uuid, client_id uuid, account_id uuid, chart_kind text, chart_id uuid, chart_clients uuid[])
    LANGUAGE plpgsql SECURITY DEFINER
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
        -- As haven_open_context: the activity row, never the session's (0074).
        PERFORM 1 FROM partner_session_activity v WHERE v.token_hash = token FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE partner_session_activity v SET last_seen_at = now() WHERE v.token_hash = token;
        END IF;
    END IF;
    RETURN QUERY SELECT live.practice_id, live.client_id, live.account_id, live.chart_kind, live.chart_id,
                        CASE WHEN live.chart_id IS NULL THEN ARRAY[live.client_id]
                             ELSE haven_portal_chart_clients(live.practice_id, live.chart_kind, live.chart_id) END;
END
$$;

CREATE OR REPLACE FUNCTION haven_open_pending_context(token bytea, source text, request_id text) RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], totp_secret bytea, totp_last_used_step bigint, absolute_expires_at timestamp with time zone)
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
    UPDATE staff_session_activity SET last_seen_at = now() WHERE token_hash = token;
    PERFORM haven_write_pending_context(token, source, request_id);
    RETURN QUERY SELECT pending.practice_id, pending.staff_id, pending.roles, totp.secret, totp.last_used_step,
                        pending.absolute_expires_at;
END
$$;

CREATE OR REPLACE FUNCTION haven_portal_second_factor(ticket uuid, candidate text, step bigint, master_key_version integer, attestation bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
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
        UPDATE partner_sessions SET second_factor_pending = false WHERE token_hash = ctx.partner_token_hash;
        UPDATE partner_session_activity SET last_seen_at = now() WHERE token_hash = ctx.partner_token_hash;
        PERFORM haven_audit_write(account.practice_id, NULL, '{}', false, ctx.source, ctx.request_id, 'portal.login',
                                  'partner_account', account.id, ARRAY[account.client_id], 'success', NULL,
                                  account.client_id);
        RETURN 'signed-in';
    END IF;
    IF verdict = 'paused' THEN
        DELETE FROM partner_sessions WHERE token_hash = ctx.partner_token_hash;
    END IF;
    RETURN verdict;
END
$$;
