/*
 * rotor-internal.h: private structures and functions of librotor.
 *
 * Non-static names shared between the runtime's files carry the `rotor__`
 * prefix; the library exports only `rotor_[a-z]*`.
 */
#ifndef ROTOR_INTERNAL_H
#define ROTOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>   /* struct event embedded in machines */

#include "rotor/rotor.h"

#if defined(__GNUC__)
#define ROTOR__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ROTOR__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ROTOR__UNLIKELY(x) (x)
#define ROTOR__PRINTF(f, a)
#endif

struct rotor_event {
    int    kind;
    int    tag;    /* `resolved`: the future's tag; `timeout`: whose timer
                      (ROTOR_TIMEOUT_TAG); `completed`: the state; else -1 */
    void  *data;
    size_t size;   /* `input`: bytes up to and including the delimiter */
    int    err;    /* `error`: an errno value */
    int    origin; /* `timeout`: the state whose timer fired; else -1 */
};

/* rotor_scope.at when the configuration is `state` and its ancestors. */
#define ROTOR__AT_LEAF (-2)

#define ROTOR__EVENT(kind, data) \
    ((struct rotor_event){ (kind), -1, (data), 0, 0, -1 })

/* ---- event queue (queue.c) ------------------------------------------ */

struct rotor__qev {
    rotor_ref to;
    int       kind;
    void     *data;
};

struct rotor__queue {         /* ring buffer; cap is 0 or a power of 2 */
    struct rotor__qev *ev;
    size_t cap, head, len;
};

int  rotor__queue_push(struct rotor__queue *q, rotor_ref to, int kind,
                       void *data);
bool rotor__queue_pop(struct rotor__queue *q, struct rotor__qev *out);
void rotor__queue_fini(struct rotor__queue *q);

/* One machine instance.  Actions see it as their rotor_scope.  The user's
 * data follows it in the same allocation (see machine.c). */
struct rotor_scope {
    const struct rotor_machine_type *type;
    struct rotor_loop *loop;
    void     *data;
    rotor_ref ref;
    int       state;      /* -1 until the initial state is entered */
    /* Compiled dispatch, while a transition runs: the deepest state of
     * the configuration as it stands (-1: none), set by the generated
     * code (rotor_transition_at) where the exits and entries so far made
     * it differ from `state`; ROTOR__AT_LEAF otherwise (see machine.c). */
    int       at;
    int       fd;         /* from rotor_watch_fd(), or -1 */
    int       end_req;    /* ROTOR_DONE/ROTOR_ERROR asked while busy, or 0 */
    unsigned  busy;       /* > 0 while its own user code runs */
    bool      ending;     /* destroy has started: no more deliveries */
    uint16_t  timers_on;  /* bit L: the timer of nesting level L is armed */
    uint32_t  t0_ms;      /* duration the level-0 timer was added with */
    uint64_t  t0_due;     /* level 0: when the timeout is due (monotonic
                             microseconds), 0 when cancelled; see timeout.c */
    uint8_t   watching;   /* ROTOR_WATCH_* bits m->io is armed with */
    struct event timer;   /* the timeout of the active state of depth 0 */
    struct rotor__level_timer *deep;  /* depths 1..ROTOR_MAX_DEPTH-1, made
                                         when first armed (timeout.c) */
    struct event io;      /* assigned only while watching != 0 */
    void     *kind_data;  /* struct rotor__stream / rotor__listener */
    struct rotor_future *futures; /* its pending futures (future.c) */
    struct rotor__life  *life;    /* shared with its notifiers, or NULL */
    /* SCXML's internal queue: events raised by its own actions (and
     * statechart completions), run before any other event reaches it */
    struct rotor__queue  internal;
    struct rotor__state_timer **stimers; /* per-state timers (timeout.c) */
    uint32_t             nstimers;
    struct rotor__chart_run *chart;  /* statecharts: the configuration */
    struct rotor__delayed *delayed; /* its pending delayed sends (delay.c) */
};

/* ---- machine table (table.c) ---------------------------------------- */

struct rotor__slot {
    struct rotor_scope *m;    /* NULL when free */
    uint32_t gen;             /* of the current or next occupant; never 0 */
    uint32_t next_free;
};

struct rotor__table {
    struct rotor__slot *slots;
    uint32_t cap;
    uint32_t max;
    uint32_t free_head;       /* ROTOR__NO_SLOT when none */
};

#define ROTOR__NO_SLOT UINT32_MAX

int  rotor__table_init(struct rotor__table *t, size_t max);
void rotor__table_fini(struct rotor__table *t);
/* Gives m a slot and sets m->ref.  Returns 0, ROTOR_ENOSPC when the table
 * is full, ROTOR_ENOMEM when it cannot grow. */
int  rotor__table_put(struct rotor__table *t, struct rotor_scope *m);
/* The machine ref names, or NULL (also while it is ending). */
struct rotor_scope *rotor__table_get(const struct rotor__table *t,
                                     rotor_ref ref);
/* Frees m's slot and bumps its generation. */
void rotor__table_release(struct rotor__table *t, struct rotor_scope *m);

/* ---- timeouts (timeout.c) ------------------------------------------- */

struct rotor__tmo {
    uint32_t       ms;
    struct timeval tv;        /* a common timeout when libevent gave one */
};

struct rotor__tmo_cache {
    struct rotor__tmo *v;
    size_t n, cap, last;
};

/* The timeval to arm a timer of `ms` with; NULL when out of memory. */
const struct timeval *rotor__timeout_tv(struct rotor_loop *loop, uint32_t ms);
void rotor__timeout_fini(struct rotor__tmo_cache *c);

/* Hierarchical machines keep one timer per nesting level: the timeout of
 * an enclosing state stays armed while its substates come and go. */
struct rotor__level_timer {
    struct event        ev;
    struct rotor_scope *m;
    int                 level;
    uint64_t            due_us;   /* rotor__now_us() when it is due */
};

/* Cancels the timers of levels >= keep, then arms those of the states
 * of depth >= keep on the path of m->state (the leaf just entered).
 * -1 when one cannot be armed (out of memory). */
int  rotor__timers_apply(struct rotor_scope *m, int keep);
/* Cancels every timer of m and frees what they used. */
void rotor__timers_fini(struct rotor_scope *m);
/* The level-0 timer's callback (arg: the machine), for event_assign. */
void rotor__timer_fired(evutil_socket_t fd, short what, void *arg);

/* Named timeouts (and, for statecharts, every timeout) are per-state
 * timers: armed when their state is entered, cancelled when it is left. */
struct rotor__state_timer {
    struct event        ev;
    struct rotor_scope *m;
    int                 state;    /* -1: free */
    uint8_t             slot;     /* 0: `timeout D;`, i + 1: timeouts[i] */
    uint64_t            due_us;   /* rotor__now_us() when it is due */
};

/* Arms the timeouts of `state` (with_anonymous: `timeout D;` too, as
 * statecharts do).  -1 when one cannot be armed. */
int  rotor__state_timers_arm(struct rotor_scope *m, int state,
                             bool with_anonymous);
/* Cancels the timers of `state`. */
void rotor__state_timers_cancel(struct rotor_scope *m, int state);

/* ---- the loop (loop.c) ---------------------------------------------- */

struct rotor_loop {
    struct event_base      *base;
    void                   *context;
    struct rotor__table     table;
    struct rotor__queue     queue;
    struct rotor__tmo_cache tmo;
    struct rotor_scope     *current;  /* whose user code runs, or NULL */
    char                   *scratch;  /* one read of input (stream-io.c) */
    struct rotor_scope     *scratch_user; /* the stream it is lent to */
    struct evdns_base      *dns;      /* made by the first connect by name */
    unsigned                dns_detached; /* cancelled lookups not yet freed */
    size_t live, errors;
    bool trace, running, stop, draining, freeing;
    struct rotor__mailbox  *mbox;     /* cross-thread traffic (notify.c) */
    rotor_trace_fn         *trace_fn; /* NULL: trace lines go to stderr */
    void                   *trace_arg;
    int                     delay_id; /* the last delayed send's id (delay.c) */
    uint64_t                born_us;  /* the clock when the loop was made */
    struct rotor__vclock   *vclock;   /* the virtual clock, or NULL (clock.c) */
    struct rotor__recorder *rec;      /* trace records, or NULL (record.c) */
    bool                    trace_lines; /* human trace lines are wanted */
    /* The clock read once for a stream's readiness callback (turn: in
     * one; turn_us: 0 until read), see rotor__now_us(). */
    bool                    turn;
    uint64_t                turn_us;
};

/* ---- the loop's clock (clock.c) ------------------------------------------
 *
 * Every timer of a machine (state timeouts, named timeouts, delayed sends)
 * is armed and cancelled through these.  A loop on the real clock costs one
 * test of a NULL pointer more than calling libevent; a loop switched to a
 * virtual clock (<rotor/clock.h>, librotor-test) keeps its timers in its
 * own heap instead, fired by rotor_loop_advance(). */

int  rotor__vtimer_add(struct rotor_loop *loop, struct event *ev,
                       const struct timeval *tv);
void rotor__vtimer_del(struct rotor_loop *loop, struct event *ev);
uint64_t rotor__vclock_now(const struct rotor_loop *loop);
void rotor__vclock_free(struct rotor_loop *loop);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t rotor__real_us(void);
/* A timer fired before due_us by rotor__now_us(): libevent's clock is
 * CLOCK_MONOTONIC_COARSE (a tick: 4 ms here), ours the precise one, and
 * a lazily re-armed level-0 timeout moves its due time on purpose.  Then
 * this adds ev again for the rest and returns true (the callback returns
 * and waits); false when it is due (or cannot wait). */
bool rotor__fired_early(struct rotor_loop *loop, struct event *ev,
                        uint64_t due_us);

static inline int rotor__timer_add(struct rotor_loop *loop, struct event *ev,
                                   const struct timeval *tv)
{
    if (ROTOR__UNLIKELY(loop->vclock != NULL))
        return rotor__vtimer_add(loop, ev, tv);
    return event_add(ev, tv);
}

static inline void rotor__timer_del(struct rotor_loop *loop, struct event *ev)
{
    if (ROTOR__UNLIKELY(loop->vclock != NULL))
        rotor__vtimer_del(loop, ev);
    else
        event_del(ev);
}

/* The loop's clock, microseconds: monotonic, or virtual; read now. */
static inline uint64_t rotor__clock_us(const struct rotor_loop *loop)
{
    if (ROTOR__UNLIKELY(loop->vclock != NULL))
        return rotor__vclock_now(loop);
    return rotor__real_us();
}

/* The clock for due times.  In a stream's readiness callback every
 * transition may arm a timeout: the clock is read once there, at the
 * first, as libevent reads its own once per turn of the loop (a due time
 * is early by what the callback ran before: microseconds).  The virtual
 * clock moves only between callbacks: read as it is. */
static inline uint64_t rotor__now_us(struct rotor_loop *loop)
{
    if (loop->turn && loop->vclock == NULL) {
        if (loop->turn_us == 0)
            loop->turn_us = rotor__real_us();
        return loop->turn_us;
    }
    return rotor__clock_us(loop);
}

/* Brackets a stream's readiness callback (stream-io.c): the clock is
 * read at most once inside.  Callbacks never nest (libevent). */
static inline void rotor__turn_begin(struct rotor_loop *loop)
{
    loop->turn = true;
    loop->turn_us = 0;
}

static inline void rotor__turn_end(struct rotor_loop *loop)
{
    loop->turn = false;
}

/* Delivers queued events until none is left, unless user code of this
 * loop is running (then the outermost caller drains). */
void rotor__drain_queue(struct rotor_loop *loop);

/* The same, inlined for the common case of an empty queue (after most
 * callbacks: a stream looks at its expectation without queueing). */
static inline void rotor__drain(struct rotor_loop *loop)
{
    if (loop->queue.len > 0)
        rotor__drain_queue(loop);
}
/* Frees the loop's evdns_base, if any (connect.c). */
void rotor__dns_free(struct rotor_loop *loop);
/* Called after a machine ended: stops a running loop that became empty. */
void rotor__loop_check_empty(struct rotor_loop *loop);

/* ---- machines (machine.c) ------------------------------------------- */

/* Dispatches one event to m and applies the result.  m may be freed on
 * return. */
void rotor__deliver(struct rotor_scope *m, int kind, void *data);
/* The same with a whole event (size, err, tag). */
void rotor__deliver_ev(struct rotor_scope *m, const struct rotor_event *ev);
/* Ends m (error: counted in rotor_loop_errors); deferred until its own
 * user code returns when called from inside it.  m may be freed on
 * return. */
void rotor__end(struct rotor_scope *m, bool error);

/* Statecharts (chart.c): whether state is in m's configuration; the
 * watch bits of every active state of a raw machine; frees the
 * configuration (after destroy). */
bool    rotor__chart_active(const struct rotor_scope *m, int state);
uint8_t rotor__chart_watch(const struct rotor_scope *m);
void    rotor__chart_free(struct rotor_scope *m);

/* Per machine kind: what applying a state and ending mean beyond the
 * timeout, which is common to all kinds. */
struct rotor__kind_ops {
    /* Sets up what m->state declares (I/O interest, expectation). */
    int  (*apply)(struct rotor_scope *m);
    /* Removes pending I/O and closes descriptors, after destroy. */
    void (*release)(struct rotor_scope *m);
    /* After every delivery that did not end m (may be NULL): streams
     * send what the actions wrote and look at the expectation again. */
    void (*after)(struct rotor_scope *m);
    /* Handles a queued internal event (kind < 0) (may be NULL). */
    void (*internal)(struct rotor_scope *m, int kind);
    /* Takes a descriptor accepted by a listener, before `create`; ours:
     * a socket rotor made nonblocking itself (an accepted one), which
     * needs no probing. */
    int  (*adopt)(struct rotor_scope *m, int fd, bool ours);
};

extern const struct rotor__kind_ops rotor__raw_ops;
extern const struct rotor__kind_ops rotor__stream_ops;
extern const struct rotor__kind_ops rotor__listener_ops;

/* Internal queued event: a stream machine re-evaluates its expectation. */
#define ROTOR__EV_STREAM_CHECK (-1)
/* Internal queued event: the machine runs its internal queue (machine.c). */
#define ROTOR__EV_INTERNAL (-2)

/* Spawns type with fd handed to its kind's adopt() before `create` (the
 * fd is closed on failure).  The spawning machine, if any, gets
 * `spawn_failed` on failure, like rotor_spawn(). */
rotor_ref rotor__spawn_adopting(struct rotor_loop *loop,
                                const struct rotor_machine_type *type,
                                int fd, void *seed, const char *how,
                                bool ours);

/* ---- notifiers, futures, the mailbox (notify.c, future.c) ----------- */

/* What the mailbox carries: the first member of a notifier (a wakeup) or
 * of a future (a resolution or a broken promise). */
struct rotor__mnode {
    struct rotor__mnode *next;
    int kind;                 /* ROTOR_EV_WAKEUP or ROTOR_EV_RESOLVED */
};

/* The kind of a loop-queue entry carrying a future resolved from the
 * loop's own thread (data: the future).  Negative: users cannot raise it. */
#define ROTOR__EV_FUTURE (-64)

/* Opens the loop's mailbox and watches its descriptor.  Returns 0, or
 * ROTOR_ENOMEM or ROTOR_EIO. */
int  rotor__mailbox_open(struct rotor_loop *loop);
/* Closes the mailbox (handles fail cleanly from now on), disposes of what
 * it still holds, and drops the loop's reference.  After every machine
 * ended. */
void rotor__mailbox_close(struct rotor_loop *loop);
/* Sets the thread's running loop (for the no-system-call path); returns
 * the previous one. */
struct rotor_loop *rotor__mailbox_enter(struct rotor_loop *loop);
/* Queues n for the loop from any thread.  Returns 0, or ROTOR_ESHUTDOWN
 * (no message set) when the loop is gone. */
int  rotor__mailbox_post(struct rotor__mailbox *mb, struct rotor__mnode *n);
void rotor__mailbox_ref(struct rotor__mailbox *mb);
void rotor__mailbox_unref(struct rotor__mailbox *mb);
/* The loop whose thread this is, if mb is that loop's mailbox and the
 * loop is running here; else NULL. */
struct rotor_loop *rotor__mailbox_local(struct rotor__mailbox *mb);
/* The mailbox of the loop. */
struct rotor__mailbox *rotor__loop_mailbox(struct rotor_loop *loop);

/* A future's resolution (or broken promise) reached its loop's thread:
 * delivers it to the owner, or destroys the value. */
void rotor__future_arrive(struct rotor_loop *loop, struct rotor_future *f);
/* Disposes of a future's arrival without delivery (the loop is freed). */
void rotor__future_discard(struct rotor_future *f);
/* A wakeup reached its loop's thread. */
void rotor__notifier_arrive(struct rotor_loop *loop,
                            struct rotor_notifier *n);
/* m ends: its futures are dropped, its notifiers learn it.  Called once,
 * after `destroy`. */
void rotor__async_release(struct rotor_scope *m);
/* Marks m's notifiers' machine as ended (notify.c). */
void rotor__life_end(struct rotor_scope *m);

/* ---- delayed sends (delay.c) ---------------------------------------- */

/* m ends: its pending delayed sends are dropped.  Called once, before
 * `destroy` (which cannot make new ones). */
void rotor__delay_release(struct rotor_scope *m);

/* ---- memory (alloc.c) ----------------------------------------------- */

/* The allocator rotor_set_allocator() installed (the C library's by
 * default).  Every allocation of the runtime goes through these. */
void *rotor__malloc(size_t size);
void *rotor__calloc(size_t n, size_t size);
void *rotor__realloc(void *p, size_t size);
void  rotor__free(void *p);
char *rotor__strdup(const char *s);
/* Zeroed memory aligned to `align` (a power of 2), through the same
 * allocator; free it with rotor__aligned_free() and the same align. */
void *rotor__aligned_calloc(size_t align, size_t size);
void  rotor__aligned_free(void *p, size_t align);

/* ---- tracing and errors (trace.c, error.c) -------------------------- */

/* Emits one trace line to the loop's hook or stderr. */
void rotor__trace_printf(const struct rotor_loop *loop, const char *fmt, ...)
    ROTOR__PRINTF(2, 3);

void rotor__trace_delivery(const struct rotor_scope *m, int from,
                           const struct rotor_event *ev, int to);
void rotor__trace_note(const struct rotor_scope *m, const char *what);
/* ROTOR_TRACE: 0 unset, empty or "0"; 1 for "1" (lines on stderr); 2 for
 * anything else, a file of records (*path set). */
int  rotor__trace_from_env(const char **path);
/* Statecharts: the configuration's leaves before the event, kept for the
 * record of the delivery (chart.c calls it when m->loop->rec is set). */
void rotor__record_chart_from(const struct rotor_scope *m);

/* ---- trace records (record.c) ----------------------------------------- */

/* Opens the record file (header written when the file is new) and turns
 * records on.  0 or a ROTOR_E* code. */
int  rotor__record_open(struct rotor_loop *loop, const char *path);
void rotor__record_close(struct rotor_loop *loop);
/* One record, a line without its newline (and not always NUL-terminated:
 * hooks take n), to the file and the hook. */
void rotor__record(const struct rotor_loop *loop, const char *line, size_t n);
/* The label of a machine's state: its state's name, or for statecharts
 * its active leaves joined with ',' in document order. */
size_t rotor__state_label(const struct rotor_scope *m, int state, char *buf,
                          size_t len);
/* Records a spawn: how is "outside", "action", "fd" or "accepted". */
void rotor__record_spawn(const struct rotor_scope *m, const char *how);
/* Records bytes a stream read, its end of file or its failure. */
void rotor__record_input(const struct rotor_scope *m, const void *p,
                         size_t n);
void rotor__record_end(const struct rotor_scope *m, int err);
/* Records a user event sent from outside (rotor_loop_send). */
void rotor__record_send(const struct rotor_scope *m, int event);

struct rotor__recorder {
    int             fd;         /* the record file, or -1 */
    rotor_record_fn *fn;        /* rotor_loop_set_records(), or NULL */
    void           *arg;
    char            from[400];  /* a statechart's leaves before an event */
};

/* Sets the code rotor_last_code() and the message rotor_last_error()
 * return (see <rotor/error.h>).  Returns code, for `return rotor__fail()`. */
int rotor__fail(int code, const char *fmt, ...) ROTOR__PRINTF(2, 3);

#endif /* ROTOR_INTERNAL_H */
