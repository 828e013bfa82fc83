/*
 * http-load: a small closed-loop HTTP/1.1 client for counting exactly
 * (loopback only; bounded in time and count; one thread, epoll).  CONNS
 * keep-alive connections (default 10) each send "GET PATH" and wait for
 * the whole response before sending the next, until COUNT responses (then
 * SECONDS, default 60, is only a bound: not reaching COUNT is an error) or
 * for SECONDS (default 3).  Each response must be a 200 with a
 * Content-Length body "Hello World!".
 *
 *   http-load [-c CONNS] [-n COUNT] [-d SECONDS] [-p PATH] HOST:PORT
 *   prints: http: conns=C requests=N seconds=T req_per_s=R errors=E
 *
 * Exit status: 0, 1 on any bad response, lost connection or unreached
 * COUNT, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench-net.h"

#define RESP_MAX 4096
#define BODY "Hello World!"

struct hconn {
    int fd;
    int busy;
    size_t len;
    char buf[RESP_MAX + 1];
};

static char request[512];
static size_t request_len;

static void usage(void)
{
    fprintf(stderr, "usage: http-load [-c CONNS] [-n COUNT] [-d SECONDS] "
                    "[-p PATH] HOST:PORT\n");
    exit(2);
}

static double num_arg(const char *s, double lo, double hi)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < lo || v > hi)
        usage();
    return v;
}

/* The whole request goes out in one write; a 60-byte write to a socket
 * with nothing queued is not refused on loopback, so a short write is
 * treated as an error rather than buffered. */
static int send_request(struct hconn *c)
{
    ssize_t n = write(c->fd, request, request_len);
    c->busy = 1;
    c->len = 0;
    return n == (ssize_t)request_len ? 0 : -1;
}

/* 1: a complete good response, 0: incomplete, -1: bad. */
static int check_response(struct hconn *c)
{
    char *end, *p;
    long clen = -1;
    size_t head;

    c->buf[c->len] = '\0';
    end = strstr(c->buf, "\r\n\r\n");
    if (!end)
        return c->len >= RESP_MAX ? -1 : 0;
    head = (size_t)(end - c->buf) + 4;
    if (strncmp(c->buf, "HTTP/1.", 7) != 0 || strncmp(c->buf + 8, " 200", 4))
        return -1;
    for (p = strstr(c->buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, "content-length:", 15) == 0)
            clen = strtol(p + 17, NULL, 10);
    if (clen != (long)strlen(BODY))
        return -1;
    if (c->len < head + (size_t)clen)
        return 0;
    if (c->len > head + (size_t)clen)
        return -1;              /* more than one response: never asked */
    return memcmp(c->buf + head, BODY, (size_t)clen) == 0 ? 1 : -1;
}

int main(int argc, char **argv)
{
    size_t conns = 10, busy = 0;
    unsigned long count = 0, issued = 0, done = 0, errors = 0;
    double secs = 0, t0, now, deadline, hard_end;
    const char *path = "/";
    struct epoll_event evs[256];
    struct hconn *cs;
    int opt, epfd, stopped = 0;

    while ((opt = getopt(argc, argv, "c:n:d:p:")) != -1) {
        switch (opt) {
        case 'c': conns = (size_t)num_arg(optarg, 1, 10000); break;
        case 'n': count = (unsigned long)num_arg(optarg, 1, 1e9); break;
        case 'd': secs = num_arg(optarg, 0.01, 600); break;
        case 'p': path = optarg; break;
        default: usage();
        }
    }
    if (optind != argc - 1 || path[0] != '/' || strlen(path) > 256)
        usage();
    if (secs == 0)
        secs = count ? 60 : 3;
    request_len = (size_t)snprintf(request, sizeof request,
                                   "GET %s HTTP/1.1\r\nHost: localhost\r\n"
                                   "\r\n", path);
    signal(SIGPIPE, SIG_IGN);
    cs = calloc(conns, sizeof *cs);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!cs || epfd < 0) {
        perror("http-load");
        return 1;
    }
    for (size_t i = 0; i < conns; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
        cs[i].fd = bench_connect("http-load", argv[optind]);
        if (cs[i].fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0)
            return 1;
    }
    t0 = now = bench_now();
    deadline = t0 + secs;
    hard_end = deadline + 10;
    for (size_t i = 0; i < conns && (!count || issued < count); i++) {
        if (send_request(&cs[i]) < 0) {
            perror("http-load: write");
            return 1;
        }
        issued++;
        busy++;
    }
    while (busy > 0 && now < hard_end) {
        double until = stopped ? hard_end : deadline;
        int ms = (int)((until - now) * 1000) + 1;
        int n = epoll_wait(epfd, evs, 256, ms > 1000 ? 1000 : ms);
        if (n < 0 && errno != EINTR) {
            perror("http-load: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct hconn *c = evs[i].data.ptr;
            ssize_t r = read(c->fd, c->buf + c->len, RESP_MAX - c->len);
            int rc;

            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            rc = -1;
            if (r > 0 && c->busy) {
                c->len += (size_t)r;
                rc = check_response(c);
            }
            if (rc == 0)
                continue;
            if (c->busy) {
                c->busy = 0;
                busy--;
            }
            if (rc < 0) {
                if (r == 0)
                    fprintf(stderr, "http-load: connection closed\n");
                else if (r < 0)
                    perror("http-load: read");
                else
                    fprintf(stderr, "http-load: bad response: %.200s\n",
                            c->buf);
                errors++;
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                continue;
            }
            done++;
            if (!stopped && (!count || issued < count)) {
                if (send_request(c) < 0) {
                    errors++;
                    continue;
                }
                issued++;
                busy++;
            }
        }
        now = bench_now();
        if (!stopped && now >= deadline)
            stopped = 1;
    }
    now = bench_now();
    if (busy > 0) {
        fprintf(stderr, "http-load: %zu requests unanswered\n", busy);
        errors++;
    }
    if (count && done < count) {
        fprintf(stderr, "http-load: only %lu of %lu requests in %.0f s\n",
                done, count, secs);
        errors++;
    }
    printf("http: conns=%zu requests=%lu seconds=%.3f req_per_s=%.0f "
           "errors=%lu\n", conns, done, now - t0, done / (now - t0), errors);
    for (size_t i = 0; i < conns; i++)
        close(cs[i].fd);
    free(cs);
    close(epfd);
    return errors ? 1 : 0;
}
