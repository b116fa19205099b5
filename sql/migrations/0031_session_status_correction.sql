-- 0031: a session's recorded status can be corrected (completed -> no-show, cancelled -> scheduled, ...)
-- with a reason, not only moved forward. The latest correction's reason is sealed for the session's
-- chart beside it (like a risk-override reason, 0019); every correction is audited
-- (session.status.correct).

ALTER TABLE therapy_sessions
    ADD COLUMN status_correction_reason bytea,
    ADD COLUMN status_correction_key_id uuid REFERENCES data_keys (id),
    ADD COLUMN status_corrected_at timestamptz,
    ADD COLUMN status_corrected_by uuid,
    ADD CONSTRAINT therapy_sessions_correction_has_key
        CHECK ((status_correction_reason IS NULL) = (status_correction_key_id IS NULL)),
    ADD CONSTRAINT therapy_sessions_correction_complete
        CHECK ((status_correction_reason IS NULL) = (status_corrected_at IS NULL)
               AND (status_corrected_at IS NULL) = (status_corrected_by IS NULL)),
    ADD CONSTRAINT therapy_sessions_corrected_by_fkey
        FOREIGN KEY (practice_id, status_corrected_by) REFERENCES staff (practice_id, id);
CREATE INDEX therapy_sessions_correction_key ON therapy_sessions (status_correction_key_id);

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('therapy_sessions', 'status_correction_reason', 'status_correction_key_id', 'id', NULL, 'key_subject');
