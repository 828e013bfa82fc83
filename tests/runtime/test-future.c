/*
 * test-future.c: futures and promises (machines/future.rsm) in the four
 * fates of a value: resolved and taken, resolved after the owner ended,
 * broken (promise dropped), resolved twice; from other threads, from the
 * loop's own actions, from another loop; loops freed under live handles.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "rt-async.h"
#include "machines/future.h"

/* ---- values ------------------------------------------------------------- */

static pthread_t main_thread;
static atomic_int freed_elsewhere;   /* destroyed outside the main thread */

struct val *val_new(int n, atomic_int *freed)
{
    struct val *v = malloc(sizeof *v);
    ck_assert_ptr_nonnull(v);
    v->n = n;
    v->freed = freed;
    return v;
}

void val_free(void *p)
{
    struct val *v = p;
    if (!pthread_equal(pthread_self(), main_thread))
        atomic_fetch_add(&freed_elsewhere, 1);
    atomic_fetch_add(v->freed, 1);
    free(v);
}

/* ---- the actions -------------------------------------------------------- */

void waiter_create(struct waiter *self, rotor_scope *s, const rotor_event *ev)
{
    struct wait_rec *rec = rotor_event_data(ev);
    struct rotor_future *f = NULL;
    struct rotor_promise *p = NULL;

    self->rec = rec;
    ck_assert_int_eq(rotor_future_new(s, -1, &f, &p), ROTOR_EINVAL);
    ck_assert_ptr_null(f);
    for (int i = 0; i < rec->nfut; i++) {
        ck_assert_int_eq(rotor_future_new(s, i, &rec->f[i], &rec->p[i]), 0);
        ck_assert_int_eq(rotor_future_tag(rec->f[i]), i);
        ck_assert(!rotor_future_ready(rec->f[i]));
        ck_assert(!rotor_future_broken(rec->f[i]));
    }
    if (rec->drop_first)
        rotor_future_free(rec->f[0]);
    if (rec->self_in_create)
        waiter_raise_resolve_self(s);
}

void waiter_destroy(struct waiter *self, rotor_scope *s,
                    const rotor_event *ev)
{
    self->rec->destroyed++;
}

bool waiter_last(struct waiter *self, rotor_scope *s, const rotor_event *ev)
{
    return self->rec->got + 1 >= self->rec->until;
}

void waiter_got(struct waiter *self, rotor_scope *s, const rotor_event *ev)
{
    struct wait_rec *rec = self->rec;
    struct rotor_future *f = rotor_event_future(ev);
    int i = rec->got++;

    ck_assert_int_lt(i, WAIT_MAX);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_eq(rotor_event_data(ev), f);
    rec->tags[i] = rotor_event_tag(ev);
    ck_assert_int_eq(rotor_future_tag(f), rec->tags[i]);
    if (rotor_future_broken(f)) {
        ck_assert(!rotor_future_ready(f));
        ck_assert_ptr_null(rotor_future_take(f));
        rec->values[i] = -1;
    } else if (rec->take) {
        ck_assert(rotor_future_ready(f));
        struct val *v = rotor_future_take(f);
        ck_assert_ptr_nonnull(v);
        ck_assert_ptr_null(rotor_future_take(f));   /* taken once */
        rec->values[i] = v->n;
        free(v);                /* ours now: not counted as destroyed */
    } else {
        rec->values[i] = -2;    /* left for the runtime to destroy */
    }
}

void waiter_resolve_self(struct waiter *self, rotor_scope *s,
                         const rotor_event *ev)
{
    struct wait_rec *rec = self->rec;
    struct rotor_promise *p = rec->foreign ? rec->foreign : rec->p[0];

    rec->self_result = rotor_promise_resolve(
        p, val_new(rec->self_value, rec->freed), val_free);
    ck_assert_int_eq(rec->got, 0);      /* run to completion */
    if (rec->kill_after_self)
        rotor_kill(rotor_scope_loop(s), rotor_scope_self(s));
    if (rec->stop_after_self)
        rotor_loop_stop(rotor_scope_loop(s));
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_loop *loop;
static atomic_int freed;

static struct rotor_loop *new_loop(void)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = 0;
    struct rotor_loop *l = rotor_loop_new(&cfg);
    ck_assert_ptr_nonnull(l);
    return l;
}

static void setup(void)
{
    main_thread = pthread_self();
    atomic_store(&freed, 0);
    atomic_store(&freed_elsewhere, 0);
    loop = new_loop();
}

static void teardown(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

static rotor_ref spawn_waiter(struct rotor_loop *l, struct wait_rec *rec)
{
    rec->freed = &freed;
    rec->loop = l;
    rotor_ref r = rotor_spawn(l, &waiter_machine, rec);
    ck_assert_uint_ne(r.gen, 0);
    return r;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A thread that resolves (value >= 0) or drops (value == -1) promises, in
 * order, then frees them all. */
struct resolver {
    struct rotor_promise *p[WAIT_MAX];
    int value[WAIT_MAX];
    int n, delay_ms;
    int result[WAIT_MAX];
};

static void *resolve_all(void *arg)
{
    struct resolver *r = arg;

    if (r->delay_ms)
        sleep_ms(r->delay_ms);
    for (int i = 0; i < r->n; i++) {
        if (r->value[i] >= 0)
            r->result[i] = rotor_promise_resolve(
                r->p[i], val_new(r->value[i], &freed), val_free);
        else
            rotor_promise_free(r->p[i]);
    }
    for (int i = 0; i < r->n; i++) {
        if (r->value[i] >= 0)
            rotor_promise_free(r->p[i]);
    }
    return NULL;
}

static void run_resolver(struct resolver *r)
{
    pthread_t t;
    pthread_create(&t, NULL, resolve_all, r);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    pthread_join(t, NULL);
}

/* ---- fate 1: resolved, the owner takes the value ------------------------ */

START_TEST(resolved_from_thread)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = true };
    spawn_waiter(loop, &rec);
    struct resolver r = { { rec.p[0] }, { 42 }, 1, 10, {0} };
    run_resolver(&r);
    ck_assert_int_eq(r.result[0], 0);
    ck_assert_int_eq(rec.got, 1);
    ck_assert_int_eq(rec.tags[0], 0);
    ck_assert_int_eq(rec.values[0], 42);
    ck_assert_int_eq(rec.destroyed, 1);
    ck_assert_int_eq(atomic_load(&freed), 0);    /* the owner took it */
}
END_TEST

/* Three futures, told apart by their tags; one promise dropped. */
START_TEST(tags_and_broken)
{
    struct wait_rec rec = { .nfut = 3, .until = 3, .take = true };
    spawn_waiter(loop, &rec);
    struct resolver r = { { rec.p[2], rec.p[0], rec.p[1] },
                          { 20, 0, -1 }, 3, 0, {0} };
    run_resolver(&r);
    ck_assert_int_eq(rec.got, 3);
    ck_assert_int_eq(rec.tags[0], 2);
    ck_assert_int_eq(rec.values[0], 20);
    ck_assert_int_eq(rec.tags[1], 0);
    ck_assert_int_eq(rec.values[1], 0);
    ck_assert_int_eq(rec.tags[2], 1);
    ck_assert_int_eq(rec.values[2], -1);         /* broken */
    ck_assert_int_eq(atomic_load(&freed), 0);
}
END_TEST

/* A value the owner does not take is destroyed after the dispatch, in the
 * loop's thread. */
START_TEST(value_not_taken)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = false };
    spawn_waiter(loop, &rec);
    struct resolver r = { { rec.p[0] }, { 7 }, 1, 0, {0} };
    run_resolver(&r);
    ck_assert_int_eq(rec.values[0], -2);
    ck_assert_int_eq(atomic_load(&freed), 1);
    ck_assert_int_eq(atomic_load(&freed_elsewhere), 0);
}
END_TEST

/* ---- fate 2: the owner ended before the value arrived -------------------- */

START_TEST(owner_ended_first)
{
    struct wait_rec gone = { .nfut = 1, .until = 1, .take = true };
    rotor_ref r_gone = spawn_waiter(loop, &gone);
    struct wait_rec last = { .nfut = 1, .until = 1, .take = true };
    spawn_waiter(loop, &last);
    ck_assert_int_eq(rotor_kill(loop, r_gone), 0);
    ck_assert_int_eq(gone.destroyed, 1);
    /* gone's value first, then last's, which ends the run. */
    struct resolver r = { { gone.p[0], last.p[0] }, { 1, 2 }, 2, 0, {0} };
    run_resolver(&r);
    ck_assert_int_eq(r.result[0], 0);
    ck_assert_int_eq(gone.got, 0);
    ck_assert_int_eq(last.values[0], 2);
    ck_assert_int_eq(atomic_load(&freed), 1);            /* gone's value */
    ck_assert_int_eq(atomic_load(&freed_elsewhere), 0);  /* in the loop */
}
END_TEST

/* The owner gave the future up: a later value is destroyed, no event. */
START_TEST(future_freed_by_owner)
{
    struct wait_rec rec = { .nfut = 2, .until = 1, .take = true,
                            .drop_first = true };
    spawn_waiter(loop, &rec);
    struct resolver r = { { rec.p[0], rec.p[1] }, { 5, 6 }, 2, 0, {0} };
    run_resolver(&r);
    ck_assert_int_eq(rec.got, 1);
    ck_assert_int_eq(rec.tags[0], 1);
    ck_assert_int_eq(rec.values[0], 6);
    ck_assert_int_eq(atomic_load(&freed), 1);
    ck_assert_int_eq(atomic_load(&freed_elsewhere), 0);
}
END_TEST

/* The loop is gone: resolving destroys the value at once and says so;
 * dropping an unresolved promise is harmless. */
START_TEST(loop_freed_first)
{
    struct wait_rec rec = { .nfut = 3, .until = 3, .take = true };
    spawn_waiter(loop, &rec);
    /* One value waiting in the mailbox when the loop goes. */
    struct val *v = val_new(1, &freed);
    ck_assert_int_eq(rotor_promise_resolve(rec.p[0], v, val_free), 0);
    rotor_loop_free(loop);
    loop = NULL;
    ck_assert_int_eq(rec.destroyed, 1);
    ck_assert_int_eq(atomic_load(&freed), 1);
    ck_assert_int_eq(rotor_promise_resolve(rec.p[1], val_new(2, &freed),
                                           val_free), ROTOR_ESHUTDOWN);
    ck_assert_int_eq(atomic_load(&freed), 2);
    /* Already resolved: refused even now. */
    v = val_new(3, &freed);
    ck_assert_int_eq(rotor_promise_resolve(rec.p[0], v, val_free),
                     ROTOR_EEXIST);
    free(v);
    for (int i = 0; i < 3; i++)
        rotor_promise_free(rec.p[i]);
    ck_assert_int_eq(atomic_load(&freed), 2);
}
END_TEST

/* ---- fate 3: broken ---------------------------------------------------- */

START_TEST(broken_from_thread)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = true };
    spawn_waiter(loop, &rec);
    struct resolver r = { { rec.p[0] }, { -1 }, 1, 10, {0} };
    run_resolver(&r);
    ck_assert_int_eq(rec.got, 1);
    ck_assert_int_eq(rec.values[0], -1);
    ck_assert_int_eq(atomic_load(&freed), 0);
}
END_TEST

/* ---- fate 4: resolved twice --------------------------------------------- */

static void *resolve_twice(void *arg)
{
    struct resolver *r = arg;
    struct val *second = val_new(99, &freed);

    r->result[0] = rotor_promise_resolve(r->p[0], val_new(1, &freed),
                                         val_free);
    r->result[1] = rotor_promise_resolve(r->p[0], second, val_free);
    if (r->result[1] < 0 && strstr(rotor_last_error(), "already"))
        r->result[2] = 1;
    free(second);               /* refused: still ours */
    rotor_promise_free(r->p[0]);
    return NULL;
}

START_TEST(resolved_twice)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = true };
    spawn_waiter(loop, &rec);
    struct resolver r = { { rec.p[0] }, { 0 }, 1, 0, {0} };
    pthread_t t;
    pthread_create(&t, NULL, resolve_twice, &r);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(r.result[0], 0);
    ck_assert_int_eq(r.result[1], ROTOR_EEXIST);
    ck_assert_int_eq(r.result[2], 1);
    ck_assert_int_eq(rec.got, 1);
    ck_assert_int_eq(rec.values[0], 1);
    ck_assert_int_eq(atomic_load(&freed), 0);
}
END_TEST

/* ---- in the loop's own thread ------------------------------------------- */

static void spawn_later(evutil_socket_t fd, short what, void *arg)
{
    struct wait_rec *rec = arg;
    spawn_waiter(rec->loop, rec);
}

/* Spawns the waiter from a timer, inside rotor_loop_run(); a keeper
 * machine keeps the loop running until the waiter stops it. */
static void run_with_timer_spawn(struct wait_rec *rec)
{
    struct wait_rec keeper = { .nfut = 1, .until = 1 };
    rotor_ref kr = spawn_waiter(loop, &keeper);
    rec->freed = &freed;
    rec->loop = loop;
    struct event *tev = evtimer_new(rotor_loop_base(loop), spawn_later, rec);
    struct timeval tv = { 0, 1000 };
    evtimer_add(tev, &tv);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    event_free(tev);
    rotor_kill(loop, kr);               /* keeper is ours: end it in scope */
    rotor_promise_free(keeper.p[0]);
}

/* Resolved from an action: delivered before control goes back to
 * libevent (the loop stopped in that action still delivers it). */
START_TEST(resolved_in_loop)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = true,
                            .self_in_create = true, .self_value = 11,
                            .stop_after_self = true };
    run_with_timer_spawn(&rec);
    ck_assert_int_eq(rec.self_result, 0);
    ck_assert_int_eq(rec.got, 1);
    ck_assert_int_eq(rec.values[0], 11);
    ck_assert_int_eq(rec.destroyed, 1);
    rotor_promise_free(rec.p[0]);
    ck_assert_int_eq(atomic_load(&freed), 0);
}
END_TEST

/* Resolved from an action, then the owner ends in the same action: the
 * queued value is destroyed. */
START_TEST(resolved_in_loop_owner_ends)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = true,
                            .self_in_create = true, .self_value = 12,
                            .kill_after_self = true, .stop_after_self = true };
    run_with_timer_spawn(&rec);
    ck_assert_int_eq(rec.self_result, 0);
    ck_assert_int_eq(rec.got, 0);
    ck_assert_int_eq(rec.destroyed, 1);
    ck_assert_int_eq(atomic_load(&freed), 1);
    rotor_promise_free(rec.p[0]);
}
END_TEST

/* Dropped from an action, in the loop: broken, delivered. */
START_TEST(broken_in_loop)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = true };
    spawn_waiter(loop, &rec);
    rotor_promise_free(rec.p[0]);       /* not running: via the mailbox */
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(rec.values[0], -1);
}
END_TEST

/* ---- from another loop in another thread -------------------------------- */

static void *other_loop(void *arg)
{
    struct wait_rec *sender = arg;
    struct rotor_loop *l = new_loop();
    spawn_waiter(l, sender);    /* resolves the foreign promise, ends */
    rotor_loop_run(l);
    rotor_loop_free(l);
    return NULL;
}

START_TEST(resolved_from_other_loop)
{
    struct wait_rec rec = { .nfut = 1, .until = 1, .take = true };
    spawn_waiter(loop, &rec);
    struct wait_rec sender = { .nfut = 0, .self_in_create = true,
                               .self_value = 77, .foreign = rec.p[0],
                               .kill_after_self = true };
    pthread_t t;
    pthread_create(&t, NULL, other_loop, &sender);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(sender.self_result, 0);
    ck_assert_int_eq(sender.destroyed, 1);
    ck_assert_int_eq(rec.values[0], 77);
    rotor_promise_free(rec.p[0]);
    ck_assert_int_eq(atomic_load(&freed), 0);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static Suite *suite(void)
{
    Suite *s = suite_create("future");
    TCase *tc = tcase_create("future");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, resolved_from_thread);
    tcase_add_test(tc, tags_and_broken);
    tcase_add_test(tc, value_not_taken);
    tcase_add_test(tc, owner_ended_first);
    tcase_add_test(tc, future_freed_by_owner);
    tcase_add_test(tc, loop_freed_first);
    tcase_add_test(tc, broken_from_thread);
    tcase_add_test(tc, resolved_twice);
    tcase_add_test(tc, resolved_in_loop);
    tcase_add_test(tc, resolved_in_loop_owner_ends);
    tcase_add_test(tc, broken_in_loop);
    tcase_add_test(tc, resolved_from_other_loop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
