#!/bin/sh
# echo-raw.sh: examples/echo-raw (raw machines) against socat clients on loopback.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
SERVER="$top_builddir/examples/echo-raw"

# The server's trace records (doc/testing.md) say when it waits: in the
# file `make coverage` gives, if it gives one, else in one of our own.
case ${ROTOR_TRACE:-} in
""|0|1) TRACE=$WORK/server.trace ;;
*) TRACE=$ROTOR_TRACE ;;
esac
tab=$(printf '\t')
ROTOR_TRACE=$TRACE start_server echo-raw "$WORK/server.log" "$SERVER" 127.0.0.1:0
unset ROTOR_TRACE
BLOCKED="${tab}reading${tab}blocked${tab}draining"
DRAINED="${tab}draining${tab}drained${tab}reading"

echo_lines_in_one_write
echo_concurrent_clients

# A client that reads slowly: the server's writes are refused by the
# kernel, it keeps the bytes, stops reading, and loses nothing.  Slow for
# certain: slow-reader sends without reading until the server has said
# that it waits for writability, and 64 MiB are more than every buffer
# on the way can hold, so that moment must come.
head -c 67108864 /dev/urandom >"$WORK/big"
"$top_builddir/tests/e2e/slow-reader" "$PORT" "$WORK/big" "$WORK/big.out" \
    "$TRACE" "$BLOCKED" ||
    fail "the slow reader: $(tail -n 5 "$TRACE")"
same "$WORK/big" "$WORK/big.out" "64 MiB to a slow reader"
grep -q -- "$BLOCKED" "$TRACE" ||
    fail "the slow reader never made the server wait for writability"
grep -q -- "$DRAINED" "$TRACE" ||
    fail "the server never went back to reading"
pass "64 MiB to a slow reader, with backpressure"

# The server still serves after all that, and stops on SIGTERM.
printf 'still here\n' >"$WORK/last"
roundtrip "$WORK/last" "$WORK/last.out" 100
same "$WORK/last" "$WORK/last.out" "last client"
stop_server || fail "echo-raw exited with status $rc after SIGTERM"
pass "clean exit on SIGTERM"
