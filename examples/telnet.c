/*
 * telnet: a telnet client.  The machines are in grammars/telnet.rsm (the
 * socket, telnet_net, and the user's input, telnet_tty); this file holds
 * their actions and main().  The protocol itself is grammars/libtelnet:
 * the Ragel push parser, the output encoder and RFC 1143 negotiation.
 *
 *     telnet HOST [PORT]             (PORT defaults to 23)
 *
 * "Connected to HOST." goes to stderr once the connection is up.  Exit
 * status 0 when the server closes the connection, 1 when the connection
 * fails, is refused or breaks.  When stdin ends, the socket is half-closed
 * after the last byte is sent and the client waits for the server to
 * finish.  Server data goes to stdout with every telnet command taken out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include <event2/buffer.h>
#include <event2/event.h>
#include <rotor/rotor.h>

#include "telnet-client.h"
#include "telnet-machines.h"

static void say(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("telnet: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- the terminal's echo mode ------------------------------------------ */

/* A server that echoes gets our keys one by one, unechoed; otherwise the
 * terminal driver edits and echoes lines locally, as it normally does. */
static void tty_set_mode(struct telnet_client *c, bool remote_echo)
{
    if (!c->is_tty || remote_echo == c->remote_echo)
        return;
    struct termios t = c->saved;
    if (remote_echo) {
        t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
    }
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) == 0) {
        c->remote_echo = remote_echo;
        c->tty_changed = remote_echo;
    }
}

static struct telnet_client *restore_me;
static bool client_interrupted;

static void tty_restore(void)
{
    if (restore_me && restore_me->tty_changed)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &restore_me->saved);
}

/* ---- stdout ------------------------------------------------------------ */

/* Writes what to_out holds.  Blocking is what a CLI wants here, but the
 * descriptor may be non-blocking (a terminal shares its open file with
 * stdin, which the stream layer made non-blocking), so wait on EAGAIN. */
static int flush_out(struct telnet_client *c)
{
    while (evbuffer_get_length(c->to_out) > 0) {
        int n = evbuffer_write(c->to_out, c->out_fd);
        if (n >= 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };
        poll(&p, 1, -1);
    }
    return 0;
}

/* ---- parser callbacks -------------------------------------------------- */

struct net_call {
    struct telnet_client *c;
    rotor_scope *s;
};

/* Data for the screen.  CR NUL is how telnet sends a bare CR (RFC 854):
 * the NUL is dropped. */
static void on_data(void *arg, const unsigned char *buf, size_t len)
{
    struct telnet_client *c = ((struct net_call *)arg)->c;
    size_t from = 0;

    for (size_t i = 0; i < len; i++) {
        bool cr_nul = buf[i] == '\0' && (i > 0 ? buf[i - 1] == '\r'
                                               : c->after_cr);
        if (cr_nul) {
            evbuffer_add(c->to_out, buf + from, i - from);
            from = i + 1;
        }
    }
    evbuffer_add(c->to_out, buf + from, len - from);
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

static void on_command(void *arg, unsigned char cmd)
{
    /* Commands carry no data: nothing of them reaches the screen. */
    (void)arg;
    (void)cmd;
}

static const struct telnet_callbacks callbacks = {
    .data = on_data,
    .command = on_command,
    .negotiate = on_negotiate,
};

/* ---- telnet_net -------------------------------------------------------- */

void net_connect(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    if (rotor_stream_connect(s, c->host, c->port) < 0) {
        say("%s", rotor_last_error());
        c->status = 1;
        telnet_net_raise_give_up(s);
    }
}

void net_announce(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    fprintf(stderr, "Connected to %s.\n", c->host);
    c->net_out = rotor_stream_output(s);
    c->tty = rotor_spawn(rotor_scope_loop(s), &telnet_tty_machine, NULL);
    if (c->tty.gen == 0) {
        /* No input then, but the server's output is still shown. */
        say("cannot read the input: %s", rotor_last_error());
        rotor_stream_shutdown(s);
    }
}

void net_connect_failed(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    say("cannot connect to %s port %s: %s", c->host, c->port,
        rotor_strerror(rotor_event_error(ev)));
    c->status = 1;
}

void net_connect_timed_out(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    say("cannot connect to %s port %s: %s", c->host, c->port,
        strerror(ETIMEDOUT));
    c->status = 1;
}

void net_from_server(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);
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
    if (flush_out(c) < 0) {
        say("cannot write the output: %s", strerror(errno));
        c->status = 1;
        rotor_loop_stop(rotor_scope_loop(s));
    }
    tty_set_mode(c, telnet_q_remote_echo(&c->q));
}

void net_to_server(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    evbuffer_add_buffer(rotor_stream_output(s), c->to_net);
}

void net_half_close(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    c->net_shut = true;
    rotor_stream_shutdown(s);   /* once the output is sent, or now */
}

/* The terminal machine goes too, whatever state it is in. */
static void hang_up(struct telnet_client *c, rotor_scope *s)
{
    c->net_out = NULL;
    if (rotor_alive(rotor_scope_loop(s), c->tty))
        rotor_send(s, c->tty, telnet_tty_ev_hangup, NULL);
}

void net_closed_by_server(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    if (telnet_parser_pending(&c->parser))
        say("the connection ended inside a telnet command");
    fprintf(stderr, "Connection closed by foreign host.\n");
    hang_up(c, s);
}

void net_failed(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    say("connection to %s lost: %s", c->host,
        rotor_strerror(rotor_event_error(ev)));
    c->status = 1;
    hang_up(c, s);
}

void net_resume_tty(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    if (rotor_alive(rotor_scope_loop(s), c->tty))
        rotor_send(s, c->tty, telnet_tty_ev_resume, NULL);
}

void net_gone(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_net_context(s);

    c->net_out = NULL;
}

/* ---- telnet_tty -------------------------------------------------------- */

static void send_to_net(struct telnet_client *c, rotor_scope *s, int event)
{
    if (rotor_send(s, c->net, event, NULL) < 0)
        evbuffer_drain(c->to_net, evbuffer_get_length(c->to_net));
}

void tty_attach(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_tty_context(s);

    if (rotor_stream_attach(s, c->in_fd) < 0) {
        say("cannot read the input: %s", rotor_last_error());
        close(c->in_fd);
        c->in_fd = -1;
        send_to_net(c, s, telnet_net_ev_input_ended);
        telnet_tty_raise_hangup(s);
        return;
    }
    c->in_fd = -1;      /* the machine owns it now */
}

bool tty_net_backlogged(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_tty_context(s);
    size_t held = evbuffer_get_length(c->to_net);

    if (c->net_out)
        held += evbuffer_get_length(c->net_out);
    /* The high mark of telnet_net's `drain`: its `drained` resumes us. */
    return held > ROTOR_STREAM_HIGH_WATER;
}

void tty_forward(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_tty_context(s);
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

void tty_ended(void *self, rotor_scope *s, const rotor_event *ev)
{
    struct telnet_client *c = telnet_tty_context(s);
    unsigned char nul;

    if (telnet_encode_flush(&c->enc, &nul) > 0)
        evbuffer_add(c->to_net, &nul, 1);
    send_to_net(c, s, telnet_net_ev_input_ended);
}

/* ---- main -------------------------------------------------------------- */

/* Whether the loop can wait on fd.  epoll refuses regular files and some
 * devices (/dev/null), which the stream layer would then never read. */
static bool pollable(int fd)
{
#ifdef __linux__
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return true;
    struct epoll_event e = { .events = EPOLLIN };
    bool ok = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) == 0 || errno != EPERM;
    close(ep);
    return ok;
#else
    (void)fd;
    return true;
#endif
}

/* For input the loop cannot wait on: a child copies it into a pipe.
 * Returns the pipe's read end, or -1. */
static int feed_through_pipe(int fd, pid_t *child)
{
    int p[2];

    if (pipe(p) < 0)
        return -1;
    *child = fork();
    if (*child < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (*child == 0) {
        char buf[65536];
        ssize_t n;
        close(p[0]);
        signal(SIGPIPE, SIG_DFL);
        while ((n = read(fd, buf, sizeof buf)) != 0) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                _exit(1);
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write(p[1], buf + off, (size_t)(n - off));
                if (w < 0 && errno != EINTR)
                    _exit(1);
                off += w > 0 ? w : 0;
            }
        }
        _exit(0);
    }
    close(p[1]);
    return p[0];
}

/* Ctrl-C and friends: leave through main(), which puts the terminal
 * back the way it was. */
static void on_signal(evutil_socket_t sig, short what, void *loop)
{
    client_interrupted = true;
    rotor_loop_stop(loop);
}

static int usage(void)
{
    fprintf(stderr, "usage: telnet HOST [PORT]   (PORT defaults to 23)\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct telnet_client client;
    struct telnet_client *c = &client;
    pid_t feeder = -1;

    if (argc < 2 || argc > 3 || argv[1][0] == '-')
        return usage();
    c->host = argv[1];
    c->port = argc == 3 ? argv[2] : "23";
    c->out_fd = STDOUT_FILENO;
    telnet_parser_init(&c->parser);
    telnet_q_init(&c->q);
    telnet_encoder_init(&c->enc);
    c->to_net = evbuffer_new();
    c->to_out = evbuffer_new();
    if (!c->to_net || !c->to_out) {
        say("out of memory");
        return 1;
    }
    /* A reader that went away is an error to report, not a signal. */
    signal(SIGPIPE, SIG_IGN);

    /* The stream layer makes its descriptor non-blocking, which changes
     * the open file stdin shares with others (the shell's terminal):
     * give it a duplicate and put the flags back at the end. */
    int in_flags = fcntl(STDIN_FILENO, F_GETFL);
    c->is_tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &c->saved) == 0;
    if (pollable(STDIN_FILENO))
        c->in_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    else
        c->in_fd = feed_through_pipe(STDIN_FILENO, &feeder);
    if (c->in_fd < 0) {
        say("cannot read the input: %s", strerror(errno));
        return 1;
    }
    if (c->is_tty) {
        restore_me = c;
        atexit(tty_restore);
    }

    struct rotor_config cfg;
    rotor_config_init(&cfg);
    cfg.max_machines = 4;
    cfg.context = c;
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    if (!loop) {
        say("%s", rotor_last_error());
        return 1;
    }
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct event *sigev[3];
    for (int i = 0; i < 3; i++) {
        sigev[i] = evsignal_new(rotor_loop_base(loop), sigs[i], on_signal, loop);
        if (sigev[i])
            event_add(sigev[i], NULL);
    }
    c->net = rotor_spawn(loop, &telnet_net_machine, NULL);
    if (c->net.gen == 0) {
        say("%s", rotor_last_error());
        c->status = 1;
    } else if (rotor_loop_run(loop) < 0) {
        say("%s", rotor_last_error());
        c->status = 1;
    }
    for (int i = 0; i < 3; i++)
        if (sigev[i])
            event_free(sigev[i]);
    rotor_loop_free(loop);
    if (client_interrupted)
        c->status = 1;

    if (c->in_fd >= 0)
        close(c->in_fd);    /* the terminal machine never took it */
    if (in_flags >= 0)
        fcntl(STDIN_FILENO, F_SETFL, in_flags);
    if (feeder > 0) {
        kill(feeder, SIGTERM);
        waitpid(feeder, NULL, 0);
    }
    tty_restore();
    restore_me = NULL;
    evbuffer_free(c->to_net);
    evbuffer_free(c->to_out);
    return c->status;
}
