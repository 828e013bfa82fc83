#!/bin/sh
# golden.sh: rotorgen's golden tests.
#
# For every tests/rotorgen/NAME.rsm, run as `rotorgen [FLAGS] NAME.rsm`
# where FLAGS is the content of NAME.flags if there is one:
#  - NAME.err alone: the input is invalid; rotorgen must exit 1, print
#    exactly NAME.err on stderr and leave no file behind;
#  - NAME.c and NAME.h: rotorgen must exit 0, print exactly NAME.err on
#    stderr (its warnings; nothing if there is no NAME.err), write exactly
#    NAME.c and NAME.h, the same bytes on a second run, and the .c must
#    compile cleanly;
#  - NAME.dot besides: the run gets --dot NAME.dot, which must match too,
#    and must render with Graphviz's dot when it is installed;
#  - no NAME.c or NAME.h but a NAME.dot, or `--check` in NAME.flags: the
#    input is valid; `rotorgen --check [--dot NAME.dot]` must exit 0, print
#    exactly NAME.err (its warnings; nothing if there is none), write the
#    drawing only, and it must match.
# A case with no expected file fails.
#
# REGEN=1 rewrites the expected files from the current rotorgen instead
# (then read every changed file before committing it).  A new case gets
# a .dot only if an empty NAME.dot was created first.
#
# Runs from `make check` (top_builddir and top_srcdir set), or by hand:
#   top_builddir=BUILD top_srcdir=SRC sh tests/rotorgen/golden.sh [NAME...]

: "${top_builddir:?}" "${top_srcdir:?}"
ROTORGEN=$top_builddir/rotorgen/rotorgen
CASES=$top_srcdir/tests/rotorgen
CC=${CC:-cc}
CFLAGS_STRICT="-std=c11 -Wall -Wextra -Wpedantic -Werror"
DOT=${DOT:-$(command -v dot)}

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
    flags=
    [ -f "$CASES/$name.flags" ] && flags=$(cat "$CASES/$name.flags")
    [ -f "$CASES/$name.dot" ] && flags="$flags --dot $name.dot"
    is_checked && ! grep -q -e --check "$CASES/$name.flags" 2>/dev/null &&
        flags="--check $flags"
    # shellcheck disable=SC2086  # flags are words
    (cd "$dir" && "$ROTORGEN" $flags "$name.rsm" >stdout 2>stderr; echo $? >status)
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

# A valid case run with --check: warnings and the drawing, no C.
check_checked() {
    run_case "$tmp/a"
    if [ -n "$REGEN" ]; then
        [ -f "$CASES/$name.dot" ] && cp "$tmp/a/$name.dot" "$CASES/"
        if [ -s "$tmp/a/stderr" ]; then cp "$tmp/a/stderr" "$CASES/$name.err"
        else rm -f "$CASES/$name.err"; fi
        return
    fi
    [ "$(cat "$tmp/a/status")" = 0 ] || { fail "exit status $(cat "$tmp/a/status"), expected 0:"; cat "$tmp/a/stderr"; return; }
    if [ -f "$CASES/$name.err" ]; then
        diff -u "$CASES/$name.err" "$tmp/a/stderr" || fail "stderr differs from $name.err"
    elif [ -s "$tmp/a/stderr" ]; then
        fail "expected no message, got:"
        cat "$tmp/a/stderr"
    fi
    left=$(cd "$tmp/a" && ls -A | grep -v -x -e "$name.rsm" -e "$name.dot" -e stdout -e stderr -e status)
    [ -z "$left" ] || fail "--check wrote more than the drawing: $left"
    [ -f "$CASES/$name.dot" ] || return 0
    diff -u "$CASES/$name.dot" "$tmp/a/$name.dot" || fail "$name.dot differs from the expected file"
    if [ -n "$DOT" ]; then
        "$DOT" -Tsvg "$tmp/a/$name.dot" -o "$tmp/a/$name.svg" 2>"$tmp/a/dot.err" &&
            [ ! -s "$tmp/a/dot.err" ] || { fail "dot cannot render $name.dot:"; cat "$tmp/a/dot.err"; }
    fi
}

check_valid() {
    run_case "$tmp/a"
    if [ "$(cat "$tmp/a/status")" != 0 ]; then
        fail "exit status $(cat "$tmp/a/status"), expected 0:"
        cat "$tmp/a/stderr"
        return
    fi
    exts="c h"
    [ -f "$CASES/$name.dot" ] && exts="c h dot"
    if [ -n "$REGEN" ]; then
        for ext in $exts; do cp "$tmp/a/$name.$ext" "$CASES/"; done
        if [ -s "$tmp/a/stderr" ]; then cp "$tmp/a/stderr" "$CASES/$name.err"
        else rm -f "$CASES/$name.err"; fi
        return
    fi
    if [ -f "$CASES/$name.err" ]; then
        diff -u "$CASES/$name.err" "$tmp/a/stderr" || fail "stderr differs from $name.err"
    elif [ -s "$tmp/a/stderr" ]; then
        fail "expected no message, got:"
        cat "$tmp/a/stderr"
    fi
    for ext in $exts; do
        if [ ! -f "$CASES/$name.$ext" ]; then
            fail "expected file $name.$ext is missing"
        else
            diff -u "$CASES/$name.$ext" "$tmp/a/$name.$ext" ||
                fail "$name.$ext differs from the expected file"
        fi
    done
    run_case "$tmp/b"
    for ext in $exts; do
        cmp -s "$tmp/a/$name.$ext" "$tmp/b/$name.$ext" ||
            fail "$name.$ext differs between two runs"
    done
    (cd "$tmp/a" && $CC $CFLAGS_STRICT -I"$top_srcdir/runtime" -c "$name.c" -o "$name.o") ||
        fail "$name.c does not compile cleanly"
    if [ -f "$CASES/$name.dot" ] && [ -n "$DOT" ]; then
        "$DOT" -Tsvg "$tmp/a/$name.dot" -o "$tmp/a/$name.svg" 2>"$tmp/a/dot.err" &&
            [ ! -s "$tmp/a/dot.err" ] || { fail "dot cannot render $name.dot:"; cat "$tmp/a/dot.err"; }
    fi
}

# A valid case whose C is not compared: only --check runs.
is_checked() {
    [ ! -f "$CASES/$name.c" ] && [ ! -f "$CASES/$name.h" ] &&
        { [ -f "$CASES/$name.dot" ] || grep -q -e --check "$CASES/$name.flags" 2>/dev/null; }
}

if [ $# -gt 0 ]; then
    names="$*"
else
    names=$(cd "$CASES" && ls *.rsm | sed 's/\.rsm$//')
fi

for name in $names; do
    before=$failed
    if is_checked; then
        check_checked
    elif [ -f "$CASES/$name.c" ] || [ -f "$CASES/$name.h" ]; then
        check_valid
    elif [ -f "$CASES/$name.err" ] && [ -z "$REGEN" ]; then
        check_invalid
    elif [ -n "$REGEN" ]; then
        # REGEN of a new or invalid case: decided by what rotorgen does
        run_case "$tmp/a"
        if [ "$(cat "$tmp/a/status")" != 0 ]; then check_invalid; else check_valid; fi
    else
        fail "no expected output (write $name.c + $name.h, or $name.err)"
    fi
    [ $failed = $before ] && passed=$((passed + 1))
done

echo "golden: $passed passed, $failed failed"
[ $failed = 0 ]
