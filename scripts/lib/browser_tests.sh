# Runs the browser suite (Tests/Browser, docs/web.md "Tests") in headless Chromium against a live
# `haven serve` on the demo practice, its mail going to the test SMTP server. Sourced by scripts/test,
# which provides $work, $port, $bin, $owner_password, the postgres helpers and HAVEN_TEST_SMTP_*.
# Arguments go to pytest (e.g. -k smoke).
#
# Debian's chromium, chromium-driver, python3-selenium and python3-html5lib under the system Python
# (/usr/bin/python3: the pyenv python3 on PATH does not see Debian's packages), in a virtualenv that
# sees them and adds pytest and axe-core, pinned: axe.min.js 4.12 as PyPI's axe-playwright-python
# 0.1.8 bundles it (installed without its dependencies: only the script is used, injected through
# Selenium; axe-selenium-python bundles a far older axe-core).
# Screenshots of the main pages are kept under .build/browser-artifacts/.
haven_browser_tests() {
    command -v chromium >/dev/null || haven_ensure_packages chromium
    command -v chromedriver >/dev/null || haven_ensure_packages chromium-driver
    /usr/bin/python3 -c 'import selenium' 2>/dev/null || haven_ensure_packages python3-selenium
    /usr/bin/python3 -c 'import html5lib' 2>/dev/null || haven_ensure_packages python3-html5lib
    /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || haven_ensure_packages python3-venv
    local venv="$PWD/.build/browser-venv"
    local axe="$venv/axe/axe_playwright_python/axe.min.js"
    if ! "$venv/bin/python" -c 'import pytest' 2>/dev/null || [ ! -f "$axe" ]; then
        rm -rf "$venv"
        /usr/bin/python3 -m venv --system-site-packages "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "pytest==9.0.2"
        "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --target "$venv/axe" \
            "axe-playwright-python==0.1.8"
    fi
    grep -q '^/\*! axe v4\.' "$axe" || { echo "axe-core 4 is missing ($axe)" >&2; return 1; }

    haven_pg_superuser_psql "$work" "$port" -c "CREATE DATABASE haven_browser OWNER haven_test" >/dev/null
    local app_password web_port serve_pid status
    app_password=$(haven_random_secret)
    rm -rf .build/browser-artifacts
    mkdir -p .build/browser-artifacts
    (
        set -euo pipefail
        export HAVEN_OWNER_DATABASE_URL="postgresql://haven_test:${owner_password}@127.0.0.1:${port}/haven_browser"
        export HAVEN_DATABASE_URL="postgresql://haven_app:${app_password}@127.0.0.1:${port}/haven_browser"
        export HAVEN_MASTER_KEY_FILE="$work/browser.key"
        "$bin/haven" db migrate >/dev/null
        # The app role exists once the first migration ran (this may be the run's first database).
        echo "ALTER ROLE haven_app PASSWORD :'pw';" | haven_pg_superuser_psql "$work" "$port" -v pw="$app_password" >/dev/null
        "$bin/haven" keys init --key-file "$HAVEN_MASTER_KEY_FILE" >/dev/null
        (umask 077 && haven_random_secret >"$work/browser.pw")
        "$bin/haven" demo seed --password-file "$work/browser.pw" >/dev/null
        web_port=$(haven_free_port)
        # Mail goes to the test SMTP server scripts/test started (the portal's sign-in links are read
        # from its directory, HAVEN_TEST_SMTP_DIR).
        "$bin/haven" serve --port "$web_port" --mail "smtp://127.0.0.1:${HAVEN_TEST_SMTP_PORT}" \
            --mail-from noreply@harbor.example >"$work/browser-serve.log" 2>&1 &
        serve_pid=$!
        /usr/bin/python3 - "$web_port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        if urllib.request.urlopen("http://127.0.0.1:%s/ready" % sys.argv[1], timeout=2).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("haven serve did not become ready")
PY
        export HAVEN_BROWSER_BASE="http://127.0.0.1:${web_port}" HAVEN_BROWSER_PASSWORD_FILE="$work/browser.pw" \
            HAVEN_BROWSER_ARTIFACTS="$PWD/.build/browser-artifacts" HAVEN_BROWSER_AXE="$axe" \
            HAVEN_BROWSER_SERVE_LOG="$work/browser-serve.log" HAVEN_BIN="$bin/haven"
        local pytest=("$venv/bin/python" -m pytest -p no:cacheprovider -q)
        set +e
        if [ "$#" -eq 0 ]; then
            # The idle-logoff tests spend ~90 s each waiting out a page's idle count: a second pytest
            # runs them beside the rest (as Morgan, whom no other test changes), which saves 3 minutes;
            # the server's log is read once both are done.
            "${pytest[@]}" -m idle_logoff Tests/Browser >"$work/browser-idle.log" 2>&1 &
            local idle_pid=$! idle_status log_status
            # Interrupted (Ctrl-C), the second pytest and its browser end with this one.
            trap 'kill "$idle_pid" 2>/dev/null || true' EXIT
            "${pytest[@]}" -m "not idle_logoff and not server_log" Tests/Browser
            status=$?
            wait "$idle_pid"
            idle_status=$?
            echo "== browser suite: the idle-logoff tests (run beside the rest)"
            cat "$work/browser-idle.log"
            echo "== browser suite: the server's log"
            "${pytest[@]}" -m server_log Tests/Browser
            log_status=$?
            [ "$status" -ne 0 ] || status=$idle_status
            [ "$status" -ne 0 ] || status=$log_status
        else
            "${pytest[@]}" Tests/Browser "$@"
            status=$?
        fi
        kill -TERM "$serve_pid"
        wait "$serve_pid"
        set -e
        cp "$work/browser-serve.log" .build/browser-artifacts/serve.log
        exit "$status"
    )
    echo "Screenshots and the server's log: .build/browser-artifacts/"
}
