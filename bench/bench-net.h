/* bench-net.h: addresses, sockets and timing shared by the bench programs.
 * Loopback benchmarks only; nothing here is part of librotor. */
#ifndef BENCH_NET_H
#define BENCH_NET_H

#include <stddef.h>

/* Opens a non-blocking listening socket on "[HOST:]PORT" (HOST defaults to
 * 127.0.0.1, PORT 0 picks a free port) and prints
 * "NAME: listening on HOST:PORT" to stderr.  Exits on failure. */
int bench_listen(const char *name, const char *spec, int backlog);

/* Connects (blocking) to "HOST:PORT", sets TCP_NODELAY and O_NONBLOCK.
 * Returns the descriptor, or -1 with a message on stderr. */
int bench_connect(const char *name, const char *spec);

/* Makes fd non-blocking; returns 0 or -1. */
int bench_nonblock(int fd);

/* Monotonic seconds. */
double bench_now(void);

/* Installs a SIGINT/SIGTERM handler that sets *flag, and ignores SIGPIPE.
 * The handler is installed without SA_RESTART so blocking waits return
 * EINTR. */
void bench_on_stop(volatile int *flag);

#endif
