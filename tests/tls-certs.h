/*
 * tls-certs.h: certificates made on the spot for the TLS tests and the
 * TLS fuzz target, with OpenSSL's API (no openssl command, no clock
 * tricks: an expired certificate is one whose validity ended already).
 */
#ifndef ROTOR_TESTS_TLS_CERTS_H
#define ROTOR_TESTS_TLS_CERTS_H

/* Writes a self-signed P-256 certificate for CN=localhost,
 * DNS:localhost, valid from `from` to `to` seconds around now, and its
 * key, as PEM files.  Returns 0, or -1 when a step failed. */
int tls_test_make_cert(const char *cert_path, const char *key_path,
                       long from, long to);

#endif
