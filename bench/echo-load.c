/*
 * echo-load: load generator for echo servers (loopback only; bounded in
 * time and count; one thread, epoll).
 *
 *   echo-load rr   [-c CONNS] [-s SIZE] [-d SECONDS] [-n COUNT] HOST:PORT
 *       CONNS connections (default 50), each sending a SIZE-byte message
 *       (default 64; the last byte is '\n') and waiting for its whole echo
 *       before sending the next.  Runs SECONDS (default 3), or until
 *       exactly COUNT round trips are done (then SECONDS, default 60, is
 *       only a bound: not reaching COUNT in time is an error).
 *       Prints: rr: conns=C size=S round_trips=N seconds=T rt_per_s=R
 *               mismatches=M
 *
 *   echo-load bulk [-s CHUNK] [-d SECONDS] [-b BYTES] HOST:PORT
 *       One connection writing a stream (lines of 64 bytes) in writes of
 *       up to CHUNK bytes (default 65536) while reading the echo, for
 *       SECONDS (default 3) or until BYTES were sent (SECONDS, default 60,
 *       is then a bound); then waits (at most 10 s) for the whole echo.
 *       Prints: bulk: chunk=K bytes=N seconds=T mb_per_s=R mismatches=M
 *       (bytes echoed back, MB = 10^6 bytes).
 *
 * Every echoed byte is compared with what was sent.  Exit status: 0, or 1
 * on a mismatch, a lost connection or an unreached COUNT/BYTES; 2 on
 * bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench-net.h"

#define PAT_LEN 65536
#define MAX_SIZE 65536
#define MAX_CONNS 10000
#define MAX_SECONDS 600.0
#define DRAIN_SECONDS 10.0
#define BULK_WINDOW (8u * 1024 * 1024)  /* bytes in flight, at most */
#define LINE_LEN 64                     /* the pattern's lines */

static char pattern[2 * PAT_LEN];       /* the pattern, twice in a row */

static void make_pattern(void)
{
    unsigned x = 12345;
    for (size_t i = 0; i < PAT_LEN; i++) {
        x = x * 1103515245u + 12345u;
        pattern[i] = (i % LINE_LEN == LINE_LEN - 1) ? '\n' : (char)('!' + (x >> 16) % 94);
    }
    memcpy(pattern + PAT_LEN, pattern, PAT_LEN);
}

static void usage(void)
{
    fprintf(stderr,
        "usage: echo-load rr [-c CONNS] [-s SIZE] [-d SECONDS] [-n COUNT] "
        "HOST:PORT\n"
        "       echo-load bulk [-s CHUNK] [-d SECONDS] [-b BYTES] "
        "HOST:PORT\n");
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

static int wait_ms(double now, double until)
{
    double ms = (until - now) * 1000.0;
    return ms < 1.0 ? 1 : ms > 1000.0 ? 1000 : (int)ms;
}

/* ---- rr ----------------------------------------------------------------- */

struct rr_conn {
    int fd;
    int busy;                   /* a message is out */
    int blocked;                /* watching EPOLLOUT */
    size_t sent, got;           /* bytes of msg written / echoed */
    unsigned long seq;
    char *msg;
};

static int rr_issue(int epfd, struct rr_conn *c, size_t size, size_t id);
static int rr_write(int epfd, struct rr_conn *c, size_t size);

static int set_events(int epfd, struct rr_conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    return epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int rr_issue(int epfd, struct rr_conn *c, size_t size, size_t id)
{
    size_t off = (id * 7919u + c->seq * 131u) % PAT_LEN;

    memcpy(c->msg, pattern + off, size - 1);
    c->msg[size - 1] = '\n';
    c->seq++;
    c->busy = 1;
    c->sent = c->got = 0;
    return rr_write(epfd, c, size);
}

/* Writes what is left of the message; watches EPOLLOUT only while the
 * kernel refuses bytes. */
static int rr_write(int epfd, struct rr_conn *c, size_t size)
{
    while (c->sent < size) {
        ssize_t n = write(c->fd, c->msg + c->sent, size - c->sent);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            if (c->blocked)
                return 0;
            c->blocked = 1;
            return set_events(epfd, c, EPOLLIN | EPOLLOUT);
        }
        c->sent += (size_t)n;
    }
    if (c->blocked) {
        c->blocked = 0;
        return set_events(epfd, c, EPOLLIN);
    }
    return 0;
}

static int run_rr(const char *addr, size_t conns, size_t size, double secs,
                  unsigned long count)
{
    struct rr_conn *cs = calloc(conns, sizeof *cs);
    char *rbuf = malloc(size);
    struct epoll_event evs[256];
    unsigned long issued = 0, done = 0, mismatches = 0;
    int epfd = epoll_create1(EPOLL_CLOEXEC), failed = 0, stopped = 0;
    double t0, deadline, now, hard_end;
    size_t busy = 0;

    if (!cs || !rbuf || epfd < 0) {
        perror("echo-load");
        return 1;
    }
    for (size_t i = 0; i < conns; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
        cs[i].fd = bench_connect("echo-load", addr);
        cs[i].msg = malloc(size);
        if (cs[i].fd < 0 || !cs[i].msg
            || epoll_ctl(epfd, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0)
            return 1;
    }
    t0 = now = bench_now();
    deadline = t0 + secs;
    hard_end = deadline + DRAIN_SECONDS;
    for (size_t i = 0; i < conns && (!count || issued < count); i++) {
        if (rr_issue(epfd, &cs[i], size, i) < 0) {
            perror("echo-load: write");
            return 1;
        }
        issued++;
        busy++;
    }
    while (busy > 0 && now < hard_end) {
        int n = epoll_wait(epfd, evs, 256, wait_ms(now, stopped ? hard_end
                                                            : deadline));
        if (n < 0 && errno != EINTR) {
            perror("echo-load: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct rr_conn *c = evs[i].data.ptr;
            size_t id = (size_t)(c - cs);
            ssize_t r;

            if (c->busy && c->sent < size && (evs[i].events & EPOLLOUT)
                && rr_write(epfd, c, size) < 0) {
                failed = 1;
                continue;
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            r = read(c->fd, rbuf, c->busy ? size - c->got : size);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0 || !c->busy) {
                if (r > 0)
                    mismatches++;   /* bytes nobody asked for */
                else
                    fprintf(stderr, "echo-load: connection %zu %s\n", id,
                            r == 0 ? "closed by the server"
                                   : strerror(errno));
                failed = 1;
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                if (c->busy) {
                    c->busy = 0;
                    busy--;
                }
                continue;
            }
            if (memcmp(rbuf, c->msg + c->got, (size_t)r) != 0)
                mismatches++;
            c->got += (size_t)r;
            if (c->got < size)
                continue;
            c->busy = 0;
            busy--;
            done++;
            if (!stopped && (!count || issued < count)) {
                if (rr_issue(epfd, c, size, id) < 0) {
                    failed = 1;
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
    if (busy > 0) {
        fprintf(stderr, "echo-load: %zu round trips unanswered\n", busy);
        failed = 1;
    }
    if (count && done < count) {
        fprintf(stderr, "echo-load: only %lu of %lu round trips in %.0f s\n",
                done, count, secs);
        failed = 1;
    }
    now = bench_now();
    printf("rr: conns=%zu size=%zu round_trips=%lu seconds=%.3f "
           "rt_per_s=%.0f mismatches=%lu\n", conns, size, done, now - t0,
           done / (now - t0), mismatches);
    for (size_t i = 0; i < conns; i++) {
        close(cs[i].fd);
        free(cs[i].msg);
    }
    free(cs);
    free(rbuf);
    close(epfd);
    return failed || mismatches ? 1 : 0;
}

/* ---- bulk --------------------------------------------------------------- */

static int run_bulk(const char *addr, size_t chunk, double secs,
                    unsigned long long limit)
{
    static char rbuf[PAT_LEN];
    struct epoll_event ev, evs[4];
    unsigned long long sent = 0, got = 0, mismatches = 0;
    int epfd = epoll_create1(EPOLL_CLOEXEC), fd, writing = 1, failed = 0;
    uint32_t watching = EPOLLIN | EPOLLOUT;
    double t0, now, deadline, hard_end;

    fd = bench_connect("echo-load", addr);
    if (fd < 0 || epfd < 0)
        return 1;
    ev.events = watching;
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return 1;
    t0 = now = bench_now();
    deadline = t0 + secs;
    hard_end = deadline + DRAIN_SECONDS;
    while (now < hard_end && (writing || got < sent)) {
        uint32_t want;
        int n = epoll_wait(epfd, evs, 4, wait_ms(now, writing ? deadline
                                                          : hard_end));
        if (n < 0 && errno != EINTR) {
            perror("echo-load: epoll_wait");
            return 1;
        }
        if (n > 0 && (evs[0].events & EPOLLOUT) && writing) {
            size_t len = chunk;
            ssize_t w;
            if (limit && limit - sent < len)
                len = (size_t)(limit - sent);
            if (sent - got + len > BULK_WINDOW)
                len = (size_t)(BULK_WINDOW - (sent - got));
            if (now >= deadline && len > LINE_LEN - sent % LINE_LEN)
                len = LINE_LEN - sent % LINE_LEN;   /* the line's rest */
            w = write(fd, pattern + sent % PAT_LEN, len);
            if (w > 0)
                sent += (unsigned long long)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                perror("echo-load: write");
                failed = 1;
                break;
            }
        }
        if (n > 0 && (evs[0].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
            ssize_t r = read(fd, rbuf, sizeof rbuf);
            if (r > 0) {
                if ((unsigned long long)r > sent - got
                    || memcmp(rbuf, pattern + got % PAT_LEN, (size_t)r))
                    mismatches++;
                got += (unsigned long long)r;
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                fprintf(stderr, "echo-load: connection %s\n",
                        r == 0 ? "closed by the server" : strerror(errno));
                failed = 1;
                break;
            }
        }
        now = bench_now();
        /* A line server echoes whole lines only: a time-bound run stops
         * at a line's end, or a short write's tail would never come back. */
        if (writing && ((now >= deadline && sent % LINE_LEN == 0) ||
                        (limit && sent >= limit)))
            writing = 0;
        want = EPOLLIN | (writing && sent - got < BULK_WINDOW ? EPOLLOUT : 0);
        if (want != watching) {
            ev.events = watching = want;
            epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
        }
    }
    now = bench_now();
    if (got < sent) {
        fprintf(stderr, "echo-load: %llu bytes never echoed\n", sent - got);
        failed = 1;
    }
    if (limit && sent < limit) {
        fprintf(stderr, "echo-load: only %llu of %llu bytes in %.0f s\n",
                sent, limit, secs);
        failed = 1;
    }
    printf("bulk: chunk=%zu bytes=%llu seconds=%.3f mb_per_s=%.1f "
           "mismatches=%llu\n", chunk, got, now - t0, got / (now - t0) / 1e6,
           mismatches);
    close(fd);
    close(epfd);
    return failed || mismatches ? 1 : 0;
}

int main(int argc, char **argv)
{
    int bulk, opt;
    size_t conns = 50, size = 0;
    double secs = 0;
    unsigned long count = 0;
    unsigned long long bytes = 0;

    if (argc < 2)
        usage();
    if (strcmp(argv[1], "rr") == 0)
        bulk = 0;
    else if (strcmp(argv[1], "bulk") == 0)
        bulk = 1;
    else
        usage();
    optind = 2;
    while ((opt = getopt(argc, argv, "c:s:d:n:b:")) != -1) {
        switch (opt) {
        case 'c': conns = (size_t)num_arg(optarg, 1, MAX_CONNS); break;
        case 's': size = (size_t)num_arg(optarg, 1, MAX_SIZE); break;
        case 'd': secs = num_arg(optarg, 0.01, MAX_SECONDS); break;
        case 'n': count = (unsigned long)num_arg(optarg, 1, 1e9); break;
        case 'b': bytes = (unsigned long long)num_arg(optarg, 1, 1e12); break;
        default: usage();
        }
    }
    if (optind != argc - 1 || (bulk && count) || (!bulk && bytes))
        usage();
    if (secs == 0)
        secs = (count || bytes) ? 60 : 3;
    signal(SIGPIPE, SIG_IGN);
    make_pattern();
    if (bulk)
        return run_bulk(argv[optind], size ? size : PAT_LEN, secs, bytes);
    if (size == 0)
        size = 64;
    if (size < 2)
        usage();
    return run_rr(argv[optind], conns, size, secs, count);
}
