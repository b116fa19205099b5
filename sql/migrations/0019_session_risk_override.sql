-- 0019: scheduling a conjoint session for a couple with an open high-risk flag needs an explicit
-- override with a reason, sealed for the couple and audited (like joint homework, 0013).

ALTER TABLE therapy_sessions
    ADD COLUMN risk_override_reason bytea,
    ADD COLUMN risk_override_key_id uuid REFERENCES data_keys (id),
    ADD COLUMN key_subject text GENERATED ALWAYS AS (
        CASE WHEN couple_id IS NOT NULL THEN 'couple:' || couple_id::text ELSE 'client:' || client_id::text END
    ) STORED,
    ADD CONSTRAINT therapy_sessions_override_has_key
        CHECK ((risk_override_reason IS NULL) = (risk_override_key_id IS NULL));
CREATE INDEX therapy_sessions_override_key ON therapy_sessions (risk_override_key_id);

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('therapy_sessions', 'risk_override_reason', 'risk_override_key_id', 'id', NULL, 'key_subject');
