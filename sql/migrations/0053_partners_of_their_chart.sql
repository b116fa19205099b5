-- 0053: a partner named on a clinical row is one of that row's chart's people, and an answer belongs to
-- its assignment's chart (docs/security.md, "What the database itself guarantees").
--
-- The services checked these (HomeworkService.assign, MeasureService.rateARE, CycleMapService,
-- CoupleRecordService, NoteService.validate and haven_note_write_draft), the database did not: with the
-- app role's password, a counselor whose caseload holds two couples could address one couple's
-- assignment to the other couple's partner (whose reminders the 0047 trigger would then queue), file an
-- answer of couple X's assignment under couple Y's key subject (where Y's portal reads answers), or
-- record a cycle map, an injury, an A.R.E. rating or a note's step 5-7 partner for someone outside the
-- chart. Each table now refuses such a row, whoever writes it, with check_violation (23514).
--
-- The trigger functions are SECURITY DEFINER so that the check does not depend on what the writer's
-- row-level security lets it see (a writer who cannot see the couple is refused, not waved through); a
-- trigger function cannot be called outside its trigger, so nothing new is callable. The chart's people
-- come from the one existing rule, haven_portal_chart_clients.

-- homework_assignments: one partner of the couple, or NULL for both.
CREATE FUNCTION haven_assignment_partner_in_couple() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT NEW.partner_id = ANY (haven_portal_chart_clients(NEW.practice_id, 'couple', NEW.couple_id)) THEN
        RAISE EXCEPTION 'an assignment''s partner must be one of its couple''s partners'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_assignment_partner_in_couple() FROM PUBLIC;
CREATE TRIGGER homework_assignments_partner_in_couple BEFORE INSERT OR UPDATE OF practice_id, couple_id, partner_id
    ON homework_assignments
    FOR EACH ROW WHEN (NEW.partner_id IS NOT NULL)
    EXECUTE FUNCTION haven_assignment_partner_in_couple();

-- homework_responses and portal_answer_drafts: the assignment's practice and key subject, and a partner
-- the assignment is for (its partner, or either partner of the couple when it is for both).
CREATE FUNCTION haven_answer_of_assignment() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    a homework_assignments;
BEGIN
    SELECT * INTO a FROM homework_assignments h WHERE h.id = NEW.assignment_id;
    IF NOT FOUND OR a.practice_id <> NEW.practice_id OR a.key_subject <> NEW.key_subject
       OR NOT NEW.partner_id = ANY (CASE WHEN a.partner_id IS NULL
                                         THEN haven_portal_chart_clients(a.practice_id, 'couple', a.couple_id)
                                         ELSE ARRAY[a.partner_id] END) THEN
        RAISE EXCEPTION 'an answer must be for its assignment''s chart and by a partner the assignment is for'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_answer_of_assignment() FROM PUBLIC;
CREATE TRIGGER homework_responses_of_assignment
    BEFORE INSERT OR UPDATE OF practice_id, assignment_id, partner_id, key_subject ON homework_responses
    FOR EACH ROW EXECUTE FUNCTION haven_answer_of_assignment();
CREATE TRIGGER portal_answer_drafts_of_assignment
    BEFORE INSERT OR UPDATE OF practice_id, assignment_id, partner_id, key_subject ON portal_answer_drafts
    FOR EACH ROW EXECUTE FUNCTION haven_answer_of_assignment();

-- cycle_maps (partner_id) and attachment_injuries (injured_partner_id): a partner of the couple; the
-- trigger's argument names the column.
CREATE FUNCTION haven_couple_row_partner_in_couple() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT (to_jsonb(NEW) ->> TG_ARGV[0])::uuid = ANY (haven_portal_chart_clients(NEW.practice_id, 'couple',
                                                                                  NEW.couple_id)) THEN
        RAISE EXCEPTION 'the partner must be one of the couple''s partners' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_couple_row_partner_in_couple() FROM PUBLIC;
CREATE TRIGGER cycle_maps_partner_in_couple BEFORE INSERT OR UPDATE OF practice_id, couple_id, partner_id
    ON cycle_maps
    FOR EACH ROW EXECUTE FUNCTION haven_couple_row_partner_in_couple('partner_id');
CREATE TRIGGER attachment_injuries_partner_in_couple
    BEFORE INSERT OR UPDATE OF practice_id, couple_id, injured_partner_id ON attachment_injuries
    FOR EACH ROW EXECUTE FUNCTION haven_couple_row_partner_in_couple('injured_partner_id');

-- are_ratings: a partner of the rated session's couple (an individual session has no A.R.E. rating).
CREATE FUNCTION haven_are_partner_in_session() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT NEW.partner_id = ANY (coalesce((SELECT haven_portal_chart_clients(s.practice_id, 'couple', s.couple_id)
                                           FROM therapy_sessions s
                                           WHERE s.id = NEW.session_id AND s.practice_id = NEW.practice_id
                                             AND s.couple_id IS NOT NULL), '{}')) THEN
        RAISE EXCEPTION 'an A.R.E. rating''s partner must be one of the session''s couple'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_are_partner_in_session() FROM PUBLIC;
CREATE TRIGGER are_ratings_partner_in_session BEFORE INSERT OR UPDATE OF practice_id, session_id, partner_id
    ON are_ratings
    FOR EACH ROW EXECUTE FUNCTION haven_are_partner_in_session();

-- progress_notes: the step 5-7 partner is one of the note's chart's people (a couple's partner, or the
-- individual client), as haven_note_write_draft checks.
CREATE FUNCTION haven_note_step_partner_in_chart() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT NEW.step_partner_id = ANY (haven_portal_chart_clients(NEW.practice_id, NEW.chart_kind, NEW.chart_id)) THEN
        RAISE EXCEPTION 'a note''s step partner must be one of its chart''s clients' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_note_step_partner_in_chart() FROM PUBLIC;
CREATE TRIGGER progress_notes_step_partner_in_chart
    BEFORE INSERT OR UPDATE OF practice_id, chart_kind, chart_id, step_partner_id ON progress_notes
    FOR EACH ROW WHEN (NEW.step_partner_id IS NOT NULL)
    EXECUTE FUNCTION haven_note_step_partner_in_chart();

-- Rows written before this migration were written through the services, which check the same; should a
-- database hold one that breaks these rules, the migration stops and names the table rather than leave
-- a row the triggers would refuse to rewrite.
DO $$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(t, ', ') INTO bad FROM (
        SELECT 'homework_assignments' AS t FROM homework_assignments a
        WHERE a.partner_id IS NOT NULL
          AND NOT a.partner_id = ANY (haven_portal_chart_clients(a.practice_id, 'couple', a.couple_id))
        UNION
        SELECT 'homework_responses' FROM homework_responses r LEFT JOIN homework_assignments a ON a.id = r.assignment_id
        WHERE a.id IS NULL OR a.key_subject <> r.key_subject OR a.practice_id <> r.practice_id
           OR NOT r.partner_id = ANY (CASE WHEN a.partner_id IS NULL
                                           THEN haven_portal_chart_clients(a.practice_id, 'couple', a.couple_id)
                                           ELSE ARRAY[a.partner_id] END)
        UNION
        SELECT 'portal_answer_drafts' FROM portal_answer_drafts r LEFT JOIN homework_assignments a ON a.id = r.assignment_id
        WHERE a.id IS NULL OR a.key_subject <> r.key_subject OR a.practice_id <> r.practice_id
           OR NOT r.partner_id = ANY (CASE WHEN a.partner_id IS NULL
                                           THEN haven_portal_chart_clients(a.practice_id, 'couple', a.couple_id)
                                           ELSE ARRAY[a.partner_id] END)
        UNION
        SELECT 'cycle_maps' FROM cycle_maps m
        WHERE NOT m.partner_id = ANY (haven_portal_chart_clients(m.practice_id, 'couple', m.couple_id))
        UNION
        SELECT 'attachment_injuries' FROM attachment_injuries i
        WHERE NOT i.injured_partner_id = ANY (haven_portal_chart_clients(i.practice_id, 'couple', i.couple_id))
        UNION
        SELECT 'are_ratings' FROM are_ratings r LEFT JOIN therapy_sessions s ON s.id = r.session_id
        WHERE s.couple_id IS NULL
           OR NOT r.partner_id = ANY (haven_portal_chart_clients(s.practice_id, 'couple', s.couple_id))
        UNION
        SELECT 'progress_notes' FROM progress_notes n
        WHERE n.step_partner_id IS NOT NULL
          AND NOT n.step_partner_id = ANY (haven_portal_chart_clients(n.practice_id, n.chart_kind, n.chart_id))
    ) rows;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'rows of % name a partner outside their chart', bad
            USING HINT = 'correct or remove those rows as the owner, then migrate again';
    END IF;
END
$$;
