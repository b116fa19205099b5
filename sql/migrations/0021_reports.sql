-- 0021: progress reports — the counselor's sealed summary for a period, and a record of every report
-- generated (which chart, period, audience and format), which the audit entry points to.

CREATE TABLE report_summaries (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    counselor_id uuid NOT NULL,
    chart_kind text NOT NULL CONSTRAINT report_summaries_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid NOT NULL,
    key_subject text GENERATED ALWAYS AS (chart_kind || ':' || chart_id::text) STORED,
    period_from date NOT NULL,
    period_to date NOT NULL,
    CONSTRAINT report_summaries_period CHECK (period_to >= period_from),
    summary bytea NOT NULL,
    summary_key_id uuid NOT NULL REFERENCES data_keys (id),
    next_review date,
    author_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, counselor_id) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, author_id) REFERENCES staff (practice_id, id)
);
-- The latest summary for a chart and period is the one reports use; earlier ones stay as history.
CREATE INDEX report_summaries_chart ON report_summaries (practice_id, chart_kind, chart_id, period_to, created_at);
CREATE INDEX report_summaries_key ON report_summaries (summary_key_id);

CREATE TABLE report_runs (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    counselor_id uuid NOT NULL,
    chart_kind text NOT NULL CONSTRAINT report_runs_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid NOT NULL,
    period_from date NOT NULL,
    period_to date NOT NULL,
    audience text NOT NULL CONSTRAINT report_runs_audience CHECK (audience IN ('clinical', 'client')),
    format text NOT NULL CONSTRAINT report_runs_format CHECK (format IN ('md', 'html', 'json')),
    generated_by uuid NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, generated_by) REFERENCES staff (practice_id, id)
);
CREATE INDEX report_runs_chart ON report_runs (practice_id, chart_kind, chart_id, generated_at);

ALTER TABLE report_summaries ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_summaries FORCE ROW LEVEL SECURITY;
CREATE POLICY report_summaries_owner ON report_summaries TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY report_summaries_caseload ON report_summaries TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (
        practice_id = haven_current_practice() AND haven_in_caseload(counselor_id)
        AND author_id = haven_current_staff()
        AND CASE chart_kind WHEN 'couple' THEN haven_couple_in_caseload(chart_id) ELSE haven_client_in_caseload(chart_id) END
    );
CREATE POLICY report_summaries_break_glass ON report_summaries FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
ALTER TABLE report_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY report_runs_owner ON report_runs TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY report_runs_caseload ON report_runs TO haven_app
    USING (practice_id = haven_current_practice() AND generated_by = haven_current_staff())
    WITH CHECK (practice_id = haven_current_practice() AND generated_by = haven_current_staff());

GRANT SELECT, INSERT ON report_summaries, report_runs TO haven_app;

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('report_summaries', 'summary', 'summary_key_id', 'id', NULL, 'key_subject');
