/*
 * stream-internal.h: the state of a stream machine's socket, shared by
 * stream.c (buffers, expectations) and connect.c (outgoing connections).
 */
#ifndef ROTOR_STREAM_INTERNAL_H
#define ROTOR_STREAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event_struct.h>

struct evbuffer;
struct rotor__connect;
struct rotor__tls_conn;
struct rotor_tls;

/* Small answers wait here rather than in the output evbuffer: copying a
 * few hundred bytes costs less than an evbuffer chain allocated, peeked
 * and freed per answer.  Used only while the evbuffer is empty, so the
 * order of bytes is this buffer, then the evbuffer. */
#define ROTOR__OBUF 512

struct rotor__stream {
    int fd;
    struct evbuffer *in, *out;
    size_t olen;                /* bytes waiting in obuf */
    const char *view;           /* input lent by the loop's scratch buffer */
    size_t vlen;                /* its bytes; the evbuffer is empty meanwhile */
    struct event rev, wev;
    struct event recheck;       /* activated when a check cannot be queued */
    bool reading, writing;      /* rev / wev are added */
    bool write_blocked;         /* the kernel refused bytes: wait for wev */
    bool big_reads;             /* the last read filled its reservation */
    bool is_socket;             /* sendmsg(MSG_NOSIGNAL) works */
    bool unwatchable;           /* a regular file: always ready */
    bool eof, failed;
    bool eof_told, error_told;  /* reported once per state */
    bool shut_pending;          /* shutdown(SHUT_WR) once output is sent */
    bool connecting;
    /* The evbuffers may hold bytes (asking libevent costs a call each
     * time, many times per message), and were handed to the caller (who
     * may add bytes we do not see: then always ask). */
    bool in_used, out_used, in_handed, out_handed;
    bool check_queued;
    bool dirty;                 /* the expectation must be looked at */
    int err;
    size_t scan;                /* delimiter search resumes here */
    size_t seen_in, seen_out;   /* lengths at the last evaluation */
    struct rotor__connect *connect;
    /* TLS (stream-tls.c): the session once the socket is connected; a
     * client's context and server name until then. */
    struct rotor__tls_conn *tls;
    struct rotor_tls *tls_ctx;
    char *tls_host;
    bool tls_closing;           /* close_notify queued */
    char obuf[ROTOR__OBUF];
};

/* ---- TLS (stream-tls.c) ------------------------------------------------ */

/* The handshake is under way: read whatever the expectation says, write
 * nothing until it is over, serve no expectation yet. */
bool rotor__stream_tls_handshaking(const struct rotor__stream *st);
/* Ciphertext waits for the kernel: watch writability. */
bool rotor__stream_tls_cipher_waits(const struct rotor__stream *st);
/* The connection is up: a client context given before starts its
 * session now.  -1 (errno set) when it cannot. */
int  rotor__stream_tls_connected(struct rotor__stream *st);
/* Queues close_notify once; true while ciphertext still waits. */
bool rotor__stream_tls_closing(struct rotor__stream *st);
/* Ends the session (the socket goes); keep_ctx: a client's context and
 * name stay for the next connection (rotor_stream_reset). */
void rotor__stream_tls_end(struct rotor__stream *st, bool keep_ctx);

/* The stream of s (created without a socket if needed), or NULL when s
 * is not a stream machine. */
struct rotor__stream *rotor__stream_get(rotor_scope *s);
/* Gives the stream its descriptor (made non-blocking). */
void rotor__stream_set_fd(struct rotor_scope *m, int fd);
/* Marks the stream failed with err: `error` follows. */
void rotor__stream_fail(struct rotor_scope *m, int err);
/* Interest and expectation must be looked at again. */
void rotor__stream_refresh(struct rotor_scope *m);
/* The connection attempt failed: tries the next address, or fails. */
void rotor__stream_connect_failed(struct rotor_scope *m, int err);
/* Stops a pending resolution or connection (the machine is ending). */
void rotor__stream_cancel_connect(struct rotor_scope *m);

#endif
