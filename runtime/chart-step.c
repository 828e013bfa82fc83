/*
 * chart-step.c: one microstep of the statechart engine, after SCXML 1.0's
 * algorithm (W3C, appendix D): the exit set of every transition is left,
 * inner states first and sibling regions in reverse document order
 * (recording history first), then every transition's actions in the
 * order selected, then the choices are resolved (UML's compound
 * transition: each branch's guards see what the actions before did), then
 * the entry set is entered, parents first and regions in document order.
 *
 * States are numbered in document order, so document order is numeric
 * order and exit order its reverse.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "chart-internal.h"

bool rotor__chart_below(const struct rotor_scope *m, int x, int anc)
{
    if (x < 0)
        return false;
    if (anc < 0)
        return true;
    for (x = rotor__parent(m, x); x >= 0; x = rotor__parent(m, x))
        if (x == anc)
            return true;
    return false;
}

/* The innermost compound (not parallel) proper ancestor of `from` that
 * contains `to`, or -1. */
static int lcca(const struct rotor_scope *m, int from, int to)
{
    for (int a = rotor__parent(m, from); a >= 0; a = rotor__parent(m, a))
        if (rotor__cs(m, a)->kind != ROTOR_CHART_PARALLEL &&
            rotor__chart_below(m, to, a))
            return a;
    return -1;
}

int rotor__chart_domain(const struct rotor_scope *m,
                        const struct rotor_chart_trans *t)
{
    if (t->target == ROTOR_INTERNAL)
        return ROTOR_INTERNAL;
    if (t->target < 0)
        return -1;              /* done, error: every state is left */
    return lcca(m, t->source, t->target);
}

bool rotor__chart_run(struct rotor_scope *m, int id, const rotor_event *ev)
{
    if (id >= 0)
        m->chart->chart->run(m->data, m, ev, id);
    return !m->end_req;
}

/* ---- the configuration ------------------------------------------------- */

static void config_add(struct rotor__chart_run *r, int state)
{
    uint32_t i = r->nconfig;

    while (i > 0 && r->config[i - 1] > state) {
        r->config[i] = r->config[i - 1];
        i--;
    }
    r->config[i] = state;
    r->nconfig++;
    r->flags[state] |= CH_ACTIVE;
    r->moved = true;
}

static void config_remove(struct rotor__chart_run *r, int state)
{
    uint32_t i = 0;

    while (i < r->nconfig && r->config[i] != state)
        i++;
    for (; i + 1 < r->nconfig; i++)
        r->config[i] = r->config[i + 1];
    r->nconfig--;
    r->flags[state] &= (uint8_t)~CH_ACTIVE;
    r->moved = true;
}

/* ---- exits ----------------------------------------------------------- */

/* History h of state s remembers s's active children (shallow) or
 * active atomic descendants (deep). */
static void record(struct rotor_scope *m, int s, int h)
{
    struct rotor__chart_run *r = m->chart;
    const struct rotor_chart_state *hs = rotor__cs(m, h);
    int *rec = &r->hist[hs->history];
    int n = 0;

    for (uint32_t i = 0; i < r->nconfig && (uint32_t)n < hs->history_cap; i++) {
        int x = r->config[i];
        bool take = hs->flags & ROTOR_CHART_DEEP
                        ? rotor__cs(m, x)->nchildren == 0 &&
                              rotor__chart_below(m, x, s)
                        : rotor__parent(m, x) == s;
        if (take)
            rec[1 + n++] = x;
    }
    rec[0] = n;
}

static void record_histories(struct rotor_scope *m, int s)
{
    const struct rotor_chart_state *cs = rotor__cs(m, s);

    for (uint32_t i = 0; i < cs->nhistories; i++)
        record(m, s, m->chart->chart->list[cs->histories + i]);
}

/* Leaves the states of r->list (document order), inner first. */
static bool exit_list(struct rotor_scope *m, const rotor_event *ev)
{
    struct rotor__chart_run *r = m->chart;

    for (uint32_t i = 0; i < r->nlist; i++)
        record_histories(m, r->list[i]);
    for (uint32_t i = r->nlist; i-- > 0; ) {
        int s = r->list[i];
        if (!rotor__chart_run(m, rotor__cs(m, s)->exit, ev))
            return false;
        rotor__state_timers_cancel(m, s);
        config_remove(r, s);
    }
    r->nlist = 0;
    return true;
}

/* The active states below any of the domains of the enabled transitions
 * (r->pairs, when `enabled`) or below `domain`, into r->list. */
static void collect_exits(struct rotor_scope *m, int domain, bool enabled)
{
    struct rotor__chart_run *r = m->chart;

    r->nlist = 0;
    for (uint32_t i = 0; i < r->nconfig; i++) {
        int s = r->config[i];
        bool out = !enabled && rotor__chart_below(m, s, domain);
        for (uint32_t k = 0; enabled && !out && k < r->nenabled; k++) {
            int d = r->pairs[2 * k + 1];
            out = d != ROTOR_INTERNAL && rotor__chart_below(m, s, d);
        }
        if (out)
            r->list[r->nlist++] = s;
    }
}

/* ---- entries --------------------------------------------------------- */

static void add_entry(struct rotor__chart_run *r, int s)
{
    if (!(r->flags[s] & CH_ENTER)) {
        r->flags[s] |= CH_ENTER;
        r->list[r->nlist++] = s;
    }
}

static bool entering_below(const struct rotor_scope *m, int c)
{
    const struct rotor__chart_run *r = m->chart;

    for (uint32_t i = 0; i < r->nlist; i++)
        if (rotor__chart_below(m, r->list[i], c))
            return true;
    return false;
}

static void add_descendants(struct rotor_scope *m, int s);

/* The regions of parallel p that nothing entered yet, by default. */
static void add_regions(struct rotor_scope *m, int p)
{
    const struct rotor_chart_state *cs = rotor__cs(m, p);

    for (uint32_t i = 0; i < cs->nchildren; i++) {
        int c = m->chart->chart->list[cs->children + i];
        if (!entering_below(m, c))
            add_descendants(m, c);
    }
}

static void add_ancestors(struct rotor_scope *m, int s, int anc)
{
    for (int a = rotor__parent(m, s); a >= 0 && a != anc;
         a = rotor__parent(m, a)) {
        add_entry(m->chart, a);
        if (rotor__cs(m, a)->kind == ROTOR_CHART_PARALLEL)
            add_regions(m, a);
    }
}

/* What a history enters: what it recorded, or its default. */
static void add_history(struct rotor_scope *m, int h)
{
    const struct rotor_chart_state *hs = rotor__cs(m, h);
    const int *rec = &m->chart->hist[hs->history];
    int parent = rotor__parent(m, h);

    if (rec[0] < 0) {
        add_descendants(m, hs->initial);
        add_ancestors(m, hs->initial, parent);
        return;
    }
    for (int i = 0; i < rec[0]; i++)
        add_descendants(m, rec[1 + i]);
    for (int i = 0; i < rec[0]; i++)
        add_ancestors(m, rec[1 + i], parent);
}

static void add_descendants(struct rotor_scope *m, int s)
{
    const struct rotor_chart_state *cs = rotor__cs(m, s);

    if (cs->kind == ROTOR_CHART_HISTORY) {
        add_history(m, s);
        return;
    }
    add_entry(m->chart, s);
    if (cs->kind == ROTOR_CHART_PARALLEL)
        add_regions(m, s);
    else if (cs->nchildren)
        add_descendants(m, cs->initial);
}

static bool push_completion(struct rotor_scope *m, int s)
{
    if (rotor__queue_push(&m->internal, m->ref, ROTOR__EV_CHART_DONE,
                          (void *)(intptr_t)s) == 0)
        return true;
    m->chart->end = ROTOR_ERROR;
    return false;
}

/* A region (or parallel) is done when it rests in a final state. */
static bool region_done(const struct rotor_scope *m, int s)
{
    const struct rotor_chart_state *cs = rotor__cs(m, s);
    const struct rotor__chart_run *r = m->chart;

    if (cs->nchildren == 0)
        return (cs->flags & ROTOR_CHART_FINAL) && (r->flags[s] & CH_ACTIVE);
    bool all = cs->kind == ROTOR_CHART_PARALLEL;
    for (uint32_t i = 0; i < cs->nchildren; i++) {
        int c = r->chart->list[cs->children + i];
        bool done = all ? region_done(m, c)
                        : (r->flags[c] & CH_ACTIVE) &&
                              (rotor__cs(m, c)->flags & ROTOR_CHART_FINAL);
        if (done != all)
            return done;
    }
    return all;
}

/* Final state f was entered: its parent completed, and the parallel
 * around that when every region is done (after the region's event). */
static bool completed(struct rotor_scope *m, int f)
{
    int s = rotor__parent(m, f);

    if (s < 0)
        return true;
    if (rotor__cs(m, s)->kind == ROTOR_CHART_PARALLEL)
        return !region_done(m, s) || push_completion(m, s);
    if (!push_completion(m, s))
        return false;
    int g = rotor__parent(m, s);
    if (g >= 0 && rotor__cs(m, g)->kind == ROTOR_CHART_PARALLEL &&
        region_done(m, g))
        return push_completion(m, g);
    return true;
}

/* Entry sets are small and mostly in order already: insertion sort. */
static void sort_states(int *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        int x = v[i];
        uint32_t k = i;
        for (; k > 0 && v[k - 1] > x; k--)
            v[k] = v[k - 1];
        v[k] = x;
    }
}

static bool enter_one(struct rotor_scope *m, int s, const rotor_event *ev)
{
    if (m->chart->flags[s] & CH_ACTIVE)
        return true;
    config_add(m->chart, s);
    if (rotor__state_timers_arm(m, s, true) < 0) {
        m->chart->end = ROTOR_ERROR;
        return false;
    }
    if (!rotor__chart_run(m, rotor__cs(m, s)->entry, ev))
        return false;
    return !(rotor__cs(m, s)->flags & ROTOR_CHART_FINAL) || completed(m, s);
}

/* Enters the states of r->list in document order. */
static bool enter_list(struct rotor_scope *m, const rotor_event *ev)
{
    struct rotor__chart_run *r = m->chart;
    uint32_t n = r->nlist;

    sort_states(r->list, n);
    for (uint32_t i = 0; i < n; i++)
        r->flags[r->list[i]] &= (uint8_t)~CH_ENTER;
    r->nlist = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!enter_one(m, r->list[i], ev))
            return false;
    return true;
}

void rotor__chart_start(struct rotor_scope *m, int state,
                        const rotor_event *ev)
{
    m->chart->nlist = 0;
    add_descendants(m, state);
    enter_list(m, ev);
}

/* ---- choices --------------------------------------------------------- */

static const struct rotor_chart_trans *branch(struct rotor_scope *m, int c,
                                              const rotor_event *ev)
{
    const struct rotor_chart_state *cs = rotor__cs(m, c);
    const struct rotor_chart *chart = m->chart->chart;

    for (uint32_t i = 0; i < cs->ntrans; i++) {
        const struct rotor_chart_trans *b = &chart->trans[cs->trans + i];
        if (b->guard < 0 || chart->guard(m->data, m, ev, b->guard))
            return b;
        if (m->end_req)
            return NULL;
    }
    return NULL;
}

/* Follows *to through choices from the kept state *keep: each branch
 * leaves what its target is outside of, then runs its actions.  False
 * when the machine ends (done, error, or asked to). */
static bool resolve(struct rotor_scope *m, int *to, int *keep,
                    const rotor_event *ev)
{
    while (*to >= 0 && rotor__cs(m, *to)->kind == ROTOR_CHART_CHOICE) {
        const struct rotor_chart_trans *b = branch(m, *to, ev);
        if (!b) {
            if (!m->end_req)
                m->chart->end = ROTOR_ERROR;   /* no else: checker's job */
            return false;
        }
        int k = *keep;
        while (k >= 0 && (rotor__cs(m, k)->kind == ROTOR_CHART_PARALLEL ||
                          !rotor__chart_below(m, b->target, k)))
            k = rotor__parent(m, k);
        if (k != *keep) {
            collect_exits(m, k, false);
            if (!exit_list(m, ev))
                return false;
        }
        if (!rotor__chart_run(m, b->action, ev))
            return false;
        *to = b->target;
        *keep = k;
    }
    if (*to == ROTOR_DONE || *to == ROTOR_ERROR) {
        m->chart->end = *to;
        return false;
    }
    return true;
}

/* ---- the microstep --------------------------------------------------- */

/* Targets and domains after the choices, kept in r->pairs. */
static bool contents(struct rotor_scope *m, const rotor_event *ev)
{
    struct rotor__chart_run *r = m->chart;
    const struct rotor_chart_trans *trans = r->chart->trans;

    for (uint32_t k = 0; k < r->nenabled; k++)
        if (!rotor__chart_run(m, trans[r->enabled[k]].action, ev))
            return false;
    for (uint32_t k = 0; k < r->nenabled; k++) {
        if (!resolve(m, &r->pairs[2 * k], &r->pairs[2 * k + 1], ev))
            return false;
    }
    return true;
}

void rotor__chart_microstep(struct rotor_scope *m, const rotor_event *ev)
{
    struct rotor__chart_run *r = m->chart;

    r->took = true;
    for (uint32_t k = 0; k < r->nenabled; k++) {
        const struct rotor_chart_trans *t = &r->chart->trans[r->enabled[k]];
        r->pairs[2 * k] = t->target;
        r->pairs[2 * k + 1] = rotor__chart_domain(m, t);
    }
    collect_exits(m, -1, true);
    if (!exit_list(m, ev) || !contents(m, ev))
        return;
    r->nlist = 0;
    for (uint32_t k = 0; k < r->nenabled; k++) {
        int to = r->pairs[2 * k];
        if (to >= 0) {
            add_descendants(m, to);
            add_ancestors(m, to, r->pairs[2 * k + 1]);
        }
    }
    enter_list(m, ev);
}
