/*
 * Unit tests for the history ring: order, wrap-around at capacity, the
 * since= cut, a ring that keeps nothing, NaN for values that are not
 * numbers, and its blocks saved and loaded back (bit for bit, the skip
 * kept, appends going on) or refused when corrupt or out of order.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "history.h"
#include "points.h"
#include "runner.h"
#include "tsblock.h"

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

/* Blocks copied out of a history by history_each_block. */
struct saved {
	uint8_t *sb_data[16];
	size_t sb_len[16];
	unsigned sb_count[16];
	size_t sb_n;
	size_t sb_skip;
};

/* history_each_block callback: copies a block. */
static void
save_block_cb(const uint8_t *data, size_t len, unsigned count, void *arg)
{
	struct saved *sv = arg;

	ck_assert_uint_lt(sv->sb_n, 16);
	ck_assert_ptr_nonnull(sv->sb_data[sv->sb_n] = malloc(len));
	memcpy(sv->sb_data[sv->sb_n], data, len);
	sv->sb_len[sv->sb_n] = len;
	sv->sb_count[sv->sb_n] = count;
	sv->sb_n++;
}

/* Copies h's blocks and skip into sv. */
static void
save(const struct history *h, struct saved *sv)
{
	memset(sv, 0, sizeof *sv);
	sv->sb_skip = history_each_block(h, save_block_cb, sv);
}

/* Frees what save copied. */
static void
saved_free(struct saved *sv)
{
	size_t i;

	for (i = 0; i < sv->sb_n; i++)
		free(sv->sb_data[i]);
}

/* Loads every saved block into h, the skip with the first; 0 or -1. */
static int
load(struct history *h, const struct saved *sv, const char **why)
{
	size_t i;

	for (i = 0; i < sv->sb_n; i++) {
		if (history_load_block(h, sv->sb_data[i], sv->sb_len[i],
		        sv->sb_count[i], i == 0 ? sv->sb_skip : 0, why) == -1)
			return -1;
	}
	return 0;
}

/* Checks that a and b show the same points, bit for bit. */
static void
expect_same(const struct history *a, const struct history *b)
{
	static struct points pa;

	points_of(a, &pa);
	ck_assert_uint_eq(pa.p_n, history_len(a));
	ck_assert_uint_eq(history_len(b), pa.p_n);
	points_expect(b, 0, &pa, 0, pa.p_n);
}

/* The i-th value of a series with every awkward double in it. */
static double
odd_value(int i)
{
	static const double odd[] = {
	    NAN, -0.0, 0.0, INFINITY, -INFINITY, 1e308, -5e-324, 0.1};

	if (i % 5 == 0)
		return odd[(i / 5) % (sizeof odd / sizeof odd[0])];
	return 1000.0 + i * 0.125;
}

/* Blocks saved and loaded back show the same points, bit for bit, keep
 * the skip, and take appends as the original does. */
START_TEST(test_blocks_round_trip)
{
	struct history *h = history_new(300), *g = history_new(300);
	const char *why = NULL;
	struct saved sv;
	int i;

	/* 500 points: the oldest block partly skipped, the last open. */
	for (i = 0; i < 500; i++)
		history_add(h, 1000LL * i, odd_value(i));
	save(h, &sv);
	ck_assert_uint_eq(sv.sb_n, 3);
	ck_assert_uint_gt(sv.sb_skip, 0);
	ck_assert_uint_eq(
	    sv.sb_count[0] + sv.sb_count[1] + sv.sb_count[2] - sv.sb_skip, 300);
	ck_assert_uint_lt(sv.sb_count[2], TSBLOCK_POINTS_MAX);
	ck_assert_msg(load(g, &sv, &why) == 0, "%s", why);
	ck_assert_uint_eq(history_len(g), 300);
	expect_same(h, g);
	/* Saved again, the same blocks and skip. */
	saved_free(&sv);
	save(g, &sv);
	ck_assert_uint_gt(sv.sb_skip, 0);
	saved_free(&sv);
	/* Appends go on in the loaded open block and past it. */
	for (; i < 1000; i++) {
		history_add(h, 1000LL * i, odd_value(i));
		history_add(g, 1000LL * i, odd_value(i));
	}
	expect_same(h, g);
	ck_assert_uint_eq(history_bytes(g), history_bytes(h));
	history_free(h);
	history_free(g);
}
END_TEST

/* A smaller capacity keeps the newest points; capacity 0 keeps none. */
START_TEST(test_blocks_smaller)
{
	struct history *h = history_new(300), *g = history_new(10),
	               *z = history_new(0);
	static struct points pa;
	const char *why = NULL;
	struct saved sv;
	int i;

	for (i = 0; i < 500; i++)
		history_add(h, 1000LL * i, i);
	save(h, &sv);
	ck_assert_msg(load(g, &sv, &why) == 0, "%s", why);
	ck_assert_uint_eq(history_len(g), 10);
	points_of(g, &pa);
	ck_assert_uint_eq(pa.p_n, 10);
	ck_assert_int_eq(pa.p_ms[0], 490000);
	ck_assert_int_eq(load(z, &sv, &why), 0);
	ck_assert_uint_eq(history_len(z), 0);
	saved_free(&sv);
	history_free(h);
	history_free(g);
	history_free(z);
}
END_TEST

/* A corrupt, empty, misplaced or out-of-order block is refused with a
 * reason and leaves the history as it was. */
START_TEST(test_blocks_refused)
{
	struct history *h = history_new(1000), *g;
	const char *why;
	struct saved sv;
	uint8_t *flipped;
	int i;

	for (i = 0; i < 300; i++)
		history_add(h, 1000LL * i, i * 1.5);
	save(h, &sv);
	ck_assert_uint_eq(sv.sb_n, 2);
	ck_assert_uint_eq(sv.sb_skip, 0);
	g = history_new(1000);

	/* A flipped bit fails the block's checks. */
	ck_assert_ptr_nonnull(flipped = malloc(sv.sb_len[0]));
	memcpy(flipped, sv.sb_data[0], sv.sb_len[0]);
	flipped[sv.sb_len[0] / 2] ^= 0x10;
	why = NULL;
	ck_assert_int_eq(history_load_block(
	                     g, flipped, sv.sb_len[0], sv.sb_count[0], 0, &why),
	    -1);
	ck_assert_ptr_nonnull(why);
	free(flipped);
	/* No points, or none of them shown. */
	why = NULL;
	ck_assert_int_eq(history_load_block(g, NULL, 0, 0, 0, &why), -1);
	ck_assert_str_eq(why, "the block is empty");
	ck_assert_int_eq(history_load_block(g, sv.sb_data[0], sv.sb_len[0],
	                     sv.sb_count[0], sv.sb_count[0], &why),
	    -1);
	ck_assert_str_eq(why, "the block has no point shown");
	ck_assert_uint_eq(history_len(g), 0);

	/* The newer block first, then the older: out of order. */
	ck_assert_int_eq(history_load_block(g, sv.sb_data[1], sv.sb_len[1],
	                     sv.sb_count[1], 0, &why),
	    0);
	ck_assert_int_eq(history_load_block(g, sv.sb_data[0], sv.sb_len[0],
	                     sv.sb_count[0], 0, &why),
	    -1);
	ck_assert_str_eq(why, "the block starts before the one before it ends");
	/* A skip belongs to the first block only. */
	ck_assert_int_eq(history_load_block(g, sv.sb_data[1], sv.sb_len[1],
	                     sv.sb_count[1], 1, &why),
	    -1);
	ck_assert_str_eq(why, "only the first block has points not shown");
	ck_assert_uint_eq(history_len(g), sv.sb_count[1]);
	saved_free(&sv);
	history_free(h);
	history_free(g);
}
END_TEST

/* Runs the suite; exits 0 only if every test passed. */
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
	tcase_add_test(tc, test_blocks_round_trip);
	tcase_add_test(tc, test_blocks_smaller);
	tcase_add_test(tc, test_blocks_refused);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
