/* slow-reader: a TCP client that is slow to read for certain.
 *
 *   slow-reader PORT IN OUT LOG PATTERN
 *
 * Connects to 127.0.0.1:PORT with a small receive buffer and sends the
 * file IN without reading a byte, for as long as LOG (the server's trace)
 * does not contain PATTERN; then it reads and writes both ways until IN
 * is sent and the server closed, and saves what came back in OUT.
 *
 * Why not socat behind a pipe that is read late: socat blocks in its
 * write to the full pipe, which stops its sending too, so whether the
 * server ever had to wait depended on how far the sending got first.
 * Here the sending goes on until the server waits: the server cannot
 * echo more than its send buffer and our receive buffer hold, and IN is
 * made larger than both, so the pattern must appear. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log-has.h"

#define PATIENCE_S 120

static void die(const char *what)
{
    fprintf(stderr, "slow-reader: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int connect_small_rcvbuf(const char *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0), rcvbuf = 65536;
    if (fd < 0)
        die("socket");
    /* before connect, so that the window is small from the start */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sa.sin_port = htons((unsigned short)atoi(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect");
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
        die("fcntl");
    return fd;
}

static const char *map_input(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0)
        die(path);
    *len = (size_t)st.st_size;
    void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    close(fd);
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: slow-reader PORT IN OUT LOG PATTERN\n");
        return 2;
    }
    size_t len, sent = 0;
    const char *in = map_input(argv[2], &len);
    FILE *out = fopen(argv[3], "w");
    if (!out)
        die(argv[3]);
    int fd = connect_small_rcvbuf(argv[1]);
    int reading = 0, eof = 0;
    time_t deadline = time(NULL) + PATIENCE_S;
    char buf[65536];

    while (!eof) {
        if (time(NULL) > deadline) {
            fprintf(stderr, "slow-reader: not done in %d s (%zu of %zu sent,"
                    " reading: %d)\n", PATIENCE_S, sent, len, reading);
            return 1;
        }
        if (!reading && (reading = log_has(argv[4], argv[5])) == 0 &&
            sent == len) {
            fprintf(stderr, "slow-reader: all %zu bytes sent and no \"%s\""
                    " in %s: the server never waited\n", len, argv[5], argv[4]);
            return 1;
        }
        struct pollfd p = { .fd = fd, .events = (short)(
            (sent < len ? POLLOUT : 0) | (reading ? POLLIN : 0)) };
        if (poll(&p, 1, 50) < 0 && errno != EINTR)
            die("poll");
        if (p.revents & POLLOUT) {
            ssize_t n = send(fd, in + sent, len - sent, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                die("send");
            if (n > 0 && (sent += (size_t)n) == len)
                shutdown(fd, SHUT_WR);
        }
        if (reading && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                die("recv");
            if (n > 0 && fwrite(buf, 1, (size_t)n, out) != (size_t)n)
                die(argv[3]);
            eof = n == 0;
        }
    }
    close(fd);
    return fclose(out) == 0 ? 0 : 1;
}
