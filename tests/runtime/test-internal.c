/*
 * test-internal.c: the runtime's private pieces that the public API
 * cannot reach in reasonable time: generation wrap-around in the machine
 * table, and the event ring buffer's order across growth.  The runtime's
 * sources are compiled into this program (their names are not exported
 * from the library).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "rotor-internal.h"

START_TEST(generation_skips_zero)
{
    struct rotor__table t;
    struct rotor_scope m = {0};

    ck_assert_int_eq(rotor__table_init(&t, 4), 0);
    ck_assert_int_eq(rotor__table_put(&t, &m), 0);
    ck_assert_uint_eq(m.ref.slot, 0);
    ck_assert_uint_eq(m.ref.gen, 1);
    ck_assert_ptr_eq(rotor__table_get(&t, m.ref), &m);
    t.slots[0].gen = UINT32_MAX;        /* as after 2^32 - 2 reuses */
    m.ref.gen = UINT32_MAX;
    rotor__table_release(&t, &m);
    ck_assert_uint_eq(t.slots[0].gen, 1);
    ck_assert_ptr_null(rotor__table_get(&t, (rotor_ref){0, UINT32_MAX}));
    ck_assert_ptr_null(rotor__table_get(&t, (rotor_ref){0, 0}));
    rotor__table_fini(&t);
}
END_TEST

START_TEST(table_reuses_last_freed_and_stops_at_max)
{
    struct rotor__table t;
    struct rotor_scope m[5] = {{0}};

    ck_assert_int_eq(rotor__table_init(&t, 4), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(rotor__table_put(&t, &m[i]), 0);
        ck_assert_uint_eq(m[i].ref.slot, (uint32_t)i);
    }
    ck_assert_int_eq(rotor__table_put(&t, &m[4]), ROTOR_ENOSPC);
    rotor__table_release(&t, &m[1]);
    rotor__table_release(&t, &m[2]);
    ck_assert_int_eq(rotor__table_put(&t, &m[4]), 0);
    ck_assert_uint_eq(m[4].ref.slot, 2);
    ck_assert_uint_eq(m[4].ref.gen, 2);
    ck_assert_ptr_null(rotor__table_get(&t, m[2].ref));
    m[4].ending = true;                 /* destroy running: not found */
    ck_assert_ptr_null(rotor__table_get(&t, m[4].ref));
    rotor__table_fini(&t);
}
END_TEST

START_TEST(queue_keeps_order_across_growth)
{
    struct rotor__queue q = {0};
    struct rotor__qev e;
    int next_in = 0, next_out = 0;

    /* Interleave pushes and pops so that the ring wraps before growing. */
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 7; i++, next_in++)
            ck_assert_int_eq(rotor__queue_push(&q, (rotor_ref){1, 1},
                                               next_in, NULL), 0);
        for (int i = 0; i < 4; i++, next_out++) {
            ck_assert(rotor__queue_pop(&q, &e));
            ck_assert_int_eq(e.kind, next_out);
        }
    }
    while (rotor__queue_pop(&q, &e))
        ck_assert_int_eq(e.kind, next_out++);
    ck_assert_int_eq(next_out, next_in);
    rotor__queue_fini(&q);
}
END_TEST

/* The real clock, here one the test moves (clock.c is not compiled in),
 * and how often it was read. */
static uint64_t clock_now = 5000, clock_reads;

uint64_t rotor__real_us(void)
{
    clock_reads++;
    return clock_now;
}

uint64_t rotor__vclock_now(const struct rotor_loop *loop)
{
    (void)loop;
    ck_abort_msg("a loop without a virtual clock read one");
    return 0;
}

/* In a stream's readiness callback (between rotor__turn_begin and _end)
 * the clock is read once: every due time armed there counts from the
 * same instant; outside one, each reading is the clock's. */
START_TEST(clock_read_once_per_turn)
{
    struct rotor_loop loop = {0};

    rotor__turn_begin(&loop);
    ck_assert_uint_eq(rotor__now_us(&loop), 5000);
    clock_now = 7000;
    ck_assert_uint_eq(rotor__now_us(&loop), 5000);
    ck_assert_uint_eq(clock_reads, 1);
    rotor__turn_end(&loop);
    ck_assert_uint_eq(rotor__now_us(&loop), 7000);
    clock_now = 9000;
    ck_assert_uint_eq(rotor__now_us(&loop), 9000);
    ck_assert_uint_eq(clock_reads, 3);
    rotor__turn_begin(&loop);                   /* a new turn reads anew */
    clock_now = 9500;
    ck_assert_uint_eq(rotor__now_us(&loop), 9500);
    rotor__turn_end(&loop);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("internal");
    TCase *tc = tcase_create("table");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, generation_skips_zero);
    tcase_add_test(tc, table_reuses_last_freed_and_stops_at_max);
    tcase_add_test(tc, queue_keeps_order_across_growth);
    tcase_add_test(tc, clock_read_once_per_turn);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
