/*
 * test-notify.c: notifiers (machines/notify.rsm) from the loop's thread and
 * from others; notifiers outliving their machine and their loop; merging;
 * rotor_loop_stop_async; loops in several threads; the trace hook.
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
#include "machines/notify.h"

/* ---- the actions -------------------------------------------------------- */

void sleeper_create(struct sleeper *self, rotor_scope *s,
                    const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    self->rec->ref = rotor_scope_self(s);
    self->rec->n = rotor_notifier_new(s);
    ck_assert_ptr_nonnull(self->rec->n);
    if (self->rec->poke_in_create)
        sleeper_raise_poke(s);
}

void sleeper_destroy(struct sleeper *self, rotor_scope *s,
                     const rotor_event *ev)
{
    self->rec->destroyed++;
}

bool sleeper_enough(struct sleeper *self, rotor_scope *s,
                    const rotor_event *ev)
{
    return atomic_load(&self->rec->sent) >= self->rec->until;
}

void sleeper_woke(struct sleeper *self, rotor_scope *s, const rotor_event *ev)
{
    ck_assert_int_eq(rotor_event_kind(ev), ROTOR_EV_WAKEUP);
    ck_assert_ptr_null(rotor_event_data(ev));
    self->rec->wakeups++;
}

void sleeper_poke(struct sleeper *self, rotor_scope *s, const rotor_event *ev)
{
    self->rec->poke_result = rotor_notifier_notify(self->rec->n);
    /* Not delivered yet: run to completion. */
    ck_assert_int_eq(self->rec->wakeups, 0);
    if (self->rec->stop_on_poke)
        rotor_loop_stop(rotor_scope_loop(s));
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_loop *loop;

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
    loop = new_loop();
}

static void teardown(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

static rotor_ref spawn_sleeper(struct rotor_loop *l, struct sleep_rec *rec)
{
    rotor_ref r = rotor_spawn(l, &sleeper_machine, rec);
    ck_assert_uint_ne(r.gen, 0);
    return r;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- from another thread ------------------------------------------------ */

struct sender {
    struct rotor_notifier *n;
    struct sleep_rec *rec;
    int count, delay_ms;
    int results[3];             /* how many of 0, ROTOR_ESHUTDOWN, others */
};

static void *send_wakeups(void *arg)
{
    struct sender *snd = arg;

    if (snd->delay_ms)
        sleep_ms(snd->delay_ms);
    for (int i = 0; i < snd->count; i++) {
        if (snd->rec)
            atomic_fetch_add(&snd->rec->sent, 1);
        int r = rotor_notifier_notify(snd->n);
        snd->results[r == 0 ? 0 : r == ROTOR_ESHUTDOWN ? 1 : 2]++;
    }
    return NULL;
}

START_TEST(wakeup_from_thread)
{
    struct sleep_rec rec = { .until = 1 };
    spawn_sleeper(loop, &rec);
    struct sender snd = { rec.n, &rec, 1, 20, {0} };
    pthread_t t;
    pthread_create(&t, NULL, send_wakeups, &snd);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(snd.results[0], 1);
    ck_assert_int_eq(rec.wakeups, 1);
    ck_assert_int_eq(rec.destroyed, 1);
    /* The machine has ended: the notifier says so and does nothing. */
    ck_assert_int_eq(rotor_notifier_notify(rec.n), ROTOR_ENDED);
    ck_assert_int_eq(ROTOR_ENDED, ROTOR_ESHUTDOWN);     /* the 0.1 name */
    ck_assert_int_eq(rotor_last_code(), ROTOR_ESHUTDOWN);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "machine has ended"));
    rotor_notifier_free(rec.n);
}
END_TEST

/* Four threads, 10,000 wakeups each: merged, none lost at the end, and
 * what a thread wrote before notifying is visible to the machine. */
START_TEST(many_threads_merge)
{
    enum { THREADS = 4, EACH = 10000 };
    struct sleep_rec rec = { .until = THREADS * EACH };
    spawn_sleeper(loop, &rec);
    struct sender snd[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        snd[i] = (struct sender){ rec.n, &rec, EACH, 0, {0} };
        pthread_create(&t[i], NULL, send_wakeups, &snd[i]);
    }
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(snd[i].results[2], 0);
    }
    ck_assert_int_ge(rec.wakeups, 1);
    ck_assert_int_le(rec.wakeups, THREADS * EACH);
    ck_assert_int_eq(rec.destroyed, 1);
    rotor_notifier_free(rec.n);
}
END_TEST

/* ---- in the loop's thread ----------------------------------------------- */

static void spawn_poker(evutil_socket_t fd, short what, void *arg)
{
    struct sleep_rec *rec = arg;
    spawn_sleeper(rec->loop, rec);
}

/* A notify from an action goes straight to the loop's queue: it is
 * delivered before control goes back to libevent.  The loop stopped in
 * that same action still delivers it, which a round trip through the
 * wakeup descriptor (one more libevent turn) could not. */
START_TEST(notify_in_loop)
{
    struct sleep_rec rec = { .until = 0, .poke_in_create = true,
                             .stop_on_poke = true, .loop = loop };
    struct sleep_rec keeper = { .until = INT_MAX };
    spawn_sleeper(loop, &keeper);       /* keeps the loop from ending */
    struct event *tev = evtimer_new(rotor_loop_base(loop), spawn_poker, &rec);
    struct timeval tv = { 0, 1000 };
    evtimer_add(tev, &tv);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(rec.poke_result, 0);
    ck_assert_int_eq(rec.wakeups, 1);
    ck_assert_int_eq(rec.destroyed, 1);
    event_free(tev);
    rotor_notifier_free(rec.n);
    rotor_kill(loop, keeper.ref);
    rotor_notifier_free(keeper.n);
}
END_TEST

/* ---- ended machines, reused slots, freed loops -------------------------- */

START_TEST(ended_machine_and_reused_slot)
{
    struct sleep_rec a = { .until = 1 };
    rotor_ref ra = spawn_sleeper(loop, &a);
    ck_assert_int_eq(rotor_kill(loop, ra), 0);
    ck_assert_int_eq(a.destroyed, 1);
    /* b takes a's slot (free slots are reused last in, first out). */
    struct sleep_rec b = { .until = 0 };
    rotor_ref rb = spawn_sleeper(loop, &b);
    ck_assert_uint_eq(rb.slot, ra.slot);
    ck_assert_uint_ne(rb.gen, ra.gen);
    ck_assert_int_eq(rotor_notifier_notify(a.n), ROTOR_ENDED);
    /* From another thread too. */
    struct sender snd = { a.n, NULL, 3, 0, {0} };
    pthread_t t;
    pthread_create(&t, NULL, send_wakeups, &snd);
    pthread_join(t, NULL);
    ck_assert_int_eq(snd.results[1], 3);
    /* b is woken only by its own notifier. */
    ck_assert_int_eq(rotor_notifier_notify(b.n), 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_int_eq(b.wakeups, 1);
    rotor_notifier_free(a.n);
    rotor_notifier_free(b.n);
}
END_TEST

/* A wakeup on its way when the machine ends, and the slot is reused
 * before it arrives: the new occupant must not receive it. */
START_TEST(queued_wakeup_for_reused_slot)
{
    struct sleep_rec a = { .until = 1 };
    rotor_ref ra = spawn_sleeper(loop, &a);
    struct sender snd = { a.n, NULL, 1, 0, {0} };
    pthread_t t;
    pthread_create(&t, NULL, send_wakeups, &snd);
    pthread_join(t, NULL);
    ck_assert_int_eq(snd.results[0], 1);     /* queued */
    rotor_kill(loop, ra);
    struct sleep_rec b = { .until = 1 };
    rotor_ref rb = spawn_sleeper(loop, &b);
    ck_assert_uint_eq(rb.slot, ra.slot);
    /* Run until the queued wakeup has surely been taken, then stop. */
    struct sender stopper = { b.n, &b, 1, 50, {0} };
    b.until = 1;
    pthread_create(&t, NULL, send_wakeups, &stopper);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(a.wakeups, 0);
    ck_assert_int_eq(b.wakeups, 1);          /* its own only */
    rotor_notifier_free(a.n);
    rotor_notifier_free(b.n);
}
END_TEST

START_TEST(loop_freed)
{
    struct sleep_rec rec = { .until = INT_MAX };
    spawn_sleeper(loop, &rec);
    /* One wakeup waiting in the mailbox when the loop goes. */
    struct sender snd = { rec.n, NULL, 1, 0, {0} };
    pthread_t t;
    pthread_create(&t, NULL, send_wakeups, &snd);
    pthread_join(t, NULL);
    rotor_loop_free(loop);
    loop = NULL;
    ck_assert_int_eq(rec.destroyed, 1);
    ck_assert_int_eq(rotor_notifier_notify(rec.n), ROTOR_ESHUTDOWN);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "freed"));
    /* From another thread: fails the same way, never crashes. */
    snd = (struct sender){ rec.n, NULL, 5, 0, {0} };
    pthread_create(&t, NULL, send_wakeups, &snd);
    pthread_join(t, NULL);
    ck_assert_int_eq(snd.results[1], 5);
    ck_assert_int_eq(snd.results[2], 0);
    rotor_notifier_free(rec.n);
}
END_TEST

/* The notifier freed by another thread while its wakeup is queued. */
static void *notify_and_free(void *arg)
{
    struct rotor_notifier *n = arg;
    rotor_notifier_notify(n);
    rotor_notifier_free(n);
    return NULL;
}

START_TEST(free_while_queued)
{
    struct sleep_rec rec = { .until = 0 };
    spawn_sleeper(loop, &rec);
    pthread_t t;
    pthread_create(&t, NULL, notify_and_free, rec.n);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(rec.wakeups, 1);
}
END_TEST

/* ---- loops in threads --------------------------------------------------- */

static void *stop_later(void *arg)
{
    sleep_ms(30);
    rotor_loop_stop_async(arg);
    return NULL;
}

START_TEST(stop_async)
{
    struct sleep_rec rec = { .until = INT_MAX };
    spawn_sleeper(loop, &rec);
    pthread_t t;
    pthread_create(&t, NULL, stop_later, loop);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(rotor_loop_machines(loop), 1);
    rotor_kill(loop, rec.ref);          /* rec is ours: end it in scope */
    rotor_notifier_free(rec.n);
}
END_TEST

struct loop_thread {
    struct rotor_loop *loop;
    struct sleep_rec rec;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool ready;
    int rc;
};

/* A loop made, run and freed in its own thread. */
static void *run_own_loop(void *arg)
{
    struct loop_thread *lt = arg;
    lt->loop = new_loop();
    lt->rec.until = 3;
    spawn_sleeper(lt->loop, &lt->rec);
    pthread_mutex_lock(&lt->mu);
    lt->ready = true;
    pthread_cond_signal(&lt->cv);
    pthread_mutex_unlock(&lt->mu);
    lt->rc = rotor_loop_run(lt->loop);
    rotor_loop_free(lt->loop);
    return NULL;
}

START_TEST(loops_in_threads)
{
    enum { N = 4 };
    struct loop_thread lt[N];
    pthread_t t[N];
    memset(lt, 0, sizeof lt);
    for (int i = 0; i < N; i++) {
        pthread_mutex_init(&lt[i].mu, NULL);
        pthread_cond_init(&lt[i].cv, NULL);
        pthread_create(&t[i], NULL, run_own_loop, &lt[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_mutex_lock(&lt[i].mu);
        while (!lt[i].ready)
            pthread_cond_wait(&lt[i].cv, &lt[i].mu);
        pthread_mutex_unlock(&lt[i].mu);
    }
    /* Three rounds: each loop ends after its third wakeup was sent. */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            atomic_fetch_add(&lt[i].rec.sent, 1);
            ck_assert_int_eq(rotor_notifier_notify(lt[i].rec.n), 0);
        }
        sleep_ms(5);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(lt[i].rc, 0);
        ck_assert_int_eq(lt[i].rec.destroyed, 1);
        ck_assert_int_ge(lt[i].rec.wakeups, 1);
        /* The loop is gone now: the notifier fails cleanly. */
        ck_assert_int_eq(rotor_notifier_notify(lt[i].rec.n),
                         ROTOR_ESHUTDOWN);
        rotor_notifier_free(lt[i].rec.n);
        pthread_mutex_destroy(&lt[i].mu);
        pthread_cond_destroy(&lt[i].cv);
    }
}
END_TEST

/* ---- tracing ------------------------------------------------------------ */

struct trace_buf {
    char text[4096];
    int lines;
};

static void collect(void *arg, const char *line)
{
    struct trace_buf *tb = arg;
    size_t len = strlen(tb->text);
    snprintf(tb->text + len, sizeof tb->text - len, "%s\n", line);
    tb->lines++;
}

START_TEST(trace_hook)
{
    struct trace_buf tb = { "", 0 };
    rotor_loop_set_trace(loop, collect, &tb);
    struct sleep_rec rec = { .until = 0 };
    rotor_ref r = spawn_sleeper(loop, &rec);
    ck_assert_int_eq(rotor_notifier_notify(rec.n), 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    char want[128];
    snprintf(want, sizeof want, "[sleeper#%u.%u] spawned in waiting\n",
             (unsigned)r.slot, (unsigned)r.gen);
    ck_assert_ptr_nonnull(strstr(tb.text, want));
    snprintf(want, sizeof want, "[sleeper#%u.%u] waiting --wakeup--> done\n",
             (unsigned)r.slot, (unsigned)r.gen);
    ck_assert_ptr_nonnull(strstr(tb.text, want));
    ck_assert_int_eq(tb.lines, 2);
    /* Off again. */
    rotor_loop_set_trace(loop, NULL, NULL);
    struct sleep_rec rec2 = { .until = 0 };
    spawn_sleeper(loop, &rec2);
    ck_assert_int_eq(tb.lines, 2);
    rotor_kill(loop, rec2.ref);
    rotor_notifier_free(rec.n);
    rotor_notifier_free(rec2.n);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static Suite *suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("notify");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, wakeup_from_thread);
    tcase_add_test(tc, many_threads_merge);
    tcase_add_test(tc, notify_in_loop);
    tcase_add_test(tc, ended_machine_and_reused_slot);
    tcase_add_test(tc, queued_wakeup_for_reused_slot);
    tcase_add_test(tc, loop_freed);
    tcase_add_test(tc, free_while_queued);
    tcase_add_test(tc, stop_async);
    tcase_add_test(tc, loops_in_threads);
    tcase_add_test(tc, trace_hook);
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
