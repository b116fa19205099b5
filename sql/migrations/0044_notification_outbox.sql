-- 0044: the notification outbox (issue #16, step 5; docs/portal.md "Reminders: the outbox"). A row is a
-- message to send later: its recipient (a partner account), its kind, the time it is about (the
-- appointment, the due date) and when to send it. It holds no text and no address: the sender renders
-- the kind's fixed template (HavenMail.NotificationTemplate) at send time and reads the address then, so
-- a later change of address, an opt-out or a revoked account is honoured by a message already queued.
--
-- haven_app has no privilege on the tables: it queues a message only through
-- haven_notification_enqueue, in the same transaction as the cause (so the message exists exactly when
-- its cause committed), and reads nothing back. The sender runs as the owner role (`haven notify run`).

CREATE TABLE notification_outbox (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    practice_id uuid NOT NULL REFERENCES practices (id),
    account_id uuid NOT NULL,
    -- The kinds a cause can queue here. Invitations and sign-in links carry a one-time token that is
    -- stored only as its hash, so they are sent while the token is in hand, not from this table; the
    -- counselor's digest goes to a staff member (a later step).
    kind text NOT NULL CONSTRAINT notification_outbox_kind
        CHECK (kind IN ('homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder')),
    -- The time the message names ("Your appointment is on Tuesday 15 December at 10:00").
    about_time timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    -- pending: waits for due_at; sending: claimed by a sender until lease_until; sent; failed (a
    -- permanent refusal, or the retries used up); uncertain (the sender died or lost the answer after
    -- handing the message over: reported, never resent); skipped (opted out, revoked, no address).
    state text NOT NULL DEFAULT 'pending' CONSTRAINT notification_outbox_state
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
    attempts integer NOT NULL DEFAULT 0 CONSTRAINT notification_outbox_attempts CHECK (attempts BETWEEN 0 AND 6),
    lease_until timestamptz,
    -- Why the last attempt failed, in the transport's words (relay and reply code; never an address).
    last_error text CONSTRAINT notification_outbox_error_length CHECK (length(last_error) <= 300),
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CONSTRAINT notification_outbox_lease CHECK ((state = 'sending') = (lease_until IS NOT NULL)),
    CONSTRAINT notification_outbox_finished CHECK ((state IN ('pending', 'sending')) = (finished_at IS NULL)),
    FOREIGN KEY (practice_id, account_id) REFERENCES partner_accounts (practice_id, id)
);
CREATE INDEX notification_outbox_due ON notification_outbox (due_at) WHERE state = 'pending';
CREATE INDEX notification_outbox_leased ON notification_outbox (lease_until) WHERE state = 'sending';
CREATE INDEX notification_outbox_account ON notification_outbox (account_id);

-- Opt-outs: a partner's (account_id set) or the practice's for everyone (account_id NULL), per kind.
CREATE TABLE notification_opt_outs (
    practice_id uuid NOT NULL REFERENCES practices (id),
    account_id uuid,
    kind text NOT NULL CONSTRAINT notification_opt_outs_kind
        CHECK (kind IN ('homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder')),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, account_id) REFERENCES partner_accounts (practice_id, id)
);
CREATE UNIQUE INDEX notification_opt_outs_one
    ON notification_opt_outs (practice_id, coalesce(account_id, '00000000-0000-0000-0000-000000000000'::uuid), kind);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notification_outbox', 'notification_opt_outs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', t || '_owner', t);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    END LOOP;
END
$$;

-- Queues a message of `kind` about `about` for `client`'s portal account, to be sent at `due`, in the
-- calling staff context's practice and transaction. Returns the row's id, or NULL when the client has
-- no portal account (nothing to send). Refuses a kind it does not know and a context without a staff
-- member; the client must be of the context's practice (the account is looked up there only).
CREATE FUNCTION haven_notification_enqueue(client uuid, kind text, about timestamptz, due timestamptz)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    account uuid;
    queued uuid;
BEGIN
    IF kind IS NULL OR kind NOT IN ('homework-due', 'homework-overdue', 'measure-due', 'appointment-reminder')
       OR about IS NULL OR due IS NULL THEN
        RAISE EXCEPTION 'not a notification kind this outbox sends' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT a.id INTO account FROM partner_accounts a
    WHERE a.practice_id = ctx.practice_id AND a.client_id = client AND a.disabled_at IS NULL;
    IF account IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO notification_outbox (practice_id, account_id, kind, about_time, due_at)
    VALUES (ctx.practice_id, account, kind, about, due)
    RETURNING id INTO queued;
    RETURN queued;
END
$$;
REVOKE ALL ON FUNCTION haven_notification_enqueue(uuid, text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_notification_enqueue(uuid, text, timestamptz, timestamptz) TO haven_app;
