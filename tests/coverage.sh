#!/bin/sh
# coverage.sh: `make coverage`.  Runs the end-to-end tests of the shipped
# machines, each with ROTOR_TRACE naming a trace file of its own in
# coverage/ of the build tree (the runtime writes the machine-readable
# trace there: "#rotor-trace 1", one E record per delivered event), then
# prints `rotorgen --coverage` of each grammars/*.rsm over the traces of
# the tests that run its program, and draws coverage/NAME.dot.
#
# Each grammar gets only its own tests' traces: echo.rsm and echo-raw.rsm
# both have a machine type echo_conn, so one's records would be read as
# the other's.  A test that sets ROTOR_TRACE itself (echo-fds.sh starts
# its server with ROTOR_TRACE=1, for a trace line on stderr that it
# checks) writes no file: that is said, not an error.
# A failing test is reported; its trace counts all the same.
#
# Runs from `make coverage` (top_builddir, top_srcdir and MAKE set).
: "${top_builddir:?}" "${top_srcdir:?}"
MAKE=${MAKE:-make}
ROTORGEN=$top_builddir/rotorgen/rotorgen
out=$top_builddir/coverage
rm -rf "$out" && mkdir -p "$out" || exit 1

# grammar:the tests that start its program
set -- "echo:tests/e2e/echo.sh tests/e2e/echo-fds.sh tests/e2e/echo-threads.sh" \
       "echo-raw:tests/e2e/echo-raw.sh" \
       "telnet:tests/e2e/telnet.sh" \
       "http:tests/e2e/http.sh tests/e2e/https.sh"

# run_test TEST: runs one test with its own trace file; prints the file
# when the run wrote one.
run_test() {
    n=$(basename "$1" .sh)
    trace=$out/$n.trace
    ROTOR_TRACE=$trace $MAKE -C "$top_builddir" check TESTS="$1" >"$out/$n.log" 2>&1 ||
        echo "coverage: $1 failed (see coverage/$n.log); its trace counts all the same" >&2
    if [ -s "$trace" ]; then
        echo "$trace"
    else
        echo "coverage: $1 wrote no trace (it sets ROTOR_TRACE itself, or the runtime does not write ROTOR_TRACE=FILE)" >&2
    fi
}

# A grammar without a trace is said, not a failure (echo-raw's only test
# traces to stderr); none measured at all, or a trace rotorgen refuses, is.
status=0
measured=0
for entry; do
    g=${entry%%:*}
    traces=
    for t in ${entry#*:}; do
        traces="$traces $(run_test "$t")"
    done
    echo "== grammars/$g.rsm"
    # shellcheck disable=SC2086  # traces are words (build paths)
    if [ -z "$(echo $traces)" ]; then
        echo "no trace: not measured"
        continue
    fi
    measured=$((measured + 1))
    # from the source tree, so that the notes name grammars/NAME.rsm
    # shellcheck disable=SC2086
    (cd "$top_srcdir" && "$ROTORGEN" --coverage --dot "$out/$g.dot" -Wno-dead-end \
        -Wno-unhandled -Wno-unreachable -Wno-shadowed $traces "grammars/$g.rsm") || status=1
done
if [ $measured = 0 ]; then
    echo "coverage: no test wrote a trace: does the runtime write ROTOR_TRACE=FILE?" >&2
    status=1
fi
exit $status
