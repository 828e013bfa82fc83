/*
 * test-hier.c: hierarchical states on the runtime, with the machines of
 * machines/hier.rsm: the order of exit, transition and entry actions
 * (UML/SCXML: exits from the active leaf up to the transition's domain,
 * then the transition's actions, then entries down to the target's
 * initial leaf), events bubbling from the leaf outward, and the timeouts
 * of enclosing states staying armed while their substates change.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include <rotor/test.h>

#include "rt-test.h"
#include "machines/hier.h"
#include "machines/driver.h"

/* ---- actions: each logs its name ---------------------------------------- */

#define LOGGED(name) \
    void name(void *self, rotor_scope *s, const rotor_event *ev) \
    { (void)self; (void)s; (void)ev; rt_log(#name); }

LOGGED(top_in) LOGGED(top_out) LOGGED(a_in) LOGGED(a_out)
LOGGED(b_in) LOGGED(b_out) LOGGED(b1_in) LOGGED(b1_out)
LOGGED(b2_in) LOGGED(b2_out) LOGGED(other_in) LOGGED(other_out)
LOGGED(t_drop) LOGGED(t_poke) LOGGED(t_reset) LOGGED(t_work)
LOGGED(t_deep) LOGGED(t_back) LOGGED(t_never) LOGGED(t_up)
LOGGED(t_back2) LOGGED(t_finish)
LOGGED(outer_fired) LOGGED(stepped)
LOGGED(outer_timeout) LOGGED(inner_timeout) LOGGED(inner2_timeout)
LOGGED(p_caught)

bool never(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)s;
    (void)ev;
    rt_log("never");
    return false;
}

/* The events `order` raises from `create`, run in order after entry. */
struct script {
    int ev[16];
    int n;
};

void order_script(void *self, rotor_scope *s, const rotor_event *ev)
{
    const struct script *sc = rotor_event_data(ev);

    (void)self;
    for (int i = 0; i < sc->n; i++)
        rotor_raise(s, sc->ev[i], NULL);
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

/* The timeouts run on librotor-test's virtual clock: exact, and never
 * raced by a loaded machine. */
static struct rotor_test *vt;

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

/* Moves the virtual clock to each next timer until no machine is left;
 * returns the clock then. */
static uint64_t run_virtual(void)
{
    uint64_t ms;

    while (rotor_loop_machines(loop) > 0 &&
           rotor_loop_next_timer(loop, &ms) == 1)
        rotor_test_advance(vt, ms);
    return rotor_test_now(vt);
}

/* Runs `order` through the script; returns the log. */
static const char *run_order(const struct script *sc)
{
    ck_assert_uint_ne(rotor_spawn(loop, &order_machine, (void *)sc).gen, 0);
    return rt_log_buf;
}

/* ---- order of actions --------------------------------------------------- */

START_TEST(enters_down_to_initial_leaf)
{
    struct script sc = { .n = 0 };

    ck_assert_str_eq(run_order(&sc), "top_in a_in");
    ck_assert_uint_eq(rotor_loop_machines(loop), 1);
}
END_TEST

START_TEST(sibling_keeps_parent)
{
    struct script sc = { { order_ev_work }, 1 };

    ck_assert_str_eq(run_order(&sc), "top_in a_in a_out t_work b_in b1_in");
}
END_TEST

START_TEST(into_non_initial_substate)
{
    struct script sc = { { order_ev_deep, order_ev_back }, 2 };

    /* b2's `back` goes to its parent b: b exits and is entered again,
     * down to its initial state b1 */
    ck_assert_str_eq(run_order(&sc),
                     "top_in a_in a_out t_deep b_in b2_in "
                     "b2_out b_out t_back2 b_in b1_in");
}
END_TEST

START_TEST(to_ancestor_exits_it)
{
    struct script sc = { { order_ev_work, order_ev_up }, 2 };

    ck_assert_str_eq(run_order(&sc),
                     "top_in a_in a_out t_work b_in b1_in "
                     "b1_out b_out top_out t_up top_in a_in");
}
END_TEST

START_TEST(external_self_transition)
{
    struct script sc = { { order_ev_reset }, 1 };

    ck_assert_str_eq(run_order(&sc), "top_in a_in a_out top_out t_reset top_in a_in");
}
END_TEST

START_TEST(bubbles_past_false_guard)
{
    struct script sc = { { order_ev_work, order_ev_drop, order_ev_finish }, 3 };

    /* b tries its own `drop` first (guard false), then top's; from b1
     * every state up to the top exits */
    ck_assert_str_eq(run_order(&sc),
                     "top_in a_in a_out t_work b_in b1_in "
                     "never b1_out b_out top_out t_drop other_in "
                     "other_out t_finish");
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

START_TEST(internal_in_parent)
{
    struct script sc = { { order_ev_work, order_ev_poke, order_ev_back }, 3 };

    ck_assert_str_eq(run_order(&sc),
                     "top_in a_in a_out t_work b_in b1_in t_poke "
                     "b1_out b_out t_back a_in");
}
END_TEST

START_TEST(unhandled_changes_nothing)
{
    struct script sc = { { order_ev_finish, order_ev_up, order_ev_work }, 3 };

    /* `finish` and `up` mean nothing in a: dropped */
    ck_assert_str_eq(run_order(&sc), "top_in a_in a_out t_work b_in b1_in");
}
END_TEST

/* ---- timeouts ----------------------------------------------------------- */

START_TEST(parent_timeout_survives_child_transitions)
{
    struct drive d = { .events = { keeper_ev_step, keeper_ev_step,
                                   keeper_ev_step, keeper_ev_step,
                                   keeper_ev_step }, .n = 5 };

    d.target = rotor_spawn(loop, &keeper_machine, NULL);
    ck_assert_uint_ne(d.target.gen, 0);
    ck_assert_uint_ne(rotor_spawn(loop, &driver_machine, &d).gen, 0);
    /* steps at 30 and 60ms; the 75ms timeout of outer, armed once at
     * entry, fires before the third (re-armed by each step it would fire
     * only after the last, at 150 + 75ms); the driver ends at 180ms */
    ck_assert_uint_eq(run_virtual(), 180);
    ck_assert_str_eq(rt_log_buf, "stepped stepped outer_fired");
    ck_assert_int_eq(d.sent_at[1], 60);
}
END_TEST

START_TEST(timeout_handled_from_its_state)
{
    ck_assert_uint_ne(rotor_spawn(loop, &levels_machine, NULL).gen, 0);
    /* inner's own 20ms timeout moves to inner2 (outer stays armed);
     * outer's fires at 60ms and skips inner2's `on timeout` */
    ck_assert_uint_eq(run_virtual(), 60);
    ck_assert_str_eq(rt_log_buf, "inner_timeout outer_timeout");
}
END_TEST

START_TEST(leaf_timeout_bubbles)
{
    ck_assert_uint_ne(rotor_spawn(loop, &bubble_machine, NULL).gen, 0);
    run_virtual();
    ck_assert_str_eq(rt_log_buf, "p_caught");
}
END_TEST

START_TEST(state_table_depths)
{
    const struct rotor_state_info *st = order_machine.states;

    ck_assert_int_eq(order_machine.initial, order_st_a);
    ck_assert_int_eq(st[order_st_top].depth, 0);
    ck_assert_int_eq(st[order_st_b].depth, 1);
    ck_assert_int_eq(st[order_st_b2].depth, 2);
    ck_assert_int_eq(st[order_st_b2].parent, order_st_b);
    ck_assert_int_eq(ROTOR_GOTO_STATE(ROTOR_GOTO(5, 3)), 5);
    ck_assert_int_eq(ROTOR_GOTO_KEEP(ROTOR_GOTO(5, 3)), 3);
    ck_assert_int_eq(ROTOR_GOTO_STATE(ROTOR_DONE), ROTOR_DONE);
    ck_assert_int_eq(ROTOR_GOTO(7, 0), 7);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hier");
    TCase *order = tcase_create("order");
    TCase *timing = tcase_create("timeouts");

    tcase_add_checked_fixture(order, setup, teardown);
    tcase_add_test(order, enters_down_to_initial_leaf);
    tcase_add_test(order, sibling_keeps_parent);
    tcase_add_test(order, into_non_initial_substate);
    tcase_add_test(order, to_ancestor_exits_it);
    tcase_add_test(order, external_self_transition);
    tcase_add_test(order, bubbles_past_false_guard);
    tcase_add_test(order, internal_in_parent);
    tcase_add_test(order, unhandled_changes_nothing);
    tcase_add_test(order, state_table_depths);
    suite_add_tcase(s, order);

    tcase_add_checked_fixture(timing, setup_virtual, teardown_virtual);
    tcase_add_test(timing, parent_timeout_survives_child_transitions);
    tcase_add_test(timing, timeout_handled_from_its_state);
    tcase_add_test(timing, leaf_timeout_bubbles);
    suite_add_tcase(s, timing);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
