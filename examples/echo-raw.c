/*
 * echo-raw: the echo server on raw machines, a demonstration of raw
 * readiness (`watch readable;` / `watch writable;`): the machines are in
 * grammars/echo-raw.rsm; this file holds their actions and main().
 * examples/echo-server.c is the same server on the stream layer.
 *
 *     echo-raw [HOST:]PORT        (default 127.0.0.1:3000)
 *
 * Port 0 picks a free port; the address actually used is printed to
 * stderr as "echo-raw: listening on HOST:PORT".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rotor/rotor.h>

#include "echo-raw-data.h"
#include "echo-raw-machines.h"

/* ---- echo_acceptor ------------------------------------------------------ */

void echo_acceptor_init(struct echo_acceptor *self, rotor_scope *s,
                        const rotor_event *ev)
{
    self->listen_fd = (int)(intptr_t)rotor_event_data(ev);
    rotor_watch_fd(s, self->listen_fd);
}

static bool out_of_descriptors(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

void accept_clients(struct echo_acceptor *self, rotor_scope *s,
                    const rotor_event *ev)
{
    /* Take every pending connection: readiness is level-triggered, but
     * one wakeup per client would cost a loop turn each. */
    for (;;) {
        int fd = accept4(self->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (out_of_descriptors(errno))
                echo_acceptor_raise_out_of_descriptors(s);
            return;     /* EAGAIN, or a client that left before accept */
        }
        self->accepted++;
        /* On failure the seed comes back to us in spawn_failed. */
        rotor_spawn(rotor_scope_loop(s), &echo_conn_machine,
                    (void *)(intptr_t)fd);
    }
}

void close_client(struct echo_acceptor *self, rotor_scope *s,
                  const rotor_event *ev)
{
    close((int)(intptr_t)rotor_event_data(ev));
}

/* ---- echo_conn ---------------------------------------------------------- */

void echo_conn_init(struct echo_conn *self, rotor_scope *s,
                    const rotor_event *ev)
{
    self->fd = (int)(intptr_t)rotor_event_data(ev);
    rotor_watch_fd(s, self->fd);    /* closed by the runtime at the end */
}

void echo_conn_fini(struct echo_conn *self, rotor_scope *s,
                    const rotor_event *ev)
{
    /* Nothing to free: the buffer is part of the machine's data. */
}

/* Writes what is pending; raises `drained`, `blocked` or `closed`. */
static void flush_pending(struct echo_conn *self, rotor_scope *s)
{
    while (self->start < self->end) {
        ssize_t n = send(self->fd, self->buf + self->start,
                         self->end - self->start, MSG_NOSIGNAL);
        if (n > 0) {
            self->start += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            echo_conn_raise_blocked(s);
            return;
        } else {
            echo_conn_raise_closed(s);
            return;
        }
    }
    self->start = self->end = 0;
    echo_conn_raise_drained(s);
}

void read_and_echo(struct echo_conn *self, rotor_scope *s,
                   const rotor_event *ev)
{
    ssize_t n;
    do
        n = recv(self->fd, self->buf, sizeof self->buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        echo_conn_raise_closed(s);  /* end of stream, or reset */
        return;
    }
    self->start = 0;
    self->end = (size_t)n;
    flush_pending(self, s);
}

void write_pending(struct echo_conn *self, rotor_scope *s,
                   const rotor_event *ev)
{
    flush_pending(self, s);
}

/* ---- main --------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: echo-raw [HOST:]PORT   (default 127.0.0.1:3000)\n");
    return 2;
}

int main(int argc, char **argv)
{
    char host[256], port[32], where[300];
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        return usage();
    if (rotor_listen_addr_parse(argc == 2 ? argv[1] : "3000", "127.0.0.1",
                                host, sizeof host, port, sizeof port) < 0) {
        fprintf(stderr, "echo-raw: %s\n", rotor_last_error());
        return usage();
    }

    int fd = rotor_listen_socket(host, port, 0);
    if (fd < 0) {
        fprintf(stderr, "echo-raw: %s\n", rotor_last_error());
        return 1;
    }
    struct rotor_loop *loop = rotor_loop_new(NULL);
    if (!loop) {
        fprintf(stderr, "echo-raw: %s\n", rotor_last_error());
        return 1;
    }
    rotor_ref acceptor = rotor_spawn(loop, &echo_acceptor_machine, (void *)(intptr_t)fd);
    if (!rotor_ref_valid(acceptor)) {
        fprintf(stderr, "echo-raw: %s\n", rotor_last_error());
        return 1;
    }
    rotor_socket_describe(fd, where, sizeof where);
    fprintf(stderr, "echo-raw: listening on %s\n", where);

    /* Until SIGINT, SIGTERM or SIGHUP, a normal end (exit status 0). */
    int rc = rotor_loop_run_all(&loop, 1);
    if (rc < 0)
        fprintf(stderr, "echo-raw: %s\n", rotor_last_error());
    rotor_loop_free(loop);
    return rc < 0 ? 1 : 0;
}
