/*
 * http-client.c: librotor-http's client: the actions and guards of
 * grammars/http-client.rsm (one connection) and the calls of
 * <rotor/http-client.h> (the client, its pool, the response).
 *
 * The machine decides (http-client.rsm): each action does its work and
 * records what came of it in struct http_client_conn (err, partial,
 * head_len), and the guards only read that record.
 *
 * The pool is the client's list of connections: those `pooled` are idle
 * in the machine's `idle` state.  A request for a host:port takes an idle
 * connection of that key (it gets the request and a wakeup) or spawns a
 * new one; the list is searched from the front, which is cheap for the
 * few connections per host a client keeps.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <rotor/rotor.h>
#include <rotor/http.h>

#include "http-client-data.h"
#include "http-client-machines.h"

#define MAX_INTERIM 16      /* 1xx responses before the final one */

struct http_client {
    struct rotor_loop *loop;
    struct http_client_config cfg;
    const struct rotor_machine_type *type;
    struct http_client_conn *conns;     /* every live connection */
    struct rotor_machine_type own_type; /* durations other than the .rsm's */
    struct rotor_state_info *own_states;
    struct rotor_timeout_info *own_timeouts;
    unsigned long opened;               /* connections spawned */
    struct pool_key *keys;              /* every host:port asked for */
    size_t via_len;                     /* cfg.via, a copy: checked */
    struct http_call *spares;           /* ended calls, for the next ones */
    unsigned nspares;
    struct callback_guard *callbacks;   /* response callbacks running */
};

/* A response callback may free the client: the call it ends is then not
 * kept as the (freed) client's spare.  http_client_free() marks every
 * callback running (they nest when a callback's request ends at once). */
struct callback_guard {
    bool client_freed;
    struct callback_guard *outer;
};

/* A proxy makes a call per request: the ended ones are kept for the
 * next (a malloc and a free less each). */
#define SPARES_MAX 16

/* ---- exchanges --------------------------------------------------------- */

/* x->client is NULL once the client is being freed: no spare then. */
static void exchange_free(struct http_call *x)
{
    if (!x)
        return;
    if (x->early)
        evbuffer_free(x->early);
    struct http_client *cl = x->client;
    if (cl && cl->nspares < SPARES_MAX) {
        x->next_spare = cl->spares;
        cl->spares = x;
        cl->nspares++;
        return;
    }
    free(x);
}

/* A call with room for n bytes of wire: a spare when one is big enough. */
static struct http_call *exchange_alloc(struct http_client *cl, size_t n)
{
    struct http_call *x = cl->spares;

    if (x) {
        cl->spares = x->next_spare;
        cl->nspares--;
        if (x->cap >= n)
            return x;
        free(x);
    }
    if (!(x = malloc(sizeof *x + n)))
        return NULL;
    x->cap = n;
    return x;
}

static const char *error_text(int err)
{
    switch (err) {
    case HTTP_CLIENT_ETIMEDOUT: return "deadline passed";
    case HTTP_CLIENT_ECLOSED: return "connection closed before the response was complete";
    case HTTP_CLIENT_ECANCELED: return "client freed";
    default: return rotor_strerror(err);
    }
}

/* Ends an exchange: its callback runs once, then it is freed. */
static void exchange_end(struct http_call *x, int err,
                         const struct http_response *res)
{
    struct http_response none = { .err = err };

    if (x->cancelled) {
        exchange_free(x);
        return;
    }
    if (err && !res)
        none.err_text = error_text(err);    /* words only for a failure */
    struct http_client *cl = x->client;
    struct callback_guard guard = { false, cl ? cl->callbacks : NULL };
    if (cl)
        cl->callbacks = &guard;
    x->on_response(err, res ? res : &none, x->arg);
    if (guard.client_freed)
        x->client = NULL;
    else if (cl)
        cl->callbacks = guard.outer;
    exchange_free(x);
}

/* ---- the pool ---------------------------------------------------------- */

/* The connection carries x now (NULL: none): each knows the other, so
 * that the caller's pause, resume and cancel reach the machine. */
static void conn_take(struct http_client_conn *c, struct http_call *x)
{
    if (c->x && c->x->conn == c)
        c->x->conn = NULL;
    c->x = x;
    if (x)
        x->conn = c;
}

/* An idle connection for x: its key (host, port, and the TLS context:
 * HTTPS to a host is not HTTP to it, nor HTTPS verified against other
 * CAs) lists those in the pool. */
static struct http_client_conn *pooled_for(const struct http_call *x)
{
    return x->key->idle;
}

/* In the pool or not; the key counts its pooled connections (while the
 * client, which owns the keys, lives). */
static void set_pooled(struct http_client_conn *c, bool pooled)
{
    struct pool_key *k = c->key;

    if (c->pooled != pooled && c->client && k) {
        if (pooled) {           /* the most recent first */
            c->idle_next = k->idle;
            k->idle = c;
            k->pooled++;
        } else {
            struct http_client_conn **p = &k->idle;
            while (*p && *p != c)
                p = &(*p)->idle_next;
            if (*p)
                *p = c->idle_next;
            k->pooled--;
        }
    }
    c->pooled = pooled;
}

/* Gives x to an idle connection of its key, or to a new one.  Returns 0,
 * or the code of rotor_spawn() (x is still the caller's then). */
static int dispatch(struct http_client *cl, struct http_call *x)
{
    struct http_client_conn *c = pooled_for(x);

    if (c) {
        set_pooled(c, false);
        conn_take(c, x);
        c->sent = false;
        if (rotor_notifier_notify(c->wake) == 0)
            return 0;
        conn_take(c, NULL);     /* it cannot be woken: a new one then */
    }
    rotor_ref r = rotor_spawn(cl->loop, cl->type, x);
    if (!rotor_ref_valid(r))
        return rotor_last_code();
    cl->opened++;
    return 0;
}

static void conn_link(struct http_client *cl, struct http_client_conn *c)
{
    c->client = cl;
    c->prev = NULL;
    c->next = cl->conns;
    if (cl->conns)
        cl->conns->prev = c;
    cl->conns = c;
}

static void conn_unlink(struct http_client_conn *c)
{
    struct http_client *cl = c->client;

    if (!cl)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        cl->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    set_pooled(c, false);
    c->client = NULL;
}

/* ---- the response ------------------------------------------------------ */

static void response_fill(struct http_client_conn *c, struct http_response *r)
{
    memset(r, 0, sizeof *r);
    r->err = c->err;
    r->err_text = c->err ? c->err_text : NULL;
    if (c->head && c->parser.res.status >= 200) {
        r->head = c->head;
        r->h = &c->parser.res;
    }
    r->body_total = c->body_total;
    if (c->body && evbuffer_get_length(c->body)) {
        r->body_len = evbuffer_get_length(c->body);
        r->body = (const char *)evbuffer_pullup(c->body, -1);
        if (!r->body)
            r->body_len = 0;
    }
}

int http_response_status(const struct http_response *res)
{
    return res->h ? res->h->status : 0;
}

const char *http_response_reason(const struct http_response *res, size_t *len)
{
    *len = res->h ? res->h->reason.len : 0;
    return res->h ? res->head + res->h->reason.off : "";
}

int http_response_minor(const struct http_response *res)
{
    return res->h ? res->h->minor : 0;
}

const char *http_response_header(const struct http_response *res,
                                 const char *lname, size_t *len)
{
    if (!res->h)
        return NULL;
    for (unsigned i = 0; i < res->h->nfields; i++) {
        const struct http_field *f = &res->h->fields[i];
        const char *s = res->head + f->name.off;
        size_t j, n = strlen(lname);

        if (f->name.len != n)
            continue;
        for (j = 0; j < n && (s[j] | 0x20) == lname[j]; j++)
            ;
        if (j == n) {
            *len = f->value.len;
            return res->head + f->value.off;
        }
    }
    return NULL;
}

size_t http_response_header_count(const struct http_response *res)
{
    return res->h ? res->h->nfields : 0;
}

int http_response_header_at(const struct http_response *res, size_t i,
                            const char **name, size_t *name_len,
                            const char **value, size_t *value_len)
{
    if (!res->h || i >= res->h->nfields)
        return rotor_set_error(ROTOR_EINVAL,
                               "http_response_header_at: no such field");
    const struct http_field *f = &res->h->fields[i];
    *name = res->head + f->name.off;
    *name_len = f->name.len;
    *value = res->head + f->value.off;
    *value_len = f->value.len;
    return 0;
}

const char *http_response_body(const struct http_response *res, size_t *len)
{
    *len = res->body_len;
    return res->body_len ? res->body : NULL;
}

uint64_t http_response_body_length(const struct http_response *res)
{
    return res->body_total;
}

int http_response_error(const struct http_response *res)
{
    return res->err;
}

const char *http_response_error_text(const struct http_response *res)
{
    return res->err ? res->err_text : "";
}

/* ---- results (the future variant) -------------------------------------- */

struct http_result {
    struct http_response res;
    struct http_response_head h;
    char data[];            /* the head, the body, the error's words */
};

static struct http_result *result_copy(const struct http_response *r)
{
    size_t head_len = 0, text_len = r->err_text ? strlen(r->err_text) + 1 : 0;

    if (r->h)   /* the spans end within the last field or the reason */
        for (unsigned i = 0; i < r->h->nfields; i++) {
            const struct http_field *f = &r->h->fields[i];
            if (f->value.off + f->value.len > head_len)
                head_len = f->value.off + f->value.len;
        }
    if (r->h && r->h->reason.off + r->h->reason.len > head_len)
        head_len = r->h->reason.off + r->h->reason.len;
    struct http_result *res = malloc(sizeof *res + head_len + r->body_len +
                                     text_len);
    if (!res)
        return NULL;
    res->res = *r;
    char *p = res->data;
    if (r->h) {
        res->h = *r->h;
        res->res.h = &res->h;
        memcpy(p, r->head, head_len);
        res->res.head = p;
        p += head_len;
    }
    if (r->body_len)
        memcpy(p, r->body, r->body_len);
    res->res.body = p;
    p += r->body_len;
    if (text_len) {
        memcpy(p, r->err_text, text_len);
        res->res.err_text = p;
    }
    return res;
}

const struct http_response *http_result_response(const struct http_result *r)
{
    return &r->res;
}

void http_result_free(void *result)
{
    free(result);
}

static void resolve_promise(int err, const struct http_response *res,
                            void *arg)
{
    struct rotor_promise *p = arg;
    struct http_result *r = result_copy(res);

    (void)err;
    if (r && rotor_promise_resolve(p, r, http_result_free) < 0 &&
        rotor_last_code() != ROTOR_ESHUTDOWN)
        free(r);
    rotor_promise_free(p);      /* unresolved (no memory): broken */
}

/* ---- the request ------------------------------------------------------- */

/* Each check returns the string's length, or -1 when it is not one
 * (empty, or a byte of the wrong class): the length is measured once,
 * for the formatting too. */
static ptrdiff_t class_len(const char *s, unsigned cls)
{
    const unsigned char *p = (const unsigned char *)s;

    /* The NUL has no class: one test per byte finds the end or a bad one. */
    while (http_byte_class[*p] & cls)
        p++;
    return *p || p == (const unsigned char *)s ? -1
                                               : (ptrdiff_t)(p - (const unsigned char *)s);
}

/* A target: visible bytes only (no space, no control byte), no fragment. */
static ptrdiff_t target_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '#')
            return -1;
    return p == (const unsigned char *)s ? -1 : (ptrdiff_t)(p - (const unsigned char *)s);
}

/* A value may be empty. */
static ptrdiff_t value_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (http_byte_class[*p] & HTTP_VALUECHAR)
        p++;
    return *p ? -1 : (ptrdiff_t)(p - (const unsigned char *)s);
}

/* The fields the client writes itself. */
static bool reserved(const char *name, size_t n)
{
    switch (n) {
    case 4: return !strncasecmp(name, "host", 4);
    case 10: return !strncasecmp(name, "connection", 10);
    case 14: return !strncasecmp(name, "content-length", 14);
    case 17: return !strncasecmp(name, "transfer-encoding", 17);
    default: return false;
    }
}

/* A request's strings and their lengths, checked. */
#define FIELDS_MEASURED 64      /* fields past these are measured again */

struct request_text {
    struct pool_key *key;           /* host:port seen before, or NULL */
    struct http_relay relay;        /* req->relay's fields, planned */
    const char *method, *target, *port;
    size_t method_len, target_len, host_len, port_len;
    size_t name_len[FIELDS_MEASURED], value_len[FIELDS_MEASURED];
};

#define bad(what) rotor_set_error(ROTOR_EINVAL, "http_client_request: " what)

static struct pool_key *key_find(const struct http_client *cl,
                                       const char *host, size_t hlen,
                                       const char *port, size_t plen,
                                       const struct rotor_tls *tls);

/* The client's own fields on a relayed request (cfg.via,
 * cfg.forwarded_for), checked when the client was made. */
static void relay_ours(const struct http_client *cl,
                       const struct http_exchange *from,
                       struct http_relay *rl)
{
    http__relay_begin(rl);
    if (cl->cfg.via)
        http__relay_add(rl, "Via", 3, http_minor(from) ? "1.1 " : "1.0 ", 4,
                        cl->cfg.via, cl->via_len);
    if (cl->cfg.forwarded_for) {
        size_t n;
        const char *peer = http__exchange_peer(from, &n);
        if (!peer) {
            peer = "unknown";
            n = 7;
        }
        http__relay_add(rl, "X-Forwarded-For", 15, "", 0, peer, n);
    }
}

static int request_check(const struct http_client *cl,
                         const struct http_client_request *req,
                         struct request_text *rt)
{
    ptrdiff_t n;

    rt->method_len = rt->target_len = rt->host_len = rt->port_len = 0;
    rt->key = NULL;
    rt->method = req->method ? req->method : "GET";
    rt->target = req->target ? req->target : "/";
    rt->port = req->port ? req->port : req->tls ? "443" : "80";
    if (!req->host)
        return bad("bad host");
    /* A host:port asked for before was checked then. */
    rt->host_len = strlen(req->host);
    rt->port_len = strlen(rt->port);
    rt->key = key_find(cl, req->host, rt->host_len, rt->port, rt->port_len,
                       req->tls);
    if (!rt->key && class_len(req->host, HTTP_HOSTCHAR) < 0)
        return bad("bad host");
    if (!rt->key && class_len(rt->port, HTTP_TCHAR) < 0)
        return bad("bad port");
    if (req->relay && !req->method)     /* parsed already: no check */
        rt->method = http_method_name(req->relay, &rt->method_len);
    else if ((n = class_len(rt->method, HTTP_TCHAR)) >= 0)
        rt->method_len = (size_t)n;
    else
        return bad("bad method");
    if (req->relay && !req->target)
        rt->target = http_target(req->relay, &rt->target_len);
    else if ((n = target_len(rt->target)) >= 0)
        rt->target_len = (size_t)n;
    else
        return bad("bad target");
    if (req->nheaders && !req->headers)
        return bad("no headers");
    if (req->relay) {
        const struct http_field *f;
        unsigned nf;
        const char *head = http__exchange_fields(req->relay, &f, &nf);
        relay_ours(cl, req->relay, &rt->relay);
        if (http__relay_plan(&rt->relay, head, f, nf, req->headers,
                             req->nheaders) < 0)
            return bad("bad, reserved or too many header fields");
    }
    for (size_t i = 0; !req->relay && i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];
        ptrdiff_t nn = h->name ? class_len(h->name, HTTP_TCHAR) : -1;
        ptrdiff_t nv = h->value ? value_len(h->value) : -1;
        if (nn < 0 || nv < 0 || reserved(h->name, (size_t)nn))
            return bad("bad or reserved header field");
        if (i < FIELDS_MEASURED) {
            rt->name_len[i] = (size_t)nn;
            rt->value_len[i] = (size_t)nv;
        }
    }
    if (req->body_stream > HTTP_BODY_STREAM_CHUNKED)
        return bad("bad body_stream");
    if (req->body_stream == HTTP_BODY_WHOLE && req->body_len && !req->body)
        return bad("no body");
    return 0;
}

static bool method_is(const struct request_text *rt, const char *name)
{
    return rt->method_len == strlen(name) &&
           !memcmp(rt->method, name, rt->method_len);
}

/* RFC 9110 9.2.2: these may be sent again after a connection failed. */
static bool idempotent(const struct request_text *rt)
{
    return method_is(rt, "GET") || method_is(rt, "HEAD") ||
           method_is(rt, "PUT") || method_is(rt, "DELETE") ||
           method_is(rt, "OPTIONS") || method_is(rt, "TRACE");
}

/* Appends n bytes at *at (the size was counted first). */
static void put(char **at, const char *s, size_t n)
{
    *at = http__put(*at, s, n);
}

#define PUT_LIT(at, lit) put((at), (lit), sizeof(lit) - 1)

static size_t field_name_len(const struct http_client_request *req,
                             const struct request_text *rt, size_t i)
{
    return i < FIELDS_MEASURED ? rt->name_len[i] : strlen(req->headers[i].name);
}

static size_t field_value_len(const struct http_client_request *req,
                              const struct request_text *rt, size_t i)
{
    return i < FIELDS_MEASURED ? rt->value_len[i] : strlen(req->headers[i].value);
}

/* How a request goes on the wire: what request_size() decided for
 * request_write(). */
struct request_shape {
    bool chunked, sized;
    size_t body_len;            /* sent with the head */
    char clen[24];
    size_t clen_n;
};

/* The request's size on the wire (formatted once per call: no stdio on
 * this path). */
static size_t request_size(const struct http_client_request *req,
                           const struct request_text *rt,
                           const struct pool_key *k, bool keep_alive,
                           struct request_shape *sh)
{
    sh->chunked = req->body_stream == HTTP_BODY_STREAM_CHUNKED;
    sh->sized = !sh->chunked &&
                (req->body_len || method_is(rt, "POST") ||
                 method_is(rt, "PUT") || method_is(rt, "PATCH"));
    sh->body_len = req->body_stream == HTTP_BODY_WHOLE ? req->body_len : 0;
    sh->clen_n = sh->sized ? (size_t)snprintf(sh->clen, sizeof sh->clen,
                                              "%zu", req->body_len) : 0;
    size_t n = rt->method_len + 1 + rt->target_len +
               sizeof " HTTP/1.1\r\nHost: " - 1 + k->authority_len + 2;
    if (req->relay)
        n += rt->relay.size;
    for (size_t i = 0; !req->relay && i < req->nheaders; i++)
        n += field_name_len(req, rt, i) + 2 + field_value_len(req, rt, i) + 2;
    n += sh->sized ? sizeof "Content-Length: \r\n" - 1 + sh->clen_n : 0;
    n += sh->chunked ? sizeof "Transfer-Encoding: chunked\r\n" - 1 : 0;
    n += keep_alive ? 0 : sizeof "Connection: close\r\n" - 1;
    return n + 2 + sh->body_len;
}

static void request_write(char *at, const struct http_client_request *req,
                          const struct request_text *rt,
                          const struct pool_key *k, bool keep_alive,
                          const struct request_shape *sh)
{
    put(&at, rt->method, rt->method_len);
    put(&at, " ", 1);
    put(&at, rt->target, rt->target_len);
    PUT_LIT(&at, " HTTP/1.1\r\nHost: ");
    put(&at, k->authority, k->authority_len);
    put(&at, "\r\n", 2);
    if (req->relay)
        at = http__relay_write(&rt->relay, at);
    for (size_t i = 0; !req->relay && i < req->nheaders; i++) {
        put(&at, req->headers[i].name, field_name_len(req, rt, i));
        put(&at, ": ", 2);
        put(&at, req->headers[i].value, field_value_len(req, rt, i));
        put(&at, "\r\n", 2);
    }
    if (sh->sized) {
        PUT_LIT(&at, "Content-Length: ");
        put(&at, sh->clen, sh->clen_n);
        put(&at, "\r\n", 2);
    }
    if (sh->chunked)
        PUT_LIT(&at, "Transfer-Encoding: chunked\r\n");
    if (!keep_alive)
        PUT_LIT(&at, "Connection: close\r\n");
    put(&at, "\r\n", 2);
    if (sh->body_len)
        put(&at, req->body, sh->body_len);
}

/* The pool's key for host:port over tls, made once per client: calls and
 * connections point to it, so that finding a pooled connection compares
 * pointers. */
static struct pool_key *key_find(const struct http_client *cl,
                                       const char *host, size_t hlen,
                                       const char *port, size_t plen,
                                       const struct rotor_tls *tls)
{
    for (struct pool_key *k = cl->keys; k; k = k->next)
        if (k->tls == tls && k->host_len == hlen && k->port_len == plen &&
            !memcmp(k->host, host, hlen) && !memcmp(k->port, port, plen))
            return k;
    return NULL;
}

size_t http__authority(char *d, const char *host, size_t hlen,
                           const char *port, size_t plen, bool tls)
{
    const char *usual = tls ? "443" : "80";
    bool v6 = memchr(host, ':', hlen) != NULL;
    bool port_shown = plen != strlen(usual) || memcmp(port, usual, plen);
    size_t n = hlen + 2 * v6 + (port_shown ? 1 + plen : 0);

    if (d) {
        char *at = d;
        if (v6)
            put(&at, "[", 1);
        put(&at, host, hlen);
        if (v6)
            put(&at, "]", 1);
        if (port_shown) {
            put(&at, ":", 1);
            put(&at, port, plen);
        }
    }
    return n;
}

/* A new key (request_check found none). */
static struct pool_key *key_new(struct http_client *cl, const char *host,
                                size_t hlen, const char *port, size_t plen,
                                struct rotor_tls *tls)
{
    struct pool_key *k;
    size_t alen = http__authority(NULL, host, hlen, port, plen, tls != NULL);

    if (!(k = malloc(sizeof *k + hlen + 1 + plen + 1 + alen)))
        return NULL;
    k->host = (char *)(k + 1);
    k->port = k->host + hlen + 1;
    k->authority = k->port + plen + 1;
    memcpy(k->host, host, hlen);
    k->host[hlen] = '\0';
    memcpy(k->port, port, plen);
    k->port[plen] = '\0';
    k->authority_len = http__authority(k->authority, host, hlen, port, plen,
                                    tls != NULL);
    k->host_len = hlen;
    k->port_len = plen;
    k->tls = tls;
    k->pooled = 0;
    k->idle = NULL;
    k->next = cl->keys;
    cl->keys = k;
    return k;
}

static struct http_call *exchange_new(struct http_client *cl,
                                      const struct http_client_request *req,
                                      const struct request_text *rt)
{
    bool keep_alive = cl->cfg.max_idle_per_host > 0;
    struct request_shape sh;
    struct pool_key *k = rt->key ? rt->key
                                 : key_new(cl, req->host, rt->host_len,
                                           rt->port, rt->port_len, req->tls);
    if (!k)
        return NULL;
    size_t n = request_size(req, rt, k, keep_alive, &sh);
    /* The request's bytes follow the call, in one allocation. */
    struct http_call *x = exchange_alloc(cl, n);

    if (!x)
        return NULL;
    size_t cap = x->cap;
    memset(x, 0, sizeof *x);
    x->cap = cap;
    x->client = cl;
    x->key = k;
    x->wire = (char *)(x + 1);
    x->wire_len = n;
    request_write(x->wire, req, rt, k, keep_alive, &sh);
    x->head_request = method_is(rt, "HEAD");
    /* A streamed body is gone once written: it cannot be sent again. */
    x->idempotent = idempotent(rt) && req->body_stream == HTTP_BODY_WHOLE;
    x->stream = (uint8_t)req->body_stream;
    x->stream_left = req->body_len;
    x->on_writable = req->on_writable;
    x->on_chunk = req->on_chunk;
    x->tls = req->tls;
    return x;
}

int http_client_request(struct http_client *c,
                        const struct http_client_request *req,
                        http_response_fn *on_response, void *arg)
{
    return http_client_start(c, req, on_response, arg, NULL);
}

int http_client_start(struct http_client *c,
                      const struct http_client_request *req,
                      http_response_fn *on_response, void *arg,
                      struct http_call **call)
{
    if (call)
        *call = NULL;
    if (!c || !req || !on_response)
        return rotor_set_error(ROTOR_EINVAL, "http_client_request: "
                               "client, request and callback are needed");
    struct request_text rt;
    int rc = request_check(c, req, &rt);
    if (rc < 0)
        return rc;
    struct http_call *x = exchange_new(c, req, &rt);
    if (!x)
        return rotor_set_error(ROTOR_ENOMEM, "http_client_request: "
                               "out of memory");
    x->on_response = on_response;
    x->arg = arg;
    rc = dispatch(c, x);
    if (rc < 0)
        exchange_free(x);
    else if (call)
        *call = x;
    return rc;
}

/* ---- the caller's hold on a call --------------------------------------- */

/* Tells the call's connection machine: from an action (another
 * machine's), queued behind it; from outside the machines, at once. */
static void tell_conn(struct http_client_conn *c, int event)
{
    rotor_post(rotor_scope_loop(c->s), c->ref, event, NULL);
}

int http_call_pause(struct http_call *call)
{
    if (!call || !call->on_chunk)
        return rotor_set_error(ROTOR_EINVAL, "http_call_pause: "
                               "only a streamed body can be held back");
    call->paused = true;
    return 0;
}

int http_call_resume(struct http_call *call)
{
    if (!call)
        return rotor_set_error(ROTOR_EINVAL, "http_call_resume: no call");
    call->paused = false;
    struct http_client_conn *c = call->conn;
    if (c && c->holding) {
        c->holding = false;
        tell_conn(c, http_client_conn_ev_resume);
    }
    return 0;
}

/* ---- a streamed request body ------------------------------------------- */

/* Appends a piece (a chunk's size line, data and CRLF) to the body's
 * queue, all or nothing: the connection's output once the head has gone
 * (its machine is told to send it), else the call's own buffer, which
 * hc_send moves after the head. */
static int body_put(struct http_call *call, const struct iovec *v, int n)
{
    struct http_client_conn *c = call->conn;

    if (c && c->sent)
        return rotor_stream_writev(c->s, v, n);
    if (!call->early && !(call->early = evbuffer_new()))
        return ROTOR_ENOMEM;
    size_t before = evbuffer_get_length(call->early);
    for (int i = 0; i < n; i++)
        if (evbuffer_add(call->early, v[i].iov_base, v[i].iov_len) < 0) {
            evbuffer_drain(call->early,
                           evbuffer_get_length(call->early) - before);
            return ROTOR_ENOMEM;
        }
    return 0;
}

static void body_wake(struct http_call *call, bool ended)
{
    struct http_client_conn *c = call->conn;

    if (!c || !c->sent)
        return;                 /* hc_send takes it all */
    if (ended) {
        tell_conn(c, http_client_conn_ev_body_done);
    } else if (!c->body_more_queued) {
        c->body_more_queued = true;
        tell_conn(c, http_client_conn_ev_body_more);
    }
}

static bool stream_open(const struct http_call *call)
{
    return call && call->stream != HTTP_BODY_WHOLE && !call->stream_ended;
}

int http_call_write(struct http_call *call, const void *data, size_t len)
{
    char line[20];
    bool chunked = call && call->stream == HTTP_BODY_STREAM_CHUNKED;

    if (!stream_open(call) || (len && !data) ||
        (!chunked && len > call->stream_left))
        return rotor_set_error(ROTOR_EINVAL, "http_call_write: not a "
                               "streamed body, ended, or more than its length");
    if (call->stream_cut || len == 0)
        return 0;
    struct iovec v[3] = {
        { line, chunked ? (size_t)snprintf(line, sizeof line, "%zx\r\n", len) : 0 },
        { (void *)data, len },
        { "\r\n", chunked ? 2 : 0 },
    };
    int rc = body_put(call, chunked ? v : v + 1, chunked ? 3 : 1);
    if (rc == 0 && !chunked)
        call->stream_left -= len;
    body_wake(call, false);
    return rc;
}

int http_call_write_end(struct http_call *call)
{
    if (!stream_open(call) ||
        (call->stream == HTTP_BODY_STREAM_SIZED && call->stream_left &&
         !call->stream_cut))
        return rotor_set_error(ROTOR_EINVAL, "http_call_write_end: not a "
                               "streamed body, ended, or short of its length");
    int rc = 0;
    if (call->stream == HTTP_BODY_STREAM_CHUNKED && !call->stream_cut)
        rc = body_put(call, &(struct iovec){ "0\r\n\r\n", 5 }, 1);
    call->stream_ended = true;
    if (!call->stream_cut)
        body_wake(call, true);
    return rc;
}

bool http_call_write_full(struct http_call *call)
{
    if (!stream_open(call) || call->stream_cut)
        return false;
    struct http_client_conn *c = call->conn;
    size_t queued = call->early ? evbuffer_get_length(call->early) : 0;
    if (c && c->sent)
        queued += rotor_stream_output_length(c->s);
    call->writer_waiting = queued > HTTP_CLIENT_SEND_HIGH;
    return call->writer_waiting;
}

void http_call_cancel(struct http_call *call)
{
    if (!call || call->cancelled)
        return;
    call->cancelled = true;
    if (call->conn)             /* its end frees the call */
        rotor_kill(rotor_scope_loop(call->conn->s), call->conn->ref);
}

int http_client_request_future(struct http_client *c,
                               const struct http_client_request *req,
                               struct rotor_promise *promise)
{
    if (!promise || (req && req->on_chunk))
        return rotor_set_error(ROTOR_EINVAL, "http_client_request_future: "
                               "a promise is needed, and no on_chunk");
    return http_client_request(c, req, resolve_promise, promise);
}

/* ---- the client -------------------------------------------------------- */

void http_client_config_init(struct http_client_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout = HTTP_CLIENT_CONNECT_TIMEOUT;
    cfg->response_timeout = HTTP_CLIENT_RESPONSE_TIMEOUT;
    cfg->body_timeout = HTTP_CLIENT_BODY_TIMEOUT;
    cfg->idle_timeout = HTTP_CLIENT_IDLE_TIMEOUT;
    cfg->head_max = HTTP_CLIENT_HEAD_MAX;
    cfg->body_max = 8u * 1024 * 1024;
    cfg->max_idle_per_host = 4;
}

static bool default_durations(const struct http_client_config *cfg)
{
    return cfg->connect_timeout == HTTP_CLIENT_CONNECT_TIMEOUT &&
           cfg->response_timeout == HTTP_CLIENT_RESPONSE_TIMEOUT &&
           cfg->body_timeout == HTTP_CLIENT_BODY_TIMEOUT &&
           cfg->idle_timeout == HTTP_CLIENT_IDLE_TIMEOUT &&
           cfg->head_max == HTTP_CLIENT_HEAD_MAX;
}

/* The named timeout `name` of a state, in the copy. */
static void set_named(struct rotor_timeout_info *t, uint8_t n,
                      const char *name, uint32_t ms)
{
    for (uint8_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            t[i].ms = ms;
}

/* A copy of http_client_conn's tables with the client's durations and
 * head limit in place of the .rsm's; the same dispatch runs it. */
static int own_type(struct http_client *cl)
{
    const struct rotor_machine_type *t = &http_client_conn_machine;
    size_t ns = (size_t)t->nstates, nt = 0, k = 0;

    for (size_t i = 0; i < ns; i++)
        nt += t->states[i].ntimeouts;
    cl->own_states = malloc(ns * sizeof *cl->own_states);
    cl->own_timeouts = malloc((nt ? nt : 1) * sizeof *cl->own_timeouts);
    if (!cl->own_states || !cl->own_timeouts)
        return ROTOR_ENOMEM;
    memcpy(cl->own_states, t->states, ns * sizeof *cl->own_states);
    for (size_t i = 0; i < ns; i++) {
        struct rotor_state_info *st = &cl->own_states[i];
        if (!st->ntimeouts)
            continue;
        memcpy(&cl->own_timeouts[k], st->timeouts,
               st->ntimeouts * sizeof *st->timeouts);
        set_named(&cl->own_timeouts[k], st->ntimeouts, "connect",
                  cl->cfg.connect_timeout);
        set_named(&cl->own_timeouts[k], st->ntimeouts, "send",
                  cl->cfg.response_timeout);
        st->timeouts = &cl->own_timeouts[k];
        k += st->ntimeouts;
    }
    cl->own_states[http_client_conn_st_exchange].timeout_ms =
        cl->cfg.response_timeout;
    cl->own_states[http_client_conn_st_body].timeout_ms = cl->cfg.body_timeout;
    cl->own_states[http_client_conn_st_idle].timeout_ms = cl->cfg.idle_timeout;
    cl->own_states[http_client_conn_st_head_wait].expect_size = cl->cfg.head_max;
    cl->own_states[http_client_conn_st_uploading].expect_size = cl->cfg.head_max;
    cl->own_type = *t;
    cl->own_type.states = cl->own_states;
    cl->type = &cl->own_type;
    return 0;
}

struct http_client *http_client_new(struct rotor_loop *loop,
                                    const struct http_client_config *cfg)
{
    struct http_client_config def;

    if (!cfg) {
        http_client_config_init(&def);
        cfg = &def;
    }
    ptrdiff_t via_len = cfg->via ? http__via_len(cfg->via) : 0;
    if (!loop || !cfg->connect_timeout || !cfg->response_timeout ||
        !cfg->body_timeout || !cfg->idle_timeout || cfg->head_max < 64 ||
        via_len < 0) {
        rotor_set_error(ROTOR_EINVAL, "http_client_new: no loop, a duration "
                        "of 0, a head_max under 64 or a bad via");
        return NULL;
    }
    /* The via's copy follows the client, in one allocation. */
    struct http_client *cl = calloc(1, sizeof *cl + (size_t)via_len + 1);
    if (!cl) {
        rotor_set_error(ROTOR_ENOMEM, "http_client_new: out of memory");
        return NULL;
    }
    cl->loop = loop;
    cl->cfg = *cfg;
    if (cfg->via) {
        cl->cfg.via = memcpy(cl + 1, cfg->via, (size_t)via_len + 1);
        cl->via_len = (size_t)via_len;
    }
    cl->type = &http_client_conn_machine;
    if (!default_durations(cfg) && own_type(cl) < 0) {
        http_client_free(cl);
        rotor_set_error(ROTOR_ENOMEM, "http_client_new: out of memory");
        return NULL;
    }
    return cl;
}

unsigned long http_client_connections(const struct http_client *c)
{
    return c ? c->opened : 0;
}

void http_client_free(struct http_client *cl)
{
    if (!cl)
        return;
    /* Calls ended from here on are freed, not kept as spares; so are
     * those whose callback is running (it may be this call's caller). */
    for (struct http_client_conn *c = cl->conns; c; c = c->next)
        if (c->x)
            c->x->client = NULL;
    for (struct callback_guard *g = cl->callbacks; g; g = g->outer)
        g->client_freed = true;
    /* Each machine's destroy answers its request with ECANCELED. */
    while (cl->conns) {
        struct http_client_conn *c = cl->conns;
        rotor_ref r = c->ref;
        conn_unlink(c);
        rotor_kill(cl->loop, r);
    }
    free(cl->own_states);
    free(cl->own_timeouts);
    while (cl->keys) {
        struct pool_key *k = cl->keys;
        cl->keys = k->next;
        free(k);
    }
    while (cl->spares) {
        struct http_call *x = cl->spares;
        cl->spares = x->next_spare;
        free(x);
    }
    free(cl);
}

/* ---- http_client_conn: life ------------------------------------------ */

static struct http_limits conn_limits(const struct http_client *cl)
{
    struct http_limits lim = http_limits_default;

    lim.head_max = cl->cfg.head_max;
    lim.line_max = cl->cfg.head_max - 2;
    lim.body_max = cl->cfg.body_max;
    return lim;
}

/* Starts connecting for the first request (the seed); a failure to even
 * start is raised as connect_failed. */
void hc_start(struct http_client_conn *c, rotor_scope *s, const rotor_event *ev)
{
    struct http_call *x = rotor_event_data(ev);
    struct http_limits lim = conn_limits(x->client);

    c->ref = rotor_scope_self(s);
    c->s = s;
    conn_take(c, x);
    conn_link(x->client, c);
    http_response_parser_init(&c->parser, &lim);
    c->key = x->key;
    c->host = strdup(x->key->host);
    c->port = strdup(x->key->port);
    c->wake = rotor_notifier_new(s);
    c->tls = x->tls;
    int rc = c->host && c->port && c->wake ? 0 : ROTOR_ENOMEM;
    /* HTTPS: the handshake runs once connected, before the request goes;
     * the host is the SNI and the name the certificate must carry. */
    if (rc == 0 && c->tls)
        rc = rotor_stream_tls(s, c->tls, c->host);
    if (rc == 0)
        rc = rotor_stream_connect(s, c->host, c->port);
    if (rc < 0) {
        c->err = rc;
        c->err_text = rotor_last_error();
        http_client_conn_raise_connect_failed(s);
    }
}

/* Leaves the pool.  A request handed over but never sent goes to another
 * connection; one sent gets the error that ended this one. */
void hc_end(struct http_client_conn *c, rotor_scope *s, const rotor_event *ev)
{
    struct http_client *cl = c->client;
    struct http_call *x = c->x;

    (void)s;
    (void)ev;
    conn_unlink(c);
    conn_take(c, NULL);
    if (x && !c->sent && !x->cancelled && cl && dispatch(cl, x) == 0)
        x = NULL;
    if (x)
        exchange_end(x, c->err ? c->err : HTTP_CLIENT_ECANCELED, NULL);
    rotor_notifier_free(c->wake);
    if (c->body)
        evbuffer_free(c->body);
    free(c->head_copy);
    free(c->host);
    free(c->port);
}

/* ---- http_client_conn: the request ------------------------------------ */

/* What a streamed body's writer wrote before the head went: after it,
 * extent by extent (no copy to make it one). */
static void send_early(rotor_scope *s, struct evbuffer *early)
{
    struct evbuffer_iovec v[8];
    int n;

    while ((n = evbuffer_peek(early, -1, NULL, v, 8)) > 0) {
        size_t sent = 0;
        for (int i = 0; i < n && i < 8; i++) {
            rotor_stream_write(s, v[i].iov_base, v[i].iov_len);
            sent += v[i].iov_len;
        }
        evbuffer_drain(early, sent);
    }
}

/* Writes the request in hand and readies the parser for its response. */
void hc_send(struct http_client_conn *c, rotor_scope *s, const rotor_event *ev)
{
    struct http_call *x = c->x;

    (void)ev;
    http_response_parser_reset(&c->parser, x->head_request);
    c->err = 0;
    c->err_text = NULL;
    c->partial = false;
    c->interim = 0;
    c->head_seen = 0;
    c->head_len = 0;
    c->head = NULL;
    c->body_total = 0;
    if (c->body)                /* the last response's, on a reused connection */
        evbuffer_drain(c->body, evbuffer_get_length(c->body));
    c->got_bytes = false;
    c->sent = true;
    c->body_more_queued = false;
    rotor_stream_write(s, x->wire, x->wire_len);   /* a failure is `error` */
    if (x->early)               /* a streamed body's first pieces */
        send_early(s, x->early);
}

/* ---- http_client_conn: a streamed request body ------------------------- */

bool hc_uploading(struct http_client_conn *c, rotor_scope *s,
                  const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return stream_open(c->x);
}

/* body_more or body_done: what was written leaves after this dispatch
 * (the stream sends after actions). */
void hc_body_sent(struct http_client_conn *c, rotor_scope *s,
                  const rotor_event *ev)
{
    (void)s;
    (void)ev;
    c->body_more_queued = false;
}

void hc_body_writable(struct http_client_conn *c, rotor_scope *s,
                      const rotor_event *ev)
{
    struct http_call *x = c->x;

    (void)s;
    (void)ev;
    if (!x || !x->writer_waiting)
        return;
    x->writer_waiting = false;
    if (x->on_writable)
        x->on_writable(x->arg);
}

/* The response began before the body ended: the rest is dropped, and
 * the connection, whose request was cut short, is not reused. */
void hc_upload_cut(struct http_client_conn *c, rotor_scope *s,
                   const rotor_event *ev)
{
    (void)s;
    (void)ev;
    c->x->stream_cut = true;
}

/* ---- http_client_conn: the head ---------------------------------------- */

static size_t head_extent(struct http_client_conn *c, rotor_scope *s)
{
    size_t n = rotor_stream_input_length(s);

    return n > c->parser.lim.head_max ? c->parser.lim.head_max : n;
}

static void record_error(struct http_client_conn *c, int err, const char *why)
{
    c->err = err;
    c->err_text = why ? why : error_text(err);
}

/* Runs the parser over what the input holds; drops interim (1xx)
 * responses.  Records a partial head, an error, or the final head's
 * length (head_len: still in the input). */
void hc_head_read(struct http_client_conn *c, rotor_scope *s,
                  const rotor_event *ev)
{
    (void)ev;
    for (;;) {
        size_t n = head_extent(c, s);
        if (n == 0) {           /* all of it was interim responses */
            c->head_seen = 0;
            c->partial = true;
            return;
        }
        const char *buf = rotor_stream_peek(s, n);
        int r = buf ? http_response_parse(&c->parser, buf, n) : ROTOR_ENOMEM;

        c->head_seen = (uint32_t)n;
        c->got_bytes = c->got_bytes || n > 0;
        c->partial = r == 0;
        if (r == 0)
            return;
        if (r < 0) {
            record_error(c, r, c->parser.reason);
            return;
        }
        if (c->parser.res.status >= 200) {
            c->head_len = (uint32_t)r;
            c->head = buf;
            return;
        }
        if (++c->interim > MAX_INTERIM) {
            record_error(c, HTTP_CLIENT_EPROTO, "too many 1xx responses");
            return;
        }
        rotor_stream_consume(s, (size_t)r);
        http_response_parser_reset(&c->parser, c->x->head_request);
    }
}

bool hc_head_unchanged(struct http_client_conn *c, rotor_scope *s,
                       const rotor_event *ev)
{
    (void)ev;
    return head_extent(c, s) == c->head_seen;
}

bool hc_head_partial(struct http_client_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->partial;
}

bool hc_failed(struct http_client_conn *c, rotor_scope *s,
               const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->err != 0;
}

bool hc_body_none(struct http_client_conn *c, rotor_scope *s,
                  const rotor_event *ev)
{
    const struct http_response_head *h = &c->parser.res;

    (void)s;
    (void)ev;
    return h->body == HTTP_BODY_NONE ||
           (h->body == HTTP_BODY_LENGTH && h->content_length == 0);
}

/* ---- http_client_conn: the body --------------------------------------- */

static int keep_head(struct http_client_conn *c)
{
    if (c->head_len > c->head_cap) {
        char *p = realloc(c->head_copy, c->head_len);
        if (!p)
            return -1;
        c->head_copy = p;
        c->head_cap = c->head_len;
    }
    memcpy(c->head_copy, c->head, c->head_len);
    c->head = c->head_copy;
    return 0;
}

/* The caller's view of the exchange so far, for on_chunk. */
static void tell_chunk(struct http_client_conn *c, const char *data,
                       size_t len)
{
    struct http_response r;

    response_fill(c, &r);
    c->x->on_chunk(&r, data, len, c->x->arg);
}

/* Keeps the head (the body moves the input on), readies the decoder and
 * the body buffer; a streaming caller hears of the head now. */
void hc_body_start(struct http_client_conn *c, rotor_scope *s,
                   const rotor_event *ev)
{
    (void)ev;
    c->head = rotor_stream_peek(s, c->head_len);
    if (!c->head || keep_head(c) < 0) {
        record_error(c, ROTOR_ENOMEM, NULL);
        c->head = NULL;
        return;
    }
    rotor_stream_consume(s, c->head_len);
    c->head_len = 0;
    c->body_left = c->parser.res.content_length;
    c->partial = true;
    if (c->parser.res.body == HTTP_BODY_CHUNKED)
        http_chunked_init(&c->chunked, &c->parser.lim);
    if (!c->x->on_chunk) {
        if (!c->body && !(c->body = evbuffer_new())) {
            record_error(c, ROTOR_ENOMEM, NULL);
            return;
        }
        evbuffer_drain(c->body, evbuffer_get_length(c->body));
    } else {
        tell_chunk(c, NULL, 0);
    }
}

static void body_piece(struct http_client_conn *c, const char *p, size_t n)
{
    if (n == 0)
        return;
    c->body_total += n;
    if (c->x->on_chunk)
        tell_chunk(c, p, n);
    else if (evbuffer_add(c->body, p, n) < 0)
        record_error(c, ROTOR_ENOMEM, NULL);
}

/* Decodes one extent; returns the bytes used, or < 0 (recorded). */
static ptrdiff_t body_extent(struct http_client_conn *c, const char *p,
                             size_t n, bool *done)
{
    const struct http_response_head *h = &c->parser.res;

    if (h->body == HTTP_BODY_CLOSE) {
        if (n > c->parser.lim.body_max - c->body_total) {
            record_error(c, HTTP_CLIENT_ETOOBIG, "body over the limit");
            return -1;
        }
        body_piece(c, p, n);
        return (ptrdiff_t)n;
    }
    if (h->body == HTTP_BODY_LENGTH) {
        size_t take = n < c->body_left ? n : (size_t)c->body_left;
        body_piece(c, p, take);
        c->body_left -= take;
        *done = c->body_left == 0;
        return (ptrdiff_t)take;
    }
    const char *data;
    size_t len;
    ptrdiff_t r = http_chunked_parse(&c->chunked, p, n, &data, &len);
    if (r < 0) {
        record_error(c, r == -413 ? HTTP_CLIENT_ETOOBIG : HTTP_CLIENT_EPROTO,
                     c->chunked.reason);
        return -1;
    }
    body_piece(c, data, len);
    *done = http_chunked_done(&c->chunked);
    return r;
}

/* Takes what the input holds of the body; records whether more is to
 * come, or an error. */
void hc_body_read(struct http_client_conn *c, rotor_scope *s,
                  const rotor_event *ev)
{
    bool done = false;
    const char *p;
    size_t n;

    (void)ev;
    c->got_bytes = true;
    while (!done && !c->err && !c->x->paused && !c->x->cancelled &&
           (p = rotor_stream_extent(s, &n)) != NULL) {
        ptrdiff_t used = body_extent(c, p, n, &done);
        if (used < 0)
            return;
        rotor_stream_consume(s, (size_t)used);
        if (used == 0 && !done)
            break;
    }
    c->partial = !done;
}

bool hc_body_partial(struct http_client_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->partial;
}

bool hc_body_until_close(struct http_client_conn *c, rotor_scope *s,
                         const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->parser.res.body == HTTP_BODY_CLOSE;
}

/* ---- http_client_conn: the end of an exchange -------------------------- */

/* May the connection carry another request (and is there room)? */
bool hc_reusable(struct http_client_conn *c, rotor_scope *s,
                 const rotor_event *ev)
{
    struct http_client *cl = c->client;

    (void)s;
    (void)ev;
    return cl && c->parser.res.keep_alive && !c->x->stream_cut &&
           c->key->pooled < cl->cfg.max_idle_per_host;
}

void hc_park(struct http_client_conn *c, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    set_pooled(c, true);
}

void hc_unpark(struct http_client_conn *c, rotor_scope *s,
               const rotor_event *ev)
{
    (void)s;
    (void)ev;
    set_pooled(c, false);
}

/* The response is whole: the caller gets it, and a head still in the
 * input (no body) leaves it. */
void hc_deliver(struct http_client_conn *c, rotor_scope *s,
                const rotor_event *ev)
{
    struct http_call *x = c->x;
    struct http_response r;

    (void)ev;
    if (c->head_len)            /* peeked anew: the input may have moved */
        c->head = rotor_stream_peek(s, c->head_len);
    c->served++;
    conn_take(c, NULL);
    response_fill(c, &r);
    exchange_end(x, 0, &r);
    if (c->head_len) {
        rotor_stream_consume(s, c->head_len);
        c->head_len = 0;
    }
    c->head = NULL;
}

/* ---- http_client_conn: failures ---------------------------------------- */

/* A request sent on a reused connection that the server closed before
 * answering a byte is sent again on a new one, once, when that is safe
 * (RFC 9112 9.3.1): the server may close an idle connection as we send. */
static bool retry_ok(struct http_client_conn *c)
{
    struct http_call *x = c->x;

    return x && c->client && c->served > 0 && !c->got_bytes &&
           x->idempotent && !x->retried;
}

/* Ends the exchange with the recorded error (or retries it). */
void hc_fail(struct http_client_conn *c, rotor_scope *s, const rotor_event *ev)
{
    struct http_call *x = c->x;
    struct http_response r;

    (void)ev;
    if (!x)
        return;
    if (c->head_len)
        c->head = rotor_stream_peek(s, c->head_len);
    conn_take(c, NULL);
    response_fill(c, &r);
    exchange_end(x, c->err, &r);
}

static void fail_with(struct http_client_conn *c, rotor_scope *s,
                      const rotor_event *ev, int err, const char *why)
{
    if (retry_ok(c)) {
        struct http_call *x = c->x;
        x->retried = true;
        conn_take(c, NULL);
        if (dispatch(c->client, x) == 0)
            return;
        conn_take(c, x);
    }
    record_error(c, err, why);
    hc_fail(c, s, ev);
}

void hc_fail_io(struct http_client_conn *c, rotor_scope *s,
                const rotor_event *ev)
{
    int e = rotor_event_error(ev);
    /* A failed TLS session says why (a certificate, a handshake). */
    const char *why = c->tls ? rotor_stream_tls_error(s) : NULL;

    fail_with(c, s, ev, e > 0 ? -e : e, why && *why ? why : NULL);
}

void hc_fail_timeout(struct http_client_conn *c, rotor_scope *s,
                     const rotor_event *ev)
{
    record_error(c, HTTP_CLIENT_ETIMEDOUT, NULL);
    hc_fail(c, s, ev);
}

void hc_fail_closed(struct http_client_conn *c, rotor_scope *s,
                    const rotor_event *ev)
{
    fail_with(c, s, ev, HTTP_CLIENT_ECLOSED, NULL);
}

void hc_fail_head_too_large(struct http_client_conn *c, rotor_scope *s,
                            const rotor_event *ev)
{
    record_error(c, HTTP_CLIENT_ETOOBIG, "response header line too long");
    hc_fail(c, s, ev);
}

/* ---- http_client_conn: a body held back -------------------------------- */

bool hc_body_held(struct http_client_conn *c, rotor_scope *s,
                  const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return c->x->paused && c->partial;
}

void hc_hold(struct http_client_conn *c, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    c->holding = true;
}
