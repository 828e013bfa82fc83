#!/bin/sh
# https.sh: hello-http --tls against curl, openssl s_client and
# librotor-http's own client: GET and keep-alive over one connection,
# ALPN, a name the certificate does not carry, an expired certificate, garbage instead of a ClientHello, a peer
# that never finishes its handshake, renegotiation refused.  After each
# bad peer the server must still serve.
. "$top_srcdir/tests/e2e/lib.sh"
need curl
need openssl
MAKE_CERT="$top_builddir/tests/e2e/make-cert"
SERVER="$top_builddir/examples/hello-http"

"$MAKE_CERT" "$WORK/ok.pem" "$WORK/ok.key" -60 86400
rc=$?
[ $rc -eq 77 ] && { echo "built without TLS: skipped"; exit 77; }
[ $rc -eq 0 ] || fail "make-cert"
"$MAKE_CERT" "$WORK/old.pem" "$WORK/old.key" -7200 -3600 || fail "make-cert (expired)"

start_server hello-http "$WORK/server.log" "$SERVER" --tls "$WORK/ok.pem" \
    "$WORK/ok.key" --idle-timeout 2 127.0.0.1:0
CURL="curl -sS --max-time 20 --cacert $WORK/ok.pem --resolve localhost:$PORT:127.0.0.1"
URL="https://localhost:$PORT"

still_serving() {
    got=$($CURL "$URL/") || fail "after $1: curl failed"
    [ "$got" = "Hello World!" ] || fail "after $1: got '$got'"
}

[ "$($CURL "$URL/")" = "Hello World!" ] || fail "GET / over TLS"
[ "$($CURL "$URL/rotor")" = "Hello rotor!" ] || fail "GET /rotor over TLS"
pass "GET over TLS, certificate verified"

# Two requests, one connection: the second makes no new connection.
got=$($CURL -o /dev/null -o /dev/null -w '%{num_connects} ' "$URL/" "$URL/")
[ "$got" = "1 0 " ] || fail "keep-alive over TLS: connects '$got'"
pass "keep-alive over TLS"

# librotor-http's own client over HTTPS: verified, kept alive, and
# refusing what it must (a name the certificate lacks, other CAs, a
# server that speaks TLS to a client that does not).
GET="$top_builddir/tests/http/http-client-get"
"$GET" localhost "$PORT" -k "$WORK/ok.pem" -n 3 / /rotor >"$WORK/get.out" 2>"$WORK/get.err" ||
    fail "http-client-get over TLS: $(cat "$WORK/get.err")"
[ "$(grep -c '^200 12 -$' "$WORK/get.out")" = 6 ] || fail "answers over TLS: $(cat "$WORK/get.out")"
grep -qx "connections 1" "$WORK/get.out" || fail "client keep-alive over TLS: $(cat "$WORK/get.out")"
"$GET" localhost "$PORT" -k "$WORK/ok.pem" -o "$WORK/body" /rotor >/dev/null 2>&1 &&
    [ "$(cat "$WORK/body")" = "Hello rotor!" ] || fail "body over TLS: $(cat "$WORK/body")"
"$GET" 127.0.0.1 "$PORT" -k "$WORK/ok.pem" / >/dev/null 2>"$WORK/get.err" &&
    fail "the client took a certificate without 127.0.0.1 for 127.0.0.1"
grep -q "mismatch" "$WORK/get.err" || fail "name check: $(cat "$WORK/get.err")"
"$GET" localhost "$PORT" -k "$WORK/old.pem" / >/dev/null 2>"$WORK/get.err" &&
    fail "the client trusted a certificate its CA file does not hold"
grep -q "verify failed" "$WORK/get.err" || fail "CA check: $(cat "$WORK/get.err")"
still_serving "the client's refusals"
pass "librotor-http's client over HTTPS: 6 answers on 1 connection, bad names and CAs refused"

out=$(echo | timeout 15 openssl s_client -connect "127.0.0.1:$PORT" \
      -servername localhost -alpn h2,http/1.1 -CAfile "$WORK/ok.pem" 2>&1)
echo "$out" | grep -q 'ALPN protocol: http/1.1' || fail "ALPN: $out"
echo "$out" | grep -q 'Verify return code: 0 (ok)' || fail "s_client verify: $out"
pass "openssl s_client: ALPN http/1.1, verified"

# The certificate is for localhost, not for 127.0.0.1.
if curl -sS --max-time 20 --cacert "$WORK/ok.pem" "https://127.0.0.1:$PORT/" \
        >/dev/null 2>"$WORK/name.err"; then
    fail "a wrong name was accepted"
fi
grep -qi "certificate" "$WORK/name.err" || fail "wrong name: $(cat "$WORK/name.err")"
still_serving "a wrong name"
pass "a name the certificate does not carry is refused by the client"

# Plain HTTP to the TLS port: no HTTP answer, a close (socat returns
# only once the server closed).
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >"$WORK/plain.in"
"$SOCAT" -t 10 -T 15 - "TCP:127.0.0.1:$PORT" <"$WORK/plain.in" \
    >"$WORK/plain.out" 2>/dev/null
grep -q 'HTTP/1.1' "$WORK/plain.out" && fail "plain HTTP got an HTTP answer"
still_serving "plain HTTP to the TLS port"
pass "garbage instead of a ClientHello: closed, others served"

# A peer that connects and never sends its hello: the server closes it
# once the connection has idled its 2 s (the bound here, 20 s, is only a
# watchdog: nothing else can end this connection).
mkfifo "$WORK/hold"
timeout 20 "$SOCAT" -u "TCP:127.0.0.1:$PORT" - <"$WORK/hold" >/dev/null 2>&1 &
peer=$!
exec 3>"$WORK/hold"
wait $peer
rc=$?
exec 3>&-
[ $rc -eq 0 ] || fail "a silent peer was not closed (socat: $rc)"
still_serving "a silent peer"
pass "a peer that never finishes its handshake is closed"

# Renegotiation (TLS 1.2, s_client's R command) is refused.
mkfifo "$WORK/cmd"
timeout 20 openssl s_client -tls1_2 -connect "127.0.0.1:$PORT" \
    -CAfile "$WORK/ok.pem" <"$WORK/cmd" >"$WORK/reneg.out" 2>&1 &
peer=$!
exec 4>"$WORK/cmd"
printf 'R\n' >&4
wait $peer
exec 4>&-
grep -q 'RENEGOTIATING' "$WORK/reneg.out" || fail "no renegotiation tried: $(cat "$WORK/reneg.out")"
grep -q 'no renegotiation' "$WORK/reneg.out" || fail "renegotiation not refused: $(cat "$WORK/reneg.out")"
still_serving "a renegotiation"
pass "renegotiation refused"
stop_server || fail "hello-http exited with an error"

# A server whose certificate has expired: the client refuses it.
start_server hello-http "$WORK/old.log" "$SERVER" --tls "$WORK/old.pem" \
    "$WORK/old.key" 127.0.0.1:0
if curl -sS --max-time 20 --cacert "$WORK/old.pem" \
        --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/" \
        >/dev/null 2>"$WORK/old.err"; then
    fail "an expired certificate was accepted"
fi
grep -qi "expired" "$WORK/old.err" || fail "expired: $(cat "$WORK/old.err")"
pass "an expired certificate is refused by the client"
stop_server || fail "hello-http exited with an error"

# A missing key file is a clear error at start.
"$SERVER" --tls "$WORK/ok.pem" "$WORK/none.key" 127.0.0.1:0 2>"$WORK/nokey.err" &&
    fail "started without its key"
grep -q -- "--tls" "$WORK/nokey.err" || fail "no clear error: $(cat "$WORK/nokey.err")"
pass "a missing key is refused at start"
