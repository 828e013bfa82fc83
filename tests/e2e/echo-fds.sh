#!/bin/sh
# echo-fds.sh: examples/echo-server with 64 descriptors and 150 clients.
# It keeps serving the clients it has, does not spin while accept() fails
# with EMFILE, and serves the waiting clients as the others leave.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
SERVER="$top_builddir/examples/echo-server"

export ROTOR_TRACE=1
start_server echo-server "$WORK/server.log" \
    sh -c 'ulimit -n 64 && exec "$@"' sh "$SERVER" 127.0.0.1:0
unset ROTOR_TRACE

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
ticks_per_s=$(getconf CLK_TCK)
t0=$(cpu_ticks)
start=$(date +%s)

# Every client keeps its connection until the server has run out of
# descriptors (then the gate opens): a fixed pause could end before the
# last clients even connect, on a loaded machine.  The gate is a lock
# this script holds; each client waits for a shared lock on it.
need flock
exec 9>"$WORK/gate"
flock -x 9
n=0
clients=
while [ $n -lt 150 ]; do
    { echo "hello from client $n"; flock -s "$WORK/gate" true; } |
        "$SOCAT" -t 60 -T 60 - "TCP:127.0.0.1:$PORT" >"$WORK/out.$n" 2>&1 &
    clients="$clients $!"
    n=$((n + 1))
done
wait_for "$WORK/server.log" "out of descriptors, pausing accept" \
    "accept never ran out of descriptors: the test did not test"
flock -u 9
exec 9>&-
for pid in $clients; do
    wait "$pid" || fail "a client failed"
done
elapsed=$(( $(date +%s) - start ))
used=$(( $(cpu_ticks) - t0 ))

n=0
while [ $n -lt 150 ]; do
    [ "$(cat "$WORK/out.$n")" = "hello from client $n" ] ||
        fail "client $n got: $(head -c 200 "$WORK/out.$n")"
    n=$((n + 1))
done
pass "150 clients served with 64 descriptors in ${elapsed}s"

pass "accept paused for lack of descriptors"

# A spinning server would use about all of a core for the whole run.
[ "$used" -lt $((ticks_per_s * elapsed / 4 + ticks_per_s)) ] ||
    fail "the server used $used ticks of CPU in ${elapsed}s: it spins"
pass "CPU used: $used ticks in ${elapsed}s"

printf 'after the storm\n' >"$WORK/last"
"$SOCAT" -t 10 - "TCP:127.0.0.1:$PORT" <"$WORK/last" >"$WORK/last.out"
cmp -s "$WORK/last" "$WORK/last.out" || fail "no service after the storm"
stop_server || fail "echo-server exited with status $rc after SIGTERM"
pass "still serving, clean exit"
