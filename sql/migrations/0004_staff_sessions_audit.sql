-- 0004: staff, supervision, login sessions and the hash-chained audit log.
--
-- Row-level security is the second wall behind the service's own checks: the service acts as
-- haven_app and sets app.practice_id / app.staff_id with set_config(..., true) in each transaction.
-- Every policy here limits rows to the practice in app.practice_id; without it, no rows.

CREATE FUNCTION haven_current_practice() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.practice_id', true), '')::uuid $$;

CREATE FUNCTION haven_current_staff() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.staff_id', true), '')::uuid $$;

CREATE TABLE staff (
    id uuid PRIMARY KEY,
    practice_id uuid NOT NULL REFERENCES practices (id),
    email text NOT NULL
        CONSTRAINT staff_email_format CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 254),
    display_name text NOT NULL CONSTRAINT staff_display_name_length CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    credentials text NOT NULL DEFAULT '' CONSTRAINT staff_credentials_length CHECK (length(credentials) <= 100),
    roles text[] NOT NULL
        CONSTRAINT staff_roles_valid CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['admin', 'counselor', 'supervisor']),
    pre_licensed boolean NOT NULL DEFAULT false,
    active boolean NOT NULL DEFAULT true,
    password_hash text NOT NULL CONSTRAINT staff_password_hash_format CHECK (password_hash LIKE '$scrypt$%'),
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    CONSTRAINT staff_email_unique UNIQUE (email),
    CONSTRAINT staff_practice_id_unique UNIQUE (practice_id, id)
);

CREATE TABLE supervision_links (
    practice_id uuid NOT NULL,
    supervisor_id uuid NOT NULL,
    supervisee_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, supervisor_id, supervisee_id),
    FOREIGN KEY (practice_id, supervisor_id) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, supervisee_id) REFERENCES staff (practice_id, id),
    CONSTRAINT supervision_not_self CHECK (supervisor_id <> supervisee_id)
);

CREATE TABLE staff_sessions (
    token_hash bytea PRIMARY KEY CONSTRAINT staff_sessions_token_hash_length CHECK (length(token_hash) = 32),
    practice_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    idle_timeout_seconds integer NOT NULL CONSTRAINT staff_sessions_idle_positive CHECK (idle_timeout_seconds > 0),
    absolute_expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id)
);
CREATE INDEX staff_sessions_staff ON staff_sessions (practice_id, staff_id);

-- The audit log: ids only, never clinical text. Each entry's hash covers the previous entry's hash
-- and this entry's canonical encoding (docs/security.md), per practice, so an edited, deleted or
-- reordered row breaks the chain.
CREATE TABLE audit_log (
    practice_id uuid NOT NULL REFERENCES practices (id),
    seq bigint NOT NULL CONSTRAINT audit_log_seq_positive CHECK (seq >= 1),
    occurred_at timestamptz NOT NULL,
    staff_id uuid,
    staff_roles text[] NOT NULL DEFAULT '{}',
    break_glass boolean NOT NULL DEFAULT false,
    action text NOT NULL CONSTRAINT audit_log_action_length CHECK (length(action) BETWEEN 1 AND 100),
    entity_type text,
    entity_id uuid,
    client_ids uuid[] NOT NULL DEFAULT '{}',
    outcome text NOT NULL CONSTRAINT audit_log_outcome CHECK (outcome IN ('success', 'denied', 'failed')),
    source text NOT NULL CONSTRAINT audit_log_source_length CHECK (length(source) BETWEEN 1 AND 200),
    request_id text CONSTRAINT audit_log_request_id_length CHECK (length(request_id) <= 100),
    previous_hash bytea NOT NULL CONSTRAINT audit_log_previous_hash_length CHECK (length(previous_hash) = 32),
    hash bytea NOT NULL CONSTRAINT audit_log_hash_length CHECK (length(hash) = 32),
    PRIMARY KEY (practice_id, seq)
);
CREATE INDEX audit_log_staff ON audit_log (practice_id, staff_id, occurred_at);
CREATE INDEX audit_log_clients ON audit_log USING gin (client_ids);
CREATE INDEX audit_log_action ON audit_log (practice_id, action, occurred_at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Login happens before the practice is known: this narrow definer function finds an account by
-- email (and nothing else) for the application role, which otherwise sees no staff row without a
-- practice context.
CREATE FUNCTION haven_login_lookup(login_email text)
    RETURNS TABLE (staff_id uuid, practice_id uuid, password_hash text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT id, practice_id, password_hash, active FROM staff WHERE email = lower(login_email) $$;
REVOKE ALL ON FUNCTION haven_login_lookup(text) FROM PUBLIC;

-- Tokens are looked up before the practice is known, by their hash only.
CREATE FUNCTION haven_session_lookup(token bytea)
    RETURNS TABLE (
        practice_id uuid, staff_id uuid, last_seen_at timestamptz, idle_timeout_seconds integer,
        absolute_expires_at timestamptz, revoked_at timestamptz, active boolean, roles text[]
    )
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT s.practice_id, s.staff_id, s.last_seen_at, s.idle_timeout_seconds, s.absolute_expires_at,
               s.revoked_at, st.active, st.roles
        FROM staff_sessions s JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
        WHERE s.token_hash = token
    $$;
REVOKE ALL ON FUNCTION haven_session_lookup(bytea) FROM PUBLIC;

ALTER TABLE staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff FORCE ROW LEVEL SECURITY;
ALTER TABLE supervision_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision_links FORCE ROW LEVEL SECURITY;
ALTER TABLE staff_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

-- The owner (migrations, operator commands) sees everything; haven_app sees its practice only.
CREATE POLICY staff_owner ON staff TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY staff_practice ON staff TO haven_app
    USING (practice_id = haven_current_practice()) WITH CHECK (practice_id = haven_current_practice());
CREATE POLICY supervision_owner ON supervision_links TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY supervision_practice ON supervision_links TO haven_app
    USING (practice_id = haven_current_practice()) WITH CHECK (practice_id = haven_current_practice());
CREATE POLICY sessions_owner ON staff_sessions TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY sessions_practice ON staff_sessions TO haven_app
    USING (practice_id = haven_current_practice()) WITH CHECK (practice_id = haven_current_practice());
CREATE POLICY audit_owner ON audit_log TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY audit_practice ON audit_log TO haven_app
    USING (practice_id = haven_current_practice()) WITH CHECK (practice_id = haven_current_practice());

GRANT SELECT, INSERT, UPDATE ON staff, staff_sessions TO haven_app;
GRANT SELECT, INSERT, DELETE ON supervision_links TO haven_app;
GRANT SELECT, INSERT ON audit_log TO haven_app;
GRANT EXECUTE ON FUNCTION haven_current_practice(), haven_current_staff() TO haven_app;
GRANT EXECUTE ON FUNCTION haven_login_lookup(text), haven_session_lookup(bytea) TO haven_app;
