-- 0051: review 10's findings 4-7 on the reminders of 0047 (issue #16; docs/portal.md "Reminders: the
-- outbox", docs/security.md "Residuals").
--
--   * finding 4: a session never changes chart (SessionService books, moves and sets the status of a
--     session, never its couple or client), so a chart change is refused outright, whoever writes it; the
--     sender also skips a session's reminder whose chart is no longer the session's ('superseded');
--   * finding 5: in safety mode (haven_couple_open_risk_note_in, the one rule) a joint assignment's
--     reminders are skipped at send time ('safety mode'); a conjoint appointment reminder still goes out
--     (it is about a session both attend, and says nothing of it but the time);
--   * finding 6: at most one appointment reminder is sent per session and account within 12 hours; a
--     later one inside that window (the session moved, or was cancelled and rebooked) is skipped
--     ('capped'), so changing a session cannot be turned into a stream of mail;
--   * finding 7: a pre-existing haven_notify role is adopted only when it is what 0047 would have
--     created: no SUPERUSER, BYPASSRLS or CREATEROLE, and a member of no role.

DO $$
DECLARE
    r pg_roles;
BEGIN
    SELECT * INTO r FROM pg_roles WHERE rolname = 'haven_notify';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the role haven_notify is missing (0047 creates it)';
    END IF;
    IF r.rolsuper OR r.rolbypassrls OR r.rolcreaterole THEN
        RAISE EXCEPTION 'the role haven_notify must not be SUPERUSER, BYPASSRLS or CREATEROLE: it only sends reminders'
            USING HINT = 'ALTER ROLE haven_notify NOSUPERUSER NOBYPASSRLS NOCREATEROLE, then migrate again';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) THEN
        RAISE EXCEPTION 'the role haven_notify must be a member of no role: it would inherit their privileges'
            USING HINT = 'REVOKE those roles FROM haven_notify, then migrate again';
    END IF;
END
$$;

-- Finding 4: a session's chart is fixed once it is booked (its notes, homework and reminders name it).
CREATE FUNCTION haven_session_keep_chart() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'a session''s couple or client cannot change: cancel it and book one for the other chart'
        USING ERRCODE = 'check_violation';
END
$$;
REVOKE ALL ON FUNCTION haven_session_keep_chart() FROM PUBLIC;
CREATE TRIGGER therapy_sessions_keep_chart BEFORE UPDATE OF couple_id, client_id ON therapy_sessions
    FOR EACH ROW
    WHEN (OLD.couple_id IS DISTINCT FROM NEW.couple_id OR OLD.client_id IS DISTINCT FROM NEW.client_id)
    EXECUTE FUNCTION haven_session_keep_chart();

-- Why a due row must not be sent now, or NULL: the sender's checks at send time, in one place (0047's,
-- with the chart, safety mode and the appointment cap added).
CREATE OR REPLACE FUNCTION haven_notification_skip_reason(o notification_outbox, a partner_accounts) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM notification_opt_outs n
                     WHERE n.practice_id = o.practice_id AND n.kind = o.kind
                       AND (n.account_id IS NULL OR n.account_id = o.account_id))
            THEN 'opted out'
        WHEN a.disabled_at IS NOT NULL
             OR NOT EXISTS (SELECT 1 FROM partner_chart_access x
                            WHERE x.account_id = a.id AND x.revoked_at IS NULL
                              AND (o.chart_id IS NULL OR (x.chart_kind = o.chart_kind AND x.chart_id = o.chart_id)))
            THEN 'no portal access'
        WHEN o.session_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM therapy_sessions s
                             WHERE s.id = o.session_id AND s.status = 'scheduled' AND s.scheduled_start = o.about_time
                               AND (o.chart_id IS NULL OR coalesce(s.couple_id, s.client_id) = o.chart_id))
            THEN 'superseded'
        WHEN o.assignment_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM homework_assignments h WHERE h.id = o.assignment_id)
            THEN 'withdrawn'
        WHEN o.chart_kind = 'couple'
             AND EXISTS (SELECT 1 FROM homework_assignments h WHERE h.id = o.assignment_id AND h.partner_id IS NULL)
             AND haven_couple_open_risk_note_in(o.practice_id, o.chart_id) IS NOT NULL
            THEN 'safety mode'
        WHEN o.kind IN ('homework-due', 'homework-overdue')
             AND EXISTS (SELECT 1 FROM homework_responses r
                         WHERE r.assignment_id = o.assignment_id AND r.partner_id = a.client_id)
            THEN 'answered'
        WHEN o.kind = 'appointment-reminder'
             AND EXISTS (SELECT 1 FROM notification_outbox p
                         WHERE p.session_id = o.session_id AND p.account_id = o.account_id AND p.id <> o.id
                           AND p.kind = 'appointment-reminder'
                           AND (p.state = 'sending'
                                OR (p.state IN ('sent', 'uncertain') AND p.finished_at > now() - interval '12 hours')))
            THEN 'capped'
        WHEN a.email IS NULL THEN 'no address'
    END
$$;
