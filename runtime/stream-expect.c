/*
 * stream-expect.c: what the current state of a stream machine waits for,
 * and the events that tell it (`input`, `limit`, `flushed`, `drained`,
 * `error`, `eof`).
 *
 * Expectations are evaluated through an internal queued event
 * (ROTOR__EV_STREAM_CHECK) so that events the actions raised run first,
 * in order, and an expectation already met by buffered input (pipelined
 * requests) fires without waiting for the socket.
 */
#define _GNU_SOURCE             /* memmem */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "stream-internal.h"

/* ---- evaluating --------------------------------------------------------- */

/* The common case: the input is one contiguous extent (lent bytes, or a
 * request or a line that arrived in one read).  memchr/memmem there cost
 * a fraction of evbuffer_search().  Returns 1 and sets *at when decided,
 * 0 when the input spans several extents. */
static int find_in_first_extent(struct rotor__stream *st, const char *d,
                                size_t dlen, size_t len, ssize_t *at)
{
    size_t first;
    const char *base = rotor__stream_first_extent(st, &first);
    size_t scan = st->in.scan;

    if (first != len)
        return 0;
    const char *hit = dlen == 1
        ? memchr(base + scan, d[0], len - scan)
        : memmem(base + scan, len - scan, d, dlen);
    *at = hit ? hit - base : -1;
    return 1;
}

/* Looks for the delimiter from where the last search stopped.  Returns
 * its offset, or -1 (and remembers where to resume). */
static ssize_t find_delim(struct rotor__stream *st, const char *d, size_t dlen)
{
    size_t len = rotor__in_len(st);
    struct evbuffer_ptr from, at;
    ssize_t found;

    if (len < dlen)
        return -1;
    if (st->in.scan > len - dlen)
        st->in.scan = len - dlen;
    if (!find_in_first_extent(st, d, dlen, len, &found)) {
        if (evbuffer_ptr_set(st->in.buf, &from, st->in.scan,
                             EVBUFFER_PTR_SET) < 0)
            return -1;
        at = evbuffer_search(st->in.buf, d, dlen, &from);
        found = at.pos;
    }
    if (found >= 0)
        return found;
    st->in.scan = len - dlen + 1;   /* a split delimiter starts after this */
    return -1;
}

static void sized_event(struct rotor_event *ev, int kind, size_t size)
{
    *ev = ROTOR__EVENT(kind, NULL);
    ev->size = size;
}

/* Decides the event an input expectation gives now, if any. */
static bool evaluate_input(struct rotor__stream *st,
                           const struct rotor_state_info *info,
                           struct rotor_event *ev)
{
    size_t len = rotor__in_len(st);

    if (info->expect == ROTOR_EXPECT_BYTES) {
        if (len < info->expect_size)
            return false;
        sized_event(ev, ROTOR_EV_INPUT, info->expect_size);
        return true;
    }
    const char *d = info->expect == ROTOR_EXPECT_LINE ? "\n" : info->delim;
    size_t dlen = info->expect == ROTOR_EXPECT_LINE ? 1 : info->delim_len;
    size_t max = info->expect_size ? info->expect_size : SIZE_MAX;
    ssize_t at = find_delim(st, d, dlen);
    if (at >= 0 && (size_t)at + dlen <= max) {
        sized_event(ev, ROTOR_EV_INPUT, (size_t)at + dlen);
        return true;
    }
    if (at >= 0 || len >= max) {
        sized_event(ev, ROTOR_EV_LIMIT, len);
        return true;
    }
    return false;
}

/* `drain HIGH LOW;`: notes output above HIGH.  Called where the output
 * is at its largest: after actions, before it is sent. */
static void note_high(struct rotor__stream *st,
                      const struct rotor_state_info *info)
{
    if (info->drain_high && rotor__out_len(st) > info->drain_high)
        st->out.over_high = true;
}

/* Output that was over the state's high mark is at or below its low one. */
static bool drained(struct rotor__stream *st,
                    const struct rotor_state_info *info)
{
    if (!st->out.over_high || rotor__out_len(st) > info->drain_low)
        return false;
    st->out.over_high = false;
    return true;
}

/* The output expectations: `drained`, then `flushed`.  `drained` is
 * given once per crossing, `flushed` for as long as it holds: so drained
 * goes first, and the check looks again for a `flushed` that holds too. */
static bool evaluate_output(struct rotor__stream *st,
                            const struct rotor_state_info *info,
                            struct rotor_event *ev)
{
    if (rotor__stream_failed(st))
        return false;
    if (info->drain_high && drained(st, info)) {
        *ev = ROTOR__EVENT(ROTOR_EV_DRAINED, NULL);
        st->check.dirty = info->expect == ROTOR_EXPECT_FLUSH;
        return true;
    }
    /* `flush` (0) over TLS: the records are written too. */
    if (info->expect == ROTOR_EXPECT_FLUSH &&
        rotor__out_len(st) <= info->expect_size &&
        (info->expect_size > 0 || !rotor__stream_tls_cipher_waits(st))) {
        *ev = ROTOR__EVENT(ROTOR_EV_FLUSHED, NULL);
        return true;
    }
    return false;
}

/* `error` and `eof`, each reported once per state. */
static bool evaluate_link(struct rotor__stream *st,
                          const struct rotor_state_info *info,
                          struct rotor_event *ev)
{
    uint8_t link = st->io.link;

    if (link == st->io.told)
        return false;
    if (link == ROTOR__LINK_FAILED) {
        st->io.told = link;
        *ev = ROTOR__EVENT(ROTOR_EV_ERROR, NULL);
        ev->err = st->io.err;
        return true;
    }
    if (link == ROTOR__LINK_EOF && rotor__wants_input(info->expect)) {
        st->io.told = link;
        *ev = ROTOR__EVENT(ROTOR_EV_EOF, NULL);
        return true;
    }
    return false;
}

/* The event the state's expectation gives now, if any. */
static bool evaluate(struct rotor_scope *m, struct rotor_event *ev)
{
    struct rotor__stream *st = m->kind_data;
    const struct rotor_state_info *info = rotor__state_info(m);

    if (rotor__stream_connecting(st) ||
        (rotor__stream_tls_handshaking(st) && !rotor__stream_failed(st)))
        return false;
    if (rotor__wants_input(info->expect) && evaluate_input(st, info, ev))
        return true;
    note_high(st, info);
    return evaluate_output(st, info, ev) || evaluate_link(st, info, ev);
}

/* ---- the check, queued -------------------------------------------------- */

void rotor__stream_queue_check(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (st->check.queued)
        return;
    if (rotor__queue_push(&m->loop->queue, m->ref, ROTOR__EV_STREAM_CHECK,
                          NULL) == 0)
        st->check.queued = true;
    else    /* out of memory: look from a callback of the loop instead */
        event_active(&st->check.recheck, EV_TIMEOUT, 1);
}

void rotor__stream_refresh(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    st->check.dirty = true;
    if (m->state >= 0)
        rotor__stream_update_interest(m);
    rotor__stream_queue_check(m);
}

void rotor__stream_fail(struct rotor_scope *m, int err)
{
    rotor__stream_mark_failed(m->kind_data, err);
    rotor__stream_refresh(m);
}

/* Something may have changed since the expectation was last looked at:
 * new input, input consumed, output drained, a new state, an error. */
static bool changed(struct rotor__stream *st)
{
    return st->check.dirty || st->check.seen_in != rotor__in_len(st) ||
           st->check.seen_out != rotor__out_len(st);
}

static void remember(struct rotor__stream *st)
{
    st->check.dirty = false;
    st->check.seen_in = rotor__in_len(st);
    st->check.seen_out = rotor__out_len(st);
}

/* Does the state wait for the output to shrink?  For `drain`, only once
 * it was over the high mark: most answers never are. */
static bool watches_output(const struct rotor__stream *st,
                           const struct rotor_state_info *info)
{
    return info->expect == ROTOR_EXPECT_FLUSH || st->out.over_high;
}

void rotor__stream_send_output(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    const struct rotor_state_info *info = rotor__state_info(m);
    size_t before = rotor__out_len(st);
    bool failed = rotor__stream_failed(st);

    note_high(st, info);
    if ((before > 0 || st->out.shut_pending) && !st->io.writing &&
        !rotor__stream_connecting(st) && st->io.fd >= 0 &&
        !rotor__stream_tls_handshaking(st))
        rotor__stream_write_some(st);
    rotor__stream_update_interest(m);
    /* A write that failed (EPIPE: the peer is gone) stops reading too:
     * only a check can still tell the machine. */
    if ((rotor__out_len(st) != before && watches_output(st, info)) ||
        (rotor__stream_failed(st) && !failed))
        rotor__stream_queue_check(m);
}

/* Can looking at the expectation now give an event?  Not when it wants
 * input and none is buffered (the common case after a request is
 * answered): then the output can go at once, without a queued check. */
static bool may_give_event(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (!changed(st))
        return false;
    uint8_t link = st->io.link;
    if (rotor__wants_input(rotor__state_info(m)->expect) &&
        (link == ROTOR__LINK_OPEN || link == ROTOR__LINK_NONE) &&
        rotor__in_len(st) == 0) {
        remember(st);
        return false;
    }
    return true;
}

/* After actions ran.  If the expectation may give another event (input
 * left in the buffer: pipelined lines or requests), look at it first and
 * send later, so all the answers of one read leave in one write: fewer
 * system calls, and no small second segment for Nagle to hold back. */
void rotor__stream_settle(struct rotor_scope *m)
{
    if (!m->kind_data)
        return;
    if (may_give_event(m)) {
        rotor__stream_update_interest(m);
        rotor__stream_queue_check(m);
    } else {
        rotor__stream_send_output(m);
    }
}

void rotor__stream_check(struct rotor_scope *m, int kind)
{
    struct rotor__stream *st = m->kind_data;
    struct rotor_event ev;

    if (kind != ROTOR__EV_STREAM_CHECK || !st)
        return;
    st->check.queued = false;
    remember(st);
    if (evaluate(m, &ev))
        rotor__deliver_ev(m, &ev);
    else
        rotor__stream_send_output(m);
}

/* A check that could not be queued (out of memory) runs from here. */
void rotor__stream_on_recheck(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor_loop *loop = m->loop;

    rotor__stream_check(m, ROTOR__EV_STREAM_CHECK);
    rotor__drain(loop);
}
