# PgBouncer in front of a private cluster (scripts/test --pgbouncer, scripts/bench api --pgbouncer).
# Source it after scripts/lib/postgres.sh; do not run it.

# haven_pgbouncer_start DIR PG_PORT SUPERUSER_PASSWORD POOL_SIZE [DATABASE_LINE...]
# Starts PgBouncer (Debian's, installed when missing) in transaction mode on a free loopback port in
# front of the cluster on 127.0.0.1:PG_PORT, with its files in DIR, and sets HAVEN_PGBOUNCER_PORT.
# Every database of the cluster is reachable under its own name (POOL_SIZE server connections per
# database and role); each DATABASE_LINE adds an entry of PgBouncer's [databases] section.
# Authentication: clients use SCRAM with their own PostgreSQL passwords, which PgBouncer looks up with
# auth_query as the cluster's superuser (the only password in its userlist) and passes through to
# the server, so roles whose passwords change during a run (haven_app in the tests) need no file.
haven_pgbouncer_start() {
    local dir=$1 pg_port=$2 password=$3 pool_size=$4 binary port line
    shift 4
    haven_ensure_packages pgbouncer
    binary=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    port=$(haven_free_port)
    mkdir -p "$dir"
    (umask 077 && printf '"postgres" "%s"\n' "$password" >"$dir/userlist.txt")
    {
        echo "[databases]"
        for line in "$@"; do echo "$line"; done
        echo "* = host=127.0.0.1 port=$pg_port"
        cat <<INI
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pool_mode = transaction
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
auth_user = postgres
auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename = \$1
default_pool_size = $pool_size
max_client_conn = 900
server_idle_timeout = 5
autodb_idle_timeout = 30
server_login_retry = 1
log_connections = 0
log_disconnections = 0
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    } >"$dir/pgbouncer.ini"
    # PgBouncer refuses to run as root: it runs as postgres, like the cluster.
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; fi
    haven_as_pg "$binary" --daemon "$dir/pgbouncer.ini" || {
        tail -n 20 "$dir/pgbouncer.log" >&2
        return 1
    }
    local tries=0
    until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()" "$port" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "PgBouncer did not start listening on 127.0.0.1:$port" >&2
            tail -n 20 "$dir/pgbouncer.log" >&2
            return 1
        fi
        sleep 0.1
    done
    HAVEN_PGBOUNCER_PORT=$port
}

# haven_pgbouncer_stop DIR: stops the PgBouncer started with DIR, if it runs.
haven_pgbouncer_stop() {
    local dir=$1 pid tries=0
    [ -f "$dir/pgbouncer.pid" ] || return 0
    pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    kill -INT "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
        tries=$((tries + 1))
        sleep 0.1
    done
}
