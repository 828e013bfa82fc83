/*
 * emit_c.c: the C emitter.  It walks a template (template.c.in and
 * template.h.in, built into the binary as string arrays) and fills each
 * "%% NAME" insertion point with the part of the same name, in the
 * manner of lemon's lempar.c: the fixed shape of the output stays
 * readable in the template, the variable parts are written here.
 *
 * Every call of a user function is preceded by a #line pointing at its
 * name in the .rsm, so compiler messages about actions point there; no
 * #line points back into the output (see line_to_rsm()).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "parse.h"

/* The runtime's contract: rotorgen's own numbers must be its numbers. */
#include "rotor/machine.h"

_Static_assert(MAX_STATE_DEPTH == ROTOR_MAX_DEPTH, "nesting limit");
_Static_assert((int)KIND_RAW == (int)ROTOR_KIND_RAW && (int)KIND_STREAM == (int)ROTOR_KIND_STREAM &&
               (int)KIND_LISTENER == (int)ROTOR_KIND_LISTENER, "machine kinds");
_Static_assert((int)EXPECT_NONE == (int)ROTOR_EXPECT_NONE &&
               (int)EXPECT_BYTES == (int)ROTOR_EXPECT_BYTES &&
               (int)EXPECT_UNTIL == (int)ROTOR_EXPECT_UNTIL &&
               (int)EXPECT_LINE == (int)ROTOR_EXPECT_LINE &&
               (int)EXPECT_FLUSH == (int)ROTOR_EXPECT_FLUSH &&
               (int)EXPECT_SLEEP == (int)ROTOR_EXPECT_SLEEP, "expectations");
_Static_assert(WATCH_READABLE == ROTOR_WATCH_READABLE &&
               WATCH_WRITABLE == ROTOR_WATCH_WRITABLE, "watch bits");

#include "emit_c.h"
#include "rotorgen/template.inc"


/* ---- small writers ----------------------------------------------------- */

/* Writes s as the inside of a C string literal.  Octal escapes (always
 * three digits) cannot swallow a following digit, as \x would. */
static void put_c_string(struct buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f || c == '?')   /* '?': no trigraphs */
            buf_printf(b, "\\%03o", c);
        else
            buf_putc(b, (char)c);
    }
}

/* Writes a path inside a comment, where a star-slash would end it. */
static void put_comment_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        buf_putc(b, *s);
        if (s[0] == '*' && s[1] == '/')
            buf_putc(b, ' ');
    }
}

static void line_directive(struct emitter *e, unsigned long line, const char *path)
{
    const char *open = e->opt->lines ? "" : "/* ";
    const char *close = e->opt->lines ? "" : " */";
    buf_printf(e->out, "%s#line %lu \"", open, line);
    put_c_string(e->out, path, strlen(path));
    buf_printf(e->out, "\"%s\n", close);
}

/* Points the compiler at the .rsm for the next line.  The generated code
 * never points back at itself: a directive naming a line of the .c would
 * change whenever anything above it changes, so every #line names a
 * place in the .rsm (the name of the function called, or the machine)
 * and depends on nothing else.  The glue after a call is counted from
 * there. */
void line_to_rsm(struct emitter *e, struct loc at)
{
    line_directive(e, at.line, e->opt->input);
}

void indent(struct emitter *e, int depth)
{
    buf_printf(e->out, "%*s", depth * 4, "");
}

/* NAME(self, s, ev); as a statement, under a #line to the name. */
static void call_action(struct emitter *e, int depth, struct ident fn)
{
    line_to_rsm(e, fn.loc);
    indent(e, depth);
    buf_printf(e->out, "%s(self, s, ev);\n", fn.text);
}

void call_actions(struct emitter *e, int depth,
                         const struct ident_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        call_action(e, depth, list->items[i]);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- .c parts ---------------------------------------------------------- */

static void code_blocks(struct emitter *e)
{
    const struct rsm_file *f = e->file;
    for (size_t i = 0; i < f->nblocks; i++) {
        line_to_rsm(e, f->blocks[i].loc);
        buf_write(e->out, f->blocks[i].text, f->blocks[i].len);
        if (f->blocks[i].len && f->blocks[i].text[f->blocks[i].len - 1] != '\n')
            buf_putc(e->out, '\n');
    }
}

/* Glue code of a machine counts from the line of its name. */
static void machine_line(struct emitter *e)
{
    line_to_rsm(e, e->m->name.loc);
}

static void spawns_extern(struct emitter *e)
{
    if (e->m->spawns.text && !e->m->spawns_here)
        buf_printf(e->out, "extern const struct rotor_machine_type %s_machine;\n",
                   e->m->spawns.text);
}

static const char *expect_constant(enum expect_kind k)
{
    static const char *const names[] = {
        [EXPECT_NONE] = "ROTOR_EXPECT_NONE", [EXPECT_BYTES] = "ROTOR_EXPECT_BYTES",
        [EXPECT_UNTIL] = "ROTOR_EXPECT_UNTIL", [EXPECT_LINE] = "ROTOR_EXPECT_LINE",
        [EXPECT_FLUSH] = "ROTOR_EXPECT_FLUSH", [EXPECT_SLEEP] = "ROTOR_EXPECT_SLEEP",
    };
    return names[k];
}

static const char *watch_constant(unsigned watch)
{
    static const char *const names[] = {
        "0u", "ROTOR_WATCH_READABLE", "ROTOR_WATCH_WRITABLE",
        "ROTOR_WATCH_READABLE | ROTOR_WATCH_WRITABLE",
    };
    return names[watch & 3u];
}

static void state_table(struct emitter *e)
{
    const struct machine *m = e->m;
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        buf_printf(e->out, "    [%s_st_%s] = {\n        .name = \"%s\", .parent = ",
                   m->name.text, st->name.text, st->name.text);
        if (st->parent >= 0)
            buf_printf(e->out, "%s_st_%s", m->name.text, m->states[st->parent].name.text);
        else
            buf_puts(e->out, "-1");
        buf_printf(e->out, ", .depth = %uu, .timeout_ms = %luu,\n"
                   "        .watch = %s,\n"
                   "        .expect = %s, .expect_size = %luu,\n",
                   st->depth, (unsigned long)st->timeout_ms, watch_constant(st->watch),
                   expect_constant(st->expect), (unsigned long)st->expect_size);
        if (st->delim) {
            buf_puts(e->out, "        .delim = \"");
            put_c_string(e->out, st->delim, st->delim_len);
            buf_printf(e->out, "\", .delim_len = %zuu,\n", st->delim_len);
        } else {
            buf_puts(e->out, "        .delim = NULL, .delim_len = 0u,\n");
        }
        if (st->drain_from >= 0) {
            if (st->drain_high)
                buf_printf(e->out, "        .drain_high = %luu,",
                           (unsigned long)st->drain_high);
            else
                buf_puts(e->out, "        .drain_high = ROTOR_STREAM_HIGH_WATER,");
            buf_printf(e->out, " .drain_low = %luu,\n", (unsigned long)st->drain_low);
        }
        if (st->ntimeouts)
            buf_printf(e->out, "        .timeouts = %s__timeouts_%s, .ntimeouts = %zuu,\n",
                       m->name.text, st->name.text, st->ntimeouts);
        buf_puts(e->out, "    },\n");
    }
}

/* `timeout NAME D;` of each state that has some, for its row. */
static void timeout_tables(struct emitter *e)
{
    const struct machine *m = e->m;
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        if (!st->ntimeouts)
            continue;
        buf_printf(e->out, "\nstatic const struct rotor_timeout_info %s__timeouts_%s[] = {\n",
                   m->name.text, st->name.text);
        for (size_t k = 0; k < st->ntimeouts; k++)
            buf_printf(e->out, "    { \"%s\", %luu },\n", st->timeouts[k].name.text,
                       (unsigned long)st->timeouts[k].ms);
        buf_puts(e->out, "};\n");
    }
}

static void event_names(struct emitter *e)
{
    const struct machine *m = e->m;
    if (!m->nevents)
        return;
    buf_printf(e->out, "\nstatic const char *const %s__event_names[] = {\n",
               m->name.text);
    for (size_t i = 0; i < m->nevents; i++)
        buf_printf(e->out, "    \"%s\",\n", m->events[i].name.text);
    buf_puts(e->out, "};\n");
}

static void hook(struct emitter *e, const char *which, struct ident fn)
{
    if (!fn.text)
        return;
    buf_printf(e->out, "\nstatic void %s__%s(void *self, rotor_scope *s, "
               "const rotor_event *ev)\n{\n", e->m->name.text, which);
    call_action(e, 1, fn);
    buf_puts(e->out, "}\n");
}

static void hooks(struct emitter *e)
{
    hook(e, "create", e->m->create);
    hook(e, "destroy", e->m->destroy);
}

/* ---- In() in the middle of a transition ------------------------------- */

/* The runtime's rotor_in_state() knows only the active leaf until a
 * transition returns.  Before user code that runs once exits or entries
 * changed the configuration, the code tells it the deepest state still
 * (or already) active, and only there: transitions that run no action,
 * internal ones and a leaf's own exit actions cost nothing more. */
static void mark_at(struct emitter *e, int depth, int state)
{
    if (state == e->at)
        return;
    e->at = state;
    indent(e, depth);
    if (state < 0)
        buf_puts(e->out, "rotor_transition_at(s, -1);\n");
    else
        buf_printf(e->out, "rotor_transition_at(s, %s_st_%s);\n",
                   e->m->name.text, e->m->states[state].name.text);
}

/* Between the exits and the entries (a transition's or a branch's
 * actions, a choice's guards) only `keep` and what is around it are
 * active.  A flat machine skips this one, which would cost a call on
 * every transition with an action (bench/dispatch, hello-http): there
 * the source stays active until the entries (documented at
 * rotor_in_state()). */
static void mark_between(struct emitter *e, int depth, int keep)
{
    if (!e->flat)
        mark_at(e, depth, keep);
}

static bool is_flat(const struct machine *m)
{
    for (size_t i = 0; i < m->nstates; i++)
        if (m->states[i].parent >= 0)
            return false;
    return true;
}

/* The entry actions of `state`, which has just joined the
 * configuration. */
static void entry_actions(struct emitter *e, int depth, int state)
{
    const struct ident_list *entry = &e->m->states[state].entry;
    if (!entry->count)
        return;
    mark_at(e, depth, state);
    call_actions(e, depth, entry);
}

static void enter_body(struct emitter *e)
{
    const struct machine *m = e->m;
    e->at = m->initial_leaf;        /* start() sets the state first */
    e->flat = is_flat(m);
    for (int i = m->initial; i >= 0; i = m->states[i].initial_child)
        entry_actions(e, 1, i);
    buf_printf(e->out, "    return %s_st_%s;\n", m->name.text,
               m->states[m->initial_leaf].name.text);
}

void event_label(struct emitter *e, const struct transition *t)
{
    if (t->user_event)
        buf_printf(e->out, "%s_ev_%s", e->m->name.text, t->event.text);
    else
        buf_puts(e->out, builtin_events[t->event_code].constant);
}

static bool is_proper_ancestor(const struct machine *m, int a, int x)
{
    for (x = m->states[x].parent; x >= 0; x = m->states[x].parent)
        if (x == a)
            return true;
    return false;
}

/* The innermost state that a transition from `from` to `to` stays in
 * (SCXML's transition domain): the nearest proper ancestor of from that
 * is a proper ancestor of to too, or -1 for the machine itself.  So a
 * transition to the source itself, to a state inside it or to a state
 * around it leaves and re-enters the outer of the two. */
static int domain(const struct machine *m, int from, int to)
{
    for (int d = m->states[from].parent; d >= 0; d = m->states[d].parent)
        if (is_proper_ancestor(m, d, to))
            return d;
    return -1;
}

/* Exit actions of the active leaf and its enclosing states, inner first,
 * up to (not including) the state `keep`. */
static void exit_up_to(struct emitter *e, int depth, int leaf, int keep)
{
    for (int s = leaf; s >= 0 && s != keep; s = e->m->states[s].parent) {
        const struct ident_list *actions = &e->m->states[s].exit;
        if (!actions->count)
            continue;
        mark_at(e, depth, s);   /* the states inside s have left */
        call_actions(e, depth, actions);
    }
}

/* Entry actions from inside `keep` down to `to`, outer first, then down
 * `to`'s initial substates.  Returns the leaf entered. */
static int enter_down(struct emitter *e, int depth, int keep, int to)
{
    const struct machine *m = e->m;
    int path[ROTOR_MAX_DEPTH + 1];
    int n = 0;
    for (int s = to; s >= 0 && s != keep; s = m->states[s].parent)
        path[n++] = s;
    while (n > 0)
        entry_actions(e, depth, path[--n]);
    int s = to;
    while (m->states[s].initial_child >= 0) {
        s = m->states[s].initial_child;
        entry_actions(e, depth, s);
    }
    return s;
}

static void transition_return(struct emitter *e, int depth,
                              const struct transition *t, int leaf, int keep)
{
    indent(e, depth);
    const char *name = e->m->name.text;
    switch (t->to) {
    case TO_INTERNAL:
        buf_puts(e->out, "return ROTOR_INTERNAL;\n");
        break;
    case TO_DONE:
        buf_puts(e->out, "return ROTOR_DONE;\n");
        break;
    case TO_ERROR:
        buf_puts(e->out, "return ROTOR_ERROR;\n");
        break;
    case TO_STATE:
        if (keep < 0)
            buf_printf(e->out, "return %s_st_%s;\n", name, e->m->states[leaf].name.text);
        else
            buf_printf(e->out, "return ROTOR_GOTO(%s_st_%s, %uu);\n", name,
                       e->m->states[leaf].name.text, e->m->states[keep].depth + 1);
        break;
    }
}

bool is_builtin(const struct transition *t, const char *name)
{
    return !t->user_event && !strcmp(builtin_events[t->event_code].name, name);
}

/* The conditions besides the guard: which timer a `timeout` came from
 * (see ROTOR_TIMEOUT_TAG in machine.h) and which future resolved.
 * Returns whether there were any (an `if` is open). */
static bool filters(struct emitter *e, int depth, const struct state *from,
                    const struct transition *t)
{
    bool timeout = is_builtin(t, "timeout");
    bool named = timeout && t->arg.text && t->timeout_index >= 0;
    bool level = timeout && !named && from->depth > 0;
    bool future = t->future >= 0;
    if (!level && !named && !future)
        return false;
    indent(e, depth);
    buf_puts(e->out, "if (");
    if (level)
        buf_printf(e->out, "ROTOR_TIMEOUT_REACHES(ev, %uu)", from->depth);
    if (named)
        buf_printf(e->out, "rotor_event_tag(ev) == ROTOR_TIMEOUT_TAG(%uu, %du)",
                   e->m->states[t->timeout_state].depth, t->timeout_index + 1);
    if (future)
        buf_printf(e->out, "%srotor_event_tag(ev) == %s_fu_%s", level || named ? " && " : "",
                   e->m->name.text, e->m->futures[t->future].text);
    buf_puts(e->out, ") {\n");
    return true;
}

static bool is_choice(const struct machine *m, const struct transition *t)
{
    return t->to == TO_STATE && m->states[t->target_state].kind == STATE_CHOICE;
}

/* The state a choice's branch keeps: the innermost of `keep` and the
 * states around it that its target lies inside. */
static int branch_keep(const struct machine *m, int keep, const struct transition *b)
{
    if (b->to != TO_STATE)
        return -1;
    while (keep >= 0 && !is_proper_ancestor(m, keep, b->target_state))
        keep = m->states[keep].parent;
    return keep;
}

static void transition_tail(struct emitter *e, int depth, int keep,
                            const struct transition *t);

/* UML's compound transition after its first segment, which left every
 * state inside `keep`: the branches in order, each under its guard (the
 * last, else, under none), each leaving what its target is outside of,
 * then running its actions and going on (to another choice, maybe). */
static void choice_branches(struct emitter *e, int depth, int choice, int keep)
{
    const struct state *c = &e->m->states[choice];
    for (size_t i = 0; i < c->ntrans; i++) {
        const struct transition *b = &c->trans[i];
        int d = depth;
        if (b->guard.text) {
            mark_between(e, depth, keep);   /* guards run at the choice */
            line_to_rsm(e, b->guard.loc);
            indent(e, depth);
            buf_printf(e->out, "if (%s(self, s, ev)) {\n", b->guard.text);
            d++;
        }
        /* Every branch returns: the next one starts from here again. */
        int at = e->at;
        int k = branch_keep(e->m, keep, b);
        exit_up_to(e, d, keep, k);
        if (b->actions.count)
            mark_between(e, d, k);
        call_actions(e, d, &b->actions);
        transition_tail(e, d, k, b);
        e->at = at;
        if (b->guard.text) {
            indent(e, depth);
            buf_puts(e->out, "}\n");
        }
    }
}

/* After the exits and actions of a segment that kept `keep`: the next
 * choice, or the entries and the result. */
static void transition_tail(struct emitter *e, int depth, int keep,
                            const struct transition *t)
{
    if (is_choice(e->m, t)) {
        choice_branches(e, depth, t->target_state, keep);
        return;
    }
    int leaf = 0;
    if (t->to == TO_STATE)
        leaf = enter_down(e, depth, keep, t->target_state);
    transition_return(e, depth, t, leaf, keep);
}

/* One transition of state `from`, tried while `leaf` is active: filters,
 * guard, exit, actions, entry, result.  Returns whether it always fires,
 * making later ones for the event dead. */
static bool transition(struct emitter *e, int leaf, int from,
                       const struct transition *t)
{
    const struct machine *m = e->m;
    int depth = 3;
    bool filtered = filters(e, depth, &m->states[from], t);
    depth += filtered;
    if (t->guard.text) {
        line_to_rsm(e, t->guard.loc);
        indent(e, depth);
        buf_printf(e->out, "if (%s(self, s, ev)) {\n", t->guard.text);
        depth++;
    }
    int keep = -1;
    if (t->to == TO_STATE)
        keep = domain(m, from, t->target_state);
    e->at = leaf;   /* guards and filters change nothing */
    if (t->to != TO_INTERNAL) {
        exit_up_to(e, depth, leaf, keep);
        if (t->actions.count)
            mark_between(e, depth, keep);
    }
    call_actions(e, depth, &t->actions);
    if (t->to == TO_INTERNAL)
        transition_return(e, depth, t, leaf, keep);
    else
        transition_tail(e, depth, keep, t);
    while (depth > 3) {
        depth--;
        indent(e, depth);
        buf_puts(e->out, "}\n");
    }
    return !t->guard.text && !filtered;
}

/* Numbers events so that built-ins and user events share one index. */
static size_t event_slot(const struct transition *t)
{
    return t->user_event ? nbuiltin_events + (size_t)t->event_code
                         : (size_t)t->event_code;
}

/* A transition seen from a leaf: declared in `state` (the leaf or a state
 * around it), its place in the leaf's list, and the place of the first
 * transition on its event there. */
struct ordered { size_t first, index; int state; const struct transition *t; };

static int by_event_then_source(const void *a, const void *b)
{
    const struct ordered *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The transitions a leaf tries, inner states first, each in source order,
 * sorted by event (in order of first mention) so each event forms one
 * case.  first_seen has a slot per event, all (size_t)-1 on entry and on
 * return. */
static struct ordered *order_transitions(const struct machine *m, int leaf,
                                         size_t *first_seen, size_t *count)
{
    size_t n = 0;
    for (int s = leaf; s >= 0; s = m->states[s].parent)
        n += m->states[s].ntrans;
    struct ordered *order = xcalloc(n ? n : 1, sizeof *order);
    size_t k = 0;
    for (int s = leaf; s >= 0; s = m->states[s].parent) {
        const struct state *st = &m->states[s];
        for (size_t i = 0; i < st->ntrans; i++, k++) {
            size_t *first = &first_seen[event_slot(&st->trans[i])];
            if (*first == (size_t)-1)
                *first = k;
            order[k] = (struct ordered){ *first, k, s, &st->trans[i] };
        }
    }
    for (size_t i = 0; i < n; i++)
        first_seen[event_slot(order[i].t)] = (size_t)-1;
    qsort(order, n, sizeof *order, by_event_then_source);
    *count = n;
    return order;
}

static void state_case(struct emitter *e, int leaf, size_t *first_seen)
{
    size_t n;
    struct ordered *order = order_transitions(e->m, leaf, first_seen, &n);
    if (!n)
        return;
    buf_printf(e->out, "    case %s_st_%s:\n        switch (event) {\n",
               e->m->name.text, e->m->states[leaf].name.text);
    for (size_t i = 0; i < n; ) {
        size_t first = order[i].first;
        buf_puts(e->out, "        case ");
        event_label(e, order[i].t);
        buf_puts(e->out, ":\n");
        bool always = false;
        for (; i < n && order[i].first == first; i++)
            if (!always)
                always = transition(e, leaf, order[i].state, order[i].t);
        if (!always)
            buf_puts(e->out, "            break;\n");
    }
    buf_puts(e->out, "        default:\n            break;\n        }\n        break;\n");
}

/* One case per leaf: the runtime always dispatches on the active leaf. */
static void dispatch_cases(struct emitter *e)
{
    const struct machine *m = e->m;
    size_t nslots = nbuiltin_events + m->nevents;
    size_t *first_seen = xmalloc(nslots * sizeof *first_seen);
    for (size_t i = 0; i < nslots; i++)
        first_seen[i] = (size_t)-1;
    e->flat = is_flat(m);
    for (size_t i = 0; i < m->nstates; i++)
        if (!m->states[i].nchildren && m->states[i].kind == STATE_NORMAL)
            state_case(e, (int)i, first_seen);
}

static void type_fields(struct emitter *e)
{
    const struct machine *m = e->m;
    const char *name = m->name.text;
    if (m->data.text)
        buf_printf(e->out, "    .data_size = sizeof(struct %s),\n"
                   "    .data_align = _Alignof(struct %s),\n",
                   m->data.text, m->data.text);
    else
        buf_puts(e->out, "    .data_size = 0,\n    .data_align = 1,\n");
    buf_printf(e->out, "    .initial = %s_st_%s,\n    .nstates = %zu,\n"
               "    .states = %s__states,\n", name,
               m->states[m->initial_leaf].name.text, m->nstates, name);
    if (m->nevents)
        buf_printf(e->out, "    .nevents = %zu,\n    .event_names = %s__event_names,\n",
                   m->nevents, name);
    else
        buf_puts(e->out, "    .nevents = 0,\n    .event_names = NULL,\n");
    if (m->spawns.text)
        buf_printf(e->out, "    .spawns = &%s_machine,\n", m->spawns.text);
    else
        buf_puts(e->out, "    .spawns = NULL,\n");
    buf_printf(e->out, m->create.text ? "    .create = %s__create,\n"
                                      : "    .create = NULL,\n", name);
    buf_printf(e->out, m->destroy.text ? "    .destroy = %s__destroy,\n"
                                       : "    .destroy = NULL,\n", name);
}

/* ---- header parts ------------------------------------------------------ */

/* `const NAME = V;`: the value the .rsm uses, so C and .rsm share it. */
static void constants(struct emitter *e)
{
    const struct rsm_file *f = e->file;
    if (!f->nconstants)
        return;
    buf_putc(e->out, '\n');
    for (size_t i = 0; i < f->nconstants; i++) {
        const struct constant *c = &f->constants[i];
        buf_printf(e->out, "#define %s %llu%s\n", c->name.text,
                   (unsigned long long)c->number, c->is_duration ? " /* ms */" : "");
    }
}

static void struct_decls(struct emitter *e)
{
    for (size_t i = 0; i < e->m->ntags; i++)
        buf_printf(e->out, "%s;\n", e->m->tags[i]);
}

static void state_enum(struct emitter *e)
{
    for (size_t i = 0; i < e->m->nstates; i++)
        buf_printf(e->out, "    %s_st_%s = %zu,\n", e->m->name.text,
                   e->m->states[i].name.text, i);
}

static void event_enum(struct emitter *e)
{
    const struct machine *m = e->m;
    if (!m->nevents)
        return;
    buf_printf(e->out, "\nenum %s_event {\n", m->name.text);
    for (size_t i = 0; i < m->nevents; i++)
        buf_printf(e->out, "    %s_ev_%s = ROTOR_EV_USER + %zu,\n",
                   m->name.text, m->events[i].name.text, i);
    buf_puts(e->out, "};\n");
}

static void future_enum(struct emitter *e)
{
    const struct machine *m = e->m;
    if (!m->nfutures)
        return;
    buf_printf(e->out, "\nenum %s_future {\n", m->name.text);
    for (size_t i = 0; i < m->nfutures; i++)
        buf_printf(e->out, "    %s_fu_%s = %zu,\n", m->name.text, m->futures[i].text, i);
    buf_puts(e->out, "};\n");
}

static void prototypes(struct emitter *e)
{
    const struct rsm_file *f = e->file;
    bool first = true;
    for (size_t i = 0; i < f->nfunctions; i++) {
        const struct function *fn = &f->functions[i];
        if (fn->machine != e->machine)
            continue;
        if (first)
            buf_putc(e->out, '\n');
        first = false;
        buf_printf(e->out, "%s %s(", fn->is_guard ? "bool" : "void", fn->name.text);
        if (fn->self_tag)
            buf_printf(e->out, "struct %s *self", fn->self_tag);
        else
            buf_puts(e->out, "void *self");
        buf_puts(e->out, ", rotor_scope *s, const rotor_event *ev);\n");
    }
}

static void raise_helpers(struct emitter *e)
{
    const struct machine *m = e->m;
    for (size_t i = 0; i < m->nevents; i++) {
        const struct event_decl *ev = &m->events[i];
        buf_printf(e->out, "\nstatic inline int %s_raise_%s(rotor_scope *s",
                   m->name.text, ev->name.text);
        if (ev->type)
            buf_printf(e->out, ", %s%sdata", ev->type,
                       ev->type[strlen(ev->type) - 1] == '*' ? "" : " ");
        buf_printf(e->out, ")\n{ return rotor_raise(s, %s_ev_%s, %s); }\n",
                   m->name.text, ev->name.text, ev->type ? "(void *)data" : "NULL");
    }
}

static void context_helper(struct emitter *e)
{
    const char *tag = e->m->context.text;
    if (tag)
        buf_printf(e->out, "\nstatic inline struct %s *%s_context(rotor_scope *s)\n"
                   "{ return (struct %s *)rotor_scope_context(s); }\n",
                   tag, e->m->name.text, tag);
}

/* ---- the template walker ----------------------------------------------- */

typedef void part_fn(struct emitter *e);

static const struct part { const char *name; part_fn *fn; } parts[] = {
    { "code_blocks", code_blocks },     { "spawns_extern", spawns_extern },
    { "machine_line", machine_line },
    { "state_table", state_table },     { "event_names", event_names },
    { "hooks", hooks },                 { "enter_body", enter_body },
    { "dispatch_cases", dispatch_cases }, { "type_fields", type_fields },
    { "struct_decls", struct_decls },   { "state_enum", state_enum },
    { "event_enum", event_enum },       { "prototypes", prototypes },
    { "future_enum", future_enum },     { "constants", constants },
    { "timeout_tables", timeout_tables }, { "chart_tables", chart_tables },
    { "raise_helpers", raise_helpers }, { "context_helper", context_helper },
};

/* A template naming a part or variable we lack is a bug of rotorgen
 * itself, caught by any test run. */
static void template_bug(const char *what, const char *name)
{
    fprintf(stderr, "rotorgen: internal error: template %s '%s'\n", what, name);
    abort();
}

static void run_part(struct emitter *e, const char *name)
{
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (strcmp(parts[i].name, name) == 0) {
            parts[i].fn(e);
            return;
        }
    }
    template_bug("part", name);
}

static void header_guard(struct emitter *e)
{
    buf_puts(e->out, "ROTORGEN_");
    for (const char *c = base_name(e->opt->h_path); *c; c++)
        buf_putc(e->out, isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_');
}

static void variable(struct emitter *e, const char *name, size_t len)
{
    static const char *const kinds[] = {
        "ROTOR_KIND_RAW", "ROTOR_KIND_STREAM", "ROTOR_KIND_LISTENER",
    };
#define IS(v) (len == sizeof(v) - 1 && !strncmp(name, v, len))
    if (IS("VERSION"))
        buf_puts(e->out, e->opt->version);
    else if (IS("INPUT"))
        put_comment_text(e->out, e->opt->input);
    else if (IS("HEADER"))
        put_c_string(e->out, base_name(e->opt->h_path), strlen(base_name(e->opt->h_path)));
    else if (IS("GUARD"))
        header_guard(e);
    else if (IS("M") && e->m)
        buf_puts(e->out, e->m->name.text);
    else if (IS("KIND") && e->m)
        buf_puts(e->out, kinds[e->m->kind]);
    else
        template_bug("variable", xstrndup(name, len));
#undef IS
}

/* Copies one template line, replacing @NAME@ variables. */
static void copy_line(struct emitter *e, const char *line)
{
    const char *at;
    while ((at = strchr(line, '@')) != NULL) {
        const char *end = strchr(at + 1, '@');
        if (!end)
            template_bug("line", line);
        buf_write(e->out, line, (size_t)(at - line));
        variable(e, at + 1, (size_t)(end - at - 1));
        line = end + 1;
    }
    buf_puts(e->out, line);
    buf_putc(e->out, '\n');
}

static size_t run_lines(struct emitter *e, const char *const *lines, size_t i);

/* The index of the "%% }" that closes the block whose body starts at i. */
static size_t block_end(const char *const *lines, size_t i)
{
    int open = 1;
    for (; lines[i]; i++) {
        if (!strcmp(lines[i], "%% }") && --open == 0)
            return i;
        size_t len = strlen(lines[i]);
        if (!strncmp(lines[i], "%% ", 3) && len > 2 && !strcmp(lines[i] + len - 2, " {"))
            open++;
    }
    template_bug("block", "unclosed");
    return i;
}

/* Runs the lines of a "%% machine {" block once per machine; returns the
 * index of its "%% }" line. */
static size_t run_machines(struct emitter *e, const char *const *lines, size_t body)
{
    for (size_t i = 0; i < e->file->nmachines; i++) {
        e->m = &e->file->machines[i];
        e->machine = i;
        run_lines(e, lines, body);
    }
    e->m = NULL;
    return block_end(lines, body);
}

/* "%% if compiled {" or "%% if chart {": runs the block for the machine
 * of that sort; returns the index of its "%% }". */
static size_t run_if(struct emitter *e, const char *const *lines, size_t i)
{
    const char *cond = lines[i] + strlen("%% if ");
    bool chart = e->m && is_chart(e->m);
    bool yes = false;
    if (!strcmp(cond, "compiled {"))
        yes = !chart;
    else if (!strcmp(cond, "chart {"))
        yes = chart;
    else
        template_bug("condition", cond);
    if (yes)
        run_lines(e, lines, i + 1);
    return block_end(lines, i + 1);
}

/* Runs template lines from i up to a "%% }" or the end; returns where
 * it stopped. */
static size_t run_lines(struct emitter *e, const char *const *lines, size_t i)
{
    for (; lines[i]; i++) {
        const char *line = lines[i];
        if (!strncmp(line, "%#", 2))
            continue;
        if (!strcmp(line, "%% }"))
            return i;
        if (!strcmp(line, "%% machine {"))
            i = run_machines(e, lines, i + 1);
        else if (!strncmp(line, "%% if ", 6))
            i = run_if(e, lines, i);
        else if (!strncmp(line, "%% ", 3))
            run_part(e, line + 3);
        else
            copy_line(e, line);
    }
    return i;
}

void emit_c(const struct rsm_file *file, const struct emit_options *opt,
            struct buf *c_out, struct buf *h_out)
{
    struct emitter e = { file, opt, c_out, NULL, 0, -1, false };
    run_lines(&e, template_c, 0);
    e.out = h_out;
    run_lines(&e, template_h, 0);
}
