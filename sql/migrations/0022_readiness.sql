-- 0022: `haven serve`'s readiness check runs as haven_app and must see which migrations are applied
-- (versions, names and checksums only; nothing clinical).
GRANT SELECT ON schema_migrations TO haven_app;
