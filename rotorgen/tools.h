/*
 * tools.h: rotorgen's test tools on a checked file.
 *   --paths     paths.c: shortest event sequences to every state and
 *               transition (step.c, select.c do the stepping);
 *   --coverage  coverage.c: which transitions a run's trace took
 *               (trace.c reads the trace).
 */
#ifndef ROTORGEN_TOOLS_H
#define ROTORGEN_TOOLS_H

#include <stdbool.h>

#include "ast.h"
#include "util.h"

/* Configurations --paths explores per machine at most (the bound that
 * matters for parallel states and histories). */
#define PATHS_MAX_CONFIGS 4096

/* Writes the paths of every machine of file, input named as given. */
void paths_print(const struct rsm_file *file, const char *input, struct buf *out);

/* What the traces showed, per machine of the file: taken[m][s][i] counts
 * transition i of state s, active[m][s] says whether s was ever active. */
struct coverage {
    const struct rsm_file *file;
    unsigned long ***taken;
    bool          **active;
    unsigned long  *records;        /* per machine: E records read */
    unsigned long  *unmatched;      /* per machine: no transition fits */
    unsigned long   ignored;        /* records of other machine types */
    struct buf      others;         /* their names, ", "-separated */
    bool           *from, *to;      /* a record's states (scratch) */
    int            *front;
};

void coverage_init(struct coverage *c, const struct rsm_file *file);

/* Counts the records of one trace (text, len: its bytes, changed in
 * place); false after a located error in it. */
bool coverage_read(struct coverage *c, const char *path, char *text, size_t len);

/* The report: per machine the counts, then a located note per transition
 * not taken and per state never active. */
void coverage_report(const struct coverage *c, const char *input, struct buf *out);

#endif
