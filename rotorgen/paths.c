/*
 * paths.c: `rotorgen --paths`.  A breadth-first search over the
 * configurations of each machine (step.h's keys: active states plus what
 * the histories remember), from the initial one, one delivered event per
 * edge; the first time a state is active or a transition fires, the path
 * that got there is the shortest.  Guards are assumed, never evaluated;
 * the output format is in rotorgen.1 and doc/testing-paths.md.
 */
#include <string.h>

#include "conf.h"
#include "step.h"
#include "tools.h"

/* The search keeps its keys in memory: a machine with very many states
 * and histories gets fewer configurations than PATHS_MAX_CONFIGS. */
#define PATHS_MAX_BYTES (32u << 20)

/* Each step looks at the candidates on its way (select.c); a machine
 * with many states that all see many transitions (a composite's, with
 * guards) would take minutes.  The search stops after this many. */
#define PATHS_MAX_WORK 20000000ul

struct node {
    unsigned char *key;
    long           parent;      /* -1: the initial configuration */
    char          *label;       /* the step from the parent */
};

/* Where a state or transition was first reached: the configuration and,
 * the step from there (a state: the one that entered it). */
struct found {
    bool  set;
    long  node;         /* -1: the initial configuration */
    char *label;        /* NULL: no last step */
};

struct bfs {
    const struct machine *m;
    struct keyshape ks;
    struct node    *nodes;
    size_t          nnodes, cap, limit;
    size_t         *table, tcap;    /* open addressing: node index + 1 */
    bool            bounded;        /* a configuration was left out, or
                                       the work budget ran out */
    unsigned char  *scratch;        /* finish()'s next configuration */
    struct buf      label;          /* try_transition()'s, reused */
    struct selection sel;
    struct found   *states;
    struct found  **trans;
};

static size_t hash(const unsigned char *k, size_t len)
{
    size_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

static void found(struct found *f, long node, const char *label)
{
    if (f->set)
        return;
    *f = (struct found){ true, node, label ? xstrdup(label) : NULL };
}

/* Adds a configuration if it is new; returns its index, or -1 when it is
 * new but over the bound. */
static long intern(struct bfs *b, const unsigned char *key, long parent,
                   const char *label)
{
    size_t i = hash(key, b->ks.len) & (b->tcap - 1);
    for (; b->table[i]; i = (i + 1) & (b->tcap - 1))
        if (!memcmp(b->nodes[b->table[i] - 1].key, key, b->ks.len))
            return (long)b->table[i] - 1;
    /* its states are reached even when the bound leaves it out */
    for (size_t s = 0; s < b->m->nstates; s++)
        if (key[s])
            found(&b->states[s], parent, label);
    if (b->nnodes >= b->limit) {
        b->bounded = true;
        return -1;
    }
    struct node *n = VEC_PUSH(b->nodes, b->nnodes, b->cap);
    n->key = xmalloc(b->ks.len);
    memcpy(n->key, key, b->ks.len);
    n->parent = parent;
    n->label = label ? xstrdup(label) : NULL;
    b->table[i] = b->nnodes;
    return (long)b->nnodes - 1;
}


/* Fires a settled selection from node n: marks what it takes, keeps the
 * configuration it leads to. */
static void finish(struct bfs *b, long n, struct selection *sel,
                   const struct buf *label)
{
    unsigned char *to = b->scratch;
    for (size_t k = 0; k < sel->npicks; k++)
        sel->picks[k].dropped = false;
    bool alive = step_apply(&b->ks, sel->picks, sel->npicks, b->nodes[n].key, to);
    for (size_t k = 0; k < sel->npicks; k++)
        if (!sel->picks[k].dropped)
            found(&b->trans[sel->picks[k].state][sel->picks[k].index], n, label->data);
    for (size_t k = 0; k < sel->nbranches; k++)
        found(&b->trans[sel->branches[k].state][sel->branches[k].index], n, label->data);
    if (alive)
        intern(b, to, n, label->data);
}

/* The forced pick p leads into a choice: one path per branch, each with
 * the guards it needs (the earlier branches' false, its own true). */
static void branches(struct bfs *b, long n, struct selection *sel, size_t p,
                     struct buf *label, unsigned hops)
{
    struct pick *pk = &sel->picks[p];
    if (pk->to != TO_STATE || b->m->states[pk->target].kind != STATE_CHOICE ||
        hops > b->m->nstates) {
        finish(b, n, sel, label);
        return;
    }
    const struct state *c = &b->m->states[pk->target];
    int choice = pk->target;
    size_t mark = label->len, nb = sel->nbranches;
    for (size_t i = 0; i < c->ntrans; i++) {
        for (size_t j = 0; j < i; j++)
            if (c->trans[j].guard.text)
                buf_printf(label, " [!%s]", c->trans[j].guard.text);
        if (c->trans[i].guard.text)
            buf_printf(label, " [%s]", c->trans[i].guard.text);
        struct branch *br = VEC_PUSH(sel->branches, sel->nbranches, sel->branches_cap);
        *br = (struct branch){ choice, i };
        sel->picks[p].to = c->trans[i].to;
        sel->picks[p].target = c->trans[i].target_state;
        branches(b, n, sel, p, label, hops + 1);
        sel->picks[p].to = TO_STATE;
        sel->picks[p].target = choice;
        sel->nbranches = nb;
        label->len = mark;
        label->data[mark] = '\0';
    }
}

/* Tries to make transition i of active state s fire from node n. */
static void try_transition(struct bfs *b, long n, int s, size_t i)
{
    const struct machine *m = b->m;
    const bool *act = (const bool *)b->nodes[n].key;
    struct offer o;
    b->label.len = 0;
    b->sel.npicks = b->sel.nbranches = 0;
    if (!select_offer(m, act, s, &m->states[s].trans[i], &o, &b->label) ||
        !select_picks(m, act, &o, s, i, &b->sel, &b->label))
        return;
    for (size_t k = 0; k < b->sel.npicks; k++)
        if (b->sel.picks[k].state == s && b->sel.picks[k].index == i)
            branches(b, n, &b->sel, k, &b->label, 0);
}

static void expand(struct bfs *b, long n)
{
    const struct machine *m = b->m;
    for (size_t s = 0; s < m->nstates; s++) {
        if (!b->nodes[n].key[s] || conf_pseudo(m, (int)s))
            continue;
        for (size_t i = 0; i < m->states[s].ntrans; i++)
            try_transition(b, n, (int)s, i);
    }
}

static void search(struct bfs *b, const struct machine *m)
{
    memset(b, 0, sizeof *b);
    b->m = m;
    step_shape(m, &b->ks);
    b->limit = PATHS_MAX_BYTES / (b->ks.len + 1);
    if (b->limit > PATHS_MAX_CONFIGS)
        b->limit = PATHS_MAX_CONFIGS;
    for (b->tcap = 16; b->tcap < 2 * b->limit; b->tcap *= 2)
        ;
    b->table = xcalloc(b->tcap, sizeof *b->table);
    b->scratch = xmalloc(b->ks.len + 1);
    b->sel.front = xcalloc(m->nstates + 1, sizeof *b->sel.front);
    b->states = xcalloc(m->nstates + 1, sizeof *b->states);
    b->trans = xcalloc(m->nstates + 1, sizeof *b->trans);
    for (size_t s = 0; s < m->nstates; s++)
        b->trans[s] = xcalloc(m->states[s].ntrans + 1, sizeof **b->trans);
    unsigned char *start = xcalloc(b->ks.len, 1);
    step_initial(&b->ks, start);
    intern(b, start, -1, NULL);
    for (size_t n = 0; n < b->nnodes; n++) {
        if (b->sel.work > PATHS_MAX_WORK) {
            b->bounded = true;      /* nodes left unexpanded */
            break;
        }
        expand(b, (long)n);
    }
}

/* The labels of the steps from the initial configuration to node n. */
static void labels(const struct bfs *b, long n, struct buf *out)
{
    if (n < 0 || !b->nodes[n].label)
        return;
    labels(b, b->nodes[n].parent, out);
    buf_printf(out, "%s%s", out->len ? " " : "", b->nodes[n].label);
}

/* The whole path to node n, then `last`; "(initial)" when it is empty. */
static void steps(const struct bfs *b, long n, const char *last, struct buf *out)
{
    struct buf path = { 0 };
    labels(b, n, &path);
    if (last)
        buf_printf(&path, "%s%s", path.len ? " " : "", last);
    buf_puts(out, path.len ? path.data : "(initial)");
}

static void outcome(const struct bfs *b, const struct found *f, struct buf *out)
{
    if (f->set)
        steps(b, f->node, f->label, out);
    else if (b->bounded)
        buf_puts(out, "not reached: the search stopped at its bound");
    else
        buf_puts(out, "unreachable");
    buf_putc(out, '\n');
}

static void report(const struct bfs *b, const char *input, struct buf *out)
{
    const struct machine *m = b->m;
    buf_printf(out, "# machine %s: %zu configuration%s%s\n", m->name.text,
               b->nnodes, b->nnodes == 1 ? "" : "s",
               b->bounded ? " (the search stopped at its bound)" : "");
    for (size_t s = 0; s < m->nstates; s++) {
        const struct state *st = &m->states[s];
        if (conf_pseudo(m, (int)s))
            continue;
        buf_printf(out, "%s:%lu:%lu: state %s: ", input, st->name.loc.line,
                   st->name.loc.col, st->name.text);
        outcome(b, &b->states[s], out);
    }
    for (size_t s = 0; s < m->nstates; s++)
        for (size_t i = 0; i < m->states[s].ntrans; i++) {
            const struct transition *t = &m->states[s].trans[i];
            buf_printf(out, "%s:%lu:%lu: transition ", input, t->loc.line, t->loc.col);
            conf_describe(m, (int)s, t, out);
            buf_puts(out, ": ");
            outcome(b, &b->trans[s][i], out);
        }
}

void paths_print(const struct rsm_file *file, const char *input, struct buf *out)
{
    for (size_t i = 0; i < file->nmachines; i++) {
        struct bfs b;
        search(&b, &file->machines[i]);
        report(&b, input, out);
    }
}
