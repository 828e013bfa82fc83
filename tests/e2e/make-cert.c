/*
 * make-cert.c: writes a self-signed certificate for localhost and its key
 * (tests/tls-certs.c) for the end-to-end TLS tests:
 *     make-cert CERT KEY FROM TO      (validity, seconds around now)
 * Exits 77 (skip) when built without OpenSSL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef HAVE_OPENSSL
#include "tls-certs.h"
#endif

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: make-cert CERT KEY FROM TO\n");
        return 2;
    }
#ifdef HAVE_OPENSSL
    if (tls_test_make_cert(argv[1], argv[2], atol(argv[3]), atol(argv[4])) < 0) {
        fprintf(stderr, "make-cert: cannot make %s\n", argv[1]);
        return 1;
    }
    return 0;
#else
    return 77;
#endif
}
