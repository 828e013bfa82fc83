/*
 * test-http-defer.c: deferred answers of librotor-http (http_defer(), the
 * `deferred` and `streaming` states of grammars/http.rsm), on
 * librotor-test's virtual clock.
 *
 * A deferred answer comes from outside the connection's dispatch: here
 * from the test itself, between loop turns, as a proxy's upstream machine
 * or a future's resolution would give it.  The back-pressure cases hold
 * the client's end of a socketpair that reads nothing until the test
 * says so, so "the client is slow" is certain, not a matter of timing.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rotor/http.h>
#include <rotor/test.h>

#include "http-machines.h"


_Static_assert(HTTP_DEFER_TIMEOUT == 60000, "a deferred answer has 60 s");
_Static_assert(HTTP_SEND_TIMEOUT == 60000, "a stalled client has 60 s");

/* ---- the application: one deferred exchange at a time ---------------- */

static struct http_exchange *pending;  /* deferred, not yet answered */
static int defer_result;
static int defer_again_result;
static int aborted_calls;
static int writable_calls;
static size_t produced;                 /* body bytes of a streamed answer */
static size_t to_produce;
static size_t most_queued;              /* output held at a produce() */

#define PIECE 8192

static void defer_it(struct http_exchange *x)
{
    defer_result = http_defer(x);
    defer_again_result = http_defer(x);
    pending = defer_result == 0 ? x : NULL;
}

static void forget(struct http_exchange *x)
{
    ck_assert_ptr_eq(x, pending);
    aborted_calls++;
    pending = NULL;
}

/* Writes pieces until the answer is whole or the server says the client
 * has enough to take. */
static void produce(struct http_exchange *x)
{
    static char piece[PIECE];

    memset(piece, 'b', sizeof piece);
    while (produced < to_produce) {
        size_t n = to_produce - produced < PIECE ? to_produce - produced
                                                 : PIECE;
        ck_assert_int_eq(http_respond_chunk(x, piece, n), 0);
        produced += n;
        if (http_answer_full(x))
            return;
    }
    ck_assert_int_eq(http_respond_end(x), 0);
    pending = NULL;
}

static void stream_more(struct http_exchange *x)
{
    writable_calls++;
    produce(x);
}

static const struct http_handler deferring = {
    .want = HTTP_WANT_IGNORE,
    .body_max = 1024,
    .respond = defer_it,
    .writable = stream_more,
    .aborted = forget,
};

static void answer_now(struct http_exchange *x)
{
    http_respond(x, 200, NULL, 0, "now\n", 4);
    /* Too late to defer: answered already. */
    ck_assert_int_eq(http_defer(x), -1);
}

static const struct http_handler immediate = {
    .want = HTTP_WANT_IGNORE,
    .body_max = 1024,
    .respond = answer_now,
};

static const struct http_handler *route(struct http_exchange *x, void *app)
{
    size_t n;
    const char *target = http_target(x, &n);

    (void)app;
    /* http_defer belongs in `respond`: refused while routing. */
    ck_assert_int_eq(http_defer(x), -1);
    return n >= 4 && memcmp(target, "/now", 4) == 0 ? &immediate : &deferring;
}

/* ---- fixture ------------------------------------------------------------ */

static struct http_server srv;
static struct rotor_test *t;

#include "conn-test.h"

static void setup(void)
{
    server_start(route);
    pending = NULL;
    defer_result = defer_again_result = 99;
    aborted_calls = writable_calls = 0;
    produced = to_produce = most_queued = 0;
}

static void teardown(void)
{
    server_stop();
}

/* ---- helpers ------------------------------------------------------------ */

static void expect_got(rotor_ref r, const char *status_line, const char *body)
{
    char *got = client_gets(r);

    ck_assert_msg(strncmp(got, status_line, strlen(status_line)) == 0,
                  "at %llu ms the client got \"%s\", not %s",
                  (unsigned long long)rotor_test_now(t), got, status_line);
    if (body) {
        const char *end = strstr(got, "\r\n\r\n");
        ck_assert_ptr_nonnull(end);
        ck_assert_str_eq(end + 4, body);
    }
    free(got);
}

/* ---- 1. a deferred answer, given later from outside --------------------- */

START_TEST(deferred_answer_comes_later)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(defer_result, 0);
    ck_assert_int_eq(defer_again_result, -1);  /* once is enough */
    ck_assert_ptr_nonnull(pending);
    EXPECT_STATE(r, "deferred");
    char *got = client_gets(r);
    ck_assert_str_eq(got, "");                 /* no 500 sent for it */
    free(got);

    advance_to(5000);
    /* The request is still there to read, though the input moved on. */
    size_t n;
    const char *target = http_target(pending, &n);
    ck_assert_int_eq((int)n, 5);
    ck_assert_int_eq(memcmp(target, "/slow", 5), 0);
    ck_assert_int_eq(http_respond(pending, 200, NULL, 0, "later\n", 6), 0);
    pending = NULL;
    ck_assert_int_eq(rotor_test_settle(t), 0);
    expect_got(r, "HTTP/1.1 200 OK\r\n", "later\n");
    EXPECT_STATE(r, "idle");                    /* kept alive */
    ck_assert_int_eq(aborted_calls, 0);
}
END_TEST

/* ---- 2. pipelined requests wait for the deferred one -------------------- */

START_TEST(pipelined_request_waits_its_turn)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /now HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_ptr_nonnull(pending);
    advance_to(1000);
    char *got = client_gets(r);
    ck_assert_str_eq(got, "");                 /* /now not answered first */
    free(got);
    ck_assert_int_eq(http_respond(pending, 200, NULL, 0, "first\n", 6), 0);
    pending = NULL;
    ck_assert_int_eq(rotor_test_settle(t), 0);
    got = client_gets(r);
    const char *first = strstr(got, "first\n");
    const char *second = strstr(got, "now\n");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(second);
    ck_assert_msg(first < second, "answered out of order: %s", got);
    free(got);
    EXPECT_STATE(r, "idle");
}
END_TEST

/* ---- 3. an answer that never begins: 504 at 60 s -------------------------- */

START_TEST(unanswered_gets_504_at_60s)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    advance_to(59999);
    EXPECT_STATE(r, "deferred");
    ck_assert_int_eq(aborted_calls, 0);
    advance_to(60000);
    ck_assert_int_eq(aborted_calls, 1);        /* told before the 504 */
    ck_assert_ptr_null(pending);
    expect_got(r, "HTTP/1.1 504 Gateway Timeout\r\n", NULL);
    advance_to(70000);
    EXPECT_STATE(r, "(ended)");
    ck_assert_int_eq(aborted_calls, 1);        /* once */
}
END_TEST

/* ---- 4. the client goes away while the answer is pending ---------------- */

START_TEST(client_reset_aborts_once)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_ptr_nonnull(pending);
    ck_assert_int_eq(http_respond_start(pending, 200, NULL, 0), 0);
    ck_assert_int_eq(rotor_test_settle(t), 0);
    EXPECT_STATE(r, "streaming");
    /* The connection still reads: the reset is seen at once. */
    ck_assert_int_eq(rotor_test_error(t, r), 0);
    EXPECT_STATE(r, "(ended)");
    ck_assert_int_eq(aborted_calls, 1);
    ck_assert_ptr_null(pending);
}
END_TEST

/* A client that shuts down its sending side still gets the answer, and
 * the connection closes after it. */
START_TEST(half_closed_client_gets_the_answer)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(rotor_test_eof(t, r), 0);
    EXPECT_STATE(r, "deferred");
    ck_assert_int_eq(http_respond(pending, 200, NULL, 0, "bye\n", 4), 0);
    pending = NULL;
    ck_assert_int_eq(rotor_test_settle(t), 0);
    char *got = client_gets(r);
    ck_assert_ptr_nonnull(strstr(got, "Connection: close\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\n\r\nbye\n"));
    free(got);
    ck_assert_int_eq(aborted_calls, 0);
    ck_assert_msg(strcmp(rotor_test_state(t, r), "idle") != 0,
                  "kept alive after the client's eof");
}
END_TEST

/* ---- 5. back-pressure: a client that reads nothing, then everything ----- */

/* The answer's way has small buffers: the client reads nothing until
 * the test says so. */
static rotor_ref slow_client(int *client)
{
    return conn_on_socketpair(client, SO_RCVBUF, SO_SNDBUF);
}

/* Reads what the socket holds now, without waiting. */
static size_t read_available(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;

    while (got < cap &&
           (n = recv(fd, buf + got, cap - got, MSG_DONTWAIT)) > 0)
        got += (size_t)n;
    return got;
}

static void start_streaming(int client, size_t total)
{
    static const char req[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";

    ck_assert_int_eq(write(client, req, sizeof req - 1), (int)sizeof req - 1);
    ck_assert_int_eq(rotor_test_settle(t), 0);
    ck_assert_ptr_nonnull(pending);
    to_produce = total;
    ck_assert_int_eq(http_respond_start(pending, 200, NULL, 0), 0);
    produce(pending);
    ck_assert_int_eq(rotor_test_settle(t), 0);
}

START_TEST(slow_client_holds_the_producer_back)
{
    int client;
    rotor_ref r = slow_client(&client);
    const size_t total = 4u << 20;          /* 4 MiB: far over every buffer */

    start_streaming(client, total);
    EXPECT_STATE(r, "streaming");
    /* The client read nothing: the producer stopped near the high mark. */
    ck_assert_uint_lt(produced, total);
    ck_assert_uint_le(produced, HTTP_ANSWER_HIGH + PIECE + 1024 * 1024);
    ck_assert_int_eq(writable_calls, 0);

    /* The client reads everything, bit by bit: the answer completes. */
    size_t cap = total + 65536, got = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (int rounds = 0; rounds < 100000 && pending; rounds++) {
        got += read_available(client, buf + got, cap - got);
        ck_assert_int_eq(rotor_test_settle(t), 0);
    }
    ck_assert_ptr_null(pending);             /* http_respond_end ran */
    for (int rounds = 0; rounds < 1000; rounds++) {
        got += read_available(client, buf + got, cap - got);
        ck_assert_int_eq(rotor_test_settle(t), 0);
    }
    ck_assert_uint_eq(produced, total);
    ck_assert_int_gt(writable_calls, 0);
    ck_assert_uint_gt(got, total);
    ck_assert_int_eq(memcmp(buf + got - 5, "0\r\n\r\n", 5), 0);
    EXPECT_STATE(r, "idle");
    free(buf);
    close(client);
}
END_TEST

START_TEST(client_taking_nothing_is_dropped_at_60s)
{
    int client;
    rotor_ref r = slow_client(&client);

    start_streaming(client, 4u << 20);
    ck_assert_uint_lt(produced, 4u << 20);
    advance_to(59999);
    EXPECT_STATE(r, "streaming");
    ck_assert_int_eq(aborted_calls, 0);
    advance_to(60000);
    EXPECT_STATE(r, "(ended)");
    ck_assert_int_eq(aborted_calls, 1);
    close(client);
}
END_TEST

/* A handler that writes slowly is no fault of the client: the deadline
 * starts again while nothing is held back. */
START_TEST(slow_handler_is_not_dropped)
{
    rotor_ref r = connect_client();

    client_sends(r, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(http_respond_start(pending, 200, NULL, 0), 0);
    for (uint64_t at = 50000; at <= 250000; at += 50000) {
        advance_to(at);
        ck_assert_int_eq(http_respond_chunk(pending, "tick\n", 5), 0);
        ck_assert_int_eq(rotor_test_settle(t), 0);
        EXPECT_STATE(r, "streaming");
    }
    ck_assert_int_eq(http_respond_end(pending), 0);
    pending = NULL;
    ck_assert_int_eq(rotor_test_settle(t), 0);
    char *got = client_gets(r);
    ck_assert_ptr_nonnull(strstr(got, "5\r\ntick\n\r\n0\r\n\r\n"));
    free(got);
    EXPECT_STATE(r, "idle");
    ck_assert_int_eq(aborted_calls, 0);
}
END_TEST

/* ---- main ------------------------------------------------------------- */

static Suite *defer_suite(void)
{
    Suite *s = suite_create("http-defer");
    TCase *tc = tcase_create("deferred");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, deferred_answer_comes_later);
    tcase_add_test(tc, pipelined_request_waits_its_turn);
    tcase_add_test(tc, unanswered_gets_504_at_60s);
    tcase_add_test(tc, client_reset_aborts_once);
    tcase_add_test(tc, half_closed_client_gets_the_answer);
    tcase_add_test(tc, slow_client_holds_the_producer_back);
    tcase_add_test(tc, client_taking_nothing_is_dropped_at_60s);
    tcase_add_test(tc, slow_handler_is_not_dropped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(defer_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
