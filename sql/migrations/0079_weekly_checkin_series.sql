-- 0079: the weekly check-in as a series of its own (#16: "recurring items (the weekly check-in) as a
-- series"). A homework assignment takes one answer per partner, so a check-in that repeats is a
-- series whose steps are the same check-in, one a week: each week is its own step, released on its
-- day (0056's release times), answered and shared on its own, reminded as any step is, and shown to
-- the partner as one item ("n of 8 done") and to the counselor week by week. Eight weeks, the
-- length of a typical stage of EFT work; a counselor who wants more assigns it again.

INSERT INTO homework_series (id, practice_id, title, description) VALUES
(md5('haven-series-02')::uuid, NULL, 'Weekly check-in',
 'Eight weeks of the weekly check-in, one a week: twenty minutes together, each of you answering when you felt close and what has gone unsaid. Each week opens its own answer, so the weeks can be read side by side.');

INSERT INTO homework_series_steps (series_id, position, prompt_id, questions)
SELECT md5('haven-series-02')::uuid, week, md5('haven-prompt-10')::uuid, ARRAY[
    'When did you feel close to your partner this week?',
    'Is there something that has gone unsaid? You may name it here without the details.',
    'How was this week''s check-in for you?']
FROM generate_series(1, 8) AS week;
