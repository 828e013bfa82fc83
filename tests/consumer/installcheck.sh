#!/bin/sh
# installcheck.sh: an outside project built against the installed rotor
# only, the way a user builds theirs (run by `make installcheck`).
#
# The project is the copy installed in $(docdir)/examples/project (the
# tutorial's last step, from tests/consumer/project): autoreconf finds
# rotor.m4 through ACLOCAL_PATH, configure finds rotorgen in PATH and
# librotor through pkg-config, and its suffix rule compiles echo.rsm.
# Then: the server runs and answers; its tarball ships the generated C
# and builds without rotorgen; it links against librotor.a too; the
# installed examples build; a missing rotorgen stops configure with a
# clear message.  Nothing of the build tree is used.
#
# Environment (from tests/consumer/Makefile.inc): DESTDIR, bindir,
# libdir, includedir, datadir, docdir, mandir, SOCAT.
set -u
for v in bindir libdir includedir datadir docdir mandir SOCAT; do
    eval ": \"\${$v:?run through make installcheck}\""
done
DESTDIR=${DESTDIR:-}
# Make's state must not leak into the outside project's builds.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS
unset CFLAGS CPPFLAGS LDFLAGS ROTORGEN ROTOR_CFLAGS ROTOR_LIBS ROTOR_TRACE

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rotor-consumer.XXXXXX")
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    wait 2>/dev/null
    chmod -R u+w "$WORK" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
# run LOG CMD...: runs CMD with its output in LOG, shown on failure.
run() {
    log=$1; shift
    "$@" >"$log" 2>&1 || fail "$* failed:
$(tail -n 40 "$log")"
}

# The installed rotor, wherever make install put it.
I=$DESTDIR
PATH=$I$bindir:$PATH
PKG_CONFIG_PATH=$I$libdir/pkgconfig
ACLOCAL_PATH=$I$datadir/aclocal
LD_LIBRARY_PATH=$I$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH PKG_CONFIG_PATH ACLOCAL_PATH LD_LIBRARY_PATH
# Staged in DESTDIR, rotor.pc still names the final paths.
[ -n "$DESTDIR" ] && { PKG_CONFIG_SYSROOT_DIR=$DESTDIR; export PKG_CONFIG_SYSROOT_DIR; }

# ---- what make install put in place ----
for f in "$bindir/rotorgen" "$libdir/librotor.so" "$libdir/librotor.a" \
         "$libdir/pkgconfig/rotor.pc" "$includedir/rotor/rotor.h" \
         "$datadir/aclocal/rotor.m4" "$mandir/man1/rotorgen.1" \
         "$mandir/man5/rsm.5" "$docdir/README.md" "$docdir/doc/tutorial.md" \
         "$docdir/examples/README.md" "$docdir/examples/echo.rsm" \
         "$docdir/examples/echo-server.c" "$docdir/examples/project/Makefile.am" \
         "$libdir/librotor-http.so" "$libdir/librotor-http.a" \
         "$libdir/pkgconfig/rotor-http.pc" "$includedir/rotor/http.h" \
         "$mandir/man3/rotor-http.3" "$docdir/doc/http.md" \
         "$bindir/rotor-replay" "$mandir/man1/rotor-replay.1" \
         "$docdir/examples/http-hello.c" "$docdir/examples/http-fetch.c" \
         "$includedir/rotor/http-client.h" \
         "$libdir/librotor-telnet.so" "$libdir/librotor-telnet.a" \
         "$libdir/pkgconfig/rotor-telnet.pc" "$includedir/rotor/telnet.h" \
         "$mandir/man3/rotor-telnet.3" "$docdir/doc/telnet.md" \
         "$docdir/examples/telnet.c" "$docdir/examples/telnet-codec.c"; do
    [ -e "$I$f" ] || fail "not installed: $f"
done
[ "$(command -v rotorgen)" = "$I$bindir/rotorgen" ] ||
    fail "rotorgen in PATH is $(command -v rotorgen), not the installed one"
grep -q '^#[[:space:]]*serial [0-9]' "$I$datadir/aclocal/rotor.m4" ||
    fail "rotor.m4 has no serial line"
pass "installed: rotorgen, librotor, librotor-http and librotor-telnet (.so, .a), headers, rotor.pc, rotor-http.pc, rotor-telnet.pc, rotor.m4, man pages, docs"

# ---- the outside project, from the installed copy ----
P=$WORK/echo-project
cp -R "$I$docdir/examples/project" "$P" && chmod -R u+w "$P" ||
    fail "cannot copy the installed project"
(cd "$P" && run "$WORK/autoreconf.log" autoreconf -fi) || exit 1
grep -q '^#[[:space:]]*serial' "$P/m4/rotor.m4" 2>/dev/null ||
    fail "aclocal --install did not copy rotor.m4 into the project's m4/"
mkdir "$P/build"
(cd "$P/build" && run "$WORK/configure.log" ../configure) || exit 1
grep -q "^ROTORGEN = $I$bindir/rotorgen\$" "$P/build/Makefile" ||
    fail "configure did not find the installed rotorgen"
(cd "$P/build" && run "$WORK/make.log" make) || exit 1
[ -f "$P/build/echo.c" ] && [ -f "$P/build/echo.h" ] ||
    fail "the suffix rule did not make echo.c and echo.h"
pass "outside project: autoreconf, configure and make against the installed rotor"

# ---- it runs ----
"$P/build/echo-server" 0 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
i=0
until grep -q "listening on" "$WORK/server.err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && fail "the server did not start: $(cat "$WORK/server.err")"
    sleep 0.05
done
PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$WORK/server.err")
reply=$(printf 'hello\nrotor\n' | "$SOCAT" -t 5 -T 10 - "TCP:127.0.0.1:$PORT")
[ "$reply" = "hello
rotor" ] || fail "echo: got [$reply]"
reply=$(head -c 1500 /dev/zero | tr '\0' x | "$SOCAT" -t 5 -T 10 - "TCP:127.0.0.1:$PORT")
[ "$reply" = "error: line too long" ] || fail "long line: got [$reply]"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "the server exited with status $? on SIGTERM"
SERVER_PID=
[ "$(cat "$WORK/server.out")" = "2 clients, 2 lines" ] ||
    fail "the server's count: [$(cat "$WORK/server.out")]"
pass "outside project: echoes, refuses a long line, counts, stops on SIGTERM"

# ---- its distcheck: the tarball ships the generated C, builds without
# rotorgen, installs and uninstalls ----
(cd "$P/build" && run "$WORK/distcheck.log" \
    make distcheck DISTCHECK_CONFIGURE_FLAGS=ROTORGEN=false) || exit 1
for f in echo.rsm echo.c echo.h m4/rotor.m4 configure; do
    tar tzf "$P/build/echo-server-1.0.tar.gz" | grep -q "^echo-server-1.0/$f\$" ||
        fail "the project's tarball lacks $f"
done
pass "outside project: make distcheck (the tarball carries echo.c, echo.h, rotor.m4; builds without rotorgen)"

# ---- against the static library ----
(cd "$P/build" && run "$WORK/static.log" sh -c \
    "${CC:-cc} -o echo-static echo_server-main.o echo_server-echo.o \
     $I$libdir/librotor.a \$(pkg-config --static --libs rotor | sed 's/-lrotor//')") || exit 1
ldd "$P/build/echo-static" | grep -q librotor && fail "echo-static uses librotor.so"
pass "outside project: links against librotor.a (with what rotor.pc says a static link needs: libevent, OpenSSL)"

# ---- the installed examples, as examples/README.md says ----
E=$WORK/examples
cp -R "$I$docdir/examples" "$E" && chmod -R u+w "$E" || fail "cannot copy the examples"
(cd "$E" && run "$WORK/examples.log" sh -ec '
rotorgen -o echo-machines.c echo.rsm
cc -o echo-server echo-server.c echo-actions.c echo-machines.c $(pkg-config --cflags --libs rotor)
cc -o echo-replay echo-replay.c echo-actions.c echo-machines.c $(pkg-config --cflags --libs rotor-test)
rotorgen -o echo-raw-machines.c echo-raw.rsm
cc -o echo-raw echo-raw.c echo-raw-machines.c $(pkg-config --cflags --libs rotor)
') || exit 1
pass "installed examples: echo-server, echo-replay and echo-raw build"

# ---- librotor-http, through pkg-config rotor-http ----
(cd "$E" && run "$WORK/http-examples.log" sh -ec '
cc -o http-hello http-hello.c $(pkg-config --cflags --libs rotor-http)
cc -o http-fetch http-fetch.c $(pkg-config --cflags --libs rotor-http)
cc -o hello-http hello-http.c $(pkg-config --cflags --libs rotor-http)
cc -o http-proxy http-proxy.c $(pkg-config --cflags --libs rotor-http)
') || exit 1
pass "installed examples: http-hello, http-fetch, hello-http and http-proxy build with pkg-config rotor-http"
if command -v curl >/dev/null 2>&1; then
    "$E/http-hello" 0 2>"$WORK/http.err" &
    SERVER_PID=$!
    i=0
    until grep -q "listening on" "$WORK/http.err" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 100 ] && fail "http-hello did not start: $(cat "$WORK/http.err")"
        sleep 0.05
    done
    PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$WORK/http.err")
    reply=$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/") ||
        fail "curl GET / failed"
    [ "$reply" = "hello" ] || fail "http-hello GET /: got [$reply]"
    code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other")
    [ "$code" = 404 ] || fail "http-hello GET /other: status $code, not 404"
    reply=$("$E/http-fetch" 127.0.0.1 "$PORT" /) || fail "http-fetch failed"
    [ "$reply" = "200 hello" ] || fail "http-fetch GET /: got [$reply]"
    pass "http-fetch (the installed <rotor/http-client.h>) gets http-hello's answer"
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    pass "http-hello answers its route and 404s the rest (curl)"
else
    echo "note: no curl: http-hello is built but not run"
fi

# ---- librotor-telnet, through pkg-config rotor-telnet ----
(cd "$E" && run "$WORK/telnet-examples.log" sh -ec '
cc -o telnet-codec telnet-codec.c $(pkg-config --cflags --libs rotor-telnet)
cc -o telnet telnet.c $(pkg-config --cflags --libs rotor-telnet)
') || exit 1
pass "installed examples: telnet-codec and telnet build with pkg-config rotor-telnet"
reply=$("$E/telnet-codec" 2>&1) || fail "telnet-codec: $reply"
[ "$reply" = "telnet-codec: ok" ] || fail "telnet-codec: got [$reply]"
pass "telnet-codec: encodes, parses and negotiates through the installed <rotor/telnet.h>"
# The installed telnet client against the installed example's echo server.
"$E/echo-server" 0 2>"$WORK/echo2.err" &
SERVER_PID=$!
i=0
until grep -q "listening on" "$WORK/echo2.err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && fail "echo-server did not start: $(cat "$WORK/echo2.err")"
    sleep 0.05
done
PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$WORK/echo2.err")
reply=$(printf 'over telnet\n' | timeout 30 "$E/telnet" 127.0.0.1 "$PORT" 2>"$WORK/telnet.err") ||
    fail "telnet: exit status $? ($(cat "$WORK/telnet.err"))"
[ "$reply" = "$(printf 'over telnet\r')" ] || fail "telnet: got [$reply]"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
pass "the installed telnet example talks to the installed echo-server"

# ---- without rotor.m4, autoconf says so ----
# (unless aclocal's own folder has one)
if [ -f "$(aclocal --print-ac-dir)/rotor.m4" ]; then
    echo "note: rotor.m4 in $(aclocal --print-ac-dir): the missing-rotor.m4 check is skipped"
else
N=$WORK/no-m4
cp -R "$I$docdir/examples/project" "$N" && chmod -R u+w "$N" || fail "cannot copy"
(cd "$N" && env -u ACLOCAL_PATH autoreconf -fi >"$WORK/no-m4.log" 2>&1) &&
    fail "autoreconf passed without rotor.m4"
grep -q "possibly undefined macro: ROTOR_PROG_ROTORGEN" "$WORK/no-m4.log" ||
    fail "no clear message without rotor.m4: $(tail -n 5 "$WORK/no-m4.log")"
pass "outside project: autoreconf without rotor.m4 stops with a clear message"
fi

# ---- without rotorgen, configure says so ----
# (unless the system has one of its own)
if PATH=/usr/bin:/bin command -v rotorgen >/dev/null 2>&1; then
    echo "note: a rotorgen in /usr/bin: the missing-rotorgen check is skipped"
    exit 0
fi
mkdir "$WORK/none"
(cd "$WORK/none" && PATH=/usr/bin:/bin PKG_CONFIG_LIBDIR=/nonexistent \
    "$P/configure" >"$WORK/none.log" 2>&1) && fail "configure passed without rotorgen"
grep -q "error: rotorgen 0.1 or newer was not found" "$WORK/none.log" ||
    fail "no clear message without rotorgen: $(tail -n 5 "$WORK/none.log")"
pass "outside project: configure without rotorgen stops with a clear message"
