-- 0054: a context ends with its session's idle deadline, whatever the transaction does (review of
-- 2026-12-06, finding 7; docs/security.md, "What a holder of the haven_app password can still do").
--
-- A context is a row of request_contexts for one backend and one transaction, written when a request
-- opens it from a live session token. Before, it lived as long as its transaction: a holder of the app
-- role's password who opened one with a session token, then ran `SET idle_in_transaction_session_timeout
-- = 0` and kept the transaction open, kept the session's reach after a sign-out, a revocation or the
-- session's own expiry, for as long as they liked (in REPEATABLE READ not even a reader that looked up
-- the session row would notice, the snapshot being older than the revocation).
--
-- Now each context row carries valid_until, set by a trigger whenever a context is written: one idle
-- period of its session (the session's idle_timeout_seconds, the practice's policy; 15 minutes for
-- partners) from the *transaction's start* (now()), never past the session's absolute expiry. The
-- openers check the session is live as of the transaction's start too, so counting from the open itself
-- would let a transaction begun while the session was live open a fresh context long after it idled out
-- (review 11, finding 1). Every reader of the context compares the deadline with clock_timestamp(), the
-- wall clock, not the transaction's start or snapshot, so an open transaction loses its context at that
-- moment; a new transaction needs a live session to open another. Contexts written by the owner's
-- operator commands (haven_operator_context, no token) have no deadline: the owner is trusted. The
-- residual, documented: a revocation within one idle period of a transaction's start leaves that
-- transaction its context until the deadline (in REPEATABLE READ it may even open the context after the
-- revocation, its snapshot being older).

ALTER TABLE request_contexts ADD COLUMN valid_until timestamptz;

-- The deadline of a context being written: one idle period of the session its token names from the
-- transaction's start, capped by
-- the session's absolute expiry; '-infinity' (no reach) when no live session has that token; NULL for
-- an operator's context, which has no token. Kept across updates within one transaction.
CREATE FUNCTION haven_context_set_deadline() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.transaction_id = OLD.transaction_id
       AND NEW.token_hash IS NOT DISTINCT FROM OLD.token_hash
       AND NEW.partner_token_hash IS NOT DISTINCT FROM OLD.partner_token_hash
       AND NEW.pending_token_hash IS NOT DISTINCT FROM OLD.pending_token_hash THEN
        NEW.valid_until := OLD.valid_until;
        RETURN NEW;
    END IF;
    IF NEW.partner_token_hash IS NOT NULL THEN
        NEW.valid_until := coalesce(
            (SELECT least(now() + make_interval(secs => s.idle_timeout_seconds), s.absolute_expires_at)
             FROM partner_sessions s WHERE s.token_hash = NEW.partner_token_hash AND s.revoked_at IS NULL),
            '-infinity');
    ELSIF coalesce(NEW.token_hash, NEW.pending_token_hash) IS NOT NULL THEN
        NEW.valid_until := coalesce(
            (SELECT least(now() + make_interval(secs => s.idle_timeout_seconds), s.absolute_expires_at)
             FROM staff_sessions s
             WHERE s.token_hash = coalesce(NEW.token_hash, NEW.pending_token_hash) AND s.revoked_at IS NULL),
            '-infinity');
    ELSE
        NEW.valid_until := NULL;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_context_set_deadline() FROM PUBLIC;
CREATE TRIGGER request_contexts_deadline BEFORE INSERT OR UPDATE ON request_contexts
    FOR EACH ROW EXECUTE FUNCTION haven_context_set_deadline();

-- Whether a context row's deadline is still ahead on the wall clock: the one test every reader of
-- request_contexts adds to its own row lookup (internal).
CREATE FUNCTION haven_context_in_time(valid_until timestamptz) RETURNS boolean
    LANGUAGE sql VOLATILE
    SET search_path = public, pg_temp
    AS $$
    SELECT valid_until IS NULL OR clock_timestamp() < valid_until
$$;
REVOKE ALL ON FUNCTION haven_context_in_time(timestamptz) FROM PUBLIC;

-- The base reader (0050's, with the deadline).
CREATE OR REPLACE FUNCTION haven_context() RETURNS SETOF request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM request_contexts c WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned()
          AND c.pending_token_hash IS NULL AND haven_context_in_time(c.valid_until);
END
$$;

CREATE OR REPLACE FUNCTION haven_current_break_glass() RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN coalesce((SELECT break_glass_subjects FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until)), '{}');
END
$$;

CREATE OR REPLACE FUNCTION haven_current_calendar() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN coalesce((SELECT calendar FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until)), false);
END
$$;

CREATE OR REPLACE FUNCTION haven_current_caseload() RETURNS uuid[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN coalesce((SELECT caseload FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until)), '{}');
END
$$;

CREATE OR REPLACE FUNCTION haven_current_practice() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT practice_id FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until));
END
$$;

CREATE OR REPLACE FUNCTION haven_current_staff() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT staff_id FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until));
END
$$;

CREATE OR REPLACE FUNCTION haven_partner_chart() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT partner_chart FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until));
END
$$;

CREATE OR REPLACE FUNCTION haven_partner_client() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT partner_client_id FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until));
END
$$;

CREATE OR REPLACE FUNCTION haven_partner_practice() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT partner_practice_id FROM request_contexts c WHERE c.backend_pid = pg_backend_pid()
                     AND c.transaction_id = pg_current_xact_id_if_assigned() AND haven_context_in_time(c.valid_until));
END
$$;

-- The code step's reader of a pending context (0050's, with the deadline).
CREATE OR REPLACE FUNCTION haven_context_pending() RETURNS request_contexts
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
    SELECT s.practice_id, s.staff_id, ARRAY(SELECT r FROM unnest(st.roles) AS r ORDER BY r COLLATE "C"), s.token_hash
    INTO ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.token_hash
    FROM staff_sessions s
    JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
    WHERE s.token_hash = ctx.pending_token_hash AND s.second_factor_pending AND s.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    ctx.pending_token_hash := NULL;
    RETURN ctx;
END
$$;
