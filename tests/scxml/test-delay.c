/*
 * test-delay.c: delayed sends (runtime/delay.c, <rotor/delay.h>) in a
 * real loop: delivery by deadline, never early, FIFO among equal delays,
 * behind what is queued; cancel (own sends only); sends dropped when the
 * sender ends, when the target ended (its slot reused meanwhile), and
 * when the loop is freed with sends pending; every error code.  On
 * librotor-test's virtual clock, except never_early, which keeps
 * libevent's real timers covered.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rotor/test.h>

#include "tests/scxml/delay-test.h"
#include "delayer.h"

static char log_buf[1024];
static struct rotor_loop *loop;

static void say(const char *fmt, ...)
{
    size_t len = strlen(log_buf);
    va_list ap;

    if (len > 0)
        log_buf[len++] = ' ';
    va_start(ap, fmt);
    vsnprintf(log_buf + len, sizeof log_buf - len, fmt, ap);
    va_end(ap);
}

static struct rotor_test *vt;  /* NULL on the real clock */

/* The loop's clock: virtual or real. */
static long long now_ms(void)
{
    return (long long)rotor_loop_now(loop);
}

/* ---- the machine's functions -------------------------------------------- */

void delayer_start(struct delayer *self, rotor_scope *s, const rotor_event *ev)
{
    self->plan = rotor_event_data(ev);
    if (self->plan->start)
        self->plan->start(self, s);
}

void delayer_end(struct delayer *self, rotor_scope *s, const rotor_event *ev)
{
    (void)ev;
    if (self->plan->end)
        self->plan->end(self, s);
}

void logged(struct delayer *self, rotor_scope *s, const rotor_event *ev)
{
    int kind = rotor_event_kind(ev);
    const char *name = kind >= ROTOR_EV_USER
        ? delayer_machine.event_names[kind - ROTOR_EV_USER]
        : rotor_event_name(kind);

    say("%s:%s", self->plan->name, name);
    if (self->plan->event)
        self->plan->event(self, s, kind);
}

/* ---- helpers ---------------------------------------------------------- */

static void setup(void)
{
    log_buf[0] = '\0';
    vt = rotor_test_new(NULL);
    ck_assert_ptr_nonnull(vt);
    loop = rotor_test_loop(vt);
}

static void teardown(void)
{
    rotor_test_free(vt);
    vt = NULL;
    loop = NULL;
}

static void setup_real(void)
{
    log_buf[0] = '\0';
    loop = rotor_loop_new(NULL);
    ck_assert_ptr_nonnull(loop);
}

static void teardown_real(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

static rotor_ref spawn(struct delay_plan *plan)
{
    rotor_ref r = rotor_spawn(loop, &delayer_machine, plan);

    ck_assert(rotor_ref_valid(r));
    return r;
}

/* Until no machine is left: on the virtual clock, moved to each next
 * timer in turn. */
static void run(void)
{
    uint64_t ms;

    if (!vt)
        ck_assert_int_eq(rotor_loop_run(loop), 0);
    while (vt && rotor_loop_machines(loop) > 0 &&
           rotor_loop_next_timer(loop, &ms) == 1)
        rotor_test_advance(vt, ms);
    ck_assert_uint_eq(rotor_loop_errors(loop), 0);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}

static int to_self(rotor_scope *s, int event, uint32_t ms)
{
    return rotor_send_after(s, rotor_scope_self(s), event, NULL, ms);
}

/* Plans that end on e2 or on e3. */
static void stop_on_e2(struct delayer *d, rotor_scope *s, int kind)
{
    (void)d;
    if (kind == delayer_ev_e2)
        rotor_raise(s, delayer_ev_stop, NULL);
}

static void stop_on_e3(struct delayer *d, rotor_scope *s, int kind)
{
    (void)d;
    if (kind == delayer_ev_e3)
        rotor_raise(s, delayer_ev_stop, NULL);
}

/* ---- order ------------------------------------------------------------ */

static void by_deadline(struct delayer *d, rotor_scope *s)
{
    (void)d;
    ck_assert_int_gt(to_self(s, delayer_ev_e2, 40), 0);
    ck_assert_int_gt(to_self(s, delayer_ev_e1, 10), 0);
    ck_assert_int_gt(to_self(s, delayer_ev_e3, 0), 0);
}

START_TEST(delivered_by_deadline)
{
    struct delay_plan p = { by_deadline, stop_on_e2, NULL, "a", {0, 0} };

    spawn(&p);
    run();
    ck_assert_str_eq(log_buf, "a:e3 a:e1 a:e2 a:stop");
}
END_TEST

static void same_delay(struct delayer *d, rotor_scope *s)
{
    (void)d;
    for (int e = delayer_ev_e1; e <= delayer_ev_e3; e++)
        ck_assert_int_gt(to_self(s, e, 20), 0);
}

START_TEST(same_delay_in_order_sent)
{
    struct delay_plan p = { same_delay, stop_on_e3, NULL, "a", {0, 0} };

    spawn(&p);
    run();
    ck_assert_str_eq(log_buf, "a:e1 a:e2 a:e3 a:stop");
}
END_TEST

static long long sent_at, got_at;

static void send_30(struct delayer *d, rotor_scope *s)
{
    (void)d;
    sent_at = now_ms();
    ck_assert_int_gt(to_self(s, delayer_ev_e2, 30), 0);
}

static void note_arrival(struct delayer *d, rotor_scope *s, int kind)
{
    got_at = now_ms();
    stop_on_e2(d, s, kind);
}

START_TEST(never_early)
{
    struct delay_plan p = { send_30, note_arrival, NULL, "a", {0, 0} };

    spawn(&p);
    run();
    ck_assert_str_eq(log_buf, "a:e2 a:stop");
    ck_assert_int_ge(got_at - sent_at, 30);
}
END_TEST

/* A 0 ms send waits for the loop's next turn: raised and sent events
 * already queued come first. */
static void zero_behind_queue(struct delayer *d, rotor_scope *s)
{
    (void)d;
    ck_assert_int_gt(to_self(s, delayer_ev_e2, 0), 0);
    ck_assert_int_eq(rotor_raise(s, delayer_ev_e1, NULL), 0);
    ck_assert_int_eq(rotor_send(s, rotor_scope_self(s), delayer_ev_e3, NULL), 0);
}

START_TEST(zero_delay_behind_queued)
{
    struct delay_plan p = { zero_behind_queue, stop_on_e2, NULL, "a", {0, 0} };

    spawn(&p);
    run();
    ck_assert_str_eq(log_buf, "a:e1 a:e3 a:e2 a:stop");
}
END_TEST

/* ---- cancel ----------------------------------------------------------- */

static void send_and_cancel(struct delayer *d, rotor_scope *s)
{
    d->id[0] = to_self(s, delayer_ev_e1, 10);
    d->id[1] = to_self(s, delayer_ev_e2, 30);
    ck_assert_int_gt(d->id[0], 0);
    ck_assert_int_gt(d->id[1], d->id[0]);
    ck_assert_uint_eq(rotor_send_pending(s), 2);
    ck_assert_int_eq(rotor_send_cancel(s, d->id[0]), 0);
    ck_assert_uint_eq(rotor_send_pending(s), 1);
    ck_assert_int_eq(rotor_send_cancel(s, d->id[0]), ROTOR_ENOENT);
}

START_TEST(cancelled_never_delivered)
{
    struct delay_plan p = { send_and_cancel, stop_on_e2, NULL, "a", {0, 0} };

    spawn(&p);
    run();
    ck_assert_str_eq(log_buf, "a:e2 a:stop");
}
END_TEST

static int a_id;

static void a_sends(struct delayer *d, rotor_scope *s)
{
    (void)d;
    a_id = to_self(s, delayer_ev_e2, 20);
    ck_assert_int_gt(a_id, 0);
}

static void b_cancels(struct delayer *d, rotor_scope *s)
{
    (void)d;
    ck_assert_int_eq(rotor_send_cancel(s, a_id), ROTOR_ENOENT);
    ck_assert_int_eq(rotor_last_code(), ROTOR_ENOENT);
    rotor_raise(s, delayer_ev_stop, NULL);
}

START_TEST(cannot_cancel_anothers)
{
    struct delay_plan a = { a_sends, stop_on_e2, NULL, "a", {0, 0} };
    struct delay_plan b = { b_cancels, NULL, NULL, "b", {0, 0} };

    spawn(&a);
    spawn(&b);
    run();
    ck_assert_str_eq(log_buf, "b:stop a:e2 a:stop");
}
END_TEST

/* ---- dropped ---------------------------------------------------------- */

/* a sends e1 to its peer and ends at once; the peer waits past the
 * send's deadline (its own e2, due later) and must not get e1. */
static void send_to_peer_and_end(struct delayer *d, rotor_scope *s)
{
    ck_assert_int_gt(rotor_send_after(s, d->plan->peer, delayer_ev_e1, NULL,
                                      10), 0);
    rotor_raise(s, delayer_ev_stop, NULL);
}

static void wait_50(struct delayer *d, rotor_scope *s)
{
    (void)d;
    ck_assert_int_gt(to_self(s, delayer_ev_e2, 50), 0);
}

START_TEST(dropped_when_sender_ends)
{
    struct delay_plan b = { wait_50, stop_on_e2, NULL, "b", {0, 0} };
    struct delay_plan a = { send_to_peer_and_end, NULL, NULL, "a", {0, 0} };

    a.peer = spawn(&b);
    spawn(&a);
    run();
    ck_assert_str_eq(log_buf, "a:stop b:e2 b:stop");
}
END_TEST

/* a sends e1 to b and ends b; c takes b's slot; when a's e1 falls due
 * nobody gets it, and a then has nothing pending. */
static void a_sends_and_ends_b(struct delayer *d, rotor_scope *s)
{
    rotor_ref b = d->plan->peer;

    ck_assert_int_gt(rotor_send_after(s, b, delayer_ev_e1, NULL, 10), 0);
    ck_assert_int_eq(rotor_send(s, b, delayer_ev_stop, NULL), 0);
    ck_assert_int_gt(to_self(s, delayer_ev_e2, 50), 0);
}

static void a_checks(struct delayer *d, rotor_scope *s, int kind)
{
    if (kind == delayer_ev_e2)
        ck_assert_uint_eq(rotor_send_pending(s), 0);
    stop_on_e2(d, s, kind);
}

START_TEST(dropped_when_target_ended)
{
    struct delay_plan b = { NULL, NULL, NULL, "b", {0, 0} };
    struct delay_plan a = { a_sends_and_ends_b, a_checks, NULL, "a", {0, 0} };
    struct delay_plan c = { wait_50, stop_on_e2, NULL, "c", {0, 0} };

    a.peer = spawn(&b);
    spawn(&a);                      /* b has ended when this returns */
    ck_assert(!rotor_alive(loop, a.peer));
    rotor_ref rc = spawn(&c);
    ck_assert_uint_eq(rc.slot, a.peer.slot);    /* c lives in b's slot */
    run();
    ck_assert_ptr_null(strstr(log_buf, "c:e1"));
    ck_assert_ptr_nonnull(strstr(log_buf, "a:e2 a:stop"));
}
END_TEST

static void pending_forever(struct delayer *d, rotor_scope *s)
{
    ck_assert_int_gt(to_self(s, delayer_ev_e1, 100000), 0);
    ck_assert_int_gt(rotor_send_after(s, d->plan->peer, delayer_ev_e2, NULL,
                                      100000), 0);
    ck_assert_uint_eq(rotor_send_pending(s), 2);
}

START_TEST(freed_with_sends_pending)
{
    /* static: destroy reads them when teardown frees the loop */
    static struct delay_plan b = { NULL, NULL, NULL, "b", {0, 0} };
    static struct delay_plan a = { pending_forever, NULL, NULL, "a", {0, 0} };

    a.peer = spawn(&b);
    spawn(&a);
    ck_assert_uint_eq(rotor_loop_machines(loop), 2);
    /* teardown frees the loop: valgrind and ASan see nothing left */
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

static void bad_calls(struct delayer *d, rotor_scope *s)
{
    rotor_ref me = rotor_scope_self(s);

    (void)d;
    ck_assert_int_eq(rotor_send_after(s, me, ROTOR_EV_NONE, NULL, 1),
                     ROTOR_EINVAL);
    ck_assert_int_eq(rotor_send_after(s, me, ROTOR_EV_DESTROY, NULL, 1),
                     ROTOR_EINVAL);
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_send_after(s, ROTOR_REF_NONE, delayer_ev_e1, NULL,
                                      1), ROTOR_ENOENT);
    ck_assert_int_eq(rotor_send_cancel(s, 0), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_send_cancel(s, -3), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_send_cancel(s, 12345), ROTOR_ENOENT);
    ck_assert_uint_eq(rotor_send_pending(s), 0);
    rotor_raise(s, delayer_ev_stop, NULL);
}

static int from_destroy;

static void send_in_destroy(struct delayer *d, rotor_scope *s)
{
    (void)d;
    from_destroy = to_self(s, delayer_ev_e1, 1);
}

START_TEST(error_codes)
{
    struct delay_plan p = { bad_calls, NULL, send_in_destroy, "a", {0, 0} };

    spawn(&p);
    run();
    ck_assert_int_eq(from_destroy, ROTOR_ESHUTDOWN);
    ck_assert_str_eq(log_buf, "a:stop");
}
END_TEST

static Suite *delay_suite(void)
{
    Suite *s = suite_create("delay");
    TCase *tc = tcase_create("delay");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, delivered_by_deadline);
    tcase_add_test(tc, same_delay_in_order_sent);
    tcase_add_test(tc, zero_delay_behind_queued);
    tcase_add_test(tc, cancelled_never_delivered);
    tcase_add_test(tc, cannot_cancel_anothers);
    tcase_add_test(tc, dropped_when_sender_ends);
    tcase_add_test(tc, dropped_when_target_ended);
    tcase_add_test(tc, freed_with_sends_pending);
    tcase_add_test(tc, error_codes);
    suite_add_tcase(s, tc);
    tc = tcase_create("real");
    tcase_add_checked_fixture(tc, setup_real, teardown_real);
    tcase_add_test(tc, never_early);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(delay_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
