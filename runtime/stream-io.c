/*
 * stream-io.c: a stream's descriptor: reading, writing, and libevent's
 * interest in its readiness.
 *
 * The costs we design for (measured on the bufferevent alternative):
 * no epoll_ctl per message and no 4 KiB read cap.  So reads go straight
 * into evbuffer_reserve_space() extents with readv() (or into the loop's
 * scratch buffer, lent: see stream-buffer.c); output is written right
 * after the transition that produced it, and write interest is armed
 * only when the kernel refuses bytes; read interest changes only when
 * the expectation or backpressure says so.
 */
#define _GNU_SOURCE             /* MSG_NOSIGNAL */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stream-internal.h"

#define READ_CHUNK   16384u     /* bytes reserved for one readv() */
/* After small reads, reserve this much instead: with libevent's chain
 * header the block stays under glibc's tcache limit (1032 bytes), so a
 * request-sized read costs no trip into malloc's bins. */
#define READ_SMALL   960u
#define READ_ROUNDS  8          /* readv() calls per wakeup at most */
#define WRITE_IOVECS 16

void rotor__stream_mark_failed(struct rotor__stream *st, int err)
{
    if (rotor__stream_failed(st))
        return;
    st->io.link = ROTOR__LINK_FAILED;
    st->io.err = err;
    evbuffer_drain(st->out.buf, evbuffer_get_length(st->out.buf));
    st->out.olen = 0;
}

/* The peer closed (read() gave 0). */
static void saw_eof(struct rotor__stream *st)
{
    if (st->io.link == ROTOR__LINK_OPEN)
        st->io.link = ROTOR__LINK_EOF;
}

/* ---- interest ---------------------------------------------------------- */

/* Regular files and /dev/null cannot be watched (epoll says EPERM) but
 * are always ready: such a stream activates its events by hand, once per
 * loop turn while it wants them. */
static int change_event(struct rotor__stream *st, struct event *e, bool *on,
                        bool want)
{
    short what = e == &st->io.rev ? EV_READ : EV_WRITE;

    if (want && st->io.unwatchable) {
        event_active(e, what, 1);
        return 0;
    }
    if (want == *on)
        return 0;
    /* Reading that stops is left added: a state that stops reading
     * (`flush`, `sleep`) is mostly followed by one that reads again
     * (closing, then lingering), and the pair would cost two epoll_ctl.
     * A readiness that comes meanwhile removes it (on_readable). */
    if (e == &st->io.rev && st->io.rev_added) {
        *on = want;
        return 0;
    }
    if (want && event_add(e, NULL) < 0) {
        int err = errno;
        if (err != EPERM)
            return err ? err : ENOMEM;  /* out of memory: not a file */
        st->io.unwatchable = true;
        event_active(e, what, 1);
        return 0;
    }
    if (!want)
        event_del(e);
    *on = want;
    if (e == &st->io.rev)
        st->io.rev_added = want && !st->io.unwatchable;
    return 0;
}

/* Inlined: after most messages the interest stays as it was. */
static inline int set_event(struct rotor__stream *st, struct event *e,
                            bool *on, bool want)
{
    if (want == *on && !(want && st->io.unwatchable))
        return 0;
    return change_event(st, e, on, want);
}

static bool wants_read(struct rotor_scope *m, struct rotor__stream *st)
{
    const struct rotor_state_info *info = rotor__state_info(m);

    if (st->io.link != ROTOR__LINK_OPEN || st->io.fd < 0)
        return false;
    /* A TLS handshake reads whatever the state expects. */
    return rotor__stream_tls_handshaking(st) ||
           (rotor__wants_input(info->expect) &&
            rotor__in_len(st) < rotor__input_needed(info) &&
            (!st->out.blocked ||
             rotor__out_len(st) <= ROTOR_STREAM_HIGH_WATER));
}

/* A TLS handshake waits for the peer, not for writability; its
 * records wait for writability even when the plaintext has gone. */
static bool wants_write(const struct rotor__stream *st)
{
    if (rotor__stream_tls_cipher_waits(st))
        return true;
    return st->out.blocked && !rotor__stream_tls_handshaking(st);
}

void rotor__stream_update_interest(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    bool read = wants_read(m, st);
    /* Write interest only once the kernel refused bytes: toggling it
     * around every answer would cost two epoll_ctl per message. */
    bool write = st->io.fd >= 0 &&
                 (rotor__stream_connecting(st) ||
                  (!rotor__stream_failed(st) && wants_write(st)));

    int err = set_event(st, &st->io.rev, &st->io.reading, read);
    if (!err)
        err = set_event(st, &st->io.wev, &st->io.writing, write);
    /* Bytes the TLS session holds would wait for a readiness that may
     * never come: read them from the loop's next turn. */
    if (read && rotor__stream_tls_buffered(st))
        event_active(&st->io.rev, EV_READ, 1);
    if (err) {
        /* Unwatched, the stream would wait for ever: `error` instead
         * (also for a connection in progress). */
        rotor__stream_mark_failed(st, err);
        set_event(st, &st->io.rev, &st->io.reading, false);
        set_event(st, &st->io.wev, &st->io.writing, false);
        rotor__stream_queue_check(m);
    }
}

/* ---- reading ----------------------------------------------------------- */

/* One readv() into a reservation of chunk bytes.  Returns the bytes
 * read, 0 when there were none (eof, EAGAIN or a failure, noted). */
static size_t read_once(struct rotor__stream *st, size_t chunk)
{
    struct evbuffer_iovec vec[2];
    struct iovec iov[2];
    int n = evbuffer_reserve_space(st->in.buf, (ssize_t)chunk, vec, 2);

    if (n <= 0) {
        rotor__stream_mark_failed(st, ENOMEM);
        return 0;
    }
    size_t cap = chunk;         /* extents may be larger: stay bounded */
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = vec[i].iov_base;
        iov[i].iov_len = vec[i].iov_len < cap ? vec[i].iov_len : cap;
        cap -= iov[i].iov_len;
    }
    ssize_t got = rotor__stream_recv(st, iov, n);
    if (got <= 0) {
        evbuffer_commit_space(st->in.buf, vec, 0);
        if (got == 0)
            saw_eof(st);
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            rotor__stream_mark_failed(st, errno);
        return 0;
    }
    size_t left = (size_t)got;
    for (int i = 0; i < n; i++) {
        vec[i].iov_len = left < iov[i].iov_len ? left : iov[i].iov_len;
        left -= vec[i].iov_len;
    }
    evbuffer_commit_space(st->in.buf, vec, n);
    st->in.used = true;
    return (size_t)got;
}

/* Reads into reserved extents of the input buffer, up to room bytes. */
static void read_some(struct rotor__stream *st, size_t room)
{
    size_t total = 0;

    for (int round = 0; round < READ_ROUNDS && total < room; round++) {
        size_t chunk = st->in.big_reads ? READ_CHUNK : READ_SMALL;
        size_t just = read_once(st, chunk);
        total += just;
        if (just < chunk)
            break;              /* the socket is empty for now */
        st->in.big_reads = true;
    }
    /* A wakeup that brought a full chunk or more is a bulk transfer: the
     * next one too reads into the evbuffer, with no copy out of the
     * scratch buffer. */
    st->in.big_reads = total >= READ_CHUNK;
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
    if (st->in.big_reads || st->in.handed || loop->scratch_user ||
        rotor__in_ev_len(st) > 0)
        return false;
    if (!loop->scratch && !(loop->scratch = rotor__malloc(READ_CHUNK)))
        return false;
    struct iovec iov = { loop->scratch, READ_CHUNK };
    do
        got = rotor__stream_recv(st, &iov, 1);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        saw_eof(st);
    else if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        rotor__stream_mark_failed(st, errno);
    if (got <= 0)
        return true;
    loop->scratch_user = m;
    st->in.view = loop->scratch;
    st->in.vlen = (size_t)got;
    st->in.big_reads = (size_t)got == READ_CHUNK;
    return true;
}

/* ---- writing ----------------------------------------------------------- */

static ssize_t send_iov(struct rotor__stream *st, struct iovec *iov, int n)
{
    if (st->tls.conn)
        return rotor__stream_tls_send(st, iov, n);
    if (st->io.is_socket) {
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        /* MSG_NOSIGNAL: a reset peer gives EPIPE, not a dead process. */
        return sendmsg(st->io.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    return writev(st->io.fd, iov, n);
}

/* Sends obuf; keeps what the kernel refused. */
static void write_small(struct rotor__stream *st)
{
    struct iovec iov = { st->out.obuf, st->out.olen };
    ssize_t put;

    do
        put = send_iov(st, &iov, 1);
    while (put < 0 && errno == EINTR);
    if (put < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            rotor__stream_mark_failed(st, errno);
        return;
    }
    st->out.olen -= (size_t)put;
    if (st->out.olen > 0)
        memmove(st->out.obuf, st->out.obuf + put, st->out.olen);
}

/* One send of the evbuffer's first extents.  Returns false when the
 * kernel took less than offered, refused, or the stream failed. */
static bool write_chained(struct rotor__stream *st)
{
    struct evbuffer_iovec vec[WRITE_IOVECS];
    struct iovec iov[WRITE_IOVECS];
    int n = evbuffer_peek(st->out.buf, -1, NULL, vec, WRITE_IOVECS);
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
        if (errno == EINTR)
            return true;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            rotor__stream_mark_failed(st, errno);
        return false;
    }
    evbuffer_drain(st->out.buf, (size_t)put);
    return (size_t)put == want;     /* less: the socket buffer is full */
}

void rotor__stream_write_some(struct rotor__stream *st)
{
    if (st->tls.conn)
        rotor__stream_tls_flush(st);    /* records first, in order */
    if (st->out.olen > 0 && !rotor__stream_failed(st))
        write_small(st);        /* the evbuffer is empty meanwhile */
    while (!rotor__stream_failed(st) && st->out.olen == 0 &&
           rotor__out_ev_len(st) > 0 && write_chained(st))
        ;
    st->out.blocked = rotor__out_len(st) > 0;
    if (st->out.shut_pending && !rotor__stream_failed(st) &&
        rotor__out_len(st) == 0 && !rotor__stream_tls_closing(st)) {
        shutdown(st->io.fd, SHUT_WR);
        st->out.shut_pending = false;
    }
}

/* ---- libevent callbacks ------------------------------------------------- */

static void read_input(struct rotor_scope *m, struct rotor__stream *st)
{
    if (!read_lent(m)) {
        size_t have = rotor__in_ev_len(st);
        size_t need = rotor__input_needed(rotor__state_info(m));
        read_some(st, need > have ? need - have : 1);
    }
}

/* The same, for a loop that records its trace: the bytes read (lent, or
 * appended to the evbuffer) and an end of file or failure, as replay
 * needs them.  Off the hot path: only while records are on. */
static void read_recorded(struct rotor_scope *m, struct rotor__stream *st)
{
    uint8_t link = st->io.link;
    size_t before = evbuffer_get_length(st->in.buf);

    read_input(m, st);
    size_t after = evbuffer_get_length(st->in.buf);
    if (st->in.vlen > 0 && m->loop->scratch_user == m) {
        rotor__record_input(m, st->in.view, st->in.vlen);
    } else if (after > before) {
        struct evbuffer_ptr p;
        char *tmp = rotor__malloc(after - before);
        if (tmp && evbuffer_ptr_set(st->in.buf, &p, before,
                                    EVBUFFER_PTR_SET) == 0 &&
            evbuffer_copyout_from(st->in.buf, &p, tmp, after - before) > 0)
            rotor__record_input(m, tmp, after - before);
        rotor__free(tmp);
    }
    if (st->io.link != link && st->io.link == ROTOR__LINK_EOF)
        rotor__record_end(m, 0);
    else if (st->io.link != link && st->io.link == ROTOR__LINK_FAILED)
        rotor__record_end(m, st->io.err);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct rotor_scope *m = arg;
    struct rotor__stream *st = m->kind_data;
    struct rotor_loop *loop = m->loop;

    if (!st->io.reading && st->io.rev_added) {  /* left added when reading stopped */
        event_del(&st->io.rev);
        st->io.rev_added = false;
        return;
    }
    rotor__turn_begin(loop);
    if (ROTOR__UNLIKELY(loop->rec != NULL))
        read_recorded(m, st);
    else
        read_input(m, st);
    /* The read may have ended a TLS handshake: what the machine wrote
     * meanwhile can go now. */
    if (st->tls.conn && !st->io.writing && rotor__out_len(st) > 0 &&
        !rotor__stream_tls_handshaking(st))
        rotor__stream_write_some(st);
    st->check.dirty = true;
    /* Straight from libevent with nothing queued: look at the expectation
     * now rather than through the queue (same order, less work). */
    if (loop->queue.len == 0 && !loop->current && !st->check.queued) {
        rotor__stream_check(m, ROTOR__EV_STREAM_CHECK);
    } else {
        rotor__stream_update_interest(m);
        rotor__stream_queue_check(m);
    }
    rotor__drain(loop);
    rotor__turn_end(loop);
    /* libevent runs no callback inside another (it refuses a nested
     * event_base_loop), so the buffer is lent to m, or to nobody. */
    rotor__stream_return_scratch(loop);
}

static void finish_connect(struct rotor_scope *m)
{
    struct rotor__stream *st = m->kind_data;
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(st->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0 && rotor__stream_tls_connected(st) < 0)
        err = errno;
    if (err == 0) {
        st->io.link = ROTOR__LINK_OPEN;
        st->check.dirty = true;     /* e.g. `expect flush` holds now */
        rotor__stream_update_interest(m);
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

    rotor__turn_begin(loop);
    if (rotor__stream_connecting(st)) {
        finish_connect(m);      /* m may be gone after this */
    } else {
        rotor__stream_write_some(st);
        st->check.dirty = true;
        rotor__stream_update_interest(m);
        rotor__stream_queue_check(m);
    }
    rotor__drain(loop);
    rotor__turn_end(loop);
}

/* ---- the descriptor ---------------------------------------------------- */

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

/* ours: a socket rotor made nonblocking (accepted, or connected): the
 * three probes below would cost three system calls per connection. */
void rotor__stream_set_fd(struct rotor_scope *m, int fd, bool ours)
{
    struct rotor__stream *st = m->kind_data;
    int flags = ours ? O_NONBLOCK : fcntl(fd, F_GETFL);

    if (flags >= 0 && !(flags & O_NONBLOCK))
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    st->io.fd = fd;
    st->io.link = ROTOR__LINK_OPEN;
    st->io.is_socket = ours || is_socket(fd);
    st->io.unwatchable = !ours && is_unwatchable(fd);
    if (st->io.is_socket) {
        /* Answers leave in one write per turn (rotor__stream_settle), so
         * Nagle's algorithm would only delay them; errors mean "not TCP". */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    event_assign(&st->io.rev, m->loop->base, fd, EV_READ | EV_PERSIST,
                 on_readable, m);
    event_assign(&st->io.wev, m->loop->base, fd, EV_WRITE | EV_PERSIST,
                 on_writable, m);
    st->check.dirty = true;
}

void rotor__stream_close_fd(struct rotor__stream *st)
{
    if (st->io.fd < 0)
        return;
    /* Also removes events activated by hand (unwatchable files). */
    event_del(&st->io.rev);
    event_del(&st->io.wev);
    st->io.reading = st->io.writing = st->io.rev_added = false;
    close(st->io.fd);
    st->io.fd = -1;
}
