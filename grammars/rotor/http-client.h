/*
 * <rotor/http-client.h>: librotor-http's HTTP/1.1 client (also included
 * by <rotor/http.h>).
 *
 * The concept: a struct http_client belongs to one loop and keeps a
 * keep-alive pool per host:port.  http_client_request() sends a request
 * on an idle connection of the pool, or on a new one (one machine per
 * connection, grammars/http-client.rsm: connect, send, read the head,
 * read the body, back to the pool or close), and calls the callback
 * exactly once with the response or a negative error code.  The
 * response's body is collected whole (up to body_max), or given piece by
 * piece to the request's on_chunk.  A future variant resolves a promise
 * with a copy of the response, for callers that are machines
 * (<rotor/future.h>).  Requests are not pipelined: a connection carries
 * one request at a time.
 *
 * Everything is called on the loop's thread: http_client_request() from
 * an action, a callback, or outside rotor_loop_run().  A response object
 * and what its accessors return are valid only during the call it is
 * given to.  Link with librotor-http (pkg-config rotor-http); the guide
 * is doc/http.md, "The client".
 *
 * Errors follow <rotor/error.h>: calls return 0 or a negative code, NULL
 * plus rotor_last_code().  The codes a request can end with are:
 *
 *   HTTP_CLIENT_EPROTO     a malformed response (http_response_error_text()
 *                          says what: bad status line, both Content-Length
 *                          and Transfer-Encoding, bad chunk, bare CR, ...)
 *   HTTP_CLIENT_ETOOBIG    the head or the body over the client's limits
 *   HTTP_CLIENT_ETIMEDOUT  the connect or response deadline passed
 *   HTTP_CLIENT_ECLOSED    the server closed before the whole response
 *   HTTP_CLIENT_ECANCELED  the client was freed before the response came
 *   ROTOR_ERESOLVE, -ECONNREFUSED, ...  the connection could not be made
 *                          (rotor_strerror() words every code)
 */
#ifndef ROTOR_HTTP_CLIENT_H
#define ROTOR_HTTP_CLIENT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_loop;
struct rotor_promise;
struct rotor_tls;
struct http_header;         /* <rotor/http.h>: { name, value } */
struct http_exchange;       /* <rotor/http.h>: a request the server took */

#define HTTP_CLIENT_EPROTO    (-EPROTO)
#define HTTP_CLIENT_ETOOBIG   (-EMSGSIZE)
#define HTTP_CLIENT_ETIMEDOUT (-ETIMEDOUT)
#define HTTP_CLIENT_ECLOSED   (-ECONNRESET)
#define HTTP_CLIENT_ECANCELED (-ECANCELED)

/* Limits and deadlines; http_client_config_init() gives the defaults
 * (the constants of grammars/http-client.rsm).  Durations in ms. */
struct http_client_config {
    uint32_t connect_timeout;   /* to connect (names resolved too): 10000 */
    uint32_t response_timeout;  /* from the request sent to its whole
                                   response head: 30000 */
    uint32_t body_timeout;      /* without a byte of body: 30000 */
    uint32_t idle_timeout;      /* a pooled connection unused, closed: 30000 */
    uint32_t head_max;          /* bytes of a response head: 16384 */
    uint64_t body_max;          /* bytes of a collected body, or streamed
                                   through on_chunk: 8 MiB */
    unsigned max_idle_per_host; /* pooled connections per host:port: 4
                                   (0: no keep-alive) */
    /* Relayed requests (a request's `relay`; a proxy): via, the proxy's
     * name for itself (RFC 9110 7.6.3: a pseudonym such as "rotor", or
     * host[:port]), adds "Via: 1.1 rotor" (the relayed request's
     * version); forwarded_for adds the relayed client's address to
     * X-Forwarded-For ("unknown" when it is not over IP).  Each is
     * joined to a field of that name.  NULL, false: none (the default). */
    const char *via;
    bool forwarded_for;
};

/* The response (opaque); see the accessors below. */
struct http_response;

/* Called once per request: err 0 and a complete response, or err < 0
 * (the codes above) and res with what arrived (status 0 when no head
 * did).  arg is the request's. */
typedef void http_response_fn(int err, const struct http_response *res,
                              void *arg);

/* Streams the body: called with each piece of it as it arrives (chunked:
 * decoded), first with len 0 as soon as the head is in; then the
 * response callback ends the exchange (the body is not collected). */
typedef void http_chunk_fn(const struct http_response *res,
                           const char *data, size_t len, void *arg);

/* How the request's body is given (struct http_client_request's
 * body_stream). */
enum http_body_source {
    HTTP_BODY_WHOLE,            /* body and body_len, with the request */
    HTTP_BODY_STREAM_SIZED,     /* body_len bytes, written later with
                                   http_call_write(): Content-Length */
    HTTP_BODY_STREAM_CHUNKED    /* any length, written later: chunked */
};

/* A streamed request body's writer may write again (see
 * http_call_write_full()); arg is the request's. */
typedef void http_writable_fn(void *arg);

/* A request; copied by http_client_request(), so it may live on the
 * caller's stack. */
struct http_client_request {
    const char *method;         /* a token: "GET", "POST", ...; NULL: GET */
    const char *host;           /* a name or a numeric address */
    const char *port;           /* NULL: "80" */
    const char *target;         /* origin-form, "/path?query"; NULL: "/" */
    const struct http_header *headers;  /* the client writes Host,
                                   Content-Length and Connection itself */
    size_t nheaders;
    const void *body;           /* sent with Content-Length */
    size_t body_len;
    /* HTTP_BODY_STREAM_*: the body is written after the start, piece by
     * piece (a proxy relaying an upload as it comes): body is unused,
     * the request is never retried, and on_writable (may be NULL) is
     * called when the server has taken what http_call_write_full() said
     * was too much. */
    enum http_body_source body_stream;
    http_writable_fn *on_writable;
    /* Relaying (a proxy): the fields of this request the server took go
     * on as they came, less the hop-by-hop ones (see http_respond_relay()
     * in <rotor/http.h>), with headers (at most 8) joined to or added
     * after them (X-Forwarded-For: "a, 192.0.2.1"); a NULL method or
     * target is the request's own.  Nothing of it is copied or checked
     * first.  Used while the call starts only. */
    const struct http_exchange *relay;
    http_chunk_fn *on_chunk;    /* NULL: the body is collected */
    struct rotor_tls *tls;      /* HTTPS: a client context (<rotor/tls.h>,
                                   rotor_tls_client_new()) that verifies the
                                   server against host; the port defaults
                                   to 443.  NULL: HTTP.  It must outlive
                                   the client's connections. */
};

/* Fills *cfg with the defaults.  Cannot fail. */
void http_client_config_init(struct http_client_config *cfg);

/* A client for loop (cfg NULL: the defaults).  NULL on failure:
 * ROTOR_EINVAL (loop NULL, a duration 0, head_max under 64, a via that
 * is not a Via received-by),
 * ROTOR_ENOMEM. */
struct http_client *http_client_new(struct rotor_loop *loop,
                                    const struct http_client_config *cfg);

/* Ends every connection of the client (a request still open gets
 * HTTP_CLIENT_ECANCELED) and frees it.  Call it before
 * rotor_loop_free().  NULL is accepted. */
void http_client_free(struct http_client *c);

/* Sends req; on_response(err, res, arg) is called exactly once, never
 * before this returns.  Returns 0; ROTOR_EINVAL (no host, a method that
 * is not a token, a target or header with a control byte, a header the
 * client writes itself), ROTOR_ENOMEM, or the codes of rotor_spawn()
 * (then on_response is not called). */
int http_client_request(struct http_client *c,
                        const struct http_client_request *req,
                        http_response_fn *on_response, void *arg);

/* A request in flight, from http_client_start() until its on_response
 * has run (then the pointer is stale). */
struct http_call;

/* As http_client_request(), and *call (when call is not NULL) names the
 * request, for the calls below.  *call is NULL when this fails. */
int http_client_start(struct http_client *c,
                      const struct http_client_request *req,
                      http_response_fn *on_response, void *arg,
                      struct http_call **call);

/* Back-pressure for a streamed body: after http_call_pause() (typically
 * from on_chunk) no more of the body is read, so the server's sending
 * stops at TCP's window, until http_call_resume().  Neither deadline
 * runs meanwhile.  Return 0, or ROTOR_EINVAL (call NULL; pause: the
 * request has no on_chunk). */
int http_call_pause(struct http_call *call);
int http_call_resume(struct http_call *call);

/* A streamed body (HTTP_BODY_STREAM_*): http_call_write() queues a
 * piece (a copy) for the server, http_call_write_end() ends the body; in
 * between, any number of writes, from anywhere on the loop's thread,
 * also before the connection is up.  A server that answers before the
 * body has ended gets no more of it: the writes that follow are dropped
 * (and return 0), and the connection is not reused.  Return 0, or
 * ROTOR_EINVAL: not a streamed body, written after its end, more bytes
 * than body_len (SIZED), or an end before body_len bytes (then cancel
 * the call).  While no body is being written (the server is slow to take
 * it), the send deadline, the client's response_timeout, runs. */
int http_call_write(struct http_call *call, const void *data, size_t len);
int http_call_write_end(struct http_call *call);
/* Whether more than 64 KiB (HTTP_CLIENT_SEND_HIGH) of the body is still
 * queued for the server.  If so, write no more until on_writable (at 16
 * KiB).  call NULL: false. */
bool http_call_write_full(struct http_call *call);

/* Gives the request up: its on_response is never called, and its
 * connection (if it has begun) is closed rather than reused, since the
 * rest of the response would still come on it.  From anywhere on the
 * loop's thread, on_chunk included.  call NULL is accepted. */
void http_call_cancel(struct http_call *call);

/* Connections the client has opened so far (a measure of keep-alive:
 * N requests on one pooled connection count 1). */
unsigned long http_client_connections(const struct http_client *c);

/* ---- the response --------------------------------------------------- */

/* The status code (100-599 for a response; 0: no head came). */
int http_response_status(const struct http_response *res);
/* The reason phrase as sent (not NUL-terminated), *len its length. */
const char *http_response_reason(const struct http_response *res,
                                 size_t *len);
/* 0 for HTTP/1.0, 1 for HTTP/1.1. */
int http_response_minor(const struct http_response *res);
/* The value of the first field called lname (lower case), not
 * NUL-terminated, *len its length; NULL when there is none. */
const char *http_response_header(const struct http_response *res,
                                 const char *lname, size_t *len);
/* The number of header fields, and the i-th (0-based) as sent: 0, or
 * ROTOR_EINVAL when i is out of range. */
size_t http_response_header_count(const struct http_response *res);
int http_response_header_at(const struct http_response *res, size_t i,
                            const char **name, size_t *name_len,
                            const char **value, size_t *value_len);
/* The collected body (NULL and 0 when empty, or streamed). */
const char *http_response_body(const struct http_response *res,
                               size_t *len);
/* Body bytes received (also when streamed). */
uint64_t http_response_body_length(const struct http_response *res);
/* 0, or the error code the request ended with; and its words: the
 * parser's detail for HTTP_CLIENT_EPROTO and _ETOOBIG, else
 * rotor_strerror()'s. */
int http_response_error(const struct http_response *res);
const char *http_response_error_text(const struct http_response *res);

/* ---- the future variant ---------------------------------------------- */

/* The value a promise is resolved with: a copy of the response that the
 * taker owns (free it with http_result_free(), which is also the value's
 * destructor when nobody takes it).  Its accessors are the ones above,
 * through http_result_response(). */
struct http_result;

/* Sends req like http_client_request() and resolves promise with a
 * struct http_result * when it ends, whatever the outcome (the error is
 * in it); the client takes the promise over and frees it.  For a
 * machine: rotor_future_new(s, tag, &f, &p) in an action, then this; its
 * `resolved` brings the result (rotor_future_take()).  Returns 0, or the
 * codes of http_client_request() (then the promise is still the
 * caller's).  req->on_chunk must be NULL (ROTOR_EINVAL). */
int http_client_request_future(struct http_client *c,
                               const struct http_client_request *req,
                               struct rotor_promise *promise);

const struct http_response *http_result_response(const struct http_result *r);
void http_result_free(void *result);

#ifdef __cplusplus
}
#endif

#endif /* ROTOR_HTTP_CLIENT_H */
