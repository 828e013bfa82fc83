#!/bin/sh
# http.sh: examples/hello-http against curl (keep-alive, HTTP/1.0, chunked
# uploads) and raw sockets (socat: pipelining, malformed input, limits,
# deadlines).  After every bad request the server must still answer.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
need curl
SERVER="$top_builddir/examples/hello-http"

start_server hello-http "$WORK/server.log" "$SERVER" --head-timeout 2 \
    --idle-timeout 3 --max-requests 5 127.0.0.1:0
URL="http://127.0.0.1:$PORT"

CURL="curl -sS --max-time 20"

# raw NAME [WAIT]: sends $WORK/NAME.in on one connection and keeps what
# comes back in $WORK/NAME.out; WAIT bounds the wait for the server to
# close after our input ends.
raw() {
    "$SOCAT" -t "${2:-5}" -T 15 - "TCP:127.0.0.1:$PORT" \
        <"$WORK/$1.in" >"$WORK/$1.out" 2>/dev/null
}
# status NAME: the status line of the first answer.
status() { head -n 1 "$WORK/$1.out" | tr -d '\r'; }
# answers NAME: how many answers came (bodies here end without a newline).
answers() { grep -o 'HTTP/1\.1 [0-9][0-9][0-9] ' "$WORK/$1.out" | wc -l; }
expect_status() {
    got=$(status "$1")
    [ "$got" = "HTTP/1.1 $2" ] || fail "$1: expected '$2', got '$got'"
}
still_serving() {
    got=$($CURL "$URL/") || fail "after $1: curl failed"
    [ "$got" = "Hello World!" ] || fail "after $1: got '$got'"
}
# bad NAME STATUS: a request that must be refused with STATUS and a close
# (socat only returns once the server closed).
bad() {
    raw "$1" 10
    expect_status "$1" "$2"
    grep -qi '^connection: close' "$WORK/$1.out" || fail "$1: no Connection: close"
    still_serving "$1"
    pass "$1: $2 and a close"
}

# ---- the application ---------------------------------------------------

[ "$($CURL "$URL/")" = "Hello World!" ] || fail "GET /"
[ "$($CURL "$URL/rotor")" = "Hello rotor!" ] || fail "GET /rotor"
n1=$($CURL "$URL/num" | sed -n 's/^This host has been visited \([0-9]*\) times$/\1/p')
n2=$($CURL "$URL/num" | sed -n 's/^This host has been visited \([0-9]*\) times$/\1/p')
[ -n "$n1" ] && [ "$n2" -eq $((n1 + 1)) ] || fail "GET /num: $n1 then $n2"
$CURL -D "$WORK/h" -o "$WORK/b" "$URL/"
grep -qi '^content-length: 12' "$WORK/h" || fail "no Content-Length: 12"
grep -qi '^date: ' "$WORK/h" || fail "no Date"
[ "$($CURL -I "$URL/" | head -n 1 | tr -d '\r')" = "HTTP/1.1 200 OK" ] || fail "HEAD /"
printf 'GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n' >"$WORK/abs.in"
raw abs
expect_status abs "404 Not Found"
printf 'DELETE / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$WORK/del.in"
raw del
expect_status del "405 Method Not Allowed"
pass "GET /, /NAME, /num, HEAD; 404 for a target without '/', 405"

# ---- keep-alive and HTTP/1.0 ------------------------------------------

$CURL -o /dev/null -o /dev/null -w '%{num_connects}\n' "$URL/a" "$URL/b" >"$WORK/ka"
[ "$(tr '\n' ' ' <"$WORK/ka")" = "1 0 " ] || fail "keep-alive: connects $(cat "$WORK/ka")"
pass "HTTP/1.1 keeps the connection (curl reuses it)"

$CURL -0 -D "$WORK/h10" -o "$WORK/b10" "$URL/"
grep -qi '^connection: close' "$WORK/h10" || fail "HTTP/1.0: no Connection: close"
[ "$(cat "$WORK/b10")" = "Hello World!" ] || fail "HTTP/1.0 body"
printf 'GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /two HTTP/1.0\r\n\r\n' >"$WORK/ka10.in"
raw ka10
[ "$(answers ka10)" -eq 2 ] || fail "HTTP/1.0 keep-alive: $(answers ka10) answers"
grep -qi '^connection: keep-alive' "$WORK/ka10.out" || fail "HTTP/1.0: no Connection: keep-alive"
grep -q 'Hello two!' "$WORK/ka10.out" || fail "HTTP/1.0 keep-alive: no second answer"
pass "HTTP/1.0 closes, unless Connection: keep-alive"

printf 'GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n' >"$WORK/close.in"
raw close
[ "$(answers close)" -eq 1 ] || fail "Connection: close: $(answers close) answers"
pass "Connection: close is honoured"

# ---- pipelining --------------------------------------------------------

{
    printf 'GET /p1 HTTP/1.1\r\nHost: a\r\n\r\n'
    printf 'POST /p2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
    printf 'PUT /p3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n'
    printf '\r\nGET /p4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
} >"$WORK/pipe.in"
raw pipe
[ "$(answers pipe)" -eq 4 ] || fail "pipelining: $(answers pipe) answers"
grep -o 'Hello p[0-9]!' "$WORK/pipe.out" | tr '\n' ' ' >"$WORK/pipe.order"
[ "$(cat "$WORK/pipe.order")" = "Hello p1! Hello p2! Hello p3! Hello p4! " ] ||
    fail "pipelining order: $(cat "$WORK/pipe.order")"
grep -q 'Hello p2! 5 bytes' "$WORK/pipe.out" || fail "pipelined POST body"
grep -q 'Hello p3! 3 bytes' "$WORK/pipe.out" || fail "pipelined chunked body"
pass "4 pipelined requests (with bodies, chunked) answered in order"

# --max-requests 5: the fifth answer says close, a sixth is not read.
i=0
while [ $i -lt 6 ]; do printf 'GET /r%d HTTP/1.1\r\nHost: a\r\n\r\n' $i; i=$((i + 1)); done >"$WORK/cap.in"
raw cap
[ "$(answers cap)" -eq 5 ] || fail "request cap: $(answers cap) answers"
[ "$(grep -ci '^connection: close' "$WORK/cap.out")" -eq 1 ] || fail "request cap: no close"
pass "at most 5 requests per connection"

# ---- bodies ------------------------------------------------------------

head -c 300000 /dev/urandom >"$WORK/up"
want="$(cksum <"$WORK/up" | awk '{ print $2 " bytes, cksum " $1 }')"
for mode in "-X PUT" "-X POST"; do
    got=$($CURL $mode -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/up" "$URL/up")
    [ "$got" = "Hello up! $want" ] || fail "chunked upload ($mode): $got"
    got=$($CURL $mode --data-binary @"$WORK/up" "$URL/up")
    [ "$got" = "Hello up! $want" ] || fail "Content-Length upload ($mode): $got"
done
head -c 3000000 /dev/urandom >"$WORK/big"
want="$(cksum <"$WORK/big" | awk '{ print $2 " bytes, cksum " $1 }')"
got=$($CURL -T "$WORK/big" -H 'Expect: 100-continue' "$URL/big")
[ "$got" = "Hello big! $want" ] || fail "3 MB streamed upload: $got"
pass "uploads: chunked and Content-Length, buffered (POST) and streamed (PUT), 100-continue"

code=$($CURL -o /dev/null -w '%{http_code}' --data-binary @"$WORK/big" "$URL/big")
[ "$code" = 413 ] || fail "POST over 1 MiB: $code"
code=$($CURL -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
    --data-binary @"$WORK/big" "$URL/big")
[ "$code" = 413 ] || fail "chunked POST over 1 MiB: $code"
still_serving "413"
pass "bodies over the handler's limit: 413"

# ---- malformed requests and limits ---------------------------------------

H='Host: a\r\n'
printf 'GARBAGE\r\n\r\n' >"$WORK/garbage.in"; bad garbage "400 Bad Request"
printf 'GET / HTTP/1.1\n'"$H"'\r\n' >"$WORK/bare-lf.in"; bad bare-lf "400 Bad Request"
printf 'GET / HTTP/1.1\r\n\r\n' >"$WORK/no-host.in"; bad no-host "400 Bad Request"
printf 'GET / HTTP/2.0\r\n'"$H"'\r\n' >"$WORK/version.in"; bad version "505 HTTP Version Not Supported"
printf 'POST / HTTP/1.1\r\n'"$H"'Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd' >"$WORK/cl-differ.in"
bad cl-differ "400 Bad Request"
printf 'POST / HTTP/1.1\r\n'"$H"'Content-Length: -1\r\n\r\n' >"$WORK/cl-sign.in"; bad cl-sign "400 Bad Request"
printf 'POST / HTTP/1.1\r\n'"$H"'Content-Length: 1x\r\n\r\n' >"$WORK/cl-digit.in"; bad cl-digit "400 Bad Request"
printf 'POST / HTTP/1.1\r\n'"$H"'Content-Length: 99999999999999999999999\r\n\r\n' >"$WORK/cl-over.in"
bad cl-over "400 Bad Request"
printf 'POST / HTTP/1.1\r\n'"$H"'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >"$WORK/cl-te.in"
bad cl-te "400 Bad Request"
printf 'POST / HTTP/1.1\r\n'"$H"'Transfer-Encoding: chunked, gzip\r\n\r\n' >"$WORK/te-last.in"
bad te-last "400 Bad Request"
printf 'POST / HTTP/1.1\r\n'"$H"'Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n' >"$WORK/chunk-over.in"
bad chunk-over "400 Bad Request"
printf 'POST / HTTP/1.1\r\n'"$H"'Transfer-Encoding: chunked\r\n\r\nzz\r\n' >"$WORK/chunk-bad.in"
bad chunk-bad "400 Bad Request"
{ printf 'POST / HTTP/1.1\r\n'"$H"'Transfer-Encoding: chunked\r\n\r\n1;'
  head -c 5000 /dev/zero | tr '\0' 'e'; printf '\r\nx\r\n0\r\n\r\n'; } >"$WORK/chunk-ext.in"
bad chunk-ext "400 Bad Request"
{ printf 'GET /'; head -c 9000 /dev/zero | tr '\0' 'a'; printf ' HTTP/1.1\r\n'"$H"'\r\n'; } >"$WORK/uri.in"
bad uri "414 URI Too Long"
{ printf 'GET / HTTP/1.1\r\n'"$H"; i=0
  while [ $i -lt 20 ]; do printf 'X-Big-%d: ' $i; head -c 1000 /dev/zero | tr '\0' 'b'; printf '\r\n'; i=$((i + 1)); done
  printf '\r\n'; } >"$WORK/head-big.in"
bad head-big "431 Request Header Fields Too Large"
{ printf 'GET / HTTP/1.1\r\n'"$H"; i=0
  while [ $i -lt 101 ]; do printf 'X-F%d: v\r\n' $i; i=$((i + 1)); done; printf '\r\n'; } >"$WORK/fields.in"
bad fields "431 Request Header Fields Too Large"
head -c 20000 /dev/zero | tr '\0' 'a' >"$WORK/no-eol.in"; bad no-eol "414 URI Too Long"
printf '\001\002\377\376 binary\r\n\r\n' >"$WORK/binary.in"; bad binary "400 Bad Request"

# ---- deadlines ---------------------------------------------------------

# A head trickled a byte every 0.4 s for 8 s: trickling does not extend
# the 2-second deadline, so the 408 and the close come long before the
# trickle ends (at most 3 s, plus 2 s of lingering close).
t0=$(date +%s)
{ i=0; while [ $i -lt 20 ]; do printf 'G'; sleep 0.4; i=$((i + 1)); done; } |
    "$SOCAT" -t 0.2 -T 15 - "TCP:127.0.0.1:$PORT" >"$WORK/slow.out" 2>/dev/null
t1=$(date +%s)
expect_status slow "408 Request Timeout"
[ $((t1 - t0)) -le 7 ] || fail "408 and close after $((t1 - t0)) s"
still_serving "a slow head"
pass "a trickled head gets 408 at its deadline ($((t1 - t0)) s with the close)"

# A head whose lines come one by one, a line every 0.4 s for 8 s: each
# line is a read of its own that the parser takes, and none of them
# extends the 2-second deadline of the whole head.
t0=$(date +%s)
{ printf 'GET /lines HTTP/1.1\r\nHost: a\r\n'; i=0
  while [ $i -lt 20 ]; do sleep 0.4; printf 'X-Slow-%d: v\r\n' $i; i=$((i + 1)); done; } |
    "$SOCAT" -t 0.2 -T 15 - "TCP:127.0.0.1:$PORT" >"$WORK/slow-lines.out" 2>/dev/null
t1=$(date +%s)
expect_status slow-lines "408 Request Timeout"
[ "$(answers slow-lines)" -eq 1 ] || fail "slow lines: $(answers slow-lines) answers"
[ $((t1 - t0)) -le 7 ] || fail "slow lines: 408 and close after $((t1 - t0)) s"
still_serving "a head trickled line by line"
pass "a head trickled line by line gets 408 at its deadline ($((t1 - t0)) s with the close)"

# An idle keep-alive connection is closed after --idle-timeout 3 (socat
# keeps its side open: shut-none).
t0=$(date +%s)
printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$WORK/idle.in"
"$SOCAT" -t 20 -T 30 - "TCP:127.0.0.1:$PORT,shut-none" \
    <"$WORK/idle.in" >"$WORK/idle.out" 2>/dev/null
t1=$(date +%s)
[ "$(answers idle)" -eq 1 ] || fail "idle: no answer"
[ $((t1 - t0)) -ge 2 ] && [ $((t1 - t0)) -le 6 ] || fail "idle close after $((t1 - t0)) s"
pass "an idle connection is closed ($((t1 - t0)) s)"

# Each answer starts the idle deadline again: the connection closes 3 s
# after the second answer, not 3 s after the first.  The moment the
# second request goes is written down, so a late `sleep` under load
# cannot make a correct server fail: if the first deadline (3 s) had
# passed before it went, the check says so and is not made.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(now_ms)
{ printf 'GET /a HTTP/1.1\r\nHost: a\r\n\r\n'; sleep 1.5; now_ms >"$WORK/idle2.t1"
  printf 'GET /b HTTP/1.1\r\nHost: a\r\n\r\n'; } |
    "$SOCAT" -t 20 -T 30 - "TCP:127.0.0.1:$PORT,shut-none" >"$WORK/idle2.out" 2>/dev/null
t2=$(now_ms)
t1=$(cat "$WORK/idle2.t1")
if [ $((t1 - t0)) -ge 2500 ]; then
    echo "skip: idle after a second request: the second request went $((t1 - t0)) ms late"
else
    [ "$(answers idle2)" -eq 2 ] || fail "idle after a second request: $(answers idle2) answers"
    [ $((t2 - t1)) -ge 2900 ] ||
        fail "idle after a second request: closed $((t2 - t1)) ms after it (deadline 3 s)"
    pass "each answer starts the idle deadline again (closed $((t2 - t1)) ms after the second request)"
fi

# ---- threads -----------------------------------------------------------

stop_server || fail "hello-http exited with status $rc after SIGTERM"
start_server hello-http "$WORK/server2.log" "$SERVER" --threads 2 127.0.0.1:0
URL="http://127.0.0.1:$PORT"
i=0
while [ $i -lt 20 ]; do
    $CURL "$URL/" >/dev/null || fail "--threads 2: request $i"
    i=$((i + 1))
done
[ "$($CURL "$URL/num")" = "This host has been visited 21 times" ] ||
    fail "--threads 2: the counter is not shared"
pass "--threads 2 (SO_REUSEPORT), one shared counter"

stop_server || fail "hello-http exited with status $rc after SIGTERM"
pass "clean exit on SIGTERM"
