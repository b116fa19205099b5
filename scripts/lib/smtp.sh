# A local SMTP server for the tests (Debian's python3-aiosmtpd; scripts/lib/smtp_sink.py says what it
# does). Source it after scripts/lib/postgres.sh; do not run it.

# haven_smtp_start DIR
# Starts the sink with its files in DIR on two free loopback ports and exports what the mail tests
# read: HAVEN_TEST_SMTP_PORT (plain), HAVEN_TEST_SMTP_TLS_PORT (STARTTLS, then AUTH),
# HAVEN_TEST_SMTP_CA_FILE (the self-signed certificate of that listener, for 127.0.0.1 and
# localhost), HAVEN_TEST_SMTP_USER and HAVEN_TEST_SMTP_CREDENTIALS_FILE (user and password, 0600),
# HAVEN_TEST_SMTP_DIR (where each received message is written). Installs python3-aiosmtpd and msmtp
# (the sendmail interface the tests use) when missing.
haven_smtp_start() {
    local dir=$1 python=/usr/bin/python3 plain_port tls_port password tries=0
    haven_ensure_packages python3-aiosmtpd msmtp
    mkdir -p "$dir/messages"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1)
    password=$(haven_random_secret)
    (umask 077 && printf 'haven-mail-test\n%s\n' "$password" >"$dir/credentials" && printf '%s\n' "$password" >"$dir/password")
    plain_port=$(haven_free_port)
    tls_port=$(haven_free_port)
    "$python" "$PWD/scripts/lib/smtp_sink.py" "$dir/messages" "$plain_port" "$tls_port" "$dir/cert.pem" \
        "$dir/key.pem" haven-mail-test "$dir/password" >"$dir/smtp.log" 2>&1 &
    echo $! >"$dir/smtp.pid"
    until grep -q '^ready' "$dir/smtp.log" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 150 ] || ! kill -0 "$(cat "$dir/smtp.pid")" 2>/dev/null; then
            echo "the test SMTP server did not start" >&2
            tail -n 20 "$dir/smtp.log" >&2
            return 1
        fi
        sleep 0.1
    done
    export HAVEN_TEST_SMTP_PORT=$plain_port HAVEN_TEST_SMTP_TLS_PORT=$tls_port
    export HAVEN_TEST_SMTP_CA_FILE="$dir/cert.pem" HAVEN_TEST_SMTP_USER=haven-mail-test
    export HAVEN_TEST_SMTP_CREDENTIALS_FILE="$dir/credentials" HAVEN_TEST_SMTP_DIR="$dir/messages"
}

# haven_smtp_stop DIR: stops the sink started with DIR, if it runs.
haven_smtp_stop() {
    local dir=$1 pid tries=0
    [ -f "$dir/smtp.pid" ] || return 0
    pid=$(cat "$dir/smtp.pid" 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
        tries=$((tries + 1))
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
