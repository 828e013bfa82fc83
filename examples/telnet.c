/*
 * telnet: a telnet client on librotor-telnet (<rotor/telnet.h>).  The
 * protocol, its two machines (the socket and the user's input) and their
 * actions are the library's; this file is the program: main(), the
 * terminal's echo mode, stdout, the messages, and the session's
 * callbacks that drive them.
 *
 *     telnet HOST [PORT]             (PORT defaults to 23)
 *
 * "Connected to HOST." goes to stderr once the connection is up.  Exit
 * status 0 when the server closes the connection, 1 when the connection
 * fails, is refused or breaks, or a signal (SIGINT, SIGTERM, SIGHUP) ends
 * it.  When stdin ends, the socket is half-closed after the last byte is
 * sent and the client waits for the server to finish.  Server data goes
 * to stdout with every telnet command taken out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include <event2/buffer.h>
#include <rotor/rotor.h>
#include <rotor/telnet.h>

/* What the program keeps: the terminal, stdout, the exit status. */
struct program {
    const char *host, *port;    /* from the command line */
    int out_fd;                 /* where server data goes (stdout) */
    struct evbuffer *to_out;    /* server data on its way to out_fd */
    int status;                 /* the exit status main() returns */

    /* Local echo: only when stdin is a terminal. */
    bool is_tty;
    bool tty_changed;           /* `saved` must be put back */
    bool remote_echo;           /* the mode the terminal is in now */
    struct termios saved;
};

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
static void tty_set_mode(struct program *p, bool remote_echo)
{
    if (!p->is_tty || remote_echo == p->remote_echo)
        return;
    struct termios t = p->saved;
    if (remote_echo) {
        t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
    }
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) == 0) {
        p->remote_echo = remote_echo;
        p->tty_changed = remote_echo;
    }
}

static struct program *restore_me;

static void tty_restore(void)
{
    if (restore_me && restore_me->tty_changed)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &restore_me->saved);
}

/* ---- stdout ------------------------------------------------------------ */

/* Writes what to_out holds.  Blocking is what a CLI wants here, but the
 * descriptor may be non-blocking (a terminal shares its open file with
 * stdin, which the stream layer made non-blocking), so wait on EAGAIN. */
static int flush_out(struct program *p)
{
    while (evbuffer_get_length(p->to_out) > 0) {
        int n = evbuffer_write(p->to_out, p->out_fd);
        if (n >= 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        struct pollfd pfd = { .fd = p->out_fd, .events = POLLOUT };
        poll(&pfd, 1, -1);
    }
    return 0;
}

/* ---- the session's callbacks ------------------------------------------- */

static void on_connected(void *app)
{
    struct program *p = app;

    fprintf(stderr, "Connected to %s.\n", p->host);
}

static void on_data(void *app, const unsigned char *buf, size_t len)
{
    struct program *p = app;

    evbuffer_add(p->to_out, buf, len);
}

static int on_flush(void *app)
{
    struct program *p = app;

    if (flush_out(p) == 0)
        return 0;
    say("cannot write the output: %s", strerror(errno));
    return -1;
}

static void on_echo(void *app, bool remote_echo)
{
    tty_set_mode(app, remote_echo);
}

static void on_ended(void *app, enum telnet_end how, int err)
{
    struct program *p = app;

    switch (how) {
    case TELNET_END_CUT:
        say("the connection ended inside a telnet command");
        /* fall through */
    case TELNET_END_CLOSED:
        fprintf(stderr, "Connection closed by foreign host.\n");
        return;
    case TELNET_END_NO_CONNECTION:
        say("cannot connect to %s port %s: %s", p->host, p->port,
            rotor_strerror(err));
        break;
    case TELNET_END_LOST:
        say("connection to %s lost: %s", p->host, rotor_strerror(err));
        break;
    case TELNET_END_ABORTED:    /* on_flush said why */
    case TELNET_END_STOPPED:    /* a signal: main() knows */
        break;
    }
    p->status = 1;
}

static const struct telnet_client_ops ops = {
    .connected = on_connected,
    .data = on_data,
    .flush = on_flush,
    .echo = on_echo,
    .ended = on_ended,
};

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

static int usage(void)
{
    fprintf(stderr, "usage: telnet HOST [PORT]   (PORT defaults to 23)\n");
    return 2;
}

/* stdin for the session: a duplicate, since the stream layer makes its
 * descriptor non-blocking, which changes the open file stdin shares with
 * others (the shell's terminal); or, for input the loop cannot wait on,
 * a pipe a child copies it into.  -1 on failure. */
static int open_input(pid_t *feeder)
{
    if (pollable(STDIN_FILENO))
        return fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    return feed_through_pipe(STDIN_FILENO, feeder);
}

/* Runs the session to its end, or until a signal stops it. */
static void run_session(struct program *p, int in_fd)
{
    struct rotor_config cfg;
    rotor_config_init(&cfg);
    cfg.max_machines = 4;
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    struct telnet_client *c = loop ? telnet_client_new(p->host, p->port,
                                                       in_fd, &ops, p)
                                   : NULL;
    if (!c)
        close(in_fd);
    if (!c || telnet_client_start(c, loop) < 0) {
        say("%s", rotor_last_error());
        p->status = 1;
    } else {
        int rc = rotor_loop_run_all(&loop, 1);
        if (rc < 0)
            say("%s", rotor_last_error());
        if (rc != 0)
            p->status = 1;      /* failed, or interrupted */
    }
    rotor_loop_free(loop);      /* ends a session still alive */
    telnet_client_free(c);
}

int main(int argc, char **argv)
{
    static struct program program;
    struct program *p = &program;
    pid_t feeder = -1;

    if (argc < 2 || argc > 3 || argv[1][0] == '-')
        return usage();
    p->host = argv[1];
    p->port = argc == 3 ? argv[2] : "23";
    p->out_fd = STDOUT_FILENO;
    if (!(p->to_out = evbuffer_new())) {
        say("out of memory");
        return 1;
    }
    /* A reader that went away is an error to report, not a signal. */
    signal(SIGPIPE, SIG_IGN);

    int in_flags = fcntl(STDIN_FILENO, F_GETFL);
    p->is_tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &p->saved) == 0;
    int in_fd = open_input(&feeder);
    if (in_fd < 0) {
        say("cannot read the input: %s", strerror(errno));
        return 1;
    }
    if (p->is_tty) {
        restore_me = p;
        atexit(tty_restore);
    }

    run_session(p, in_fd);

    if (in_flags >= 0)
        fcntl(STDIN_FILENO, F_SETFL, in_flags);
    if (feeder > 0) {
        kill(feeder, SIGTERM);
        waitpid(feeder, NULL, 0);
    }
    tty_restore();
    restore_me = NULL;
    evbuffer_free(p->to_out);
    return p->status;
}
