/*
 * tls.c: one TLS session over a non-blocking descriptor (see
 * tls-internal.h), on two OpenSSL memory BIOs: ciphertext read from the
 * socket is written into `rbio`, OpenSSL's records come out of `wbio`
 * and are sent from `pend`, which holds what the kernel has not taken.
 */
#define _GNU_SOURCE   /* MSG_NOSIGNAL */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rotor-internal.h"
#include "rotor/tls.h"
#include "tls-context.h"
#include "tls-internal.h"

#ifndef HAVE_OPENSSL

struct rotor__tls_conn *rotor__tls_conn_new(struct rotor_tls *tls, int fd,
                                            const char *host)
{
    (void)tls, (void)fd, (void)host;
    rotor__fail(ROTOR_ENOTSUP, "TLS: built without TLS");
    return NULL;
}

void rotor__tls_conn_free(struct rotor__tls_conn *c) { (void)c; }

ssize_t rotor__tls_readv(struct rotor__tls_conn *c, const struct iovec *iov,
                         int n)
{
    (void)c, (void)iov, (void)n;
    errno = ENOTSUP;
    return -1;
}

ssize_t rotor__tls_writev(struct rotor__tls_conn *c, const struct iovec *iov,
                          int n)
{
    (void)c, (void)iov, (void)n;
    errno = ENOTSUP;
    return -1;
}

int rotor__tls_flush(struct rotor__tls_conn *c) { (void)c; return 0; }
unsigned rotor__tls_wants(const struct rotor__tls_conn *c) { (void)c; return 0; }
bool rotor__tls_ready(const struct rotor__tls_conn *c) { (void)c; return false; }
bool rotor__tls_buffered(const struct rotor__tls_conn *c) { (void)c; return false; }
int rotor__tls_close(struct rotor__tls_conn *c) { (void)c; return 0; }
const char *rotor__tls_reason(const struct rotor__tls_conn *c) { (void)c; return ""; }
const char *rotor__tls_alpn(const struct rotor__tls_conn *c) { (void)c; return ""; }

#else /* HAVE_OPENSSL */

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* One TLS record with its overhead: what one read from the socket takes,
 * and how much ciphertext may wait before writes are refused. */
#define NET_CHUNK   (16 * 1024 + 512)
#define PEND_LIMIT  (64 * 1024)

struct rotor__tls_conn {
    SSL  *ssl;
    BIO  *rbio, *wbio;
    struct rotor_tls *tls;
    int   fd;
    bool  ready, failed, peer_closed;
    bool  want_read;             /* the handshake waits for the peer */
    char *pend;                  /* ciphertext the kernel has not taken */
    size_t plen, pcap;
    char  reason[160];
};

static int fail_session(struct rotor__tls_conn *c, const char *why)
{
    if (!c->failed) {
        c->failed = true;
        snprintf(c->reason, sizeof c->reason, "%s", why);
    }
    ERR_clear_error();
    errno = EPROTO;
    return -1;
}

/* The reason OpenSSL gives for the last failed call, or the certificate
 * check's when that is what failed. */
static int fail_openssl(struct rotor__tls_conn *c)
{
    long v = SSL_get_verify_result(c->ssl);
    char why[160];

    if (v != X509_V_OK) {
        snprintf(why, sizeof why, "certificate verify failed: %s",
                 X509_verify_cert_error_string(v));
        return fail_session(c, why);
    }
    return fail_session(c, rotor__tls_openssl_reason(why, sizeof why,
                                                     "protocol error"));
}

/* ---- ciphertext out ------------------------------------------------- */

static int grow_pending(struct rotor__tls_conn *c, size_t need)
{
    if (need <= c->pcap)
        return 0;
    size_t cap = c->pcap ? c->pcap : NET_CHUNK;
    while (cap < need)
        cap *= 2;
    char *p = rotor__realloc(c->pend, cap);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    c->pend = p;
    c->pcap = cap;
    return 0;
}

/* Moves OpenSSL's records out of wbio behind what already waits. */
static int collect(struct rotor__tls_conn *c)
{
    size_t n = BIO_ctrl_pending(c->wbio);

    if (n == 0)
        return 0;
    if (grow_pending(c, c->plen + n) < 0)
        return -1;
    int got = BIO_read(c->wbio, c->pend + c->plen, (int)n);
    if (got > 0)
        c->plen += (size_t)got;
    return 0;
}

int rotor__tls_flush(struct rotor__tls_conn *c)
{
    if (collect(c) < 0)
        return -1;
    while (c->plen > 0) {
        ssize_t put = send(c->fd, c->pend, c->plen, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (put < 0) {
            if (errno == EINTR)
                continue;
            return -1;          /* EAGAIN: wait for writability */
        }
        c->plen -= (size_t)put;
        memmove(c->pend, c->pend + put, c->plen);
    }
    return 0;
}

/* Flushes, treating a refusal by the kernel as success for now. */
static int flush_soft(struct rotor__tls_conn *c)
{
    if (rotor__tls_flush(c) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return -1;
    return 0;
}

/* Flushes after a call that may have failed the session: its alert is
 * sent if the socket takes it, and the session's failure (EPROTO) wins
 * over the socket's (EPIPE from a peer that left first). */
static int settle_flush(struct rotor__tls_conn *c)
{
    int rc = flush_soft(c);

    if (c->failed) {
        errno = EPROTO;
        return -1;
    }
    return rc;
}

/* ---- ciphertext in -------------------------------------------------- */

/* One read of ciphertext from the socket into rbio: 1 when some came,
 * 0 at end of file, -1 with errno (EAGAIN: none yet). */
static int pull(struct rotor__tls_conn *c)
{
    char buf[NET_CHUNK];
    ssize_t got;

    do
        got = read(c->fd, buf, sizeof buf);
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return (int)got;
    if (BIO_write(c->rbio, buf, (int)got) != (int)got) {
        errno = ENOMEM;
        return -1;
    }
    return 1;
}

/* Handles what an SSL call that made no progress says: 1 when more
 * ciphertext came and the call may be retried; else -1/0 as
 * rotor__tls_readv() returns them. */
static int after_ssl_error(struct rotor__tls_conn *c, int rc)
{
    switch (SSL_get_error(c->ssl, rc)) {
    case SSL_ERROR_WANT_READ: {
        int got = pull(c);
        if (got > 0)
            return 1;
        if (got == 0 && !c->ready)
            return fail_session(c, "peer closed during the handshake");
        if (got == 0) {
            c->peer_closed = true;
            return 0;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            c->want_read = true;
        return -1;
    }
    case SSL_ERROR_ZERO_RETURN:
        c->peer_closed = true;
        return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0)
            return fail_session(c, "peer closed during a record");
        return fail_openssl(c);
    default:
        return fail_openssl(c);
    }
}

/* Runs the handshake as far as the peer's bytes allow: 1 when it is
 * over, -1 with errno otherwise (EAGAIN while it waits). */
static int handshake(struct rotor__tls_conn *c)
{
    while (!c->ready) {
        int rc = SSL_do_handshake(c->ssl);
        if (rc == 1) {
            c->ready = true;
            break;
        }
        int next = after_ssl_error(c, rc);
        if (settle_flush(c) < 0)
            return -1;
        if (next != 1) {
            if (next == 0)
                errno = EPROTO;
            return -1;
        }
    }
    return flush_soft(c) < 0 ? -1 : 1;
}

/* ---- plaintext ------------------------------------------------------ */

static ssize_t read_pieces(struct rotor__tls_conn *c, const struct iovec *iov,
                           int n, int *last_rc)
{
    size_t total = 0;

    for (int i = 0; i < n; i++) {
        size_t got = 0;
        *last_rc = SSL_read_ex(c->ssl, iov[i].iov_base, iov[i].iov_len, &got);
        total += got;
        if (*last_rc != 1 || got < iov[i].iov_len)
            break;
    }
    return (ssize_t)total;
}

ssize_t rotor__tls_readv(struct rotor__tls_conn *c, const struct iovec *iov,
                         int n)
{
    if (c->failed) {
        errno = EPROTO;
        return -1;
    }
    if (c->peer_closed)
        return 0;
    c->want_read = false;
    for (;;) {
        int rc = 1;
        ssize_t got = read_pieces(c, iov, n, &rc);
        c->ready = c->ready || SSL_is_init_finished(c->ssl);
        if (got > 0)
            return flush_soft(c) < 0 ? -1 : got;
        int next = after_ssl_error(c, rc);
        if (settle_flush(c) < 0 || next != 1)
            return next;
    }
}

ssize_t rotor__tls_writev(struct rotor__tls_conn *c, const struct iovec *iov,
                          int n)
{
    if (c->failed) {
        errno = EPROTO;
        return -1;
    }
    if (!c->ready && handshake(c) < 0)
        return -1;
    if (c->plen > PEND_LIMIT && rotor__tls_flush(c) < 0)
        return -1;
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        size_t put = 0;
        if (iov[i].iov_len == 0)
            continue;
        if (SSL_write_ex(c->ssl, iov[i].iov_base, iov[i].iov_len, &put) != 1)
            return fail_openssl(c);
        total += put;
    }
    return flush_soft(c) < 0 ? -1 : (ssize_t)total;
}

/* ---- the session ---------------------------------------------------- */

static int attach_bios(struct rotor__tls_conn *c)
{
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (!c->rbio || !c->wbio) {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        return -1;
    }
    /* An empty rbio means "no more yet", not end of file. */
    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    return 0;
}

static int set_peer_name(struct rotor__tls_conn *c, const char *host)
{
    if (!host)
        return 0;
    if (SSL_set_tlsext_host_name(c->ssl, host) != 1)
        return -1;
    if (c->tls->verify && SSL_set1_host(c->ssl, host) != 1)
        return -1;
    return 0;
}

struct rotor__tls_conn *rotor__tls_conn_new(struct rotor_tls *tls, int fd,
                                            const char *host)
{
    struct rotor__tls_conn *c = rotor__calloc(1, sizeof *c);

    if (!c) {
        rotor__fail(ROTOR_ENOMEM, "TLS: out of memory");
        return NULL;
    }
    c->fd = fd;
    c->tls = tls;
    rotor__tls_ref(tls);
    c->ssl = SSL_new(tls->ctx);
    if (!c->ssl || attach_bios(c) < 0 || set_peer_name(c, host) < 0) {
        rotor__fail(ROTOR_ENOMEM, "TLS: cannot start a session");
        rotor__tls_conn_free(c);
        return NULL;
    }
    if (tls->server) {
        SSL_set_accept_state(c->ssl);
    } else {
        SSL_set_connect_state(c->ssl);
        if (handshake(c) < 0 && errno != EAGAIN) {
            rotor__fail(ROTOR_EIO, "TLS: %s", c->reason);
            rotor__tls_conn_free(c);
            return NULL;
        }
    }
    return c;
}

void rotor__tls_conn_free(struct rotor__tls_conn *c)
{
    if (!c)
        return;
    SSL_free(c->ssl);           /* and the BIOs it took */
    rotor__tls_unref(c->tls);
    rotor__free(c->pend);
    rotor__free(c);
    ERR_clear_error();
}

unsigned rotor__tls_wants(const struct rotor__tls_conn *c)
{
    unsigned w = 0;

    if (c->plen > 0 || BIO_ctrl_pending(c->wbio) > 0)
        w |= ROTOR__TLS_WANT_WRITE;
    if (!c->ready || c->want_read)
        w |= ROTOR__TLS_WANT_READ;
    return w;
}

bool rotor__tls_ready(const struct rotor__tls_conn *c)
{
    return c->ready;
}

bool rotor__tls_buffered(const struct rotor__tls_conn *c)
{
    return !c->failed && !c->peer_closed &&
           (SSL_pending(c->ssl) > 0 || BIO_ctrl_pending(c->rbio) > 0);
}

int rotor__tls_close(struct rotor__tls_conn *c)
{
    if (c->ready && !c->failed)
        SSL_shutdown(c->ssl);   /* queues close_notify into wbio */
    ERR_clear_error();
    return rotor__tls_flush(c);
}

const char *rotor__tls_reason(const struct rotor__tls_conn *c)
{
    return c->reason;
}

const char *rotor__tls_alpn(const struct rotor__tls_conn *c)
{
    static _Thread_local char name[256];
    const unsigned char *p;
    unsigned len;

    SSL_get0_alpn_selected(c->ssl, &p, &len);
    memcpy(name, p ? (const char *)p : "", p ? len : 0);
    name[p ? len : 0] = '\0';
    return name;
}

#endif /* HAVE_OPENSSL */
