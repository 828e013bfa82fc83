/*
 * emit_chart.c: the tables of a machine that runs on the runtime's
 * statechart engine (regions, history, deferral or completion; see
 * struct rotor_chart in runtime/rotor/machine.h): per state its kind,
 * children, initial, history record, defer set and transitions, per
 * transition its event, filter, guard, actions and target; then two
 * switch functions the engine calls, one for guards and one for action
 * lists (entries, exits, transition actions), each call under a #line
 * to the .rsm like the compiled dispatch.
 *
 * Memory comes from rotorgen's arena (util.c), freed at exit.
 * Guards and action lists are numbered in one walk (states in order:
 * entry, exit, then each transition), which the tables and the switch
 * functions both follow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_c.h"

bool is_chart(const struct machine *m)
{
    return m->has_parallel || m->has_history || m->has_defer ||
           m->has_completion;
}

/* Numbers of the guards and action lists. */
struct ids {
    int *entry, *exit;          /* per state, -1: none */
    int *guard, *action;        /* per transition (in walk order) */
    size_t *first;              /* per state: its first transition */
    int nguards, nlists;
};

static int next_list(const struct ident_list *l, int *n)
{
    return l->count ? (*n)++ : -1;
}

static struct ids number(const struct machine *m)
{
    struct ids ids = { 0 };
    size_t ntrans = 0;
    for (size_t i = 0; i < m->nstates; i++)
        ntrans += m->states[i].ntrans;
    ids.entry = xcalloc(m->nstates + 1, sizeof *ids.entry);
    ids.exit = xcalloc(m->nstates + 1, sizeof *ids.exit);
    ids.first = xcalloc(m->nstates + 1, sizeof *ids.first);
    ids.guard = xcalloc(ntrans + 1, sizeof *ids.guard);
    ids.action = xcalloc(ntrans + 1, sizeof *ids.action);
    size_t k = 0;
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        ids.entry[i] = next_list(&st->entry, &ids.nlists);
        ids.exit[i] = next_list(&st->exit, &ids.nlists);
        ids.first[i] = k;
        for (size_t t = 0; t < st->ntrans; t++, k++) {
            ids.guard[k] = st->trans[t].guard.text ? ids.nguards++ : -1;
            ids.action[k] = next_list(&st->trans[t].actions, &ids.nlists);
        }
    }
    return ids;
}

static bool is_real(const struct state *st)
{
    return st->kind == STATE_NORMAL || st->kind == STATE_PARALLEL;
}

/* Children in document order, as linked lists (one pass, so that large
 * machines stay linear): first[s + 1] is s's first child (s = -1: the
 * top level), next[x] the sibling after x; -1 ends a list. */
struct tree { int *first, *next, *last; };

static struct tree make_tree(const struct machine *m)
{
    struct tree t = { xcalloc(m->nstates + 1, sizeof(int)),
                      xcalloc(m->nstates + 1, sizeof(int)),
                      xcalloc(m->nstates + 1, sizeof(int)) };
    for (size_t i = 0; i <= m->nstates; i++)
        t.first[i] = t.next[i] = t.last[i] = -1;
    for (size_t i = 0; i < m->nstates; i++) {
        int p = m->states[i].parent + 1;
        if (t.last[p] < 0)
            t.first[p] = (int)i;
        else
            t.next[t.last[p]] = (int)i;
        t.last[p] = (int)i;
    }
    return t;
}

#define EACH_CHILD(t, s, x) for (int x = (t)->first[(s) + 1]; x >= 0; x = (t)->next[x])

static bool has_real_children(const struct machine *m, const struct tree *t, int s)
{
    EACH_CHILD(t, s, x)
        if (is_real(&m->states[x]))
            return true;
    return false;
}

/* The atomic states inside s. */
static unsigned atomic_below(const struct machine *m, const struct tree *t, int s)
{
    unsigned n = 0;
    EACH_CHILD(t, s, x)
        if (is_real(&m->states[x]))
            n += has_real_children(m, t, x) ? atomic_below(m, t, x) : 1;
    return n;
}

/* How many states a history of s may have to record. */
static unsigned history_cap(const struct machine *m, const struct tree *t, int s,
                            bool deep)
{
    unsigned n = 0;
    if (deep)
        return atomic_below(m, t, s);
    EACH_CHILD(t, s, x)
        n += is_real(&m->states[x]);
    return n;
}

/* The most states active at once inside and with s. */
static unsigned max_active(const struct machine *m, const struct tree *t, int s)
{
    unsigned most = 0, sum = 0;
    EACH_CHILD(t, s, x) {
        if (!is_real(&m->states[x]))
            continue;
        unsigned n = max_active(m, t, x);
        sum += n;
        if (n > most)
            most = n;
    }
    if (s < 0)
        return most;
    return 1 + (m->states[s].kind == STATE_PARALLEL ? sum : most);
}

/* ---- the list of ints: children, histories, deferred events ---------- */

static void event_slot_label(struct emitter *e, int slot)
{
    if ((size_t)slot < nbuiltin_events)
        buf_puts(e->out, builtin_events[slot].constant);
    else
        buf_printf(e->out, "%s_ev_%s", e->m->name.text,
                   e->m->events[(size_t)slot - nbuiltin_events].name.text);
}

/* The children of s of one sort (histories or not), onto the list. */
static size_t list_children(struct emitter *e, const struct tree *t, int s,
                            bool histories)
{
    const struct machine *m = e->m;
    size_t n = 0;
    EACH_CHILD(t, s, i) {
        const struct state *x = &m->states[i];
        if (histories ? x->kind != STATE_HISTORY : !is_real(x))
            continue;
        buf_printf(e->out, "    %s_st_%s,\n", m->name.text, x->name.text);
        n++;
    }
    return n;
}

struct ranges { size_t children, nchildren, histories, nhistories, defer, ndefer; };

static struct ranges *chart_list(struct emitter *e, const struct tree *t)
{
    const struct machine *m = e->m;
    struct ranges *r = xcalloc(m->nstates + 1, sizeof *r);
    size_t at = 0;
    buf_printf(e->out, "\nstatic const int %s__list[] = {\n", m->name.text);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        r[i].children = at;
        at += r[i].nchildren = list_children(e, t, (int)i, false);
        r[i].histories = at;
        at += r[i].nhistories = list_children(e, t, (int)i, true);
        r[i].defer = at;
        for (size_t k = 0; k < st->ndefer_events; k++) {
            buf_puts(e->out, "    ");
            event_slot_label(e, st->defer_events[k]);
            buf_puts(e->out, ",\n");
        }
        at += r[i].ndefer = st->ndefer_events;
    }
    if (!at)
        buf_puts(e->out, "    -1,\n");
    buf_puts(e->out, "};\n");
    return r;
}

/* ---- transitions ------------------------------------------------------ */

static void target_label(struct emitter *e, const struct transition *t)
{
    switch (t->to) {
    case TO_INTERNAL: buf_puts(e->out, "ROTOR_INTERNAL"); break;
    case TO_DONE:     buf_puts(e->out, "ROTOR_DONE"); break;
    case TO_ERROR:    buf_puts(e->out, "ROTOR_ERROR"); break;
    case TO_STATE:
        buf_printf(e->out, "%s_st_%s", e->m->name.text,
                   e->m->states[t->target_state].name.text);
        break;
    }
}

static void filter_fields(struct emitter *e, const struct transition *t)
{
    const char *name = e->m->name.text;
    if (t->future >= 0)
        buf_printf(e->out, ".filter = ROTOR_FILTER_TAG, .arg = %s_fu_%s", name,
                   e->m->futures[t->future].text);
    else if (t->event.text && is_builtin(t, "timeout") && t->arg.text &&
             t->timeout_index >= 0)
        buf_printf(e->out, ".filter = ROTOR_FILTER_TIMEOUT_NAMED, .slot = %du, "
                   ".arg = %s_st_%s", t->timeout_index + 1, name,
                   e->m->states[t->timeout_state].name.text);
    else if (t->event.text && is_builtin(t, "timeout"))
        buf_puts(e->out, ".filter = ROTOR_FILTER_TIMEOUT, .arg = -1");
    else if (t->event.text && is_builtin(t, "completed"))
        buf_printf(e->out, ".filter = ROTOR_FILTER_COMPLETED, .arg = %s_st_%s", name,
                   e->m->states[t->completed_state].name.text);
    else
        buf_puts(e->out, ".filter = ROTOR_FILTER_NONE, .arg = -1");
}

static void chart_trans(struct emitter *e, const struct ids *ids)
{
    const struct machine *m = e->m;
    size_t k = 0;
    buf_printf(e->out, "\nstatic const struct rotor_chart_trans %s__trans[] = {\n",
               m->name.text);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        for (size_t n = 0; n < st->ntrans; n++, k++) {
            const struct transition *t = &st->trans[n];
            buf_printf(e->out, "    { .source = %s_st_%s, .event = ", m->name.text,
                       st->name.text);
            if (t->event.text)
                event_label(e, t);
            else
                buf_puts(e->out, "ROTOR_EV_NONE");
            buf_puts(e->out, ",\n      .target = ");
            target_label(e, t);
            buf_printf(e->out, ", .guard = %d, .action = %d,\n      ", ids->guard[k],
                       ids->action[k]);
            filter_fields(e, t);
            buf_puts(e->out, " },\n");
        }
    }
    if (!k)
        buf_puts(e->out, "    { .source = -1 },\n");
    buf_puts(e->out, "};\n");
}

/* ---- states ------------------------------------------------------------ */

static const char *kind_constant(enum state_kind k)
{
    static const char *const names[] = {
        [STATE_NORMAL] = "ROTOR_CHART_STATE", [STATE_PARALLEL] = "ROTOR_CHART_PARALLEL",
        [STATE_CHOICE] = "ROTOR_CHART_CHOICE", [STATE_HISTORY] = "ROTOR_CHART_HISTORY",
    };
    return names[k];
}

static int initial_of(const struct state *st)
{
    if (st->kind == STATE_HISTORY)
        return st->history_target;
    return st->kind == STATE_NORMAL ? st->initial_child : -1;
}

static unsigned expect_rank(const struct machine *m, const struct state *st)
{
    if (m->kind != KIND_STREAM || st->expect_from < 0)
        return 0;
    return m->states[st->expect_from].depth + 1;
}

/* One row; returns the history slots it takes. */
static size_t state_row(struct emitter *e, const struct tree *t, size_t i,
                        const struct ids *ids, const struct ranges *r, size_t history)
{
    const struct machine *m = e->m;
    const struct state *st = &m->states[i];
    int init = initial_of(st);
    unsigned cap = st->kind == STATE_HISTORY ? history_cap(m, t, st->parent, st->deep) : 0;
    buf_printf(e->out, "    [%s_st_%s] = {\n        .kind = %s, .flags = %s,"
               " .expect_rank = %uu,\n        .initial = ", m->name.text, st->name.text,
               kind_constant(st->kind), st->deep ? "ROTOR_CHART_DEEP"
               : st->final ? "ROTOR_CHART_FINAL" : "0u", expect_rank(m, st));
    if (init >= 0)
        buf_printf(e->out, "%s_st_%s", m->name.text, m->states[init].name.text);
    else
        buf_puts(e->out, "-1");
    buf_printf(e->out, ", .entry = %d, .exit = %d,\n"
               "        .children = %zuu, .nchildren = %zuu,"
               " .histories = %zuu, .nhistories = %zuu,\n"
               "        .trans = %zuu, .ntrans = %zuu, .defer = %zuu, .ndefer = %zuu,\n"
               "        .history = %zuu, .history_cap = %uu,\n    },\n",
               ids->entry[i], ids->exit[i], r[i].children, r[i].nchildren,
               r[i].histories, r[i].nhistories, ids->first[i], st->ntrans,
               r[i].defer, r[i].ndefer, history, cap);
    return st->kind == STATE_HISTORY ? cap + 1 : 0;
}

static size_t chart_states(struct emitter *e, const struct tree *t,
                           const struct ids *ids, const struct ranges *r)
{
    size_t history = 0;
    buf_printf(e->out, "\nstatic const struct rotor_chart_state %s__chart_states[] = {\n",
               e->m->name.text);
    for (size_t i = 0; i < e->m->nstates; i++)
        history += state_row(e, t, i, ids, r, history);
    buf_puts(e->out, "};\n");
    return history;
}

/* ---- the functions the engine calls ------------------------------------ */

static void guard_fn(struct emitter *e, const struct ids *ids)
{
    const struct machine *m = e->m;
    size_t k = 0;
    buf_printf(e->out, "\nstatic bool %s__guard(void *self, rotor_scope *s, "
               "const rotor_event *ev, int id)\n{\n    (void)self;\n    (void)s;\n"
               "    (void)ev;\n    switch (id) {\n", m->name.text);
    for (size_t i = 0; i < m->nstates; i++) {
        for (size_t n = 0; n < m->states[i].ntrans; n++, k++) {
            const struct transition *t = &m->states[i].trans[n];
            if (ids->guard[k] < 0)
                continue;
            buf_printf(e->out, "    case %d:\n", ids->guard[k]);
            line_to_rsm(e, t->guard.loc);
            buf_printf(e->out, "        return %s(self, s, ev);\n", t->guard.text);
        }
    }
    buf_puts(e->out, "    default:\n        break;\n    }\n    return false;\n}\n");
}

static void list_case(struct emitter *e, int id, const struct ident_list *l)
{
    if (id < 0)
        return;
    buf_printf(e->out, "    case %d:\n", id);
    call_actions(e, 2, l);
    buf_puts(e->out, "        break;\n");
}

static void run_fn(struct emitter *e, const struct ids *ids)
{
    const struct machine *m = e->m;
    size_t k = 0;
    buf_printf(e->out, "\nstatic void %s__run(void *self, rotor_scope *s, "
               "const rotor_event *ev, int id)\n{\n    (void)self;\n    (void)s;\n"
               "    (void)ev;\n    switch (id) {\n", m->name.text);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        list_case(e, ids->entry[i], &st->entry);
        list_case(e, ids->exit[i], &st->exit);
        for (size_t n = 0; n < st->ntrans; n++, k++)
            list_case(e, ids->action[k], &st->trans[n].actions);
    }
    buf_puts(e->out, "    default:\n        break;\n    }\n}\n");
}

void chart_tables(struct emitter *e)
{
    const char *name = e->m->name.text;
    struct ids ids = number(e->m);
    struct tree t = make_tree(e->m);
    struct ranges *r = chart_list(e, &t);
    chart_trans(e, &ids);
    size_t history = chart_states(e, &t, &ids, r);
    guard_fn(e, &ids);
    run_fn(e, &ids);
    buf_printf(e->out, "\nstatic const struct rotor_chart %s__chart = {\n"
               "    .states = %s__chart_states,\n    .trans = %s__trans,\n"
               "    .list = %s__list,\n    .history_slots = %zuu,\n"
               "    .max_active = %uu,\n    .guard = %s__guard,\n    .run = %s__run,\n};\n",
               name, name, name, name, history, max_active(e->m, &t, -1), name, name);
}
