/*
 * Unit tests for history's block policy: blocks the size of the
 * capacity, the oldest rewritten without its skipped points, so that a
 * full history holds little more than the points it shows, and every
 * point shown comes back bit-exact through the rewrites.  Series are
 * made with a fixed-seed generator: a counter with varying steps and a
 * three-decimal gauge, as the benchmark's.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "history.h"
#include "runner.h"

#define T0 INT64_C(1795341600000)
#define POINTS 1500

/* A series: its times and values, and the generator's state. */
struct series {
	int64_t sr_ms[POINTS];
	double sr_v[POINTS];
	uint64_t sr_rng;
};

/* Compares what history_each hands out with the series' last points. */
struct expect {
	const struct series *ex_sr;
	size_t ex_next; /* index of the next point expected */
	size_t ex_seen;
};

/* Returns the next pseudo-random 64 bits of sr (xorshift64*). */
static uint64_t
series_rng(struct series *sr)
{
	sr->sr_rng ^= sr->sr_rng >> 12;
	sr->sr_rng ^= sr->sr_rng << 25;
	sr->sr_rng ^= sr->sr_rng >> 27;
	return sr->sr_rng * UINT64_C(2685821657736338717);
}

/* Fills sr with a counter (gauge 0) or a three-decimal gauge, polled
 * every 1,000 ms plus 0 to 10 ms. */
static void
series_fill(struct series *sr, int gauge)
{
	double x = 123456;
	int i;

	sr->sr_rng = UINT64_C(0x2545f4914f6cdd1d);
	for (i = 0; i < POINTS; i++) {
		sr->sr_ms[i] =
		    T0 + 1000 * (int64_t)i + (int64_t)(series_rng(sr) % 11);
		if (gauge) {
			sr->sr_v[i] =
			    round(1000 *
			        (60 + 12 * sin(i / 900.0) + 0.5 * sin(i / 1.3) +
			            0.05 * (double)(series_rng(sr) % 1000) /
			                1000)) /
			    1000;
		} else {
			x += (double)(series_rng(sr) % 6);
			sr->sr_v[i] = x;
		}
	}
}

/* history_each callback: checks a point against the series, in order. */
static void
expect_cb(const struct history_point *pt, void *arg)
{
	struct expect *ex = arg;
	size_t i = ex->ex_next++;

	ck_assert_int_eq(pt->hp_ms, ex->ex_sr->sr_ms[i]);
	ck_assert_mem_eq(&pt->hp_value, &ex->ex_sr->sr_v[i], sizeof(double));
	ex->ex_seen++;
}

/* Checks that h shows exactly points n - cap .. n - 1 of sr. */
static void
expect_last(const struct history *h, const struct series *sr, size_t n)
{
	size_t cap = history_capacity(h), want = n < cap ? n : cap;
	struct expect ex = {sr, n - want, 0};

	ck_assert_uint_eq(history_len(h), want);
	history_each(h, INT64_MIN, expect_cb, &ex);
	ck_assert_uint_eq(ex.ex_seen, want);
}

/* Through blocks sealed, rewritten and freed, a history of any capacity
 * shows its last points bit-exact after every append. */
START_TEST(test_window)
{
	static struct series sr;
	static const size_t caps[] = {1, 4, 33, 100, 360, 500};
	size_t c, i;

	for (c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		struct history *h = history_new(caps[c]);

		series_fill(&sr, (int)(c % 2));
		for (i = 0; i < POINTS; i++) {
			history_add(h, sr.sr_ms[i], sr.sr_v[i]);
			if (i % 17 == 0 || i + 1 == POINTS)
				expect_last(h, &sr, i + 1);
		}
		history_free(h);
	}
}
END_TEST

/* Returns the most bytes a point history_bytes says h takes, over the
 * appends of sr past the first cap. */
static double
most_bytes_per_point(size_t cap, const struct series *sr)
{
	struct history *h = history_new(cap);
	double most = 0;
	size_t i;

	for (i = 0; i < POINTS; i++) {
		history_add(h, sr->sr_ms[i], sr->sr_v[i]);
		if (i >= cap) {
			double b =
			    (double)history_bytes(h) / (double)history_len(h);
			if (b > most)
				most = b;
		}
	}
	history_free(h);
	return most;
}

/* A full history of 360 holds little more than its points: the oldest
 * block is rewritten without the skipped ones, and sealed blocks give
 * back the encoder's state (at most 1.9 and 2.9 bytes a point here; a
 * block of 240 freed only once all its points were skipped, with a
 * 64-byte struct, held up to 2.7 and 4.1). */
START_TEST(test_bytes)
{
	static struct series sr;

	series_fill(&sr, 0);
	ck_assert_double_le(most_bytes_per_point(360, &sr), 2.2);
	series_fill(&sr, 1);
	ck_assert_double_le(most_bytes_per_point(360, &sr), 3.3);
	/* A small capacity: blocks of 32 points, not 240 (44.5; 127). */
	series_fill(&sr, 0);
	ck_assert_double_le(most_bytes_per_point(4, &sr), 60);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("history_blocks");
	TCase *tc = tcase_create("history_blocks");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_bytes);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
