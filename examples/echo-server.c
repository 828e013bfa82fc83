/*
 * echo-server: a line echo server.  The machines are in grammars/echo.rsm
 * (a listener and a stream connection), their actions in
 * examples/echo-actions.c (shared with examples/echo-replay.c); this file
 * holds main().  examples/echo-raw.c is the same idea on raw readiness.
 *
 *     echo-server [--threads N] [HOST:]PORT     (default 127.0.0.1:3000)
 *
 * Port 0 picks a free port; the address actually used is printed to
 * stderr as "echo-server: listening on HOST:PORT".
 *
 * With --threads N (N > 1), N threads each run a loop of their own with a
 * listening socket of their own, all bound to the same port with
 * SO_REUSEPORT: the kernel spreads the clients, and the loops share
 * nothing.  At exit each thread's count of clients is printed.  SIGINT,
 * SIGTERM and SIGHUP stop every loop (rotor_loop_run_all()).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/rotor.h>

#include "echo-data.h"
#include "echo-machines.h"

#define MAX_THREADS 256

/* ---- main --------------------------------------------------------------- */

struct worker {
    struct rotor_loop *loop;
    struct echo_stats  stats;
    int                fd;
};

static struct worker workers[MAX_THREADS];
static struct rotor_loop *loops[MAX_THREADS];
static int nworkers = 1;

static int usage(void)
{
    fprintf(stderr, "usage: echo-server [--threads N] [HOST:]PORT"
            "   (default 127.0.0.1:3000)\n");
    return 2;
}

/* The sockets: one, or N sharing a port (the first one's, when port 0
 * asked the kernel to pick). */
static int open_sockets(const char *host, const char *port)
{
    char real_port[16];
    int flags = nworkers > 1 ? ROTOR_LISTEN_REUSEPORT : 0;

    for (int i = 0; i < nworkers; i++) {
        workers[i].fd = rotor_listen_socket(host, port, flags);
        if (workers[i].fd < 0) {
            fprintf(stderr, "echo-server: %s\n", rotor_last_error());
            return -1;
        }
        if (i == 0) {
            snprintf(real_port, sizeof real_port, "%d",
                     rotor_socket_port(workers[0].fd));
            port = real_port;
        }
    }
    return 0;
}

static int make_loops(void)
{
    for (int i = 0; i < nworkers; i++) {
        struct rotor_config cfg;
        rotor_config_init(&cfg);
        cfg.context = &workers[i].stats;
        loops[i] = workers[i].loop = rotor_loop_new(&cfg);
        if (!workers[i].loop ||
            rotor_listen(workers[i].loop, &echo_listener_machine,
                         workers[i].fd, NULL).gen == 0) {
            fprintf(stderr, "echo-server: %s\n", rotor_last_error());
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    char host[256], port[32], where[300];
    int argi = 1;

    if (argc > 2 && strcmp(argv[1], "--threads") == 0) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        if (*end || n < 1 || n > MAX_THREADS)
            return usage();
        nworkers = (int)n;
        argi = 3;
    }
    if (argc > argi + 1 || (argc == argi + 1 && argv[argi][0] == '-'))
        return usage();
    if (rotor_listen_addr_parse(argc == argi + 1 ? argv[argi] : "3000",
                                "127.0.0.1", host, sizeof host,
                                port, sizeof port) < 0) {
        fprintf(stderr, "echo-server: %s\n", rotor_last_error());
        return usage();
    }
    if (open_sockets(host, port) < 0 || make_loops() < 0)
        return 1;
    rotor_socket_describe(workers[0].fd, where, sizeof where);

    if (nworkers > 1)
        fprintf(stderr, "echo-server: %d threads, one loop and one "
                "SO_REUSEPORT socket each\n", nworkers);
    fprintf(stderr, "echo-server: listening on %s\n", where);
    /* Until SIGINT or SIGTERM: a signal is a normal end, exit status 0. */
    int rc = rotor_loop_run_all(loops, (size_t)nworkers);
    if (rc < 0)
        fprintf(stderr, "echo-server: %s\n", rotor_last_error());

    for (int i = 0; i < nworkers; i++) {
        if (nworkers > 1)
            fprintf(stderr, "echo-server: thread %d served %lu clients\n", i,
                    workers[i].stats.clients);
        rotor_loop_free(workers[i].loop);
    }
    return rc < 0 ? 1 : 0;
}
