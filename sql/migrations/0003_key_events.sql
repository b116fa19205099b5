-- 0003: an append-only record of key operations (ids only, never key material or clinical data).
-- The clinical-core audit log takes over from it; until then it records every master rotation,
-- data rotation and shred.

CREATE TABLE key_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL CONSTRAINT key_events_action CHECK (action IN ('rotate-master', 'rotate-data', 'shred')),
    practice_id uuid REFERENCES practices (id),
    subject_kind text,
    subject_id text,
    key_ids uuid[] NOT NULL DEFAULT '{}',
    master_key_version integer,
    source text NOT NULL CONSTRAINT key_events_source_length CHECK (length(source) BETWEEN 1 AND 200)
);

CREATE FUNCTION key_events_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'key_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER key_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON key_events
    FOR EACH ROW EXECUTE FUNCTION key_events_append_only();
CREATE TRIGGER key_events_no_truncate
    BEFORE TRUNCATE ON key_events
    FOR EACH STATEMENT EXECUTE FUNCTION key_events_append_only();

GRANT INSERT ON key_events TO haven_app;
