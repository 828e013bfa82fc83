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
        }
    }
    util_free_all();
    return 0;
}
