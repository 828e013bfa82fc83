/*
 * http-proxy: a reverse proxy made of librotor-http's two halves, the
 * server's connection machines (grammars/http.rsm) taking requests and
 * the client's (grammars/http-client.rsm) carrying them upstream, in one
 * loop per thread.
 *
 *     http-proxy [--threads N] [--upstream-timeout MS] [--body-max BYTES]
 *                [--keepalive N] [--upstream UPSTREAM]... [HOST:]PORT
 *                [UPSTREAM...]
 *
 * Each UPSTREAM is HOST:PORT (after the listening address, or each with
 * --upstream, the form for scripts that append the address; at least
 * one); requests go to them in turn (round robin,
 * per thread), over keep-alive connections of each thread's pool (at
 * most --keepalive idle ones per upstream, 64 by default: a connection
 * that ends its exchange with that many idle is closed).  The
 * request is forwarded with its method, target and fields, less the
 * hop-by-hop ones, plus Via and X-Forwarded-For, as soon as its head is
 * in; its body (at most --body-max bytes, 8 MiB by default: more gets
 * 413) follows as it comes, framed as the client framed it, at the pace
 * of the upstream: with 64 KiB queued for the upstream, the client's body
 * is not read until most of that has gone (http_call_write_full(),
 * http_body_pause(), on_writable).
 * The answer streams back as it comes, at the pace of the client: when
 * the client has 64 KiB still to take, the upstream connection is not
 * read until it has taken most of it (http_answer_full(), writable,
 * http_call_pause()), so a slow client never makes the proxy hold a big
 * body.  An upstream that cannot be reached or answers badly gets the
 * client a 502; one that does not answer within --upstream-timeout
 * (30000 ms) a 504; one that fails mid-body, a connection closed before
 * the body's end.  A client that goes away cancels its upstream request.
 *
 * "http-proxy: listening on HOST:PORT" goes to stderr once it listens;
 * SIGINT and SIGTERM stop it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rotor/rotor.h>
#include <rotor/http.h>

#define MAX_THREADS 64
#define MAX_UPSTREAMS 16

struct upstream {
    char host[256];
    char port[32];
};

struct options {
    struct upstream up[MAX_UPSTREAMS];
    unsigned nup;
    uint32_t upstream_timeout;      /* ms, the client's response deadline */
    uint64_t body_max;
    unsigned keepalive;             /* idle connections per upstream */
};

/* One per loop: the server's context and the client of that loop. */
struct proxy_loop {
    struct http_server srv;
    struct http_client *client;
    const struct options *opt;
    unsigned next;                  /* the upstream of the next request */
};

/* One exchange being relayed, in the exchange's scratch space. */
struct relay {
    struct http_exchange *x;
    struct http_call *call;         /* NULL once it answered */
    bool started;                   /* the answer's head is sent */
    bool streaming;                 /* the request's body goes as it comes */
};

_Static_assert(sizeof(struct relay) <= HTTP_SCRATCH, "fits the scratch");

/* ---- answers ---------------------------------------------------------------- */

static void answer_plain(struct http_exchange *x, int status, const char *msg)
{
    static const struct http_header text = { "Content-Type", "text/plain" };

    http_respond(x, status, &text, 1, msg, strlen(msg));
}

/* The upstream failed before its answer began: 504 for its deadline,
 * 502 for everything else (unreachable, malformed, closed, too big). */
static void answer_failure(struct http_exchange *x, int err)
{
    if (err == HTTP_CLIENT_ETIMEDOUT)
        answer_plain(x, 504, "Gateway Timeout\n");
    else
        answer_plain(x, 502, "Bad Gateway\n");
}

/* The answer's head: the upstream's status and fields, framed by its
 * Content-Length when it has one (the pieces then go as they are), else
 * chunked. */
static bool start_answer(struct relay *r, const struct http_response *res)
{
    r->started = http_respond_relay(r->x, res, NULL, 0) == 0;
    return r->started;
}

/* The upstream request cannot be completed (its answer's head refused,
 * its body not queued): it goes, and the client gets 502, or a cut-off
 * answer if it had begun. */
static void give_up(struct relay *r)
{
    http_call_cancel(r->call);
    r->call = NULL;
    if (r->started)
        http_respond_abort(r->x);
    else
        answer_plain(r->x, 502, "Bad Gateway\n");
}

/* ---- the upstream's side ---------------------------------------------------- */

/* The head is in (len 0), then each piece of the body: to the client, at
 * its pace. */
static void upstream_piece(const struct http_response *res, const char *data,
                           size_t len, void *arg)
{
    struct relay *r = arg;

    if (len == 0) {
        if (!start_answer(r, res))
            give_up(r);                     /* no on_response after this */
        return;
    }
    http_respond_chunk(r->x, data, len);
    if (http_answer_full(r->x))
        http_call_pause(r->call);
}

static void upstream_done(int err, const struct http_response *res, void *arg)
{
    struct relay *r = arg;

    r->call = NULL;
    if (r->started) {
        if (err)
            http_respond_abort(r->x);
        else
            http_respond_end(r->x);
    } else if (err) {
        answer_failure(r->x, err);
    } else if (!start_answer(r, res) || http_respond_end(r->x) < 0) {
        answer_plain(r->x, 502, "Bad Gateway\n");
    }
}

/* ---- the client's side -------------------------------------------------------- */

static const struct upstream *pick_upstream(struct proxy_loop *pl)
{
    const struct upstream *u = &pl->opt->up[pl->next];

    pl->next = (pl->next + 1) % pl->opt->nup;
    return u;
}

/* The client has taken most of the upload: the client's body may come
 * again. */
static void upstream_writable(void *arg)
{
    struct relay *r = arg;

    http_body_resume(r->x);
}

/* Starts the upstream request; false when it could not even start.  A
 * request with a body (r->streaming) sends it as it comes, framed as the
 * client framed it. */
static bool forward(struct proxy_loop *pl, struct relay *r)
{
    const struct upstream *u = pick_upstream(pl);
    struct http_client_request req = {
        .host = u->host, .port = u->port, .relay = r->x,
        .on_chunk = upstream_piece,
    };

    if (r->streaming) {
        int64_t len = http_content_length(r->x);
        req.body_stream = len < 0 ? HTTP_BODY_STREAM_CHUNKED
                                  : HTTP_BODY_STREAM_SIZED;
        req.body_len = len < 0 ? 0 : (size_t)len;
        req.on_writable = upstream_writable;
    }
    /* The request is copied: nothing of it is needed once this returns. */
    return http_client_start(pl->client, &req, upstream_done, r,
                             &r->call) == 0;
}

/* The request's head: it goes upstream at once (its body follows as it
 * comes, see relay_piece); the answer comes later, from upstream. */
static void relay_start(struct http_exchange *x)
{
    struct proxy_loop *pl = http_app(x);
    struct relay *r = http_scratch(x);

    r->x = x;
    if (http_defer(x) < 0)
        answer_plain(x, 500, "Internal Server Error\n");
    else if (!forward(pl, r))
        answer_plain(x, 502, "Bad Gateway\n");
}

/* A request with a body: started before the body comes. */
static void relay_begin(struct http_exchange *x)
{
    struct relay *r = http_scratch(x);

    r->streaming = true;
    relay_start(x);
}

/* A piece of the client's body: upstream, at the upstream's pace (with
 * 64 KiB queued for it, the client's body is not read until most of that
 * has gone).  Once the upstream has answered whole, the rest is
 * dropped. */
static void relay_piece(struct http_exchange *x, const char *data, size_t len)
{
    struct relay *r = http_scratch(x);

    if (!r->call)
        return;
    if (http_call_write(r->call, data, len) < 0)
        give_up(r);             /* the upload cannot go on whole */
    else if (http_call_write_full(r->call))
        http_body_pause(x);
}

/* The whole request is in: a request without a body starts now; one
 * with a body has started, and its body ends. */
static void relay_request(struct http_exchange *x)
{
    struct relay *r = http_scratch(x);

    if (!r->streaming)
        relay_start(x);
    else if (r->call && http_call_write_end(r->call) < 0)
        give_up(r);
}

/* The client has taken most of what it had to take: read on upstream. */
static void client_caught_up(struct http_exchange *x)
{
    struct relay *r = http_scratch(x);

    if (r->call)
        http_call_resume(r->call);
}

/* The client went away (or the answer was too late to begin): the
 * upstream request goes too. */
static void client_gone(struct http_exchange *x)
{
    struct relay *r = http_scratch(x);

    http_call_cancel(r->call);
    r->call = NULL;
}

static struct http_handler relay_handler = {
    .want = HTTP_WANT_STREAM,
    .body_max = 8u << 20,
    .begin = relay_begin,
    .chunk = relay_piece,
    .respond = relay_request,
    .writable = client_caught_up,
    .aborted = client_gone,
};

static void not_allowed(struct http_exchange *x)
{
    http_close_after(x);
    answer_plain(x, 405, "Method Not Allowed\n");
}

static const struct http_handler not_allowed_handler = {
    .want = HTTP_WANT_IGNORE, .body_max = 1 << 20, .respond = not_allowed,
};

/* Everything in origin form goes upstream; CONNECT and absolute or
 * authority targets are not a reverse proxy's business. */
static const struct http_handler *route(struct http_exchange *x, void *app)
{
    size_t n;
    const char *t = http_target(x, &n);

    (void)app;
    if (http_method(x) == HTTP_CONNECT)
        return &not_allowed_handler;
    if (n == 0 || (t[0] != '/' && !(n == 1 && t[0] == '*')))
        return NULL;                        /* 404 */
    return &relay_handler;
}

/* ---- loops ---------------------------------------------------------------- */

static struct rotor_loop *proxy_loop_new(struct proxy_loop *pl,
                                         const struct options *opt, int fd)
{
    struct rotor_config cfg;
    struct http_client_config cc;
    struct rotor_loop *loop;

    /* The library relays the fields both ways (http_respond_relay(),
     * the request's `relay`): as they came, less the hop-by-hop ones and
     * those the Connection field names.  It adds Via both ways (the
     * server's and the client's via) and X-Forwarded-For upstream (the
     * client's forwarded_for), each joined to the field of that name. */
    http_server_init(&pl->srv, route, pl);
    pl->srv.via = "rotor";
    pl->opt = opt;
    rotor_config_init(&cfg);
    cfg.context = &pl->srv;
    if (!(loop = rotor_loop_new(&cfg)))
        return NULL;
    http_client_config_init(&cc);
    cc.response_timeout = opt->upstream_timeout;
    cc.body_max = UINT64_MAX;               /* streamed, at the client's pace */
    cc.max_idle_per_host = opt->keepalive;
    cc.via = "rotor";
    cc.forwarded_for = true;
    if (!(pl->client = http_client_new(loop, &cc)) ||
        !rotor_ref_valid(http_server_listen(loop, fd))) {
        http_client_free(pl->client);
        rotor_loop_free(loop);
        return NULL;
    }
    return loop;
}

/* ---- the command line ----------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: http-proxy [--threads N] [--upstream-timeout MS] "
                    "[--body-max BYTES] [--keepalive N]\n"
                    "                  [--upstream UPSTREAM]... [HOST:]PORT "
                    "[UPSTREAM...]\n"
                    "       each UPSTREAM is HOST:PORT; at least one\n");
    return 2;
}

static int number(const char *s, unsigned long long lo, unsigned long long hi,
                  unsigned long long *out)
{
    char *end;

    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int add_upstream(struct options *opt, const char *arg)
{
    struct upstream *u = &opt->up[opt->nup];

    if (opt->nup == MAX_UPSTREAMS || !strchr(arg, ':') ||
        rotor_listen_addr_parse(arg, "127.0.0.1", u->host, sizeof u->host,
                                u->port, sizeof u->port) < 0)
        return -1;
    opt->nup++;
    return 0;
}

/* Options, then LISTEN and the upstreams.  Returns the index of LISTEN,
 * or -1. */
static int parse_args(int argc, char **argv, struct options *opt,
                      unsigned long long *threads)
{
    unsigned long long v;
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            return -1;
        if (!strcmp(a, "--threads") && number(argv[i + 1], 1, MAX_THREADS, &v) == 0)
            *threads = v;
        else if (!strcmp(a, "--upstream-timeout") &&
                 number(argv[i + 1], 1, 86400000, &v) == 0)
            opt->upstream_timeout = (uint32_t)v;
        else if (!strcmp(a, "--body-max") && number(argv[i + 1], 0, 1ull << 40, &v) == 0)
            opt->body_max = v;
        else if (!strcmp(a, "--keepalive") && number(argv[i + 1], 0, 100000, &v) == 0)
            opt->keepalive = (unsigned)v;
        else if (!strcmp(a, "--upstream") && add_upstream(opt, argv[i + 1]) == 0)
            continue;
        else
            return -1;
    }
    if (i >= argc || opt->nup + (unsigned)(argc - i - 1) == 0)
        return -1;
    for (int k = i + 1; k < argc; k++)
        if (add_upstream(opt, argv[k]) < 0) {
            fprintf(stderr, "http-proxy: bad upstream '%s'\n", argv[k]);
            return -1;
        }
    return i;
}

int main(int argc, char **argv)
{
    static struct options opt = { .upstream_timeout = 30000,
                                  .body_max = 8u << 20, .keepalive = 64 };
    static struct proxy_loop pls[MAX_THREADS];
    struct rotor_loop *loops[MAX_THREADS];
    char host[256], port[32], where[300];
    unsigned long long threads = 1;
    int n, at = parse_args(argc, argv, &opt, &threads);

    if (at < 0)
        return usage();
    relay_handler.body_max = opt.body_max;
    if (rotor_listen_addr_parse(argv[at], "127.0.0.1", host, sizeof host,
                                port, sizeof port) < 0) {
        fprintf(stderr, "http-proxy: %s\n", rotor_last_error());
        return usage();
    }
    /* The first socket settles the port (0: a free one); the others
     * share it. */
    int flags = threads > 1 ? ROTOR_LISTEN_REUSEPORT : 0;
    int fd = rotor_listen_socket(host, port, flags);
    if (fd < 0) {
        fprintf(stderr, "http-proxy: %s\n", rotor_last_error());
        return 1;
    }
    rotor_socket_describe(fd, where, sizeof where);
    snprintf(port, sizeof port, "%d", rotor_socket_port(fd));
    for (n = 0; n < (int)threads; n++) {
        if ((n > 0 && (fd = rotor_listen_socket(host, port, flags)) < 0) ||
            !(loops[n] = proxy_loop_new(&pls[n], &opt, fd))) {
            fprintf(stderr, "http-proxy: %s\n", rotor_last_error());
            return 1;
        }
    }
    fprintf(stderr, "http-proxy: listening on %s\n", where);

    int rc = rotor_loop_run_all(loops, (size_t)n);
    if (rc < 0)
        fprintf(stderr, "http-proxy: %s\n", rotor_last_error());
    for (int i = 0; i < n; i++) {
        http_client_free(pls[i].client);
        rotor_loop_free(loops[i]);
        http_server_fini(&pls[i].srv);
    }
    return rc < 0 ? 1 : 0;
}
