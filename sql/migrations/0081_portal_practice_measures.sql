-- 0081: a practice's own measure on the portal (issue #16: "the CSI-4 (or CSI-16/32, or a practice measure)
-- item by item on the portal when the counselor scheduled it").
--
-- Until now haven_measure_schedule (0055) took only the built-in CSI forms: a practice's own measure (a
-- measure_definitions row of the practice, scoring 'single_score') stores a total and its range, no items,
-- so the portal had nothing to ask item by item. It is now asked as what it is, one number within its
-- stored [minimum, maximum]:
--   * haven_measure_schedule also takes a single-score definition of the caller's own practice (never
--     another practice's: 'invalid', as for a form that is none);
--   * haven_portal_measures_due() and haven_portal_measure_trend() also return the definition's id, name,
--     scoring and range, so the portal names the measure and states its range (a partner context reads no
--     practice definition by policy: it learns the name and range of a measure scheduled for them only);
--   * haven_portal_submit_measure checks a single-score answer in the database as it checks the CSI items
--     (0060): no items, and a total within the definition's range (NaN and the infinities are outside it);
--     anything else is 'invalid', audited as denied, and writes nothing. As for the CSI, the answer is a
--     measure administration of that partner, one per due item, final once submitted;
--   * the trigger of 0060 also holds every new single-score administration, whoever writes it, to its
--     definition's range (the counselor's MeasureService.record checked it in Swift only).
-- The trend, the reminders and the counselor's chart need nothing new: they read schedules and
-- administrations whatever the definition.

-- Whether `total` is an answer the single-score definition `d` takes: a number within [minimum, maximum].
-- False (never NULL) for anything else, NaN and the infinities included. Internal.
CREATE FUNCTION haven_single_score_valid(d measure_definitions, total double precision) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = public, pg_temp
    AS $$
    SELECT coalesce(d.scoring = 'single_score' AND total >= d.minimum AND total <= d.maximum
                    AND total <> 'NaN'::double precision, false)
$$;
REVOKE ALL ON FUNCTION haven_single_score_valid(measure_definitions, double precision) FROM PUBLIC;

-- 0060's trigger with the single-score rule: a new administration of a practice measure lies within its
-- definition's range. (Rows already stored are not re-checked: the trigger fires on INSERT only.)
CREATE OR REPLACE FUNCTION haven_measure_items_of_form() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    d measure_definitions;
BEGIN
    SELECT * INTO d FROM measure_definitions m WHERE m.id = NEW.definition_id;
    IF d.scoring IN ('csi4', 'csi16', 'csi32')
       AND NOT (haven_csi_items_valid(d.code, NEW.items)
                AND (SELECT sum(i) FROM unnest(NEW.items) i) = NEW.total) THEN
        RAISE EXCEPTION 'a CSI administration holds the form''s items, each within its range, adding up to its total'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'measure_administrations_items_of_form';
    END IF;
    IF d.scoring = 'single_score' AND NOT haven_single_score_valid(d, NEW.total) THEN
        RAISE EXCEPTION 'a practice measure''s administration lies within the measure''s range'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'measure_administrations_score_in_range';
    END IF;
    RETURN NULL;
END
$$;

-- 0055's function, also taking a single-score definition of the caller's practice. Answers 'done' with the
-- schedule's id, or 'invalid' (a cadence, or a form that is neither a built-in CSI form nor a measure of
-- the practice, or a partner not of the couple), 'not-found' (no such couple in the caseload); audited
-- `measure.schedule` either way.
CREATE OR REPLACE FUNCTION haven_measure_schedule(couple uuid, partner uuid, definition uuid, cadence text,
                                                  show_trend boolean)
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
          OR NOT EXISTS (SELECT 1 FROM measure_definitions d
                         WHERE d.id = definition
                           AND (d.practice_id IS NULL AND d.scoring IN ('csi4', 'csi16', 'csi32')
                                OR d.practice_id = ctx.practice_id AND d.scoring = 'single_score')) THEN
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

-- The partner's own measures due now (0055), with what the portal states of each: the definition's id,
-- name, scoring and range (for a CSI form its total's range; the items' ranges are the form's, in
-- HavenCore). Only measures scheduled for this partner or both are rows, so a partner learns the name and
-- range of no other measure of the practice.
DROP FUNCTION haven_portal_measures_due();
CREATE FUNCTION haven_portal_measures_due()
    RETURNS TABLE (schedule_id uuid, code text, due_before timestamptz, time_zone text, definition_id uuid,
                   name text, scoring text, minimum double precision, maximum double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
        SELECT d.schedule_id, d.code, d.due_before, p.time_zone, m.id, m.name, m.scoring, m.minimum, m.maximum
        FROM haven_portal_measures_due_in(ctx) d
        JOIN practices p ON p.id = ctx.partner_practice_id
        JOIN measure_definitions m ON m.id = d.definition_id
        WHERE NOT d.answered;
END
$$;

-- The partner's own live answers on this chart's schedules, for the measures whose live schedule for them
-- allows the trend (0055), with the definition's id, name, scoring and range.
DROP FUNCTION haven_portal_measure_trend();
CREATE FUNCTION haven_portal_measure_trend()
    RETURNS TABLE (code text, administered_on date, total double precision, definition_id uuid, name text,
                   scoring text, minimum double precision, maximum double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    couple uuid := haven_portal_couple(ctx);
BEGIN
    RETURN QUERY
        SELECT d.code, a.administered_on, a.total, d.id, d.name, d.scoring, d.minimum, d.maximum
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
        ORDER BY d.code, d.id, a.administered_on, a.created_at, a.id;
END
$$;

-- 0060's function with the single-score rule. Submits the partner's answer to their due item of `schedule`
-- as a measure administration `administration` of that partner (today in the practice's time zone, the
-- couple's counselor as its counselor). The server scored it (HavenCore for a CSI form; a practice
-- measure's score is the number given); the database checks it again: a CSI form's items
-- (haven_csi_items_valid) adding up to the total within the form's range, or, for a practice measure, no
-- items and a total within the measure's range (haven_single_score_valid).
-- Answers, auditing `portal.measure.submit` (the partner as actor, the chart's clients):
--   'submitted'  done;
--   'answered'   this due item was answered already (final: no second answer, no change);
--   'not-found'  nothing of `schedule` is due from this partner (the same for the other partner's item
--                as for none);
--   'invalid'    not an answer the measure takes.
-- Safety mode does not stop it: a partner's own measure reaches the counselor only.
CREATE OR REPLACE FUNCTION haven_portal_submit_measure(schedule uuid, administration uuid, items smallint[],
                                                       total double precision)
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
        IF coalesce(CASE WHEN definition.scoring = 'single_score'
                             THEN items IS NULL OR cardinality(items) <> 0
                                  OR NOT haven_single_score_valid(definition, total)
                         ELSE total IS NULL OR NOT haven_csi_items_valid(definition.code, items)
                              OR (SELECT sum(i) FROM unnest(items) i) <> total
                              OR total < definition.minimum OR total > definition.maximum END, true) THEN
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

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['haven_portal_measures_due()', 'haven_portal_measure_trend()'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
