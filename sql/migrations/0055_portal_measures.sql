-- 0055: measures on the portal (issue #16, step 4 of docs/portal.md). The counselor schedules a CSI form
-- for a couple's partner (or both): once, before every session, or before every other session; the
-- partner answers it on the portal, item by item, scored by the server (the counselor's own scoring code,
-- HavenCore's CouplesSatisfactionIndex), and the answer becomes a measure administration of that partner,
-- final once submitted (no UPDATE reach; a correction is the counselor's void, migration 0033).
--
-- haven_app has no privilege on measure_schedules from a partner context (the staff policy reads the
-- staff readers, NULL there) and none on measure_administrations either: the partner reaches only
-- haven_portal_measures_due(), haven_portal_measure_trend() and haven_portal_submit_measure(), each from
-- their own context (haven_context_partner(), derived from the live session).

CREATE TABLE measure_schedules (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    couple_id uuid NOT NULL,
    -- NULL: each partner answers their own.
    partner_id uuid,
    definition_id uuid NOT NULL REFERENCES measure_definitions (id),
    cadence text NOT NULL CONSTRAINT measure_schedules_cadence
        CHECK (cadence IN ('once', 'every_session', 'every_other_session')),
    -- The partner may see their own series of this form on the portal.
    show_trend boolean NOT NULL DEFAULT false,
    counselor_id uuid NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    ended_by uuid,
    CONSTRAINT measure_schedules_end_complete CHECK ((ended_at IS NULL) = (ended_by IS NULL)),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id),
    FOREIGN KEY (practice_id, partner_id) REFERENCES clients (practice_id, id)
);
CREATE INDEX measure_schedules_couple ON measure_schedules (practice_id, couple_id) WHERE ended_at IS NULL;
ALTER TABLE measure_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE measure_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY measure_schedules_owner ON measure_schedules TO CURRENT_USER USING (true) WITH CHECK (true);
-- The counselor's chart lists its schedules (staff readers: nothing in a partner context). Writes go
-- through haven_measure_schedule() and haven_measure_schedule_end(), which audit.
CREATE POLICY measure_schedules_caseload ON measure_schedules FOR SELECT TO haven_app
    USING (practice_id = (SELECT haven_current_practice())
           AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]));
GRANT SELECT ON measure_schedules TO haven_app;

-- A measure answered on the portal names its schedule and the session it was due before (NULL for a
-- form scheduled once). One live answer per partner and due item: a second submit is refused, also
-- under a race; a voided one makes the item due again.
ALTER TABLE measure_administrations
    ADD COLUMN schedule_id uuid REFERENCES measure_schedules (id),
    ADD COLUMN due_session_id uuid REFERENCES therapy_sessions (id),
    ADD CONSTRAINT measure_administrations_due_needs_schedule CHECK (due_session_id IS NULL OR schedule_id IS NOT NULL);
CREATE UNIQUE INDEX measure_administrations_one_per_due ON measure_administrations (schedule_id, client_id, due_session_id)
    NULLS NOT DISTINCT WHERE schedule_id IS NOT NULL AND voided_at IS NULL;
-- Only haven_portal_submit_measure (as the owner) writes a row that names a schedule: the app role's own
-- INSERT (a counselor's measure) names none, so a staff context cannot file a "from the portal" answer the
-- partner never gave (review 11, finding 2). Its UPDATE reach is the void columns alone (0033).
CREATE POLICY measure_administrations_portal_by_function ON measure_administrations AS RESTRICTIVE FOR INSERT
    TO haven_app WITH CHECK (schedule_id IS NULL AND due_session_id IS NULL);

-- ---------------------------------------------------------------------------------------------------
-- The counselor's side (staff context, the caseload's own couple). Answers 'done' with the schedule's
-- id, or 'invalid' (a cadence or form that is not one of the CSI forms, or a partner not of the couple),
-- 'not-found' (no such couple in the caseload); audited `measure.schedule` either way.
CREATE FUNCTION haven_measure_schedule(couple uuid, partner uuid, definition uuid, cadence text, show_trend boolean)
    RETURNS TABLE (result text, id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    c couples;
    outcome text;
    made uuid;
BEGIN
    SELECT * INTO c FROM couples k WHERE k.practice_id = ctx.practice_id AND k.id = couple;
    IF NOT FOUND OR NOT haven_couple_in_caseload(couple) THEN
        outcome := 'not-found';
    ELSIF cadence IS NULL OR cadence NOT IN ('once', 'every_session', 'every_other_session') OR show_trend IS NULL
          OR (partner IS NOT NULL AND partner NOT IN (c.partner_a_id, c.partner_b_id))
          OR NOT EXISTS (SELECT 1 FROM measure_definitions d WHERE d.id = definition AND d.practice_id IS NULL
                         AND d.scoring IN ('csi4', 'csi16', 'csi32')) THEN
        outcome := 'invalid';
    ELSE
        made := gen_random_uuid();
        INSERT INTO measure_schedules (id, practice_id, couple_id, partner_id, definition_id, cadence, show_trend,
                                       counselor_id, created_by)
        VALUES (made, ctx.practice_id, couple, partner, definition, cadence, show_trend, c.counselor_id,
                ctx.staff_id);
        outcome := 'done';
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'measure.schedule', 'couple', couple,
                              CASE WHEN outcome = 'not-found' THEN '{}'
                                   ELSE haven_portal_chart_clients(ctx.practice_id, 'couple', couple) END,
                              CASE WHEN outcome = 'done' THEN 'success' ELSE 'denied' END, NULL);
    RETURN QUERY SELECT outcome, made;
END
$$;

-- Ends a schedule of the caseload's couple: nothing more is due from it (what was answered stays).
-- Answers 'done' or 'not-found' (none in the caseload, or already ended); audited `measure.schedule.end`.
CREATE FUNCTION haven_measure_schedule_end(schedule uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    s measure_schedules;
BEGIN
    UPDATE measure_schedules m SET ended_at = now(), ended_by = ctx.staff_id
    WHERE m.id = schedule AND m.practice_id = ctx.practice_id AND m.ended_at IS NULL
      AND haven_couple_in_caseload(m.couple_id)
    RETURNING * INTO s;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'measure.schedule.end', CASE WHEN s.id IS NOT NULL THEN 'couple' END,
                              s.couple_id,
                              CASE WHEN s.id IS NULL THEN '{}'
                                   ELSE haven_portal_chart_clients(ctx.practice_id, 'couple', s.couple_id) END,
                              CASE WHEN s.id IS NULL THEN 'denied' ELSE 'success' END, NULL);
    RETURN CASE WHEN s.id IS NULL THEN 'not-found' ELSE 'done' END;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- What is due from the partner of `ctx` on the chosen couple chart (internal): each live schedule for
-- them or both, with the session it is due before (NULL for 'once') and whether they answered it.
--   once                 due until answered, whether or not a session is booked;
--   every_session        due before the chart's next session the partner attends;
--   every_other_session  due before the first such session after scheduling, then every second one
--                        (sessions counted from the schedule's creation, cancelled ones not counted).
CREATE FUNCTION haven_portal_measures_due_in(ctx request_contexts)
    RETURNS TABLE (schedule_id uuid, definition_id uuid, code text, due_session_id uuid, due_before timestamptz,
                   answered boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    couple uuid := haven_portal_couple(ctx);
    upcoming therapy_sessions;
BEGIN
    IF couple IS NULL THEN
        RETURN;
    END IF;
    SELECT s.* INTO upcoming FROM therapy_sessions s
    WHERE s.practice_id = ctx.partner_practice_id AND s.key_subject = ctx.partner_chart
      AND s.status = 'scheduled' AND s.scheduled_start > now()
      AND (s.couple_id IS NOT NULL OR ctx.partner_client_id = ANY (s.attendee_ids) OR s.client_id = ctx.partner_client_id)
    ORDER BY s.scheduled_start
    LIMIT 1;
    RETURN QUERY
        WITH due AS (
            SELECT m.id, m.definition_id, d.code,
                   CASE WHEN m.cadence = 'once' THEN NULL ELSE upcoming.id END AS session_id
            FROM measure_schedules m JOIN measure_definitions d ON d.id = m.definition_id
            WHERE m.practice_id = ctx.partner_practice_id AND m.couple_id = couple AND m.ended_at IS NULL
              AND (m.partner_id IS NULL OR m.partner_id = ctx.partner_client_id)
              AND (m.cadence = 'once'
                   OR upcoming.id IS NOT NULL AND m.cadence = 'every_session'
                   OR upcoming.id IS NOT NULL AND m.cadence = 'every_other_session'
                      AND (SELECT count(*) FROM therapy_sessions s
                           WHERE s.practice_id = ctx.partner_practice_id AND s.key_subject = ctx.partner_chart
                             AND s.status NOT IN ('cancelled', 'late_cancelled')
                             AND s.scheduled_start >= m.created_at AND s.scheduled_start <= upcoming.scheduled_start)
                          % 2 = 1)
        )
        SELECT due.id, due.definition_id, due.code, due.session_id, upcoming.scheduled_start,
               EXISTS (SELECT 1 FROM measure_administrations a
                       WHERE a.schedule_id = due.id AND a.client_id = ctx.partner_client_id AND a.voided_at IS NULL
                         AND a.due_session_id IS NOT DISTINCT FROM due.session_id)
        FROM due
        ORDER BY due.code, due.id;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_measures_due_in(request_contexts) FROM PUBLIC;

-- The partner's own measures due now (not yet answered): the schedule's id (the portal's address of the
-- item), the form's code, the next session's start and the practice's time zone (to state its day). The
-- other partner's items are not rows here.
CREATE FUNCTION haven_portal_measures_due()
    RETURNS TABLE (schedule_id uuid, code text, due_before timestamptz, time_zone text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
        SELECT d.schedule_id, d.code, d.due_before, p.time_zone
        FROM haven_portal_measures_due_in(ctx) d JOIN practices p ON p.id = ctx.partner_practice_id
        WHERE NOT d.answered;
END
$$;

-- The partner's own live answers on this chart's schedules, for the forms whose live schedule for them
-- allows the trend (show_trend); nothing else (no other partner, no measure the counselor recorded).
CREATE FUNCTION haven_portal_measure_trend()
    RETURNS TABLE (code text, administered_on date, total double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    couple uuid := haven_portal_couple(ctx);
BEGIN
    RETURN QUERY
        SELECT d.code, a.administered_on, a.total
        FROM measure_administrations a
        JOIN measure_schedules m ON m.id = a.schedule_id
        JOIN measure_definitions d ON d.id = a.definition_id
        WHERE couple IS NOT NULL AND a.practice_id = ctx.partner_practice_id
          AND a.client_id = ctx.partner_client_id AND a.voided_at IS NULL
          AND m.couple_id = couple
          AND EXISTS (SELECT 1 FROM measure_schedules t
                      WHERE t.practice_id = ctx.partner_practice_id AND t.couple_id = couple AND t.ended_at IS NULL
                        AND t.definition_id = a.definition_id AND t.show_trend
                        AND (t.partner_id IS NULL OR t.partner_id = ctx.partner_client_id))
        ORDER BY d.code, a.administered_on, a.created_at, a.id;
END
$$;

-- Submits the partner's answer to their due item of `schedule` as a measure administration `administration`
-- of that partner (today in the practice's time zone, the couple's counselor as its counselor). The server
-- scored `items` (HavenCore); the database checks only that the total is their sum within the form's range.
-- Answers, auditing `portal.measure.submit` (the partner as actor, the chart's clients):
--   'submitted'  done;
--   'answered'   this due item was answered already (final: no second answer, no change);
--   'not-found'  nothing of `schedule` is due from this partner (the same for the other partner's item
--                as for none);
--   'invalid'    items and total do not agree, or fall outside the form's range.
-- Safety mode does not stop it: a partner's own measure reaches the counselor only.
CREATE FUNCTION haven_portal_submit_measure(schedule uuid, administration uuid, items smallint[], total double precision)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    due record;
    definition measure_definitions;
    outcome text;
BEGIN
    SELECT * INTO due FROM haven_portal_measures_due_in(ctx) d WHERE d.schedule_id = schedule;
    IF NOT FOUND THEN
        outcome := 'not-found';
    ELSIF due.answered THEN
        outcome := 'answered';
    ELSE
        SELECT * INTO definition FROM measure_definitions d WHERE d.id = due.definition_id;
        IF items IS NULL OR total IS NULL OR cardinality(items) = 0
           OR EXISTS (SELECT 1 FROM unnest(items) i WHERE i IS NULL OR i < 0)
           OR (SELECT sum(i) FROM unnest(items) i) <> total
           OR total < definition.minimum OR total > definition.maximum THEN
            outcome := 'invalid';
        ELSE
            BEGIN
                INSERT INTO measure_administrations (id, practice_id, definition_id, client_id, counselor_id,
                                                     administered_on, items, total, schedule_id, due_session_id)
                SELECT administration, ctx.partner_practice_id, due.definition_id, ctx.partner_client_id,
                       m.counselor_id, (now() AT TIME ZONE p.time_zone)::date, items, total, m.id, due.due_session_id
                FROM measure_schedules m JOIN practices p ON p.id = m.practice_id
                WHERE m.id = schedule;
                outcome := 'submitted';
            EXCEPTION
                WHEN unique_violation THEN
                    outcome := 'answered';
            END;
        END IF;
    END IF;
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id,
                              'portal.measure.submit', CASE WHEN outcome = 'submitted' THEN 'measure' END,
                              CASE WHEN outcome = 'submitted' THEN administration END,
                              coalesce(haven_portal_chart_clients(ctx.partner_practice_id, 'couple',
                                                                  haven_portal_couple(ctx)), '{}'),
                              CASE WHEN outcome = 'submitted' THEN 'success' ELSE 'denied' END, NULL,
                              ctx.partner_client_id);
    RETURN outcome;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Measure-due reminders through the outbox (migrations 0044 and 0047): one "a questionnaire is waiting"
-- message per partner before a session of the couple, two days ahead (now, when the session is nearer),
-- for each partner with a live schedule for them or both and live portal access. Queued by triggers, as
-- the other causes: a session booked or moved (0047's trigger has just marked the old one superseded),
-- and a schedule made (for each session already booked ahead). The row names the session and the chart;
-- whether a questionnaire is still waiting is decided at send time (haven_notification_skip_reason:
-- 'answered' when nothing is due from the partner before that session), so no message says more than
-- its fixed template: the practice's name, the session's day and time, the link. The partner's and the
-- practice's opt-outs of 'measure-due' apply as for every kind.

-- Queues measure-due before `booked` (a couple's session scheduled ahead) for each partner it concerns
-- who has no pending one for it. Internal (no grant).
CREATE FUNCTION haven_notification_queue_measure(booked therapy_sessions) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    c couples;
    clients uuid[];
BEGIN
    IF booked.couple_id IS NULL OR booked.status <> 'scheduled' OR booked.scheduled_start <= now() THEN
        RETURN 0;
    END IF;
    SELECT k.* INTO c FROM couples k WHERE k.practice_id = booked.practice_id AND k.id = booked.couple_id;
    SELECT coalesce(array_agg(p.client), '{}') INTO clients
    FROM unnest(ARRAY[c.partner_a_id, c.partner_b_id]) AS p (client)
    WHERE EXISTS (SELECT 1 FROM measure_schedules m
                  WHERE m.practice_id = c.practice_id AND m.couple_id = c.id AND m.ended_at IS NULL
                    AND (m.partner_id IS NULL OR m.partner_id = p.client))
      AND NOT EXISTS (SELECT 1 FROM notification_outbox o JOIN partner_accounts a ON a.id = o.account_id
                      WHERE o.session_id = booked.id AND o.kind = 'measure-due' AND o.state = 'pending'
                        AND a.client_id = p.client);
    IF cardinality(clients) = 0 THEN
        RETURN 0;
    END IF;
    RETURN haven_notification_queue_chart(booked.practice_id, 'couple', c.id, clients, 'measure-due',
        booked.scheduled_start, greatest(now(), booked.scheduled_start - interval '2 days'), NULL, booked.id);
END
$$;
REVOKE ALL ON FUNCTION haven_notification_queue_measure(therapy_sessions) FROM PUBLIC;

CREATE FUNCTION haven_notification_on_measure_session() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM haven_notification_queue_measure(NEW);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_measure_session() FROM PUBLIC;
-- Named to fire after 0047's therapy_sessions_notify_booked / _changed (triggers fire by name).
CREATE TRIGGER therapy_sessions_notify_measure AFTER INSERT OR UPDATE OF scheduled_start, status ON therapy_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_notification_on_measure_session();

CREATE FUNCTION haven_notification_on_measure_schedule() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    booked therapy_sessions;
BEGIN
    FOR booked IN
        SELECT s.* FROM therapy_sessions s
        WHERE s.practice_id = NEW.practice_id AND s.couple_id = NEW.couple_id AND s.status = 'scheduled'
          AND s.scheduled_start > now()
        ORDER BY s.scheduled_start
    LOOP
        PERFORM haven_notification_queue_measure(booked);
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_measure_schedule() FROM PUBLIC;
CREATE TRIGGER measure_schedules_notify AFTER INSERT ON measure_schedules
    FOR EACH ROW EXECUTE FUNCTION haven_notification_on_measure_schedule();

-- Whether a questionnaire is still waiting from the row's partner before the row's session (or one
-- scheduled once): the portal's own rule (haven_portal_measures_due_in), asked for that partner and
-- chart at send time. Internal.
CREATE FUNCTION haven_notification_measure_waiting(o notification_outbox, a partner_accounts) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    IF o.chart_kind IS DISTINCT FROM 'couple' THEN
        RETURN false;
    END IF;
    ctx.partner_practice_id := o.practice_id;
    ctx.partner_client_id := a.client_id;
    ctx.partner_chart := 'couple:' || o.chart_id::text;
    RETURN EXISTS (SELECT 1 FROM haven_portal_measures_due_in(ctx) d
                   WHERE NOT d.answered AND (d.due_session_id = o.session_id OR d.due_session_id IS NULL));
END
$$;
REVOKE ALL ON FUNCTION haven_notification_measure_waiting(notification_outbox, partner_accounts) FROM PUBLIC;

-- Why a due row must not be sent now, or NULL (0051's checks, in one place): a measure-due row also when
-- no questionnaire is waiting from the partner before its session any more.
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
        WHEN o.kind = 'measure-due' AND NOT haven_notification_measure_waiting(o, a)
            THEN 'answered'
        WHEN a.email IS NULL THEN 'no address'
    END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'haven_measure_schedule(uuid, uuid, uuid, text, boolean)', 'haven_measure_schedule_end(uuid)',
        'haven_portal_measures_due()', 'haven_portal_measure_trend()',
        'haven_portal_submit_measure(uuid, uuid, smallint[], double precision)'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
