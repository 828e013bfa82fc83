/*
 * step.h: one step of a machine over "keys", the form --paths explores.
 * A key is the active set (one byte per state) followed, for each history
 * pseudostate in document order, by a byte saying whether it remembers
 * anything and one byte per state: what it remembers (shallow: the active
 * direct children of its composite; deep: every active state inside it).
 * Two keys are the same configuration exactly when their bytes are.
 */
#ifndef ROTORGEN_STEP_H
#define ROTORGEN_STEP_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "util.h"

/* One transition that fires in a step.  target/to are where its compound
 * path ends (after any choices); via is the first choice on it, or -1. */
struct pick {
    int              state;     /* where the transition is declared */
    size_t           index;     /* into that state's trans[] */
    int              target;    /* TO_STATE: a state or a history */
    enum target_kind to;
    int              via;
    bool             dropped;   /* lost a conflict with an earlier pick */
};

struct keyshape {
    const struct machine *m;
    size_t  nhist;
    int    *hist;               /* the history pseudostates, in order */
    size_t  len;                /* bytes per key */
    bool   *gone, *mine;        /* step_apply's scratch */
};

void step_shape(const struct machine *m, struct keyshape *ks);

/* The machine's initial configuration, nothing remembered. */
void step_initial(const struct keyshape *ks, unsigned char *key);

/* Fires picks (in document order) from `from` into `to`: exits, history
 * records, entries.  A pick whose exits overlap an earlier one's is
 * marked dropped.  Returns false when a kept pick ends the machine
 * (done or error): `to` is then meaningless. */
bool step_apply(const struct keyshape *ks, struct pick *picks, size_t n,
                const unsigned char *from, unsigned char *to);

/* ---- select.c: which transitions an event fires ---- */

/* An event as delivered: its name and what it is about. */
struct offer {
    const char *event;      /* "go", "timeout", "resolved", "completed" */
    const char *arg;        /* the timer's or future's name, or NULL */
    int         owner;      /* timeout: the state whose timer fired, else -1 */
    int         completed;  /* completed: whose completion, else -1 */
};

struct branch { int state; size_t index; };

/* What one step fires: picks in document order, the choice branches they
 * take, and the guards assumed (appended to the step's label). */
struct selection {
    struct pick   *picks;
    size_t         npicks, picks_cap;
    struct branch *branches;
    size_t         nbranches, branches_cap;
    int           *front;       /* scratch: room for every state */
    unsigned long  work;        /* candidates looked at, ever: a budget */
};

/* Whether transition i of state s matches the offer. */
bool select_matches(const struct machine *m, const struct transition *t,
                    const struct offer *o);

/* The offer that would make trans[i] of state s fire from act, written
 * to label as a step ("go", "timeout(5s)", "auto:completed(S)"); false
 * if nothing can (no timer armed, the state cannot complete yet). */
bool select_offer(const struct machine *m, const bool *act, int s,
                  const struct transition *t, struct offer *o, struct buf *label);

/* Fills sel with what the offer fires from act when guards are assumed
 * so that trans[fi] of state fs fires: earlier candidates' guards false,
 * its own true; other regions take their first unguarded candidate and
 * the `else` of their choices.  The forced pick's choice is left for the
 * caller (its `via` is its target).  False if fs's transition cannot fire
 * (an unguarded transition before it, or a region's took the event). */
bool select_picks(const struct machine *m, const bool *act, const struct offer *o,
                  int fs, size_t fi, struct selection *sel, struct buf *label);

/* Follows the `else` branches from choice c, noting assumptions. */
void select_settle(const struct machine *m, struct pick *p, struct selection *sel,
                   struct buf *label);

#endif
