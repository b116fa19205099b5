-- 0007: progress notes (draft → signed) on completed sessions.
--
-- A note records the EFT stage and step (the step belongs to the stage), for steps 5–7 which partner
-- the work was with, interventions, Tango moves, change events and a risk level; its body and risk
-- detail are sealed. Signing records a SHA-256 content hash and freezes the note: a trigger refuses
-- any later change or deletion. Notes are only written on completed sessions.

-- A sealed column whose rows belong to different kinds of subject names the full `kind:id` subject
-- in its subject column and leaves subject_kind NULL.
ALTER TABLE sealed_columns ALTER COLUMN subject_kind DROP NOT NULL;

CREATE TABLE progress_notes (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    session_id uuid NOT NULL,
    author_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    chart_kind text NOT NULL CONSTRAINT progress_notes_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid NOT NULL,
    key_subject text GENERATED ALWAYS AS (chart_kind || ':' || chart_id::text) STORED,
    stage smallint NOT NULL,
    step smallint NOT NULL,
    step_partner_id uuid,
    interventions text[] NOT NULL DEFAULT '{}' CONSTRAINT progress_notes_interventions CHECK (interventions <@ ARRAY[
        'reflecting_emotion', 'validating', 'evocative_responding', 'heightening', 'empathic_conjecture',
        'tracking_the_cycle', 'reframing', 'shaping_enactments', 'reassurance_and_containment', 'psychoeducation']),
    tango_moves text[] NOT NULL DEFAULT '{}' CONSTRAINT progress_notes_tango_moves CHECK (tango_moves <@ ARRAY[
        'mirror_present_process', 'assemble_and_deepen_affect', 'choreograph_engaged_encounter',
        'process_the_encounter', 'integrate_and_validate']),
    change_events text[] NOT NULL DEFAULT '{}' CONSTRAINT progress_notes_change_events CHECK (change_events <@ ARRAY[
        'cycle_deescalated', 'withdrawer_reengagement', 'blamer_softening', 'attachment_injury_resolved']),
    risk_level text NOT NULL DEFAULT 'none'
        CONSTRAINT progress_notes_risk_level CHECK (risk_level IN ('none', 'low', 'moderate', 'high')),
    body bytea NOT NULL,
    body_key_id uuid NOT NULL REFERENCES data_keys (id),
    risk_detail bytea,
    risk_detail_key_id uuid REFERENCES data_keys (id),
    state text NOT NULL DEFAULT 'draft' CONSTRAINT progress_notes_state CHECK (state IN ('draft', 'signed')),
    version integer NOT NULL DEFAULT 1 CONSTRAINT progress_notes_version_positive CHECK (version >= 1),
    content_hash bytea CONSTRAINT progress_notes_content_hash_length CHECK (length(content_hash) = 32),
    signed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT progress_notes_practice_id_unique UNIQUE (practice_id, id),
    FOREIGN KEY (practice_id, session_id) REFERENCES therapy_sessions (practice_id, id),
    FOREIGN KEY (practice_id, author_id) REFERENCES staff (practice_id, id),
    CONSTRAINT progress_notes_step_in_stage CHECK (
        (stage = 1 AND step BETWEEN 1 AND 4) OR (stage = 2 AND step BETWEEN 5 AND 7) OR (stage = 3 AND step BETWEEN 8 AND 9)
    ),
    CONSTRAINT progress_notes_partner_only_for_steps_5_to_7 CHECK (step_partner_id IS NULL OR step BETWEEN 5 AND 7),
    CONSTRAINT progress_notes_risk_detail_has_key CHECK ((risk_detail IS NULL) = (risk_detail_key_id IS NULL)),
    CONSTRAINT progress_notes_signed_has_hash CHECK ((state = 'signed') = (content_hash IS NOT NULL AND signed_at IS NOT NULL))
);
CREATE INDEX progress_notes_session ON progress_notes (practice_id, session_id);
CREATE INDEX progress_notes_chart ON progress_notes (practice_id, chart_kind, chart_id, created_at);
CREATE INDEX progress_notes_body_key ON progress_notes (body_key_id);
CREATE INDEX progress_notes_risk_detail_key ON progress_notes (risk_detail_key_id);

-- A note only on a completed session of the same chart. Runs as the owner: it must see the session
-- whatever the acting caseload.
CREATE FUNCTION progress_notes_on_completed_session() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    s therapy_sessions%ROWTYPE;
    expected_kind text;
BEGIN
    SELECT * INTO s FROM therapy_sessions WHERE practice_id = NEW.practice_id AND id = NEW.session_id;
    IF NOT FOUND OR s.status <> 'completed' THEN
        RAISE EXCEPTION 'a note needs a completed session'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_session_completed';
    END IF;
    expected_kind := CASE WHEN s.couple_id IS NOT NULL THEN 'couple' ELSE 'client' END;
    IF NEW.chart_id IS DISTINCT FROM coalesce(s.couple_id, s.client_id)
        OR NEW.chart_kind <> expected_kind OR NEW.counselor_id <> s.counselor_id THEN
        RAISE EXCEPTION 'a note belongs to its session''s chart and counselor'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_matches_session';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER progress_notes_on_completed_session BEFORE INSERT ON progress_notes
    FOR EACH ROW EXECUTE FUNCTION progress_notes_on_completed_session();

-- A signed note cannot change or be deleted; a draft can be edited or deleted, and signed once.
CREATE FUNCTION progress_notes_signed_is_final() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.state = 'signed' THEN
        RAISE EXCEPTION 'a signed note cannot be changed; add an addendum'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_signed_is_final';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.session_id <> OLD.session_id OR NEW.chart_id <> OLD.chart_id
                             OR NEW.author_id <> OLD.author_id OR NEW.practice_id <> OLD.practice_id) THEN
        RAISE EXCEPTION 'a note cannot move to another session, chart or author'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_fixed_place';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER progress_notes_signed_is_final BEFORE UPDATE OR DELETE ON progress_notes
    FOR EACH ROW EXECUTE FUNCTION progress_notes_signed_is_final();

ALTER TABLE progress_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE progress_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY progress_notes_owner ON progress_notes TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY progress_notes_caseload ON progress_notes TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id));

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES
    ('progress_notes', 'body', 'body_key_id', 'id', NULL, 'key_subject'),
    ('progress_notes', 'risk_detail', 'risk_detail_key_id', 'id', NULL, 'key_subject');

GRANT SELECT, INSERT, UPDATE, DELETE ON progress_notes TO haven_app;
