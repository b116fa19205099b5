-- 0056: a series of homework steps (issue #16, step 6 of docs/portal.md): the guided emotional-safety
-- practice as an ordered list of steps, each a library prompt with its own questions; assigning a series
-- creates its steps as assignments released one after another.
--
-- Releasing is a time, not a job: a step's `release_at` is compared with now() by the partner's readers
-- (haven_portal_assignments(), haven_portal_own_assignment(), so also every portal write and the key a
-- partner may open), so an unreleased step is not a row for the partner, and nothing has to run for it to
-- appear. The counselor reads every step (the caseload policy is unchanged) and sees its state.
-- The "new item" reminder of 0047's trigger is due at the release (never before it); the "due" reminder
-- only when it falls after the release.

CREATE TABLE homework_series (
    id uuid PRIMARY KEY,
    practice_id uuid REFERENCES practices (id),
    title text NOT NULL CONSTRAINT homework_series_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 120),
    description text NOT NULL
        CONSTRAINT homework_series_description_length CHECK (length(btrim(description)) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A step: a prompt at a position, with the questions the partner answers for it.
CREATE TABLE homework_series_steps (
    series_id uuid NOT NULL REFERENCES homework_series (id),
    position smallint NOT NULL CONSTRAINT homework_series_steps_position CHECK (position BETWEEN 1 AND 50),
    prompt_id uuid NOT NULL REFERENCES homework_prompts (id),
    questions text[] NOT NULL
        CONSTRAINT homework_series_steps_questions CHECK (cardinality(questions) BETWEEN 1 AND 10),
    PRIMARY KEY (series_id, position)
);

INSERT INTO homework_series (id, practice_id, title, description) VALUES
(md5('haven-series-01')::uuid, NULL, 'Emotional-safety practice',
 'Six weeks of practice in making it safe to reach for each other: a weekly check-in, validation, listening without judgment, sharing a softer feeling, repairing after a conflict, and a journal entry to bring to session. One step opens at a time.');

INSERT INTO homework_series_steps (series_id, position, prompt_id, questions) VALUES
(md5('haven-series-01')::uuid, 1, md5('haven-prompt-10')::uuid, ARRAY[
    'When did you feel close to your partner this week?',
    'Is there something that has gone unsaid? You may name it here without the details.',
    'How did it feel to set aside this time together?']),
(md5('haven-series-01')::uuid, 2, md5('haven-prompt-08')::uuid, ARRAY[
    'What did your partner share, in a sentence or two?',
    'How did you finish "It makes sense that you feel ... because ..."?',
    'What did you notice in yourself before you answered, and in your partner afterwards?']),
(md5('haven-series-01')::uuid, 3, md5('haven-prompt-07')::uuid, ARRAY[
    'When you listened: what was hardest about only asking to hear more?',
    'When you spoke: what was it like to be heard without being corrected?',
    'What would you like to talk through in session?']),
(md5('haven-series-01')::uuid, 4, md5('haven-prompt-11')::uuid, ARRAY[
    'Which reaction did you notice in yourself (pushing, going quiet, arguing back)?',
    'What softer feeling was behind it: worry, hurt, loneliness, longing, or another?',
    'How did your partner respond when you shared it, and how was that for you?']),
(md5('haven-series-01')::uuid, 5, md5('haven-prompt-13')::uuid, ARRAY[
    'What part of the exchange did you own?',
    'How did you name its impact on your partner?',
    'What will you try differently next time?']),
(md5('haven-series-01')::uuid, 6, md5('haven-prompt-18')::uuid, ARRAY[
    'Describe a time you felt safe and cared for by your partner.',
    'What did they do, and what did it mean to you?',
    'What from these weeks of practice would you like to keep?']);

-- One series given to a couple (or one partner of it): its steps are homework_assignments naming it.
CREATE TABLE homework_series_assignments (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    series_id uuid NOT NULL REFERENCES homework_series (id),
    couple_id uuid NOT NULL,
    partner_id uuid,
    counselor_id uuid NOT NULL,
    interval_days smallint NOT NULL
        CONSTRAINT homework_series_assignments_interval CHECK (interval_days BETWEEN 1 AND 60),
    key_subject text GENERATED ALWAYS AS ('couple:' || couple_id::text) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id),
    FOREIGN KEY (practice_id, partner_id) REFERENCES clients (practice_id, id)
);
CREATE INDEX homework_series_assignments_couple ON homework_series_assignments (practice_id, couple_id);

ALTER TABLE homework_assignments
    ADD COLUMN release_at timestamptz,
    ADD COLUMN series_assignment_id uuid REFERENCES homework_series_assignments (id),
    ADD COLUMN series_position smallint,
    ADD CONSTRAINT homework_assignments_series_whole CHECK (
        (series_assignment_id IS NULL) = (series_position IS NULL)
        AND (series_assignment_id IS NULL) = (release_at IS NULL)),
    ADD CONSTRAINT homework_assignments_series_step UNIQUE (series_assignment_id, series_position);

ALTER TABLE homework_series ENABLE ROW LEVEL SECURITY;
ALTER TABLE homework_series FORCE ROW LEVEL SECURITY;
CREATE POLICY homework_series_owner ON homework_series TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY homework_series_library ON homework_series FOR SELECT TO haven_app
    USING (practice_id IS NULL OR practice_id = (SELECT haven_current_practice()));
ALTER TABLE homework_series_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE homework_series_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY homework_series_steps_owner ON homework_series_steps TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY homework_series_steps_library ON homework_series_steps FOR SELECT TO haven_app
    USING (EXISTS (SELECT 1 FROM homework_series s WHERE s.id = series_id));
ALTER TABLE homework_series_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE homework_series_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY homework_series_assignments_owner ON homework_series_assignments TO CURRENT_USER
    USING (true) WITH CHECK (true);
CREATE POLICY homework_series_assignments_caseload ON homework_series_assignments TO haven_app
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (
        practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[])
        AND haven_couple_in_caseload(couple_id)
    );
GRANT SELECT ON homework_series, homework_series_steps TO haven_app;
GRANT SELECT, INSERT ON homework_series_assignments TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- The partner's readers: a step is a row only once released.

-- Whether an assignment is out for its partners now: not a series step, or a step whose release is past.
CREATE FUNCTION haven_assignment_released(a homework_assignments) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$ SELECT a.release_at IS NULL OR a.release_at <= now() $$;
REVOKE ALL ON FUNCTION haven_assignment_released(homework_assignments) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_assignment_released(homework_assignments) TO haven_app;

CREATE OR REPLACE FUNCTION haven_portal_own_assignment(ctx request_contexts, assignment uuid)
    RETURNS homework_assignments
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT a.* FROM homework_assignments a
        WHERE a.id = assignment AND a.practice_id = ctx.partner_practice_id AND a.key_subject = ctx.partner_chart
          AND haven_portal_couple(ctx) IS NOT NULL
          AND (a.partner_id IS NULL OR a.partner_id = ctx.partner_client_id)
          AND haven_assignment_released(a)
    $$;

-- 0043's reader with the series: a released step names its series assignment, its position and its
-- questions, and whether the partner has answered it; an unreleased step is no row.
DROP FUNCTION haven_portal_assignments();
CREATE FUNCTION haven_portal_assignments()
    RETURNS TABLE (id uuid, title text, instructions text, due_on date, joint boolean, series_assignment_id uuid,
                   series_position smallint, questions text[], answered boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
        SELECT a.id, p.title, p.instructions, a.due_on, a.partner_id IS NULL, a.series_assignment_id,
               a.series_position, coalesce(st.questions, '{}'),
               EXISTS (SELECT 1 FROM homework_responses r
                       WHERE r.assignment_id = a.id AND r.partner_id = ctx.partner_client_id)
        FROM homework_assignments a JOIN homework_prompts p ON p.id = a.prompt_id
        LEFT JOIN homework_series_assignments sa ON sa.id = a.series_assignment_id
        LEFT JOIN homework_series_steps st ON st.series_id = sa.series_id AND st.position = a.series_position
        WHERE a.practice_id = ctx.partner_practice_id AND a.key_subject = ctx.partner_chart
          AND (a.partner_id IS NULL OR a.partner_id = ctx.partner_client_id)
          AND (p.practice_id IS NULL OR p.practice_id = ctx.partner_practice_id)
          AND haven_assignment_released(a)
        ORDER BY a.due_on, p.title, a.id;
END
$$;

-- The chosen chart's series addressed to the partner or to both: the title, how many steps it has and how
-- many are released. Never an upcoming step's prompt.
CREATE FUNCTION haven_portal_series()
    RETURNS TABLE (id uuid, title text, steps integer, released integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
        SELECT sa.id, s.title, count(a.id)::int4, (count(a.id) FILTER (WHERE haven_assignment_released(a)))::int4
        FROM homework_series_assignments sa JOIN homework_series s ON s.id = sa.series_id
        JOIN homework_assignments a ON a.series_assignment_id = sa.id
        WHERE sa.practice_id = ctx.partner_practice_id AND sa.key_subject = ctx.partner_chart
          AND haven_portal_couple(ctx) IS NOT NULL
          AND (sa.partner_id IS NULL OR sa.partner_id = ctx.partner_client_id)
        GROUP BY sa.id, s.title, sa.created_at
        ORDER BY sa.created_at, sa.id;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- 0047's trigger with the release: "homework-new" is due at the release (now for an assignment that is
-- no step), "homework-due" only when it falls after the release, "homework-overdue" as before.
CREATE OR REPLACE FUNCTION haven_notification_on_assignment() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    zone text;
    clients uuid[];
    about timestamptz;
    due timestamptz;
    released timestamptz := greatest(now(), coalesce(NEW.release_at, now()));
BEGIN
    SELECT p.time_zone INTO zone FROM practices p WHERE p.id = NEW.practice_id;
    SELECT CASE WHEN NEW.partner_id IS NULL THEN ARRAY[c.partner_a_id, c.partner_b_id] ELSE ARRAY[NEW.partner_id] END
    INTO clients FROM couples c WHERE c.id = NEW.couple_id;
    -- The due date's start in the practice's zone (the message shows the date only).
    about := NEW.due_on::timestamp AT TIME ZONE zone;
    PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients, 'homework-new',
                                           about, released, NEW.id, NULL);
    due := haven_notification_morning(NEW.due_on - 1, zone);
    IF NEW.due_on > NEW.assigned_on AND due > released THEN
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients, 'homework-due',
                                               about, due, NEW.id, NULL);
    END IF;
    due := haven_notification_morning(NEW.due_on + 1, zone);
    IF due > released THEN
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients,
                                               'homework-overdue', about, due, NEW.id, NULL);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['haven_portal_assignments()', 'haven_portal_series()'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
