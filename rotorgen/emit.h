/* emit.h: the emitters, from a checked file to output text. */
#ifndef ROTORGEN_EMIT_H
#define ROTORGEN_EMIT_H

#include <stdbool.h>

#include "ast.h"
#include "util.h"

struct emit_options {
    const char *version;    /* of rotorgen */
    const char *input;      /* the .rsm as named on the command line */
    const char *h_path;     /* the header as named */
    bool        lines;      /* false: #line directives commented out */
};

/* Writes the .c and the header of a file that check() accepted. */
void emit_c(const struct rsm_file *file, const struct emit_options *opt,
            struct buf *c_out, struct buf *h_out);

/* Writes the Graphviz drawing of a file that check() accepted. */
void emit_dot(const struct rsm_file *file, const struct emit_options *opt,
              struct buf *out);

struct coverage;

/* The drawing of emit_dot, coloured by what traces covered (tools.h):
 * transitions never taken red and dashed, taken ones with their count in
 * the label, states never active red. */
void emit_dot_coverage(const struct rsm_file *file, const struct emit_options *opt,
                       const struct coverage *cov, struct buf *out);

#endif
