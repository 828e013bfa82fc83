/* echo-raw-data.h: the data of the echo server's machines (grammars/echo-raw.rsm). */
#ifndef ECHO_RAW_DATA_H
#define ECHO_RAW_DATA_H

#include <stddef.h>

#define ECHO_BUFFER_SIZE 16384

struct echo_acceptor {
    int listen_fd;
    unsigned long accepted;
};

struct echo_conn {
    int fd;
    size_t start, end;   /* buf[start..end) is read but not yet written */
    char buf[ECHO_BUFFER_SIZE];
};

#endif
