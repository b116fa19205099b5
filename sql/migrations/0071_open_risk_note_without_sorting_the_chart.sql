-- 0071: a couple's open high-risk note is found without sorting the whole chart (#17).
--
-- haven_couple_open_risk_note_in took every note of the couple's chart that records a risk level, joined
-- each to its session and sorted them all to keep the newest by session date: work that grows with the
-- chart (a couple with 50 signed notes: 50 session look-ups and a sort, ~0.27 ms; the caseload list
-- calls it for every couple). A couple chart's notes are exactly the notes on sessions whose couple_id
-- is that couple (a note takes its session's chart on insert, progress_notes_on_completed_session;
-- neither may move afterwards, progress_notes_signed_is_final and therapy_sessions_keep_chart). The
-- query now names both, so the planner has two ways to the same note and picks by the statistics:
-- read the couple's sessions newest first on therapy_sessions_couple (the order kept by an incremental
-- sort) and stop at the first with a risk level, when most notes record one (as signed notes must:
-- ~0.08 ms); or read the chart's notes on progress_notes_chart, when few do (drafts without a risk level:
-- as fast as before). Same answer, same rule, in the one function every caller uses (the caseload, the
-- day's view, booking, homework, reports, the portal's safety mode, the outbox's review).
--
-- haven_couple_high_risk calls the practice form directly instead of through
-- haven_couple_open_risk_note: one SECURITY DEFINER call fewer per couple.

CREATE OR REPLACE FUNCTION haven_couple_open_risk_note_in(practice uuid, couple uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    latest record;
BEGIN
    SELECT n.id, n.risk_level INTO latest
    FROM therapy_sessions s
    JOIN progress_notes n ON n.practice_id = s.practice_id AND n.session_id = s.id
    WHERE s.practice_id = practice AND s.couple_id = couple
      AND n.chart_kind = 'couple' AND n.chart_id = couple AND n.risk_level IS NOT NULL
    ORDER BY s.scheduled_start DESC, n.created_at DESC
    LIMIT 1;
    IF NOT FOUND OR latest.risk_level <> 'high'
       OR EXISTS (SELECT 1 FROM risk_flag_closures r WHERE r.note_id = latest.id) THEN
        RETURN NULL;
    END IF;
    RETURN latest.id;
END
$$;

CREATE OR REPLACE FUNCTION haven_couple_high_risk(couple uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN haven_couple_open_risk_note_in(haven_current_practice(), couple) IS NOT NULL;
END
$$;
