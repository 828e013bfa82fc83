/*
 * socket.c: listening sockets, one per loop when several loops (one per
 * thread) share a port through SO_REUSEPORT.
 */
#define _GNU_SOURCE   /* SOCK_NONBLOCK, SOCK_CLOEXEC */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
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
