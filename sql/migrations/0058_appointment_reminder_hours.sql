-- 0058: the practice chooses how many hours before an appointment its reminder goes out (issue #16,
-- "appointment reminders (the practice chooses hours before)"; docs/portal.md "Reminders: the outbox").
-- 0047 added practices.appointment_reminder_hours (1 to 168, default 24) and queued every appointment
-- reminder that many hours ahead, but nothing could change it short of the owner's SQL. An admin now sets
-- it from /admin/reminders, audited `practice.reminder_hours.set` (a refusal audited as denied, as the
-- other admin functions of 0040 and 0048); the appointment reminders still waiting are re-timed to the
-- new lead at once (a reminder whose new time has passed goes out at the sender's next round; one waiting
-- out a retry's backoff keeps it).

CREATE FUNCTION haven_admin_practice_set_reminder_hours(hours integer) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, NULL);
BEGIN
    IF result IS NULL AND (hours IS NULL OR hours NOT BETWEEN 1 AND 168) THEN
        result := 'invalid';
    END IF;
    IF result IS NULL THEN
        UPDATE practices SET appointment_reminder_hours = hours WHERE id = ctx.practice_id;
        UPDATE notification_outbox o
        SET due_at = greatest(now(), o.about_time - make_interval(hours => hours))
        WHERE o.practice_id = ctx.practice_id AND o.kind = 'appointment-reminder' AND o.state = 'pending'
          AND o.attempts = 0;
        result := 'done';
    END IF;
    PERFORM haven_admin_audit(ctx, 'practice.reminder_hours.set', 'practice', ctx.practice_id,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION haven_admin_practice_set_reminder_hours(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_admin_practice_set_reminder_hours(integer) TO haven_app;
