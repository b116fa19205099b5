-- 0014: each partner's response to an assignment: completion and an optional sealed text that stays
-- private to the counselor unless that partner chooses to share it with the other.

CREATE TABLE homework_responses (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    assignment_id uuid NOT NULL REFERENCES homework_assignments (id),
    partner_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    key_subject text NOT NULL CONSTRAINT homework_responses_key_subject CHECK (key_subject ~ '^couple:'),
    completion text NOT NULL CONSTRAINT homework_responses_completion CHECK (completion IN ('completed', 'partly_completed', 'skipped')),
    response bytea,
    response_key_id uuid REFERENCES data_keys (id),
    shared_with_partner boolean NOT NULL DEFAULT false,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, partner_id) REFERENCES clients (practice_id, id),
    CONSTRAINT homework_responses_text_has_key CHECK ((response IS NULL) = (response_key_id IS NULL)),
    CONSTRAINT homework_responses_one_per_partner UNIQUE (assignment_id, partner_id)
);
CREATE INDEX homework_responses_response_key ON homework_responses (response_key_id);

ALTER TABLE homework_responses ENABLE ROW LEVEL SECURITY;
ALTER TABLE homework_responses FORCE ROW LEVEL SECURITY;
CREATE POLICY homework_responses_owner ON homework_responses TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY homework_responses_caseload ON homework_responses TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id));

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('homework_responses', 'response', 'response_key_id', 'id', NULL, 'key_subject');

GRANT SELECT, INSERT, DELETE ON homework_responses TO haven_app;
