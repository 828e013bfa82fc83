# bench-lib.sh: helpers shared by bench/echo and bench/http (POSIX sh).
# Sourced, not run.  Every server started here is recorded and killed on
# exit, whatever the exit path.

top_builddir=${top_builddir:-.}
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rotor-bench.XXXXXX") || exit 1
BENCH_PIDS=
BENCH_FAILED=0
BENCH_SEQ=0

bench_cleanup() {
    for _p in $BENCH_PIDS; do kill "$_p" 2>/dev/null; done
    for _p in $BENCH_PIDS; do wait "$_p" 2>/dev/null; done
    rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP

bench_have() { command -v "$1" >/dev/null 2>&1; }

# BENCH_EXEC prefixes a command that runs a built program under a tool:
# the package's libtool, when there is one, so that for a libtool wrapper
# script (a program linked with librotor.la) strace and valgrind see the
# real binary.  Both libtool and its wrappers exec, so $! is the server.
BENCH_EXEC=
if [ -x "$top_builddir/libtool" ]; then
    BENCH_EXEC="$top_builddir/libtool --mode=execute"
fi

# bench_start NAME TENTHS CMD... : starts CMD 127.0.0.1:0 in the
# background and waits (at most TENTHS tenths of a second) for its
# "NAME: listening on HOST:PORT" line.  Sets SERVER_PID and SERVER_PORT.
bench_start() {
    _name=$1 _tries=$2
    shift 2
    BENCH_SEQ=$((BENCH_SEQ + 1))      # a new log each time: no stale port
    _log=$BENCH_TMP/$_name.$BENCH_SEQ.err
    "$@" 127.0.0.1:0 >/dev/null 2>"$_log" </dev/null &
    SERVER_PID=$!
    BENCH_PIDS="$BENCH_PIDS $SERVER_PID"
    _i=0
    while [ "$_i" -lt "$_tries" ]; do
        SERVER_PORT=$(sed -n 's/.*: listening on .*:\([0-9][0-9]*\)$/\1/p' 2>/dev/null \
                      "$_log" | head -n 1)
        [ -n "$SERVER_PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
        _i=$((_i + 1))
    done
    echo "  $_name did not start: $(tail -n 2 "$_log" | tr '\n' ' ')" >&2
    bench_stop "$SERVER_PID"
    return 1
}

# bench_stop PID [TENTHS] : SIGTERM, then (after 10 s, or TENTHS/10 s)
# SIGKILL; waits for it.
bench_stop() {
    kill "$1" 2>/dev/null
    _i=0
    # $2: tenths of a second to wait (10 s by default; a program under
    # callgrind needs longer to write its profile on a loaded machine)
    while kill -0 "$1" 2>/dev/null && [ "$_i" -lt "${2:-100}" ]; do
        # a zombie child still answers kill -0: look at its state
        case $(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) in
        Z|'') break ;;
        esac
        sleep 0.1
        _i=$((_i + 1))
    done
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    bench_forget "$1"
}

bench_forget() {
    _rest=
    for _p in $BENCH_PIDS; do [ "$_p" = "$1" ] || _rest="$_rest $_p"; done
    BENCH_PIDS=$_rest
}

# bench_field KEY < "a=1 key=2 ..." : the value of key=.
bench_field() { sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p" | head -n 1; }

# bench_median < numbers, one a line : the median ("-" if none).
bench_median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) print "-";
              else if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B : A/B with 2 decimals, "-" when either is missing.
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0)
            print "-";
        else printf "%.2f\n", a / b }'
}

# bench_div A B [FMT] : A/B printed with FMT (default %.1f).
bench_div() {
    awk -v a="$1" -v b="$2" -v f="${3:-%.1f}" 'BEGIN {
        if (a == "" || b == "" || b + 0 == 0) print "-";
        else printf f "\n", a / b }'
}

# bench_syscalls PID OUT CMD... : attaches strace -c -f to PID, runs CMD,
# detaches; sets SYSCALLS to the total number of system calls PID made
# meanwhile (empty if strace could not attach or CMD failed).  Not to be
# run in a subshell: strace must be one of this shell's children.
bench_syscalls() {
    _pid=$1 _out=$2 SYSCALLS=
    shift 2
    strace -c -f -p "$_pid" -o "$_out" 2>"$_out.err" &
    _spid=$!
    BENCH_PIDS="$BENCH_PIDS $_spid"
    _i=0
    while ! grep -q attached "$_out.err" 2>/dev/null; do
        _i=$((_i + 1))
        if [ "$_i" -gt 50 ] || ! kill -0 "$_spid" 2>/dev/null; then
            kill "$_spid" 2>/dev/null
            wait "$_spid" 2>/dev/null
            echo "  strace could not attach: $(head -n 1 "$_out.err")" >&2
            return 0
        fi
        sleep 0.1
    done
    "$@" >"$_out.load" 2>&1
    _rc=$?
    sleep 0.2                   # let the server finish its last calls
    kill -INT "$_spid" 2>/dev/null
    wait "$_spid" 2>/dev/null
    bench_forget "$_spid"
    if [ "$_rc" -ne 0 ]; then
        echo "  load failed under strace: $(tail -n 1 "$_out.load")" >&2
        BENCH_FAILED=1
        return 0
    fi
    SYSCALLS=$(awk '$NF == "total" { print $4 }' "$_out")
}

# bench_callgrind NAME COUNT LOADCMD -- SERVERCMD... : starts the server
# under callgrind, runs "LOADCMD 127.0.0.1:PORT" (LOADCMD: one word list,
# with the count already in it), stops the server; sets CG_IR to the
# total Ir (empty on failure).  Not to be run in a subshell.
bench_callgrind() {
    _name=$1 _load=$2 CG_IR=
    shift 2
    _cg=$BENCH_TMP/$_name.cg
    rm -f "$_cg"
    # shellcheck disable=SC2086
    bench_start "$_name" 600 $BENCH_EXEC valgrind --tool=callgrind \
        --callgrind-out-file="$_cg" "$@" || return 0
    # shellcheck disable=SC2086
    if ! $_load "127.0.0.1:$SERVER_PORT" >"$_cg.load" 2>&1; then
        echo "  load failed under callgrind: $(tail -n 1 "$_cg.load")" >&2
        BENCH_FAILED=1
        bench_stop "$SERVER_PID" 600
        return 0
    fi
    bench_stop "$SERVER_PID" 600
    CG_IR=$(sed -n 's/^totals: *\([0-9][0-9]*\).*/\1/p' "$_cg" 2>/dev/null |
            head -n 1)
    [ -n "$CG_IR" ] || echo "  $_name: no callgrind totals" >&2
}

# bench_cpu_ticks PID : utime + stime of PID, in clock ticks.
bench_cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# bench_rotate K WORD... : the words, starting from the (K mod N)-th, so
# that no server is always the first (or last) of a round.
bench_rotate() {
    _k=$1
    shift
    [ $# -gt 0 ] || return 0
    _k=$((_k % $#))
    _head=
    while [ "$_k" -gt 0 ]; do
        _head="$_head $1"
        shift
        _k=$((_k - 1))
    done
    echo "$*$_head"
}

# bench_round_ratio FILE_A FILE_B : files of "ROUND VALUE" lines; the
# median over the rounds present in both of A/B, with 2 decimals ("-" if
# none).  Runs of one round are adjacent in time, so a per-round ratio is
# steadier than a ratio of medians when the machine's load drifts.
bench_round_ratio() {
    [ -s "$1" ] && [ -s "$2" ] || { echo -; return 0; }
    awk 'NR == FNR { a[$1] = $2; next }
         ($1 in a) && $2 + 0 != 0 { print a[$1] / $2 }' "$1" "$2" |
        bench_median | awk '{ if ($1 == "-") print; else printf "%.2f\n", $1 }'
}
