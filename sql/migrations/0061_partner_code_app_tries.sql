-- 0061: a partner's code-app confirm and remove count their codes in the database, as the sign-in's code
-- step does (issue #16, review of session 11).
--
-- Until now a wrong code on /portal/settings was limited by the web server's in-memory throttle alone,
-- which a restart or a second server resets. Now every try is a `partner-code` sign-in try (0057's kind),
-- noted and committed first by haven_portal_totp_note_try in the partner's own context, and confirm and
-- remove pass THE check, haven_sign_in_check (0046), before they change anything: five failed codes in the
-- window pause the account's codes (counted under the account's address, as the sign-in's code step counts
-- them: it is the same secret), and a counted refusal is audited as the check audits every one
-- (`portal.login` denied, in the account's practice) besides `portal.totp.confirm`/`.remove` denied. A
-- ticket checks one code once (0050). 0057's functions without a ticket are dropped, so haven_app cannot
-- try a code uncounted.

DROP FUNCTION haven_portal_totp_confirm(bigint, integer, bytea);
DROP FUNCTION haven_portal_totp_remove(bigint, integer, bytea);

-- The address a partner's code tries are counted under: the account's email, as the sign-in's code step
-- counts them (and so the check locks and audits in the account's practice); an account without one has a
-- name of its own, so no two share a count. Internal.
CREATE FUNCTION haven_portal_code_try_address(account partner_accounts) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(account.email, 'partner-code-app:' || account.id::text) $$;
REVOKE ALL ON FUNCTION haven_portal_code_try_address(partner_accounts) FROM PUBLIC;

-- Notes one code-app try of `candidate` (the code typed) for the context's partner (a signed-in partner only:
-- haven_context_partner) and returns its ticket.
-- Call it in a transaction of its own and commit before confirming or removing with the ticket.
CREATE FUNCTION haven_portal_totp_note_try(candidate text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    account partner_accounts;
BEGIN
    SELECT a.* INTO account FROM partner_accounts a
    WHERE a.practice_id = ctx.partner_practice_id AND a.id = ctx.partner_account_id;
    -- 0059's internal note: haven_sign_in_note_try notes no code try, so only this function (the partner's
    -- own live context) and haven_portal_note_code_try (the holder of a waiting sign-in) count one.
    RETURN haven_sign_in_note('partner-code', haven_portal_code_try_address(account), candidate, ctx.source,
                              ctx.request_id);
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_note_try(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_note_try(text) TO haven_app;

-- The check of one code-app try (internal): `good` says whether the attested step would do what was asked;
-- the ticket is checked, and spent, as the sign-in's (haven_sign_in_check, which audits a counted refusal).
-- 'check-passed', 'refused' or 'paused'.
CREATE FUNCTION haven_portal_totp_check(ctx request_contexts, ticket uuid, candidate text, good boolean)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    account partner_accounts;
BEGIN
    SELECT a.* INTO account FROM partner_accounts a
    WHERE a.practice_id = ctx.partner_practice_id AND a.id = ctx.partner_account_id;
    RETURN haven_sign_in_check('partner-code', ticket, haven_portal_code_try_address(account), candidate,
                               CASE WHEN good THEN candidate END, true, account.practice_id, account.id,
                               ARRAY[account.client_id], ctx.source, ctx.request_id);
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_check(request_contexts, uuid, text, boolean) FROM PUBLIC;

-- Confirms the unconfirmed app with an attested step (NULL: the code did not match) and the try's ticket;
-- audited either way. 'done', 'refused' or 'paused' (nothing is checked past the pause).
CREATE FUNCTION haven_portal_totp_confirm(ticket uuid, candidate text, step bigint, master_key_version integer,
                                          attestation bytea) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    good boolean := false;
    verdict text;
BEGIN
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        good := EXISTS (SELECT 1 FROM partner_totp t
                        WHERE t.practice_id = ctx.partner_practice_id AND t.account_id = ctx.partner_account_id
                          AND t.confirmed_at IS NULL);
    END IF;
    verdict := haven_portal_totp_check(ctx, ticket, candidate, good);
    IF verdict = 'check-passed' THEN
        UPDATE partner_totp SET confirmed_at = now(), last_used_step = step
        WHERE practice_id = ctx.partner_practice_id AND account_id = ctx.partner_account_id AND confirmed_at IS NULL;
        verdict := 'done';
    END IF;
    PERFORM haven_portal_totp_audit(ctx, 'portal.totp.confirm', verdict = 'done');
    RETURN verdict;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_confirm(uuid, text, bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_confirm(uuid, text, bigint, integer, bytea) TO haven_app;

-- Removes the confirmed app with an attested, unused step and the try's ticket; audited either way.
-- 'done', 'refused' or 'paused'.
CREATE FUNCTION haven_portal_totp_remove(ticket uuid, candidate text, step bigint, master_key_version integer,
                                         attestation bytea) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
    good boolean := false;
    verdict text;
BEGIN
    IF step IS NOT NULL AND haven_step_attested(step, master_key_version, attestation) THEN
        good := EXISTS (SELECT 1 FROM partner_totp t
                        WHERE t.practice_id = ctx.partner_practice_id AND t.account_id = ctx.partner_account_id
                          AND t.confirmed_at IS NOT NULL AND t.last_used_step < step);
    END IF;
    verdict := haven_portal_totp_check(ctx, ticket, candidate, good);
    IF verdict = 'check-passed' THEN
        DELETE FROM partner_totp
        WHERE practice_id = ctx.partner_practice_id AND account_id = ctx.partner_account_id
          AND confirmed_at IS NOT NULL AND last_used_step < step;
        verdict := 'done';
    END IF;
    PERFORM haven_portal_totp_audit(ctx, 'portal.totp.remove', verdict = 'done');
    RETURN verdict;
END
$$;
REVOKE ALL ON FUNCTION haven_portal_totp_remove(uuid, text, bigint, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_totp_remove(uuid, text, bigint, integer, bytea) TO haven_app;
