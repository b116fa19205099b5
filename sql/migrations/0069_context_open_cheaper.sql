-- 0069: opening a context costs less: the live-session look-ups are inlined, the writers and the
-- deadline trigger are no longer SECURITY DEFINER functions (#17).
--
-- haven_live_session() and haven_portal_live_session() find a bearer token's live session. Both were
-- PL/pgSQL functions with SECURITY DEFINER and a SET clause returning their one SELECT through RETURN
-- QUERY: each call started a second executor inside the caller's, materialised the row into a
-- tuplestore and switched the search_path twice (~48 µs of a staff context's ~300, measured in session
-- 14). Neither is granted to haven_app: they are called only from SECURITY DEFINER functions owned by
-- the schema's owner (haven_open_context, haven_session_actor, haven_open_partner_context,
-- haven_portal_choose_chart...), which pin search_path = public, pg_temp.
--
-- Now each is a SQL function the planner inlines into its caller's query (STABLE, not STRICT, no
-- SECURITY DEFINER, no SET clause: PostgreSQL inlines a set-returning SQL function only then). Without
-- SECURITY DEFINER it runs with its caller's rights, which are the owner's, as before; EXECUTE stays
-- revoked from PUBLIC (CREATE OR REPLACE keeps a function's privileges), so haven_app still cannot call
-- either. Every table and function in the bodies is schema-qualified, so what they mean does not
-- depend on the caller's search_path. Same columns, same rows, same conditions.

CREATE OR REPLACE FUNCTION haven_live_session(token bytea) RETURNS TABLE(
    practice_id uuid, staff_id uuid, roles text[], last_seen_at timestamptz, totp_enrollment_due boolean
)
    LANGUAGE sql STABLE
    AS $$
    SELECT s.practice_id, s.staff_id, st.roles, s.last_seen_at,
           p.require_totp AND NOT EXISTS (
               SELECT 1 FROM public.staff_totp t
               WHERE t.practice_id = s.practice_id AND t.staff_id = s.staff_id AND t.confirmed_at IS NOT NULL
           )
    FROM public.staff_sessions s
    JOIN public.staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    JOIN public.practices p ON p.id = s.practice_id
    WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending AND st.active
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < s.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
$$;

CREATE OR REPLACE FUNCTION haven_portal_live_session(token bytea) RETURNS TABLE(
    practice_id uuid, client_id uuid, account_id uuid, chart_kind text, chart_id uuid, last_seen_at timestamptz
)
    LANGUAGE sql STABLE
    AS $$
    SELECT s.practice_id, a.client_id, a.id, s.chart_kind, s.chart_id, s.last_seen_at
    FROM public.partner_sessions s
    JOIN public.partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending
      AND a.disabled_at IS NULL AND a.passphrase_hash IS NOT NULL
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < s.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
      AND (s.chart_id IS NULL AND EXISTS (SELECT 1 FROM public.haven_portal_live_charts(a.id))
           OR s.chart_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM public.partner_chart_access x
          WHERE x.account_id = a.id AND x.chart_kind = s.chart_kind AND x.chart_id = s.chart_id
            AND x.revoked_at IS NULL
            AND public.haven_portal_chart_live(a.practice_id, a.client_id, s.chart_kind, s.chart_id)))
$$;

-- The context's writers and the deadline trigger of its row, likewise (#17): each was SECURITY DEFINER
-- with its own SET search_path, and PostgreSQL saves, sets and restores the search_path (and looks up
-- its schemas again) on every call of such a function, ~15 µs a call in this path (measured: a staff
-- context's server time 241–249 µs on 0068, 190–217 µs with these four and the look-up above changed).
-- None is granted to haven_app: the writers are called only by SECURITY DEFINER functions of the owner
-- (haven_open_context and its partner and pending siblings, the sign-in functions) and by the owner
-- itself (haven_operator_context, the operator's CLI), and request_contexts, whose trigger the last is,
-- grants nothing to anyone, so every caller already holds the owner's rights. Tables are
-- schema-qualified, and so are the catalog functions the bodies call.

CREATE OR REPLACE FUNCTION haven_write_context(
    practice uuid, staff uuid, roles text[], caseload uuid[], break_glass boolean, subjects text[], token bytea,
    source text, request_id text
) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    sorted text[] := ARRAY(SELECT r FROM pg_catalog.unnest(roles) AS r ORDER BY r COLLATE "C");
BEGIN
    UPDATE public.request_contexts c SET
        transaction_id = pg_catalog.pg_current_xact_id(), practice_id = practice, staff_id = staff, staff_roles = sorted,
        caseload = haven_write_context.caseload, break_glass = haven_write_context.break_glass,
        break_glass_subjects = subjects, token_hash = token, source = haven_write_context.source,
        request_id = haven_write_context.request_id, calendar = false, partner_practice_id = NULL,
        partner_client_id = NULL, partner_account_id = NULL, partner_chart = NULL, partner_token_hash = NULL,
        pending_token_hash = NULL
    WHERE c.backend_pid = pg_catalog.pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO public.request_contexts (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                      break_glass, break_glass_subjects, token_hash, source, request_id, calendar)
        VALUES (pg_catalog.pg_backend_pid(), pg_catalog.pg_current_xact_id(), practice, staff, sorted, caseload, break_glass, subjects,
                token, source, request_id, false);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION haven_write_partner_context(
    practice uuid, client uuid, account uuid, chart text, token bytea, source text, request_id text
) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE public.request_contexts c SET
        transaction_id = pg_catalog.pg_current_xact_id(), practice_id = NULL, staff_id = NULL, staff_roles = '{}',
        caseload = '{}', break_glass = false, break_glass_subjects = '{}', token_hash = NULL,
        source = haven_write_partner_context.source, request_id = haven_write_partner_context.request_id,
        calendar = false, partner_practice_id = practice, partner_client_id = client,
        partner_account_id = account, partner_chart = chart, partner_token_hash = token,
        pending_token_hash = NULL
    WHERE c.backend_pid = pg_catalog.pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO public.request_contexts (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                      break_glass, break_glass_subjects, token_hash, source, request_id, calendar,
                                      partner_practice_id, partner_client_id, partner_account_id, partner_chart,
                                      partner_token_hash)
        VALUES (pg_catalog.pg_backend_pid(), pg_catalog.pg_current_xact_id(), NULL, NULL, '{}', '{}', false, '{}', NULL, source,
                request_id, false, practice, client, account, chart, token);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION haven_write_pending_context(token bytea, source text, request_id text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE public.request_contexts c SET
        transaction_id = pg_catalog.pg_current_xact_id(), practice_id = NULL, staff_id = NULL, staff_roles = '{}',
        caseload = '{}', break_glass = false, break_glass_subjects = '{}', token_hash = NULL,
        source = haven_write_pending_context.source, request_id = haven_write_pending_context.request_id,
        calendar = false, partner_practice_id = NULL, partner_client_id = NULL, partner_account_id = NULL,
        partner_chart = NULL, partner_token_hash = NULL, pending_token_hash = token
    WHERE c.backend_pid = pg_catalog.pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO public.request_contexts (backend_pid, transaction_id, practice_id, staff_id, staff_roles, caseload,
                                      break_glass, break_glass_subjects, token_hash, source, request_id, calendar,
                                      pending_token_hash)
        VALUES (pg_catalog.pg_backend_pid(), pg_catalog.pg_current_xact_id(), NULL, NULL, '{}', '{}', false, '{}', NULL, source,
                request_id, false, token);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION haven_context_set_deadline() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    staff_token bytea := coalesce(NEW.token_hash, NEW.pending_token_hash);
    partner_token bytea := coalesce(NEW.partner_token_hash, NEW.pending_token_hash);
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.transaction_id = OLD.transaction_id
       AND NEW.token_hash IS NOT DISTINCT FROM OLD.token_hash
       AND NEW.partner_token_hash IS NOT DISTINCT FROM OLD.partner_token_hash
       AND NEW.pending_token_hash IS NOT DISTINCT FROM OLD.pending_token_hash THEN
        NEW.valid_until := OLD.valid_until;
        RETURN NEW;
    END IF;
    IF staff_token IS NULL AND partner_token IS NULL THEN
        NEW.valid_until := NULL;
        RETURN NEW;
    END IF;
    NEW.valid_until := coalesce(
        (SELECT least(pg_catalog.now() + pg_catalog.make_interval(secs => s.idle_timeout_seconds), s.absolute_expires_at)
         FROM public.staff_sessions s
         WHERE NEW.partner_token_hash IS NULL AND s.token_hash = staff_token AND s.revoked_at IS NULL),
        (SELECT least(pg_catalog.now() + pg_catalog.make_interval(secs => s.idle_timeout_seconds), s.absolute_expires_at)
         FROM public.partner_sessions s
         WHERE NEW.token_hash IS NULL AND s.token_hash = partner_token AND s.revoked_at IS NULL),
        '-infinity');
    RETURN NEW;
END
$$;
