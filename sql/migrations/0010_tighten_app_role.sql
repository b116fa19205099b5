-- 0010: the application role gets only what the service uses, and every table it reaches is
-- limited to the acting practice (review findings).

-- Staff accounts, supervision links and practices are managed by operators (the owner role).
-- The service only upgrades a password hash at sign-in and refreshes or ends its sessions.
REVOKE INSERT, UPDATE ON staff FROM haven_app;
GRANT UPDATE (password_hash) ON staff TO haven_app;
REVOKE INSERT, DELETE ON supervision_links FROM haven_app;
REVOKE UPDATE ON staff_sessions FROM haven_app;
GRANT UPDATE (last_seen_at, revoked_at) ON staff_sessions TO haven_app;
REVOKE INSERT, UPDATE ON practices FROM haven_app;

ALTER TABLE practices ENABLE ROW LEVEL SECURITY;
ALTER TABLE practices FORCE ROW LEVEL SECURITY;
CREATE POLICY practices_owner ON practices TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY practices_own ON practices TO haven_app USING (id = haven_current_practice());

ALTER TABLE data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY data_keys_owner ON data_keys TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY data_keys_practice ON data_keys TO haven_app
    USING (practice_id = haven_current_practice()) WITH CHECK (practice_id = haven_current_practice());

-- Whether a client or couple belongs to the acting caseload, whoever else can see it.
CREATE FUNCTION haven_client_in_caseload(client uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT EXISTS (
            SELECT 1 FROM clients
            WHERE id = client AND practice_id = haven_current_practice() AND haven_in_caseload(primary_counselor_id)
        )
    $$;
CREATE FUNCTION haven_couple_in_caseload(couple uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT EXISTS (
            SELECT 1 FROM couples
            WHERE id = couple AND practice_id = haven_current_practice() AND haven_in_caseload(counselor_id)
        )
    $$;
REVOKE ALL ON FUNCTION haven_client_in_caseload(uuid), haven_couple_in_caseload(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_client_in_caseload(uuid), haven_couple_in_caseload(uuid) TO haven_app;

-- A couple may only be formed (or changed) from clients of the acting caseload, and a session only
-- on a chart of it.
DROP POLICY couples_caseload ON couples;
CREATE POLICY couples_caseload ON couples TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (
        practice_id = haven_current_practice() AND haven_in_caseload(counselor_id)
        AND haven_client_in_caseload(partner_a_id) AND haven_client_in_caseload(partner_b_id)
    );
DROP POLICY sessions_caseload ON therapy_sessions;
CREATE POLICY sessions_caseload ON therapy_sessions TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (
        practice_id = haven_current_practice() AND haven_in_caseload(counselor_id)
        AND (couple_id IS NULL OR haven_couple_in_caseload(couple_id))
        AND (client_id IS NULL OR haven_client_in_caseload(client_id))
    );

-- An erased (shredded) subject never gets a new key: new writes for it fail instead of sealing
-- fresh data under a readable key.
CREATE FUNCTION data_keys_subject_not_erased() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM data_keys
        WHERE practice_id = NEW.practice_id AND subject_kind = NEW.subject_kind AND subject_id = NEW.subject_id
          AND state = 'shredded'
    ) THEN
        RAISE EXCEPTION 'this subject was erased; no new key is created for it'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'data_keys_subject_erased';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER data_keys_subject_not_erased BEFORE INSERT ON data_keys
    FOR EACH ROW EXECUTE FUNCTION data_keys_subject_not_erased();

-- The live-key guard: only the acting practice's keys, every one must exist and be active.
CREATE OR REPLACE FUNCTION haven_require_live_keys(key_ids uuid[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    wanted integer;
    live integer;
BEGIN
    SELECT count(DISTINCT k) INTO wanted FROM unnest(key_ids) AS k;
    SELECT count(*) INTO live FROM (
        SELECT id FROM data_keys
        WHERE id = ANY(key_ids) AND practice_id = haven_current_practice() AND state = 'active'
        FOR SHARE
    ) AS locked;
    IF live <> wanted THEN
        RAISE EXCEPTION 'a data key used by this write is no longer active'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'data_keys_not_shredded';
    END IF;
END
$$;

-- The note trigger runs as the invoker but with a fixed search path, so a temporary table cannot
-- stand in for therapy_sessions; and nobody may create temporary tables in this database anyway.
ALTER FUNCTION progress_notes_on_completed_session() SET search_path = public, pg_temp;
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;

-- A note's chart, counselor and kind never change.
CREATE OR REPLACE FUNCTION progress_notes_signed_is_final() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF OLD.state = 'signed' THEN
        RAISE EXCEPTION 'a signed note cannot be changed; add an addendum'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_signed_is_final';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.session_id <> OLD.session_id OR NEW.chart_id <> OLD.chart_id
                             OR NEW.chart_kind <> OLD.chart_kind OR NEW.counselor_id <> OLD.counselor_id
                             OR NEW.author_id <> OLD.author_id OR NEW.practice_id <> OLD.practice_id) THEN
        RAISE EXCEPTION 'a note cannot move to another session, chart, counselor or author'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_notes_fixed_place';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
