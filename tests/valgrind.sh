#!/bin/sh
# tests/valgrind.sh: every Check test program under valgrind's memcheck.
# Not in TESTS (it takes minutes); run it from the build directory:
#
#     make check-valgrind
#     sh tests/valgrind.sh [PROGRAM...]     (after make check)
#
# Without arguments: the built tests/runtime/test-*, tests/http/test-* and
# tests/telnet/test-*.  Each runs with CK_FORK=no (so the tests run in the
# process valgrind watches) under
#
#     valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
#              --error-exitcode=1
#
# through the package's libtool (--mode=execute), so that valgrind sees
# the real program behind a libtool wrapper script.  One line a program:
# ok, LEAK/ERRORS (memcheck found something: its report follows) or TEST
# FAILED (the program failed without memcheck errors, e.g. a timing test
# too slow under valgrind).  Exit status 1 if any program is not ok.
#
# Environment: top_builddir (default .), VALGRIND (valgrind),
# VALGRIND_FLAGS (extra flags), VALGRIND_STRESS_N (20000: the futures sent
# by tests/runtime/test-stress, 1,000,000 by default, which would take an
# hour under valgrind), VALGRIND_KEEP=1 keeps the logs.

top_builddir=${top_builddir:-.}
VALGRIND=${VALGRIND:-valgrind}

if ! command -v "$VALGRIND" >/dev/null 2>&1; then
    echo "tests/valgrind.sh: $VALGRIND is not installed (apt-get install valgrind)" >&2
    exit 77
fi

logdir=$(mktemp -d "${TMPDIR:-/tmp}/rotor-valgrind.XXXXXX") || exit 1
keep=${VALGRIND_KEEP:-0}
cleanup() { [ "$keep" = 1 ] || rm -rf "$logdir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ $# -eq 0 ]; then
    for p in "$top_builddir"/tests/runtime/test-* "$top_builddir"/tests/http/test-* \
             "$top_builddir"/tests/telnet/test-*; do
        case $p in *.o|*.c|*.h|*.log|*.trs|*.lo) continue ;; esac
        [ -f "$p" ] && [ -x "$p" ] && set -- "$@" "$p"
    done
fi
if [ $# -eq 0 ]; then
    echo "tests/valgrind.sh: no test programs under $top_builddir: run 'make check' first" >&2
    exit 1
fi

exec_prefix=
[ -x "$top_builddir/libtool" ] && exec_prefix="$top_builddir/libtool --mode=execute"

echo "memcheck over $# Check programs ($("$VALGRIND" --version))"
failed=0 n=0
for p in "$@"; do
    case $p in */*) ;; *) p=$top_builddir/$p ;; esac
    n=$((n + 1))
    name=$(echo "$p" | sed "s|^$top_builddir/||")
    log=$logdir/$(echo "$name" | tr / _).log
    out=$log.out
    t0=$(date +%s)
    # shellcheck disable=SC2086
    CK_FORK=no CK_TIMEOUT_MULTIPLIER=20 ROTOR_STRESS_N=${VALGRIND_STRESS_N:-20000} \
        $exec_prefix "$VALGRIND" --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
        --log-file="$log" $VALGRIND_FLAGS "$p" >"$out" 2>&1
    rc=$?
    secs=$(( $(date +%s) - t0 ))
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9][0-9]*\) errors.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    inuse=$(sed -n 's/.*in use at exit: \([0-9,]*\) bytes.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    checks=$(grep -E '^[0-9]+%: Checks' "$out" | tail -n 1)
    summary="errors=${errs:-?} definitely_lost=${def:-0} indirectly_lost=${ind:-0} in_use_at_exit=${inuse:-?} ${secs}s; ${checks:-no Check summary}"
    if [ -n "$errs" ] && [ "$errs" -gt 0 ]; then
        failed=1
        echo "LEAK/ERRORS $name: $summary"
        # the report: every error and leak record, with its stack
        sed -n '/^==[0-9]*== [A-Z].*\(lost in loss record\|Invalid\|uninitialised\|Conditional\|Mismatched\|overlap\|free\)/,/^==[0-9]*== $/p' \
            "$log" | sed 's/^==[0-9]*== /    /'
    elif [ "$rc" -ne 0 ] || [ -z "$errs" ]; then
        failed=1
        echo "TEST FAILED $name (exit $rc): $summary"
        tail -n 5 "$out" | sed 's/^/    /'
    else
        echo "ok $name: $summary"
    fi
done
if [ "$failed" -ne 0 ]; then
    keep=1
    echo "memcheck: FAILED (logs kept in $logdir)"
    exit 1
fi
echo "memcheck: all $n programs clean"
