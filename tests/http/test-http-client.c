/*
 * test-http-client.c: the HTTP/1.1 client of librotor-http
 * (<rotor/http-client.h>, grammars/http-client.rsm) against a scripted
 * peer: this test is the server, on a real TCP socket of 127.0.0.1, and
 * answers with fixed bytes.  The loop is librotor-test's (virtual clock),
 * so the deadlines are checked to the millisecond without waiting, and
 * the loop only runs when the test says (rotor_test_settle): each step
 * is "the client acts, the loop settles, the peer looks".
 *
 * Keep-alive is measured on the server's side: the peer counts the
 * connections it accepts.  Every case ends with no machine left (a
 * failed connection is dropped, never pooled), and valgrind
 * (tests/valgrind.sh) finds no leak.
 */
#define _GNU_SOURCE
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rotor/http.h>
#include <rotor/test.h>

#include "fetcher-data.h"
#include "http-client-data.h"
#include "fetcher-machines.h"
#include "http-client-machines.h"

_Static_assert(HTTP_CLIENT_RESPONSE_TIMEOUT == 30000, "response deadline 30 s");
_Static_assert(HTTP_CLIENT_BODY_TIMEOUT == 30000, "body deadline 30 s");
_Static_assert(HTTP_CLIENT_IDLE_TIMEOUT == 30000, "idle deadline 30 s");
_Static_assert(HTTP_CLIENT_CONNECT_TIMEOUT == 10000, "connect deadline 10 s");

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_test *t;
static struct rotor_loop *loop;
static struct http_client *client;
static int lfd = -1;                /* the peer's listening socket */
static char port[16];
static int accepted;                /* connections the peer accepted */

static void listen_on_loopback(int backlog)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(lfd, backlog), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    snprintf(port, sizeof port, "%u", ntohs(a.sin_port));
}

static void client_with(const struct http_client_config *cfg)
{
    if (client)
        http_client_free(client);
    client = http_client_new(loop, cfg);
    ck_assert_ptr_nonnull(client);
}

static void setup(void)
{
    t = rotor_test_new(NULL);
    ck_assert_ptr_nonnull(t);
    loop = rotor_test_loop(t);
    client_with(NULL);
    listen_on_loopback(16);
    accepted = 0;
}

static void teardown(void)
{
    http_client_free(client);
    client = NULL;
    rotor_test_free(t);
    t = NULL;
    close(lfd);
    lfd = -1;
}

/* ---- the peer ----------------------------------------------------------- */

/* Waits (poll, a guard of 5 s, never a sleep) until fd is readable. */
static void wait_readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    for (int i = 0; i < 500; i++) {
        ck_assert_int_ge(rotor_test_settle(t), 0);
        if (poll(&p, 1, 10) == 1)
            return;
    }
    ck_abort_msg("fd %d never became readable", fd);
}

static int peer_accept(void)
{
    wait_readable(lfd);
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    accepted++;
    return fd;
}

/* No connection is waiting to be accepted (after the loop settled). */
static void peer_no_new_connection(void)
{
    ck_assert_int_ge(rotor_test_settle(t), 0);
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_msg(fd < 0 && errno == EAGAIN, "a new connection came");
}

/* Reads one request head (and what came with it) into buf. */
static size_t peer_read_request(int fd, char *buf, size_t cap)
{
    size_t n = 0;

    while (!memmem(buf, n, "\r\n\r\n", 4)) {
        wait_readable(fd);
        ssize_t r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
        ck_assert_int_gt(r, 0);
        n += (size_t)r;
    }
    buf[n] = 0;
    return n;
}

static void peer_send(int fd, const char *s, size_t n)
{
    ck_assert_int_eq(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
    for (int i = 0; i < 3; i++)     /* delivered, and what it caused */
        ck_assert_int_ge(rotor_test_settle(t), 0);
}

#define PEER_SEND(fd, lit) peer_send((fd), (lit), sizeof(lit) - 1)

/* ---- the caller --------------------------------------------------------- */

struct got {
    int calls, err, status;
    char body[256];
    size_t body_len;
    char text[128];
    char server[32];
    int chunks, head_seen;      /* on_chunk: calls, of which len 0 */
};

static void on_response(int err, const struct http_response *res, void *arg)
{
    struct got *g = arg;
    size_t n;
    const char *b = http_response_body(res, &n);
    const char *srv = http_response_header(res, "server", &n);

    g->calls++;
    g->err = err;
    ck_assert_int_eq(http_response_error(res), err);
    g->status = http_response_status(res);
    b = http_response_body(res, &n);
    if (b && n < sizeof g->body) {
        memcpy(g->body + g->body_len, b, n);
        g->body_len += n;
    }
    snprintf(g->text, sizeof g->text, "%s", http_response_error_text(res));
    srv = http_response_header(res, "server", &n);
    if (srv)
        snprintf(g->server, sizeof g->server, "%.*s", (int)n, srv);
}

static void on_chunk(const struct http_response *res, const char *data,
                     size_t len, void *arg)
{
    struct got *g = arg;

    ck_assert_int_eq(http_response_status(res), 200);
    g->chunks++;
    if (len == 0) {
        g->head_seen++;
        return;
    }
    ck_assert_uint_lt(g->body_len + len, sizeof g->body);
    memcpy(g->body + g->body_len, data, len);
    g->body_len += len;
}

static void get(const char *method, const char *target, struct got *g)
{
    struct http_client_request req = {
        .method = method, .host = "127.0.0.1", .port = port, .target = target,
    };

    memset(g, 0, sizeof *g);
    ck_assert_int_eq(http_client_request(client, &req, on_response, g), 0);
    ck_assert_int_eq(g->calls, 0);      /* never before it returns */
}

#define EXPECT_OK(g, st, want) do { \
    ck_assert_msg((g).calls == 1 && (g).err == 0, "calls %d err %d (%s)", \
                  (g).calls, (g).err, (g).text); \
    ck_assert_int_eq((g).status, (st)); \
    ck_assert_uint_eq((g).body_len, strlen(want)); \
    ck_assert(!memcmp((g).body, (want), strlen(want))); \
} while (0)

static void expect_no_machine(void)
{
    ck_assert_int_ge(rotor_test_settle(t), 0);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}

/* ---- framing ------------------------------------------------------------ */

START_TEST(content_length)
{
    char req[1024];
    struct got g;

    get("GET", "/a?b=c", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    ck_assert_msg(!strncmp(req, "GET /a?b=c HTTP/1.1\r\nHost: 127.0.0.1:", 37),
                  "%s", req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nServer: peer\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_OK(g, 200, "hello");
    ck_assert_str_eq(g.server, "peer");
    close(fd);
    expect_no_machine();
}
END_TEST

/* N requests, each made after the previous answer: one connection. */
START_TEST(keep_alive_reuse)
{
    char req[1024];
    struct got g;
    int fd = -1;

    for (int i = 0; i < 5; i++) {
        get("GET", "/", &g);
        if (i == 0)
            fd = peer_accept();
        peer_read_request(fd, req, sizeof req);
        PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        EXPECT_OK(g, 200, "ok");
        ck_assert_uint_eq(rotor_loop_machines(loop), 1);    /* pooled */
    }
    peer_no_new_connection();
    ck_assert_int_eq(accepted, 1);
    ck_assert_uint_eq(http_client_connections(client), 1);
    close(fd);                          /* the pooled connection sees eof */
    expect_no_machine();
}
END_TEST

/* Requests made from the response callback find the connection pooled. */
static struct got chained[3];
static int chain_at;

static void on_chained(int err, const struct http_response *res, void *arg)
{
    on_response(err, res, arg);
    if (++chain_at < 3) {
        struct http_client_request req = {
            .host = "127.0.0.1", .port = port, .target = "/next",
        };
        ck_assert_int_eq(http_client_request(client, &req, on_chained,
                                             &chained[chain_at]), 0);
    }
}

START_TEST(keep_alive_from_callback)
{
    struct http_client_request req = {
        .host = "127.0.0.1", .port = port, .target = "/first",
    };
    char buf[1024];

    memset(chained, 0, sizeof chained);
    chain_at = 0;
    ck_assert_int_eq(http_client_request(client, &req, on_chained,
                                         &chained[0]), 0);
    int fd = peer_accept();
    for (int i = 0; i < 3; i++) {
        peer_read_request(fd, buf, sizeof buf);
        PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
        EXPECT_OK(chained[i], 200, "x");
    }
    peer_no_new_connection();
    ck_assert_uint_eq(http_client_connections(client), 1);
    close(fd);
    expect_no_machine();
}
END_TEST

START_TEST(chunked_in_pieces)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi");
    ck_assert_int_eq(g.calls, 0);
    PEER_SEND(fd, "ki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\n");
    EXPECT_OK(g, 200, "Wikipedia");
    ck_assert_uint_eq(rotor_loop_machines(loop), 1);    /* reusable */
    close(fd);
    expect_no_machine();
}
END_TEST

START_TEST(close_delimited)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\n\r\nuntil");
    ck_assert_int_eq(g.calls, 0);
    PEER_SEND(fd, " the end");
    close(fd);
    ck_assert_int_ge(rotor_test_settle(t), 0);
    EXPECT_OK(g, 200, "until the end");
    expect_no_machine();                /* never pooled */
}
END_TEST

START_TEST(interim_responses_skipped)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                  "Link: </s>\r\n\r\n");
    ck_assert_int_eq(g.calls, 0);
    PEER_SEND(fd, "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew");
    EXPECT_OK(g, 201, "new");
    close(fd);
    expect_no_machine();
}
END_TEST

/* HEAD, 204 and 304 have no body whatever their fields say; the
 * connection carries the next request. */
START_TEST(no_body_responses)
{
    char req[1024];
    struct got g;

    get("HEAD", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    ck_assert(!strncmp(req, "HEAD / HTTP/1.1\r\n", 17));
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    EXPECT_OK(g, 200, "");
    get("GET", "/", &g);
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 204 No Content\r\n\r\n");
    EXPECT_OK(g, 204, "");
    get("GET", "/", &g);
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n");
    EXPECT_OK(g, 304, "");
    peer_no_new_connection();
    close(fd);
    expect_no_machine();
}
END_TEST

/* The body given to on_chunk: first the head (len 0), then the pieces. */
START_TEST(streamed_body)
{
    struct http_client_request r = {
        .host = "127.0.0.1", .port = port, .on_chunk = on_chunk,
    };
    char req[1024];
    struct got g;

    memset(&g, 0, sizeof g);
    ck_assert_int_eq(http_client_request(client, &r, on_response, &g), 0);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
    ck_assert_int_eq(g.head_seen, 1);
    PEER_SEND(fd, "def");
    EXPECT_OK(g, 200, "abcdef");
    ck_assert_int_ge(g.chunks, 3);
    close(fd);
    expect_no_machine();
}
END_TEST

/* A POST's body goes with Content-Length. */
START_TEST(post_body)
{
    static const struct http_header h = { "Content-Type", "text/plain" };
    struct http_client_request r = {
        .method = "POST", .host = "127.0.0.1", .port = port,
        .target = "/up", .headers = &h, .nheaders = 1,
        .body = "payload", .body_len = 7,
    };
    char req[1024];
    struct got g;

    memset(&g, 0, sizeof g);
    ck_assert_int_eq(http_client_request(client, &r, on_response, &g), 0);
    int fd = peer_accept();
    size_t n = peer_read_request(fd, req, sizeof req);
    ck_assert_ptr_nonnull(strstr(req, "\r\nContent-Type: text/plain\r\n"));
    ck_assert_ptr_nonnull(strstr(req, "\r\nContent-Length: 7\r\n"));
    ck_assert(n >= 7 && !memcmp(req + n - 7, "payload", 7));
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_OK(g, 200, "");
    close(fd);
    expect_no_machine();
}
END_TEST

START_TEST(bad_requests_refused)
{
    static const struct http_header crlf = { "X", "a\r\nInjected: 1" };
    static const struct http_header host = { "Host", "other" };
    struct http_client_request r = { .host = "127.0.0.1", .port = port };
    struct got g;

    r.target = "/a b";
    ck_assert_int_eq(http_client_request(client, &r, on_response, &g), ROTOR_EINVAL);
    r.target = "/";
    r.method = "G T";
    ck_assert_int_eq(http_client_request(client, &r, on_response, &g), ROTOR_EINVAL);
    r.method = NULL;
    r.headers = &crlf;
    r.nheaders = 1;
    ck_assert_int_eq(http_client_request(client, &r, on_response, &g), ROTOR_EINVAL);
    r.headers = &host;
    ck_assert_int_eq(http_client_request(client, &r, on_response, &g), ROTOR_EINVAL);
    r.host = NULL;
    ck_assert_int_eq(http_client_request(client, &r, on_response, &g), ROTOR_EINVAL);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

/* A proxy's via is checked once, where it is configured: a client or a
 * server listening with one that could split or extend a Via element is
 * refused (and the listening socket closed), a good one is copied. */
START_TEST(bad_via_refused)
{
    struct http_client_config cfg;
    char name[8] = "rotor";
    struct http_server srv;
    struct rotor_config rc;
    struct rotor_loop *l;

    http_client_config_init(&cfg);
    cfg.via = "a, b";
    ck_assert_ptr_null(http_client_new(loop, &cfg));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    cfg.via = name;
    client_with(&cfg);
    name[0] = ' ';              /* the client's is a copy */
    http_client_free(client);
    client = NULL;

    http_server_init(&srv, NULL, NULL);
    srv.via = "rotor (x)";
    rotor_config_init(&rc);
    rc.context = &srv;
    ck_assert_ptr_nonnull(l = rotor_loop_new(&rc));
    ck_assert(!rotor_ref_valid(http_server_listen(l, lfd)));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert_int_eq(fcntl(lfd, F_GETFD), -1);  /* closed, as documented */
    lfd = -1;
    listen_on_loopback(16);
    srv.via = "proxy.example:8080";
    ck_assert(rotor_ref_valid(http_server_listen(l, lfd)));
    lfd = -1;                   /* the listener's now */
    rotor_loop_free(l);
    http_server_fini(&srv);
}
END_TEST

/* The Host field each request of a pool key carries. */
static void expect_authority(const char *host, const char *p, bool tls,
                             const char *want)
{
    char got[64];
    size_t n = http__authority(NULL, host, strlen(host), p, strlen(p), tls);

    ck_assert_uint_eq(n, strlen(want));
    ck_assert_uint_eq(http__authority(got, host, strlen(host), p, strlen(p),
                                      tls), n);
    got[n] = '\0';
    ck_assert_str_eq(got, want);
}

START_TEST(host_field)
{
    expect_authority("example.com", "80", false, "example.com");
    expect_authority("example.com", "443", true, "example.com");
    expect_authority("example.com", "443", false, "example.com:443");
    expect_authority("example.com", "80", true, "example.com:80");
    expect_authority("127.0.0.1", "8080", false, "127.0.0.1:8080");
    expect_authority("::1", "80", false, "[::1]");
    expect_authority("2001:db8::1", "8443", true, "[2001:db8::1]:8443");
    expect_authority("h", "800", false, "h:800");   /* not "80" */
}
END_TEST

/* ---- malformed responses ------------------------------------------------ */

struct bad {
    const char *name, *bytes;
    int err;
    const char *text;
};

static const struct bad bad[] = {
    { "bad status line", "HTTP/1.1 2OO OK\r\n\r\n", HTTP_CLIENT_EPROTO, "invalid status line" },
    { "not HTTP", "SSH-2.0-x\r\n\r\n", HTTP_CLIENT_EPROTO, "invalid status line" },
    { "status 600", "HTTP/1.1 600 X\r\n\r\n", HTTP_CLIENT_EPROTO, "invalid status code" },
    { "both framings", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_CLIENT_EPROTO, "both Content-Length and Transfer-Encoding" },
    { "negative length", "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", HTTP_CLIENT_EPROTO, "invalid Content-Length" },
    { "overflowing length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", HTTP_CLIENT_EPROTO, "Content-Length overflow" },
    { "overflowing chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", HTTP_CLIENT_EPROTO, "chunk size overflow" },
    { "bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HTTP_CLIENT_EPROTO, "invalid chunk size line" },
    { "bare CR", "HTTP/1.1 200 OK\r\nA: b\r\r\n\r\n", HTTP_CLIENT_EPROTO, "bare CR" },
    { "obs-fold", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", HTTP_CLIENT_EPROTO, "obs-fold or whitespace before a field name" },
    { "body over body_max", "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", HTTP_CLIENT_ETOOBIG, "Content-Length over the body limit" },
    { "chunks over body_max", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n", HTTP_CLIENT_ETOOBIG, "chunked body too large" },
    { "close-delimited over body_max", "HTTP/1.1 200 OK\r\n\r\n" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789", HTTP_CLIENT_ETOOBIG, "body over the limit" },
    { "stray bytes after the body", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n\r\n", 0, NULL },
};

START_TEST(malformed)
{
    const struct bad *b = &bad[_i];
    struct http_client_config cfg;
    char req[1024];
    struct got g;

    http_client_config_init(&cfg);
    cfg.body_max = 1000;
    client_with(&cfg);
    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    peer_send(fd, b->bytes, strlen(b->bytes));
    ck_assert_msg(g.calls == 1, "%s: %d calls", b->name, g.calls);
    ck_assert_msg(g.err == b->err, "%s: error %d (%s), not %d", b->name,
                  g.err, g.text, b->err);
    if (b->text)
        ck_assert_msg(!strcmp(g.text, b->text), "%s: \"%s\"", b->name, g.text);
    /* the connection is dropped, not pooled (the stray bytes after a good
     * response end the pooled connection) */
    expect_no_machine();
    close(fd);
    /* and the next request makes a new one */
    get("GET", "/", &g);
    fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_OK(g, 200, "");
    ck_assert_int_eq(accepted, 2);
    close(fd);
    expect_no_machine();
}
END_TEST

START_TEST(head_over_limit)
{
    struct http_client_config cfg;
    char req[1024], big[600];
    struct got g;

    http_client_config_init(&cfg);
    cfg.head_max = 512;
    client_with(&cfg);
    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    memset(big, 'a', sizeof big);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nX: ");
    peer_send(fd, big, sizeof big);     /* one line over the head limit */
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ETOOBIG);
    expect_no_machine();
    close(fd);

    get("GET", "/", &g);               /* many short lines over the limit */
    fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 60 && g.calls == 0; i++)
        PEER_SEND(fd, "Xxxxxxxxx: 1\r\n");
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ETOOBIG);
    ck_assert_str_eq(g.text, "response header section too large");
    expect_no_machine();
    close(fd);
}
END_TEST

START_TEST(closed_mid_body)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    close(fd);
    ck_assert_int_ge(rotor_test_settle(t), 0);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ECLOSED);
    ck_assert_int_eq(g.status, 200);    /* the head had come */
    expect_no_machine();
}
END_TEST

/* The server closes a kept-alive connection as the next request goes
 * out: a GET is sent again, once, on a new connection. */
START_TEST(stale_connection_retried)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1");
    EXPECT_OK(g, 200, "1");
    get("GET", "/again", &g);
    peer_read_request(fd, req, sizeof req);
    close(fd);                          /* read, never answered */
    int fd2 = peer_accept();
    peer_read_request(fd2, req, sizeof req);
    ck_assert(!strncmp(req, "GET /again ", 11));
    PEER_SEND(fd2, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2");
    EXPECT_OK(g, 200, "2");
    ck_assert_int_eq(accepted, 2);
    close(fd2);
    expect_no_machine();
}
END_TEST

START_TEST(connection_refused)
{
    struct got g;

    close(lfd);                         /* nobody listens on the port now */
    lfd = -1;
    get("GET", "/", &g);
    for (int i = 0; i < 100 && g.calls == 0; i++) {
        struct pollfd none;
        ck_assert_int_ge(rotor_test_settle(t), 0);
        poll(&none, 0, 10);
    }
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, -ECONNREFUSED);
    expect_no_machine();
    listen_on_loopback(16);             /* for teardown */
}
END_TEST

/* ---- deadlines, on the virtual clock ------------------------------------- */

START_TEST(response_deadline)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    uint64_t sent = rotor_test_now(t);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\n");   /* a head that never ends */
    ck_assert_int_ge(rotor_test_advance(t, sent + 29999 - rotor_test_now(t)), 0);
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_ge(rotor_test_advance(t, 1), 1);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ETIMEDOUT);
    expect_no_machine();
    close(fd);
}
END_TEST

START_TEST(body_deadline)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
    ck_assert_int_ge(rotor_test_advance(t, 29999), 0);
    PEER_SEND(fd, "c");                  /* a byte re-arms it */
    ck_assert_int_ge(rotor_test_advance(t, 29999), 0);
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_ge(rotor_test_advance(t, 1), 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ETIMEDOUT);
    ck_assert_int_eq(g.status, 200);
    expect_no_machine();
    close(fd);
}
END_TEST

START_TEST(idle_deadline)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_OK(g, 200, "");
    ck_assert_int_ge(rotor_test_advance(t, 29999), 0);
    ck_assert_uint_eq(rotor_loop_machines(loop), 1);
    ck_assert_int_ge(rotor_test_advance(t, 1), 1);
    expect_no_machine();
    close(fd);
}
END_TEST

/* Durations of the client's own (copies of the machine's tables). */
START_TEST(configured_deadline)
{
    struct http_client_config cfg;
    char req[1024];
    struct got g;

    http_client_config_init(&cfg);
    cfg.response_timeout = 500;
    client_with(&cfg);
    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    ck_assert_int_ge(rotor_test_advance(t, 499), 0);
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_ge(rotor_test_advance(t, 1), 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ETIMEDOUT);
    expect_no_machine();
    close(fd);
}
END_TEST

/* A connect that never completes: the listener's backlog is full, so
 * the kernel drops our SYNs. */
START_TEST(connect_deadline)
{
    int fill[4];
    struct got g;
    struct sockaddr_in a = { .sin_family = AF_INET };

    close(lfd);
    listen_on_loopback(0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)atoi(port));
    for (int i = 0; i < 4; i++) {       /* fill the accept queue */
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    get("GET", "/", &g);
    ck_assert_int_ge(rotor_test_settle(t), 0);
    ck_assert_int_ge(rotor_test_advance(t, 9999), 0);
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_ge(rotor_test_advance(t, 1), 1);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ETIMEDOUT);
    expect_no_machine();
    for (int i = 0; i < 4; i++)
        close(fill[i]);
}
END_TEST

/* ---- the client's end, futures ------------------------------------------ */

/* The response callback frees the client: the call it ends is freed
 * with it, not kept for the (gone) client's next request (ASan and
 * valgrind see a use after free otherwise). */
static void free_client_on_response(int err, const struct http_response *res,
                                    void *arg)
{
    on_response(err, res, arg);
    http_client_free(client);
    client = NULL;
}

START_TEST(free_from_callback)
{
    struct http_client_request req = {
        .host = "127.0.0.1", .port = port, .target = "/",
    };
    char buf[1024];
    struct got g;

    memset(&g, 0, sizeof g);
    ck_assert_int_eq(http_client_request(client, &req,
                                         free_client_on_response, &g), 0);
    int fd = peer_accept();
    peer_read_request(fd, buf, sizeof buf);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    EXPECT_OK(g, 200, "ok");
    ck_assert_ptr_null(client);
    close(fd);
    expect_no_machine();
}
END_TEST

START_TEST(free_cancels)
{
    char req[1024];
    struct got g;

    get("GET", "/", &g);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    http_client_free(client);
    client = NULL;
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ECANCELED);
    expect_no_machine();
    close(fd);
}
END_TEST

/* fetcher.rsm's actions: the future variant from a machine. */
void fetch_start(struct fetcher *f, rotor_scope *s, const rotor_event *ev)
{
    struct rotor_future *fu;
    struct rotor_promise *p;

    f->job = rotor_event_data(ev);
    ck_assert_int_eq(rotor_future_new(s, 0, &fu, &p), 0);
    f->job->started = http_client_request_future(f->job->client, &f->job->req, p);
    if (f->job->started < 0)
        rotor_promise_free(p);
}

void fetch_done(struct fetcher *f, rotor_scope *s, const rotor_event *ev)
{
    struct http_result *r = rotor_future_take(rotor_event_future(ev));
    const struct http_response *res = http_result_response(r);
    size_t n;
    const char *b = http_response_body(res, &n);

    (void)s;
    f->job->resolved++;
    f->job->err = http_response_error(res);
    f->job->status = http_response_status(res);
    snprintf(f->job->body, sizeof f->job->body, "%.*s", (int)n, b ? b : "");
    http_result_free(r);
}

START_TEST(future_from_a_machine)
{
    struct fetch_job job = {
        .client = client,
        .req = { .host = "127.0.0.1", .port = port, .target = "/f" },
    };
    char req[1024];

    ck_assert(rotor_ref_valid(rotor_spawn(loop, &fetcher_machine, &job)));
    ck_assert_int_eq(job.started, 0);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\ndone");
    ck_assert_int_eq(job.resolved, 1);
    ck_assert_int_eq(job.err, 0);
    ck_assert_int_eq(job.status, 202);
    ck_assert_str_eq(job.body, "done");
    close(fd);
    expect_no_machine();
}
END_TEST

/* ---- back-pressure and cancelling ------------------------------------- */

/* A streamed body taken by a caller that pauses after each piece it gets,
 * until the test resumes it; or cancels at its first piece. */
struct holder {
    struct http_call *call;
    size_t got, pieces;
    int calls, err;
    bool cancel;
};

static void hold_chunk(const struct http_response *res, const char *data,
                       size_t len, void *arg)
{
    struct holder *h = arg;

    (void)res;
    (void)data;
    if (len == 0)
        return;
    h->got += len;
    h->pieces++;
    if (h->cancel)
        http_call_cancel(h->call);
    else
        ck_assert_int_eq(http_call_pause(h->call), 0);
}

static void hold_response(int err, const struct http_response *res, void *arg)
{
    struct holder *h = arg;

    (void)res;
    h->calls++;
    h->err = err;
}

static void start_held(struct holder *h)
{
    struct http_client_request r = {
        .host = "127.0.0.1", .port = port, .on_chunk = hold_chunk,
    };

    ck_assert_int_eq(http_client_start(client, &r, hold_response, h,
                                       &h->call), 0);
    ck_assert_ptr_nonnull(h->call);
}

/* Sends until the socket takes no more without blocking: the client is
 * not reading.  Returns the bytes sent. */
static size_t peer_fill(int fd, size_t most)
{
    static char junk[65536];
    size_t sent = 0;

    memset(junk, 'z', sizeof junk);
    while (sent < most) {
        size_t n = most - sent < sizeof junk ? most - sent : sizeof junk;
        ssize_t w = send(fd, junk, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            break;
        }
        sent += (size_t)w;
        ck_assert_int_ge(rotor_test_settle(t), 0);
    }
    return sent;
}

START_TEST(paused_body_is_not_read)
{
    const size_t total = 8u << 20;      /* more than every buffer between */
    struct holder h = { 0 };
    char req[1024], head[96];

    start_held(&h);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", total);
    peer_send(fd, head, (size_t)n);
    size_t sent = peer_fill(fd, total);
    ck_assert_uint_lt(sent, total);     /* the socket filled up */
    ck_assert_uint_eq(h.pieces, 1);     /* one piece, then held */
    ck_assert_uint_lt(h.got, sent);
    ck_assert_int_eq(h.calls, 0);

    /* Resumed piece by piece, the rest comes, and the connection is kept. */
    for (int i = 0; i < 100000 && h.calls == 0; i++) {
        ck_assert_int_eq(http_call_resume(h.call), 0);
        ck_assert_int_ge(rotor_test_settle(t), 0);
        if (sent < total)
            sent += peer_fill(fd, total - sent);
    }
    ck_assert_int_eq(h.calls, 1);
    ck_assert_int_eq(h.err, 0);
    ck_assert_uint_eq(h.got, total);
    ck_assert_uint_gt(h.pieces, 2);
    ck_assert_uint_eq(http_client_connections(client), 1);
    close(fd);
}
END_TEST

START_TEST(cancel_mid_body)
{
    struct holder h = { .cancel = true };
    char req[1024], buf[16];

    start_held(&h);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
    ck_assert_uint_eq(h.pieces, 1);
    PEER_SEND(fd, "def");
    ck_assert_uint_eq(h.pieces, 1);     /* nothing after the cancel */
    ck_assert_int_eq(h.calls, 0);       /* and no callback, ever */
    expect_no_machine();                /* the connection is not reused */
    wait_readable(fd);
    ck_assert_int_eq(recv(fd, buf, sizeof buf, 0), 0);  /* closed */
    close(fd);
}
END_TEST

START_TEST(pause_needs_a_streamed_body)
{
    struct http_client_request r = { .host = "127.0.0.1", .port = port };
    struct got g;
    struct http_call *call;
    char req[1024];

    memset(&g, 0, sizeof g);
    ck_assert_int_eq(http_client_start(client, &r, on_response, &g, &call), 0);
    ck_assert_int_eq(http_call_pause(call), ROTOR_EINVAL);
    ck_assert_int_eq(http_call_pause(NULL), ROTOR_EINVAL);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    EXPECT_OK(g, 200, "ok");
    close(fd);
}
END_TEST

/* ---- a streamed request body ---------------------------------------------- */

/* Reads exactly n bytes of what the client sends. */
static void peer_read_exactly(int fd, char *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        wait_readable(fd);
        ssize_t r = recv(fd, buf + got, n - got, MSG_DONTWAIT);
        ck_assert_int_gt(r, 0);
        got += (size_t)r;
    }
}

static struct http_call *start_upload(enum http_body_source how, size_t len,
                                      struct got *g, http_writable_fn *w)
{
    struct http_client_request r = {
        .method = "PUT", .host = "127.0.0.1", .port = port, .target = "/up",
        .body_stream = how, .body_len = len, .on_writable = w,
    };
    struct http_call *call;

    memset(g, 0, sizeof *g);
    ck_assert_int_eq(http_client_start(client, &r, on_response, g, &call), 0);
    return call;
}

/* Written before the connection is up, and after: Content-Length, the
 * bytes in order, and the connection kept. */
START_TEST(streamed_sized_upload)
{
    char req[1024], rest[8];
    struct got g, g2;
    struct http_call *call = start_upload(HTTP_BODY_STREAM_SIZED, 10, &g, NULL);

    ck_assert_int_eq(http_call_write(call, "01234", 5), 0);
    int fd = peer_accept();
    size_t n = peer_read_request(fd, req, sizeof req);
    ck_assert_ptr_nonnull(strstr(req, "\r\nContent-Length: 10\r\n"));
    ck_assert_ptr_null(strstr(req, "Transfer-Encoding"));
    char *body = strstr(req, "\r\n\r\n") + 4;
    if ((size_t)(body - req) == n)          /* the first piece came apart */
        peer_read_exactly(fd, body, 5), n += 5;
    ck_assert_uint_eq(n - (size_t)(body - req), 5);
    ck_assert(!memcmp(body, "01234", 5));

    ck_assert_int_eq(http_call_write(call, "5678901", 7), ROTOR_EINVAL);
    ck_assert_int_eq(http_call_write_end(call), ROTOR_EINVAL);   /* short */
    ck_assert_int_eq(http_call_write(call, "56789", 5), 0);
    ck_assert_int_ge(rotor_test_settle(t), 0);
    peer_read_exactly(fd, rest, 5);
    ck_assert(!memcmp(rest, "56789", 5));
    ck_assert_int_eq(http_call_write_end(call), 0);
    ck_assert_int_eq(http_call_write(call, "x", 1), ROTOR_EINVAL);  /* ended */
    PEER_SEND(fd, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    EXPECT_OK(g, 201, "ok");

    get("GET", "/again", &g2);
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_OK(g2, 200, "");
    ck_assert_uint_eq(http_client_connections(client), 1);
    close(fd);
}
END_TEST

START_TEST(streamed_chunked_upload)
{
    static const char want[] = "3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n";
    char req[1024], rest[64];
    struct got g;
    struct http_call *call = start_upload(HTTP_BODY_STREAM_CHUNKED, 0, &g, NULL);
    int fd = peer_accept();

    peer_read_request(fd, req, sizeof req);
    ck_assert_ptr_nonnull(strstr(req, "\r\nTransfer-Encoding: chunked\r\n"));
    ck_assert_ptr_null(strstr(req, "Content-Length"));
    ck_assert_int_eq(http_call_write(call, "abc", 3), 0);
    ck_assert_int_eq(http_call_write(call, "", 0), 0);    /* not the end */
    ck_assert_int_eq(http_call_write(call, "defgh", 5), 0);
    ck_assert_int_eq(http_call_write_end(call), 0);
    ck_assert_int_ge(rotor_test_settle(t), 0);
    peer_read_exactly(fd, rest, sizeof want - 1);
    ck_assert(!memcmp(rest, want, sizeof want - 1));
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_OK(g, 200, "");
    close(fd);
}
END_TEST

/* A server that answers before the body's end: the rest is dropped, and
 * the connection, whose request was cut short, is not reused. */
START_TEST(early_response_cuts_the_upload)
{
    char req[1024], buf[4096];
    struct got g;
    struct http_call *call = start_upload(HTTP_BODY_STREAM_SIZED, 100, &g, NULL);
    int fd = peer_accept();

    ck_assert_int_eq(http_call_write(call, "0123456789", 10), 0);
    ck_assert_int_ge(rotor_test_settle(t), 0);
    size_t n = peer_read_request(fd, req, sizeof req);
    char *body = strstr(req, "\r\n\r\n") + 4;
    size_t body_seen = n - (size_t)(body - req);
    PEER_SEND(fd, "HTTP/1.1 413 Too Large\r\nContent-Length: 5\r\n\r\n");
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_eq(http_call_write(call, "dropped", 7), 0);
    ck_assert_int_ge(rotor_test_settle(t), 0);
    PEER_SEND(fd, "abcde");
    EXPECT_OK(g, 413, "abcde");
    expect_no_machine();                    /* not pooled */
    /* The peer got the head and the ten bytes, nothing after. */
    for (;;) {
        wait_readable(fd);
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        ck_assert_int_ge(r, 0);
        if (r == 0)
            break;
        body_seen += (size_t)r;
    }
    ck_assert_uint_eq(body_seen, 10);
    close(fd);
}
END_TEST

/* Back-pressure: a server that reads nothing makes write_full say so;
 * on_writable comes once it has taken the backlog down. */
static int writable_calls;

static void count_writable(void *arg)
{
    (void)arg;
    writable_calls++;
}

START_TEST(upload_waits_for_the_server)
{
    static char piece[16384];
    const size_t total = 8u << 20;          /* more than every buffer between */
    char req[1024];
    struct got g;
    size_t written = 0, taken = 0;

    writable_calls = 0;
    memset(piece, 'u', sizeof piece);
    struct http_call *call = start_upload(HTTP_BODY_STREAM_SIZED, total, &g,
                                          count_writable);
    int fd = peer_accept();
    size_t n = peer_read_request(fd, req, sizeof req);
    taken = n - (size_t)(strstr(req, "\r\n\r\n") + 4 - req);
    for (int i = 0; i < 10000 && !http_call_write_full(call); i++) {
        ck_assert_int_eq(http_call_write(call, piece, sizeof piece), 0);
        written += sizeof piece;
        ck_assert_int_ge(rotor_test_settle(t), 0);
    }
    ck_assert(http_call_write_full(call));
    ck_assert_uint_lt(written, total);
    ck_assert_int_eq(writable_calls, 0);

    /* The server reads; each on_writable lets the writer go on. */
    int seen = 0;
    for (int i = 0; i < 1000000 && taken < total; i++) {
        ssize_t r = recv(fd, req, sizeof req, MSG_DONTWAIT);
        if (r > 0)
            taken += (size_t)r;
        ck_assert_int_ge(rotor_test_settle(t), 0);
        if (writable_calls > seen && written < total) {
            seen = writable_calls;
            while (written < total && !http_call_write_full(call)) {
                ck_assert_int_eq(http_call_write(call, piece, sizeof piece), 0);
                written += sizeof piece;
            }
            if (written == total)
                ck_assert_int_eq(http_call_write_end(call), 0);
        }
    }
    ck_assert_uint_eq(written, total);
    ck_assert_uint_eq(taken, total);
    ck_assert_int_gt(writable_calls, 1);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_OK(g, 200, "");
    close(fd);
}
END_TEST

/* Nothing written for the send deadline (the response timeout): the
 * request fails, as a stuck server would make it. */
START_TEST(upload_send_deadline)
{
    char req[1024];
    struct got g;
    struct http_call *call = start_upload(HTTP_BODY_STREAM_SIZED, 10, &g, NULL);
    int fd = peer_accept();

    peer_read_request(fd, req, sizeof req);
    uint64_t at = rotor_test_now(t);
    ck_assert_int_ge(rotor_test_advance(t, 20000), 0);
    ck_assert_int_eq(http_call_write(call, "01234", 5), 0);  /* re-arms it */
    ck_assert_int_ge(rotor_test_settle(t), 0);
    at = rotor_test_now(t);
    ck_assert_int_ge(rotor_test_advance(t, 29999), 0);
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_ge(rotor_test_advance(t, at + 30000 - rotor_test_now(t)), 1);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.err, HTTP_CLIENT_ETIMEDOUT);
    expect_no_machine();
    close(fd);
}
END_TEST

START_TEST(write_needs_a_streamed_body)
{
    struct http_client_request r = { .host = "127.0.0.1", .port = port,
                                     .body_stream = 7 };
    struct got g;
    struct http_call *call;
    char req[1024];

    memset(&g, 0, sizeof g);
    ck_assert_int_eq(http_client_start(client, &r, on_response, &g, &call),
                     ROTOR_EINVAL);
    r.body_stream = HTTP_BODY_WHOLE;
    ck_assert_int_eq(http_client_start(client, &r, on_response, &g, &call), 0);
    ck_assert_int_eq(http_call_write(call, "x", 1), ROTOR_EINVAL);
    ck_assert_int_eq(http_call_write_end(call), ROTOR_EINVAL);
    ck_assert(!http_call_write_full(call));
    ck_assert_int_eq(http_call_write(NULL, "x", 1), ROTOR_EINVAL);
    int fd = peer_accept();
    peer_read_request(fd, req, sizeof req);
    PEER_SEND(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    EXPECT_OK(g, 200, "ok");
    close(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http-client");
    TCase *tc = tcase_create("client");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, keep_alive_reuse);
    tcase_add_test(tc, keep_alive_from_callback);
    tcase_add_test(tc, chunked_in_pieces);
    tcase_add_test(tc, close_delimited);
    tcase_add_test(tc, interim_responses_skipped);
    tcase_add_test(tc, no_body_responses);
    tcase_add_test(tc, streamed_body);
    tcase_add_test(tc, post_body);
    tcase_add_test(tc, bad_requests_refused);
    tcase_add_test(tc, bad_via_refused);
    tcase_add_test(tc, host_field);
    tcase_add_loop_test(tc, malformed, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, head_over_limit);
    tcase_add_test(tc, closed_mid_body);
    tcase_add_test(tc, stale_connection_retried);
    tcase_add_test(tc, connection_refused);
    tcase_add_test(tc, response_deadline);
    tcase_add_test(tc, body_deadline);
    tcase_add_test(tc, idle_deadline);
    tcase_add_test(tc, configured_deadline);
    tcase_add_test(tc, connect_deadline);
    tcase_add_test(tc, free_cancels);
    tcase_add_test(tc, free_from_callback);
    tcase_add_test(tc, future_from_a_machine);
    tcase_add_test(tc, paused_body_is_not_read);
    tcase_add_test(tc, cancel_mid_body);
    tcase_add_test(tc, pause_needs_a_streamed_body);
    tcase_add_test(tc, streamed_sized_upload);
    tcase_add_test(tc, streamed_chunked_upload);
    tcase_add_test(tc, early_response_cuts_the_upload);
    tcase_add_test(tc, upload_waits_for_the_server);
    tcase_add_test(tc, upload_send_deadline);
    tcase_add_test(tc, write_needs_a_streamed_body);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
