/*
 * tls-internal.h: one TLS session over a non-blocking descriptor, for the
 * stream layer.
 *
 * The session sits between the stream's buffers and its socket: the
 * stream hands it plaintext to encrypt and asks it for plaintext to
 * read, exactly where a plain stream calls writev() and readv().  It
 * talks to OpenSSL through two memory BIOs and does the socket I/O
 * itself, so the stream keeps its own evbuffers, expectations and
 * zero-copy input paths (doc/internals.md says why not bufferevent).
 *
 * A session may need to read before it can write (during the handshake)
 * and to write while the stream only reads (handshake replies, session
 * tickets): rotor__tls_wants() tells the stream which readiness to watch.
 */
#ifndef ROTOR_TLS_INTERNAL_H
#define ROTOR_TLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct rotor_tls;
struct rotor__tls_conn;

#define ROTOR__TLS_WANT_READ  0x1u
#define ROTOR__TLS_WANT_WRITE 0x2u

/* Starts a session on fd (non-blocking, connected) with the context's
 * role.  host: a client's server name (SNI, and the name its certificate
 * must carry when the context verifies); NULL for a server.  A client
 * sends its hello at once.  Returns NULL on failure (rotor_last_code()). */
struct rotor__tls_conn *rotor__tls_conn_new(struct rotor_tls *tls, int fd,
                                            const char *host);
void rotor__tls_conn_free(struct rotor__tls_conn *c);

/* Plaintext into iov: > 0 bytes; 0 when the peer has closed (its
 * close_notify, or end of file after the handshake); -1 with errno:
 * EAGAIN (nothing yet: watch what rotor__tls_wants() says), EPROTO (the
 * session failed: rotor__tls_reason()), or the socket's errno. */
ssize_t rotor__tls_readv(struct rotor__tls_conn *c, const struct iovec *iov,
                         int n);

/* Encrypts all of iov and sends what the kernel takes: returns the
 * plaintext bytes taken (all or none), or -1 with errno: EAGAIN (the
 * handshake is not over, or much ciphertext still waits: retry when
 * rotor__tls_wants() allows), EPROTO, or the socket's errno. */
ssize_t rotor__tls_writev(struct rotor__tls_conn *c, const struct iovec *iov,
                          int n);

/* Sends ciphertext that waits.  0 when none is left; -1 with errno
 * EAGAIN (the kernel refused some: wait for writability) or another. */
int rotor__tls_flush(struct rotor__tls_conn *c);

/* ROTOR__TLS_WANT_* bits: what must happen before the session can move
 * (ciphertext waits to be sent; the handshake waits for the peer). */
unsigned rotor__tls_wants(const struct rotor__tls_conn *c);

/* True when plaintext or ciphertext is buffered inside the session: a
 * read would give bytes although the socket may have none. */
bool rotor__tls_buffered(const struct rotor__tls_conn *c);

/* True once the handshake is over. */
bool rotor__tls_ready(const struct rotor__tls_conn *c);

/* Queues close_notify and tries to send it; the socket stays open.
 * Returns what rotor__tls_flush() returns. */
int rotor__tls_close(struct rotor__tls_conn *c);

/* Why the session failed ("" while it has not): OpenSSL's reason, the
 * certificate check's, or ours ("peer closed during the handshake"). */
const char *rotor__tls_reason(const struct rotor__tls_conn *c);

/* The protocol ALPN settled on ("" when none). */
const char *rotor__tls_alpn(const struct rotor__tls_conn *c);

#endif
