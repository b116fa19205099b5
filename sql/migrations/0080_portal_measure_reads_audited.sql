-- 0080: a partner's reads of their questionnaires are audited (issue #16, audit gap A).
--
-- /portal/measures (what is due from the partner and, when the counselor allowed it, their own totals)
-- and /portal/measures/{id} (one due questionnaire) read through haven_portal_measures_due() and
-- haven_portal_measure_trend() without an audit entry, while the home page and the answers append
-- `portal.home.read` and `portal.answer.read`. The service now appends `portal.measure.read` in the read's
-- own transaction, as those do; haven_audit_append admits it from a partner context. As for the other
-- portal reads, the entry's actor is the context's partner and its entity and clients the context's chart
-- and that chart's clients, with no digest, whatever the caller passed: a holder of the haven_app password
-- with one partner's session records a read of that partner only (PartnerAttackTests+Measures.swift).
--
-- 0045's function with the one action added; everything else as it was.
CREATE OR REPLACE FUNCTION haven_audit_append(action text, entity_type text, entity uuid, clients uuid[], outcome text,
                                              digest bytea)
    RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
    chart_kind text;
    chart uuid;
BEGIN
    SELECT * INTO ctx FROM haven_context();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'an audit entry needs a context' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ctx.partner_client_id IS NOT NULL THEN
        IF action IS NULL
           OR action <> ALL (ARRAY['portal.home.read', 'portal.answer.read', 'portal.measure.read']) THEN
            RAISE EXCEPTION 'a partner records only the portal''s reads' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF ctx.partner_chart IS NOT NULL THEN
            chart_kind := split_part(ctx.partner_chart, ':', 1);
            chart := split_part(ctx.partner_chart, ':', 2)::uuid;
        END IF;
        RETURN QUERY SELECT * FROM haven_audit_write(
            ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id,
            action, chart_kind, chart,
            CASE WHEN chart IS NULL THEN ARRAY[ctx.partner_client_id]
                 ELSE haven_portal_chart_clients(ctx.partner_practice_id, chart_kind, chart) END,
            outcome, NULL, ctx.partner_client_id
        );
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM haven_audit_write(
        ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source, ctx.request_id,
        action, entity_type, entity, coalesce(clients, '{}'), outcome, digest
    );
END
$$;
