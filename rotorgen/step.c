/*
 * step.c: the effect of a step on a configuration key (step.h), as
 * doc/rsm.md defines it: exits down from the transition's domain, the
 * histories' records, then entries completed down to leaves.
 */
#include <string.h>

#include "conf.h"
#include "step.h"
#include "util.h"

void step_shape(const struct machine *m, struct keyshape *ks)
{
    ks->m = m;
    ks->nhist = 0;
    ks->hist = xcalloc(m->nstates + 1, sizeof *ks->hist);
    for (size_t s = 0; s < m->nstates; s++)
        if (m->states[s].kind == STATE_HISTORY)
            ks->hist[ks->nhist++] = (int)s;
    ks->len = m->nstates + ks->nhist * (m->nstates + 1);
    ks->gone = xcalloc(m->nstates + 1, sizeof *ks->gone);
    ks->mine = xcalloc(m->nstates + 1, sizeof *ks->mine);
}

void step_initial(const struct keyshape *ks, unsigned char *key)
{
    memset(key, 0, ks->len);
    conf_mark_up(ks->m, ks->m->initial, (bool *)key);
    conf_complete(ks->m, (bool *)key);
}

/* The outer of two domains (-1, the machine, is outermost). */
static int outer(const struct machine *m, int a, int b)
{
    if (a < 0 || b < 0)
        return -1;
    return conf_inside(m, a, b) ? b : a;
}

/* The domain of a pick: through a choice, the whole compound path's. */
static int pick_domain(const struct machine *m, const struct pick *p)
{
    if (p->to != TO_STATE)
        return -1;
    int d = conf_domain(m, p->state, p->target);
    if (p->via >= 0)
        d = outer(m, d, conf_domain(m, p->state, p->via));
    return d;
}

/* Marks in `out` the active states a pick exits; false if one of them is
 * already in `gone` (an earlier pick's exits: a conflict). */
static bool exits(const struct machine *m, const struct pick *p,
                  const bool *act, const bool *gone, bool *out)
{
    int d = pick_domain(m, p);
    memset(out, 0, m->nstates);
    for (size_t s = 0; s < m->nstates; s++)
        if (act[s] && (int)s != d && (d < 0 || conf_inside(m, (int)s, d))) {
            if (gone[s])
                return false;
            out[s] = true;
        }
    return true;
}

/* Histories of exited composites remember what was active inside. */
static void record(const struct keyshape *ks, const bool *act, const bool *gone,
                   unsigned char *to)
{
    const struct machine *m = ks->m;
    for (size_t k = 0; k < ks->nhist; k++) {
        const struct state *h = &m->states[ks->hist[k]];
        if (h->parent < 0 || !gone[h->parent])
            continue;
        unsigned char *mem = to + m->nstates + k * (m->nstates + 1);
        memset(mem, 0, m->nstates + 1);
        mem[0] = 1;
        for (size_t s = 0; s < m->nstates; s++)
            if (act[s] && (int)s != h->parent && conf_inside(m, (int)s, h->parent) &&
                (h->deep || m->states[s].parent == h->parent))
                mem[1 + s] = 1;
    }
}

/* Enters a pick's target: a history restores what it remembers. */
static void enter(const struct keyshape *ks, const struct pick *p, unsigned char *to)
{
    const struct machine *m = ks->m;
    const struct state *t = &m->states[p->target];
    if (t->kind != STATE_HISTORY) {
        conf_mark_up(m, p->target, (bool *)to);
        return;
    }
    size_t k = 0;
    while (ks->hist[k] != p->target)
        k++;
    const unsigned char *mem = to + m->nstates + k * (m->nstates + 1);
    if (!mem[0]) {      /* never left: the default, or the composite itself */
        conf_mark_up(m, t->history_target >= 0 ? t->history_target : t->parent,
                     (bool *)to);
        return;
    }
    conf_mark_up(m, t->parent, (bool *)to);
    for (size_t s = 0; s < m->nstates; s++)
        if (mem[1 + s])
            to[s] = 1;
}

bool step_apply(const struct keyshape *ks, struct pick *picks, size_t n,
                const unsigned char *from, unsigned char *to)
{
    const struct machine *m = ks->m;
    bool *gone = ks->gone, *mine = ks->mine;
    memset(gone, 0, m->nstates);
    for (size_t i = 0; i < n; i++) {
        if (picks[i].to == TO_INTERNAL)
            continue;
        if (!exits(m, &picks[i], (const bool *)from, gone, mine)) {
            picks[i].dropped = true;
            continue;
        }
        if (picks[i].to != TO_STATE)
            return false;
        for (size_t s = 0; s < m->nstates; s++)
            gone[s] |= mine[s];
    }
    memcpy(to, from, ks->len);
    record(ks, (const bool *)from, gone, to);
    for (size_t s = 0; s < m->nstates; s++)
        if (gone[s])
            to[s] = 0;
    for (size_t i = 0; i < n; i++)
        if (picks[i].to == TO_STATE && !picks[i].dropped)
            enter(ks, &picks[i], to);
    conf_complete(m, (bool *)to);
    return true;
}
