-- 0012: psychotherapy notes — a counselor's private process notes, kept apart from the record.
--
-- Visible only to their author (break-glass access comes later): not to supervisors, not to admins,
-- never in reports or exports unless explicitly asked for. Sealed with a data key of their own per
-- author per chart (subject `psychotherapy:<chart id>:<author id>`), so they can be shredded alone.

CREATE TABLE psychotherapy_notes (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    author_id uuid NOT NULL,
    chart_kind text NOT NULL CONSTRAINT psychotherapy_notes_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid NOT NULL,
    key_subject_id text GENERATED ALWAYS AS (chart_id::text || ':' || author_id::text) STORED,
    body bytea NOT NULL,
    body_key_id uuid NOT NULL REFERENCES data_keys (id),
    version integer NOT NULL DEFAULT 1 CONSTRAINT psychotherapy_notes_version_positive CHECK (version >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, author_id) REFERENCES staff (practice_id, id)
);
CREATE INDEX psychotherapy_notes_author_chart ON psychotherapy_notes (practice_id, author_id, chart_kind, chart_id);
CREATE INDEX psychotherapy_notes_body_key ON psychotherapy_notes (body_key_id);

ALTER TABLE psychotherapy_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE psychotherapy_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY psychotherapy_notes_owner ON psychotherapy_notes TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY psychotherapy_notes_author ON psychotherapy_notes TO haven_app
    USING (practice_id = haven_current_practice() AND author_id = haven_current_staff())
    WITH CHECK (
        practice_id = haven_current_practice() AND author_id = haven_current_staff()
        AND CASE chart_kind
            WHEN 'couple' THEN haven_couple_in_caseload(chart_id)
            ELSE haven_client_in_caseload(chart_id)
        END
    );

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('psychotherapy_notes', 'body', 'body_key_id', 'id', 'psychotherapy', 'key_subject_id');

GRANT SELECT, INSERT, UPDATE ON psychotherapy_notes TO haven_app;
