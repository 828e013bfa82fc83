/*
 * test-http-upload.c: request bodies streamed through librotor-http's
 * server: a handler's `begin` (the head is in, the body is not), the
 * pause and resume of the body (http_body_pause: the `body_held` state of
 * grammars/http.rsm), and answers given while the body still comes (the
 * `receiving` state), on librotor-test's virtual clock.
 *
 * What a proxy does with an upload, without a proxy: the handler writes
 * the body to a consumer that the test controls, and answers from
 * outside the connection's dispatch, as an upstream machine would.  The
 * back-pressure case holds the client's end of a socketpair and writes
 * until the kernel says EAGAIN, so "the client is held back" is certain,
 * not a matter of timing.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rotor/http.h>
#include <rotor/test.h>

#include "http-machines.h"

_Static_assert(HTTP_BODY_TIMEOUT == 30000, "a body byte within 30 s");

/* ---- the application: a consumer of the body the test controls -------- */

static struct http_exchange *current;   /* the exchange begun, until its end */
static int begin_calls, respond_calls, aborted_calls;
static uint64_t consumed;               /* body bytes given to `chunk` */
static uint32_t sum;                    /* and their checksum */
static uint64_t pause_after;            /* pause once this many are in */
static int pause_result = 99;
static int64_t declared;                /* http_content_length in begin */
static int late_pause_result = 99, late_resume_result = 99;

static void begin_deferred(struct http_exchange *x)
{
    declared = http_content_length(x);
    begin_calls++;
    ck_assert_int_eq(http_defer(x), 0);
    current = x;
}

static void take_piece(struct http_exchange *x, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        sum = sum * 31 + (unsigned char)data[i];
    consumed += len;
    if (pause_after && consumed >= pause_after) {
        pause_result = http_body_pause(x);
        pause_after = 0;
    }
}

/* The body is whole: the body's calls no longer apply. */
static void body_done(struct http_exchange *x)
{
    respond_calls++;
    late_pause_result = http_body_pause(x);
    late_resume_result = http_body_resume(x);
}

static void forget(struct http_exchange *x)
{
    ck_assert_ptr_eq(x, current);
    aborted_calls++;
    current = NULL;
}

static const struct http_handler uploading = {
    .want = HTTP_WANT_STREAM,
    .body_max = 64u << 20,
    .begin = begin_deferred,
    .chunk = take_piece,
    .respond = body_done,
    .aborted = forget,
};

/* `begin` refuses at once: the body is never read. */
static void begin_refusing(struct http_exchange *x)
{
    static const struct http_header text = { "Content-Type", "text/plain" };

    begin_calls++;
    ck_assert_int_eq(http_respond(x, 403, &text, 1, "no\n", 3), 0);
}

static const struct http_handler refusing = {
    .want = HTTP_WANT_STREAM,
    .body_max = 1024,
    .begin = begin_refusing,
    .chunk = take_piece,
    .respond = body_done,
};

static void answer_now(struct http_exchange *x)
{
    /* Not a streaming handler: no pause. */
    ck_assert_int_eq(http_body_pause(x), -1);
    ck_assert_int_eq(http_respond(x, 200, NULL, 0, "now\n", 4), 0);
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
    if (n >= 4 && memcmp(target, "/now", 4) == 0)
        return &immediate;
    if (n >= 3 && memcmp(target, "/no", 3) == 0)
        return &refusing;
    return &uploading;
}

/* ---- fixture ------------------------------------------------------------ */

static struct http_server srv;
static struct rotor_test *t;

#include "conn-test.h"

static void setup(void)
{
    server_start(route);
    current = NULL;
    begin_calls = respond_calls = aborted_calls = 0;
    consumed = pause_after = 0;
    sum = 0;
    declared = -99;
    pause_result = late_pause_result = late_resume_result = 99;
}

static void teardown(void)
{
    server_stop();
}

static uint32_t sum_of(const char *p, size_t n)
{
    uint32_t s = 0;

    for (size_t i = 0; i < n; i++)
        s = s * 31 + (unsigned char)p[i];
    return s;
}

/* ---- 1. the body comes to `chunk` after `begin`; respond at its end ---- */

START_TEST(begin_then_pieces_then_respond)
{
    rotor_ref r = connect_client();

    client_sends(r, "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
    ck_assert_int_eq(begin_calls, 1);
    ck_assert_int_eq(declared, 10);
    ck_assert_ptr_nonnull(current);
    EXPECT_STATE(r, "body");
    client_sends(r, "01234");
    ck_assert_uint_eq(consumed, 5);
    ck_assert_int_eq(respond_calls, 0);
    client_sends(r, "56789");
    ck_assert_uint_eq(consumed, 10);
    ck_assert_uint_eq(sum, sum_of("0123456789", 10));
    ck_assert_int_eq(respond_calls, 1);
    ck_assert_int_eq(late_pause_result, -1);    /* the body has ended */
    ck_assert_int_eq(late_resume_result, -1);
    EXPECT_STATE(r, "deferred");
    ck_assert_int_eq(http_respond(current, 201, NULL, 0, "ok\n", 3), 0);
    current = NULL;
    ck_assert_int_eq(rotor_test_settle(t), 0);
    char *got = client_gets(r);
    ck_assert_msg(strncmp(got, "HTTP/1.1 201 ", 13) == 0, "%s", got);
    free(got);
    EXPECT_STATE(r, "idle");
    ck_assert_int_eq(aborted_calls, 0);
}
END_TEST

START_TEST(chunked_body_declares_minus_one)
{
    rotor_ref r = connect_client();

    client_sends(r, "POST /up HTTP/1.1\r\nHost: x\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    ck_assert_int_eq(declared, -1);
    ck_assert_uint_eq(consumed, 3);
    client_sends(r, "0\r\n\r\n");
    ck_assert_int_eq(respond_calls, 1);
    ck_assert_uint_eq(sum, sum_of("abc", 3));
    EXPECT_STATE(r, "deferred");
}
END_TEST

/* ---- 2. back-pressure: a paused body stops the client ------------------- */

static rotor_ref socket_client(int *client)
{
    return conn_on_socketpair(client, SO_SNDBUF, SO_RCVBUF);
}

/* Writes from *at until the kernel takes no more (or all is sent);
 * returns whether it stopped at EAGAIN. */
static bool write_until_full(int fd, const char *p, size_t total, size_t *at)
{
    while (*at < total) {
        ssize_t n = send(fd, p + *at, total - *at, MSG_DONTWAIT);
        if (n < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            return true;
        }
        *at += (size_t)n;
    }
    return false;
}

START_TEST(paused_body_holds_the_client_back)
{
    const size_t len = 4u << 20;            /* far over every buffer */
    char head[128];
    int client;
    rotor_ref r = socket_client(&client);
    char *body = malloc(len);
    size_t sent = 0;

    ck_assert_ptr_nonnull(body);
    for (size_t i = 0; i < len; i++)
        body[i] = (char)('a' + i * 7 % 26);
    int n = snprintf(head, sizeof head, "PUT /up HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: %zu\r\n\r\n", len);
    ck_assert_int_eq(write(client, head, (size_t)n), n);
    pause_after = 1;                        /* at the first piece */
    ck_assert_int_eq(rotor_test_settle(t), 0);
    ck_assert_int_eq(begin_calls, 1);

    /* The client writes until it cannot: with the body paused the server
     * reads none of it, so the kernel's buffers fill. */
    for (int round = 0; round < 100; round++) {
        bool full = write_until_full(client, body, len, &sent);
        ck_assert_int_eq(rotor_test_settle(t), 0);
        if (full && round > 3)
            break;
    }
    ck_assert_int_eq(pause_result, 0);
    EXPECT_STATE(r, "body_held");
    ck_assert_uint_lt(sent, len);
    uint64_t held = consumed;
    ck_assert_uint_lt(held, 1u << 20);
    /* Held, no body deadline runs: the handler decides. */
    advance_to(120000);
    EXPECT_STATE(r, "body_held");
    ck_assert_uint_eq(consumed, held);
    ck_assert_int_eq(aborted_calls, 0);

    /* Resumed, the rest flows and the body completes intact. */
    ck_assert_int_eq(http_body_resume(current), 0);
    for (int round = 0; round < 100000 && respond_calls == 0; round++) {
        write_until_full(client, body, len, &sent);
        ck_assert_int_eq(rotor_test_settle(t), 0);
    }
    ck_assert_int_eq(respond_calls, 1);
    ck_assert_uint_eq(consumed, len);
    ck_assert_uint_eq(sum, sum_of(body, len));
    EXPECT_STATE(r, "deferred");
    free(body);
    close(client);
}
END_TEST

/* ---- 3. answers while the body comes ------------------------------------- */

/* An answer that ends before the body: the rest is not read, `respond`
 * never runs, and the connection closes after the answer. */
START_TEST(whole_answer_mid_body_ends_the_exchange)
{
    rotor_ref r = connect_client();

    client_sends(r, "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
                    "0123456789");
    ck_assert_uint_eq(consumed, 10);
    ck_assert_int_eq(http_respond(current, 507, NULL, 0, "full\n", 5), 0);
    current = NULL;
    ck_assert_int_eq(rotor_test_settle(t), 0);
    char *got = client_gets(r);
    ck_assert_msg(strncmp(got, "HTTP/1.1 507 ", 13) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\r\n\r\nfull\n"));
    free(got);
    EXPECT_STATE(r, "lingering");
    client_sends(r, "more body, dropped");
    ck_assert_uint_eq(consumed, 10);
    ck_assert_int_eq(respond_calls, 0);
    ck_assert_int_eq(aborted_calls, 0);
}
END_TEST

/* An answer that begins mid-body goes out as it comes; once the body is
 * whole the exchange goes on as a deferred answer and keeps the
 * connection. */
START_TEST(answer_streams_while_the_body_comes)
{
    rotor_ref r = connect_client();

    client_sends(r, "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
    ck_assert_int_eq(http_respond_start(current, 200, NULL, 0), 0);
    ck_assert_int_eq(http_respond_chunk(current, "early", 5), 0);
    ck_assert_int_eq(rotor_test_settle(t), 0);
    char *got = client_gets(r);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\r\n\r\n5\r\nearly\r\n"));
    free(got);
    EXPECT_STATE(r, "body");
    client_sends(r, "def");
    ck_assert_int_eq(respond_calls, 1);
    ck_assert_uint_eq(consumed, 6);
    EXPECT_STATE(r, "streaming");
    ck_assert_int_eq(http_respond_end(current), 0);
    current = NULL;
    ck_assert_int_eq(rotor_test_settle(t), 0);
    got = client_gets(r);
    ck_assert_str_eq(got, "0\r\n\r\n");
    free(got);
    EXPECT_STATE(r, "idle");

    /* The same connection takes the next request. */
    client_sends(r, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n");
    got = client_gets(r);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
    free(got);
    ck_assert_int_eq(aborted_calls, 0);
}
END_TEST

/* `begin` answering whole: no body read, no `respond`, a close. */
START_TEST(begin_refusing_reads_no_body)
{
    rotor_ref r = connect_client();

    client_sends(r, "PUT /no HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde");
    ck_assert_int_eq(begin_calls, 1);
    char *got = client_gets(r);
    ck_assert_msg(strncmp(got, "HTTP/1.1 403 ", 13) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "Connection: close\r\n"));
    free(got);
    ck_assert_uint_eq(consumed, 0);
    ck_assert_int_eq(respond_calls, 0);
    EXPECT_STATE(r, "lingering");
}
END_TEST

/* ---- 4. the body fails while an answer is deferred ---------------------- */

START_TEST(bad_chunk_aborts_the_deferred_answer)
{
    rotor_ref r = connect_client();

    client_sends(r, "POST /up HTTP/1.1\r\nHost: x\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
    ck_assert_int_eq(aborted_calls, 1);
    ck_assert_ptr_null(current);
    char *got = client_gets(r);
    ck_assert_msg(strncmp(got, "HTTP/1.1 400 ", 13) == 0, "%s", got);
    free(got);
    ck_assert_int_eq(respond_calls, 0);
}
END_TEST

START_TEST(silent_client_gets_408_and_the_answer_is_aborted)
{
    rotor_ref r = connect_client();

    client_sends(r, "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
    advance_to(29999);
    EXPECT_STATE(r, "body");
    advance_to(30000);
    ck_assert_int_eq(aborted_calls, 1);
    char *got = client_gets(r);
    ck_assert_msg(strncmp(got, "HTTP/1.1 408 ", 13) == 0, "%s", got);
    free(got);
}
END_TEST

START_TEST(client_leaving_mid_body_aborts_once)
{
    rotor_ref r = connect_client();

    client_sends(r, "PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
    ck_assert_int_eq(rotor_test_eof(t, r), 0);
    ck_assert_int_eq(aborted_calls, 1);
    EXPECT_STATE(r, "(ended)");
}
END_TEST

/* ---- main ------------------------------------------------------------- */

static Suite *upload_suite(void)
{
    Suite *s = suite_create("http-upload");
    TCase *tc = tcase_create("upload");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, begin_then_pieces_then_respond);
    tcase_add_test(tc, chunked_body_declares_minus_one);
    tcase_add_test(tc, paused_body_holds_the_client_back);
    tcase_add_test(tc, whole_answer_mid_body_ends_the_exchange);
    tcase_add_test(tc, answer_streams_while_the_body_comes);
    tcase_add_test(tc, begin_refusing_reads_no_body);
    tcase_add_test(tc, bad_chunk_aborts_the_deferred_answer);
    tcase_add_test(tc, silent_client_gets_408_and_the_answer_is_aborted);
    tcase_add_test(tc, client_leaving_mid_body_aborts_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(upload_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
