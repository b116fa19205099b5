-- 0013: the homework library and assignments.
--
-- Built-in prompts (practice_id NULL) are written in Haven's own words; a practice can add its own.
-- A prompt marked `joint` asks the partners to interact (structured talks, enactment-style
-- exercises): assigning one to a couple with an open high-risk flag needs an explicit override with
-- a reason, which is sealed and audited.

CREATE TABLE homework_prompts (
    id uuid PRIMARY KEY,
    practice_id uuid REFERENCES practices (id),
    title text NOT NULL CONSTRAINT homework_prompts_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 120),
    category text NOT NULL CONSTRAINT homework_prompts_category CHECK (category IN (
        'cycle_awareness', 'responsiveness', 'judgment_free_listening', 'validation', 'emotional_check_in',
        'vulnerability', 'repair', 'bonding', 'journal')),
    instructions text NOT NULL CONSTRAINT homework_prompts_instructions_length CHECK (length(btrim(instructions)) BETWEEN 1 AND 4000),
    frequency text NOT NULL CONSTRAINT homework_prompts_frequency CHECK (frequency IN ('once', 'daily', 'weekly')),
    stages smallint[] NOT NULL CONSTRAINT homework_prompts_stages CHECK (cardinality(stages) >= 1 AND stages <@ ARRAY[1, 2, 3]::smallint[]),
    joint boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO homework_prompts (id, practice_id, title, category, instructions, frequency, stages, joint) VALUES
(md5('haven-prompt-01')::uuid, NULL, 'Spot the dance', 'cycle_awareness',
 'When a disagreement starts to feel familiar, pause and jot down the steps it took: who moved closer, who stepped back, and what each of you did next. Bring the notes to the next session; there is no need to discuss them at home.',
 'weekly', '{1}', false),
(md5('haven-prompt-02')::uuid, NULL, 'Name the cycle, not the culprit', 'cycle_awareness',
 'Agree on a name for the pattern you keep getting caught in. When you notice it starting, either of you can say the name out loud as a signal to slow down. The pattern is the problem you face together, not each other.',
 'daily', '{1,2}', true),
(md5('haven-prompt-03')::uuid, NULL, 'My move and what is underneath', 'cycle_awareness',
 'After a tense moment, write two lines for yourself: the move you made (pushed for more, went quiet, argued back) and the feeling you think sat beneath it. Keep it to yourself until the next session.',
 'weekly', '{1}', false),
(md5('haven-prompt-04')::uuid, NULL, 'Say back what you heard', 'responsiveness',
 'Take ten minutes. One of you shares something from the day; the other repeats the gist back in their own words and asks, "Did I get that right?" Swap roles. No advice and no debate; the aim is only to be understood.',
 'daily', '{1,2,3}', true),
(md5('haven-prompt-05')::uuid, NULL, 'Comfort before fixing', 'responsiveness',
 'When your partner brings you a worry this week, hold off on solutions for the first few minutes. Respond to how it feels for them ("That sounds exhausting") before anything else, then ask whether they want ideas.',
 'weekly', '{2,3}', false),
(md5('haven-prompt-06')::uuid, NULL, 'Small signs of being there', 'responsiveness',
 'Each day, offer one small sign that your partner matters to you: a message in the middle of the day, a hand on the shoulder, remembering something they mentioned. Notice how it is received, without keeping score.',
 'daily', '{2,3}', false),
(md5('haven-prompt-07')::uuid, NULL, 'Ten minutes of just listening', 'judgment_free_listening',
 'Set a timer for ten minutes. One partner speaks about something that matters to them; the other may only ask to hear more ("Tell me more about that"). No correcting, no defending, and nothing said is used later in an argument. Talk it through in session, not afterwards.',
 'weekly', '{1,2}', true),
(md5('haven-prompt-08')::uuid, NULL, 'It makes sense that you feel', 'validation',
 'Practise finishing the sentence "It makes sense that you feel ... because ..." about something your partner shares this week, before you offer your own view or a solution.',
 'weekly', '{1,2,3}', true),
(md5('haven-prompt-09')::uuid, NULL, 'Find the understandable part', 'validation',
 'When you disagree with your partner this week, look for the part of their reaction you can understand, and tell them that part first. You do not have to agree with the rest.',
 'weekly', '{2}', false),
(md5('haven-prompt-10')::uuid, NULL, 'Weekly check-in', 'emotional_check_in',
 'Pick a fixed time each week for twenty minutes. Take turns with two questions: "When did you feel close to me this week?" and "Is there something that has gone unsaid?" Listen, thank each other, and keep solving for another time.',
 'weekly', '{2,3}', true),
(md5('haven-prompt-11')::uuid, NULL, 'The softer feeling', 'vulnerability',
 'Once this week, when you notice yourself reacting sharply or shutting down, try to name one softer feeling behind it (worry, hurt, loneliness, longing) and share it with your partner in a sentence or two.',
 'weekly', '{2}', true),
(md5('haven-prompt-12')::uuid, NULL, 'What I need from you', 'vulnerability',
 'Write down one thing you need from your partner when you feel alone in the relationship, as a request rather than a complaint ("I need you to ..."). Bring it to the next session; we will practise saying it there.',
 'once', '{2}', false),
(md5('haven-prompt-13')::uuid, NULL, 'Making a repair', 'repair',
 'After a hurtful exchange, when you are both calm: say what you did, how you think it landed for your partner, that you are sorry for that impact, and one thing you will try next time. Keep it short and do not add "but".',
 'once', '{2,3}', true),
(md5('haven-prompt-14')::uuid, NULL, 'Next time, instead', 'repair',
 'Together, choose one moment that often goes wrong and agree on a different first step for it (a signal word, a short break, a hand reached out). Try it once this week and note how it went.',
 'weekly', '{3}', true),
(md5('haven-prompt-15')::uuid, NULL, 'Three appreciations', 'bonding',
 'Each evening, tell your partner one specific thing you appreciated about them that day. Be concrete ("Thank you for waiting up for me") rather than general.',
 'daily', '{1,2,3}', false),
(md5('haven-prompt-16')::uuid, NULL, 'A good memory together', 'bonding',
 'Choose a time you both remember as good: a trip, a quiet evening, an early date. Take turns describing what you remember and how it felt to be together then.',
 'once', '{2,3}', true),
(md5('haven-prompt-17')::uuid, NULL, 'Undivided minutes', 'bonding',
 'Spend a few minutes each day with each other only: phones away, no chores, no planning. A walk, a cup of tea, sitting close. Keep it simple and regular.',
 'daily', '{1,2,3}', true),
(md5('haven-prompt-18')::uuid, NULL, 'When I felt safe with you', 'journal',
 'Write about a time you felt safe and cared for by your partner. What did they do, and what did it mean to you? Keep the entry for yourself or bring it to session.',
 'once', '{1,2,3}', false),
(md5('haven-prompt-19')::uuid, NULL, 'When I felt dismissed', 'journal',
 'Write about a moment you felt brushed aside. What were you hoping for in that moment, and what might have helped? This is for your own reflection and for session, not for a discussion at home.',
 'once', '{1,2}', false),
(md5('haven-prompt-20')::uuid, NULL, 'What made a repair feel real', 'journal',
 'Think of a recent apology or repair between you. What made it feel genuine, or what was missing? Write a few lines.',
 'once', '{2,3}', false);

CREATE TABLE homework_assignments (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    prompt_id uuid NOT NULL REFERENCES homework_prompts (id),
    couple_id uuid NOT NULL,
    partner_id uuid,
    session_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    assigned_on date NOT NULL,
    due_on date NOT NULL,
    recurrence text NOT NULL DEFAULT 'none' CONSTRAINT homework_assignments_recurrence CHECK (recurrence IN ('none', 'daily', 'weekly')),
    risk_override_reason bytea,
    risk_override_key_id uuid REFERENCES data_keys (id),
    key_subject text GENERATED ALWAYS AS ('couple:' || couple_id::text) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id),
    FOREIGN KEY (practice_id, session_id) REFERENCES therapy_sessions (practice_id, id),
    FOREIGN KEY (practice_id, partner_id) REFERENCES clients (practice_id, id),
    CONSTRAINT homework_assignments_due_after_assigned CHECK (due_on >= assigned_on),
    CONSTRAINT homework_assignments_override_has_key CHECK ((risk_override_reason IS NULL) = (risk_override_key_id IS NULL))
);
CREATE INDEX homework_assignments_couple ON homework_assignments (practice_id, couple_id, due_on);
CREATE INDEX homework_assignments_override_key ON homework_assignments (risk_override_key_id);

-- Whether a couple has an open high-risk flag: the latest note on the couple's chart records high risk.
CREATE FUNCTION haven_couple_high_risk(couple uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT coalesce((
            SELECT n.risk_level = 'high'
            FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
            WHERE n.chart_kind = 'couple' AND n.chart_id = couple AND n.practice_id = haven_current_practice()
            ORDER BY s.scheduled_start DESC, n.created_at DESC
            LIMIT 1
        ), false)
    $$;
REVOKE ALL ON FUNCTION haven_couple_high_risk(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_couple_high_risk(uuid) TO haven_app;

ALTER TABLE homework_prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE homework_prompts FORCE ROW LEVEL SECURITY;
CREATE POLICY homework_prompts_owner ON homework_prompts TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY homework_prompts_library ON homework_prompts TO haven_app
    USING (practice_id IS NULL OR practice_id = haven_current_practice())
    WITH CHECK (practice_id = haven_current_practice());
ALTER TABLE homework_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE homework_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY homework_assignments_owner ON homework_assignments TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY homework_assignments_caseload ON homework_assignments TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (
        practice_id = haven_current_practice() AND haven_in_caseload(counselor_id)
        AND haven_couple_in_caseload(couple_id)
    );

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('homework_assignments', 'risk_override_reason', 'risk_override_key_id', 'id', NULL, 'key_subject');

GRANT SELECT, INSERT ON homework_prompts TO haven_app;
GRANT SELECT, INSERT, UPDATE ON homework_assignments TO haven_app;
