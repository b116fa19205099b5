-- 0063: audit appends no longer queue a practice behind one lock through each commit (#17).
--
-- Until now every append took the practice's chain lock (advisory lock 7) and held it until its
-- transaction committed, so one practice's audited requests took turns through each durable commit.
-- Now an append that finds the lock free works as before: it chains whatever is pending and its own
-- entry, and holds the lock to its commit. An append that finds the lock taken does not wait: its entry
-- is written *pending* (no seq, no hashes) in the caller's transaction, durable with it, and a later
-- holder of the lock chains it in commit order: the next append that finds the lock free, `haven
-- serve`'s chaining pass (every second while entries are pending), or `haven audit verify` /
-- `checkpoint`, which chain before they walk. An acknowledged request still has its durable entry.
--
-- The window is bounded: once a practice's oldest pending entry is older than
-- `haven_audit_pending_window()` (1 second), appends wait for the lock as before 0063 (and the holder
-- chains the backlog), so under a load the chaining cannot keep up with, the practice queues again
-- rather than pending entries piling up (docs/security.md, "Chaining in commit order").
--
-- Sign-in checks (0046, 0062) keep taking the same lock blocking, to count tries one at a time; their
-- own entries then find it held by their own transaction and chain at once.

ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
-- Insertion order, which orders pending entries for chaining (a chained entry's place is its seq).
ALTER TABLE audit_log ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_practice_seq UNIQUE (practice_id, seq);
ALTER TABLE audit_log
    ALTER COLUMN seq DROP NOT NULL,
    ALTER COLUMN previous_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD CONSTRAINT audit_log_chained_whole CHECK ((seq IS NULL) = (previous_hash IS NULL) AND (seq IS NULL) = (hash IS NULL));
-- Pending entries by age: the window's check is one probe, and the chaining order is by time.
CREATE INDEX audit_log_pending ON audit_log (practice_id, occurred_at) WHERE seq IS NULL;

-- How long an entry may stay pending before appends wait for the chain lock again.
CREATE FUNCTION haven_audit_pending_window() RETURNS interval
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT interval '1 second' $$;

-- Append-only, but for one change: a pending entry receives its place in the chain, nothing else.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    unchanged audit_log;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL THEN
        unchanged := NEW;
        unchanged.seq := NULL;
        unchanged.previous_hash := NULL;
        unchanged.hash := NULL;
        IF unchanged IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Chains a practice's pending entries after its head, oldest first (by time, then insertion), and
-- returns the new head (0 and 32 zero bytes for an empty chain). The caller holds the practice's chain
-- lock. The links are computed in a loop and written by one UPDATE (a statement per entry cost about a
-- third more).
CREATE FUNCTION haven_audit_chain_locked(practice uuid) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    head_seq bigint;
    head_hash bytea;
    ids bigint[];
    canonical bytea[];
    seqs bigint[];
    previous bytea[];
    links bytea[];
BEGIN
    SELECT a.seq, a.hash INTO head_seq, head_hash FROM audit_log a
    WHERE a.practice_id = haven_audit_chain_locked.practice AND a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    SELECT array_agg(p.id ORDER BY p.occurred_at, p.id), array_agg(p.canonical ORDER BY p.occurred_at, p.id)
    INTO ids, canonical
    FROM (SELECT a.id, a.occurred_at,
                 haven_audit_canonical(a.practice_id, a.occurred_at, a.staff_id, a.staff_roles, a.break_glass,
                                       a.action, a.entity_type, a.entity_id, a.client_ids, a.outcome, a.source,
                                       a.request_id, a.digest, a.partner_client_id) AS canonical
          FROM audit_log a WHERE a.practice_id = haven_audit_chain_locked.practice AND a.seq IS NULL) p;
    IF ids IS NOT NULL THEN
        FOR i IN 1 .. cardinality(ids) LOOP
            head_seq := head_seq + 1;
            seqs[i] := head_seq;
            previous[i] := head_hash;
            head_hash := sha256(head_hash || int8send(head_seq) || canonical[i]);
            links[i] := head_hash;
        END LOOP;
        UPDATE audit_log a SET seq = u.seq, previous_hash = u.previous, hash = u.link
        FROM unnest(ids, seqs, previous, links) AS u (id, seq, previous, link)
        WHERE a.id = u.id;
    END IF;
    RETURN QUERY SELECT head_seq, head_hash;
END
$$;
REVOKE ALL ON FUNCTION haven_audit_chain_locked(uuid) FROM PUBLIC;

-- Appends one entry for an explicit actor (internal): chained at once when the practice's chain lock is
-- free (or already this transaction's), else pending, and then `seq` and `hash` are NULL. When the
-- practice's oldest pending entry is older than the window, it waits for the lock and chains.
CREATE OR REPLACE FUNCTION haven_audit_write(
    practice uuid, staff uuid, roles text[], break_glass boolean, source text, request_id text,
    action text, entity_type text, entity uuid, clients uuid[], outcome text, digest bytea, partner uuid
) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    next_seq bigint;
    previous bytea;
    occurred timestamptz := clock_timestamp();
    link bytea;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7, hashtext(practice::text)) THEN
        IF NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.practice_id = practice AND a.seq IS NULL
                       AND a.occurred_at < occurred - haven_audit_pending_window()) THEN
            INSERT INTO audit_log (practice_id, occurred_at, staff_id, staff_roles, break_glass, action, entity_type,
                                   entity_id, client_ids, outcome, source, request_id, digest, partner_client_id)
            VALUES (practice, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome,
                    source, request_id, digest, partner);
            RETURN QUERY SELECT NULL::bigint, NULL::bytea;
            RETURN;
        END IF;
        PERFORM pg_advisory_xact_lock(7, hashtext(practice::text));
    END IF;
    IF EXISTS (SELECT 1 FROM audit_log a WHERE a.practice_id = practice AND a.seq IS NULL) THEN
        SELECT c.seq, c.hash INTO next_seq, previous FROM haven_audit_chain_locked(practice) c;
    ELSE
        -- Nothing pending (the usual case): the head alone, as before 0063.
        SELECT a.seq, a.hash INTO next_seq, previous FROM audit_log a
        WHERE a.practice_id = practice AND a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
        next_seq := coalesce(next_seq, 0);
        previous := coalesce(previous, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    END IF;
    next_seq := next_seq + 1;
    link := sha256(previous || int8send(next_seq) || haven_audit_canonical(
        practice, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome, source, request_id,
        digest, partner
    ));
    INSERT INTO audit_log (practice_id, seq, occurred_at, staff_id, staff_roles, break_glass, action, entity_type,
                           entity_id, client_ids, outcome, source, request_id, digest, previous_hash, hash,
                           partner_client_id)
    VALUES (practice, next_seq, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome,
            source, request_id, digest, previous, link, partner);
    RETURN QUERY SELECT next_seq, link;
END
$$;

-- Chains a practice's pending entries: waiting for the chain lock when `wait` (before a verification:
-- afterwards nothing committed is left pending), else only when the lock is free. Any role that may
-- append may call it: it changes no entry's content and answers nothing (a count would tell a caller
-- about another practice's activity). READ COMMITTED only: an older snapshot could see an older head
-- (the unique place would refuse the chain, but as a puzzling error).
CREATE FUNCTION haven_audit_chain(practice uuid, wait boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit entries are chained under READ COMMITTED only'
            USING ERRCODE = 'invalid_transaction_state';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.practice_id = practice AND a.seq IS NULL) THEN
        RETURN;
    END IF;
    IF wait THEN
        PERFORM pg_advisory_xact_lock(7, hashtext(practice::text));
    ELSIF NOT pg_try_advisory_xact_lock(7, hashtext(practice::text)) THEN
        RETURN;
    END IF;
    PERFORM haven_audit_chain_locked(practice);
END
$$;
REVOKE ALL ON FUNCTION haven_audit_chain(uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_audit_chain(uuid, boolean) TO haven_app;

-- `haven serve`'s pass: every practice with pending entries whose lock is free.
CREATE FUNCTION haven_audit_chain_pending() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    practice uuid;
BEGIN
    FOR practice IN SELECT DISTINCT a.practice_id FROM audit_log a WHERE a.seq IS NULL LOOP
        PERFORM haven_audit_chain(practice, false);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION haven_audit_chain_pending() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_audit_chain_pending() TO haven_app;
