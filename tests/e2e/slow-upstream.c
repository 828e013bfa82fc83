/* slow-upstream: an HTTP upstream that is slow to read a request body
 * for certain.
 *
 *   slow-upstream LOG PATTERN OUT
 *
 * Listens on a free port of 127.0.0.1 ("slow-upstream: listening on
 * 127.0.0.1:PORT" on stderr) with a small receive buffer, takes one
 * connection and its request head, and then reads none of the body for
 * as long as LOG (the proxy's trace) does not contain PATTERN; then it
 * reads the whole body (Content-Length) into OUT and answers 200 with
 * "got N bytes" and a close.
 *
 * Why a program and not socat: the point is the certainty of "the
 * upstream is not reading" until the proxy says it waits, which a pipe
 * read late cannot give (see slow-reader.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log-has.h"

#define PATIENCE_S 120

static void die(const char *what)
{
    fprintf(stderr, "slow-upstream: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int listen_small_rcvbuf(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), rcvbuf = 16384;

    if (fd < 0)
        die("socket");
    /* on the listener, so that accepted sockets start with a small window */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        die("listen");
    fprintf(stderr, "slow-upstream: listening on 127.0.0.1:%u\n",
            ntohs(sa.sin_port));
    return fd;
}

/* The request head, and its Content-Length; *extra holds the body bytes
 * that came with it. */
static long long read_head(int fd, char *buf, size_t cap, size_t *extra)
{
    size_t n = 0;
    char *end;

    while (!(end = memmem(buf, n, "\r\n\r\n", 4))) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0)
            die("reading the head");
        n += (size_t)r;
    }
    buf[n] = 0;
    *extra = n - (size_t)(end + 4 - buf);
    for (char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
        if (!strncasecmp(p + 1, "content-length:", 15))
            return atoll(p + 16);
    fprintf(stderr, "slow-upstream: no Content-Length in:\n%s", buf);
    exit(1);
}

static void wait_for_pattern(const char *log, const char *pattern)
{
    time_t deadline = time(NULL) + PATIENCE_S;

    while (!log_has(log, pattern)) {
        if (time(NULL) > deadline) {
            fprintf(stderr, "slow-upstream: no \"%s\" in %s after %d s\n",
                    pattern, log, PATIENCE_S);
            exit(1);
        }
        poll(NULL, 0, 50);
    }
}

int main(int argc, char **argv)
{
    static char buf[65536];
    size_t extra;

    if (argc != 4) {
        fprintf(stderr, "usage: slow-upstream LOG PATTERN OUT\n");
        return 2;
    }
    FILE *out = fopen(argv[3], "w");
    if (!out)
        die(argv[3]);
    int lfd = listen_small_rcvbuf();
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    long long want = read_head(fd, buf, sizeof buf, &extra);
    char *body = memmem(buf, sizeof buf, "\r\n\r\n", 4) + 4;
    if (fwrite(body, 1, extra, out) != extra)
        die(argv[3]);
    long long got = (long long)extra;

    wait_for_pattern(argv[1], argv[2]);
    while (got < want) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            die("reading the body");
        if (fwrite(buf, 1, (size_t)r, out) != (size_t)r)
            die(argv[3]);
        got += r;
    }
    if (fclose(out) != 0)
        die(argv[3]);
    char msg[64], head[160];
    int m = snprintf(msg, sizeof msg, "got %lld bytes\n", got);
    int h = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: "
                     "%d\r\nConnection: close\r\n\r\n%s", m, msg);
    if (send(fd, head, (size_t)h, MSG_NOSIGNAL) != h)
        die("send");
    close(fd);
    return 0;
}
