-- 0024: a chart's lists refuse a chart out of the actor's reach instead of answering an empty list.
--
-- Runs as the caller (SECURITY INVOKER), so row-level security decides what "in reach" means: the
-- caseload, supervision and break-glass policies of couples and clients. The service turns the
-- error into "not found" and audits the attempt as denied.
CREATE FUNCTION haven_require_chart(kind text, chart uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
    IF (kind = 'couple' AND NOT EXISTS (SELECT 1 FROM couples WHERE id = chart))
        OR (kind = 'client' AND NOT EXISTS (SELECT 1 FROM clients WHERE id = chart))
        OR kind NOT IN ('couple', 'client')
    THEN
        RAISE EXCEPTION 'chart not in reach' USING ERRCODE = 'P0002';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION haven_require_chart(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_require_chart(text, uuid) TO haven_app;
