#!/bin/sh
# http-proxy.sh: examples/http-proxy between curl and real upstreams: two
# hello-http servers (round robin, keep-alive, bodies both ways), socat
# peers that never answer or answer garbage (504, 502), a port nobody
# listens on (502), requests the server refuses before anything goes
# upstream, and with nginx installed, a 64 MiB file to a client that
# stops reading: the proxy stops reading its upstream (its trace shows
# the client connection held) instead of holding the body.
. "$top_srcdir/tests/e2e/lib.sh"
need curl
PROXY="$top_builddir/examples/http-proxy"
HELLO="$top_builddir/examples/hello-http"
NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; cleanup' EXIT

# background NAME LOG CMD...: a server on a free port, its PORT printed
# in its "listening on" line; sets BG_PORT and remembers its pid.
background() {
    start_server "$@"
    BG_PORT=$PORT
    PIDS="$PIDS $SERVER_PID"
    SERVER_PID=
}

# socat_peer NAME SYSTEM-COMMAND: a scripted upstream on a free port
# (a few random tries); sets BG_PORT.
socat_peer() {
    for try in 1 2 3 4 5; do
        BG_PORT=$(random_port)
        "$SOCAT" "TCP-LISTEN:$BG_PORT,bind=127.0.0.1,reuseaddr,fork" \
            "SYSTEM:$2" 2>"$WORK/$1.err" &
        pid=$!
        if listening "$pid" "$BG_PORT" "$1"; then
            PIDS="$PIDS $pid"
            return 0
        fi
    done
    fail "$1 did not start: $(cat "$WORK/$1.err")"
}

# status URL [CURL-ARGS]: the status code the proxy answers.
status() {
    url=$1; shift
    curl -s -o /dev/null -w '%{http_code}' --max-time "$E2E_PATIENCE" "$@" "$url"
}

visits() { curl -s "http://127.0.0.1:$1/num" | sed 's/[^0-9]//g'; }

background hello-a "$WORK/a.log" "$HELLO" 127.0.0.1:0; A=$BG_PORT
background hello-b "$WORK/b.log" "$HELLO" 127.0.0.1:0; B=$BG_PORT
ROTOR_TRACE="$WORK/proxy.trace" \
    background proxy "$WORK/proxy.log" "$PROXY" --upstream-timeout 1000 \
    127.0.0.1:0 "127.0.0.1:$A" "127.0.0.1:$B"
P=$BG_PORT
URL=http://127.0.0.1:$P

# ---- answers, round robin, keep-alive -------------------------------------

urls=
i=0
while [ $i -lt 20 ]; do urls="$urls $URL/n$i"; i=$((i + 1)); done
# shellcheck disable=SC2086
curl -s --max-time "$E2E_PATIENCE" $urls >"$WORK/names" || fail "curl through the proxy"
i=0
while [ $i -lt 20 ]; do
    grep -q "^Hello n$i!\$" "$WORK/names" || grep -q "Hello n$i!" "$WORK/names" ||
        fail "no answer for /n$i: $(cat "$WORK/names")"
    i=$((i + 1))
done
va=$(visits "$A") vb=$(visits "$B")
# Each counts its own /num too: 10 proxied requests each, plus 1.
[ "$va" = 11 ] && [ "$vb" = 11 ] || fail "round robin: upstream visits $va and $vb, not 11 and 11"
pass "20 requests answered in order, 10 to each upstream"

# 20 clients at once, each its own name: no answer reaches another.
i=0 curls=
while [ $i -lt 20 ]; do
    curl -s --max-time "$E2E_PATIENCE" "$URL/p$i" "$URL/q$i" >"$WORK/par.$i" &
    curls="$curls $!"
    i=$((i + 1))
done
for p in $curls; do wait "$p"; done
i=0
while [ $i -lt 20 ]; do
    [ "$(cat "$WORK/par.$i")" = "Hello p$i!Hello q$i!" ] ||
        fail "client $i got someone else's answer: $(cat "$WORK/par.$i")"
    i=$((i + 1))
done
pass "20 clients at once, 2 requests each: every answer to its own client"

[ "$(curl -s "$URL/")" = "Hello World!" ] || fail "GET / through the proxy"
curl -s -D "$WORK/h" -o /dev/null "$URL/"
grep -qi '^via: 1.1 rotor' "$WORK/h" || fail "no Via on the answer: $(cat "$WORK/h")"
curl -s -I --max-time "$E2E_PATIENCE" "$URL/" >"$WORK/head"
grep -qi '^content-length: 12' "$WORK/head" || fail "HEAD: no Content-Length 12: $(cat "$WORK/head")"
[ "$(curl -s "$URL/")" = "Hello World!" ] || fail "GET after HEAD"
pass "GET / with Via on the answer; HEAD with the GET's Content-Length"

# ---- bodies ------------------------------------------------------------------

head -c 3000000 /dev/urandom >"$WORK/up.bin"
want="Hello put! 3000000 bytes, cksum $(cksum <"$WORK/up.bin" | cut -d' ' -f1)"
got=$(curl -s --max-time "$E2E_PATIENCE" -T "$WORK/up.bin" "$URL/put")
[ "$got" = "$want" ] || fail "PUT 3 MB: got '$got', want '$want'"
got=$(curl -s --max-time "$E2E_PATIENCE" -X POST --data-binary @"$WORK/up.bin" \
       -H 'Content-Type: application/octet-stream' "$URL/post")
[ "$(status "$URL/post" -X POST --data-binary @"$WORK/up.bin")" = 413 ] ||
    fail "a 3 MB POST: hello-http buffers at most 1 MiB, so 413 through the proxy"
head -c 500000 /dev/urandom >"$WORK/small.bin"
want="Hello post! 500000 bytes, cksum $(cksum <"$WORK/small.bin" | cut -d' ' -f1)"
got=$(curl -s --max-time "$E2E_PATIENCE" --data-binary @"$WORK/small.bin" "$URL/post")
[ "$got" = "$want" ] || fail "POST 500 kB: got '$got', want '$want'"
pass "request bodies reach the upstream whole (PUT 3 MB, POST 500 kB; the upstream's 413 comes back)"

# ---- what the server refuses never goes upstream -----------------------------

before=$(( $(visits "$A") + $(visits "$B") ))
printf 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n' |
    "$SOCAT" -t 30 - "TCP:127.0.0.1:$P" >"$WORK/bad" 2>&1
head -n 1 "$WORK/bad" | grep -q '^HTTP/1.1 400 ' || fail "bad head: $(cat -v "$WORK/bad")"
long=$(head -c 20000 /dev/zero | tr '\0' a)
printf 'GET / HTTP/1.1\r\nHost: x\r\nX: %s\r\n\r\n' "$long" |
    "$SOCAT" -t 30 - "TCP:127.0.0.1:$P" >"$WORK/big" 2>&1
head -n 1 "$WORK/big" | grep -q '^HTTP/1.1 431 ' || fail "huge head: $(head -c 200 "$WORK/big" | cat -v)"
printf 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n' |
    "$SOCAT" -t 30 - "TCP:127.0.0.1:$P" >"$WORK/connect" 2>&1
head -n 1 "$WORK/connect" | grep -q '^HTTP/1.1 405 ' ||
    fail "CONNECT is not refused: $(cat -v "$WORK/connect")"
after=$(( $(visits "$A") + $(visits "$B") ))
# The two /num of each count: 2 more than before, and nothing else.
[ "$after" = $((before + 2)) ] || fail "refused requests reached an upstream ($before -> $after)"
pass "400, 431 and 405 answered by the proxy, nothing sent upstream"

# ---- what the upstream sees ---------------------------------------------------

# (socat's address syntax takes ':' and ',' for itself: the answer is a file)
printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nX-Up: 1\r\n\r\nok' \
    >"$WORK/answer"
socat_peer recorder "sed '/^\r\$/q' >$WORK/seen; cat $WORK/answer; sleep 1"
background proxy6 "$WORK/proxy6.log" "$PROXY" 127.0.0.1:0 "127.0.0.1:$BG_PORT"
curl -s -D "$WORK/h6" -o "$WORK/b6" --max-time "$E2E_PATIENCE" \
    -H 'Connection: keep-alive, X-Private' -H 'Keep-Alive: timeout=5' \
    -H 'X-Forwarded-For: 192.0.2.7' -H 'Via: 1.0 edge' -H 'X-Kept: yes' \
    -H 'X-Private: for the proxy only' \
    "http://127.0.0.1:$BG_PORT/seen?q=1" || fail "curl to the recorder"
seen=$(tr -d '\r' <"$WORK/seen")
echo "$seen" | grep -q '^GET /seen?q=1 HTTP/1.1$' || fail "request line upstream: $seen"
echo "$seen" | grep -q '^X-Forwarded-For: 192.0.2.7, 127.0.0.1$' || fail "X-Forwarded-For upstream: $seen"
echo "$seen" | grep -q '^Via: 1.0 edge, 1.1 rotor$' || fail "Via upstream: $seen"
echo "$seen" | grep -q '^X-Kept: yes$' || fail "an end-to-end field was dropped: $seen"
echo "$seen" | grep -qi '^keep-alive:' && fail "Keep-Alive went upstream: $seen"
echo "$seen" | grep -qi '^x-private:' && fail "a field named in Connection went upstream: $seen"
echo "$seen" | grep -qi '^connection: keep-alive, X-Private' && fail "the client's Connection went upstream: $seen"
[ "$(cat "$WORK/b6")" = ok ] || fail "recorder's body: $(cat "$WORK/b6")"
grep -qi '^x-up: 1' "$WORK/h6" || fail "the upstream's field did not come back: $(cat "$WORK/h6")"
grep -qi '^connection: keep-alive' "$WORK/h6" && fail "the upstream's Connection came back"
pass "upstream sees Via and X-Forwarded-For appended, no hop-by-hop fields (nor those Connection names); the answer's own come back"

# ---- upstream failures ---------------------------------------------------------

stop_dead() { kill "$1"; wait "$1" 2>/dev/null; }
background dead "$WORK/dead.log" "$HELLO" 127.0.0.1:0; DEAD=$BG_PORT
stop_dead "${PIDS##* }"
ROTOR_TRACE= background proxy2 "$WORK/proxy2.log" "$PROXY" 127.0.0.1:0 "127.0.0.1:$DEAD"
[ "$(status "http://127.0.0.1:$BG_PORT/")" = 502 ] || fail "refused upstream: not 502"
pass "an upstream nobody listens on: 502"

socat_peer silent 'sleep 120'
SILENT=$BG_PORT
background proxy3 "$WORK/proxy3.log" "$PROXY" --upstream-timeout 300 \
    127.0.0.1:0 "127.0.0.1:$SILENT"
[ "$(status "http://127.0.0.1:$BG_PORT/")" = 504 ] || fail "silent upstream: not 504"
pass "an upstream that never answers: 504 at --upstream-timeout"

socat_peer garbage "printf 'HELLO THERE\\r\\n\\r\\n'; sleep 1"
background proxy4 "$WORK/proxy4.log" "$PROXY" 127.0.0.1:0 "127.0.0.1:$BG_PORT"
[ "$(status "http://127.0.0.1:$BG_PORT/")" = 502 ] || fail "garbage upstream: not 502"
pass "an upstream that answers garbage: 502"

# The framing of relayed answers (http_respond_relay): a 204 goes with
# no body framing at all; a chunked answer to an HTTP/1.0 client goes
# as it is, ended by the close.
# (The answers are files: socat's address syntax would take their colons
# and backslashes for its own.)
printf 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n' >"$WORK/204.up"
socat_peer nocontent "cat $WORK/204.up; sleep 1"
background proxy7 "$WORK/proxy7.log" "$PROXY" 127.0.0.1:0 "127.0.0.1:$BG_PORT"
curl -sS --max-time "$E2E_PATIENCE" -D "$WORK/204.head" -o "$WORK/204.body" \
    "http://127.0.0.1:$BG_PORT/" || fail "curl through the proxy to a 204"
head -n 1 "$WORK/204.head" | grep -q '^HTTP/1.1 204 ' || fail "204: $(cat "$WORK/204.head")"
grep -qi '^X-A: 1' "$WORK/204.head" || fail "204 without its field: $(cat "$WORK/204.head")"
if grep -qi '^Content-Length\|^Transfer-Encoding' "$WORK/204.head"; then
    fail "204 with body framing: $(cat "$WORK/204.head")"
fi
[ ! -s "$WORK/204.body" ] || fail "204 with a body"
printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n' >"$WORK/chunked.up"
socat_peer chunked "cat $WORK/chunked.up; sleep 1"
background proxy8 "$WORK/proxy8.log" "$PROXY" 127.0.0.1:0 "127.0.0.1:$BG_PORT"
curl -sS --http1.0 --max-time "$E2E_PATIENCE" -D "$WORK/10.head" \
    -o "$WORK/10.body" "http://127.0.0.1:$BG_PORT/" || fail "curl --http1.0 through the proxy"
if grep -qi '^Transfer-Encoding' "$WORK/10.head"; then
    fail "chunked to an HTTP/1.0 client: $(cat "$WORK/10.head")"
fi
grep -qi '^Connection: close' "$WORK/10.head" || fail "HTTP/1.0 answer kept open: $(cat "$WORK/10.head")"
[ "$(cat "$WORK/10.body")" = "hello world" ] || fail "HTTP/1.0 body: $(cat "$WORK/10.body")"
pass "relayed framing: a 204 with no body framing, a chunked answer to HTTP/1.0 ended by the close"

# ---- the upstream pool's size (--keepalive) -----------------------------------

# Three requests in a row on one client connection: with --keepalive 1
# they share one upstream connection; with 0 none is kept, and each
# opens its own (counted in the proxy's trace: an http_client_conn's
# start is an "S" record).
upstream_conns() { grep -c "^S	[0-9]*	http_client_conn	" "$1"; }
for ka in 1 0; do
    ROTOR_TRACE="$WORK/ka$ka.trace" \
        background "proxy-ka$ka" "$WORK/proxy-ka$ka.log" "$PROXY" --keepalive "$ka" \
        127.0.0.1:0 "127.0.0.1:$A"
    curl -s --max-time "$E2E_PATIENCE" "http://127.0.0.1:$BG_PORT/k1" \
        "http://127.0.0.1:$BG_PORT/k2" "http://127.0.0.1:$BG_PORT/k3" \
        >"$WORK/ka$ka.out" || fail "curl through the proxy with --keepalive $ka"
    [ "$(cat "$WORK/ka$ka.out")" = 'Hello k1!Hello k2!Hello k3!' ] ||
        fail "--keepalive $ka: $(cat "$WORK/ka$ka.out")"
done
n1=$(upstream_conns "$WORK/ka1.trace") n0=$(upstream_conns "$WORK/ka0.trace")
[ "$n1" = 1 ] && [ "$n0" = 3 ] ||
    fail "upstream connections for 3 requests: $n1 with --keepalive 1 (not 1), $n0 with 0 (not 3)"
pass "--keepalive: 3 requests on 1 upstream connection with 1, on 3 with 0"

# ---- a slow upstream: back-pressure to the uploading client ------------------

# 64 MiB uploaded to an upstream that reads none of the body until the
# proxy's trace shows the client's body held (http_body_pause): the proxy
# holds a bounded amount meanwhile, and then the whole body arrives.
head -c 67108864 /dev/urandom >"$WORK/up.bin"
: >"$WORK/up.trace"
background slowup "$WORK/slowup.log" "$top_builddir/tests/e2e/slow-upstream" \
    "$WORK/up.trace" "	body	input	body_held" "$WORK/up.got"
SLOWUP=$BG_PORT
ROTOR_TRACE="$WORK/up.trace" \
    background proxy6 "$WORK/proxy6.log" "$PROXY" --body-max 100000000 \
    127.0.0.1:0 "127.0.0.1:$SLOWUP"
PROXY6=${PIDS##* }
curl -sS --max-time 120 -T "$WORK/up.bin" -o "$WORK/up.answer" \
    "http://127.0.0.1:$BG_PORT/upload" &
uploader=$!
wait_for "$WORK/up.trace" "http_conn	[0-9.]*	body	input	body_held" \
    "the proxy never held the client's body back"
rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PROXY6/status")
wait "$uploader" || fail "the upload failed: $(cat "$WORK/slowup.log")"
[ "$rss" -lt 32768 ] || fail "the proxy held $rss kB of an upload"
grep -q "^got 67108864 bytes" "$WORK/up.answer" ||
    fail "the upstream's answer: $(cat "$WORK/up.answer")"
cmp -s "$WORK/up.got" "$WORK/up.bin" ||
    fail "the 64 MiB upload differs ($(wc -c <"$WORK/up.got") bytes)"
pass "64 MiB up to an upstream that stopped reading: client held, peak ${rss} kB, then the whole body"

# ---- a slow client: back-pressure to the upstream -------------------------------

if [ -z "$NGINX" ]; then
    echo "skip: no nginx for the 64 MiB upstream"
    exit 0
fi
mkdir -p "$WORK/www" "$WORK/tmp"
head -c 67108864 /dev/urandom >"$WORK/www/big.bin"
for try in 1 2 3 4 5; do
    NP=$(random_port)
    cat >"$WORK/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    sendfile off;
    server { listen 127.0.0.1:$NP; root $WORK/www; }
}
CONF
    "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx.out" 2>&1 &
    npid=$!
    listening "$npid" "$NP" nginx && break
    [ "$try" -lt 5 ] || fail "nginx did not start: $(cat "$WORK/nginx.err")"
done
PIDS="$PIDS $npid"
: >"$WORK/slow.trace"
ROTOR_TRACE="$WORK/slow.trace" \
    background proxy5 "$WORK/proxy5.log" "$PROXY" 127.0.0.1:0 "127.0.0.1:$NP"
PP=$BG_PORT
PROXY5=${PIDS##* }
# The client stops reading: socat's output goes to a fifo that is open
# (fd 3) but not read until the proxy's trace shows the upstream
# connection held.
mkfifo "$WORK/fifo"
printf 'GET /big.bin HTTP/1.0\r\n\r\n' |
    "$SOCAT" -t 120 - "TCP:127.0.0.1:$PP,rcvbuf=8192" >"$WORK/fifo" &
reader=$!
exec 3<"$WORK/fifo"
wait_for "$WORK/slow.trace" "http_client_conn	[0-9.]*	body	input	held" \
    "the proxy never held its upstream back"
rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PROXY5/status")
[ "$rss" -lt 32768 ] || fail "the proxy holds $rss kB for a client that reads nothing"
# Now the client reads everything: the whole file, byte for byte.
sed '1,/^\r$/d' <&3 >"$WORK/got.bin"
exec 3<&-
wait "$reader"
cmp -s "$WORK/got.bin" "$WORK/www/big.bin" ||
    fail "the 64 MiB body differs ($(wc -c <"$WORK/got.bin") bytes)"
pass "64 MiB to a client that stopped reading: upstream held, peak ${rss} kB, then the whole file"
