/*
 * ast.h: a .rsm file as the parser reads it, plus the meaning the checker
 * gives it (fields marked "resolved"), which is all the emitters use.
 *
 * The parser records what was written, in order, with places; it judges
 * only syntax.  Whether a declaration is repeated, a name known or an
 * event receivable is the checker's business, so that it can report
 * every such mistake with its place.
 */
#ifndef ROTORGEN_AST_H
#define ROTORGEN_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* A name as written.  text is NULL when the name is absent (an optional
 * guard or target). */
struct ident {
    const char *text;
    struct loc  loc;
};

struct ident_list {
    struct ident *items;
    size_t count, cap;
};

/* A %{ ... %} block: text is copied verbatim; loc is where it starts. */
struct code_block {
    const char *text;
    size_t      len;
    struct loc  loc;
};

enum machine_kind { KIND_RAW, KIND_STREAM, KIND_LISTENER };

/* Machine-level declarations that may appear once each. */
enum decl_what { DECL_DATA, DECL_KIND, DECL_SPAWNS, DECL_CONTEXT,
                 DECL_CREATE, DECL_DESTROY };

struct decl {
    enum decl_what    what;
    struct loc        loc;    /* of the keyword */
    struct ident      name;   /* struct tag, machine or function */
    enum machine_kind kind;   /* DECL_KIND */
};

struct event_decl {
    struct ident name;
    const char  *type;        /* C type of the payload, or NULL */
    struct loc   type_loc;
};

enum target_kind { TO_INTERNAL, TO_STATE, TO_DONE, TO_ERROR };

struct transition {
    struct loc        loc;     /* of `on` */
    struct ident      event;
    struct ident      arg;     /* `resolved(NAME)`: the future; text NULL: none */
    struct ident      guard;   /* text NULL: none */
    struct ident_list actions;
    struct ident      target;  /* text NULL: internal transition */
    /* resolved */
    int               event_code;   /* index into the built-ins or user events */
    bool              user_event;
    enum target_kind  to;
    int               target_state; /* TO_STATE */
    int               future;       /* index of arg in machine's futures, or -1 */
};

enum expect_kind { EXPECT_NONE, EXPECT_BYTES, EXPECT_UNTIL, EXPECT_LINE,
                   EXPECT_FLUSH, EXPECT_SLEEP };

#define WATCH_READABLE 1u
#define WATCH_WRITABLE 2u

enum attr_what { ATTR_TIMEOUT, ATTR_WATCH, ATTR_EXPECT, ATTR_DRAIN };

/* `timeout D;`, `watch W;` or `expect ...;` as written. */
struct attr {
    enum attr_what   what;
    struct loc       loc;       /* of the keyword */
    struct ident     number;    /* timeout duration, expect size; text NULL: none */
    struct ident     number2;   /* ATTR_DRAIN: LOW of `drain HIGH LOW;` */
    unsigned         watch;     /* ATTR_WATCH */
    enum expect_kind expect;    /* ATTR_EXPECT */
    const char      *delim;     /* EXPECT_UNTIL, decoded */
    size_t           delim_len;
    struct loc       delim_loc;
};

struct state {
    struct ident       name;
    bool               initial;
    bool               final;        /* `final state`: no way out is meant */
    int                parent;       /* enclosing state, or -1 */
    unsigned           depth;        /* 0 for top-level states */
    struct ident_list  entry, exit;
    struct transition *trans;
    size_t             ntrans, trans_cap;
    struct attr       *attrs;
    size_t             nattrs, attrs_cap;
    /* resolved */
    int                initial_child;   /* composite: its initial substate; leaf: -1 */
    int                nchildren;
    int                leaf;            /* the leaf entered with it (itself, or
                                           down the initial substates) */
    bool               reachable;
    uint32_t           timeout_ms;
    unsigned           watch;           /* own and inherited (leaves) */
    enum expect_kind   expect;          /* own, or inherited by leaves */
    uint32_t           expect_size;
    const char        *delim;
    size_t             delim_len;
    int                expect_from;     /* state whose `expect` applies, or -1 */
    int                drain_from;      /* state whose `drain` applies, or -1 */
    uint32_t           drain_high;      /* 0: the runtime's high-water mark */
    uint32_t           drain_low;
};

struct machine {
    struct ident       name;
    struct decl       *decls;
    size_t             ndecls, decls_cap;
    struct event_decl *events;
    size_t             nevents, events_cap;
    struct state      *states;     /* nested states follow their parent */
    size_t             nstates, states_cap;
    struct ident      *futures;    /* `future NAME;` */
    size_t             nfutures, futures_cap;
    /* resolved */
    enum machine_kind  kind;
    struct ident       data, context, spawns, create, destroy;
    bool               spawns_here;   /* spawns a machine of this file */
    int                initial;       /* top-level initial state */
    int                initial_leaf;  /* where the machine starts */
    bool               nested;        /* has a state inside a state */
    const char       **tags;          /* "struct T" the header must declare */
    size_t             ntags, tags_cap;
};

/* A user function (action, guard, create, destroy) and the prototype it
 * gets: its `self` type and whether it is a guard (returns bool). */
struct function {
    struct ident name;          /* first use */
    const char  *self_tag;      /* `struct TAG *self`, or NULL: void * */
    bool         is_guard;
    size_t       machine;       /* where first used */
};

struct rsm_file {
    struct code_block *blocks;
    size_t             nblocks, blocks_cap;
    struct machine    *machines;
    size_t             nmachines, machines_cap;
    /* resolved: distinct user functions in order of first use */
    struct function   *functions;
    size_t             nfunctions, functions_cap;
};

/* Built-in events, in the order of enum rotor_event_kind's dispatched
 * kinds, with the machine kinds that can receive each. */
struct builtin_event {
    const char *name;
    const char *constant;       /* ROTOR_EV_... */
    unsigned    kinds;          /* 1u << enum machine_kind */
};

extern const struct builtin_event builtin_events[];
extern const size_t nbuiltin_events;

#endif
