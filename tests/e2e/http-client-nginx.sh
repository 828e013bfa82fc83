#!/bin/sh
# http-client-nginx.sh: the client of librotor-http against nginx (skipped
# when nginx is not installed): a static file with Content-Length, the same
# file gzipped by nginx on the fly (chunked), 404s, and keep-alive measured
# on nginx's side: its access log says which connection served each
# request ($connection, $connection_requests).
. "$top_srcdir/tests/e2e/lib.sh"
GET="$top_builddir/tests/http/http-client-get"
NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
[ -n "$NGINX" ] || { echo "SKIP: no nginx"; exit 77; }

mkdir -p "$WORK/www" "$WORK/tmp"
i=0
while [ $i -lt 2000 ]; do echo "line $i of the static file"; i=$((i + 1)); done >"$WORK/www/file.txt"

# A port that nginx can bind: a few tries from a random start.
try=0
while :; do
    PORT=$(random_port)
    cat >"$WORK/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 64; }
http {
    log_format conn '\$connection \$connection_requests \$status \$request_uri';
    access_log $WORK/access.log conn;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    keepalive_requests 1000;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/www;
        location /gz/ {
            alias $WORK/www/;
            gzip on;
            gzip_min_length 1;
            gzip_types text/plain;
        }
    }
}
CONF
    "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx.out" 2>&1 &
    SERVER_PID=$!
    listening "$SERVER_PID" "$PORT" nginx && break
    SERVER_PID=
    try=$((try + 1))
    [ $try -lt 5 ] || fail "nginx did not start: $(cat "$WORK/error.log" "$WORK/nginx.out")"
done
: >"$WORK/access.log"      # the probe's connection is not counted

"$GET" 127.0.0.1 "$PORT" -n 10 -o "$WORK/got" /file.txt >"$WORK/out" 2>"$WORK/err" ||
    fail "http-client-get: $(cat "$WORK/err")"
cmp -s "$WORK/got" "$WORK/www/file.txt" || fail "the static file differs"
[ "$(grep -c "^200 $(wc -c <"$WORK/www/file.txt") -\$" "$WORK/out")" = 10 ] ||
    fail "not 10 full answers: $(cat "$WORK/out")"
pass "static file (Content-Length), 10 times"

"$GET" 127.0.0.1 "$PORT" -n 5 -H "Accept-Encoding:gzip" -o "$WORK/got.gz" \
    /missing /gz/file.txt >"$WORK/out2" 2>"$WORK/err" ||
    fail "http-client-get: $(cat "$WORK/err")"
[ "$(grep -c '^200 [0-9]* chunked$' "$WORK/out2")" = 5 ] &&
    [ "$(grep -c '^404 ' "$WORK/out2")" = 5 ] ||
    fail "gzip/404 answers: $(cat "$WORK/out2")"
gzip -dc <"$WORK/got.gz" >"$WORK/got2" || fail "the chunked body is no gzip stream"
cmp -s "$WORK/got2" "$WORK/www/file.txt" || fail "the chunked body unpacks to something else"
pass "gzipped on the fly (chunked, decoded and unpacked) and 404s"

# Keep-alive measured by nginx: every request of a run on one connection.
# (wait for the log: nginx writes a line as each request ends)
deadline=$(( $(date +%s) + E2E_PATIENCE ))
until [ "$(wc -l <"$WORK/access.log")" -ge 20 ]; do
    [ "$(date +%s)" -gt "$deadline" ] && fail "access log: $(cat "$WORK/access.log")"
    sleep 0.05
done
conns=$(awk '{ print $1 }' "$WORK/access.log" | sort -u | wc -l)
max=$(awk '{ if ($2 > m) m = $2 } END { print m }' "$WORK/access.log")
[ "$conns" = 2 ] && [ "$max" = 10 ] ||
    fail "nginx saw $conns connections, at most $max requests on one: $(cat "$WORK/access.log")"
grep -qx "connections 1" "$WORK/out" && grep -qx "connections 1" "$WORK/out2" ||
    fail "the client opened more than one connection per run"
pass "keep-alive: nginx saw 20 requests on 2 connections (one per run)"
