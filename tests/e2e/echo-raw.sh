#!/bin/sh
# echo-raw.sh: examples/echo-raw (raw machines) against socat clients on loopback.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
SERVER="$top_builddir/examples/echo-raw"

# Sends file $1 to the server in writes of up to $3 bytes and stores the
# reply in $2.  socat half-closes after the input, and the server closes
# once everything is echoed.
roundtrip() {
    "$SOCAT" -b "$3" -t 30 -T 30 - "TCP:127.0.0.1:$PORT" <"$1" >"$2"
}

same() { cmp -s "$1" "$2" || fail "$3: reply differs ($(wc -c <"$1") bytes sent, $(wc -c <"$2") back)"; }

export ROTOR_TRACE=1
start_server echo-raw "$WORK/server.log" "$SERVER" 127.0.0.1:0
unset ROTOR_TRACE

# 2,000 lines in one write come back byte for byte.
i=0
while [ $i -lt 2000 ]; do
    echo "line $i: the quick brown fox jumps over the lazy dog"
    i=$((i + 1))
done >"$WORK/lines"
roundtrip "$WORK/lines" "$WORK/lines.out" 1000000
same "$WORK/lines" "$WORK/lines.out" "2000 lines in one write"
pass "2000 lines in one write"

# 40 clients at once, each gets its own bytes back.
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

# A client that reads slowly: the server's writes are refused by the
# kernel, it keeps the bytes, stops reading, and loses nothing.
head -c 8388608 /dev/urandom >"$WORK/big"
"$SOCAT" -b 65536 -t 60 -T 60 - "TCP:127.0.0.1:$PORT" <"$WORK/big" |
    { sleep 1; cat; } >"$WORK/big.out"
same "$WORK/big" "$WORK/big.out" "8 MiB to a slow reader"
grep -q -- "reading --blocked--> draining" "$WORK/server.log" ||
    fail "the slow reader never made the server wait for writability"
grep -q -- "draining --drained--> reading" "$WORK/server.log" ||
    fail "the server never went back to reading"
pass "8 MiB to a slow reader, with backpressure"

# The server still serves after all that, and stops on SIGTERM.
printf 'still here\n' >"$WORK/last"
roundtrip "$WORK/last" "$WORK/last.out" 100
same "$WORK/last" "$WORK/last.out" "last client"
stop_server || fail "echo-raw exited with status $rc after SIGTERM"
pass "clean exit on SIGTERM"
