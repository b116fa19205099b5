-- 0016: attachment injuries and treatment goals on a couple's chart. Descriptions are sealed for
-- the couple; status, dates and the resolution-model step stay queryable.

CREATE TABLE attachment_injuries (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    couple_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    injured_partner_id uuid NOT NULL,
    key_subject text GENERATED ALWAYS AS ('couple:' || couple_id::text) STORED,
    description bytea NOT NULL,
    description_key_id uuid NOT NULL REFERENCES data_keys (id),
    identified_on date NOT NULL,
    status text NOT NULL DEFAULT 'identified'
        CONSTRAINT attachment_injuries_status CHECK (status IN ('identified', 'in_repair', 'resolved')),
    resolution_step smallint NOT NULL DEFAULT 1 CONSTRAINT attachment_injuries_step CHECK (resolution_step BETWEEN 1 AND 8),
    resolved_on date,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id),
    FOREIGN KEY (practice_id, injured_partner_id) REFERENCES clients (practice_id, id),
    CONSTRAINT attachment_injuries_resolved_date CHECK ((status = 'resolved') = (resolved_on IS NOT NULL)),
    CONSTRAINT attachment_injuries_resolved_after CHECK (resolved_on IS NULL OR resolved_on >= identified_on)
);
CREATE INDEX attachment_injuries_couple ON attachment_injuries (practice_id, couple_id);
CREATE INDEX attachment_injuries_key ON attachment_injuries (description_key_id);

CREATE TABLE treatment_goals (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    couple_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    key_subject text GENERATED ALWAYS AS ('couple:' || couple_id::text) STORED,
    description bytea NOT NULL,
    description_key_id uuid NOT NULL REFERENCES data_keys (id),
    status text NOT NULL DEFAULT 'open'
        CONSTRAINT treatment_goals_status CHECK (status IN ('open', 'in_progress', 'met', 'discontinued')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id)
);
CREATE INDEX treatment_goals_couple ON treatment_goals (practice_id, couple_id);
CREATE INDEX treatment_goals_key ON treatment_goals (description_key_id);

ALTER TABLE attachment_injuries ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachment_injuries FORCE ROW LEVEL SECURITY;
CREATE POLICY attachment_injuries_owner ON attachment_injuries TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY attachment_injuries_caseload ON attachment_injuries TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id) AND haven_couple_in_caseload(couple_id));
ALTER TABLE treatment_goals ENABLE ROW LEVEL SECURITY;
ALTER TABLE treatment_goals FORCE ROW LEVEL SECURITY;
CREATE POLICY treatment_goals_owner ON treatment_goals TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY treatment_goals_caseload ON treatment_goals TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id) AND haven_couple_in_caseload(couple_id));

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES
    ('attachment_injuries', 'description', 'description_key_id', 'id', NULL, 'key_subject'),
    ('treatment_goals', 'description', 'description_key_id', 'id', NULL, 'key_subject');

GRANT SELECT, INSERT ON attachment_injuries, treatment_goals TO haven_app;
GRANT UPDATE (status, resolution_step, resolved_on) ON attachment_injuries TO haven_app;
GRANT UPDATE (status, updated_at) ON treatment_goals TO haven_app;
