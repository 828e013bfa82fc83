/*
 * test-tls-stream.c: stream machines over TLS in a real loop
 * (machines/tls.rsm): a client and an echo server over a socketpair and
 * over TCP (the client connects by name, the server is spawned by a
 * listener), lines written before the handshake is over, more bytes than
 * the socket buffers hold, close_notify seen as end of file, ALPN; and
 * the failures a machine sees as `error` with a reason: a certificate for
 * another name, garbage instead of a ClientHello; a peer that never
 * speaks meets the state's deadline.
 */
#define _GNU_SOURCE
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rotor/rotor.h>
#include "machines/tls.h"
#include "tls-test.h"

#ifdef HAVE_OPENSSL
#include "tls-certs.h"

struct tls_result tls_server_result, tls_client_result;
struct tls_seed tls_accepted_seed;
struct rotor_loop *tls_stop_after_server;

/* ---- actions ------------------------------------------------------------ */

static void start(struct tls_end *e, rotor_scope *s, const rotor_event *ev,
                  struct tls_result *r)
{
    e->seed = rotor_event_data(ev) ? rotor_event_data(ev) : &tls_accepted_seed;
    e->result = r;
    if (e->seed->fd >= 0) {
        ck_assert_int_eq(rotor_stream_attach(s, e->seed->fd), 0);
    } else if (e->seed->port) {
        ck_assert_int_eq(rotor_stream_connect(s, "127.0.0.1", e->seed->port),
                         0);
    }
    ck_assert_int_eq(rotor_stream_tls(s, e->seed->tls, e->seed->host), 0);
    /* A second context is refused. */
    ck_assert_int_eq(rotor_stream_tls(s, e->seed->tls, e->seed->host),
                     ROTOR_EEXIST);
}

static char line_byte(int i)
{
    return (char)('a' + i % 26);
}

void tls_server_start(struct tls_end *self, rotor_scope *s,
                      const rotor_event *ev)
{
    start(self, s, ev, &tls_server_result);
}

void tls_client_start(struct tls_end *self, rotor_scope *s,
                      const rotor_event *ev)
{
    start(self, s, ev, &tls_client_result);
    const struct tls_seed *seed = self->seed;
    char *line = malloc(seed->line_len);
    for (int i = 0; i < seed->lines; i++) {
        memset(line, line_byte(i), seed->line_len - 1);
        line[seed->line_len - 1] = '\n';
        ck_assert_int_eq(rotor_stream_write(s, line, seed->line_len), 0);
    }
    free(line);
}

void tls_end_fini(struct tls_end *self, rotor_scope *s, const rotor_event *ev)
{
    (void)s, (void)ev;
    if (self->result == &tls_server_result && tls_stop_after_server)
        rotor_loop_stop(tls_stop_after_server);
}

void tls_echo_line(struct tls_end *self, rotor_scope *s, const rotor_event *ev)
{
    if (self->taken++ == 0)
        snprintf(self->result->alpn, sizeof self->result->alpn, "%s",
                 rotor_stream_tls_alpn(s));
    rotor_stream_echo(s, rotor_event_size(ev));
}

bool tls_more_to_come(struct tls_end *self, rotor_scope *s,
                      const rotor_event *ev)
{
    (void)s, (void)ev;
    return self->taken + 1 < self->seed->lines;
}

void tls_take_line(struct tls_end *self, rotor_scope *s, const rotor_event *ev)
{
    size_t n = rotor_event_size(ev);
    const char *p = rotor_stream_peek(s, n);
    char want = line_byte(self->taken);

    if (n != self->seed->line_len || !p)
        self->result->bad_echo = true;
    for (size_t i = 0; p && i + 1 < n; i++)
        self->result->bad_echo |= p[i] != want;
    rotor_stream_consume(s, n);
    self->result->lines = ++self->taken;
    snprintf(self->result->alpn, sizeof self->result->alpn, "%s",
             rotor_stream_tls_alpn(s));
}

void tls_shutdown(struct tls_end *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self, (void)ev;
    rotor_stream_shutdown(s);
}

void tls_note_eof(struct tls_end *self, rotor_scope *s, const rotor_event *ev)
{
    (void)s, (void)ev;
    self->result->eof = true;
}

void tls_note_error(struct tls_end *self, rotor_scope *s, const rotor_event *ev)
{
    self->result->error = rotor_event_error(ev);
    snprintf(self->result->reason, sizeof self->result->reason, "%s",
             rotor_stream_tls_error(s));
}

void tls_note_timeout(struct tls_end *self, rotor_scope *s,
                      const rotor_event *ev)
{
    (void)s, (void)ev;
    self->result->timeout = true;
}

/* ---- fixtures ------------------------------------------------------------ */

static char dir[64], cert[96], key[96];
static struct rotor_tls *server_tls, *client_tls;

static void setup(void)
{
    struct rotor_tls_config cfg;

    snprintf(dir, sizeof dir, "/tmp/rotor-tls-stream-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/c.pem", dir);
    snprintf(key, sizeof key, "%s/k.pem", dir);
    ck_assert_int_eq(tls_test_make_cert(cert, key, -60, 86400), 0);
    rotor_tls_config_init(&cfg);
    cfg.cert_file = cert;
    cfg.key_file = key;
    cfg.alpn = "http/1.1";
    server_tls = rotor_tls_server_new(&cfg);
    rotor_tls_config_init(&cfg);
    cfg.ca_file = cert;
    cfg.alpn = "http/1.1";
    client_tls = rotor_tls_client_new(&cfg);
    ck_assert_ptr_nonnull(server_tls);
    ck_assert_ptr_nonnull(client_tls);
    memset(&tls_server_result, 0, sizeof tls_server_result);
    memset(&tls_client_result, 0, sizeof tls_client_result);
}

static void teardown(void)
{
    tls_stop_after_server = NULL;
    rotor_tls_free(server_tls);
    rotor_tls_free(client_tls);
    unlink(cert), unlink(key), rmdir(dir);
}

static void run(struct rotor_loop *loop)
{
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    rotor_loop_free(loop);
}

/* A client and a server machine on the two ends of a socketpair. */
static void run_pair(const char *host, int lines, size_t len)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct tls_seed sseed = { sv[0], NULL, server_tls, NULL, 0, 0 };
    struct tls_seed cseed = { sv[1], NULL, client_tls, host, lines, len };
    struct rotor_loop *loop = rotor_loop_new(NULL);

    ck_assert(rotor_ref_valid(rotor_spawn(loop, &tls_server_machine, &sseed)));
    ck_assert(rotor_ref_valid(rotor_spawn(loop, &tls_client_machine, &cseed)));
    run(loop);
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(echo_over_socketpair)
{
    run_pair("localhost", 3, 40);
    ck_assert_int_eq(tls_client_result.lines, 3);
    ck_assert(!tls_client_result.bad_echo);
    ck_assert_str_eq(tls_client_result.alpn, "http/1.1");
    ck_assert_str_eq(tls_server_result.alpn, "http/1.1");
    /* The client's close_notify is the server's end of file. */
    ck_assert(tls_server_result.eof);
    ck_assert_int_eq(tls_server_result.error, 0);
    ck_assert_int_eq(tls_client_result.error, 0);
}
END_TEST

/* 2 MiB in lines, all written before the handshake: far more than the
 * socket buffers and TLS's own pending limit hold. */
START_TEST(bulk_written_before_handshake)
{
    run_pair("localhost", 512, 4096);
    ck_assert_msg(tls_client_result.lines == 512, "lines %d eof %d timeout %d error %d (%s); server eof %d timeout %d error %d", tls_client_result.lines, tls_client_result.eof, tls_client_result.timeout, tls_client_result.error, tls_client_result.reason, tls_server_result.eof, tls_server_result.timeout, tls_server_result.error);
    ck_assert(!tls_client_result.bad_echo);
    ck_assert(tls_server_result.eof);
}
END_TEST

START_TEST(wrong_name_is_an_error)
{
    run_pair("other.example", 1, 10);
    ck_assert_int_eq(tls_client_result.lines, 0);
    ck_assert_int_eq(tls_client_result.error, EPROTO);
    ck_assert_msg(strstr(tls_client_result.reason, "hostname mismatch"),
                  "reason: %s", tls_client_result.reason);
    /* The server hears the client's alert, or its end of file. */
    ck_assert(tls_server_result.error == EPROTO || tls_server_result.eof);
}
END_TEST

START_TEST(garbage_hello_is_an_error)
{
    int sv[2];
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(write(sv[1], req, strlen(req)), (ssize_t)strlen(req));
    struct tls_seed seed = { sv[0], NULL, server_tls, NULL, 0, 0 };
    struct rotor_loop *loop = rotor_loop_new(NULL);

    rotor_spawn(loop, &tls_server_machine, &seed);
    run(loop);
    close(sv[1]);
    ck_assert_int_eq(tls_server_result.error, EPROTO);
    ck_assert_str_ne(tls_server_result.reason, "");
}
END_TEST

/* A peer that connects and never sends a byte: the state's deadline
 * ends the handshake (certain: nothing will ever arrive). */
START_TEST(silent_peer_meets_the_deadline)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct tls_seed seed = { sv[0], NULL, server_tls, NULL, 0, 0 };
    struct rotor_loop *loop = rotor_loop_new(NULL);

    rotor_spawn(loop, &tls_server_quick_machine, &seed);
    run(loop);
    close(sv[1]);
    ck_assert(tls_server_result.timeout);
    ck_assert_int_eq(tls_server_result.error, 0);
}
END_TEST

/* Over TCP: a listener spawns the server; the client connects by
 * address, and its handshake starts when the connection is up. */
START_TEST(client_connects_over_tcp)
{
    char port[16];
    int lfd = rotor_listen_socket("127.0.0.1", "0", 0);
    ck_assert_int_ge(lfd, 0);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &sl), 0);
    snprintf(port, sizeof port, "%u",
             ntohs(((struct sockaddr_in *)&ss)->sin_port));
    struct tls_seed cseed = { -1, port, client_tls, "localhost", 5, 100 };
    struct rotor_loop *loop = rotor_loop_new(NULL);

    tls_accepted_seed = (struct tls_seed){ -1, NULL, server_tls, NULL, 0, 0 };
    ck_assert(rotor_ref_valid(rotor_listen(loop, &tls_listener_machine, lfd,
                                           NULL)));
    ck_assert(rotor_ref_valid(rotor_spawn(loop, &tls_client_machine, &cseed)));
    /* The listener stays: stop once the server connection has ended. */
    tls_stop_after_server = loop;
    run(loop);
    ck_assert_int_eq(tls_client_result.lines, 5);
    ck_assert(!tls_client_result.bad_echo);
    ck_assert(tls_server_result.eof);
}
END_TEST

static Suite *tls_stream_suite(void)
{
    Suite *s = suite_create("tls-stream");
    TCase *tc = tcase_create("machines");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, echo_over_socketpair);
    tcase_add_test(tc, bulk_written_before_handshake);
    tcase_add_test(tc, wrong_name_is_an_error);
    tcase_add_test(tc, garbage_hello_is_an_error);
    tcase_add_test(tc, silent_peer_meets_the_deadline);
    tcase_add_test(tc, client_connects_over_tcp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tls_stream_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#else /* !HAVE_OPENSSL */

int main(void)
{
    return 77;      /* built without TLS: skipped */
}

#endif
