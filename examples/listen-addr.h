/* listen-addr.h: command-line addresses and listening sockets for the
 * example servers. */
#ifndef LISTEN_ADDR_H
#define LISTEN_ADDR_H

#include <stddef.h>

/* Splits "[HOST:]PORT" (HOST may be "[v6addr]") into host and port.
 * Without a host, default_host is used.  Returns 0, or -1 if malformed. */
int listen_addr_parse(const char *arg, const char *default_host,
                      char *host, size_t host_size,
                      char *port, size_t port_size);

/* Opens a non-blocking listening socket on host:port.  Returns the
 * descriptor, or -1 with a message in err. */
int listen_addr_open(const char *host, const char *port,
                     char *err, size_t err_size);

/* The "HOST:PORT" a socket is bound to (the real port when 0 was asked). */
void listen_addr_describe(int fd, char *out, size_t out_size);

#endif
