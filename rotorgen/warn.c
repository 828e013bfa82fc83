/*
 * warn.c: the checker's warnings, on a machine whose names all resolved.
 * Each one points at something that compiles and runs but is very likely
 * not what was meant; each is switched off by -Wno-NAME and made an
 * error by -Werror:
 *
 *   -Wshadowed     a transition after an unguarded one on the same event
 *                  in the same state (it can never fire)
 *   -Wunreachable  a state that no path from the initial state enters
 *   -Wdead-end     a leaf state nothing leaves, not marked `final`
 *   -Wunhandled    a built-in event that a state's timeout, watch,
 *                  expectation or drain produces but no transition handles
 *
 * Every pass is linear in the size of the machine (times the nesting
 * depth, at most 16), so huge machines stay fast.
 */
#include <string.h>

#include "check.h"
#include "util.h"

/* ---- shadowed transitions ---------------------------------------------- */

/* Index of an event among built-ins and user events together. */
static size_t event_slot(const struct transition *t)
{
    return t->user_event ? nbuiltin_events + (size_t)t->event_code
                         : (size_t)t->event_code;
}

/* Whether an unguarded `cover` makes `t` unreachable: same event, and
 * cover takes every future t takes. */
static bool covers(const struct transition *cover, const struct transition *t)
{
    return cover->future < 0 || cover->future == t->future;
}

static void warn_shadowed(const struct machine *m)
{
    size_t nslots = nbuiltin_events + m->nevents;
    /* per event: the first unguarded transition of the current state */
    size_t *first = xmalloc(nslots * sizeof *first);
    for (size_t i = 0; i < nslots; i++)
        first[i] = (size_t)-1;
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        for (size_t j = 0; j < st->ntrans; j++) {
            const struct transition *t = &st->trans[j];
            size_t slot = event_slot(t);
            /* `on resolved(a)` does not cover `on resolved(b)`: then look
             * for a cover among the later ones of this event */
            size_t k = first[slot];
            if (k != (size_t)-1 && !covers(&st->trans[k], t))
                k++;
            for (; k < j; k++) {
                const struct transition *c = &st->trans[k];
                if (event_slot(c) != slot || c->guard.text || !covers(c, t))
                    continue;
                diag_warning(t->loc, "shadowed", "this transition can never fire: "
                             "the one at %lu:%lu before it on '%s' has no guard",
                             c->loc.line, c->loc.col, t->event.text);
                break;
            }
            if (!t->guard.text && first[slot] == (size_t)-1)
                first[slot] = j;
        }
        for (size_t j = 0; j < st->ntrans; j++)
            first[event_slot(&st->trans[j])] = (size_t)-1;
    }
}

/* ---- reachability ------------------------------------------------------ */

struct walk {
    struct machine *m;
    int            *stack;
    size_t          n;
};

static void mark(struct walk *w, int s)
{
    while (s >= 0 && !w->m->states[s].reachable) {
        w->m->states[s].reachable = true;
        w->stack[w->n++] = s;
        s = w->m->states[s].parent;     /* a child's parents are active too */
    }
}

static void find_reachable(struct machine *m)
{
    struct walk w = { m, xmalloc(m->nstates * sizeof(int)), 0 };
    mark(&w, m->initial_leaf);
    while (w.n) {
        const struct state *st = &m->states[w.stack[--w.n]];
        mark(&w, st->initial_child);
        for (size_t j = 0; j < st->ntrans; j++)
            if (st->trans[j].to == TO_STATE)
                mark(&w, st->trans[j].target_state);
    }
}

static void warn_unreachable(const struct machine *m)
{
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        if (st->reachable || (st->parent >= 0 && !m->states[st->parent].reachable))
            continue;
        diag_warning(st->name.loc, "unreachable", "state '%s' is never entered "
                     "(no transition from the initial state leads to it)",
                     st->name.text);
    }
}

/* ---- dead ends --------------------------------------------------------- */

/* Whether some transition of leaf (or of a state around it) leaves it. */
static bool has_way_out(const struct machine *m, int leaf)
{
    for (int s = leaf; s >= 0; s = m->states[s].parent) {
        const struct state *st = &m->states[s];
        for (size_t j = 0; j < st->ntrans; j++) {
            const struct transition *t = &st->trans[j];
            if (t->to == TO_DONE || t->to == TO_ERROR ||
                (t->to == TO_STATE && m->states[t->target_state].leaf != leaf))
                return true;
        }
    }
    return false;
}

static void warn_dead_ends(const struct machine *m)
{
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        if (st->nchildren || st->final || !st->reachable || has_way_out(m, (int)i))
            continue;
        diag_warning(st->name.loc, "dead-end", "no transition leaves state '%s' "
                     "(write 'final state %s' if it is meant to stay)",
                     st->name.text, st->name.text);
    }
}

/* ---- unhandled built-in events ----------------------------------------- */

static int builtin(const char *name)
{
    for (size_t i = 0; i < nbuiltin_events; i++)
        if (!strcmp(builtin_events[i].name, name))
            return (int)i;
    return -1;
}

/* Built-in events handled by some transition of s or around it, as bits. */
static uint32_t handled_on_path(const struct machine *m, const uint32_t *own, int s)
{
    uint32_t bits = 0;
    for (; s >= 0; s = m->states[s].parent)
        bits |= own[s];
    return bits;
}

static const struct attr *find_attr(const struct state *st, enum attr_what what,
                                    unsigned watch)
{
    for (size_t i = 0; i < st->nattrs; i++)
        if (st->attrs[i].what == what && (what != ATTR_WATCH || st->attrs[i].watch & watch))
            return &st->attrs[i];
    return NULL;
}

/* What an expectation produces besides `error`, which ends a machine
 * nobody handles it in. */
static const char *const expect_events[][3] = {
    [EXPECT_NONE] = { NULL }, [EXPECT_BYTES] = { "input", "eof", NULL },
    [EXPECT_UNTIL] = { "input", "limit", "eof" },
    [EXPECT_LINE] = { "input", "limit", "eof" },
    [EXPECT_FLUSH] = { "flushed", NULL }, [EXPECT_SLEEP] = { NULL },
};

/* Reports event `name` produced by st's attribute a unless every leaf
 * the attribute applies to handles it. */
static void need_handler(const struct machine *m, const uint32_t *own, size_t s,
                         const struct attr *a, const char *name, const char *why)
{
    int b = builtin(name);
    const struct state *st = &m->states[s];
    size_t end = s + 1;
    while (end < m->nstates && m->states[end].depth > st->depth)
        end++;
    for (size_t l = s; l < end; l++) {
        const struct state *leaf = &m->states[l];
        if (leaf->nchildren || !leaf->reachable)
            continue;
        if ((a->what == ATTR_EXPECT && leaf->expect_from != (int)s) ||
            (a->what == ATTR_DRAIN && leaf->drain_from != (int)s))
            continue;       /* a nearer `expect` or `drain` replaces this one */
        if (handled_on_path(m, own, (int)l) & (1u << b))
            continue;
        if (l == s)
            diag_warning(a->loc, "unhandled", "state '%s' can receive '%s' (from "
                         "its %s) but no transition handles it", st->name.text,
                         name, why);
        else
            diag_warning(a->loc, "unhandled", "state '%s' can receive '%s' (from "
                         "the %s of '%s') but no transition handles it",
                         leaf->name.text, name, why, st->name.text);
        return;
    }
}

static void warn_unhandled(const struct machine *m)
{
    uint32_t *own = xcalloc(m->nstates, sizeof *own);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        for (size_t j = 0; j < st->ntrans; j++)
            if (!st->trans[j].user_event)
                own[i] |= 1u << st->trans[j].event_code;
    }
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        if (!st->reachable)
            continue;
        const struct attr *a = find_attr(st, ATTR_TIMEOUT, 0);
        if (a && st->timeout_ms &&
            !(handled_on_path(m, own, (int)i) & (1u << builtin("timeout"))))
            diag_warning(a->loc, "unhandled", "state '%s' can receive 'timeout' "
                         "(from its timeout) but no transition handles it",
                         st->name.text);
        if ((a = find_attr(st, ATTR_WATCH, WATCH_READABLE)) != NULL)
            need_handler(m, own, i, a, "readable", "watch");
        if ((a = find_attr(st, ATTR_WATCH, WATCH_WRITABLE)) != NULL)
            need_handler(m, own, i, a, "writable", "watch");
        if ((a = find_attr(st, ATTR_EXPECT, 0)) != NULL && st->expect_from == (int)i)
            for (size_t k = 0; k < 3 && expect_events[st->expect][k]; k++)
                need_handler(m, own, i, a, expect_events[st->expect][k],
                             "expectation");
        if ((a = find_attr(st, ATTR_DRAIN, 0)) != NULL && st->drain_from == (int)i)
            need_handler(m, own, i, a, "drained", "drain");
    }
}

void warn_machine(struct machine *m)
{
    find_reachable(m);
    warn_shadowed(m);
    warn_unreachable(m);
    warn_dead_ends(m);
    warn_unhandled(m);
}
