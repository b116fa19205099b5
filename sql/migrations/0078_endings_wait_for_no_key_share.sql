-- 0078: two more waits and a gap found by the attacker review of 0076–0077 (2026-12-07).
--
-- * An admin's password reset locked the member's staff row FOR UPDATE (to order itself against a
--   concurrent role grant or link). That lock conflicts with the FOR KEY SHARE a foreign-key check
--   takes on the same row, which the member's own requests take with nothing but their token (turning
--   a notification kind off inserts into notification_opt_outs, which references staff) and every
--   sign-in takes (its staff_sessions row references staff): such a transaction kept open made the
--   reset wait, while the member's sessions went on opening contexts. FOR NO KEY UPDATE orders the
--   reset against role grants and links just as well (they UPDATE staff, which takes the same lock)
--   and leaves key shares alone.
-- * A context's deadline is read from its session when the context row is written; since 0076 a
--   sign-out is a row of session_sign_outs, which that read did not consult, so a sign-out committing
--   between an opener's live check and its write left the context a full idle period instead of none
--   (as a revoked session's gets). The deadline now treats a signed-out session as revoked.

CREATE OR REPLACE FUNCTION haven_admin_staff_password_link(target uuid, token_hash bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, target);
BEGIN
    IF result IS NULL AND EXISTS (
            SELECT 1 FROM staff s WHERE s.id = target AND s.practice_id = ctx.practice_id
              AND s.roles && ARRAY['admin', 'counselor', 'supervisor']) THEN
        result := 'clinical';
    END IF;
    IF result IS NULL AND (token_hash IS NULL OR length(token_hash) <> 32) THEN
        result := 'invalid';
    END IF;
    IF result IS NULL THEN
        -- The account's row lock orders this against a concurrent role grant or link (both UPDATE the
        -- row), not against the key shares of the member's own inserts (0078).
        PERFORM 1 FROM staff s WHERE s.id = target AND s.practice_id = ctx.practice_id FOR NO KEY UPDATE;
        PERFORM haven_password_link_issue(ctx, target, token_hash, 'reset');
        UPDATE staff_sessions SET revoked_at = now()
        WHERE practice_id = ctx.practice_id AND staff_id = target AND revoked_at IS NULL;
        result := 'done';
    END IF;
    PERFORM haven_admin_audit(ctx, 'staff.password.reset', 'staff', target,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
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
         WHERE NEW.partner_token_hash IS NULL AND s.token_hash = staff_token AND s.revoked_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM public.session_sign_outs o WHERE o.token_hash = s.token_hash)),
        (SELECT least(pg_catalog.now() + pg_catalog.make_interval(secs => s.idle_timeout_seconds), s.absolute_expires_at)
         FROM public.partner_sessions s
         WHERE NEW.token_hash IS NULL AND s.token_hash = partner_token AND s.revoked_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM public.session_sign_outs o WHERE o.token_hash = s.token_hash)),
        '-infinity');
    RETURN NEW;
END
$$;
