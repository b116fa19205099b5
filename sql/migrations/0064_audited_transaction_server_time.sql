-- 0064: less server time in every audited transaction (#17), found with pg_stat_statements.
--
-- A profile of `HavenBench note-read` (pg_stat_statements with track = all, so the statements inside
-- the functions are counted too) showed where a read's ~0.8 ms on the server went besides its own
-- work: every reader of the context (haven_current_practice() and its siblings, ~9 calls per read:
-- one per policy and table the read touches) took 27 µs, of which ~18 µs was parsing and planning
-- haven_context_in_time() again on every call. A SQL function with a SET clause is never inlined, and
-- a SQL function that is not inlined is planned afresh for each statement that calls it. The audit
-- entry's canonical form (haven_audit_canonical) ran as a full statement each time (44 µs) because its
-- list of client ids was built by a subquery, which keeps PL/pgSQL from evaluating it as a simple
-- expression.
--
-- Same results, same privileges; only how they are computed changes:
-- - haven_context_in_time() is inlined into each reader: no SET clause, every name in its body
--   qualified with pg_catalog, so the caller's search_path cannot change what it means.
-- - haven_audit_uuids() gives the client ids' 16-byte forms, concatenated in array order, without a
--   subquery (the text form of a uuid is its 16 bytes in hex, with dashes), and both canonical forms
--   use it; NULL elements are skipped, as string_agg skipped them.
-- - haven_audit_genesis() is the one place of the first entry's previous hash (it stood as a literal in
--   each chaining function), and haven_audit_write() writes a pending and a chained entry with one
--   INSERT (the chain's columns NULL when pending).

CREATE OR REPLACE FUNCTION haven_context_in_time(valid_until timestamptz) RETURNS boolean
    LANGUAGE sql VOLATILE
    AS $$
    SELECT valid_until IS NULL OR pg_catalog.clock_timestamp() OPERATOR(pg_catalog.<) valid_until
$$;

-- The client ids of an entry as the canonical form covers them: each id's 16 bytes, in array order.
CREATE FUNCTION haven_audit_uuids(clients uuid[]) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$
    SELECT pg_catalog.decode(pg_catalog.replace(pg_catalog.array_to_string(clients, ''), '-', ''), 'hex')
$$;

-- The previous hash of a practice's first entry: 32 zero bytes. (Bytes are written with decode rather
-- than as '\x..' literals, which a session with standard_conforming_strings off would read as escapes.)
CREATE FUNCTION haven_audit_genesis() RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex') $$;

CREATE OR REPLACE FUNCTION haven_audit_canonical(
    practice uuid, occurred timestamptz, staff uuid, roles text[], break_glass boolean, action text,
    entity_type text, entity uuid, clients uuid[], outcome text, source text, request_id text, digest bytea
) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
    RETURN convert_to(CASE WHEN digest IS NULL THEN 'haven-audit-v1' ELSE 'haven-audit-v2' END, 'UTF8')
        || haven_audit_field(uuid_send(practice))
        || haven_audit_field(timestamptz_send(occurred))
        || haven_audit_field(coalesce(uuid_send(staff), ''::bytea))
        || haven_audit_field(convert_to(array_to_string(roles, ','), 'UTF8'))
        || haven_audit_field(decode(CASE WHEN break_glass THEN '01' ELSE '00' END, 'hex'))
        || haven_audit_field(convert_to(action, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(entity_type, ''), 'UTF8'))
        || haven_audit_field(coalesce(uuid_send(entity), ''::bytea))
        || haven_audit_field(coalesce(haven_audit_uuids(clients), ''::bytea))
        || haven_audit_field(convert_to(outcome, 'UTF8'))
        || haven_audit_field(convert_to(source, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(request_id, ''), 'UTF8'))
        || coalesce(haven_audit_field(digest), ''::bytea);
END
$$;

CREATE OR REPLACE FUNCTION haven_audit_canonical(
    practice uuid, occurred timestamptz, staff uuid, roles text[], break_glass boolean, action text,
    entity_type text, entity uuid, clients uuid[], outcome text, source text, request_id text, digest bytea,
    partner uuid
) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
    IF partner IS NULL THEN
        RETURN haven_audit_canonical(practice, occurred, staff, roles, break_glass, action, entity_type, entity,
                                     clients, outcome, source, request_id, digest);
    END IF;
    RETURN convert_to('haven-audit-v3', 'UTF8')
        || haven_audit_field(uuid_send(practice))
        || haven_audit_field(timestamptz_send(occurred))
        || haven_audit_field(coalesce(uuid_send(staff), ''::bytea))
        || haven_audit_field(convert_to(array_to_string(roles, ','), 'UTF8'))
        || haven_audit_field(decode(CASE WHEN break_glass THEN '01' ELSE '00' END, 'hex'))
        || haven_audit_field(convert_to(action, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(entity_type, ''), 'UTF8'))
        || haven_audit_field(coalesce(uuid_send(entity), ''::bytea))
        || haven_audit_field(coalesce(haven_audit_uuids(clients), ''::bytea))
        || haven_audit_field(convert_to(outcome, 'UTF8'))
        || haven_audit_field(convert_to(source, 'UTF8'))
        || haven_audit_field(convert_to(coalesce(request_id, ''), 'UTF8'))
        || haven_audit_field(coalesce(digest, ''::bytea))
        || haven_audit_field(uuid_send(partner));
END
$$;

-- 0063's, with the genesis hash from its function.
CREATE OR REPLACE FUNCTION haven_audit_chain_locked(practice uuid) RETURNS TABLE (seq bigint, hash bytea)
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
    head_hash := coalesce(head_hash, haven_audit_genesis());
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

-- 0063's, with one INSERT for both kinds of entry: a pending one has no seq and no hashes.
CREATE OR REPLACE FUNCTION haven_audit_write(
    practice uuid, staff uuid, roles text[], break_glass boolean, source text, request_id text,
    action text, entity_type text, entity uuid, clients uuid[], outcome text, digest bytea, partner uuid
) RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    pending boolean := false;
    next_seq bigint;
    previous bytea;
    occurred timestamptz := clock_timestamp();
    link bytea;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7, hashtext(practice::text)) THEN
        IF NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.practice_id = practice AND a.seq IS NULL
                       AND a.occurred_at < occurred - haven_audit_pending_window()) THEN
            pending := true;
        ELSE
            PERFORM pg_advisory_xact_lock(7, hashtext(practice::text));
        END IF;
    END IF;
    IF NOT pending THEN
        IF EXISTS (SELECT 1 FROM audit_log a WHERE a.practice_id = practice AND a.seq IS NULL) THEN
            SELECT c.seq, c.hash INTO next_seq, previous FROM haven_audit_chain_locked(practice) c;
        ELSE
            -- Nothing pending (the usual case): the head alone, as before 0063.
            SELECT a.seq, a.hash INTO next_seq, previous FROM audit_log a
            WHERE a.practice_id = practice AND a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
            next_seq := coalesce(next_seq, 0);
            previous := coalesce(previous, haven_audit_genesis());
        END IF;
        next_seq := next_seq + 1;
        link := sha256(previous || int8send(next_seq) || haven_audit_canonical(
            practice, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome, source,
            request_id, digest, partner
        ));
    END IF;
    INSERT INTO audit_log (practice_id, seq, occurred_at, staff_id, staff_roles, break_glass, action, entity_type,
                           entity_id, client_ids, outcome, source, request_id, digest, previous_hash, hash,
                           partner_client_id)
    VALUES (practice, next_seq, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome,
            source, request_id, digest, previous, link, partner);
    RETURN QUERY SELECT next_seq, link;
END
$$;
