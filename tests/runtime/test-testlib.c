/*
 * test-testlib.c: librotor-test (<rotor/test.h>): the virtual clock,
 * injected events, stream peers, listeners, expectations, records and
 * replay, with the machines of machines/tl.rsm.  Nothing here waits real
 * time.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rotor/test.h>

#include "rt-test.h"
#include "machines/tl.h"

/* ---- actions ------------------------------------------------------------ */

void tl_echo_line(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    rotor_stream_echo(s, rotor_event_size(ev));
}

void tl_pong(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    rotor_stream_write(s, "pong\n", 5);
}

void tl_warn(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    rotor_stream_write(s, "idle?\n", 6);
}

static int delay_id;

void tl_arm(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    delay_id = rotor_send_after(s, rotor_scope_self(s), tl_delay_ev_boom,
                                NULL, 500);
    ck_assert_int_gt(delay_id, 0);
}

void tl_disarm(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    ck_assert_int_eq(rotor_send_cancel(s, delay_id), 0);
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_test *t;

static void setup(void)
{
    t = rotor_test_new(NULL);
    ck_assert_ptr_nonnull(t);
}

static void teardown(void)
{
    rotor_test_free(t);
    t = NULL;
}

#define EXPECT_STATE(ref, s) \
    ck_assert_msg(rotor_test_expect_state(t, (ref), (s)), "%s", \
                  rotor_last_error())

/* ---- the virtual clock -------------------------------------------------- */

START_TEST(idle_timeout_without_waiting)
{
    rotor_ref r = rotor_test_stream(t, &tl_echo_machine, NULL);

    ck_assert(rotor_ref_valid(r));
    EXPECT_STATE(r, "reading");
    ck_assert_int_eq(rotor_test_advance(t, 9999), 0);
    ck_assert_str_eq(rotor_test_output(t, r, NULL), "");
    ck_assert_int_eq(rotor_test_advance(t, 1), 1);      /* warn, at 10 s */
    ck_assert_str_eq(rotor_test_output(t, r, NULL), "idle?\n");
    ck_assert_int_eq(rotor_test_advance(t, 20000), 1);  /* idle, at 30 s */
    EXPECT_STATE(r, "(ended)");
    ck_assert_str_eq(rotor_test_steps(t, r),
                     "timeout(warn)>(internal) timeout>done");
    ck_assert_uint_eq(rotor_test_now(t), 30000);
    ck_assert_uint_eq(rotor_loop_machines(rotor_test_loop(t)), 0);
}
END_TEST

START_TEST(input_rearms_timeouts)
{
    rotor_ref r = rotor_test_stream(t, &tl_echo_machine, NULL);

    rotor_test_advance(t, 8000);
    ck_assert_int_eq(rotor_test_input(t, r, "hi\n", 3), 0);
    ck_assert_str_eq(rotor_test_output(t, r, NULL), "hi\n");
    ck_assert_int_eq(rotor_test_advance(t, 9999), 0);   /* 17999 ms */
    ck_assert_int_eq(rotor_test_advance(t, 1), 1);      /* warn at 18 s */
    ck_assert_int_eq(rotor_test_advance(t, 19999), 0);  /* 37999 ms */
    ck_assert_int_eq(rotor_test_advance(t, 1), 1);      /* idle at 38 s */
    ck_assert_str_eq(rotor_test_steps(t, r),
                     "input>reading timeout(warn)>(internal) timeout>done");
}
END_TEST

START_TEST(delayed_send_on_virtual_clock)
{
    struct rotor_loop *loop = rotor_test_loop(t);
    rotor_ref r = rotor_spawn(loop, &tl_delay_machine, NULL);

    ck_assert_int_eq(rotor_test_send(t, r, tl_delay_ev_kick, NULL), 0);
    ck_assert_int_eq(rotor_test_advance(t, 499), 0);
    EXPECT_STATE(r, "armed");
    ck_assert_int_eq(rotor_test_send(t, r, tl_delay_ev_calm, NULL), 0);
    ck_assert_int_eq(rotor_test_advance(t, 10000), 0);  /* cancelled */
    EXPECT_STATE(r, "idle");
    ck_assert_int_eq(rotor_test_send(t, r, tl_delay_ev_kick, NULL), 0);
    ck_assert_int_eq(rotor_test_advance(t, 500), 1);
    EXPECT_STATE(r, "(ended)");
    ck_assert_str_eq(rotor_test_steps(t, r),
                     "kick>armed calm>idle kick>armed boom>done");
}
END_TEST

START_TEST(timers_fire_in_due_order)
{
    /* N echo machines armed at different times: their warnings come
     * in due order, whatever the order they were spawned in. */
    enum { N = 50 };
    rotor_ref r[N];

    for (int i = 0; i < N; i++) {
        r[N - 1 - i] = rotor_test_stream(t, &tl_echo_machine, NULL);
        rotor_test_advance(t, 1);
    }
    rotor_test_clear(t);
    ck_assert_int_eq(rotor_test_advance(t, 10000), N);
    /* The records of the warnings, in order: the last spawned first was
     * armed first. */
    const char *p = rotor_test_records(t);
    for (int i = N - 1; i >= 0; i--) {
        char want[64];
        snprintf(want, sizeof want, "\t%u.%u\treading\ttimeout(warn)",
                 (unsigned)r[i].slot, (unsigned)r[i].gen);
        const char *at = strstr(p, want);
        ck_assert_msg(at != NULL, "warning %d missing or out of order", i);
        p = at + 1;
    }
}
END_TEST

START_TEST(next_timer_and_now)
{
    struct rotor_loop *loop = rotor_test_loop(t);
    uint64_t ms = 0;

    ck_assert_int_eq(rotor_loop_next_timer(loop, &ms), 0);
    rotor_test_stream(t, &tl_echo_machine, NULL);
    ck_assert_int_eq(rotor_loop_next_timer(loop, &ms), 1);
    ck_assert_uint_eq(ms, 10000);
    rotor_test_advance(t, 2500);
    ck_assert_int_eq(rotor_loop_next_timer(loop, &ms), 1);
    ck_assert_uint_eq(ms, 7500);
    ck_assert_uint_eq(rotor_loop_now(loop), 2500);
}
END_TEST

START_TEST(statechart_labels)
{
    rotor_ref r = rotor_spawn(rotor_test_loop(t), &tl_chart_machine, NULL);

    EXPECT_STATE(r, "l1,r1");
    rotor_test_send(t, r, tl_chart_ev_go, NULL);
    EXPECT_STATE(r, "l1,r2");
    rotor_test_advance(t, 50);
    EXPECT_STATE(r, "(ended)");
    ck_assert_ptr_nonnull(strstr(rotor_test_records(t),
                                 "\tl1,r1\tgo\tl1,r2\n"));
    ck_assert_ptr_nonnull(strstr(rotor_test_records(t),
                                 "\tl1,r2\ttimeout\tdone\n"));
}
END_TEST

/* ---- streams ------------------------------------------------------------ */

START_TEST(stream_eof_and_output)
{
    rotor_ref r = rotor_test_stream(t, &tl_echo_machine, NULL);
    size_t len = 0;

    ck_assert_int_eq(rotor_test_input(t, r, "one\ntwo\nthr", 11), 0);
    ck_assert_str_eq(rotor_test_output(t, r, &len), "one\ntwo\n");
    ck_assert_uint_eq(len, 8);
    ck_assert_int_eq(rotor_test_take_output(t, r), 0);
    ck_assert_int_eq(rotor_test_send(t, r, tl_echo_ev_ping, NULL), 0);
    ck_assert_str_eq(rotor_test_output(t, r, NULL), "pong\n");
    ck_assert_int_eq(rotor_test_eof(t, r), 0);
    EXPECT_STATE(r, "(ended)");
    ck_assert_str_eq(rotor_test_steps(t, r), "input>reading input>reading "
                     "ping>(internal) eof>closing flushed>done");
}
END_TEST

START_TEST(stream_error)
{
    rotor_ref r = rotor_test_stream(t, &tl_echo_machine, NULL);

    ck_assert_int_eq(rotor_test_error(t, r), 0);
    EXPECT_STATE(r, "(ended)");
    ck_assert_str_eq(rotor_test_steps(t, r), "error>error");
    ck_assert_uint_eq(rotor_loop_errors(rotor_test_loop(t)), 1);
    ck_assert_ptr_nonnull(strstr(rotor_test_records(t), "\terror\t104\n"));
}
END_TEST

START_TEST(big_input_is_all_delivered)
{
    /* More than a socket buffer holds: the test feeds it as it is read. */
    enum { LINES = 20000 };
    rotor_ref r = rotor_test_stream(t, &tl_echo_machine, NULL);
    static char buf[LINES * 4];

    for (int i = 0; i < LINES; i++)
        memcpy(buf + 4 * i, "abc\n", 4);
    ck_assert_int_eq(rotor_test_input(t, r, buf, sizeof buf), 0);
    size_t len;
    rotor_test_output(t, r, &len);
    ck_assert_uint_eq(len, sizeof buf);
}
END_TEST

START_TEST(listener_accepts_without_network)
{
    rotor_ref l = rotor_test_listen(t, &tl_listener_machine, NULL);

    ck_assert(rotor_ref_valid(l));
    rotor_ref a = rotor_test_connect(t, l);
    rotor_ref b = rotor_test_connect(t, l);
    ck_assert(rotor_ref_valid(a));
    ck_assert(rotor_ref_valid(b));
    ck_assert_int_eq(rotor_test_input(t, b, "to b\n", 5), 0);
    ck_assert_str_eq(rotor_test_output(t, b, NULL), "to b\n");
    ck_assert_str_eq(rotor_test_output(t, a, NULL), "");
    ck_assert_str_eq(rotor_test_steps(t, l), "accepted>(internal) "
                     "accepted>(internal)");
    ck_assert_int_eq(rotor_test_eof(t, a), 0);
    EXPECT_STATE(a, "(ended)");
    EXPECT_STATE(b, "reading");
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

START_TEST(errors_follow_convention)
{
    rotor_ref none = { 77, 1 };

    ck_assert_int_eq(rotor_test_input(t, none, "x", 1), ROTOR_ENOENT);
    ck_assert_int_eq(rotor_last_code(), ROTOR_ENOENT);
    ck_assert_int_eq(rotor_test_eof(NULL, none), ROTOR_EINVAL);
    ck_assert_ptr_null(rotor_test_state(t, none));
    ck_assert_int_eq(rotor_last_code(), ROTOR_ENOENT);
    ck_assert(!rotor_test_expect_state(t, none, "reading"));
    ck_assert_int_eq(rotor_loop_advance(NULL, 1), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_test_send(t, none, ROTOR_EV_USER, NULL),
                     ROTOR_ENOENT);
    /* A loop on the real clock has no virtual timers to advance. */
    struct rotor_loop *real = rotor_loop_new(NULL);
    ck_assert_int_eq(rotor_loop_advance(real, 1), ROTOR_ENOTSUP);
    rotor_spawn(real, &tl_delay_machine, NULL);
    ck_assert_int_eq(rotor_loop_virtual_clock(real), ROTOR_EBUSY);
    rotor_loop_free(real);
}
END_TEST

/* ---- records and replay ------------------------------------------------- */

static char trace_path[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Records a session in a file through rotor_loop_trace_file(). */
static void record_session(void)
{
    struct rotor_test *rec = rotor_test_new(NULL);

    snprintf(trace_path, sizeof trace_path, "/tmp/rotor-tl.%ld.trace",
             (long)getpid());
    unlink(trace_path);
    ck_assert_int_eq(rotor_loop_trace_file(rotor_test_loop(rec),
                                           trace_path), 0);
    rotor_ref r = rotor_test_stream(rec, &tl_echo_machine, NULL);
    rotor_test_input(rec, r, "a\nb\n", 4);
    rotor_test_advance(rec, 12000);
    rotor_test_input(rec, r, "c\n", 2);
    rotor_test_eof(rec, r);
    rotor_ref d = rotor_spawn(rotor_test_loop(rec), &tl_delay_machine, NULL);
    rotor_test_send(rec, d, tl_delay_ev_kick, NULL);
    rotor_test_advance(rec, 1000);
    rotor_test_free(rec);
}

static const struct rotor_machine_type *const tl_types[] = {
    &tl_echo_machine, &tl_delay_machine
};

START_TEST(trace_file_format)
{
    record_session();
    FILE *f = fopen(trace_path, "r");
    char line[512];
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "#rotor-trace 1\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "S\t0\ttl_echo\t0.1\tfd\treading\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "I\t0\ttl_echo\t0.1\t610a620a\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "E\t0\ttl_echo\t0.1\treading\tinput\treading\n");
    fclose(f);
    unlink(trace_path);
}
END_TEST

START_TEST(replay_same_trace)
{
    struct rotor_replay_result res;

    record_session();
    ck_assert_int_eq(rotor_test_replay(t, trace_path, tl_types, 2, &res), 0);
    ck_assert_msg(!res.diverged, "%s", res.message);
    ck_assert_uint_eq(res.events, 8);
    ck_assert_str_eq(res.message, "replayed 8 events, no divergence");
    unlink(trace_path);
}
END_TEST

START_TEST(replay_tampered_trace_diverges)
{
    struct rotor_replay_result res;
    const char *tampered =
        "#rotor-trace 1\n"
        "S\t0\ttl_echo\t0.1\tfd\treading\n"
        "I\t5\ttl_echo\t0.1\t610a\n"
        "E\t5\ttl_echo\t0.1\treading\tinput\treading\n"
        "X\t6\ttl_echo\t0.1\teof\n"
        "E\t6\ttl_echo\t0.1\treading\teof\treading\n";   /* was closing */

    snprintf(trace_path, sizeof trace_path, "/tmp/rotor-tl.%ld.bad",
             (long)getpid());
    write_file(trace_path, tampered);
    ck_assert_int_eq(rotor_test_replay(t, trace_path, tl_types, 2, &res), 0);
    ck_assert(res.diverged);
    ck_assert_uint_eq(res.line, 6);
    ck_assert_msg(strstr(res.message, "the replay \"reading\teof\tclosing\"")
                  != NULL, "%s", res.message);
    unlink(trace_path);
}
END_TEST

START_TEST(replay_refuses_other_files)
{
    struct rotor_replay_result res;

    snprintf(trace_path, sizeof trace_path, "/tmp/rotor-tl.%ld.txt",
             (long)getpid());
    write_file(trace_path, "[x#0.1] a --b--> c\n");
    ck_assert_int_eq(rotor_test_replay(t, trace_path, tl_types, 2, &res),
                     ROTOR_ENOTSUP);
    unlink(trace_path);
    ck_assert_int_eq(rotor_test_replay(t, trace_path, tl_types, 2, &res),
                     ROTOR_EIO);
}
END_TEST

static Suite *testlib_suite(void)
{
    Suite *s = suite_create("testlib");
    TCase *tc = tcase_create("clock");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, idle_timeout_without_waiting);
    tcase_add_test(tc, input_rearms_timeouts);
    tcase_add_test(tc, delayed_send_on_virtual_clock);
    tcase_add_test(tc, timers_fire_in_due_order);
    tcase_add_test(tc, next_timer_and_now);
    tcase_add_test(tc, statechart_labels);
    suite_add_tcase(s, tc);
    tc = tcase_create("streams");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, stream_eof_and_output);
    tcase_add_test(tc, stream_error);
    tcase_add_test(tc, big_input_is_all_delivered);
    tcase_add_test(tc, listener_accepts_without_network);
    tcase_add_test(tc, errors_follow_convention);
    suite_add_tcase(s, tc);
    tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, trace_file_format);
    tcase_add_test(tc, replay_same_trace);
    tcase_add_test(tc, replay_tampered_trace_diverges);
    tcase_add_test(tc, replay_refuses_other_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(testlib_suite());

    unsetenv("ROTOR_TRACE");
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
