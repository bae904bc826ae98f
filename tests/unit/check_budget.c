/*
 * Unit tests for the budget module: the sliding window of start times
 * with fixed clocks.  N starts pass, the next waits exactly until the
 * oldest leaves the window, held slots count as used until they start
 * or are given back, and remaining and next_at say so at every step.
 */
#include <check.h>

#include "budget.h"
#include "log.h"
#include "runner.h"

/* A time far from zero, so no test leans on a clock starting at 0. */
#define T0 1000000

/* N starts pass; the N+1th waits until the oldest is a window ago. */
START_TEST(test_window)
{
	struct budget *b = budget_new(3, 10000);

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(budget_limit(b), 3);
	ck_assert_uint_eq(budget_window_ms(b), 10000);
	ck_assert_uint_eq(budget_remaining(b, T0), 3);
	ck_assert_int_eq(budget_next_at(b, T0), T0);
	ck_assert_int_eq(budget_changes_at(b, T0), BUDGET_NEVER);
	ck_assert_int_eq(budget_take(b, T0), 0);
	ck_assert_int_eq(budget_take(b, T0 + 1000), 0);
	ck_assert_uint_eq(budget_remaining(b, T0 + 1000), 1);
	ck_assert_int_eq(budget_take(b, T0 + 2000), 0);
	ck_assert_uint_eq(budget_remaining(b, T0 + 2000), 0);
	/* The fourth waits for the first start to leave the window. */
	ck_assert_int_eq(budget_take(b, T0 + 2000), -1);
	ck_assert_int_eq(budget_next_at(b, T0 + 2000), T0 + 10000);
	ck_assert_int_eq(budget_changes_at(b, T0 + 2000), T0 + 10000);
	ck_assert_int_eq(budget_take(b, T0 + 9999), -1);
	ck_assert_uint_eq(budget_remaining(b, T0 + 9999), 0);
	/* Exactly a window after the oldest: a slot. */
	ck_assert_uint_eq(budget_remaining(b, T0 + 10000), 1);
	ck_assert_int_eq(budget_next_at(b, T0 + 10000), T0 + 10000);
	ck_assert_int_eq(budget_take(b, T0 + 10000), 0);
	/* The ring went round: the oldest is now the one at T0 + 1000. */
	ck_assert_int_eq(budget_next_at(b, T0 + 10000), T0 + 11000);
	ck_assert_int_eq(budget_changes_at(b, T0 + 10000), T0 + 11000);
	/* Long after, all slots are free and nothing will change. */
	ck_assert_uint_eq(budget_remaining(b, T0 + 60000), 3);
	ck_assert_int_eq(budget_changes_at(b, T0 + 60000), BUDGET_NEVER);
	budget_free(b);
	budget_free(NULL);
}
END_TEST

/* In any window there are never more than N starts, whatever the
 * pattern of attempts: one attempt every 7 ms for a minute. */
START_TEST(test_never_more)
{
	struct budget *b = budget_new(5, 1000);
	int64_t starts[1000], t;
	size_t n = 0, i;

	ck_assert_ptr_nonnull(b);
	for (t = T0; t < T0 + 60000; t += 7) {
		if (budget_take(b, t) == 0) {
			ck_assert_uint_lt(n, 1000);
			starts[n++] = t;
		}
	}
	/* 5 a second for 60 s, no more and (starting at once) no fewer. */
	ck_assert_uint_eq(n, 300);
	for (i = 5; i < n; i++)
		ck_assert_int_ge(starts[i] - starts[i - 5], 1000);
	budget_free(b);
}
END_TEST

/* A held slot is used until it starts (then timed from its start) or
 * is given back. */
START_TEST(test_hold)
{
	struct budget *b = budget_new(2, 10000);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(budget_hold(b, T0), 0);
	ck_assert_uint_eq(budget_remaining(b, T0), 1);
	ck_assert_int_eq(budget_take(b, T0 + 1000), 0);
	ck_assert_uint_eq(budget_remaining(b, T0 + 1000), 0);
	ck_assert_int_eq(budget_hold(b, T0 + 1000), -1);
	ck_assert_int_eq(budget_take(b, T0 + 1000), -1);
	/* The start leaves first; the held slot is not timed yet. */
	ck_assert_int_eq(budget_next_at(b, T0 + 1000), T0 + 11000);
	ck_assert_int_eq(budget_changes_at(b, T0 + 1000), T0 + 11000);
	/* It starts at T0 + 5000: its window runs from then. */
	budget_start_held(b, T0 + 5000);
	ck_assert_uint_eq(budget_remaining(b, T0 + 5000), 0);
	ck_assert_int_eq(budget_next_at(b, T0 + 5000), T0 + 11000);
	ck_assert_uint_eq(budget_remaining(b, T0 + 11000), 1);
	ck_assert_int_eq(budget_next_at(b, T0 + 11000), T0 + 11000);
	ck_assert_int_eq(budget_next_at(b, T0 + 12000), T0 + 12000);
	ck_assert_uint_eq(budget_remaining(b, T0 + 15000), 2);
	/* A slot held then given back is free again. */
	ck_assert_int_eq(budget_hold(b, T0 + 15000), 0);
	ck_assert_int_eq(budget_hold(b, T0 + 15000), 0);
	ck_assert_uint_eq(budget_remaining(b, T0 + 15000), 0);
	budget_release(b);
	ck_assert_uint_eq(budget_remaining(b, T0 + 15000), 1);
	budget_release(b);
	budget_release(b); /* one too many: ignored */
	ck_assert_uint_eq(budget_remaining(b, T0 + 15000), 2);
	budget_free(b);
}
END_TEST

/* With the ring full and a slot held, the next frees when the second
 * oldest start leaves the window: the first one's place is taken. */
START_TEST(test_hold_full_ring)
{
	struct budget *b = budget_new(3, 10000);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(budget_take(b, T0), 0);
	ck_assert_int_eq(budget_take(b, T0 + 1000), 0);
	ck_assert_int_eq(budget_take(b, T0 + 2000), 0);
	ck_assert_int_eq(budget_hold(b, T0 + 10000), 0);
	ck_assert_uint_eq(budget_remaining(b, T0 + 10000), 0);
	ck_assert_int_eq(budget_next_at(b, T0 + 10000), T0 + 11000);
	budget_start_held(b, T0 + 10500);
	ck_assert_int_eq(budget_next_at(b, T0 + 10500), T0 + 11000);
	ck_assert_uint_eq(budget_remaining(b, T0 + 12000), 2);
	ck_assert_int_eq(budget_changes_at(b, T0 + 12000), T0 + 20500);
	budget_free(b);
}
END_TEST

/* A clock that steps back does not reorder the ring. */
START_TEST(test_clock_back)
{
	struct budget *b = budget_new(2, 1000);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(budget_take(b, T0 + 500), 0);
	ck_assert_int_eq(budget_take(b, T0), 0);
	ck_assert_int_eq(budget_next_at(b, T0), T0 + 1500);
	ck_assert_uint_eq(budget_remaining(b, T0 + 1500), 2);
	budget_free(b);
}
END_TEST

/* n of 0 makes no budget. */
START_TEST(test_new_bad)
{
	ck_assert_ptr_null(budget_new(0, 1000));
	ck_assert_ptr_null(budget_new(1, UINT64_MAX));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("budget");

	log_set_level(LOG_LEVEL_QUIET);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_never_more);
	tcase_add_test(tc, test_hold);
	tcase_add_test(tc, test_hold_full_ring);
	tcase_add_test(tc, test_clock_back);
	tcase_add_test(tc, test_new_bad);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
