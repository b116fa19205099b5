-- 0048: the practice's safety page (issue #16, docs/portal.md "Safety"): plain text that a practice's
-- admin writes (emergency numbers, crisis lines, what to do when at risk) and that the portal shows
-- both partners of a couple whose chart is in safety mode, at /portal/safety. NULL: the portal shows
-- its default text, which tells the practice to replace it. The text is the practice's, not clinical:
-- it is not sealed. haven_app reads it with the practice row (the staff and partner policies on
-- practices) and writes it only through the admin function below.
ALTER TABLE practices ADD COLUMN safety_page text
    CONSTRAINT practices_safety_page_length CHECK (length(safety_page) BETWEEN 1 AND 8000);

-- Sets the practice's safety page (blank clears it: the default text shows again). An admin only,
-- audited practice.safety_page.set (a refusal too). Answers 'done', 'forbidden' or 'invalid' (longer
-- than 8000 characters).
CREATE FUNCTION haven_admin_practice_set_safety_page(page text) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    ctx request_contexts := haven_context_staff();
    result text := haven_admin_refusal(ctx, NULL);
    cleaned text := nullif(btrim(page), '');
BEGIN
    IF result IS NULL AND length(cleaned) > 8000 THEN
        result := 'invalid';
    END IF;
    IF result IS NULL THEN
        UPDATE practices SET safety_page = cleaned WHERE id = ctx.practice_id;
        result := 'done';
    END IF;
    PERFORM haven_admin_audit(ctx, 'practice.safety_page.set', 'practice', ctx.practice_id,
                              CASE WHEN result = 'done' THEN 'success' ELSE 'denied' END);
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION haven_admin_practice_set_safety_page(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_admin_practice_set_safety_page(text) TO haven_app;
