/*
 * coverage.c: `rotorgen --coverage`.  Each E record of a trace (trace.h)
 * is matched to the transition that made it: from each active leaf of
 * FROM outward (bubbling, as dispatch does; with regions, each region's
 * leaf up to its parallel state, then the parallel state outward if no
 * region matched), the first transition on the event whose target
 * resolves to TO.  Guards are not in the trace, so of two transitions on
 * the same event to the same place the first is credited: a documented
 * limit (rotorgen.1).
 */
#include <string.h>

#include "conf.h"
#include "step.h"
#include "tools.h"
#include "trace.h"

void coverage_init(struct coverage *c, const struct rsm_file *file)
{
    memset(c, 0, sizeof *c);
    c->file = file;
    size_t n = file->nmachines + 1;
    c->taken = xcalloc(n, sizeof *c->taken);
    c->active = xcalloc(n, sizeof *c->active);
    c->records = xcalloc(n, sizeof *c->records);
    c->unmatched = xcalloc(n, sizeof *c->unmatched);
    size_t most = 1;
    for (size_t i = 0; i < file->nmachines; i++)
        most = file->machines[i].nstates + 1 > most ? file->machines[i].nstates + 1 : most;
    c->from = xcalloc(most, sizeof *c->from);
    c->to = xcalloc(most, sizeof *c->to);
    c->front = xcalloc(most, sizeof *c->front);
    for (size_t i = 0; i < file->nmachines; i++) {
        const struct machine *m = &file->machines[i];
        c->taken[i] = xcalloc(m->nstates + 1, sizeof **c->taken);
        c->active[i] = xcalloc(m->nstates + 1, sizeof **c->active);
        for (size_t s = 0; s < m->nstates; s++)
            c->taken[i][s] = xcalloc(m->states[s].ntrans + 1, sizeof ***c->taken);
    }
}

/* A record as matched against one machine. */
struct match {
    struct coverage      *c;
    size_t                mi;
    const struct machine *m;
    const struct record  *r;
    const char           *special;  /* TO when not states, else NULL */
    bool                 *to;       /* TO's leaves and the states around */
    bool                  mark;     /* count a choice's branch when found */
};

static int state_named(const struct machine *m, const char *name)
{
    for (size_t s = 0; s < m->nstates; s++)
        if (!conf_pseudo(m, (int)s) && !strcmp(m->states[s].name.text, name))
            return (int)s;
    return -1;
}

/* Marks the states of a FROM or TO list active in `act`. */
static bool states_of(const struct match *x, const struct names *n,
                      unsigned long col, bool *act)
{
    for (size_t i = 0; i < n->count; i++) {
        int s = state_named(x->m, n->items[i]);
        if (s < 0) {
            diag_other(x->r->path, (struct loc){ x->r->line, col }, "error",
                       "machine '%s' has no state '%s'", x->m->name.text,
                       n->items[i]);
            return false;
        }
        conf_mark_up(x->m, s, act);
    }
    return true;
}

static bool resolves(struct match *x, const struct transition *t, int leaf,
                     unsigned hops);

/* Whether entering state s lands where TO says: a leaf in TO, a
 * composite at its initial leaf (or named itself: a runtime may write
 * the target rather than the leaf), a parallel state in every region. */
/* Whether TO names state s itself (not a state inside it). */
static bool named(const struct match *x, int s)
{
    for (size_t i = 0; i < x->r->to.count; i++)
        if (!strcmp(x->r->to.items[i], x->m->states[s].name.text))
            return true;
    return false;
}

static bool enters(const struct match *x, int s)
{
    const struct machine *m = x->m;
    if (!x->to[s])
        return false;
    if (conf_leaf(m, s) || named(x, s))
        return true;
    if (m->states[s].kind != STATE_PARALLEL)
        return enters(x, m->states[s].initial_child);
    for (size_t r = (size_t)s + 1; r < m->nstates &&
                                   m->states[r].depth > m->states[s].depth; r++)
        if (m->states[r].parent == s && !conf_pseudo(m, (int)r) && !enters(x, (int)r))
            return false;
    return true;
}

/* A choice leads to TO if a branch does; the first such is credited. */
static bool choice_resolves(struct match *x, int c, int leaf, unsigned hops)
{
    const struct state *st = &x->m->states[c];
    for (size_t i = 0; i < st->ntrans; i++)
        if (resolves(x, &st->trans[i], leaf, hops + 1)) {
            if (x->mark)
                x->c->taken[x->mi][c][i]++;
            return true;
        }
    return false;
}

/* Whether transition t (from the region whose leaf is `leaf`) explains
 * TO: an internal one keeps that leaf, a history lands anywhere in its
 * composite. */
static bool resolves(struct match *x, const struct transition *t, int leaf,
                     unsigned hops)
{
    const struct machine *m = x->m;
    if (hops > m->nstates)
        return false;
    if (t->to == TO_INTERNAL)
        return x->special ? !strcmp(x->special, "(internal)") : x->to[leaf];
    if (t->to != TO_STATE)
        return x->special && !strcmp(x->special, t->to == TO_DONE ? "done" : "error");
    if (x->special)
        return false;
    const struct state *target = &m->states[t->target_state];
    if (target->kind == STATE_HISTORY)
        return x->to[target->parent];
    if (target->kind == STATE_CHOICE)
        return choice_resolves(x, t->target_state, leaf, hops);
    return enters(x, t->target_state);
}

/* The event of the record, as select_matches() takes it; `completed`
 * without the state's name matches any completion. */
static bool event_matches(const struct match *x, const struct transition *t)
{
    struct offer o = { x->r->event, x->r->arg, -1, -1 };
    if (!strcmp(x->r->event, "completed")) {
        if (!t->event.text || strcmp(t->event.text, "completed"))
            return false;
        return !x->r->arg ||
               !strcmp(x->m->states[t->completed_state].name.text, x->r->arg);
    }
    return select_matches(x->m, t, &o);
}

/* Bubbles from f up to (not including) stop; counts the first fit. */
static bool walk(struct match *x, int f, int stop, int leaf)
{
    for (int s = f; s >= 0 && s != stop; s = x->m->states[s].parent)
        for (size_t i = 0; i < x->m->states[s].ntrans; i++) {
            const struct transition *t = &x->m->states[s].trans[i];
            x->mark = false;
            if (!event_matches(x, t) || !resolves(x, t, leaf, 0))
                continue;
            x->mark = true;
            resolves(x, t, leaf, 0);
            x->c->taken[x->mi][s][i]++;
            return true;
        }
    return false;
}

/* With regions: each region's leaf up to its parallel state; if none of
 * them fits, the parallel states outward, as dispatch offers events. */
static bool match_rounds(struct match *x, int *front, size_t n)
{
    while (n) {
        bool any = false;
        for (size_t k = 0; k < n; k++)
            any |= walk(x, front[k], conf_parallel_above(x->m, front[k]), front[k]);
        if (any)
            return true;
        size_t out = 0;
        for (size_t k = 0; k < n; k++) {
            int p = conf_parallel_above(x->m, front[k]);
            bool seen = p < 0;
            for (size_t j = 0; j < out && !seen; j++)
                seen = front[j] == p;
            if (!seen)
                front[out++] = p;
        }
        n = out;
    }
    return false;
}

static bool known_event(const struct machine *m, const char *name)
{
    for (size_t i = 0; i < m->nevents; i++)
        if (!strcmp(m->events[i].name.text, name))
            return true;
    for (size_t i = 0; i < nbuiltin_events; i++)
        if (!strcmp(builtin_events[i].name, name))
            return true;
    return false;
}

static void ignore(struct coverage *c, const char *machine)
{
    c->ignored++;
    size_t len = strlen(machine);
    for (const char *p = c->others.data; p && (p = strstr(p, machine)); p += len)
        if ((p == c->others.data || p[-1] == ' ') && (!p[len] || p[len] == ','))
            return;
    buf_printf(&c->others, "%s%s", c->others.len ? ", " : "", machine);
}

static void unmatched(struct match *x)
{
    unsigned long *n = &x->c->unmatched[x->mi];
    if (++*n > 10)
        return;
    diag_other(x->r->path, (struct loc){ x->r->line, x->r->col_event }, "warning",
               "no transition of machine '%s' on '%s%s%s%s' leads from '%s' to '%s'%s",
               x->m->name.text, x->r->event, x->r->arg ? "(" : "",
               x->r->arg ? x->r->arg : "", x->r->arg ? ")" : "", x->r->from.items[0],
               x->r->to.items[0], *n == 10 ? " (no more of these are shown)" : "");
}

/* Matches one record of machine mi: the states it names were active. */
static bool count(struct coverage *c, size_t mi, const struct record *r)
{
    const struct machine *m = &c->file->machines[mi];
    struct match x = { c, mi, m, r, NULL, c->to, false };
    bool special_to = r->to.count == 1 && (r->to.items[0][0] == '(' ||
        !strcmp(r->to.items[0], "done") || !strcmp(r->to.items[0], "error"));
    memset(c->to, 0, m->nstates + 1);
    if (special_to)
        x.special = r->to.items[0];
    else if (!states_of(&x, &r->to, r->col_to, c->to))
        return false;
    for (size_t s = 0; s < m->nstates; s++)
        c->active[mi][s] |= c->to[s];
    c->records[mi]++;
    if (!strcmp(r->from.items[0], "(none)"))
        return true;
    memset(c->from, 0, m->nstates + 1);
    if (!states_of(&x, &r->from, r->col_from, c->from))
        return false;
    if (!known_event(m, r->event)) {
        diag_other(r->path, (struct loc){ r->line, r->col_event }, "error",
                   "machine '%s' has no event '%s'", m->name.text, r->event);
        return false;
    }
    size_t n = 0;
    for (size_t s = 0; s < m->nstates; s++) {
        c->active[mi][s] |= c->from[s];
        if (c->from[s] && conf_leaf(m, (int)s))
            c->front[n++] = (int)s;
    }
    if (!(x.special && !strcmp(x.special, "(unhandled)")) && !match_rounds(&x, c->front, n))
        unmatched(&x);
    return true;
}

static bool on_record(void *arg, const struct record *r)
{
    struct coverage *c = arg;
    for (size_t i = 0; i < c->file->nmachines; i++)
        if (!strcmp(c->file->machines[i].name.text, r->machine))
            return count(c, i, r);
    ignore(c, r->machine);
    return true;
}

bool coverage_read(struct coverage *c, const char *path, char *text, size_t len)
{
    return trace_read(path, text, len, on_record, c);
}

static unsigned long percent(unsigned long part, unsigned long whole)
{
    return whole ? part * 100 / whole : 100;
}

static void machine_report(const struct coverage *c, size_t mi, const char *input,
                           struct buf *out)
{
    const struct machine *m = &c->file->machines[mi];
    unsigned long t = 0, tt = 0, s = 0, st = 0;
    struct buf notes = { 0 };
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *x = &m->states[i];
        if (!conf_pseudo(m, (int)i)) {
            st++;
            s += c->active[mi][i];
            if (!c->active[mi][i])
                buf_printf(&notes, "%s:%lu:%lu: note: state never active: %s\n",
                           input, x->name.loc.line, x->name.loc.col, x->name.text);
        }
        for (size_t j = 0; j < x->ntrans; j++) {
            tt++;
            t += c->taken[mi][i][j] > 0;
            if (c->taken[mi][i][j])
                continue;
            buf_printf(&notes, "%s:%lu:%lu: note: transition not taken: ", input,
                       x->trans[j].loc.line, x->trans[j].loc.col);
            conf_describe(m, (int)i, &x->trans[j], &notes);
            buf_putc(&notes, '\n');
        }
    }
    buf_printf(out, "machine %s (%s:%lu:%lu): %lu/%lu transitions taken (%lu%%), "
               "%lu/%lu states active (%lu%%), %lu record%s\n", m->name.text, input,
               m->name.loc.line, m->name.loc.col, t, tt, percent(t, tt), s, st,
               percent(s, st), c->records[mi], c->records[mi] == 1 ? "" : "s");
    if (c->unmatched[mi])
        buf_printf(out, "machine %s: %lu record%s matched no transition\n",
                   m->name.text, c->unmatched[mi], c->unmatched[mi] == 1 ? "" : "s");
    if (notes.len)
        buf_write(out, notes.data, notes.len);
}

void coverage_report(const struct coverage *c, const char *input, struct buf *out)
{
    for (size_t i = 0; i < c->file->nmachines; i++)
        machine_report(c, i, input, out);
    if (c->ignored)
        buf_printf(out, "ignored %lu record%s of machine types not in %s: %s\n",
                   c->ignored, c->ignored == 1 ? "" : "s", input, c->others.data);
}
