/*
 * tls-context.c: TLS contexts (struct rotor_tls): what a server or a
 * client shares between its connections, on OpenSSL's SSL_CTX.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "rotor-internal.h"
#include "rotor/tls.h"
#include "tls-context.h"

void rotor_tls_config_init(struct rotor_tls_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->verify = true;
}

#ifndef HAVE_OPENSSL

bool rotor_tls_available(void)
{
    return false;
}

struct rotor_tls *rotor_tls_server_new(const struct rotor_tls_config *cfg)
{
    (void)cfg;
    rotor__fail(ROTOR_ENOTSUP, "rotor_tls_server_new: built without TLS");
    return NULL;
}

struct rotor_tls *rotor_tls_client_new(const struct rotor_tls_config *cfg)
{
    (void)cfg;
    rotor__fail(ROTOR_ENOTSUP, "rotor_tls_client_new: built without TLS");
    return NULL;
}

void rotor_tls_free(struct rotor_tls *tls)
{
    (void)tls;
}

#else /* HAVE_OPENSSL */

#include <openssl/err.h>
#include <openssl/ssl.h>

bool rotor_tls_available(void)
{
    return true;
}

/* OpenSSL's oldest queued reason, or `fallback`; clears the queue so
 * that a later failure does not report this one. */
const char *rotor__tls_openssl_reason(char *buf, size_t len,
                                      const char *fallback)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        snprintf(buf, len, "%s", fallback);
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

static struct rotor_tls *fail_ctx(struct rotor_tls *tls, int code,
                                  const char *what)
{
    char why[160];

    rotor__fail(code, "%s: %s", what,
                rotor__tls_openssl_reason(why, sizeof why, "failed"));
    rotor__tls_unref(tls);
    return NULL;
}

/* "a,bc" -> "\1a\2bc", the wire format of ALPN lists.  -1 when a name
 * is empty or longer than 255 bytes. */
static int alpn_wire(const char *list, unsigned char **out, size_t *len)
{
    size_t n = strlen(list);
    unsigned char *w = rotor__malloc(n + 1);

    if (!w)
        return ROTOR_ENOMEM;
    size_t o = 0;
    for (const char *p = list;;) {
        const char *end = strchr(p, ',');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == 0 || l > 255) {
            rotor__free(w);
            return ROTOR_EINVAL;
        }
        w[o++] = (unsigned char)l;
        memcpy(w + o, p, l);
        o += l;
        if (!end)
            break;
        p = end + 1;
    }
    *out = w;
    *len = o;
    return 0;
}

/* A server picks the first of its own protocols that the client offers;
 * a client that offers none of them gets no ALPN (not a failure: an
 * HTTP/1.1 server still serves it). */
static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    const struct rotor_tls *tls = arg;
    unsigned char *chosen;

    (void)ssl;
    if (SSL_select_next_proto(&chosen, outlen, tls->alpn,
                              (unsigned)tls->alpn_len, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static struct rotor_tls *ctx_new(bool server)
{
    struct rotor_tls *tls = rotor__calloc(1, sizeof *tls);

    if (!tls) {
        rotor__fail(ROTOR_ENOMEM, "rotor_tls: out of memory");
        return NULL;
    }
    atomic_init(&tls->refs, 1);
    tls->server = server;
    tls->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!tls->ctx)
        return fail_ctx(tls, ROTOR_ENOMEM, "rotor_tls");
    SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION);
    /* Renegotiation is refused: a peer could restart the handshake under
     * a machine that believes its expectations are served. */
    SSL_CTX_set_options(tls->ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(tls->ctx, SSL_MODE_RELEASE_BUFFERS);
    return tls;
}

static int set_alpn(struct rotor_tls *tls, const char *list)
{
    if (!list)
        return 0;
    int rc = alpn_wire(list, &tls->alpn, &tls->alpn_len);
    if (rc < 0)
        return rotor__fail(rc, "rotor_tls: bad ALPN list \"%s\"", list);
    if (tls->server)
        SSL_CTX_set_alpn_select_cb(tls->ctx, select_alpn, tls);
    else if (SSL_CTX_set_alpn_protos(tls->ctx, tls->alpn,
                                     (unsigned)tls->alpn_len) != 0)
        return rotor__fail(ROTOR_ENOMEM, "rotor_tls: ALPN: out of memory");
    return 0;
}

static int load_identity(struct rotor_tls *tls, const char *cert,
                         const char *key)
{
    if (!cert || !key)
        return rotor__fail(ROTOR_EINVAL, "rotor_tls_server_new: "
                           "a certificate and a key file are needed");
    if (SSL_CTX_use_certificate_chain_file(tls->ctx, cert) != 1)
        return ROTOR_EINVAL;
    if (SSL_CTX_use_PrivateKey_file(tls->ctx, key, SSL_FILETYPE_PEM) != 1)
        return ROTOR_EINVAL;
    if (SSL_CTX_check_private_key(tls->ctx) != 1)
        return ROTOR_EINVAL;
    return 0;
}

struct rotor_tls *rotor_tls_server_new(const struct rotor_tls_config *cfg)
{
    if (!cfg) {
        rotor__fail(ROTOR_EINVAL, "rotor_tls_server_new: no configuration");
        return NULL;
    }
    struct rotor_tls *tls = ctx_new(true);
    if (!tls)
        return NULL;
    if (load_identity(tls, cfg->cert_file, cfg->key_file) < 0)
        return fail_ctx(tls, ROTOR_EINVAL, "rotor_tls_server_new");
    if (cfg->ca_file) {
        if (SSL_CTX_load_verify_locations(tls->ctx, cfg->ca_file, NULL) != 1)
            return fail_ctx(tls, ROTOR_EINVAL, "rotor_tls_server_new: CA");
        SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER |
                           SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    if (set_alpn(tls, cfg->alpn) < 0) {
        rotor__tls_unref(tls);
        return NULL;
    }
    return tls;
}

struct rotor_tls *rotor_tls_client_new(const struct rotor_tls_config *cfg)
{
    if (!cfg) {
        rotor__fail(ROTOR_EINVAL, "rotor_tls_client_new: no configuration");
        return NULL;
    }
    struct rotor_tls *tls = ctx_new(false);
    if (!tls)
        return NULL;
    int ok = cfg->ca_file
        ? SSL_CTX_load_verify_locations(tls->ctx, cfg->ca_file, NULL)
        : SSL_CTX_set_default_verify_paths(tls->ctx);
    if (ok != 1)
        return fail_ctx(tls, ROTOR_EINVAL, "rotor_tls_client_new: CA");
    if (cfg->cert_file && load_identity(tls, cfg->cert_file,
                                        cfg->key_file) < 0)
        return fail_ctx(tls, ROTOR_EINVAL, "rotor_tls_client_new");
    tls->verify = cfg->verify;
    SSL_CTX_set_verify(tls->ctx, cfg->verify ? SSL_VERIFY_PEER
                                             : SSL_VERIFY_NONE, NULL);
    if (set_alpn(tls, cfg->alpn) < 0) {
        rotor__tls_unref(tls);
        return NULL;
    }
    return tls;
}

void rotor__tls_ref(struct rotor_tls *tls)
{
    atomic_fetch_add_explicit(&tls->refs, 1, memory_order_relaxed);
}

void rotor__tls_unref(struct rotor_tls *tls)
{
    if (!tls || atomic_fetch_sub_explicit(&tls->refs, 1,
                                          memory_order_acq_rel) != 1)
        return;
    SSL_CTX_free(tls->ctx);
    rotor__free(tls->alpn);
    rotor__free(tls);
}

void rotor_tls_free(struct rotor_tls *tls)
{
    rotor__tls_unref(tls);
}

#endif /* HAVE_OPENSSL */
