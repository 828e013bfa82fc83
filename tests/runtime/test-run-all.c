/*
 * test-run-all.c: rotor_loop_run_all(), N loops on N threads stopped
 * together by a signal, with the idle machines of machines/idle.rsm
 * (each keeps its loop running until it is told to end).  The signal is
 * sent from loop 0's own thread once that loop runs, through its
 * event_base, so no test waits on time.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <event2/event.h>
#include <rotor/rotor.h>

#include "machines/idle.h"

#define NLOOPS 4

static struct rotor_loop *loops[NLOOPS];

/* Loops with one idle machine each. */
static void make_idle_loops(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        loops[i] = rotor_loop_new(NULL);
        ck_assert_ptr_nonnull(loops[i]);
        ck_assert(rotor_ref_valid(rotor_spawn(loops[i], &idler_machine, NULL)));
    }
}

static void free_loops(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rotor_loop_free(loops[i]);
        loops[i] = NULL;
    }
}

static void send_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    kill(getpid(), *(int *)arg);
}

/* Sends sig to the process as soon as loop 0 runs. */
static void signal_when_running(int *sig)
{
    struct timeval now = { 0, 0 };

    ck_assert_int_eq(event_base_once(rotor_loop_base(loops[0]), -1,
                                     EV_TIMEOUT, send_signal, sig, &now), 0);
}

/* Each stop signal ends every loop's run, with the machines still alive
 * (stopped, not ended), and is returned. */
static void stops_all_on(int sig, size_t n)
{
    make_idle_loops(n);
    signal_when_running(&sig);
    ck_assert_int_eq(rotor_loop_run_all(loops, n), sig);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(rotor_loop_machines(loops[i]), 1);
    free_loops(n);
}

START_TEST(sigterm_stops_every_loop)
{
    stops_all_on(SIGTERM, NLOOPS);
}
END_TEST

START_TEST(sigint_stops_every_loop)
{
    stops_all_on(SIGINT, NLOOPS);
}
END_TEST

START_TEST(sighup_stops_every_loop)
{
    stops_all_on(SIGHUP, NLOOPS);
}
END_TEST

START_TEST(one_loop_in_this_thread)
{
    stops_all_on(SIGTERM, 1);
}
END_TEST

/* The signals are watched again by the next call. */
START_TEST(called_again)
{
    stops_all_on(SIGTERM, 2);
    stops_all_on(SIGINT, 2);
}
END_TEST

/* Loops whose machines are all gone return by themselves: 0. */
START_TEST(loops_that_end_by_themselves)
{
    for (size_t i = 0; i < NLOOPS; i++) {
        loops[i] = rotor_loop_new(NULL);
        ck_assert_ptr_nonnull(loops[i]);
    }
    ck_assert_int_eq(rotor_loop_run_all(loops, NLOOPS), 0);
    free_loops(NLOOPS);
}
END_TEST

START_TEST(bad_arguments)
{
    struct rotor_loop *none[2] = { NULL, NULL };

    ck_assert_int_eq(rotor_loop_run_all(NULL, 1), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    make_idle_loops(1);
    ck_assert_int_eq(rotor_loop_run_all(loops, 0), ROTOR_EINVAL);
    none[0] = loops[0];
    ck_assert_int_eq(rotor_loop_run_all(none, 2), ROTOR_EINVAL);
    /* Nothing ran: the machine is where it was. */
    ck_assert_uint_eq(rotor_loop_machines(loops[0]), 1);
    free_loops(1);
}
END_TEST

static Suite *run_all_suite(void)
{
    Suite *s = suite_create("run_all");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, sigterm_stops_every_loop);
    tcase_add_test(tc, sigint_stops_every_loop);
    tcase_add_test(tc, sighup_stops_every_loop);
    tcase_add_test(tc, one_loop_in_this_thread);
    tcase_add_test(tc, called_again);
    tcase_add_test(tc, loops_that_end_by_themselves);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(run_all_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
