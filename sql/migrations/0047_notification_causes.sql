-- 0047: the causes queue their reminders (issue #16, step 5; docs/portal.md "Reminders: the outbox").
-- A homework assignment and a booked, rescheduled or cancelled session change the outbox in their own
-- transaction, by triggers, so a message exists exactly when its cause committed and no path that
-- writes an assignment or a session can forget it (the service, the API, the web app alike):
--
--   * an assignment queues, for each partner it is for who has live portal access to the couple's
--     chart: "homework-new" now, "homework-due" at 09:00 (practice time) the day before the due date
--     and "homework-overdue" at 09:00 the day after it (each only when still in the future). Whether an
--     overdue item is still unanswered is decided by the sender at send time, not here;
--   * a session booked in the future queues an "appointment-reminder" for each client of its chart with
--     live access, `practices.appointment_reminder_hours` before its start (now, when the start is
--     nearer than that); a change of its start or status supersedes the pending reminder (marked
--     skipped, "superseded") and queues a new one only while the session is still scheduled ahead.
--
-- A row now names its cause (the assignment or the session) and the chart, so the sender checks again
-- at send time that the partner still has access to THAT chart and that the cause still holds.

ALTER TABLE practices
    ADD COLUMN appointment_reminder_hours integer NOT NULL DEFAULT 24
        CONSTRAINT practices_appointment_reminder_hours CHECK (appointment_reminder_hours BETWEEN 1 AND 168);

ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind
    CHECK (kind IN ('homework-new', 'homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder'));
ALTER TABLE notification_opt_outs DROP CONSTRAINT notification_opt_outs_kind;
ALTER TABLE notification_opt_outs ADD CONSTRAINT notification_opt_outs_kind
    CHECK (kind IN ('homework-new', 'homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder'));

ALTER TABLE notification_outbox
    ADD COLUMN chart_kind text CONSTRAINT notification_outbox_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    ADD COLUMN chart_id uuid,
    ADD COLUMN assignment_id uuid,
    ADD COLUMN session_id uuid,
    ADD CONSTRAINT notification_outbox_chart_whole CHECK ((chart_kind IS NULL) = (chart_id IS NULL)),
    ADD CONSTRAINT notification_outbox_one_cause CHECK (num_nonnulls(assignment_id, session_id) <= 1);
CREATE INDEX notification_outbox_session ON notification_outbox (session_id) WHERE state = 'pending';

-- Queues `kind` about `about`, due at `due`, for each of `clients` that has a live portal account with
-- unrevoked access to the chart. Internal: called by the triggers below (no grant).
CREATE FUNCTION haven_notification_queue_chart(
    practice uuid,
    chart_kind text,
    chart uuid,
    clients uuid[],
    kind text,
    about timestamptz,
    due timestamptz,
    assignment uuid,
    session uuid
) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    queued integer;
BEGIN
    INSERT INTO notification_outbox
        (practice_id, account_id, kind, about_time, due_at, chart_kind, chart_id, assignment_id, session_id)
    SELECT practice, a.id, kind, about, due, haven_notification_queue_chart.chart_kind, chart, assignment, session
    FROM partner_accounts a
    JOIN partner_chart_access x ON x.account_id = a.id AND x.chart_kind = haven_notification_queue_chart.chart_kind
                               AND x.chart_id = chart AND x.revoked_at IS NULL
    WHERE a.practice_id = practice AND a.client_id = ANY (clients) AND a.disabled_at IS NULL;
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_queue_chart(uuid, text, uuid, uuid[], text, timestamptz, timestamptz, uuid, uuid)
    FROM PUBLIC;

-- 09:00 on `day` in the time zone `zone`: when a date's reminder goes out.
CREATE FUNCTION haven_notification_morning(day date, zone text) RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$ SELECT (day::timestamp + interval '9 hours') AT TIME ZONE zone $$;

CREATE FUNCTION haven_notification_on_assignment() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    zone text;
    clients uuid[];
    about timestamptz;
    due timestamptz;
BEGIN
    SELECT p.time_zone INTO zone FROM practices p WHERE p.id = NEW.practice_id;
    SELECT CASE WHEN NEW.partner_id IS NULL THEN ARRAY[c.partner_a_id, c.partner_b_id] ELSE ARRAY[NEW.partner_id] END
    INTO clients FROM couples c WHERE c.id = NEW.couple_id;
    -- The due date's start in the practice's zone (the message shows the date only).
    about := NEW.due_on::timestamp AT TIME ZONE zone;
    PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients, 'homework-new',
                                           about, now(), NEW.id, NULL);
    due := haven_notification_morning(NEW.due_on - 1, zone);
    IF NEW.due_on > NEW.assigned_on AND due > now() THEN
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients, 'homework-due',
                                               about, due, NEW.id, NULL);
    END IF;
    due := haven_notification_morning(NEW.due_on + 1, zone);
    IF due > now() THEN
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients,
                                               'homework-overdue', about, due, NEW.id, NULL);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_assignment() FROM PUBLIC;
CREATE TRIGGER homework_assignments_notify AFTER INSERT ON homework_assignments
    FOR EACH ROW EXECUTE FUNCTION haven_notification_on_assignment();

CREATE FUNCTION haven_notification_on_session() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    lead_hours integer;
    clients uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE notification_outbox
        SET state = 'skipped', finished_at = now(), last_error = 'superseded: the session moved or was cancelled'
        WHERE session_id = NEW.id AND state = 'pending';
    END IF;
    IF NEW.status <> 'scheduled' OR NEW.scheduled_start <= now() THEN
        RETURN NULL;
    END IF;
    SELECT p.appointment_reminder_hours INTO lead_hours FROM practices p WHERE p.id = NEW.practice_id;
    IF NEW.couple_id IS NOT NULL THEN
        SELECT ARRAY[c.partner_a_id, c.partner_b_id] INTO clients FROM couples c WHERE c.id = NEW.couple_id;
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients,
            'appointment-reminder', NEW.scheduled_start,
            greatest(now(), NEW.scheduled_start - make_interval(hours => lead_hours)), NULL, NEW.id);
    ELSE
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'client', NEW.client_id, ARRAY[NEW.client_id],
            'appointment-reminder', NEW.scheduled_start,
            greatest(now(), NEW.scheduled_start - make_interval(hours => lead_hours)), NULL, NEW.id);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_session() FROM PUBLIC;
CREATE TRIGGER therapy_sessions_notify_booked AFTER INSERT ON therapy_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_notification_on_session();
CREATE TRIGGER therapy_sessions_notify_changed AFTER UPDATE OF scheduled_start, status ON therapy_sessions
    FOR EACH ROW
    WHEN (OLD.scheduled_start IS DISTINCT FROM NEW.scheduled_start OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION haven_notification_on_session();
