#!/bin/sh
# doc.sh: the examples of doc/rsm.md are real.  Every ```rsm block is a
# complete file: rotorgen -Werror must accept it and its .c must compile
# cleanly; a block whose first line is `# error: MESSAGE` must make
# rotorgen fail with that message; a block opened with ```rsm check must
# pass `rotorgen --check -Werror` (its C is not compiled).
: "${top_builddir:?}" "${top_srcdir:?}"
ROTORGEN=$top_builddir/rotorgen/rotorgen
CC=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotorgen-doc.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0
n=0

awk -v dir="$tmp" '
    /^```rsm( check)?$/ {
        n++; file = sprintf("%s/ex%02d.rsm", dir, n); inside = 1
        if ($2 == "check") print "" > sprintf("%s/ex%02d.check", dir, n)
        next
    }
    /^```$/ && inside { inside = 0; close(file); next }
    inside { print > file }
' "$top_srcdir/doc/rsm.md"

for f in "$tmp"/ex*.rsm; do
    [ -f "$f" ] || { echo "FAIL: no examples found"; exit 1; }
    n=$((n + 1))
    ex=$(basename "$f" .rsm)
    want=$(sed -n '1s/^# error: //p' "$f")
    check=
    [ -f "$tmp/$ex.check" ] && check=--check
    (cd "$tmp" && "$ROTORGEN" $check -Werror "$ex.rsm" >/dev/null 2>"$ex.err")
    status=$?
    if [ -n "$want" ]; then
        if [ $status != 1 ] || ! grep -q -F -e "error: $want" "$tmp/$ex.err"; then
            echo "FAIL: example $ex (doc/rsm.md) should fail with: $want"
            cat "$tmp/$ex.err"
            failed=$((failed + 1))
        fi
        continue
    fi
    if [ $status != 0 ]; then
        echo "FAIL: example $ex of doc/rsm.md:"
        cat "$tmp/$ex.err"
        failed=$((failed + 1))
        continue
    fi
    [ -n "$check" ] && continue
    (cd "$tmp" && $CC -std=c11 -Wall -Wextra -Wpedantic -Werror \
        -I"$top_srcdir/runtime" -c "$ex.c" -o "$ex.o") || {
        echo "FAIL: example $ex of doc/rsm.md does not compile"
        failed=$((failed + 1))
    }
done
echo "doc: $n examples, $failed failed"
[ $failed = 0 ]
