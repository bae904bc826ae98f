/*
 * libFuzzer harness for tsblock_load and tsblock_each: a history block
 * as the state file holds it.  The input's first byte is the point
 * count (0..255), the second says whether the harness writes the block's
 * CRC-32 itself (odd: so that the fuzzer reaches the decoder behind the
 * checksum), the rest is the block.  A block that loads must decode to
 * count points, give back the same bytes, take one more point as a
 * block never saved would, and its points must round-trip through a
 * new block bit-exact.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "tsblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The points of a block. */
struct fuzz_points {
	int64_t ms[TSBLOCK_POINTS_MAX + 1];
	double v[TSBLOCK_POINTS_MAX + 1];
	unsigned n;
};

/* tsblock_each's callback: records the point, aborts past the max. */
static void
fuzz_point_cb(int64_t ms, double value, void *arg)
{
	struct fuzz_points *p = arg;

	if (p->n > TSBLOCK_POINTS_MAX)
		abort();
	p->ms[p->n] = ms;
	p->v[p->n] = value;
	p->n++;
}

/* Aborts unless a and b hold the same first n points, bit for bit. */
static void
fuzz_same(const struct fuzz_points *a, const struct fuzz_points *b, unsigned n)
{
	if (a->n < n || b->n < n ||
	    memcmp(a->ms, b->ms, n * sizeof a->ms[0]) != 0 ||
	    memcmp(a->v, b->v, n * sizeof a->v[0]) != 0)
		abort();
}

/* Checks a block that loaded from buf (len bytes, count points). */
static void
fuzz_check(struct tsblock *b, const uint8_t *buf, size_t len, unsigned count)
{
	static struct fuzz_points got, again, fresh;
	struct tsblock *f;
	const uint8_t *out;
	size_t outlen;
	unsigned i;
	int rc;

	memset(&got, 0, sizeof got);
	memset(&again, 0, sizeof again);
	memset(&fresh, 0, sizeof fresh);
	out = tsblock_data(b, &outlen);
	if (tsblock_count(b) != count || outlen != len ||
	    (len > 0 && memcmp(out, buf, len) != 0))
		abort();
	tsblock_each(b, fuzz_point_cb, &got);
	if (got.n != count)
		abort();
	if (count > 0 &&
	    (tsblock_first_ms(b) != got.ms[0] ||
	        tsblock_last_ms(b) != got.ms[count - 1]))
		abort();
	/* The same points in a block never saved. */
	if ((f = tsblock_new()) == NULL)
		return;
	for (i = 0; i < count; i++)
		if (tsblock_append(f, got.ms[i], got.v[i]) != 0)
			abort();
	tsblock_each(f, fuzz_point_cb, &fresh);
	fuzz_same(&got, &fresh, count);
	tsblock_free(f);
	/* One more point goes on from the loaded state. */
	rc = tsblock_append(
	    b, got.n > 0 ? (int64_t)((uint64_t)got.ms[0] + 1) : 0, 0.125);
	if (rc == 1 && count != TSBLOCK_POINTS_MAX)
		abort();
	if (rc == 0) {
		tsblock_each(b, fuzz_point_cb, &again);
		if (again.n != count + 1 || again.v[count] != 0.125)
			abort();
		fuzz_same(&got, &again, count);
	}
}

/* One input: count, a flag, then the block's bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsblock *b;
	const char *why = NULL;
	uint8_t *buf;
	size_t len;
	unsigned count;

	if (size < 2)
		return 0;
	count = data[0];
	len = size - 2;
	if ((buf = malloc(len + 4)) == NULL)
		return 0;
	memcpy(buf, data + 2, len);
	if ((data[1] & 1) && count > 0) {
		/* The CRC-32 of the stream and the count, as tsblock's. */
		uint8_t le[2] = {(uint8_t)count, (uint8_t)(count >> 8)};
		uLong crc = crc32(crc32(0, Z_NULL, 0), buf, (uInt)len);

		crc = crc32(crc, le, sizeof le);
		buf[len] = (uint8_t)crc;
		buf[len + 1] = (uint8_t)(crc >> 8);
		buf[len + 2] = (uint8_t)(crc >> 16);
		buf[len + 3] = (uint8_t)(crc >> 24);
		len += 4;
	}
	b = tsblock_load(buf, len, count, &why);
	if (b == NULL && why == NULL)
		abort();
	if (b != NULL)
		fuzz_check(b, buf, len, count);
	tsblock_free(b);
	free(buf);
	return 0;
}
