-- 0072: what 0071 relies on is checked in the data, and ties have one answer (#17, review of 0071).
--
-- 0071 finds a chart's latest note by walking the chart's sessions, which is right only if every note's
-- chart is its session's chart. The database holds that for every row written since migration 0051:
-- a note takes its session's chart on insert (progress_notes_on_completed_session), a note cannot move
-- (progress_notes_signed_is_final) and, since 0051, neither can a session (therapy_sessions_keep_chart).
-- Before 0051 the application role could move a session to another couple with a raw UPDATE, and no
-- migration has looked at the rows since. Such a note would drop out of its chart's open high-risk
-- flag, so this migration stops (and `haven serve` stays not ready: a migration is pending) while any
-- note sits on a session of another chart, naming the first ten notes and their sessions by id and
-- where the repair is described (docs/operations.md, "Migrations").
--
-- Ties: the latest note is ordered by session date, then by when the note was written; two notes of one
-- session written in one transaction tie on both, and 0071 lets the planner read them in two orders.
-- The note's id now settles a tie, so the flag (and the caseload's stage and step, which use the same
-- order) name the same note whichever plan runs.

DO $$
DECLARE
    moved integer;
    examples text;
BEGIN
    SELECT count(*), string_agg(format('note %s on session %s', m.id, m.session_id), ', ' ORDER BY m.id)
                     FILTER (WHERE m.rank <= 10)
      INTO moved, examples
      FROM (SELECT n.id, n.session_id, row_number() OVER (ORDER BY n.id) AS rank
              FROM progress_notes n
              JOIN therapy_sessions s ON s.practice_id = n.practice_id AND s.id = n.session_id
             WHERE n.chart_id IS DISTINCT FROM coalesce(s.couple_id, s.client_id)
                OR n.chart_kind <> CASE WHEN s.couple_id IS NOT NULL THEN 'couple' ELSE 'client' END) AS m;
    IF moved > 0 THEN
        RAISE EXCEPTION 'migration 0072: notes on a session of another chart (a session moved before migration 0051): %', moved
            USING ERRCODE = 'check_violation',
                  DETAIL = 'The first ten: ' || examples,
                  HINT = 'read "Migrations" in docs/operations.md before changing anything; then run haven db migrate again';
    END IF;
END
$$;

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
    ORDER BY s.scheduled_start DESC, n.created_at DESC, n.id DESC
    LIMIT 1;
    IF NOT FOUND OR latest.risk_level <> 'high'
       OR EXISTS (SELECT 1 FROM risk_flag_closures r WHERE r.note_id = latest.id) THEN
        RETURN NULL;
    END IF;
    RETURN latest.id;
END
$$;
