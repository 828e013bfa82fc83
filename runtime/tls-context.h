/*
 * tls-context.h: the inside of struct rotor_tls, shared by tls-context.c
 * (contexts) and tls.c (sessions).  Only with OpenSSL.
 */
#ifndef ROTOR_TLS_CONTEXT_H
#define ROTOR_TLS_CONTEXT_H

#ifdef HAVE_OPENSSL

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct rotor_tls {
    SSL_CTX       *ctx;
    atomic_uint    refs;      /* the maker's and one per session */
    bool           server;
    bool           verify;    /* client: check the server's name too */
    unsigned char *alpn;      /* wire format, or NULL */
    size_t         alpn_len;
};

void rotor__tls_ref(struct rotor_tls *tls);
void rotor__tls_unref(struct rotor_tls *tls);

/* OpenSSL's oldest queued error as text into buf, else `fallback`;
 * empties OpenSSL's error queue.  Returns buf. */
const char *rotor__tls_openssl_reason(char *buf, size_t len,
                                      const char *fallback);

#endif /* HAVE_OPENSSL */

#endif
