-- 0008: a guard the service sends in the same round trip as a write: it fails the transaction if a
-- data key the write used has been shredded meanwhile (another process may still have it cached),
-- and holds the keys' rows against a concurrent shred until the transaction ends.

CREATE FUNCTION haven_require_live_keys(key_ids uuid[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM 1 FROM data_keys WHERE id = ANY(key_ids) FOR SHARE;
    IF EXISTS (SELECT 1 FROM data_keys WHERE id = ANY(key_ids) AND state = 'shredded') THEN
        RAISE EXCEPTION 'a data key used by this write was shredded'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'data_keys_not_shredded';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION haven_require_live_keys(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_require_live_keys(uuid[]) TO haven_app;
