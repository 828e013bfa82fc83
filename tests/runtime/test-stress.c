/*
 * test-stress.c: 1,000,000 futures (ROTOR_STRESS_N to change) resolved by
 * 4 worker threads into one machine (machines/stress.rsm) that keeps a
 * window of them outstanding.  Every value must arrive exactly once (count
 * and sum); leaks are for LeakSanitizer or valgrind to find.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt-async.h"
#include "machines/stress.h"

#define WORKERS 4
#define BATCH 64

/* ---- the queue of promises for the workers ------------------------------ */

static void jq_init(struct job_queue *q)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
}

static void jq_fini(struct job_queue *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q->p);
    free(q->idx);
}

static void jq_grow(struct job_queue *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 1024;
    struct rotor_promise **p = malloc(ncap * sizeof *p);
    int *idx = malloc(ncap * sizeof *idx);
    ck_assert(p && idx);
    for (size_t i = 0; i < q->len; i++) {
        p[i] = q->p[(q->head + i) % q->cap];
        idx[i] = q->idx[(q->head + i) % q->cap];
    }
    free(q->p);
    free(q->idx);
    q->p = p;
    q->idx = idx;
    q->cap = ncap;
    q->head = 0;
}

static void jq_push(struct job_queue *q, struct rotor_promise *p, int idx)
{
    pthread_mutex_lock(&q->mu);
    if (q->len == q->cap)
        jq_grow(q);
    size_t at = (q->head + q->len) % q->cap;
    q->p[at] = p;
    q->idx[at] = idx;
    q->len++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* Up to max jobs; 0 when closed and empty. */
static size_t jq_pop(struct job_queue *q, struct rotor_promise **p, int *idx,
                     size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&q->mu);
    while (q->len == 0 && !q->closed)
        pthread_cond_wait(&q->cv, &q->mu);
    while (n < max && q->len > 0) {
        p[n] = q->p[q->head];
        idx[n] = q->idx[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        n++;
    }
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void jq_close(struct job_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void *worker(void *arg)
{
    struct job_queue *q = arg;
    struct rotor_promise *p[BATCH];
    int idx[BATCH];
    size_t n;

    while ((n = jq_pop(q, p, idx, BATCH)) > 0) {
        for (size_t i = 0; i < n; i++) {
            long *v = malloc(sizeof *v);
            *v = idx[i];
            if (rotor_promise_resolve(p[i], v, free) != 0)
                abort();
            rotor_promise_free(p[i]);
        }
    }
    return NULL;
}

/* ---- the collector's actions -------------------------------------------- */

static void make_one(struct stress_rec *rec, rotor_scope *s)
{
    struct rotor_future *f;
    struct rotor_promise *p;

    ck_assert_int_eq(rotor_future_new(s, 0, &f, &p), 0);
    jq_push(rec->q, p, (int)rec->made++);
}

void collector_create(struct collector *self, rotor_scope *s,
                      const rotor_event *ev)
{
    self->rec = rotor_event_data(ev);
    for (int i = 0; i < self->rec->window && self->rec->made <
         self->rec->total; i++)
        make_one(self->rec, s);
}

bool collector_last(struct collector *self, rotor_scope *s,
                    const rotor_event *ev)
{
    return self->rec->got + 1 >= self->rec->total;
}

void collector_got(struct collector *self, rotor_scope *s,
                   const rotor_event *ev)
{
    struct stress_rec *rec = self->rec;
    long *v = rotor_future_take(rotor_event_future(ev));

    rec->got++;
    if (!v) {
        rec->broken++;
    } else {
        rec->sum += *v;
        free(v);
    }
    if (rec->made < rec->total)
        make_one(rec, s);
}

/* ---- the test ----------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(million_from_four_threads)
{
    const char *env = getenv("ROTOR_STRESS_N");
    long total = env ? atol(env) : 1000000;
    struct job_queue q;
    struct stress_rec rec = { .total = total, .window = 4096, .q = &q };
    pthread_t t[WORKERS];

    jq_init(&q);
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, worker, &q);
    struct rotor_config cfg;
    rotor_config_init(&cfg);
    cfg.trace = 0;
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    ck_assert_ptr_nonnull(loop);
    double t0 = now_s();
    ck_assert_uint_ne(rotor_spawn(loop, &collector_machine, &rec).gen, 0);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    double dt = now_s() - t0;
    jq_close(&q);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    rotor_loop_free(loop);
    jq_fini(&q);

    ck_assert_int_eq(rec.made, total);
    ck_assert_int_eq(rec.got, total);
    ck_assert_int_eq(rec.broken, 0);
    ck_assert(rec.sum == (long long)total * (total - 1) / 2);
    printf("stress: %ld futures from %d threads in %.2f s (%.0f/s), "
           "none lost\n", total, WORKERS, dt, total / dt);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("stress");

    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, million_from_four_threads);
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
