/*
 * raw-echo: the ceiling for echo benchmarks.  A minimal epoll echo server:
 * level-triggered, non-blocking, one buffer per connection.  Each wakeup
 * reads once and writes what it read at once; only bytes the kernel
 * refuses are kept, and only then does the connection wait for EPOLLOUT
 * (and stop reading until they are gone).
 *
 *     raw-echo [HOST:]PORT        (default 127.0.0.1:3000; port 0: any)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-net.h"

#define BUF_SIZE 65536
#define MAX_EVENTS 256

struct conn {
    int fd;
    size_t off, len;            /* pending bytes: buf[off..len) */
    char buf[BUF_SIZE];
};

static int epfd;
static volatile int stopping;

static void conn_close(struct conn *c)
{
    close(c->fd);               /* also drops it from the epoll set */
    free(c);
}

static void set_interest(struct conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes buf[off..len).  Returns 1 when all is written, 0 when the kernel
 * refused some bytes, -1 on error. */
static int flush_pending(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->off += (size_t)n;
    }
    c->off = c->len = 0;
    return 1;
}

static void on_readable(struct conn *c)
{
    ssize_t n = read(c->fd, c->buf, BUF_SIZE);
    int rc;

    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_close(c);
        return;
    }
    c->off = 0;
    c->len = (size_t)n;
    rc = flush_pending(c);
    if (rc < 0)
        conn_close(c);
    else if (rc == 0)
        set_interest(c, EPOLLOUT);
}

static void on_writable(struct conn *c)
{
    int rc = flush_pending(c);
    if (rc < 0)
        conn_close(c);
    else if (rc == 1)
        set_interest(c, EPOLLIN);
}

static void accept_all(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct conn *c;
        struct epoll_event ev;

        if (fd < 0)
            return;             /* EAGAIN, EMFILE, ...: try next wakeup */
        c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->off = c->len = 0;
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            conn_close(c);
    }
}

int main(int argc, char **argv)
{
    struct epoll_event evs[MAX_EVENTS];
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    int lfd;

    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: raw-echo [HOST:]PORT\n");
        return 2;
    }
    bench_on_stop(&stopping);
    lfd = bench_listen("raw-echo", argc == 2 ? argv[1] : "3000", 1024);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) {
        perror("raw-echo: epoll");
        return 1;
    }
    while (!stopping) {
        int n = epoll_wait(epfd, evs, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c)
                accept_all(lfd);
            else if (c->len > 0)    /* waiting for EPOLLOUT (or ERR/HUP) */
                on_writable(c);
            else
                on_readable(c);     /* EPOLLIN, EPOLLHUP, EPOLLERR */
        }
    }
    return 0;
}
