-- 0059: the residuals of the attacker review of 0052-0057 (issue #16; docs/security.md "What the database
-- itself guarantees" and "Residuals", docs/portal.md "Safety" and "Reminders: the outbox"). Each is now
-- refused by the database, whoever writes:
--
--   1. (a) an assignment never changes chart: its practice and couple (so its key subject) are fixed once
--          written, as a session's are (0051); a joint one (partner_id NULL) could otherwise be moved to
--          another couple, carrying its answers and drafts into that chart. The same for a series
--          assignment. (b) a series assignment's partner is one of its couple's partners (0053's shape).
--          (c) a series step names a series assignment of its own practice and couple;
--   2. (a) the sender skips a reminder of a chart that is no longer live (paused or discharged) with the
--          one rule the portal uses to offer a chart, haven_portal_chart_live; (b) moving a series step's
--          release re-times its waiting "new item" reminder to the new release and supersedes a waiting
--          "due" or "overdue" one that would now come before it (as 0047 does for a moved session);
--   3. haven_notification_enqueue (0044) is no longer the app role's: no code of the server calls it (the
--      causes queue their reminders by triggers since 0047);
--   4. a partner's code-step try (`partner-code`) is noted only for a sign-in waiting for its code, by
--      whoever holds its token (haven_portal_note_code_try): the app role can no longer note five tries
--      under an address and so pause the partner's code step;
--   5. the pending partner context already opens only within five minutes of the sign-in's first step
--      (haven_portal_open_pending_context, 0057); its reader now checks the same five minutes, so a
--      transaction begun in time cannot keep using the context after them;
--   6. a break-glass grant reads a chart's measure schedules and series assignments, as its other tables.

-- ---------------------------------------------------------------------------------------------------
-- 1(a): the chart of an assignment and of a series assignment is fixed.
CREATE FUNCTION haven_assignment_keep_chart() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'an assignment''s practice or couple cannot change: withdraw it and assign it to the other couple'
        USING ERRCODE = 'check_violation';
END
$$;
REVOKE ALL ON FUNCTION haven_assignment_keep_chart() FROM PUBLIC;
CREATE TRIGGER homework_assignments_keep_chart BEFORE UPDATE OF practice_id, couple_id ON homework_assignments
    FOR EACH ROW
    WHEN (OLD.practice_id IS DISTINCT FROM NEW.practice_id OR OLD.couple_id IS DISTINCT FROM NEW.couple_id)
    EXECUTE FUNCTION haven_assignment_keep_chart();
CREATE TRIGGER homework_series_assignments_keep_chart
    BEFORE UPDATE OF practice_id, couple_id ON homework_series_assignments
    FOR EACH ROW
    WHEN (OLD.practice_id IS DISTINCT FROM NEW.practice_id OR OLD.couple_id IS DISTINCT FROM NEW.couple_id)
    EXECUTE FUNCTION haven_assignment_keep_chart();

-- 1(b): a series assignment's partner is one of its couple's partners (0053's function: the columns are
-- the same).
CREATE TRIGGER homework_series_assignments_partner_in_couple
    BEFORE INSERT OR UPDATE OF practice_id, couple_id, partner_id ON homework_series_assignments
    FOR EACH ROW WHEN (NEW.partner_id IS NOT NULL)
    EXECUTE FUNCTION haven_assignment_partner_in_couple();

-- 1(c): a series step names a series assignment of its own practice and couple. SECURITY DEFINER, as
-- 0053's, so that the check does not depend on what the writer's row-level security lets it see.
CREATE FUNCTION haven_step_of_series_assignment() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM homework_series_assignments sa
                   WHERE sa.id = NEW.series_assignment_id AND sa.practice_id = NEW.practice_id
                     AND sa.couple_id = NEW.couple_id) THEN
        RAISE EXCEPTION 'a series step must belong to a series assignment of its own couple'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_step_of_series_assignment() FROM PUBLIC;
CREATE TRIGGER homework_assignments_step_of_series
    BEFORE INSERT OR UPDATE OF practice_id, couple_id, series_assignment_id ON homework_assignments
    FOR EACH ROW WHEN (NEW.series_assignment_id IS NOT NULL)
    EXECUTE FUNCTION haven_step_of_series_assignment();

-- Rows written before this migration came through the services, which keep these rules; should a
-- database hold one that breaks them, the migration stops and names the table (as 0053).
DO $$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(t, ', ') INTO bad FROM (
        SELECT 'homework_series_assignments' AS t FROM homework_series_assignments sa
        WHERE sa.partner_id IS NOT NULL
          AND NOT sa.partner_id = ANY (haven_portal_chart_clients(sa.practice_id, 'couple', sa.couple_id))
        UNION
        SELECT 'homework_assignments' FROM homework_assignments a
        LEFT JOIN homework_series_assignments sa ON sa.id = a.series_assignment_id
        WHERE a.series_assignment_id IS NOT NULL
          AND (sa.id IS NULL OR sa.practice_id <> a.practice_id OR sa.couple_id <> a.couple_id)
    ) rows;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'rows of % name a partner or series outside their chart', bad
            USING HINT = 'correct or remove those rows as the owner, then migrate again';
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- 2(a): why a due row must not be sent now, or NULL (0055's checks, in one place): also 'no portal access'
-- when the row's chart is no longer live for the partner (paused or discharged), the rule by which the
-- portal offers a chart at all (haven_portal_chart_live, through haven_portal_live_charts).
CREATE OR REPLACE FUNCTION haven_notification_skip_reason(o notification_outbox, a partner_accounts) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM notification_opt_outs n
                     WHERE n.practice_id = o.practice_id AND n.kind = o.kind
                       AND (n.account_id IS NULL OR n.account_id = o.account_id))
            THEN 'opted out'
        WHEN a.disabled_at IS NOT NULL
             OR NOT EXISTS (SELECT 1 FROM partner_chart_access x
                            WHERE x.account_id = a.id AND x.revoked_at IS NULL
                              AND (o.chart_id IS NULL OR (x.chart_kind = o.chart_kind AND x.chart_id = o.chart_id)))
             OR (o.chart_id IS NOT NULL
                 AND NOT haven_portal_chart_live(o.practice_id, a.client_id, o.chart_kind, o.chart_id))
            THEN 'no portal access'
        WHEN o.session_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM therapy_sessions s
                             WHERE s.id = o.session_id AND s.status = 'scheduled' AND s.scheduled_start = o.about_time
                               AND (o.chart_id IS NULL OR coalesce(s.couple_id, s.client_id) = o.chart_id))
            THEN 'superseded'
        WHEN o.assignment_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM homework_assignments h WHERE h.id = o.assignment_id)
            THEN 'withdrawn'
        WHEN o.chart_kind = 'couple'
             AND EXISTS (SELECT 1 FROM homework_assignments h WHERE h.id = o.assignment_id AND h.partner_id IS NULL)
             AND haven_couple_open_risk_note_in(o.practice_id, o.chart_id) IS NOT NULL
            THEN 'safety mode'
        WHEN o.kind IN ('homework-due', 'homework-overdue')
             AND EXISTS (SELECT 1 FROM homework_responses r
                         WHERE r.assignment_id = o.assignment_id AND r.partner_id = a.client_id)
            THEN 'answered'
        WHEN o.kind = 'appointment-reminder'
             AND EXISTS (SELECT 1 FROM notification_outbox p
                         WHERE p.session_id = o.session_id AND p.account_id = o.account_id AND p.id <> o.id
                           AND p.kind = 'appointment-reminder'
                           AND (p.state = 'sending'
                                OR (p.state IN ('sent', 'uncertain') AND p.finished_at > now() - interval '12 hours')))
            THEN 'capped'
        WHEN o.kind = 'measure-due' AND NOT haven_notification_measure_waiting(o, a)
            THEN 'answered'
        WHEN a.email IS NULL THEN 'no address'
    END
$$;

-- 2(b): a series step's release moved. Its waiting "new item" reminder is due at the new release (now,
-- when that has passed); one waiting out a retry's backoff keeps it (as 0058). A waiting "due" or
-- "overdue" reminder that would now go out before the release is superseded (0056 queues one only when it
-- falls after the release). A reminder already sent stays sent: the partner is not told twice.
CREATE FUNCTION haven_notification_on_release() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    released timestamptz := greatest(now(), coalesce(NEW.release_at, now()));
BEGIN
    UPDATE notification_outbox o SET due_at = released
    WHERE o.assignment_id = NEW.id AND o.kind = 'homework-new' AND o.state = 'pending' AND o.attempts = 0;
    UPDATE notification_outbox o
    SET state = 'skipped', finished_at = now(), last_error = 'superseded: the step''s release moved past it'
    WHERE o.assignment_id = NEW.id AND o.kind IN ('homework-due', 'homework-overdue') AND o.state = 'pending'
      AND o.due_at <= released;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_release() FROM PUBLIC;
CREATE TRIGGER homework_assignments_notify_released AFTER UPDATE OF release_at ON homework_assignments
    FOR EACH ROW WHEN (OLD.release_at IS DISTINCT FROM NEW.release_at)
    EXECUTE FUNCTION haven_notification_on_release();

-- ---------------------------------------------------------------------------------------------------
-- 3: nothing of the server queues a message by hand any more (0047's triggers do); the owner keeps the
-- function (the tests queue rows with it), the app role loses it.
REVOKE EXECUTE ON FUNCTION haven_notification_enqueue(uuid, text, timestamptz, timestamptz) FROM haven_app;

-- ---------------------------------------------------------------------------------------------------
-- 4: the code step's tries. 0057 let haven_sign_in_note_try note a `partner-code` try for any address,
-- and the pause counts noted tries: five from the app role paused a partner's code step without their
-- passphrase. Now such a try is noted only for the sign-in waiting under `token` for its code (the rule
-- of haven_portal_pending_sign_in: not revoked, the account not disabled, within five minutes of the
-- first step), under that account's address; NULL (nothing noted) when none waits.
-- The note itself (0057's haven_sign_in_note_try, any of its kinds): internal, no grant.
CREATE FUNCTION haven_sign_in_note(kind text, login_email text, candidate text, source text, request_id text)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    noted uuid;
BEGIN
    IF kind IS NULL OR kind NOT IN ('staff', 'partner', 'partner-code') THEN
        RETURN NULL;
    END IF;
    DELETE FROM sign_in_tries t WHERE t.tried_at < now() - interval '1 day';
    UPDATE sign_in_tries t SET candidate_hash = NULL
    WHERE t.candidate_hash IS NOT NULL AND t.tried_at < now() - haven_sign_in_try_window();
    INSERT INTO sign_in_tries (kind, address_key, candidate_hash, source, request_id)
    VALUES (kind, haven_sign_in_address_key(kind, login_email), sha256(convert_to(coalesce(candidate, ''), 'UTF8')),
            left(coalesce(source, 'unknown'), 200), left(request_id, 200))
    RETURNING ticket INTO noted;
    RETURN noted;
END
$$;
REVOKE ALL ON FUNCTION haven_sign_in_note(text, text, text, text, text) FROM PUBLIC;

-- The app role's way to note a passphrase try ('staff' or 'partner'); NULL for any other kind, a code
-- try included (0046's contract).
CREATE OR REPLACE FUNCTION haven_sign_in_note_try(kind text, login_email text, candidate text, source text,
                                                  request_id text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF kind IS NULL OR kind NOT IN ('staff', 'partner') THEN
        RETURN NULL;
    END IF;
    RETURN haven_sign_in_note(kind, login_email, candidate, source, request_id);
END
$$;

-- Notes the code typed for the sign-in waiting under `token` as a `partner-code` try of its account's
-- address and returns the ticket haven_portal_second_factor takes; NULL when no sign-in waits there.
-- Call it in its own transaction and commit before the code step (as haven_sign_in_note_try).
CREATE FUNCTION haven_portal_note_code_try(token bytea, candidate text, source text, request_id text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    address text;
BEGIN
    SELECT p.email INTO address FROM haven_portal_pending_sign_in(token) p;
    IF NOT FOUND OR address IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN haven_sign_in_note('partner-code', address, candidate, source, request_id);
END
$$;
REVOKE ALL ON FUNCTION haven_portal_note_code_try(bytea, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_portal_note_code_try(bytea, text, text, text) TO haven_app;

-- ---------------------------------------------------------------------------------------------------
-- 5: 0057's reader of the pending partner context, with the opener's five minutes.
CREATE OR REPLACE FUNCTION haven_context_partner_pending() RETURNS request_contexts
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts;
BEGIN
    SELECT * INTO ctx FROM request_contexts c
    WHERE c.backend_pid = pg_backend_pid() AND c.transaction_id = pg_current_xact_id_if_assigned()
      AND c.pending_token_hash IS NOT NULL AND haven_context_in_time(c.valid_until);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT s.practice_id, a.client_id, a.id, s.token_hash
    INTO ctx.partner_practice_id, ctx.partner_client_id, ctx.partner_account_id, ctx.partner_token_hash
    FROM partner_sessions s
    JOIN partner_accounts a ON a.practice_id = s.practice_id AND a.id = s.account_id
    WHERE s.token_hash = ctx.pending_token_hash AND s.second_factor_pending AND s.revoked_at IS NULL
      AND clock_timestamp() < s.created_at + interval '5 minutes';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no sign-in is waiting for a second factor' USING ERRCODE = 'insufficient_privilege';
    END IF;
    ctx.pending_token_hash := NULL;
    RETURN ctx;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- 6: break-glass reads, as homework_assignments_break_glass and measure_administrations_break_glass.
CREATE POLICY measure_schedules_break_glass ON measure_schedules FOR SELECT TO haven_app
    USING (practice_id = (SELECT haven_current_practice())
           AND 'couple:' || couple_id::text = ANY ((SELECT haven_current_break_glass())::text[]));
CREATE POLICY homework_series_assignments_break_glass ON homework_series_assignments FOR SELECT TO haven_app
    USING (practice_id = (SELECT haven_current_practice())
           AND key_subject = ANY ((SELECT haven_current_break_glass())::text[]));
