# lib.sh: helpers for the end-to-end tests (sourced).
set -u

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
. "$top_builddir/tests/e2e/env.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rotor-e2e.XXXXXX")
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

need() {
    command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (run ./bootstrap)"
}

# How long a wait for something that must happen may take: a bound on a
# hang, never a guess at how fast the machine is (make check runs beside
# other loads).
E2E_PATIENCE=${E2E_PATIENCE:-60}

# wait_for FILE TEXT WHAT: until TEXT (a grep pattern) shows up in FILE;
# a failure after $E2E_PATIENCE seconds.
wait_for() {
    deadline=$(( $(date +%s) + E2E_PATIENCE ))
    until LC_ALL=C grep -q -- "$2" "$1" 2>/dev/null; do
        [ "$(date +%s)" -gt "$deadline" ] &&
            fail "$3: no \"$2\" in $E2E_PATIENCE s: $(cat -v "$1" | tail -n 20)"
        sleep 0.05
    done
}

# start_server NAME LOGFILE ARGS...: runs a server on a free port and sets
# PORT from the "listening on HOST:PORT" line it prints.
start_server() {
    name=$1 log=$2; shift 2
    "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    deadline=$(( $(date +%s) + E2E_PATIENCE ))
    while ! grep -q "listening on" "$log" 2>/dev/null; do
        [ "$(date +%s)" -gt "$deadline" ] && fail "$name did not start: $(cat "$log")"
        kill -0 "$SERVER_PID" 2>/dev/null || fail "$name died: $(cat "$log")"
        sleep 0.05
    done
    PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
    [ -n "$PORT" ] || fail "no port in: $(cat "$log")"
}

# random_port: a port to try for a server that cannot pick a free one
# itself (nginx, socat): the caller retries on another when it is taken.
random_port() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 )); }

# listening PID PORT NAME: waits until 127.0.0.1:PORT takes connections.
# Returns 1 when process PID ended first (its port was taken: try
# another); a failure after $E2E_PATIENCE seconds.
listening() {
    deadline=$(( $(date +%s) + E2E_PATIENCE ))
    until "$SOCAT" -u /dev/null "TCP:127.0.0.1:$2" 2>/dev/null; do
        kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 1; }
        [ "$(date +%s)" -gt "$deadline" ] && fail "$3 did not start"
        sleep 0.05
    done
}

stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID"
    rc=$?
    SERVER_PID=
    return $rc
}

# ---- for the echo servers -------------------------------------------------

# roundtrip IN OUT BLOCK: sends file IN to the server in writes of up to
# BLOCK bytes and stores the reply in OUT.  socat half-closes after the
# input, and the server closes once everything is echoed.
roundtrip() {
    "$SOCAT" -b "$3" -t 30 -T 30 - "TCP:127.0.0.1:$PORT" <"$1" >"$2"
}

same() {
    cmp -s "$1" "$2" ||
        fail "$3: reply differs ($(wc -c <"$1") bytes sent, $(wc -c <"$2") back)"
}

# 2,000 lines in one write come back byte for byte.
echo_lines_in_one_write() {
    i=0
    while [ $i -lt 2000 ]; do
        echo "line $i: the quick brown fox jumps over the lazy dog"
        i=$((i + 1))
    done >"$WORK/lines"
    roundtrip "$WORK/lines" "$WORK/lines.out" 1000000
    same "$WORK/lines" "$WORK/lines.out" "2000 lines in one write"
    pass "2000 lines in one write"
}

# 40 clients at once, each gets its own bytes back (random bytes: lines
# of every length, and a last line without a newline).
echo_concurrent_clients() {
    n=0
    clients=
    while [ $n -lt 40 ]; do
        head -c $((20000 + n * 997)) /dev/urandom >"$WORK/in.$n"
        roundtrip "$WORK/in.$n" "$WORK/out.$n" 8192 &
        clients="$clients $!"
        n=$((n + 1))
    done
    for pid in $clients; do
        wait "$pid" || fail "a client failed"
    done
    n=0
    while [ $n -lt 40 ]; do
        same "$WORK/in.$n" "$WORK/out.$n" "client $n of 40"
        n=$((n + 1))
    done
    pass "40 concurrent clients"
}
