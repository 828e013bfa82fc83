/*
 * diag.h: error and warning messages, in the one format editors and CI
 * logs understand:  FILE:LINE:COL: error: MESSAGE
 *
 * Passes report and carry on, so one run shows every mistake; after
 * DIAG_MAX_ERRORS the run stops with "too many errors".
 */
#ifndef ROTORGEN_DIAG_H
#define ROTORGEN_DIAG_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>

#include "util.h"

#define DIAG_MAX_ERRORS 20

/* A place in the .rsm file: 1-based line, 1-based column in bytes. */
struct loc {
    unsigned long line, col;
};

/* file: the input path as given on the command line; werror: warnings
 * count as errors.  Warnings switched off stay off. */
void diag_init(const char *file, bool werror);

/* Where messages go (stderr by default; NULL: nowhere). */
void diag_set_stream(FILE *stream);

/* After "too many errors" the run stops: with a longjmp to *bail when
 * set (the fuzz target and the driver), else by exit(1). */
void diag_set_bailout(jmp_buf *bail);

/* The warnings, each named as in -Wname / -Wno-name. */
#define DIAG_WARNINGS(X) \
    X(unreachable) X(dead_end) X(shadowed) X(unhandled) X(defer_handled) \
    X(never_completes)

/* Switches the warning spelled name ("dead-end") on or off; false when
 * there is no such warning. */
bool diag_set_warning(const char *name, bool on);
/* Whether the named warning is on. */
bool diag_warning_on(const char *name);

void diag_error(struct loc at, const char *fmt, ...) RG_PRINTF(2, 3);

/* name: the -W option that would control it, printed as [-Wname]. */
void diag_warning(struct loc at, const char *name, const char *fmt, ...)
    RG_PRINTF(3, 4);

/* An error about the run itself (options, files): "rotorgen: error: ...". */
void diag_fatal(const char *fmt, ...) RG_PRINTF(1, 2);

/* A message about another file than the .rsm (a trace): "FILE:LINE:COL:
 * KIND: MESSAGE", or "FILE:LINE: KIND: ..." when at.col is 0.  An error
 * counts as one; kind is "error", "warning" or "note". */
void diag_other(const char *file, struct loc at, const char *kind,
                const char *fmt, ...) RG_PRINTF(4, 5);

unsigned diag_error_count(void);

#endif
