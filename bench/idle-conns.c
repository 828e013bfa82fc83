/*
 * idle-conns: opens many idle TCP connections to a loopback echo server
 * and holds them (for bench/connections; loopback only, bounded in count
 * and time; one thread, epoll).
 *
 *   idle-conns [-n CONNS] [-w WINDOW] [-a PER_ADDR] [-m line|partial|none]
 *              [-d SECONDS] [-H HOLD] HOST:PORT
 *
 * Connection i is bound to the source address 127.0.0.2 + i / PER_ADDR
 * (default 20000 a source address: each gives a full ephemeral port
 * range, net.ipv4.ip_local_port_range) with IP_BIND_ADDRESS_NO_PORT, so
 * the port is picked at connect time, then connected without blocking.
 * At most WINDOW (default 512) connections are being set up at once, so
 * the server's accept queue never overflows.
 *
 * Modes: "line" (the default) sends "x\n" on each connection and waits
 * for its echo: the server has then accepted the connection and served
 * it, and holds it idle in its reading state.  "partial" does the same,
 * then sends one more "x", not a whole line, which the server has to keep
 * buffered.  "none" sends nothing: the figure is then the time to connect
 * (the kernel's handshake), not to accept.
 *
 * When all CONNS are set up it prints, and flushes,
 *     idle-conns: conns=N addrs=A mode=M seconds=T conns_per_s=R
 * then holds them idle until SIGTERM/SIGINT or HOLD seconds (default 60),
 * counting those the server closes or writes to (in "partial" mode a
 * server may echo the lone "x" once: a byte-stream echo does), and prints
 *     idle-conns: held=S lost=L
 * before closing them all.  Raises RLIMIT_NOFILE (soft) to what it needs.
 * SECONDS (default 300) bounds the setup.  Exit status: 0, or 1 if a
 * connection failed or was lost or the setup took too long; 2 on bad
 * usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-net.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_CONNS 2000000
#define MAX_EVENTS 1024

enum mode { MODE_LINE, MODE_PARTIAL, MODE_NONE };
enum cstate { C_CONNECTING, C_ECHOING, C_IDLE, C_IDLE_ECHOED, C_GONE };

struct opts {
    unsigned long conns, window, per_addr;
    double secs, hold;
    enum mode mode;
    struct sockaddr_in dst;
};

static volatile int stopping;
static int *fds;
static unsigned char *states;

static void usage(void)
{
    fprintf(stderr,
        "usage: idle-conns [-n CONNS] [-w WINDOW] [-a PER_ADDR] "
        "[-m line|partial|none]\n"
        "                  [-d SECONDS] [-H HOLD] HOST:PORT\n");
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

static void parse_dst(const char *spec, struct sockaddr_in *dst)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    size_t hlen = colon ? (size_t)(colon - spec) : 0;
    double port;

    if (!colon || hlen == 0 || hlen >= sizeof host)
        usage();
    memcpy(host, spec, hlen);
    host[hlen] = '\0';
    port = num_arg(colon + 1, 1, 65535);
    memset(dst, 0, sizeof *dst);
    dst->sin_family = AF_INET;
    dst->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &dst->sin_addr) != 1
        || (ntohl(dst->sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "idle-conns: %s: want an IPv4 loopback address\n",
                spec);
        exit(2);
    }
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    int c;

    o->conns = 100000;
    o->window = 512;
    o->per_addr = 20000;
    o->secs = 300;
    o->hold = 60;
    o->mode = MODE_LINE;
    while ((c = getopt(argc, argv, "n:w:a:m:d:H:")) != -1) {
        switch (c) {
        case 'n': o->conns = (unsigned long)num_arg(optarg, 1, MAX_CONNS); break;
        case 'w': o->window = (unsigned long)num_arg(optarg, 1, 65536); break;
        case 'a': o->per_addr = (unsigned long)num_arg(optarg, 1, 60000); break;
        case 'd': o->secs = num_arg(optarg, 0.1, 3600); break;
        case 'H': o->hold = num_arg(optarg, 0, 3600); break;
        case 'm':
            if (strcmp(optarg, "line") == 0)
                o->mode = MODE_LINE;
            else if (strcmp(optarg, "partial") == 0)
                o->mode = MODE_PARTIAL;
            else if (strcmp(optarg, "none") == 0)
                o->mode = MODE_NONE;
            else
                usage();
            break;
        default: usage();
        }
    }
    if (optind != argc - 1)
        usage();
    parse_dst(argv[optind], &o->dst);
    /* 127.0.0.2 + k must stay inside 127.0.0.0/8. */
    if ((o->conns - 1) / o->per_addr > 0xfffffdUL) {
        fprintf(stderr, "idle-conns: too few connections per address\n");
        exit(2);
    }
}

/* The soft limit on descriptors, raised to cover the connections, the
 * epoll descriptor and stdio. */
static int raise_nofile(unsigned long conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)conns + 32;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur >= want)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        fprintf(stderr, "idle-conns: %lu connections need %lu descriptors;"
                " the hard limit is %lu\n", conns, (unsigned long)want,
                (unsigned long)rl.rlim_max);
        return -1;
    }
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        perror("idle-conns: setrlimit");
        return -1;
    }
    return 0;
}

static int watch(int epfd, int op, unsigned long i, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.u64 = i };
    return epoll_ctl(epfd, op, fds[i], &ev);
}

/* Starts connection i.  Returns 0, or -1 with a message. */
static int start_conn(int epfd, const struct opts *o, unsigned long i)
{
    struct sockaddr_in src;
    int one = 1, fd;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("idle-conns: socket");
        return -1;
    }
    fds[i] = fd;
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000002UL + (uint32_t)(i / o->per_addr));
    if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                   sizeof one) < 0
        || bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
        perror("idle-conns: bind");
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&o->dst, sizeof o->dst) < 0
        && errno != EINPROGRESS) {
        fprintf(stderr, "idle-conns: connect #%lu: %s%s\n", i,
                strerror(errno), errno == EADDRNOTAVAIL
                ? " (out of ports: lower -a)" : "");
        return -1;
    }
    states[i] = C_CONNECTING;
    return watch(epfd, EPOLL_CTL_ADD, i, EPOLLOUT);
}

static int send_str(int fd, const char *s)
{
    size_t len = strlen(s);
    ssize_t n = write(fd, s, len);
    return n == (ssize_t)len ? 0 : -1;
}

/* An event on idle connection i: returns 1 if it is lost (the server
 * closed it or wrote to it), else 0. */
static int idle_event(int epfd, const struct opts *o, unsigned long i)
{
    char c[2];
    ssize_t r;

    if (states[i] == C_GONE)
        return 0;
    r = read(fds[i], c, sizeof c);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    /* A byte-stream echo returns the partial line's "x" once. */
    if (r == 1 && c[0] == 'x' && o->mode == MODE_PARTIAL
        && states[i] == C_IDLE) {
        states[i] = C_IDLE_ECHOED;
        return 0;
    }
    states[i] = C_GONE;                 /* data or EOF: not idle any more */
    epoll_ctl(epfd, EPOLL_CTL_DEL, fds[i], NULL);
    return 1;
}

/* One event on connection i during the setup.  Returns 1 when the
 * connection is now set up, 0 when not yet, -1 on failure. */
static int setup_event(int epfd, const struct opts *o, unsigned long i,
                       uint32_t events)
{
    char buf[8];
    int err = 0;
    socklen_t len = sizeof err;
    ssize_t n;

    if (states[i] >= C_IDLE) {
        if (idle_event(epfd, o, i)) {
            fprintf(stderr, "idle-conns: #%lu: lost while setting up the "
                    "others\n", i);
            return -1;
        }
        return 0;
    }
    if (states[i] == C_CONNECTING) {
        if (getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err == 0 && !(events & EPOLLOUT))
            return 0;
        if (err != 0) {
            fprintf(stderr, "idle-conns: connect #%lu: %s\n", i,
                    strerror(err));
            return -1;
        }
        if (o->mode == MODE_NONE) {
            states[i] = C_IDLE;
            return watch(epfd, EPOLL_CTL_MOD, i, EPOLLIN) < 0 ? -1 : 1;
        }
        states[i] = C_ECHOING;
        if (send_str(fds[i], "x\n") < 0
            || watch(epfd, EPOLL_CTL_MOD, i, EPOLLIN) < 0) {
            perror("idle-conns: write");
            return -1;
        }
        return 0;
    }
    n = read(fds[i], buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n == 1 && buf[0] == 'x') {      /* the rest comes later */
        n = read(fds[i], buf + 1, 1);
        if (n < 0 && errno == EAGAIN) {
            fprintf(stderr, "idle-conns: #%lu: a split echo\n", i);
            return -1;
        }
        n = n == 1 ? 2 : -1;
    }
    if (n != 2 || buf[0] != 'x' || buf[1] != '\n') {
        fprintf(stderr, "idle-conns: #%lu: %s\n", i, n == 0
                ? "closed by the server" : n < 0 ? strerror(errno)
                : "a wrong echo");
        return -1;
    }
    if (o->mode == MODE_PARTIAL && send_str(fds[i], "x") < 0) {
        perror("idle-conns: write");
        return -1;
    }
    states[i] = C_IDLE;
    return 1;
}

/* Opens and sets up all connections.  Returns 0 or -1. */
static int setup(int epfd, const struct opts *o)
{
    struct epoll_event evs[MAX_EVENTS];
    unsigned long started = 0, ready = 0;
    double end = bench_now() + o->secs;

    while (ready < o->conns) {
        int n;

        while (started < o->conns && started - ready < o->window)
            if (start_conn(epfd, o, started++) < 0)
                return -1;
        if (stopping || bench_now() > end) {
            fprintf(stderr, "idle-conns: %s after %lu of %lu connections\n",
                    stopping ? "stopped" : "out of time", ready, o->conns);
            return -1;
        }
        n = epoll_wait(epfd, evs, MAX_EVENTS, 100);
        if (n < 0 && errno != EINTR) {
            perror("idle-conns: epoll_wait");
            return -1;
        }
        for (int k = 0; k < n; k++) {
            int r = setup_event(epfd, o, (unsigned long)evs[k].data.u64,
                                evs[k].events);
            if (r < 0)
                return -1;
            ready += (unsigned long)r;
        }
    }
    return 0;
}

/* Holds the connections until a signal or HOLD seconds; returns the
 * number of connections the server closed or wrote to meanwhile. */
static unsigned long hold(int epfd, const struct opts *o, double *held)
{
    struct epoll_event evs[MAX_EVENTS];
    unsigned long lost = 0;
    double t0 = bench_now(), end = t0 + o->hold;

    while (!stopping && bench_now() < end) {
        int n = epoll_wait(epfd, evs, MAX_EVENTS, 100);
        for (int k = 0; k < n; k++) {
            lost += (unsigned long)idle_event(epfd, o,
                                              (unsigned long)evs[k].data.u64);
        }
    }
    *held = bench_now() - t0;
    return lost;
}

int main(int argc, char **argv)
{
    static const char *mode_names[] = { "line", "partial", "none" };
    struct opts o;
    double t0, secs, held = 0;
    unsigned long lost = 0;
    int epfd, rc = 0;

    parse_args(argc, argv, &o);
    bench_on_stop(&stopping);
    if (raise_nofile(o.conns) < 0)
        return 1;
    fds = malloc(o.conns * sizeof *fds);
    states = calloc(o.conns, 1);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!fds || !states || epfd < 0) {
        perror("idle-conns");
        return 1;
    }
    for (unsigned long i = 0; i < o.conns; i++)
        fds[i] = -1;
    t0 = bench_now();
    if (setup(epfd, &o) < 0) {
        rc = 1;
    } else {
        secs = bench_now() - t0;
        printf("idle-conns: conns=%lu addrs=%lu mode=%s seconds=%.3f "
               "conns_per_s=%.0f\n", o.conns,
               (o.conns - 1) / o.per_addr + 1, mode_names[o.mode], secs,
               secs > 0 ? (double)o.conns / secs : 0.0);
        fflush(stdout);
        lost = hold(epfd, &o, &held);
        printf("idle-conns: held=%.1f lost=%lu\n", held, lost);
        fflush(stdout);
        if (lost > 0)
            rc = 1;
    }
    for (unsigned long i = 0; i < o.conns; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    close(epfd);
    free(fds);
    free(states);
    return rc;
}
