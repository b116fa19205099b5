-- 0070: an audit entry's writer runs with its caller's rights (#17).
--
-- haven_audit_write (and its older twelve-argument form, which calls it with no partner) appends one
-- chained entry. Both were SECURITY DEFINER functions with their own SET search_path, which PostgreSQL
-- pays for on every call (the path saved, set and restored, its schemas looked up again: ~15 µs a call,
-- migration 0069), and every audited request calls one or both. Neither is granted to haven_app: they
-- are called only by SECURITY DEFINER functions of the owner (haven_audit_append, the admin and portal
-- functions) and by haven_admin_audit, itself not executable by haven_app and called only from such
-- functions, so every caller already holds the owner's rights and the entry is written with them as
-- before. Every table and function in the bodies is schema-qualified, so what they mean does not
-- depend on the caller's search_path. Same entries, same chain.

CREATE OR REPLACE FUNCTION haven_audit_write(
    practice uuid, staff uuid, roles text[], break_glass boolean, source text, request_id text, action text,
    entity_type text, entity uuid, clients uuid[], outcome text, digest bytea
) RETURNS TABLE(seq bigint, hash bytea)
    LANGUAGE plpgsql
    AS $$
BEGIN
    RETURN QUERY SELECT * FROM public.haven_audit_write(practice, staff, roles, break_glass, source, request_id,
                                                        action, entity_type, entity, clients, outcome, digest,
                                                        NULL::uuid);
END
$$;

CREATE OR REPLACE FUNCTION haven_audit_write(
    practice uuid, staff uuid, roles text[], break_glass boolean, source text, request_id text, action text,
    entity_type text, entity uuid, clients uuid[], outcome text, digest bytea, partner uuid
) RETURNS TABLE(seq bigint, hash bytea)
    LANGUAGE plpgsql
    AS $$
DECLARE
    pending boolean := false;
    next_seq bigint;
    previous bytea;
    occurred timestamptz := pg_catalog.clock_timestamp();
    link bytea;
BEGIN
    IF NOT pg_catalog.pg_try_advisory_xact_lock(7, pg_catalog.hashtext(practice::text)) THEN
        IF NOT EXISTS (SELECT 1 FROM public.audit_log a WHERE a.practice_id = practice AND a.seq IS NULL
                       AND a.occurred_at < occurred - public.haven_audit_pending_window()) THEN
            pending := true;
        ELSE
            PERFORM pg_catalog.pg_advisory_xact_lock(7, pg_catalog.hashtext(practice::text));
        END IF;
    END IF;
    IF NOT pending THEN
        IF EXISTS (SELECT 1 FROM public.audit_log a WHERE a.practice_id = practice AND a.seq IS NULL) THEN
            SELECT c.seq, c.hash INTO next_seq, previous FROM public.haven_audit_chain_locked(practice) c;
        ELSE
            -- Nothing pending (the usual case): the head alone, as before 0063.
            SELECT a.seq, a.hash INTO next_seq, previous FROM public.audit_log a
            WHERE a.practice_id = practice AND a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
            next_seq := coalesce(next_seq, 0);
            previous := coalesce(previous, public.haven_audit_genesis());
        END IF;
        next_seq := next_seq + 1;
        link := pg_catalog.sha256(previous || pg_catalog.int8send(next_seq) || public.haven_audit_canonical(
            practice, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome, source,
            request_id, digest, partner
        ));
    END IF;
    INSERT INTO public.audit_log (practice_id, seq, occurred_at, staff_id, staff_roles, break_glass, action,
                                  entity_type, entity_id, client_ids, outcome, source, request_id, digest,
                                  previous_hash, hash, partner_client_id)
    VALUES (practice, next_seq, occurred, staff, roles, break_glass, action, entity_type, entity, clients, outcome,
            source, request_id, digest, previous, link, partner);
    RETURN QUERY SELECT next_seq, link;
END
$$;
