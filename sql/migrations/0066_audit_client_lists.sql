-- 0066: an audit entry's client list is a plain list of ids (review 14 of #17).
--
-- The canonical form the chain hashes covers each client id's 16 bytes in order; it says nothing of
-- NULL elements or of an array's shape. Someone holding the haven_app password could append, through
-- haven_audit_append, an entry whose list held a NULL or was two-dimensional (its hash skipped what the
-- bytes could not say), and then `haven audit verify` and `haven audit list` stopped at that entry,
-- unable to read the list back ("unexpected NULL in column client_ids"). The database now refuses
-- such a list: one dimension, numbered from 1, no NULL (or empty).

-- (A CASE, so that array_position, which refuses a multidimensional array with an error of its own,
-- runs only on a one-dimensional one.)
ALTER TABLE audit_log ADD CONSTRAINT audit_log_client_list CHECK (
    CASE WHEN cardinality(client_ids) = 0 THEN true
         WHEN array_ndims(client_ids) <> 1 OR array_lower(client_ids, 1) <> 1 THEN false
         ELSE array_position(client_ids, NULL) IS NULL
    END
);
