/*
 * Unit tests for the compressed block: every point back bit-exact
 * (random series from a fixed seed, and adversarial ones: NaN payloads,
 * infinities, -0.0, extremes, time jumps and reversals), a full block,
 * sealing, the memory it reports, and loading saved bytes: whole, every
 * truncation and every flipped bit refused or decoded exactly as saved.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <zlib.h>

#include "runner.h"
#include "tsblock.h"

#define T0 INT64_C(1795341600000) /* 2026-11-22T10:00:00Z */

/* Points decoded by tsblock_each. */
struct got {
	int64_t ms[TSBLOCK_POINTS_MAX];
	double v[TSBLOCK_POINTS_MAX];
	unsigned n;
};

/* A small generator with a fixed seed (xorshift64*). */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

/* Returns the next pseudo-random 64 bits. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

/* Returns the double whose bits are u. */
static double
bits_double(uint64_t u)
{
	double v;

	memcpy(&v, &u, sizeof v);
	return v;
}

/* tsblock_each's callback: records the point. */
static void
got_cb(int64_t ms, double value, void *arg)
{
	struct got *g = arg;

	ck_assert_uint_lt(g->n, TSBLOCK_POINTS_MAX);
	g->ms[g->n] = ms;
	g->v[g->n] = value;
	g->n++;
}

/* Asserts that b decodes to exactly the n points of ms and v. */
static void
assert_points(
    const struct tsblock *b, const int64_t *ms, const double *v, unsigned n)
{
	struct got *g = calloc(1, sizeof *g);
	unsigned i;

	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(tsblock_count(b), n);
	tsblock_each(b, got_cb, g);
	ck_assert_uint_eq(g->n, n);
	for (i = 0; i < n; i++) {
		ck_assert_msg(g->ms[i] == ms[i], "point %u: ms %lld, not %lld",
		    i, (long long)g->ms[i], (long long)ms[i]);
		ck_assert_msg(memcmp(&g->v[i], &v[i], sizeof v[i]) == 0,
		    "point %u: %.17g, not %.17g", i, g->v[i], v[i]);
	}
	if (n > 0) {
		ck_assert_int_eq(tsblock_first_ms(b), ms[0]);
		ck_assert_int_eq(tsblock_last_ms(b), ms[n - 1]);
	}
	free(g);
}

/* Appends the n points, saves, loads, checks both, then appends one
 * more to each: the loaded block goes on as the original. */
static void
round_trip(const int64_t *ms, const double *v, unsigned n)
{
	struct tsblock *b = tsblock_new(), *l;
	const uint8_t *data, *ldata;
	const char *why = NULL;
	size_t len, llen;
	unsigned i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(tsblock_append(b, ms[i], v[i]), 0);
	assert_points(b, ms, v, n);
	data = tsblock_data(b, &len);
	l = tsblock_load(data, len, n, &why);
	ck_assert_msg(l != NULL, "load: %s", why);
	assert_points(l, ms, v, n);
	if (n < TSBLOCK_POINTS_MAX && n > 0) {
		int64_t next = (int64_t)((uint64_t)ms[n - 1] + 999);

		ck_assert_int_eq(tsblock_append(b, next, v[0]), 0);
		ck_assert_int_eq(tsblock_append(l, next, v[0]), 0);
		data = tsblock_data(b, &len);
		ldata = tsblock_data(l, &llen);
		ck_assert_uint_eq(len, llen);
		ck_assert_int_eq(memcmp(data, ldata, len), 0);
	}
	tsblock_free(l);
	tsblock_free(b);
}

/* Random series of every shape: regular, jittered, any bits. */
START_TEST(test_random_round_trip)
{
	static int64_t ms[TSBLOCK_POINTS_MAX];
	static double v[TSBLOCK_POINTS_MAX];
	unsigned c, i;

	for (c = 0; c < 3000; c++) {
		unsigned n = 1 + (unsigned)(rng() % TSBLOCK_POINTS_MAX);
		unsigned shape = c % 6;
		int64_t t = (int64_t)rng();
		double x = (double)(int64_t)(rng() % 100000);

		for (i = 0; i < n; i++) {
			uint64_t r = rng();

			t = (int64_t)((uint64_t)t +
			    (shape == 5 ? r : 980 + r % 41));
			ms[i] = t;
			switch (shape) {
			case 0: /* a counter */
				x += (double)(r >> 60);
				v[i] = x;
				break;
			case 1: /* three decimals, some with fewer */
				v[i] = (double)(int64_t)(r % 2000000) / 1000;
				break;
			case 2: /* any bits at all */
				v[i] = bits_double(rng());
				break;
			case 3: /* decimals, then anything */
				v[i] = i < n / 2 ? (double)(r % 1000) / 10
				                 : bits_double(rng());
				break;
			case 4: /* integers with huge steps */
				v[i] = (double)(int64_t)(rng() >> (r % 64)) *
				    ((r & 1) ? -1 : 1);
				break;
			default: /* scales from 0 to 6 decimals */
				v[i] = (double)(int64_t)(r % 1000000007) /
				    pow(10, (double)(r % 7));
				break;
			}
		}
		round_trip(ms, v, n);
	}
}
END_TEST

/* Values that only XOR holds, mixed with ones a scale holds. */
START_TEST(test_adversarial_values)
{
	static const double fixed[] = {0.0, -0.0, 1.0, -1.0, 0.001, 1e-7,
	    DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324, -4.9e-324, 2.2e-310,
	    9007199254740992.0, 9007199254740993.0, 1e300, 123456.789012, 0.1,
	    0.2, 0.30000000000000004};
	int64_t ms[TSBLOCK_POINTS_MAX];
	double v[TSBLOCK_POINTS_MAX];
	unsigned i, n = 0, start;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		v[n++] = fixed[i];
	v[n++] = NAN;
	v[n++] = -NAN;
	v[n++] = bits_double(UINT64_C(0x7ff0000000000001)); /* signalling */
	v[n++] = bits_double(UINT64_C(0x7ff8dead0000beef)); /* payload */
	v[n++] = bits_double(UINT64_C(0xfff0000000000001));
	v[n++] = INFINITY;
	v[n++] = -INFINITY;
	for (i = 0; i < n; i++)
		ms[i] = T0 + 1000 * (int64_t)i;
	round_trip(ms, v, n);
	/* Each one first (it picks the mode), then the others. */
	for (start = 0; start < n; start++) {
		double w[TSBLOCK_POINTS_MAX];

		for (i = 0; i < n; i++)
			w[i] = v[(start + i) % n];
		round_trip(ms, w, n);
	}
	/* -0.0 after 0 in a scaled block, and 0 after -0.0. */
	v[0] = 0.0;
	v[1] = -0.0;
	v[2] = 0.0;
	round_trip(ms, v, 3);
	v[0] = -0.0;
	v[1] = 0.0;
	round_trip(ms, v, 2);
}
END_TEST

/* Times: extremes, jumps both ways, backwards, repeated. */
START_TEST(test_adversarial_times)
{
	static const int64_t fixed[] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MAX,
	    INT64_MIN, T0, T0, T0, T0 - 1, T0 - 1000000000000, T0 + 1000,
	    T0 + 2000, T0 + 1999, T0 + 3000, INT64_MIN + 1, 1};
	int64_t ms[TSBLOCK_POINTS_MAX];
	double v[TSBLOCK_POINTS_MAX];
	unsigned n = sizeof fixed / sizeof fixed[0], i, start;

	for (start = 0; start < n; start++) {
		for (i = 0; i < n; i++) {
			ms[i] = fixed[(start + i) % n];
			v[i] = 42.0;
		}
		round_trip(ms, v, n);
	}
	/* Identical points, a whole block of them. */
	for (i = 0; i < TSBLOCK_POINTS_MAX; i++) {
		ms[i] = T0;
		v[i] = 7.5;
	}
	round_trip(ms, v, TSBLOCK_POINTS_MAX);
	/* Time going backwards by a second every poll. */
	for (i = 0; i < TSBLOCK_POINTS_MAX; i++) {
		ms[i] = T0 - 1000 * (int64_t)i;
		v[i] = (double)i;
	}
	round_trip(ms, v, TSBLOCK_POINTS_MAX);
}
END_TEST

/* Full at TSBLOCK_POINTS_MAX; sealed refuses; both unchanged. */
START_TEST(test_full_and_sealed)
{
	struct tsblock *b = tsblock_new(), *e = tsblock_new();
	const uint8_t *data;
	size_t len, len2, before;
	unsigned i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < TSBLOCK_POINTS_MAX; i++)
		ck_assert_int_eq(
		    tsblock_append(b, T0 + 1000 * (int64_t)i, (double)i), 0);
	data = tsblock_data(b, &len);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(tsblock_append(b, T0 + 999999, 1.0), 1);
	(void)tsblock_data(b, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_uint_eq(tsblock_count(b), TSBLOCK_POINTS_MAX);
	ck_assert_int_eq(
	    tsblock_last_ms(b), T0 + 1000 * (TSBLOCK_POINTS_MAX - 1));
	/* An empty block: no bytes, loads back empty, seals. */
	(void)tsblock_data(e, &len2);
	ck_assert_uint_eq(len2, 0);
	ck_assert_int_eq(tsblock_first_ms(e), 0);
	ck_assert_int_eq(tsblock_last_ms(e), 0);
	before = tsblock_bytes(e);
	tsblock_seal(e);
	/* Sealed, it gives back the encoder's state. */
	ck_assert_uint_lt(tsblock_bytes(e), before);
	/* Sealing gives back the spare room and the encoder's state, keeps
	 * the points: a sealed block is its bytes and a sealed empty one. */
	before = tsblock_bytes(b);
	tsblock_seal(b);
	ck_assert_uint_lt(tsblock_bytes(b), before);
	(void)tsblock_data(b, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_uint_eq(tsblock_bytes(b), tsblock_bytes(e) + len);
	ck_assert_uint_eq(tsblock_count(b), TSBLOCK_POINTS_MAX);
	ck_assert_int_eq(tsblock_append(e, T0, 1.0), 1);
	ck_assert_uint_eq(tsblock_count(e), 0);
	tsblock_free(e);
	tsblock_free(b);
	tsblock_free(NULL);
	/* A partly filled block sealed: appends refused. */
	b = tsblock_new();
	ck_assert_int_eq(tsblock_append(b, T0, 1.5), 0);
	tsblock_seal(b);
	ck_assert_int_eq(tsblock_append(b, T0 + 1000, 2.5), 1);
	ck_assert_uint_eq(tsblock_count(b), 1);
	tsblock_free(b);
}
END_TEST

/* tsblock_bytes grows with the points, by far less than 16 a point. */
START_TEST(test_bytes_grow)
{
	struct tsblock *b = tsblock_new();
	size_t empty = tsblock_bytes(b), last = empty;
	unsigned i;

	for (i = 0; i < TSBLOCK_POINTS_MAX; i++) {
		ck_assert_int_eq(
		    tsblock_append(b, T0 + 1000 * (int64_t)i + (int64_t)(i % 7),
		        (double)(i * 3 % 11)),
		    0);
		ck_assert_uint_ge(tsblock_bytes(b), last);
		last = tsblock_bytes(b);
	}
	ck_assert_uint_gt(last, empty + 100);
	ck_assert_uint_lt(last, empty + TSBLOCK_POINTS_MAX * 2);
	tsblock_free(b);
}
END_TEST

/* An open block's buffer holds its bytes and at most 8 spare (the
 * point is encoded aside first), not one append's room of 32 more. */
START_TEST(test_open_spare)
{
	struct tsblock *b = tsblock_new(), *e = tsblock_new();
	size_t len;
	unsigned i;

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(e);
	for (i = 0; i < TSBLOCK_POINTS_MAX; i++) {
		ck_assert_int_eq(
		    tsblock_append(b, T0 + 1000 * (int64_t)i + (int64_t)(i % 7),
		        (double)(i * 3 % 11)),
		    0);
		(void)tsblock_data(b, &len);
		ck_assert_uint_le(tsblock_bytes(b), tsblock_bytes(e) + len + 8);
	}
	tsblock_free(e);
	tsblock_free(b);
}
END_TEST

/* A block of every kind of value, for the corruption tests. */
static struct tsblock *
mixed_block(unsigned n)
{
	struct tsblock *b = tsblock_new();
	unsigned i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++) {
		double v = i < n / 3 ? (double)(i * 7)
		    : i < 2 * n / 3  ? (double)i / 1000 + 0.5
		                     : (double)i * 0.1;

		if (i == n - 2)
			v = NAN;
		ck_assert_int_eq(
		    tsblock_append(
		        b, T0 + 1000 * (int64_t)i + (int64_t)(i % 13), v),
		    0);
	}
	return b;
}

/* Asserts that l decodes to the same points as b. */
static void
assert_same(const struct tsblock *b, const struct tsblock *l)
{
	struct got *gb = calloc(1, sizeof *gb), *gl = calloc(1, sizeof *gl);

	ck_assert_ptr_nonnull(gb);
	ck_assert_ptr_nonnull(gl);
	tsblock_each(b, got_cb, gb);
	tsblock_each(l, got_cb, gl);
	ck_assert_uint_eq(gb->n, gl->n);
	ck_assert_int_eq(memcmp(gb->ms, gl->ms, sizeof gb->ms), 0);
	ck_assert_int_eq(memcmp(gb->v, gl->v, sizeof gb->v), 0);
	free(gb);
	free(gl);
}

/* Every prefix, every wrong count and every flipped bit is refused
 * with a reason (never read out of bounds: ASan watches). */
START_TEST(test_load_corrupt)
{
	struct tsblock *b = mixed_block(60), *l;
	const uint8_t *data;
	uint8_t *copy;
	const char *why;
	size_t len, i;
	unsigned bit, count;

	data = tsblock_data(b, &len);
	/* Each truncation, in a buffer of exactly that size. */
	for (i = 0; i < len; i++) {
		copy = malloc(i + 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, data, i);
		why = NULL;
		ck_assert_ptr_null(tsblock_load(copy, i, 60, &why));
		ck_assert_ptr_nonnull(why);
		free(copy);
	}
	/* Each other count. */
	for (count = 0; count <= TSBLOCK_POINTS_MAX + 1; count++) {
		if (count == 60)
			continue;
		why = NULL;
		ck_assert_ptr_null(tsblock_load(data, len, count, &why));
		ck_assert_ptr_nonnull(why);
	}
	/* Each bit flipped. */
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, data, len);
			copy[i] ^= (uint8_t)(1u << bit);
			why = NULL;
			l = tsblock_load(copy, len, 60, &why);
			if (l != NULL) {
				assert_same(b, l);
				tsblock_free(l);
			} else {
				ck_assert_ptr_nonnull(why);
			}
		}
	}
	free(copy);
	/* The bytes as saved load. */
	l = tsblock_load(data, len, 60, &why);
	ck_assert_ptr_nonnull(l);
	assert_same(b, l);
	tsblock_free(l);
	tsblock_free(b);
	/* An empty block with bytes, and one with none. */
	ck_assert_ptr_null(tsblock_load((const uint8_t *)"x", 1, 0, &why));
	ck_assert_str_eq(why, "an empty block has bytes");
	l = tsblock_load(NULL, 0, 0, &why);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(tsblock_count(l), 0);
	tsblock_free(l);
}
END_TEST

/* The reasons, byte for byte, for the main kinds of damage. */
START_TEST(test_load_reasons)
{
	struct tsblock *b = mixed_block(30);
	const uint8_t *data;
	uint8_t *copy;
	const char *why;
	size_t len;

	data = tsblock_data(b, &len);
	copy = malloc(len + 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, data, len);
	copy[len - 1] ^= 1;
	ck_assert_ptr_null(tsblock_load(copy, len, 30, &why));
	ck_assert_str_eq(why, "the block's checksum does not match");
	ck_assert_ptr_null(tsblock_load(data, len, 31, &why));
	ck_assert_str_eq(why, "the block's checksum does not match");
	ck_assert_ptr_null(tsblock_load(data, 3, 30, &why));
	ck_assert_str_eq(why, "the block is truncated");
	ck_assert_ptr_null(tsblock_load(data, len, 241, &why));
	ck_assert_str_eq(why, "the block has too many points");
	free(copy);
	tsblock_free(b);
}
END_TEST

/* Loaded, appended to until full, saved again: all the points. */
START_TEST(test_load_then_fill)
{
	struct tsblock *b = tsblock_new(), *l;
	int64_t ms[TSBLOCK_POINTS_MAX];
	double v[TSBLOCK_POINTS_MAX];
	const uint8_t *data;
	const char *why;
	size_t len;
	unsigned i;

	for (i = 0; i < TSBLOCK_POINTS_MAX; i++) {
		ms[i] = T0 + 1000 * (int64_t)i + (int64_t)(i * 7 % 23);
		v[i] = i < 100 ? 10 + (double)(i % 4) : (double)i / 8;
	}
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(tsblock_append(b, ms[i], v[i]), 0);
	data = tsblock_data(b, &len);
	l = tsblock_load(data, len, 100, &why);
	ck_assert_ptr_nonnull(l);
	tsblock_free(b);
	for (i = 100; i < TSBLOCK_POINTS_MAX; i++)
		ck_assert_int_eq(tsblock_append(l, ms[i], v[i]), 0);
	ck_assert_int_eq(tsblock_append(l, ms[0], v[0]), 1);
	assert_points(l, ms, v, TSBLOCK_POINTS_MAX);
	tsblock_seal(l);
	data = tsblock_data(l, &len);
	b = tsblock_load(data, len, TSBLOCK_POINTS_MAX, &why);
	ck_assert_ptr_nonnull(b);
	assert_points(b, ms, v, TSBLOCK_POINTS_MAX);
	tsblock_free(b);
	tsblock_free(l);
}
END_TEST

/* Returns the encoded bytes a point of a full block of n(i) takes. */
static double
bytes_per_point(double (*value)(unsigned i))
{
	struct tsblock *b = tsblock_new();
	size_t len;
	unsigned i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < TSBLOCK_POINTS_MAX; i++)
		ck_assert_int_eq(
		    tsblock_append(b,
		        T0 + 1000 * (int64_t)i + (int64_t)(rng() % 11),
		        value(i)),
		    0);
	(void)tsblock_data(b, &len);
	tsblock_free(b);
	return (double)len / TSBLOCK_POINTS_MAX;
}

/* A counter growing by 0 to 7 a poll. */
static double
counter_value(unsigned i)
{
	static double x = 123456;

	if (i == 0)
		x = 123456;
	x += (double)(rng() % 8);
	return x;
}

/* A gauge with three decimals, starting with two. */
static double
gauge_value(unsigned i)
{
	if (i == 0)
		return 50.12;
	return round(1000 * (50 + 5 * sin(i / 100.0) + 0.3 * sin(i / 1.3))) /
	    1000;
}

/* A string stat: NaN. */
static double
nan_value(unsigned i)
{
	(void)i;
	return NAN;
}

/* Each kind of series in the bits its encoding should take: scaled
 * integers for counters and decimals (a finer scale when a value needs
 * it), XOR for NaN, time deltas of jitter in a few bits. */
START_TEST(test_compression)
{
	double counter = bytes_per_point(counter_value);
	double gauge = bytes_per_point(gauge_value);
	double nan = bytes_per_point(nan_value);

	ck_assert_msg(counter < 1.2, "counter: %.3f bytes/point", counter);
	ck_assert_msg(gauge < 2.2, "gauge: %.3f bytes/point", gauge);
	ck_assert_msg(nan < 0.8, "nan: %.3f bytes/point", nan);
}
END_TEST

/* The interval changes from 1 s to 60 s early in a block: the time
 * deltas follow the new interval after a few points. */
START_TEST(test_interval_change)
{
	struct tsblock *b = tsblock_new();
	int64_t t = T0;
	size_t len;
	unsigned i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < TSBLOCK_POINTS_MAX; i++) {
		t += (i <= 10 ? 1000 : 60000) + (int64_t)(rng() % 11);
		ck_assert_int_eq(tsblock_append(b, t, 1.0), 0);
	}
	(void)tsblock_data(b, &len);
	ck_assert_msg(len < 400, "%zu bytes", len);
	tsblock_free(b);
}
END_TEST

/* Loads a one-point block made by hand: T0, scale k, the integer n
 * (its zigzag code as 7 bits of length and the bits), the CRC-32. */
static struct tsblock *
load_scaled(unsigned k, int64_t n, const char **why)
{
	uint8_t buf[32] = {0}, le[2] = {1, 0};
	uint64_t z = ((uint64_t)n << 1) ^ (0 - ((uint64_t)n >> 63));
	unsigned len = z == 0 ? 0 : 64 - (unsigned)__builtin_clzll(z);
	size_t pos = 0, bytes, i;
	uLong crc;

	/* Writes the n low bits of v into buf. */
#define PUT(v, nbits)                                                          \
	for (i = (nbits); i-- > 0; pos++)                                      \
		if (((uint64_t)(v) >> i) & 1)                                  \
			buf[pos / 8] |= (uint8_t)(0x80 >> (pos % 8));
	PUT(T0, 64);
	PUT(k, 3);
	PUT(len, 7);
	PUT(z, len);
#undef PUT
	bytes = (pos + 7) / 8;
	crc = crc32(crc32(0, Z_NULL, 0), buf, (uInt)bytes);
	crc = crc32(crc, le, 2);
	for (i = 0; i < 4; i++)
		buf[bytes + i] = (uint8_t)(crc >> (8 * i));
	return tsblock_load(buf, bytes + 4, 1, why);
}

/* A scaled integer the encoder would not write (out of range, or
 * another integer for the same double) is refused, checksum or not. */
START_TEST(test_load_canonical)
{
	struct tsblock *b;
	const char *why = NULL;
	int64_t ms = T0;
	double v = 0.012345;

	b = load_scaled(6, 12345, &why);
	ck_assert_msg(b != NULL, "%s", why);
	assert_points(b, &ms, &v, 1);
	tsblock_free(b);
	v = 9007199254740992.0;
	b = load_scaled(0, INT64_C(9007199254740992), &why);
	ck_assert_msg(b != NULL, "%s", why);
	assert_points(b, &ms, &v, 1);
	tsblock_free(b);
	ck_assert_ptr_null(load_scaled(0, INT64_C(9007199254740993), &why));
	ck_assert_str_eq(why, "the block is corrupt");
	/* The double nearest 9007199254.740991 is nearest ...992 too. */
	ck_assert_ptr_null(load_scaled(6, INT64_C(9007199254740991), &why));
	ck_assert_str_eq(why, "the block is corrupt");
}
END_TEST

/* The tests, one case. */
static Suite *
tsblock_suite(void)
{
	Suite *s = suite_create("tsblock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_random_round_trip);
	tcase_add_test(tc, test_adversarial_values);
	tcase_add_test(tc, test_adversarial_times);
	tcase_add_test(tc, test_full_and_sealed);
	tcase_add_test(tc, test_bytes_grow);
	tcase_add_test(tc, test_open_spare);
	tcase_add_test(tc, test_load_corrupt);
	tcase_add_test(tc, test_load_reasons);
	tcase_add_test(tc, test_load_then_fill);
	tcase_add_test(tc, test_compression);
	tcase_add_test(tc, test_interval_change);
	tcase_add_test(tc, test_load_canonical);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_run(tsblock_suite()) == 0 ? 0 : 1;
}
