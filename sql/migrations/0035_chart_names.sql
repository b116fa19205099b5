-- 0035: one place that names a chart for a list: the preferred (else legal) names of a couple's two
-- partners, or of an individual client. Security invoker, so row-level security applies: a chart out
-- of the caller's reach yields an empty array, never a name.

CREATE FUNCTION haven_chart_names(kind text, chart uuid) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
        SELECT coalesce(CASE kind
            WHEN 'couple' THEN (
                SELECT array_remove(ARRAY[coalesce(a.preferred_name, a.legal_name), coalesce(b.preferred_name, b.legal_name)], NULL)
                FROM couples c
                LEFT JOIN clients a ON a.id = c.partner_a_id
                LEFT JOIN clients b ON b.id = c.partner_b_id
                WHERE c.id = chart
            )
            WHEN 'client' THEN (SELECT ARRAY[coalesce(preferred_name, legal_name)] FROM clients WHERE id = chart)
        END, '{}')
    $$;

REVOKE ALL ON FUNCTION haven_chart_names(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION haven_chart_names(text, uuid) TO haven_app;
