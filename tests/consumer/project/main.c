/* main.c: the actions of echo.rsm, and main().
 *
 *     echo-server [PORT]      (default 3000; 0 picks a free port)
 *
 * Listens on 127.0.0.1 until SIGINT or SIGTERM, then prints how many
 * clients and lines it served. */
#include <signal.h>
#include <stdio.h>

#include <event2/event.h>
#include <rotor/rotor.h>

#include "echo-types.h"
#include "echo.h"

/* ---- echo_listener ---- */

void count_client(void *self, rotor_scope *s, const rotor_event *ev)
{
    echo_listener_context(s)->clients++;
}

/* ---- echo_conn ---- */

void echo_line(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    rotor_stream_echo(s, rotor_event_size(ev));
    self->lines++;
}

void echo_rest(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    size_t n = rotor_stream_input_length(s);
    if (n > 0) {
        rotor_stream_echo(s, n);
        self->lines++;
    }
}

void refuse_line(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    rotor_stream_consume(s, rotor_stream_input_length(s));
    rotor_stream_printf(s, "error: line too long\n");
}

void say_goodbye(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    rotor_stream_printf(s, "goodbye after %lu lines\n", self->lines);
}

void add_lines(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    echo_conn_context(s)->lines += self->lines;
}

/* ---- main ---- */

static void stop(evutil_socket_t sig, short what, void *loop)
{
    rotor_loop_stop(loop);
}

int main(int argc, char **argv)
{
    const char *port = argc > 1 ? argv[1] : "3000";
    struct echo_stats stats = {0, 0};
    struct rotor_config cfg;
    rotor_config_init(&cfg);
    cfg.context = &stats;

    struct rotor_loop *loop = rotor_loop_new(&cfg);
    int fd = rotor_listen_socket("127.0.0.1", port, 0);
    rotor_ref listener = ROTOR_REF_NONE;
    if (loop && fd >= 0)
        listener = rotor_listen(loop, &echo_listener_machine, fd, NULL);
    if (!rotor_ref_valid(listener)) {
        fprintf(stderr, "echo-server: %s\n", rotor_last_error());
        return 1;
    }
    fprintf(stderr, "echo-server: listening on 127.0.0.1:%d\n",
            rotor_socket_port(fd));

    /* The loop's event_base is plain libevent: add signals to it. */
    struct event_base *base = rotor_loop_base(loop);
    struct event *sigint = evsignal_new(base, SIGINT, stop, loop);
    struct event *sigterm = evsignal_new(base, SIGTERM, stop, loop);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);

    int rc = rotor_loop_run(loop);
    event_free(sigint);
    event_free(sigterm);
    rotor_loop_free(loop);      /* ends open connections: add_lines runs */
    printf("%lu clients, %lu lines\n", stats.clients, stats.lines);
    return rc == 0 ? 0 : 1;
}
