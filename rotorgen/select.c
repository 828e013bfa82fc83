/*
 * select.c: which transitions an event fires from a configuration, with
 * the guards a path must assume (doc/rsm.md: bubbling, regions, conflicts).
 * Guards are unknown to rotorgen, so the selection is steered: the
 * transition a path wants fires, the ones before it are assumed false.
 */
#include <string.h>

#include "conf.h"
#include "step.h"

static bool same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

bool select_matches(const struct machine *m, const struct transition *t,
                    const struct offer *o)
{
    (void)m;
    if (!same(t->event.text, o->event))
        return false;
    if (o->completed >= 0)
        return t->completed_state == o->completed;
    if (!t->arg.text)               /* plain `on timeout`: any timer */
        return true;
    if (o->owner >= 0)
        return same(t->arg.text, o->arg) && t->timeout_state == o->owner;
    return same(t->arg.text, o->arg);
}

/* Whether composite c is completed in act (doc/rsm.md, Completion). */
static bool completed(const struct machine *m, const bool *act, int c)
{
    bool par = m->states[c].kind == STATE_PARALLEL, any = false;
    for (size_t r = (size_t)c + 1; r < m->nstates &&
                                   m->states[r].depth > m->states[c].depth; r++) {
        if (m->states[r].parent != c || conf_pseudo(m, (int)r))
            continue;
        bool done = act[r] && (m->states[r].final ||
                               (par && !conf_leaf(m, (int)r) && completed(m, act, (int)r)));
        if (par && !done)
            return false;
        any |= done;
    }
    return any;
}

/* The timer a plain `on timeout` of s sees: the nearest armed one from
 * s's active leaf outward to s (first found in document order). */
static int timer_owner(const struct machine *m, const bool *act, int s)
{
    for (size_t l = (size_t)s; l < m->nstates; l++) {
        if (!act[l] || !conf_leaf(m, (int)l) || !conf_inside(m, (int)l, s))
            continue;
        for (int x = (int)l; x >= 0; x = x == s ? -1 : m->states[x].parent)
            if (m->states[x].timeout_ms || m->states[x].ntimeouts)
                return x;
        return -1;
    }
    return -1;
}

static bool timeout_offer(const struct machine *m, const bool *act, int s,
                          const struct transition *t, struct offer *o,
                          struct buf *label)
{
    o->owner = t->arg.text ? t->timeout_state : timer_owner(m, act, s);
    if (o->owner < 0 || !act[o->owner])
        return false;
    const struct state *w = &m->states[o->owner];
    uint32_t ms = w->timeout_ms;
    if (t->arg.text) {
        o->arg = t->arg.text;
        ms = w->timeouts[t->timeout_index].ms;
    } else if (!ms) {       /* only named timers: the first fires */
        o->arg = w->timeouts[0].name.text;
        ms = w->timeouts[0].ms;
    }
    buf_puts(label, "timeout(");
    conf_duration(ms, label);
    buf_puts(label, ")");
    return true;
}

bool select_offer(const struct machine *m, const bool *act, int s,
                  const struct transition *t, struct offer *o, struct buf *label)
{
    *o = (struct offer){ t->event.text, NULL, -1, -1 };
    if (!t->event.text)
        return false;
    if (!strcmp(t->event.text, "timeout"))
        return timeout_offer(m, act, s, t, o, label);
    if (t->completed_state >= 0) {
        o->completed = t->completed_state;
        if (!act[o->completed] || !completed(m, act, o->completed))
            return false;
        buf_printf(label, "auto:completed(%s)", m->states[o->completed].name.text);
        return true;
    }
    o->arg = t->arg.text;
    buf_puts(label, t->event.text);
    if (t->arg.text)
        buf_printf(label, "(%s)", t->arg.text);
    return true;
}

static void push_pick(const struct machine *m, struct selection *sel, int s,
                      size_t i)
{
    const struct transition *t = &m->states[s].trans[i];
    struct pick *p = VEC_PUSH(sel->picks, sel->npicks, sel->picks_cap);
    *p = (struct pick){ s, i, t->target_state, t->to, -1, false };
    if (t->to == TO_STATE && m->states[t->target_state].kind == STATE_CHOICE)
        p->via = t->target_state;
}

void select_settle(const struct machine *m, struct pick *p, struct selection *sel,
                   struct buf *label)
{
    for (int hops = 0; p->to == TO_STATE && hops <= (int)m->nstates &&
                       m->states[p->target].kind == STATE_CHOICE; hops++) {
        const struct state *c = &m->states[p->target];
        size_t b = 0;
        for (; b + 1 < c->ntrans && !c->trans[b].is_else; b++)
            if (c->trans[b].guard.text)
                buf_printf(label, " [!%s]", c->trans[b].guard.text);
        if (b >= c->ntrans)
            return;
        struct branch *br = VEC_PUSH(sel->branches, sel->nbranches, sel->branches_cap);
        *br = (struct branch){ p->target, b };
        p->to = c->trans[b].to;
        p->target = c->trans[b].target_state;
    }
}

/* Walks from f outward, short of stop, for the first transition the
 * offer fires; returns 1 when one is picked, 0 for none, -1 when the
 * forced one is passed over (an unguarded one comes first). */
static int walk(const struct machine *m, const struct offer *o, int f, int stop,
                int fs, size_t fi, struct selection *sel, struct buf *label)
{
    for (int s = f; s >= 0 && s != stop; s = m->states[s].parent)
        for (size_t i = 0; i < m->states[s].ntrans; i++) {
            const struct transition *t = &m->states[s].trans[i];
            sel->work++;
            if (!select_matches(m, t, o))
                continue;
            bool forced = s == fs && i == fi;
            if (!forced && t->guard.text) {
                buf_printf(label, " [!%s]", t->guard.text);
                continue;
            }
            if (forced && t->guard.text)
                buf_printf(label, " [%s]", t->guard.text);
            push_pick(m, sel, s, i);
            if (!forced && sel->picks[sel->npicks - 1].via >= 0)
                select_settle(m, &sel->picks[sel->npicks - 1], sel, label);
            /* s inside fs: the forced one is shadowed, or (fs around a
             * parallel state) a region took the event first */
            return !forced && conf_inside(m, s, fs) ? -1 : 1;
        }
    return 0;
}

/* One round of bubbling over the frontier (distinct states, in order);
 * the frontier then moves to the parallel states around it. */
static int round_of(const struct machine *m, const struct offer *o, int *front,
                    size_t *n, int fs, size_t fi, struct selection *sel,
                    struct buf *label)
{
    bool any = false;
    for (size_t k = 0; k < *n; k++) {
        int r = walk(m, o, front[k], conf_parallel_above(m, front[k]), fs, fi,
                     sel, label);
        if (r < 0)
            return -1;
        any |= r > 0;
    }
    if (any)
        return 1;
    size_t out = 0;
    for (size_t k = 0; k < *n; k++) {
        int p = conf_parallel_above(m, front[k]);
        bool seen = p < 0;
        for (size_t j = 0; j < out && !seen; j++)
            seen = front[j] == p;
        if (!seen)
            front[out++] = p;
    }
    *n = out;
    return 0;
}

bool select_picks(const struct machine *m, const bool *act, const struct offer *o,
                  int fs, size_t fi, struct selection *sel, struct buf *label)
{
    int *front = sel->front;
    size_t n = 0;
    if (o->owner >= 0)
        front[n++] = o->owner;
    else
        for (size_t s = 0; s < m->nstates; s++)
            if (act[s] && conf_leaf(m, (int)s))
                front[n++] = (int)s;
    int r = 0;
    while (n && (r = round_of(m, o, front, &n, fs, fi, sel, label)) == 0)
        ;
    if (r <= 0)
        return false;
    for (size_t k = 0; k < sel->npicks; k++)
        if (sel->picks[k].state == fs && sel->picks[k].index == fi)
            return true;
    return false;
}
