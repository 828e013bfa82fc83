/* echo-test.c: the tutorial's echo machine and an idle timeout, tested
 * with librotor-test: no socket of the network, no real time. */
#include <check.h>
#include <stdlib.h>
#include <rotor/test.h>

#include "echo.h"   /* doc/tutorial/step3/echo.rsm */
#include "idle.h"   /* doc/testing/idle.rsm */

void echo_line(void *self, rotor_scope *s, const rotor_event *ev)
{
    (void)self;
    rotor_stream_echo(s, rotor_event_size(ev));
}

static struct rotor_test *t;

static void setup(void)
{
    t = rotor_test_new(NULL);
    ck_assert_ptr_nonnull(t);
}

static void teardown(void)
{
    rotor_test_free(t);
}

START_TEST(echoes_lines)
{
    rotor_ref c = rotor_test_stream(t, &echo_conn_machine, NULL);

    rotor_test_input(t, c, "one\ntwo\nthr", 11);
    ck_assert_str_eq(rotor_test_output(t, c, NULL), "one\ntwo\n");
    ck_assert(rotor_test_expect_state(t, c, "reading"));
    rotor_test_eof(t, c);       /* "thr" had no newline: dropped */
    ck_assert_str_eq(rotor_test_steps(t, c),
                     "input>reading input>reading eof>done");
}
END_TEST

START_TEST(listener_spawns_connections)
{
    rotor_ref l = rotor_test_listen(t, &echo_listener_machine, NULL);
    rotor_ref c = rotor_test_connect(t, l);

    rotor_test_input(t, c, "hi\n", 3);
    ck_assert_str_eq(rotor_test_output(t, c, NULL), "hi\n");
}
END_TEST

START_TEST(idle_connection_is_closed)
{
    rotor_ref c = rotor_test_stream(t, &idle_conn_machine, NULL);

    rotor_test_advance(t, 59000);
    rotor_test_input(t, c, "still here\n", 11);   /* re-arms: due at 119 s */
    ck_assert_int_eq(rotor_test_advance(t, 59999), 0);
    ck_assert(rotor_test_expect_state(t, c, "reading"));
    ck_assert_int_eq(rotor_test_advance(t, 1), 1);  /* 119 s: the timeout */
    ck_assert(rotor_test_expect_state(t, c, "(ended)"));
    ck_assert_str_eq(rotor_test_steps(t, c), "input>reading timeout>done");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("echo");
    TCase *tc = tcase_create("echo");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, echoes_lines);
    tcase_add_test(tc, listener_spawns_connections);
    tcase_add_test(tc, idle_connection_is_closed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
