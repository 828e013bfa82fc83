/* files.h: whole inputs in, all-or-nothing outputs out (files.c). */
#ifndef ROTORGEN_FILES_H
#define ROTORGEN_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Larger .rsm inputs are refused rather than slowly chewed on; traces
 * of long runs get more room. */
#define MAX_INPUT_SIZE ((size_t)64 * 1024 * 1024)
#define MAX_TRACE_SIZE ((size_t)1024 * 1024 * 1024)

/* The whole file, NUL-terminated (*len excludes the NUL); NULL after a
 * "rotorgen: error: ..." message. */
char *read_input(const char *path, size_t limit, size_t *len);

struct output {
    const char *path;
    char       *tmp;
    struct buf  text;
};

/* Writes every output beside its path, then renames them all into place;
 * on failure none is left behind. */
bool commit_outputs(struct output *outs, size_t n);

#endif
