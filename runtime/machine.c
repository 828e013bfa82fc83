/*
 * machine.c: spawning, dispatching and ending machines.
 *
 * Only this file calls the generated create/enter/dispatch/destroy.  Each
 * call is bracketed by enter_user()/leave_user(): while a machine's own
 * code runs it is `busy` and cannot be freed (an end asked for meanwhile
 * waits until the code returns), and loop->current names it, so spawn
 * failures reach it and queued events wait for the outermost caller.
 */
#define _POSIX_C_SOURCE 200809L  /* close */
#include "config.h"

#include <limits.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rotor-internal.h"

static const struct rotor__kind_ops *const kind_ops[] = {
    [ROTOR_KIND_RAW] = &rotor__raw_ops,
    [ROTOR_KIND_STREAM] = &rotor__stream_ops,
    [ROTOR_KIND_LISTENER] = &rotor__listener_ops,
};

static const struct rotor__kind_ops *ops_of(const struct rotor_machine_type *t)
{
    if (t->kind < 0 || (size_t)t->kind >= sizeof kind_ops / sizeof *kind_ops)
        return NULL;
    return kind_ops[t->kind];
}

/* The record and data of a machine of type t (alloc_machine()). */
static void free_machine(struct rotor_scope *m,
                         const struct rotor_machine_type *t)
{
    rotor__aligned_free(m, t->data_align);
}

static struct rotor_scope *enter_user(struct rotor_scope *m)
{
    struct rotor_scope *prev = m->loop->current;

    m->loop->current = m;
    m->busy++;
    return prev;
}

static void leave_user(struct rotor_scope *m, struct rotor_scope *prev)
{
    m->busy--;
    m->loop->current = prev;
}

/* ---- applying a state --------------------------------------------------- */

/* An external transition (or the initial state): re-arm everything the
 * state declares; the timeouts of the `keep` outer levels, which the
 * transition did not leave, stay as they are (timeout.c).  Returns -1
 * when the kind's setup failed. */
static int apply_state(struct rotor_scope *m, int state, int keep)
{
    m->state = state;
    if (rotor__timers_apply(m, keep) < 0)
        return -1;
    return ops_of(m->type)->apply(m);
}

/* Acts on what dispatch/enter returned.  Returns false when that ended
 * m (m may be freed then), also when applying the new state failed. */
static bool settle(struct rotor_scope *m, int to)
{
    int keep = ROTOR_GOTO_KEEP(to);

    to = ROTOR_GOTO_STATE(to);
    if (to >= m->type->nstates || keep > ROTOR_MAX_DEPTH) {
        rotor__fail(ROTOR_EINVAL, "%s: dispatch returned state %d of %d",
                    m->type->name, to, m->type->nstates);
        to = ROTOR_ERROR;
    }
    if (to >= 0 && apply_state(m, to, keep) < 0)
        to = ROTOR_ERROR;
    if (to == ROTOR_DONE || to == ROTOR_ERROR) {
        rotor__end(m, to == ROTOR_ERROR);
        return false;
    }
    return true;
}

/* ---- delivering ------------------------------------------------------- */

void rotor__deliver(struct rotor_scope *m, int kind, void *data)
{
    struct rotor_event ev = ROTOR__EVENT(kind, data);

    rotor__deliver_ev(m, &ev);
}

/* Inlined into both callers: the hot path of every delivery. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* One event to completion.  Returns false when that ended m. */
static ALWAYS_INLINE bool deliver_one(struct rotor_scope *m, const struct rotor_event *ev)
{
    int kind = ev->kind;
    int from = m->state;
    const struct rotor__kind_ops *ops = ops_of(m->type);

    if (kind == ROTOR__EV_INTERNAL)
        return true;            /* the caller drains m's internal queue */
    if (kind < 0) {
        if (ops->internal)
            ops->internal(m, kind);
        /* m may be gone (a stream's check delivers, and may end it): not
         * to be touched again.  What that delivery raised it drained. */
        return false;
    }
    struct rotor_scope *prev = enter_user(m);
    int to = m->type->dispatch(m->data, m, from, kind, ev);
    m->at = ROTOR__AT_LEAF;     /* what the transition marked is over */
    leave_user(m, prev);
    if (m->end_req)
        to = m->end_req;
    /* A socket error nobody handles would leave the machine waiting on
     * a dead stream forever: end it, as an error. */
    /* ev->kind, not kind: only ev stays live across the dispatch call
     * (the trace needs it), which keeps this path as short as it was. */
    if (to == ROTOR_UNHANDLED && ev->kind == ROTOR_EV_ERROR)
        to = ROTOR_ERROR;
    if (ROTOR__UNLIKELY(m->loop->trace))
        rotor__trace_delivery(m, from, ev, ROTOR_GOTO_STATE(to));
    if (!settle(m, to))
        return false;
    if (ops->after)
        ops->after(m);
    return true;
}

/* The events m raised, before anything else reaches it (SCXML's internal
 * queue).  Statecharts drain theirs inside rotor_chart_dispatch. */
static void drain_internal(struct rotor_scope *m)
{
    struct rotor__qev e;

    while (rotor__queue_pop(&m->internal, &e)) {
        struct rotor_event ev = ROTOR__EVENT(e.kind, e.data);
        if (!deliver_one(m, &ev))
            return;
    }
}

void rotor__deliver_ev(struct rotor_scope *m, const struct rotor_event *ev)
{
    if (deliver_one(m, ev) && ROTOR__UNLIKELY(m->internal.len))
        drain_internal(m);
}

/* ---- ending ----------------------------------------------------------- */

void rotor__end(struct rotor_scope *m, bool error)
{
    struct rotor_loop *loop = m->loop;

    if (m->ending)
        return;
    if (m->busy) {
        if (!m->end_req)
            m->end_req = error ? ROTOR_ERROR : ROTOR_DONE;
        return;
    }
    m->ending = true;
    rotor__timers_fini(m);
    rotor__queue_fini(&m->internal);    /* raised events die with it */
    rotor__delay_release(m);    /* its pending delayed sends (delay.c) */
    if (m->type->destroy) {
        struct rotor_event ev = ROTOR__EVENT(ROTOR_EV_DESTROY, NULL);
        struct rotor_scope *prev = enter_user(m);
        m->type->destroy(m->data, m, &ev);
        leave_user(m, prev);
    }
    rotor__async_release(m);    /* its futures and notifiers (future.c) */
    ops_of(m->type)->release(m);
    if (m->chart)
        rotor__chart_free(m);
    rotor__table_release(&loop->table, m);
    free_machine(m, m->type);
    loop->live--;
    if (error)
        loop->errors++;
    rotor__loop_check_empty(loop);
}

int rotor_kill(struct rotor_loop *loop, rotor_ref ref)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_kill: no loop");
    struct rotor_scope *m = rotor__table_get(&loop->table, ref);

    if (!m)
        return rotor__fail(ROTOR_ENOENT, "rotor_kill: no such machine");
    if (ROTOR__UNLIKELY(loop->trace))
        rotor__trace_note(m, "killed in");
    rotor__end(m, false);
    rotor__drain(loop);
    return 0;
}

/* ---- spawning --------------------------------------------------------- */

static int check_type(struct rotor_loop *loop,
                      const struct rotor_machine_type *t)
{
    if (loop->freeing)
        return rotor__fail(ROTOR_ESHUTDOWN,
                           "rotor_spawn: the loop is being freed");
    if (!t || t->abi != ROTOR_MACHINE_ABI)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_spawn: machine type of another ABI");
    if (!ops_of(t))
        return rotor__fail(ROTOR_ENOTSUP,
                           "rotor_spawn: %s: machine kind %d not supported",
                           t->name, t->kind);
    if (!t->enter || !t->dispatch || t->nstates <= 0 || t->initial < 0 ||
        t->initial >= t->nstates)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_spawn: %s: malformed machine type", t->name);
    if (t->data_align == 0 || (t->data_align & (t->data_align - 1)))
        return rotor__fail(ROTOR_EINVAL, "rotor_spawn: %s: bad data alignment",
                           t->name);
    return 0;
}

/* The record and the user's data in one block: the data starts at the
 * first multiple of data_align after the record. */
static struct rotor_scope *alloc_machine(const struct rotor_machine_type *t)
{
    size_t align = t->data_align;
    size_t off = (sizeof(struct rotor_scope) + align - 1) & ~(align - 1);
    size_t size = off + t->data_size;

    if (size < off) {
        rotor__fail(ROTOR_ENOMEM, "rotor_spawn: %s: data too large", t->name);
        return NULL;
    }
    void *p = rotor__aligned_calloc(align, size);
    if (!p) {
        rotor__fail(ROTOR_ENOMEM, "rotor_spawn: %s: out of memory", t->name);
        return NULL;
    }
    struct rotor_scope *m = p;
    m->data = (char *)p + off;
    return m;
}

/* Tells the machine that called rotor_spawn(), if any, that it failed. */
static void spawn_failed(struct rotor_loop *loop, void *seed)
{
    if (loop->current)
        rotor__queue_push(&loop->queue, loop->current->ref,
                          ROTOR_EV_SPAWN_FAILED, seed);
}

static struct rotor_scope *new_machine(struct rotor_loop *loop,
                                       const struct rotor_machine_type *t)
{
    if (check_type(loop, t) < 0)
        return NULL;
    struct rotor_scope *m = alloc_machine(t);
    if (!m)
        return NULL;
    if (rotor__table_put(&loop->table, m) < 0) {
        free_machine(m, t);
        return NULL;
    }
    m->type = t;
    m->loop = loop;
    m->state = -1;
    m->at = ROTOR__AT_LEAF;
    m->fd = -1;
    event_assign(&m->timer, loop->base, -1, 0, rotor__timer_fired, m);
    loop->live++;
    return m;
}

/* create, then the initial state's entry actions, then its setup.  how:
 * what made it, for the trace record (rotor__record_spawn). */
static void start(struct rotor_scope *m, void *seed, const char *how)
{
    const struct rotor_machine_type *t = m->type;
    struct rotor_event ev = ROTOR__EVENT(ROTOR_EV_CREATE, seed);
    int to;

    struct rotor_scope *prev = enter_user(m);
    if (t->create)
        t->create(m->data, m, &ev);
    m->state = t->initial;
    to = m->end_req ? m->end_req : t->enter(m->data, m, &ev);
    m->at = ROTOR__AT_LEAF;
    leave_user(m, prev);
    if (m->end_req)
        to = m->end_req;
    if (ROTOR__UNLIKELY(m->loop->trace)) {
        rotor__trace_note(m, "spawned in");
        if (m->loop->rec)
            rotor__record_spawn(m, how ? how : m->loop->current ? "action"
                                                             : "outside");
    }
    if (!settle(m, to))
        return;
    if (ops_of(t)->after)
        ops_of(t)->after(m);
    /* Spawned from another machine's action, m runs what it raised once
     * that action is over, like everything that action queues. */
    if (m->internal.len && (!m->loop->current ||
        rotor__queue_push(&m->loop->queue, m->ref, ROTOR__EV_INTERNAL,
                          NULL) < 0))
        drain_internal(m);      /* now, when it cannot wait */
}

rotor_ref rotor__spawn_adopting(struct rotor_loop *loop,
                                const struct rotor_machine_type *type,
                                int fd, void *seed, const char *how,
                                bool ours)
{
    struct rotor_scope *m = new_machine(loop, type);
    int r = m && ops_of(type)->adopt ? ops_of(type)->adopt(m, fd, ours)
                                     : ROTOR_ENOTSUP;

    if (m && r == 0) {
        rotor_ref ref = m->ref;
        start(m, seed, how);
        rotor__drain(loop);
        return ref;
    }
    if (m) {
        rotor__fail(r < -1 ? r : ROTOR_EIO,
                    "rotor_spawn: %s cannot take a socket", type->name);
        m->ending = true;       /* nothing ran yet: no destroy */
        ops_of(type)->release(m);
        rotor__table_release(&loop->table, m);
        free_machine(m, type);
        loop->live--;
    }
    close(fd);
    spawn_failed(loop, seed);
    return ROTOR_REF_NONE;
}

rotor_ref rotor_spawn(struct rotor_loop *loop,
                      const struct rotor_machine_type *type, void *seed)
{
    if (!loop) {
        rotor__fail(ROTOR_EINVAL, "rotor_spawn: no loop");
        return ROTOR_REF_NONE;
    }
    struct rotor_scope *m = new_machine(loop, type);

    if (!m) {
        spawn_failed(loop, seed);
        return ROTOR_REF_NONE;
    }
    rotor_ref ref = m->ref;
    start(m, seed, NULL);
    rotor__drain(loop);
    return ref;
}

rotor_ref rotor_spawn_fd(struct rotor_loop *loop,
                         const struct rotor_machine_type *type, int fd,
                         void *seed)
{
    if (!loop || fd < 0) {
        rotor__fail(ROTOR_EINVAL, "rotor_spawn_fd: %s",
                    loop ? "no descriptor" : "no loop");
        return ROTOR_REF_NONE;
    }
    if (check_type(loop, type) == 0 && type->kind != ROTOR_KIND_STREAM) {
        rotor__fail(ROTOR_ENOTSUP, "rotor_spawn_fd: %s is not a stream "
                    "machine", type->name);
        close(fd);
        return ROTOR_REF_NONE;
    }
    /* From an action it is the action's doing (a replay repeats the
     * action, not the spawn). */
    return rotor__spawn_adopting(loop, type, fd, seed,
                                 loop->current ? "action" : "fd", false);
}

/* ---- from outside the machines ---------------------------------------- */

int rotor_loop_send(struct rotor_loop *loop, rotor_ref to, int event,
                    void *data)
{
    if (!loop)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_send: no loop");
    if (event < ROTOR_EV_USER)
        return rotor__fail(ROTOR_EINVAL, "rotor_loop_send: event %d is not "
                           "a user event", event);
    struct rotor_scope *m = rotor__table_get(&loop->table, to);
    if (!m)
        return rotor__fail(ROTOR_ENOENT, "rotor_loop_send: no such machine");
    if (loop->current)
        return rotor__fail(ROTOR_EBUSY, "rotor_loop_send: called from an "
                           "action (use rotor_send)");
    if (ROTOR__UNLIKELY(loop->rec))
        rotor__record_send(m, event);
    int err = rotor__queue_push(&loop->queue, to, event, data);
    if (err < 0)
        return err;
    struct rotor_loop *outer = rotor__mailbox_enter(loop);
    rotor__drain(loop);
    rotor__mailbox_enter(outer);
    return 0;
}

int rotor_post(struct rotor_loop *loop, rotor_ref to, int event, void *data)
{
    if (!loop || !loop->current)
        return rotor_loop_send(loop, to, event, data);
    if (event < ROTOR_EV_USER)
        return rotor__fail(ROTOR_EINVAL, "rotor_post: event %d is not a "
                           "user event", event);
    if (!rotor__table_get(&loop->table, to))
        return rotor__fail(ROTOR_ENOENT, "rotor_post: no such machine");
    return rotor__queue_push(&loop->queue, to, event, data);
}

int rotor_state_label(struct rotor_loop *loop, rotor_ref ref, char *buf,
                      size_t len)
{
    if (!loop || (!buf && len > 0))
        return rotor__fail(ROTOR_EINVAL, "rotor_state_label: %s",
                           loop ? "no buffer" : "no loop");
    struct rotor_scope *m = rotor__table_get(&loop->table, ref);
    if (!m)
        return rotor__fail(ROTOR_ENOENT, "rotor_state_label: no such machine");
    size_t n = rotor__state_label(m, m->state, buf, len);
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- inside actions --------------------------------------------------- */

struct rotor_loop *rotor_scope_loop(rotor_scope *s)
{
    return s->loop;
}

rotor_ref rotor_scope_self(rotor_scope *s)
{
    return s->ref;
}

void *rotor_scope_context(rotor_scope *s)
{
    return s->loop->context;
}

const char *rotor_scope_state_name(rotor_scope *s)
{
    return s->state >= 0 ? s->type->states[s->state].name : "(none)";
}

/* A machine's own events wait in its internal queue, which runs as soon
 * as the current step is over, before any event already queued for it
 * from outside.  Raised from outside its own code (a misuse), an event
 * takes the loop's queue like a sent one.  A machine whose destroy runs
 * takes no more events. */
int rotor_raise(rotor_scope *s, int event, void *data)
{
    if (event <= ROTOR_EV_DESTROY)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_raise: event %d cannot be raised", event);
    if (s->ending)
        return 0;
    if (!s->busy)
        return rotor__queue_push(&s->loop->queue, s->ref, event, data);
    return rotor__queue_push(&s->internal, s->ref, event, data);
}

/* SCXML's In().  Compiled dispatch leaves s->state at the source leaf
 * until the transition returns, so in between the generated code names
 * the configuration as it stands (rotor_transition_at()): a state leaves
 * it after its exit actions and joins it before its entry actions. */
bool rotor_in_state(rotor_scope *s, int state)
{
    if (state < 0 || state >= s->type->nstates)
        return false;
    if (s->chart)
        return rotor__chart_active(s, state);
    int x = s->at == ROTOR__AT_LEAF ? s->state : s->at;
    for (; x >= 0; x = s->type->states[x].parent)
        if (x == state)
            return true;
    return false;
}

/* Called only where a transition changed the configuration, never on a
 * flat machine's hot path (see rotorgen's emit_c.c).  A state out of
 * range is ignored rather than trusted by rotor_in_state(). */
void rotor_transition_at(rotor_scope *s, int state)
{
    if (state >= -1 && state < s->type->nstates)
        s->at = state;
}

int rotor_send(rotor_scope *s, rotor_ref to, int event, void *data)
{
    if (event <= ROTOR_EV_DESTROY)
        return rotor__fail(ROTOR_EINVAL, "rotor_send: event %d cannot be sent",
                           event);
    if (!rotor__table_get(&s->loop->table, to))
        return rotor__fail(ROTOR_ENOENT, "rotor_send: no such machine");
    return rotor__queue_push(&s->loop->queue, to, event, data);
}

int rotor_scope_fd(rotor_scope *s)
{
    return s->fd;
}
