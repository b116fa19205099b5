-- 0011: corrections after signing (addenda) and supervisor co-signatures.
--
-- A signed note never changes; a correction is an addendum with its own author, time, reason and
-- text (both sealed for the note's chart). A supervisor of the note's counselor may co-sign a
-- signed note; the co-signature records the content hash it vouches for.

CREATE TABLE note_addenda (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    note_id uuid NOT NULL,
    author_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    key_subject text NOT NULL CONSTRAINT note_addenda_key_subject CHECK (key_subject ~ '^(couple|client):'),
    reason bytea NOT NULL,
    reason_key_id uuid NOT NULL REFERENCES data_keys (id),
    body bytea NOT NULL,
    body_key_id uuid NOT NULL REFERENCES data_keys (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, note_id) REFERENCES progress_notes (practice_id, id),
    FOREIGN KEY (practice_id, author_id) REFERENCES staff (practice_id, id)
);
CREATE INDEX note_addenda_note ON note_addenda (practice_id, note_id, created_at);
CREATE INDEX note_addenda_body_key ON note_addenda (body_key_id);
CREATE INDEX note_addenda_reason_key ON note_addenda (reason_key_id);

-- An addendum only on a signed note, for the note's own chart and counselor; addenda are final.
CREATE FUNCTION note_addenda_on_signed_note() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    n progress_notes%ROWTYPE;
BEGIN
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
CREATE TRIGGER note_addenda_on_signed_note BEFORE INSERT OR UPDATE OR DELETE ON note_addenda
    FOR EACH ROW EXECUTE FUNCTION note_addenda_on_signed_note();

CREATE TABLE note_cosignatures (
    practice_id uuid NOT NULL,
    note_id uuid NOT NULL,
    supervisor_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    content_hash bytea NOT NULL CONSTRAINT note_cosignatures_hash_length CHECK (length(content_hash) = 32),
    cosigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, note_id),
    FOREIGN KEY (practice_id, note_id) REFERENCES progress_notes (practice_id, id),
    FOREIGN KEY (practice_id, supervisor_id) REFERENCES staff (practice_id, id)
);

-- A co-signature vouches for the signed content, by a supervisor of the note's counselor.
CREATE FUNCTION note_cosignatures_valid() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    n progress_notes%ROWTYPE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'a co-signature cannot be changed or deleted'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'note_cosignatures_final';
    END IF;
    SELECT * INTO n FROM progress_notes WHERE practice_id = NEW.practice_id AND id = NEW.note_id;
    IF NOT FOUND OR n.state <> 'signed' OR n.content_hash <> NEW.content_hash OR n.counselor_id <> NEW.counselor_id THEN
        RAISE EXCEPTION 'a co-signature needs the signed note and its content hash'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'note_cosignatures_match_note';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM supervision_links
        WHERE practice_id = NEW.practice_id AND supervisor_id = NEW.supervisor_id AND supervisee_id = n.counselor_id
    ) THEN
        RAISE EXCEPTION 'only a supervisor of the note''s counselor co-signs'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'note_cosignatures_by_supervisor';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER note_cosignatures_valid BEFORE INSERT OR UPDATE OR DELETE ON note_cosignatures
    FOR EACH ROW EXECUTE FUNCTION note_cosignatures_valid();

ALTER TABLE note_addenda ENABLE ROW LEVEL SECURITY;
ALTER TABLE note_addenda FORCE ROW LEVEL SECURITY;
CREATE POLICY note_addenda_owner ON note_addenda TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY note_addenda_caseload ON note_addenda TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id));
ALTER TABLE note_cosignatures ENABLE ROW LEVEL SECURITY;
ALTER TABLE note_cosignatures FORCE ROW LEVEL SECURITY;
CREATE POLICY note_cosignatures_owner ON note_cosignatures TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY note_cosignatures_caseload ON note_cosignatures TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id));

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES
    ('note_addenda', 'body', 'body_key_id', 'id', NULL, 'key_subject'),
    ('note_addenda', 'reason', 'reason_key_id', 'id', NULL, 'key_subject');

GRANT SELECT, INSERT ON note_addenda, note_cosignatures TO haven_app;
