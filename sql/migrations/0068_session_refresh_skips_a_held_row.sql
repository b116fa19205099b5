-- 0068: a request does not wait for another transaction of its session to refresh the session (#17).
--
-- Opening a staff or partner context moves the session's last_seen_at on when it is more than 30
-- seconds old. That UPDATE waited for any other open transaction holding the session's row, which is
-- what a second request of the same session meets when the first is refreshing it: at most once every
-- 30 seconds, concurrent requests of one session (a page and its autosave, the API's parallel calls)
-- took turns behind the first one's commit, and a caller holding one transaction of a session while it
-- opened a second (a test did) waited for itself. Now the refresh takes the row with SKIP LOCKED and
-- leaves it to the transaction that holds it. The context's own deadline does not depend on the refresh
-- (haven_context_set_deadline counts from the transaction's start), and a refresh skipped because the
-- holder rolled back is at most one 30-second step of idle time lost, never gained.

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
        -- Not while another transaction holds the session's row (refreshing it too, or ending the
        -- session): that one's commit decides, and this request does not wait for it.
        PERFORM 1 FROM staff_sessions s WHERE s.token_hash = token FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE staff_sessions s SET last_seen_at = now() WHERE s.token_hash = token;
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
        -- Not while another transaction holds the session's row (refreshing it too, or ending the
        -- session): that one's commit decides, and this request does not wait for it.
        PERFORM 1 FROM partner_sessions s WHERE s.token_hash = token FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE partner_sessions s SET last_seen_at = now() WHERE s.token_hash = token;
        END IF;
    END IF;
    RETURN QUERY SELECT live.practice_id, live.client_id, live.account_id, live.chart_kind, live.chart_id,
                        CASE WHEN live.chart_id IS NULL THEN ARRAY[live.client_id]
                             ELSE haven_portal_chart_clients(live.practice_id, live.chart_kind, live.chart_id) END;
END
$$;
