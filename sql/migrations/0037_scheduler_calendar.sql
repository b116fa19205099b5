-- 0037: the front desk. A staff member holding the `scheduler` role sees and books the practice's
-- calendar (every counselor's sessions, with the chart's names and its counselor) and nothing
-- clinical. Their reach is a separate flag of the request context, the calendar, set by
-- haven_open_context only for a live session holding the role (never for an operator, a sign-in,
-- a session that owes a second factor, or break-glass access). The caseload is untouched: it is
-- what opens notes, homework, measures and the rest, and a scheduler's stays their own (empty for
-- a scheduler who is not also a counselor).
--
-- The calendar is used only by the policies below on therapy_sessions (read; book for a chart's
-- own counselor, with no risk override; change a scheduled session's status to cancelled or
-- late-cancelled, nothing else of the row) and by three narrow SECURITY DEFINER functions: the
-- chart's clients, names and counselor (never date of birth, attachment style or presenting
-- concerns), the booking check, and the overlap look-ups the booking takes its lock through.

ALTER TABLE staff DROP CONSTRAINT staff_roles_valid;
ALTER TABLE staff ADD CONSTRAINT staff_roles_valid
    CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['admin', 'counselor', 'scheduler', 'supervisor']);

ALTER TABLE request_contexts ADD COLUMN calendar boolean NOT NULL DEFAULT false;

-- Every context starts without the calendar; only haven_open_context turns it on.
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
        calendar = false;
END
$$;

CREATE OR REPLACE FUNCTION haven_open_context(token bytea, break_glass boolean, source text, request_id text)
    RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], totp_enrollment_due boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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
    IF 'scheduler' = ANY (live.roles) AND NOT live.totp_enrollment_due AND NOT break_glass THEN
        UPDATE request_contexts c SET calendar = true WHERE c.backend_pid = pg_backend_pid();
    END IF;
    IF live.last_seen_at < now() - interval '30 seconds' THEN
        UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = token;
    END IF;
    RETURN QUERY SELECT live.practice_id, live.staff_id, live.roles, live.totp_enrollment_due;
END
$$;

-- Whether this transaction holds the front desk's calendar reach.
CREATE FUNCTION haven_current_calendar() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN coalesce((SELECT calendar FROM request_contexts
                     WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned()),
                    false);
END
$$;

-- A chart as the calendar shows it: its clients' ids, their preferred (else legal) names and the
-- chart's counselor. No row unless the transaction holds the calendar and the chart is the practice's.
CREATE FUNCTION haven_calendar_chart(kind text, chart uuid)
    RETURNS TABLE(chart_clients uuid[], chart_names text[], chart_counselor uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
        SELECT ARRAY[c.partner_a_id, c.partner_b_id],
               ARRAY[coalesce(a.preferred_name, a.legal_name), coalesce(b.preferred_name, b.legal_name)],
               c.counselor_id
        FROM couples c
        JOIN clients a ON a.id = c.partner_a_id
        JOIN clients b ON b.id = c.partner_b_id
        WHERE kind = 'couple' AND c.id = chart AND c.practice_id = haven_current_practice() AND haven_current_calendar()
        UNION ALL
        SELECT ARRAY[c.id], ARRAY[coalesce(c.preferred_name, c.legal_name)], c.primary_counselor_id
        FROM clients c
        WHERE kind = 'client' AND c.id = chart AND c.practice_id = haven_current_practice() AND haven_current_calendar()
    $$;

-- The booking rule the calendar's insert policy holds: the session's counselor is an active
-- counselor of the practice and the chart's own counselor.
CREATE FUNCTION haven_calendar_may_book(session_counselor uuid, couple uuid, client uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
        SELECT haven_current_calendar()
            AND EXISTS (SELECT 1 FROM staff st
                        WHERE st.id = session_counselor AND st.practice_id = haven_current_practice()
                          AND st.active AND 'counselor' = ANY (st.roles))
            AND EXISTS (SELECT 1 FROM haven_calendar_chart(CASE WHEN couple IS NULL THEN 'client' ELSE 'couple' END,
                                                           coalesce(couple, client)) c
                        WHERE c.chart_counselor = session_counselor)
    $$;

CREATE POLICY sessions_calendar_read ON therapy_sessions FOR SELECT TO haven_app
    USING (practice_id = (SELECT haven_current_practice()) AND (SELECT haven_current_calendar()));

CREATE POLICY sessions_calendar_book ON therapy_sessions FOR INSERT TO haven_app
    WITH CHECK (practice_id = (SELECT haven_current_practice()) AND (SELECT haven_current_calendar())
                AND status = 'scheduled' AND risk_override_reason IS NULL AND status_correction_reason IS NULL
                AND haven_calendar_may_book(counselor_id, couple_id, client_id));

CREATE POLICY sessions_calendar_cancel ON therapy_sessions FOR UPDATE TO haven_app
    USING (practice_id = (SELECT haven_current_practice()) AND (SELECT haven_current_calendar()))
    WITH CHECK (practice_id = (SELECT haven_current_practice()) AND (SELECT haven_current_calendar())
                AND status IN ('scheduled', 'cancelled', 'late_cancelled'));

-- Through the calendar (a session outside the actor's own caseload) only a scheduled session's status
-- changes: the update policy cannot compare the old row with the new one, this trigger does.
CREATE FUNCTION haven_session_calendar_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF haven_current_calendar() AND NOT OLD.counselor_id = ANY (haven_current_caseload())
       AND (OLD.status <> 'scheduled'
            OR (to_jsonb(NEW) - 'status' - 'key_subject') IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'key_subject'))
    THEN
        RAISE EXCEPTION 'the calendar changes only a session''s status'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER therapy_sessions_calendar_guard BEFORE UPDATE ON therapy_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_session_calendar_guard();

-- The booking's look-ups reach the calendar's counselors and clients too.
CREATE OR REPLACE FUNCTION haven_counselor_conflicts(counselor uuid, start timestamptz, minutes integer,
                                                     except_session uuid)
    RETURNS TABLE(id uuid, scheduled_start timestamptz, duration_minutes integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF NOT (counselor = ANY (haven_current_caseload())
            OR (haven_current_calendar() AND EXISTS (SELECT 1 FROM staff st
                                                      WHERE st.id = counselor
                                                        AND st.practice_id = haven_current_practice()))) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(30, hashtext(counselor::text));
    RETURN QUERY
        SELECT s.id, s.scheduled_start, s.duration_minutes FROM therapy_sessions s
        WHERE s.practice_id = haven_current_practice() AND s.counselor_id = counselor
          AND s.id IS DISTINCT FROM except_session
          AND s.status NOT IN ('cancelled', 'late_cancelled')
          AND s.scheduled_start < start + make_interval(mins => minutes)
          AND start < s.scheduled_start + make_interval(mins => s.duration_minutes)
        ORDER BY s.scheduled_start, s.id;
END
$$;

CREATE OR REPLACE FUNCTION haven_client_overlaps(clients uuid[], start timestamptz, minutes integer,
                                                 except_session uuid)
    RETURNS TABLE(id uuid, scheduled_start timestamptz, duration_minutes integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    reachable uuid[];
BEGIN
    SELECT coalesce(array_agg(c), '{}') INTO reachable FROM unnest(clients) AS c
    WHERE haven_client_in_caseload(c)
       OR (haven_current_calendar()
           AND EXISTS (SELECT 1 FROM clients k WHERE k.id = c AND k.practice_id = haven_current_practice()));
    RETURN QUERY
        SELECT s.id, s.scheduled_start, s.duration_minutes FROM therapy_sessions s
        WHERE s.practice_id = haven_current_practice()
          AND s.id IS DISTINCT FROM except_session
          AND s.status NOT IN ('cancelled', 'late_cancelled')
          AND (s.client_id = ANY (reachable) OR s.couple_id IN (
              SELECT c.id FROM couples c
              WHERE c.practice_id = s.practice_id AND (c.partner_a_id = ANY (reachable) OR c.partner_b_id = ANY (reachable))
          ))
          AND s.scheduled_start < start + make_interval(mins => minutes)
          AND start < s.scheduled_start + make_interval(mins => s.duration_minutes)
        ORDER BY s.scheduled_start, s.id;
END
$$;

REVOKE ALL ON FUNCTION haven_current_calendar() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_current_calendar() TO haven_app;
REVOKE ALL ON FUNCTION haven_calendar_chart(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_calendar_chart(text, uuid) TO haven_app;
REVOKE ALL ON FUNCTION haven_calendar_may_book(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_calendar_may_book(uuid, uuid, uuid) TO haven_app;
REVOKE ALL ON FUNCTION haven_session_calendar_guard() FROM PUBLIC;
