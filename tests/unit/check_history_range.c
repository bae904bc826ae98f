/*
 * Unit tests for the range aggregator: bucket edges (a point on a step
 * boundary, at from, at to, before from), NaN and infinities skipped,
 * empty buckets left out, exact min, max and avg, pre-aggregated
 * buckets merged with raw points, items out of order, and the limits.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "history_range.h"
#include "runner.h"

/* Collects what the aggregator emits. */
struct seen {
	struct history_range_out s_b[16];
	int s_n;
};

/* history_range_cb: records a bucket. */
static void
collect_cb(const struct history_range_out *b, void *arg)
{
	struct seen *s = arg;

	ck_assert_int_lt(s->s_n, 16);
	s->s_b[s->s_n++] = *b;
}

/* Asserts bucket i of s is (start, avg, min, max, count), exactly. */
static void
assert_bucket(const struct seen *s, int i, int64_t start, double avg,
    double min, double max, uint64_t count)
{
	ck_assert_int_lt(i, s->s_n);
	ck_assert_int_eq(s->s_b[i].ho_start_ms, start);
	ck_assert_double_eq(s->s_b[i].ho_avg, avg);
	ck_assert_double_eq(s->s_b[i].ho_min, min);
	ck_assert_double_eq(s->s_b[i].ho_max, max);
	ck_assert_uint_eq(s->s_b[i].ho_count, count);
}

/* min, max and avg of a bucket are exact; t is the step's start. */
START_TEST(test_min_max_avg)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;

	r = history_range_new(0, 100000, 10000, collect_cb, &s);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(history_range_add_point(r, 11000, 4.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 12500, -2.5), 1);
	ck_assert_int_eq(history_range_add_point(r, 19999, 7.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 25000, 1.0), 1);
	/* Nothing until a later step arrives or the end. */
	ck_assert_int_eq(s.s_n, 1);
	ck_assert_uint_eq(history_range_finish(r), 2);
	ck_assert_int_eq(s.s_n, 2);
	assert_bucket(&s, 0, 10000, 8.5 / 3.0, -2.5, 7.0, 3);
	assert_bucket(&s, 1, 20000, 1.0, 1.0, 1.0, 1);
	history_range_free(r);
}
END_TEST

/* A point exactly on a step boundary starts the next bucket. */
START_TEST(test_step_boundary)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;

	r = history_range_new(0, 100000, 5000, collect_cb, &s);
	history_range_add_point(r, 4999, 1.0);
	history_range_add_point(r, 5000, 2.0);
	history_range_add_point(r, 9999, 4.0);
	history_range_add_point(r, 10000, 8.0);
	ck_assert_uint_eq(history_range_finish(r), 3);
	assert_bucket(&s, 0, 0, 1.0, 1.0, 1.0, 1);
	assert_bucket(&s, 1, 5000, 3.0, 2.0, 4.0, 2);
	assert_bucket(&s, 2, 10000, 8.0, 8.0, 8.0, 1);
	history_range_free(r);
}
END_TEST

/*
 * from and to are both included; before from and after to are not.  The
 * first bucket starts on its step, before from, but holds only points
 * from from on.
 */
START_TEST(test_range_edges)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;

	r = history_range_new(12000, 31000, 10000, collect_cb, &s);
	ck_assert_int_eq(history_range_add_point(r, 10000, 100.0), 0);
	ck_assert_int_eq(history_range_add_point(r, 11999, 100.0), 0);
	ck_assert_int_eq(history_range_add_point(r, 12000, 1.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 15000, 3.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 31000, 5.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 31001, 100.0), 0);
	ck_assert_int_eq(history_range_add_point(r, 40000, 100.0), 0);
	ck_assert_uint_eq(history_range_finish(r), 2);
	assert_bucket(&s, 0, 10000, 2.0, 1.0, 3.0, 2);
	assert_bucket(&s, 1, 30000, 5.0, 5.0, 5.0, 1);
	history_range_free(r);
}
END_TEST

/* NaN (no value) and infinities are skipped, also in a bucket alone. */
START_TEST(test_nan_skipped)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;

	r = history_range_new(0, 100000, 1000, collect_cb, &s);
	ck_assert_int_eq(history_range_add_point(r, 1000, NAN), 0);
	ck_assert_int_eq(history_range_add_point(r, 2000, 6.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 2100, NAN), 0);
	ck_assert_int_eq(history_range_add_point(r, 2200, INFINITY), 0);
	ck_assert_int_eq(history_range_add_point(r, 2300, -INFINITY), 0);
	ck_assert_int_eq(history_range_add_point(r, 3000, NAN), 0);
	ck_assert_uint_eq(history_range_finish(r), 1);
	assert_bucket(&s, 0, 2000, 6.0, 6.0, 6.0, 1);
	history_range_free(r);
}
END_TEST

/* Steps without data are left out, not emitted empty. */
START_TEST(test_empty_left_out)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;

	r = history_range_new(0, 600000, 60000, collect_cb, &s);
	history_range_add_point(r, 30000, 1.0);
	history_range_add_point(r, 330000, 2.0);
	ck_assert_uint_eq(history_range_finish(r), 2);
	assert_bucket(&s, 0, 0, 1.0, 1.0, 1.0, 1);
	assert_bucket(&s, 1, 300000, 2.0, 2.0, 2.0, 1);
	history_range_free(r);

	/* Nothing at all: no bucket, and finish says so. */
	s.s_n = 0;
	r = history_range_new(0, 600000, 60000, collect_cb, &s);
	ck_assert_uint_eq(history_range_finish(r), 0);
	ck_assert_int_eq(s.s_n, 0);
	history_range_free(r);
}
END_TEST

/*
 * Pre-aggregated buckets (rollups) merge with each other and with raw
 * points: min and max over both, avg from the sums and counts.
 */
START_TEST(test_bucket_merged)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;
	struct history_range_in a = {0, 60000, 1.0, 9.0, 20.0, 4};
	struct history_range_in b = {60000, 60000, 0.5, 3.0, 6.0, 3};
	struct history_range_in none = {120000, 60000, 0.0, 0.0, 0.0, 0};

	r = history_range_new(0, 1000000, 300000, collect_cb, &s);
	ck_assert_int_eq(history_range_add_bucket(r, &a), 1);
	ck_assert_int_eq(history_range_add_bucket(r, &b), 1);
	ck_assert_int_eq(history_range_add_bucket(r, &none), 0);
	/* A raw point after the rollups, in the same step. */
	ck_assert_int_eq(history_range_add_point(r, 250000, 12.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 300000, 2.0), 1);
	ck_assert_uint_eq(history_range_finish(r), 2);
	assert_bucket(&s, 0, 0, 38.0 / 8.0, 0.5, 12.0, 8);
	assert_bucket(&s, 1, 300000, 2.0, 2.0, 2.0, 1);
	history_range_free(r);
}
END_TEST

/*
 * A bucket that straddles two steps counts whole in the step of its
 * start; one that starts before from is left out, even if it ends
 * inside the range.
 */
START_TEST(test_bucket_straddles)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;
	struct history_range_in before = {50000, 60000, 1.0, 1.0, 1.0, 1};
	struct history_range_in across = {150000, 60000, 2.0, 4.0, 9.0, 3};

	r = history_range_new(60000, 1000000, 90000, collect_cb, &s);
	ck_assert_int_eq(history_range_add_bucket(r, &before), 0);
	ck_assert_int_eq(history_range_add_bucket(r, &across), 1);
	ck_assert_int_eq(history_range_add_point(r, 185000, 10.0), 1);
	ck_assert_uint_eq(history_range_finish(r), 2);
	/* 150 s is in the step of 90 s, though it runs on to 210 s. */
	assert_bucket(&s, 0, 90000, 3.0, 2.0, 4.0, 3);
	assert_bucket(&s, 1, 180000, 10.0, 10.0, 10.0, 1);
	history_range_free(r);
}
END_TEST

/* An item in a step before the bucket being filled is dropped. */
START_TEST(test_out_of_order)
{
	struct seen s = {.s_n = 0};
	struct history_range *r;

	r = history_range_new(0, 100000, 10000, collect_cb, &s);
	ck_assert_int_eq(history_range_add_point(r, 25000, 1.0), 1);
	/* Earlier, but in the same step: taken. */
	ck_assert_int_eq(history_range_add_point(r, 21000, 3.0), 1);
	ck_assert_int_eq(history_range_add_point(r, 15000, 50.0), -1);
	ck_assert_uint_eq(history_range_finish(r), 1);
	assert_bucket(&s, 0, 20000, 2.0, 1.0, 3.0, 2);
	history_range_free(r);
}
END_TEST

/* The limits: step >= 1 s, from < to, from >= 0, <= 10000 buckets. */
START_TEST(test_limits)
{
	struct seen s = {.s_n = 0};

	ck_assert_ptr_null(history_range_check(0, 1000, 1000));
	ck_assert_str_eq(history_range_check(0, 1000000, 999),
	    "step= must be at least 1 second");
	ck_assert_str_eq(history_range_check(0, 1000000, 0),
	    "step= must be at least 1 second");
	ck_assert_str_eq(history_range_check(0, 1000000, -1000),
	    "step= must be at least 1 second");
	ck_assert_str_eq(
	    history_range_check(5000, 5000, 1000), "from= must be before to=");
	ck_assert_str_eq(
	    history_range_check(6000, 5000, 1000), "from= must be before to=");
	ck_assert_str_eq(history_range_check(-1000, 5000, 1000),
	    "from= must not be before 1970");
	/* 10000 steps exactly: from's step 0 to to's step 9999. */
	ck_assert_ptr_null(history_range_check(0, 9999999, 1000));
	ck_assert_ptr_null(history_range_check(500, 9999999, 1000));
	ck_assert_str_eq(history_range_check(0, 10000000, 1000),
	    "from= to to= spans more than 10000 steps: use a larger step= or "
	    "a shorter range");
	/* Not aligned: 999 ms to 10000 s touches 10001 steps. */
	ck_assert_ptr_nonnull(history_range_check(999, 10000000, 1000));
	/* A day at step=300 is far inside; a year at 1 s is not. */
	ck_assert_ptr_null(history_range_check(
	    1764460800000, 1764460800000 + 86400000, 300000));
	ck_assert_ptr_nonnull(history_range_check(
	    1764460800000, 1764460800000 + 31536000000, 1000));
	ck_assert_ptr_null(
	    history_range_new(0, 10000000, 1000, collect_cb, &s));
	ck_assert_ptr_null(history_range_new(0, 1000, 10, collect_cb, &s));
	history_range_free(NULL);
}
END_TEST

/* Builds the suite. */
static Suite *
history_range_suite(void)
{
	Suite *s = suite_create("history_range");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_min_max_avg);
	tcase_add_test(tc, test_step_boundary);
	tcase_add_test(tc, test_range_edges);
	tcase_add_test(tc, test_nan_skipped);
	tcase_add_test(tc, test_empty_left_out);
	tcase_add_test(tc, test_bucket_merged);
	tcase_add_test(tc, test_bucket_straddles);
	tcase_add_test(tc, test_out_of_order);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_run(history_range_suite()) == 0 ? 0 : 1;
}
