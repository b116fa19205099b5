-- 0027: the database checks that a one-time code was checked by a holder of the master key.
--
-- A one-time code is checked by the server, which alone can open the sealed TOTP secret. Until now
-- the database took the server's word for it: anyone with the haven_app password could pass an
-- invented time step to haven_sign_in_second_factor (or to confirm or remove an app) and skip the
-- second factor. Now each of those calls carries an attestation, HMAC-SHA-256 over the session's
-- token hash and the step, under a key derived from the master key (HKDF-Expand, info
-- "haven-totp-attestation-v1"; docs/security.md). Operators record that key per master key version
-- (owner role, `KeyManager.checkMasterKeys`); haven_app can neither read nor write it, so without the
-- master key no attestation can be made.

CREATE TABLE second_factor_attestation_keys (
    master_key_version integer PRIMARY KEY REFERENCES master_key_versions (version),
    key bytea NOT NULL CONSTRAINT second_factor_attestation_keys_length CHECK (length(key) = 32),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON second_factor_attestation_keys FROM PUBLIC;

-- Which master key versions have their attestation key recorded (nothing secret), for the server's
-- readiness check.
CREATE FUNCTION haven_attestation_versions() RETURNS SETOF integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT master_key_version FROM second_factor_attestation_keys ORDER BY 1 $$;
REVOKE ALL ON FUNCTION haven_attestation_versions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_attestation_versions() TO haven_app;

-- HMAC-SHA-256 (RFC 2104) over the built-in sha256(), for keys of at most one block (64 bytes).
CREATE FUNCTION haven_hmac_sha256(key bytea, message bytea) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $$
DECLARE
    block bytea := key || ('\x' || repeat('00', 64 - length(key)))::bytea;
    inner_pad bytea := block;
    outer_pad bytea := block;
BEGIN
    IF length(key) > 64 THEN
        RAISE EXCEPTION 'HMAC keys longer than one block are not supported' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 0..63 LOOP
        inner_pad := set_byte(inner_pad, i, get_byte(block, i) # 54);
        outer_pad := set_byte(outer_pad, i, get_byte(block, i) # 92);
    END LOOP;
    RETURN sha256(outer_pad || sha256(inner_pad || message));
END
$$;

-- Whether `attestation` vouches for `step` in the current context's session (internal).
CREATE FUNCTION haven_step_attested(step bigint, master_key_version integer, attestation bytea) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
    attestation_key bytea;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    SELECT k.key INTO attestation_key FROM second_factor_attestation_keys k
    WHERE k.master_key_version = haven_step_attested.master_key_version;
    IF attestation_key IS NULL THEN
        RAISE EXCEPTION 'no second-factor attestation key is recorded for this master key version'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN step IS NOT NULL AND ctx.token_hash IS NOT NULL AND attestation IS NOT NULL
        AND attestation = haven_hmac_sha256(attestation_key, ctx.token_hash || int8send(step));
END
$$;
REVOKE ALL ON FUNCTION haven_step_attested(bigint, integer, bytea) FROM PUBLIC;

-- The second factor at sign-in, confirming and removing an app: each step must come with its
-- attestation. An unattested step counts as a wrong code (audited, the waiting session deleted).
DROP FUNCTION haven_sign_in_second_factor(bigint);
CREATE FUNCTION haven_sign_in_second_factor(step bigint, master_key_version integer, attestation bytea)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
    moved integer := 0;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND OR ctx.token_hash IS NULL OR NOT EXISTS (
        SELECT 1 FROM staff_sessions WHERE token_hash = ctx.token_hash AND second_factor_pending
    ) THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        UPDATE staff_totp SET last_used_step = step
        WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id AND confirmed_at IS NOT NULL
          AND last_used_step < step;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    IF moved = 1 THEN
        UPDATE staff_sessions SET second_factor_pending = false WHERE token_hash = ctx.token_hash;
        PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                                  'staff.login', 'staff', ctx.staff_id, '{}', 'success', NULL);
        RETURN true;
    END IF;
    DELETE FROM staff_sessions WHERE token_hash = ctx.token_hash;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, '{}', false, ctx.source, ctx.request_id,
                              'staff.login', 'staff', ctx.staff_id, '{}', 'denied', NULL);
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION haven_sign_in_second_factor(bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_sign_in_second_factor(bigint, integer, bytea) TO haven_app;

DROP FUNCTION haven_totp_confirm(bigint);
CREATE FUNCTION haven_totp_confirm(step bigint, master_key_version integer, attestation bytea) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    moved integer := 0;
BEGIN
    IF haven_step_attested(step, master_key_version, attestation) THEN
        UPDATE staff_totp SET confirmed_at = now(), last_used_step = step
        WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id AND confirmed_at IS NULL;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.totp.confirm', 'staff', ctx.staff_id, '{}',
                              CASE WHEN moved = 1 THEN 'success' ELSE 'denied' END, NULL);
    RETURN moved = 1;
END
$$;
REVOKE ALL ON FUNCTION haven_totp_confirm(bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_totp_confirm(bigint, integer, bytea) TO haven_app;

DROP FUNCTION haven_totp_remove(bigint);
CREATE FUNCTION haven_totp_remove(step bigint, master_key_version integer, attestation bytea) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text;
    removed integer;
BEGIN
    IF (SELECT require_totp FROM practices WHERE id = ctx.practice_id) THEN
        result := 'required';
    ELSIF NOT haven_step_attested(step, master_key_version, attestation) THEN
        result := 'stale';
    ELSE
        DELETE FROM staff_totp
        WHERE practice_id = ctx.practice_id AND staff_id = ctx.staff_id AND confirmed_at IS NOT NULL
          AND last_used_step < step;
        GET DIAGNOSTICS removed = ROW_COUNT;
        result := CASE WHEN removed = 1 THEN 'removed' ELSE 'stale' END;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.totp.remove', 'staff', ctx.staff_id, '{}',
                              CASE WHEN result = 'removed' THEN 'success' ELSE 'denied' END, NULL);
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION haven_totp_remove(bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_totp_remove(bigint, integer, bytea) TO haven_app;
