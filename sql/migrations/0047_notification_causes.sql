-- 0047: the causes queue their reminders (issue #16, step 5; docs/portal.md "Reminders: the outbox").
-- A homework assignment and a booked, rescheduled or cancelled session change the outbox in their own
-- transaction, by triggers, so a message exists exactly when its cause committed and no path that
-- writes an assignment or a session can forget it (the service, the API, the web app alike):
--
--   * an assignment queues, for each partner it is for who has live portal access to the couple's
--     chart: "homework-new" now, "homework-due" at 09:00 (practice time) the day before the due date
--     and "homework-overdue" at 09:00 the day after it (each only when still in the future). Whether an
--     overdue item is still unanswered is decided by the sender at send time, not here;
--   * a session booked in the future queues an "appointment-reminder" for each client of its chart with
--     live access, `practices.appointment_reminder_hours` before its start (now, when the start is
--     nearer than that); a change of its start or status supersedes the pending reminder (marked
--     skipped, "superseded") and queues a new one only while the session is still scheduled ahead.
--
-- A row now names its cause (the assignment or the session) and the chart, so the sender checks again
-- at send time that the partner still has access to THAT chart and that the cause still holds.

ALTER TABLE practices
    ADD COLUMN appointment_reminder_hours integer NOT NULL DEFAULT 24
        CONSTRAINT practices_appointment_reminder_hours CHECK (appointment_reminder_hours BETWEEN 1 AND 168);

ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind
    CHECK (kind IN ('homework-new', 'homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder'));
ALTER TABLE notification_opt_outs DROP CONSTRAINT notification_opt_outs_kind;
ALTER TABLE notification_opt_outs ADD CONSTRAINT notification_opt_outs_kind
    CHECK (kind IN ('homework-new', 'homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder'));

ALTER TABLE notification_outbox
    ADD COLUMN chart_kind text CONSTRAINT notification_outbox_chart_kind CHECK (chart_kind IN ('couple', 'client')),
    ADD COLUMN chart_id uuid,
    ADD COLUMN assignment_id uuid,
    ADD COLUMN session_id uuid,
    ADD CONSTRAINT notification_outbox_chart_whole CHECK ((chart_kind IS NULL) = (chart_id IS NULL)),
    ADD CONSTRAINT notification_outbox_one_cause CHECK (num_nonnulls(assignment_id, session_id) <= 1);
CREATE INDEX notification_outbox_session ON notification_outbox (session_id) WHERE state = 'pending';

-- Queues `kind` about `about`, due at `due`, for each of `clients` that has a live portal account with
-- unrevoked access to the chart. Internal: called by the triggers below (no grant).
CREATE FUNCTION haven_notification_queue_chart(
    practice uuid,
    chart_kind text,
    chart uuid,
    clients uuid[],
    kind text,
    about timestamptz,
    due timestamptz,
    assignment uuid,
    session uuid
) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    queued integer;
BEGIN
    INSERT INTO notification_outbox
        (practice_id, account_id, kind, about_time, due_at, chart_kind, chart_id, assignment_id, session_id)
    SELECT practice, a.id, kind, about, due, haven_notification_queue_chart.chart_kind, chart, assignment, session
    FROM partner_accounts a
    JOIN partner_chart_access x ON x.account_id = a.id AND x.chart_kind = haven_notification_queue_chart.chart_kind
                               AND x.chart_id = chart AND x.revoked_at IS NULL
    WHERE a.practice_id = practice AND a.client_id = ANY (clients) AND a.disabled_at IS NULL;
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_queue_chart(uuid, text, uuid, uuid[], text, timestamptz, timestamptz, uuid, uuid)
    FROM PUBLIC;

-- 09:00 on `day` in the time zone `zone`: when a date's reminder goes out.
CREATE FUNCTION haven_notification_morning(day date, zone text) RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$ SELECT (day::timestamp + interval '9 hours') AT TIME ZONE zone $$;
REVOKE ALL ON FUNCTION haven_notification_morning(date, text) FROM PUBLIC;

CREATE FUNCTION haven_notification_on_assignment() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    zone text;
    clients uuid[];
    about timestamptz;
    due timestamptz;
BEGIN
    SELECT p.time_zone INTO zone FROM practices p WHERE p.id = NEW.practice_id;
    SELECT CASE WHEN NEW.partner_id IS NULL THEN ARRAY[c.partner_a_id, c.partner_b_id] ELSE ARRAY[NEW.partner_id] END
    INTO clients FROM couples c WHERE c.id = NEW.couple_id;
    -- The due date's start in the practice's zone (the message shows the date only).
    about := NEW.due_on::timestamp AT TIME ZONE zone;
    PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients, 'homework-new',
                                           about, now(), NEW.id, NULL);
    due := haven_notification_morning(NEW.due_on - 1, zone);
    IF NEW.due_on > NEW.assigned_on AND due > now() THEN
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients, 'homework-due',
                                               about, due, NEW.id, NULL);
    END IF;
    due := haven_notification_morning(NEW.due_on + 1, zone);
    IF due > now() THEN
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients,
                                               'homework-overdue', about, due, NEW.id, NULL);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_assignment() FROM PUBLIC;
CREATE TRIGGER homework_assignments_notify AFTER INSERT ON homework_assignments
    FOR EACH ROW EXECUTE FUNCTION haven_notification_on_assignment();

CREATE FUNCTION haven_notification_on_session() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    lead_hours integer;
    clients uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE notification_outbox
        SET state = 'skipped', finished_at = now(), last_error = 'superseded: the session moved or was cancelled'
        WHERE session_id = NEW.id AND state = 'pending';
    END IF;
    IF NEW.status <> 'scheduled' OR NEW.scheduled_start <= now() THEN
        RETURN NULL;
    END IF;
    SELECT p.appointment_reminder_hours INTO lead_hours FROM practices p WHERE p.id = NEW.practice_id;
    IF NEW.couple_id IS NOT NULL THEN
        SELECT ARRAY[c.partner_a_id, c.partner_b_id] INTO clients FROM couples c WHERE c.id = NEW.couple_id;
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'couple', NEW.couple_id, clients,
            'appointment-reminder', NEW.scheduled_start,
            greatest(now(), NEW.scheduled_start - make_interval(hours => lead_hours)), NULL, NEW.id);
    ELSE
        PERFORM haven_notification_queue_chart(NEW.practice_id, 'client', NEW.client_id, ARRAY[NEW.client_id],
            'appointment-reminder', NEW.scheduled_start,
            greatest(now(), NEW.scheduled_start - make_interval(hours => lead_hours)), NULL, NEW.id);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_session() FROM PUBLIC;
CREATE TRIGGER therapy_sessions_notify_booked AFTER INSERT ON therapy_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_notification_on_session();
CREATE TRIGGER therapy_sessions_notify_changed AFTER UPDATE OF scheduled_start, status ON therapy_sessions
    FOR EACH ROW
    WHEN (OLD.scheduled_start IS DISTINCT FROM NEW.scheduled_start OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION haven_notification_on_session();

-- The sender's own role (docs/security.md "The reminder sender's role"). `haven serve` sends the outbox as
-- `haven_notify`, a login that owns nothing, has no privilege on any table and may only call the four
-- functions below; `haven notify run` calls the same functions as the owner, so there is one sender.
-- Neither haven_app nor its password reaches a partner's address: only whoever holds haven_notify's
-- password, and then only the address of a message that is due, one claim at a time.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'haven_notify') THEN
        CREATE ROLE haven_notify LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO haven_notify;

-- Why a due row must not be sent now, or NULL: the sender's checks at send time, in one place.
CREATE FUNCTION haven_notification_skip_reason(o notification_outbox, a partner_accounts) RETURNS text
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
            THEN 'no portal access'
        WHEN o.session_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM therapy_sessions s
                             WHERE s.id = o.session_id AND s.status = 'scheduled' AND s.scheduled_start = o.about_time)
            THEN 'superseded'
        WHEN o.assignment_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM homework_assignments h WHERE h.id = o.assignment_id)
            THEN 'withdrawn'
        WHEN o.kind IN ('homework-due', 'homework-overdue')
             AND EXISTS (SELECT 1 FROM homework_responses r
                         WHERE r.assignment_id = o.assignment_id AND r.partner_id = a.client_id)
            THEN 'answered'
        WHEN a.email IS NULL THEN 'no address'
    END
$$;
REVOKE ALL ON FUNCTION haven_notification_skip_reason(notification_outbox, partner_accounts) FROM PUBLIC;

-- Claims the first due row (FOR UPDATE SKIP LOCKED: two senders never take the same one), marks it
-- `sending` with a lease of `lease_seconds` (60 to 3600) and returns what rendering it needs. The address
-- is returned only for a row to send; a row to skip comes back with its reason and no address (the caller
-- then finishes it as `skipped`). No row: nothing is due.
CREATE FUNCTION haven_notification_claim(lease_seconds integer)
    RETURNS TABLE (id uuid, practice_id uuid, account_id uuid, client_id uuid, kind text, about_time timestamptz,
                   attempts integer, email text, practice_name text, time_zone text, skip_reason text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    o notification_outbox;
    a partner_accounts;
    reason text;
BEGIN
    IF lease_seconds IS NULL OR lease_seconds NOT BETWEEN 60 AND 3600 THEN
        RAISE EXCEPTION 'a lease is 60 to 3600 seconds' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO o FROM notification_outbox q
    WHERE q.state = 'pending' AND q.due_at <= now()
    ORDER BY q.due_at, q.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO a FROM partner_accounts p WHERE p.practice_id = o.practice_id AND p.id = o.account_id;
    reason := haven_notification_skip_reason(o, a);
    -- A row to skip is claimed too, so no other sender takes it before it is marked.
    UPDATE notification_outbox q
    SET state = 'sending', attempts = q.attempts + 1, lease_until = now() + make_interval(secs => lease_seconds)
    WHERE q.id = o.id;
    RETURN QUERY
    SELECT o.id, o.practice_id, o.account_id, a.client_id, o.kind, o.about_time, o.attempts,
           CASE WHEN reason IS NULL THEN a.email END, p.name, p.time_zone, reason
    FROM practices p WHERE p.id = o.practice_id;
END
$$;

-- Ends a claimed row (`sending`) as sent, failed, uncertain or skipped, with the transport's or the
-- skip's reason, and audits it (the partner account as entity, its client, `notification:<id>` as the
-- request id, source haven-notify; never the address). False when the row was not `sending` (another
-- sender ended it first): nothing is written then.
CREATE FUNCTION haven_notification_finish(row_id uuid, new_state text, reason text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    o notification_outbox;
    client uuid;
BEGIN
    IF new_state IS NULL OR new_state NOT IN ('sent', 'failed', 'uncertain', 'skipped') THEN
        RAISE EXCEPTION 'a claimed notification ends sent, failed, uncertain or skipped'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE notification_outbox q
    SET state = new_state, lease_until = NULL, finished_at = now(), last_error = left(reason, 300)
    WHERE q.id = row_id AND q.state = 'sending'
    RETURNING * INTO o;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    SELECT p.client_id INTO client FROM partner_accounts p WHERE p.practice_id = o.practice_id AND p.id = o.account_id;
    PERFORM haven_audit_write(
        o.practice_id, NULL, '{}', false, 'haven-notify', 'notification:' || upper(o.id::text),
        'notification.' || new_state, 'partner_account', o.account_id, ARRAY[client],
        CASE new_state WHEN 'sent' THEN 'success' WHEN 'skipped' THEN 'denied' ELSE 'failed' END, NULL
    );
    RETURN true;
END
$$;

-- Puts a claimed row back to `pending`, due again in `wait_seconds` (the sender's backoff, at most 12
-- hours), with the transport's reason. False when the row was not `sending`.
CREATE FUNCTION haven_notification_retry(row_id uuid, reason text, wait_seconds integer)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF wait_seconds IS NULL OR wait_seconds NOT BETWEEN 1 AND 43200 THEN
        RAISE EXCEPTION 'a retry waits 1 second to 12 hours' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE notification_outbox q
    SET state = 'pending', lease_until = NULL, last_error = left(reason, 300),
        due_at = now() + make_interval(secs => wait_seconds)
    WHERE q.id = row_id AND q.state = 'sending';
    RETURN FOUND;
END
$$;

-- Marks every row whose lease ran out `uncertain` (its sender died between the claim and the mark:
-- reported, never resent), audited as haven_notification_finish does; returns their ids.
CREATE FUNCTION haven_notification_expire_leases()
    RETURNS SETOF uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    expired uuid;
BEGIN
    FOR expired IN
        SELECT q.id FROM notification_outbox q
        WHERE q.state = 'sending' AND q.lease_until < now()
        ORDER BY q.id
        FOR UPDATE SKIP LOCKED
    LOOP
        IF haven_notification_finish(expired, 'uncertain',
                                     'the sender stopped after claiming it: it may have been sent') THEN
            RETURN NEXT expired;
        END IF;
    END LOOP;
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['haven_notification_claim(integer)', 'haven_notification_finish(uuid, text, text)',
                             'haven_notification_retry(uuid, text, integer)', 'haven_notification_expire_leases()']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_notify', f);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Opt-outs (docs/portal.md "Reminders: the outbox"): a partner turns each kind of reminder off or on
-- for themselves from their portal context, an admin for the whole practice from a staff context; both
-- audited. haven_app still has no privilege on notification_opt_outs: these functions are the way in.

-- The kinds a person can turn off, in the order the pages show them.
CREATE FUNCTION haven_notification_kinds() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY['homework-new', 'homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder'] $$;
GRANT EXECUTE ON FUNCTION haven_notification_kinds() TO haven_app;

-- The partner's own settings: per kind, whether they turned it off and whether the practice did.
CREATE FUNCTION haven_portal_notification_settings()
    RETURNS TABLE (kind text, partner_off boolean, practice_off boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    RETURN QUERY
    SELECT k.kind,
           EXISTS (SELECT 1 FROM notification_opt_outs n WHERE n.practice_id = ctx.partner_practice_id
                   AND n.account_id = ctx.partner_account_id AND n.kind = k.kind),
           EXISTS (SELECT 1 FROM notification_opt_outs n WHERE n.practice_id = ctx.partner_practice_id
                   AND n.account_id IS NULL AND n.kind = k.kind)
    FROM unnest(haven_notification_kinds()) WITH ORDINALITY AS k (kind, ord)
    ORDER BY k.ord;
END
$$;

-- Turns one kind on (`send`) or off for the partner, audited as portal.notification.on|off with the
-- partner as actor and their account as entity. Answers 'saved', or 'unknown-kind'.
CREATE FUNCTION haven_portal_set_notification(of_kind text, send boolean) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_partner();
BEGIN
    IF of_kind IS NULL OR send IS NULL OR of_kind <> ALL (haven_notification_kinds()) THEN
        RETURN 'unknown-kind';
    END IF;
    IF send THEN
        DELETE FROM notification_opt_outs n
        WHERE n.practice_id = ctx.partner_practice_id AND n.account_id = ctx.partner_account_id AND n.kind = of_kind;
    ELSE
        INSERT INTO notification_opt_outs (practice_id, account_id, kind)
        VALUES (ctx.partner_practice_id, ctx.partner_account_id, of_kind)
        ON CONFLICT DO NOTHING;
    END IF;
    PERFORM haven_audit_write(ctx.partner_practice_id, NULL, '{}', false, ctx.source, ctx.request_id,
                              CASE WHEN send THEN 'portal.notification.on' ELSE 'portal.notification.off' END,
                              'partner_account', ctx.partner_account_id, ARRAY[ctx.partner_client_id],
                              'success', NULL, ctx.partner_client_id);
    RETURN 'saved';
END
$$;

-- The practice's switches, for its admins: per kind, whether the practice turned it off.
CREATE FUNCTION haven_admin_notification_settings()
    RETURNS TABLE (kind text, practice_off boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    IF NOT 'admin' = ANY (ctx.staff_roles) THEN
        RAISE EXCEPTION 'the practice''s reminder switches are for its admins' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
    SELECT k.kind, EXISTS (SELECT 1 FROM notification_opt_outs n WHERE n.practice_id = ctx.practice_id
                           AND n.account_id IS NULL AND n.kind = k.kind)
    FROM unnest(haven_notification_kinds()) WITH ORDINALITY AS k (kind, ord)
    ORDER BY k.ord;
END
$$;

-- Turns one kind on or off for the whole practice (an admin only: 'forbidden' otherwise, audited as
-- denied), audited as practice.notification.on|off. Answers 'saved', 'forbidden' or 'unknown-kind'.
CREATE FUNCTION haven_admin_set_notification(of_kind text, send boolean) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    action text := CASE WHEN send THEN 'practice.notification.on' ELSE 'practice.notification.off' END;
BEGIN
    IF of_kind IS NULL OR send IS NULL OR of_kind <> ALL (haven_notification_kinds()) THEN
        RETURN 'unknown-kind';
    END IF;
    IF NOT 'admin' = ANY (ctx.staff_roles) THEN
        PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                                  ctx.request_id, action, 'practice', ctx.practice_id, '{}', 'denied', NULL);
        RETURN 'forbidden';
    END IF;
    IF send THEN
        DELETE FROM notification_opt_outs n
        WHERE n.practice_id = ctx.practice_id AND n.account_id IS NULL AND n.kind = of_kind;
    ELSE
        INSERT INTO notification_opt_outs (practice_id, account_id, kind) VALUES (ctx.practice_id, NULL, of_kind)
        ON CONFLICT DO NOTHING;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, action, 'practice', ctx.practice_id, '{}', 'success', NULL);
    RETURN 'saved';
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['haven_portal_notification_settings()', 'haven_portal_set_notification(text, boolean)',
                             'haven_admin_notification_settings()', 'haven_admin_set_notification(text, boolean)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
