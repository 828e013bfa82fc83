#!/bin/sh
# run.sh: compiles tests/rotorgen/run/order.rsm with its driver
# order-main.c and runs it: the generated dispatch must run exit,
# transition and entry actions in that order and return what
# doc/internals.md says.  It needs no runtime: the driver calls the
# machine type's functions itself.
: "${top_builddir:?}" "${top_srcdir:?}"
CC=${CC:-cc}
src=$top_srcdir/tests/rotorgen/run
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotorgen-run.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

cp "$src/order.rsm" "$src/order-data.h" "$src/order-main.c" "$tmp/" || exit 99
cd "$tmp" || exit 99
"$top_builddir/rotorgen/rotorgen" -Wno-unhandled order.rsm || { echo "FAIL: rotorgen"; exit 1; }
$CC -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$top_srcdir/runtime" \
    -o order order.c order-main.c || { echo "FAIL: compile"; exit 1; }
./order || exit 1
echo "run: order.rsm behaves"
