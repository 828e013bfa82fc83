#!/bin/sh
# echo-threads.sh: examples/echo-server --threads 4: four loops on four
# threads, each with its own SO_REUSEPORT listener on the same port.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
SERVER="$top_builddir/examples/echo-server"
THREADS=4

roundtrip() {
    "$SOCAT" -b 8192 -t 30 -T 30 - "TCP:127.0.0.1:$PORT" <"$1" >"$2"
}

start_server echo-server "$WORK/server.log" "$SERVER" --threads $THREADS 127.0.0.1:0
grep -q "$THREADS threads" "$WORK/server.log" ||
    fail "no thread count in: $(cat "$WORK/server.log")"

# Every thread listens on the port (Linux: one socket per thread).  A
# sanitizer may add a thread of its own.
if [ -d "/proc/$SERVER_PID/task" ]; then
    tasks=$(ls "/proc/$SERVER_PID/task" | wc -l)
    [ "$tasks" -ge $THREADS ] || fail "$tasks threads, not $THREADS"
fi
if command -v ss >/dev/null 2>&1; then
    socks=$(ss -ltnH "sport = :$PORT" | wc -l)
    [ "$socks" -eq $THREADS ] || fail "$socks listening sockets, not $THREADS"
fi
pass "$THREADS threads, $THREADS listening sockets on port $PORT"

# 64 clients at once, each gets its own lines back.
n=0
clients=
while [ $n -lt 64 ]; do
    i=0
    while [ $i -lt 50 ]; do
        echo "client $n line $i"
        i=$((i + 1))
    done >"$WORK/in.$n"
    roundtrip "$WORK/in.$n" "$WORK/out.$n" &
    clients="$clients $!"
    n=$((n + 1))
done
for pid in $clients; do
    wait "$pid" || fail "a client failed"
done
n=0
while [ $n -lt 64 ]; do
    cmp -s "$WORK/in.$n" "$WORK/out.$n" || fail "client $n: reply differs"
    n=$((n + 1))
done
pass "64 concurrent clients echoed"

# SIGTERM stops all loops; each thread reports its clients, and the
# kernel gave clients to more than one of them.
stop_server || fail "echo-server exited with status $rc after SIGTERM"
total=0
busy=0
for c in $(sed -n 's/.*thread [0-9]* served \([0-9]*\) clients/\1/p' "$WORK/server.log"); do
    total=$((total + c))
    [ "$c" -gt 0 ] && busy=$((busy + 1))
done
[ "$total" -eq 64 ] || fail "threads served $total clients, not 64: $(cat "$WORK/server.log")"
[ "$busy" -ge 2 ] || fail "only $busy thread(s) served clients"
pass "clean exit on SIGTERM; $busy of $THREADS threads served the 64 clients"
