-- 0023: a second sign-in factor for staff: TOTP (RFC 6238), and the practice policy that requires it.
--
-- Each staff member's secret is sealed with a data key of their own (subject `staff:<id>`), so a
-- dump holds no usable secret and `haven keys` rotates it like any other sealed column. Only the
-- staff member's own transactions see their row; operators reset it through the owner role.

ALTER TABLE data_keys DROP CONSTRAINT data_keys_subject_kind,
    ADD CONSTRAINT data_keys_subject_kind
        CHECK (subject_kind IN ('couple', 'client', 'psychotherapy', 'test', 'staff'));
ALTER TABLE sealed_columns DROP CONSTRAINT sealed_columns_subject_kind,
    ADD CONSTRAINT sealed_columns_subject_kind
        CHECK (subject_kind IN ('couple', 'client', 'psychotherapy', 'test', 'staff'));

-- Every role Haven has (counselor, supervisor, admin) is clinical or administrative, so the policy
-- covers every staff member of the practice.
ALTER TABLE practices ADD COLUMN require_totp boolean NOT NULL DEFAULT false;

CREATE TABLE staff_totp (
    practice_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    secret bytea NOT NULL,
    secret_key_id uuid NOT NULL REFERENCES data_keys (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- NULL until the staff member proves their app shows the right codes; only then is it required.
    confirmed_at timestamptz,
    -- The newest time step accepted: a code is never accepted twice (RFC 6238 §5.2).
    last_used_step bigint,
    PRIMARY KEY (practice_id, staff_id),
    FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id),
    CONSTRAINT staff_totp_confirmed_has_step CHECK (confirmed_at IS NULL OR last_used_step IS NOT NULL)
);

ALTER TABLE staff_totp ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_totp FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_totp_owner ON staff_totp TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY staff_totp_self ON staff_totp TO haven_app
    USING (practice_id = haven_current_practice() AND staff_id = haven_current_staff())
    WITH CHECK (practice_id = haven_current_practice() AND staff_id = haven_current_staff());
GRANT SELECT, INSERT, UPDATE, DELETE ON staff_totp TO haven_app;

INSERT INTO sealed_columns (table_name, column_name, key_id_column, row_id_column, subject_kind, subject_column)
VALUES ('staff_totp', 'secret', 'secret_key_id', 'staff_id', 'staff', 'staff_id');

-- Token lookup also says whether the session may only enrol a second factor: the practice
-- requires one and the staff member has none confirmed. Checked on every request, so turning the
-- policy on restricts live sessions at once.
DROP FUNCTION haven_session_lookup(bytea);
CREATE FUNCTION haven_session_lookup(token bytea)
    RETURNS TABLE (
        practice_id uuid, staff_id uuid, last_seen_at timestamptz, idle_timeout_seconds integer,
        absolute_expires_at timestamptz, revoked_at timestamptz, active boolean, roles text[],
        totp_enrollment_due boolean
    )
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT s.practice_id, s.staff_id, s.last_seen_at, s.idle_timeout_seconds, s.absolute_expires_at,
               s.revoked_at, st.active, st.roles,
               p.require_totp AND NOT EXISTS (
                   SELECT 1 FROM staff_totp t
                   WHERE t.practice_id = s.practice_id AND t.staff_id = s.staff_id AND t.confirmed_at IS NOT NULL
               )
        FROM staff_sessions s
        JOIN staff st ON st.practice_id = s.practice_id AND st.id = s.staff_id
        JOIN practices p ON p.id = s.practice_id
        WHERE s.token_hash = token
    $$;
REVOKE ALL ON FUNCTION haven_session_lookup(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_session_lookup(bytea) TO haven_app;
