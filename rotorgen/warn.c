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
 *   -Wunhandled    a built-in event that a state's timeout, watch or
 *                  expectation produces but no transition handles
 *   -Wdefer-handled an event a state defers and also handles itself
 *   -Wnever-completes a state whose `completed` is handled but none of
 *                  whose final states (of some region) is ever entered
 *
 * Pseudostates are never active: a choice or a history is "reachable"
 * when a transition leads to it, and what it leads to is reachable in
 * turn; a parallel state's regions are all entered with it.
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
 * cover takes every future, timeout and completion t takes. */
static bool covers(const struct transition *cover, const struct transition *t)
{
    return (cover->future < 0 || cover->future == t->future) &&
           (cover->timeout_index < 0 ||
            (cover->timeout_index == t->timeout_index &&
             cover->timeout_state == t->timeout_state)) &&
           cover->completed_state == t->completed_state;
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
        if (st->kind == STATE_CHOICE)
            continue;
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
        int s = w.stack[--w.n];
        const struct state *st = &m->states[s];
        mark(&w, st->initial_child);
        mark(&w, st->history_target);
        for (size_t c = (size_t)s + 1; st->kind == STATE_PARALLEL &&
             c < m->nstates && m->states[c].depth > st->depth; c++)
            if (m->states[c].parent == s && m->states[c].region)
                mark(&w, (int)c);
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
        if (st->kind == STATE_CHOICE || st->kind == STATE_HISTORY)
            diag_warning(st->name.loc, "unreachable", "%s '%s' is never used (no "
                         "transition from the initial state leads to it)",
                         st->kind == STATE_CHOICE ? "choice" : "history",
                         st->name.text);
        else
            diag_warning(st->name.loc, "unreachable", "state '%s' is never entered "
                         "(no transition from the initial state leads to it)",
                         st->name.text);
    }
}

/* ---- dead ends --------------------------------------------------------- */

/* Whether t, a transition of a state inside s, takes the machine out of
 * s (or ends it). */
static bool leaves(const struct machine *m, const struct transition *t, int s)
{
    if (t->to == TO_DONE || t->to == TO_ERROR)
        return true;
    if (t->to != TO_STATE)
        return false;
    for (int c = t->target_state; c >= 0; c = m->states[c].parent)
        if (c == s)
            return false;
    return true;
}

/* Per parallel state: whether a transition of some region leaves it, so
 * that a region's leaf with no way of its own is not stuck. */
static bool *find_parallel_exits(const struct machine *m)
{
    bool *exits = xcalloc(m->nstates ? m->nstates : 1, sizeof *exits);
    if (!m->has_parallel)
        return exits;
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        for (int a = st->parent; a >= 0; a = m->states[a].parent) {
            if (m->states[a].kind != STATE_PARALLEL || exits[a])
                continue;
            for (size_t j = 0; j < st->ntrans && !exits[a]; j++)
                exits[a] = leaves(m, &st->trans[j], a);
        }
    }
    return exits;
}

/* Whether some transition of leaf (or of a state around it, or of a
 * sibling region) leaves it. */
static bool has_way_out(const struct machine *m, const bool *parallel_exits,
                        int leaf)
{
    for (int s = leaf; s >= 0; s = m->states[s].parent) {
        const struct state *st = &m->states[s];
        if (st->region && parallel_exits[st->parent])
            return true;
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
    bool *parallel_exits = find_parallel_exits(m);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        if (st->nchildren || st->final || !st->reachable ||
            st->kind != STATE_NORMAL || has_way_out(m, parallel_exits, (int)i))
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
        if (leaf->nchildren || !leaf->reachable || leaf->kind != STATE_NORMAL)
            continue;
        if (a->what == ATTR_EXPECT && leaf->expect_from != (int)s)
            continue;       /* a nearer `expect` replaces this one */
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

/* Whether `on timeout(NAME)` for state s's k-th timeout, or a plain `on
 * timeout`, is on the path from leaf outward. */
static bool handles_named(const struct machine *m, const uint32_t *own, int leaf,
                          size_t s, size_t k)
{
    if (handled_on_path(m, own, leaf) & (1u << builtin("timeout")))
        return true;
    for (int p = leaf; p >= 0; p = m->states[p].parent) {
        const struct state *st = &m->states[p];
        for (size_t j = 0; j < st->ntrans; j++)
            if (st->trans[j].timeout_state == (int)s &&
                st->trans[j].timeout_index == (int)k)
                return true;
    }
    return false;
}

/* A named timeout of s fires while any leaf inside s is active: each
 * such leaf needs a handler on its path. */
static void need_named_handler(const struct machine *m, const uint32_t *own,
                               size_t s, size_t k)
{
    const struct state *st = &m->states[s];
    const struct named_timeout *nt = &st->timeouts[k];
    for (size_t l = s; l < m->nstates && (l == s || m->states[l].depth > st->depth); l++) {
        const struct state *leaf = &m->states[l];
        if (leaf->nchildren || !leaf->reachable || leaf->kind != STATE_NORMAL ||
            handles_named(m, own, (int)l, s, k))
            continue;
        if (l == s)
            diag_warning(nt->loc, "unhandled", "state '%s' can receive 'timeout(%s)' "
                         "(from its timeout '%s') but no transition handles it",
                         leaf->name.text, nt->name.text, nt->name.text);
        else
            diag_warning(nt->loc, "unhandled", "state '%s' can receive 'timeout(%s)' "
                         "(from the timeout '%s' of '%s') but no transition "
                         "handles it", leaf->name.text, nt->name.text,
                         nt->name.text, st->name.text);
        return;
    }
}

static void warn_unhandled(const struct machine *m)
{
    uint32_t *own = xcalloc(m->nstates, sizeof *own);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        for (size_t j = 0; j < st->ntrans && st->kind != STATE_CHOICE; j++)
            if (!st->trans[j].user_event && st->trans[j].timeout_index < 0)
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
        for (size_t k = 0; k < st->ntimeouts; k++)
            need_named_handler(m, own, i, k);
        if ((a = find_attr(st, ATTR_WATCH, WATCH_READABLE)) != NULL)
            need_handler(m, own, i, a, "readable", "watch");
        if ((a = find_attr(st, ATTR_WATCH, WATCH_WRITABLE)) != NULL)
            need_handler(m, own, i, a, "writable", "watch");
        if ((a = find_attr(st, ATTR_EXPECT, 0)) != NULL && st->expect_from == (int)i)
            for (size_t k = 0; k < 3 && expect_events[st->expect][k]; k++)
                need_handler(m, own, i, a, expect_events[st->expect][k],
                             "expectation");
    }
}

/* ---- deferral and completion ------------------------------------------ */

static void warn_defer_handled(const struct machine *m)
{
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        for (size_t d = 0; d < st->defers.count; d++) {
            const struct ident *e = &st->defers.items[d];
            for (size_t j = 0; j < st->ntrans; j++) {
                const struct transition *t = &st->trans[j];
                if (strcmp(t->event.text, e->text) != 0)
                    continue;
                diag_warning(e->loc, "defer-handled", "state '%s' defers '%s' but "
                             "also handles it (at %lu:%lu): the transition takes "
                             "it first, so it is kept only when no guard holds",
                             st->name.text, e->text, t->loc.line, t->loc.col);
                break;
            }
        }
    }
}

/* Per state, whether it can be seen to complete: a final child of it is
 * reachable, or (parallel) every region is final or completes.
 * Backward over the array, so children are settled before parents. */
static bool *find_reachable_completions(const struct machine *m)
{
    bool *done = xcalloc(m->nstates ? m->nstates : 1, sizeof *done);
    for (size_t i = 0; i < m->nstates; i++)
        done[i] = m->states[i].kind == STATE_PARALLEL && m->states[i].nchildren;
    for (size_t i = m->nstates; i-- > 0; ) {
        const struct state *st = &m->states[i];
        if (st->parent < 0 || st->kind == STATE_CHOICE || st->kind == STATE_HISTORY)
            continue;
        const struct state *up = &m->states[st->parent];
        if (up->kind == STATE_NORMAL && st->final && st->reachable)
            done[st->parent] = true;
        else if (up->kind == STATE_PARALLEL && !st->final && !done[i])
            done[st->parent] = false;
    }
    return done;
}

static void warn_never_completes(const struct machine *m)
{
    if (!m->has_completion)
        return;
    const struct transition **handler = xcalloc(m->nstates, sizeof *handler);
    for (size_t i = 0; i < m->nstates; i++)
        for (size_t j = 0; j < m->states[i].ntrans; j++) {
            const struct transition *t = &m->states[i].trans[j];
            if (t->completed_state >= 0 && !handler[t->completed_state])
                handler[t->completed_state] = t;
        }
    bool *done = find_reachable_completions(m);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        const struct transition *h = handler[i];
        if (!h || !st->reachable || done[i])
            continue;
        if (st->kind != STATE_PARALLEL) {
            diag_warning(h->loc, "never-completes", "state '%s' never completes (no "
                         "final state directly inside it is ever entered), so this "
                         "'completed' never comes", st->name.text);
            continue;
        }
        for (size_t r = i + 1; r < m->nstates && m->states[r].depth > st->depth; r++)
            if (m->states[r].parent == (int)i && m->states[r].region &&
                !m->states[r].final && !done[r])
                diag_warning(m->states[r].name.loc, "never-completes", "region '%s' "
                             "never completes (no final state of it is ever "
                             "entered), so the 'completed' of parallel state '%s' "
                             "handled at %lu:%lu never comes", m->states[r].name.text,
                             st->name.text, h->loc.line, h->loc.col);
    }
}

void warn_machine(struct machine *m)
{
    find_reachable(m);
    warn_shadowed(m);
    warn_unreachable(m);
    warn_dead_ends(m);
    warn_unhandled(m);
    warn_defer_handled(m);
    warn_never_completes(m);
}
