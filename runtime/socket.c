/*
 * socket.c: listening sockets, one per loop when several loops (one per
 * thread) share a port through SO_REUSEPORT; the "[HOST:]PORT" of a
 * command line, and the address a socket is bound to.  Every server
 * (the examples, a user's) needs these three, so they live here once.
 */
#define _GNU_SOURCE   /* SOCK_NONBLOCK, SOCK_CLOEXEC */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rotor-internal.h"

#define BACKLOG 1024

/* The code for a system call's failure: a taken port is worth telling
 * apart, the rest is the system's (the message has its words). */
static int system_code(int err)
{
    return err == EADDRINUSE ? ROTOR_EADDRINUSE : ROTOR_EIO;
}

static int bind_one(const struct addrinfo *ai, int flags)
{
    int fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return rotor__fail(system_code(errno), "socket: %s",
                           strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (flags & ROTOR_LISTEN_REUSEPORT) {
#ifdef SO_REUSEPORT
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
            int err = errno;
            close(fd);
            return rotor__fail(err == ENOPROTOOPT ? ROTOR_ENOTSUP
                                                  : system_code(err),
                               "SO_REUSEPORT: %s", strerror(err));
        }
#else
        close(fd);
        return rotor__fail(ROTOR_ENOTSUP, "SO_REUSEPORT is not supported here");
#endif
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        listen(fd, BACKLOG) < 0) {
        int err = errno;
        close(fd);
        return rotor__fail(system_code(err), "%s", strerror(err));
    }
    return fd;
}

int rotor_listen_socket(const char *host, const char *port, int flags)
{
    struct addrinfo hints, *list;

    if (flags & ~ROTOR_LISTEN_REUSEPORT)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_listen_socket: unknown flags %#x", flags);
    if (!port)
        return rotor__fail(ROTOR_EINVAL, "rotor_listen_socket: no port");
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0)
        return rotor__fail(ROTOR_ERESOLVE, "cannot listen on %s:%s: %s",
                           host ? host : "*", port, gai_strerror(rc));
    int fd = -1;
    for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next)
        fd = bind_one(ai, flags);
    freeaddrinfo(list);
    if (fd < 0) {
        char why[200];
        snprintf(why, sizeof why, "%s", rotor_last_error());
        return rotor__fail(fd, "cannot listen on %s:%s: %s",
                           host ? host : "*", port, why);
    }
    return fd;
}

int rotor_socket_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return rotor__fail(ROTOR_EINVAL, "rotor_socket_port: %s",
                           strerror(errno));
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return rotor__fail(ROTOR_ENOTSUP, "rotor_socket_port: not an IP socket");
}

/* Copies len bytes of from as a string: a part of an address that must
 * not be empty. */
static int copy_part(char *out, size_t out_size, const char *from,
                     size_t len, const char *what)
{
    if (len == 0)
        return rotor__fail(ROTOR_EINVAL, "rotor_listen_addr_parse: no %s",
                           what);
    if (len >= out_size)
        return rotor__fail(ROTOR_EMSGSIZE,
                           "rotor_listen_addr_parse: the %s is longer than "
                           "%zu bytes", what, out_size ? out_size - 1 : 0);
    memcpy(out, from, len);
    out[len] = '\0';
    return 0;
}

/* A port is checked here rather than by getaddrinfo() later, so that a
 * typo is told as such before any socket exists. */
static int check_port(const char *p)
{
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n > 5 || p[n] != '\0' || strtol(p, NULL, 10) > 65535)
        return rotor__fail(ROTOR_EINVAL,
                           "rotor_listen_addr_parse: bad port \"%s\"", p);
    return 0;
}

/* The host part of "HOST:PORT" (without the colon), brackets dropped. */
static int host_part(const char *h, size_t len, char *host, size_t host_size)
{
    if (len >= 2 && h[0] == '[' && h[len - 1] == ']')
        return copy_part(host, host_size, h + 1, len - 2, "host");
    if (memchr(h, ':', len) || memchr(h, '[', len) || memchr(h, ']', len))
        return rotor__fail(ROTOR_EINVAL, "rotor_listen_addr_parse: an IPv6 "
                           "address needs brackets: \"[%.*s]:PORT\"",
                           (int)len, h);
    return copy_part(host, host_size, h, len, "host");
}

int rotor_listen_addr_parse(const char *arg, const char *default_host,
                            char *host, size_t host_size,
                            char *port, size_t port_size)
{
    if (!arg || !host || !port)
        return rotor__fail(ROTOR_EINVAL, "rotor_listen_addr_parse: NULL");
    /* Parsed into copies, so that a failure leaves the caller's alone. */
    char h[256] = "", p[8];
    const char *colon = strrchr(arg, ':');
    const char *port_str = colon ? colon + 1 : arg;
    int rc = check_port(port_str);
    if (rc == 0)
        rc = copy_part(p, sizeof p, port_str, strlen(port_str), "port");
    if (rc == 0 && colon)
        rc = host_part(arg, (size_t)(colon - arg), h, sizeof h);
    else if (rc == 0 && default_host)
        rc = copy_part(h, sizeof h, default_host, strlen(default_host),
                       "default host");
    if (rc < 0)
        return rc;
    if (strlen(h) >= host_size || strlen(p) >= port_size)
        return rotor__fail(ROTOR_EMSGSIZE, "rotor_listen_addr_parse: \"%s\" "
                           "does not fit the buffers", arg);
    memcpy(host, h, strlen(h) + 1);
    memcpy(port, p, strlen(p) + 1);
    return 0;
}

int rotor_socket_describe(int fd, char *out, size_t out_size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN];
    unsigned port;

    if (!out)
        return rotor__fail(ROTOR_EINVAL, "rotor_socket_describe: out NULL");
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return rotor__fail(ROTOR_EINVAL, "rotor_socket_describe: %s",
                           strerror(errno));
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    } else {
        return rotor__fail(ROTOR_ENOTSUP,
                           "rotor_socket_describe: not an IP socket");
    }
    int n = snprintf(out, out_size,
                     ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
                     host, port);
    if (n < 0 || (size_t)n >= out_size)
        return rotor__fail(ROTOR_EMSGSIZE, "rotor_socket_describe: %zu "
                           "bytes are too few for %s", out_size, host);
    return n;
}
