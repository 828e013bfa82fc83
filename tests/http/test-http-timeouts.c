/*
 * test-http-timeouts.c: the deadlines of http_conn (grammars/http.rsm) at
 * the library's default durations (60 s idle, 10 s head, 30 s body, 2 s
 * lingering), on librotor-test's virtual clock: each case covers up to
 * 90 s of the connection's life and waits no real time at all.
 *
 * The connection runs as the listener would spawn it: an http_conn on a
 * socket, with the struct http_server as the loop's context (what
 * hello-http gives http_server_listen()).  The test holds the client's
 * end: what it sends (rotor_test_input) and what it gets
 * (rotor_test_output) are the bytes on the wire.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/http.h>
#include <rotor/test.h>

#include "http-machines.h"

/* http_conn_machine and the deadline constants.  librotor-http does not
 * export the machine types, so this test links its static archive. */

/* The times below are written out in milliseconds on purpose: if http.rsm
 * changes a default, this says so here rather than in a puzzling case. */
_Static_assert(HTTP_IDLE_TIMEOUT == 60000, "idle deadline is 60 s");
_Static_assert(HTTP_HEAD_TIMEOUT == 10000, "head deadline is 10 s");
_Static_assert(HTTP_BODY_TIMEOUT == 30000, "body deadline is 30 s");
_Static_assert(HTTP_LINGER_TIMEOUT == 2000, "lingering is 2 s");

/* ---- the application ---------------------------------------------------- */

static void hello(struct http_exchange *x)
{
    http_respond(x, 200, NULL, 0, "hi\n", 3);
}

/* Bodies are read and dropped, so that a body's deadline is the server's
 * alone and not a handler's doing. */
static const struct http_handler hello_handler = {
    .want = HTTP_WANT_IGNORE,
    .body_max = 1024,
    .respond = hello,
};

static const struct http_handler *route(struct http_exchange *x, void *app)
{
    (void)x;
    (void)app;
    return &hello_handler;
}

/* ---- fixture ------------------------------------------------------------ */

static struct http_server srv;
static struct rotor_test *t;

#include "conn-test.h"

static void setup(void)
{
    server_start(route);
    /* http_server_init's durations are the defaults under test. */
    ck_assert_uint_eq(srv.idle_timeout, 60);
    ck_assert_uint_eq(srv.head_timeout, 10);
}

static void teardown(void)
{
    server_stop();
}

/* ---- helpers ------------------------------------------------------------ */

/* The client got exactly one answer with this status line. */
static void expect_answer(rotor_ref r, const char *status_line)
{
    char *got = client_gets(r);

    ck_assert_msg(strncmp(got, status_line, strlen(status_line)) == 0,
                  "at %llu ms the client got \"%s\", not %s",
                  (unsigned long long)rotor_test_now(t), got, status_line);
    ck_assert_ptr_null(strstr(got + 1, "HTTP/1.1 "));  /* only one */
    free(got);
}

/* ---- 1. idle: a connection that sends nothing ----------------------------- */

START_TEST(idle_closes_at_60s)
{
    rotor_ref r = connect_client();

    advance_to(59999);
    EXPECT_STATE(r, "idle");
    advance_to(60000);
    EXPECT_STATE(r, "(ended)");
    expect_nothing_sent(r);     /* an idle close says nothing */
    ck_assert_str_eq(rotor_test_steps(t, r), "timeout>done");
}
END_TEST

/* ---- 2. keep-alive: an answer re-arms the idle deadline ------------------ */

START_TEST(keep_alive_rearms_idle)
{
    rotor_ref r = connect_client();

    advance_to(30000);
    client_sends(r, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_answer(r, "HTTP/1.1 200 OK\r\n");
    EXPECT_STATE(r, "idle");
    advance_to(60000);          /* the first deadline is gone */
    EXPECT_STATE(r, "idle");
    advance_to(89999);
    EXPECT_STATE(r, "idle");
    advance_to(90000);          /* 60 s after the answer */
    EXPECT_STATE(r, "(ended)");
    expect_nothing_sent(r);
}
END_TEST

/* ---- 3. head: one deadline for the whole head ----------------------------- */

START_TEST(slow_head_gets_408_at_10s)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET / HTTP/1.1\r\n");      /* its first byte: t = 0 */
    advance_to(4000);
    client_sends(r, "Host: x\r\n");
    advance_to(8000);
    client_sends(r, "Accept: */*\r\n");         /* still no blank line */
    advance_to(9999);           /* the pieces moved nothing */
    expect_nothing_sent(r);
    advance_to(10000);
    expect_answer(r, "HTTP/1.1 408 Request Timeout\r\n");
    /* 408 is flushed, our side shut down: lingering, then done. */
    ck_assert_ptr_nonnull(strstr(rotor_test_steps(t, r),
                                 "timeout>closing flushed>lingering"));
    EXPECT_STATE(r, "lingering");
    advance_to(12000);
    EXPECT_STATE(r, "(ended)");
}
END_TEST

/* ---- 4. body: 30 s without a byte of body --------------------------------- */

START_TEST(stalled_body_gets_408_30s_after_last_byte)
{
    rotor_ref r = connect_client();

    client_sends(r, "POST /up HTTP/1.1\r\nHost: x\r\n"
                    "Content-Length: 10\r\n\r\n");
    EXPECT_STATE(r, "body");
    advance_to(5000);
    client_sends(r, "abc");     /* 3 of 10: re-arms the body deadline */
    EXPECT_STATE(r, "body");
    advance_to(34999);          /* 30 s after the head would be too soon */
    expect_nothing_sent(r);
    EXPECT_STATE(r, "body");
    advance_to(35000);          /* 30 s after the last byte */
    expect_answer(r, "HTTP/1.1 408 Request Timeout\r\n");
    ck_assert_ptr_nonnull(strstr(rotor_test_steps(t, r),
                                 "timeout>closing flushed>lingering"));
    advance_to(37000);
    EXPECT_STATE(r, "(ended)");
}
END_TEST

/* ---- 5. lingering after Connection: close ------------------------------- */

/* A request the server answers and then closes: lingering from t = 0. */
static rotor_ref closed_after_answer(void)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect_answer(r, "HTTP/1.1 200 OK\r\n");
    EXPECT_STATE(r, "lingering");
    return r;
}

START_TEST(lingering_ends_2s_after_shutdown)
{
    rotor_ref r = closed_after_answer();

    advance_to(1000);
    client_sends(r, "late bytes");  /* read and dropped; no re-arming */
    expect_nothing_sent(r);
    advance_to(1999);
    EXPECT_STATE(r, "lingering");
    advance_to(2000);
    EXPECT_STATE(r, "(ended)");
}
END_TEST

START_TEST(lingering_ends_at_client_eof)
{
    rotor_ref r = closed_after_answer();

    advance_to(500);
    ck_assert_int_eq(rotor_test_eof(t, r), 0);
    EXPECT_STATE(r, "(ended)");     /* at 500 ms, not 2 s */
    ck_assert_uint_eq(rotor_test_now(t), 500);
}
END_TEST

/* ---- main ------------------------------------------------------------- */

static Suite *timeouts_suite(void)
{
    Suite *s = suite_create("http-timeouts");
    TCase *tc = tcase_create("deadlines");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, idle_closes_at_60s);
    tcase_add_test(tc, keep_alive_rearms_idle);
    tcase_add_test(tc, slow_head_gets_408_at_10s);
    tcase_add_test(tc, stalled_body_gets_408_30s_after_last_byte);
    tcase_add_test(tc, lingering_ends_2s_after_shutdown);
    tcase_add_test(tc, lingering_ends_at_client_eof);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(timeouts_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
