-- 0045: a partner's own answers on the portal (issue #16, step 3 of docs/portal.md): drafts with a
-- version, submitted answers that are counselor-only unless shared, sharing changeable until the
-- counselor has read the answer, and the safety mode of a couple with an open high-risk flag.
--
-- Everything a partner does goes through the SECURITY DEFINER functions below, from the partner's
-- context (haven_context_partner(): derived from the live session, never from a parameter). haven_app
-- has no privilege on portal_answer_drafts and, from a partner context, no policy on
-- homework_responses any more: 0043's homework_responses_partner returned whole rows (the counselor,
-- the read time), so it is dropped and haven_portal_answers() returns the portal's columns only.
--
-- The key: the server seals (the partner's browser never holds a key). A partner context reaches no
-- data_keys row by policy; two functions hand it exactly one key each time: the chosen chart's active
-- key to seal the partner's own draft or answer (haven_portal_sealing_key()), and a key by id only when
-- a row the partner may read right now was sealed with it (haven_portal_opening_key(uuid)).

ALTER TABLE homework_responses
    ADD COLUMN counselor_read_at timestamptz,
    ADD COLUMN answered_in_portal boolean NOT NULL DEFAULT false;

CREATE TABLE portal_answer_drafts (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    assignment_id uuid NOT NULL REFERENCES homework_assignments (id),
    partner_id uuid NOT NULL,
    key_subject text NOT NULL CONSTRAINT portal_answer_drafts_key_subject CHECK (key_subject ~ '^couple:'),
    body bytea NOT NULL,
    body_key_id uuid NOT NULL REFERENCES data_keys (id),
    shared_with_partner boolean NOT NULL DEFAULT false,
    version integer NOT NULL DEFAULT 1 CONSTRAINT portal_answer_drafts_version CHECK (version >= 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, partner_id) REFERENCES clients (practice_id, id),
    CONSTRAINT portal_answer_drafts_one_per_partner UNIQUE (assignment_id, partner_id)
);
CREATE INDEX portal_answer_drafts_body_key ON portal_answer_drafts (body_key_id);
ALTER TABLE portal_answer_drafts ENABLE ROW LEVEL SECURITY;
ALTER TABLE portal_answer_drafts FORCE ROW LEVEL SECURITY;
CREATE POLICY portal_answer_drafts_owner ON portal_answer_drafts TO CURRENT_USER USING (true) WITH CHECK (true);

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('portal_answer_drafts', 'body', 'body_key_id', 'id', NULL, 'key_subject');

DROP POLICY homework_responses_partner ON homework_responses;

-- ---------------------------------------------------------------------------------------------------
-- Safety mode: whether a couple has an open high-risk flag. The rule (the latest note with a risk level
-- is 'high' and has no closure) now lives in haven_couple_open_risk_note_in(practice, couple), with the
-- practice given explicitly: haven_couple_open_risk_note(couple) (and so haven_couple_high_risk(), the
-- staff check) read haven_current_practice(), which is NULL in a partner context, so they answer
-- false there. The staff functions keep their signatures and call it; the portal asks
-- haven_portal_safety_mode(). Internal (no grant).
CREATE FUNCTION haven_couple_open_risk_note_in(practice uuid, couple uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    latest progress_notes;
BEGIN
    SELECT n.* INTO latest
    FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
    WHERE n.chart_kind = 'couple' AND n.chart_id = couple AND n.practice_id = practice
      AND n.risk_level IS NOT NULL
    ORDER BY s.scheduled_start DESC, n.created_at DESC
    LIMIT 1;
    IF NOT FOUND OR latest.risk_level <> 'high'
       OR EXISTS (SELECT 1 FROM risk_flag_closures r WHERE r.note_id = latest.id) THEN
        RETURN NULL;
    END IF;
    RETURN latest.id;
END
$$;
REVOKE ALL ON FUNCTION haven_couple_open_risk_note_in(uuid, uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION haven_couple_open_risk_note(couple uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN haven_couple_open_risk_note_in(haven_current_practice(), couple);
END
$$;

CREATE FUNCTION haven_couple_high_risk_in(practice uuid, couple uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT haven_couple_open_risk_note_in(practice, couple) IS NOT NULL
    $$;
REVOKE ALL ON FUNCTION haven_couple_high_risk_in(uuid, uuid) FROM PUBLIC;

-- The chosen couple chart's id, or NULL (an individual chart or none chosen: no answers there yet).
CREATE FUNCTION haven_portal_couple(ctx request_contexts) RETURNS uuid
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT CASE WHEN ctx.partner_chart LIKE 'couple:%' THEN split_part(ctx.partner_chart, ':', 2)::uuid END
    $$;
REVOKE ALL ON FUNCTION haven_portal_couple(request_contexts) FROM PUBLIC;

-- Whether the partner's chosen chart is in safety mode (an open high-risk flag on the couple): sharing
-- is refused and nothing shared is shown to the other partner. The portal shows both partners the same
-- safety page, so it does not tell either which of them disclosed.
CREATE FUNCTION haven_portal_safety_mode() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN haven_portal_couple(ctx) IS NOT NULL
       AND haven_couple_high_risk_in(ctx.partner_practice_id, haven_portal_couple(ctx));
END
$$;

-- The assignment of the chosen chart addressed to the partner or to both, or NULL.
CREATE FUNCTION haven_portal_own_assignment(ctx request_contexts, assignment uuid) RETURNS homework_assignments
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT a.* FROM homework_assignments a
        WHERE a.id = assignment AND a.practice_id = ctx.partner_practice_id AND a.key_subject = ctx.partner_chart
          AND haven_portal_couple(ctx) IS NOT NULL
          AND (a.partner_id IS NULL OR a.partner_id = ctx.partner_client_id)
    $$;
REVOKE ALL ON FUNCTION haven_portal_own_assignment(request_contexts, uuid) FROM PUBLIC;

-- Appends one partner entry about an assignment of the chosen chart (its clients, no digest).
CREATE FUNCTION haven_portal_audit(ctx request_contexts, action text, assignment uuid, outcome text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id, action,
                              CASE WHEN assignment IS NOT NULL THEN 'homework_assignment' END, assignment,
                              coalesce(haven_portal_chart_clients(ctx.partner_practice_id, 'couple',
                                                                  haven_portal_couple(ctx)), '{}'),
                              outcome, NULL, ctx.partner_client_id);
END
$$;
REVOKE ALL ON FUNCTION haven_portal_audit(request_contexts, text, uuid, text) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- What the partner reads: their own drafts and answers, and the other partner's answers shared with
-- them while the chart is not in safety mode. An unshared answer of the other partner is not a row
-- here, so neither it nor its count is. The other partner's read time is not returned.
CREATE FUNCTION haven_portal_answers()
    RETURNS TABLE (assignment_id uuid, id uuid, own boolean, draft_version integer, completion text, body bytea,
                   body_key_id uuid, shared_with_partner boolean, counselor_read boolean, recorded_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    couple uuid := haven_portal_couple(ctx);
    safe boolean;
BEGIN
    IF couple IS NULL THEN
        RETURN;
    END IF;
    safe := NOT haven_couple_high_risk_in(ctx.partner_practice_id, couple);
    RETURN QUERY
        SELECT r.assignment_id, r.id, r.partner_id = ctx.partner_client_id, NULL::integer, r.completion, r.response,
               r.response_key_id, r.shared_with_partner,
               CASE WHEN r.partner_id = ctx.partner_client_id THEN r.counselor_read_at IS NOT NULL END, r.recorded_at
        FROM homework_responses r
        WHERE r.practice_id = ctx.partner_practice_id AND r.key_subject = ctx.partner_chart
          AND (r.partner_id = ctx.partner_client_id OR (r.shared_with_partner AND safe))
        UNION ALL
        SELECT d.assignment_id, d.id, true, d.version, NULL, d.body, d.body_key_id, d.shared_with_partner, NULL,
               d.updated_at
        FROM portal_answer_drafts d
        WHERE d.practice_id = ctx.partner_practice_id AND d.key_subject = ctx.partner_chart
          AND d.partner_id = ctx.partner_client_id
        ORDER BY 1, 3 DESC, 4 NULLS FIRST;
END
$$;

-- The chosen couple chart's active data key, to seal the partner's own draft or answer with; nothing
-- when the chart has none yet (the counselor's first sealed value of the chart creates it).
CREATE FUNCTION haven_portal_sealing_key()
    RETURNS TABLE (id uuid, practice_id uuid, subject_kind text, subject_id text, state text,
                   master_key_version integer, wrapped_key bytea, created_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
        SELECT k.id, k.practice_id, k.subject_kind, k.subject_id, k.state, k.master_key_version, k.wrapped_key,
               k.created_at
        FROM data_keys k
        WHERE haven_portal_couple(ctx) IS NOT NULL AND k.practice_id = ctx.partner_practice_id
          AND k.subject_kind = 'couple' AND k.subject_id = haven_portal_couple(ctx)::text AND k.state = 'active';
END
$$;

-- A data key by id, only when a draft or answer the partner may read now (haven_portal_answers()) was
-- sealed with it: the couple's other sealed values stay out of reach even to a holder of the master key
-- who has the partner's session.
CREATE FUNCTION haven_portal_opening_key(wanted uuid)
    RETURNS TABLE (id uuid, practice_id uuid, subject_kind text, subject_id text, state text,
                   master_key_version integer, wrapped_key bytea, created_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
        SELECT k.id, k.practice_id, k.subject_kind, k.subject_id, k.state, k.master_key_version, k.wrapped_key,
               k.created_at
        FROM data_keys k
        WHERE k.id = wanted AND EXISTS (SELECT 1 FROM haven_portal_answers() a WHERE a.body_key_id = wanted);
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Writes. Each answers an outcome and appends its own audit entry (the partner as actor, the
-- assignment as entity, the chart's clients):
--   'saved' / 'submitted' / 'shared' / 'unshared'  done;
--   'not-found'    no such assignment addressed to this partner on the chosen chart (or no answer to
--                  share), the same for another partner's assignment as for none;
--   'conflict'     the draft's version is not the expected one (another tab saved meanwhile);
--   'read'         the counselor has read the answer: it and its sharing are final;
--   'safety-mode'  sharing refused: the couple has an open high-risk flag.
-- The sealed value is the server's (it seals at the row's place with haven_portal_sealing_key()); the
-- key must be that key.

CREATE FUNCTION haven_portal_require_sealing_key(ctx request_contexts, key uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM data_keys k
                   WHERE k.id = key AND k.practice_id = ctx.partner_practice_id AND k.subject_kind = 'couple'
                     AND k.subject_id = haven_portal_couple(ctx)::text AND k.state = 'active') THEN
        RAISE EXCEPTION 'an answer is sealed with the chart''s active key' USING ERRCODE = 'check_violation';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_require_sealing_key(request_contexts, uuid) FROM PUBLIC;

-- Saves the partner's draft (body sealed at portal_answer_drafts.body of row `draft`). `expected` is
-- the version the editor last saw (0 for a first save); the new version is returned.
CREATE FUNCTION haven_portal_save_draft(assignment uuid, draft uuid, expected integer, body bytea, body_key uuid,
                                        share boolean)
    RETURNS TABLE (outcome text, version integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    a homework_assignments := haven_portal_own_assignment(ctx, assignment);
    current portal_answer_drafts;
    found_draft boolean;
BEGIN
    IF a.id IS NULL THEN
        PERFORM haven_portal_audit(ctx, 'portal.answer.draft', NULL, 'denied');
        RETURN QUERY SELECT 'not-found'::text, NULL::integer;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM homework_responses r WHERE r.assignment_id = a.id
                 AND r.partner_id = ctx.partner_client_id AND r.counselor_read_at IS NOT NULL) THEN
        PERFORM haven_portal_audit(ctx, 'portal.answer.draft', a.id, 'denied');
        RETURN QUERY SELECT 'read'::text, NULL::integer;
        RETURN;
    END IF;
    IF share AND haven_couple_high_risk_in(ctx.partner_practice_id, a.couple_id) THEN
        PERFORM haven_portal_audit(ctx, 'portal.answer.draft', a.id, 'denied');
        RETURN QUERY SELECT 'safety-mode'::text, NULL::integer;
        RETURN;
    END IF;
    PERFORM haven_portal_require_sealing_key(ctx, body_key);
    SELECT d.* INTO current FROM portal_answer_drafts d
    WHERE d.assignment_id = a.id AND d.partner_id = ctx.partner_client_id FOR UPDATE;
    found_draft := FOUND;
    IF found_draft AND (current.version <> expected OR current.id <> draft) OR NOT found_draft AND expected <> 0 THEN
        RETURN QUERY SELECT 'conflict'::text, current.version;
        RETURN;
    END IF;
    IF found_draft THEN
        UPDATE portal_answer_drafts d
        SET body = haven_portal_save_draft.body, body_key_id = body_key, shared_with_partner = share,
            version = d.version + 1, updated_at = now()
        WHERE d.id = current.id;
    ELSE
        INSERT INTO portal_answer_drafts (id, practice_id, assignment_id, partner_id, key_subject, body, body_key_id,
                                          shared_with_partner)
        VALUES (draft, a.practice_id, a.id, ctx.partner_client_id, a.key_subject, body, body_key, share);
    END IF;
    PERFORM haven_portal_audit(ctx, 'portal.answer.draft', a.id, 'success');
    RETURN QUERY SELECT 'saved'::text, coalesce(current.version, 0) + 1;
END
$$;

-- Submits the draft at version `expected` as the partner's answer (row `response`, body sealed at
-- homework_responses.response of it), with the draft's sharing; the draft is deleted. An earlier answer
-- of the partner not yet read by the counselor is replaced.
CREATE FUNCTION haven_portal_submit_answer(assignment uuid, response uuid, expected integer, body bytea,
                                           body_key uuid, completion text)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    a homework_assignments := haven_portal_own_assignment(ctx, assignment);
    current portal_answer_drafts;
BEGIN
    IF a.id IS NULL THEN
        PERFORM haven_portal_audit(ctx, 'portal.answer.submit', NULL, 'denied');
        RETURN 'not-found';
    END IF;
    SELECT d.* INTO current FROM portal_answer_drafts d
    WHERE d.assignment_id = a.id AND d.partner_id = ctx.partner_client_id FOR UPDATE;
    IF NOT FOUND OR current.version <> expected THEN
        RETURN 'conflict';
    END IF;
    IF EXISTS (SELECT 1 FROM homework_responses r WHERE r.assignment_id = a.id
                 AND r.partner_id = ctx.partner_client_id AND r.counselor_read_at IS NOT NULL) THEN
        PERFORM haven_portal_audit(ctx, 'portal.answer.submit', a.id, 'denied');
        RETURN 'read';
    END IF;
    IF current.shared_with_partner AND haven_couple_high_risk_in(ctx.partner_practice_id, a.couple_id) THEN
        PERFORM haven_portal_audit(ctx, 'portal.answer.submit', a.id, 'denied');
        RETURN 'safety-mode';
    END IF;
    PERFORM haven_portal_require_sealing_key(ctx, body_key);
    DELETE FROM homework_responses r WHERE r.assignment_id = a.id AND r.partner_id = ctx.partner_client_id;
    INSERT INTO homework_responses (id, practice_id, assignment_id, partner_id, counselor_id, key_subject, completion,
                                    response, response_key_id, shared_with_partner, answered_in_portal)
    VALUES (response, a.practice_id, a.id, ctx.partner_client_id, a.counselor_id, a.key_subject, completion, body,
            body_key, current.shared_with_partner, true);
    DELETE FROM portal_answer_drafts d WHERE d.id = current.id;
    PERFORM haven_portal_audit(ctx, 'portal.answer.submit', a.id, 'success');
    RETURN 'submitted';
END
$$;

-- Shares the partner's submitted answer with the other partner, or stops sharing it, while the
-- counselor has not read it. Sharing is refused in safety mode; stopping is always allowed until read.
CREATE FUNCTION haven_portal_share_answer(assignment uuid, share boolean) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    a homework_assignments := haven_portal_own_assignment(ctx, assignment);
    action text := CASE WHEN share THEN 'portal.answer.share' ELSE 'portal.answer.unshare' END;
    answer homework_responses;
BEGIN
    SELECT r.* INTO answer FROM homework_responses r
    WHERE a.id IS NOT NULL AND r.assignment_id = a.id AND r.partner_id = ctx.partner_client_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM haven_portal_audit(ctx, action, a.id, 'denied');
        RETURN 'not-found';
    END IF;
    IF answer.counselor_read_at IS NOT NULL THEN
        PERFORM haven_portal_audit(ctx, action, a.id, 'denied');
        RETURN 'read';
    END IF;
    IF share AND haven_couple_high_risk_in(ctx.partner_practice_id, a.couple_id) THEN
        PERFORM haven_portal_audit(ctx, action, a.id, 'denied');
        RETURN 'safety-mode';
    END IF;
    UPDATE homework_responses r SET shared_with_partner = share WHERE r.id = answer.id;
    PERFORM haven_portal_audit(ctx, action, a.id, 'success');
    RETURN CASE WHEN share THEN 'shared' ELSE 'unshared' END;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- The counselor's side: the first view of an assignment's answers through the homework service marks
-- them read (staff context, the caseload's own; the caller's homework.read entry covers the view).
-- Answers the number of answers newly marked.
CREATE FUNCTION haven_homework_mark_read(assignment uuid) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    marked integer;
BEGIN
    UPDATE homework_responses r SET counselor_read_at = now()
    WHERE r.assignment_id = assignment AND r.counselor_read_at IS NULL
      AND r.practice_id = ctx.practice_id AND r.counselor_id = ANY (ctx.caseload);
    GET DIAGNOSTICS marked = ROW_COUNT;
    RETURN marked;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- A partner may append the portal's reads: the home page and their answers (the writes above append
-- their own entries).
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
        IF action IS NULL OR action <> ALL (ARRAY['portal.home.read', 'portal.answer.read']) THEN
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

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'haven_portal_safety_mode()', 'haven_portal_answers()', 'haven_portal_sealing_key()',
        'haven_portal_opening_key(uuid)', 'haven_portal_save_draft(uuid, uuid, integer, bytea, uuid, boolean)',
        'haven_portal_submit_answer(uuid, uuid, integer, bytea, uuid, text)',
        'haven_portal_share_answer(uuid, boolean)', 'haven_homework_mark_read(uuid)'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
