#!/bin/sh
# docs.sh: the code in the documentation is the code the tests build.
#
# In README.md, doc/*.md and doc/*/*.md, a fenced block right after a line
#     <!-- file: PATH -->   must be the whole of PATH;
#     <!-- from: PATH -->   must be lines of PATH, consecutive and whole.
# PATH is relative to the top of the source tree.  In the pages listed in
# STRICT every block must be marked so, except shell commands (```sh) and
# their output (```text); commands are marked where a script runs them
# verbatim.
set -u
: "${top_srcdir:?run through make check}"
cd "$top_srcdir" || exit 1

STRICT="README.md doc/tutorial.md doc/runtime.md doc/testing.md"
status=0
for page in README.md doc/*.md doc/*/*.md; do
    [ -f "$page" ] || continue
    strict=0
    for s in $STRICT; do [ "$s" = "$page" ] && strict=1; done
    awk -v page="$page" -v strict="$strict" '
    function fail(msg) { printf "FAIL: %s:%d: %s\n", page, start, msg; bad = 1 }
    function check(   i, j, n, line, src, ok) {
        n = 0
        while ((getline line < path) > 0) src[++n] = line
        close(path)
        if (n == 0) { fail("no such file or empty: " path); return }
        if (kind == "file") {
            ok = (n == nb)
            for (i = 1; ok && i <= nb; i++) ok = (src[i] == block[i])
            if (!ok) fail("block differs from the whole of " path)
            else checked++
            return
        }
        for (i = 1; i + nb - 1 <= n; i++) {
            ok = 1
            for (j = 1; ok && j <= nb; j++) ok = (src[i + j - 1] == block[j])
            if (ok) { checked++; return }
        }
        fail("block is not a run of lines of " path)
    }
    /^```/ {
        if (!inblock) {
            inblock = 1; start = NR; nb = 0
            lang = substr($0, 4); sub(/[ \t].*/, "", lang)
            if (prev ~ /^<!-- (file|from): [^ ]+ -->$/) {
                kind = prev; sub(/^<!-- /, "", kind); sub(/:.*/, "", kind)
                path = prev; sub(/^<!-- (file|from): /, "", path); sub(/ -->$/, "", path)
            } else {
                kind = ""
                if (strict && lang != "sh" && lang != "text") fail("code block without <!-- file: --> or <!-- from: -->")
            }
        } else {
            inblock = 0
            if (kind != "") check()
        }
        prev = $0; next
    }
    inblock { block[++nb] = $0 }
    { prev = $0 }
    END {
        if (inblock) { fail("unclosed code block"); }
        printf "%s: %d block(s) checked\n", page, checked
        exit bad
    }' "$page" || status=1
done
exit $status
