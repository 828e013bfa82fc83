/*
 * stream-tls.c: TLS on a stream machine's socket.  The stream calls its
 * session (tls.c) where a plain stream calls readv() and writev(); this
 * file starts and ends sessions and answers the questions the stream's
 * interest and expectation code asks about them.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "rotor-internal.h"
#include "rotor/tls.h"
#include "stream-internal.h"
#include "tls-context.h"
#include "tls-internal.h"

bool rotor__stream_tls_handshaking(const struct rotor__stream *st)
{
    return st->tls && !rotor__tls_ready(st->tls);
}

bool rotor__stream_tls_cipher_waits(const struct rotor__stream *st)
{
    return st->tls && (rotor__tls_wants(st->tls) & ROTOR__TLS_WANT_WRITE);
}

int rotor__stream_tls_connected(struct rotor__stream *st)
{
    if (!st->tls_ctx || st->tls)
        return 0;
    st->tls = rotor__tls_conn_new(st->tls_ctx, st->fd, st->tls_host);
    if (!st->tls) {
        errno = rotor_last_code() == ROTOR_ENOMEM ? ENOMEM : EPROTO;
        return -1;
    }
    return 0;
}

bool rotor__stream_tls_closing(struct rotor__stream *st)
{
    if (!st->tls)
        return false;
    if (!st->tls_closing) {
        st->tls_closing = true;
        rotor__tls_close(st->tls);
    }
    return rotor__stream_tls_cipher_waits(st);
}

void rotor__stream_tls_end(struct rotor__stream *st, bool keep_ctx)
{
    rotor__tls_conn_free(st->tls);
    st->tls = NULL;
    st->tls_closing = false;
    if (keep_ctx)
        return;
#ifdef HAVE_OPENSSL
    rotor__tls_unref(st->tls_ctx);
#endif
    st->tls_ctx = NULL;
    rotor__free(st->tls_host);
    st->tls_host = NULL;
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
#endif

int rotor_stream_tls(rotor_scope *s, struct rotor_tls *tls, const char *host)
{
#ifndef HAVE_OPENSSL
    (void)s, (void)tls, (void)host;
    return rotor__fail(ROTOR_ENOTSUP, "rotor_stream_tls: built without TLS");
#else
    struct rotor__stream *st = rotor__stream_get(s);

    if (!st || !tls)
        return rotor__fail(ROTOR_EINVAL, "rotor_stream_tls: %s",
                           st ? "no context" : "not a stream machine");
    if (st->tls_ctx)
        return rotor__fail(ROTOR_EEXIST, "rotor_stream_tls: TLS is set");
    if (check_role(tls, host) < 0)
        return ROTOR_EINVAL;
    if (host && !(st->tls_host = rotor__strdup(host)))
        return rotor__fail(ROTOR_ENOMEM, "rotor_stream_tls: out of memory");
    rotor__tls_ref(tls);
    st->tls_ctx = tls;
    /* A socket that is up (a server's, adopted before `create`) starts
     * its session now; a connection in progress, when it completes. */
    if (st->fd >= 0 && !st->connecting &&
        rotor__stream_tls_connected(st) < 0) {
        rotor__stream_tls_end(st, false);
        return rotor__fail(ROTOR_ENOMEM, "rotor_stream_tls: %s",
                           rotor_last_error());
    }
    rotor__stream_refresh(s);
    return 0;
#endif
}

const char *rotor_stream_tls_error(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_get(s);

    return st && st->tls ? rotor__tls_reason(st->tls) : "";
}

const char *rotor_stream_tls_alpn(rotor_scope *s)
{
    struct rotor__stream *st = rotor__stream_get(s);

    return st && st->tls && rotor__tls_ready(st->tls)
        ? rotor__tls_alpn(st->tls) : "";
}
