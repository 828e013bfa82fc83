/*
 * test-timing.c: state timeouts, and how rotor_loop_run() ends, with the
 * machines of machines/timing.rsm.  The timeouts run on librotor-test's
 * virtual clock, so the times asserted are exact and no run depends on
 * the machine's load; a few tests keep the real clock, so that libevent's
 * timers stay covered.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <stdlib.h>

#include <rotor/test.h>

#include "rt-test.h"
#include "machines/timing.h"
#include "machines/driver.h"

/* ---- tmo ---------------------------------------------------------------- */

/* The loop's clock: virtual in the tests below that run on it. */
static int64_t now_ms(rotor_scope *s)
{
    return (int64_t)rotor_loop_now(rotor_scope_loop(s));
}

void tmo_create(struct tmo *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    self->rec->t0 = now_ms(s);
    for (int i = 0; i < self->rec->nraise; i++)
        rotor_raise(s, self->rec->raise[i], NULL);
}

void tmo_fired(struct tmo *self, rotor_scope *s, const rotor_event *ev)
{
    ck_assert_int_eq(rotor_event_kind(ev), ROTOR_EV_TIMEOUT);
    self->rec->fired = now_ms(s);
    rt_log("fired");
}

void tmo_leave(struct tmo *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->left = now_ms(s);
    rt_log("leave");
}

void tmo_poke(struct tmo *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->poked = now_ms(s);
    rt_log("poke");
}

void tmo_back(struct tmo *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->back = now_ms(s);
    rt_log("back");
}

void tmo_idle_fired(struct tmo *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->idle_fired = now_ms(s);
    rt_log("idle_fired");
}

/* ---- ticker ------------------------------------------------------------- */

void ticker_create(struct ticker *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
}

void tick(struct ticker *self, rotor_scope *s, const rotor_event *ev)
{
    if (++self->rec->ticks % self->rec->stop_every == 0)
        rotor_loop_stop(rotor_scope_loop(s));
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_loop *loop;
static struct rotor_test *vt;   /* the virtual-clock fixture's test loop */

static void setup(void)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = 0;
    rt_log_reset();
    loop = rotor_loop_new(&cfg);
    ck_assert_ptr_nonnull(loop);
}

static void teardown(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

static void setup_virtual(void)
{
    rt_log_reset();
    vt = rotor_test_new(NULL);
    ck_assert_ptr_nonnull(vt);
    loop = rotor_test_loop(vt);
}

static void teardown_virtual(void)
{
    rotor_test_free(vt);
    vt = NULL;
    loop = NULL;
}

/* rotor_loop_run() on the virtual clock: moves it to each next timer
 * until no machine is left (or none waits for a timer). */
static void run_virtual(void)
{
    uint64_t ms;

    while (rotor_loop_machines(loop) > 0 &&
           rotor_loop_next_timer(loop, &ms) == 1)
        rotor_test_advance(vt, ms);
}

/* Spawns tmo and a driver sending it `events` 30ms apart, then runs the
 * loop until both ended. */
static void drive_tmo(struct tmo_rec *rec, struct drive *d)
{
    d->target = rotor_spawn(loop, &tmo_machine, rec);
    ck_assert_uint_ne(d->target.gen, 0);
    ck_assert_uint_ne(rotor_spawn(loop, &driver_machine, d).gen, 0);
    run_virtual();
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}

/* libevent measures a timeout from the time cached at the start of the
 * loop iteration, a little before the action that armed it reads the
 * clock: allow that much early, on the real clock. */
#define SLACK_MS 5

/* ---- timeouts (virtual clock) ------------------------------------------- */

START_TEST(timeout_fires)
{
    struct tmo_rec rec = {0};

    ck_assert_uint_ne(rotor_spawn(loop, &tmo_machine, &rec).gen, 0);
    run_virtual();
    ck_assert_str_eq(rt_log_buf, "fired");
    ck_assert_int_eq(rec.fired - rec.t0, 50);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

START_TEST(leaving_cancels_timeout)
{
    struct tmo_rec rec = {0};
    struct drive d = {.events = {tmo_ev_leave}, .n = 1};

    drive_tmo(&rec, &d);
    ck_assert_str_eq(rt_log_buf, "leave idle_fired");
    ck_assert_int_eq(rec.left - rec.t0, 30);
    ck_assert_int_eq(rec.idle_fired - rec.left, 100);
}
END_TEST

START_TEST(leaving_at_once_cancels_timeout)
{
    struct tmo_rec rec = {.raise = {tmo_ev_leave}, .nraise = 1};

    ck_assert_uint_ne(rotor_spawn(loop, &tmo_machine, &rec).gen, 0);
    run_virtual();
    ck_assert_str_eq(rt_log_buf, "leave idle_fired");
    ck_assert_int_eq(rec.idle_fired - rec.t0, 100);
}
END_TEST

START_TEST(internal_transition_does_not_rearm)
{
    struct tmo_rec rec = {0};
    struct drive d = {.events = {tmo_ev_poke}, .n = 1};

    drive_tmo(&rec, &d);
    ck_assert_str_eq(rt_log_buf, "poke fired");
    /* Armed at spawn, not at the poke (30ms): re-armed it would fire at
     * 80ms. */
    ck_assert_int_eq(rec.poked - rec.t0, 30);
    ck_assert_int_eq(rec.fired - rec.t0, 50);
}
END_TEST

START_TEST(same_transition_rearms)
{
    struct tmo_rec rec = {0};
    struct drive d = {.events = {tmo_ev_back}, .n = 1};

    drive_tmo(&rec, &d);
    ck_assert_str_eq(rt_log_buf, "back fired");
    ck_assert_int_eq(rec.back - rec.t0, 30);
    ck_assert_int_eq(rec.fired - rec.back, 50);
}
END_TEST

START_TEST(many_machines_share_timeout)
{
    enum { N = 500 };
    static struct tmo_rec recs[N];

    for (int i = 0; i < N; i++) {
        ck_assert_uint_ne(rotor_spawn(loop, &tmo_machine, &recs[i]).gen, 0);
        if (i % 100 == 99)
            rotor_test_advance(vt, 7);  /* five groups, 7ms apart */
    }
    run_virtual();
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(recs[i].fired - recs[i].t0, 50);
}
END_TEST

/* ---- timeouts (real clock) ---------------------------------------------- */

/* libevent's timers themselves: a timeout armed on the real clock fires
 * no earlier than due (within SLACK_MS) and not much later. */
START_TEST(timeout_fires_real)
{
    struct tmo_rec rec = {0};

    ck_assert_uint_ne(rotor_spawn(loop, &tmo_machine, &rec).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(rt_log_buf, "fired");
    ck_assert_int_ge(rec.fired - rec.t0, 50 - SLACK_MS);
    ck_assert_int_lt(rec.fired - rec.t0, 1000);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

/* The lazy re-arm of the outermost timeout (timeout.c) on the real
 * clock: re-armed at once, it fires once, from the later arming. */
START_TEST(same_transition_rearms_real)
{
    struct tmo_rec rec = {.raise = {tmo_ev_back}, .nraise = 1};

    ck_assert_uint_ne(rotor_spawn(loop, &tmo_machine, &rec).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(rt_log_buf, "back fired");
    ck_assert_int_ge(rec.fired - rec.back, 50 - SLACK_MS);
}
END_TEST

/* ---- the loop ----------------------------------------------------------- */

START_TEST(stop_returns_and_run_resumes)
{
    struct ticker_rec rec = {.stop_every = 3};

    ck_assert_uint_ne(rotor_spawn(loop, &ticker_machine, &rec).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(rec.ticks, 3);
    ck_assert_uint_eq(rotor_loop_machines(loop), 1);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(rec.ticks, 6);
}
END_TEST

START_TEST(run_returns_when_last_machine_ends)
{
    struct tmo_rec rec = {0};
    struct drive d = {.events = {tmo_ev_back, tmo_ev_back}, .n = 2};

    /* The driver ends at 90ms, tmo (re-armed at 30 and 60ms) at 110ms:
     * the run ends when the later one ends. */
    drive_tmo(&rec, &d);
    ck_assert_str_eq(rt_log_buf, "back back fired");
    ck_assert_int_eq(rec.fired - rec.t0, 110);
    ck_assert_uint_eq(rotor_loop_now(loop), 110);
}
END_TEST

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    rotor_loop_stop(arg);
}

START_TEST(run_waits_for_machine_waiting_on_nothing)
{
    /* An idler waits for no event libevent knows of: the loop must wait
     * with it (until our own timer on the loop's base stops it), not
     * return at once. */
    struct timeval tv = {0, 30000};
    struct event *stop = evtimer_new(rotor_loop_base(loop), stop_cb, loop);
    int64_t t0 = rt_now_ms();

    ck_assert_uint_ne(rotor_spawn(loop, &idler_machine, NULL).gen, 0);
    evtimer_add(stop, &tv);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_ge(rt_now_ms() - t0, 30 - SLACK_MS);
    ck_assert_uint_eq(rotor_loop_machines(loop), 1);
    event_free(stop);
}
END_TEST

static Suite *timing_suite(void)
{
    Suite *s = suite_create("timing");
    TCase *tc;

    tc = tcase_create("timeout");
    tcase_add_checked_fixture(tc, setup_virtual, teardown_virtual);
    tcase_add_test(tc, timeout_fires);
    tcase_add_test(tc, leaving_cancels_timeout);
    tcase_add_test(tc, leaving_at_once_cancels_timeout);
    tcase_add_test(tc, internal_transition_does_not_rearm);
    tcase_add_test(tc, same_transition_rearms);
    tcase_add_test(tc, many_machines_share_timeout);
    tcase_add_test(tc, run_returns_when_last_machine_ends);
    suite_add_tcase(s, tc);

    tc = tcase_create("real");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, timeout_fires_real);
    tcase_add_test(tc, same_transition_rearms_real);
    suite_add_tcase(s, tc);

    tc = tcase_create("loop");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, stop_returns_and_run_resumes);
    tcase_add_test(tc, run_waits_for_machine_waiting_on_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(timing_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
