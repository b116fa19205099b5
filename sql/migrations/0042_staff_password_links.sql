-- 0042: new staff and password resets from an admin's session, by one-time set-password links
-- (docs/web.md, "Staff changes from the web"; docs/security.md, "Staff changes from an admin's session").
--
-- An admin never learns a password. Creating an account or resetting one issues a link: the server
-- chooses a 256-bit token, shows it once, and the database keeps only its SHA-256. The staff member
-- opens /welcome/{token} and sets their own password with it. A link lives 72 hours, works once, and
-- only the newest unspent link of an account works (issuing one supersedes the older ones).
--
-- The admin functions follow migration 0040: the actor is the transaction's context
-- (haven_context_staff, raising 42501 without one), refusals are returned and audited, and an admin
-- gets no clinical reach: an account is created with the scheduler role at most (counselor,
-- supervisor and admin are then proposed for a second admin's approval), and a reset link is refused
-- for an account holding counselor, supervisor or admin (an admin who could reset those could sign in
-- as them; their resets stay `haven staff reset-password`).
--
-- The two functions that spend a link take no context (the staff member has no session yet): the
-- token is the authority. haven_app has no privilege at all on the link table.
--
-- "No password yet" is a NULL password_hash. Nothing in the service reads the hash; the two readers
-- are haven_sign_in_settings, whose coalesce already answers the unknown-email decoy for a NULL (so an
-- account waiting for its first password looks like an email that does not exist), and haven_sign_in,
-- whose `candidate IS DISTINCT FROM password_hash` refuses every candidate against a NULL. A sentinel
-- string instead would have to pass the '$scrypt$%' check and give haven_sign_in_settings a settings
-- prefix the service cannot parse, which would tell an attacker the account exists.

ALTER TABLE staff ALTER COLUMN password_hash DROP NOT NULL;

-- Whether the account has a password (haven_app may not read the hash itself), and, when its current
-- password was set through an admin-issued link, that admin: the approver of a clinical role for the
-- account sees who could have set the password (docs/security.md). An operator's reset clears it.
ALTER TABLE staff
    ADD COLUMN has_password boolean GENERATED ALWAYS AS (password_hash IS NOT NULL) STORED,
    ADD COLUMN password_link_issuer uuid,
    ADD CONSTRAINT staff_password_link_issuer FOREIGN KEY (practice_id, password_link_issuer)
        REFERENCES staff (practice_id, id);
GRANT SELECT (has_password, password_link_issuer) ON staff TO haven_app;

CREATE TABLE staff_password_links (
    token_hash bytea PRIMARY KEY CONSTRAINT staff_password_links_token_length CHECK (length(token_hash) = 32),
    practice_id uuid NOT NULL REFERENCES practices (id),
    staff_id uuid NOT NULL,
    purpose text NOT NULL CONSTRAINT staff_password_links_purpose CHECK (purpose IN ('welcome', 'reset')),
    issued_by uuid NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    spent_at timestamptz,
    superseded_at timestamptz,
    FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id),
    FOREIGN KEY (practice_id, issued_by) REFERENCES staff (practice_id, id),
    CONSTRAINT staff_password_links_one_end CHECK (spent_at IS NULL OR superseded_at IS NULL)
);
-- At most one open link per account: the newest.
CREATE UNIQUE INDEX staff_password_links_open ON staff_password_links (staff_id)
    WHERE spent_at IS NULL AND superseded_at IS NULL;
ALTER TABLE staff_password_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_password_links FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_password_links_owner ON staff_password_links TO CURRENT_USER USING (true) WITH CHECK (true);
REVOKE ALL ON staff_password_links FROM PUBLIC;

-- How long a link works.
CREATE FUNCTION haven_password_link_life() RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT interval '72 hours' $$;
REVOKE ALL ON FUNCTION haven_password_link_life() FROM PUBLIC;

-- Issues a link for `target` (supersedes its open one). Not granted: the admin functions call it.
CREATE FUNCTION haven_password_link_issue(ctx request_contexts, target uuid, token bytea, link_purpose text)
    RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = public, pg_temp
    AS $$
        UPDATE staff_password_links SET superseded_at = now()
        WHERE practice_id = ctx.practice_id AND staff_id = target AND spent_at IS NULL AND superseded_at IS NULL;
        INSERT INTO staff_password_links (token_hash, practice_id, staff_id, purpose, issued_by, expires_at)
        VALUES (token, ctx.practice_id, target, link_purpose, ctx.staff_id, now() + haven_password_link_life());
    $$;
REVOKE ALL ON FUNCTION haven_password_link_issue(request_contexts, uuid, bytea, text) FROM PUBLIC;

-- Creates an account with no password and issues its welcome link (the token's SHA-256, chosen by the
-- server). Roles: scheduler only ('widening' for counselor, supervisor or admin: propose those with
-- haven_admin_staff_set_roles once the account exists). Returns the result and, when 'done', the new
-- account's id. Results: 'done', 'forbidden', 'invalid' (roles, email, name or token), 'widening',
-- 'taken' (the email has an account). Audited staff.create.
CREATE FUNCTION haven_admin_staff_create(email text, display_name text, roles text[], token_hash bytea)
    RETURNS TABLE (result text, staff_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    outcome text := haven_admin_refusal(ctx, NULL);
    created uuid := gen_random_uuid();
BEGIN
    IF outcome IS NULL AND (roles IS NULL OR cardinality(roles) = 0 OR array_position(roles, NULL) IS NOT NULL
                            OR NOT roles <@ ARRAY['admin', 'counselor', 'scheduler', 'supervisor']
                            OR token_hash IS NULL OR length(token_hash) <> 32) THEN
        outcome := 'invalid';
    END IF;
    IF outcome IS NULL AND NOT roles <@ ARRAY['scheduler'] THEN
        outcome := 'widening';
    END IF;
    IF outcome IS NULL THEN
        BEGIN
            INSERT INTO staff (id, practice_id, email, display_name, roles, password_hash)
            VALUES (created, ctx.practice_id, lower(btrim(email)), btrim(display_name), ARRAY['scheduler'], NULL);
            PERFORM haven_password_link_issue(ctx, created, token_hash, 'welcome');
            outcome := 'done';
        EXCEPTION
            WHEN unique_violation THEN outcome := 'taken';
            WHEN check_violation OR not_null_violation THEN outcome := 'invalid';
        END;
    END IF;
    PERFORM haven_admin_audit(ctx, 'staff.create', 'staff', CASE WHEN outcome = 'done' THEN created END,
                              CASE WHEN outcome = 'done' THEN 'success' ELSE 'denied' END);
    RETURN QUERY SELECT outcome, CASE WHEN outcome = 'done' THEN created END;
END
$$;

-- Issues a password-reset link for another account of the practice that holds no counselor,
-- supervisor or admin role ('clinical' otherwise), superseding its older links, and ends the
-- account's sessions. The current password keeps working until the link is spent (a mistaken reset
-- locks no one out; disable the account to lock it). Results: 'done', 'forbidden', 'self',
-- 'not-found', 'clinical', 'invalid' (the token). Audited staff.password.reset.
CREATE FUNCTION haven_admin_staff_password_link(target uuid, token_hash bytea) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, target);
BEGIN
    IF result IS NULL AND EXISTS (
            SELECT 1 FROM staff s WHERE s.id = target AND s.practice_id = ctx.practice_id
              AND s.roles && ARRAY['admin', 'counselor', 'supervisor']) THEN
        result := 'clinical';
    END IF;
    IF result IS NULL AND (token_hash IS NULL OR length(token_hash) <> 32) THEN
        result := 'invalid';
    END IF;
    IF result IS NULL THEN
        -- The account's row lock orders this against a concurrent role grant or link.
        PERFORM 1 FROM staff s WHERE s.id = target AND s.practice_id = ctx.practice_id FOR UPDATE;
        PERFORM haven_password_link_issue(ctx, target, token_hash, 'reset');
        UPDATE staff_sessions SET revoked_at = now()
        WHERE practice_id = ctx.practice_id AND staff_id = target AND revoked_at IS NULL;
        result := 'done';
    END IF;
    PERFORM haven_admin_audit(ctx, 'staff.password.reset', 'staff', target,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;

-- The account an open link sets the password of (for the page's "set a password for <email>"), or no
-- row: an unknown, spent, superseded or expired link, or a disabled account, all answer alike.
CREATE FUNCTION haven_password_link_account(token_hash bytea) RETURNS TABLE (email text, display_name text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT s.email, s.display_name
        FROM staff_password_links l JOIN staff s ON s.practice_id = l.practice_id AND s.id = l.staff_id
        WHERE l.token_hash = haven_password_link_account.token_hash AND l.spent_at IS NULL
          AND l.superseded_at IS NULL AND l.expires_at > now() AND s.active
    $$;

-- Spends an open link: sets the account's password to `new_hash` (the full stored form,
-- '$scrypt$<settings>$<salt>$<hash>', as PasswordHasher writes it), records the link's issuer on the
-- account, ends its sessions, and audits staff.password.set as the account itself. Returns 'done', or
-- 'refused' for every link that does not work (one answer) and 'invalid' for a hash not in the stored
-- form (the link stays open). Of two concurrent spends of one link, one sets the password: the
-- second's UPDATE waits for the first's row lock, re-reads spent_at and matches nothing.
CREATE FUNCTION haven_spend_password_link(token_hash bytea, new_hash text, source text, request_id text)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    link staff_password_links;
    account record;
BEGIN
    IF new_hash IS NULL OR new_hash NOT LIKE '$scrypt$%$%$%' THEN
        RETURN 'invalid';
    END IF;
    UPDATE staff_password_links l SET spent_at = now()
    FROM staff s
    WHERE l.token_hash = haven_spend_password_link.token_hash AND l.spent_at IS NULL AND l.superseded_at IS NULL
      AND l.expires_at > now() AND s.practice_id = l.practice_id AND s.id = l.staff_id AND s.active
    RETURNING l.* INTO link;
    IF NOT FOUND THEN
        RETURN 'refused';
    END IF;
    UPDATE staff SET password_hash = new_hash, password_link_issuer = link.issued_by
    WHERE practice_id = link.practice_id AND id = link.staff_id
    RETURNING id, practice_id, roles INTO account;
    UPDATE staff_sessions SET revoked_at = now()
    WHERE practice_id = link.practice_id AND staff_id = link.staff_id AND revoked_at IS NULL;
    PERFORM haven_audit_write(account.practice_id, account.id,
                              ARRAY(SELECT r FROM unnest(account.roles) AS r ORDER BY r COLLATE "C"), false, source,
                              request_id, 'staff.password.set', 'staff', account.id, '{}', 'success', NULL);
    RETURN 'done';
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'haven_admin_staff_create(text, text, text[], bytea)', 'haven_admin_staff_password_link(uuid, bytea)',
        'haven_password_link_account(bytea)', 'haven_spend_password_link(bytea, text, text, text)'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
