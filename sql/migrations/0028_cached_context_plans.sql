-- 0028: the functions every statement calls keep their plans.
--
-- A SQL-language function that cannot be inlined (a SECURITY DEFINER one, or one whose body reads a
-- table) is parsed and planned again on every call; a PL/pgSQL function prepares each query once per
-- connection and reuses the plan. Measured with pgbench as haven_app (0025's versions): opening a
-- context cost ~0.6 ms a transaction and a session lookup ~0.9 ms, mostly planning; the readers
-- every policy calls, and the caseload checks a write's WITH CHECK calls per row, paid the same.
-- Same signatures and results as before; only the language changes.

CREATE OR REPLACE FUNCTION haven_context() RETURNS SETOF request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM request_contexts
        WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned();
END
$$;

CREATE OR REPLACE FUNCTION haven_current_practice() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN (SELECT practice_id FROM request_contexts
            WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned());
END
$$;

CREATE OR REPLACE FUNCTION haven_current_staff() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN (SELECT staff_id FROM request_contexts
            WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned());
END
$$;

CREATE OR REPLACE FUNCTION haven_current_caseload() RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN coalesce((SELECT caseload FROM request_contexts
                     WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned()),
                    '{}');
END
$$;

CREATE OR REPLACE FUNCTION haven_current_break_glass() RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN coalesce((SELECT break_glass_subjects FROM request_contexts
                     WHERE backend_pid = pg_backend_pid() AND transaction_id = pg_current_xact_id_if_assigned()),
                    '{}');
END
$$;

CREATE OR REPLACE FUNCTION haven_write_context(
    practice uuid, staff uuid, roles text[], caseload uuid[], break_glass boolean, subjects text[],
    token bytea, source text, request_id text
) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO request_contexts AS c (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                       break_glass, break_glass_subjects, token_hash, source, request_id)
    VALUES (pg_backend_pid(), pg_current_xact_id(), practice, staff,
            ARRAY(SELECT r FROM unnest(roles) AS r ORDER BY r COLLATE "C"), caseload, break_glass, subjects,
            token, source, request_id)
    ON CONFLICT (backend_pid) DO UPDATE SET
        transaction_id = EXCLUDED.transaction_id, practice_id = EXCLUDED.practice_id,
        staff_id = EXCLUDED.staff_id, staff_roles = EXCLUDED.staff_roles, caseload = EXCLUDED.caseload,
        break_glass = EXCLUDED.break_glass, break_glass_subjects = EXCLUDED.break_glass_subjects,
        token_hash = EXCLUDED.token_hash, source = EXCLUDED.source, request_id = EXCLUDED.request_id;
END
$$;

CREATE OR REPLACE FUNCTION haven_live_session(token bytea)
    RETURNS TABLE (
        practice_id uuid, staff_id uuid, roles text[], last_seen_at timestamptz, totp_enrollment_due boolean
    )
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
        SELECT s.practice_id, s.staff_id, st.roles, s.last_seen_at,
               p.require_totp AND NOT EXISTS (
                   SELECT 1 FROM staff_totp t
                   WHERE t.practice_id = s.practice_id AND t.staff_id = s.staff_id AND t.confirmed_at IS NOT NULL
               )
        FROM staff_sessions s
        JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
        JOIN practices p ON p.id = s.practice_id
        WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending AND st.active
          AND now() < s.absolute_expires_at
          AND now() < s.last_seen_at + make_interval(secs => s.idle_timeout_seconds);
END
$$;

CREATE OR REPLACE FUNCTION haven_session_actor(token bytea)
    RETURNS TABLE (practice_id uuid, staff_id uuid, roles text[], totp_enrollment_due boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT l.practice_id, l.staff_id, l.roles, l.totp_enrollment_due FROM haven_live_session(token) l;
END
$$;

CREATE OR REPLACE FUNCTION haven_client_in_caseload(client uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM clients
        WHERE id = client AND practice_id = haven_current_practice()
          AND primary_counselor_id = ANY (haven_current_caseload())
    );
END
$$;

CREATE OR REPLACE FUNCTION haven_couple_in_caseload(couple uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM couples
        WHERE id = couple AND practice_id = haven_current_practice() AND counselor_id = ANY (haven_current_caseload())
    );
END
$$;

CREATE OR REPLACE FUNCTION haven_couple_high_risk(couple uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN coalesce((
        SELECT n.risk_level = 'high'
        FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
        WHERE n.chart_kind = 'couple' AND n.chart_id = couple AND n.practice_id = haven_current_practice()
        ORDER BY s.scheduled_start DESC, n.created_at DESC
        LIMIT 1
    ), false);
END
$$;

CREATE OR REPLACE FUNCTION haven_audit_canonical(
    practice uuid, occurred timestamptz, staff uuid, roles text[], break_glass boolean, action text,
    entity_type text, entity uuid, clients uuid[], outcome text, source text, request_id text, digest bytea
) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
    RETURN convert_to(CASE WHEN digest IS NULL THEN 'haven-audit-v1' ELSE 'haven-audit-v2' END, 'UTF8')
        || haven_audit_field(uuid_send(practice))
        || haven_audit_field(timestamptz_send(occurred))
        || haven_audit_field(coalesce(uuid_send(staff), ''::bytea))
        || haven_audit_field(convert_to(array_to_string(roles, ','), 'UTF8'))
        || haven_audit_field(CASE WHEN break_glass THEN '\x01'::bytea ELSE '\x00'::bytea END)
        || haven_audit_field(convert_to(action, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(entity_type, ''), 'UTF8'))
        || haven_audit_field(coalesce(uuid_send(entity), ''::bytea))
        || haven_audit_field(coalesce(
               (SELECT string_agg(uuid_send(c), ''::bytea ORDER BY o) FROM unnest(clients) WITH ORDINALITY AS u (c, o)),
               ''::bytea))
        || haven_audit_field(convert_to(outcome, 'UTF8'))
        || haven_audit_field(convert_to(source, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(request_id, ''), 'UTF8'))
        || coalesce(haven_audit_field(digest), ''::bytea);
END
$$;
