/*
 * chart.c: the statechart engine's entry points.  A machine with parallel
 * states, history, deferral or completion has rotor_chart_enter and
 * rotor_chart_dispatch as its enter and dispatch, and its tables in
 * type->chart (rotor/machine.h).  One call is one SCXML macrostep: the
 * event's microstep (or its deferral), then every event of the machine's
 * internal queue (raised events, completions), then the deferred events
 * the configuration no longer defers, in arrival order.  What the
 * runtime then applies (I/O interest, the expectation) comes from a
 * representative atomic state, returned with every level kept, so that
 * machine.c's per-level timers stay out of it: the engine arms and
 * cancels each state's timers itself (timeout.c's per-state timers).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chart-internal.h"

/* ---- transition selection ------------------------------------------- */

static bool matches(const struct rotor_scope *m,
                    const struct rotor_chart_trans *t, const rotor_event *ev)
{
    if (t->event != ev->kind)
        return false;
    switch (t->filter) {
    case ROTOR_FILTER_TAG:
    case ROTOR_FILTER_COMPLETED:
        return ev->tag == t->arg;
    case ROTOR_FILTER_TIMEOUT:
        return ev->tag < 0 || ev->origin == t->source ||
               rotor__chart_below(m, ev->origin, t->source);
    case ROTOR_FILTER_TIMEOUT_NAMED:
        return ev->tag >= 0 && ev->origin == t->arg &&
               ROTOR_TIMEOUT_SLOT(ev->tag) == t->slot;
    default:
        return true;
    }
}

/* The first transition of state x (document order) the event enables. */
static int first_enabled(struct rotor_scope *m, int x, const rotor_event *ev)
{
    const struct rotor_chart_state *cs = rotor__cs(m, x);
    const struct rotor_chart *chart = m->chart->chart;

    for (uint32_t i = 0; i < cs->ntrans; i++) {
        const struct rotor_chart_trans *t = &chart->trans[cs->trans + i];
        if (!matches(m, t, ev))
            continue;
        if (t->guard < 0 || chart->guard(m->data, m, ev, t->guard))
            return (int)(cs->trans + i);
        if (m->end_req)
            return -1;
    }
    return -1;
}

static bool exits_overlap(const struct rotor_scope *m, int d1, int d2)
{
    if (d1 == ROTOR_INTERNAL || d2 == ROTOR_INTERNAL)
        return false;
    return d1 == d2 || d1 < 0 || d2 < 0 || rotor__chart_below(m, d1, d2) ||
           rotor__chart_below(m, d2, d1);
}

/* Adds transition t to the enabled set unless one already there
 * preempts it; removes those it preempts (a transition inside another's
 * source wins; otherwise the one selected first). */
static void add_enabled(struct rotor_scope *m, int t)
{
    struct rotor__chart_run *r = m->chart;
    const struct rotor_chart_trans *trans = r->chart->trans;
    int d = rotor__chart_domain(m, &trans[t]);
    uint32_t kept = 0;

    for (uint32_t k = 0; k < r->nenabled; k++) {
        const struct rotor_chart_trans *u = &trans[r->enabled[k]];
        if (r->enabled[k] == t)
            return;
        if (!exits_overlap(m, d, r->list[k]))
            continue;
        if (!rotor__chart_below(m, trans[t].source, u->source))
            return;             /* preempted by the earlier one */
    }
    for (uint32_t k = 0; k < r->nenabled; k++) {
        bool gone = exits_overlap(m, d, r->list[k]);
        if (!gone) {
            r->enabled[kept] = r->enabled[k];
            r->list[kept++] = r->list[k];
        }
    }
    r->enabled[kept] = t;
    r->list[kept] = d;
    r->nenabled = kept + 1;
}

/* SCXML's selectTransitions: for each active atomic state in document
 * order, the first enabled transition of it or of the nearest state
 * around it that has one; then conflicts removed.  r->list holds the
 * domains meanwhile. */
static void select_transitions(struct rotor_scope *m, const rotor_event *ev)
{
    struct rotor__chart_run *r = m->chart;

    r->nenabled = 0;
    for (uint32_t i = 0; i < r->nconfig && !m->end_req; i++) {
        int s = r->config[i];
        if (rotor__cs(m, s)->nchildren)
            continue;
        for (int x = s; x >= 0 && !m->end_req; x = rotor__parent(m, x)) {
            int t = first_enabled(m, x, ev);
            if (t >= 0) {
                add_enabled(m, t);
                break;
            }
        }
    }
    r->nlist = 0;
}

/* ---- deferral --------------------------------------------------------- */

static bool deferred_now(const struct rotor_scope *m, int kind)
{
    const struct rotor__chart_run *r = m->chart;

    for (uint32_t i = 0; i < r->nconfig; i++) {
        const struct rotor_chart_state *cs = rotor__cs(m, r->config[i]);
        for (uint32_t k = 0; k < cs->ndefer; k++)
            if (r->chart->list[cs->defer + k] == kind)
                return true;
    }
    return false;
}

/* Keeps ev for later; one too many is an error for the machine. */
static void keep(struct rotor_scope *m, const rotor_event *ev)
{
    struct rotor__chart_run *r = m->chart;

    r->took = true;
    if (r->ndeferred < ROTOR_MAX_DEFERRED) {
        r->deferred[r->ndeferred++] = *ev;
        return;
    }
    rotor__fail(ROTOR_ENOSPC, "%s: more than %d deferred events",
                m->type->name, ROTOR_MAX_DEFERRED);
    if (ROTOR__UNLIKELY(m->loop->trace))
        rotor__trace_note(m, "more than 64 deferred events: error in");
    if (rotor__queue_push(&m->internal, m->ref, ROTOR__EV_CHART_OVERFLOW,
                          NULL) < 0)
        r->end = ROTOR_ERROR;
}

/* ---- macrosteps --------------------------------------------------------- */

static bool finished(const struct rotor_scope *m)
{
    return m->chart->end || m->end_req;
}

static void step(struct rotor_scope *m, const rotor_event *ev)
{
    select_transitions(m, ev);
    if (m->end_req)
        return;
    if (m->chart->nenabled)
        rotor__chart_microstep(m, ev);
    else if (deferred_now(m, ev->kind))
        keep(m, ev);
    else if (ev->kind == ROTOR_EV_ERROR)
        m->chart->end = ROTOR_ERROR;    /* as machine.c does */
}

static void run_internal(struct rotor_scope *m)
{
    struct rotor__qev e;

    while (!finished(m) && rotor__queue_pop(&m->internal, &e)) {
        struct rotor_event ev = ROTOR__EVENT(e.kind, e.data);
        if (e.kind == ROTOR__EV_CHART_DONE) {
            ev = ROTOR__EVENT(ROTOR_EV_COMPLETED, NULL);
            ev.tag = (int)(intptr_t)e.data;
        } else if (e.kind == ROTOR__EV_CHART_OVERFLOW) {
            ev = ROTOR__EVENT(ROTOR_EV_ERROR, NULL);
            ev.err = ENOBUFS;
        }
        step(m, &ev);
    }
}

/* The first kept event the configuration no longer defers, each time
 * the configuration may have changed. */
static void reoffer(struct rotor_scope *m)
{
    struct rotor__chart_run *r = m->chart;

    while (!finished(m) && r->ndeferred) {
        uint32_t i = 0;
        while (i < r->ndeferred && deferred_now(m, r->deferred[i].kind))
            i++;
        if (i == r->ndeferred)
            return;
        struct rotor_event ev = r->deferred[i];
        memmove(&r->deferred[i], &r->deferred[i + 1],
                (r->ndeferred - i - 1) * sizeof ev);
        r->ndeferred--;
        step(m, &ev);
        run_internal(m);
    }
}

/* The atomic state whose row the runtime applies: a stream machine's
 * expectation is that of the active state that declares the innermost
 * one; a raw machine watches for what every active state watches. */
static int result(struct rotor_scope *m)
{
    struct rotor__chart_run *r = m->chart;
    int best = -1, rank = -1;

    if (m->end_req || r->end)
        return m->end_req ? m->end_req : r->end;
    if (!r->moved)
        return r->took ? ROTOR_INTERNAL : ROTOR_UNHANDLED;
    r->watch = 0;
    for (uint32_t i = 0; i < r->nconfig; i++) {
        int s = r->config[i];
        if (rotor__cs(m, s)->nchildren)
            continue;
        r->watch |= m->type->states[s].watch;
        if (rotor__cs(m, s)->expect_rank > rank) {
            rank = rotor__cs(m, s)->expect_rank;
            best = s;
        }
    }
    if (best < 0)
        return ROTOR_ERROR;     /* an empty configuration: a bad table */
    return ROTOR_GOTO(best, ROTOR_MAX_DEPTH);
}

int rotor_chart_dispatch(void *self, rotor_scope *s, int state, int event,
                         const rotor_event *ev)
{
    (void)self;
    (void)state;
    (void)event;
    if (ROTOR__UNLIKELY(s->loop->rec != NULL))
        rotor__record_chart_from(s);    /* the record's `from` */
    s->chart->moved = s->chart->took = false;
    step(s, ev);
    run_internal(s);
    if (s->chart->moved)
        reoffer(s);
    return result(s);
}

/* ---- the instance ------------------------------------------------------- */

static struct rotor__chart_run *new_run(const struct rotor_machine_type *t)
{
    const struct rotor_chart *c = t->chart;
    size_t ints = 5 * (size_t)c->max_active + c->history_slots;
    struct rotor__chart_run *r =
        rotor__calloc(1, sizeof *r + ints * sizeof(int) + (size_t)t->nstates);

    if (!r)
        return NULL;
    r->chart = c;
    r->config = (int *)(r + 1);
    r->list = r->config + c->max_active;
    r->enabled = r->list + c->max_active;
    r->pairs = r->enabled + c->max_active;
    r->hist = r->pairs + 2 * c->max_active;
    r->flags = (uint8_t *)(r->hist + c->history_slots);
    for (int i = 0; i < t->nstates; i++)
        if (c->states[i].kind == ROTOR_CHART_HISTORY)
            r->hist[c->states[i].history] = -1;
    return r;
}

int rotor_chart_enter(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    if (!s->type->chart || s->chart)
        return ROTOR_ERROR;
    s->chart = new_run(s->type);
    if (!s->chart) {
        rotor__fail(ROTOR_ENOMEM, "%s: out of memory entering the statechart",
                    s->type->name);
        return ROTOR_ERROR;
    }
    int top = s->type->initial;
    while (s->type->states[top].parent >= 0)
        top = s->type->states[top].parent;
    rotor__chart_start(s, top, ev);
    run_internal(s);
    s->chart->moved = true;
    return result(s);
}

bool rotor__chart_active(const struct rotor_scope *m, int state)
{
    return m->chart->flags[state] & CH_ACTIVE;
}

uint8_t rotor__chart_watch(const struct rotor_scope *m)
{
    return m->chart->watch;
}

void rotor__chart_free(struct rotor_scope *m)
{
    rotor__free(m->chart);
    m->chart = NULL;
}
