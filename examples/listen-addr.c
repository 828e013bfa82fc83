/* listen-addr.c: command-line addresses and listening sockets. */
#define _POSIX_C_SOURCE 200809L
#include "listen-addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int copy_part(char *out, size_t out_size, const char *from, size_t len)
{
    if (len == 0 || len >= out_size)
        return -1;
    memcpy(out, from, len);
    out[len] = '\0';
    return 0;
}

int listen_addr_parse(const char *arg, const char *default_host,
                      char *host, size_t host_size,
                      char *port, size_t port_size)
{
    const char *colon = strrchr(arg, ':');
    if (!colon)
        return copy_part(host, host_size, default_host, strlen(default_host))
             | copy_part(port, port_size, arg, strlen(arg));
    const char *h = arg;
    size_t hlen = (size_t)(colon - arg);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;            /* "[::1]:80": drop the brackets */
        hlen -= 2;
    } else if (memchr(h, ':', hlen)) {
        return -1;      /* a bare IPv6 address needs brackets */
    }
    return copy_part(host, host_size, h, hlen)
         | copy_part(port, port_size, colon + 1, strlen(colon + 1));
}

static int bind_one(const struct addrinfo *ai, char *err, size_t err_size)
{
    int fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        snprintf(err, err_size, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int listen_addr_open(const char *host, const char *port,
                     char *err, size_t err_size)
{
    struct addrinfo hints = {0}, *list;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        snprintf(err, err_size, "cannot listen on %s:%s: %s",
                 host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    char reason[256] = "no address";
    for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next)
        fd = bind_one(ai, reason, sizeof reason);
    freeaddrinfo(list);
    if (fd < 0)
        snprintf(err, err_size, "cannot listen on %s:%s: %s",
                 host, port, reason);
    return fd;
}

void listen_addr_describe(int fd, char *out, size_t out_size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(out, out_size, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
             host, port);
}
