-- 0009: the caseload is resolved once per transaction instead of once per row.
--
-- haven_set_context(practice, staff) sets app.practice_id, app.staff_id and app.caseload (the staff
-- member and the counselors they supervise) for the current transaction only. Policies then compare a
-- row's counselor with that list: no subquery per row. The service calls it at the start of every
-- transaction it runs as a staff member; it trusts the service exactly as set_config did.

CREATE FUNCTION haven_set_context(practice uuid, staff uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    caseload text;
BEGIN
    PERFORM set_config('app.practice_id', coalesce(practice::text, ''), true);
    PERFORM set_config('app.staff_id', coalesce(staff::text, ''), true);
    SELECT string_agg(id::text, ',') INTO caseload FROM (
        SELECT staff AS id WHERE staff IS NOT NULL
        UNION
        SELECT supervisee_id FROM supervision_links WHERE practice_id = practice AND supervisor_id = staff
    ) AS reachable;
    PERFORM set_config('app.caseload', coalesce(caseload, ''), true);
END
$$;
REVOKE ALL ON FUNCTION haven_set_context(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_set_context(uuid, uuid) TO haven_app;

CREATE OR REPLACE FUNCTION haven_in_caseload(counselor uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT counselor::text = ANY (string_to_array(nullif(current_setting('app.caseload', true), ''), ','))
    $$;

-- The note trigger no longer needs the owner's rights: the writer must be able to see the session
-- anyway, and running as the invoker avoids a privilege switch per row.
ALTER FUNCTION progress_notes_on_completed_session() SECURITY INVOKER;
ALTER FUNCTION progress_notes_on_completed_session() RESET search_path;
