#!/bin/sh
# echo.sh: examples/echo-server (streams, listener) against socat clients.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
SERVER="$top_builddir/examples/echo-server"

start_server echo-server "$WORK/server.log" "$SERVER" 127.0.0.1:0

echo_lines_in_one_write
echo_concurrent_clients

# A slow reader gets all 8 MiB.
head -c 8388608 /dev/urandom >"$WORK/big"
"$SOCAT" -b 65536 -t 60 -T 60 - "TCP:127.0.0.1:$PORT" <"$WORK/big" |
    { sleep 1; cat; } >"$WORK/big.out"
same "$WORK/big" "$WORK/big.out" "8 MiB to a slow reader"
pass "8 MiB to a slow reader"

# A line over 64 KiB: an error line, then the server closes.
{ head -c 70000 /dev/zero | tr '\0' 'x'; echo; echo "after"; } >"$WORK/long"
roundtrip "$WORK/long" "$WORK/long.out" 100000
printf 'ERR line too long\n' >"$WORK/long.expected"
same "$WORK/long.expected" "$WORK/long.out" "line over 64 KiB"
pass "a line over 64 KiB is refused and the connection closed"

# A client that sends without ever reading: the server stops reading
# once its output backs up, so it takes in only a few MiB of the 64 MiB
# and its memory stays bounded.  (Resident memory is not compared under a
# sanitizer, whose allocator keeps freed memory in quarantine.)
rss_kib() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/status"; }
read_bytes() { sed -n 's/^rchar: *//p' "/proc/$SERVER_PID/io"; }
before=$(rss_kib)
read_before=$(read_bytes)
yes 'no one reads this line' | head -c 67108864 |
    "$SOCAT" -u -b 65536 - "TCP:127.0.0.1:$PORT" 2>/dev/null &
hog=$!
sleep 3
after=$(rss_kib)
taken=$(( $(read_bytes) - read_before ))
kill "$hog" 2>/dev/null
wait "$hog" 2>/dev/null
[ "$taken" -lt 16777216 ] ||
    fail "the server read $taken bytes from a client that never reads"
grown=$((after - before))
if [ -z "${ROTOR_SANITIZER:-}" ]; then
    [ "$grown" -lt 16384 ] ||
        fail "memory grew by $grown KiB for a client that never reads"
fi
pass "a client that never reads: $taken bytes taken, $grown KiB grown"

# Still serving, and a clean exit on SIGTERM.
printf 'still here\n' >"$WORK/last"
roundtrip "$WORK/last" "$WORK/last.out" 100
same "$WORK/last" "$WORK/last.out" "last client"
stop_server || fail "echo-server exited with status $rc after SIGTERM"
pass "clean exit on SIGTERM"
