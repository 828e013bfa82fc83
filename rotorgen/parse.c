/*
 * parse.c: a recursive-descent parser for the .rsm grammar:
 *
 *   file     := ( CODE | const | machine )*
 *   const    := 'const' ID '=' NUMBER ';'
 *   machine  := 'machine' ID '{' mitem* '}'
 *   mitem    := 'data' 'struct' ID ';' | 'raw' ';' | 'stream' ';'
 *             | 'listener' ';' | 'spawns' ID ';' | 'context' 'struct' ID ';'
 *             | 'create' ID ';' | 'destroy' ID ';'
 *             | 'event' ID ( '(' ( ID | '*' )+ ')' )? ';' | 'future' ID ';'
 *             | state | choice | history
 *   state    := 'initial'? ( 'final' | 'parallel' )? 'state' ID '{' sitem* '}'
 *   choice   := 'choice' ID '{' ( branch )* '}'
 *   branch   := ( '[' ID ']' | 'else' ) ( '/' ids )? '->' ID ';'
 *   history  := 'deep'? 'history' ID ( '->' ID )? ';'
 *   sitem    := 'on' ID ( '(' ID ')' )? ( '[' ID ']' )? ( '/' ids )?
 *               ( '->' ID )? ';'
 *             | 'entry' '/' ids ';' | 'exit' '/' ids ';'
 *             | 'timeout' ID? VALUE ';' | 'watch' ( 'readable' | 'writable' ) ';'
 *             | 'expect' expectation ';' | 'drain' VALUE VALUE? ';'
 *             | 'defer' ids ';' | state | choice | history
 *   ids      := ID ( ',' ID )*
 *   VALUE    := NUMBER | ID (a constant)
 *
 * After a syntax error it skips to the end of the item (the next `;`, or
 * past a balanced `{ }`), so that one slip gives one message.
 */
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "util.h"

struct parser {
    const struct token *tok;     /* the current token; never past TOK_EOF */
    struct rsm_file    *file;
    unsigned            errors;
};

static bool is(const struct parser *p, enum tok_kind kind)
{
    return p->tok->kind == kind;
}

static bool is_word(const struct parser *p, const char *word)
{
    return is(p, TOK_IDENT) && strcmp(p->tok->text, word) == 0;
}

static void describe_token(const struct token *t, char *out, size_t size);

/* The `;` ending an item.  A missing one at the end of a line is reported
 * but taken as written, so the next line still parses. */
static bool need_semi(struct parser *p)
{
    if (is(p, TOK_SEMI)) {
        p->tok++;
        return true;
    }
    char got[MAX_IDENT_LEN + 3];
    describe_token(p->tok, got, sizeof got);
    diag_error(p->tok->loc, "expected ';', got %s", got);
    p->errors++;
    return p->tok->loc.line > p->tok[-1].loc.line;
}

static const struct token *advance(struct parser *p)
{
    const struct token *t = p->tok;
    if (t->kind != TOK_EOF)
        p->tok++;
    return t;
}

/* Names the current token for "got ..." in messages. */
static void describe_token(const struct token *t, char *out, size_t size)
{
    if (t->kind == TOK_IDENT || t->kind == TOK_NUMBER)
        snprintf(out, size, "'%s'", t->text);
    else
        snprintf(out, size, "%s", tok_kind_name(t->kind));
}

static void syntax_error(struct parser *p, const char *expected)
{
    char got[MAX_IDENT_LEN + 3];
    describe_token(p->tok, got, sizeof got);
    diag_error(p->tok->loc, "expected %s, got %s", expected, got);
    p->errors++;
}

/* Skips the rest of a broken item: up to and including the next `;` or a
 * balanced `{ ... }`, or up to (not past) the `}` closing the enclosing
 * block. */
static void skip_item(struct parser *p)
{
    unsigned depth = 0;
    while (!is(p, TOK_EOF)) {
        if (is(p, TOK_LBRACE)) {
            depth++;
        } else if (is(p, TOK_RBRACE)) {
            if (depth == 0)
                return;
            if (--depth == 0) {
                advance(p);
                return;
            }
        } else if (is(p, TOK_SEMI) && depth == 0) {
            advance(p);
            return;
        }
        advance(p);
    }
}

static bool accept(struct parser *p, enum tok_kind kind)
{
    if (!is(p, kind))
        return false;
    advance(p);
    return true;
}

static bool need(struct parser *p, enum tok_kind kind)
{
    if (accept(p, kind))
        return true;
    syntax_error(p, tok_kind_name(kind));
    return false;
}

static bool need_word(struct parser *p, const char *word)
{
    if (is_word(p, word)) {
        advance(p);
        return true;
    }
    char expected[64];
    snprintf(expected, sizeof expected, "'%s'", word);
    syntax_error(p, expected);
    return false;
}

static bool need_ident(struct parser *p, const char *what, struct ident *out)
{
    if (!is(p, TOK_IDENT)) {
        syntax_error(p, what);
        return false;
    }
    out->text = p->tok->text;
    out->loc = p->tok->loc;
    advance(p);
    return true;
}

/* ids := ID ( ',' ID )* */
static bool parse_ids(struct parser *p, const char *what, struct ident_list *out)
{
    do {
        struct ident *id = VEC_PUSH(out->items, out->count, out->cap);
        if (!need_ident(p, what, id))
            return false;
    } while (accept(p, TOK_COMMA));
    return true;
}

/* ---- states ------------------------------------------------------------ */

static bool parse_state(struct parser *p, struct machine *m, int parent,
                        unsigned depth);

static bool parse_transition(struct parser *p, struct state *st)
{
    struct transition *t = VEC_PUSH(st->trans, st->ntrans, st->trans_cap);
    t->loc = advance(p)->loc;
    if (!need_ident(p, "an event name after 'on'", &t->event))
        return false;
    if (accept(p, TOK_LPAREN)) {
        if (!need_ident(p, "a future, timeout or state name", &t->arg) ||
            !need(p, TOK_RPAREN))
            return false;
    }
    if (accept(p, TOK_LBRACKET)) {
        if (!need_ident(p, "a guard name", &t->guard) ||
            !need(p, TOK_RBRACKET))
            return false;
    }
    if (accept(p, TOK_SLASH) && !parse_ids(p, "an action name", &t->actions))
        return false;
    if (accept(p, TOK_ARROW) && !need_ident(p, "a target state", &t->target))
        return false;
    if (t->target.text || is(p, TOK_SEMI))
        return need_semi(p);
    syntax_error(p, t->actions.count ? "',', '->' or ';'"
                    : t->guard.text ? "'/', '->' or ';'" : "'[', '/', '->' or ';'");
    return p->tok->loc.line > p->tok[-1].loc.line;
}

static bool parse_hook_list(struct parser *p, struct ident_list *list)
{
    advance(p);
    return need(p, TOK_SLASH) && parse_ids(p, "an action name", list) &&
           need_semi(p);
}

/* A number, or the name of a constant standing for one. */
static bool parse_number(struct parser *p, const char *what, struct ident *out)
{
    if (!is(p, TOK_NUMBER) && !is(p, TOK_IDENT)) {
        syntax_error(p, what);
        return false;
    }
    out->text = p->tok->text;
    out->loc = p->tok->loc;
    advance(p);
    return true;
}

#define DURATION_WHAT "a duration such as 30s, 250ms or 5m"

/* `timeout D;`, or `timeout NAME D;` when a second word follows the
 * first (D itself may be a constant's name). */
static bool parse_timeout(struct parser *p, struct state *st)
{
    struct loc at = advance(p)->loc;
    if (is(p, TOK_IDENT) && (p->tok[1].kind == TOK_NUMBER ||
                             p->tok[1].kind == TOK_IDENT)) {
        struct named_timeout *nt = VEC_PUSH(st->timeouts, st->ntimeouts,
                                            st->timeouts_cap);
        nt->loc = at;
        nt->name.text = p->tok->text;
        nt->name.loc = p->tok->loc;
        advance(p);
        return parse_number(p, DURATION_WHAT, &nt->duration) && need_semi(p);
    }
    struct attr *a = VEC_PUSH(st->attrs, st->nattrs, st->attrs_cap);
    a->what = ATTR_TIMEOUT;
    a->loc = at;
    return parse_number(p, DURATION_WHAT, &a->number) && need_semi(p);
}

static bool parse_defer(struct parser *p, struct state *st)
{
    advance(p);
    return parse_ids(p, "an event name", &st->defers) && need_semi(p);
}

static bool parse_watch(struct parser *p, struct state *st)
{
    struct attr *a = VEC_PUSH(st->attrs, st->nattrs, st->attrs_cap);
    a->what = ATTR_WATCH;
    a->loc = advance(p)->loc;
    if (is_word(p, "readable"))
        a->watch = WATCH_READABLE;
    else if (is_word(p, "writable"))
        a->watch = WATCH_WRITABLE;
    else {
        syntax_error(p, "'readable' or 'writable'");
        return false;
    }
    advance(p);
    return need_semi(p);
}

/* `drain LOW;` or `drain HIGH LOW;` */
static bool parse_drain(struct parser *p, struct state *st)
{
    struct attr *a = VEC_PUSH(st->attrs, st->nattrs, st->attrs_cap);
    a->what = ATTR_DRAIN;
    a->loc = advance(p)->loc;
    if (!parse_number(p, "a byte count", &a->number))
        return false;
    if ((is(p, TOK_NUMBER) || is(p, TOK_IDENT)) &&
        !parse_number(p, "a byte count", &a->number2))
        return false;
    return need_semi(p);
}

/* expectation := 'bytes' N | 'until' STRING 'max' N | 'line' 'max' N
 *              | 'flush' N? | 'sleep' */
static bool parse_expect(struct parser *p, struct state *st)
{
    struct attr *a = VEC_PUSH(st->attrs, st->nattrs, st->attrs_cap);
    a->what = ATTR_EXPECT;
    a->loc = advance(p)->loc;
    const char *size_what = "a byte count";
    if (is_word(p, "bytes")) {
        a->expect = EXPECT_BYTES;
        advance(p);
    } else if (is_word(p, "until")) {
        a->expect = EXPECT_UNTIL;
        advance(p);
        if (!is(p, TOK_STRING)) {
            syntax_error(p, "a delimiter string");
            return false;
        }
        a->delim = p->tok->text;
        a->delim_len = p->tok->len;
        a->delim_loc = p->tok->loc;
        advance(p);
        if (!need_word(p, "max"))
            return false;
    } else if (is_word(p, "line")) {
        a->expect = EXPECT_LINE;
        advance(p);
        if (!need_word(p, "max"))
            return false;
    } else if (is_word(p, "flush")) {
        a->expect = EXPECT_FLUSH;
        advance(p);
        if (!is(p, TOK_NUMBER) && !is(p, TOK_IDENT))
            return need_semi(p);
    } else if (is_word(p, "sleep")) {
        a->expect = EXPECT_SLEEP;
        advance(p);
        return need_semi(p);
    } else {
        syntax_error(p, "'bytes', 'until', 'line', 'flush' or 'sleep'");
        return false;
    }
    return parse_number(p, size_what, &a->number) && need_semi(p);
}

static bool parse_choice(struct parser *p, struct machine *m, int parent,
                         unsigned depth);
static bool parse_history(struct parser *p, struct machine *m, int parent,
                          unsigned depth);

static bool starts_state(const struct parser *p)
{
    return is_word(p, "state") || is_word(p, "initial") || is_word(p, "final") ||
           is_word(p, "parallel");
}

/* `deep` starts an item only before `history`: elsewhere it is a name. */
static bool starts_history(const struct parser *p)
{
    return is_word(p, "history") ||
           (is_word(p, "deep") && p->tok[1].kind == TOK_IDENT &&
            !strcmp(p->tok[1].text, "history"));
}

static bool parse_state_item(struct parser *p, struct machine *m, int self,
                             unsigned depth)
{
    struct state *st = &m->states[self];
    if (is_word(p, "on"))
        return parse_transition(p, st);
    if (is_word(p, "entry"))
        return parse_hook_list(p, &st->entry);
    if (is_word(p, "exit"))
        return parse_hook_list(p, &st->exit);
    if (is_word(p, "timeout"))
        return parse_timeout(p, st);
    if (is_word(p, "watch"))
        return parse_watch(p, st);
    if (is_word(p, "expect"))
        return parse_expect(p, st);
    if (is_word(p, "drain"))
        return parse_drain(p, st);
    if (is_word(p, "defer"))
        return parse_defer(p, st);
    if (starts_state(p))
        return parse_state(p, m, self, depth + 1);
    if (is_word(p, "choice"))
        return parse_choice(p, m, self, depth + 1);
    if (starts_history(p))
        return parse_history(p, m, self, depth + 1);
    syntax_error(p, "a state item (on, entry, exit, timeout, watch, expect, "
                    "defer, state, choice, history) or '}'");
    return false;
}

typedef bool item_fn(struct parser *p, struct machine *m, int self,
                     unsigned depth);

/* Parses items up to the `}` closing the `{` at open, skipping the rest of
 * any broken item. */
static void parse_body(struct parser *p, struct loc open, item_fn *item,
                       struct machine *m, int self, unsigned depth)
{
    while (!is(p, TOK_RBRACE) && !is(p, TOK_EOF)) {
        if (!item(p, m, self, depth))
            skip_item(p);
    }
    if (!accept(p, TOK_RBRACE)) {
        diag_error(p->tok->loc, "expected '}' to close the '{' at %lu:%lu",
                   open.line, open.col);
        p->errors++;
    }
}

static bool too_deep(struct parser *p, unsigned depth)
{
    if (depth <= MAX_STATE_DEPTH)
        return false;
    diag_error(p->tok->loc, "states nested too deeply (the limit is %d)",
               MAX_STATE_DEPTH);
    p->errors++;
    return true;
}

/* Adds an entry to m->states; returns its index. */
static int add_state(struct machine *m, struct ident name, enum state_kind kind,
                     int parent, unsigned depth)
{
    struct state *st = VEC_PUSH(m->states, m->nstates, m->states_cap);
    st->name = name;
    st->kind = kind;
    st->parent = parent;
    st->depth = depth - 1;
    return (int)(m->nstates - 1);
}

static bool parse_state(struct parser *p, struct machine *m, int parent,
                        unsigned depth)
{
    bool initial = is_word(p, "initial");
    if (initial)
        advance(p);
    /* `initial final state`: a machine's only state, meant to stay (a
     * listener's) */
    bool final = is_word(p, "final"), parallel = is_word(p, "parallel");
    if (final || parallel)
        advance(p);
    if (!need_word(p, "state") || too_deep(p, depth))
        return false;
    struct ident name;
    if (!need_ident(p, "a state name", &name))
        return false;
    struct loc open = p->tok->loc;
    if (!need(p, TOK_LBRACE))
        return false;
    int self = add_state(m, name, parallel ? STATE_PARALLEL : STATE_NORMAL,
                         parent, depth);
    m->states[self].initial = initial;
    m->states[self].final = final;
    parse_body(p, open, parse_state_item, m, self, depth);
    return true;
}

/* branch := ( '[' GUARD ']' | 'else' ) ( '/' ids )? '->' TARGET ';' */
static bool parse_branch(struct parser *p, struct machine *m, int self,
                         unsigned depth)
{
    (void)depth;
    struct state *st = &m->states[self];
    struct transition *t = VEC_PUSH(st->trans, st->ntrans, st->trans_cap);
    t->loc = p->tok->loc;
    if (is_word(p, "else")) {
        t->is_else = true;
        advance(p);
    } else if (!accept(p, TOK_LBRACKET)) {
        syntax_error(p, "a branch ('[GUARD]' or 'else') or '}'");
        return false;
    } else if (!need_ident(p, "a guard name", &t->guard) ||
               !need(p, TOK_RBRACKET)) {
        return false;
    }
    if (accept(p, TOK_SLASH) && !parse_ids(p, "an action name", &t->actions))
        return false;
    if (!is(p, TOK_ARROW)) {
        syntax_error(p, t->actions.count ? "',' or '->' (a branch needs a target)"
                                         : "'/' or '->' (a branch needs a target)");
        return false;
    }
    advance(p);
    return need_ident(p, "a target state", &t->target) && need_semi(p);
}

static bool parse_choice(struct parser *p, struct machine *m, int parent,
                         unsigned depth)
{
    advance(p);
    if (too_deep(p, depth))
        return false;
    struct ident name;
    if (!need_ident(p, "a choice name", &name))
        return false;
    struct loc open = p->tok->loc;
    if (!need(p, TOK_LBRACE))
        return false;
    int self = add_state(m, name, STATE_CHOICE, parent, depth);
    parse_body(p, open, parse_branch, m, self, depth);
    return true;
}

/* history := 'deep'? 'history' NAME ( '->' DEFAULT )? ';' */
static bool parse_history(struct parser *p, struct machine *m, int parent,
                          unsigned depth)
{
    bool deep = is_word(p, "deep");
    if (deep)
        advance(p);
    advance(p);
    if (too_deep(p, depth))
        return false;
    struct ident name, fallback = { 0 };
    if (!need_ident(p, "a history name", &name))
        return false;
    if (accept(p, TOK_ARROW) && !need_ident(p, "a default state", &fallback))
        return false;
    if (!need_semi(p))
        return false;
    int self = add_state(m, name, STATE_HISTORY, parent, depth);
    m->states[self].deep = deep;
    m->states[self].history_default = fallback;
    return true;
}

/* ---- machines ---------------------------------------------------------- */

static struct decl *add_decl(struct parser *p, struct machine *m,
                             enum decl_what what)
{
    struct decl *d = VEC_PUSH(m->decls, m->ndecls, m->decls_cap);
    d->what = what;
    d->loc = advance(p)->loc;
    return d;
}

static bool parse_struct_decl(struct parser *p, struct machine *m,
                              enum decl_what what)
{
    struct decl *d = add_decl(p, m, what);
    return need_word(p, "struct") && need_ident(p, "a struct tag", &d->name) &&
           need_semi(p);
}

static bool parse_name_decl(struct parser *p, struct machine *m,
                            enum decl_what what, const char *name_what)
{
    struct decl *d = add_decl(p, m, what);
    return need_ident(p, name_what, &d->name) && need_semi(p);
}

static bool parse_kind(struct parser *p, struct machine *m,
                       enum machine_kind kind)
{
    struct decl *d = add_decl(p, m, DECL_KIND);
    d->kind = kind;
    d->name.text = p->tok[-1].text;
    d->name.loc = d->loc;
    return need_semi(p);
}

/* The payload type of an event: words and stars, as "struct line *". */
static bool parse_type(struct parser *p, struct event_decl *ev)
{
    struct buf type = { 0 };
    ev->type_loc = p->tok->loc;
    while (is(p, TOK_IDENT) || is(p, TOK_STAR)) {
        bool star = is(p, TOK_STAR);
        if (type.len && !(star && type.data[type.len - 1] == '*'))
            buf_putc(&type, ' ');
        buf_puts(&type, star ? "*" : p->tok->text);
        advance(p);
    }
    if (!type.len) {
        syntax_error(p, "a C type such as 'struct line *'");
        return false;
    }
    ev->type = type.data;
    return need(p, TOK_RPAREN);
}

static bool parse_event(struct parser *p, struct machine *m)
{
    advance(p);
    struct event_decl *ev = VEC_PUSH(m->events, m->nevents, m->events_cap);
    if (!need_ident(p, "an event name", &ev->name))
        return false;
    if (accept(p, TOK_LPAREN) && !parse_type(p, ev))
        return false;
    return need_semi(p);
}

static bool parse_future(struct parser *p, struct machine *m)
{
    advance(p);
    struct ident *fu = VEC_PUSH(m->futures, m->nfutures, m->futures_cap);
    return need_ident(p, "a future name", fu) && need_semi(p);
}

static bool parse_machine_item(struct parser *p, struct machine *m, int self,
                               unsigned depth)
{
    (void)self;
    (void)depth;
    if (is_word(p, "data"))
        return parse_struct_decl(p, m, DECL_DATA);
    if (is_word(p, "context"))
        return parse_struct_decl(p, m, DECL_CONTEXT);
    if (is_word(p, "raw"))
        return parse_kind(p, m, KIND_RAW);
    if (is_word(p, "stream"))
        return parse_kind(p, m, KIND_STREAM);
    if (is_word(p, "listener"))
        return parse_kind(p, m, KIND_LISTENER);
    if (is_word(p, "spawns"))
        return parse_name_decl(p, m, DECL_SPAWNS, "a machine name");
    if (is_word(p, "create"))
        return parse_name_decl(p, m, DECL_CREATE, "a function name");
    if (is_word(p, "destroy"))
        return parse_name_decl(p, m, DECL_DESTROY, "a function name");
    if (is_word(p, "event"))
        return parse_event(p, m);
    if (is_word(p, "future"))
        return parse_future(p, m);
    if (starts_state(p))
        return parse_state(p, m, -1, 1);
    if (is_word(p, "choice"))
        return parse_choice(p, m, -1, 1);
    if (starts_history(p))
        return parse_history(p, m, -1, 1);
    syntax_error(p, "a machine item (data, raw, stream, listener, spawns, "
                    "context, create, destroy, event, future, state, choice) "
                    "or '}'");
    return false;
}

static bool parse_machine(struct parser *p)
{
    advance(p);
    struct ident name;
    if (!need_ident(p, "a machine name", &name))
        return false;
    struct loc open = p->tok->loc;
    if (!need(p, TOK_LBRACE))
        return false;
    struct rsm_file *f = p->file;
    struct machine *m = VEC_PUSH(f->machines, f->nmachines, f->machines_cap);
    m->name = name;
    m->initial = -1;
    parse_body(p, open, parse_machine_item, m, -1, 0);
    return true;
}

static void add_block(struct parser *p)
{
    const struct token *t = advance(p);
    struct rsm_file *f = p->file;
    struct code_block *b = VEC_PUSH(f->blocks, f->nblocks, f->blocks_cap);
    b->text = t->text;
    b->len = t->len;
    b->loc = t->text_loc;
}

/* const := 'const' NAME '=' VALUE ';' */
static bool parse_const(struct parser *p)
{
    advance(p);
    struct rsm_file *f = p->file;
    struct constant *c = VEC_PUSH(f->constants, f->nconstants, f->constants_cap);
    if (!need_ident(p, "a constant name", &c->name) || !need(p, TOK_EQUALS))
        return false;
    if (!is(p, TOK_NUMBER)) {
        syntax_error(p, "a number or a duration such as 16384 or 10s");
        return false;
    }
    c->value.text = p->tok->text;
    c->value.loc = p->tok->loc;
    advance(p);
    return need_semi(p);
}

unsigned parse(const struct token_list *toks, struct rsm_file *file)
{
    struct parser p = { toks->items, file, 0 };
    while (!is(&p, TOK_EOF)) {
        if (is(&p, TOK_CODE)) {
            add_block(&p);
        } else if (is_word(&p, "machine")) {
            if (!parse_machine(&p))
                skip_item(&p);
        } else if (is_word(&p, "const")) {
            if (!parse_const(&p))
                skip_item(&p);
        } else {
            syntax_error(&p, "'machine', 'const' or a %{ %} block");
            skip_item(&p);
            accept(&p, TOK_RBRACE);     /* a stray `}` stops skip_item */
        }
    }
    return p.errors;
}
