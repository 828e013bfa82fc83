/*
 * test-paths.c: rotor_test_run_path() (<rotor/test.h>) on the output of
 * `rotorgen --paths machines/pr.rsm`, made at build time (PR_PATHS):
 * every state line, run on a fresh machine, leaves that state active,
 * and every transition line its target.  Nothing here waits real time.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rotor/test.h>

#include "paths-test.h"
#include "machines/pr.h"

/* ---- the machine's functions -------------------------------------------- */

void pr_create(struct pr_data *self, rotor_scope *s, const rotor_event *ev)
{
    const struct pr_data *seed = rotor_event_data(ev);

    (void)s;
    self->paid = seed && seed->paid;
}

bool pr_paid(struct pr_data *self, rotor_scope *s, const rotor_event *ev)
{
    (void)s;
    (void)ev;
    return self->paid;
}

/* ---- helpers ------------------------------------------------------------ */

static struct rotor_test *t;

static void setup(void)
{
    t = rotor_test_new(NULL);
    ck_assert_ptr_nonnull(t);
}

static void teardown(void)
{
    rotor_test_free(t);
    t = NULL;
}

/* A pr_vend whose guard pr_paid holds when paid: the paths assume
 * [pr_paid], and the machine's data is where the test makes it true. */
static rotor_ref spawn(bool paid)
{
    struct pr_data seed = { .paid = paid };
    rotor_ref ref = rotor_spawn(rotor_test_loop(t), &pr_vend_machine, &seed);

    ck_assert_int_eq(rotor_test_settle(t), 0);
    return ref;
}

static int state_index(const char *name, size_t n)
{
    for (int i = 0; i < pr_vend_machine.nstates; i++) {
        const char *s = pr_vend_machine.states[i].name;
        if (strlen(s) == n && !strncmp(s, name, n))
            return i;
    }
    return -1;
}

/* Whether state (n bytes) is active in ref: its active leaf or a state
 * around it.  rotor_test_state() names only the leaf, and a line may name
 * a composite state. */
static bool active(rotor_ref ref, const char *state, size_t n)
{
    const char *leaf = rotor_test_state(t, ref);
    int want = state_index(state, n);

    ck_assert_ptr_nonnull(leaf);
    ck_assert_msg(want >= 0, "no state %.*s", (int)n, state);
    for (int i = state_index(leaf, strlen(leaf)); i >= 0;
         i = pr_vend_machine.states[i].parent) {
        if (i == want)
            return true;
    }
    return false;
}

/* What a line of --paths says must be active after its steps: a state
 * line's state, a transition line's target (after "--> ").  *n gets its
 * length; NULL for comments and internal transitions. */
static const char *expected(const char *line, size_t *n)
{
    const char *kind = strstr(line, ": ");
    const char *what;

    if (line[0] == '#' || !kind)
        return NULL;
    if (!strncmp(kind + 2, "state ", 6))
        what = kind + 8;
    else if ((what = strstr(line, "--> ")) != NULL)
        what += 4;
    else
        return NULL;
    *n = strcspn(what, ":");
    return strncmp(what, "(internal)", 10) ? what : NULL;
}

/* Runs every line of the paths file of kind ("state " or "transition ")
 * on a fresh machine; returns how many were run. */
static int run_lines(const char *kind)
{
    FILE *f = fopen(PR_PATHS, "r");
    char line[1024];
    int count = 0;

    ck_assert_msg(f != NULL, "cannot open %s", PR_PATHS);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *k = strstr(line, ": ");
        size_t n;
        const char *want = expected(line, &n);
        if (!want || strncmp(k + 2, kind, strlen(kind)))
            continue;
        rotor_test_free(t);
        setup();
        rotor_ref ref = spawn(true);
        ck_assert_msg(rotor_test_run_path(t, ref, &pr_vend_machine, line) == 0,
                      "%s: %s", line, rotor_last_error());
        ck_assert_msg(active(ref, want, n), "%s: ends in %s", line,
                      rotor_test_state(t, ref));
        count++;
    }
    fclose(f);
    return count;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(every_state_line)
{
    /* idle, serving, selecting, dispensing, served */
    ck_assert_int_eq(run_lines("state "), 5);
}
END_TEST

START_TEST(every_transition_line)
{
    ck_assert_int_eq(run_lines("transition "), 6);
}
END_TEST

/* The check can fail: without the guard's assumption made true, the path
 * to `served` leaves the machine idle. */
START_TEST(wrong_assumption_fails)
{
    rotor_ref ref = spawn(false);

    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
                                         "coin [pr_paid] choose timeout(2s)"),
                     0);
    ck_assert(!active(ref, "served", 6));
    ck_assert(!rotor_test_expect_state(t, ref, "served"));
    ck_assert_str_eq(rotor_test_state(t, ref), "idle");
}
END_TEST

/* A whole line and its steps alone run the same; timeouts move the
 * virtual clock by what they say. */
START_TEST(line_or_steps)
{
    rotor_ref a = spawn(true);

    ck_assert_int_eq(rotor_test_run_path(t, a, &pr_vend_machine,
        "pr.rsm:30:15: state dispensing: coin [pr_paid] choose"), 0);
    ck_assert(rotor_test_expect_state(t, a, "dispensing"));
    ck_assert_int_eq(rotor_test_run_path(t, a, &pr_vend_machine,
                                         "timeout(2s)"), 0);
    ck_assert(rotor_test_expect_state(t, a, "served"));
    ck_assert_uint_eq(rotor_test_now(t), 2000);
    ck_assert_int_eq(rotor_test_run_path(t, a, &pr_vend_machine,
                                         "x.rsm:1:1: state idle: (initial)"),
                     0);
    ck_assert(rotor_test_expect_state(t, a, "served"));
}
END_TEST

/* Steps the test must give itself are refused, naming the step. */
START_TEST(refused_steps)
{
    rotor_ref ref = spawn(true);

    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
                                         "coin input"), ROTOR_EINVAL);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "input"));
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "rotor_test_input"));
    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
                                         "resolved(lookup)"), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
                                         "refund"), ROTOR_ENOENT);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "refund"));
    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
                                         "a.rsm:1:1: state x: unreachable"),
                     ROTOR_EINVAL);
    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
        "a.rsm:1:1: state x: not reached: the search stopped at its bound"),
                     ROTOR_EINVAL);
    ck_assert_ptr_nonnull(strstr(rotor_last_error(), "not reached"));
    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
                                         "# machine pr_vend: 4 configurations"),
                     ROTOR_EINVAL);
    ck_assert_int_eq(rotor_test_run_path(t, ref, &pr_vend_machine,
                                         "timeout(2h)"), ROTOR_EINVAL);
    ck_assert_int_eq(rotor_test_run_path(NULL, ref, &pr_vend_machine, ""),
                     ROTOR_EINVAL);
    /* the steps before the refused one were run */
    ck_assert(rotor_test_expect_state(t, ref, "selecting"));
}
END_TEST

static Suite *paths_suite(void)
{
    Suite *s = suite_create("paths");
    TCase *tc = tcase_create("run");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_state_line);
    tcase_add_test(tc, every_transition_line);
    tcase_add_test(tc, wrong_assumption_fails);
    tcase_add_test(tc, line_or_steps);
    tcase_add_test(tc, refused_steps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(paths_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
