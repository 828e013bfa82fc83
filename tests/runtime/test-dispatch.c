/*
 * test-dispatch.c: spawning, the order of exit/transition/entry actions,
 * internal and external transitions, guards, raised events, ends and
 * tracing, with the machine of machines/seq.rsm.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt-test.h"
#include "machines/seq.h"

/* ---- the actions -------------------------------------------------------- */

void seq_create(struct seq *self, rotor_scope *s, const rotor_event *ev)
{
    struct seq_script *sc = rotor_event_data(ev);
    bool zero = self->before == 0 && self->after == 0;

    for (size_t i = 0; i < sizeof self->block; i++)
        zero = zero && self->block[i] == 0;
    sc->zeroed = zero;
    sc->aligned = ((uintptr_t)self->block % 64) == 0 &&
                  ((uintptr_t)self % _Alignof(struct seq)) == 0;
    sc->state_in_create = rotor_scope_state_name(s);
    self->script = sc;
    rt_log("create(%s)", rotor_event_kind(ev) == ROTOR_EV_CREATE ? "seed" : "?");
    for (int i = 0; i < sc->n; i++)
        ck_assert_int_eq(rotor_raise(s, sc->events[i], NULL), 0);
}

void seq_destroy(struct seq *self, rotor_scope *s, const rotor_event *ev)
{
    ck_assert_int_eq(rotor_event_kind(ev), ROTOR_EV_DESTROY);
    self->script->destroyed++;
    rt_log("destroy");
}

void entry_a(struct seq *self, rotor_scope *s, const rotor_event *ev)
{
    if (!self->script->state_in_entry)
        self->script->state_in_entry = rotor_scope_state_name(s);
    rt_log("entry_a");
}

#define LOGGING_ACTION(name)                                                \
    void name(struct seq *self, rotor_scope *s, const rotor_event *ev)     \
    {                                                                       \
        rt_log(#name);                                                      \
    }
LOGGING_ACTION(exit_a)
LOGGING_ACTION(act_go)
LOGGING_ACTION(act_internal)
LOGGING_ACTION(act_same)
LOGGING_ACTION(act_pick1)
LOGGING_ACTION(act_pick2)
LOGGING_ACTION(act_pick3)
LOGGING_ACTION(act_finish)
LOGGING_ACTION(act_fail)
LOGGING_ACTION(entry_b)
LOGGING_ACTION(exit_b)
LOGGING_ACTION(act_c2)
LOGGING_ACTION(act_c3)
LOGGING_ACTION(entry_c)
LOGGING_ACTION(entry_c2)

void raise_c1_c2(struct seq *self, rotor_scope *s, const rotor_event *ev)
{
    rt_log("raise_c1_c2");
    seq_raise_c1(s);
    seq_raise_c2(s);
}

void act_c1(struct seq *self, rotor_scope *s, const rotor_event *ev)
{
    rt_log("act_c1");
    seq_raise_c3(s);
}

bool guard_false(struct seq *self, rotor_scope *s, const rotor_event *ev)
{
    rt_log("guard_false");
    return false;
}

bool guard_true(struct seq *self, rotor_scope *s, const rotor_event *ev)
{
    rt_log("guard_true");
    return true;
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_loop *loop;

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

/* Frees the loop inside the test: machines still alive run `destroy`,
 * which must see the test's seeds while they are still in scope. */
static void free_loop(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

/* Spawns seq with the given script and returns its reference. */
static rotor_ref run_script(struct seq_script *sc)
{
    rotor_ref r = rotor_spawn(loop, &seq_machine, sc);
    ck_assert_uint_ne(r.gen, 0);
    return r;
}

#define SCRIPT(...)                                                         \
    {.events = {__VA_ARGS__},                                              \
     .n = sizeof((int[]){__VA_ARGS__}) / sizeof(int)}

/* ---- spawn -------------------------------------------------------------- */

START_TEST(spawn_runs_create_then_entry)
{
    struct seq_script sc = {.n = 0};

    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
    rotor_ref r = run_script(&sc);
    ck_assert_str_eq(rt_log_buf, "create(seed) entry_a");
    ck_assert(rotor_alive(loop, r));
    ck_assert_uint_eq(rotor_loop_machines(loop), 1);
    ck_assert(sc.zeroed);
    ck_assert(sc.aligned);
    ck_assert_str_eq(sc.state_in_create, "(none)");
    ck_assert_str_eq(sc.state_in_entry, "a");
    free_loop();
    ck_assert_int_eq(sc.destroyed, 1);
}
END_TEST

START_TEST(spawn_counts_machines)
{
    struct seq_script sc[5] = {{.n = 0}};

    for (int i = 0; i < 5; i++)
        run_script(&sc[i]);
    ck_assert_uint_eq(rotor_loop_machines(loop), 5);
    for (int i = 0; i < 5; i++)
        ck_assert(sc[i].zeroed && sc[i].aligned);
    free_loop();
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(sc[i].destroyed, 1);
}
END_TEST

START_TEST(spawn_refuses_bad_type)
{
    struct rotor_machine_type bad = seq_machine;

    bad.abi = ROTOR_MACHINE_ABI + 1;
    ck_assert_uint_eq(rotor_spawn(loop, &bad, NULL).gen, 0);
    ck_assert_str_ne(rotor_last_error(), "");
    bad = seq_machine;
    bad.kind = 99;                          /* no such kind */
    ck_assert_uint_eq(rotor_spawn(loop, &bad, NULL).gen, 0);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
    ck_assert_str_eq(rt_log_buf, "");
}
END_TEST

/* ---- order of actions --------------------------------------------------- */

START_TEST(external_order_exit_action_entry)
{
    struct seq_script sc = SCRIPT(seq_ev_go, seq_ev_go);

    run_script(&sc);
    ck_assert_str_eq(rt_log_buf,
                     "create(seed) entry_a exit_a act_go entry_b exit_b entry_a");
    free_loop();
    ck_assert_str_eq(rt_log_buf + strlen(rt_log_buf) - 8, " destroy");
}
END_TEST

START_TEST(internal_runs_no_exit_or_entry)
{
    struct seq_script sc = SCRIPT(seq_ev_internal, seq_ev_internal);

    run_script(&sc);
    ck_assert_str_eq(rt_log_buf, "create(seed) entry_a act_internal act_internal");
    free_loop();
}
END_TEST

START_TEST(same_is_external)
{
    struct seq_script sc = SCRIPT(seq_ev_same);

    run_script(&sc);
    ck_assert_str_eq(rt_log_buf, "create(seed) entry_a exit_a act_same entry_a");
    free_loop();
}
END_TEST

START_TEST(guards_in_order_first_true_wins)
{
    struct seq_script sc = SCRIPT(seq_ev_pick, seq_ev_finish);

    run_script(&sc);
    ck_assert_str_eq(rt_log_buf,
                     "create(seed) entry_a guard_false guard_true exit_a act_pick2 "
                     "entry_c entry_c2 destroy");
}
END_TEST

START_TEST(unhandled_event_is_dropped)
{
    struct seq_script sc = SCRIPT(seq_ev_pick, seq_ev_go, seq_ev_c1);
    rotor_ref r = run_script(&sc);

    ck_assert_str_eq(rt_log_buf, "create(seed) entry_a guard_false guard_true "
                                 "exit_a act_pick2 entry_c entry_c2");
    ck_assert(rotor_alive(loop, r));
    free_loop();
}
END_TEST

START_TEST(raised_events_run_after_transition_in_order)
{
    /* chain raises c1, c2; c1 raises c3; the script's c2 was queued
     * before them all. */
    struct seq_script sc = SCRIPT(seq_ev_chain, seq_ev_c2);

    run_script(&sc);
    ck_assert_str_eq(rt_log_buf,
                     "create(seed) entry_a exit_a raise_c1_c2 entry_b "
                     "act_c2 act_c1 act_c2 act_c3");
    free_loop();
}
END_TEST

/* ---- ends --------------------------------------------------------------- */

START_TEST(done_runs_exit_action_destroy_once)
{
    struct seq_script sc = SCRIPT(seq_ev_finish, seq_ev_go);
    rotor_ref r = run_script(&sc);

    /* go, queued behind finish, is dropped: its machine has ended. */
    ck_assert_str_eq(rt_log_buf,
                     "create(seed) entry_a exit_a act_finish destroy");
    ck_assert_int_eq(sc.destroyed, 1);
    ck_assert(!rotor_alive(loop, r));
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
    ck_assert_uint_eq(rotor_loop_errors(loop), 0);
    rotor_loop_free(loop);
    loop = NULL;
    ck_assert_int_eq(sc.destroyed, 1);
}
END_TEST

START_TEST(error_counts_and_destroys_once)
{
    struct seq_script bad = SCRIPT(seq_ev_fail);
    struct seq_script good = SCRIPT(seq_ev_go, seq_ev_finish);

    run_script(&bad);
    run_script(&good);
    ck_assert_str_eq(rt_log_buf,
                     "create(seed) entry_a exit_a act_fail destroy "
                     "create(seed) entry_a exit_a act_go entry_b exit_b destroy");
    ck_assert_int_eq(bad.destroyed, 1);
    ck_assert_int_eq(good.destroyed, 1);
    ck_assert_uint_eq(rotor_loop_errors(loop), 1);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

START_TEST(loop_free_destroys_live_machines_once)
{
    struct seq_script sc[3] = {{.n = 0}};
    struct seq_script ended = SCRIPT(seq_ev_finish);

    for (int i = 0; i < 3; i++)
        run_script(&sc[i]);
    run_script(&ended);
    rotor_loop_free(loop);
    loop = NULL;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(sc[i].destroyed, 1);
    ck_assert_int_eq(ended.destroyed, 1);
}
END_TEST

START_TEST(run_returns_at_once_without_machines)
{
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    struct seq_script sc = SCRIPT(seq_ev_finish);
    run_script(&sc);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
}
END_TEST

/* ---- tracing ------------------------------------------------------------ */

/* Runs fn with stderr going to a file; returns what was written. */
static char *capture_stderr(void (*fn)(void))
{
    static char out[4096];
    FILE *f = tmpfile();
    int saved = dup(STDERR_FILENO);

    ck_assert_ptr_nonnull(f);
    fflush(stderr);
    dup2(fileno(f), STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    return out;
}

static void traced_run(void)
{
    struct seq_script first = SCRIPT(seq_ev_internal, seq_ev_go, seq_ev_pick,
                                     seq_ev_finish);
    struct seq_script second = SCRIPT(seq_ev_fail);

    run_script(&first);
    run_script(&second);
}

static struct rotor_loop *loop_with_trace(int trace)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = trace;
    return rotor_loop_new(&cfg);
}

START_TEST(trace_format)
{
    rotor_loop_free(loop);
    loop = loop_with_trace(1);
    ck_assert_str_eq(capture_stderr(traced_run),
                     "[seq#0.1] spawned in a\n"
                     "[seq#0.1] a --internal--> (internal)\n"
                     "[seq#0.1] a --go--> b\n"
                     "[seq#0.1] b --pick--> (unhandled)\n"
                     "[seq#0.1] b --finish--> done\n"
                     "[seq#0.2] spawned in a\n"
                     "[seq#0.2] a --fail--> error\n");
}
END_TEST

START_TEST(trace_from_environment)
{
    rotor_loop_free(loop);
    setenv("ROTOR_TRACE", "1", 1);
    loop = loop_with_trace(-1);
    ck_assert_ptr_nonnull(strstr(capture_stderr(traced_run),
                                 "[seq#0.1] a --go--> b\n"));
}
END_TEST

START_TEST(trace_off_prints_nothing)
{
    rotor_loop_free(loop);
    setenv("ROTOR_TRACE", "1", 1);
    loop = loop_with_trace(0);
    ck_assert_str_eq(capture_stderr(traced_run), "");
    rotor_loop_free(loop);
    unsetenv("ROTOR_TRACE");
    loop = loop_with_trace(-1);
    ck_assert_str_eq(capture_stderr(traced_run), "");
}
END_TEST

/* ---- misc ------------------------------------------------------------- */

START_TEST(event_names_and_version)
{
    ck_assert_str_eq(rotor_event_name(ROTOR_EV_TIMEOUT), "timeout");
    ck_assert_str_eq(rotor_event_name(ROTOR_EV_SPAWN_FAILED), "spawn_failed");
    ck_assert_str_eq(rotor_event_name(ROTOR_EV_READABLE), "readable");
    ck_assert_ptr_null(rotor_event_name(ROTOR_EV_USER));
    ck_assert_ptr_null(rotor_event_name(-1));
    ck_assert_str_eq(rotor_version(), PACKAGE_VERSION);
    ck_assert_ptr_nonnull(rotor_loop_base(loop));
}
END_TEST

START_TEST(config_defaults_and_context)
{
    struct rotor_config cfg;
    int ctx;

    rotor_config_init(&cfg);
    ck_assert_uint_eq(cfg.max_machines, 1048576);
    ck_assert_int_eq(cfg.trace, -1);
    ck_assert_ptr_null(cfg.context);
    cfg.context = &ctx;
    struct rotor_loop *l = rotor_loop_new(&cfg);
    ck_assert_ptr_eq(rotor_loop_context(l), &ctx);
    rotor_loop_free(l);
    cfg.max_machines = 0;
    ck_assert_ptr_null(rotor_loop_new(&cfg));
    ck_assert_str_ne(rotor_last_error(), "");
    rotor_loop_free(NULL);
}
END_TEST

static Suite *dispatch_suite(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc;

    tc = tcase_create("spawn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, spawn_runs_create_then_entry);
    tcase_add_test(tc, spawn_counts_machines);
    tcase_add_test(tc, spawn_refuses_bad_type);
    suite_add_tcase(s, tc);

    tc = tcase_create("order");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, external_order_exit_action_entry);
    tcase_add_test(tc, internal_runs_no_exit_or_entry);
    tcase_add_test(tc, same_is_external);
    tcase_add_test(tc, guards_in_order_first_true_wins);
    tcase_add_test(tc, unhandled_event_is_dropped);
    tcase_add_test(tc, raised_events_run_after_transition_in_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("end");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, done_runs_exit_action_destroy_once);
    tcase_add_test(tc, error_counts_and_destroys_once);
    tcase_add_test(tc, loop_free_destroys_live_machines_once);
    tcase_add_test(tc, run_returns_at_once_without_machines);
    suite_add_tcase(s, tc);

    tc = tcase_create("trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, trace_format);
    tcase_add_test(tc, trace_from_environment);
    tcase_add_test(tc, trace_off_prints_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, event_names_and_version);
    tcase_add_test(tc, config_defaults_and_context);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dispatch_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
