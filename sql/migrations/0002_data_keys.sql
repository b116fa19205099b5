-- 0002: envelope-encryption key storage (see docs/encryption.md).
--
-- Master keys never enter the database; only a check value per version does, so that a wrong
-- master key is refused at startup instead of producing failures later. Data keys are stored
-- wrapped by a master key. Shredding a subject destroys its wrapped keys for good.

CREATE TABLE master_key_versions (
    version integer PRIMARY KEY CONSTRAINT master_key_versions_version_positive CHECK (version >= 1),
    -- AES-256-GCM of a fixed marker under this master key version (docs/encryption.md).
    check_value bytea NOT NULL CONSTRAINT master_key_versions_check_length CHECK (length(check_value) = 60),
    state text NOT NULL DEFAULT 'active' CONSTRAINT master_key_versions_state CHECK (state IN ('active', 'retired')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row: the floors below which keys and formats are refused.
CREATE TABLE keyring_settings (
    singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT keyring_settings_singleton CHECK (singleton),
    minimum_master_key_version integer NOT NULL DEFAULT 1,
    minimum_format_version smallint NOT NULL DEFAULT 1
);
INSERT INTO keyring_settings DEFAULT VALUES;

CREATE TABLE data_keys (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    subject_kind text NOT NULL
        CONSTRAINT data_keys_subject_kind CHECK (subject_kind IN ('couple', 'client', 'psychotherapy', 'test')),
    subject_id text NOT NULL CONSTRAINT data_keys_subject_id_length CHECK (length(subject_id) BETWEEN 1 AND 200),
    state text NOT NULL CONSTRAINT data_keys_state CHECK (state IN ('active', 'retired', 'shredded')),
    master_key_version integer REFERENCES master_key_versions (version),
    wrapped_key bytea CONSTRAINT data_keys_wrapped_length CHECK (length(wrapped_key) = 60),
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    shredded_at timestamptz,
    CONSTRAINT data_keys_shredded_has_no_key
        CHECK ((state = 'shredded') = (wrapped_key IS NULL AND master_key_version IS NULL))
);
CREATE UNIQUE INDEX data_keys_one_active_per_subject ON data_keys (practice_id, subject_kind, subject_id)
    WHERE state = 'active';
CREATE INDEX data_keys_subject ON data_keys (practice_id, subject_kind, subject_id);
CREATE INDEX data_keys_master_key_version ON data_keys (master_key_version);

-- Every sealed column, so that `haven keys verify` and `rotate-data` can walk them all. Each sealed
-- column has a plain, indexed companion holding the id of the data key that sealed it. Later
-- migrations add their columns here.
CREATE TABLE sealed_columns (
    table_name text NOT NULL,
    column_name text NOT NULL,
    key_id_column text NOT NULL,
    row_id_column text NOT NULL DEFAULT 'id',
    subject_kind text NOT NULL CONSTRAINT sealed_columns_subject_kind
        CHECK (subject_kind IN ('couple', 'client', 'psychotherapy', 'test')),
    subject_column text NOT NULL,
    PRIMARY KEY (table_name, column_name)
);

GRANT SELECT ON master_key_versions, keyring_settings, sealed_columns TO haven_app;
GRANT SELECT, INSERT ON data_keys TO haven_app;
