#!/bin/sh
# cli.sh: rotorgen's command line: options, output names, --check,
# --no-lines, -M, failures that must leave nothing behind, and inputs
# too odd for a golden file (a megabyte-long identifier).
: "${top_builddir:?}" "${top_srcdir:?}"
ROTORGEN=$top_builddir/rotorgen/rotorgen
CASES=$top_srcdir/tests/rotorgen
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotorgen-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0

fail() {
    echo "FAIL: $*"
    failed=$((failed + 1))
}

# run STATUS ARGS...: runs rotorgen in $tmp/w, wants exit status STATUS.
run() {
    want=$1
    shift
    (cd "$tmp/w" && "$ROTORGEN" "$@" >out 2>err)
    got=$?
    [ "$got" = "$want" ] || { fail "rotorgen $*: exit $got, expected $want"; cat "$tmp/w/err"; }
}

fresh() {
    rm -rf "$tmp/w" && mkdir -p "$tmp/w/dir" && cp "$CASES/stream.rsm" "$tmp/w/dir/" || exit 99
}

has() { [ -f "$tmp/w/$1" ] || fail "$2: $1 was not written"; }
hasnt() { [ ! -e "$tmp/w/$1" ] || fail "$2: $1 should not exist"; }
only() {    # only FILES...: nothing else is in $tmp/w (besides out, err, dir)
    extra=$(cd "$tmp/w" && ls -A | grep -v -x -e out -e err -e dir $(for f; do printf ' -e %s' "$f"; done))
    [ -z "$extra" ] || fail "unexpected files: $extra"
    extra=$(cd "$tmp/w/dir" && ls -A | grep -v -x -e stream.rsm -e hier.rsm)
    [ -z "$extra" ] || fail "unexpected files in dir/: $extra"
}
says() { grep -q -e "$1" "$tmp/w/$2" || { fail "$3: no '$1' in $2:"; cat "$tmp/w/$2"; }; }

# --help and --version
fresh; run 0 --help; says '^Usage: rotorgen' out "--help"; only
fresh; run 0 --version; says '^rotorgen [0-9]' out "--version"; only

# usage errors
fresh; run 1 --frobnicate dir/stream.rsm; says "unknown option '--frobnicate'" err "unknown option"; only
fresh; run 1; says "no input file" err "no input"; only
fresh; run 1 dir/stream.rsm dir/stream.rsm; says "more than one input" err "two inputs"
fresh; run 1 -o; says "needs a file name" err "-o without a value"
fresh; run 1 missing.rsm; says "^rotorgen: error: cannot open 'missing.rsm'" err "missing file"; only
fresh; run 1 -Wno-frobnicate dir/stream.rsm; says "unknown warning option '-Wno-frobnicate'" err "bad -Wno-"; only
fresh; run 1 -Wfrobnicate dir/stream.rsm; says "unknown warning option" err "bad -W"; only
fresh; run 1 --dot dir/stream.rsm dir/stream.rsm; says "overwrite the input" err "--dot input"; only
fresh; run 1 --dot stream.c dir/stream.rsm; says "two outputs have the same name ('stream.c')" err "--dot = .c"; only
fresh; run 1 -o dir/stream.rsm dir/stream.rsm; says "overwrite the input" err "-o input"; only
fresh; run 1 dir; says "cannot read 'dir'" err "directory as input"; only

# default names: dir/stream.rsm -> ./stream.c + ./stream.h
fresh; run 0 dir/stream.rsm; has stream.c default; has stream.h default; only stream.c stream.h
grep -q 'error' "$tmp/w/err" && fail "default: printed $(cat "$tmp/w/err")"
grep -q '^#line [0-9]* "dir/stream.rsm"$' "$tmp/w/stream.c" || fail "#line names the input as given"
grep -q '^#include "stream.h"$' "$tmp/w/stream.c" || fail "the .c includes its header"

# -o alone: the header follows the .c; -H moves it
fresh; run 0 -o gen.c dir/stream.rsm; has gen.c "-o"; has gen.h "-o"; only gen.c gen.h
grep -q '^#line [0-9]* "gen.c"$' "$tmp/w/gen.c" && fail "-o: a #line names the output"
grep -q '^#ifndef ROTORGEN_GEN_H$' "$tmp/w/gen.h" || fail "-o: guard from the header name"
fresh; run 0 -o dir/a.c -H b.h dir/stream.rsm; has dir/a.c "-o -H"; has b.h "-o -H"
grep -q '^#include "b.h"$' "$tmp/w/dir/a.c" || fail "-H: the .c includes b.h"
rm -f "$tmp/w/dir/a.c"; only b.h
fresh; run 0 -o noext dir/stream.rsm; has noext "-o noext"; has noext.h "-o noext"

# --check writes nothing, whatever else is asked
fresh; run 0 --check dir/stream.rsm; only
fresh; run 0 --check -o x.c -M x.d dir/stream.rsm; only
fresh; cp "$CASES/err_check_refs.rsm" "$tmp/w/dir/bad.rsm"
run 1 --check dir/bad.rsm; says "^dir/bad.rsm:4:12: error: unknown event" err "--check on bad input"
rm -f "$tmp/w/dir/bad.rsm"; only

# --no-lines: same text, directives commented out, same line count
fresh; run 0 dir/stream.rsm
mkdir "$tmp/w/lines" && mv "$tmp/w/stream.c" "$tmp/w/stream.h" "$tmp/w/lines/"
run 0 --no-lines dir/stream.rsm
grep -q '^#line' "$tmp/w/stream.c" && fail "--no-lines left a #line"
grep -q '^/\* #line [0-9]* "dir/stream.rsm" \*/$' "$tmp/w/stream.c" || fail "--no-lines: no commented #line"
sed -e 's|^/\* \(#line .*\) \*/$|\1|' "$tmp/w/stream.c" |
    cmp -s - "$tmp/w/lines/stream.c" || fail "--no-lines changes more than the directives"
cmp -s "$tmp/w/lines/stream.h" "$tmp/w/stream.h" || fail "--no-lines changed the header"

# -M: a make rule for every output, and an empty one for the input
fresh; run 0 -M deps.mk -o 'out dir.c' dir/stream.rsm
has deps.mk "-M"
printf '%s\n' 'out\ dir.c out\ dir.h: dir/stream.rsm' '' 'dir/stream.rsm:' > "$tmp/w/want.mk"
cmp -s "$tmp/w/deps.mk" "$tmp/w/want.mk" || fail "-M wrote: $(cat "$tmp/w/deps.mk")"
fresh; run 0 -M deps.mk --dot s.dot dir/stream.rsm
[ "$(head -n 1 "$tmp/w/deps.mk")" = 'stream.c stream.h s.dot: dir/stream.rsm' ] ||
    fail "-M --dot wrote: $(cat "$tmp/w/deps.mk")"

# --dot writes the drawing beside the C, and only on success
fresh; run 0 --dot s.dot dir/stream.rsm; has s.dot "--dot"; only stream.c stream.h s.dot
grep -q '^digraph rsm {$' "$tmp/w/s.dot" || fail "--dot: not a digraph"
# --check --dot writes the drawing alone (no C, no -M rule), and nothing
# on bad input
fresh; run 0 --check --dot s.dot -M x.d dir/stream.rsm; has s.dot "--check --dot"; only s.dot
grep -q '^digraph rsm {$' "$tmp/w/s.dot" || fail "--check --dot: not a digraph"
fresh; run 1 --check --dot dir/stream.rsm dir/stream.rsm; says "overwrite the input" err "--check --dot input"; only
fresh; cp "$CASES/err_check_refs.rsm" "$tmp/w/bad.rsm"
run 1 --check --dot s.dot bad.rsm; says "error: unknown event" err "--check --dot on bad input"; only bad.rsm

# warnings: printed, exit 0; -Werror makes them errors and writes nothing;
# -Wno-NAME silences one
fresh; run 0 dir/stream.rsm; says "warning: .*\[-Wunreachable\]" err "warnings"
fresh; run 1 -Werror dir/stream.rsm; says "error: .*\[-Werror=unreachable\]" err "-Werror"; only
fresh; run 0 -Wno-shadowed -Wno-unreachable -Wno-unhandled dir/stream.rsm
[ -s "$tmp/w/err" ] && fail "-Wno-*: printed $(cat "$tmp/w/err")"
fresh; run 0 -Wno-dead_end -Wdead-end dir/stream.rsm
fresh; cp "$CASES/hier.rsm" "$tmp/w/dir/"; run 0 -Werror dir/hier.rsm; only hier.c hier.h

# #line directives name only the .rsm, so they stay put when lines are
# added elsewhere: a new state at the end changes none of them
fresh; run 0 dir/stream.rsm; grep '^#line' "$tmp/w/stream.c" > "$tmp/w/before"
printf 'machine extra {\n    initial state x { on timeout / fn -> done; }\n}\n' >> "$tmp/w/dir/stream.rsm"
run 0 dir/stream.rsm; grep '^#line' "$tmp/w/stream.c" | head -n "$(wc -l < "$tmp/w/before")" > "$tmp/w/after"
cmp -s "$tmp/w/before" "$tmp/w/after" || fail "#line directives moved when a machine was added"
rm -f "$tmp/w/before" "$tmp/w/after"

# output is byte-identical between runs, #line directives included
fresh; run 0 --dot s.dot dir/stream.rsm; mkdir "$tmp/w/one" && mv "$tmp/w/stream.c" "$tmp/w/stream.h" "$tmp/w/s.dot" "$tmp/w/one/"
run 0 --dot s.dot dir/stream.rsm
for f in stream.c stream.h s.dot; do cmp -s "$tmp/w/$f" "$tmp/w/one/$f" || fail "$f differs between runs"; done

# a failed run leaves old outputs alone and no temporary file
fresh; run 0 dir/stream.rsm; cp "$tmp/w/stream.c" "$tmp/w/old.c"
printf 'machine broken {\n' > "$tmp/w/dir/stream.rsm"
run 1 dir/stream.rsm
cmp -s "$tmp/w/stream.c" "$tmp/w/old.c" || fail "a failed run changed stream.c"
only stream.c stream.h old.c

# an output in a directory that does not exist: an error, nothing left
fresh; run 1 -o nowhere/x.c dir/stream.rsm; says "cannot create 'nowhere/x.c.tmp" err "bad output dir"; only
fresh; run 1 -o x.c -H nowhere/x.h dir/stream.rsm; says "cannot create 'nowhere/x.h.tmp" err "bad header dir"; only

# a megabyte-long identifier is refused quickly, with one message
fresh
{ printf 'machine '; head -c 1048576 /dev/zero | tr '\0' x; printf ' { }\n'; } > "$tmp/w/dir/long.rsm"
run 1 dir/long.rsm
[ "$(cat "$tmp/w/err")" = "dir/long.rsm:1:9: error: identifier is too long (1048576 bytes; the limit is 255)" ] ||
    fail "long identifier: $(head -c 300 "$tmp/w/err")"
rm -f "$tmp/w/dir/long.rsm"

# deep braces, many states, long strings: no crash, a clean answer
fresh
{ printf 'machine m {\n'; head -c 100000 /dev/zero | tr '\0' '{'; } > "$tmp/w/dir/deep.rsm"
run 1 dir/deep.rsm
says "error: expected a machine item" err "deep braces"
{ printf 'machine m {\n initial state s0 { on timeout -> s1; }\n'
  i=1; while [ $i -lt 3000 ]; do printf ' state s%d { on timeout -> s%d; }\n' $i $((i + 1)); i=$((i + 1)); done
  printf ' state s3000 { on timeout -> done; }\n}\n'; } > "$tmp/w/dir/many.rsm"
run 0 --check dir/many.rsm

# a composite state's transitions are repeated in each leaf's case: a
# machine that would multiply them past the limit is refused at once
fresh
awk 'BEGIN { print "machine m { event go;"; print " initial state p {"
    for (i = 0; i < 3000; i++) printf "  on go [g%d] -> done;\n", i
    print "  initial state c0 { }"
    for (i = 1; i < 1500; i++) printf "  state c%d { }\n", i
    print " }"; print "}" }' > "$tmp/w/dir/quad.rsm"
run 1 dir/quad.rsm
says "error: machine 'm' is too large: its leaf states try 4500000 transitions" err "quadratic"
rm -f "$tmp/w/dir/quad.rsm"; only

# --paths and --coverage: stdout only (besides --coverage's drawing)
fresh; run 0 --paths dir/stream.rsm; says '^# machine ' out "--paths"; only
fresh; run 1 --paths -o x.c dir/stream.rsm; says "takes no -o" err "--paths -o"; only
fresh; run 1 --paths --dot x.dot dir/stream.rsm; says "takes no --dot" err "--paths --dot"; only
fresh; run 1 --paths dir/stream.rsm dir/stream.rsm; says "more than one input" err "--paths two inputs"; only
fresh; run 1 --paths --coverage dir/stream.rsm; says "separate runs" err "--paths --coverage"; only
fresh; run 1 --coverage dir/stream.rsm; says "needs a trace" err "--coverage alone"; only
fresh; printf '#rotor-trace 1\n' > "$tmp/w/t"
run 0 --coverage --dot c.dot t dir/stream.rsm; says '^machine ' out "--coverage"; has c.dot "--coverage --dot"
rm -f "$tmp/w/t"; only c.dot
fresh; printf '#rotor-trace 1\n' > "$tmp/w/t"
run 1 --coverage --dot t t dir/stream.rsm; says "overwrite a trace" err "--dot over a trace"
run 1 --coverage --dot dir/stream.rsm t dir/stream.rsm; says "overwrite the input" err "--dot over the .rsm"
run 1 --coverage missing t dir/stream.rsm; says "cannot open 'missing'" err "missing trace"
rm -f "$tmp/w/t"; only

echo "cli: $failed failed"
[ $failed = 0 ]
