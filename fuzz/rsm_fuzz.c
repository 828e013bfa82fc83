/* rsm_fuzz.c: libFuzzer target for rotorgen's input: the scanner, the
 * parser, the checker and its warnings, and both emitters, on any bytes.
 *
 * `make fuzz` builds it as fuzz/rsm_fuzz (with clang); by hand, from the
 * top of a build tree configured from SRC (rotorgen/template.inc and
 * SRC/rotorgen/lexer.c are made by `make`):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -ISRC -Irotorgen \
 *     SRC/fuzz/rsm_fuzz.c SRC/rotorgen/{lexer,parse,check,warn,emit_c,emit_dot,diag,util}.c \
 *     -o rsm_fuzz && ./rsm_fuzz -max_total_time=600 SRC/fuzz/corpus/rsm
 *
 * For each input it checks that:
 *  - no pass crashes, hangs, reads out of bounds or leaks (ASan, UBSan);
 *  - the result is all or nothing: errors mean no emitter runs; no errors
 *    means both emitters run on the checked tree;
 *  - emitting twice gives the same bytes (output is deterministic);
 *  - a "too many errors" stop unwinds cleanly (longjmp, no exit()).
 *  - --paths runs on every checked tree, deterministically, within its
 *    bound;
 *  - an input that starts with "#rotor-trace" is a trace instead: it is
 *    read by --coverage against a small fixed machine with regions and
 *    a history, so that the trace reader and the matcher see any bytes.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rotorgen/check.h"
#include "rotorgen/diag.h"
#include "rotorgen/emit.h"
#include "rotorgen/lexer.h"
#include "rotorgen/parse.h"
#include "rotorgen/tools.h"
#include "rotorgen/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void emit_all(const struct rsm_file *file, struct buf *c, struct buf *h,
                     struct buf *dot, bool lines)
{
    struct emit_options eo = { "fuzz", "in.rsm", "out.h", lines };
    emit_c(file, &eo, c, h);
    emit_dot(file, &eo, dot);
}

static void same(const struct buf *a, const struct buf *b)
{
    if (a->len != b->len || (a->len && memcmp(a->data, b->data, a->len) != 0))
        abort();
}

/* The machine the traces are read against. */
static const char trace_rsm[] =
    "machine m { event go;\n"
    "  initial parallel state p {\n"
    "    history h;\n"
    "    state r1 { initial state a { on go -> b; } final state b { on go -> h; } }\n"
    "    state r2 { timeout t 5ms; initial state c { on timeout(t) -> d; }\n"
    "               final state d { } }\n"
    "    on completed -> done;\n"
    "  }\n"
    "}\n";

static void fuzz_trace(const char *src, size_t len)
{
    diag_init("m.rsm", false);      /* its warnings are not the point */
    char *copy = xstrndup(trace_rsm, sizeof trace_rsm - 1);
    struct token_list toks = { 0 };
    struct rsm_file file = { 0 };
    if (lex(copy, sizeof trace_rsm - 1, &toks) || parse(&toks, &file) || check(&file))
        abort();            /* the fixed machine is valid */
    struct coverage c;
    struct buf out = { 0 };
    coverage_init(&c, &file);
    if (coverage_read(&c, "in.trace", xstrndup(src, len), len))
        coverage_report(&c, "m.rsm", &out);
}

static void fuzz_paths(const struct rsm_file *file)
{
    struct buf a = { 0 }, b = { 0 };
    paths_print(file, "in.rsm", &a);
    paths_print(file, "in.rsm", &b);
    same(&a, &b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jmp_buf bail;
    /* the first byte picks options, the rest is the file */
    bool werror = size && (data[0] & 1);
    bool lines = size && (data[0] & 2);
    const char *src = size ? (const char *)data + 1 : "";
    size_t len = size ? size - 1 : 0;

    diag_set_stream(NULL);
    diag_set_bailout(&bail);
    diag_init("in.rsm", werror);
    if (setjmp(bail) == 0) {
        if (len >= 12 && !memcmp(src, "#rotor-trace", 12)) {
            fuzz_trace(src, len);
            util_free_all();
            return 0;
        }
        /* the driver hands the passes a NUL-terminated copy */
        char *copy = xstrndup(src, len);
        struct token_list toks = { 0 };
        struct rsm_file file = { 0 };
        if (!lex(copy, len, &toks) && !parse(&toks, &file) && !check(&file)) {
            if (diag_error_count())
                abort();
            struct buf c1 = { 0 }, h1 = { 0 }, d1 = { 0 };
            struct buf c2 = { 0 }, h2 = { 0 }, d2 = { 0 };
            emit_all(&file, &c1, &h1, &d1, lines);
            emit_all(&file, &c2, &h2, &d2, lines);
            same(&c1, &c2);
            same(&h1, &h2);
            same(&d1, &d2);
            fuzz_paths(&file);
        }
    }
    util_free_all();
    return 0;
}
