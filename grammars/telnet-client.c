/*
 * telnet-client.c: librotor-telnet's client session: the public calls
 * (telnet_client_new, _start, _free) and the actions of its machines
 * (grammars/telnet.rsm).  The protocol is done here: connecting, parsing
 * (telnet.rl), CR NUL, answering negotiation (telnet-q.c), encoding the
 * input (telnet-encode.c), half-closing, holding the input back while
 * the socket is backlogged.  What the program sees goes through its
 * struct telnet_client_ops.
 */
#define _POSIX_C_SOURCE 200809L  /* strdup, close */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <rotor/rotor.h>

#include "telnet-client-data.h"
#include "telnet-machines.h"

/* ---- what the program is told ------------------------------------------ */

static void tell_ended(struct telnet_client *c, enum telnet_end how, int err)
{
    if (c->ended)
        return;
    c->ended = true;
    if (c->ops->ended)
        c->ops->ended(c->app, how, err > 0 ? -err : err);
}

static void tell_echo(struct telnet_client *c)
{
    bool remote = telnet_q_remote_echo(&c->q);

    if (remote == c->remote_echo)
        return;
    c->remote_echo = remote;
    if (c->ops->echo)
        c->ops->echo(c->app, remote);
}

/* ---- parser callbacks -------------------------------------------------- */

struct net_call {
    struct telnet_client *c;
    rotor_scope *s;
};

static void give_data(struct telnet_client *c, const unsigned char *buf,
                      size_t len)
{
    if (len > 0 && c->ops->data)
        c->ops->data(c->app, buf, len);
}

/* Data for the program.  CR NUL is how telnet sends a bare CR (RFC 854):
 * the NUL is dropped, also when the CR ended the read before. */
static void on_data(void *arg, const unsigned char *buf, size_t len)
{
    struct telnet_client *c = ((struct net_call *)arg)->c;
    size_t from = 0;

    for (size_t i = 0; i < len; i++) {
        bool cr_nul = buf[i] == '\0' && (i > 0 ? buf[i - 1] == '\r'
                                               : c->after_cr);
        if (cr_nul) {
            give_data(c, buf + from, i - from);
            from = i + 1;
        }
    }
    give_data(c, buf + from, len - from);
    c->after_cr = buf[len - 1] == '\r';
}

static void on_negotiate(void *arg, unsigned char verb, unsigned char opt)
{
    struct net_call *call = arg;
    unsigned char reply[TELNET_Q_REPLY_MAX];
    size_t n = telnet_q_receive(&call->c->q, verb, opt, reply);

    /* After our half-close a reply could only fail (EPIPE). */
    if (n > 0 && !call->c->net_shut)
        rotor_stream_write(call->s, reply, n);
}

/* Commands (NOP, AYT, ...) carry no data: the program sees none of them;
 * subnegotiations of options we never agree to are dropped likewise. */
static const struct telnet_callbacks callbacks = {
    .data = on_data,
    .negotiate = on_negotiate,
};

/* ---- telnet_net -------------------------------------------------------- */

void telnet__net_connect(struct telnet_link *self, rotor_scope *s,
                         const rotor_event *ev)
{
    struct telnet_client *c = self->c = rotor_event_data(ev);

    if (rotor_stream_connect(s, c->host, c->port) < 0) {
        tell_ended(c, TELNET_END_NO_CONNECTION, rotor_last_code());
        telnet_net_raise_give_up(s);
    }
}

static void half_close(struct telnet_client *c, rotor_scope *s)
{
    c->net_shut = true;
    rotor_stream_shutdown(s);   /* once the output is sent, or now */
}

void telnet__net_announce(struct telnet_link *self, rotor_scope *s,
                          const rotor_event *ev)
{
    struct telnet_client *c = self->c;

    c->net_out = rotor_stream_output(s);
    if (c->ops->connected)
        c->ops->connected(c->app);
    if (c->in_fd < 0) {
        half_close(c, s);
        return;
    }
    c->tty = rotor_spawn(rotor_scope_loop(s), &telnet_tty_machine, c);
    if (!rotor_ref_valid(c->tty))
        half_close(c, s);       /* no input then; the server still talks */
}

void telnet__net_connect_failed(struct telnet_link *self, rotor_scope *s,
                                const rotor_event *ev)
{
    tell_ended(self->c, TELNET_END_NO_CONNECTION, rotor_event_error(ev));
}

void telnet__net_connect_timed_out(struct telnet_link *self, rotor_scope *s,
                                   const rotor_event *ev)
{
    tell_ended(self->c, TELNET_END_NO_CONNECTION, -ETIMEDOUT);
}

void telnet__net_from_server(struct telnet_link *self, rotor_scope *s,
                             const rotor_event *ev)
{
    struct telnet_client *c = self->c;
    struct evbuffer *in = rotor_stream_input(s);
    struct net_call call = { c, s };

    /* The parser keeps its state between chunks: feed each in turn. */
    while (evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        telnet_parse(&c->parser, v.iov_base, v.iov_len, &callbacks, &call);
        rotor_stream_consume(s, v.iov_len);
    }
    if (c->ops->flush && c->ops->flush(c->app) < 0) {
        telnet_net_raise_abort(s);
        return;
    }
    tell_echo(c);
}

void telnet__net_to_server(struct telnet_link *self, rotor_scope *s,
                           const rotor_event *ev)
{
    evbuffer_add_buffer(rotor_stream_output(s), self->c->to_net);
}

void telnet__net_half_close(struct telnet_link *self, rotor_scope *s,
                            const rotor_event *ev)
{
    half_close(self->c, s);
}

/* The input machine goes too, whatever state it is in. */
static void hang_up(struct telnet_client *c, rotor_scope *s)
{
    c->net_out = NULL;
    if (rotor_alive(rotor_scope_loop(s), c->tty))
        rotor_send(s, c->tty, telnet_tty_ev_hangup, NULL);
}

void telnet__net_aborted(struct telnet_link *self, rotor_scope *s,
                         const rotor_event *ev)
{
    tell_ended(self->c, TELNET_END_ABORTED, 0);
    hang_up(self->c, s);
}

void telnet__net_closed_by_server(struct telnet_link *self, rotor_scope *s,
                                  const rotor_event *ev)
{
    struct telnet_client *c = self->c;

    tell_ended(c, telnet_parser_pending(&c->parser) ? TELNET_END_CUT
                                                    : TELNET_END_CLOSED, 0);
    hang_up(c, s);
}

void telnet__net_failed(struct telnet_link *self, rotor_scope *s,
                        const rotor_event *ev)
{
    tell_ended(self->c, TELNET_END_LOST, rotor_event_error(ev));
    hang_up(self->c, s);
}

void telnet__net_resume_tty(struct telnet_link *self, rotor_scope *s,
                            const rotor_event *ev)
{
    struct telnet_client *c = self->c;

    if (rotor_alive(rotor_scope_loop(s), c->tty))
        rotor_send(s, c->tty, telnet_tty_ev_resume, NULL);
}

/* However it ends: a loop freed under a live session ends it too. */
void telnet__net_gone(struct telnet_link *self, rotor_scope *s,
                      const rotor_event *ev)
{
    self->c->net_out = NULL;
    tell_ended(self->c, TELNET_END_STOPPED, 0);
}

/* ---- telnet_tty -------------------------------------------------------- */

static void send_to_net(struct telnet_client *c, rotor_scope *s, int event)
{
    if (rotor_send(s, c->net, event, NULL) < 0)
        evbuffer_drain(c->to_net, evbuffer_get_length(c->to_net));
}

void telnet__tty_attach(struct telnet_link *self, rotor_scope *s,
                        const rotor_event *ev)
{
    struct telnet_client *c = self->c = rotor_event_data(ev);
    int fd = c->in_fd;

    c->in_fd = -1;      /* the machine owns it now, or it is closed */
    if (rotor_stream_attach(s, fd) < 0) {
        close(fd);
        send_to_net(c, s, telnet_net_ev_input_ended);
        telnet_tty_raise_hangup(s);
    }
}

bool telnet__tty_net_backlogged(struct telnet_link *self, rotor_scope *s,
                                const rotor_event *ev)
{
    struct telnet_client *c = self->c;
    size_t held = evbuffer_get_length(c->to_net);

    if (c->net_out)
        held += evbuffer_get_length(c->net_out);
    /* The high mark of telnet_net's `drain`: its `drained` resumes us. */
    return held > ROTOR_STREAM_HIGH_WATER;
}

void telnet__tty_forward(struct telnet_link *self, rotor_scope *s,
                         const rotor_event *ev)
{
    struct telnet_client *c = self->c;
    struct evbuffer *in = rotor_stream_input(s);
    size_t len = evbuffer_get_length(in);
    struct evbuffer_iovec out;

    /* Encode straight into to_net, one input extent at a time. */
    while (len > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        if (evbuffer_reserve_space(c->to_net, TELNET_ENCODE_MAX(v.iov_len),
                                   &out, 1) < 1)
            break;
        out.iov_len = telnet_encode(&c->enc, v.iov_base, v.iov_len,
                                    out.iov_base);
        evbuffer_commit_space(c->to_net, &out, 1);
        rotor_stream_consume(s, v.iov_len);
        len -= v.iov_len;
    }
    send_to_net(c, s, telnet_net_ev_send);
}

void telnet__tty_ended(struct telnet_link *self, rotor_scope *s,
                       const rotor_event *ev)
{
    struct telnet_client *c = self->c;
    unsigned char nul;

    if (telnet_encode_flush(&c->enc, &nul) > 0)
        evbuffer_add(c->to_net, &nul, 1);
    send_to_net(c, s, telnet_net_ev_input_ended);
}

/* ---- the session ------------------------------------------------------- */

struct telnet_client *telnet_client_new(const char *host, const char *port,
    int in_fd, const struct telnet_client_ops *ops, void *app)
{
    if (!host || !port || !ops) {
        rotor_set_error(ROTOR_EINVAL, "telnet_client_new: host, port or "
                        "ops NULL");
        return NULL;
    }
    struct telnet_client *c = calloc(1, sizeof *c);
    if (c) {
        c->host = strdup(host);
        c->port = strdup(port);
        c->to_net = evbuffer_new();
    }
    if (!c || !c->host || !c->port || !c->to_net) {
        if (c)
            c->in_fd = -1;      /* not taken: the caller keeps it */
        telnet_client_free(c);
        rotor_set_error(ROTOR_ENOMEM, "telnet_client_new: out of memory");
        return NULL;
    }
    c->in_fd = in_fd < 0 ? -1 : in_fd;
    c->ops = ops;
    c->app = app;
    telnet_parser_init(&c->parser);
    telnet_q_init(&c->q);
    telnet_encoder_init(&c->enc);
    return c;
}

int telnet_client_start(struct telnet_client *c, struct rotor_loop *loop)
{
    if (!c || !loop)
        return rotor_set_error(ROTOR_EINVAL, "telnet_client_start: "
                               "client or loop NULL");
    if (c->loop)
        return rotor_set_error(ROTOR_EBUSY, "telnet_client_start: "
                               "started before");
    c->net = rotor_spawn(loop, &telnet_net_machine, c);
    if (!rotor_ref_valid(c->net))
        return rotor_last_code();
    c->loop = loop;
    return 0;
}

void telnet_client_free(struct telnet_client *c)
{
    if (!c)
        return;
    if (c->in_fd >= 0)
        close(c->in_fd);        /* no machine took it */
    if (c->to_net)
        evbuffer_free(c->to_net);
    free(c->host);
    free(c->port);
    free(c);
}
