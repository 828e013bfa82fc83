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

# start_server NAME LOGFILE ARGS...: runs a server on a free port and sets
# PORT from the "listening on HOST:PORT" line it prints.
start_server() {
    name=$1 log=$2; shift 2
    "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    i=0
    while ! grep -q "listening on" "$log" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 100 ] && fail "$name did not start: $(cat "$log")"
        kill -0 "$SERVER_PID" 2>/dev/null || fail "$name died: $(cat "$log")"
        sleep 0.05
    done
    PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
    [ -n "$PORT" ] || fail "no port in: $(cat "$log")"
}

stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID"
    rc=$?
    SERVER_PID=
    return $rc
}
