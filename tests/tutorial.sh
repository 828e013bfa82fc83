#!/bin/sh
# tutorial.sh: builds each step of doc/tutorial.md, and the example of
# doc/runtime.md, with the very commands the pages give (rotorgen, then cc
# with pkg-config), against this build tree instead of an installed rotor,
# and runs them as the pages do.  Step 4 is the outside project of
# tests/consumer/project.
. "$top_srcdir/tests/e2e/lib.sh"
need "$SOCAT"
need pkg-config
need cc

# A rotor.pc for the build tree; rotorgen and librotor from the tree.
mkdir "$WORK/pc"
cat >"$WORK/pc/rotor.pc" <<EOF
Name: rotor
Description: rotor, uninstalled
Version: 0
Requires: libevent >= 2.1
Cflags: -I$top_srcdir/runtime -I$top_builddir/runtime
Libs: -L$top_builddir/runtime/.libs -lrotor
EOF
PKG_CONFIG_PATH="$WORK/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
LD_LIBRARY_PATH="$top_builddir/runtime/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
PATH="$top_builddir/rotorgen:$PATH"
export PKG_CONFIG_PATH LD_LIBRARY_PATH PATH
unset ROTOR_TRACE

# The tutorial says `cc`: make that the compiler and flags this build was
# configured with, so a sanitizer build links its sanitized library.
mkdir -p "$WORK/bin"
cat >"$WORK/bin/cc" <<END
#!/bin/sh
exec ${ROTOR_CC:-/usr/bin/cc} ${ROTOR_CFLAGS:-} "\$@" ${ROTOR_LDFLAGS:-}
END
chmod +x "$WORK/bin/cc"
PATH=$WORK/bin:$PATH

# build DIR FILES...: copies the files into $WORK/DIR and builds there.
build() {
    dir=$WORK/$1; shift
    mkdir "$dir" && cp "$@" "$dir" || fail "cannot copy $*"
    # The tutorial's commands, exactly:
    (cd "$dir" && sh -e) >"$dir/build.log" 2>&1 <<'END' ||
rotorgen echo.rsm
cc -o echo-server main.c echo.c $(pkg-config --cflags --libs rotor)
END
        fail "$dir does not build: $(cat "$dir/build.log")"
    grep . "$dir/build.log" >&2
    # And the same sources under strict warnings.
    (cd "$dir" && cc -std=c11 -Wall -Wextra -Wpedantic -Wno-unused-parameter \
        -Werror -c main.c echo.c $(pkg-config --cflags rotor)) ||
        fail "$dir has warnings"
}

# talk DATA: sends DATA to the server, prints the reply.
talk() {
    printf "$1" | "$SOCAT" -t 5 -T 10 - "TCP:127.0.0.1:$PORT"
}

expect() {
    [ "$1" = "$2" ] || fail "$3: expected [$2], got [$1]"
    pass "$3"
}

T=$top_srcdir/doc/tutorial

# Step 1: a machine that says hello after half a second, and the trace.
build step1 "$T/step1/echo.rsm" "$T/step1/main.c"
out=$(cd "$WORK/step1" && ROTOR_TRACE=1 ./echo-server 2>"$WORK/step1/trace")
expect "$out" "hello from waiting" "step 1 says hello"
expect "$(cat "$WORK/step1/trace")" "[hello#0.1] spawned in waiting
[hello#0.1] waiting --timeout--> done" "step 1 traces its transition"

# Step 2: a greeting server.
build step2 "$T/step2/echo.rsm" "$T/step2/main.c"
start_server step2 "$WORK/step2/log" "$WORK/step2/echo-server" 0
expect "$(talk '')" "hello from rotor" "step 2 greets"
expect "$(talk '')" "hello from rotor" "step 2 greets again"
stop_server 2>/dev/null     # killed by SIGTERM: steps 2 and 3 do not catch it

# Step 3: a line echo server; a last line without newline is lost.
build step3 "$T/step3/echo.rsm" "$T/step3/main.c"
start_server step3 "$WORK/step3/log" "$WORK/step3/echo-server" 0
expect "$(talk 'one\ntwo\nthree')" "one
two" "step 3 echoes lines"
stop_server 2>/dev/null

# Step 4: the finished server, as the outside project holds it.
P=$top_srcdir/tests/consumer/project
build step4 "$P/echo.rsm" "$P/echo-types.h" "$P/main.c"
start_server step4 "$WORK/step4/log" "$WORK/step4/echo-server" 0
expect "$(talk 'one\ntwo\nthree')" "one
two
three" "step 4 echoes the last line too"
long=$(head -c 2000 /dev/zero | tr '\0' x)
expect "$(talk "$long\nafter\n")" "error: line too long" "step 4 refuses a long line"
stop_server || fail "step 4 exited with status $rc"
expect "$(sed -n '2,$p' "$WORK/step4/log")" "2 clients, 3 lines" "step 4 counts"

# Its timeout, made short (30s -> 1s) to be seen.
sed 's/timeout 30s;/timeout 1s;/' "$P/echo.rsm" >"$WORK/echo.rsm"
build step4t "$WORK/echo.rsm" "$P/echo-types.h" "$P/main.c"
start_server step4t "$WORK/step4t/log" "$WORK/step4t/echo-server" 0
expect "$( (printf 'hi\n'; sleep 3) |
    "$SOCAT" -t 5 -T 10 - "TCP:127.0.0.1:$PORT")" "hi
goodbye after 1 lines" "step 4 says goodbye to a silent client"
stop_server

# doc/runtime.md's future example: a worker thread resolves a promise.
R=$WORK/runtime
mkdir "$R" && cp "$top_srcdir/doc/runtime/sum.rsm" "$top_srcdir/doc/runtime/main.c" "$R" ||
    fail "cannot copy doc/runtime"
(cd "$R" && sh -e) >"$R/build.log" 2>&1 <<'END' ||
rotorgen sum.rsm
cc -o sum main.c sum.c $(pkg-config --cflags --libs rotor) -pthread
END
    fail "doc/runtime does not build: $(cat "$R/build.log")"
grep . "$R/build.log" >&2
(cd "$R" && cc -std=c11 -Wall -Wextra -Wpedantic -Wno-unused-parameter -Werror \
    -c main.c sum.c $(pkg-config --cflags rotor)) || fail "doc/runtime has warnings"
out=$(cd "$R" && ROTOR_TRACE=1 ./sum 2>"$R/trace") || fail "sum failed: $out"
expect "$out" "total: 500000500000" "runtime: the future brings the worker's total"
expect "$(cat "$R/trace")" "[summer#0.1] spawned in waiting
[summer#0.1] waiting --resolved--> done" "runtime: the future's trace"
