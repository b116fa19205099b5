-- 0015: outcome measures. Definitions (built-in CSI-4/16/32; practice-defined ones) and each
-- administration: client, date, item responses, total, optional session link. Item text of licensed
-- instruments is never stored. Reliable change needs a standard deviation and a reliability with
-- their source, stored with the definition (none are recorded for the built-ins).

CREATE TABLE measure_definitions (
    id uuid PRIMARY KEY,
    practice_id uuid REFERENCES practices (id),
    code text NOT NULL CONSTRAINT measure_definitions_code_length CHECK (length(btrim(code)) BETWEEN 1 AND 40),
    name text NOT NULL CONSTRAINT measure_definitions_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    scoring text NOT NULL CONSTRAINT measure_definitions_scoring CHECK (scoring IN ('csi4', 'csi16', 'csi32', 'single_score')),
    minimum double precision NOT NULL,
    maximum double precision NOT NULL,
    higher_is_better boolean NOT NULL,
    cutoff double precision,
    standard_deviation double precision CONSTRAINT measure_definitions_sd_positive CHECK (standard_deviation > 0),
    reliability double precision CONSTRAINT measure_definitions_reliability_range CHECK (reliability >= 0 AND reliability < 1),
    parameters_source text,
    CONSTRAINT measure_definitions_range CHECK (minimum < maximum),
    CONSTRAINT measure_definitions_rci_complete CHECK (
        (standard_deviation IS NULL) = (reliability IS NULL)
        AND (standard_deviation IS NULL OR parameters_source IS NOT NULL)
    )
);
CREATE UNIQUE INDEX measure_definitions_code ON measure_definitions (coalesce(practice_id, '00000000-0000-0000-0000-000000000000'::uuid), code);

INSERT INTO measure_definitions (id, practice_id, code, name, scoring, minimum, maximum, higher_is_better, cutoff) VALUES
(md5('haven-measure-csi4')::uuid, NULL, 'CSI-4', 'Couples Satisfaction Index, 4 items', 'csi4', 0, 21, true, 13.5),
(md5('haven-measure-csi16')::uuid, NULL, 'CSI-16', 'Couples Satisfaction Index, 16 items', 'csi16', 0, 81, true, 51.5),
(md5('haven-measure-csi32')::uuid, NULL, 'CSI-32', 'Couples Satisfaction Index, 32 items', 'csi32', 0, 161, true, 104.5);

CREATE TABLE measure_administrations (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL,
    definition_id uuid NOT NULL REFERENCES measure_definitions (id),
    client_id uuid NOT NULL,
    session_id uuid,
    counselor_id uuid NOT NULL,
    administered_on date NOT NULL,
    items smallint[] NOT NULL DEFAULT '{}',
    total double precision NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, session_id) REFERENCES therapy_sessions (practice_id, id)
);
CREATE INDEX measure_administrations_client ON measure_administrations (practice_id, client_id, definition_id, administered_on);

ALTER TABLE measure_definitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE measure_definitions FORCE ROW LEVEL SECURITY;
CREATE POLICY measure_definitions_owner ON measure_definitions TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY measure_definitions_library ON measure_definitions TO haven_app
    USING (practice_id IS NULL OR practice_id = haven_current_practice());
ALTER TABLE measure_administrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE measure_administrations FORCE ROW LEVEL SECURITY;
CREATE POLICY measure_administrations_owner ON measure_administrations TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY measure_administrations_caseload ON measure_administrations TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (
        practice_id = haven_current_practice() AND haven_in_caseload(counselor_id) AND haven_client_in_caseload(client_id)
    );

GRANT SELECT ON measure_definitions TO haven_app;
GRANT SELECT, INSERT ON measure_administrations TO haven_app;
