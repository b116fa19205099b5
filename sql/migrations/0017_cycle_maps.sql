-- 0017: the EFT case formulation per partner, versioned as it is refined. The position in the cycle
-- is a plain enum; the map itself (trigger, action tendency, perception, reactive and primary
-- emotions, unmet need) is clinical text and sealed for the couple. Versions are never changed.

CREATE TABLE cycle_maps (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    couple_id uuid NOT NULL,
    partner_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    version integer NOT NULL CONSTRAINT cycle_maps_version_positive CHECK (version >= 1),
    position text NOT NULL CONSTRAINT cycle_maps_position CHECK (position IN ('pursuer', 'withdrawer', 'alternating')),
    key_subject text GENERATED ALWAYS AS ('couple:' || couple_id::text) STORED,
    map bytea NOT NULL,
    map_key_id uuid NOT NULL REFERENCES data_keys (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id),
    FOREIGN KEY (practice_id, partner_id) REFERENCES clients (practice_id, id),
    CONSTRAINT cycle_maps_version_unique UNIQUE (couple_id, partner_id, version)
);
CREATE INDEX cycle_maps_key ON cycle_maps (map_key_id);

ALTER TABLE cycle_maps ENABLE ROW LEVEL SECURITY;
ALTER TABLE cycle_maps FORCE ROW LEVEL SECURITY;
CREATE POLICY cycle_maps_owner ON cycle_maps TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY cycle_maps_caseload ON cycle_maps TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id) AND haven_couple_in_caseload(couple_id));

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('cycle_maps', 'map', 'map_key_id', 'id', NULL, 'key_subject');

GRANT SELECT, INSERT ON cycle_maps TO haven_app;
