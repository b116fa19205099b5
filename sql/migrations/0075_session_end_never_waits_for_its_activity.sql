-- 0075: deleting a session does not wait for its activity row (review of 0074, 2026-12-07).
--
-- 0074 gave each session an activity row with a foreign key ON DELETE CASCADE. Partner sessions are
-- ended by deleting them (a counselor's portal revoke, a discharged or paused chart, a code app reset),
-- and the cascade had to lock the activity row first: a transaction held open after its refresh
-- again held back the revoke (and the discharge, while holding the chart's row), and the revoke's
-- uncommitted access change left the partner's other transactions opening contexts meanwhile. Now
-- there is no foreign key: a deleted session's activity row is removed by a trigger when nobody holds
-- it (SKIP LOCKED) and otherwise left behind (a token's hash and a time, which no live session joins).
-- The live-session functions join the activity row to a live session, so a row without one means
-- nothing.
--
-- Also: 0074 copied the clocks before its trigger existed, so a session an older server created in
-- between got no activity row (and counted as idle: its user signed in again). Such sessions get one
-- now, last seen when they were created.

ALTER TABLE staff_session_activity DROP CONSTRAINT staff_session_activity_token_hash_fkey;
ALTER TABLE partner_session_activity DROP CONSTRAINT partner_session_activity_token_hash_fkey;

CREATE FUNCTION haven_session_activity_end() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_TABLE_NAME = 'staff_sessions' THEN
        DELETE FROM public.staff_session_activity a WHERE a.token_hash IN (
            SELECT x.token_hash FROM public.staff_session_activity x WHERE x.token_hash = OLD.token_hash
            FOR UPDATE SKIP LOCKED);
    ELSE
        DELETE FROM public.partner_session_activity a WHERE a.token_hash IN (
            SELECT x.token_hash FROM public.partner_session_activity x WHERE x.token_hash = OLD.token_hash
            FOR UPDATE SKIP LOCKED);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_session_activity_end() FROM PUBLIC;
CREATE TRIGGER staff_sessions_activity_end AFTER DELETE ON staff_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_session_activity_end();
CREATE TRIGGER partner_sessions_activity_end AFTER DELETE ON partner_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_session_activity_end();

INSERT INTO staff_session_activity (token_hash, last_seen_at)
    SELECT s.token_hash, s.created_at FROM staff_sessions s
    WHERE NOT EXISTS (SELECT 1 FROM staff_session_activity a WHERE a.token_hash = s.token_hash);
INSERT INTO partner_session_activity (token_hash, last_seen_at)
    SELECT s.token_hash, s.created_at FROM partner_sessions s
    WHERE NOT EXISTS (SELECT 1 FROM partner_session_activity a WHERE a.token_hash = s.token_hash);
