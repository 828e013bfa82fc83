/*
 * http-server.c: librotor-http's server: the actions of grammars/http.rsm
 * (an HTTP/1.1 server connection) and the handler interface of
 * <rotor/http.h> (grammars/rotor/http.h).
 *
 * The machine decides (grammars/http.rsm): each action here does its work
 * and records what came of it in struct http_conn (status, partial,
 * head_len), and the guards only read that record.
 *
 * Costs we design for: a request without a body is one dispatch (one
 * `input`: http_head_read, then http_serve), its head is parsed where it
 * lies in the input buffer, and its answer is assembled on the stack and
 * appended with one write.  Nothing is allocated per request: a
 * connection keeps its parser, its body buffer and its copy of a head
 * that must outlive its body.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <rotor/rotor.h>
#include <rotor/http.h>

#include "http-client-data.h"
#include "http-conn-data.h"
#include "http-machines.h"

#define OUT_BUF 2048

/* ---- answers ----------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* Output assembled on the stack and appended to the stream in one write
 * when it fits.  A head must fit (OUT_BUF): it is sent whole or not at
 * all, so a refused header leaves nothing half-written. */
struct out {
    rotor_scope *s;
    size_t n;
    bool in_head;           /* overflowing the buffer now is an error */
    bool err;
    char b[OUT_BUF];
};

static void out_init(struct out *o, rotor_scope *s, bool in_head)
{
    o->s = s;
    o->n = 0;
    o->in_head = in_head;
    o->err = false;
}

static void out_flush(struct out *o)
{
    if (o->n && !o->err && rotor_stream_write(o->s, o->b, o->n) < 0)
        o->err = true;
    o->n = 0;
}

static void out_put_slow(struct out *o, const void *p, size_t n);

/* Inlined: most pieces are short and fit, and a literal's copy is then
 * a few moves. */
static inline void out_put(struct out *o, const void *p, size_t n)
{
    if (o->n + n <= sizeof o->b) {
        memcpy(o->b + o->n, p, n);
        o->n += n;
        return;
    }
    out_put_slow(o, p, n);
}

static void out_put_slow(struct out *o, const void *p, size_t n)
{
    if (o->n + n > sizeof o->b) {
        if (o->in_head) {
            o->err = true;
            return;
        }
        out_flush(o);
        if (n > sizeof o->b) {
            if (!o->err && rotor_stream_write(o->s, p, n) < 0)
                o->err = true;
            return;
        }
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

#define OUT_LIT(o, lit) out_put((o), (lit), sizeof(lit) - 1)

/* The base is a constant at each call (inlined): a division by 10 or
 * 16 becomes a multiplication or a shift. */
static inline void out_u64(struct out *o, uint64_t v, unsigned base)
{
    char d[24];
    size_t i = sizeof d;

    do {
        d[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    out_put(o, d + i, sizeof d - i);
}

/* The per-thread caches below are read for every answer: initial-exec
 * puts them at a fixed offset from the thread pointer, where the default
 * model of a shared library calls __tls_get_addr at each use.  They are
 * librotor-http's only thread-locals, 144 bytes: a dlopen()ed copy takes
 * them from the static TLS room glibc keeps for such libraries (512
 * bytes by default, tunable glibc.rtld.optional_static_tls). */
#if defined(__GNUC__)
#define HOT_TLS __attribute__((tls_model("initial-exec")))
#else
#define HOT_TLS
#endif

/* "Date: ...\r\n", formatted once a second per thread (time() reads
 * the kernel's shared page: no system call). */
static _Thread_local HOT_TLS struct {
    time_t sec;
    char line[48];
    size_t len;
} date_cache = { .sec = -1 };

static struct iovec date_line(void)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now != date_cache.sec) {
        date_cache.sec = now;
        gmtime_r(&date_cache.sec, &tm);
        date_cache.len = strftime(date_cache.line, sizeof date_cache.line,
                                  "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    }
    return (struct iovec){ date_cache.line, date_cache.len };
}

/* Field names the server writes itself. */
static bool reserved(const char *name, size_t n)
{
    switch (n) {
    case 4: return !strncasecmp(name, "date", 4);
    case 10: return !strncasecmp(name, "connection", 10);
    case 14: return !strncasecmp(name, "content-length", 14);
    case 17: return !strncasecmp(name, "transfer-encoding", 17);
    default: return false;
    }
}

/* Copies "NAME: VALUE\r\n" to o after checking it; false if refused. */
static bool out_header(struct out *o, const struct http_header *h)
{
    const unsigned char *p;
    size_t nn, nv;

    if (!h->name || !h->value)
        return false;
    /* http_byte_class (http-parser.h): names are tokens, values hold no
     * CR, LF or other control byte, so an answer can never be split. */
    for (p = (const unsigned char *)h->name; http_byte_class[*p] & HTTP_TCHAR;
         p++)
        ;
    nn = (size_t)(p - (const unsigned char *)h->name);
    if (*p || nn == 0 || reserved(h->name, nn))
        return false;
    for (p = (const unsigned char *)h->value;
         http_byte_class[*p] & HTTP_VALUECHAR; p++)
        ;
    nv = (size_t)(p - (const unsigned char *)h->value);
    if (*p)
        return false;
    /* A head is built whole in o's buffer (in_head): one bound check. */
    if (o->n + nn + nv + 4 > sizeof o->b) {
        o->err = true;
        return false;
    }
    char *d = o->b + o->n;
    memcpy(d, h->name, nn);
    d += nn;
    *d++ = ':';
    *d++ = ' ';
    memcpy(d, h->value, nv);
    d += nv;
    *d++ = '\r';
    *d++ = '\n';
    o->n = (size_t)(d - o->b);
    return true;
}

static int keep_head(struct http_conn *c, const char *head, size_t n);
static void answer_wrote(struct http_exchange *x);
static void abandon(struct http_exchange *x);

enum framing { FRAME_LENGTH, FRAME_CHUNKED, FRAME_CLOSE, FRAME_NONE };

/* Tells the connection machine: from an action (another machine's),
 * queued behind it; from outside the machines (a libevent callback of
 * the loop's thread, a test), at once. */
static void tell_conn(struct http_exchange *x, int event)
{
    rotor_post(rotor_scope_loop(x->s), x->conn->self, event, NULL);
}

/* A deferred answer wrote output or ended from outside the connection's
 * own dispatch: the machine sends it (answer_more, answer_done in
 * http.rsm).  One answer_more at a time is enough: its dispatch sends
 * everything written before it. */
static void answer_wrote(struct http_exchange *x)
{
    struct http_conn *c = x->conn;

    if (!x->deferred || x->in_respond)
        return;
    if (x->answer == HTTP_ANSWER_DONE) {
        if (!c->wake_queued)    /* else answer_more tells it */
            tell_conn(x, http_conn_ev_answer_done);
    } else if (!c->wake_queued) {
        c->wake_queued = 1;
        tell_conn(x, http_conn_ev_answer_more);
    }
}

/* Whether the handler may answer now; decides on the connection. */
static int answer_check(struct http_exchange *x, int status)
{
    if (x->answer != HTTP_ANSWER_NONE || status < 200 || status > 599)
        return -1;
    struct http_conn *c = x->conn;
    /* Answered in `begin`: the body will not be read. */
    if (!c->parser.req.keep_alive || c->served >= c->srv->max_requests ||
        (c->body_open && x->in_respond))
        x->close = 1;
    return 0;
}

/* The status line of the last status answered on this thread: most
 * answers repeat it. */
static _Thread_local HOT_TLS struct {
    int status;
    size_t len;
    char line[64];
} status_cache;

static void out_status(struct out *o, int status)
{
    if (status_cache.status != status) {
        int n = snprintf(status_cache.line, sizeof status_cache.line,
                         "HTTP/1.1 %03d %s\r\n", status, reason(status));
        status_cache.len = (size_t)n;
        status_cache.status = status;
    }
    out_put(o, status_cache.line, status_cache.len);
}

#define IOV_LIT(lit) ((struct iovec){ (void *)(lit), sizeof(lit) - 1 })

/* Date and Connection: the end of every head we send, as 1 or 2 pieces
 * in v. */
static int head_end(const struct http_exchange *x, struct iovec *v)
{
    v[0] = date_line();
    if (x->close)
        v[1] = IOV_LIT("Connection: close\r\n");
    else if (x->conn->parser.req.minor == 0)
        v[1] = IOV_LIT("Connection: keep-alive\r\n");
    else
        return 1;
    return 2;
}

static void out_head_end(struct http_exchange *x, struct out *o)
{
    struct iovec v[2];
    int n = head_end(x, v);

    for (int i = 0; i < n; i++)
        out_put(o, v[i].iov_base, v[i].iov_len);
}

/* Relayed fields (http_respond_relay), written into the head's buffer. */
static bool out_relayed(struct out *o, const struct http_relay *rl)
{
    if (o->n + rl->size > sizeof o->b) {
        o->err = true;
        return false;
    }
    o->n = (size_t)(http__relay_write(rl, o->b + o->n) - o->b);
    return true;
}

/* The head of an answer, its fields given (h) or relayed (rl); false
 * (o->err) when refused. */
static bool write_head_of(struct http_exchange *x, struct out *o, int status,
                          const struct http_header *h, size_t nh,
                          const struct http_relay *rl,
                          enum framing fr, uint64_t len)
{
    out_status(o, status);
    if (rl && !out_relayed(o, rl))
        return false;
    for (size_t i = 0; i < nh; i++)
        if (!out_header(o, &h[i]))
            return false;
    if (fr == FRAME_LENGTH) {
        OUT_LIT(o, "Content-Length: ");
        out_u64(o, len, 10);
        OUT_LIT(o, "\r\n");
    } else if (fr == FRAME_CHUNKED) {
        OUT_LIT(o, "Transfer-Encoding: chunked\r\n");
    }
    out_head_end(x, o);
    OUT_LIT(o, "\r\n");
    return !o->err;
}

static bool write_head(struct http_exchange *x, struct out *o, int status,
                       const struct http_header *h, size_t nh,
                       enum framing fr, uint64_t len)
{
    return write_head_of(x, o, status, h, nh, NULL, fr, len);
}

int http_respond(struct http_exchange *x, int status,
                 const struct http_header *headers, size_t nheaders,
                 const void *body, size_t len)
{
    struct out o;
    bool no_body = status == 204 || status == 304;

    if (answer_check(x, status) < 0)
        return -1;
    out_init(&o, x->s, true);
    if (!write_head(x, &o, status, headers, nheaders,
                    no_body ? FRAME_NONE : FRAME_LENGTH, len))
        return -1;
    o.in_head = false;
    if (!no_body && !x->head_only && len)
        out_put(&o, body, len);
    out_flush(&o);
    x->answer = HTTP_ANSWER_DONE;
    answer_wrote(x);
    return o.err ? -1 : 0;
}

int http_prepare(struct http_prepared *p, int status,
                 const struct http_header *headers, size_t nheaders,
                 const void *body, size_t len)
{
    struct out o;
    bool no_body = status == 204 || status == 304;

    memset(p, 0, sizeof *p);
    if (status < 200 || status > 599)
        return -1;
    out_init(&o, NULL, true);
    out_status(&o, status);
    for (size_t i = 0; i < nheaders; i++)
        if (!out_header(&o, &headers[i]))
            return -1;
    if (!no_body) {
        OUT_LIT(&o, "Content-Length: ");
        out_u64(&o, len, 10);
        OUT_LIT(&o, "\r\n");
    }
    if (o.err || !(p->pre = malloc(o.n)) || !(p->post = malloc(len + 2))) {
        http_prepared_free(p);
        return -1;
    }
    memcpy(p->pre, o.b, o.n);
    p->pre_len = o.n;
    memcpy(p->post, "\r\n", 2);
    if (len)
        memcpy(p->post + 2, body, len);
    p->post_len = no_body ? 2 : len + 2;
    return 0;
}

void http_prepared_free(struct http_prepared *p)
{
    if (!p)                 /* like free(), and rotor's *_free calls */
        return;
    free(p->pre);
    free(p->post);
    memset(p, 0, sizeof *p);
}

int http_respond_prepared(struct http_exchange *x,
                          const struct http_prepared *p)
{
    struct iovec v[4];
    int n;

    if (!p->pre || answer_check(x, 200) < 0)
        return -1;
    /* Straight into the stream: a prepared answer needs no checking. */
    v[0] = (struct iovec){ p->pre, p->pre_len };
    n = 1 + head_end(x, v + 1);
    v[n++] = (struct iovec){ p->post, x->head_only ? 2 : p->post_len };
    x->answer = HTTP_ANSWER_DONE;
    int r = rotor_stream_writev(x->s, v, n);
    answer_wrote(x);
    return r;
}

int http_respond_start(struct http_exchange *x, int status,
                       const struct http_header *headers, size_t nheaders)
{
    struct out o;

    if (answer_check(x, status) < 0)
        return -1;
    out_init(&o, x->s, true);
    /* HTTP/1.0 knows no chunked coding: the close ends the body. */
    bool chunked = x->conn->parser.req.minor == 1;
    bool close = x->close;
    if (!chunked)
        x->close = 1;
    if (!write_head(x, &o, status, headers, nheaders,
                    chunked ? FRAME_CHUNKED : FRAME_CLOSE, 0)) {
        x->close = close;
        return -1;
    }
    out_flush(&o);
    x->chunked = chunked;
    x->answer = HTTP_ANSWER_STARTED;
    answer_wrote(x);
    return o.err ? -1 : 0;
}

int http_respond_start_sized(struct http_exchange *x, int status,
                             const struct http_header *headers,
                             size_t nheaders, uint64_t len)
{
    struct out o;

    if (answer_check(x, status) < 0 || status == 204 || status == 304)
        return -1;
    out_init(&o, x->s, true);
    if (!write_head(x, &o, status, headers, nheaders, FRAME_LENGTH, len))
        return -1;
    out_flush(&o);
    x->chunked = 0;
    x->sized = 1;
    x->answer_left = len;
    x->answer = HTTP_ANSWER_STARTED;
    answer_wrote(x);
    return o.err ? -1 : 0;
}

/* The value of a relayed response's Content-Length (digits: the client
 * checked it), or -1 when there is none. */
static int64_t relayed_length(const struct http_response *res,
                              const struct http_relay *rl)
{
    const struct http_field *f = rl->clen >= 0 ? &res->h->fields[rl->clen]
                                               : NULL;
    int64_t v = 0;

    if (!f || f->value.len == 0 || f->value.len > 18)
        return -1;
    for (uint32_t i = 0; i < f->value.len; i++)
        v = v * 10 + (res->head[f->value.off + i] - '0');
    return v;
}

int http_respond_relay(struct http_exchange *x, const struct http_response *res,
                       const struct http_header *extra, size_t nextra)
{
    struct http_relay rl;
    struct out o;

    if (!res || !res->h)
        return -1;
    const struct http_response_head *h = res->h;
    int status = h->status;
    bool no_body = status == 204 || status == 304;

    const struct http_server *srv = x->conn->srv;
    http__relay_begin(&rl);
    if (srv->via)       /* the version the upstream answered with */
        http__relay_add(&rl, "Via", 3, h->minor ? "1.1 " : "1.0 ", 4,
                        srv->via, srv->via_len);
    if (answer_check(x, status) < 0 ||
        http__relay_plan(&rl, res->head, h->fields, h->nfields, extra,
                         nextra) < 0)
        return -1;
    int64_t len = no_body ? 0 : relayed_length(res, &rl);
    enum framing fr = no_body ? FRAME_NONE : len >= 0 ? FRAME_LENGTH
                    : x->conn->parser.req.minor == 1 ? FRAME_CHUNKED
                    : FRAME_CLOSE;
    bool close = x->close;
    if (fr == FRAME_CLOSE)      /* HTTP/1.0: the close ends the body */
        x->close = 1;
    out_init(&o, x->s, true);
    if (!write_head_of(x, &o, status, NULL, 0, &rl, fr,
                       len >= 0 ? (uint64_t)len : 0)) {
        x->close = close;
        return -1;
    }
    out_flush(&o);
    x->chunked = fr == FRAME_CHUNKED;
    x->sized = fr == FRAME_LENGTH || fr == FRAME_NONE;
    x->answer_left = len >= 0 ? (uint64_t)len : 0;
    x->answer = HTTP_ANSWER_STARTED;
    answer_wrote(x);
    return o.err ? -1 : 0;
}

int http_respond_chunk(struct http_exchange *x, const void *data, size_t len)
{
    struct out o;

    if (x->answer != HTTP_ANSWER_STARTED)
        return -1;
    if (x->sized) {
        if (len > x->answer_left)
            return -1;
        x->answer_left -= len;
    }
    if (x->head_only || len == 0)
        return 0;
    out_init(&o, x->s, false);
    if (x->chunked) {
        out_u64(&o, len, 16);
        OUT_LIT(&o, "\r\n");
    }
    out_put(&o, data, len);
    if (x->chunked)
        OUT_LIT(&o, "\r\n");
    out_flush(&o);
    answer_wrote(x);
    return o.err ? -1 : 0;
}

int http_respond_end(struct http_exchange *x)
{
    int r = 0;

    if (x->answer != HTTP_ANSWER_STARTED)
        return -1;
    if (x->sized && x->answer_left > 0 && !x->head_only)
        return http_respond_abort(x);   /* short of its Content-Length */
    x->answer = HTTP_ANSWER_DONE;
    if (x->chunked && !x->head_only)
        r = rotor_stream_write(x->s, "0\r\n\r\n", 5);
    answer_wrote(x);
    return r;
}

int http_respond_abort(struct http_exchange *x)
{
    if (x->answer != HTTP_ANSWER_STARTED)
        return -1;
    /* No last chunk: the close tells the client the body is cut short. */
    x->close = 1;
    x->answer = HTTP_ANSWER_DONE;
    answer_wrote(x);
    return 0;
}

/* The peer's address as text into c->peer; false when not over IP. */
static bool learn_peer(struct http_conn *c, rotor_scope *s)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = rotor_stream_fd(s);
    const void *a = NULL;

    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
        return false;
    if (ss.ss_family == AF_INET)
        a = &((struct sockaddr_in *)&ss)->sin_addr;
    else if (ss.ss_family == AF_INET6)
        a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
    if (!a || !inet_ntop(ss.ss_family, a, c->peer, sizeof c->peer))
        return false;
    c->peer_len = (uint8_t)strlen(c->peer);
    return true;
}

const char *http__exchange_peer(const struct http_exchange *x, size_t *len)
{
    struct http_conn *c = x->conn;

    /* Learnt once per connection (also that there is none: not over IP):
     * a proxy asks for every request. */
    if (!c->peer_asked) {
        c->peer_asked = 1;
        if (!learn_peer(c, x->s))
            c->peer[0] = '\0';
    }
    if (!c->peer[0])
        return NULL;
    *len = c->peer_len;
    return c->peer;
}

int http_remote_addr(const struct http_exchange *x, char *buf, size_t len)
{
    size_t n;
    const char *peer = http__exchange_peer(x, &n);

    if (!peer || n >= len)
        return -1;
    memcpy(buf, peer, n + 1);
    return (int)n;
}

int http_defer(struct http_exchange *x)
{
    struct http_conn *c = x->conn;

    if (!x->in_respond || x->deferred || x->answer != HTTP_ANSWER_NONE)
        return -1;
    /* The head must outlive this dispatch: the input moves on. */
    if (c->head_len) {
        if (keep_head(c, x->head, c->head_len) < 0)
            return -1;
        rotor_stream_consume(x->s, c->head_len);
        c->head_len = 0;
    }
    x->deferred = 1;
    return 0;
}

bool http_answer_full(struct http_exchange *x)
{
    bool full = rotor_stream_output_length(x->s) > HTTP_ANSWER_HIGH;

    if (full)
        x->conn->writer_waiting = 1;
    return full;
}

void http_close_after(struct http_exchange *x)
{
    x->close = 1;
}

/* The server's own answers (errors): a short text and a close. */
static void answer_status(struct http_conn *c, rotor_scope *s, int status)
{
    static const struct http_header text = { "Content-Type", "text/plain" };
    struct http_exchange *x = &c->x;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "%d %s\n", status, reason(status));

    x->conn = c;
    x->s = s;
    x->close = 1;
    c->body_open = 0;
    /* A streaming handler's deferred answer (begun in `begin`) gives way
     * to the error; one that has begun to go out can only be cut off. */
    bool begun = x->deferred && x->answer != HTTP_ANSWER_NONE;
    abandon(x);
    if (begun)
        return;
    x->answer = HTTP_ANSWER_NONE;
    x->deferred = 0;
    x->head_only = 0;
    http_respond(x, status, &text, 1, msg, (size_t)n);
}

/* ---- the request ------------------------------------------------------- */

enum http_method http_method(const struct http_exchange *x)
{
    return (enum http_method)x->conn->parser.req.method_id;
}

const char *http_method_name(const struct http_exchange *x, size_t *len)
{
    const struct http_span *sp = &x->conn->parser.req.method;

    *len = sp->len;
    return x->head + sp->off;
}

const char *http_target(const struct http_exchange *x, size_t *len)
{
    const struct http_span *sp = &x->conn->parser.req.target;

    *len = sp->len;
    return x->head + sp->off;
}

int http_minor(const struct http_exchange *x)
{
    return x->conn->parser.req.minor;
}

const char *http_field(const struct http_exchange *x, const char *lname,
                       size_t *len)
{
    const struct http_field *f =
        http_request_field(&x->conn->parser, x->head, lname);

    if (!f)
        return NULL;
    *len = f->value.len;
    return x->head + f->value.off;
}

size_t http_field_count(const struct http_exchange *x)
{
    return x->conn->parser.req.nfields;
}

int http_field_at(const struct http_exchange *x, size_t i,
                  const char **name, size_t *name_len,
                  const char **value, size_t *value_len)
{
    const struct http_request *req = &x->conn->parser.req;

    if (i >= req->nfields)
        return -1;
    const struct http_field *f = &req->fields[i];
    *name = x->head + f->name.off;
    *name_len = f->name.len;
    *value = x->head + f->value.off;
    *value_len = f->value.len;
    return 0;
}

const char *http_body(struct http_exchange *x, size_t *len)
{
    struct evbuffer *b = x->conn->body;
    size_t n = b ? evbuffer_get_length(b) : 0;

    *len = n;
    return n ? (const char *)evbuffer_pullup(b, -1) : NULL;
}

const char *http__exchange_fields(const struct http_exchange *x,
                                  const struct http_field **f, unsigned *n)
{
    *f = x->conn->parser.req.fields;
    *n = x->conn->parser.req.nfields;
    return x->head;
}

int64_t http_content_length(const struct http_exchange *x)
{
    const struct http_request *req = &x->conn->parser.req;

    if (req->body == HTTP_BODY_CHUNKED)
        return -1;
    return req->body == HTTP_BODY_LENGTH ? (int64_t)req->content_length : 0;
}

uint64_t http_body_length(const struct http_exchange *x)
{
    return x->body_total;
}

void *http_app(const struct http_exchange *x)
{
    return x->conn->srv->app;
}

void *http_scratch(struct http_exchange *x)
{
    return x->scratch;
}

/* ---- the server ------------------------------------------------------- */

/* Durations of whole seconds: struct http_server counts in seconds. */
_Static_assert(HTTP_IDLE_TIMEOUT % 1000 == 0 && HTTP_HEAD_TIMEOUT % 1000 == 0,
               "http.rsm's idle and head timeouts are whole seconds");

void http_server_init(struct http_server *srv, http_route_fn *route,
                      void *app)
{
    memset(srv, 0, sizeof *srv);
    srv->route = route;
    srv->app = app;
    srv->head_timeout = HTTP_HEAD_TIMEOUT / 1000;
    srv->idle_timeout = HTTP_IDLE_TIMEOUT / 1000;
    srv->max_requests = 10000;
}

/* The machines of a server whose idle or head timeout is not http.rsm's:
 * copies of their tables with the server's durations in idle's and head's
 * timeouts.  Nothing else differs: the same dispatch runs them. */
struct http_machines {
    struct rotor_machine_type listener;
    struct rotor_machine_type conn;
    struct rotor_state_info states[];
};

/* 0 is taken as 1: a state timeout of 0 would be none at all. */
static uint32_t seconds_ms(unsigned sec)
{
    if (sec == 0)
        return 1000;
    return sec > UINT32_MAX / 1000 ? UINT32_MAX / 1000 * 1000 : sec * 1000u;
}

static const struct rotor_machine_type *server_machines(struct http_server *srv)
{
    uint32_t idle = seconds_ms(srv->idle_timeout);
    uint32_t head = seconds_ms(srv->head_timeout);

    if (idle == HTTP_IDLE_TIMEOUT && head == HTTP_HEAD_TIMEOUT)
        return &http_listener_machine;
    if (!srv->machines) {
        size_t n = (size_t)http_conn_machine.nstates;
        struct http_machines *m = malloc(sizeof *m + n * sizeof m->states[0]);
        if (!m)
            return NULL;
        memcpy(m->states, http_conn_machine.states, n * sizeof m->states[0]);
        m->states[http_conn_st_idle].timeout_ms = idle;
        m->states[http_conn_st_head].timeout_ms = head;
        m->conn = http_conn_machine;
        m->conn.states = m->states;
        m->listener = http_listener_machine;
        m->listener.spawns = &m->conn;
        srv->machines = m;
    }
    return &srv->machines->listener;
}

rotor_ref http_server_listen(struct rotor_loop *loop, int fd)
{
    struct http_server *srv = loop ? rotor_loop_context(loop) : NULL;
    const struct rotor_machine_type *t =
        srv ? server_machines(srv) : &http_listener_machine;

    if (!t) {                   /* out of memory */
        close(fd);
        return ROTOR_REF_NONE;
    }
    if (srv && srv->via) {
        ptrdiff_t n = http__via_len(srv->via);
        if (n < 0) {
            close(fd);
            rotor_set_error(ROTOR_EINVAL, "http_server_listen: via is not "
                            "a pseudonym or host[:port]");
            return ROTOR_REF_NONE;
        }
        srv->via_len = (size_t)n;   /* checked once, used per answer */
    }
    return rotor_listen(loop, t, fd, NULL);
}

void http_server_fini(struct http_server *srv)
{
    if (!srv)
        return;
    free(srv->machines);
    srv->machines = NULL;
}

/* ---- http_listener ----------------------------------------------------- */

void http_refuse(void *self, rotor_scope *s, const rotor_event *ev)
{
    /* The runtime closed the socket already. */
    (void)self;
    (void)s;
    (void)ev;
}

/* ---- http_conn: life ------------------------------------------------- */

void http_conn_start(struct http_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    struct http_limits lim = http_limits_default;

    (void)ev;
    c->srv = http_conn_context(s);
    /* Cannot fail with a server context on an adopted socket but for
     * memory: the connection then ends at its first expectation. */
    if (c->srv->tls && rotor_stream_tls(s, c->srv->tls, NULL) < 0)
        rotor_kill(rotor_scope_loop(s), rotor_scope_self(s));
    lim.head_max = HTTP_HEAD_MAX;   /* as `head` expects it */
    lim.body_max = UINT64_MAX;      /* each handler has its own */
    http_parser_init(&c->parser, &lim);
    c->x.conn = c;
    c->self = rotor_scope_self(s);
}

/* A deferred answer that will not end: its handler is told, once, and
 * must forget the exchange. */
static void abandon(struct http_exchange *x)
{
    if (!x->deferred || x->answer == HTTP_ANSWER_DONE)
        return;
    x->deferred = 0;
    if (x->handler->aborted)
        x->handler->aborted(x);
}

void http_conn_end(struct http_conn *c, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    abandon(&c->x);
    if (c->body)
        evbuffer_free(c->body);
    free(c->head_copy);
}

/* ---- http_conn: the head --------------------------------------------- */

static void not_found(struct http_exchange *x)
{
    static const struct http_header text = { "Content-Type", "text/plain" };
    static const char msg[] = "Not Found\n";

    http_respond(x, 404, &text, 1, msg, sizeof msg - 1);
}

static const struct http_handler not_found_handler = {
    .want = HTTP_WANT_IGNORE,
    .body_max = 1024 * 1024,
    .respond = not_found,
};

/* The parser, ready for a new head: reset lazily, because a request's
 * spans must live until its answer. */
static struct http_parser *parser_for_head(struct http_conn *c)
{
    if (c->parser_used) {
        http_parser_reset(&c->parser);
        c->parser_used = 0;
    }
    return &c->parser;
}

/* The input bytes the parser may look at: never more than a head. */
static size_t head_extent(struct http_conn *c, rotor_scope *s)
{
    size_t n = rotor_stream_input_length(s);

    return n > c->parser.lim.head_max ? c->parser.lim.head_max : n;
}

/* `idle` and `head`: runs the parser over what the input holds (it
 * resumes where it stopped).  Records a head still partial, an error
 * status, or a complete head (head_len), which it routes: the exchange is
 * set up and the handler chosen; nothing is answered or consumed yet. */
void http_head_read(struct http_conn *c, rotor_scope *s, const rotor_event *ev)
{
    struct http_parser *p = parser_for_head(c);
    struct http_exchange *x = &c->x;
    size_t n = head_extent(c, s);

    (void)ev;
    const char *buf = rotor_stream_peek(s, n);
    int r = buf ? http_request_parse(p, buf, n) : -500;
    c->head_seen = (uint32_t)n;
    c->partial = r == 0;
    if (r == 0)
        return;
    c->parser_used = 1;
    if (r < 0) {
        c->status = (uint16_t)-r;
        return;
    }
    c->head_len = (uint32_t)r;
    c->served++;
    x->s = s;
    x->head = buf;
    x->answer = HTTP_ANSWER_NONE;
    x->head_only = p->req.method_id == HTTP_HEAD;
    x->chunked = 0;
    x->sized = 0;
    x->close = 0;
    x->deferred = 0;
    x->body_total = 0;
    memset(x->scratch, 0, sizeof x->scratch);
    x->handler = c->srv->route(x, c->srv->app);
    if (!x->handler)
        x->handler = &not_found_handler;
}

bool http_head_partial(struct http_conn *c, rotor_scope *s,
                       const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->partial;
}

/* `input` again without a new byte: the check that follows entering a
 * state whose `until` holds already. */
bool http_head_unchanged(struct http_conn *c, rotor_scope *s,
                         const rotor_event *ev)
{
    (void)ev;
    return head_extent(c, s) == c->head_seen;
}

bool http_failed(struct http_conn *c, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->status != 0;
}

bool http_body_none(struct http_conn *c, rotor_scope *s,
                    const rotor_event *ev)
{
    const struct http_request *req = &c->parser.req;

    (void)s;
    (void)ev;
    return req->body == HTTP_BODY_NONE ||
           (req->body == HTTP_BODY_LENGTH && req->content_length == 0);
}

bool http_body_too_large(struct http_conn *c, rotor_scope *s,
                         const rotor_event *ev)
{
    const struct http_request *req = &c->parser.req;

    (void)s;
    (void)ev;
    return req->body == HTTP_BODY_LENGTH &&
           req->content_length > c->x.handler->body_max;
}

/* The whole request is in: the handler answers (a 500 is sent for a
 * handler that answered nothing), and the head leaves the input. */
void http_serve(struct http_conn *c, rotor_scope *s, const rotor_event *ev)
{
    struct http_exchange *x = &c->x;

    (void)ev;
    x->s = s;
    x->in_respond = 1;
    if (x->handler->respond)
        x->handler->respond(x);
    x->in_respond = 0;
    if (x->deferred)
        ;                       /* the answer comes later, as it is */
    else if (x->answer == HTTP_ANSWER_STARTED)
        http_respond_end(x);
    else if (x->answer == HTTP_ANSWER_NONE)
        http_respond(x, 500, NULL, 0, "Internal Server Error\n", 22);
    if (c->head_len) {
        rotor_stream_consume(s, c->head_len);
        c->head_len = 0;
    }
}

bool http_keep_alive(struct http_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return !c->x.close;
}

/* Keeps the head of a request with a body: the body follows it in the
 * input buffer and is consumed before the handler answers. */
static int keep_head(struct http_conn *c, const char *head, size_t n)
{
    if (n > c->head_cap) {
        char *p = realloc(c->head_copy, n);
        if (!p)
            return -1;
        c->head_copy = p;
        c->head_cap = n;
    }
    memcpy(c->head_copy, head, n);
    c->x.head = c->head_copy;
    return 0;
}

/* A streaming handler's `begin`: it may defer the answer, which can then
 * come while the body does; one it gave whole ends the exchange (the
 * body is not read: the connection closes after the answer). */
static void begin_exchange(struct http_conn *c, rotor_scope *s)
{
    struct http_exchange *x = &c->x;

    x->s = s;
    x->in_respond = 1;
    x->handler->begin(x);
    x->in_respond = 0;
    if (!x->deferred && x->answer == HTTP_ANSWER_STARTED)
        http_respond_end(x);
    if (x->answer == HTTP_ANSWER_DONE)
        x->close = 1;
}

/* Sets up for reading the body: keeps the head (its spans stay valid
 * while the input moves on), readies the decoder and the handler's
 * buffer, and says 100 Continue if the client waits for it.  Records 500
 * when memory runs out. */
void http_body_start(struct http_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    const struct http_request *req = &c->parser.req;
    const struct http_handler *h = c->x.handler;

    (void)ev;
    if (keep_head(c, c->x.head, c->head_len) < 0) {
        c->status = 500;
        return;
    }
    rotor_stream_consume(s, c->head_len);
    c->head_len = 0;
    c->body_chunked = req->body == HTTP_BODY_CHUNKED;
    c->body_left = req->content_length;
    c->partial = 1;
    if (c->body_chunked) {
        struct http_limits lim = c->parser.lim;
        lim.body_max = h->body_max;
        http_chunked_init(&c->chunked, &lim);
    }
    if (h->want == HTTP_WANT_BUFFER) {
        if (!c->body && !(c->body = evbuffer_new())) {
            c->status = 500;
            return;
        }
        evbuffer_drain(c->body, evbuffer_get_length(c->body));
    }
    if (req->expect_continue)
        rotor_stream_write(s, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    c->body_paused = 0;
    c->body_holding = 0;
    c->body_open = 1;
    if (h->want == HTTP_WANT_STREAM && h->begin)
        begin_exchange(c, s);
}

/* No line end within HTTP_HEAD_MAX: the parser tells which limit (414,
 * 431) or which error (400) it is. */
void http_head_too_large(struct http_conn *c, rotor_scope *s,
                         const rotor_event *ev)
{
    struct http_parser *p = parser_for_head(c);
    size_t n = rotor_event_size(ev);
    const char *buf;
    int r;

    if (n > p->lim.head_max)
        n = p->lim.head_max;
    buf = rotor_stream_peek(s, n);
    r = buf ? http_request_parse(p, buf, n) : -431;
    c->parser_used = 1;
    answer_status(c, s, r < 0 ? -r : 431);
}

/* ---- http_conn: errors ------------------------------------------------ */

/* The status an action recorded (c->status). */
void http_answer_error(struct http_conn *c, rotor_scope *s,
                       const rotor_event *ev)
{
    (void)ev;
    answer_status(c, s, c->status);
}

/* The head or body deadline passed. */
void http_answer_408(struct http_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    (void)ev;
    answer_status(c, s, 408);
}

/* A Content-Length over the handler's body_max. */
void http_answer_413(struct http_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    (void)ev;
    answer_status(c, s, 413);
}

/* ---- http_conn: the body --------------------------------------------- */

bool http_body_ignored(struct http_conn *c, rotor_scope *s,
                       const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->x.handler->want == HTTP_WANT_IGNORE;
}

bool http_body_buffered(struct http_conn *c, rotor_scope *s,
                        const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->x.handler->want == HTTP_WANT_BUFFER;
}

/* Where the decoded body goes. */
static void body_piece(struct http_conn *c, enum http_want want,
                       const char *p, size_t n)
{
    struct http_exchange *x = &c->x;

    x->body_total += n;
    if (x->answer == HTTP_ANSWER_DONE) {
        ;                       /* answered already: the rest is dropped */
    } else if (want == HTTP_WANT_BUFFER) {
        if (evbuffer_add(c->body, p, n) < 0)
            x->close = 1;
    } else if (want == HTTP_WANT_STREAM && x->handler->chunk) {
        x->handler->chunk(x, p, n);
    }
}

/* Decodes one extent of input; returns the bytes used, -status on a bad
 * body.  *done once the body is complete. */
static ptrdiff_t body_extent(struct http_conn *c, enum http_want want,
                             const char *p, size_t n, bool *done)
{
    if (!c->body_chunked) {
        size_t take = n < c->body_left ? n : (size_t)c->body_left;
        body_piece(c, want, p, take);
        c->body_left -= take;
        *done = c->body_left == 0;
        return (ptrdiff_t)take;
    }
    const char *data;
    size_t len;
    ptrdiff_t r = http_chunked_parse(&c->chunked, p, n, &data, &len);
    if (r < 0)
        return r;
    if (len)
        body_piece(c, want, data, len);
    *done = http_chunked_done(&c->chunked);
    return r;
}

/* Takes what the input holds of the body; records whether more is to
 * come, or the status of a bad body (400, 413). */
static void body_take(struct http_conn *c, rotor_scope *s, enum http_want want)
{
    bool done = false;
    const char *p;
    size_t n;

    /* A pause from `chunk` stops it after that piece. */
    while (!done && !c->body_paused &&
           (p = rotor_stream_extent(s, &n)) != NULL) {
        ptrdiff_t used = body_extent(c, want, p, n, &done);
        if (used < 0) {
            c->status = (uint16_t)-used;
            c->body_open = 0;
            return;
        }
        rotor_stream_consume(s, (size_t)used);
        if (used == 0 && !done)
            break;
    }
    c->partial = !done;
    c->body_open = !done;
}

void http_body_skip(struct http_conn *c, rotor_scope *s, const rotor_event *ev)
{
    (void)ev;
    body_take(c, s, HTTP_WANT_IGNORE);
}

void http_body_collect(struct http_conn *c, rotor_scope *s,
                       const rotor_event *ev)
{
    (void)ev;
    body_take(c, s, HTTP_WANT_BUFFER);
}

void http_body_stream(struct http_conn *c, rotor_scope *s,
                      const rotor_event *ev)
{
    (void)ev;
    body_take(c, s, HTTP_WANT_STREAM);
}

bool http_body_partial(struct http_conn *c, rotor_scope *s,
                       const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->partial;
}

/* The handler paused the body (http_body_pause) before its end. */
bool http_body_held(struct http_conn *c, rotor_scope *s,
                    const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->body_paused && c->partial;
}

void http_body_hold(struct http_conn *c, rotor_scope *s,
                    const rotor_event *ev)
{
    (void)s;
    (void)ev;
    c->body_holding = 1;
}

/* An answer that ended before the body did (or in `begin`). */
bool http_answer_ended(struct http_conn *c, rotor_scope *s,
                       const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->x.answer == HTTP_ANSWER_DONE;
}

/* A streamed body still coming: pause and resume apply. */
static bool body_reading(const struct http_exchange *x)
{
    return x->conn->body_open && x->handler->want == HTTP_WANT_STREAM &&
           x->answer != HTTP_ANSWER_DONE;
}

int http_body_pause(struct http_exchange *x)
{
    if (!body_reading(x))
        return -1;
    x->conn->body_paused = 1;
    return 0;
}

int http_body_resume(struct http_exchange *x)
{
    struct http_conn *c = x->conn;

    if (!body_reading(x))
        return -1;
    c->body_paused = 0;
    if (c->body_holding) {
        c->body_holding = 0;
        tell_conn(x, http_conn_ev_body_resume);
    }
    return 0;
}

/* ---- http_conn: closing ---------------------------------------------- */

void http_shutdown(struct http_conn *c, rotor_scope *s, const rotor_event *ev)
{
    (void)c;
    (void)ev;
    rotor_stream_shutdown(s);
}

void http_discard(struct http_conn *c, rotor_scope *s, const rotor_event *ev)
{
    (void)c;
    (void)ev;
    rotor_stream_consume(s, rotor_stream_input_length(s));
}

/* ---- http_conn: deferred answers --------------------------------------- */

bool http_answer_pending(struct http_conn *c, rotor_scope *s,
                         const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->x.deferred && c->x.answer != HTTP_ANSWER_DONE;
}

/* The client shut its side down while a deferred answer was pending:
 * the answer still goes, and the connection closes after it. */
void http_close_after_answer(struct http_conn *c, rotor_scope *s,
                             const rotor_event *ev)
{
    (void)s;
    (void)ev;
    c->x.close = 1;
}

bool http_answer_started(struct http_conn *c, rotor_scope *s,
                         const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->x.answer == HTTP_ANSWER_STARTED;
}

/* answer_more or answer_done: what was written leaves after this
 * dispatch (the stream sends after actions). */
void http_answer_sent(struct http_conn *c, rotor_scope *s,
                      const rotor_event *ev)
{
    (void)s;
    (void)ev;
    c->wake_queued = 0;
}

/* HTTP_DEFER_TIMEOUT and no answer begun: 504; begun: the connection
 * closes after what was sent, which the client sees as cut short. */
void http_answer_late(struct http_conn *c, rotor_scope *s,
                      const rotor_event *ev)
{
    struct http_exchange *x = &c->x;

    (void)ev;
    abandon(x);
    if (x->answer == HTTP_ANSWER_NONE)
        answer_status(c, s, 504);
    x->close = 1;
}

void http_answer_writable(struct http_conn *c, rotor_scope *s,
                          const rotor_event *ev)
{
    (void)s;
    (void)ev;
    c->writer_waiting = 0;
    if (c->x.handler->writable)
        c->x.handler->writable(&c->x);
}

/* The handler holds back for the client (http_answer_full), and for a
 * whole HTTP_SEND_TIMEOUT the client has not taken it down to the low
 * mark. */
bool http_answer_stalled(struct http_conn *c, rotor_scope *s,
                         const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->writer_waiting;
}
