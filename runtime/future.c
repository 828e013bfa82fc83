/*
 * future.c: futures and promises.
 *
 * A future and its promise are one allocation with three references: the
 * owner's (dropped when the value has been delivered, the owner gave the
 * future up, or the owner ended), the promise's (rotor_promise_free), and
 * one while a resolution or a broken promise is on its way to the loop.
 * Whichever goes last frees it, in whatever thread.
 *
 * Who may touch what: `state` is the only field two threads race on (an
 * atomic, so that a second resolve is refused); the value is written
 * before the resolution is posted and read after the loop took it (the
 * mailbox's release and acquire order them); owner, list links,
 * `arrived` and `taken`
 * belong to the loop's thread.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "rotor-internal.h"

enum { PENDING, RESOLVED, BROKEN };

struct rotor_future {
    struct rotor__mnode    node;     /* first: the mailbox links it */
    atomic_uint            refs;
    atomic_int             state;
    int                    tag;
    bool                   arrived, taken;
    struct rotor__mailbox *mb;
    void                  *value;
    rotor_value_free_fn   *value_free;
    struct rotor_scope    *owner;    /* NULL once the owner let go */
    struct rotor_future   *prev, *next;   /* in owner->futures */
};

/* The promise is the same object seen from the other side. */
struct rotor_promise {
    struct rotor_future f;
};

static void unref_n(struct rotor_future *f, unsigned n)
{
    if (atomic_fetch_sub_explicit(&f->refs, n, memory_order_acq_rel) != n)
        return;
    rotor__mailbox_unref(f->mb);
    rotor__free(f);
}

static void unref(struct rotor_future *f)
{
    unref_n(f, 1);
}

static void link_owner(struct rotor_future *f, struct rotor_scope *m)
{
    f->owner = m;
    f->prev = NULL;
    f->next = m->futures;
    if (m->futures)
        m->futures->prev = f;
    m->futures = f;
}

static void unlink_owner(struct rotor_future *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        f->owner->futures = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->owner = NULL;
    f->prev = f->next = NULL;
}

/* Destroys a value nobody took. */
static void dispose_value(struct rotor_future *f)
{
    if (f->taken ||
        atomic_load_explicit(&f->state, memory_order_relaxed) != RESOLVED)
        return;
    f->taken = true;
    if (f->value_free)
        f->value_free(f->value);
    f->value = NULL;
}

int rotor_future_new(rotor_scope *s, int tag, struct rotor_future **fp,
                     struct rotor_promise **pp)
{
    if (tag < 0)
        return rotor__error("rotor_future_new: tag %d is negative", tag);
    struct rotor_promise *p = rotor__malloc(sizeof *p);
    if (!p)
        return rotor__error("rotor_future_new: out of memory");
    struct rotor_future *f = &p->f;
    f->node.next = NULL;
    f->node.kind = ROTOR_EV_RESOLVED;
    atomic_init(&f->refs, 2);           /* the owner's and the promise's */
    atomic_init(&f->state, PENDING);
    f->tag = tag;
    f->arrived = f->taken = false;
    f->mb = rotor__loop_mailbox(s->loop);
    rotor__mailbox_ref(f->mb);
    f->value = NULL;
    f->value_free = NULL;
    link_owner(f, s);
    *fp = f;
    *pp = p;
    return 0;
}

/* Sends a resolution or a broken promise to the loop, with the reference
 * the caller took for it.  Returns ROTOR_ENDED when the loop is gone (the
 * value destroyed, the reference dropped). */
static int send_to_loop(struct rotor_future *f)
{
    struct rotor_loop *loop = rotor__mailbox_local(f->mb);

    if (loop && rotor__queue_push(&loop->queue, ROTOR_REF_NONE,
                                  ROTOR__EV_FUTURE, f) == 0) {
        rotor__drain(loop);
        return 0;
    }
    if (rotor__mailbox_post(f->mb, &f->node) == 0)
        return 0;
    rotor__future_discard(f);
    return ROTOR_ENDED;
}

int rotor_promise_resolve(struct rotor_promise *p, void *value,
                          rotor_value_free_fn *value_free)
{
    if (!p)
        return rotor__error("rotor_promise_resolve: no promise");
    struct rotor_future *f = &p->f;
    int expect = PENDING;
    if (!atomic_compare_exchange_strong_explicit(&f->state, &expect,
                                                 RESOLVED,
                                                 memory_order_acq_rel,
                                                 memory_order_acquire))
        return rotor__error("rotor_promise_resolve: already resolved");
    f->value = value;
    f->value_free = value_free;
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return send_to_loop(f);
}

void rotor_promise_free(struct rotor_promise *p)
{
    if (!p)
        return;
    struct rotor_future *f = &p->f;
    int expect = PENDING;
    if (atomic_compare_exchange_strong_explicit(&f->state, &expect, BROKEN,
                                                memory_order_acq_rel,
                                                memory_order_acquire)) {
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
        send_to_loop(f);
    }
    unref(f);
}

void rotor__future_arrive(struct rotor_loop *loop, struct rotor_future *f)
{
    struct rotor_scope *m = f->owner;

    f->arrived = true;
    if (m && !m->ending) {
        /* Off the owner's list first: the owner may end while handling
         * the event, and its end must not drop this reference again. */
        unlink_owner(f);
        struct rotor_event ev = { ROTOR_EV_RESOLVED, f->tag, f, 0, 0, -1 };
        rotor__deliver_ev(m, &ev);
        dispose_value(f);
        unref_n(f, 2);          /* the owner's and the delivery's */
        rotor__drain(loop);
        return;
    }
    dispose_value(f);
    unref(f);
}

void rotor__future_discard(struct rotor_future *f)
{
    dispose_value(f);
    unref(f);
}

void rotor__async_release(struct rotor_scope *m)
{
    rotor__life_end(m);
    while (m->futures) {
        struct rotor_future *f = m->futures;
        unlink_owner(f);
        unref(f);
    }
}

/* ---- the owner's side --------------------------------------------------- */

struct rotor_future *rotor_event_future(const rotor_event *ev)
{
    return ev->kind == ROTOR_EV_RESOLVED ? ev->data : NULL;
}

int rotor_future_tag(const struct rotor_future *f)
{
    return f->tag;
}

bool rotor_future_broken(const struct rotor_future *f)
{
    return f->arrived &&
           atomic_load_explicit(&f->state, memory_order_relaxed) == BROKEN;
}

bool rotor_future_ready(const struct rotor_future *f)
{
    return f->arrived && !f->taken &&
           atomic_load_explicit(&f->state, memory_order_relaxed) == RESOLVED;
}

void *rotor_future_take(struct rotor_future *f)
{
    if (!rotor_future_ready(f))
        return NULL;
    f->taken = true;
    void *v = f->value;
    f->value = NULL;
    return v;
}

void rotor_future_free(struct rotor_future *f)
{
    if (f && f->owner) {
        unlink_owner(f);
        unref(f);
    }
}
