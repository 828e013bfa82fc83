/*
 * tls-test.h: shared by test-tls-stream.c and machines/tls.rsm.
 */
#ifndef TLS_TEST_H
#define TLS_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include <rotor/rotor.h>

/* What the test gives a machine: a connected socket (fd >= 0) or a port
 * to connect to, its context, the name a client asks for. */
struct tls_seed {
    int fd;
    const char *port;
    struct rotor_tls *tls;
    const char *host;
    int lines;              /* client: lines of line_len bytes to send */
    size_t line_len;
};

/* What each end saw, for the test to check. */
struct tls_result {
    int lines;              /* client: echoed lines taken, all correct */
    bool bad_echo;
    bool eof, timeout;
    int error;              /* rotor_event_error(), or 0 */
    char reason[160];       /* rotor_stream_tls_error() at `error` */
    char alpn[32];
};

extern struct tls_result tls_server_result, tls_client_result;
/* The seed of servers a listener spawns (they get none of their own). */
extern struct tls_seed tls_accepted_seed;
/* When set, the loop stops as a server machine ends. */
extern struct rotor_loop *tls_stop_after_server;

struct tls_end {
    const struct tls_seed *seed;
    struct tls_result *result;
    int taken;
};

#endif
