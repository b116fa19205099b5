-- 0039: the browser's two-step sign-in (docs/web.md, "Two-step sign-in").
--
-- haven_sign_in already opens a session with second_factor_pending set when the account has a
-- confirmed app; until now the server asked for the code in the same call and rolled the pending row
-- back without one. The browser commits the pending session instead (its token becomes the cookie,
-- so the password is never carried to the second page) and sends the code in a later transaction.
-- A pending session lives five minutes from sign-in and can do one thing: take its code.
-- haven_live_session refuses it (NOT second_factor_pending), so it opens no context for anything
-- else, in the browser or the API.

-- The account a pending sign-in belongs to (its email, for the sign-in pause) and when it lapses;
-- no row for a token that is not a live pending sign-in. Writes nothing.
CREATE FUNCTION haven_pending_sign_in(token bytea) RETURNS TABLE (email text, expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT st.email, least(s.created_at + interval '5 minutes', s.absolute_expires_at)
        FROM staff_sessions s
        JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
        WHERE s.token_hash = token AND s.second_factor_pending AND s.revoked_at IS NULL AND st.active
          AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    $$;
REVOKE ALL ON FUNCTION haven_pending_sign_in(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_pending_sign_in(bytea) TO haven_app;

-- Opens the current transaction's context for a live pending sign-in, so that
-- haven_sign_in_second_factor can take its code (and end it when the code is wrong), and returns the
-- sealed secret the server checks the code against. Restarts the session's idle clock: the code
-- step counts as activity. Raises for anything but a live pending sign-in.
CREATE FUNCTION haven_open_pending_context(token bytea, source text, request_id text)
    RETURNS TABLE (practice_id uuid, staff_id uuid, roles text[], totp_secret bytea, totp_last_used_step bigint,
                   absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    pending record;
    totp record;
BEGIN
    SELECT s.practice_id, s.staff_id, st.roles, s.absolute_expires_at INTO pending
    FROM staff_sessions s
    JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    WHERE s.token_hash = token AND s.second_factor_pending AND s.revoked_at IS NULL AND st.active
      AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    FOR UPDATE OF s;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    SELECT t.secret, t.last_used_step INTO totp FROM staff_totp t
    WHERE t.practice_id = pending.practice_id AND t.staff_id = pending.staff_id AND t.confirmed_at IS NOT NULL
    FOR UPDATE;
    IF NOT FOUND THEN
        -- The app was reset after the password step: start again (the new sign-in needs no code).
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = token;
    PERFORM haven_write_context(pending.practice_id, pending.staff_id, pending.roles, '{}', false, '{}', token,
                                source, request_id);
    RETURN QUERY SELECT pending.practice_id, pending.staff_id, pending.roles, totp.secret, totp.last_used_step,
                        pending.absolute_expires_at;
END
$$;
REVOKE ALL ON FUNCTION haven_open_pending_context(bytea, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_open_pending_context(bytea, text, text) TO haven_app;
