-- 0062: the findings of the attacker review of 0059-0061 (review 12; docs/security.md, docs/portal.md).
--
--   1. A partner without an email address (an account whose invitation-code address was taken) has its
--      code tries counted under a name of its own ('partner-code-app:<id>', 0061), which no account's
--      address matches: haven_sign_in_check then locked, and audited every refused code, in the decoy's
--      practice chosen by hash — another practice's audit chain received this partner's `portal.login`
--      denied entries, with their account and client ids. The check now locks and audits in the practice
--      its caller names (the account's own, which every caller that knows the account passes); the
--      address's practice, or the decoy, only when the caller knows no account (an unknown address).
--   2. A CSI answer given with another lower bound ('[0:3]={6,5,5,5}') passed haven_csi_items_valid
--      (0060 counted positions with ORDINALITY) and was stored as given, and the client's record export
--      (which decodes items as a 1-based array) then failed. The rule now asks for a 1-based array, and
--      measure_administrations refuses any other for every new row (NOT VALID: rows already stored are
--      not re-checked, as 0060's trigger).
--   3. A counselor's raw UPDATE could still change an assignment's id (its pending reminders then skipped
--      as "withdrawn") or whom it is for (a joint assignment made one partner's: the other partner kept
--      being reminded of work no longer theirs, the new one never was). 0059's trigger now also keeps an
--      assignment's and a series assignment's id and partner: whom homework is for is decided when it is
--      assigned; to change it, withdraw it and assign it again.

-- 1.
CREATE OR REPLACE FUNCTION haven_sign_in_check(kind text, ticket uuid, login_email text, candidate text,
                                               stored_hash text, usable boolean, practice uuid, account uuid,
                                               clients uuid[], source text, request_id text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    try sign_in_tries;
    address bytea := haven_sign_in_address_key(kind, login_email);
    -- The account's own practice when the caller knows the account; the address's (or the decoy's) when
    -- not. Review 12, finding 1: an account without an email has no address to find it by.
    locked uuid := coalesce(practice, haven_sign_in_lock_practice(kind, login_email));
    verdict text;
BEGIN
    PERFORM pg_advisory_xact_lock(7, hashtext(locked::text));
    SELECT t.* INTO try FROM sign_in_tries t WHERE t.ticket = haven_sign_in_check.ticket;
    IF NOT FOUND OR try.kind <> haven_sign_in_check.kind OR try.address_key <> address
       OR try.candidate_hash IS DISTINCT FROM sha256(convert_to(coalesce(candidate, ''), 'UTF8'))
       OR try.noted_in = pg_current_xact_id_if_assigned() OR try.tried_at <= now() - haven_sign_in_try_window()
       OR try.checked_at IS NOT NULL THEN
        RETURN 'refused';
    END IF;
    IF (SELECT count(*) FROM sign_in_tries t
        WHERE t.address_key = address AND t.succeeded_at IS NULL AND t.tried_at < try.tried_at
          AND t.tried_at > try.tried_at - haven_sign_in_try_window()
          AND t.tried_at > coalesce((SELECT max(s.tried_at) FROM sign_in_tries s
                                     WHERE s.address_key = address AND s.succeeded_at IS NOT NULL
                                       AND s.tried_at < try.tried_at), '-infinity')
       ) >= haven_sign_in_try_limit() THEN
        verdict := 'paused';
    ELSIF account IS NULL OR NOT coalesce(usable, false) OR candidate IS DISTINCT FROM stored_hash THEN
        verdict := 'refused';
    ELSE
        verdict := 'check-passed';
    END IF;
    UPDATE sign_in_tries t SET checked_at = now(), succeeded_at = CASE WHEN verdict = 'check-passed' THEN now() END
    WHERE t.ticket = try.ticket;
    IF verdict = 'check-passed' THEN
        RETURN verdict;
    END IF;
    IF EXISTS (SELECT 1 FROM practices p WHERE p.id = locked) THEN
        PERFORM haven_audit_write(locked, NULL, '{}', false, source, request_id,
                                  CASE kind WHEN 'staff' THEN 'staff.login' ELSE 'portal.login' END,
                                  CASE kind WHEN 'staff' THEN 'staff' ELSE 'partner_account' END,
                                  account, coalesce(clients, '{}'), 'denied', NULL);
    END IF;
    RETURN verdict;
END
$$;

-- 2.
CREATE OR REPLACE FUNCTION haven_csi_items_valid(form text, items smallint[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = public, pg_temp
    AS $$
    SELECT coalesce(
        array_ndims(items) = 1 AND array_lower(items, 1) = 1
        AND cardinality(items) = CASE form WHEN 'CSI-4' THEN 4 WHEN 'CSI-16' THEN 16 WHEN 'CSI-32' THEN 32 END
        AND NOT EXISTS (SELECT 1 FROM unnest(items) WITH ORDINALITY AS i (response, n)
                        WHERE i.response IS NULL OR i.response < 0
                           OR i.response > CASE WHEN i.n = 1 THEN 6 ELSE 5 END),
        false)
$$;
ALTER TABLE measure_administrations
    ADD CONSTRAINT measure_administrations_items_one_based
    CHECK (array_ndims(items) IS NULL OR (array_ndims(items) = 1 AND array_lower(items, 1) = 1)) NOT VALID;

-- 3.
CREATE OR REPLACE FUNCTION haven_assignment_keep_chart() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'an assignment''s id, practice, couple and partner cannot change: withdraw it and assign it again'
        USING ERRCODE = 'check_violation';
END
$$;
DROP TRIGGER homework_assignments_keep_chart ON homework_assignments;
CREATE TRIGGER homework_assignments_keep_chart
    BEFORE UPDATE OF id, practice_id, couple_id, partner_id ON homework_assignments
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.practice_id IS DISTINCT FROM NEW.practice_id
          OR OLD.couple_id IS DISTINCT FROM NEW.couple_id OR OLD.partner_id IS DISTINCT FROM NEW.partner_id)
    EXECUTE FUNCTION haven_assignment_keep_chart();
DROP TRIGGER homework_series_assignments_keep_chart ON homework_series_assignments;
CREATE TRIGGER homework_series_assignments_keep_chart
    BEFORE UPDATE OF id, practice_id, couple_id, partner_id ON homework_series_assignments
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.practice_id IS DISTINCT FROM NEW.practice_id
          OR OLD.couple_id IS DISTINCT FROM NEW.couple_id OR OLD.partner_id IS DISTINCT FROM NEW.partner_id)
    EXECUTE FUNCTION haven_assignment_keep_chart();
