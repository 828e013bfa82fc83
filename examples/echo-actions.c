/*
 * echo-actions.c: the actions of grammars/echo.rsm, shared by
 * examples/echo-server.c and examples/echo-replay.c.
 */
#include <rotor/rotor.h>

#include "echo-data.h"
#include "echo-machines.h"

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
    struct echo_stats *stats = rotor_scope_context(s);

    self->echoed = 0;
    stats->clients++;
}

void echo_line(struct echo_conn *self, rotor_scope *s, const rotor_event *ev)
{
    /* Moves every complete line held, delimiters included, from input to
     * output: one transition per read rather than one per line. */
    size_t n = rotor_stream_through_last(s, '\n');
    /* More than the longest line allowed might hide an overlong line:
     * then take just this one, and the expectation judges the next. */
    if (n == 0 || n > ECHO_MAX_LINE)
        n = rotor_event_size(ev);
    self->echoed += rotor_stream_echo(s, n);
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
