-- 0041: a session that owes the practice a one-time-code app holds no role in the database.
--
-- Such a session may only enrol an app (docs/security.md, "Second sign-in factor"): its caseload was
-- already empty and its calendar reach off, but its context kept the account's roles, and the admin
-- functions (haven_admin_staff_totp, migration 0038; the staff changes, migration 0040) check the
-- context's roles alone. So with the haven_app password and an unenrolled admin's password, someone
-- could disable accounts or approve a second admin's proposal without the second factor the practice
-- demands. Now haven_open_context writes no roles into the context of such a session: every function
-- that asks for a role refuses it, and its audit entries (enrolment, sign-out) record no roles. What
-- the function returns to the server is unchanged (the account's roles and the enrolment flag, for
-- the pages and the API's own refusal).

CREATE OR REPLACE FUNCTION haven_open_context(token bytea, break_glass boolean, source text, request_id text)
    RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], totp_enrollment_due boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    live record;
    reach uuid[];
BEGIN
    SELECT * INTO live FROM haven_live_session(token);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the session has expired or was ended' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    IF live.totp_enrollment_due THEN
        reach := '{}';
    ELSE
        SELECT array_agg(id) INTO reach FROM (
            SELECT live.staff_id AS id
            UNION
            SELECT supervisee_id FROM supervision_links l
            WHERE l.practice_id = live.practice_id AND l.supervisor_id = live.staff_id
        ) AS reachable;
    END IF;
    PERFORM haven_write_context(
        live.practice_id, live.staff_id,
        CASE WHEN live.totp_enrollment_due THEN '{}'::text[] ELSE live.roles END, reach, break_glass,
        CASE WHEN break_glass AND NOT live.totp_enrollment_due
             THEN haven_break_glass_reach(live.practice_id, live.staff_id) ELSE '{}' END,
        token, source, request_id
    );
    IF 'scheduler' = ANY (live.roles) AND NOT live.totp_enrollment_due AND NOT break_glass THEN
        UPDATE request_contexts c SET calendar = true WHERE c.backend_pid = pg_backend_pid();
    END IF;
    IF live.last_seen_at < now() - interval '30 seconds' THEN
        UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = token;
    END IF;
    RETURN QUERY SELECT live.practice_id, live.staff_id, live.roles, live.totp_enrollment_due;
END
$$;


