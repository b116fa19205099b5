#!/usr/bin/env bash
# The #17 executor prototype (a measurement, not Haven code): builds it (release), starts a private
# PostgreSQL with scripts/bench db's bench_rows, and runs compare.py: a primary-key SELECT per
# operation, one task per connection, three ways (a thread per connection with blocking libpq, as
# Haven's layer; libpq non-blocking with one epoll thread resuming tasks on the cooperative pool;
# libpq non-blocking on one event-loop thread that is also the tasks' TaskExecutor) beside pgbench.
#   Benchmarks/LibpqExecutorPrototype/run.sh      (BENCH_SECONDS, BENCH_PAIRS as scripts/bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/haven-proto.XXXXXX"); chmod 755 "$work"
trap 'haven_pg_stop "$work"; rm -rf "$work"' EXIT
port=$(haven_free_port); password=$(haven_random_secret)
haven_pg_init "$work" "$(haven_random_secret)"
haven_pg_start "$work" "$port" max_connections=150 shared_buffers=256MB
haven_pg_superuser_psql "$work" "$port" -v pw="$password" <<'SQL'
CREATE ROLE bench LOGIN PASSWORD :'pw' CREATEROLE;
CREATE DATABASE bench OWNER bench;
SQL
export PGPASSWORD=$password
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U bench -d bench <<'SQL'
CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload bytea NOT NULL);
INSERT INTO bench_rows (payload)
    SELECT decode(repeat(lpad(to_hex(g % 256), 2, '0'), 2048), 'hex') FROM generate_series(1, 10000) AS g;
VACUUM ANALYZE bench_rows;
SQL
export WORK=$work PORT=$port URL="postgresql://bench:${password}@127.0.0.1:${port}/bench"
swift build -c release --package-path Benchmarks/LibpqExecutorPrototype >/dev/null
python3 Benchmarks/LibpqExecutorPrototype/compare.py
