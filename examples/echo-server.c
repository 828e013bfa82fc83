/*
 * echo-server: a line echo server.  The machines are in grammars/echo.rsm
 * (a listener and a stream connection); this file holds their actions and
 * main().  examples/echo-raw.c is the same idea on raw readiness.
 *
 *     echo-server [HOST:]PORT        (default 127.0.0.1:3000)
 *
 * Port 0 picks a free port; the address actually used is printed to
 * stderr as "echo-server: listening on HOST:PORT".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <rotor/rotor.h>

#include "echo-data.h"
#include "echo-machines.h"
#include "listen-addr.h"

/* ---- echo_listener ------------------------------------------------------ */

void refuse_client(void *self, rotor_scope *s, const rotor_event *ev)
{
    /* The runtime closed the socket already; nothing is leaked. */
    (void)self;
}

/* ---- echo_conn ---------------------------------------------------------- */

void echo_conn_start(struct echo_conn *self, rotor_scope *s,
                     const rotor_event *ev)
{
    self->lines = 0;
}

void echo_line(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    /* Moves the line, delimiter included, from input to output. */
    rotor_stream_echo(s, rotor_event_size(ev));
    self->lines++;
}

void echo_rest(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    /* A last line without a newline is still the client's data. */
    rotor_stream_echo(s, rotor_stream_input_length(s));
}

void line_too_long(struct echo_conn *self, rotor_scope *s,
                   const rotor_event *ev)
{
    rotor_stream_consume(s, rotor_stream_input_length(s));
    static const char msg[] = "ERR line too long\n";
    rotor_stream_write(s, msg, sizeof msg - 1);
}

/* ---- main --------------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *loop)
{
    rotor_loop_stop(loop);
}

static int usage(void)
{
    fprintf(stderr, "usage: echo-server [HOST:]PORT   (default 127.0.0.1:3000)\n");
    return 2;
}

int main(int argc, char **argv)
{
    char host[256], port[32], err[512], where[300];
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        return usage();
    if (listen_addr_parse(argc == 2 ? argv[1] : "3000", "127.0.0.1",
                          host, sizeof host, port, sizeof port) < 0)
        return usage();

    int fd = listen_addr_open(host, port, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "echo-server: %s\n", err);
        return 1;
    }
    listen_addr_describe(fd, where, sizeof where);
    struct rotor_loop *loop = rotor_loop_new(NULL);
    if (!loop) {
        fprintf(stderr, "echo-server: %s\n", rotor_last_error());
        return 1;
    }
    struct event *sigint = evsignal_new(rotor_loop_base(loop), SIGINT, on_signal, loop);
    struct event *sigterm = evsignal_new(rotor_loop_base(loop), SIGTERM, on_signal, loop);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);

    rotor_ref listener = rotor_listen(loop, &echo_listener_machine, fd, NULL);
    if (listener.gen == 0) {
        fprintf(stderr, "echo-server: %s\n", rotor_last_error());
        return 1;
    }
    fprintf(stderr, "echo-server: listening on %s\n", where);

    int rc = rotor_loop_run(loop);
    event_free(sigint);
    event_free(sigterm);
    rotor_loop_free(loop);
    return rc == 0 ? 0 : 1;
}
