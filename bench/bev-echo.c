/*
 * bev-echo: the plain-libevent baseline for echo benchmarks, written the
 * idiomatic way: an evconnlistener and one bufferevent per connection.
 * Whatever arrives is moved to the output buffer; when more than
 * HIGH_WATER bytes wait there, reading stops until the output drains.
 *
 *     bev-echo [HOST:]PORT        (default 127.0.0.1:3000; port 0: any)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "bench-net.h"

#define HIGH_WATER (256 * 1024)

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *out = bufferevent_get_output(bev);

    evbuffer_add_buffer(out, bufferevent_get_input(bev));
    if (evbuffer_get_length(out) > HIGH_WATER)
        bufferevent_disable(bev, EV_READ);
}

/* Called when the output buffer is empty (write low-water mark 0). */
static void on_write(struct bufferevent *bev, void *arg)
{
    (void)arg;
    if (!(bufferevent_get_enabled(bev) & EV_READ))
        bufferevent_enable(bev, EV_READ);
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
    struct bufferevent *bev =
        bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);

    (void)sa, (void)salen, (void)arg;

    if (!bev) {
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, on_read, on_write, on_event, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *sigint, *sigterm;
    int fd;

    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: bev-echo [HOST:]PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fd = bench_listen("bev-echo", argc == 2 ? argv[1] : "3000", 1024);
    base = event_base_new();
    if (!base)
        return 1;
    /* backlog 0: the socket is already listening. */
    lis = evconnlistener_new(base, on_accept, NULL,
                             LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                             0, fd);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    if (!lis || !sigint || !sigterm || event_add(sigint, NULL) < 0
        || event_add(sigterm, NULL) < 0) {
        fprintf(stderr, "bev-echo: libevent setup failed\n");
        return 1;
    }
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    evconnlistener_free(lis);
    event_base_free(base);
    return 0;
}
