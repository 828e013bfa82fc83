/*
 * test-table.c: the machine table (references, reuse, growth, a full
 * table), rotor_send and rotor_kill, with the machines of
 * machines/peers.rsm.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt-test.h"
#include "machines/peers.h"

/* ---- the actions -------------------------------------------------------- */

void peer_create(struct peer *self, rotor_scope *s, const rotor_event *ev)
{
    struct peer_seed *seed = rotor_event_data(ev);

    self->seed = seed;
    rt_log("create:%s", seed->name);
    if (rotor_ref_valid(seed->send_to))
        seed->send_result = rotor_send(s, seed->send_to, peer_ev_ping,
                                       (void *)seed->name);
    if (rotor_ref_valid(seed->kill))
        seed->kill_result = rotor_kill(rotor_scope_loop(s), seed->kill);
    for (int i = 0; i < seed->nraise; i++)
        seed->raise_result[i] = rotor_raise(s, seed->raise[i], NULL);
}

void peer_destroy(struct peer *self, rotor_scope *s, const rotor_event *ev)
{
    self->seed->destroyed++;
    rt_log("destroy:%s", self->seed->name);
}

void peer_ping(struct peer *self, rotor_scope *s, const rotor_event *ev)
{
    rt_log("ping:%s<-%s", self->seed->name, (char *)rotor_event_data(ev));
    if (rotor_ref_valid(self->seed->post_to)) {
        ck_assert_int_eq(rotor_post(rotor_scope_loop(s), self->seed->post_to,
                                    peer_ev_ping, (void *)self->seed->name), 0);
        rt_log("posted:%s", self->seed->name);
    }
}

void peer_kill_self(struct peer *self, rotor_scope *s, const rotor_event *ev)
{
    struct rotor_loop *loop = rotor_scope_loop(s);

    ck_assert_int_eq(rotor_kill(loop, rotor_scope_self(s)), 0);
    /* Still running: the end waits for this transition to complete. */
    ck_assert_int_eq(self->seed->destroyed, 0);
    rt_log("kill_self:%s", self->seed->name);
}

void spawner_create(struct spawner *self, rotor_scope *s,
                    const rotor_event *ev)
{
    struct spawner_seed *seed = rotor_event_data(ev);

    self->seed = seed;
    for (int i = 0; i < seed->n; i++) {
        rotor_ref r = rotor_spawn(rotor_scope_loop(s), &peer_machine,
                                  &seed->children[i]);
        rt_log("%s:%s", r.gen ? "spawned" : "failed", seed->children[i].name);
    }
}

void spawner_failed(struct spawner *self, rotor_scope *s,
                    const rotor_event *ev)
{
    struct peer_seed *child = rotor_event_data(ev);

    ck_assert_int_eq(rotor_event_kind(ev), ROTOR_EV_SPAWN_FAILED);
    rt_log("spawn_failed:%s", child->name);
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_loop *loop;

static void make_loop(size_t max)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = 0;
    if (max)
        cfg.max_machines = max;
    loop = rotor_loop_new(&cfg);
    ck_assert_ptr_nonnull(loop);
}

static void setup(void)
{
    rt_log_reset();
    make_loop(0);
}

static void teardown(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

/* Frees the loop inside the test: machines still alive run `destroy`,
 * which must see the test's seeds while they are still in scope. */
static void free_loop(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

static rotor_ref spawn_peer(struct peer_seed *seed)
{
    rotor_ref r = rotor_spawn(loop, &peer_machine, seed);
    ck_assert_uint_ne(r.gen, 0);
    return r;
}

/* ---- references --------------------------------------------------------- */

START_TEST(stale_ref_refused_after_reuse)
{
    struct peer_seed a = {.name = "A"}, b = {.name = "B"};
    rotor_ref ra = spawn_peer(&a);

    ck_assert_int_eq(rotor_kill(loop, ra), 0);
    ck_assert_int_eq(a.destroyed, 1);
    rotor_ref rb = spawn_peer(&b);
    ck_assert_uint_eq(rb.slot, ra.slot);        /* the slot is reused... */
    ck_assert_uint_ne(rb.gen, ra.gen);          /* ...in a new generation */
    ck_assert(!rotor_alive(loop, ra));
    ck_assert(rotor_alive(loop, rb));
    ck_assert_int_eq(rotor_kill(loop, ra), ROTOR_ENOENT);
    ck_assert(rotor_alive(loop, rb));

    struct peer_seed c = {.name = "C", .send_to = ra};
    spawn_peer(&c);
    ck_assert_int_eq(c.send_result, ROTOR_ENOENT);
    ck_assert_str_eq(rt_log_buf, "create:A destroy:A create:B create:C");
    free_loop();
    ck_assert_int_eq(b.destroyed, 1);
    ck_assert_int_eq(c.destroyed, 1);
}
END_TEST

START_TEST(none_and_foreign_refs_refused)
{
    ck_assert(!rotor_alive(loop, ROTOR_REF_NONE));
    ck_assert(!rotor_alive(loop, (rotor_ref){5000, 1}));
    ck_assert(!rotor_alive(loop, (rotor_ref){0, 1}));
    ck_assert_int_eq(rotor_kill(loop, ROTOR_REF_NONE), ROTOR_ENOENT);
    ck_assert_int_eq(rotor_last_code(), ROTOR_ENOENT);
    ck_assert_str_ne(rotor_last_error(), "");
    ck_assert(!rotor_ref_valid(ROTOR_REF_NONE));
    ck_assert(rotor_ref_valid((rotor_ref){0, 1}));
}
END_TEST

START_TEST(table_grows_on_demand)
{
    enum { N = 1000 };
    static struct peer_seed seeds[N];
    static rotor_ref refs[N];

    for (int i = 0; i < N; i++) {
        seeds[i].name = "p";
        refs[i] = spawn_peer(&seeds[i]);
    }
    ck_assert_uint_eq(rotor_loop_machines(loop), N);
    /* Counted, then asserted once: Check reports every assertion to its
     * parent process, and half a million of them took over ten seconds
     * on a loaded machine. */
    int dead = 0, shared = 0;
    for (int i = 0; i < N; i++) {
        dead += !rotor_alive(loop, refs[i]);
        for (int j = 0; j < i; j++)
            shared += refs[i].slot == refs[j].slot;
    }
    ck_assert_int_eq(dead, 0);
    ck_assert_int_eq(shared, 0);
    rotor_loop_free(loop);
    loop = NULL;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(seeds[i].destroyed, 1);
}
END_TEST

START_TEST(full_table_fails_spawn_from_main)
{
    static struct peer_seed seeds[101];

    rotor_loop_free(loop);
    make_loop(100);
    for (int i = 0; i < 100; i++) {
        seeds[i].name = "p";
        spawn_peer(&seeds[i]);
    }
    seeds[100].name = "late";
    rotor_ref r = rotor_spawn(loop, &peer_machine, &seeds[100]);
    ck_assert(!rotor_ref_valid(r));
    ck_assert_int_eq(rotor_last_code(), ROTOR_ENOSPC);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "full"));
    ck_assert_uint_eq(rotor_loop_machines(loop), 100);
    /* One ends: its slot takes the next machine. */
    ck_assert_int_eq(rotor_kill(loop, (rotor_ref){7, 1}), 0);
    spawn_peer(&seeds[100]);
    ck_assert_uint_eq(rotor_loop_machines(loop), 100);
}
END_TEST

START_TEST(full_table_sends_spawn_failed_to_spawner)
{
    struct peer_seed kids[3] = {{.name = "A"}, {.name = "B"}, {.name = "C"}};
    struct spawner_seed sp = {kids, 3};

    rotor_loop_free(loop);
    make_loop(3);
    rotor_ref r = rotor_spawn(loop, &spawner_machine, &sp);
    ck_assert_uint_ne(r.gen, 0);
    /* create of each child runs inside rotor_spawn; C does not fit; the
     * spawner learns it once its own create is over, and ends. */
    ck_assert_str_eq(rt_log_buf, "create:A spawned:A create:B spawned:B "
                                 "failed:C spawn_failed:C");
    ck_assert(!rotor_alive(loop, r));
    ck_assert_uint_eq(rotor_loop_machines(loop), 2);
    rotor_loop_free(loop);
    loop = NULL;
    ck_assert_int_eq(kids[0].destroyed, 1);
    ck_assert_int_eq(kids[1].destroyed, 1);
    ck_assert_int_eq(kids[2].destroyed, 0);
}
END_TEST

/* ---- send and kill ------------------------------------------------------ */

START_TEST(send_to_another_machine)
{
    struct peer_seed b = {.name = "B"};
    rotor_ref rb = spawn_peer(&b);
    struct peer_seed a = {.name = "A", .send_to = rb};

    spawn_peer(&a);
    ck_assert_int_eq(a.send_result, 0);
    ck_assert_str_eq(rt_log_buf, "create:B create:A ping:B<-A");
    free_loop();
}
END_TEST

/* rotor_post: at once from outside the machines, queued from an action. */
START_TEST(post_from_outside_and_from_an_action)
{
    struct peer_seed b = {.name = "B"};
    rotor_ref rb = spawn_peer(&b);
    struct peer_seed a = {.name = "A", .post_to = rb};
    rotor_ref ra = spawn_peer(&a);

    ck_assert_int_eq(rotor_post(loop, ra, peer_ev_ping, "main"), 0);
    /* A's ping ran before rotor_post returned; its post to B waited for
     * A's step to end. */
    ck_assert_str_eq(rt_log_buf, "create:B create:A ping:A<-main posted:A "
                                 "ping:B<-A");
    ck_assert_int_eq(rotor_post(loop, ROTOR_REF_NONE, peer_ev_ping, "x"),
                     ROTOR_ENOENT);
    ck_assert_int_eq(rotor_post(loop, ra, ROTOR_EV_TIMEOUT, "x"), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_post(NULL, ra, peer_ev_ping, "x"), ROTOR_EINVAL);
    free_loop();
}
END_TEST

START_TEST(send_to_dead_ref_refused)
{
    struct peer_seed b = {.name = "B", .raise = {peer_ev_quit}, .nraise = 1};
    rotor_ref rb = spawn_peer(&b);
    struct peer_seed a = {.name = "A", .send_to = rb};

    ck_assert(!rotor_alive(loop, rb));
    spawn_peer(&a);
    ck_assert_int_eq(a.send_result, ROTOR_ENOENT);
    ck_assert_str_eq(rt_log_buf, "create:B destroy:B create:A");
    free_loop();
}
END_TEST

START_TEST(queued_events_of_killed_machine_dropped)
{
    /* A sends B a ping, then kills B: the ping is never delivered. */
    struct peer_seed b = {.name = "B"};
    rotor_ref rb = spawn_peer(&b);
    struct peer_seed a = {.name = "A", .send_to = rb, .kill = rb};

    spawn_peer(&a);
    ck_assert_int_eq(a.send_result, 0);
    ck_assert_int_eq(a.kill_result, 0);
    ck_assert_str_eq(rt_log_buf, "create:B create:A destroy:B");
    ck_assert_int_eq(b.destroyed, 1);
    free_loop();
    ck_assert_int_eq(a.destroyed, 1);
}
END_TEST

START_TEST(events_after_done_dropped)
{
    struct peer_seed a = {.name = "A",
                          .raise = {peer_ev_quit, peer_ev_ping, peer_ev_quit},
                          .nraise = 3};

    spawn_peer(&a);
    ck_assert_str_eq(rt_log_buf, "create:A destroy:A");
    ck_assert_int_eq(a.destroyed, 1);
}
END_TEST

START_TEST(kill_self_from_action_waits)
{
    struct peer_seed a = {.name = "A", .raise = {peer_ev_kill_self,
                                                 peer_ev_quit},
                          .nraise = 2};

    spawn_peer(&a);
    ck_assert_str_eq(rt_log_buf, "create:A kill_self:A destroy:A");
    ck_assert_int_eq(a.destroyed, 1);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
    ck_assert_uint_eq(rotor_loop_errors(loop), 0);
}
END_TEST

START_TEST(kill_self_in_create)
{
    struct peer_seed a = {.name = "A"};

    a.kill = (rotor_ref){0, 1};   /* A's own reference in a new loop */
    rotor_ref r = rotor_spawn(loop, &peer_machine, &a);
    ck_assert_uint_eq(r.slot, 0);
    ck_assert_int_eq(a.kill_result, 0);
    ck_assert_int_eq(a.destroyed, 1);
    ck_assert(!rotor_alive(loop, r));
    ck_assert_str_eq(rt_log_buf, "create:A destroy:A");
}
END_TEST

/* ---- the error convention, on bad arguments ----------------------------- */

START_TEST(raise_refuses_builtin_and_negative_events)
{
    struct peer_seed a = {.name = "A",
                          .raise = {ROTOR_EV_CREATE, ROTOR_EV_DESTROY, -5,
                                    peer_ev_quit},
                          .nraise = 4};

    spawn_peer(&a);
    ck_assert_int_eq(a.raise_result[0], ROTOR_EINVAL);
    ck_assert_int_eq(a.raise_result[1], ROTOR_EINVAL);
    ck_assert_int_eq(a.raise_result[2], ROTOR_EINVAL);
    ck_assert_int_eq(a.raise_result[3], 0);
    ck_assert_str_eq(rt_log_buf, "create:A destroy:A");
}
END_TEST

/* Each call names its bad argument with ROTOR_EINVAL, where it used to
 * crash: codes compared one by one, and rotor_last_code() agrees. */
#define CK_EINVAL(call)                                                 \
    do {                                                                \
        ck_assert_int_eq((call), ROTOR_EINVAL);                         \
        ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);              \
    } while (0)

START_TEST(null_arguments_are_errors)
{
    CK_EINVAL(rotor_config_init(NULL));
    CK_EINVAL(rotor_loop_run(NULL));
    CK_EINVAL(rotor_loop_stop(NULL));
    CK_EINVAL(rotor_loop_stop_async(NULL));
    CK_EINVAL(rotor_loop_set_trace(NULL, NULL, NULL));
    CK_EINVAL(rotor_kill(NULL, (rotor_ref){0, 1}));
    CK_EINVAL(rotor_notifier_notify(NULL));
    CK_EINVAL(rotor_promise_resolve(NULL, NULL, NULL));
    CK_EINVAL(rotor_future_tag(NULL));
    CK_EINVAL(rotor_future_new(NULL, 0, NULL, NULL));

    struct peer_seed a = {.name = "A"};
    ck_assert(!rotor_ref_valid(rotor_spawn(NULL, &peer_machine, &a)));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert_int_eq(a.destroyed, 0);
    ck_assert_ptr_null(rotor_loop_base(NULL));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert_uint_eq(rotor_loop_machines(NULL), 0);
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert_ptr_null(rotor_future_take(NULL));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert(!rotor_alive(NULL, (rotor_ref){0, 1}));
    ck_assert(!rotor_future_ready(NULL));
    ck_assert(!rotor_future_broken(NULL));
    ck_assert_str_eq(rotor_strerror(ROTOR_EINVAL), strerror(EINVAL));
    ck_assert_str_eq(rotor_strerror(ROTOR_ERESOLVE), "host name not found");
}
END_TEST

START_TEST(spawn_codes)
{
    struct rotor_machine_type bad = peer_machine;
    struct peer_seed a = {.name = "A"};

    bad.abi = ROTOR_MACHINE_ABI + 1;
    ck_assert(!rotor_ref_valid(rotor_spawn(loop, &bad, &a)));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    bad = peer_machine;
    bad.kind = 99;
    ck_assert(!rotor_ref_valid(rotor_spawn(loop, &bad, &a)));
    ck_assert_int_eq(rotor_last_code(), ROTOR_ENOTSUP);
    bad = peer_machine;
    bad.data_align = 3;
    ck_assert(!rotor_ref_valid(rotor_spawn(loop, &bad, &a)));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert(!rotor_ref_valid(rotor_spawn(loop, NULL, &a)));
    ck_assert_int_eq(rotor_last_code(), ROTOR_EINVAL);
    ck_assert_int_eq(a.destroyed, 0);
    ck_assert_str_eq(rt_log_buf, "");
}
END_TEST

static Suite *table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *tc;

    tc = tcase_create("refs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, stale_ref_refused_after_reuse);
    tcase_add_test(tc, none_and_foreign_refs_refused);
    tcase_add_test(tc, table_grows_on_demand);
    tcase_add_test(tc, full_table_fails_spawn_from_main);
    tcase_add_test(tc, full_table_sends_spawn_failed_to_spawner);
    suite_add_tcase(s, tc);

    tc = tcase_create("send");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, send_to_another_machine);
    tcase_add_test(tc, send_to_dead_ref_refused);
    tcase_add_test(tc, queued_events_of_killed_machine_dropped);
    tcase_add_test(tc, events_after_done_dropped);
    tcase_add_test(tc, kill_self_from_action_waits);
    tcase_add_test(tc, kill_self_in_create);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, raise_refuses_builtin_and_negative_events);
    tcase_add_test(tc, null_arguments_are_errors);
    tcase_add_test(tc, spawn_codes);
    tcase_add_test(tc, post_from_outside_and_from_an_action);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(table_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
