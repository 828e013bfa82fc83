/* emit_c.h: what emit_c.c shares with emit_chart.c (statechart tables). */
#ifndef ROTORGEN_EMIT_C_H
#define ROTORGEN_EMIT_C_H

#include "emit.h"

struct emitter {
    const struct rsm_file     *file;
    const struct emit_options *opt;
    struct buf                *out;
    const struct machine      *m;          /* inside "%% machine {" */
    size_t                     machine;
    /* Compiled dispatch, at this point of the code written: the deepest
     * active state as the runtime knows it (the active leaf, until a
     * rotor_transition_at() call), and whether no state nests. */
    int                        at;
    bool                       flat;
};

/* #line to a place in the .rsm, for the next line. */
void line_to_rsm(struct emitter *e, struct loc at);
void indent(struct emitter *e, int depth);
/* NAME(self, s, ev); for each, under a #line to its name. */
void call_actions(struct emitter *e, int depth, const struct ident_list *list);
/* The C constant of a transition's event. */
void event_label(struct emitter *e, const struct transition *t);
bool is_builtin(const struct transition *t, const char *name);

/* Whether a machine runs on the runtime's statechart engine: it has
 * regions, history, deferral or completion. */
bool is_chart(const struct machine *m);
/* The tables, guard and action functions of such a machine. */
void chart_tables(struct emitter *e);

#endif
