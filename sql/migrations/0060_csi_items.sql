-- 0060: a CSI administration's items are checked in the database (issue #16; review 11, finding 3).
-- haven_portal_submit_measure (0055) checked only that the items were not negative and added up to a total
-- within the form's range, so with the haven_app password and a partner's session one could file, for that
-- partner, a CSI-4 answer of 3 or 40 items, or an item of 99 (with a total still in range). The forms' rule
-- (HavenCore's CouplesSatisfactionIndex: CSI-4, CSI-16 and CSI-32 have 4, 16 and 32 items, item 1 is scored
-- 0-6 and every other item 0-5) is now one SQL function, haven_csi_items_valid, which
--   * haven_portal_submit_measure asks before it writes (an answer no form has is 'invalid', as before for
--     a total that does not add up), and
--   * a trigger on measure_administrations asks for every new row of a CSI definition, whoever writes it:
--     a counselor's measure (MeasureService.record, which scores the same items in Swift first) or the
--     owner's SQL. The row's items must be valid for the form and add up to its total.
-- MeasureItemRuleTests compares the SQL rule with CouplesSatisfactionIndex for every form, item by item,
-- just inside and just outside each bound, so the two cannot drift apart.
--
-- Why the trigger is safe for the data: every CSI row Haven ever wrote came from its items
-- (MeasureService.record has scored CSI forms from items since 0015; the portal since 0055), and no
-- CSI total is ever recorded without items. Rows already stored are not re-checked: the trigger fires on
-- INSERT only (an administration is never changed: 0033's trigger allows an UPDATE of the void columns
-- alone), and a dump restores its data before its triggers. A row written by raw SQL before 0060 stays as it
-- was; the counselor's void (0033) is how a wrong one leaves the trend. Practice-defined measures
-- ('single_score') have no items and are not touched.
--
-- The trigger fires AFTER the row is inserted, so the row-level security check (who may write it) answers
-- first: a writer without reach is refused with 42501 whatever the row holds, as before; only a writer
-- with reach learns that the items are wrong (23514).

-- Whether `items` is an answer the CSI form `form` ('CSI-4', 'CSI-16' or 'CSI-32': the built-in
-- definitions' codes and CouplesSatisfactionIndex's raw values) takes: one dimension, the form's item count,
-- item 1 in 0-6 and every other item in 0-5, no NULL. False (never NULL) for anything else, an unknown form
-- included. Internal: the portal's submit and the trigger below call it.
CREATE FUNCTION haven_csi_items_valid(form text, items smallint[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = public, pg_temp
    AS $$
    SELECT coalesce(
        array_ndims(items) = 1
        AND cardinality(items) = CASE form WHEN 'CSI-4' THEN 4 WHEN 'CSI-16' THEN 16 WHEN 'CSI-32' THEN 32 END
        AND NOT EXISTS (SELECT 1 FROM unnest(items) WITH ORDINALITY AS i (response, n)
                        WHERE i.response IS NULL OR i.response < 0
                           OR i.response > CASE WHEN i.n = 1 THEN 6 ELSE 5 END),
        false)
$$;
REVOKE ALL ON FUNCTION haven_csi_items_valid(text, smallint[]) FROM PUBLIC;

-- A new administration of a CSI definition (scoring csi4/csi16/csi32) holds an answer its form takes,
-- adding up to its total; check_violation otherwise. SECURITY DEFINER so that the definition is read
-- whatever the writer's policies let it see.
CREATE FUNCTION haven_measure_items_of_form() RETURNS trigger
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
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_measure_items_of_form() FROM PUBLIC;
CREATE TRIGGER measure_administrations_items_of_form AFTER INSERT ON measure_administrations
    FOR EACH ROW EXECUTE FUNCTION haven_measure_items_of_form();

-- 0055's function with the forms' rule: 'invalid' also for an item list the form does not take (a wrong
-- count, an item outside its range). Everything else as in 0055.
--
-- Submits the partner's answer to their due item of `schedule` as a measure administration `administration`
-- of that partner (today in the practice's time zone, the couple's counselor as its counselor). The server
-- scored `items` (HavenCore); the database checks them again (haven_csi_items_valid) and that the total is
-- their sum within the form's range.
-- Answers, auditing `portal.measure.submit` (the partner as actor, the chart's clients):
--   'submitted'  done;
--   'answered'   this due item was answered already (final: no second answer, no change);
--   'not-found'  nothing of `schedule` is due from this partner (the same for the other partner's item
--                as for none);
--   'invalid'    the items are not an answer the form takes, or they and the total do not agree, or the
--                total falls outside the form's range.
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
        IF total IS NULL OR NOT haven_csi_items_valid(definition.code, items)
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
REVOKE ALL ON FUNCTION haven_portal_submit_measure(uuid, uuid, smallint[], double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_submit_measure(uuid, uuid, smallint[], double precision) TO haven_app;
