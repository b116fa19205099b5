-- 0040: staff changes from an admin's session (docs/web.md, "Staff changes from the web").
--
-- haven_app still cannot write staff, staff_sessions, supervision_links or practices. Each change is a
-- SECURITY DEFINER function that takes its actor from the transaction's context, which the database
-- opened itself from the live session token (haven_context_staff), never from a parameter or a setting:
--
-- 1. the context's roles must hold 'admin', the target must be in the context's practice, and it may
--    not be the admin's own account (an admin changes nothing of their own here);
-- 2. every call is audited as the context's staff member with the operator command's action, success
--    or denied (a refusal returns its reason rather than raising, so its audit entry commits);
-- 3. an admin gets no clinical reach: narrowing changes (disable, re-enable, remove roles, end sessions,
--    end a supervision link, require the TOTP policy) and granting scheduler are direct; widening ones
--    (granting counselor, supervisor or admin, adding a supervision link, making the TOTP policy
--    optional) are proposals that a second admin, never the proposer, approves within 7 days.
--
-- Without a context every function raises 42501. With one, each returns what happened: 'done',
-- 'proposed' (a widening change waits for a second admin), 'unchanged', or a refusal: 'forbidden'
-- (not an admin), 'self', 'not-found', 'invalid' (roles or supervisor), 'own-proposal', 'expired',
-- 'decided'.

-- ---------------------------------------------------------------------------------------------------
-- Helpers (not granted: called only by the functions below, which run as the owner).

-- Why the context may not change `target` (NULL: it may). `target` NULL checks the role alone.
CREATE FUNCTION haven_admin_refusal(ctx request_contexts, target uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
        SELECT CASE
            WHEN NOT ('admin' = ANY (ctx.staff_roles)) THEN 'forbidden'
            WHEN target IS NULL THEN NULL
            WHEN target = ctx.staff_id THEN 'self'
            WHEN NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = target AND s.practice_id = ctx.practice_id)
                THEN 'not-found'
        END
    $$;
REVOKE ALL ON FUNCTION haven_admin_refusal(request_contexts, uuid) FROM PUBLIC;

-- One audit entry as the context's staff member.
CREATE FUNCTION haven_admin_audit(ctx request_contexts, action text, entity_type text, entity uuid, outcome text)
    RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = public, pg_temp
    AS $$
        SELECT FROM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                                      ctx.request_id, action, entity_type, entity, '{}', outcome, NULL)
    $$;
REVOKE ALL ON FUNCTION haven_admin_audit(request_contexts, text, text, uuid, text) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- Narrowing changes: direct.

-- Disables an account; its sessions end at once (haven_live_session also refuses an inactive account).
CREATE FUNCTION haven_admin_staff_disable(target uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, target);
    moved integer;
BEGIN
    IF result IS NULL THEN
        UPDATE staff SET active = false, disabled_at = now()
        WHERE id = target AND practice_id = ctx.practice_id AND active;
        GET DIAGNOSTICS moved = ROW_COUNT;
        result := CASE WHEN moved = 1 THEN 'done' ELSE 'unchanged' END;
        UPDATE staff_sessions SET revoked_at = now()
        WHERE practice_id = ctx.practice_id AND staff_id = target AND revoked_at IS NULL;
    END IF;
    PERFORM haven_admin_audit(ctx, 'staff.disable', 'staff', target,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;

-- Re-enables a disabled account. The admin never knows its password, so this gives them no reach.
CREATE FUNCTION haven_admin_staff_enable(target uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, target);
    moved integer;
BEGIN
    IF result IS NULL THEN
        UPDATE staff SET active = true, disabled_at = NULL
        WHERE id = target AND practice_id = ctx.practice_id AND NOT active;
        GET DIAGNOSTICS moved = ROW_COUNT;
        result := CASE WHEN moved = 1 THEN 'done' ELSE 'unchanged' END;
    END IF;
    PERFORM haven_admin_audit(ctx, 'staff.enable', 'staff', target,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;

-- Ends every open session of another staff member (they sign in again).
CREATE FUNCTION haven_admin_staff_end_sessions(target uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, target);
BEGIN
    IF result IS NULL THEN
        UPDATE staff_sessions SET revoked_at = now()
        WHERE practice_id = ctx.practice_id AND staff_id = target AND revoked_at IS NULL;
        result := 'done';
    END IF;
    PERFORM haven_admin_audit(ctx, 'staff.session.end', 'staff', target,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;

-- Ends a supervision link: the supervisor no longer reaches the supervisee's charts. Neither end may
-- be the admin's own account.
CREATE FUNCTION haven_admin_staff_unsupervise(supervisor uuid, supervisee uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := coalesce(haven_admin_refusal(ctx, supervisee), haven_admin_refusal(ctx, supervisor));
    moved integer;
BEGIN
    IF result IS NULL THEN
        DELETE FROM supervision_links l
        WHERE l.practice_id = ctx.practice_id AND l.supervisor_id = supervisor AND l.supervisee_id = supervisee;
        GET DIAGNOSTICS moved = ROW_COUNT;
        result := CASE WHEN moved = 1 THEN 'done' ELSE 'unchanged' END;
    END IF;
    PERFORM haven_admin_audit(ctx, 'staff.unsupervise', 'staff', supervisee,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;

-- Requires every staff member to use a one-time-code app (from their next request on).
CREATE FUNCTION haven_admin_practice_require_totp() RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, NULL);
    moved integer;
BEGIN
    IF result IS NULL THEN
        UPDATE practices SET require_totp = true WHERE id = ctx.practice_id AND NOT require_totp;
        GET DIAGNOSTICS moved = ROW_COUNT;
        result := CASE WHEN moved = 1 THEN 'done' ELSE 'unchanged' END;
    END IF;
    PERFORM haven_admin_audit(ctx, 'practice.totp.require', 'practice', ctx.practice_id,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Widening changes: a second admin approves.

-- A widening change waiting for (or decided by) a second admin. haven_app reads its practice's rows
-- and writes none: only the functions below do.
CREATE TABLE staff_change_proposals (
    practice_id uuid NOT NULL REFERENCES practices (id),
    id uuid NOT NULL,
    kind text NOT NULL CONSTRAINT staff_change_kind CHECK (kind IN ('grant_roles', 'supervise', 'totp_optional')),
    -- grant_roles: the account; supervise: the supervisee; totp_optional: none.
    target_staff_id uuid,
    supervisor_id uuid,
    roles text[] NOT NULL DEFAULT '{}'
        CONSTRAINT staff_change_roles CHECK (roles <@ ARRAY['admin', 'counselor', 'scheduler', 'supervisor']),
    proposed_by uuid NOT NULL,
    proposed_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    decision text CONSTRAINT staff_change_decision CHECK (decision IN ('approved', 'rejected', 'withdrawn')),
    decided_by uuid,
    decided_at timestamptz,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, target_staff_id) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, supervisor_id) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, proposed_by) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, decided_by) REFERENCES staff (practice_id, id),
    CONSTRAINT staff_change_shape CHECK (
        (kind = 'grant_roles' AND target_staff_id IS NOT NULL AND supervisor_id IS NULL AND cardinality(roles) >= 1)
        OR (kind = 'supervise' AND target_staff_id IS NOT NULL AND supervisor_id IS NOT NULL AND roles = '{}')
        OR (kind = 'totp_optional' AND target_staff_id IS NULL AND supervisor_id IS NULL AND roles = '{}')),
    CONSTRAINT staff_change_decided CHECK ((decision IS NULL) = (decided_by IS NULL AND decided_at IS NULL))
);
CREATE INDEX staff_change_proposals_pending ON staff_change_proposals (practice_id, proposed_at)
    WHERE decision IS NULL;
ALTER TABLE staff_change_proposals ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_change_proposals FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_change_owner ON staff_change_proposals TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY staff_change_practice ON staff_change_proposals FOR SELECT TO haven_app
    USING (practice_id = (SELECT haven_current_practice()));
REVOKE ALL ON staff_change_proposals FROM PUBLIC;
GRANT SELECT ON staff_change_proposals TO haven_app;

-- How long a proposal waits for a second admin.
CREATE FUNCTION haven_admin_proposal_life() RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT interval '7 days' $$;

-- Records a proposal unless the same one is already waiting; returns 'proposed' or 'unchanged'.
CREATE FUNCTION haven_admin_propose(
    ctx request_contexts, change_kind text, target uuid, supervisor uuid, wanted text[]
) RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    proposal uuid := gen_random_uuid();
BEGIN
    IF EXISTS (SELECT 1 FROM staff_change_proposals p
               WHERE p.practice_id = ctx.practice_id AND p.kind = change_kind AND p.decision IS NULL
                 AND p.expires_at > now() AND p.target_staff_id IS NOT DISTINCT FROM target
                 AND p.supervisor_id IS NOT DISTINCT FROM supervisor AND p.roles = wanted) THEN
        RETURN 'unchanged';
    END IF;
    INSERT INTO staff_change_proposals (practice_id, id, kind, target_staff_id, supervisor_id, roles, proposed_by,
                                        expires_at)
    VALUES (ctx.practice_id, proposal, change_kind, target, supervisor, wanted, ctx.staff_id,
            now() + haven_admin_proposal_life());
    PERFORM haven_admin_audit(ctx, 'staff.change.propose', 'staff_change', proposal, 'success');
    RETURN 'proposed';
END
$$;
REVOKE ALL ON FUNCTION haven_admin_propose(request_contexts, text, uuid, uuid, text[]) FROM PUBLIC;

-- Sets an account's roles to `wanted`: removals and granting scheduler take effect at once (audited
-- staff.roles.set); granting admin, counselor or supervisor becomes a proposal for a second admin.
-- Returns 'done', 'proposed' (what could be applied was), 'unchanged', or a refusal ('invalid' for
-- an unknown role or an empty set).
CREATE FUNCTION haven_admin_staff_set_roles(target uuid, wanted text[]) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, target);
    current_roles text[];
    direct text[];
    widening text[];
BEGIN
    IF result IS NULL AND (wanted IS NULL OR cardinality(wanted) = 0 OR array_position(wanted, NULL) IS NOT NULL
                           OR NOT wanted <@ ARRAY['admin', 'counselor', 'scheduler', 'supervisor']) THEN
        result := 'invalid';
    END IF;
    IF result IS NULL THEN
        SELECT s.roles INTO current_roles FROM staff s WHERE s.id = target AND s.practice_id = ctx.practice_id
        FOR UPDATE;
        -- What stays, what goes, and scheduler: now. Admin, counselor, supervisor added: proposed.
        SELECT coalesce(array_agg(DISTINCT r ORDER BY r), '{}') INTO direct FROM unnest(wanted) r
        WHERE r = ANY (current_roles) OR r = 'scheduler';
        SELECT coalesce(array_agg(DISTINCT r ORDER BY r), '{}') INTO widening FROM unnest(wanted) r
        WHERE NOT r = ANY (current_roles) AND r <> 'scheduler';
        IF cardinality(direct) = 0 THEN
            -- Nothing may stay (the account needs a role): keep the current roles until approval.
            direct := current_roles;
        END IF;
        IF direct @> current_roles AND direct <@ current_roles THEN
            result := 'unchanged';
        ELSE
            UPDATE staff SET roles = direct WHERE id = target AND practice_id = ctx.practice_id;
            PERFORM haven_admin_audit(ctx, 'staff.roles.set', 'staff', target, 'success');
            result := 'done';
        END IF;
        IF cardinality(widening) > 0 THEN
            IF haven_admin_propose(ctx, 'grant_roles', target, NULL, widening) = 'proposed' OR result = 'done' THEN
                result := 'proposed';
            END IF;
        END IF;
    END IF;
    IF result NOT IN ('done', 'proposed') THEN
        PERFORM haven_admin_audit(ctx, 'staff.roles.set', 'staff', target, 'denied');
    END IF;
    RETURN result;
END
$$;

-- Proposes a supervision link (the supervisor must be active and hold the supervisor role).
CREATE FUNCTION haven_admin_propose_supervision(supervisor uuid, supervisee uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := coalesce(haven_admin_refusal(ctx, supervisee), haven_admin_refusal(ctx, supervisor));
BEGIN
    IF result IS NULL AND (supervisor = supervisee OR NOT EXISTS (
            SELECT 1 FROM staff s WHERE s.id = supervisor AND s.practice_id = ctx.practice_id AND s.active
              AND 'supervisor' = ANY (s.roles))) THEN
        result := 'invalid';
    END IF;
    IF result IS NULL AND EXISTS (SELECT 1 FROM supervision_links l WHERE l.practice_id = ctx.practice_id
                                    AND l.supervisor_id = supervisor AND l.supervisee_id = supervisee) THEN
        result := 'unchanged';
    END IF;
    IF result IS NULL THEN
        result := haven_admin_propose(ctx, 'supervise', supervisee, supervisor, '{}');
    END IF;
    IF result <> 'proposed' THEN
        PERFORM haven_admin_audit(ctx, 'staff.change.propose', 'staff', supervisee, 'denied');
    END IF;
    RETURN result;
END
$$;

-- Proposes making the practice's TOTP policy optional.
CREATE FUNCTION haven_admin_propose_totp_optional() RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, NULL);
BEGIN
    IF result IS NULL AND NOT (SELECT p.require_totp FROM practices p WHERE p.id = ctx.practice_id) THEN
        result := 'unchanged';
    END IF;
    IF result IS NULL THEN
        result := haven_admin_propose(ctx, 'totp_optional', NULL, NULL, '{}');
    END IF;
    IF result <> 'proposed' THEN
        PERFORM haven_admin_audit(ctx, 'staff.change.propose', 'practice', ctx.practice_id, 'denied');
    END IF;
    RETURN result;
END
$$;

-- Approves another admin's waiting proposal and applies it (audited twice: the approval, then the
-- change with the operator command's action). Refused for the proposer, for the change's own
-- subject, and once the proposal is decided or expired.
CREATE FUNCTION haven_admin_approve(proposal uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, NULL);
    p staff_change_proposals;
BEGIN
    IF result IS NULL THEN
        SELECT * INTO p FROM staff_change_proposals x WHERE x.practice_id = ctx.practice_id AND x.id = proposal
        FOR UPDATE;
        result := CASE
            WHEN NOT FOUND THEN 'not-found'
            WHEN p.decision IS NOT NULL THEN 'decided'
            WHEN p.expires_at <= now() THEN 'expired'
            WHEN p.proposed_by = ctx.staff_id THEN 'own-proposal'
            WHEN ctx.staff_id IN (p.target_staff_id, p.supervisor_id) THEN 'self'
            WHEN p.kind = 'supervise' AND NOT EXISTS (
                SELECT 1 FROM staff s WHERE s.id = p.supervisor_id AND s.practice_id = ctx.practice_id AND s.active
                  AND 'supervisor' = ANY (s.roles)) THEN 'invalid'
        END;
    END IF;
    IF result IS NULL THEN
        UPDATE staff_change_proposals SET decision = 'approved', decided_by = ctx.staff_id, decided_at = now()
        WHERE practice_id = ctx.practice_id AND id = proposal;
        PERFORM haven_admin_audit(ctx, 'staff.change.approve', 'staff_change', proposal, 'success');
        IF p.kind = 'grant_roles' THEN
            UPDATE staff SET roles = (SELECT array_agg(DISTINCT r ORDER BY r) FROM unnest(roles || p.roles) r)
            WHERE id = p.target_staff_id AND practice_id = ctx.practice_id;
            PERFORM haven_admin_audit(ctx, 'staff.roles.set', 'staff', p.target_staff_id, 'success');
        ELSIF p.kind = 'supervise' THEN
            INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id)
            VALUES (ctx.practice_id, p.supervisor_id, p.target_staff_id) ON CONFLICT DO NOTHING;
            PERFORM haven_admin_audit(ctx, 'staff.supervise', 'staff', p.target_staff_id, 'success');
        ELSE
            UPDATE practices SET require_totp = false WHERE id = ctx.practice_id;
            PERFORM haven_admin_audit(ctx, 'practice.totp.optional', 'practice', ctx.practice_id, 'success');
        END IF;
        result := 'done';
    ELSE
        PERFORM haven_admin_audit(ctx, 'staff.change.approve', 'staff_change', proposal, 'denied');
    END IF;
    RETURN result;
END
$$;

-- Declines a waiting proposal: the proposer withdraws it, another admin rejects it.
CREATE FUNCTION haven_admin_decline(proposal uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, NULL);
    p staff_change_proposals;
    verb text := 'reject';
BEGIN
    IF result IS NULL THEN
        SELECT * INTO p FROM staff_change_proposals x WHERE x.practice_id = ctx.practice_id AND x.id = proposal
        FOR UPDATE;
        result := CASE
            WHEN NOT FOUND THEN 'not-found'
            WHEN p.decision IS NOT NULL OR p.expires_at <= now() THEN 'decided'
        END;
        IF FOUND AND p.proposed_by = ctx.staff_id THEN
            verb := 'withdraw';
        END IF;
    END IF;
    IF result IS NULL THEN
        UPDATE staff_change_proposals
        SET decision = CASE WHEN verb = 'withdraw' THEN 'withdrawn' ELSE 'rejected' END,
            decided_by = ctx.staff_id, decided_at = now()
        WHERE practice_id = ctx.practice_id AND id = proposal;
        result := 'done';
    END IF;
    PERFORM haven_admin_audit(ctx, CASE WHEN verb = 'withdraw' THEN 'staff.change.withdraw' ELSE 'staff.change.reject' END,
                              'staff_change', proposal,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'haven_admin_staff_disable(uuid)', 'haven_admin_staff_enable(uuid)', 'haven_admin_staff_end_sessions(uuid)',
        'haven_admin_staff_unsupervise(uuid, uuid)', 'haven_admin_practice_require_totp()',
        'haven_admin_staff_set_roles(uuid, text[])', 'haven_admin_propose_supervision(uuid, uuid)',
        'haven_admin_propose_totp_optional()', 'haven_admin_approve(uuid)', 'haven_admin_decline(uuid)'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION haven_admin_proposal_life() FROM PUBLIC;
