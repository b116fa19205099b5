-- 0030: scheduling integrity. A therapy session records its type (assessment, conjoint, individual,
-- intake, follow-up) and, optionally, the service code it is billed under (a CPT or HCPCS code such as
-- 90847, with up to two two-character modifiers: 90837-95). A counselor cannot be booked twice for the
-- same time: a session that holds its slot (any status but cancelled and late-cancelled) may not
-- overlap another of the same counselor unless it was booked as a deliberate overlap.
--
-- Existing sessions become conjoint (couple charts) or individual (client charts), the same default
-- the service applies when a request names no type. Existing overlaps are kept, marked deliberate.

ALTER TABLE therapy_sessions
    ADD COLUMN session_type text,
    ADD COLUMN service_code text,
    ADD COLUMN overlap_allowed boolean NOT NULL DEFAULT false;

UPDATE therapy_sessions
SET session_type = CASE WHEN couple_id IS NOT NULL THEN 'conjoint' ELSE 'individual' END;

UPDATE therapy_sessions s SET overlap_allowed = true
WHERE s.status NOT IN ('cancelled', 'late_cancelled') AND EXISTS (
    SELECT 1 FROM therapy_sessions o
    WHERE o.practice_id = s.practice_id AND o.counselor_id = s.counselor_id AND o.id <> s.id
      AND o.status NOT IN ('cancelled', 'late_cancelled')
      AND o.scheduled_start < s.scheduled_start + make_interval(mins => s.duration_minutes)
      AND s.scheduled_start < o.scheduled_start + make_interval(mins => o.duration_minutes)
);

ALTER TABLE therapy_sessions
    ALTER COLUMN session_type SET NOT NULL,
    ADD CONSTRAINT therapy_sessions_type
        CHECK (session_type IN ('assessment', 'conjoint', 'individual', 'intake', 'follow_up')),
    -- A conjoint session is a couple's; an individual session is one client's.
    ADD CONSTRAINT therapy_sessions_type_fits_chart
        CHECK ((session_type <> 'conjoint' OR couple_id IS NOT NULL)
               AND (session_type <> 'individual' OR client_id IS NOT NULL)),
    ADD CONSTRAINT therapy_sessions_service_code
        CHECK (service_code ~ '^[0-9A-Z]{5}(-[0-9A-Z]{2}){0,2}$');

-- A session written without a type gets the default the service applies: conjoint for a couple,
-- individual for a client.
CREATE FUNCTION haven_session_default_type() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.session_type IS NULL THEN
        NEW.session_type := CASE WHEN NEW.couple_id IS NOT NULL THEN 'conjoint' ELSE 'individual' END;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER therapy_sessions_default_type
    BEFORE INSERT ON therapy_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_session_default_type();

-- The sessions of `counselor` other than `except_session` that hold their slot and overlap
-- [start, start + minutes). Takes the counselor's booking lock first (held to the end of the
-- transaction), so two bookings of one counselor take turns and the second sees the first.
-- Answers only for a counselor in the caller's caseload, and only times: no chart, no clinical content.
CREATE FUNCTION haven_counselor_conflicts(counselor uuid, start timestamptz, minutes integer, except_session uuid)
    RETURNS TABLE (id uuid, scheduled_start timestamptz, duration_minutes integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT counselor = ANY (haven_current_caseload()) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(30, hashtext(counselor::text));
    RETURN QUERY
        SELECT s.id, s.scheduled_start, s.duration_minutes FROM therapy_sessions s
        WHERE s.practice_id = haven_current_practice() AND s.counselor_id = counselor
          AND s.id IS DISTINCT FROM except_session
          AND s.status NOT IN ('cancelled', 'late_cancelled')
          AND s.scheduled_start < start + make_interval(mins => minutes)
          AND start < s.scheduled_start + make_interval(mins => s.duration_minutes)
        ORDER BY s.scheduled_start, s.id;
END
$$;
REVOKE ALL ON FUNCTION haven_counselor_conflicts(uuid, timestamptz, integer, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_counselor_conflicts(uuid, timestamptz, integer, uuid) TO haven_app;

-- The sessions, with any counselor, of the given clients (in their own charts or their couples')
-- other than `except_session` that hold their slot and overlap [start, start + minutes): the warning
-- a booking carries. Only for clients in the caller's caseload, and only times.
CREATE FUNCTION haven_client_overlaps(clients uuid[], start timestamptz, minutes integer, except_session uuid)
    RETURNS TABLE (id uuid, scheduled_start timestamptz, duration_minutes integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    reachable uuid[];
BEGIN
    SELECT coalesce(array_agg(c), '{}') INTO reachable FROM unnest(clients) AS c WHERE haven_client_in_caseload(c);
    RETURN QUERY
        SELECT s.id, s.scheduled_start, s.duration_minutes FROM therapy_sessions s
        WHERE s.practice_id = haven_current_practice()
          AND s.id IS DISTINCT FROM except_session
          AND s.status NOT IN ('cancelled', 'late_cancelled')
          AND (s.client_id = ANY (reachable) OR s.couple_id IN (
              SELECT c.id FROM couples c
              WHERE c.practice_id = s.practice_id AND (c.partner_a_id = ANY (reachable) OR c.partner_b_id = ANY (reachable))
          ))
          AND s.scheduled_start < start + make_interval(mins => minutes)
          AND start < s.scheduled_start + make_interval(mins => s.duration_minutes)
        ORDER BY s.scheduled_start, s.id;
END
$$;
REVOKE ALL ON FUNCTION haven_client_overlaps(uuid[], timestamptz, integer, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_client_overlaps(uuid[], timestamptz, integer, uuid) TO haven_app;

-- The invariant, whoever writes: a session that takes a slot (a new one, or one whose time, counselor
-- or status changes so that it now holds a slot it did not) must not overlap another slot-holding
-- session of its counselor, unless it is a deliberate overlap. The counselor's booking lock makes two
-- concurrent writers take turns (each statement of this function sees what the other committed).
CREATE FUNCTION haven_session_slot_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    conflict record;
BEGIN
    IF NEW.status IN ('cancelled', 'late_cancelled') OR NEW.overlap_allowed THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status NOT IN ('cancelled', 'late_cancelled')
       AND OLD.scheduled_start = NEW.scheduled_start AND OLD.duration_minutes = NEW.duration_minutes
       AND OLD.counselor_id = NEW.counselor_id THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(30, hashtext(NEW.counselor_id::text));
    SELECT s.id, s.scheduled_start INTO conflict FROM therapy_sessions s
    WHERE s.practice_id = NEW.practice_id AND s.counselor_id = NEW.counselor_id AND s.id <> NEW.id
      AND s.status NOT IN ('cancelled', 'late_cancelled')
      AND s.scheduled_start < NEW.scheduled_start + make_interval(mins => NEW.duration_minutes)
      AND NEW.scheduled_start < s.scheduled_start + make_interval(mins => s.duration_minutes)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the counselor already has a session at that time'
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'therapy_sessions_counselor_slot',
                  DETAIL = 'session ' || conflict.id::text || ' at ' || conflict.scheduled_start::text;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION haven_session_slot_guard() FROM PUBLIC;

CREATE TRIGGER therapy_sessions_counselor_slot
    BEFORE INSERT OR UPDATE OF scheduled_start, duration_minutes, counselor_id, status, overlap_allowed
    ON therapy_sessions
    FOR EACH ROW EXECUTE FUNCTION haven_session_slot_guard();
