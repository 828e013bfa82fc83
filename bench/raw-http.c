/*
 * raw-http: the ceiling for HTTP hello benchmarks.  A minimal epoll server
 * that reads, finds each "\r\n\r\n" and answers one fixed response per
 * request head found (so pipelined requests get one answer each), keeping
 * the connection open.  Bodies are not read: it is meant for GET.
 * Level-triggered; one read per wakeup; the responses of a read go out in
 * one write, and only what the kernel refuses waits for EPOLLOUT (reading
 * stops meanwhile).
 *
 *     raw-http [HOST:]PORT        (default 127.0.0.1:8888; port 0: any)
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

#define IN_SIZE 8192            /* a request head must fit */
#define MAX_EVENTS 256

static const char response[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "Hello World!";
#define RESPONSE_LEN (sizeof response - 1)

struct conn {
    int fd;
    size_t inlen;               /* bytes in in[] */
    size_t scan;                /* where the search for "\r\n\r\n" resumes */
    char *out;                  /* pending responses: out[outoff..outlen) */
    size_t outoff, outlen, outcap;
    char in[IN_SIZE];
};

static int epfd;
static volatile int stopping;

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->out);
    free(c);
}

static void set_interest(struct conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int out_reserve(struct conn *c, size_t more)
{
    if (c->outlen + more > c->outcap) {
        size_t cap = c->outcap ? c->outcap : 1024;
        char *p;
        while (cap < c->outlen + more)
            cap *= 2;
        p = realloc(c->out, cap);
        if (!p)
            return -1;
        c->out = p;
        c->outcap = cap;
    }
    return 0;
}

/* 1: all written, 0: the kernel refused some, -1: error. */
static int flush_pending(struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
    return 1;
}

static void on_readable(struct conn *c)
{
    ssize_t n = read(c->fd, c->in + c->inlen, IN_SIZE - c->inlen);
    size_t start = 0;
    int rc;

    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_close(c);
        return;
    }
    c->inlen += (size_t)n;
    for (;;) {
        char *end = memmem(c->in + c->scan, c->inlen - c->scan, "\r\n\r\n", 4);
        if (!end)
            break;
        if (out_reserve(c, RESPONSE_LEN) < 0) {
            conn_close(c);
            return;
        }
        memcpy(c->out + c->outlen, response, RESPONSE_LEN);
        c->outlen += RESPONSE_LEN;
        start = (size_t)(end - c->in) + 4;
        c->scan = start;
    }
    /* Keep the unfinished head at the front; resume the search 3 bytes
     * back so a delimiter split across reads is found. */
    if (start > 0) {
        memmove(c->in, c->in + start, c->inlen - start);
        c->inlen -= start;
    }
    c->scan = c->inlen > 3 ? c->inlen - 3 : 0;
    if (c->inlen == IN_SIZE) {  /* head too large */
        conn_close(c);
        return;
    }
    if (c->outlen == 0)
        return;
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
            return;
        c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
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
        fprintf(stderr, "usage: raw-http [HOST:]PORT\n");
        return 2;
    }
    bench_on_stop(&stopping);
    lfd = bench_listen("raw-http", argc == 2 ? argv[1] : "8888", 1024);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) {
        perror("raw-http: epoll");
        return 1;
    }
    while (!stopping) {
        int n = epoll_wait(epfd, evs, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c)
                accept_all(lfd);
            else if (c->outlen > 0) /* waiting for EPOLLOUT (or ERR/HUP) */
                on_writable(c);
            else
                on_readable(c);
        }
    }
    return 0;
}
