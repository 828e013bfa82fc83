#!/bin/sh
# symbols.sh: librotor exports its public API and nothing else.
#
#  - every symbol librotor.so exports is rotor_[a-z]...;
#  - the exported functions are exactly those the public headers declare;
#  - each of those has a doc comment in its header;
#  - librotor.a defines no global symbol outside rotor_ (internal ones
#    are rotor__...);
#  - each public header compiles on its own, in C11 and in C++.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
CC=${CC:-cc}
CXX=${CXX:-c++}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rotor-symbols.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
status=0
fail() { echo "FAIL: $*" >&2; status=1; }
pass() { echo "ok: $*"; }

a=$top_builddir/runtime/.libs/librotor.a
headers=$(ls "$top_srcdir"/runtime/rotor/*.h)

# check_exports LIB HEADER PREFIX: LIB.so exports only PREFIX[a-z]...
# names, exactly the functions HEADER (and what it includes) declares
# with that prefix.  librotor: <rotor/rotor.h>, rotor_; librotor-test:
# <rotor/test.h>, rotor_test_.
check_exports() {
    lib=$1 header=$2 prefix=$3
    so=$top_builddir/runtime/.libs/$lib.so
    # ---- the shared library's exports ----
    if [ -f "$so" ]; then
        nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sort >"$WORK/exported"
        [ -s "$WORK/exported" ] || fail "nm found no exported symbol in $so"
        grep -v "^$prefix[a-z]" "$WORK/exported" >"$WORK/foreign"
        if [ -s "$WORK/foreign" ]; then
            fail "$lib exports without the $prefix prefix: $(tr '\n' ' ' <"$WORK/foreign")"
        else
            pass "$lib: $(wc -l <"$WORK/exported") exported symbols, all $prefix[a-z]*"
        fi
    else
        echo "note: no shared library ($so): export checks skipped"
    fi

    # ---- the functions the headers declare ----
    # Preprocessed, split into declarations at ';', the first rotor_NAME( of
    # each one that is not a typedef names a function.
    printf '#include <%s>\n' "$header" >"$WORK/all.c"
    "$CC" -E -P -I"$top_srcdir/runtime" -I"$top_builddir/runtime" "$WORK/all.c" \
        >"$WORK/all.i" || fail "<$header> does not preprocess"
    tr '\n' ' ' <"$WORK/all.i" | tr ';' '\n' | sed 's/.*}//' |
        grep -v '^[[:space:]]*typedef' |
        sed -n 's/^[^(]*\<\(rotor_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' |
        grep "^$prefix" | sort -u >"$WORK/declared"
    [ -s "$WORK/declared" ] || fail "found no function declared in <$header>"
    if [ -f "$so" ]; then
        comm -23 "$WORK/declared" "$WORK/exported" >"$WORK/missing"
        comm -13 "$WORK/declared" "$WORK/exported" >"$WORK/extra"
        [ -s "$WORK/missing" ] &&
            fail "declared in <$header> but not exported by $lib: $(tr '\n' ' ' <"$WORK/missing")"
        [ -s "$WORK/extra" ] &&
            fail "exported by $lib but declared in no public header: $(tr '\n' ' ' <"$WORK/extra")"
        [ -s "$WORK/missing" ] || [ -s "$WORK/extra" ] ||
            pass "$lib: exports are exactly the $(wc -l <"$WORK/declared") declared functions"
    fi
}
# librotor's own prefix excludes rotor_test_: those are librotor-test's.
check_exports librotor rotor/rotor.h 'rotor_'
check_exports librotor-test rotor/test.h 'rotor_test_'

# ---- a doc comment for each function ----
# A declaration is documented when a comment ends above it with no blank
# line in between (declarations grouped under one comment share it).
undoc=$(awk '
    FNR == 1 { documented = 0; incomment = 0 }
    incomment { if ($0 ~ /\*\//) { incomment = 0; documented = 1 }; next }
    /^[[:space:]]*$/ { documented = 0; next }
    /\/\*/ && !/\*\// { incomment = 1; next }
    /\*\/[[:space:]]*$/ { documented = 1; next }
    /^[[:space:]]*(typedef|#)/ { next }
    /^[a-z].*rotor_[a-z0-9_]*\(/ {
        name = $0; sub(/\(.*/, "", name); sub(/.*[^a-z0-9_]/, "", name)
        if (!documented) printf "%s:%d:%s ", FILENAME, FNR, name
    }' $headers)
if [ -n "$undoc" ]; then
    fail "functions without a doc comment: $undoc"
else
    pass "every function in <rotor/*.h> has a doc comment"
fi

# ---- the static library's namespace ----
if [ -f "$a" ]; then
    nm -g --defined-only "$a" | awk 'NF == 3 { print $3 }' |
        grep -v '^rotor_' | sort -u >"$WORK/static-foreign"
    if [ -s "$WORK/static-foreign" ]; then
        fail "librotor.a defines globals outside rotor_: $(tr '\n' ' ' <"$WORK/static-foreign")"
    else
        pass "librotor.a defines only rotor_ globals"
    fi
fi

# ---- each header on its own ----
for h in $headers; do
    name=rotor/$(basename "$h")
    printf '#include <%s>\n#include <%s>\n' "$name" "$name" >"$WORK/one.c"
    "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$top_srcdir/runtime" \
        -I"$top_builddir/runtime" -c "$WORK/one.c" -o "$WORK/one.o" ||
        fail "<$name> does not compile on its own in C11"
    if command -v "$CXX" >/dev/null 2>&1; then
        cp "$WORK/one.c" "$WORK/one.cc"
        "$CXX" -Wall -Wextra -Werror -I"$top_srcdir/runtime" \
            -I"$top_builddir/runtime" -c "$WORK/one.cc" -o "$WORK/one.o" ||
            fail "<$name> does not compile on its own in C++"
    fi
done
[ $status -eq 0 ] && pass "each header compiles on its own (and twice)"

# ---- librotor-http: <rotor/http.h>, its calls exported, nothing else ----
hh=$top_srcdir/grammars/rotor/http.h
hso=$top_builddir/grammars/.libs/librotor-http.so
printf '#include <rotor/http.h>\n#include <rotor/http.h>\n' >"$WORK/http.c"
"$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$top_srcdir/grammars" \
    -c "$WORK/http.c" -o "$WORK/http.o" ||
    fail "<rotor/http.h> does not compile on its own in C11"
"$CC" -E -P -I"$top_srcdir/grammars" "$WORK/http.c" | tr '\n' ' ' | tr ';' '\n' |
    sed 's/.*}//' | grep -v '^[[:space:]]*typedef' |
    sed -n 's/^[^(]*\<\(http_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' |
    sort -u >"$WORK/http-declared"
if [ -f "$hso" ]; then
    nm -D --defined-only "$hso" | awk 'NF == 3 { print $3 }' | sort >"$WORK/http-exported"
    if cmp -s "$WORK/http-declared" "$WORK/http-exported"; then
        pass "librotor-http exports exactly the $(wc -l <"$WORK/http-declared") calls of <rotor/http.h>"
    else
        fail "librotor-http's exports differ from <rotor/http.h>: $(diff "$WORK/http-declared" "$WORK/http-exported" | grep '^[<>]' | tr '\n' ' ')"
    fi
fi
undoc=$(awk '
    incomment { if ($0 ~ /\*\//) { incomment = 0; documented = 1 }; next }
    /^[[:space:]]*$/ { documented = 0; next }
    /\/\*/ && !/\*\// { incomment = 1; next }
    /\*\/[[:space:]]*$/ { documented = 1; next }
    /^[[:space:]]*(typedef|#)/ { next }
    /^[a-z].*http_[a-z0-9_]*\(/ {
        name = $0; sub(/\(.*/, "", name); sub(/.*[^a-z0-9_]/, "", name)
        if (!documented) printf "%s ", name
    }' "$hh")
if [ -n "$undoc" ]; then
    fail "calls of <rotor/http.h> without a doc comment: $undoc"
else
    pass "every call in <rotor/http.h> has a doc comment"
fi
# ---- a protocol library: <rotor/NAME.h>, its calls exported, nothing else ----
# check_protocol NAME PREFIX: librotor-NAME.so exports exactly the PREFIX
# functions <rotor/NAME.h> declares; each has a doc comment; the header
# compiles on its own (C11, C++); librotor-NAME.a defines no global outside
# PREFIX (internal ones are PREFIX_...).
check_protocol() {
    name=$1 prefix=$2
    ph=$top_srcdir/grammars/rotor/$name.h
    pso=$top_builddir/grammars/.libs/librotor-$name.so
    pa=$top_builddir/grammars/.libs/librotor-$name.a
    printf '#include <rotor/%s.h>\n#include <rotor/%s.h>\n' "$name" "$name" >"$WORK/$name.c"
    "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$top_srcdir/grammars" \
        -c "$WORK/$name.c" -o "$WORK/$name.o" ||
        fail "<rotor/$name.h> does not compile on its own in C11"
    if command -v "$CXX" >/dev/null 2>&1; then
        cp "$WORK/$name.c" "$WORK/$name.cc"
        "$CXX" -Wall -Wextra -Werror -I"$top_srcdir/grammars" \
            -c "$WORK/$name.cc" -o "$WORK/$name.o" ||
            fail "<rotor/$name.h> does not compile on its own in C++"
    fi
    "$CC" -E -P -I"$top_srcdir/grammars" "$WORK/$name.c" | tr '\n' ' ' | tr ';' '\n' |
        sed 's/.*}//' | grep -v '^[[:space:]]*typedef' |
        sed -n "s/^[^(]*\\<\\(${prefix}_[a-z0-9_]*\\)[[:space:]]*(.*/\\1/p" |
        sort -u >"$WORK/$name-declared"
    [ -s "$WORK/$name-declared" ] || fail "found no call declared in <rotor/$name.h>"
    if [ -f "$pso" ]; then
        nm -D --defined-only "$pso" | awk 'NF == 3 { print $3 }' | sort >"$WORK/$name-exported"
        if cmp -s "$WORK/$name-declared" "$WORK/$name-exported"; then
            pass "librotor-$name exports exactly the $(wc -l <"$WORK/$name-declared") calls of <rotor/$name.h>"
        else
            fail "librotor-$name's exports differ from <rotor/$name.h>: $(diff "$WORK/$name-declared" "$WORK/$name-exported" | grep '^[<>]' | tr '\n' ' ')"
        fi
    fi
    if [ -f "$pa" ]; then
        nm -g --defined-only "$pa" | awk 'NF == 3 { print $3 }' |
            grep -v "^${prefix}_" | sort -u >"$WORK/$name-static-foreign"
        if [ -s "$WORK/$name-static-foreign" ]; then
            fail "librotor-$name.a defines globals outside ${prefix}_: $(tr '\n' ' ' <"$WORK/$name-static-foreign")"
        else
            pass "librotor-$name.a defines only ${prefix}_ globals"
        fi
    fi
    undoc=$(awk -v re="^[a-z].*${prefix}_[a-z0-9_]*\\(" '
        incomment { if ($0 ~ /\*\//) { incomment = 0; documented = 1 }; next }
        /^[[:space:]]*$/ { documented = 0; next }
        /\/\*/ && !/\*\// { incomment = 1; next }
        /\*\/[[:space:]]*$/ { documented = 1; next }
        /^[[:space:]]*(typedef|#)/ { next }
        $0 ~ re {
            fn = $0; sub(/\(.*/, "", fn); sub(/.*[^a-z0-9_]/, "", fn)
            if (!documented) printf "%s ", fn
        }' "$ph")
    if [ -n "$undoc" ]; then
        fail "calls of <rotor/$name.h> without a doc comment: $undoc"
    else
        pass "every call in <rotor/$name.h> has a doc comment"
    fi
}
check_protocol telnet telnet
exit $status

