/*
 * tls_fuzz.c: bytes from the network into the server side of a TLS
 * session (runtime/tls.c): each input is written to the peer end of a
 * socketpair, as a client would send it, and the session reads until it
 * waits, fails or sees the end.  It must never crash, leak or read out of
 * bounds, and a failed session must say why.
 */
#define _POSIX_C_SOURCE 200809L  /* mkdtemp */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rotor/tls.h"
#include "tls-certs.h"
#include "tls-internal.h"

static struct rotor_tls *server;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/rotor-tls-fuzz-XXXXXX", cert[64], key[64];
    struct rotor_tls_config cfg;

    (void)argc, (void)argv;
    if (!mkdtemp(dir))
        abort();
    snprintf(cert, sizeof cert, "%s/c.pem", dir);
    snprintf(key, sizeof key, "%s/k.pem", dir);
    if (tls_test_make_cert(cert, key, -60, 86400) != 0)
        abort();
    rotor_tls_config_init(&cfg);
    cfg.cert_file = cert;
    cfg.key_file = key;
    cfg.alpn = "http/1.1";
    server = rotor_tls_server_new(&cfg);
    unlink(cert), unlink(key), rmdir(dir);
    if (!server)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    char buf[4096];

    if (size > 65536)
        return 0;               /* more than a socketpair holds at once */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        abort();
    struct rotor__tls_conn *c = rotor__tls_conn_new(server, sv[0], NULL);
    if (!c)
        abort();
    if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
        abort();
    shutdown(sv[1], SHUT_WR);
    for (int i = 0; i < 64; i++) {
        struct iovec iov = { buf, sizeof buf };
        ssize_t n = rotor__tls_readv(c, &iov, 1);
        if (n > 0)
            continue;
        if (n < 0 && errno == EPROTO && rotor__tls_reason(c)[0] == '\0')
            abort();            /* failed without a reason */
        break;
    }
    rotor__tls_conn_free(c);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
