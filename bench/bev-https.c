/*
 * bev-https: the plain-libevent baseline for HTTPS: libevent's own TLS
 * transport (bufferevent_openssl) under the same hello answer as
 * bench/raw-http: one fixed "200 OK" per "\r\n\r\n" found, keep-alive,
 * no bodies; "Connection: close" is honoured.  Beside hello-http --tls (rotor's streams on OpenSSL memory
 * BIOs) it measures what the transport costs (doc/internals.md).
 *
 *     bev-https CERT KEY [HOST:]PORT      (port 0: any)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "bench-net.h"

static const char answer[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
    "Content-Length: 12\r\n\r\nHello World!";

static const char answer_close[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    "Content-Length: 12\r\n\r\nHello World!";

/* The output has gone: a connection that asked to close ends now. */
static void on_sent(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bufferevent_free(bev);
}

/* "Connection: close" in the head that ends at `end`. */
static bool asks_close(struct evbuffer *in, struct evbuffer_ptr end)
{
    struct evbuffer_ptr at = evbuffer_search_range(in, "Connection: close",
                                                   17, NULL, &end);
    return at.pos >= 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer *out = bufferevent_get_output(bev);
    struct evbuffer_ptr end;

    (void)arg;
    while ((end = evbuffer_search(in, "\r\n\r\n", 4, NULL)).pos >= 0) {
        bool close = asks_close(in, end);
        evbuffer_drain(in, (size_t)end.pos + 4);
        if (close) {
            evbuffer_add(out, answer_close, sizeof answer_close - 1);
            bufferevent_disable(bev, EV_READ);
            bufferevent_setcb(bev, NULL, on_sent, NULL, NULL);
            return;
        }
        evbuffer_add(out, answer, sizeof answer - 1);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    struct event_base *base = evconnlistener_get_base(lis);
    SSL *ssl = SSL_new(arg);
    struct bufferevent *bev = ssl
        ? bufferevent_openssl_socket_new(base, fd, ssl,
                                         BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE)
        : NULL;

    (void)sa, (void)salen;
    if (!bev) {
        SSL_free(ssl);
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    event_base_loopbreak(arg);
}

static SSL_CTX *server_ctx(const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        fprintf(stderr, "bev-https: cannot load %s / %s\n", cert, key);
        exit(1);
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    return ctx;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bev-https CERT KEY [HOST:]PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = server_ctx(argv[1], argv[2]);
    int fd = bench_listen("bev-https", argv[3], 1024);
    struct event_base *base = event_base_new();
    if (!base)
        return 1;
    struct evconnlistener *lis = evconnlistener_new(base, on_accept, ctx,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    if (!lis || !sigint || !sigterm || event_add(sigint, NULL) < 0 ||
        event_add(sigterm, NULL) < 0) {
        fprintf(stderr, "bev-https: libevent setup failed\n");
        return 1;
    }
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    evconnlistener_free(lis);
    event_base_free(base);
    SSL_CTX_free(ctx);
    return 0;
}
