#!/bin/sh
# tools.sh: rotorgen --paths and --coverage against golden files in
# tests/rotorgen/tools/.  Each CASE.args holds the expected exit status on
# its first line and rotorgen's arguments on its second; the run happens
# in a fresh directory holding copies of every .rsm and .trace there, and
# must print exactly CASE.out on stdout and CASE.err on stderr (a missing
# file: nothing), and write CASE.dot if the arguments name it.
# REGEN=1 rewrites the expected files (read every change before
# committing it).
: "${top_builddir:?}" "${top_srcdir:?}"
ROTORGEN=$top_builddir/rotorgen/rotorgen
CASES=$top_srcdir/tests/rotorgen/tools
DOT=${DOT:-$(command -v dot)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotorgen-tools.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0
passed=0

fail() {
    echo "FAIL: $name: $*"
    failed=$((failed + 1))
}

# expect FILE GOT: the expected file, or nothing when there is none.
expect() {
    if [ -n "$REGEN" ]; then
        if [ -s "$2" ]; then cp "$2" "$CASES/$1"; else rm -f "$CASES/$1"; fi
    elif [ -f "$CASES/$1" ]; then
        diff -u "$CASES/$1" "$2" || fail "differs from $1"
    elif [ -s "$2" ]; then
        fail "expected no $1, got:"
        cat "$2"
    fi
}

for args_file in "$CASES"/*.args; do
    name=$(basename "$args_file" .args)
    before=$failed
    rm -rf "$tmp/w" && mkdir "$tmp/w" && cp "$CASES"/*.rsm "$CASES"/*.trace "$tmp/w/" || exit 99
    want=$(sed -n 1p "$args_file")
    args=$(sed -n 2p "$args_file")
    # shellcheck disable=SC2086  # args are words
    (cd "$tmp/w" && "$ROTORGEN" $args >stdout 2>stderr; echo $? >status)
    got=$(cat "$tmp/w/status")
    [ "$got" = "$want" ] || fail "exit status $got, expected $want"
    expect "$name.out" "$tmp/w/stdout"
    expect "$name.err" "$tmp/w/stderr"
    case " $args " in
    *" --dot $name.dot "*)
        if [ -n "$REGEN" ]; then cp "$tmp/w/$name.dot" "$CASES/"
        else
            diff -u "$CASES/$name.dot" "$tmp/w/$name.dot" || fail "$name.dot differs"
            if [ -n "$DOT" ]; then
                "$DOT" -Tsvg "$tmp/w/$name.dot" -o "$tmp/w/x.svg" 2>"$tmp/w/dot.err" &&
                    [ ! -s "$tmp/w/dot.err" ] || fail "dot cannot render $name.dot"
            fi
        fi ;;
    esac
    [ "$got" = 0 ] || [ -z "$(cd "$tmp/w" && ls | grep -v -e '\.rsm$' -e '\.trace$' -e '^std' -e '^status$')" ] ||
        fail "a failed run left files behind"
    [ $failed = $before ] && passed=$((passed + 1))
done

echo "tools: $passed passed, $failed failed"
[ $failed = 0 ]
