/*
 * Unit tests for the history ring: order, wrap-around at capacity, the
 * since= cut, a ring that keeps nothing, and NaN for values that are
 * not numbers.
 */
#include <math.h>
#include <stdint.h>

#include <check.h>

#include "history.h"
#include "runner.h"

/* Collects what history_each hands out. */
struct seen {
	int64_t s_ms[16];
	double s_value[16];
	int s_n;
};

/* history_each callback: records a point. */
static void
collect_cb(const struct history_point *pt, void *arg)
{
	struct seen *s = arg;

	ck_assert_int_lt(s->s_n, 16);
	s->s_ms[s->s_n] = pt->hp_ms;
	s->s_value[s->s_n] = pt->hp_value;
	s->s_n++;
}

/* Points come back oldest first, as they went in. */
START_TEST(test_order)
{
	struct history *h = history_new(4);
	struct seen s = {{0}, {0}, 0};

	history_add(h, 1000, 1.0);
	history_add(h, 2000, 2.5);
	ck_assert_uint_eq(history_len(h), 2);
	ck_assert_uint_eq(history_capacity(h), 4);
	history_each(h, 0, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 2);
	ck_assert_int_eq(s.s_ms[0], 1000);
	ck_assert_double_eq(s.s_value[1], 2.5);
	history_free(h);
}
END_TEST

/* A full ring drops the oldest point and keeps its size. */
START_TEST(test_wrap)
{
	struct history *h = history_new(3);
	struct seen s = {{0}, {0}, 0};
	int i;

	for (i = 1; i <= 7; i++)
		history_add(h, i * 1000, i);
	ck_assert_uint_eq(history_len(h), 3);
	history_each(h, 0, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 3);
	ck_assert_int_eq(s.s_ms[0], 5000);
	ck_assert_int_eq(s.s_ms[1], 6000);
	ck_assert_int_eq(s.s_ms[2], 7000);
	ck_assert_double_eq(s.s_value[2], 7.0);
	history_free(h);
}
END_TEST

/* since= keeps the points at or after it, also across the wrap. */
START_TEST(test_since)
{
	struct history *h = history_new(5);
	struct seen s = {{0}, {0}, 0};
	int i;

	for (i = 1; i <= 8; i++)
		history_add(h, i * 1000, i);
	/* Held: 4000 .. 8000, stored across the end of the array. */
	history_each(h, 6000, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 3);
	ck_assert_int_eq(s.s_ms[0], 6000);
	s.s_n = 0;
	history_each(h, 6001, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 2);
	ck_assert_int_eq(s.s_ms[0], 7000);
	s.s_n = 0;
	history_each(h, 9000, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 0);
	s.s_n = 0;
	history_each(h, 0, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 5);
	ck_assert_int_eq(s.s_ms[0], 4000);
	history_free(h);
}
END_TEST

/* A ring of capacity 0 records nothing and hands out nothing. */
START_TEST(test_zero)
{
	struct history *h = history_new(0);
	struct seen s = {{0}, {0}, 0};

	ck_assert_ptr_nonnull(h);
	history_add(h, 1000, 1.0);
	ck_assert_uint_eq(history_len(h), 0);
	history_each(h, 0, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 0);
	history_free(h);
	history_free(NULL);
}
END_TEST

/* NaN, for a value that is not a number, is kept as NaN. */
START_TEST(test_nan)
{
	struct history *h = history_new(2);
	struct seen s = {{0}, {0}, 0};

	history_add(h, 1000, NAN);
	history_each(h, 0, collect_cb, &s);
	ck_assert_int_eq(s.s_n, 1);
	ck_assert(isnan(s.s_value[0]));
	history_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("history");

	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_since);
	tcase_add_test(tc, test_zero);
	tcase_add_test(tc, test_nan);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
