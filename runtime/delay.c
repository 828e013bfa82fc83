/*
 * delay.c: delayed sends (rotor_send_after) and their cancellation.
 *
 * Each pending send is one libevent timer, armed with the loop's common
 * timeout for its duration (timeout.c), so the many sends of one delay
 * sit in a FIFO rather than the timer heap.  A send is linked into its
 * sender's list: cancelling looks only there (a machine cancels only its
 * own sends), and when the sender ends rotor__delay_release() drops them
 * all.  A send whose target ended first stays until it falls due (or its
 * sender ends) and is then dropped: the target's reference says it is
 * gone, even if its slot was reused meanwhile.
 */
#include "config.h"

#include <limits.h>

#include "rotor-internal.h"
#include "rotor/delay.h"

struct rotor__delayed {
    struct event           timer;
    struct rotor_scope    *from;
    rotor_ref              to;
    int                    event;
    int                    id;
    void                  *data;
    uint64_t               due_us;  /* by rotor__now_us() */
    struct rotor__delayed *next;    /* in from->delayed */
    struct rotor__delayed **pprev;
};

static void unlink_send(struct rotor__delayed *d)
{
    if (d->next)
        d->next->pprev = d->pprev;
    *d->pprev = d->next;
}

static void link_send(struct rotor_scope *m, struct rotor__delayed *d)
{
    d->next = m->delayed;
    d->pprev = &m->delayed;
    if (m->delayed)
        m->delayed->pprev = &d->next;
    m->delayed = d;
}

/* Ids count up from 1 and wrap back to 1; an id still pending by then
 * belongs to a send older than 2^31 others. */
static int next_id(struct rotor_loop *loop)
{
    loop->delay_id = loop->delay_id == INT_MAX ? 1 : loop->delay_id + 1;
    return loop->delay_id;
}

/* Due: queued as rotor_send() queues it now, if the target still lives. */
static void due(evutil_socket_t fd, short what, void *arg)
{
    struct rotor__delayed *d = arg;
    struct rotor_scope *from = d->from;
    struct rotor_loop *loop = from->loop;
    rotor_ref to = d->to;
    int event = d->event;
    void *data = d->data;

    (void)fd;
    (void)what;
    if (rotor__fired_early(loop, &d->timer, d->due_us))
        return;
    unlink_send(d);
    rotor__free(d);
    if (rotor__table_get(&loop->table, to))
        rotor_send(from, to, event, data);
    else if (ROTOR__UNLIKELY(loop->trace))
        rotor__trace_note(from, "delayed send to an ended machine dropped in");
    rotor__drain(loop);
}

static int check_send(rotor_scope *s, rotor_ref to, int event)
{
    if (event <= ROTOR_EV_DESTROY)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_send_after: event %d cannot be sent", event);
    if (s->ending)
        return rotor__fail(ROTOR_ESHUTDOWN,
                           "rotor_send_after: %s is ending", s->type->name);
    if (!rotor__table_get(&s->loop->table, to))
        return rotor__fail(ROTOR_ENOENT,
                           "rotor_send_after: no such machine");
    return 0;
}

int rotor_send_after(rotor_scope *s, rotor_ref to, int event, void *data,
                     uint32_t ms)
{
    int err = check_send(s, to, event);

    if (err < 0)
        return err;
    const struct timeval *tv = rotor__timeout_tv(s->loop, ms);
    struct rotor__delayed *d = tv ? rotor__malloc(sizeof *d) : NULL;
    if (!d)
        return rotor__fail(ROTOR_ENOMEM, "rotor_send_after: out of memory");
    event_assign(&d->timer, s->loop->base, -1, 0, due, d);
    /* libevent counts a timer from the time it cached when this turn of
     * the loop began; the work done since would make the send early. */
    if (!s->loop->vclock)
        event_base_update_cache_time(s->loop->base);
    if (rotor__timer_add(s->loop, &d->timer, tv) < 0) {
        rotor__free(d);
        return rotor__fail(ROTOR_EIO, "rotor_send_after: event_add failed");
    }
    d->from = s;
    d->to = to;
    d->event = event;
    d->data = data;
    d->due_us = rotor__now_us(s->loop) + (uint64_t)ms * 1000u;
    d->id = next_id(s->loop);
    link_send(s, d);
    return d->id;
}

int rotor_send_cancel(rotor_scope *s, int id)
{
    if (id <= 0)
        return rotor__fail(ROTOR_EINVAL, "rotor_send_cancel: bad id %d", id);
    for (struct rotor__delayed *d = s->delayed; d; d = d->next) {
        if (d->id == id) {
            rotor__timer_del(d->from->loop, &d->timer);
            unlink_send(d);
            rotor__free(d);
            return 0;
        }
    }
    return rotor__fail(ROTOR_ENOENT,
                       "rotor_send_cancel: %s has no pending send %d",
                       s->type->name, id);
}

unsigned rotor_send_pending(rotor_scope *s)
{
    unsigned n = 0;

    for (const struct rotor__delayed *d = s->delayed; d; d = d->next)
        n++;
    return n;
}

void rotor__delay_release(struct rotor_scope *m)
{
    while (m->delayed) {
        struct rotor__delayed *d = m->delayed;
        rotor__timer_del(d->from->loop, &d->timer);
        unlink_send(d);
        rotor__free(d);
    }
}
