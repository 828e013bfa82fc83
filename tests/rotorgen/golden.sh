#!/bin/sh
# golden.sh: rotorgen's golden tests.
#
# For every tests/rotorgen/NAME.rsm: if NAME.err exists the input is
# invalid, and rotorgen must exit 1, print exactly NAME.err on stderr and
# leave no file behind; otherwise rotorgen must exit 0 silently and write
# exactly NAME.c and NAME.h, the same bytes on a second run, and the .c
# must compile cleanly.  A case with neither expected file fails.
#
# REGEN=1 rewrites the expected files from the current rotorgen instead
# (then read every changed file before committing it).
#
# Runs from `make check` (top_builddir and top_srcdir set), or by hand:
#   top_builddir=BUILD top_srcdir=SRC sh tests/rotorgen/golden.sh [NAME...]

: "${top_builddir:?}" "${top_srcdir:?}"
ROTORGEN=$top_builddir/rotorgen/rotorgen
CASES=$top_srcdir/tests/rotorgen
CC=${CC:-cc}
CFLAGS_STRICT="-std=c11 -Wall -Wextra -Wpedantic -Werror"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotorgen-golden.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

failed=0
passed=0

fail() {
    echo "FAIL: $name: $*"
    failed=$((failed + 1))
}

# Runs rotorgen in a fresh directory on a copy of the case, so that the
# paths it prints and writes are just NAME.rsm, NAME.c and NAME.h.
run_case() {
    dir=$1
    rm -rf "$dir" && mkdir "$dir" && cp "$CASES/$name.rsm" "$dir/" || exit 99
    (cd "$dir" && "$ROTORGEN" "$name.rsm" >stdout 2>stderr; echo $? >status)
}

check_invalid() {
    run_case "$tmp/a"
    if [ -n "$REGEN" ]; then
        cp "$tmp/a/stderr" "$CASES/$name.err"
        return
    fi
    [ "$(cat "$tmp/a/status")" = 1 ] || fail "exit status $(cat "$tmp/a/status"), expected 1"
    diff -u "$CASES/$name.err" "$tmp/a/stderr" || fail "stderr differs from $name.err"
    [ -s "$tmp/a/stdout" ] && fail "printed on stdout"
    left=$(cd "$tmp/a" && ls -A | grep -v -x -e "$name.rsm" -e stdout -e stderr -e status)
    [ -z "$left" ] && return 0
    fail "left files behind: $left"
}

check_valid() {
    run_case "$tmp/a"
    if [ "$(cat "$tmp/a/status")" != 0 ] || [ -s "$tmp/a/stderr" ]; then
        fail "exit status $(cat "$tmp/a/status"), expected 0 and no message:"
        cat "$tmp/a/stderr"
        return
    fi
    if [ -n "$REGEN" ]; then
        cp "$tmp/a/$name.c" "$tmp/a/$name.h" "$CASES/"
        return
    fi
    for ext in c h; do
        if [ ! -f "$CASES/$name.$ext" ]; then
            fail "expected file $name.$ext is missing"
        else
            diff -u "$CASES/$name.$ext" "$tmp/a/$name.$ext" ||
                fail "$name.$ext differs from the expected file"
        fi
    done
    run_case "$tmp/b"
    for ext in c h; do
        cmp -s "$tmp/a/$name.$ext" "$tmp/b/$name.$ext" ||
            fail "$name.$ext differs between two runs"
    done
    (cd "$tmp/a" && $CC $CFLAGS_STRICT -I"$top_srcdir/runtime" -c "$name.c" -o "$name.o") ||
        fail "$name.c does not compile cleanly"
}

if [ $# -gt 0 ]; then
    names="$*"
else
    names=$(cd "$CASES" && ls *.rsm | sed 's/\.rsm$//')
fi

for name in $names; do
    before=$failed
    if [ -f "$CASES/$name.err" ]; then
        check_invalid
    elif [ -f "$CASES/$name.c" ] || [ -f "$CASES/$name.h" ] || [ -n "$REGEN" ]; then
        # REGEN of a new case: decided by what rotorgen does with it
        if [ -n "$REGEN" ] && [ ! -f "$CASES/$name.c" ]; then
            run_case "$tmp/a"
            if [ "$(cat "$tmp/a/status")" != 0 ]; then check_invalid; else check_valid; fi
        else
            check_valid
        fi
    else
        fail "no expected output (write $name.c + $name.h, or $name.err)"
    fi
    [ $failed = $before ] && passed=$((passed + 1))
done

echo "golden: $passed passed, $failed failed"
[ $failed = 0 ]
