# Shared shell functions for Haven's scripts: packages, and private PostgreSQL clusters.
# Source it; do not run it.

# Installs the Debian packages Haven needs, only those missing.
haven_ensure_packages() {
    local missing=()
    haven_pg_bindir >/dev/null 2>&1 || missing+=(postgresql)
    pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
    pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
    # The web app's code-app enrolment draws its QR code with libqrencode.
    pkg-config --exists libqrencode 2>/dev/null || missing+=(libqrencode-dev)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkgconf)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    # The CLI talks HTTP to haven serve through Foundation's URLSession, which loads libcurl.
    ldconfig -p 2>/dev/null | grep -q 'libcurl.so.4 ' || missing+=(libcurl4)
    for extra in "$@"; do
        case "$extra" in
            hyperfine) command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine) ;;
            pgbench) command -v pgbench >/dev/null 2>&1 || missing+=(postgresql-contrib) ;;
            *) dpkg -s "$extra" >/dev/null 2>&1 || missing+=("$extra") ;;
        esac
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing missing Debian packages: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        # Wait for a busy dpkg/apt lock (another install, unattended upgrades) rather than fail.
        $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >&2
    fi
}

# Prints the newest PostgreSQL server bin directory.
haven_pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] || return 1
    echo "$dir"
}

# Prints a free TCP port on 127.0.0.1.
haven_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Prints a random password (hex, URL-safe).
haven_random_secret() {
    python3 -c 'import secrets; print(secrets.token_hex(16))'
}

# Runs a command as the cluster's owner: the postgres user when we are root (initdb refuses root).
haven_as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# haven_pg_init DIR SUPERUSER_PASSWORD: creates a cluster in DIR/data with password authentication.
haven_pg_init() {
    local dir=$1 password=$2 bindir
    bindir=$(haven_pg_bindir)
    mkdir -p "$dir/socket"
    (umask 077 && printf '%s\n' "$password" >"$dir/superuser.pw")
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; fi
    haven_as_pg "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$dir/superuser.pw" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
}

# haven_pg_start DIR PORT [extra postgres -c options...]: starts the cluster on 127.0.0.1:PORT,
# with its unix socket in DIR/socket, logging to DIR/postgres.log.
haven_pg_start() {
    local dir=$1 port=$2 bindir options
    shift 2
    bindir=$(haven_pg_bindir)
    options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/socket"
    for extra in "$@"; do options="$options -c $extra"; done
    haven_as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "$options" -w -t 60 start >/dev/null || {
        tail -n 20 "$dir/postgres.log" >&2
        return 1
    }
    echo "$port" >"$dir/port"
}

# haven_pg_stop DIR: stops the cluster if it runs (fast shutdown).
haven_pg_stop() {
    local dir=$1 bindir
    bindir=$(haven_pg_bindir) || return 0
    [ -f "$dir/data/postmaster.pid" ] || return 0
    haven_as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# haven_pg_running DIR: succeeds when the cluster in DIR is up.
haven_pg_running() {
    local dir=$1 bindir
    bindir=$(haven_pg_bindir) || return 1
    [ -d "$dir/data" ] && haven_as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# haven_pg_superuser_sql DIR PORT SQL...: runs SQL as the superuser over loopback.
# Values go in as psql variables (-v name=value) and are quoted by psql (:'name').
haven_pg_superuser_psql() {
    local dir=$1 port=$2
    shift 2
    PGPASSWORD=$(cat "$dir/superuser.pw") psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}

# The persistent private cluster under .haven/ that scripts/start and scripts/dev-db share.
# haven_local_cluster_up ROOT: creates it on first use, starts it if stopped, and sets
# HAVEN_LOCAL_PORT, HAVEN_LOCAL_OWNER_URL and HAVEN_LOCAL_SUPERUSER_DIR.
haven_local_cluster_up() {
    local root=$1 dir port owner_password
    dir="$root/.haven/pg"
    if [ ! -d "$dir/data" ]; then
        echo "Creating a private PostgreSQL cluster in .haven/pg (first run only)." >&2
        mkdir -p "$root/.haven"
        chmod 700 "$root/.haven"
        mkdir -p "$dir"
        # The server runs as postgres when we are root; it must be able to reach its directory.
        if [ "$(id -u)" -eq 0 ]; then
            chmod 711 "$root/.haven"
            runuser -u postgres -- test -x "$root/.haven" || {
                echo "The postgres user cannot reach $root/.haven (a parent directory is private)." >&2
                echo "Move the checkout somewhere postgres can traverse, or set HAVEN_DATABASE_URL." >&2
                return 1
            }
        fi
        haven_pg_init "$dir" "$(haven_random_secret)"
        (umask 077 && haven_random_secret >"$root/.haven/owner.pw")
        rm -f "$dir/port"
    fi
    if ! haven_pg_running "$dir"; then
        port=$(cat "$dir/port" 2>/dev/null || true)
        if [ -z "$port" ] || ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
            port=$(haven_free_port)
        fi
        haven_pg_start "$dir" "$port"
    fi
    port=$(cat "$dir/port")
    owner_password=$(cat "$root/.haven/owner.pw")
    if ! haven_pg_superuser_psql "$dir" "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'haven'" | grep -q 1; then
        haven_pg_superuser_psql "$dir" "$port" -v pw="$owner_password" <<'SQL'
CREATE ROLE haven LOGIN CREATEROLE PASSWORD :'pw';
CREATE DATABASE haven OWNER haven;
SQL
    fi
    HAVEN_LOCAL_PORT=$port
    HAVEN_LOCAL_OWNER_URL="postgresql://haven:${owner_password}@127.0.0.1:${port}/haven"
    HAVEN_LOCAL_SUPERUSER_DIR=$dir
}
