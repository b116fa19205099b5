-- 0032: a note records its risk level explicitly, and a counselor can close an open high-risk flag
-- with a reason (issue #14, "Corrections and guardrails").
--
-- A draft may still lack its risk level; a signed note always has one (no default 'none' any more:
-- a level nobody chose is not a screen). Drafts written before this migration keep the 'none' they
-- were given by default.

ALTER TABLE progress_notes
    ALTER COLUMN risk_level DROP DEFAULT,
    ALTER COLUMN risk_level DROP NOT NULL,
    ADD CONSTRAINT progress_notes_signed_has_risk_level CHECK (state <> 'signed' OR risk_level IS NOT NULL);

-- A closed flag: the counselor says why the high risk recorded by one note no longer holds, without
-- writing a later note. The reason is clinical text, sealed for the couple. A later note at high risk
-- opens a new flag (a closure names the note it closes).
CREATE TABLE risk_flag_closures (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    couple_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    note_id uuid NOT NULL REFERENCES progress_notes (id),
    closed_by uuid NOT NULL,
    key_subject text GENERATED ALWAYS AS ('couple:' || couple_id::text) STORED,
    reason bytea NOT NULL,
    reason_key_id uuid NOT NULL REFERENCES data_keys (id),
    closed_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id),
    CONSTRAINT risk_flag_closures_one_per_note UNIQUE (note_id)
);
CREATE INDEX risk_flag_closures_couple ON risk_flag_closures (practice_id, couple_id);
CREATE INDEX risk_flag_closures_key ON risk_flag_closures (reason_key_id);

ALTER TABLE risk_flag_closures ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk_flag_closures FORCE ROW LEVEL SECURITY;
CREATE POLICY risk_flag_closures_owner ON risk_flag_closures TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY risk_flag_closures_caseload ON risk_flag_closures TO haven_app
    USING (practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[]))
    WITH CHECK (
        practice_id = (SELECT haven_current_practice()) AND counselor_id = ANY ((SELECT haven_current_caseload())::uuid[])
        AND haven_couple_in_caseload(couple_id)
    );
CREATE POLICY risk_flag_closures_break_glass ON risk_flag_closures FOR SELECT TO haven_app
    USING (practice_id = (SELECT haven_current_practice()) AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
GRANT SELECT, INSERT ON risk_flag_closures TO haven_app;

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('risk_flag_closures', 'reason', 'reason_key_id', 'id', NULL, 'key_subject');

-- The open flag, in one place: the latest note on the couple's chart that records a risk level
-- records high, and no closure names that note (a draft without a level does not hide an earlier
-- flag). haven_couple_open_risk_note names that note (NULL when no flag is open).
CREATE FUNCTION haven_couple_open_risk_note(couple uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    latest progress_notes;
BEGIN
    SELECT n.* INTO latest
    FROM progress_notes n JOIN therapy_sessions s ON s.id = n.session_id
    WHERE n.chart_kind = 'couple' AND n.chart_id = couple AND n.practice_id = haven_current_practice()
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
REVOKE ALL ON FUNCTION haven_couple_open_risk_note(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_couple_open_risk_note(uuid) TO haven_app;

CREATE OR REPLACE FUNCTION haven_couple_high_risk(couple uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN haven_couple_open_risk_note(couple) IS NOT NULL;
END
$$;
