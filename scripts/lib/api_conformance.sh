# Runs schemathesis against a live `haven serve` on the demo practice: every documented operation,
# generated requests, and the checks that the server never fails (5xx) and never answers outside the
# document (status codes, content types, headers, response schemas). Sourced by scripts/test, which
# provides $work, $port, $bin and the postgres helpers.
haven_api_conformance() {
    python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install --quiet schemathesis
    haven_pg_superuser_psql "$work" "$port" -c "CREATE DATABASE haven_api OWNER haven_test" >/dev/null
    local app_password api_port serve_pid token status
    app_password=$(haven_random_secret)
    echo "ALTER ROLE haven_app PASSWORD :'pw';" | haven_pg_superuser_psql "$work" "$port" -v pw="$app_password" >/dev/null
    (
        set -euo pipefail
        export HAVEN_OWNER_DATABASE_URL="postgresql://haven_test:${owner_password}@127.0.0.1:${port}/haven_api"
        export HAVEN_DATABASE_URL="postgresql://haven_app:${app_password}@127.0.0.1:${port}/haven_api"
        export HAVEN_MASTER_KEY_FILE="$work/api.key"
        "$bin/haven" db migrate >/dev/null
        "$bin/haven" keys init --key-file "$HAVEN_MASTER_KEY_FILE" >/dev/null
        (umask 077 && haven_random_secret >"$work/demo.pw")
        "$bin/haven" demo seed --password-file "$work/demo.pw"
        api_port=$(haven_free_port)
        "$bin/haven" serve --port "$api_port" >"$work/serve.log" 2>&1 &
        serve_pid=$!
        token=$(python3 - "$api_port" "$work/demo.pw" <<'PY'
import json, sys, time, urllib.request
port, password_file = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        if urllib.request.urlopen(base + "/ready", timeout=2).status == 200:
            break
    except Exception:
        time.sleep(0.2)
else:
    sys.exit("haven serve did not become ready")
body = json.dumps({"email": "dana@demo.haven", "password": open(password_file).read().strip()}).encode()
request = urllib.request.Request(base + "/v1/auth/sessions", data=body, headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request))["token"])
PY
)
        set +e
        python3 -m schemathesis.cli run docs/openapi.yaml --url "http://127.0.0.1:${api_port}" \
            -H "Authorization: Bearer ${token}" --seed 20261122 --max-examples 25 --exclude-path /v1/sessions/current --exclude-path /v1/auth/sessions/current \
            --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
            --no-color
        status=$?
        kill -TERM "$serve_pid"
        wait "$serve_pid"
        local serve_status=$?
        set -e
        [ "$serve_status" -eq 0 ] || { echo "haven serve did not stop cleanly on SIGTERM ($serve_status)" >&2; tail -20 "$work/serve.log" >&2; exit 1; }
        # The request log names routes and ids, never bodies or tokens.
        if grep -qF -- "$token" "$work/serve.log"; then echo "a bearer token reached the log" >&2; exit 1; fi
        exit "$status"
    )
}
