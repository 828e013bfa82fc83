/*
 * test-compose.c: three machine types from three .rsm files in one loop,
 * sharing one context, passing values through futures and a worker thread
 * (see compose.h).  The fetcher and summer come from libcompose-parts; the
 * hub is here.  Then the same in four loops on four threads at once.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "machines/compose_fetch.h"   /* from libcompose-parts */
#include "machines/compose_hub.h"
#include "machines/compose_sum.h"     /* from libcompose-parts */

/* ---- the hub's actions -------------------------------------------------- */

void hub_create(struct hub *self, rotor_scope *s, const rotor_event *ev)
{
    struct rotor_loop *loop = rotor_scope_loop(s);
    struct rotor_future *f;
    struct rotor_promise *p;

    self->n = (int)(intptr_t)rotor_event_data(ev);
    ck_assert_int_eq(rotor_future_new(s, hub_fu_total, &f, &self->total), 0);
    self->summer = rotor_spawn(loop, &summer_machine, self->total);
    for (int i = 0; i < self->n; i++) {
        ck_assert_int_eq(rotor_future_new(s, hub_fu_part, &f, &p), 0);
        struct fetch_seed seed = { i + 1, p };
        self->fetchers[i] = rotor_spawn(loop, &fetcher_machine, &seed);
    }
}

bool hub_all_parts(struct hub *self, rotor_scope *s, const rotor_event *ev)
{
    return self->parts + 1 == self->n;
}

void hub_part(struct hub *self, rotor_scope *s, const rotor_event *ev)
{
    long *v = rotor_future_take(rotor_event_future(ev));

    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(rotor_event_tag(ev), hub_fu_part);
    self->parts++;
    /* A user event of another machine type, by reference. */
    ck_assert_int_eq(rotor_send(s, self->summer, summer_ev_add, v), 0);
}

void hub_finish(struct hub *self, rotor_scope *s, const rotor_event *ev)
{
    ck_assert_int_eq(rotor_send(s, self->summer, summer_ev_finish, NULL), 0);
}

void hub_total(struct hub *self, rotor_scope *s, const rotor_event *ev)
{
    struct compose_ctx *ctx = hub_context(s);
    long *v = rotor_future_take(rotor_event_future(ev));

    ck_assert_ptr_nonnull(v);
    ctx->total = *v;
    free(v);
    ctx->summer_alive_at_end = rotor_alive(rotor_scope_loop(s), self->summer);
    for (int i = 0; i < self->n; i++)
        ck_assert(!rotor_alive(rotor_scope_loop(s), self->fetchers[i]));
}

/* ---- one loop ----------------------------------------------------------- */

struct trace_buf {
    char text[65536];
    size_t len;
};

static void collect(void *arg, const char *line)
{
    struct trace_buf *tb = arg;
    int n = snprintf(tb->text + tb->len, sizeof tb->text - tb->len, "%s\n",
                     line);
    if (n > 0 && tb->len + (size_t)n < sizeof tb->text)
        tb->len += (size_t)n;
}

struct run {
    int n;
    struct trace_buf *trace;
    struct compose_ctx ctx;
    int rc;
    size_t left, errors;
};

static void *run_composition(void *arg)
{
    struct run *r = arg;
    pthread_t worker;
    struct rotor_config cfg;

    compose_ctx_init(&r->ctx);
    pthread_create(&worker, NULL, compose_worker, &r->ctx);
    rotor_config_init(&cfg);
    cfg.trace = 0;
    cfg.context = &r->ctx;
    struct rotor_loop *loop = rotor_loop_new(&cfg);
    if (r->trace)
        rotor_loop_set_trace(loop, collect, r->trace);
    rotor_spawn(loop, &hub_machine, (void *)(intptr_t)r->n);
    r->rc = rotor_loop_run(loop);
    r->left = rotor_loop_machines(loop);
    r->errors = rotor_loop_errors(loop);
    rotor_loop_free(loop);
    compose_ctx_close(&r->ctx);
    pthread_join(worker, NULL);
    pthread_mutex_destroy(&r->ctx.mu);
    pthread_cond_destroy(&r->ctx.cv);
    return NULL;
}

static void check_run(const struct run *r)
{
    long want = 0;
    for (long i = 1; i <= r->n; i++)
        want += i * i;
    ck_assert_int_eq(r->rc, 0);
    ck_assert_uint_eq(r->left, 0);
    ck_assert_uint_eq(r->errors, 0);
    ck_assert_int_eq(r->ctx.total, want);
    ck_assert_int_eq(r->ctx.worker_jobs, r->n);
    ck_assert_int_eq(r->ctx.fetchers_done, r->n);
    ck_assert_int_eq(r->ctx.summers_done, 1);
    ck_assert(!r->ctx.summer_alive_at_end);
}

START_TEST(three_types_one_loop)
{
    static struct trace_buf tb;
    struct run r = { .n = 10, .trace = &tb };

    tb.len = 0;
    tb.text[0] = '\0';
    run_composition(&r);
    check_run(&r);
    /* Every type was traced: spawns, futures, sends. */
    ck_assert_ptr_nonnull(strstr(tb.text, "] spawned in gathering"));
    ck_assert_ptr_nonnull(strstr(tb.text, "] spawned in adding"));
    ck_assert_ptr_nonnull(strstr(tb.text, "] spawned in asking"));
    ck_assert_ptr_nonnull(strstr(tb.text, "] asking --resolved--> done"));
    ck_assert_ptr_nonnull(strstr(tb.text, "] adding --add--> (internal)"));
    ck_assert_ptr_nonnull(strstr(tb.text, "] adding --finish--> done"));
    ck_assert_ptr_nonnull(
        strstr(tb.text, "] gathering --resolved--> totalling"));
    ck_assert_ptr_nonnull(strstr(tb.text, "] totalling --resolved--> done"));
}
END_TEST

START_TEST(four_loops_four_threads)
{
    enum { LOOPS = 4 };
    struct run r[LOOPS];
    pthread_t t[LOOPS];

    memset(r, 0, sizeof r);
    for (int i = 0; i < LOOPS; i++) {
        r[i].n = COMPOSE_MAX - i;
        pthread_create(&t[i], NULL, run_composition, &r[i]);
    }
    for (int i = 0; i < LOOPS; i++) {
        pthread_join(t[i], NULL);
        check_run(&r[i]);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compose");
    TCase *tc = tcase_create("compose");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, three_types_one_loop);
    tcase_add_test(tc, four_loops_four_threads);
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
