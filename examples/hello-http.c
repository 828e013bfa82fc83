/*
 * hello-http: the hello-world HTTP/1.1 server of rotor-http, on
 * grammars/http.rsm and the handler interface of <rotor/http.h>
 * (librotor-http).
 *
 *     hello-http [--threads N] [--head-timeout S] [--idle-timeout S]
 *                [--max-requests N] [HOST:]PORT     (default 127.0.0.1:8888)
 *
 *   GET /       Hello World!
 *   GET /num    This host has been visited N times   (every request counts)
 *   GET /NAME   Hello NAME!
 *   POST /NAME  the body buffered (at most 1 MiB), PUT /NAME streamed (at
 *               most 64 MiB); both answer "Hello NAME! LEN bytes, cksum CRC"
 *               with the POSIX cksum(1) CRC of the body
 *   a target not starting with '/': 404; other methods: 405
 *
 * --threads N runs N loops, one per thread, each with its own listening
 * socket on the same port (SO_REUSEPORT); the visit counter is shared.
 * Port 0 picks a free port; "hello-http: listening on HOST:PORT" goes to
 * stderr.  SIGINT, SIGTERM and SIGHUP stop it cleanly (every loop:
 * rotor_loop_run_all()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/rotor.h>
#include <rotor/http.h>

#define MAX_THREADS 64

struct hello {
    atomic_ulong visits;
    struct http_server srv;
};

static const struct http_header text_plain[] = {
    { "Content-Type", "text/plain" },
};

/* ---- handlers ---------------------------------------------------------- */

static struct http_prepared hello_world;

static void say_hello(struct http_exchange *x)
{
    http_respond_prepared(x, &hello_world);
}

static void say_visits(struct http_exchange *x)
{
    struct hello *h = http_app(x);
    char msg[80];
    int n = snprintf(msg, sizeof msg, "This host has been visited %lu times",
                     atomic_load_explicit(&h->visits, memory_order_relaxed));

    http_respond(x, 200, text_plain, 1, msg, (size_t)n);
}

/* "Hello " NAME "!" with NAME the target after its '/', as sent. */
static void say_name(struct http_exchange *x)
{
    char msg[8192 + 16];
    size_t n;
    const char *t = http_target(x, &n);

    if (n - 1 > sizeof msg - 7)
        n = sizeof msg - 6;
    memcpy(msg, "Hello ", 6);
    memcpy(msg + 6, t + 1, n - 1);
    msg[6 + n - 1] = '!';
    http_respond(x, 200, text_plain, 1, msg, n + 6);
}

static void not_allowed(struct http_exchange *x)
{
    static const struct http_header h[] = {
        { "Content-Type", "text/plain" },
        { "Allow", "GET, HEAD, POST, PUT" },
    };
    http_respond(x, 405, h, 2, "Method Not Allowed\n", 19);
}

/* POSIX cksum(1): CRC-32 (polynomial 0x04C11DB7, most significant bit
 * first) over the data, then over its length, complemented. */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i << 24;
        for (int k = 0; k < 8; k++)
            c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n--)
        crc = (crc << 8) ^ crc_table[(crc >> 24) ^ *p++];
    return crc;
}

static uint32_t crc_finish(uint32_t crc, uint64_t len)
{
    for (; len; len >>= 8) {
        unsigned char b = (unsigned char)(len & 0xff);
        crc = crc_update(crc, &b, 1);
    }
    return ~crc;
}

/* The scratch area of an upload. */
struct upload {
    uint32_t crc;
};

static void upload_answer(struct http_exchange *x, uint32_t crc)
{
    char msg[8192 + 80];
    size_t n;
    const char *t = http_target(x, &n);
    const char *name = n > 1 ? t + 1 : "World";
    int nlen = n > 1 ? (int)(n - 1) : 5;

    if (nlen > 8192)
        nlen = 8192;
    int len = snprintf(msg, sizeof msg, "Hello %.*s! %" PRIu64 " bytes, cksum %" PRIu32 "\n",
                       nlen, name, http_body_length(x), crc);
    http_respond(x, 200, text_plain, 1, msg, (size_t)len);
}

static void upload_chunk(struct http_exchange *x, const char *p, size_t n)
{
    struct upload *u = http_scratch(x);

    u->crc = crc_update(u->crc, (const unsigned char *)p, n);
}

static void upload_streamed(struct http_exchange *x)
{
    struct upload *u = http_scratch(x);

    upload_answer(x, crc_finish(u->crc, http_body_length(x)));
}

static void upload_buffered(struct http_exchange *x)
{
    size_t n;
    const char *body = http_body(x, &n);
    uint32_t crc = crc_update(0, (const unsigned char *)body, n);

    upload_answer(x, crc_finish(crc, n));
}

static const struct http_handler hello_handler = {
    .want = HTTP_WANT_IGNORE, .body_max = 1 << 20, .respond = say_hello,
};
static const struct http_handler visits_handler = {
    .want = HTTP_WANT_IGNORE, .body_max = 1 << 20, .respond = say_visits,
};
static const struct http_handler name_handler = {
    .want = HTTP_WANT_IGNORE, .body_max = 1 << 20, .respond = say_name,
};
static const struct http_handler post_handler = {
    .want = HTTP_WANT_BUFFER, .body_max = 1 << 20, .respond = upload_buffered,
};
static const struct http_handler put_handler = {
    .want = HTTP_WANT_STREAM, .body_max = 64u << 20,
    .chunk = upload_chunk, .respond = upload_streamed,
};
static const struct http_handler not_allowed_handler = {
    .want = HTTP_WANT_IGNORE, .body_max = 1 << 20, .respond = not_allowed,
};

static const struct http_handler *route(struct http_exchange *x, void *app)
{
    struct hello *h = app;
    size_t n;
    const char *t = http_target(x, &n);

    atomic_fetch_add_explicit(&h->visits, 1, memory_order_relaxed);
    if (n == 0 || t[0] != '/')
        return NULL;                    /* 404 */
    switch (http_method(x)) {
    case HTTP_GET:
    case HTTP_HEAD:
        if (n == 1)
            return &hello_handler;
        if (n == 4 && memcmp(t, "/num", 4) == 0)
            return &visits_handler;
        return &name_handler;
    case HTTP_POST:
        return &post_handler;
    case HTTP_PUT:
        return &put_handler;
    default:
        return &not_allowed_handler;
    }
}

/* ---- loops ------------------------------------------------------------- */

static struct rotor_loop *loops[MAX_THREADS];
static int nloops;

/* A loop whose context is the server, listening on fd. */
static struct rotor_loop *server_loop(struct hello *h, int fd)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.context = &h->srv;
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    if (!loop)
        return NULL;
    if (!rotor_ref_valid(http_server_listen(loop, fd))) {
        rotor_loop_free(loop);
        return NULL;
    }
    return loop;
}

/* HTTPS: the certificate chain and key, ALPN http/1.1 so that clients
 * that offer h2 too settle at once. */
static struct rotor_tls *https_context(const char *cert, const char *key)
{
    struct rotor_tls_config cfg;
    struct rotor_tls *tls;

    rotor_tls_config_init(&cfg);
    cfg.cert_file = cert;
    cfg.key_file = key;
    cfg.alpn = "http/1.1";
    if (!(tls = rotor_tls_server_new(&cfg)))
        fprintf(stderr, "hello-http: --tls: %s\n", rotor_last_error());
    return tls;
}

static int usage(void)
{
    fprintf(stderr, "usage: hello-http [--threads N] [--head-timeout S] "
                    "[--idle-timeout S] [--max-requests N] "
                    "[--tls CERT KEY] [HOST:]PORT\n"
                    "       (default 127.0.0.1:8888)\n");
    return 2;
}

static int number(const char *s, unsigned long lo, unsigned long hi,
                  unsigned long *out)
{
    char *end;

    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    static struct hello hello;
    char host[256], port[32], where[300];
    const char *addr = "8888";
    unsigned long threads = 1, v;
    int i;

    http_server_init(&hello.srv, route, &hello);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            addr = a;
            if (i + 1 != argc)
                return usage();
            break;
        }
        if (i + 1 >= argc)
            return usage();
        if (!strcmp(a, "--threads") && number(argv[++i], 1, MAX_THREADS, &v) == 0)
            threads = v;
        else if (!strcmp(a, "--head-timeout") && number(argv[++i], 1, 3600, &v) == 0)
            hello.srv.head_timeout = (unsigned)v;
        else if (!strcmp(a, "--idle-timeout") && number(argv[++i], 1, 86400, &v) == 0)
            hello.srv.idle_timeout = (unsigned)v;
        else if (!strcmp(a, "--max-requests") && number(argv[++i], 1, 4000000000ul, &v) == 0)
            hello.srv.max_requests = (unsigned)v;
        else if (!strcmp(a, "--tls") && i + 2 < argc) {
            if (!(hello.srv.tls = https_context(argv[i + 1], argv[i + 2])))
                return 1;
            i += 2;
        } else
            return usage();
    }
    if (rotor_listen_addr_parse(addr, "127.0.0.1", host, sizeof host, port,
                                sizeof port) < 0) {
        fprintf(stderr, "hello-http: %s\n", rotor_last_error());
        return usage();
    }
    crc_init();
    if (http_prepare(&hello_world, 200, text_plain, 1, "Hello World!", 12) < 0) {
        fprintf(stderr, "hello-http: out of memory\n");
        return 1;
    }

    /* The first socket settles the port (0: a free one); the others
     * share it. */
    int flags = threads > 1 ? ROTOR_LISTEN_REUSEPORT : 0;
    int fd = rotor_listen_socket(host, port, flags);
    if (fd < 0) {
        fprintf(stderr, "hello-http: %s\n", rotor_last_error());
        return 1;
    }
    rotor_socket_describe(fd, where, sizeof where);
    snprintf(port, sizeof port, "%d", rotor_socket_port(fd));
    for (nloops = 0; nloops < (int)threads; nloops++) {
        if (nloops > 0 && (fd = rotor_listen_socket(host, port, flags)) < 0) {
            fprintf(stderr, "hello-http: %s\n", rotor_last_error());
            return 1;
        }
        if (!(loops[nloops] = server_loop(&hello, fd))) {
            fprintf(stderr, "hello-http: %s\n", rotor_last_error());
            return 1;
        }
    }
    fprintf(stderr, "hello-http: listening on %s\n", where);

    /* Until SIGINT or SIGTERM: a normal end, exit status 0. */
    int rc = rotor_loop_run_all(loops, (size_t)nloops);
    if (rc < 0)
        fprintf(stderr, "hello-http: %s\n", rotor_last_error());
    for (i = 0; i < nloops; i++)
        rotor_loop_free(loops[i]);
    http_prepared_free(&hello_world);
    http_server_fini(&hello.srv);
    rotor_tls_free(hello.srv.tls);
    return rc < 0 ? 1 : 0;
}
