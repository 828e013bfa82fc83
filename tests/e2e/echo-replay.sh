#!/bin/sh
# echo-replay.sh: a trace recorded from a real run of examples/echo-server
# (ROTOR_TRACE=FILE, socat clients) replays on examples/echo-replay with no
# divergence; tampered copies of it diverge where they were changed.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
SERVER="$top_builddir/examples/echo-server"
REPLAY="$top_builddir/examples/echo-replay"
TRACE=$WORK/echo.trace

export ROTOR_TRACE="$TRACE"
start_server echo-server "$WORK/server.log" "$SERVER" 127.0.0.1:0
unset ROTOR_TRACE
# Lines, a last line without newline, two clients one after the other.
printf 'hello\nworld\npartial' >"$WORK/in1"
roundtrip "$WORK/in1" "$WORK/out1" 4096
same "$WORK/in1" "$WORK/out1" "first client"
printf 'two\n' >"$WORK/in2"
roundtrip "$WORK/in2" "$WORK/out2" 4096
same "$WORK/in2" "$WORK/out2" "second client"
# Both connections ended before the server stops: their last records
# are in the file.
wait_for "$TRACE" "echo_conn	1\.2	closing	flushed	done" "second client's end"
stop_server || fail "echo-server exited with $?"

head -n 1 "$TRACE" | grep -qx '#rotor-trace 1' || fail "no header: $(head -n 1 "$TRACE")"
# Every record is whole: a known kind and at least its four fields.
awk -F '\t' 'NR > 1 && !($1 ~ /^[ESIXU]$/ && NF >= 5) { bad = 1; print }
             END { exit bad }' "$TRACE" >"$WORK/bad" ||
    fail "malformed records: $(cat "$WORK/bad")"
grep -q '^I	[0-9]*	echo_conn	1\.1	68656c6c6f0a' "$TRACE" ||
    fail "no input record of the first client: $(cat "$TRACE")"
pass "the trace has its header and whole records"

out=$("$REPLAY" "$TRACE") || fail "replay diverged: $out ($(cat "$TRACE"))"
case $out in
"replayed "*" events, no divergence") ;;
*) fail "unexpected replay report: $out" ;;
esac
pass "the recorded trace replays: $out"

# A changed target: the replay must name that record's line.
line=$(grep -n "echo_conn	1\.1	reading	eof	closing" "$TRACE" | cut -d: -f1)
[ -n "$line" ] || fail "no eof record in the trace"
sed "${line}s/	closing\$/	reading/" "$TRACE" >"$WORK/tampered"
out=$("$REPLAY" "$WORK/tampered")
[ $? -eq 1 ] || fail "a tampered trace did not diverge: $out"
case $out in
"$WORK/tampered:$line: echo_conn: trace has \"reading	eof	reading\", the replay \"reading	eof	closing\"") ;;
*) fail "unexpected divergence report: $out" ;;
esac
pass "a tampered target diverges at its line"

# Input the machine never got: the replay delivers more than recorded.
grep -v "^E	.*echo_conn	1\.2	closing	flushed	done" "$TRACE" >"$WORK/cut"
out=$("$REPLAY" "$WORK/cut")
[ $? -eq 1 ] || fail "a trace missing an event did not diverge: $out"
pass "a missing record diverges: $out"

# The installed tool on the same machines, built as a shared object.
TOOL="$top_builddir/runtime/test/rotor-replay"
MODULE="$top_builddir/examples/.libs/echo-replay-module.so"
out=$("$TOOL" "$MODULE" "$TRACE") || fail "rotor-replay diverged: $out"
case $out in
"replayed "*" events, no divergence") ;;
*) fail "unexpected rotor-replay report: $out" ;;
esac
out=$("$TOOL" "$MODULE" "$WORK/tampered")
[ $? -eq 1 ] || fail "rotor-replay: a tampered trace did not diverge: $out"
case $out in
"$WORK/tampered:$line: echo_conn: "*) ;;
*) fail "unexpected rotor-replay divergence: $out" ;;
esac
"$TOOL" "$WORK/no-such.so" "$TRACE" 2>"$WORK/nomodule.err"
[ $? -eq 2 ] || fail "rotor-replay with no module: not status 2"
sed 's/\techo_conn\t/\tno_such\t/' "$TRACE" >"$WORK/other-type"
"$TOOL" "$MODULE" "$WORK/other-type" 2>"$WORK/notype.err"
[ $? -eq 2 ] && grep -q "has no no_such_machine" "$WORK/notype.err" ||
    fail "rotor-replay, a type the module lacks: $(cat "$WORK/notype.err")"
pass "rotor-replay MODULE TRACE: the same report, divergence and errors"

# Not a trace: an error, not a divergence.
echo "[echo_conn#1.1] reading --input--> reading" >"$WORK/lines"
"$REPLAY" "$WORK/lines" >/dev/null 2>&1
[ $? -eq 2 ] || fail "human trace lines were taken for a trace"
pass "human trace lines are refused"

# Two threads' loops appending to one file: every record stays whole and
# the header is written once.
TRACE2=$WORK/threads.trace
export ROTOR_TRACE="$TRACE2"
start_server echo-server "$WORK/threads.log" "$SERVER" --threads 2 127.0.0.1:0
unset ROTOR_TRACE
i=0 clients=
while [ $i -lt 20 ]; do
    printf 'client %d line one\nclient %d line two\n' $i $i >"$WORK/t$i"
    roundtrip "$WORK/t$i" "$WORK/t$i.out" 4096 &
    clients="$clients $!"
    i=$((i + 1))
done
for pid in $clients; do wait "$pid"; done   # not the server
i=0
while [ $i -lt 20 ]; do
    same "$WORK/t$i" "$WORK/t$i.out" "threaded client $i"
    i=$((i + 1))
done
stop_server || fail "echo-server --threads 2 exited with $?"
[ "$(grep -c '^#' "$TRACE2")" -eq 1 ] || fail "header count: $(grep -c '^#' "$TRACE2")"
awk -F '\t' 'NR > 1 && !($1 ~ /^[ESIXU]$/ && NF >= 5) { bad = 1; print }
             END { exit bad }' "$TRACE2" >"$WORK/bad" ||
    fail "records mixed by two loops: $(cat "$WORK/bad")"
[ "$(grep -c '^E	[0-9]*	echo_conn	.*	closing	flushed	done$' "$TRACE2")" -eq 20 ] ||
    fail "not 20 connections ended in the threads' trace"
pass "two loops' records in one file stay whole"
