-- 0057: a partner may enrol a one-time-code app (TOTP, RFC 6238) as staff can (issue #16, docs/portal.md
-- "Access").
--
-- The secret is sealed with a data key of the partner's own (subject `partner:<account id>`), like staff's
-- (0023), and only the database's functions touch the table: haven_app has no grant on it. With a
-- confirmed app every sign-in (passphrase or link) opens its partner_sessions row with
-- second_factor_pending, which haven_portal_live_session has always refused: the session opens no partner
-- context until a code is accepted. The code step holds a *pending* context (0050's shape: only
-- pending_token_hash, here the partner session's), read by haven_context_partner_pending() alone; no
-- partner or staff reader answers for it. A code's step counts only with the master key's attestation
-- (haven_step_attested, now for partner sessions too), only above the last used step, and every try is a
-- sign-in try of its own kind, `partner-code` (noted and committed first, checked by haven_sign_in_check):
-- five failures pause the code step for the address, whatever the passphrase step does meanwhile.

ALTER TABLE data_keys DROP CONSTRAINT data_keys_subject_kind,
    ADD CONSTRAINT data_keys_subject_kind
        CHECK (subject_kind IN ('couple', 'client', 'psychotherapy', 'test', 'staff', 'partner'));
ALTER TABLE sealed_columns DROP CONSTRAINT sealed_columns_subject_kind,
    ADD CONSTRAINT sealed_columns_subject_kind
        CHECK (subject_kind IN ('couple', 'client', 'psychotherapy', 'test', 'staff', 'partner'));

CREATE TABLE partner_totp (
    practice_id uuid NOT NULL,
    account_id uuid NOT NULL,
    secret bytea NOT NULL,
    secret_key_id uuid NOT NULL REFERENCES data_keys (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- NULL until the partner proves their app shows the right codes; only then is it asked for.
    confirmed_at timestamptz,
    -- The newest time step accepted: a code is never accepted twice (RFC 6238 §5.2).
    last_used_step bigint,
    PRIMARY KEY (practice_id, account_id),
    FOREIGN KEY (practice_id, account_id) REFERENCES partner_accounts (practice_id, id) ON DELETE CASCADE,
    CONSTRAINT partner_totp_confirmed_has_step CHECK (confirmed_at IS NULL OR last_used_step IS NOT NULL)
);
ALTER TABLE partner_totp ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_totp FORCE ROW LEVEL SECURITY;
CREATE POLICY partner_totp_owner ON partner_totp TO CURRENT_USER USING (true) WITH CHECK (true);

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('partner_totp', 'secret', 'secret_key_id', 'account_id', 'partner', 'account_id');

ALTER TABLE sign_in_tries DROP CONSTRAINT sign_in_tries_kind,
    ADD CONSTRAINT sign_in_tries_kind CHECK (kind IN ('staff', 'partner', 'partner-link', 'partner-code'));

-- 0046's, taking the code step's kind too.
CREATE OR REPLACE FUNCTION haven_sign_in_note_try(kind text, login_email text, candidate text, source text,
                                                  request_id text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    noted uuid;
BEGIN
    IF kind IS NULL OR kind NOT IN ('staff', 'partner', 'partner-code') THEN
        RETURN NULL;
    END IF;
    DELETE FROM sign_in_tries t WHERE t.tried_at < now() - interval '1 day';
    UPDATE sign_in_tries t SET candidate_hash = NULL
    WHERE t.candidate_hash IS NOT NULL AND t.tried_at < now() - haven_sign_in_try_window();
    INSERT INTO sign_in_tries (kind, address_key, candidate_hash, source, request_id)
    VALUES (kind, haven_sign_in_address_key(kind, login_email), sha256(convert_to(coalesce(candidate, ''), 'UTF8')),
            left(coalesce(source, 'unknown'), 200), left(request_id, 200))
    RETURNING ticket INTO noted;
    RETURN noted;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- The pending partner context and the attestation.

-- The partner sign-in the current transaction's pending context waits for, in a partner context's shape
-- (never stored as one): only for the code step. Raises 42501 without a pending context or when its
-- session no longer waits (internal).
CREATE FUNCTION haven_context_partner_pending() RETURNS request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM request_contexts c
    WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned()
      AND c.pending_token_hash IS NOT NULL AND haven_context_in_time(c.valid_until);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT s.practice_id, a.client_id, a.id, s.token_hash
    INTO ctx.partner_practice_id, ctx.partner_client_id, ctx.partner_account_id, ctx.partner_token_hash
    FROM partner_sessions s
    JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = ctx.pending_token_hash AND s.second_factor_pending AND s.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    ctx.pending_token_hash := NULL;
    RETURN ctx;
END
$$;
REVOKE ALL ON FUNCTION haven_context_partner_pending() FROM PUBLIC;

-- 0054's deadline of a context being written, now that a pending context's token may be a partner
-- session's too (the code step of a partner's sign-in): its session's idle period from the transaction's
-- start, capped by its absolute expiry, whichever table the token is in.
CREATE OR REPLACE FUNCTION haven_context_set_deadline() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
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
        (SELECT least(now() + make_interval(secs => s.idle_timeout_seconds), s.absolute_expires_at)
         FROM staff_sessions s
         WHERE NEW.partner_token_hash IS NULL AND s.token_hash = staff_token AND s.revoked_at IS NULL),
        (SELECT least(now() + make_interval(secs => s.idle_timeout_seconds), s.absolute_expires_at)
         FROM partner_sessions s
         WHERE NEW.token_hash IS NULL AND s.token_hash = partner_token AND s.revoked_at IS NULL),
        '-infinity');
    RETURN NEW;
END
$$;

-- 0050's: the session is the staff context's, the partner context's or, at sign-in, the pending context's.
CREATE OR REPLACE FUNCTION haven_step_attested(step bigint, master_key_version integer, attestation bytea)
    RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    session bytea;
    attestation_key bytea;
BEGIN
    SELECT coalesce(c.token_hash, c.partner_token_hash) INTO session FROM haven_context() c;
    IF session IS NULL THEN
        SELECT c.pending_token_hash INTO session FROM request_contexts c
        WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned()
          AND haven_context_in_time(c.valid_until);
    END IF;
    SELECT k.key INTO attestation_key FROM second_factor_attestation_keys k
    WHERE k.master_key_version = haven_step_attested.master_key_version;
    IF attestation_key IS NULL THEN
        RAISE EXCEPTION 'no second-factor attestation key is recorded for this master key version'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN step IS NOT NULL AND session IS NOT NULL AND attestation IS NOT NULL
        AND attestation = haven_hmac_sha256(attestation_key, session || int8send(step));
END
$$;

-- The partner's own data key for their one-time-code secret: by id (`wanted`), or the active one when
-- `wanted` is NULL. In the partner's context or the pending context of their sign-in; nothing else.
CREATE FUNCTION haven_portal_totp_key(wanted uuid)
    RETURNS TABLE (id uuid, practice_id uuid, subject_kind text, subject_id text, state text,
                   master_key_version integer, wrapped_key bytea, created_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    IF EXISTS (SELECT 1 FROM haven_context() c WHERE c.partner_client_id IS NOT NULL) THEN
        ctx := haven_context_partner();
    ELSE
        ctx := haven_context_partner_pending();
    END IF;
    RETURN QUERY
        SELECT k.id, k.practice_id, k.subject_kind, k.subject_id, k.state, k.master_key_version, k.wrapped_key,
               k.created_at
        FROM data_keys k
        WHERE k.practice_id = ctx.partner_practice_id AND k.subject_kind = 'partner'
          AND k.subject_id = ctx.partner_account_id::text
          AND (k.id = wanted OR wanted IS NULL AND k.state = 'active');
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_key(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_key(uuid) TO haven_app;

-- Records the partner's first data key (random, wrapped by the server with the master key): false when
-- another request recorded one first. Partner context only.
CREATE FUNCTION haven_portal_totp_add_key(new_id uuid, master_key_version integer, wrapped bytea) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    added integer;
BEGIN
    INSERT INTO data_keys (id, practice_id, subject_kind, subject_id, state, master_key_version, wrapped_key)
    VALUES (new_id, ctx.partner_practice_id, 'partner', ctx.partner_account_id::text, 'active', master_key_version,
            wrapped)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added = 1;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_add_key(uuid, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_add_key(uuid, integer, bytea) TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- Enrolling, confirming, removing (the partner's own context).

-- The partner's own app (locked for the transaction): the account's address, the sealed secret (NULL
-- without an app), whether it is confirmed and the last step used.
CREATE FUNCTION haven_portal_totp_own()
    RETURNS TABLE (email text, secret bytea, confirmed boolean, last_used_step bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    PERFORM 1 FROM partner_totp t
    WHERE t.practice_id = ctx.partner_practice_id AND t.account_id = ctx.partner_account_id FOR UPDATE;
    RETURN QUERY
        SELECT a.email, t.secret, coalesce(t.confirmed_at IS NOT NULL, false), t.last_used_step
        FROM partner_accounts a
        LEFT JOIN partner_totp t ON t.practice_id = a.practice_id AND t.account_id = a.id
        WHERE a.practice_id = ctx.partner_practice_id AND a.id = ctx.partner_account_id;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_own() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_own() TO haven_app;

-- Audits a partner's own code-app action.
CREATE FUNCTION haven_portal_totp_audit(ctx request_contexts, action text, ok boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id, action,
                              'partner_account', ctx.partner_account_id, ARRAY[ctx.partner_client_id],
                              CASE WHEN ok THEN 'success' ELSE 'denied' END, NULL, ctx.partner_client_id);
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_audit(request_contexts, text, boolean) FROM PUBLIC;

-- Stores a new, unconfirmed app's sealed secret (replacing an unconfirmed one); 'enrolled' or 'confirmed'
-- (an app is confirmed already: remove it first).
CREATE FUNCTION haven_portal_totp_enroll(new_secret bytea, new_key_id uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    IF EXISTS (SELECT 1 FROM partner_totp t
               WHERE t.practice_id = ctx.partner_practice_id AND t.account_id = ctx.partner_account_id
                 AND t.confirmed_at IS NOT NULL) THEN
        RETURN 'confirmed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM data_keys k
                   WHERE k.id = new_key_id AND k.practice_id = ctx.partner_practice_id AND k.subject_kind = 'partner'
                     AND k.subject_id = ctx.partner_account_id::text AND k.state = 'active') THEN
        RAISE EXCEPTION 'the secret is not sealed with the partner''s own key' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO partner_totp (practice_id, account_id, secret, secret_key_id)
    VALUES (ctx.partner_practice_id, ctx.partner_account_id, new_secret, new_key_id)
    ON CONFLICT (practice_id, account_id) DO UPDATE
    SET secret = EXCLUDED.secret, secret_key_id = EXCLUDED.secret_key_id, created_at = now(), confirmed_at = NULL,
        last_used_step = NULL;
    PERFORM haven_portal_totp_audit(ctx, 'portal.totp.begin', true);
    RETURN 'enrolled';
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_enroll(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_enroll(bytea, uuid) TO haven_app;

-- Confirms the unconfirmed app with an attested step (NULL: the code did not match); audited either way.
CREATE FUNCTION haven_portal_totp_confirm(step bigint, master_key_version integer, attestation bytea)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    moved integer := 0;
BEGIN
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        UPDATE partner_totp SET confirmed_at = now(), last_used_step = step
        WHERE practice_id = ctx.partner_practice_id AND account_id = ctx.partner_account_id AND confirmed_at IS NULL;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    PERFORM haven_portal_totp_audit(ctx, 'portal.totp.confirm', moved = 1);
    RETURN moved = 1;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_confirm(bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_confirm(bigint, integer, bytea) TO haven_app;

-- Removes the confirmed app with an attested, unused step; audited either way.
CREATE FUNCTION haven_portal_totp_remove(step bigint, master_key_version integer, attestation bytea)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    removed integer := 0;
BEGIN
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        DELETE FROM partner_totp
        WHERE practice_id = ctx.partner_practice_id AND account_id = ctx.partner_account_id
          AND confirmed_at IS NOT NULL AND last_used_step < step;
        GET DIAGNOSTICS removed = ROW_COUNT;
    END IF;
    PERFORM haven_portal_totp_audit(ctx, 'portal.totp.remove', removed = 1);
    RETURN removed = 1;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_remove(bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_remove(bigint, integer, bytea) TO haven_app;

-- The counselor's reset (a partner who lost their phone): removes the app of `client`'s account on a
-- chart of the caseload and ends the account's sign-ins waiting for a code. 'done' or 'not-found';
-- audited either way, with the staff member as the actor.
CREATE FUNCTION haven_portal_totp_reset(client uuid, kind text, chart uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    account uuid;
    removed integer := 0;
BEGIN
    IF kind IN ('couple', 'client') AND haven_portal_chart_in_caseload(kind, chart)
       AND client = ANY (haven_portal_chart_clients(ctx.practice_id, kind, chart)) THEN
        SELECT a.id INTO account FROM partner_accounts a WHERE a.practice_id = ctx.practice_id AND a.client_id = client;
    END IF;
    IF account IS NOT NULL THEN
        DELETE FROM partner_totp t WHERE t.practice_id = ctx.practice_id AND t.account_id = account;
        GET DIAGNOSTICS removed = ROW_COUNT;
        DELETE FROM partner_sessions s WHERE s.account_id = account AND s.second_factor_pending;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, 'portal.totp.reset', 'partner_account', account,
                              CASE WHEN removed = 1 THEN ARRAY[client] ELSE '{}' END,
                              CASE WHEN removed = 1 THEN 'success' ELSE 'denied' END, NULL);
    RETURN CASE WHEN removed = 1 THEN 'done' ELSE 'not-found' END;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_reset(uuid, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_reset(uuid, text, uuid) TO haven_app;

-- The chart's partners with a confirmed app (the counselor's portal status; staff context, caseload).
CREATE FUNCTION haven_portal_totp_enrolled(kind text, chart uuid) RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    IF kind NOT IN ('couple', 'client') OR NOT haven_portal_chart_in_caseload(kind, chart) THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT a.client_id FROM partner_accounts a
        JOIN partner_totp t ON t.practice_id = a.practice_id AND t.account_id = a.id AND t.confirmed_at IS NOT NULL
        WHERE a.practice_id = ctx.practice_id AND a.client_id = ANY (haven_portal_chart_clients(ctx.practice_id, kind, chart));
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_enrolled(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_enrolled(text, uuid) TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- Sign-in: both paths end in a pending session when the account has a confirmed app.

-- 0043's session opener: with a confirmed app the session waits for its code (no login audited yet;
-- the code step audits it). Returns the outcome the sign-in functions answer.
DROP FUNCTION haven_portal_open_session(partner_accounts, bytea, integer, integer, text, text, text);
CREATE FUNCTION haven_portal_open_session(account partner_accounts, token bytea, idle_seconds integer,
                                          lifetime_seconds integer, rehash text, source text, request_id text)
    RETURNS TABLE (outcome text, charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
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
    INSERT INTO partner_sessions (token_hash, practice_id, account_id, chart_kind, chart_id, idle_timeout_seconds,
                                  absolute_expires_at, second_factor_pending)
    VALUES (token, account.practice_id, account.id, CASE WHEN reached = 1 THEN live.chart_kind END,
            CASE WHEN reached = 1 THEN live.chart_id END, idle_seconds, expires, pending);
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
REVOKE ALL ON FUNCTION haven_portal_open_session(partner_accounts, bytea, integer, integer, text, text, text)
    FROM PUBLIC;

CREATE OR REPLACE FUNCTION haven_portal_sign_in(
    ticket uuid, login_email text, candidate text, token bytea, idle_seconds integer, lifetime_seconds integer,
    rehash text, source text, request_id text
) RETURNS TABLE (outcome text, charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    account partner_accounts;
    reached integer := 0;
    verdict text;
BEGIN
    SELECT a.* INTO account FROM partner_accounts a WHERE a.email = lower(btrim(login_email));
    IF FOUND THEN
        SELECT count(*)::integer INTO reached FROM haven_portal_live_charts(account.id);
    END IF;
    verdict := haven_sign_in_check('partner', ticket, login_email, candidate, account.passphrase_hash,
                                   account.disabled_at IS NULL AND reached > 0, account.practice_id, account.id,
                                   CASE WHEN account.id IS NOT NULL THEN ARRAY[account.client_id] END, source,
                                   request_id);
    IF verdict <> 'check-passed' THEN
        RETURN QUERY SELECT verdict, NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    RETURN QUERY SELECT s.outcome, s.charts, s.absolute_expires_at
        FROM haven_portal_open_session(account, token, idle_seconds, lifetime_seconds, rehash, source, request_id) s;
END
$$;

CREATE OR REPLACE FUNCTION haven_portal_spend_sign_in_link(
    ticket uuid, token_hash bytea, token bytea, idle_seconds integer, lifetime_seconds integer, source text,
    request_id text
) RETURNS TABLE (outcome text, charts integer, absolute_expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    link partner_links;
    account partner_accounts;
BEGIN
    IF haven_portal_try_kind(ticket, token_hash) IS DISTINCT FROM 'invitation-link' THEN
        RETURN QUERY SELECT 'refused', NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT l.* INTO link FROM partner_links l
    WHERE l.token_hash = haven_portal_spend_sign_in_link.token_hash AND l.kind = 'sign-in' AND l.spent_at IS NULL
      AND l.superseded_at IS NULL AND l.expires_at > now()
    FOR UPDATE;
    IF FOUND THEN
        SELECT a.* INTO account FROM partner_accounts a
        WHERE a.practice_id = link.practice_id AND a.id = link.account_id AND a.disabled_at IS NULL;
    END IF;
    IF account.id IS NULL OR NOT EXISTS (SELECT 1 FROM haven_portal_live_charts(account.id)) THEN
        RETURN QUERY SELECT 'refused', NULL::integer, NULL::timestamptz;
        RETURN;
    END IF;
    UPDATE partner_links SET spent_at = now() WHERE partner_links.token_hash = link.token_hash;
    RETURN QUERY SELECT s.outcome, s.charts, s.absolute_expires_at
        FROM haven_portal_open_session(account, token, idle_seconds, lifetime_seconds, NULL, source, request_id) s;
END
$$;

-- The address of the account whose sign-in waits under `token` for its code (for the code step's try),
-- while it waits (five minutes). Writes nothing.
CREATE FUNCTION haven_portal_pending_sign_in(token bytea) RETURNS TABLE (email text, expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT a.email, least(s.created_at + interval '5 minutes', s.absolute_expires_at)
        FROM partner_sessions s
        JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
        WHERE s.token_hash = token AND s.second_factor_pending AND s.revoked_at IS NULL AND a.disabled_at IS NULL
          AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    $$;
REVOKE ALL ON FUNCTION haven_portal_pending_sign_in(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_pending_sign_in(bytea) TO haven_app;

-- Opens the pending context of the sign-in waiting under `token` and answers the sealed secret and the
-- last step used (both locked). Raises 28000 when no sign-in waits.
CREATE FUNCTION haven_portal_open_pending_context(token bytea, source text, request_id text)
    RETURNS TABLE (account_id uuid, totp_secret bytea, totp_last_used_step bigint, absolute_expires_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    pending record;
    totp record;
BEGIN
    SELECT s.practice_id, s.account_id, s.absolute_expires_at INTO pending FROM partner_sessions s
    JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = token AND s.second_factor_pending AND s.revoked_at IS NULL AND a.disabled_at IS NULL
      AND now() < s.created_at + interval '5 minutes' AND now() < s.absolute_expires_at
    FOR UPDATE OF s;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    SELECT t.secret, t.last_used_step INTO totp FROM partner_totp t
    WHERE t.practice_id = pending.practice_id AND t.account_id = pending.account_id AND t.confirmed_at IS NOT NULL
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    PERFORM haven_write_pending_context(token, source, request_id);
    RETURN QUERY SELECT pending.account_id, totp.secret, totp.last_used_step, pending.absolute_expires_at;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_open_pending_context(bytea, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_open_pending_context(bytea, text, text) TO haven_app;

-- The code step, in the pending context: `candidate` is the code typed, noted first as a `partner-code`
-- try under the account's address (`ticket`); `step` its time step as the server found it (NULL: no
-- match), with the master key's attestation. The step counts only attested and above the last one used.
-- 'signed-in' (the session is live; audited portal.login), 'refused' (the session still waits; audited by
-- the check) or 'paused' (five failed codes: the session is ended).
CREATE FUNCTION haven_portal_second_factor(ticket uuid, candidate text, step bigint, master_key_version integer,
                                           attestation bytea) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner_pending();
    account partner_accounts;
    moved integer := 0;
    verdict text;
BEGIN
    SELECT a.* INTO account FROM partner_accounts a
    WHERE a.practice_id = ctx.partner_practice_id AND a.id = ctx.partner_account_id;
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        UPDATE partner_totp t SET last_used_step = step
        WHERE t.practice_id = account.practice_id AND t.account_id = account.id AND t.confirmed_at IS NOT NULL
          AND t.last_used_step < step;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    verdict := haven_sign_in_check('partner-code', ticket, account.email, candidate,
                                   CASE WHEN moved = 1 THEN candidate END, true, account.practice_id, account.id,
                                   ARRAY[account.client_id], ctx.source, ctx.request_id);
    IF verdict = 'check-passed' THEN
        UPDATE partner_sessions SET second_factor_pending = false, last_seen_at = now()
        WHERE token_hash = ctx.partner_token_hash;
        PERFORM haven_audit_write(account.practice_id, NULL, '{}', false, ctx.source, ctx.request_id, 'portal.login',
                                  'partner_account', account.id, ARRAY[account.client_id], 'success', NULL,
                                  account.client_id);
        RETURN 'signed-in';
    END IF;
    IF verdict = 'paused' THEN
        DELETE FROM partner_sessions WHERE token_hash = ctx.partner_token_hash;
    END IF;
    RETURN verdict;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_second_factor(uuid, text, bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_second_factor(uuid, text, bigint, integer, bytea) TO haven_app;
