-- 0076: no request of a session writes its session's row (attacker review of 0074–0075, 2026-12-07).
--
-- 0074 moved the idle clock off the session's row so that a transaction held open after a refresh
-- holds back no one ending the session. Two more writes of that row were open to anyone with the app
-- role's password and the session's token: the sign-out (which set revoked_at) and a partner's chart
-- choice (which set chart_kind and chart_id). Either, kept open in a transaction, locked the row, so a
-- counselor's portal revoke or a pause or discharge (which delete the partner's sessions), an admin's
-- disable, "end sessions" or password reset, and the operator's CLI (which set revoked_at on every
-- session of the member) waited for it, while the session's other transactions went on opening
-- contexts. Now:
--   * a sign-out appends a row to session_sign_outs, a table with no unique key, so that appending
--     waits for no one (not even another sign-out of the same session held open), and the live-session
--     functions refuse a session with such a row;
--   * the chart a partner chose lives in the session's activity row, beside its clock (only the
--     session's own transactions contend for that row; the ending of a session never waits for it).
-- The session's row is written when it is made, by the second-factor steps (which need the member's
-- password; docs/security.md lists them) and by whoever ends it.

CREATE TABLE session_sign_outs (
    token_hash bytea NOT NULL CONSTRAINT session_sign_outs_token_length CHECK (length(token_hash) = 32),
    signed_out_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_sign_outs_token ON session_sign_outs (token_hash);
ALTER TABLE session_sign_outs ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_sign_outs FORCE ROW LEVEL SECURITY;
-- The owner's functions only; haven_app has no privilege on it.
CREATE POLICY session_sign_outs_owner ON session_sign_outs TO CURRENT_USER USING (true) WITH CHECK (true);
-- Statistics for the empty table (autovacuum analyzes it only after 50 rows): with none, PostgreSQL
-- assumes ten pages, and the context's deadline trigger (0078) planned its look-up afresh on every
-- context, ~120 µs each (pgbench, BEGIN / haven_open_context / COMMIT: 2,800 against 4,300 per s).
ANALYZE session_sign_outs;

ALTER TABLE partner_session_activity
    ADD COLUMN chart_kind text,
    ADD COLUMN chart_id uuid,
    ADD CONSTRAINT partner_session_activity_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    ADD CONSTRAINT partner_session_activity_chart_whole CHECK ((chart_kind IS NULL) = (chart_id IS NULL));
CREATE INDEX partner_session_activity_chart ON partner_session_activity (chart_id) WHERE chart_id IS NOT NULL;

-- Each session's chart moves over as it is; then the session's columns go.
UPDATE partner_session_activity v SET chart_kind = s.chart_kind, chart_id = s.chart_id
FROM partner_sessions s
WHERE s.token_hash = v.token_hash AND s.chart_id IS NOT NULL;

CREATE OR REPLACE FUNCTION haven_live_session(token bytea)
    RETURNS TABLE(practice_id uuid, staff_id uuid, roles text[], last_seen_at timestamptz,
                  totp_enrollment_due boolean)
    LANGUAGE sql STABLE
    AS $$
    SELECT s.practice_id, s.staff_id, st.roles, a.last_seen_at,
           p.require_totp AND NOT EXISTS (
               SELECT 1 FROM public.staff_totp t
               WHERE t.practice_id = s.practice_id AND t.staff_id = s.staff_id AND t.confirmed_at IS NOT NULL
           )
    FROM public.staff_sessions s
    JOIN public.staff_session_activity a ON a.token_hash = s.token_hash
    JOIN public.staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    JOIN public.practices p ON p.id = s.practice_id
    WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending AND st.active
      AND NOT EXISTS (SELECT 1 FROM public.session_sign_outs o WHERE o.token_hash = s.token_hash)
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < a.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
$$;

CREATE OR REPLACE FUNCTION haven_portal_live_session(token bytea)
    RETURNS TABLE(practice_id uuid, client_id uuid, account_id uuid, chart_kind text, chart_id uuid,
                  last_seen_at timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT s.practice_id, a.client_id, a.id, v.chart_kind, v.chart_id, v.last_seen_at
    FROM public.partner_sessions s
    JOIN public.partner_session_activity v ON v.token_hash = s.token_hash
    JOIN public.partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = token AND s.revoked_at IS NULL AND NOT s.second_factor_pending
      AND NOT EXISTS (SELECT 1 FROM public.session_sign_outs o WHERE o.token_hash = s.token_hash)
      AND a.disabled_at IS NULL AND a.passphrase_hash IS NOT NULL
      AND pg_catalog.now() < s.absolute_expires_at
      AND pg_catalog.now() < v.last_seen_at + pg_catalog.make_interval(secs => s.idle_timeout_seconds)
      AND (v.chart_id IS NULL AND EXISTS (SELECT 1 FROM public.haven_portal_live_charts(a.id))
           OR v.chart_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM public.partner_chart_access x
          WHERE x.account_id = a.id AND x.chart_kind = v.chart_kind AND x.chart_id = v.chart_id
            AND x.revoked_at IS NULL
            AND public.haven_portal_chart_live(a.practice_id, a.client_id, v.chart_kind, v.chart_id)))
$$;

CREATE OR REPLACE FUNCTION haven_sign_out() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    INSERT INTO session_sign_outs (token_hash) VALUES (ctx.token_hash);
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, false, ctx.source, ctx.request_id,
                              'staff.logout', 'staff', ctx.staff_id, '{}', 'success', NULL);
END
$$;

CREATE OR REPLACE FUNCTION haven_portal_sign_out() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    INSERT INTO session_sign_outs (token_hash) VALUES (ctx.partner_token_hash);
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id, 'portal.logout',
                              'partner_account', ctx.partner_account_id, ARRAY[ctx.partner_client_id], 'success',
                              NULL, ctx.partner_client_id);
END
$$;

CREATE OR REPLACE FUNCTION haven_portal_choose_chart(kind text, chart uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    allowed boolean;
BEGIN
    allowed := EXISTS (SELECT 1 FROM haven_portal_live_charts(ctx.partner_account_id) c
                       WHERE c.chart_kind = kind AND c.chart_id = chart);
    IF allowed THEN
        UPDATE partner_session_activity SET chart_kind = kind, chart_id = chart
        WHERE token_hash = ctx.partner_token_hash;
    END IF;
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id,
                              'portal.chart.choose', CASE WHEN allowed THEN kind END, CASE WHEN allowed THEN chart END,
                              CASE WHEN allowed THEN haven_portal_chart_clients(ctx.partner_practice_id, kind, chart)
                                   ELSE '{}' END,
                              CASE WHEN allowed THEN 'success' ELSE 'denied' END, NULL, ctx.partner_client_id);
    RETURN allowed;
END
$$;

-- A session on a chart that closes ends; so does one with no chart chosen whose account reaches it.
CREATE OR REPLACE FUNCTION haven_portal_chart_closed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF NEW.status <> 'active' AND OLD.status <> NEW.status THEN
        DELETE FROM partner_sessions s
        WHERE s.practice_id = NEW.practice_id
          AND (s.token_hash IN (SELECT v.token_hash FROM partner_session_activity v
                                WHERE v.chart_kind = TG_ARGV[0] AND v.chart_id = NEW.id)
               OR s.account_id IN (
                   SELECT x.account_id FROM partner_chart_access x
                   WHERE x.practice_id = NEW.practice_id AND x.chart_kind = TG_ARGV[0] AND x.chart_id = NEW.id)
                  AND NOT EXISTS (SELECT 1 FROM partner_session_activity v
                                  WHERE v.token_hash = s.token_hash AND v.chart_id IS NOT NULL));
    END IF;
    IF NEW.status = 'discharged' AND OLD.status <> 'discharged' THEN
        UPDATE partner_chart_access x SET revoked_at = now()
        WHERE x.practice_id = NEW.practice_id AND x.chart_kind = TG_ARGV[0] AND x.chart_id = NEW.id
          AND x.revoked_at IS NULL;
        UPDATE partner_links l SET superseded_at = now()
        WHERE l.practice_id = NEW.practice_id AND l.chart_kind = TG_ARGV[0] AND l.chart_id = NEW.id
          AND l.spent_at IS NULL AND l.superseded_at IS NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION haven_portal_revoke(client uuid, kind text, chart uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    account uuid;
    touched integer := 0;
    moved integer;
BEGIN
    IF kind IN ('couple', 'client')
       AND haven_portal_chart_in_caseload(kind, chart) THEN
        SELECT a.id INTO account FROM partner_accounts a WHERE a.practice_id = ctx.practice_id AND a.client_id = client;
    END IF;
    IF account IS NOT NULL THEN
        UPDATE partner_chart_access x SET revoked_at = now(), revoked_by = ctx.staff_id
        WHERE x.account_id = account AND x.chart_kind = kind AND x.chart_id = chart AND x.revoked_at IS NULL;
        GET DIAGNOSTICS touched = ROW_COUNT;
        UPDATE partner_links l SET superseded_at = now()
        WHERE l.account_id = account AND l.chart_kind = haven_portal_revoke.kind AND l.chart_id = chart
          AND l.spent_at IS NULL
          AND l.superseded_at IS NULL;
        GET DIAGNOSTICS moved = ROW_COUNT;
        touched := touched + moved;
        -- The sessions on that chart, and those with no chart chosen (they sign in again).
        DELETE FROM partner_sessions s
        WHERE s.account_id = account
          AND NOT EXISTS (SELECT 1 FROM partner_session_activity v
                          WHERE v.token_hash = s.token_hash AND v.chart_id IS NOT NULL
                            AND NOT (v.chart_kind = kind AND v.chart_id = chart));
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'portal.revoke', kind, chart,
                              CASE WHEN touched > 0 THEN haven_portal_chart_clients(ctx.practice_id, kind, chart)
                                   ELSE '{}' END,
                              CASE WHEN touched > 0 THEN 'success' ELSE 'denied' END, NULL);
    RETURN CASE WHEN touched > 0 THEN 'done' ELSE 'not-found' END;
END
$$;

-- The sign-in's chart (the account's only live one) goes to the new session's activity row.
CREATE OR REPLACE FUNCTION haven_portal_open_session(account partner_accounts, token bytea, idle_seconds integer,
                                                     lifetime_seconds integer, rehash text, source text,
                                                     request_id text)
    RETURNS TABLE(outcome text, charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    live record;
    reached integer;
    pending boolean;
    expires timestamptz := now() + make_interval(secs => lifetime_seconds);
BEGIN
    SELECT count(*)::integer INTO reached FROM haven_portal_live_charts(account.id);
    SELECT * INTO live FROM haven_portal_live_charts(account.id) LIMIT 1;
    pending := EXISTS (SELECT 1 FROM partner_totp t
                       WHERE t.practice_id = account.practice_id AND t.account_id = account.id
                         AND t.confirmed_at IS NOT NULL);
    INSERT INTO partner_sessions (token_hash, practice_id, account_id, idle_timeout_seconds, absolute_expires_at,
                                  second_factor_pending)
    VALUES (token, account.practice_id, account.id, idle_seconds, expires, pending);
    IF reached = 1 THEN
        UPDATE partner_session_activity SET chart_kind = live.chart_kind, chart_id = live.chart_id
        WHERE token_hash = token;
    END IF;
    IF rehash IS NOT NULL THEN
        UPDATE partner_accounts SET passphrase_hash = rehash WHERE id = account.id;
    END IF;
    IF NOT pending THEN
        PERFORM haven_audit_write(account.practice_id, NULL, '{}', false, source, request_id, 'portal.login',
                                  'partner_account', account.id, ARRAY[account.client_id], 'success', NULL,
                                  account.client_id);
    END IF;
    RETURN QUERY SELECT CASE WHEN pending THEN 'second-factor' ELSE 'signed-in' END, reached, expires;
END
$$;

ALTER TABLE partner_sessions DROP COLUMN chart_kind, DROP COLUMN chart_id;
