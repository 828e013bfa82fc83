/*
 * tls.h: TLS contexts for streams.
 *
 * A struct rotor_tls holds what many connections share: the certificate
 * chain and key of a server, the certificates a client trusts, whether
 * the peer must show a certificate, and the ALPN protocols to offer.  It
 * is made once, before the loop runs, and given to streams; each stream
 * that uses it keeps its own TLS session on top of the same evbuffers and
 * expectations as a plain stream (the machine sees plaintext only).
 *
 * librotor is built with TLS when configure finds OpenSSL 3 (libssl-dev).
 * Without it rotor_tls_available() is false and every constructor fails
 * with ROTOR_ENOTSUP.  Errors follow <rotor/error.h>.
 */
#ifndef ROTOR_TLS_H
#define ROTOR_TLS_H

#include <stdbool.h>

#include <rotor/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_tls;

/* What a context is made of.  Fill with rotor_tls_config_init(), then
 * set the fields that apply; the strings are read during the call that
 * makes the context, not kept. */
struct rotor_tls_config {
    const char *cert_file;  /* server: certificate chain, PEM, leaf first;
                               client: one to show when asked, or NULL */
    const char *key_file;   /* its private key, PEM */
    const char *ca_file;    /* client: the CAs to trust (NULL: the system
                               store); server: the CAs client certificates
                               must chain to (NULL: none asked for) */
    bool        verify;     /* client: verify the server's certificate and
                               name (default true) */
    const char *alpn;       /* protocols to offer or accept, in order of
                               preference, comma-separated ("http/1.1");
                               NULL: no ALPN */
};

/* Fills *cfg with the defaults (everything NULL, verify true). */
void rotor_tls_config_init(struct rotor_tls_config *cfg);

/* True when librotor was built with TLS. */
bool rotor_tls_available(void);

/* A server context: loads cfg->cert_file and cfg->key_file and checks
 * that they match.  Returns NULL on failure (rotor_last_code():
 * ROTOR_EINVAL for a missing or unreadable file, a bad PEM or a key that
 * does not match, with OpenSSL's words in rotor_last_error();
 * ROTOR_ENOTSUP without TLS; ROTOR_ENOMEM). */
struct rotor_tls *rotor_tls_server_new(const struct rotor_tls_config *cfg);

/* A client context: trusts cfg->ca_file, or the system store.  Returns
 * NULL on failure, with the codes of rotor_tls_server_new(). */
struct rotor_tls *rotor_tls_client_new(const struct rotor_tls_config *cfg);

/* Drops the caller's reference; the context goes when the last stream
 * using it has ended.  NULL is accepted. */
void rotor_tls_free(struct rotor_tls *tls);

/* ---- TLS on a stream ------------------------------------------------- */

/* Runs the stream of the calling machine over TLS with `tls`'s role.  A
 * server machine calls it from `create` (its socket is adopted then); a
 * client, before or after rotor_stream_connect(): the handshake starts
 * when the connection is up (`connected` still means the TCP connection;
 * nothing the machine writes leaves before the handshake is over).
 * host: a client's server name, sent as SNI and, when the context
 * verifies, checked against the certificate; NULL for a server.
 * The state's expectation is served only after the handshake: input is
 * plaintext, `flush` means handed to TLS and written, and ending the
 * machine or rotor_stream_shutdown() sends close_notify.  A failed
 * handshake or a protocol error ends in `error` with rotor_event_error()
 * EPROTO, and rotor_stream_tls_error() says why.
 * Returns 0, or ROTOR_EINVAL (not a stream machine, no context, a server
 * context with a host or a client context without one), ROTOR_EEXIST
 * (TLS already set), ROTOR_ENOTSUP (built without TLS), ROTOR_ENOMEM. */
int rotor_stream_tls(rotor_scope *s, struct rotor_tls *tls, const char *host);

/* Why the stream's TLS session failed ("" while it has not, and for a
 * stream without TLS). */
const char *rotor_stream_tls_error(rotor_scope *s);

/* The protocol ALPN settled on ("" when none, before the handshake is
 * over, and without TLS).  Valid until the next call in this thread. */
const char *rotor_stream_tls_alpn(rotor_scope *s);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_TLS_H */
