/*
 * test-tls.c: TLS sessions (runtime/tls.c) and contexts (tls-context.c)
 * over a real socketpair, both ends in this process: the handshake,
 * ALPN, data both ways (also more than the socket buffers hold),
 * close_notify, and each way a session fails: a certificate for another
 * name, an expired one, a client without the certificate a server asks
 * for, garbage instead of a ClientHello, a peer that leaves mid-handshake.
 * The certificates are made here with OpenSSL's API (no openssl command,
 * no clock: "expired" is a validity that ended an hour ago).
 */
#define _GNU_SOURCE
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rotor/error.h>
#include <rotor/tls.h>
#include "tls-internal.h"

#ifdef HAVE_OPENSSL
#include "tls-certs.h"

static char dir[64];
static char cert_ok[96], key_ok[96], cert_old[96], key_old[96];

static void setup_certs(void)
{
    snprintf(dir, sizeof dir, "/tmp/rotor-tls-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cert_ok, sizeof cert_ok, "%s/ok.pem", dir);
    snprintf(key_ok, sizeof key_ok, "%s/ok.key", dir);
    snprintf(cert_old, sizeof cert_old, "%s/old.pem", dir);
    snprintf(key_old, sizeof key_old, "%s/old.key", dir);
    ck_assert_int_eq(tls_test_make_cert(cert_ok, key_ok, -3600, 86400), 0);
    ck_assert_int_eq(tls_test_make_cert(cert_old, key_old, -7200, -3600), 0);
}

static void teardown_certs(void)
{
    unlink(cert_ok), unlink(key_ok), unlink(cert_old), unlink(key_old);
    rmdir(dir);
}

/* ---- two ends ------------------------------------------------------- */

struct pair {
    int sfd, cfd;
    struct rotor_tls *sctx, *cctx;
    struct rotor__tls_conn *server, *client;
};

static struct rotor_tls *server_ctx(const char *cert, const char *key,
                                    const char *client_ca)
{
    struct rotor_tls_config cfg;
    rotor_tls_config_init(&cfg);
    cfg.cert_file = cert;
    cfg.key_file = key;
    cfg.ca_file = client_ca;
    cfg.alpn = "h2,http/1.1";
    struct rotor_tls *t = rotor_tls_server_new(&cfg);
    ck_assert_msg(t != NULL, "server context: %s", rotor_last_error());
    return t;
}

static struct rotor_tls *client_ctx(const char *ca)
{
    struct rotor_tls_config cfg;
    rotor_tls_config_init(&cfg);
    cfg.ca_file = ca;
    cfg.alpn = "http/1.1";
    struct rotor_tls *t = rotor_tls_client_new(&cfg);
    ck_assert_msg(t != NULL, "client context: %s", rotor_last_error());
    return t;
}

static void open_pair(struct pair *p, const char *cert, const char *key,
                      const char *host, const char *client_ca)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    p->sfd = sv[0];
    p->cfd = sv[1];
    p->sctx = server_ctx(cert, key, client_ca);
    p->cctx = client_ctx(cert);
    p->server = rotor__tls_conn_new(p->sctx, p->sfd, NULL);
    p->client = rotor__tls_conn_new(p->cctx, p->cfd, host);
    ck_assert_ptr_nonnull(p->server);
    ck_assert_ptr_nonnull(p->client);
}

static void close_pair(struct pair *p)
{
    rotor__tls_conn_free(p->server);
    rotor__tls_conn_free(p->client);
    rotor_tls_free(p->sctx);    /* the sessions held references: the */
    rotor_tls_free(p->cctx);    /* contexts went with the sessions */
    close(p->sfd);
    close(p->cfd);
}

/* One step of one end: read what may have come (drives the handshake).
 * Returns the readv result; *buf receives plaintext. */
static ssize_t step(struct rotor__tls_conn *c, char *buf, size_t n)
{
    struct iovec iov = { buf, n };
    return rotor__tls_readv(c, &iov, 1);
}

/* Runs both ends until both are ready or one has failed; a bounded
 * number of steps, each of which makes progress when it can. */
static bool handshake(struct pair *p)
{
    char buf[64];
    for (int i = 0; i < 100; i++) {
        ssize_t a = step(p->server, buf, sizeof buf);
        ssize_t b = step(p->client, buf, sizeof buf);
        if ((a < 0 && errno == EPROTO) || (b < 0 && errno == EPROTO)) {
            return false;
        }
        if (rotor__tls_ready(p->server) && rotor__tls_ready(p->client))
            return true;
    }
    return false;
}

static ssize_t put(struct rotor__tls_conn *c, const char *s, size_t n)
{
    struct iovec iov = { (void *)s, n };
    return rotor__tls_writev(c, &iov, 1);
}

/* Reads from `to` until `want` bytes came, pumping `from`'s ciphertext
 * out as the socket buffer frees up. */
static size_t receive(struct rotor__tls_conn *from, struct rotor__tls_conn *to,
                      char *buf, size_t want)
{
    size_t got = 0;
    for (int i = 0; got < want && i < 100000; i++) {
        rotor__tls_flush(from);
        ssize_t n = step(to, buf + got, want - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || errno != EAGAIN)
            break;
    }
    return got;
}

START_TEST(handshake_alpn_and_data)
{
    struct pair p;
    char buf[64];

    open_pair(&p, cert_ok, key_ok, "localhost", NULL);
    ck_assert(handshake(&p));
    ck_assert_str_eq(rotor__tls_alpn(p.server), "http/1.1");
    ck_assert_str_eq(rotor__tls_alpn(p.client), "http/1.1");
    ck_assert_int_eq(put(p.client, "ping\n", 5), 5);
    ck_assert_uint_eq(receive(p.client, p.server, buf, 5), 5);
    ck_assert(memcmp(buf, "ping\n", 5) == 0);
    ck_assert_int_eq(put(p.server, "pong\n", 5), 5);
    ck_assert_uint_eq(receive(p.server, p.client, buf, 5), 5);
    ck_assert(memcmp(buf, "pong\n", 5) == 0);
    /* Nothing more: the reader waits, it does not see an end. */
    ck_assert_int_eq(step(p.server, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert(rotor__tls_wants(p.server) & ROTOR__TLS_WANT_READ);
    /* close_notify: the other end reads 0, not an error. */
    ck_assert_int_eq(rotor__tls_close(p.client), 0);
    ck_assert_int_eq(step(p.server, buf, sizeof buf), 0);
    ck_assert_str_eq(rotor__tls_reason(p.server), "");
    close_pair(&p);
}
END_TEST

/* 4 MiB, far more than the socketpair buffers: writes are refused with
 * EAGAIN while ciphertext waits, and every byte arrives in order. */
START_TEST(bulk_through_full_buffers)
{
    struct pair p;
    enum { TOTAL = 4 << 20, CHUNK = 10000 };
    char *out = malloc(TOTAL), *in = malloc(TOTAL);
    size_t sent = 0, got = 0;
    bool refused = false;

    for (size_t i = 0; i < TOTAL; i++)
        out[i] = (char)(i * 7 + (i >> 13));
    open_pair(&p, cert_ok, key_ok, "localhost", NULL);
    ck_assert(handshake(&p));
    /* Rounds of: write until refused, then read until nothing comes. */
    for (int round = 0; got < TOTAL && round < 10000; round++) {
        while (sent < TOTAL) {
            size_t n = TOTAL - sent < CHUNK ? TOTAL - sent : CHUNK;
            ssize_t w = put(p.client, out + sent, n);
            if (w < 0) {
                ck_assert_int_eq(errno, EAGAIN);
                refused = true;
                break;
            }
            ck_assert_int_eq(w, (ssize_t)n);
            sent += n;
        }
        for (;;) {
            rotor__tls_flush(p.client);
            ssize_t r = step(p.server, in + got, TOTAL - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
    }
    ck_assert_uint_eq(got, TOTAL);
    ck_assert(refused);
    ck_assert(memcmp(in, out, TOTAL) == 0);
    close_pair(&p);
    free(out);
    free(in);
}
END_TEST

START_TEST(wrong_host_name)
{
    struct pair p;

    open_pair(&p, cert_ok, key_ok, "other.example", NULL);
    ck_assert(!handshake(&p));
    ck_assert_msg(strstr(rotor__tls_reason(p.client),
                         "certificate verify failed") != NULL,
                  "reason: %s", rotor__tls_reason(p.client));
    ck_assert(!rotor__tls_ready(p.client));
    close_pair(&p);
}
END_TEST

/* The client trusts the old certificate itself: only its dates fail. */
START_TEST(expired_certificate)
{
    struct pair p;

    open_pair(&p, cert_old, key_old, "localhost", NULL);
    ck_assert(!handshake(&p));
    ck_assert_msg(strstr(rotor__tls_reason(p.client), "expired") != NULL,
                  "reason: %s", rotor__tls_reason(p.client));
    close_pair(&p);
}
END_TEST

/* The server asks for a certificate the client does not have. */
START_TEST(client_certificate_required)
{
    struct pair p;

    open_pair(&p, cert_ok, key_ok, "localhost", cert_ok);
    ck_assert(!handshake(&p));
    ck_assert_msg(strstr(rotor__tls_reason(p.server),
                         "did not return a certificate") != NULL,
                  "reason: %s", rotor__tls_reason(p.server));
    close_pair(&p);
}
END_TEST

START_TEST(garbage_instead_of_hello)
{
    int sv[2];
    char buf[64];
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct rotor_tls *ctx = server_ctx(cert_ok, key_ok, NULL);
    struct rotor__tls_conn *s = rotor__tls_conn_new(ctx, sv[0], NULL);
    rotor_tls_free(ctx);
    ck_assert_int_eq(write(sv[1], req, strlen(req)), (ssize_t)strlen(req));
    ck_assert_int_eq(step(s, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_str_ne(rotor__tls_reason(s), "");
    /* Failed stays failed; no read of the socket happens again. */
    ck_assert_int_eq(put(s, "x", 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    rotor__tls_conn_free(s);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(peer_leaves_mid_handshake)
{
    struct pair p;
    char buf[64];

    open_pair(&p, cert_ok, key_ok, "localhost", NULL);
    /* The ClientHello is out; the client goes before the server answers. */
    rotor__tls_conn_free(p.client);
    p.client = NULL;
    close(p.cfd);
    p.cfd = -1;
    ck_assert_int_eq(step(p.server, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_str_eq(rotor__tls_reason(p.server),
                     "peer closed during the handshake");
    close_pair(&p);
}
END_TEST

START_TEST(bad_server_files)
{
    struct rotor_tls_config cfg;

    rotor_tls_config_init(&cfg);
    ck_assert_ptr_null(rotor_tls_server_new(&cfg));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    cfg.cert_file = cert_ok;
    cfg.key_file = key_old;             /* another certificate's key */
    ck_assert_ptr_null(rotor_tls_server_new(&cfg));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    cfg.key_file = "/nonexistent/key.pem";
    ck_assert_ptr_null(rotor_tls_server_new(&cfg));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    cfg.key_file = key_ok;
    cfg.alpn = "http/1.1,,h2";
    ck_assert_ptr_null(rotor_tls_server_new(&cfg));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert_ptr_null(rotor_tls_server_new(NULL));
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("sessions");

    tcase_add_unchecked_fixture(tc, setup_certs, teardown_certs);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, handshake_alpn_and_data);
    tcase_add_test(tc, bulk_through_full_buffers);
    tcase_add_test(tc, wrong_host_name);
    tcase_add_test(tc, expired_certificate);
    tcase_add_test(tc, client_certificate_required);
    tcase_add_test(tc, garbage_instead_of_hello);
    tcase_add_test(tc, peer_leaves_mid_handshake);
    tcase_add_test(tc, bad_server_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tls_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#else /* !HAVE_OPENSSL */

int main(void)
{
    /* Built without TLS: the constructors refuse, and the test skips. */
    if (rotor_tls_available() || rotor_tls_client_new(NULL) != NULL ||
        rotor_last_code() != ROTOR_ENOTSUP)
        return EXIT_FAILURE;
    return 77;
}

#endif
