/*
 * stream-tls.c: TLS on a stream machine's socket.  The stream reads and
 * writes through its session (tls.c) where a plain stream calls readv()
 * and writev(); this file starts and ends sessions, stands in for those
 * calls, and answers the questions the stream's interest and
 * expectation code asks about the session.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rotor-internal.h"
#include "rotor/tls.h"
#include "stream-internal.h"
#include "tls-context.h"
#include "tls-internal.h"

bool rotor__tls_session_handshaking(const struct rotor__tls_conn *c)
{
    return !rotor__tls_ready(c);
}

bool rotor__tls_session_cipher_waits(const struct rotor__tls_conn *c)
{
    return rotor__tls_wants(c) & ROTOR__TLS_WANT_WRITE;
}

bool rotor__tls_session_buffered(const struct rotor__tls_conn *c)
{
    return rotor__tls_buffered(c);
}

ssize_t rotor__stream_tls_recv(struct rotor__stream *st,
                               const struct iovec *iov, int n)
{
    return rotor__tls_readv(st->tls.conn, iov, n);
}

ssize_t rotor__stream_tls_send(struct rotor__stream *st,
                               const struct iovec *iov, int n)
{
    return rotor__tls_writev(st->tls.conn, iov, n);
}

void rotor__stream_tls_flush(struct rotor__stream *st)
{
    if (!rotor__stream_failed(st) && rotor__tls_flush(st->tls.conn) < 0 &&
        errno != EAGAIN && errno != EWOULDBLOCK)
        rotor__stream_mark_failed(st, errno);
}

int rotor__stream_tls_connected(struct rotor__stream *st)
{
    if (!st->tls.ctx || st->tls.conn)
        return 0;
    st->tls.conn = rotor__tls_conn_new(st->tls.ctx, st->io.fd, st->tls.host);
    if (!st->tls.conn) {
        errno = rotor_last_code() == ROTOR_ENOMEM ? ENOMEM : EPROTO;
        return -1;
    }
    return 0;
}

bool rotor__stream_tls_closing(struct rotor__stream *st)
{
    if (!st->tls.conn)
        return false;
    if (!st->tls.closing) {
        st->tls.closing = true;
        rotor__tls_close(st->tls.conn);
    }
    return rotor__stream_tls_cipher_waits(st);
}

void rotor__stream_tls_end(struct rotor__stream *st, bool keep_ctx)
{
    rotor__tls_conn_free(st->tls.conn);
    st->tls.conn = NULL;
    st->tls.closing = false;
    if (keep_ctx)
        return;
#ifdef HAVE_OPENSSL
    rotor__tls_unref(st->tls.ctx);
#endif
    rotor__free(st->tls.host);
    st->tls = (struct rotor__stream_tls){ 0 };
}

#ifdef HAVE_OPENSSL
static int check_role(const struct rotor_tls *tls, const char *host)
{
    if (tls->server && host)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_stream_tls: a server context takes no host");
    if (!tls->server && !host)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_stream_tls: a client needs the server's name");
    return 0;
}

static int start_tls(struct rotor__stream *st, struct rotor_tls *tls,
                     const char *host)
{
    if (st->tls.ctx)
        return rotor__fail(ROTOR_EEXIST, "rotor_stream_tls: TLS is set");
    if (check_role(tls, host) < 0)
        return ROTOR_EINVAL;
    if (host && !(st->tls.host = rotor__strdup(host)))
        return rotor__fail(ROTOR_ENOMEM, "rotor_stream_tls: out of memory");
    rotor__tls_ref(tls);
    st->tls.ctx = tls;
    /* A socket that is up (a server's, adopted before `create`) starts
     * its session now; a connection in progress, when it completes. */
    if (st->io.link == ROTOR__LINK_OPEN && st->io.fd >= 0 &&
        rotor__stream_tls_connected(st) < 0) {
        int code = rotor_last_code();
        rotor__stream_tls_end(st, false);
        return rotor__fail(code, "rotor_stream_tls: %s", rotor_last_error());
    }
    return 0;
}
#endif

int rotor_stream_tls(rotor_scope *s, struct rotor_tls *tls, const char *host)
{
#ifndef HAVE_OPENSSL
    (void)s, (void)tls, (void)host;
    return rotor__fail(ROTOR_ENOTSUP, "rotor_stream_tls: built without TLS");
#else
    struct rotor__stream *st = rotor__stream_get(s, "rotor_stream_tls");

    if (!st)
        return rotor_last_code();
    if (!tls)
        return rotor__fail(ROTOR_EINVAL, "rotor_stream_tls: no context");
    int rc = start_tls(st, tls, host);
    if (rc == 0)
        rotor__stream_refresh(s);
    return rc;
#endif
}

const char *rotor_stream_tls_error(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_of(s);

    return st && st->tls.conn ? rotor__tls_reason(st->tls.conn) : "";
}

const char *rotor_stream_tls_alpn(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_of(s);

    return st && st->tls.conn && rotor__tls_ready(st->tls.conn)
        ? rotor__tls_alpn(st->tls.conn) : "";
}
