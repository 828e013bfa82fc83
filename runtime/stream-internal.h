/*
 * stream-internal.h: the state of a stream machine, one struct per
 * concern, shared by the stream files:
 *
 *   stream.c         the kind's operations, attach, reset, release
 *   stream-buffer.c  input and output (evbuffers, lent bytes, obuf) and
 *                    the public calls that take and give bytes
 *   stream-io.c      reading, writing, readiness interest, callbacks
 *   stream-expect.c  evaluating the expectation, giving events
 *   connect.c        outgoing connections
 *
 * The small accessors every file needs on the hot path are inline here.
 */
#ifndef ROTOR_STREAM_INTERNAL_H
#define ROTOR_STREAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event_struct.h>

#include "rotor-internal.h"

struct rotor__connect;
struct rotor__tls_conn;
struct rotor_tls;

/* Small answers wait here rather than in the output evbuffer: copying a
 * few hundred bytes costs less than an evbuffer chain allocated, peeked
 * and freed per answer.  Used only while the evbuffer is empty, so the
 * order of bytes is this buffer, then the evbuffer. */
#define ROTOR__OBUF 512

/* Where the connection is.  One state, not flags: a stream is never both
 * connecting and at end of file, and a failure ends everything else. */
enum rotor__link {
    ROTOR__LINK_NONE = 0,       /* no descriptor yet (or reset) */
    ROTOR__LINK_CONNECTING,     /* resolving, connecting or waiting to retry */
    ROTOR__LINK_OPEN,
    ROTOR__LINK_EOF,            /* the peer closed; output may still go */
    ROTOR__LINK_FAILED          /* io.err says why; output is dropped */
};

/* Input: bytes lent by the loop's scratch buffer (view, vlen), or the
 * evbuffer (empty while bytes are lent). */
struct rotor__stream_in {
    struct evbuffer *buf;
    const char *view;
    size_t vlen;
    size_t scan;                /* delimiter search resumes here */
    bool big_reads;             /* the last read filled its reservation */
    /* The evbuffer may hold bytes (asking libevent costs a call each
     * time, many times per message), and was handed to the caller (who
     * may add bytes we do not see: then always ask). */
    bool used, handed;
};

/* Output: obuf, then the evbuffer. */
struct rotor__stream_out {
    struct evbuffer *buf;
    size_t olen;                /* bytes waiting in obuf */
    bool used, handed;          /* as for input */
    bool blocked;               /* the kernel refused bytes: wait for wev */
    bool shut_pending;          /* shutdown(SHUT_WR) once output is sent */
    bool over_high;             /* above the state's `drain` high mark */
    char obuf[ROTOR__OBUF];
};

/* The descriptor and libevent's interest in it. */
struct rotor__stream_io {
    int fd;
    uint8_t link;               /* enum rotor__link */
    uint8_t told;               /* the link state reported in this state */
    bool is_socket;             /* sendmsg(MSG_NOSIGNAL) works */
    bool unwatchable;           /* a regular file: always ready */
    bool reading, writing;      /* rev / wev are wanted */
    bool rev_added;             /* rev is added: it stays so after reading
                                   stops, until a readiness comes unwanted
                                   (see change_event) */
    int err;                    /* errno (or ROTOR_ERESOLVE) once failed */
    struct event rev, wev;
};

/* The queued look at the expectation. */
struct rotor__stream_check {
    bool queued;
    bool dirty;                 /* the expectation must be looked at */
    size_t seen_in, seen_out;   /* lengths at the last evaluation */
    struct event recheck;       /* activated when a check cannot be queued */
};

/* TLS (stream-tls.c): the session once the socket is connected; a
 * client's context and server name until then (and for a reconnect). */
struct rotor__stream_tls {
    struct rotor__tls_conn *conn;
    struct rotor_tls *ctx;
    char *host;
    bool closing;               /* close_notify queued */
};

struct rotor__stream {
    struct rotor__stream_io io;
    struct rotor__stream_in in;
    struct rotor__stream_check check;
    struct rotor__connect *connect;
    struct rotor__stream_tls tls;
    struct rotor__stream_out out;
};

static inline struct rotor__stream *rotor__stream_of(rotor_scope *s)
{
    if (!s || s->type->kind != ROTOR_KIND_STREAM)
        return NULL;
    return s->kind_data;
}

static inline const struct rotor_state_info *
rotor__state_info(const struct rotor_scope *m)
{
    return &m->type->states[m->state];
}

/* The evbuffers' lengths, asked of libevent only when they may hold
 * bytes. */
static inline size_t rotor__in_ev_len(struct rotor__stream *st)
{
    if (!st->in.used)
        return 0;
    size_t n = evbuffer_get_length(st->in.buf);
    if (n == 0 && !st->in.handed)
        st->in.used = false;
    return n;
}

static inline size_t rotor__out_ev_len(struct rotor__stream *st)
{
    if (!st->out.used)
        return 0;
    size_t n = evbuffer_get_length(st->out.buf);
    if (n == 0 && !st->out.handed)
        st->out.used = false;
    return n;
}

/* Input held: the lent bytes, or the evbuffer. */
static inline size_t rotor__in_len(struct rotor__stream *st)
{
    return st->in.vlen ? st->in.vlen : rotor__in_ev_len(st);
}

/* Output held: obuf and the evbuffer. */
static inline size_t rotor__out_len(struct rotor__stream *st)
{
    return st->out.olen + rotor__out_ev_len(st);
}

static inline bool rotor__wants_input(uint8_t expect)
{
    return expect == ROTOR_EXPECT_BYTES || expect == ROTOR_EXPECT_UNTIL ||
           expect == ROTOR_EXPECT_LINE;
}

/* Input bytes the expectation may need before it is decided: reading
 * stops there, which bounds memory whatever the peer sends. */
static inline size_t rotor__input_needed(const struct rotor_state_info *info)
{
    return info->expect_size == 0 ? 1 : info->expect_size;
}

static inline bool rotor__stream_failed(const struct rotor__stream *st)
{
    return st->io.link == ROTOR__LINK_FAILED;
}

static inline bool rotor__stream_connecting(const struct rotor__stream *st)
{
    return st->io.link == ROTOR__LINK_CONNECTING;
}

/* ---- stream.c ---------------------------------------------------------- */

/* rotor__stream_get() when s has no stream yet, or is not a stream. */
struct rotor__stream *rotor__stream_make(rotor_scope *s, const char *caller);

/* The stream of s (created without a socket if needed), or NULL when s
 * is not a stream machine or memory ran out (rotor_last_code() says). */
static inline struct rotor__stream *rotor__stream_get(rotor_scope *s,
                                                      const char *caller)
{
    if (s && s->type->kind == ROTOR_KIND_STREAM && s->kind_data)
        return s->kind_data;
    return rotor__stream_make(s, caller);
}
/* Sets rotor_last_code() for a call on s that is not a stream (NULL:
 * ROTOR_EINVAL; another kind: ROTOR_ENOTSUP) and returns the code. */
int rotor__stream_refuse(rotor_scope *s, const char *caller);
/* The failure of a failed stream as a code: -errno, or ROTOR_ERESOLVE. */
int rotor__stream_failure(const struct rotor__stream *st);

/* ---- stream-buffer.c --------------------------------------------------- */

/* Copies the lent bytes into the input evbuffer.  0, or -1 (out of
 * memory: the stream failed, the bytes are lost). */
int rotor__stream_keep_lent(struct rotor__stream *st);
/* The scratch buffer goes back while m holds lent bytes. */
void rotor__stream_keep_scratch(struct rotor_scope *m);

/* The readable callback is over: the stream the scratch buffer was lent
 * to (if any: it may have ended) keeps what it left in its evbuffer.
 * Inline: after most reads the answer consumed every lent byte. */
static inline void rotor__stream_return_scratch(struct rotor_loop *loop)
{
    struct rotor_scope *m = loop->scratch_user;

    if (!m)
        return;
    loop->scratch_user = NULL;
    if (((struct rotor__stream *)m->kind_data)->in.vlen)
        rotor__stream_keep_scratch(m);
}

/* The first contiguous run of input, and its length (0: none). */
static inline const char *
rotor__stream_first_extent(const struct rotor__stream *st, size_t *len)
{
    struct evbuffer_iovec v;

    if (st->in.vlen) {
        *len = st->in.vlen;
        return st->in.view;
    }
    if (evbuffer_peek(st->in.buf, -1, NULL, &v, 1) < 1) {
        *len = 0;
        return NULL;
    }
    *len = v.iov_len;
    return v.iov_base;
}
/* Empties both buffers (obuf too); lent bytes are forgotten. */
void rotor__stream_empty(struct rotor__stream *st);

/* ---- stream-io.c ------------------------------------------------------- */

/* Marks the stream failed with err (once): the output is dropped. */
void rotor__stream_mark_failed(struct rotor__stream *st, int err);
/* Sets read and write interest from the state, the link and the buffers. */
void rotor__stream_update_interest(struct rotor_scope *m);
/* Writes what the output holds until done or the kernel refuses. */
void rotor__stream_write_some(struct rotor__stream *st);
/* Gives the stream its descriptor (made non-blocking): the link is open. */
void rotor__stream_set_fd(struct rotor_scope *m, int fd, bool ours);
/* Closes the descriptor and removes its events, if any. */
void rotor__stream_close_fd(struct rotor__stream *st);

/* ---- stream-expect.c --------------------------------------------------- */

/* Looks at the expectation through the loop's queue, once. */
void rotor__stream_queue_check(struct rotor_scope *m);
/* The queued check: gives the event the expectation holds, or sends. */
void rotor__stream_check(struct rotor_scope *m, int kind);
/* After actions ran: look again, or send what they wrote. */
void rotor__stream_settle(struct rotor_scope *m);
/* Sends what the actions wrote and looks again if that can matter. */
void rotor__stream_send_output(struct rotor_scope *m);
/* The recheck event's callback. */
void rotor__stream_on_recheck(evutil_socket_t fd, short what, void *arg);
/* Interest and expectation must be looked at again. */
void rotor__stream_refresh(struct rotor_scope *m);
/* Marks the stream failed with err: `error` follows. */
void rotor__stream_fail(struct rotor_scope *m, int err);

/* ---- stream-tls.c ------------------------------------------------------ */

/* The questions below are asked several times per message: inline, a
 * plain stream answers them with one test. */
bool rotor__tls_session_handshaking(const struct rotor__tls_conn *c);
bool rotor__tls_session_cipher_waits(const struct rotor__tls_conn *c);
bool rotor__tls_session_buffered(const struct rotor__tls_conn *c);

/* The handshake is under way: read whatever the expectation says, write
 * nothing until it is over, serve no expectation yet. */
static inline bool rotor__stream_tls_handshaking(const struct rotor__stream *st)
{
    return st->tls.conn && rotor__tls_session_handshaking(st->tls.conn);
}
/* Ciphertext waits for the kernel: watch writability. */
static inline bool rotor__stream_tls_cipher_waits(const struct rotor__stream *st)
{
    return st->tls.conn && rotor__tls_session_cipher_waits(st->tls.conn);
}
/* Bytes buffered inside the session: read again without readiness. */
static inline bool rotor__stream_tls_buffered(const struct rotor__stream *st)
{
    return st->tls.conn && rotor__tls_session_buffered(st->tls.conn);
}
/* The connection is up: a context given before starts its session now.
 * -1 (errno set) when it cannot. */
int  rotor__stream_tls_connected(struct rotor__stream *st);
/* Queues close_notify once; true while ciphertext still waits. */
bool rotor__stream_tls_closing(struct rotor__stream *st);
/* Ends the session (the socket goes); keep_ctx: a client's context and
 * name stay for the next connection (rotor_stream_reset). */
void rotor__stream_tls_end(struct rotor__stream *st, bool keep_ctx);
/* The session's readv()/writev(), or the plain calls without TLS. */
ssize_t rotor__stream_tls_recv(struct rotor__stream *st,
                               const struct iovec *iov, int n);
static inline ssize_t rotor__stream_recv(struct rotor__stream *st,
                                         const struct iovec *iov, int n)
{
    if (st->tls.conn)
        return rotor__stream_tls_recv(st, iov, n);
    return readv(st->io.fd, iov, n);
}
ssize_t rotor__stream_tls_send(struct rotor__stream *st,
                               const struct iovec *iov, int n);
/* Sends the records that wait; a hard failure fails the stream. */
void rotor__stream_tls_flush(struct rotor__stream *st);

/* ---- connect.c --------------------------------------------------------- */

/* The connection attempt failed: tries the next address, or fails. */
void rotor__stream_connect_failed(struct rotor_scope *m, int err);
/* Stops a pending resolution or connection (the machine is ending). */
void rotor__stream_cancel_connect(struct rotor_scope *m);

#endif
