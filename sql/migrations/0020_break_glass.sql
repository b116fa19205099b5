-- 0020: break-glass access — a clinician's emergency, read-only, time-limited reach into one chart
-- outside their caseload.
--
-- A grant names the chart (a client or a couple), carries a written reason (sealed for that chart),
-- and expires. It widens nothing by itself: only a transaction that declares break-glass
-- (haven_set_context(..., true)) loads the acting staff member's live grants into app.break_glass,
-- and every audit entry that transaction appends is flagged. The widening is SELECT-only policies,
-- so no write ever goes through break-glass. A couple grant reaches the couple and both partners'
-- own charts; a client grant reaches the client and the couples they belong to.

CREATE TABLE break_glass_grants (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    staff_id uuid NOT NULL,
    chart_kind text NOT NULL CONSTRAINT break_glass_grants_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    chart_id uuid NOT NULL,
    key_subject text GENERATED ALWAYS AS (chart_kind || ':' || chart_id::text) STORED,
    reason bytea NOT NULL,
    reason_key_id uuid NOT NULL REFERENCES data_keys (id),
    granted_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT break_glass_grants_lifetime
        CHECK (expires_at > granted_at AND expires_at <= granted_at + interval '8 hours'),
    FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id)
);
CREATE INDEX break_glass_grants_staff ON break_glass_grants (practice_id, staff_id, expires_at);
CREATE INDEX break_glass_grants_reason_key ON break_glass_grants (reason_key_id);

-- The chart must exist in the grant's practice. The grantee cannot see it (that is the point), so the
-- check runs with the owner's rights and answers only yes or no.
CREATE FUNCTION break_glass_grants_chart_exists() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    found boolean;
BEGIN
    IF NEW.chart_kind = 'couple' THEN
        SELECT EXISTS (SELECT 1 FROM couples WHERE practice_id = NEW.practice_id AND id = NEW.chart_id) INTO found;
    ELSE
        SELECT EXISTS (SELECT 1 FROM clients WHERE practice_id = NEW.practice_id AND id = NEW.chart_id) INTO found;
    END IF;
    IF NOT found THEN
        RAISE EXCEPTION 'break-glass chart not found' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER break_glass_grants_chart_exists BEFORE INSERT ON break_glass_grants
    FOR EACH ROW EXECUTE FUNCTION break_glass_grants_chart_exists();

ALTER TABLE break_glass_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY break_glass_grants_owner ON break_glass_grants TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY break_glass_grants_own ON break_glass_grants TO haven_app
    USING (practice_id = haven_current_practice() AND staff_id = haven_current_staff())
    WITH CHECK (practice_id = haven_current_practice() AND staff_id = haven_current_staff());
GRANT SELECT, INSERT ON break_glass_grants TO haven_app;
GRANT UPDATE (revoked_at) ON break_glass_grants TO haven_app;

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('break_glass_grants', 'reason', 'reason_key_id', 'id', NULL, 'key_subject');

-- The three-argument context: with break_glass, the acting staff member's live grants become
-- app.break_glass, a comma-separated list of chart subjects ('couple:<id>', 'client:<id>').
CREATE FUNCTION haven_set_context(practice uuid, staff uuid, break_glass boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    subjects text;
BEGIN
    PERFORM haven_set_context(practice, staff);
    IF break_glass AND staff IS NOT NULL THEN
        WITH live AS (
            SELECT chart_kind, chart_id FROM break_glass_grants
            WHERE practice_id = practice AND staff_id = staff AND revoked_at IS NULL AND expires_at > now()
        ), reach AS (
            SELECT chart_kind || ':' || chart_id::text AS subject FROM live
            UNION
            SELECT 'client:' || unnest(ARRAY[c.partner_a_id, c.partner_b_id])::text
            FROM live JOIN couples c ON live.chart_kind = 'couple' AND c.practice_id = practice AND c.id = live.chart_id
            UNION
            SELECT 'couple:' || c.id::text
            FROM live JOIN couples c ON live.chart_kind = 'client' AND c.practice_id = practice
                AND live.chart_id IN (c.partner_a_id, c.partner_b_id)
        )
        SELECT string_agg(subject, ',') INTO subjects FROM reach;
    END IF;
    PERFORM set_config('app.break_glass', coalesce(subjects, ''), true);
END
$$;
REVOKE ALL ON FUNCTION haven_set_context(uuid, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_set_context(uuid, uuid, boolean) TO haven_app;

CREATE FUNCTION haven_break_glass(subject text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT subject = ANY (string_to_array(nullif(current_setting('app.break_glass', true), ''), ','))
    $$;

-- Read-only widening, table by table, on each row's chart.
CREATE POLICY clients_break_glass ON clients FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass('client:' || id::text));
CREATE POLICY couples_break_glass ON couples FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass('couple:' || id::text));
CREATE POLICY sessions_break_glass ON therapy_sessions FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY progress_notes_break_glass ON progress_notes FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY note_addenda_break_glass ON note_addenda FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY note_cosignatures_break_glass ON note_cosignatures FOR SELECT TO haven_app
    USING (
        practice_id = haven_current_practice()
        AND EXISTS (SELECT 1 FROM progress_notes n WHERE n.practice_id = note_cosignatures.practice_id
                    AND n.id = note_cosignatures.note_id)
    );
CREATE POLICY psychotherapy_notes_break_glass ON psychotherapy_notes FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(chart_kind || ':' || chart_id::text));
CREATE POLICY homework_assignments_break_glass ON homework_assignments FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY homework_responses_break_glass ON homework_responses FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY measure_administrations_break_glass ON measure_administrations FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass('client:' || client_id::text));
CREATE POLICY attachment_injuries_break_glass ON attachment_injuries FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY treatment_goals_break_glass ON treatment_goals FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY cycle_maps_break_glass ON cycle_maps FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass(key_subject));
CREATE POLICY are_ratings_break_glass ON are_ratings FOR SELECT TO haven_app
    USING (practice_id = haven_current_practice() AND haven_break_glass('client:' || partner_id::text));
