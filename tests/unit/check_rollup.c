/*
 * Unit tests for a stat's rollups with a fake clock (explicit ms):
 * bucket edges, gaps left out, NaN skipped, exact min/max/sum/count,
 * the oldest dropped at capacity, the open bucket, the from cut, rollups
 * turned off, the accessors the state file uses, and the memory a day of
 * realistic buckets takes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include <check.h>

#include "rollup.h"
#include "runner.h"

/* The most buckets a test collects. */
#define SEEN_MAX 16

/* What rollup_each handed out. */
struct seen {
	struct rollup_bucket s_b[SEEN_MAX];
	int64_t s_width;
	int s_n;
};

/* rollup_each callback: records a bucket. */
static void
collect_cb(int64_t start_ms, int64_t width_ms, double min, double max,
    double sum, uint64_t count, void *arg)
{
	struct seen *s = arg;
	struct rollup_bucket *b;

	ck_assert_int_lt(s->s_n, SEEN_MAX);
	b = &s->s_b[s->s_n++];
	b->rb_start_ms = start_ms;
	b->rb_min = min;
	b->rb_max = max;
	b->rb_sum = sum;
	b->rb_count = count;
	s->s_width = width_ms;
}

/* Collects every bucket of r from from_ms into s. */
static void
collect(const struct rollup *r, int64_t from_ms, struct seen *s)
{
	s->s_n = 0;
	s->s_width = 0;
	rollup_each(r, from_ms, collect_cb, s);
}

/* Asserts bucket i of s is start, min, max, sum, count. */
static void
assert_bucket(const struct seen *s, int i, int64_t start, double min,
    double max, double sum, uint64_t count)
{
	ck_assert_int_lt(i, s->s_n);
	ck_assert_int_eq(s->s_b[i].rb_start_ms, start);
	ck_assert_double_eq(s->s_b[i].rb_min, min);
	ck_assert_double_eq(s->s_b[i].rb_max, max);
	ck_assert_double_eq(s->s_b[i].rb_sum, sum);
	ck_assert_uint_eq(s->s_b[i].rb_count, count);
}

/* Times at the ends of int64 (a state file can hold any): buckets
 * without overflow, the lowest time its own bucket. */
START_TEST(test_extreme_times)
{
	struct rollup *r = rollup_new(60000, 10);
	struct seen s;

	ck_assert_ptr_nonnull(r);
	rollup_add(r, INT64_MIN, 1.0);
	rollup_add(r, INT64_MIN + 1, 2.0);
	rollup_add(r, -1, 3.0);
	rollup_add(r, INT64_MAX, 4.0);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 3);
	assert_bucket(&s, 0, INT64_MIN, 1.0, 2.0, 3.0, 2);
	assert_bucket(&s, 1, -60000, 3.0, 3.0, 3.0, 1);
	assert_bucket(&s, 2, INT64_MAX - INT64_MAX % 60000, 4.0, 4.0, 4.0, 1);
	rollup_free(r);
}
END_TEST

/* A point exactly at a bucket's end opens the next; the last ms before
 * it still counts in the first. */
START_TEST(test_boundary)
{
	struct rollup *r = rollup_new(1000, 10);
	struct seen s;

	rollup_add(r, 0, 1);
	rollup_add(r, 500, 2);
	rollup_add(r, 999, 3);
	ck_assert_uint_eq(rollup_len(r), 0);
	rollup_add(r, 1000, 4);
	ck_assert_uint_eq(rollup_len(r), 1);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 2);
	ck_assert_int_eq(s.s_width, 1000);
	assert_bucket(&s, 0, 0, 1, 3, 6, 3);
	/* The open bucket comes last. */
	assert_bucket(&s, 1, 1000, 4, 4, 4, 1);
	ck_assert_int_eq(rollup_width(r), 1000);
	ck_assert_uint_eq(rollup_capacity(r), 10);
	rollup_free(r);
}
END_TEST

/* A point opens the bucket that holds it, not the one after the last:
 * buckets without points are not stored. */
START_TEST(test_gaps)
{
	struct rollup *r = rollup_new(1000, 10);
	struct seen s;

	rollup_add(r, 1500, 7);
	rollup_add(r, 5250, 8);
	rollup_add(r, 9999, 9);
	ck_assert_uint_eq(rollup_len(r), 2);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 3);
	assert_bucket(&s, 0, 1000, 7, 7, 7, 1);
	assert_bucket(&s, 1, 5000, 8, 8, 8, 1);
	assert_bucket(&s, 2, 9000, 9, 9, 9, 1);
	/* Before 1970 the bucket is the one below: floor, not truncation. */
	rollup_clear(r);
	rollup_add(r, -1, 1);
	collect(r, INT64_MIN, &s);
	assert_bucket(&s, 0, -1000, 1, 1, 1, 1);
	rollup_free(r);
}
END_TEST

/* NaN (a stat that is not a number) is skipped: it neither counts nor
 * closes a bucket. */
START_TEST(test_nan)
{
	struct rollup *r = rollup_new(1000, 10);
	struct seen s;

	rollup_add(r, 100, NAN);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 0);
	rollup_add(r, 200, 5);
	rollup_add(r, 300, NAN);
	rollup_add(r, 2500, NAN);
	ck_assert_uint_eq(rollup_len(r), 0);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 1);
	assert_bucket(&s, 0, 0, 5, 5, 5, 1);
	rollup_free(r);
}
END_TEST

/* min, max, sum and count are exact, decimals and negatives too; a
 * point older than the open bucket is ignored. */
START_TEST(test_exact)
{
	static const double v[] = {0.1, 0.2, -3.125, 1e15, 2.5, -0.0};
	struct rollup *r = rollup_new(60000, 10);
	double sum = 0;
	struct seen s;
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		rollup_add(r, 120000 + (int64_t)i * 1000, v[i]);
		sum += v[i];
	}
	rollup_add(r, 119999, 1e300); /* older: ignored */
	rollup_add(r, 180000, 1);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 2);
	assert_bucket(&s, 0, 120000, -3.125, 1e15, sum, 6);
	rollup_add(r, 179999, 1e300); /* before the open bucket now */
	collect(r, INT64_MIN, &s);
	assert_bucket(&s, 1, 180000, 1, 1, 1, 1);
	rollup_free(r);
}
END_TEST

/* At capacity the oldest bucket goes; the open one is not counted. */
START_TEST(test_capacity)
{
	struct rollup *r = rollup_new(1000, 3);
	struct seen s;
	int i;

	for (i = 0; i <= 10; i++) {
		rollup_add(r, i * 1000, i);
		rollup_add(r, i * 1000 + 10, i + 0.5);
	}
	ck_assert_uint_eq(rollup_len(r), 3);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 4);
	assert_bucket(&s, 0, 7000, 7, 7.5, 14.5, 2);
	assert_bucket(&s, 1, 8000, 8, 8.5, 16.5, 2);
	assert_bucket(&s, 2, 9000, 9, 9.5, 18.5, 2);
	assert_bucket(&s, 3, 10000, 10, 10.5, 20.5, 2);
	/* from cuts by a bucket's start, the open bucket's too. */
	collect(r, 8000, &s);
	ck_assert_int_eq(s.s_n, 3);
	ck_assert_int_eq(s.s_b[0].rb_start_ms, 8000);
	collect(r, 8001, &s);
	ck_assert_int_eq(s.s_n, 2);
	ck_assert_int_eq(s.s_b[0].rb_start_ms, 9000);
	collect(r, 10000, &s);
	ck_assert_int_eq(s.s_n, 1);
	collect(r, 10001, &s);
	ck_assert_int_eq(s.s_n, 0);
	rollup_free(r);
}
END_TEST

/* points = 0 turns rollups off; a width under 1 ms is refused. */
START_TEST(test_off)
{
	struct rollup *r = rollup_new(1000, 0);
	struct rollup_bucket b = {5000, 1, 2, 3, 2};
	struct seen s;
	int i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < 100; i++)
		rollup_add(r, i * 500, i);
	ck_assert_uint_eq(rollup_len(r), 0);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 0);
	rollup_set_open(r, &b);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 0);
	/* Off costs the struct alone: no series. */
	ck_assert_uint_lt(rollup_bytes(r), 128);
	ck_assert_ptr_null(rollup_series(r, ROLLUP_SUM));
	rollup_clear(r);
	rollup_free(r);
	ck_assert_ptr_null(rollup_new(0, 10));
	ck_assert_ptr_null(rollup_new(-1000, 10));
	rollup_free(NULL);
}
END_TEST

/* clear drops every bucket, the open one too; adding goes on after. */
START_TEST(test_clear)
{
	struct rollup *r = rollup_new(1000, 10);
	struct seen s;

	rollup_add(r, 0, 1);
	rollup_add(r, 1000, 2);
	rollup_clear(r);
	ck_assert_uint_eq(rollup_len(r), 0);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 0);
	/* An older point opens a bucket again: none is open. */
	rollup_add(r, 500, 3);
	collect(r, INT64_MIN, &s);
	assert_bucket(&s, 0, 0, 3, 3, 3, 1);
	rollup_free(r);
}
END_TEST

/* history_each callback: counts points and checks their times. */
static void
count_cb(const struct history_point *pt, void *arg)
{
	int *n = arg;

	ck_assert_int_eq(pt->hp_ms, 1000 * (*n + 1));
	(*n)++;
}

/* The state file's accessors: the four series in step, the open bucket
 * read and set (aligned), and a copy into rollups of the same width. */
START_TEST(test_accessors)
{
	struct rollup *r = rollup_new(1000, 10), *small, *other;
	struct rollup_bucket b;
	struct seen s;
	int i, n;

	for (i = 1; i <= 4; i++)
		rollup_add(r, i * 1000 + 1, i);
	for (i = 0; i < ROLLUP_NSERIES; i++) {
		n = 0;
		history_each(
		    rollup_series(r, (enum rollup_series)i), 0, count_cb, &n);
		ck_assert_int_eq(n, 3);
	}
	rollup_get_open(r, &b);
	ck_assert_int_eq(b.rb_start_ms, 4000);
	ck_assert_uint_eq(b.rb_count, 1);
	b.rb_start_ms = 7777;
	b.rb_min = -1;
	b.rb_max = 9;
	b.rb_sum = 8;
	b.rb_count = 2;
	rollup_set_open(r, &b);
	rollup_add(r, 7999, 10);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 4);
	assert_bucket(&s, 3, 7000, -1, 10, 18, 3);
	/* Copied into 2 buckets: the newest two and the open one. */
	small = rollup_new(1000, 2);
	ck_assert_int_eq(rollup_copy(small, r), 0);
	collect(small, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 3);
	assert_bucket(&s, 0, 2000, 2, 2, 2, 1);
	assert_bucket(&s, 2, 7000, -1, 10, 18, 3);
	/* Another width: nothing copied. */
	other = rollup_new(60000, 10);
	ck_assert_int_eq(rollup_copy(other, r), -1);
	ck_assert_uint_eq(rollup_len(other), 0);
	/* No bucket open. */
	b.rb_count = 0;
	rollup_set_open(r, &b);
	rollup_get_open(r, &b);
	ck_assert_uint_eq(b.rb_count, 0);
	collect(r, INT64_MIN, &s);
	ck_assert_int_eq(s.s_n, 3);
	rollup_free(other);
	rollup_free(small);
	rollup_free(r);
}
END_TEST

/* A fixed pseudo-random sequence (an LCG): the figures do not move. */
static uint32_t
rng(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 16;
}

/* The buckets of a day. */
#define DAY_BUCKETS 1440

/*
 * Fills r with a day of a counter (growing 0.5 to 5 a second, in
 * integer steps) or a gauge (three decimals, a slow wave and a fast
 * ripple) polled every second, 60 points a bucket.
 */
static void
fill_day(struct rollup *r, int gauge)
{
	const int64_t t0 = 1795000000000;
	uint32_t state = 42;
	double counter = 123456, v;
	int64_t i;

	for (i = 0; i <= DAY_BUCKETS * 60; i++) {
		counter += (double)(rng(&state) % 6);
		v = gauge ? round(1000 *
		                (50 + 5 * sin((double)i / 3600.0) +
		                    0.3 * sin((double)i / 1.3))) /
		        1000
		          : counter;
		rollup_add(r, t0 + i * 1000 + (int64_t)(rng(&state) % 11), v);
	}
}

/* rollup_each callback: the average of a bucket into a history. */
static void
avg_cb(int64_t start_ms, int64_t width_ms, double min, double max, double sum,
    uint64_t count, void *arg)
{
	(void)width_ms;
	(void)min;
	(void)max;
	history_add(arg, start_ms, sum / (double)count);
}

/* A day of 1-minute buckets of a counter and a gauge takes far less
 * than 16 bytes a value (64 a bucket): the figures are printed. */
START_TEST(test_bytes_day)
{
	static const char *const kind[] = {"counter", "gauge"};
	struct rollup *r;
	struct history *avg, *sum;
	double per;
	int g;

	for (g = 0; g < 2; g++) {
		r = rollup_new(60000, DAY_BUCKETS);
		fill_day(r, g);
		ck_assert_uint_eq(rollup_len(r), DAY_BUCKETS);
		per = (double)rollup_bytes(r) / DAY_BUCKETS;
		/* sum against avg: the same buckets' averages, encoded. */
		avg = history_new(DAY_BUCKETS);
		rollup_each(r, INT64_MIN, avg_cb, avg);
		sum = rollup_series(r, ROLLUP_SUM);
		printf("rollup %s: %.2f bytes a bucket (%zu for %d); "
		       "sum series %.2f bytes a bucket, avg %.2f\n",
		    kind[g], per, rollup_bytes(r), DAY_BUCKETS,
		    (double)history_bytes(sum) / DAY_BUCKETS,
		    (double)history_bytes(avg) / DAY_BUCKETS);
		ck_assert_double_lt(per, 24.0);
		history_free(avg);
		rollup_free(r);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rollup");
	TCase *tc = tcase_create("rollup");

	tcase_add_test(tc, test_boundary);
	tcase_add_test(tc, test_gaps);
	tcase_add_test(tc, test_nan);
	tcase_add_test(tc, test_exact);
	tcase_add_test(tc, test_capacity);
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_clear);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_bytes_day);
	tcase_add_test(tc, test_extreme_times);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
