-- 0065: the counselor's slot check reads only the sessions that could overlap (#17).
--
-- 0030's guard looked for an overlapping session among all of the counselor's sessions that start
-- before the new one ends: every booking read the counselor's whole past, growing with every week of
-- practice (found when `HavenBench seed` could not load 100,000 sessions in an hour). A session that
-- overlaps the new one starts less than its own length before the new one starts, and no session is
-- longer than haven_session_longest_minutes(), so the guard now also bounds the start from below and
-- reads one short range of the (practice, counselor, start) index. Same answers.
--
-- The longest length is a function so that the duration constraint and the guard read one number (a
-- wider constraint with the old bound in the guard would miss overlaps); SessionService.durationMinutes
-- is the same range in Swift, and SchedulingIntegrityTests compares the two.

CREATE FUNCTION haven_session_longest_minutes() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 480 $$;

ALTER TABLE therapy_sessions
    DROP CONSTRAINT therapy_sessions_duration,
    ADD CONSTRAINT therapy_sessions_duration
        CHECK (duration_minutes >= 5 AND duration_minutes <= haven_session_longest_minutes());

CREATE OR REPLACE FUNCTION haven_session_slot_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    conflict record;
BEGIN
    IF NEW.status IN ('cancelled', 'late_cancelled') OR NEW.overlap_allowed THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status NOT IN ('cancelled', 'late_cancelled')
       AND OLD.scheduled_start = NEW.scheduled_start AND OLD.duration_minutes = NEW.duration_minutes
       AND OLD.counselor_id = NEW.counselor_id THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(30, hashtext(NEW.counselor_id::text));
    SELECT s.id, s.scheduled_start INTO conflict FROM therapy_sessions s
    WHERE s.practice_id = NEW.practice_id AND s.counselor_id = NEW.counselor_id AND s.id <> NEW.id
      AND s.status NOT IN ('cancelled', 'late_cancelled')
      AND s.scheduled_start > NEW.scheduled_start - make_interval(mins => haven_session_longest_minutes())
      AND s.scheduled_start < NEW.scheduled_start + make_interval(mins => NEW.duration_minutes)
      AND NEW.scheduled_start < s.scheduled_start + make_interval(mins => s.duration_minutes)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the counselor already has a session at that time'
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'therapy_sessions_counselor_slot',
                  DETAIL = 'session ' || conflict.id::text || ' at ' || conflict.scheduled_start::text;
    END IF;
    RETURN NEW;
END
$$;
