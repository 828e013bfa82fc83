/* bench-net.c: see bench-net.h. */
#define _GNU_SOURCE
#include "bench-net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Splits "[HOST:]PORT" (HOST may be "[v6]").  Returns 0 or -1. */
static int split_spec(const char *spec, const char *default_host,
                      char *host, size_t hsz, char *port, size_t psz)
{
    const char *colon = strrchr(spec, ':');
    const char *h = default_host, *p = spec;
    size_t hlen = strlen(default_host);

    if (colon) {
        h = spec;
        hlen = (size_t)(colon - spec);
        p = colon + 1;
        if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
            h++;
            hlen -= 2;
        }
    }
    if (hlen == 0 || hlen >= hsz || *p == '\0' || strlen(p) >= psz)
        return -1;
    for (const char *c = p; *c; c++)
        if (*c < '0' || *c > '9')
            return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    strcpy(port, p);
    return 0;
}

static struct addrinfo *resolve(const char *name, const char *spec,
                                const char *default_host, int passive)
{
    char host[256], port[16];
    struct addrinfo hints, *res = NULL;
    int rc;

    if (split_spec(spec, default_host, host, sizeof host, port,
                   sizeof port) < 0) {
        fprintf(stderr, "%s: bad address '%s' (want [HOST:]PORT)\n",
                name, spec);
        return NULL;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: %s: %s\n", name, spec, gai_strerror(rc));
        return NULL;
    }
    return res;
}

int bench_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int bench_listen(const char *name, const char *spec, int backlog)
{
    struct addrinfo *res = resolve(name, spec, "127.0.0.1", 1);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[NI_MAXHOST], port[NI_MAXSERV];
    int fd, one = 1;

    if (!res)
        exit(2);
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
                             sizeof one) < 0
        || bind(fd, res->ai_addr, res->ai_addrlen) < 0
        || listen(fd, backlog) < 0 || bench_nonblock(fd) < 0
        || getsockname(fd, (struct sockaddr *)&ss, &len) < 0
        || getnameinfo((struct sockaddr *)&ss, len, host, sizeof host,
                       port, sizeof port,
                       NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        fprintf(stderr, "%s: cannot listen on %s: %s\n", name, spec,
                strerror(errno));
        exit(2);
    }
    freeaddrinfo(res);
    if (strchr(host, ':'))
        fprintf(stderr, "%s: listening on [%s]:%s\n", name, host, port);
    else
        fprintf(stderr, "%s: listening on %s:%s\n", name, host, port);
    return fd;
}

int bench_connect(const char *name, const char *spec)
{
    struct addrinfo *res = resolve(name, spec, "127.0.0.1", 0);
    int fd, one = 1;

    if (!res)
        return -1;
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        fprintf(stderr, "%s: connect %s: %s\n", name, spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bench_nonblock(fd) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile int *stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_flag)
        *stop_flag = 1;
}

void bench_on_stop(volatile int *flag)
{
    struct sigaction sa;

    stop_flag = flag;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
