/*
 * conf.h: configurations of a checked machine, as the coverage report
 * (coverage.c) and the path generator (paths.c, step.c) see them: the
 * set of active states, kept as a bool per state.  These follow the
 * meaning doc/rsm.md gives, not the generated C: they are the model a
 * test is measured against.
 */
#ifndef ROTORGEN_CONF_H
#define ROTORGEN_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "util.h"

/* Whether state s is c or inside it. */
bool conf_inside(const struct machine *m, int s, int c);

/* Choices and histories are never active. */
bool conf_pseudo(const struct machine *m, int s);

/* Whether s is a leaf: a real state with no real substate. */
bool conf_leaf(const struct machine *m, int s);

/* Marks s and the states around it active. */
void conf_mark_up(const struct machine *m, int s, bool *act);

/* Completes act as entry does: every active parallel state gets all its
 * regions, every active composite state with no active substate its
 * initial one, down to leaves.  States follow their parent in
 * m->states[], so one pass in order reaches the bottom. */
void conf_complete(const struct machine *m, bool *act);

/* The innermost state properly containing both s and t (SCXML's
 * transition domain), or -1. */
int conf_domain(const struct machine *m, int s, int t);

/* The nearest parallel state around s (not s), or -1. */
int conf_parallel_above(const struct machine *m, int s);

/* "STATE --EVENT(ARG) [GUARD]--> TARGET", as reports name a transition;
 * a choice's branch is "CHOICE --[GUARD]--> TARGET" or "--else-->". */
void conf_describe(const struct machine *m, int s, const struct transition *t,
                   struct buf *out);

/* A duration for a person: "5ms", "2s", "1m". */
void conf_duration(uint32_t ms, struct buf *out);

#endif
