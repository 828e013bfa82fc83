/*
 * test-in-state.c: rotor_in_state() (SCXML's In()) of machines with
 * compiled dispatch while a transition runs, with the machines of
 * machines/instate.rsm.  SCXML 1.0 3.13: exit actions run innermost
 * first, each state leaving the configuration after its own; the
 * transition's actions see neither what was left nor what is entered;
 * each entered state joins before its entry actions, its children after.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "rt-test.h"
#include "machines/instate.h"

/* ---- actions: each logs its name and what In() says is active ----------- */

/* name[a,b,...]: the states of `type` In() calls active, in state
 * order. */
static void snapshot(rotor_scope *s, const struct rotor_machine_type *type,
                     const char *name)
{
    char buf[256];
    size_t len = (size_t)snprintf(buf, sizeof buf, "%s[", name);

    for (int i = 0; i < type->nstates; i++)
        if (rotor_in_state(s, i))
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                    buf[len - 1] == '[' ? "" : ",",
                                    type->states[i].name);
    rt_log("%s]", buf);
}

#define NEST(name) \
    void name(void *self, rotor_scope *s, const rotor_event *ev) \
    { (void)self; (void)ev; snapshot(s, &nest_machine, #name); }
#define FLAT(name) \
    void name(void *self, rotor_scope *s, const rotor_event *ev) \
    { (void)self; (void)ev; snapshot(s, &flat_machine, #name); }

NEST(p_in) NEST(p_out) NEST(p1_in) NEST(p1_out) NEST(p11_in) NEST(p11_out)
NEST(p2_in) NEST(p2_out) NEST(p21_in) NEST(p21_out) NEST(out_in)
NEST(out_out) NEST(t_pick) NEST(t_finish) NEST(t_leave) NEST(t_side)
NEST(t_poke) NEST(t_into) NEST(b_first) NEST(b_else)
FLAT(f1_in) FLAT(f1_out) FLAT(f2_in) FLAT(t_go)

/* The choice's guard: true the first time. */
static int picks;

bool first_pick(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    (void)ev;
    snapshot(s, &nest_machine, "first_pick");
    return picks++ == 0;
}

/* The events `create` raises, run in order after the initial entry. */
struct script {
    int ev[16];
    int n;
};

static void raise_all(rotor_scope *s, const rotor_event *ev)
{
    const struct script *sc = rotor_event_data(ev);

    for (int i = 0; i < sc->n; i++)
        rotor_raise(s, sc->ev[i], NULL);
}

void nest_script(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    raise_all(s, ev);
}

void flat_script(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    raise_all(s, ev);
}

/* ---- fixture ------------------------------------------------------------ */

static struct rotor_loop *loop;

static void setup(void)
{
    struct rotor_config cfg;

    rotor_config_init(&cfg);
    cfg.trace = 0;
    rt_log_reset();
    picks = 0;
    loop = rotor_loop_new(&cfg);
    ck_assert_ptr_nonnull(loop);
}

static void teardown(void)
{
    rotor_loop_free(loop);
    loop = NULL;
}

/* Spawns `type` with the script; returns the log from the first entry
 * action past the initial entry's `skip` words. */
static const char *run(const struct rotor_machine_type *type,
                       const struct script *sc, int skip)
{
    ck_assert_uint_ne(rotor_spawn(loop, type, (void *)sc).gen, 0);
    const char *p = rt_log_buf;
    for (int i = 0; i < skip && p; i++) {
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    ck_assert_ptr_nonnull(p);
    return p;
}

/* p_in p1_in p11_in, the initial entry of nest. */
enum { INITIAL = 3 };

/* ---- the initial entry -------------------------------------------------- */

START_TEST(initial_entry_parent_before_child)
{
    struct script sc = { .n = 0 };

    ck_assert_str_eq(run(&nest_machine, &sc, 0),
                     "p_in[p] p1_in[p,p1] p11_in[p,p1,p11]");
}
END_TEST

/* ---- out of the nest, into it, inside it -------------------------------- */

START_TEST(out_of_nest)
{
    struct script sc = { { nest_ev_leave }, 1 };

    ck_assert_str_eq(run(&nest_machine, &sc, INITIAL),
                     "p11_out[p,p1,p11] p1_out[p,p1] p_out[p] t_leave[] "
                     "out_in[out]");
}
END_TEST

START_TEST(into_nest)
{
    struct script sc = { { nest_ev_leave, nest_ev_into }, 2 };

    ck_assert_str_eq(run(&nest_machine, &sc, INITIAL + 5),
                     "out_out[out] t_into[] p_in[p] p2_in[p,p2] "
                     "p21_in[p,p2,p21]");
}
END_TEST

START_TEST(inside_nest_keeps_domain)
{
    struct script sc = { { nest_ev_leave, nest_ev_into, nest_ev_poke,
                           nest_ev_side }, 4 };

    /* p stays: the transition's action sees it, and only it */
    ck_assert_str_eq(run(&nest_machine, &sc, INITIAL + 10),
                     "t_poke[p,p2,p21] "
                     "p21_out[p,p2,p21] p2_out[p,p2] t_side[p] "
                     "p1_in[p,p1] p11_in[p,p1,p11]");
}
END_TEST

START_TEST(to_done_exits_all)
{
    struct script sc = { { nest_ev_finish }, 1 };

    ck_assert_str_eq(run(&nest_machine, &sc, INITIAL),
                     "p11_out[p,p1,p11] p1_out[p,p1] p_out[p] t_finish[]");
    ck_assert_uint_eq(rotor_loop_machines(loop), 0);
}
END_TEST

/* ---- through a choice --------------------------------------------------- */

START_TEST(choice_branch_inside)
{
    struct script sc = { { nest_ev_pick }, 1 };

    /* the first segment leaves p1 and p11; the guard and the branch see
     * p alone; p2 joins before its entry */
    ck_assert_str_eq(run(&nest_machine, &sc, INITIAL),
                     "p11_out[p,p1,p11] p1_out[p,p1] t_pick[p] "
                     "first_pick[p] b_first[p] p2_in[p,p2] "
                     "p21_in[p,p2,p21]");
}
END_TEST

START_TEST(choice_branch_out)
{
    struct script sc = { { nest_ev_pick, nest_ev_side, nest_ev_pick }, 3 };

    /* the second pick takes `else`, which leaves p too */
    ck_assert_str_eq(run(&nest_machine, &sc, INITIAL + 12),
                     "p11_out[p,p1,p11] p1_out[p,p1] t_pick[p] "
                     "first_pick[p] p_out[p] b_else[] out_in[out]");
}
END_TEST

START_TEST(choice_guard_first)
{
    struct script sc = { { nest_ev_leave, nest_ev_pick }, 2 };

    /* no action before the choice: its guard is the first to see that
     * out has left */
    ck_assert_str_eq(run(&nest_machine, &sc, INITIAL + 5),
                     "out_out[out] first_pick[] b_first[] p_in[p] "
                     "p2_in[p,p2] p21_in[p,p2,p21]");
}
END_TEST

/* ---- a flat machine ------------------------------------------------------ */

START_TEST(flat_entry_sees_target)
{
    struct script sc = { { flat_ev_go, flat_ev_back }, 2 };

    /* t_go still sees f1 (the flat exception); f2_in sees f2, and f1's
     * entry on the way back sees f1 alone */
    ck_assert_str_eq(run(&flat_machine, &sc, 0),
                     "f1_in[f1] f1_out[f1] t_go[f1] f2_in[f2] f1_in[f1]");
}
END_TEST

static Suite *in_state_suite(void)
{
    Suite *s = suite_create("in_state");
    TCase *tc = tcase_create("compiled");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, initial_entry_parent_before_child);
    tcase_add_test(tc, out_of_nest);
    tcase_add_test(tc, into_nest);
    tcase_add_test(tc, inside_nest_keeps_domain);
    tcase_add_test(tc, to_done_exits_all);
    tcase_add_test(tc, choice_branch_inside);
    tcase_add_test(tc, choice_branch_out);
    tcase_add_test(tc, choice_guard_first);
    tcase_add_test(tc, flat_entry_sees_target);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(in_state_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
