#!/bin/sh
# http-client.sh: the client of librotor-http (tests/http/http-client-get)
# against examples/hello-http: responses, bodies, and keep-alive measured
# by the client's count of the connections it opened.
. "$top_srcdir/tests/e2e/lib.sh"
GET="$top_builddir/tests/http/http-client-get"

start_server hello-http "$WORK/server.log" "$top_builddir/examples/hello-http" 127.0.0.1:0

"$GET" 127.0.0.1 "$PORT" -n 20 / /num /rotor >"$WORK/out" 2>"$WORK/err" ||
    fail "http-client-get: $(cat "$WORK/err")"
[ "$(grep -c '^200 ' "$WORK/out")" = 60 ] || fail "not 60 answers: $(cat "$WORK/out")"
grep -qx "connections 1" "$WORK/out" || fail "keep-alive: $(tail -n 1 "$WORK/out")"
pass "60 requests to hello-http on one connection"

"$GET" 127.0.0.1 "$PORT" -o "$WORK/body" /rotor >"$WORK/out" 2>"$WORK/err" ||
    fail "http-client-get: $(cat "$WORK/err")"
[ "$(cat "$WORK/body")" = "Hello rotor!" ] || fail "body: $(cat "$WORK/body")"
pass "the body of GET /rotor"

"$GET" 127.0.0.1 "$PORT" "/a b" >"$WORK/out" 2>"$WORK/err" &&
    fail "a bad target was sent"
grep -q "bad target" "$WORK/err" || fail "bad target: $(cat "$WORK/err")"
pass "a bad target is refused before sending"

stop_server || fail "hello-http exited with status $?"
