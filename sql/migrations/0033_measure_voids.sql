-- 0033: a wrong measure administration is voided with a reason (issue #14, "Corrections and
-- guardrails"): the row is kept, the reason sealed for the client, the void audited
-- (`measure.void`); trends, reports and the reliable-change baseline leave it out. A void is final.

ALTER TABLE measure_administrations
    ADD COLUMN key_subject text GENERATED ALWAYS AS ('client:' || client_id::text) STORED,
    ADD COLUMN voided_at timestamptz,
    ADD COLUMN voided_by uuid,
    ADD COLUMN void_reason bytea,
    ADD COLUMN void_reason_key_id uuid REFERENCES data_keys (id),
    ADD CONSTRAINT measure_administrations_void_complete CHECK (
        (voided_at IS NULL AND voided_by IS NULL AND void_reason IS NULL AND void_reason_key_id IS NULL)
        OR (voided_at IS NOT NULL AND voided_by IS NOT NULL AND void_reason IS NOT NULL
            AND void_reason_key_id IS NOT NULL)
    );
CREATE INDEX measure_administrations_void_key ON measure_administrations (void_reason_key_id);

-- What was administered never changes, and a void is final: an UPDATE may only void a live row, or
-- re-seal a void's reason under a rotated key (haven_may_reencrypt, as for signed notes).
CREATE FUNCTION measure_administrations_void_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    -- key_subject is generated (not yet computed in a BEFORE trigger); it follows client_id.
    void constant text[] := ARRAY['voided_at', 'voided_by', 'void_reason', 'void_reason_key_id', 'key_subject'];
    sealed constant text[] := ARRAY['void_reason', 'void_reason_key_id', 'key_subject'];
BEGIN
    IF OLD.voided_at IS NULL AND (to_jsonb(NEW) - void) = (to_jsonb(OLD) - void) THEN
        RETURN NEW;
    END IF;
    IF OLD.voided_at IS NOT NULL AND haven_may_reencrypt(TG_RELID)
        AND (to_jsonb(NEW) - sealed) = (to_jsonb(OLD) - sealed) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a measure administration is not changed, and a void is final'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'measure_administrations_void_only';
END
$$;
CREATE TRIGGER measure_administrations_void_only BEFORE UPDATE ON measure_administrations
    FOR EACH ROW EXECUTE FUNCTION measure_administrations_void_only();

GRANT UPDATE (voided_at, voided_by, void_reason, void_reason_key_id) ON measure_administrations TO haven_app;

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('measure_administrations', 'void_reason', 'void_reason_key_id', 'id', NULL, 'key_subject');
