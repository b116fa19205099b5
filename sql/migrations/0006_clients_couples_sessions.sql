-- 0006: charts and appointments: clients, couples (a chart of two clients), therapy sessions.
--
-- Invariants live here as well as in HavenCore: partners differ and belong to the couple's
-- practice; a client is in at most one active couple; a session's people belong to its practice.
-- Row-level security limits haven_app to the acting practice and, within it, to the caseload: rows
-- whose counselor is the acting staff member or one of their supervisees. Admin alone reads nothing.

-- Whether a counselor's charts are in the acting staff member's caseload.
CREATE FUNCTION haven_in_caseload(counselor uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT counselor = haven_current_staff()
            OR EXISTS (
                SELECT 1 FROM supervision_links
                WHERE practice_id = haven_current_practice()
                  AND supervisor_id = haven_current_staff() AND supervisee_id = counselor
            )
    $$;

CREATE TABLE clients (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    legal_name text NOT NULL CONSTRAINT clients_legal_name_length CHECK (length(btrim(legal_name)) BETWEEN 1 AND 200),
    preferred_name text CONSTRAINT clients_preferred_name_length CHECK (length(btrim(preferred_name)) BETWEEN 1 AND 100),
    pronouns text CONSTRAINT clients_pronouns_length CHECK (length(pronouns) <= 40),
    date_of_birth date,
    intake_date date NOT NULL,
    status text NOT NULL DEFAULT 'active' CONSTRAINT clients_status CHECK (status IN ('active', 'paused', 'discharged')),
    attachment_style text
        CONSTRAINT clients_attachment_style CHECK (attachment_style IN ('secure', 'anxious', 'avoidant', 'disorganized')),
    primary_counselor_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clients_practice_id_unique UNIQUE (practice_id, id),
    FOREIGN KEY (practice_id, primary_counselor_id) REFERENCES staff (practice_id, id),
    CONSTRAINT clients_born_before_intake CHECK (date_of_birth IS NULL OR date_of_birth <= intake_date)
);
CREATE INDEX clients_counselor ON clients (practice_id, primary_counselor_id);

CREATE TABLE couples (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    partner_a_id uuid NOT NULL,
    partner_b_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    start_date date NOT NULL,
    status text NOT NULL DEFAULT 'active' CONSTRAINT couples_status CHECK (status IN ('active', 'paused', 'discharged')),
    cycle_pattern text
        CONSTRAINT couples_cycle_pattern CHECK (cycle_pattern IN ('pursue_withdraw', 'attack_attack', 'withdraw_withdraw', 'alternating')),
    partner_a_position text CONSTRAINT couples_partner_a_position CHECK (partner_a_position IN ('pursuer', 'withdrawer', 'alternating')),
    partner_b_position text CONSTRAINT couples_partner_b_position CHECK (partner_b_position IN ('pursuer', 'withdrawer', 'alternating')),
    presenting_concerns bytea,
    presenting_concerns_key_id uuid REFERENCES data_keys (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT couples_practice_id_unique UNIQUE (practice_id, id),
    -- Both partners in the couple's own practice: the foreign keys include practice_id.
    FOREIGN KEY (practice_id, partner_a_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, partner_b_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, counselor_id) REFERENCES staff (practice_id, id),
    CONSTRAINT couples_partners_differ CHECK (partner_a_id <> partner_b_id),
    CONSTRAINT couples_concerns_have_key CHECK ((presenting_concerns IS NULL) = (presenting_concerns_key_id IS NULL))
);
CREATE INDEX couples_counselor ON couples (practice_id, counselor_id);
CREATE INDEX couples_partner_a ON couples (partner_a_id);
CREATE INDEX couples_partner_b ON couples (partner_b_id);
CREATE INDEX couples_concerns_key ON couples (presenting_concerns_key_id);

-- A client is in at most one active couple at a time.
CREATE FUNCTION couples_one_active_per_client() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.status = 'active' THEN
        -- Serialize concurrent checks for the same clients.
        PERFORM pg_advisory_xact_lock(11, hashtext(least(NEW.partner_a_id, NEW.partner_b_id)::text));
        PERFORM pg_advisory_xact_lock(11, hashtext(greatest(NEW.partner_a_id, NEW.partner_b_id)::text));
        IF EXISTS (
            SELECT 1 FROM couples c
            WHERE c.status = 'active' AND c.id <> NEW.id
              AND (c.partner_a_id IN (NEW.partner_a_id, NEW.partner_b_id) OR c.partner_b_id IN (NEW.partner_a_id, NEW.partner_b_id))
        ) THEN
            RAISE EXCEPTION 'a client is already in another active couple'
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'couples_one_active_per_client';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
-- The check must see every couple, not only the acting caseload, so it runs as the table owner.
ALTER FUNCTION couples_one_active_per_client() SECURITY DEFINER SET search_path = public, pg_temp;
CREATE TRIGGER couples_one_active_per_client BEFORE INSERT OR UPDATE OF status, partner_a_id, partner_b_id ON couples
    FOR EACH ROW EXECUTE FUNCTION couples_one_active_per_client();

CREATE TABLE therapy_sessions (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    couple_id uuid,
    client_id uuid,
    counselor_id uuid NOT NULL,
    scheduled_start timestamptz NOT NULL,
    duration_minutes integer NOT NULL CONSTRAINT therapy_sessions_duration CHECK (duration_minutes BETWEEN 5 AND 480),
    format text NOT NULL CONSTRAINT therapy_sessions_format CHECK (format IN ('in_person', 'video', 'phone')),
    status text NOT NULL DEFAULT 'scheduled'
        CONSTRAINT therapy_sessions_status CHECK (status IN ('scheduled', 'completed', 'cancelled', 'late_cancelled', 'no_show')),
    attendee_ids uuid[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT therapy_sessions_practice_id_unique UNIQUE (practice_id, id),
    FOREIGN KEY (practice_id, couple_id) REFERENCES couples (practice_id, id),
    FOREIGN KEY (practice_id, client_id) REFERENCES clients (practice_id, id),
    FOREIGN KEY (practice_id, counselor_id) REFERENCES staff (practice_id, id),
    -- A couple session, or an individual session, never both or neither.
    CONSTRAINT therapy_sessions_one_chart CHECK ((couple_id IS NULL) <> (client_id IS NULL))
);
CREATE INDEX therapy_sessions_couple ON therapy_sessions (practice_id, couple_id, scheduled_start);
CREATE INDEX therapy_sessions_client ON therapy_sessions (practice_id, client_id, scheduled_start);
CREATE INDEX therapy_sessions_counselor_day ON therapy_sessions (practice_id, counselor_id, scheduled_start);

ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
ALTER TABLE couples ENABLE ROW LEVEL SECURITY;
ALTER TABLE couples FORCE ROW LEVEL SECURITY;
ALTER TABLE therapy_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE therapy_sessions FORCE ROW LEVEL SECURITY;

CREATE POLICY clients_owner ON clients TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY clients_caseload ON clients TO haven_app
    USING (
        practice_id = haven_current_practice()
        AND (
            haven_in_caseload(primary_counselor_id)
            OR EXISTS (
                SELECT 1 FROM couples c
                WHERE c.practice_id = clients.practice_id AND clients.id IN (c.partner_a_id, c.partner_b_id)
            )
        )
    )
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(primary_counselor_id));
CREATE POLICY couples_owner ON couples TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY couples_caseload ON couples TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id));
CREATE POLICY sessions_owner ON therapy_sessions TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY sessions_caseload ON therapy_sessions TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id));

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('couples', 'presenting_concerns', 'presenting_concerns_key_id', 'id', 'couple', 'id');

GRANT SELECT, INSERT, UPDATE ON clients, couples, therapy_sessions TO haven_app;
GRANT EXECUTE ON FUNCTION haven_in_caseload(uuid) TO haven_app;
-- haven_app seals values for its own subjects: it needs data keys (RLS for them comes with the notes).
GRANT SELECT ON data_keys TO haven_app;
