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

struct dot {
    struct buf           *out;
    const struct machine *m;
    size_t                index;    /* of the machine: ids stay unique */
};

/* Node ids are "m<machine>s<state>", so no name needs quoting. */
static void node_id(struct dot *d, int state)
{
    buf_printf(d->out, "m%zus%d", d->index, state);
}

static void indent(struct dot *d, unsigned depth)
{
    buf_printf(d->out, "%*s", (int)(depth * 4), "");
}

static void leaf_node(struct dot *d, int s, unsigned depth)
{
    const struct state *st = &d->m->states[s];
    indent(d, depth);
    node_id(d, s);
    buf_printf(d->out, " [label=\"%s", st->name.text);
    if (st->timeout_ms)
        buf_printf(d->out, "\\ntimeout %lums", (unsigned long)st->timeout_ms);
    buf_printf(d->out, "\"%s];\n", st->final ? ", peripheries=2" : "");
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

/* The states whose parent is `parent`, from index `from` on (children
 * follow their parent in the array); returns the index after them. */
static size_t states_in(struct dot *d, int parent, size_t from, unsigned depth)
{
    const struct machine *m = d->m;
    size_t i = from;
    while (i < m->nstates && m->states[i].parent == parent) {
        const struct state *st = &m->states[i];
        if (!st->nchildren) {
            leaf_node(d, (int)i, depth);
            i++;
            continue;
        }
        indent(d, depth);
        buf_printf(d->out, "subgraph cluster_m%zus%zu {\n", d->index, i);
        indent(d, depth + 1);
        buf_puts(d->out, "style=rounded;\n");
        indent(d, depth + 1);
        buf_printf(d->out, "label=\"%s", st->name.text);
        if (st->timeout_ms)
            buf_printf(d->out, " (timeout %lums)", (unsigned long)st->timeout_ms);
        buf_puts(d->out, "\";\n");
        if (st->initial_child >= 0)
            initial_mark(d, (int)i, st->initial_child, depth + 1);
        i = states_in(d, (int)i, i + 1, depth + 1);
        indent(d, depth);
        buf_puts(d->out, "}\n");
    }
    return i;
}

static void label(struct dot *d, const struct transition *t)
{
    buf_puts(d->out, t->event.text);
    if (t->arg.text)
        buf_printf(d->out, "(%s)", t->arg.text);
    if (t->guard.text)
        buf_printf(d->out, " [%s]", t->guard.text);
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
    buf_puts(d->out, "\"");
    if (t->to == TO_INTERNAL)
        buf_puts(d->out, ", style=dashed");
    int to = t->to == TO_STATE ? t->target_state : -1;
    if (m->states[from].nchildren && t->to != TO_INTERNAL &&
        !(to >= 0 && inside(m, to, from)))
        buf_printf(d->out, ", ltail=cluster_m%zus%d", d->index, from);
    if (to >= 0 && m->states[to].nchildren && !inside(m, from, to))
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
    for (size_t i = 0; i < m->nstates; i++)
        for (size_t j = 0; j < m->states[i].ntrans; j++)
            edge(d, (int)i, &m->states[i].trans[j]);
}

void emit_dot(const struct rsm_file *file, const struct emit_options *opt,
              struct buf *out)
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
        struct dot d = { out, &file->machines[i], i };
        machine(&d);
    }
    buf_puts(out, "}\n");
}
