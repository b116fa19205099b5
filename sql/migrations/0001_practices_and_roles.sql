-- 0001: the tenant table and the application role.
--
-- Runs as the owner role (the login that runs `haven db migrate`), which owns every table.
-- `haven_app` is the role the service acts as: not a superuser, no BYPASSRLS, owns nothing.
-- It can log in only once an operator gives it a password; row-level security policies in later
-- migrations apply to it.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'haven_app') THEN
        CREATE ROLE haven_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
END
$$;

-- A valid IANA time zone name, as the server knows them.
CREATE FUNCTION haven_is_time_zone(name text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE pg_timezone_names.name = $1) $$;

-- A practice is the tenant: every other table carries practice_id.
CREATE TABLE practices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CONSTRAINT practices_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    time_zone text NOT NULL DEFAULT 'UTC' CONSTRAINT practices_time_zone_valid CHECK (haven_is_time_zone(time_zone)),
    retention_years integer NOT NULL DEFAULT 7
        CONSTRAINT practices_retention_years_range CHECK (retention_years BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO haven_app;
GRANT SELECT, INSERT, UPDATE ON practices TO haven_app;
GRANT EXECUTE ON FUNCTION haven_is_time_zone(text) TO haven_app;
