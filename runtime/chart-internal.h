/*
 * chart-internal.h: the statechart engine's instance data, shared by
 * chart.c (events, queues, deferral, transition selection) and
 * chart-step.c (a microstep: exits, history, choices, entries).
 */
#ifndef ROTOR_CHART_INTERNAL_H
#define ROTOR_CHART_INTERNAL_H

#include "rotor-internal.h"

/* flags[] bits per state */
#define CH_ACTIVE 0x1u
#define CH_ENTER  0x2u        /* in the entry set being built */

/* Kinds of the internal queue's entries besides raised events. */
#define ROTOR__EV_CHART_DONE     (-16)  /* completion; data: the state */
#define ROTOR__EV_CHART_OVERFLOW (-17)  /* one deferred event too many */

struct rotor__chart_run {
    const struct rotor_chart *chart;
    uint8_t  *flags;          /* [nstates] */
    int      *config;         /* active states, document order */
    uint32_t  nconfig;
    int      *list;           /* exit or entry set being built */
    uint32_t  nlist;
    int      *enabled;        /* transitions of the microstep */
    uint32_t  nenabled;
    int      *pairs;          /* per enabled: target and domain, after
                                 the choices */
    int      *hist;           /* per history: count (-1: never), states */
    struct rotor_event deferred[ROTOR_MAX_DEFERRED];
    uint32_t  ndeferred;
    uint8_t   watch;          /* raw: watch bits of the active states */
    bool      moved;          /* the configuration changed */
    bool      took;           /* a transition ran */
    int       end;            /* ROTOR_DONE / ROTOR_ERROR, or 0 */
};

static inline const struct rotor_chart_state *
rotor__cs(const struct rotor_scope *m, int state)
{
    return &m->chart->chart->states[state];
}

static inline int rotor__parent(const struct rotor_scope *m, int state)
{
    return m->type->states[state].parent;
}

/* Whether x is a proper descendant of anc (-1: the machine itself). */
bool rotor__chart_below(const struct rotor_scope *m, int x, int anc);
/* The domain of a transition (SCXML): the innermost compound state that
 * contains source and target, -1 for the machine; ROTOR_INTERNAL for a
 * transition without target. */
int  rotor__chart_domain(const struct rotor_scope *m,
                         const struct rotor_chart_trans *t);
/* Runs the microstep of the transitions in m->chart->enabled. */
void rotor__chart_microstep(struct rotor_scope *m, const rotor_event *ev);
/* Enters `state` and its initial descendants (the initial configuration). */
void rotor__chart_start(struct rotor_scope *m, int state,
                        const rotor_event *ev);
/* Runs action list id; false when the machine was asked to end. */
bool rotor__chart_run(struct rotor_scope *m, int id, const rotor_event *ev);

#endif
