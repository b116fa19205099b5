-- 0049: writing a draft note and reading a note in one round trip and one plan each (issue #17, "one
-- round trip per use case").
--
-- haven_note_write_draft does, in one call, what the service did in two round trips of five statements:
-- the session lookup, the refusals (not in the caseload: audited as denied; not completed; a signed note
-- by the same author; a step partner who is not one of the chart's clients), the guard on the keys, the
-- insert and the audit entry. It is SECURITY INVOKER: row-level security still decides which session
-- the caller reaches and what it may insert, exactly as for the statements it replaces, and the insert's
-- trigger (progress_notes_on_completed_session) still checks the note against its session. The sealed
-- values come in already sealed; the function never sees a key.
--
-- The values are sealed for the session's chart, which the service must know before it sends them:
-- `sealed_for` names the chart the caller sealed for (`couple:<id>` or `client:<id>`, as key_subject).
-- When it is not the session's (or NULL: the caller does not know it yet), nothing is written and the
-- outcome 'chart' names the session's chart; the caller seals for it and calls again in the same
-- transaction. So a write is one round trip (BEGIN, the context, this call and COMMIT in one pipeline)
-- when the service already knows the session's chart, two the first time.
-- The signed-note check, a plain indexed lookup: before, `session_id = ... AND author_id = ... AND
-- state = 'signed'` could use no index (progress_notes_session leads with practice_id) and read every
-- note of the table (0.17 ms per write with 1,300 notes, growing). At most one row per author and
-- session is signed (the service refuses a second), so the index is small and the answer one row.
CREATE INDEX progress_notes_signed_by_author ON progress_notes (session_id, author_id) WHERE state = 'signed';

CREATE FUNCTION haven_note_write_draft(
    note uuid, session uuid, sealed_for text,
    new_stage smallint, new_step smallint, new_step_partner uuid,
    new_interventions text[], new_tango_moves text[], new_change_events text[], new_risk_level text,
    new_body bytea, new_body_key uuid, new_risk_detail bytea, new_risk_detail_key uuid
) RETURNS TABLE (outcome text, detail text)
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    found_session record;
    signed uuid;
    -- The context's staff member, read once (each reader is a definer call: three cost 0.16 ms).
    me uuid := haven_current_staff();
BEGIN
    -- The session and its chart; a session whose couple is out of reach is out of reach too.
    SELECT CASE WHEN t.couple_id IS NULL THEN 'client' ELSE 'couple' END AS chart_kind,
           coalesce(t.couple_id, t.client_id) AS chart_id, t.counselor_id, t.status, t.key_subject, t.practice_id,
           CASE WHEN t.couple_id IS NULL THEN ARRAY[t.client_id] ELSE ARRAY[c.partner_a_id, c.partner_b_id] END
               AS partners
      INTO found_session
      FROM therapy_sessions t LEFT JOIN couples c ON c.id = t.couple_id
     WHERE t.id = session AND (t.couple_id IS NULL OR c.id IS NOT NULL);
    IF NOT FOUND THEN
        PERFORM haven_audit_append('note.write', 'session', session, '{}', 'denied', NULL);
        RETURN QUERY SELECT 'not-found'::text, NULL::text;
        RETURN;
    END IF;
    IF found_session.status <> 'completed' THEN
        RETURN QUERY SELECT 'not-completed'::text, found_session.status;
        RETURN;
    END IF;
    -- One signed progress note per author and session: what comes later is an addendum to it.
    SELECT p.id INTO signed FROM progress_notes p
     WHERE p.session_id = session AND p.author_id = me AND p.state = 'signed';
    IF signed IS NOT NULL THEN
        RETURN QUERY SELECT 'signed-note-exists'::text, signed::text;
        RETURN;
    END IF;
    IF new_step_partner IS NOT NULL AND NOT new_step_partner = ANY (found_session.partners) THEN
        RETURN QUERY SELECT 'step-partner'::text, NULL::text;
        RETURN;
    END IF;
    IF sealed_for IS DISTINCT FROM found_session.key_subject THEN
        RETURN QUERY SELECT 'chart'::text, found_session.key_subject;
        RETURN;
    END IF;
    PERFORM haven_require_live_keys(array_remove(ARRAY[new_body_key, new_risk_detail_key], NULL));
    INSERT INTO progress_notes (id, practice_id, session_id, author_id, counselor_id, chart_kind, chart_id,
                                stage, step, step_partner_id, interventions, tango_moves, change_events, risk_level,
                                body, body_key_id, risk_detail, risk_detail_key_id)
    VALUES (note, found_session.practice_id, session, me, found_session.counselor_id,
            found_session.chart_kind, found_session.chart_id, new_stage, new_step, new_step_partner,
            new_interventions, new_tango_moves, new_change_events, new_risk_level,
            new_body, new_body_key, new_risk_detail, new_risk_detail_key);
    -- Last, so the practice's append lock is held for the commit that follows in the same pipeline.
    PERFORM haven_audit_append('note.write', 'note', note, found_session.partners, 'success', NULL);
    RETURN QUERY SELECT 'written'::text, NULL::text;
END
$$;
REVOKE ALL ON FUNCTION haven_note_write_draft(uuid, uuid, text, smallint, smallint, uuid, text[], text[], text[], text,
                                              bytea, uuid, bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_note_write_draft(uuid, uuid, text, smallint, smallint, uuid, text[], text[], text[],
                                                 text, bytea, uuid, bytea, uuid) TO haven_app;

-- Reading a note in one round trip: haven_note_read returns the row as NoteService reads it (the
-- columns of NoteService.loadQuery) and appends its audit entry: `note.read` with the chart's clients,
-- or denied when the caller reaches no such note. SECURITY INVOKER, so the policies decide what the
-- caller reaches, as for the SELECT it replaces (break-glass reads included). The entry is appended
-- when the database hands the row out; a signed note that then fails its integrity check in the
-- service is refused and recorded as `note.integrity` failed after it (before 0049 that read's entry
-- rolled back).
CREATE FUNCTION haven_note_read(wanted uuid)
RETURNS TABLE (session_id uuid, author_id uuid, stage smallint, step smallint, step_partner_id uuid,
               interventions text[], tango_moves text[], change_events text[], risk_level text, body bytea,
               risk_detail bytea, state text, version integer, content_hash bytea, key_subject text,
               client_ids uuid[], signed_at timestamptz, author_name text, supervisor_id uuid,
               supervisor_name text, cosigned_at timestamptz)
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    SELECT n.session_id, n.author_id, n.stage, n.step, n.step_partner_id, n.interventions, n.tango_moves,
           n.change_events, n.risk_level, n.body, n.risk_detail, n.state, n.version, n.content_hash, n.key_subject,
           CASE WHEN n.chart_kind = 'client' THEN ARRAY[n.chart_id]
                ELSE coalesce((SELECT ARRAY[c.partner_a_id, c.partner_b_id] FROM couples c WHERE c.id = n.chart_id),
                              '{}')
           END,
           n.signed_at, (SELECT st.display_name FROM staff st WHERE st.id = n.author_id),
           (SELECT co.supervisor_id FROM note_cosignatures co WHERE co.note_id = n.id),
           (SELECT st.display_name FROM note_cosignatures co JOIN staff st ON st.id = co.supervisor_id
             WHERE co.note_id = n.id),
           (SELECT co.cosigned_at FROM note_cosignatures co WHERE co.note_id = n.id)
      INTO session_id, author_id, stage, step, step_partner_id, interventions, tango_moves, change_events,
           risk_level, body, risk_detail, state, version, content_hash, key_subject, client_ids, signed_at,
           author_name, supervisor_id, supervisor_name, cosigned_at
      FROM progress_notes n
     WHERE n.id = wanted;
    IF NOT FOUND THEN
        PERFORM haven_audit_append('note.read', 'note', wanted, '{}', 'denied', NULL);
        RETURN;
    END IF;
    PERFORM haven_audit_append('note.read', 'note', wanted, client_ids, 'success', NULL);
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION haven_note_read(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_note_read(uuid) TO haven_app;
