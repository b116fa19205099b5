-- 0067: a request's context row is rewritten in place (#17).
--
-- Each backend keeps one row of request_contexts, which every transaction that opens a context
-- rewrites. The three writers did it with INSERT ... ON CONFLICT (backend_pid) DO UPDATE; after a
-- backend's first transaction the row is always there, so the INSERT's work was spent for nothing on
-- every request: its BEFORE trigger (the deadline, which looks up the session) ran for the row that was
-- then not inserted, before the UPDATE's ran again (about 15 µs a request, measured in session 14).
-- Now each writer updates the backend's row and inserts only when there is none. The same columns and
-- values as before: a row from a backend that has ended, whose process id a new backend now has, is
-- overwritten as the upsert overwrote it. No other backend writes a backend's row (the key is the
-- writer's own process id), so the UPDATE-then-INSERT cannot race with another writer.

CREATE OR REPLACE FUNCTION haven_write_context(
    practice uuid, staff uuid, roles text[], caseload uuid[], break_glass boolean, subjects text[], token bytea,
    source text, request_id text
) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    sorted text[] := ARRAY(SELECT r FROM unnest(roles) AS r ORDER BY r COLLATE "C");
BEGIN
    UPDATE request_contexts c SET
        transaction_id = pg_current_xact_id(), practice_id = practice, staff_id = staff, staff_roles = sorted,
        caseload = haven_write_context.caseload, break_glass = haven_write_context.break_glass,
        break_glass_subjects = subjects, token_hash = token, source = haven_write_context.source,
        request_id = haven_write_context.request_id, calendar = false, partner_practice_id = NULL,
        partner_client_id = NULL, partner_account_id = NULL, partner_chart = NULL, partner_token_hash = NULL,
        pending_token_hash = NULL
    WHERE c.backend_pid = pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO request_contexts (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                      break_glass, break_glass_subjects, token_hash, source, request_id, calendar)
        VALUES (pg_backend_pid(), pg_current_xact_id(), practice, staff, sorted, caseload, break_glass, subjects,
                token, source, request_id, false);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION haven_write_partner_context(
    practice uuid, client uuid, account uuid, chart text, token bytea, source text, request_id text
) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    UPDATE request_contexts c SET
        transaction_id = pg_current_xact_id(), practice_id = NULL, staff_id = NULL, staff_roles = '{}',
        caseload = '{}', break_glass = false, break_glass_subjects = '{}', token_hash = NULL,
        source = haven_write_partner_context.source, request_id = haven_write_partner_context.request_id,
        calendar = false, partner_practice_id = practice, partner_client_id = client,
        partner_account_id = account, partner_chart = chart, partner_token_hash = token,
        pending_token_hash = NULL
    WHERE c.backend_pid = pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO request_contexts (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                      break_glass, break_glass_subjects, token_hash, source, request_id, calendar,
                                      partner_practice_id, partner_client_id, partner_account_id, partner_chart,
                                      partner_token_hash)
        VALUES (pg_backend_pid(), pg_current_xact_id(), NULL, NULL, '{}', '{}', false, '{}', NULL, source,
                request_id, false, practice, client, account, chart, token);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION haven_write_pending_context(token bytea, source text, request_id text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    UPDATE request_contexts c SET
        transaction_id = pg_current_xact_id(), practice_id = NULL, staff_id = NULL, staff_roles = '{}',
        caseload = '{}', break_glass = false, break_glass_subjects = '{}', token_hash = NULL,
        source = haven_write_pending_context.source, request_id = haven_write_pending_context.request_id,
        calendar = false, partner_practice_id = NULL, partner_client_id = NULL, partner_account_id = NULL,
        partner_chart = NULL, partner_token_hash = NULL, pending_token_hash = token
    WHERE c.backend_pid = pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO request_contexts (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                      break_glass, break_glass_subjects, token_hash, source, request_id, calendar,
                                      pending_token_hash)
        VALUES (pg_backend_pid(), pg_current_xact_id(), NULL, NULL, '{}', '{}', false, '{}', NULL, source,
                request_id, false, token);
    END IF;
END
$$;
