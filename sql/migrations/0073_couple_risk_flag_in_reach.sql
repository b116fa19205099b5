-- 0073: a couple's high-risk flag is told only within reach of the chart.
--
-- haven_couple_high_risk(couple) and haven_couple_open_risk_note(couple), both SECURITY DEFINER and
-- executable by haven_app, took the practice from the context and checked nothing else (since 0032):
-- any staff context of the practice -- a counselor outside the chart, an admin, a session still owing
-- its second factor -- could learn with raw SQL whether any couple of the practice had an open
-- high-risk flag, and the id of the note that opened it (couple ids are in the practice's audit log,
-- which every staff context reads). The flag is the chart's clinical data: risk_flag_closures and the
-- notes themselves are caseload data.
--
-- Now both answer only for a couple in the caller's caseload (their own or a supervisee's) or under
-- a break-glass grant on it; the yes-or-no also for the calendar (a front-desk context), whose booking
-- gate needs it (a conjoint session of a flagged couple must be booked by its counselor; the refusal
-- says so, not why). Out of reach, the flag reads false and the note NULL, as for a couple that does
-- not exist. Every caller in the service asks about couples in its reach (the caseload, the day's view,
-- homework, reports, closing a flag, booking), so no answer changes for them; the portal and the
-- outbox call the practice forms (_in), which haven_app cannot execute.

-- Whether the context reaches the couple's flag: the reach of the couples table's own policies
-- (couples_caseload, couples_break_glass), which these SECURITY DEFINER callers do not pass through,
-- and the calendar when asked. Every name qualified and no SET clause (it runs inside its callers' SET
-- search_path); not executable by haven_app. Costs ~27 us a call (a couple's flag 49 -> 76 us; reading
-- the context row once through haven_context() instead was no faster).
CREATE FUNCTION haven_couple_risk_in_reach(couple uuid, with_calendar boolean) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT EXISTS (
            SELECT 1 FROM public.couples c
            WHERE c.id = couple AND c.practice_id = public.haven_current_practice()
              AND (c.counselor_id = ANY (public.haven_current_caseload())
                   OR ('couple:' OPERATOR(pg_catalog.||) c.id::text) = ANY (public.haven_current_break_glass())
                   OR (with_calendar AND public.haven_current_calendar()))
        )
    $$;
REVOKE ALL ON FUNCTION haven_couple_risk_in_reach(uuid, boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION haven_couple_high_risk(couple uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT haven_couple_risk_in_reach(couple, true) THEN
        RETURN false;
    END IF;
    RETURN haven_couple_open_risk_note_in(haven_current_practice(), couple) IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION haven_couple_open_risk_note(couple uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT haven_couple_risk_in_reach(couple, false) THEN
        RETURN NULL;
    END IF;
    RETURN haven_couple_open_risk_note_in(haven_current_practice(), couple);
END
$$;
