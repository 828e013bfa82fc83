/*
 * <rotor/http.h>: librotor-http, an HTTP/1.1 server on rotor machines.
 *
 * The concept: the protocol is machines (grammars/http.rsm: a listener
 * and one http_conn per connection), and the application is one routing
 * function.  The server does the protocol: request heads (a strict
 * parser, limits, deadlines), bodies (Content-Length or chunked),
 * keep-alive, pipelining, the framing of the answers and every error
 * answer.  For each request head the routing function picks a handler,
 * and the handler says how it wants the body:
 *
 *   HTTP_WANT_IGNORE   read and dropped (at most body_max bytes)
 *   HTTP_WANT_BUFFER   collected; http_body() holds it when `respond` runs
 *   HTTP_WANT_STREAM   given to `chunk` piece by piece as it arrives
 *
 * A body over the handler's body_max gets 413 and a close.  Once the
 * whole request is in, `respond` runs and answers with http_respond()
 * (Content-Length), http_respond_prepared() (an answer formatted once)
 * or http_respond_start/_chunk/_end (chunked; to an HTTP/1.0 client the
 * body is sent as is and the connection closed).  The answer is complete
 * when `respond` returns (a handler that answered nothing gets a 500
 * sent for it), unless the handler deferred it with http_defer(): then
 * it comes later, from another machine on the same loop.
 *
 * Everything is called on the connection's loop thread.  An exchange and
 * what its accessors return are valid only during the call they are given
 * to, or for a deferred answer (http_defer) until it ends.  The routing
 * function may run on several threads at once (one loop per thread):
 * what it shares must be thread-safe.
 *
 * Link with librotor-http and librotor (pkg-config rotor-http); the
 * guide is doc/http.md, or rotor-http(3).  Failures of the calls that
 * start a server follow <rotor/error.h> (rotor_last_code(),
 * rotor_last_error()); the answer calls return 0 or -1.
 */
#ifndef ROTOR_HTTP_H
#define ROTOR_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rotor_loop;
struct rotor_ref;
struct rotor_tls;
struct http_machines;

/* The request methods the server tells apart (http_method()); the
 * method token itself is http_method_name(). */
enum http_method {
    HTTP_OTHER, HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE,
    HTTP_CONNECT, HTTP_OPTIONS, HTTP_TRACE, HTTP_PATCH
};

/* One request and its answer (opaque). */
struct http_exchange;

/* How a handler takes the request's body. */
enum http_want {
    HTTP_WANT_IGNORE,
    HTTP_WANT_BUFFER,
    HTTP_WANT_STREAM
};

struct http_handler {
    enum http_want want;
    uint64_t body_max;      /* body bytes accepted; more: 413 and a close */
    /* HTTP_WANT_STREAM: the next piece of the body (chunked: decoded). */
    void (*chunk)(struct http_exchange *x, const char *data, size_t len);
    /* The request is complete: answer it, or defer the answer
     * (http_defer). */
    void (*respond)(struct http_exchange *x);
    /* Deferred answers only (may be NULL).  `writable`: the client has
     * taken the output that http_answer_full() said was too much down
     * to the low mark: produce more.  `aborted`: the answer will not
     * end (the connection ended, or HTTP_DEFER_TIMEOUT passed before it
     * began): forget the exchange, it is gone when this returns. */
    void (*writable)(struct http_exchange *x);
    void (*aborted)(struct http_exchange *x);
    /* HTTP_WANT_STREAM, a request with a body (may be NULL): the head is
     * in, before the first chunk.  The handler may start its work here
     * and defer the answer (http_defer), which may then begin, and even
     * end, while the body still comes (a proxy relaying an upstream that
     * answers early); `respond` still runs once the body is whole.  An
     * answer that ends before the body does ends the exchange: the rest
     * of the body is not read, `respond` is not called, and the
     * connection closes after the answer.  So does one given whole in
     * `begin` itself. */
    void (*begin)(struct http_exchange *x);
};

/* Picks the handler for a request head; NULL answers 404. */
typedef const struct http_handler *http_route_fn(struct http_exchange *x,
                                                 void *app);

struct http_server {
    http_route_fn *route;
    void *app;                  /* given to route, see http_app() */
    /* Deadlines, in seconds; the defaults are http.rsm's constants. */
    unsigned head_timeout;      /* for a whole request head: 10 */
    unsigned idle_timeout;      /* idle between requests: 60 */
    unsigned max_requests;      /* per connection, then close: 10000 */
    struct rotor_tls *tls;      /* a server context: HTTPS; NULL: HTTP */
    /* A proxy's name for itself (RFC 9110 7.6.3: a pseudonym such as
     * "rotor", or host[:port]): relayed answers (http_respond_relay())
     * get "Via: 1.1 rotor", joined to the upstream's Via.  NULL: none. */
    const char *via;
    struct http_machines *machines;     /* private (http_server_listen) */
    size_t via_len;                     /* private (http_server_listen) */
};

/* ---- the server ------------------------------------------------------ */

/* Fills *srv with the defaults and the routing function.  Cannot fail. */
void http_server_init(struct http_server *srv, http_route_fn *route,
                      void *app);

/* Starts listening on fd (bound, listening: rotor_listen_socket()) in
 * loop, whose context (struct rotor_config's) must be the struct
 * http_server.  Set its head_timeout and idle_timeout before the first
 * call and keep them; make the calls before the loops run in other
 * threads.  Returns the listener's reference; on failure one that
 * rotor_ref_valid() refuses and the socket is closed: out of memory for
 * the machines of deadlines other than the defaults (made once per
 * server), a via that is not a Via received-by (ROTOR_EINVAL), or a
 * failure of rotor_listen() (loop NULL: ROTOR_EINVAL),
 * whose rotor_last_code() and rotor_last_error() tell it. */
struct rotor_ref http_server_listen(struct rotor_loop *loop, int fd);

/* Frees what http_server_listen() made, once the loops are gone.  srv
 * NULL is allowed. */
void http_server_fini(struct http_server *srv);

/* ---- the request ---------------------------------------------------- */

/* The request's method (HTTP_OTHER for one not listed). */
enum http_method http_method(const struct http_exchange *x);
/* The method token and the request target as sent (not NUL-terminated);
 * *len is their length.  Never NULL. */
const char *http_method_name(const struct http_exchange *x, size_t *len);
const char *http_target(const struct http_exchange *x, size_t *len);
/* 0 for HTTP/1.0, 1 for HTTP/1.1. */
int http_minor(const struct http_exchange *x);
/* The value of the first field called lname (lower case), not
 * NUL-terminated, *len its length; NULL when there is none. */
const char *http_field(const struct http_exchange *x, const char *lname,
                       size_t *len);
/* The number of header fields, and the i-th (0-based) as sent (name in
 * its case, value trimmed; not NUL-terminated): 0, or -1 when i is out of
 * range.  For forwarding a request whole (a proxy). */
size_t http_field_count(const struct http_exchange *x);
int http_field_at(const struct http_exchange *x, size_t i,
                  const char **name, size_t *name_len,
                  const char **value, size_t *value_len);
/* HTTP_WANT_BUFFER, in `respond`: the whole body, *len its length (NULL
 * and 0 if empty, or for the other modes). */
const char *http_body(struct http_exchange *x, size_t *len);
/* Body bytes received so far. */
uint64_t http_body_length(const struct http_exchange *x);
/* The request's Content-Length; -1 for a chunked body (0: no body). */
int64_t http_content_length(const struct http_exchange *x);
/* HTTP_WANT_STREAM: back-pressure on the body.  After http_body_pause()
 * (typically from `chunk`, when the body's consumer is full) no more of
 * the body is read, so the client's sending stops at TCP's window, and
 * `chunk` is not called, until http_body_resume().  No body deadline
 * runs meanwhile.  Return 0, or -1 outside a body being read. */
int http_body_pause(struct http_exchange *x);
int http_body_resume(struct http_exchange *x);
/* The server's app pointer (struct http_server's app). */
void *http_app(const struct http_exchange *x);
/* HTTP_SCRATCH bytes for the handler, zeroed for each request, aligned
 * for any type up to 16 bytes.  Never NULL. */
#define HTTP_SCRATCH 64
void *http_scratch(struct http_exchange *x);

/* ---- the answer ------------------------------------------------------ */

struct http_header {
    const char *name;       /* a token */
    const char *value;      /* no CR, LF or other control byte but HTAB */
};

/* Answers with status (200-599), headers and a body of len bytes, framed
 * with Content-Length (no body is sent for HEAD, 204 and 304).  Date,
 * Content-Length and Connection are the server's: naming them, or
 * Transfer-Encoding, in headers is refused like a bad name or value.
 * Returns 0, or -1 when refused (nothing is sent) or already answered. */
int http_respond(struct http_exchange *x, int status,
                 const struct http_header *headers, size_t nheaders,
                 const void *body, size_t len);

/* An answer prepared once (validated and formatted) and sent many times
 * with one copy: the fast path for fixed answers.  Date and Connection
 * are added when it is sent. */
struct http_prepared {
    char *pre;              /* status line, headers, Content-Length */
    char *post;             /* CRLF and the body */
    size_t pre_len, post_len;
};

/* Prepares an answer, as http_respond() would send it.  Returns 0, or -1
 * when refused (what http_respond() refuses) or out of memory. */
int http_prepare(struct http_prepared *p, int status,
                 const struct http_header *headers, size_t nheaders,
                 const void *body, size_t len);
/* Frees what http_prepare() made; p NULL is allowed. */
void http_prepared_free(struct http_prepared *p);

/* Answers with a prepared answer.  Returns 0, or -1 when the exchange
 * was already answered. */
int http_respond_prepared(struct http_exchange *x,
                          const struct http_prepared *p);

/* The same, in pieces: a chunked body (HTTP/1.1), or a body delimited by
 * closing the connection (HTTP/1.0).  Empty chunks are skipped; _end
 * finishes the body.  Each returns 0, or -1: _start when refused (as
 * http_respond()) or already answered, _chunk and _end when no answer
 * was started or it has ended. */
int http_respond_start(struct http_exchange *x, int status,
                       const struct http_header *headers, size_t nheaders);
int http_respond_chunk(struct http_exchange *x, const void *data, size_t len);
int http_respond_end(struct http_exchange *x);

/* The same with a body of len bytes known in advance (a proxy relaying a
 * Content-Length): the head says Content-Length, the pieces go as they
 * are.  _chunk refuses (-1) what would go past len; _end before len bytes
 * is http_respond_abort() (but for HEAD, whose answer has no body: the
 * head says the length a GET would get).  Returns as http_respond_start() (204 and 304
 * are refused: they have no body). */
int http_respond_start_sized(struct http_exchange *x, int status,
                             const struct http_header *headers,
                             size_t nheaders, uint64_t len);

/* Closes the connection after this answer (sends Connection: close).
 * Cannot fail. */
void http_close_after(struct http_exchange *x);

/* Ends an answer begun with http_respond_start() that cannot be finished
 * (a proxy's upstream failed mid-body): no last chunk is sent, and the
 * connection closes after what was, so the client sees the body cut
 * short.  Returns 0, or -1 when no answer was started or it has ended. */
int http_respond_abort(struct http_exchange *x);

/* Relays an upstream's response (a proxy; <rotor/http-client.h>, from
 * on_chunk's first call, or on_response): answers with its status and
 * fields as they came, less the hop-by-hop ones (Connection and the
 * fields it names, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization)
 * and those the server writes (Content-Length, Date), plus the extra
 * fields (at most 8): one named like relayed ones is joined to the last
 * of them as a list element (Via: "1.1 a, 1.1 rotor").  The body follows
 * with http_respond_chunk() and http_respond_end(), sized by the
 * response's Content-Length when it has one (a HEAD answer gets the
 * length and no body), else chunked; none for 204 and 304.  The fields
 * are not copied first, nor checked again (the client's parser did).
 * Returns 0, or -1 as http_respond_start() (or an extra field that is
 * malformed or hop-by-hop). */
struct http_response;
int http_respond_relay(struct http_exchange *x, const struct http_response *res,
                       const struct http_header *extra, size_t nextra);

/* The client's address as text ("192.0.2.1", "2001:db8::1") in buf (len
 * bytes; INET6_ADDRSTRLEN is enough), for X-Forwarded-For and logs.
 * Returns its length, or -1 when the connection is not over IP or buf is
 * too small. */
int http_remote_addr(const struct http_exchange *x, char *buf, size_t len);

/* ---- deferred answers ------------------------------------------------ */

/* In `respond`: the answer comes later, from an action of another
 * machine on this loop (an upstream connection, a future's resolution)
 * or a callback the runtime runs there: the exchange and its accessors
 * stay valid until the answer ends or the handler's `aborted` runs.  The
 * connection takes no other request meanwhile (a pipelined one waits);
 * it still reads, so a reset ends it at once (`aborted`) and a half-close
 * only closes it after the answer.  The answer calls above work as usual; an answer that has not begun within
 * 60 s (HTTP_DEFER_TIMEOUT) gets a 504.  Returns 0, or -1 outside
 * `respond` (or `begin`), when already answered or deferred, or out of
 * memory (the head is kept). */
int http_defer(struct http_exchange *x);

/* For a deferred answer sent in pieces: whether the client has more than
 * 64 KiB (HTTP_ANSWER_HIGH) of it still to take.  If so, stop producing
 * until the handler's `writable` runs (at 16 KiB); a client that takes
 * nothing for 60 s (HTTP_SEND_TIMEOUT) meanwhile is dropped. */
bool http_answer_full(struct http_exchange *x);

#ifdef __cplusplus
}
#endif

/* The client: http_client_new(), http_client_request(), ... */
#include "http-client.h"

#endif /* ROTOR_HTTP_H */
