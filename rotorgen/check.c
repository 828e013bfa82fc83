/*
 * check.c: the semantic pass.  It resolves every name the parser kept as
 * written (events, targets, functions, machine declarations) and converts
 * durations and sizes, reporting each mistake at its place and carrying
 * on.  Lookups go through hash tables, so a huge input stays linear;
 * nothing here depends on hash order, so output stays deterministic.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "lexer.h"
#include "util.h"

#define KINDS_RAW      (1u << KIND_RAW)
#define KINDS_STREAM   (1u << KIND_STREAM)
#define KINDS_LISTENER (1u << KIND_LISTENER)
#define KINDS_ALL      (KINDS_RAW | KINDS_STREAM | KINDS_LISTENER)

const struct builtin_event builtin_events[] = {
    { "readable",     "ROTOR_EV_READABLE",     KINDS_RAW },
    { "writable",     "ROTOR_EV_WRITABLE",     KINDS_RAW },
    { "input",        "ROTOR_EV_INPUT",        KINDS_STREAM },
    { "flushed",      "ROTOR_EV_FLUSHED",      KINDS_STREAM },
    { "eof",          "ROTOR_EV_EOF",          KINDS_STREAM },
    { "limit",        "ROTOR_EV_LIMIT",        KINDS_STREAM },
    { "connected",    "ROTOR_EV_CONNECTED",    KINDS_STREAM },
    { "accepted",     "ROTOR_EV_ACCEPTED",     KINDS_LISTENER },
    { "timeout",      "ROTOR_EV_TIMEOUT",      KINDS_ALL },
    { "wakeup",       "ROTOR_EV_WAKEUP",       KINDS_ALL },
    { "resolved",     "ROTOR_EV_RESOLVED",     KINDS_ALL },
    { "spawn_failed", "ROTOR_EV_SPAWN_FAILED", KINDS_ALL },
    { "error",        "ROTOR_EV_ERROR",        KINDS_STREAM | KINDS_LISTENER },
    { "completed",    "ROTOR_EV_COMPLETED",    KINDS_ALL },
};
const size_t nbuiltin_events = sizeof builtin_events / sizeof builtin_events[0];

static const char *const kind_names[] = { "raw", "stream", "listener" };

/* ---- a string -> index table ------------------------------------------- */

struct symtab {
    struct sym { const char *key; size_t value; } *slots;
    size_t cap, count;
};

static size_t hash(const char *s)
{
    size_t h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static struct sym *sym_slot(const struct symtab *t, const char *key)
{
    size_t i = hash(key) & (t->cap - 1);
    while (t->slots[i].key && strcmp(t->slots[i].key, key) != 0)
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

/* Returns the value stored under key, or (size_t)-1. */
static size_t sym_get(const struct symtab *t, const char *key)
{
    if (!t->cap)
        return (size_t)-1;
    struct sym *s = sym_slot(t, key);
    return s->key ? s->value : (size_t)-1;
}

static void sym_grow(struct symtab *t)
{
    struct symtab bigger = { xcalloc(t->cap ? t->cap * 2 : 16, sizeof *t->slots),
                             t->cap ? t->cap * 2 : 16, t->count };
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].key)
            *sym_slot(&bigger, t->slots[i].key) = t->slots[i];
    *t = bigger;
}

/* Stores key -> value unless key is there; returns the value stored. */
static size_t sym_put(struct symtab *t, const char *key, size_t value)
{
    if (2 * (t->count + 1) > t->cap)
        sym_grow(t);
    struct sym *s = sym_slot(t, key);
    if (!s->key) {
        s->key = key;
        s->value = value;
        t->count++;
    }
    return s->value;
}

/* ---- helpers ----------------------------------------------------------- */

static const char *const c_keywords[] = {
    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
    "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "auto",
    "bool", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "false", "float", "for", "goto", "if",
    "inline", "int", "long", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "struct", "switch", "true", "typedef",
    "union", "unsigned", "void", "volatile", "while",
};

static bool is_c_keyword(const char *name)
{
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++)
        if (strcmp(c_keywords[i], name) == 0)
            return true;
    return false;
}

/* Names that appear in C as written must not be C keywords. */
static void check_c_name(struct ident id, const char *what)
{
    if (is_c_keyword(id.text))
        diag_error(id.loc, "'%s' is a C keyword and cannot name a %s",
                   id.text, what);
}

static int builtin_index(const char *name)
{
    for (size_t i = 0; i < nbuiltin_events; i++)
        if (strcmp(builtin_events[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Reads the digits of text into *value, saturating above limit; returns
 * what follows the digits (a unit, or ""). */
static const char *read_number(const char *text, uint64_t limit, uint64_t *value)
{
    uint64_t v = 0;
    for (; *text >= '0' && *text <= '9'; text++) {
        uint64_t digit = (uint64_t)(*text - '0');
        v = v > limit || v > (limit - digit) / 10 ? limit + 1 : v * 10 + digit;
    }
    *value = v;
    return text;
}

/* ---- machine declarations ---------------------------------------------- */

static const char *decl_word(const struct decl *d)
{
    static const char *const words[] = {
        [DECL_DATA] = "data", [DECL_SPAWNS] = "spawns",
        [DECL_CONTEXT] = "context", [DECL_CREATE] = "create",
        [DECL_DESTROY] = "destroy",
    };
    return d->what == DECL_KIND ? kind_names[d->kind] : words[d->what];
}

static struct ident *decl_slot(struct machine *m, enum decl_what what)
{
    switch (what) {
    case DECL_DATA:    return &m->data;
    case DECL_SPAWNS:  return &m->spawns;
    case DECL_CONTEXT: return &m->context;
    case DECL_CREATE:  return &m->create;
    case DECL_DESTROY: return &m->destroy;
    case DECL_KIND:    break;
    }
    return NULL;
}

static void resolve_decls(struct machine *m)
{
    const struct decl *kind_decl = NULL;
    for (size_t i = 0; i < m->ndecls; i++) {
        const struct decl *d = &m->decls[i];
        if (d->what == DECL_KIND) {
            if (kind_decl)
                diag_error(d->loc, "machine '%s' already has a kind ('%s' at %lu:%lu)",
                           m->name.text, decl_word(kind_decl),
                           kind_decl->loc.line, kind_decl->loc.col);
            else
                kind_decl = d;
            continue;
        }
        struct ident *slot = decl_slot(m, d->what);
        if (slot->text) {
            diag_error(d->loc, "duplicate '%s' in machine '%s' (first at %lu:%lu)",
                       decl_word(d), m->name.text, slot->loc.line, slot->loc.col);
            continue;
        }
        *slot = d->name;
        if (d->what == DECL_DATA || d->what == DECL_CONTEXT)
            check_c_name(d->name, "struct");
    }
    m->kind = kind_decl ? kind_decl->kind : KIND_RAW;
}

static void check_spawns(const struct rsm_file *f, struct machine *m,
                         const struct symtab *machines)
{
    if (m->spawns.text && m->kind != KIND_LISTENER)
        diag_error(m->spawns.loc, "'spawns' needs a listener machine ('%s' is %s)",
                   m->name.text, kind_names[m->kind]);
    else if (!m->spawns.text && m->kind == KIND_LISTENER)
        diag_error(m->name.loc, "listener machine '%s' needs 'spawns MACHINE;'",
                   m->name.text);
    m->spawns_here = m->spawns.text &&
                     sym_get(machines, m->spawns.text) < f->nmachines;
}

/* ---- events ------------------------------------------------------------ */

static void check_events(const struct machine *m, struct symtab *events)
{
    for (size_t i = 0; i < m->nevents; i++) {
        const struct event_decl *ev = &m->events[i];
        if (builtin_index(ev->name.text) >= 0) {
            diag_error(ev->name.loc, "'%s' is a built-in event; choose another name",
                       ev->name.text);
            continue;
        }
        size_t first = sym_put(events, ev->name.text, i);
        if (first != i) {
            struct loc at = m->events[first].name.loc;
            diag_error(ev->name.loc, "duplicate event '%s' (first declared at %lu:%lu)",
                       ev->name.text, at.line, at.col);
        }
        if (ev->type && ev->type[strlen(ev->type) - 1] != '*')
            diag_error(ev->type_loc, "the data of event '%s' must be a pointer "
                       "type such as 'struct T *', not '%s'", ev->name.text, ev->type);
    }
}

static void resolve_event(const struct machine *m, const struct symtab *events,
                          struct transition *t)
{
    const char *name = t->event.text;
    int b = builtin_index(name);
    if (b >= 0) {
        t->event_code = b;
        if (!(builtin_events[b].kinds & (1u << m->kind)))
            diag_error(t->event.loc, "a %s machine never receives '%s'",
                       kind_names[m->kind], name);
        return;
    }
    size_t u = sym_get(events, name);
    if (u == (size_t)-1) {
        diag_error(t->event.loc, "unknown event '%s' (declare it with 'event %s;')",
                   name, name);
        return;
    }
    t->user_event = true;
    t->event_code = (int)u;
}

/* ---- states ------------------------------------------------------------ */

static bool is_reserved_state(const char *name)
{
    return !strcmp(name, "done") || !strcmp(name, "error") || !strcmp(name, "SAME");
}

/* The `initial` among the states whose parent is `parent` (-1: the
 * machine's top level); reports a second one.  Returns -1 when none. */
static void note_initial(const struct machine *m, int *first, size_t i)
{
    const struct state *st = &m->states[i];
    if (*first < 0) {
        *first = (int)i;
        return;
    }
    const struct state *one = &m->states[*first];
    diag_error(st->name.loc, "second initial state '%s' (the first is '%s' at %lu:%lu)",
               st->name.text, one->name.text, one->name.loc.line, one->name.loc.col);
}

/* A composite state needs an initial substate; a parallel state needs
 * regions, and enters the first of them first (initial_child). */
static void check_composites(struct machine *m)
{
    for (size_t i = 0; i < m->nstates; i++) {
        struct state *st = &m->states[i];
        if (st->kind == STATE_PARALLEL && !st->nchildren)
            diag_error(st->name.loc, "parallel state '%s' has no regions (write "
                       "'state NAME { ... }' inside it)", st->name.text);
        else if (st->kind == STATE_NORMAL && st->nchildren && st->initial_child < 0)
            diag_error(st->name.loc, "state '%s' has substates but no initial one "
                       "(write 'initial state NAME' inside it)", st->name.text);
    }
    for (size_t i = m->nstates; i-- > 0; ) {
        const struct state *st = &m->states[i];
        if (st->region)
            m->states[st->parent].initial_child = (int)i;
    }
}

static bool is_pseudo(const struct state *st)
{
    return st->kind == STATE_CHOICE || st->kind == STATE_HISTORY;
}

static const char *state_word(const struct state *st)
{
    return st->kind == STATE_CHOICE ? "choice"
         : st->kind == STATE_HISTORY ? "history" : "state";
}

/* What a state says about its parent: a child counts, an initial one
 * is noted, a final parent refuses any. */
static void note_child(struct machine *m, size_t i)
{
    struct state *st = &m->states[i];
    struct state *up = &m->states[st->parent];
    m->nested = true;
    if (up->final && (size_t)st->parent + 1 == i)
        diag_error(st->name.loc, "final state '%s' cannot contain states",
                   up->name.text);
    if (is_pseudo(st))
        return;
    up->nchildren++;
    st->region = up->kind == STATE_PARALLEL;
    if (!st->initial)
        return;
    if (st->region)
        diag_error(st->name.loc, "'initial' has no place among the regions of "
                   "parallel state '%s': every region is entered", up->name.text);
    else
        note_initial(m, &up->initial_child, i);
}

static void note_kinds(struct machine *m, const struct state *st)
{
    m->has_parallel |= st->kind == STATE_PARALLEL;
    m->has_history |= st->kind == STATE_HISTORY;
    m->has_choice |= st->kind == STATE_CHOICE;
    m->has_defer |= st->defers.count > 0;
    m->has_named_timeouts |= st->ntimeouts > 0;
}

static void check_state_names(struct machine *m, struct symtab *states)
{
    int top_initial = -1;
    if (m->nstates >= (size_t)1 << 24)
        diag_error(m->name.loc, "machine '%s' has too many states (the limit is %lu)",
                   m->name.text, ((unsigned long)1 << 24) - 1);
    for (size_t i = 0; i < m->nstates; i++) {
        struct state *st = &m->states[i];
        st->initial_child = -1;
        st->expect_from = -1;
        st->history_target = -1;
        note_kinds(m, st);
        if (is_reserved_state(st->name.text))
            diag_error(st->name.loc, "'%s' is a reserved target and cannot name a %s",
                       st->name.text, state_word(st));
        size_t first = sym_put(states, st->name.text, i);
        if (first != i) {
            struct loc at = m->states[first].name.loc;
            diag_error(st->name.loc, "duplicate state '%s' (first defined at %lu:%lu)",
                       st->name.text, at.line, at.col);
        }
        if (st->parent >= 0)
            note_child(m, i);
        else if (st->initial)
            note_initial(m, &top_initial, i);
    }
    m->initial = top_initial;
    if (top_initial < 0)
        diag_error(m->name.loc, "machine '%s' has no initial state (write 'initial state NAME')",
                   m->name.text);
    check_composites(m);
    /* children follow their parent, so a backward walk sees the leaf of
     * every initial child before its parent */
    for (size_t i = m->nstates; i-- > 0; ) {
        struct state *st = &m->states[i];
        st->leaf = st->initial_child >= 0 ? m->states[st->initial_child].leaf
                                          : (int)i;
    }
    m->initial_leaf = m->initial >= 0 ? m->states[m->initial].leaf : -1;
}

static void check_futures(const struct machine *m, struct symtab *futures)
{
    for (size_t i = 0; i < m->nfutures; i++) {
        const struct ident *fu = &m->futures[i];
        size_t first = sym_put(futures, fu->text, i);
        if (first != i)
            diag_error(fu->loc, "duplicate future '%s' (first declared at %lu:%lu)",
                       fu->text, m->futures[first].loc.line, m->futures[first].loc.col);
    }
}

static void resolve_future(const struct machine *m, const struct symtab *futures,
                           struct transition *t)
{
    size_t i = sym_get(futures, t->arg.text);
    if (i == (size_t)-1)
        diag_error(t->arg.loc, "unknown future '%s' in machine '%s' (declare it "
                   "with 'future %s;')", t->arg.text, m->name.text, t->arg.text);
    else
        t->future = (int)i;
}

/* `on timeout(NAME)`: the nearest state from self outward declaring it. */
static void resolve_timeout_name(const struct machine *m, int self,
                                 struct transition *t)
{
    for (int s = self; s >= 0; s = m->states[s].parent) {
        const struct state *st = &m->states[s];
        for (size_t i = 0; i < st->ntimeouts; i++)
            if (!strcmp(st->timeouts[i].name.text, t->arg.text)) {
                t->timeout_state = s;
                t->timeout_index = (int)i;
                return;
            }
    }
    diag_error(t->arg.loc, "no timeout named '%s' in state '%s' or a state around "
               "it (declare it with 'timeout %s 5s;')", t->arg.text,
               m->states[self].name.text, t->arg.text);
}

/* `on completed` is about its own state; `on completed(S)` about S. */
static void resolve_completed(const struct machine *m, const struct symtab *states,
                              int self, struct transition *t)
{
    int s = self;
    if (t->arg.text) {
        size_t i = sym_get(states, t->arg.text);
        if (i == (size_t)-1) {
            diag_error(t->arg.loc, "unknown state '%s' in machine '%s'",
                       t->arg.text, m->name.text);
            return;
        }
        s = (int)i;
    }
    t->completed_state = s;
    const struct state *st = &m->states[s];
    if (!st->can_complete)
        diag_error(t->arg.text ? t->arg.loc : t->event.loc, "%s '%s' cannot "
                   "complete: 'completed' needs a final state directly inside it%s",
                   state_word(st), st->name.text, st->kind == STATE_PARALLEL
                   ? " in every region" : "");
}

/* The name in `on EVENT(NAME)`: a future, a named timeout or a state. */
static void resolve_arg(const struct machine *m, const struct symtab *futures,
                        const struct symtab *states, int self, struct transition *t)
{
    t->future = t->timeout_index = t->timeout_state = t->completed_state = -1;
    const char *event = t->event.text;
    if (!strcmp(event, "completed"))
        resolve_completed(m, states, self, t);
    if (!t->arg.text)
        return;
    if (!strcmp(event, "resolved"))
        resolve_future(m, futures, t);
    else if (!strcmp(event, "timeout"))
        resolve_timeout_name(m, self, t);
    else if (strcmp(event, "completed") != 0)
        diag_error(t->arg.loc, "only 'resolved', 'timeout' and 'completed' take a "
                   "name in parentheses ('%s' does not)", event);
}

/* Leaves inherit what their enclosing states watch and, unless they
 * say otherwise, expect: the runtime applies only the active leaf's row. */
static void inherit_io(struct machine *m)
{
    for (size_t i = 0; i < m->nstates; i++) {
        struct state *st = &m->states[i];
        if (st->expect != EXPECT_NONE)
            st->expect_from = (int)i;
        if (st->parent < 0)
            continue;
        const struct state *up = &m->states[st->parent];
        st->watch |= up->watch;
        if (st->expect == EXPECT_NONE && up->expect != EXPECT_NONE) {
            st->expect = up->expect;
            st->expect_size = up->expect_size;
            st->delim = up->delim;
            st->delim_len = up->delim_len;
            st->expect_from = up->expect_from;
        }
    }
}

static void resolve_target(const struct machine *m, const struct symtab *states,
                           int self, struct transition *t)
{
    const char *name = t->target.text;
    if (!name) {
        t->to = TO_INTERNAL;
    } else if (!strcmp(name, "done")) {
        t->to = TO_DONE;
    } else if (!strcmp(name, "error")) {
        t->to = TO_ERROR;
    } else if (!strcmp(name, "SAME")) {
        t->to = TO_STATE;
        t->target_state = self;
    } else {
        size_t s = sym_get(states, name);
        t->to = TO_STATE;
        t->target_state = (int)s;
        if (s == (size_t)-1)
            diag_error(t->target.loc, "unknown state '%s' in machine '%s'",
                       name, m->name.text);
    }
}

/* ---- constants and the values that may name them ----------------------- */

struct consts {
    const struct rsm_file *file;
    struct symtab          names;
};

static uint64_t time_scale(const char *unit)
{
    return !strcmp(unit, "ms") ? 1 : !strcmp(unit, "s") ? 1000
         : !strcmp(unit, "m") ? 60000 : 0;
}

#define MAX_CONSTANT INT64_MAX

static void resolve_constant(struct constant *c)
{
    uint64_t n;
    const char *unit = read_number(c->value.text, MAX_CONSTANT, &n);
    uint64_t scale = time_scale(unit);
    c->is_duration = *unit != '\0';
    if (c->is_duration && !scale)
        diag_error(c->value.loc, "unknown time unit '%s' (use ms, s or m; a "
                   "number has none)", unit);
    else if (n > MAX_CONSTANT / (scale ? scale : 1))
        diag_error(c->value.loc, "the constant '%s' is too large (the limit is "
                   "%lld%s)", c->name.text, (long long)(MAX_CONSTANT / (scale ? scale : 1)),
                   c->is_duration ? unit : "");
    else
        c->number = n * (scale ? scale : 1);
}

static void check_constants(struct rsm_file *f, struct consts *cs)
{
    cs->file = f;
    for (size_t i = 0; i < f->nconstants; i++) {
        struct constant *c = &f->constants[i];
        check_c_name(c->name, "constant");
        size_t first = sym_put(&cs->names, c->name.text, i);
        if (first != i) {
            struct loc at = f->constants[first].name.loc;
            diag_error(c->name.loc, "constant '%s' is already defined (at %lu:%lu)",
                       c->name.text, at.line, at.col);
        }
        resolve_constant(c);
    }
}

/* The literal a value stands for, at the value's place: itself, or the
 * text of the constant it names.  text NULL after an error. */
static struct ident literal_of(const struct consts *cs, struct ident v,
                               bool duration)
{
    if (*v.text >= '0' && *v.text <= '9')
        return v;
    size_t i = sym_get(&cs->names, v.text);
    if (i == (size_t)-1) {
        diag_error(v.loc, "unknown constant '%s' (define it with 'const %s = %s;' "
                   "at the top of the file)", v.text, v.text, duration ? "10s" : "16384");
        return (struct ident){ NULL, v.loc };
    }
    const struct constant *c = &cs->file->constants[i];
    if (c->is_duration != duration) {
        diag_error(v.loc, duration ? "'%s' is a number (%s), not a duration: a "
                   "timeout needs one with a unit such as 10s"
                   : "'%s' is a duration (%s), not a byte count", v.text, c->value.text);
        return (struct ident){ NULL, v.loc };
    }
    return (struct ident){ c->value.text, v.loc };
}

/* Converts a duration; 0 after an error. */
static uint32_t duration_ms(const struct consts *cs, struct ident v)
{
    v = literal_of(cs, v, true);
    if (!v.text)
        return 0;
    uint64_t n;
    const char *unit = read_number(v.text, UINT32_MAX, &n);
    uint64_t scale = time_scale(unit);
    if (!*unit)
        diag_error(v.loc, "the timeout '%s' needs a unit: ms, s or m", v.text);
    else if (!scale)
        diag_error(v.loc, "unknown time unit '%s' (use ms, s or m)", unit);
    else if (n == 0)
        diag_error(v.loc, "a timeout must be longer than 0");
    else if (n > UINT32_MAX / scale)
        diag_error(v.loc, "the timeout '%s' is too long (the limit is "
                   "4294967295ms, about 49 days)", v.text);
    else
        return (uint32_t)(n * scale);
    return 0;
}

/* Converts an expectation's byte count; min is the least allowed. */
static bool read_size(const struct consts *cs, struct ident v, uint64_t min,
                      uint32_t *out)
{
    v = literal_of(cs, v, false);
    if (!v.text)
        return false;
    uint64_t n;
    const char *rest = read_number(v.text, UINT32_MAX, &n);
    if (*rest) {
        diag_error(v.loc, "'%s' is not a byte count", v.text);
        return false;
    }
    if (n > UINT32_MAX) {
        diag_error(v.loc, "the byte count '%s' is too large (the limit "
                   "is 4294967295)", v.text);
        return false;
    }
    if (n < min) {
        diag_error(v.loc, "the byte count must be at least %u", (unsigned)min);
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

static void resolve_expect(const struct consts *cs, struct state *st,
                           const struct attr *a)
{
    st->expect = a->expect;
    if (a->expect == EXPECT_UNTIL) {
        st->delim = a->delim;
        st->delim_len = a->delim_len;
        if (!a->delim_len) {
            diag_error(a->delim_loc, "the delimiter of 'expect until' is empty");
            return;
        }
    }
    if (!a->number.text)
        return;
    uint64_t min = a->expect == EXPECT_FLUSH ? 0
                 : a->expect == EXPECT_UNTIL ? a->delim_len : 1;
    read_size(cs, a->number, min, &st->expect_size);
}

static void resolve_attrs(const struct consts *cs, const struct machine *m,
                          struct state *st)
{
    const struct attr *timeout = NULL, *expect = NULL;
    for (size_t i = 0; i < st->nattrs; i++) {
        const struct attr *a = &st->attrs[i];
        const struct attr **seen = a->what == ATTR_TIMEOUT ? &timeout
                                 : a->what == ATTR_EXPECT ? &expect : NULL;
        if (seen && *seen) {
            diag_error(a->loc, "state '%s' already has %s (at %lu:%lu)",
                       st->name.text, a->what == ATTR_TIMEOUT ? "a timeout"
                                                              : "an expectation",
                       (*seen)->loc.line, (*seen)->loc.col);
            continue;
        }
        if (seen)
            *seen = a;
        if (a->what == ATTR_TIMEOUT) {
            st->timeout_ms = duration_ms(cs, a->number);
        } else if (a->what == ATTR_WATCH) {
            if (m->kind != KIND_RAW)
                diag_error(a->loc, "'watch' needs a raw machine ('%s' is %s)",
                           m->name.text, kind_names[m->kind]);
            st->watch |= a->watch;
        } else if (m->kind != KIND_STREAM) {
            diag_error(a->loc, "'expect' needs a stream machine ('%s' is %s)",
                       m->name.text, kind_names[m->kind]);
        } else {
            resolve_expect(cs, st, a);
        }
    }
}

static void resolve_named_timeouts(const struct consts *cs, struct state *st)
{
    for (size_t i = 0; i < st->ntimeouts; i++) {
        struct named_timeout *nt = &st->timeouts[i];
        for (size_t j = 0; j < i; j++)
            if (!strcmp(st->timeouts[j].name.text, nt->name.text)) {
                diag_error(nt->name.loc, "state '%s' already has a timeout named "
                           "'%s' (at %lu:%lu)", st->name.text, nt->name.text,
                           st->timeouts[j].loc.line, st->timeouts[j].loc.col);
                break;
            }
        nt->ms = duration_ms(cs, nt->duration);
    }
}

/* ---- statecharts ------------------------------------------------------- */

/* Whether state s is c or inside it. */
static bool is_within(const struct machine *m, int s, int c)
{
    for (; s >= 0; s = m->states[s].parent)
        if (s == c)
            return true;
    return false;
}

/* Children follow their parent, so a backward walk settles every child
 * before its parent: a composite completes through a final child, a
 * parallel state when each region is final or completes. */
static void find_completions(struct machine *m)
{
    for (size_t i = 0; i < m->nstates; i++)
        m->states[i].can_complete = m->states[i].kind == STATE_PARALLEL &&
                                    m->states[i].nchildren > 0;
    for (size_t i = m->nstates; i-- > 0; ) {
        const struct state *st = &m->states[i];
        if (st->parent < 0 || is_pseudo(st))
            continue;
        struct state *up = &m->states[st->parent];
        if (up->kind == STATE_NORMAL && st->final)
            up->can_complete = true;
        else if (up->kind == STATE_PARALLEL && !st->final && !st->can_complete)
            up->can_complete = false;
    }
}

static void resolve_defers(const struct machine *m, const struct symtab *events,
                           struct state *st)
{
    size_t n = st->defers.count;
    st->defer_events = xmalloc((n ? n : 1) * sizeof *st->defer_events);
    for (size_t i = 0; i < n; i++) {
        const struct ident *e = &st->defers.items[i];
        int slot = builtin_index(e->text);
        if (slot >= 0 && !(builtin_events[slot].kinds & (1u << m->kind))) {
            diag_error(e->loc, "a %s machine never receives '%s'",
                       kind_names[m->kind], e->text);
            continue;
        }
        if (slot < 0) {
            size_t u = sym_get(events, e->text);
            if (u == (size_t)-1) {
                diag_error(e->loc, "cannot defer unknown event '%s' (declare it "
                           "with 'event %s;')", e->text, e->text);
                continue;
            }
            slot = (int)(nbuiltin_events + u);
        }
        bool seen = false;
        for (size_t j = 0; j < st->ndefer_events && !seen; j++)
            seen = st->defer_events[j] == slot;
        if (!seen)
            st->defer_events[st->ndefer_events++] = slot;
    }
}

/* A history belongs to a composite; its default lies inside it. */
static void resolve_history(const struct machine *m, const struct symtab *states,
                            struct state *h)
{
    const struct state *up = h->parent >= 0 ? &m->states[h->parent] : NULL;
    if (!up || !up->nchildren) {
        diag_error(h->name.loc, "history '%s' must stand inside a composite state "
                   "(one with substates)", h->name.text);
        return;
    }
    h->history_target = up->kind == STATE_PARALLEL ? h->parent : up->initial_child;
    if (!h->history_default.text)
        return;
    size_t d = sym_get(states, h->history_default.text);
    if (d == (size_t)-1) {
        diag_error(h->history_default.loc, "unknown state '%s' in machine '%s'",
                   h->history_default.text, m->name.text);
    } else if (d == (size_t)h->parent || !is_within(m, (int)d, h->parent) ||
               is_pseudo(&m->states[d])) {
        diag_error(h->history_default.loc, "the default of history '%s' must be a "
                   "state inside '%s'", h->name.text, up->name.text);
    } else {
        h->history_target = (int)d;
    }
}

/* A region is entered with its parallel state: from inside the parallel
 * state a transition may name it (it leaves and re-enters the parallel
 * state), from outside only the parallel state or a state deeper in. */
static void check_region_target(const struct machine *m, int from,
                                const struct transition *t)
{
    if (t->to != TO_STATE || t->target_state < 0)
        return;
    const struct state *r = &m->states[t->target_state];
    if (!r->region || is_within(m, from, r->parent))
        return;
    const char *p = m->states[r->parent].name.text;
    diag_error(t->target.loc, "'%s' is a region of parallel state '%s' and cannot "
               "be entered from outside it (target '%s', or a state inside '%s')",
               r->name.text, p, p, r->name.text);
}

static void check_branches(const struct state *c)
{
    const struct transition *else_branch = NULL;
    for (size_t j = 0; j < c->ntrans; j++) {
        const struct transition *t = &c->trans[j];
        if (t->is_else && else_branch)
            diag_error(t->loc, "choice '%s' has a second 'else' (the first is at "
                       "%lu:%lu)", c->name.text, else_branch->loc.line,
                       else_branch->loc.col);
        else if (t->is_else && j + 1 < c->ntrans)
            diag_error(t->loc, "'else' must be the last branch of choice '%s'",
                       c->name.text);
        if (t->is_else && !else_branch)
            else_branch = t;
    }
    if (!else_branch)
        diag_error(c->name.loc, "choice '%s' needs an 'else' branch (taken when "
                   "no guard holds)", c->name.text);
}

/* The next choice a branch leads to, from branch *j on; -1: none left. */
static int next_choice(const struct machine *m, const struct state *c, size_t *j)
{
    for (; *j < c->ntrans; (*j)++) {
        const struct transition *t = &c->trans[*j];
        if (t->to == TO_STATE && t->target_state >= 0 &&
            m->states[t->target_state].kind == STATE_CHOICE)
            return t->target_state;
    }
    return -1;
}

/* A depth-first walk over the choices' branches that lead to choices;
 * a branch back into the walk's path closes a cycle. */
static void check_choice_cycles(const struct machine *m)
{
    enum { NEW, ON_PATH, DONE };
    unsigned char *color = xcalloc(m->nstates, 1);
    struct frame { int choice; size_t next; } *path =
        xmalloc(m->nstates * sizeof *path);
    for (size_t i = 0; i < m->nstates; i++) {
        if (m->states[i].kind != STATE_CHOICE || color[i] != NEW)
            continue;
        size_t n = 0;
        path[n++] = (struct frame){ (int)i, 0 };
        color[i] = ON_PATH;
        while (n) {
            struct frame *f = &path[n - 1];
            const struct state *c = &m->states[f->choice];
            int to = next_choice(m, c, &f->next);
            if (to < 0) {
                color[f->choice] = DONE;
                n--;
                continue;
            }
            const struct transition *t = &c->trans[f->next++];
            if (color[to] == ON_PATH)
                diag_error(t->target.loc, "a cycle of choices: this branch of "
                           "'%s' leads back to choice '%s'", c->name.text,
                           m->states[to].name.text);
            else if (color[to] == NEW) {
                color[to] = ON_PATH;
                path[n++] = (struct frame){ to, 0 };
            }
        }
    }
}

/* A stream reads one way at a time: within a parallel state, at most
 * one region may say what it expects. */
static void check_region_expects(struct machine *m)
{
    if (m->kind != KIND_STREAM || !m->has_parallel)
        return;
    int *carrier = xmalloc(m->nstates * sizeof *carrier);
    for (size_t i = 0; i < m->nstates; i++)
        carrier[i] = -1;
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        const struct attr *a = NULL;
        for (size_t k = 0; k < st->nattrs && !a; k++)
            if (st->attrs[k].what == ATTR_EXPECT)
                a = &st->attrs[k];
        for (int s = (int)i; a && s >= 0; s = m->states[s].parent) {
            if (!m->states[s].region)
                continue;
            int p = m->states[s].parent;
            if (carrier[p] == -1)
                carrier[p] = s;
            else if (carrier[p] >= 0 && carrier[p] != s) {
                diag_error(a->loc, "regions '%s' and '%s' of parallel state '%s' "
                           "both carry 'expect': a stream reads one way at a time, "
                           "so only one region of a parallel state may",
                           m->states[carrier[p]].name.text, m->states[s].name.text,
                           m->states[p].name.text);
                carrier[p] = -2;        /* said once per parallel state */
            }
        }
    }
}

/* ---- user functions ---------------------------------------------------- */

struct functions {
    struct rsm_file *file;
    struct symtab    names;
};

static const char *self_type(const char *tag, char *out, size_t size)
{
    if (tag)
        snprintf(out, size, "struct %s *", tag);
    else
        snprintf(out, size, "void *");
    return out;
}

/* Records one use of a function; its prototype must agree with earlier
 * uses, since C has one prototype per name. */
static void use_function(struct functions *fs, size_t machine,
                         struct ident name, bool is_guard)
{
    struct rsm_file *f = fs->file;
    const char *tag = f->machines[machine].data.text;
    size_t i = sym_put(&fs->names, name.text, f->nfunctions);
    if (i == f->nfunctions) {
        check_c_name(name, "function");
        struct function *fn = VEC_PUSH(f->functions, f->nfunctions, f->functions_cap);
        *fn = (struct function){ name, tag, is_guard, machine };
        return;
    }
    const struct function *fn = &f->functions[i];
    if (fn->is_guard != is_guard) {
        diag_error(name.loc, "'%s' is used as %s here but as %s at %lu:%lu "
                   "(a guard returns bool, an action void)", name.text,
                   is_guard ? "a guard" : "an action",
                   fn->is_guard ? "a guard" : "an action",
                   fn->name.loc.line, fn->name.loc.col);
    } else if ((tag == NULL) != (fn->self_tag == NULL) ||
               (tag && strcmp(tag, fn->self_tag) != 0)) {
        char here[MAX_IDENT_LEN + 16], there[MAX_IDENT_LEN + 16];
        diag_error(name.loc, "'%s' takes '%sself' here (machine '%s') but "
                   "'%sself' at %lu:%lu (machine '%s')", name.text,
                   self_type(tag, here, sizeof here), f->machines[machine].name.text,
                   self_type(fn->self_tag, there, sizeof there),
                   fn->name.loc.line, fn->name.loc.col,
                   f->machines[fn->machine].name.text);
    }
}

static void use_list(struct functions *fs, size_t machine,
                     const struct ident_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        use_function(fs, machine, list->items[i], false);
}

static void collect_functions(struct functions *fs, size_t machine)
{
    const struct machine *m = &fs->file->machines[machine];
    if (m->create.text)
        use_function(fs, machine, m->create, false);
    if (m->destroy.text)
        use_function(fs, machine, m->destroy, false);
    for (size_t i = 0; i < m->nstates; i++) {
        const struct state *st = &m->states[i];
        use_list(fs, machine, &st->entry);
        use_list(fs, machine, &st->exit);
        for (size_t j = 0; j < st->ntrans; j++) {
            if (st->trans[j].guard.text)
                use_function(fs, machine, st->trans[j].guard, true);
            use_list(fs, machine, &st->trans[j].actions);
        }
    }
}

/* ---- struct tags the header declares ----------------------------------- */

static void add_tag(struct machine *m, struct symtab *seen, const char *keyword,
                    const char *tag, size_t len)
{
    struct buf b = { 0 };
    buf_printf(&b, "%s %.*s", keyword, (int)len, tag);
    if (sym_put(seen, b.data, m->ntags) == m->ntags)
        *(const char **)VEC_PUSH(m->tags, m->ntags, m->tags_cap) = b.data;
}

/* Every `struct T` named in the header is declared first, or a payload
 * type would declare a struct visible only inside its parameter list. */
static void collect_tags(struct machine *m)
{
    struct symtab seen = { 0 };
    if (m->data.text)
        add_tag(m, &seen, "struct", m->data.text, strlen(m->data.text));
    if (m->context.text)
        add_tag(m, &seen, "struct", m->context.text, strlen(m->context.text));
    for (size_t i = 0; i < m->nevents; i++) {
        const char *type = m->events[i].type;
        for (const char *w = type; w && *w; ) {
            size_t n = strcspn(w, " *");
            bool aggregate = (n == 6 && !strncmp(w, "struct", 6)) ||
                             (n == 5 && !strncmp(w, "union", 5));
            const char *next = w + n + strspn(w + n, " *");
            size_t tag_len = strcspn(next, " *");
            if (aggregate && tag_len)
                add_tag(m, &seen, n == 6 ? "struct" : "union", next, tag_len);
            w = next;
        }
    }
}

/* The dispatch code has a case per leaf trying the transitions of the
 * leaf and of every state around it, so a composite state's transitions
 * are written once per leaf inside it.  Past this many in all, the C
 * would be hundreds of megabytes: refuse rather than churn. */
#define MAX_EMITTED_TRANSITIONS (4u << 20)

static void check_size(const struct machine *m)
{
    uint64_t total = 0;
    for (size_t i = 0; i < m->nstates; i++) {
        if (m->states[i].nchildren)
            continue;
        for (int s = (int)i; s >= 0; s = m->states[s].parent)
            total += m->states[s].ntrans;
    }
    if (total > MAX_EMITTED_TRANSITIONS)
        diag_error(m->name.loc, "machine '%s' is too large: its leaf states try "
                   "%llu transitions in all (the limit is %u; each leaf repeats "
                   "those of the states around it)", m->name.text,
                   (unsigned long long)total, MAX_EMITTED_TRANSITIONS);
}

/* ---- driver ------------------------------------------------------------ */

static void resolve_transitions(struct machine *m, const struct symtab *events,
                                const struct symtab *futures,
                                const struct symtab *states, int self)
{
    struct state *st = &m->states[self];
    for (size_t j = 0; j < st->ntrans; j++) {
        struct transition *t = &st->trans[j];
        if (st->kind == STATE_CHOICE) {
            t->event_code = t->future = t->timeout_index = -1;
            t->timeout_state = t->completed_state = -1;
        } else {
            resolve_event(m, events, t);
            resolve_arg(m, futures, states, self, t);
            m->has_completion |= t->completed_state >= 0;
        }
        resolve_target(m, states, self, t);
        check_region_target(m, self, t);
    }
}

static void check_machine(struct rsm_file *f, size_t index,
                          const struct symtab *machines, const struct consts *cs)
{
    struct machine *m = &f->machines[index];
    struct symtab events = { 0 }, states = { 0 }, futures = { 0 };
    resolve_decls(m);
    check_spawns(f, m, machines);
    check_events(m, &events);
    check_futures(m, &futures);
    check_state_names(m, &states);
    find_completions(m);
    for (size_t i = 0; i < m->nstates; i++) {
        struct state *st = &m->states[i];
        resolve_attrs(cs, m, st);
        resolve_named_timeouts(cs, st);
        resolve_defers(m, &events, st);
        if (st->kind == STATE_HISTORY)
            resolve_history(m, &states, st);
        resolve_transitions(m, &events, &futures, &states, (int)i);
        if (st->kind == STATE_CHOICE)
            check_branches(st);
    }
    check_choice_cycles(m);
    check_region_expects(m);
    inherit_io(m);
    check_size(m);
    collect_tags(m);
}

unsigned check(struct rsm_file *f)
{
    unsigned before = diag_error_count();
    struct symtab machines = { 0 };
    for (size_t i = 0; i < f->nmachines; i++) {
        const struct machine *m = &f->machines[i];
        size_t first = sym_put(&machines, m->name.text, i);
        if (first != i)
            diag_error(m->name.loc, "duplicate machine '%s' (first defined at %lu:%lu)",
                       m->name.text, f->machines[first].name.loc.line,
                       f->machines[first].name.loc.col);
    }
    struct consts cs = { f, { 0 } };
    check_constants(f, &cs);
    for (size_t i = 0; i < f->nmachines; i++)
        check_machine(f, i, &machines, &cs);
    struct functions fs = { f, { 0 } };
    for (size_t i = 0; i < f->nmachines; i++)
        collect_functions(&fs, i);
    /* warnings only for a file without errors: they would mostly repeat
     * them (a state is unreachable because its name was misspelt) */
    if (diag_error_count() == before)
        for (size_t i = 0; i < f->nmachines; i++)
            warn_machine(&f->machines[i]);
    return diag_error_count() - before;
}
