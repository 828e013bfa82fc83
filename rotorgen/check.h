/* check.h: the meaning of a parsed .rsm file (see ast.h, "resolved"). */
#ifndef ROTORGEN_CHECK_H
#define ROTORGEN_CHECK_H

#include "ast.h"

/* Resolves names, kinds, durations and sizes in *file and reports what
 * is wrong; returns the number of errors.  The emitters may run only on
 * a file with none. */
unsigned check(struct rsm_file *file);

/* The warnings (warn.c), for a machine that resolved without errors. */
void warn_machine(struct machine *m);

#endif
