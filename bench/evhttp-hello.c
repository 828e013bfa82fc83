/*
 * evhttp-hello: the libevent baseline for HTTP hello benchmarks: evhttp
 * answering every request with 200 and the body "Hello World!".
 *
 *     evhttp-hello [HOST:]PORT    (default 127.0.0.1:8888; port 0: any)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "bench-net.h"

static struct evbuffer *body;

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    evhttp_add_header(evhttp_request_get_output_headers(req),
                      "Content-Type", "text/plain");
    evbuffer_add(body, "Hello World!", 12);
    evhttp_send_reply(req, HTTP_OK, "OK", body);  /* drains body */
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    struct event_base *base;
    struct evhttp *http;
    struct event *sigint, *sigterm;
    int fd;

    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: evhttp-hello [HOST:]PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fd = bench_listen("evhttp-hello", argc == 2 ? argv[1] : "8888", 1024);
    base = event_base_new();
    http = base ? evhttp_new(base) : NULL;
    body = evbuffer_new();
    if (!http || !body || !evhttp_accept_socket_with_handle(http, fd)) {
        fprintf(stderr, "evhttp-hello: libevent setup failed\n");
        return 1;
    }
    evhttp_set_gencb(http, on_request, NULL);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    if (!sigint || !sigterm || event_add(sigint, NULL) < 0
        || event_add(sigterm, NULL) < 0)
        return 1;
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    evhttp_free(http);
    evbuffer_free(body);
    event_base_free(base);
    return 0;
}
