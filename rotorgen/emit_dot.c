/*
 * emit_dot.c: the Graphviz emitter (`rotorgen --dot OUT.dot`).  One
 * digraph per file; each machine is a cluster, each composite state a
 * cluster inside it, each leaf state a node.  Edges are labelled
 * `event(future) [guard] / actions`; an internal transition is a dashed
 * loop.  A point marks the initial state of the machine and of each
 * composite state; `done`, `error` and `final` states are drawn as
 * double circles.  Edges from or to a composite state attach to its
 * initial leaf and are clipped at the cluster's border (compound=true).
 */
#include <string.h>

#include "emit.h"
#include "tools.h"

struct dot {
    struct buf           *out;
    const struct machine *m;
    size_t                index;    /* of the machine: ids stay unique */
    const struct coverage *cov;     /* --coverage: what to colour, or NULL */
};

/* --coverage: a state never active is drawn red. */
static const char *state_colour(const struct dot *d, int s)
{
    return d->cov && !d->cov->active[d->index][s] ? ", color=red, fontcolor=red" : "";
}

/* Node ids are "m<machine>s<state>", so no name needs quoting. */
static void node_id(struct dot *d, int state)
{
    buf_printf(d->out, "m%zus%d", d->index, state);
}

static void indent(struct dot *d, unsigned depth)
{
    buf_printf(d->out, "%*s", (int)(depth * 4), "");
}

/* The named timeouts and deferred events of a state, one per line. */
static void extras(struct dot *d, const struct state *st)
{
    for (size_t i = 0; i < st->ntimeouts; i++)
        buf_printf(d->out, "\\ntimeout %s %lums", st->timeouts[i].name.text,
                   (unsigned long)st->timeouts[i].ms);
    for (size_t i = 0; i < st->defers.count; i++)
        buf_printf(d->out, "%s%s", i ? ", " : "\\ndefer ", st->defers.items[i].text);
}

static void leaf_node(struct dot *d, int s, unsigned depth)
{
    const struct state *st = &d->m->states[s];
    indent(d, depth);
    node_id(d, s);
    if (st->kind == STATE_CHOICE) {
        buf_printf(d->out, " [label=\"%s\", shape=diamond, style=solid];\n",
                   st->name.text);
        return;
    }
    if (st->kind == STATE_HISTORY) {
        buf_printf(d->out, " [label=\"%s\", xlabel=\"%s\", shape=circle, "
                   "style=solid, width=0.3, fixedsize=true];\n",
                   st->deep ? "H*" : "H", st->name.text);
        return;
    }
    buf_printf(d->out, " [label=\"%s", st->name.text);
    if (st->timeout_ms)
        buf_printf(d->out, "\\ntimeout %lums", (unsigned long)st->timeout_ms);
    extras(d, st);
    buf_printf(d->out, "\"%s%s];\n", st->final ? ", peripheries=2" : "",
               state_colour(d, s));
}

/* The point and edge that mark the initial substate of `parent` (-1: of
 * the machine). */
static void initial_mark(struct dot *d, int parent, int first, unsigned depth)
{
    indent(d, depth);
    buf_printf(d->out, "m%zui%d [shape=point, width=0.12, label=\"\"];\n",
               d->index, parent + 1);
    indent(d, depth);
    buf_printf(d->out, "m%zui%d -> ", d->index, parent + 1);
    node_id(d, d->m->states[first].leaf);
    if (d->m->states[first].nchildren)
        buf_printf(d->out, " [lhead=cluster_m%zus%d]", d->index, first);
    buf_puts(d->out, ";\n");
}

static size_t states_in(struct dot *d, int parent, size_t from, unsigned depth);

static void cluster_open(struct dot *d, size_t i, const char *style,
                         unsigned depth)
{
    const struct state *st = &d->m->states[i];
    indent(d, depth);
    buf_printf(d->out, "subgraph cluster_m%zus%zu {\n", d->index, i);
    indent(d, depth + 1);
    buf_printf(d->out, "style=%s;\n", style);
    if (d->cov && !d->cov->active[d->index][i]) {
        indent(d, depth + 1);
        buf_puts(d->out, "color=red;\n");
        indent(d, depth + 1);
        buf_puts(d->out, "fontcolor=red;\n");
    }
    indent(d, depth + 1);
    buf_printf(d->out, "label=\"%s", st->name.text);
    if (st->timeout_ms)
        buf_printf(d->out, " (timeout %lums)", (unsigned long)st->timeout_ms);
    extras(d, st);
    buf_puts(d->out, "\";\n");
}

/* A composite (or parallel) state as a cluster; a region is dashed, and a
 * region with no substates is a dashed cluster around its node. */
static size_t cluster(struct dot *d, size_t i, unsigned depth)
{
    const struct state *st = &d->m->states[i];
    const char *style = st->region ? "\"dashed,rounded\"" : "rounded";
    cluster_open(d, i, style, depth);
    if (!st->nchildren)
        leaf_node(d, (int)i, depth + 1);
    if (st->initial_child >= 0 && st->kind != STATE_PARALLEL)
        initial_mark(d, (int)i, st->initial_child, depth + 1);
    size_t next = states_in(d, (int)i, i + 1, depth + 1);
    indent(d, depth);
    buf_puts(d->out, "}\n");
    return next;
}

/* The states whose parent is `parent`, from index `from` on (children
 * follow their parent in the array); returns the index after them. */
static size_t states_in(struct dot *d, int parent, size_t from, unsigned depth)
{
    const struct machine *m = d->m;
    size_t i = from;
    while (i < m->nstates && m->states[i].parent == parent) {
        const struct state *st = &m->states[i];
        if (st->nchildren || st->region) {
            i = cluster(d, i, depth);
        } else {
            leaf_node(d, (int)i, depth);
            size_t end = i + 1;     /* a leaf's pseudostates */
            while (end < m->nstates && m->states[end].depth > st->depth)
                end++;
            states_in(d, (int)i, i + 1, depth);
            i = end;
        }
    }
    return i;
}

static void label(struct dot *d, const struct transition *t)
{
    if (t->event.text)
        buf_puts(d->out, t->event.text);
    else if (t->is_else)
        buf_puts(d->out, "else");
    if (t->arg.text)
        buf_printf(d->out, "(%s)", t->arg.text);
    if (t->guard.text)
        buf_printf(d->out, "%s[%s]", t->event.text ? " " : "", t->guard.text);
    for (size_t i = 0; i < t->actions.count; i++)
        buf_printf(d->out, "%s%s", i ? ", " : " / ", t->actions.items[i].text);
}

/* Whether state s is c or inside it. */
static bool inside(const struct machine *m, int s, int c)
{
    for (; s >= 0; s = m->states[s].parent)
        if (s == c)
            return true;
    return false;
}

static void edge(struct dot *d, int from, const struct transition *t)
{
    const struct machine *m = d->m;
    buf_puts(d->out, "    ");
    node_id(d, m->states[from].leaf);
    buf_puts(d->out, " -> ");
    if (t->to == TO_STATE)
        node_id(d, m->states[t->target_state].leaf);
    else if (t->to == TO_INTERNAL)
        node_id(d, m->states[from].leaf);
    else
        buf_printf(d->out, "m%zu%s", d->index, t->to == TO_DONE ? "done" : "error");
    buf_puts(d->out, " [label=\"");
    label(d, t);
    unsigned long n = d->cov ? d->cov->taken[d->index][from][t - m->states[from].trans] : 0;
    if (n)
        buf_printf(d->out, " (%lux)", n);
    buf_puts(d->out, "\"");
    if (d->cov && !n)
        buf_puts(d->out, ", color=red, fontcolor=red, style=dashed");
    else if (t->to == TO_INTERNAL)
        buf_puts(d->out, ", style=dashed");
    int to = t->to == TO_STATE ? t->target_state : -1;
    if (m->states[from].nchildren && t->to != TO_INTERNAL &&
        !(to >= 0 && inside(m, to, from)))
        buf_printf(d->out, ", ltail=cluster_m%zus%d", d->index, from);
    if (to >= 0 && m->states[to].nchildren && !inside(m, from, to))
        buf_printf(d->out, ", lhead=cluster_m%zus%d", d->index, to);
    buf_puts(d->out, "];\n");
}

/* Where a history leads before its composite was ever left. */
static void history_edge(struct dot *d, int h)
{
    int to = d->m->states[h].history_target;
    if (to < 0)
        return;
    buf_puts(d->out, "    ");
    node_id(d, h);
    buf_puts(d->out, " -> ");
    node_id(d, d->m->states[to].leaf);
    buf_puts(d->out, " [style=dotted");
    /* not when the history is inside that cluster (a parallel parent
     * with no default): Graphviz refuses a head clipped around its tail */
    if (d->m->states[to].nchildren && !inside(d->m, h, to))
        buf_printf(d->out, ", lhead=cluster_m%zus%d", d->index, to);
    buf_puts(d->out, "];\n");
}

static void machine(struct dot *d)
{
    const struct machine *m = d->m;
    bool to_done = false, to_error = false;
    buf_printf(d->out, "    subgraph cluster_m%zu {\n        label=\"machine %s\";\n"
               "        style=dashed;\n", d->index, m->name.text);
    initial_mark(d, -1, m->initial, 2);
    states_in(d, -1, 0, 2);
    for (size_t i = 0; i < m->nstates; i++)
        for (size_t j = 0; j < m->states[i].ntrans; j++) {
            to_done |= m->states[i].trans[j].to == TO_DONE;
            to_error |= m->states[i].trans[j].to == TO_ERROR;
        }
    if (to_done)
        buf_printf(d->out, "        m%zudone [label=\"done\", shape=doublecircle];\n",
                   d->index);
    if (to_error)
        buf_printf(d->out, "        m%zuerror [label=\"error\", shape=doublecircle, "
                   "color=red];\n", d->index);
    buf_puts(d->out, "    }\n");
    for (size_t i = 0; i < m->nstates; i++) {
        for (size_t j = 0; j < m->states[i].ntrans; j++)
            edge(d, (int)i, &m->states[i].trans[j]);
        if (m->states[i].kind == STATE_HISTORY)
            history_edge(d, (int)i);
    }
}

static void drawing(const struct rsm_file *file, const struct emit_options *opt,
                    const struct coverage *cov, struct buf *out)
{
    buf_printf(out, "// Generated by rotorgen %s from ", opt->version);
    for (const char *c = opt->input; *c; c++)
        buf_putc(out, *c == '\n' ? ' ' : *c);
    buf_puts(out, ".  Do not edit.\n"
             "digraph rsm {\n"
             "    compound=true;\n"
             "    rankdir=LR;\n"
             "    fontname=\"Helvetica\";\n"
             "    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
             "    edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (size_t i = 0; i < file->nmachines; i++) {
        struct dot d = { out, &file->machines[i], i, cov };
        machine(&d);
    }
    buf_puts(out, "}\n");
}

void emit_dot(const struct rsm_file *file, const struct emit_options *opt,
              struct buf *out)
{
    drawing(file, opt, NULL, out);
}

void emit_dot_coverage(const struct rsm_file *file, const struct emit_options *opt,
                       const struct coverage *cov, struct buf *out)
{
    drawing(file, opt, cov, out);
}
