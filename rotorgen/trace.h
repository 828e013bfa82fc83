/*
 * trace.h: reading the machine-readable trace the runtime writes with
 * ROTOR_TRACE=FILE: a first line "#rotor-trace 1", then records, one a
 * line, fields separated by one TAB, the first field the record's kind.
 * Only `E` records (a delivered event) matter here:
 *     E  MS  MACHINE  SLOT.GEN  FROM  EVENT  TO
 * Records of other kinds are skipped, so the format can grow.  A header
 * line may appear again later: traces may be concatenated.
 */
#ifndef ROTORGEN_TRACE_H
#define ROTORGEN_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* A list of names split at ',' (from and to of machines with regions). */
struct names {
    char  **items;
    size_t  count;
};

/* One E record, its fields split in place in the trace text. */
struct record {
    const char    *path;        /* the trace, for messages */
    unsigned long  line;
    const char    *machine;
    struct names   from;        /* "(none)" alone before the first event */
    const char    *event;       /* "go", "timeout", "resolved", ... */
    const char    *arg;         /* NAME of timeout(NAME), or NULL */
    struct names   to;          /* states, or one of (internal),
                                   (unhandled), done, error */
    unsigned long  col_from, col_event, col_to;
};

/* Called per E record; returns false to stop (after saying why). */
typedef bool trace_fn(void *arg, const struct record *r);

/* Reads a whole trace (text, len: its bytes, changed in place), calling
 * fn for each E record.  A malformed line is reported as
 * "PATH:LINE:COL: error: ..." and stops the reading: returns false. */
bool trace_read(const char *path, char *text, size_t len, trace_fn *fn, void *arg);

#endif
