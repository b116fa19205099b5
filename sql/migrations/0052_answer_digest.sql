-- 0052: the counselor's "new answers" digest (issue #16; docs/portal.md "Reminders: the outbox"). When a
-- partner submits an answer in the portal (shared or not: the counselor reads every answer), a digest is
-- queued for the couple's counselor, at most one pending per counselor (coalesced), due at the next 09:00
-- in the practice's time zone, so at most one a day. The row names the staff member, the kind and a time,
-- no chart, client or answer; the sender counts the counselor's unread portal answers at send time
-- ("You have 3 new homework answers in Haven") and skips the digest when there are none.
--
-- A staff member turns the digest off for themselves (`haven_staff_set_notification`, from their own
-- context, audited `staff.notification.on|off`), an admin for the practice (`haven_admin_set_notification`
-- of 0047, which now knows the kind). The sender (`haven_notify` or the owner) uses the same four
-- functions; the claim now returns the staff member and the count too, and never a client for a digest.

-- The outbox: a row goes to a partner account or to a staff member, never both; only a digest goes to
-- staff, and a counselor has at most one pending digest (the coalescing, also under concurrent submits).
ALTER TABLE notification_outbox
    ALTER COLUMN account_id DROP NOT NULL,
    ADD COLUMN staff_id uuid,
    ADD CONSTRAINT notification_outbox_staff FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id),
    ADD CONSTRAINT notification_outbox_one_recipient CHECK (num_nonnulls(account_id, staff_id) = 1),
    ADD CONSTRAINT notification_outbox_digest_to_staff CHECK ((kind = 'answer-digest') = (staff_id IS NOT NULL));
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind
    CHECK (kind IN ('homework-new', 'homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder',
                    'answer-digest'));
CREATE UNIQUE INDEX notification_outbox_one_digest ON notification_outbox (staff_id)
    WHERE state = 'pending' AND kind = 'answer-digest';

-- Opt-outs: a partner's (account_id), a staff member's (staff_id, the digest only) or the practice's
-- (neither), per kind.
ALTER TABLE notification_opt_outs
    ADD COLUMN staff_id uuid,
    ADD CONSTRAINT notification_opt_outs_staff FOREIGN KEY (practice_id, staff_id) REFERENCES staff (practice_id, id),
    ADD CONSTRAINT notification_opt_outs_one_person CHECK (num_nonnulls(account_id, staff_id) <= 1),
    ADD CONSTRAINT notification_opt_outs_staff_kind CHECK (staff_id IS NULL OR kind = 'answer-digest'),
    ADD CONSTRAINT notification_opt_outs_partner_kind CHECK (account_id IS NULL OR kind <> 'answer-digest');
ALTER TABLE notification_opt_outs DROP CONSTRAINT notification_opt_outs_kind;
ALTER TABLE notification_opt_outs ADD CONSTRAINT notification_opt_outs_kind
    CHECK (kind IN ('homework-new', 'homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder',
                    'answer-digest'));
DROP INDEX notification_opt_outs_one;
CREATE UNIQUE INDEX notification_opt_outs_one ON notification_opt_outs (
    practice_id, coalesce(account_id, '00000000-0000-0000-0000-000000000000'::uuid),
    coalesce(staff_id, '00000000-0000-0000-0000-000000000000'::uuid), kind
);

-- The kinds that go to staff, in the order the pages show them.
CREATE FUNCTION haven_staff_notification_kinds() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY['answer-digest'] $$;
GRANT EXECUTE ON FUNCTION haven_staff_notification_kinds() TO haven_app;

-- A portal answer queues its couple's counselor's digest, unless one is pending already.
CREATE FUNCTION haven_notification_on_answer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    counselor uuid;
    zone text;
    due timestamptz;
BEGIN
    SELECT c.counselor_id, p.time_zone INTO counselor, zone
    FROM homework_assignments h
    JOIN couples c ON c.id = h.couple_id
    JOIN practices p ON p.id = h.practice_id
    WHERE h.id = NEW.assignment_id;
    IF counselor IS NULL THEN
        RETURN NULL;
    END IF;
    due := haven_notification_morning((now() AT TIME ZONE zone)::date, zone);
    IF due <= now() THEN
        due := haven_notification_morning((now() AT TIME ZONE zone)::date + 1, zone);
    END IF;
    INSERT INTO notification_outbox (practice_id, staff_id, kind, about_time, due_at)
    VALUES (NEW.practice_id, counselor, 'answer-digest', now(), due)
    ON CONFLICT (staff_id) WHERE state = 'pending' AND kind = 'answer-digest' DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_on_answer() FROM PUBLIC;
CREATE TRIGGER homework_responses_notify_counselor AFTER INSERT ON homework_responses
    FOR EACH ROW WHEN (NEW.answered_in_portal) EXECUTE FUNCTION haven_notification_on_answer();

-- How many portal answers on `counselor`'s couples they have not read yet: the digest's one number.
CREATE FUNCTION haven_notification_unread_answers(practice uuid, counselor uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
    SELECT count(*)::integer
    FROM homework_responses r
    JOIN homework_assignments h ON h.id = r.assignment_id
    JOIN couples c ON c.id = h.couple_id
    WHERE r.practice_id = practice AND c.counselor_id = counselor AND r.answered_in_portal
      AND r.counselor_read_at IS NULL
$$;
REVOKE ALL ON FUNCTION haven_notification_unread_answers(uuid, uuid) FROM PUBLIC;

-- Why a due digest must not be sent now, or NULL.
CREATE FUNCTION haven_notification_digest_skip_reason(o notification_outbox, s staff, answers integer) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = public, pg_temp
    AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM notification_opt_outs n
                     WHERE n.practice_id = o.practice_id AND n.kind = o.kind AND n.account_id IS NULL
                       AND (n.staff_id IS NULL OR n.staff_id = o.staff_id))
            THEN 'opted out'
        WHEN NOT s.active OR s.disabled_at IS NOT NULL THEN 'no staff access'
        WHEN answers = 0 THEN 'nothing new'
    END
$$;
REVOKE ALL ON FUNCTION haven_notification_digest_skip_reason(notification_outbox, staff, integer) FROM PUBLIC;

-- 0047's claim, with the staff recipient and the digest's count: a partner's row as before (staff_id and
-- answers NULL); a digest with the staff member's address, no account and no client.
DROP FUNCTION haven_notification_claim(integer);
CREATE FUNCTION haven_notification_claim(lease_seconds integer)
    RETURNS TABLE (id uuid, practice_id uuid, account_id uuid, client_id uuid, kind text, about_time timestamptz,
                   attempts integer, email text, practice_name text, time_zone text, skip_reason text,
                   staff_id uuid, answers integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    o notification_outbox;
    a partner_accounts;
    s staff;
    counted integer;
    address text;
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
    IF o.staff_id IS NOT NULL THEN
        SELECT * INTO s FROM staff t WHERE t.practice_id = o.practice_id AND t.id = o.staff_id;
        counted := haven_notification_unread_answers(o.practice_id, o.staff_id);
        reason := haven_notification_digest_skip_reason(o, s, counted);
        address := s.email;
    ELSE
        SELECT * INTO a FROM partner_accounts p WHERE p.practice_id = o.practice_id AND p.id = o.account_id;
        reason := haven_notification_skip_reason(o, a);
        address := a.email;
    END IF;
    -- A row to skip is claimed too, so no other sender takes it before it is marked.
    UPDATE notification_outbox q
    SET state = 'sending', attempts = q.attempts + 1, lease_until = now() + make_interval(secs => lease_seconds)
    WHERE q.id = o.id;
    RETURN QUERY
    SELECT o.id, o.practice_id, o.account_id, a.client_id, o.kind, o.about_time, o.attempts,
           CASE WHEN reason IS NULL THEN address END, p.name, p.time_zone, reason, o.staff_id, counted
    FROM practices p WHERE p.id = o.practice_id;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_claim(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_notification_claim(integer) TO haven_notify;

-- 0047's finish, auditing a digest with the staff member as its entity and no client.
CREATE OR REPLACE FUNCTION haven_notification_finish(row_id uuid, new_state text, reason text)
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
        'notification.' || new_state,
        CASE WHEN o.staff_id IS NULL THEN 'partner_account' ELSE 'staff' END, coalesce(o.account_id, o.staff_id),
        CASE WHEN client IS NULL THEN '{}'::uuid[] ELSE ARRAY[client] END,
        CASE new_state WHEN 'sent' THEN 'success' WHEN 'skipped' THEN 'denied' ELSE 'failed' END, NULL
    );
    RETURN true;
END
$$;

-- 0047's retry, for a digest that failed while a newer one waits (a partner answered during the send, so
-- the trigger queued another: the index allows one *pending* digest per counselor). Putting it back would
-- break that index; it is finished `skipped` instead, coalesced into the waiting one, which counts the
-- same unread answers when it is sent (audited as every finish is).
CREATE OR REPLACE FUNCTION haven_notification_retry(row_id uuid, reason text, wait_seconds integer)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF wait_seconds IS NULL OR wait_seconds NOT BETWEEN 1 AND 43200 THEN
        RAISE EXCEPTION 'a retry waits 1 second to 12 hours' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM notification_outbox q
               JOIN notification_outbox w ON w.staff_id = q.staff_id AND w.kind = 'answer-digest'
                                         AND w.state = 'pending'
               WHERE q.id = row_id AND q.state = 'sending' AND q.kind = 'answer-digest') THEN
        RETURN haven_notification_finish(row_id, 'skipped', 'coalesced into a newer digest: ' || left(reason, 200));
    END IF;
    UPDATE notification_outbox q
    SET state = 'pending', lease_until = NULL, last_error = left(reason, 300),
        due_at = now() + make_interval(secs => wait_seconds)
    WHERE q.id = row_id AND q.state = 'sending';
    RETURN FOUND;
END
$$;

-- The practice's switches (0047's), now with the staff kinds after the partners'.
CREATE OR REPLACE FUNCTION haven_admin_notification_settings()
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
                           AND n.account_id IS NULL AND n.staff_id IS NULL AND n.kind = k.kind)
    FROM unnest(haven_notification_kinds() || haven_staff_notification_kinds()) WITH ORDINALITY AS k (kind, ord)
    ORDER BY k.ord;
END
$$;

CREATE OR REPLACE FUNCTION haven_admin_set_notification(of_kind text, send boolean) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    action text := CASE WHEN send THEN 'practice.notification.on' ELSE 'practice.notification.off' END;
BEGIN
    IF of_kind IS NULL OR send IS NULL
       OR of_kind <> ALL (haven_notification_kinds() || haven_staff_notification_kinds()) THEN
        RETURN 'unknown-kind';
    END IF;
    IF NOT 'admin' = ANY (ctx.staff_roles) THEN
        PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                                  ctx.request_id, action, 'practice', ctx.practice_id, '{}', 'denied', NULL);
        RETURN 'forbidden';
    END IF;
    IF send THEN
        DELETE FROM notification_opt_outs n
        WHERE n.practice_id = ctx.practice_id AND n.account_id IS NULL AND n.staff_id IS NULL AND n.kind = of_kind;
    ELSE
        INSERT INTO notification_opt_outs (practice_id, account_id, kind) VALUES (ctx.practice_id, NULL, of_kind)
        ON CONFLICT DO NOTHING;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id, action, 'practice', ctx.practice_id, '{}', 'success', NULL);
    RETURN 'saved';
END
$$;

-- A staff member's own settings: per staff kind, whether they turned it off and whether the practice did.
CREATE FUNCTION haven_staff_notification_settings()
    RETURNS TABLE (kind text, staff_off boolean, practice_off boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    RETURN QUERY
    SELECT k.kind,
           EXISTS (SELECT 1 FROM notification_opt_outs n WHERE n.practice_id = ctx.practice_id
                   AND n.staff_id = ctx.staff_id AND n.kind = k.kind),
           EXISTS (SELECT 1 FROM notification_opt_outs n WHERE n.practice_id = ctx.practice_id
                   AND n.account_id IS NULL AND n.staff_id IS NULL AND n.kind = k.kind)
    FROM unnest(haven_staff_notification_kinds()) WITH ORDINALITY AS k (kind, ord)
    ORDER BY k.ord;
END
$$;

-- Turns one staff kind on (`send`) or off for the context's staff member (their own only: the function
-- takes no person), audited staff.notification.on|off. Answers 'saved', or 'unknown-kind'.
CREATE FUNCTION haven_staff_set_notification(of_kind text, send boolean) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
BEGIN
    IF of_kind IS NULL OR send IS NULL OR of_kind <> ALL (haven_staff_notification_kinds()) THEN
        RETURN 'unknown-kind';
    END IF;
    IF send THEN
        DELETE FROM notification_opt_outs n
        WHERE n.practice_id = ctx.practice_id AND n.staff_id = ctx.staff_id AND n.kind = of_kind;
    ELSE
        INSERT INTO notification_opt_outs (practice_id, staff_id, kind) VALUES (ctx.practice_id, ctx.staff_id, of_kind)
        ON CONFLICT DO NOTHING;
    END IF;
    PERFORM haven_audit_write(ctx.practice_id, ctx.staff_id, ctx.staff_roles, ctx.break_glass, ctx.source,
                              ctx.request_id,
                              CASE WHEN send THEN 'staff.notification.on' ELSE 'staff.notification.off' END,
                              'staff', ctx.staff_id, '{}', 'success', NULL);
    RETURN 'saved';
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['haven_staff_notification_settings()', 'haven_staff_set_notification(text, boolean)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO haven_app', f);
    END LOOP;
END
$$;
