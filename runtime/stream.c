/*
 * stream.c: stream machines, a connected socket with an input and an
 * output evbuffer, driven by what the current state expects.
 *
 * The costs we design for (measured on the bufferevent alternative):
 * no epoll_ctl per message and no 4 KiB read cap.  So reads go straight
 * into evbuffer_reserve_space() extents with readv(); output is written
 * right after the transition that produced it, and write interest is
 * armed only when the kernel refuses bytes; read interest changes only
 * when the expectation or backpressure says so.
 *
 * Input read while the input evbuffer is empty goes into a scratch buffer
 * of the loop instead, lent to the stream until the readable callback
 * returns: a request or a line that arrives whole is parsed, answered
 * and consumed there, with no evbuffer chain allocated, filled, drained
 * and freed for it.  What is left when the callback returns moves into
 * the evbuffer (return_scratch), so an idle connection holds no more
 * than before.
 *
 * Expectations are evaluated through an internal queued event
 * (ROTOR__EV_STREAM_CHECK) so that events the actions raised run first,
 * in order, and an expectation already met by buffered input (pipelined
 * requests) fires without waiting for the socket.
 */
#define _GNU_SOURCE             /* MSG_NOSIGNAL, accept4 flags */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "rotor-internal.h"
#include "stream-internal.h"
#include "tls-internal.h"

#define READ_CHUNK   16384u     /* bytes reserved for one readv() */
/* After small reads, reserve this much instead: with libevent's chain
 * header the block stays under glibc's tcache limit (1032 bytes), so a
 * request-sized read costs no trip into malloc's bins. */
#define READ_SMALL   960u
#define READ_ROUNDS  8          /* readv() calls per wakeup at most */
#define WRITE_IOVECS 16

static struct rotor__stream *stream_of(rotor_scope *s)
{
    if (!s || s->type->kind != ROTOR_KIND_STREAM)
        return NULL;
    return s->kind_data;
}

static const struct rotor_state_info *state_info(struct rotor_scope *m)
{
    return &m->type->states[m->state];
}

/* The evbuffers' lengths, asked of libevent only when they may hold
 * bytes. */
static size_t in_ev_len(struct rotor__stream *st)
{
    if (!st->in_used)
        return 0;
    size_t n = evbuffer_get_length(st->in);
    if (n == 0 && !st->in_handed)
        st->in_used = false;
    return n;
}

static size_t out_ev_len(struct rotor__stream *st)
{
    if (!st->out_used)
        return 0;
    size_t n = evbuffer_get_length(st->out);
    if (n == 0 && !st->out_handed)
        st->out_used = false;
    return n;
}

/* Input held: the bytes lent by the scratch buffer, or the evbuffer
 * (which is empty while bytes are lent). */
static size_t in_len(struct rotor__stream *st)
{
    return st->vlen ? st->vlen : in_ev_len(st);
}

/* The first contiguous run of input, and its length (0: none). */
static const char *first_extent(const struct rotor__stream *st, size_t *len)
{
    struct evbuffer_iovec v;

    if (st->vlen) {
        *len = st->vlen;
        return st->view;
    }
    if (evbuffer_peek(st->in, -1, NULL, &v, 1) < 1) {
        *len = 0;
        return NULL;
    }
    *len = v.iov_len;
    return v.iov_base;
}

/* n lent bytes (at most those there are) are used up. */
static void take_lent(struct rotor__stream *st, size_t n)
{
    if (n > st->vlen)
        n = st->vlen;
    st->view += n;
    st->vlen -= n;
    st->scan = 0;       /* offsets moved: search from the start */
}

/* Output held: the small buffer and the evbuffer. */
static size_t out_len(struct rotor__stream *st)
{
    return st->olen + out_ev_len(st);
}

static void fail(struct rotor__stream *st, int err);

/* Copies the lent bytes into the input evbuffer: the scratch buffer is
 * going back, or the caller wants the evbuffer itself.  Offsets (the
 * delimiter search) stay valid: the bytes keep their order.  Returns 0, or
 * -1 (out of memory: the stream failed, the bytes are lost). */
static int keep_lent(struct rotor__stream *st)
{
    if (st->vlen == 0)
        return 0;
    int r = evbuffer_add(st->in, st->view, st->vlen);
    st->in_used = true;
    st->view = NULL;
    st->vlen = 0;
    if (r < 0) {
        fail(st, ENOMEM);
        return -1;
    }
    return 0;
}

/* Moves the small buffer into the evbuffer, before anything that writes
 * to or hands out the evbuffer itself.  Returns 0, or -1 (stream failed). */
static int spill(struct rotor__stream *st)
{
    if (st->olen == 0)
        return 0;
    st->out_used = true;
    if (evbuffer_add(st->out, st->obuf, st->olen) < 0) {
        fail(st, ENOMEM);
        return -1;
    }
    st->olen = 0;
    return 0;
}

/* ---- expectations ------------------------------------------------------ */

static bool wants_input(uint8_t expect)
{
    return expect == ROTOR_EXPECT_BYTES || expect == ROTOR_EXPECT_UNTIL ||
           expect == ROTOR_EXPECT_LINE;
}

/* Input bytes the expectation may need before it is decided: reading
 * stops there, which bounds memory whatever the peer sends. */
static size_t input_needed(const struct rotor_state_info *st)
{
    return st->expect_size == 0 ? 1 : st->expect_size;
}

/* The common case: the input is one contiguous extent (lent bytes, or a
 * request or a line that arrived in one read).  memchr/memmem there cost
 * a fraction of evbuffer_search().  Returns 1 and sets *at when decided,
 * 0 when the input spans several extents. */
static int find_in_first_extent(struct rotor__stream *st, const char *d,
                                size_t dlen, size_t len, ssize_t *at)
{
    size_t first;
    const char *base = first_extent(st, &first);

    if (first != len)
        return 0;
    const char *hit = dlen == 1
        ? memchr(base + st->scan, d[0], len - st->scan)
        : memmem(base + st->scan, len - st->scan, d, dlen);
    *at = hit ? hit - base : -1;
    return 1;
}

/* Looks for the delimiter from where the last search stopped.  Returns
 * its offset, or -1 (and remembers where to resume). */
static ssize_t find_delim(struct rotor__stream *st, const char *d, size_t dlen)
{
    size_t len = in_len(st);
    struct evbuffer_ptr from, at;
    ssize_t found;

    if (len < dlen)
        return -1;
    if (st->scan > len - dlen)
        st->scan = len - dlen;
    if (!find_in_first_extent(st, d, dlen, len, &found)) {
        if (evbuffer_ptr_set(st->in, &from, st->scan, EVBUFFER_PTR_SET) < 0)
            return -1;
        at = evbuffer_search(st->in, d, dlen, &from);
        found = at.pos;
    }
    if (found >= 0)
        return found;
    st->scan = len - dlen + 1;  /* a split delimiter starts after this */
    return -1;
}

/* Decides the event the expectation gives now, if any. */
static bool evaluate_input(struct rotor__stream *st,
                           const struct rotor_state_info *info,
                           struct rotor_event *ev)
{
    size_t len = in_len(st);

    if (info->expect == ROTOR_EXPECT_BYTES) {
        if (len < info->expect_size)
            return false;
        *ev = ROTOR__EVENT(ROTOR_EV_INPUT, NULL);
        ev->size = info->expect_size;
        return true;
    }
    const char *d = info->expect == ROTOR_EXPECT_LINE ? "\n" : info->delim;
    size_t dlen = info->expect == ROTOR_EXPECT_LINE ? 1 : info->delim_len;
    size_t max = info->expect_size ? info->expect_size : SIZE_MAX;
    ssize_t at = find_delim(st, d, dlen);
    if (at >= 0 && (size_t)at + dlen <= max) {
        *ev = ROTOR__EVENT(ROTOR_EV_INPUT, NULL);
        ev->size = (size_t)at + dlen;
        return true;
    }
    if (at >= 0 || len >= max) {
        *ev = ROTOR__EVENT(ROTOR_EV_LIMIT, NULL);
        ev->size = len;
        return true;
    }
    return false;
}

/* The event the state's expectation gives now, if any. */
static bool evaluate(struct rotor_scope *m, struct rotor_event *ev)
{
    struct rotor__stream *st = m->kind_data;
    const struct rotor_state_info *info = state_info(m);

    if (st->connecting ||
        (rotor__stream_tls_handshaking(st) && !st->failed))
        return false;
    if (wants_input(info->expect) && evaluate_input(st, info, ev))
        return true;
    /* `flush` (0) over TLS: the records are written too. */
    if (info->expect == ROTOR_EXPECT_FLUSH &&
        out_len(st) <= info->expect_size && !st->failed &&
        (info->expect_size > 0 || !rotor__stream_tls_cipher_waits(st))) {
        *ev = ROTOR__EVENT(ROTOR_EV_FLUSHED, NULL);
        return true;
    }
    if (st->failed && !st->error_told) {
        st->error_told = true;
        *ev = ROTOR__EVENT(ROTOR_EV_ERROR, NULL);
        ev->err = st->err;
        return true;
    }
    if (st->eof && !st->eof_told && wants_input(info->expect)) {
        st->eof_told = true;
        *ev = ROTOR__EVENT(ROTOR_EV_EOF, NULL);
        return true;
    }
    return false;
}

/* ---- interest ---------------------------------------------------------- */

/* Regular files and /dev/null cannot be watched (epoll says EPERM) but
 * are always ready: such a stream activates its events by hand, once per
 * loop turn while it wants them. */
static int change_event(struct rotor__stream *st, struct event *e, bool *on,
                        bool want)
{
    if (want && st->unwatchable) {
        event_active(e, e == &st->rev ? EV_READ : EV_WRITE, 1);
        return 0;
    }
    if (want == *on)
        return 0;
    if (want && event_add(e, NULL) < 0) {
        int err = errno;
        if (err != EPERM)
            return err ? err : ENOMEM;  /* out of memory: not a file */
        st->unwatchable = true;
        event_active(e, e == &st->rev ? EV_READ : EV_WRITE, 1);
        return 0;
    }
    if (!want)
        event_del(e);
    *on = want;
    return 0;
}

/* Inlined: after most messages the interest stays as it was. */
static inline int set_event(struct rotor__stream *st, struct event *e,
                            bool *on, bool want)
{
    if (want == *on && !(want && st->unwatchable))
        return 0;
    return change_event(st, e, on, want);
}

static void fail(struct rotor__stream *st, int err);
static void queue_check(struct rotor_scope *m);

static void update_interest(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    const struct rotor_state_info *info = state_info(m);
    bool usable = st->fd >= 0 && !st->failed;
    bool handshaking = rotor__stream_tls_handshaking(st);
    bool read = usable && !st->eof && !st->connecting &&
                ((wants_input(info->expect) &&
                  in_len(st) < input_needed(info) &&
                  (!st->write_blocked ||
                   out_len(st) <= ROTOR_STREAM_HIGH_WATER)) || handshaking);
    /* Write interest only once the kernel refused bytes: toggling it
     * around every answer would cost two epoll_ctl per message.  A TLS
     * handshake waits for the peer, not for writability. */
    bool write = usable && (st->connecting ||
                            rotor__stream_tls_cipher_waits(st) ||
                            (st->write_blocked && !handshaking));

    int err = set_event(st, &st->rev, &st->reading, read);
    if (!err)
        err = set_event(st, &st->wev, &st->writing, write);
    /* Bytes the TLS session holds would wait for a readiness that may
     * never come: read them from the loop's next turn. */
    if (read && st->tls && rotor__tls_buffered(st->tls))
        event_active(&st->rev, EV_READ, 1);
    if (err) {
        /* Unwatched, the stream would wait for ever: `error` instead
         * (also for a connection in progress). */
        fail(st, err);
        st->connecting = false;
        set_event(st, &st->rev, &st->reading, false);
        set_event(st, &st->wev, &st->writing, false);
        queue_check(m);
    }
}

/* ---- I/O --------------------------------------------------------------- */

static void fail(struct rotor__stream *st, int err)
{
    if (st->failed)
        return;
    st->failed = true;
    st->err = err;
    evbuffer_drain(st->out, evbuffer_get_length(st->out));
    st->olen = 0;
}

/* Reads into reserved extents of the input buffer.  Returns bytes read. */
static size_t read_some(struct rotor__stream *st, size_t room)
{
    size_t total = 0;

    for (int round = 0; round < READ_ROUNDS && total < room; round++) {
        struct evbuffer_iovec vec[2];
        size_t chunk = st->big_reads ? READ_CHUNK : READ_SMALL;
        int n = evbuffer_reserve_space(st->in, (ssize_t)chunk, vec, 2);
        if (n <= 0) {
            fail(st, ENOMEM);
            break;
        }
        struct iovec iov[2];
        size_t cap = chunk;         /* extents may be larger: stay bounded */
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = vec[i].iov_base;
            iov[i].iov_len = vec[i].iov_len < cap ? vec[i].iov_len : cap;
            cap -= iov[i].iov_len;
        }
        ssize_t got = st->tls ? rotor__tls_readv(st->tls, iov, n)
                              : readv(st->fd, iov, n);
        if (got <= 0) {
            evbuffer_commit_space(st->in, vec, 0);
            if (got == 0)
                st->eof = true;
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fail(st, errno);
            break;
        }
        for (int i = 0; i < n; i++) {
            size_t take = (size_t)got < iov[i].iov_len ? (size_t)got
                                                        : iov[i].iov_len;
            vec[i].iov_len = take;
            got -= (ssize_t)take;
        }
        evbuffer_commit_space(st->in, vec, n);
        st->in_used = true;
        size_t just = vec[0].iov_len + (n > 1 ? vec[1].iov_len : 0);
        total += just;
        if (just < chunk)
            break;              /* the socket is empty for now */
        st->big_reads = true;
    }
    /* A wakeup that brought a full chunk or more is a bulk transfer: the
     * next one too reads into the evbuffer, with no copy out of the
     * scratch buffer. */
    st->big_reads = total >= READ_CHUNK;
    return total;
}

static ssize_t read_plain(struct rotor__stream *st, char *buf, size_t n)
{
    struct iovec iov = { buf, n };

    return st->tls ? rotor__tls_readv(st->tls, &iov, 1) : read(st->fd, buf, n);
}

/* One read into the loop's scratch buffer, lent to m.  Returns false when
 * the buffer cannot be lent (then read into the evbuffer). */
static bool read_lent(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    struct rotor_loop *loop = m->loop;
    ssize_t got;

    /* Not to a stream whose evbuffer the caller holds: it would look
     * there for the input. */
    if (st->big_reads || st->in_handed || loop->scratch_user ||
        in_ev_len(st) > 0)
        return false;
    if (!loop->scratch && !(loop->scratch = rotor__malloc(READ_CHUNK)))
        return false;
    do
        got = read_plain(st, loop->scratch, READ_CHUNK);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        st->eof = true;
    else if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        fail(st, errno);
    if (got <= 0)
        return true;
    loop->scratch_user = m;
    st->view = loop->scratch;
    st->vlen = (size_t)got;
    st->big_reads = (size_t)got == READ_CHUNK;
    return true;
}

/* The readable callback is over: what the stream left of its lent bytes
 * moves into its evbuffer (no user: it has ended, or nothing was lent). */
static void return_scratch(struct rotor_loop *loop)
{
    struct rotor_scope *m = loop->scratch_user;

    if (!m)
        return;
    loop->scratch_user = NULL;
    if (keep_lent(m->kind_data) < 0) {
        rotor__stream_refresh(m);
        rotor__drain(loop);
    }
}

static ssize_t send_iov(struct rotor__stream *st, struct iovec *iov, int n)
{
    if (st->tls)
        return rotor__tls_writev(st->tls, iov, n);
    if (st->is_socket) {
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        /* MSG_NOSIGNAL: a reset peer gives EPIPE, not a dead process. */
        return sendmsg(st->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    return writev(st->fd, iov, n);
}

/* Sends the small buffer; keeps what the kernel refused. */
static void write_small(struct rotor__stream *st)
{
    struct iovec iov = { st->obuf, st->olen };
    ssize_t put;

    do
        put = send_iov(st, &iov, 1);
    while (put < 0 && errno == EINTR);
    if (put < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            fail(st, errno);
        return;
    }
    st->olen -= (size_t)put;
    if (st->olen > 0)
        memmove(st->obuf, st->obuf + put, st->olen);
}

/* Writes what the output holds until done or the kernel refuses. */
static void write_some(struct rotor__stream *st)
{
    if (st->olen > 0 && !st->failed)
        write_small(st);        /* the evbuffer is empty meanwhile */
    while (!st->failed && st->olen == 0 && out_ev_len(st) > 0) {
        struct evbuffer_iovec vec[WRITE_IOVECS];
        struct iovec iov[WRITE_IOVECS];
        int n = evbuffer_peek(st->out, -1, NULL, vec, WRITE_IOVECS);
        size_t want = 0;
        if (n > WRITE_IOVECS)
            n = WRITE_IOVECS;
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = vec[i].iov_base;
            iov[i].iov_len = vec[i].iov_len;
            want += vec[i].iov_len;
        }
        ssize_t put = send_iov(st, iov, n);
        if (put < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fail(st, errno);
            if (errno != EINTR)
                break;
            continue;
        }
        evbuffer_drain(st->out, (size_t)put);
        if ((size_t)put < want)
            break;              /* the socket buffer is full: wait */
    }
    if (st->tls && !st->failed && rotor__tls_flush(st->tls) < 0 &&
        errno != EAGAIN && errno != EWOULDBLOCK)
        fail(st, errno);
    st->write_blocked = out_len(st) > 0;
    if (st->shut_pending && !st->failed && out_len(st) == 0 &&
        !rotor__stream_tls_closing(st)) {
        shutdown(st->fd, SHUT_WR);
        st->shut_pending = false;
    }
}

/* ---- the expectation check, queued ------------------------------------ */

void rotor__stream_refresh(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    st->dirty = true;
    if (m->state >= 0)
        update_interest(m);
    queue_check(m);
}

void rotor__stream_fail(struct rotor_scope *m, int err)
{
    fail(m->kind_data, err);
    rotor__stream_refresh(m);
}

static void queue_check(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (st->check_queued)
        return;
    if (rotor__queue_push(&m->loop->queue, m->ref, ROTOR__EV_STREAM_CHECK,
                          NULL) == 0)
        st->check_queued = true;
    else    /* out of memory: look from a callback of the loop instead */
        event_active(&st->recheck, EV_TIMEOUT, 1);
}

/* Something may have changed since the expectation was last looked at:
 * new input, input consumed, output drained, a new state, an error. */
static bool changed(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    return st->dirty || st->seen_in != in_len(st) ||
           st->seen_out != out_len(st);
}

static void remember(struct rotor__stream *st)
{
    st->dirty = false;
    st->seen_in = in_len(st);
    st->seen_out = out_len(st);
}

/* Sends what the actions wrote, unless the kernel refused bytes before
 * (then the write event sends it).  A drained output may meet a `flush`
 * expectation: look again. */
static void send_output(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    size_t before = out_len(st);
    bool failed = st->failed;

    if ((before > 0 || st->shut_pending) && !st->writing && !st->connecting &&
        st->fd >= 0 && !rotor__stream_tls_handshaking(st))
        write_some(st);
    update_interest(m);
    /* A write that failed (EPIPE: the peer is gone) stops reading too:
     * only a check can still tell the machine. */
    if ((out_len(st) != before &&
         state_info(m)->expect == ROTOR_EXPECT_FLUSH) ||
        (st->failed && !failed))
        queue_check(m);
}

/* Can looking at the expectation now give an event?  Not when it wants
 * input and none is buffered (the common case after a request is
 * answered): then the output can go at once, without a queued check. */
static bool may_give_event(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    uint8_t expect = state_info(m)->expect;

    if (!changed(m))
        return false;
    if (wants_input(expect) && !st->eof && !st->failed && !st->connecting &&
        in_len(st) == 0) {
        remember(st);
        return false;
    }
    return true;
}

/* After actions ran.  If the expectation may give another event (input
 * left in the buffer: pipelined lines or requests), look at it first and
 * send later, so all the answers of one read leave in one write: fewer
 * system calls, and no small second segment for Nagle to hold back. */
static void settle_io(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (!st)
        return;
    if (may_give_event(m)) {
        update_interest(m);
        queue_check(m);
    } else {
        send_output(m);
    }
}

static void stream_internal(struct rotor_scope *m, int kind)
{
    struct rotor__stream *st = m->kind_data;
    struct rotor_event ev;

    if (kind != ROTOR__EV_STREAM_CHECK || !st)
        return;
    st->check_queued = false;
    remember(st);
    if (evaluate(m, &ev))
        rotor__deliver_ev(m, &ev);
    else
        send_output(m);
}

/* A check that could not be queued (out of memory) runs from here. */
static void on_recheck(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor_loop *loop = m->loop;

    stream_internal(m, ROTOR__EV_STREAM_CHECK);
    rotor__drain(loop);
}

/* ---- libevent callbacks ------------------------------------------------- */

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor__stream *st = m->kind_data;
    struct rotor_loop *loop = m->loop;

    if (!read_lent(m)) {
        size_t have = in_ev_len(st);
        size_t need = input_needed(state_info(m));
        read_some(st, need > have ? need - have : 1);
    }
    /* The read may have finished a TLS handshake: what the machine wrote
     * meanwhile can go now. */
    if (st->tls && !st->writing && out_len(st) > 0 &&
        !rotor__stream_tls_handshaking(st))
        write_some(st);
    st->dirty = true;
    /* Straight from libevent with nothing queued: look at the expectation
     * now rather than through the queue (same order, less work). */
    if (loop->queue.len == 0 && !loop->current && !st->check_queued) {
        stream_internal(m, ROTOR__EV_STREAM_CHECK);
    } else {
        update_interest(m);
        queue_check(m);
    }
    rotor__drain(loop);
    /* libevent runs no callback inside another (it refuses a nested
     * event_base_loop), so the buffer is lent to m, or to nobody. */
    return_scratch(loop);
}

static void finish_connect(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0 && rotor__stream_tls_connected(st) < 0)
        err = errno;
    if (err == 0) {
        st->connecting = false;
        st->dirty = true;       /* e.g. `expect flush` holds now */
        update_interest(m);
        rotor__deliver(m, ROTOR_EV_CONNECTED, NULL);
        return;
    }
    rotor__stream_connect_failed(m, err);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor__stream *st = m->kind_data;
    struct rotor_loop *loop = m->loop;

    if (st->connecting) {
        finish_connect(m);      /* m may be gone after this */
    } else {
        write_some(st);
        st->dirty = true;
        update_interest(m);
        queue_check(m);
    }
    rotor__drain(loop);
}

/* ---- attaching, kind operations ----------------------------------------- */

/* Input taken by any route (our accessors, or the evbuffer itself through
 * rotor_stream_input()) moves every offset: search from the start. */
static void on_input_change(struct evbuffer *buf,
                            const struct evbuffer_cb_info *info, void *arg)
{
    struct rotor__stream *st = arg;

    if (info->n_deleted > 0)
        st->scan = 0;
}

static struct rotor__stream *stream_new(struct rotor_scope *m)
{
    struct rotor__stream *st = rotor__calloc(1, sizeof *st);

    if (!st)
        return NULL;
    st->fd = -1;
    st->in = evbuffer_new();
    st->out = evbuffer_new();
    if (!st->in || !st->out) {
        if (st->in)
            evbuffer_free(st->in);
        if (st->out)
            evbuffer_free(st->out);
        rotor__free(st);
        return NULL;
    }
    if (!evbuffer_add_cb(st->in, on_input_change, st)) {
        evbuffer_free(st->in);
        evbuffer_free(st->out);
        rotor__free(st);
        return NULL;
    }
    evtimer_assign(&st->recheck, m->loop->base, on_recheck, m);
    m->kind_data = st;
    return st;
}

static bool is_socket(int fd)
{
    int type;
    socklen_t len = sizeof type;

    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

/* Regular files and /dev/null: epoll refuses them (EPERM). */
static bool is_unwatchable(int fd)
{
    struct stat sb;

    if (fstat(fd, &sb) < 0)
        return false;
    return S_ISREG(sb.st_mode) ||
           (S_ISCHR(sb.st_mode) && major(sb.st_rdev) == 1 &&
            minor(sb.st_rdev) == 3);
}

void rotor__stream_set_fd(struct rotor_scope *m, int fd)
{
    struct rotor__stream *st = m->kind_data;
    int flags = fcntl(fd, F_GETFL);

    if (flags >= 0 && !(flags & O_NONBLOCK))
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    st->fd = fd;
    st->is_socket = is_socket(fd);
    st->unwatchable = is_unwatchable(fd);
    if (st->is_socket) {
        /* Answers leave in one write per turn (settle_io), so Nagle's
         * algorithm would only delay them; errors mean "not TCP". */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    event_assign(&st->rev, m->loop->base, fd, EV_READ | EV_PERSIST,
                 on_readable, m);
    event_assign(&st->wev, m->loop->base, fd, EV_WRITE | EV_PERSIST,
                 on_writable, m);
    st->dirty = true;
}

static int stream_adopt(struct rotor_scope *m, int fd)
{
    if (!m->kind_data && !stream_new(m))
        return rotor__error("%s: out of memory for a stream", m->type->name);
    rotor__stream_set_fd(m, fd);
    return 0;
}

static int stream_apply(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (!st)
        return 0;           /* no socket yet: nothing to watch */
    st->dirty = true;       /* a new state: a new expectation */
    st->scan = 0;
    st->eof_told = false;
    st->error_told = false;
    return 0;               /* the `after` hook that follows does the I/O */
}

static void stream_release(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;

    if (!st)
        return;
    rotor__stream_cancel_connect(m);
    if (m->loop->scratch_user == m)
        m->loop->scratch_user = NULL;
    if (st->fd >= 0) {
        /* Last chance for output the machine wrote before ending (a state
         * that must not lose it waits for `flushed` before `done`). */
        if (!st->connecting) {
            write_some(st);
            rotor__stream_tls_closing(st);  /* close_notify, if it fits */
        }
        /* Also removes events activated by hand (unwatchable files). */
        event_del(&st->rev);
        event_del(&st->wev);
        close(st->fd);
    }
    event_del(&st->recheck);
    rotor__stream_tls_end(st, false);
    evbuffer_free(st->in);
    evbuffer_free(st->out);
    rotor__free(st);
    m->kind_data = NULL;
}

const struct rotor__kind_ops rotor__stream_ops = {
    .apply = stream_apply,
    .release = stream_release,
    .after = settle_io,
    .internal = stream_internal,
    .adopt = stream_adopt,
};

/* ---- the public API --------------------------------------------------- */

int rotor_stream_attach(rotor_scope *s, int fd)
{
    if (!s || s->type->kind != ROTOR_KIND_STREAM)
        return rotor__error("rotor_stream_attach: not a stream machine");
    if (fd < 0)
        return rotor__error("rotor_stream_attach: bad descriptor %d", fd);
    struct rotor__stream *st = s->kind_data;
    if (st && st->fd >= 0)
        return rotor__error("rotor_stream_attach: %s has a socket already",
                            s->type->name);
    if (stream_adopt(s, fd) < 0)
        return -1;
    if (s->state >= 0 && !s->busy)
        settle_io(s);
    return 0;
}

/* The stream of s, created empty if needed (for writes before connect). */
struct rotor__stream *rotor__stream_get(rotor_scope *s)
{
    if (!s || s->type->kind != ROTOR_KIND_STREAM)
        return NULL;
    if (!s->kind_data)
        stream_new(s);
    return s->kind_data;
}

int rotor_stream_fd(rotor_scope *s)
{
    struct rotor__stream *st = stream_of(s);
    return st ? st->fd : -1;
}

struct evbuffer *rotor_stream_input(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_get(s);

    if (!st)
        return NULL;
    keep_lent(st);      /* the caller sees all the input */
    st->in_used = st->in_handed = true;
    return st->in;
}

struct evbuffer *rotor_stream_output(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_get(s);

    if (!st)
        return NULL;
    spill(st);          /* the caller sees all the output, in order */
    st->out_used = st->out_handed = true;
    return st->out;
}

size_t rotor_stream_input_length(rotor_scope *s)
{
    struct rotor__stream *st = stream_of(s);
    return st ? in_len(st) : 0;
}

const char *rotor_stream_peek(rotor_scope *s, size_t n)
{
    struct rotor__stream *st = stream_of(s);

    if (!st || in_len(st) < n || n > SSIZE_MAX)
        return NULL;
    if (st->vlen)
        return st->view;
    return (const char *)evbuffer_pullup(st->in, (ssize_t)n);
}

const char *rotor_stream_extent(rotor_scope *s, size_t *len)
{
    struct rotor__stream *st = stream_of(s);
    size_t n = 0;
    const char *p = st ? first_extent(st, &n) : NULL;

    if (len)
        *len = n;
    return n ? p : NULL;
}

size_t rotor_stream_through_last(rotor_scope *s, char byte)
{
    struct rotor__stream *st = stream_of(s);
    struct evbuffer_iovec vec[64];

    if (!st)
        return 0;
    if (st->vlen) {
        const char *hit = memrchr(st->view, byte, st->vlen);
        return hit ? (size_t)(hit - st->view) + 1 : 0;
    }
    int n = evbuffer_peek(st->in, -1, NULL, vec, 64);
    if (n > 64)
        return 0;       /* very fragmented: let the caller go line by line */
    size_t before = in_ev_len(st);
    for (int i = n - 1; i >= 0; i--) {
        before -= vec[i].iov_len;
        const char *hit = memrchr(vec[i].iov_base, byte, vec[i].iov_len);
        if (hit)
            return before + (size_t)(hit - (const char *)vec[i].iov_base) + 1;
    }
    return 0;
}

size_t rotor_stream_read(rotor_scope *s, void *buf, size_t n)
{
    struct rotor__stream *st = stream_of(s);

    if (!st)
        return 0;
    if (st->vlen) {
        n = n < st->vlen ? n : st->vlen;
        memcpy(buf, st->view, n);
        take_lent(st, n);
        return n;
    }
    int got = evbuffer_remove(st->in, buf, n);
    return got > 0 ? (size_t)got : 0;
}

void rotor_stream_consume(rotor_scope *s, size_t n)
{
    struct rotor__stream *st = stream_of(s);

    if (!st)
        return;
    if (st->vlen)
        take_lent(st, n);
    else
        evbuffer_drain(st->in, n);
}

/* Can n more bytes wait in the small buffer?  Only while the evbuffer is
 * empty, and never once the caller holds the evbuffer (bytes added there
 * would overtake those in the small buffer). */
static bool fits_small(struct rotor__stream *st, size_t n)
{
    return !st->out_handed && out_ev_len(st) == 0 &&
           n <= ROTOR__OBUF - st->olen;
}

/* Appends to the output: the small buffer when it fits, or the evbuffer.
 * Returns 0, or -1 when out of memory. */
static int out_append(struct rotor__stream *st, const void *data, size_t n)
{
    if (fits_small(st, n)) {
        memcpy(st->obuf + st->olen, data, n);
        st->olen += n;
        return 0;
    }
    st->out_used = true;
    if (spill(st) < 0 || evbuffer_add(st->out, data, n) < 0)
        return -1;
    return 0;
}

int rotor_stream_write(rotor_scope *s, const void *data, size_t n)
{
    struct rotor__stream *st = rotor__stream_get(s);

    if (!st)
        return rotor__error("rotor_stream_write: not a stream machine");
    if (st->failed)
        return rotor__error("rotor_stream_write: the stream has failed");
    if (out_append(st, data, n) < 0)
        return rotor__error("rotor_stream_write: out of memory");
    return 0;
}

int rotor_stream_writev(rotor_scope *s, const struct iovec *iov, int n)
{
    struct rotor__stream *st = rotor__stream_get(s);
    size_t total = 0;

    if (!st)
        return rotor__error("rotor_stream_writev: not a stream machine");
    if (st->failed)
        return rotor__error("rotor_stream_writev: the stream has failed");
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len > SIZE_MAX - total)
            return rotor__error("rotor_stream_writev: too many bytes");
        total += iov[i].iov_len;
    }
    if (fits_small(st, total)) {
        for (int i = 0; i < n; i++) {
            memcpy(st->obuf + st->olen, iov[i].iov_base, iov[i].iov_len);
            st->olen += iov[i].iov_len;
        }
        return 0;
    }
    /* Into the evbuffer, all or nothing (a half answer would corrupt the
     * stream for good): once the room is there, no add can fail. */
    st->out_used = true;
    if (spill(st) < 0 || evbuffer_expand(st->out, total) < 0)
        return rotor__error("rotor_stream_writev: out of memory");
    for (int i = 0; i < n; i++)
        evbuffer_add(st->out, iov[i].iov_base, iov[i].iov_len);
    return 0;
}

int rotor_stream_printf(rotor_scope *s, const char *fmt, ...)
{
    struct rotor__stream *st = rotor__stream_get(s);
    va_list ap;

    if (!st || st->failed)
        return rotor__error("rotor_stream_printf: no usable stream");
    if (spill(st) < 0)
        return rotor__error("rotor_stream_printf: out of memory");
    st->out_used = true;
    va_start(ap, fmt);
    int r = evbuffer_add_vprintf(st->out, fmt, ap);
    va_end(ap);
    return r < 0 ? rotor__error("rotor_stream_printf: out of memory") : 0;
}

size_t rotor_stream_echo(rotor_scope *s, size_t n)
{
    struct rotor__stream *st = stream_of(s);

    if (!st)
        return 0;
    /* Output is discarded once failed; the input is dropped the same way,
     * so that the expectation moves on to `error`. */
    if (st->failed)
        goto drop;
    if (st->vlen) {     /* lent bytes are copied (at most one read) */
        n = n < st->vlen ? n : st->vlen;
        if (out_append(st, st->view, n) < 0) {
            fail(st, ENOMEM);
            goto drop;
        }
        take_lent(st, n);
        return n;
    }
    if (spill(st) < 0)
        goto drop;
    st->out_used = true;
    size_t before = evbuffer_get_length(st->out);
    int moved = evbuffer_remove_buffer(st->in, st->out, n);
    /* libevent 2.1 drops the bytes it fails to copy (out of memory) and
     * counts them moved anyway: the stream is corrupt, fail it. */
    if (moved > 0 && evbuffer_get_length(st->out) - before != (size_t)moved) {
        fail(st, ENOMEM);
        return 0;
    }
    return moved > 0 ? (size_t)moved : 0;
drop:
    rotor_stream_consume(s, n);
    return 0;
}

void rotor_stream_reset(rotor_scope *s)
{
    struct rotor__stream *st = stream_of(s);

    if (!st)
        return;
    rotor__stream_cancel_connect(s);
    rotor__stream_tls_end(st, true);
    if (st->fd >= 0) {      /* rev and wev are assigned only with one */
        event_del(&st->rev);
        event_del(&st->wev);
        close(st->fd);
    }
    evbuffer_drain(st->in, evbuffer_get_length(st->in));
    evbuffer_drain(st->out, evbuffer_get_length(st->out));
    st->olen = 0;
    st->vlen = 0;
    st->fd = -1;
    st->reading = st->writing = st->write_blocked = st->big_reads = false;
    st->is_socket = st->unwatchable = false;
    st->eof = st->failed = st->eof_told = st->error_told = false;
    st->shut_pending = st->connecting = false;
    st->err = 0;
    st->scan = 0;
    st->dirty = true;
}

void rotor_stream_shutdown(rotor_scope *s)
{
    struct rotor__stream *st = stream_of(s);

    if (st)
        st->shut_pending = true;
}
