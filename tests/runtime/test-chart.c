/*
 * test-chart.c: statecharts on the runtime, with the machines of
 * machines/chart.rsm.  Every action logs its name, and each test compares
 * the whole log with the order SCXML 1.0 gives: entries parent first and
 * regions in document order, exits inner first and regions in reverse
 * document order, all exits of a microstep before all transition actions;
 * conflicts (the earlier region wins, a region's transition preempts the
 * parallel's); completion (regions before the parallel); shallow and deep
 * history; choices (UML compound transitions, compiled and on the
 * engine); deferral; named timeouts; raised before sent; rotor_in_state.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "chart-test.h"
#include "machines/chart.h"

/* ---- actions: each logs its name ---------------------------------------- */

#define LOGGED(name) \
    void name(void *self, rotor_scope *s, const rotor_event *ev) \
    { (void)self; (void)s; (void)ev; rt_log(#name); }

LOGGED(p_in) LOGGED(p_out) LOGGED(t_leave) LOGGED(t_poke) LOGGED(r1_in)
LOGGED(r1_out) LOGGED(a1_in) LOGGED(a1_out) LOGGED(t_a1) LOGGED(t_both1)
LOGGED(t_poke1) LOGGED(a2_in) LOGGED(a2_out) LOGGED(r2_in) LOGGED(r2_out)
LOGGED(b1_in) LOGGED(b1_out) LOGGED(t_b1) LOGGED(t_both2) LOGGED(t_r2leave)
LOGGED(b2_in) LOGGED(b2_out) LOGGED(out_in) LOGGED(t_back) LOGGED(out2_in)
LOGGED(p_done) LOGGED(r1_done) LOGGED(af_in) LOGGED(af_out) LOGGED(r2_done)
LOGGED(bf_in) LOGGED(bf_out) LOGGED(seq_in) LOGGED(seq_done) LOGGED(s9_in)
LOGGED(s1_in) LOGGED(s2_in) LOGGED(s21_in) LOGGED(s22_in) LOGGED(paused_in)
LOGGED(o1_in) LOGGED(o2_in) LOGGED(x1_in) LOGGED(x2_in) LOGGED(y1_in)
LOGGED(y2_in) LOGGED(free_in) LOGGED(slow_fired) LOGGED(mid_fired)
LOGGED(quick_fired) LOGGED(late_fired) LOGGED(stray_fired)
LOGGED(both_fired) LOGGED(never_fired) LOGGED(tx_fired) LOGGED(ty_fired)
LOGGED(got_inn) LOGGED(got_ext) LOGGED(yes_b1) LOGGED(yes_top)

#define COUNTED(name) \
    void name(struct ct_count *self, rotor_scope *s, const rotor_event *ev) \
    { (void)self; (void)s; (void)ev; rt_log(#name); }

COUNTED(outer_out) COUNTED(in1_in) COUNTED(in1_out) COUNTED(one)
COUNTED(other) COUNTED(two) COUNTED(many) COUNTED(far_in)

void ct_send_script(void *self, rotor_scope *s, const rotor_event *ev)
{
    const struct ct_script *sc = rotor_event_data(ev);

    (void)self;
    for (int i = 0; sc && i < sc->n; i++)
        ck_assert_int_eq(rotor_send(s, rotor_scope_self(s), sc->ev[i],
                                    sc->data[i]), 0);
}

void ct_count_create(struct ct_count *self, rotor_scope *s,
                     const rotor_event *ev)
{
    self->n = 0;
    ct_send_script(self, s, ev);
}

void bump(struct ct_count *self, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    rt_log("bump%d", ++self->n);
}

bool is_one(struct ct_count *self, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return self->n == 1;
}

bool is_two(struct ct_count *self, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return self->n == 2;
}

void take_job(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)s;
    rt_log("take%d", *(int *)rotor_event_data(ev));
}

bool in_a1(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    return rotor_in_state(s, par_st_a1) && rotor_in_state(s, par_st_r1) &&
           rotor_in_state(s, par_st_b1) && !rotor_in_state(s, par_st_a2);
}

bool in_b1(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    return rotor_in_state(s, where_st_b1);
}

bool in_top(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    return rotor_in_state(s, where_st_top) && !rotor_in_state(s, -1) &&
           !rotor_in_state(s, 1000);
}

void ct_send_then_raise(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    rotor_send(s, rotor_scope_self(s), order_ev_ext, NULL);
    order_raise_inn(s);
}

void ct_send_then_raise2(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    rotor_send(s, rotor_scope_self(s), order_chart_ev_ext, NULL);
    order_chart_raise_inn(s);
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

/* Spawns type with the script: rotor_spawn() runs every queued event
 * before it returns.  Returns the log. */
static const char *run(const struct rotor_machine_type *type,
                       const struct ct_script *sc)
{
    ck_assert_uint_ne(rotor_spawn(loop, type, (void *)sc).gen, 0);
    return rt_log_buf;
}

#define SCRIPT(...) \
    ((struct ct_script){ { __VA_ARGS__ }, { 0 }, \
                         sizeof((int[]){ __VA_ARGS__ }) / sizeof(int) })

/* ---- regions ------------------------------------------------------------ */

START_TEST(regions_enter_in_document_order)
{
    struct ct_script sc = { .n = 0 };

    ck_assert_str_eq(run(&par_machine, &sc), "p_in r1_in a1_in r2_in b1_in");
}
END_TEST

START_TEST(regions_move_together)
{
    struct ct_script sc = SCRIPT(par_ev_go);

    /* exits in reverse document order, then every transition's actions,
     * then entries; b1's guard saw a1 still active */
    ck_assert_str_eq(run(&par_machine, &sc),
                     "p_in r1_in a1_in r2_in b1_in "
                     "b1_out a1_out t_a1 t_b1 a2_in b2_in");
}
END_TEST

START_TEST(first_region_wins_a_conflict)
{
    struct ct_script sc = SCRIPT(par_ev_both, par_ev_back);

    ck_assert_str_eq(run(&par_machine, &sc),
                     "p_in r1_in a1_in r2_in b1_in "
                     "b1_out r2_out a1_out r1_out p_out t_both1 out_in "
                     "t_back p_in r1_in a1_in r2_in b1_in");
}
END_TEST

START_TEST(region_preempts_the_parallel)
{
    struct ct_script sc = SCRIPT(par_ev_leave);

    ck_assert_str_eq(run(&par_machine, &sc),
                     "p_in r1_in a1_in r2_in b1_in b1_out t_r2leave b2_in");
}
END_TEST

START_TEST(targetless_transitions_do_not_conflict)
{
    struct ct_script sc = SCRIPT(par_ev_poke);

    ck_assert_str_eq(run(&par_machine, &sc),
                     "p_in r1_in a1_in r2_in b1_in t_poke1 t_poke");
}
END_TEST

/* ---- completion --------------------------------------------------------- */

START_TEST(regions_complete_before_the_parallel)
{
    struct ct_script sc = SCRIPT(comp_ev_go, comp_ev_fin);

    ck_assert_str_eq(run(&comp_machine, &sc),
                     "af_in bf_in r1_done r2_done bf_out af_out p_done "
                     "seq_in s9_in seq_done");
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
    ck_assert_uint_eq(rotor_loop_errors(loop), 0);
}
END_TEST

/* ---- history ------------------------------------------------------------ */

START_TEST(shallow_history_restores_the_child)
{
    struct ct_script sc = SCRIPT(hist_ev_next, hist_ev_next, hist_ev_pause,
                                 hist_ev_resume);

    /* s2 again, then its initial state, not s22 */
    ck_assert_str_eq(run(&hist_machine, &sc),
                     "s1_in s2_in s21_in s22_in paused_in s2_in s21_in");
}
END_TEST

START_TEST(deep_history_restores_the_leaf)
{
    struct ct_script sc = SCRIPT(hist_ev_next, hist_ev_next, hist_ev_pause,
                                 hist_ev_resume_deep);

    ck_assert_str_eq(run(&hist_machine, &sc),
                     "s1_in s2_in s21_in s22_in paused_in s2_in s22_in");
}
END_TEST

START_TEST(history_default_before_a_visit)
{
    struct ct_script sc = SCRIPT(hist_ev_pause, hist_ev_visit);

    ck_assert_str_eq(run(&hist_machine, &sc), "s1_in paused_in o2_in");
}
END_TEST

START_TEST(deep_history_through_regions)
{
    struct ct_script sc = SCRIPT(hist_ev_pause, hist_ev_pw_go, hist_ev_mv,
                                 hist_ev_pause, hist_ev_pw_go);

    /* never visited, no default: pw's initial, every region; then both
     * regions' leaves as they were */
    ck_assert_str_eq(run(&hist_machine, &sc),
                     "s1_in paused_in x1_in y1_in x2_in y2_in paused_in "
                     "x2_in y2_in");
}
END_TEST

/* ---- choices ------------------------------------------------------------ */

/* c1's else leads outside outer: outer exits before the branch's
 * actions, as every segment's exits come before its actions */
#define PICKED "in1_in in1_out bump1 one in1_in " \
               "in1_out bump2 outer_out other two far_in bump3 many"

START_TEST(choice_compiled)
{
    struct ct_script sc = SCRIPT(pick_ev_go, pick_ev_go, pick_ev_go);

    ck_assert_ptr_null(pick_machine.chart);
    ck_assert_str_eq(run(&pick_machine, &sc), PICKED);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

START_TEST(choice_on_the_engine)
{
    struct ct_script sc = SCRIPT(pick_chart_ev_go, pick_chart_ev_go,
                                 pick_chart_ev_go);

    ck_assert_ptr_nonnull(pick_chart_machine.chart);
    ck_assert_str_eq(run(&pick_chart_machine, &sc), PICKED);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

/* ---- deferral ----------------------------------------------------------- */

static int job_no[MANY + 1];

START_TEST(deferred_in_order_before_newer)
{
    struct ct_script sc = SCRIPT(later_ev_job, later_ev_job, later_ev_ready,
                                 later_ev_job, later_ev_stop);

    for (int i = 0; i < 3; i++)
        job_no[i] = i + 1;
    sc.data[0] = &job_no[0];
    sc.data[1] = &job_no[1];
    sc.data[3] = &job_no[2];
    ck_assert_str_eq(run(&later_machine, &sc), "free_in take1 take2 take3");
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

static void flood(int jobs)
{
    struct ct_script sc = { .n = 0 };

    for (int i = 0; i < jobs; i++)
        sc.ev[sc.n++] = flood_ev_job;
    sc.ev[sc.n++] = flood_ev_stop;
    run(&flood_machine, &sc);
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}

START_TEST(deferral_bound_holds)
{
    ck_assert_int_eq(MANY, ROTOR_MAX_DEFERRED);
    flood(MANY);
    ck_assert_uint_eq(rotor_loop_errors(loop), 0);
}
END_TEST

START_TEST(deferral_over_the_bound_is_an_error)
{
    flood(MANY + 1);
    ck_assert_uint_eq(rotor_loop_errors(loop), 1);
}
END_TEST

/* ---- named timeouts ------------------------------------------------------- */

START_TEST(named_timeouts_compiled)
{
    int64_t t0 = rt_now_ms();

    ck_assert_ptr_null(timers_machine.chart);
    run(&timers_machine, NULL);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    /* 1 ms, not 10 s or 20 ms; the 20 ms one of w was cancelled when w
     * was left (else `stray_fired` in second) */
    ck_assert_str_eq(rt_log_buf, "quick_fired late_fired");
    ck_assert_int_lt(rt_now_ms() - t0, 5000);
}
END_TEST

START_TEST(named_timeouts_in_regions)
{
    int64_t t0 = rt_now_ms();

    run(&rtimers_machine, NULL);
    ck_assert_int_eq(rotor_loop_run(loop), 0);
    ck_assert_str_eq(rt_log_buf, "tx_fired ty_fired both_fired");
    ck_assert_int_lt(rt_now_ms() - t0, 5000);
}
END_TEST

/* ---- queues, rotor_in_state ------------------------------------------- */

START_TEST(raised_before_sent)
{
    run(&order_machine, NULL);
    ck_assert_str_eq(rt_log_buf, "got_inn got_ext");
    rt_log_reset();
    run(&order_chart_machine, NULL);
    ck_assert_str_eq(rt_log_buf, "got_inn got_ext");
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

START_TEST(in_state_sees_ancestors)
{
    struct ct_script sc = SCRIPT(where_ev_ask, where_ev_go, where_ev_ask);

    ck_assert_str_eq(run(&where_machine, &sc), "yes_top yes_b1");
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("chart");
    TCase *t = tcase_create("chart");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, regions_enter_in_document_order);
    tcase_add_test(t, regions_move_together);
    tcase_add_test(t, first_region_wins_a_conflict);
    tcase_add_test(t, region_preempts_the_parallel);
    tcase_add_test(t, targetless_transitions_do_not_conflict);
    tcase_add_test(t, regions_complete_before_the_parallel);
    tcase_add_test(t, shallow_history_restores_the_child);
    tcase_add_test(t, deep_history_restores_the_leaf);
    tcase_add_test(t, history_default_before_a_visit);
    tcase_add_test(t, deep_history_through_regions);
    tcase_add_test(t, choice_compiled);
    tcase_add_test(t, choice_on_the_engine);
    tcase_add_test(t, deferred_in_order_before_newer);
    tcase_add_test(t, deferral_bound_holds);
    tcase_add_test(t, deferral_over_the_bound_is_an_error);
    tcase_add_test(t, named_timeouts_compiled);
    tcase_add_test(t, named_timeouts_in_regions);
    tcase_add_test(t, raised_before_sent);
    tcase_add_test(t, in_state_sees_ancestors);
    suite_add_tcase(suite, t);

    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
