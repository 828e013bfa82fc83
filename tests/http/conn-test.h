/*
 * conn-test.h: what the Check suites that drive one http_conn on
 * librotor-test's virtual clock share (test-http-timeouts.c,
 * test-http-defer.c, test-http-upload.c).  The including file defines
 *
 *     static struct http_server srv;
 *     static struct rotor_test *t;
 *
 * before including this; the helpers use them.  Cases read as a timeline
 * of absolute virtual times (advance_to) and of what the client sends
 * and gets.
 */
#ifndef HTTP_CONN_TEST_H
#define HTTP_CONN_TEST_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rotor/test.h>

#include "http-machines.h"

/* The server on the virtual clock: srv routes with route_fn, t runs it
 * (the fixture's setup and teardown). */
static inline void server_start(http_route_fn *route_fn)
{
    struct rotor_config cfg;

    http_server_init(&srv, route_fn, NULL);
    ck_assert_int_eq(rotor_config_init(&cfg), 0);
    cfg.context = &srv;             /* http_conn's `context` */
    t = rotor_test_new(&cfg);
    ck_assert_ptr_nonnull(t);
}

static inline void server_stop(void)
{
    rotor_test_free(t);
    t = NULL;
    http_server_fini(&srv);
}

#define EXPECT_STATE(ref, s) \
    ck_assert_msg(rotor_test_expect_state(t, (ref), (s)), "at %llu ms: %s", \
                  (unsigned long long)rotor_test_now(t), rotor_last_error())

/* A new connection at the current virtual time, as accepted. */
static inline rotor_ref connect_client(void)
{
    rotor_ref r = rotor_test_stream(t, &http_conn_machine, NULL);

    ck_assert_msg(rotor_ref_valid(r), "%s", rotor_last_error());
    return r;
}

/* Moves the virtual clock to ms since the test began. */
static inline void advance_to(uint64_t ms)
{
    uint64_t now = rotor_test_now(t);

    ck_assert_uint_le(now, ms);
    ck_assert_int_ge(rotor_test_advance(t, ms - now), 0);
    ck_assert_uint_eq(rotor_test_now(t), ms);
}

/* A connection on a socketpair whose client end (*client) the test reads
 * and writes itself (rotor_test_stream's peer would read everything at
 * once), with small buffers one way: the client's option (SO_SNDBUF for
 * an upload, SO_RCVBUF for an answer) and the server's opposite one. */
static inline rotor_ref conn_on_socketpair(int *client, int client_opt,
                                           int server_opt)
{
    int sv[2];
    int small = 8192;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, client_opt, &small,
                                sizeof small), 0);
    ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, server_opt, &small,
                                sizeof small), 0);
    rotor_ref r = rotor_spawn_fd(rotor_test_loop(t), &http_conn_machine,
                                 sv[1], NULL);
    ck_assert_msg(rotor_ref_valid(r), "%s", rotor_last_error());
    *client = sv[0];
    return r;
}

static inline void client_sends(rotor_ref r, const char *s)
{
    ck_assert_int_eq(rotor_test_input(t, r, s, strlen(s)), 0);
}

/* What the client got so far, taken: the next call sees only newer
 * bytes.  The caller frees it. */
static inline char *client_gets(rotor_ref r)
{
    const char *out = rotor_test_output(t, r, NULL);

    ck_assert_ptr_nonnull(out);
    char *copy = strdup(out);
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(rotor_test_take_output(t, r), 0);
    return copy;
}

static inline void expect_nothing_sent(rotor_ref r)
{
    char *got = client_gets(r);

    ck_assert_str_eq(got, "");
    free(got);
}

#endif
