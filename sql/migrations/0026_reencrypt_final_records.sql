-- 0026: data-key rotation re-encrypts signed notes and addenda.
--
-- A signed note (0007, 0010) and an addendum (0011) are final: their triggers refused every UPDATE,
-- so `haven keys rotate-data` could not move their values to a new data key. They now let exactly
-- one kind of UPDATE through, re-encryption:
--   - only by a member of the table's owner role (operators; never haven_app);
--   - only sealed columns and their key-id columns change; every other column is as it was;
--   - each changed value moves from a retired key of the row's own practice and subject to that
--     subject's active key, the new value's header names the key its key-id column names, and the
--     value and the key change together.
-- The database holds no keys, so it cannot compare plaintexts; the note's content hash, recomputed
-- from the opened text, is what shows the content unchanged. Deleting stays refused.

-- Whether one sealed column's change (old value and key id to new value and key id) is a move to
-- the subject's active key, or no change at all.
CREATE FUNCTION haven_is_reencryption(
    practice uuid,
    subject text,
    old_value bytea,
    new_value bytea,
    old_key uuid,
    new_key uuid
) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF old_value IS NOT DISTINCT FROM new_value AND old_key IS NOT DISTINCT FROM new_key THEN
        RETURN true;
    END IF;
    IF old_value IS NULL OR new_value IS NULL OR old_key IS NULL OR new_key IS NULL
        OR old_value = new_value OR old_key = new_key
        -- Sealed-value header: format version, algorithm, then the 16 bytes of the key id.
        OR substring(new_value FROM 3 FOR 16) <> uuid_send(new_key) THEN
        RETURN false;
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM data_keys
        WHERE id = old_key AND practice_id = practice AND subject_kind || ':' || subject_id = subject
          AND state = 'retired'
    ) AND EXISTS (
        SELECT 1 FROM data_keys
        WHERE id = new_key AND practice_id = practice AND subject_kind || ':' || subject_id = subject
          AND state = 'active'
    );
END
$$;

-- Whether the current role may re-encrypt rows of the table: the owner (or a superuser).
CREATE FUNCTION haven_may_reencrypt(tbl oid) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
    SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = tbl), 'MEMBER')
$$;

CREATE OR REPLACE FUNCTION progress_notes_signed_is_final() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    -- key_subject is generated (not yet computed in a BEFORE trigger); it follows chart_kind and chart_id.
    sealed constant text[] := ARRAY['body', 'body_key_id', 'risk_detail', 'risk_detail_key_id', 'key_subject'];
BEGIN
    IF OLD.state = 'signed' THEN
        IF TG_OP = 'UPDATE' AND haven_may_reencrypt(TG_RELID)
            AND (to_jsonb(NEW) - sealed) = (to_jsonb(OLD) - sealed)
            AND haven_is_reencryption(OLD.practice_id, OLD.key_subject, OLD.body, NEW.body,
                                      OLD.body_key_id, NEW.body_key_id)
            AND haven_is_reencryption(OLD.practice_id, OLD.key_subject, OLD.risk_detail, NEW.risk_detail,
                                      OLD.risk_detail_key_id, NEW.risk_detail_key_id) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'a signed note cannot be changed; add an addendum'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_signed_is_final';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.session_id <> OLD.session_id OR NEW.chart_id <> OLD.chart_id
                             OR NEW.chart_kind <> OLD.chart_kind OR NEW.counselor_id <> OLD.counselor_id
                             OR NEW.author_id <> OLD.author_id OR NEW.practice_id <> OLD.practice_id) THEN
        RAISE EXCEPTION 'a note cannot move to another session, chart, counselor or author'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_fixed_place';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION note_addenda_on_signed_note() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    n progress_notes%ROWTYPE;
    sealed constant text[] := ARRAY['body', 'body_key_id', 'reason', 'reason_key_id'];
BEGIN
    IF TG_OP = 'UPDATE' AND haven_may_reencrypt(TG_RELID)
        AND (to_jsonb(NEW) - sealed) = (to_jsonb(OLD) - sealed)
        AND haven_is_reencryption(OLD.practice_id, OLD.key_subject, OLD.body, NEW.body,
                                  OLD.body_key_id, NEW.body_key_id)
        AND haven_is_reencryption(OLD.practice_id, OLD.key_subject, OLD.reason, NEW.reason,
                                  OLD.reason_key_id, NEW.reason_key_id) THEN
        RETURN NEW;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'an addendum cannot be changed or deleted'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'note_addenda_final';
    END IF;
    SELECT * INTO n FROM progress_notes WHERE practice_id = NEW.practice_id AND id = NEW.note_id;
    IF NOT FOUND OR n.state <> 'signed' THEN
        RAISE EXCEPTION 'an addendum needs a signed note'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'note_addenda_on_signed_note';
    END IF;
    IF NEW.key_subject <> n.key_subject OR NEW.counselor_id <> n.counselor_id THEN
        RAISE EXCEPTION 'an addendum belongs to its note''s chart'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'note_addenda_matches_note';
    END IF;
    RETURN NEW;
END
$$;

-- A `rotate-data --all` run is recorded as it starts and when it has moved every subject, so a run
-- that was killed or had failures is resumed by the next one (subjects it already gave a new key are
-- not rotated again) instead of starting over.
ALTER TABLE key_events DROP CONSTRAINT key_events_action;
ALTER TABLE key_events ADD CONSTRAINT key_events_action
    CHECK (action IN ('rotate-master', 'rotate-data', 'shred', 'rotate-data-all', 'rotate-data-all-done'));
