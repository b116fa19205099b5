-- A partner's cycle map can be saved partially and filled in over several sessions (#14): each save
-- is a new version carrying the fields given merged over the previous version's; a map's position,
-- like its sealed fields, may still be unknown (NULL) until the counselor records it.
ALTER TABLE cycle_maps ALTER COLUMN position DROP NOT NULL;
