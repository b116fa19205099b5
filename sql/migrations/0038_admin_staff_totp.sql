-- 0038: what an admin may know of the staff's one-time-code apps (the admin pages, GET /v1/staff):
-- which accounts of their own practice have a confirmed app, nothing else (no secret, no step).
-- staff_totp stays closed to haven_app. Admin-ness comes from the transaction's context, which the
-- database opened itself from the live session token (haven_open_context); no parameter or setting
-- can name another practice or another role.
CREATE FUNCTION haven_admin_staff_totp() RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    IF NOT ('admin' = ANY (ctx.staff_roles)) THEN
        RAISE EXCEPTION 'only admins see who has a one-time-code app' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
        SELECT t.staff_id FROM staff_totp t
        WHERE t.practice_id = ctx.practice_id AND t.confirmed_at IS NOT NULL
        ORDER BY t.staff_id;
END
$$;
REVOKE ALL ON FUNCTION haven_admin_staff_totp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_admin_staff_totp() TO haven_app;
