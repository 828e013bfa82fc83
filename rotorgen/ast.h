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
    /* statecharts */
    bool              is_else;      /* a choice's `else` branch (last, no guard) */
    /* resolved: `on timeout(NAME)`: index into timeout_state's timeouts[];
     * -1 for a plain `on timeout` (any timeout, the anonymous one included) */
    int               timeout_index;
    int               timeout_state;  /* state declaring NAME (the source or an
                                         enclosing one), or -1 */
    /* resolved: `on completed` / `on completed(S)`: the state whose
     * completion is meant (the source, or S); -1 for any other event */
    int               completed_state;
};

enum expect_kind { EXPECT_NONE, EXPECT_BYTES, EXPECT_UNTIL, EXPECT_LINE,
                   EXPECT_FLUSH, EXPECT_SLEEP };

#define WATCH_READABLE 1u
#define WATCH_WRITABLE 2u

enum attr_what { ATTR_TIMEOUT, ATTR_WATCH, ATTR_EXPECT };

/* `timeout D;`, `watch W;` or `expect ...;` as written. */
struct attr {
    enum attr_what   what;
    struct loc       loc;       /* of the keyword */
    struct ident     number;    /* timeout duration, expect size; text NULL: none */
    unsigned         watch;     /* ATTR_WATCH */
    enum expect_kind expect;    /* ATTR_EXPECT */
    const char      *delim;     /* EXPECT_UNTIL, decoded */
    size_t           delim_len;
    struct loc       delim_loc;
};

/* What a states[] entry is.  STATE_NORMAL is a leaf or a composite (OR)
 * state; STATE_PARALLEL an AND state whose direct children are its regions
 * (ordinary states, composite or not, all active together); STATE_CHOICE
 * and STATE_HISTORY are pseudostates: never active, never a parent, each
 * an entry of machine.states[] with its parent set like any state's. */
enum state_kind { STATE_NORMAL, STATE_PARALLEL, STATE_CHOICE, STATE_HISTORY };

/* `timeout NAME D;`: armed on entry of its state, cancelled on exit. */
struct named_timeout {
    struct ident name;
    struct ident duration;      /* as written: "5ms", or a constant's name */
    struct loc   loc;           /* of `timeout` */
    uint32_t     ms;            /* resolved */
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
    int                initial_child;   /* composite: its initial substate;
                                           parallel: its first region; leaf
                                           and pseudostate: -1 */
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
    /* statecharts, as written */
    enum state_kind    kind;
    bool               deep;            /* STATE_HISTORY: `deep history` */
    struct ident       history_default; /* `history h -> DEFAULT;` text NULL: none */
    struct ident_list  defers;          /* every `defer E1, E2;` of the state, in order */
    struct named_timeout *timeouts;     /* `timeout NAME D;`, in order */
    size_t             ntimeouts, timeouts_cap;
    /* A choice's branches are its trans[]: event.text NULL, guard (none on
     * the last, `else`, whose is_else is true), actions, target. */
    /* resolved */
    int                history_target;  /* STATE_HISTORY: where it leads before
                                           its composite was ever left: the
                                           DEFAULT written, else the parent's
                                           initial child, or for a parallel
                                           parent the parent itself (all
                                           regions); -1 otherwise */
    int               *defer_events;    /* own `defer`s as event slots: a
                                           built-in's index, or nbuiltin_events
                                           + a user event's index; no repeats */
    size_t             ndefer_events;
    bool               can_complete;    /* composite with a final direct child,
                                           or a parallel whose every region is
                                           final or can complete */
    bool               region;          /* a direct child of a STATE_PARALLEL */
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
    bool               has_parallel;  /* any STATE_PARALLEL */
    bool               has_history;   /* any STATE_HISTORY */
    bool               has_choice;    /* any STATE_CHOICE */
    bool               has_defer;     /* any `defer` */
    bool               has_completion;/* any `on completed` */
    /* In a stream machine at most one region of a parallel state carries
     * `expect` (checked): leaves inherit `expect` as before, and the
     * stream expects what the active leaf of that region says. */
    bool               has_named_timeouts;
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

/* `const NAME = 16384;` or `const NAME = 10s;` at the top of a file.
 * Wherever a number or duration may stand, NAME may too: the checker
 * resolves it into the same fields a literal gives. */
struct constant {
    struct ident name;
    struct ident value;         /* as written: "16384", "10s" */
    bool         is_duration;   /* resolved: value had a unit */
    uint64_t     number;        /* resolved: the integer, ms for durations */
};

struct rsm_file {
    struct code_block *blocks;
    size_t             nblocks, blocks_cap;
    struct constant   *constants;   /* in order written */
    size_t             nconstants, constants_cap;
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
