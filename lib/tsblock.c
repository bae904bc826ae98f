/*
 * The compressed block of time-series points.  Timestamps follow the
 * Gorilla paper (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory
 * Time Series Database", VLDB 2015, section 4.1.1) and Prometheus's XOR
 * chunks (tsdb/chunkenc/xor.go): the first raw, the first delta, then
 * delta-of-delta, here against a reference delta (the first, moved an
 * eighth of the way to each new one: jitter around an interval costs
 * fewer bits than against the previous delta) and written as an adaptive
 * Rice code instead of fixed buckets.  Values
 * are scaled integers (v = n / 10^k, k = 0..6, exact) whose
 * delta-of-deltas are Rice coded, or Gorilla's XOR with the leading/trailing
 * zeros window (section 4.1.2) for everything else; a value that does not fit
 * the block's scale moves the rest of the block to a finer scale or to XOR.
 * tests/bench/tsbytes.c measured these choices on realistic series.
 * The encoded bytes end in a CRC-32 (zlib's) of the stream and the point
 * count, kept up to date on every append, so a saved block is used as it is.
 */
#include <endian.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "tsblock.h"

#define TSB_MODE_XOR 7 /* modes 0..6 are scaled integers, k decimals */
#define TSB_SCALE_MAX 6
#define TSB_INT_MAX (INT64_C(1) << 53) /* |n| of a scaled integer */
#define TSB_RICE_QMAX 24 /* unary length that means an escape */
#define TSB_RICE_CLAMP (UINT64_C(1) << 26) /* z counted in the mean */
#define TSB_RICE_INIT 64 /* the mean's start: 8 x 8 */
#define TSB_CRC_LEN 4
#define TSB_APPEND_ROOM 32 /* bytes one append writes at most (26) */
#define TSB_GROW 8 /* spare bytes when the buffer grows */
#define TSB_NO_WINDOW 0xff /* no XOR window yet */
#define TSB_REF_DIV 8 /* the reference delta moves 1/8 of the way */

/* What the encoder and the decoder both track between points: the open
 * block's, allocated with it and freed when it is sealed. */
struct tsb_state {
	int64_t ts_last_ms;
	uint64_t ts_delta; /* the delta later ones refer to */
	uint64_t ts_prev; /* scaled: the last integer; XOR: the last bits */
	uint64_t ts_vdelta; /* scaled: the last integer's delta */
	uint32_t ts_tsum; /* about 8 x the mean zigzag of time deltas */
	uint32_t ts_vsum; /* the same for value deltas */
	uint32_t ts_crc; /* CRC-32 of the stream's whole bytes */
	uint8_t ts_mode; /* 0..6: scaled by 10^mode; TSB_MODE_XOR */
	uint8_t ts_lead; /* XOR window, TSB_NO_WINDOW before the first */
	uint8_t ts_trail;
};

/* A block: its buffer and what reading it needs (32 bytes, most of a
 * sealed block's overhead), and the encoder's state while it is open. */
struct tsblock {
	uint8_t *tb_buf; /* the stream, then its CRC-32 */
	struct tsb_state *tb_st; /* NULL once sealed */
	int64_t tb_last_ms;
	uint32_t tb_nbits; /* bits of the stream */
	uint16_t tb_cap; /* bytes of tb_buf */
	uint16_t tb_count;
};

/* Writes bits of a stream into a buffer of zeros. */
struct tsb_writer {
	uint8_t *tw_buf;
	size_t tw_nbits; /* bits written */
};

/* Reads bits of a stream, never past its end. */
struct tsb_reader {
	const uint8_t *tr_buf;
	size_t tr_nbits; /* bits there are */
	size_t tr_pos;
	int tr_short; /* a read went past the end */
};

static const double tsb_pow10[TSB_SCALE_MAX + 1] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};

/* The low n bits of a byte set, for n = 0..8. */
static const uint8_t tsb_low[9] = {
    0x00, 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff};

/* Returns the bytes that hold nbits. */
static size_t
tsb_nbytes(size_t nbits)
{
	return (nbits + 7) / 8;
}

/* Maps a signed delta to an unsigned one, small either way. */
static uint64_t
tsb_zigzag(uint64_t d)
{
	return (d << 1) ^ (0 - (d >> 63));
}

/* Undoes tsb_zigzag. */
static uint64_t
tsb_unzigzag(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

/* Returns the number of significant bits of v (0 for 0). */
static unsigned
tsb_bitlen(uint64_t v)
{
	return v == 0 ? 0 : 64 - (unsigned)__builtin_clzll(v);
}

/* Returns the Rice parameter for a running mean sum. */
static unsigned
tsb_rice_k(uint32_t sum)
{
	return tsb_bitlen(sum >> 4);
}

/* Moves the running mean sum towards z. */
static void
tsb_rice_update(uint32_t *sum, uint64_t z)
{
	*sum = *sum - (*sum >> 3) +
	    (uint32_t)(z < TSB_RICE_CLAMP ? z : TSB_RICE_CLAMP);
}

/* Moves the reference delta an eighth of the way to delta (whole ms:
 * a difference under 8 leaves it), following the interval's drift. */
static void
tsb_ref_update(struct tsb_state *st, uint64_t delta)
{
	int64_t d = (int64_t)(delta - st->ts_delta);

	st->ts_delta += (uint64_t)(d / TSB_REF_DIV);
}

/* Writes the n low bits of v (n <= 64), most significant first. */
static void
tsb_put(struct tsb_writer *w, uint64_t v, unsigned n)
{
	while (n > 0) {
		unsigned room = 8 - w->tw_nbits % 8;
		unsigned take = n < room ? n : room;
		unsigned bits;

		/* take is 1..8; the analyzer does not bound nbits % 8 */
		bits = (unsigned)(v >> (n - take)) & tsb_low[take]; /* NOLINT */

		w->tw_buf[w->tw_nbits >> 3] |= (uint8_t)(bits << (room - take));
		w->tw_nbits += take;
		n -= take;
	}
}

/* Sets *w to the stream from the next bit on, at least 57 bits of it at
 * the top; 0 if eight whole bytes are not there (or a read fell short). */
static int
tsb_window(const struct tsb_reader *r, uint64_t *w)
{
	if (r->tr_short || (r->tr_pos >> 3) + 8 > r->tr_nbits >> 3)
		return 0;
	memcpy(w, r->tr_buf + (r->tr_pos >> 3), sizeof *w);
	*w = be64toh(*w) << (r->tr_pos & 7);
	return 1;
}

/* Returns the next n bits (n <= 64); 0 and tr_short past the end. */
static uint64_t
tsb_get(struct tsb_reader *r, unsigned n)
{
	uint64_t v = 0;

	if (r->tr_short || n > r->tr_nbits - r->tr_pos) {
		r->tr_short = 1;
		return 0;
	}
	/* Eight whole bytes of the stream hold them: one load, two shifts
	 * (restoring a state file decodes millions of points). */
	if (n > 0 && n + (r->tr_pos & 7) <= 64 && tsb_window(r, &v)) {
		r->tr_pos += n;
		return v >> (64 - n);
	}
	while (n > 0) {
		unsigned room = 8 - (unsigned)(r->tr_pos % 8);
		unsigned take = n < room ? n : room;
		unsigned byte = r->tr_buf[r->tr_pos >> 3];

		v = (v << take) | ((byte >> (room - take)) & tsb_low[take]);
		r->tr_pos += take;
		n -= take;
	}
	return v;
}

/* Writes v as its bit length (7 bits, 0..64) and its bits. */
static void
tsb_put_var(struct tsb_writer *w, uint64_t v)
{
	unsigned len = tsb_bitlen(v);

	tsb_put(w, len, 7);
	tsb_put(w, v, len);
}

/* Reads what tsb_put_var wrote; -1 if the length is over 64. */
static int
tsb_get_var(struct tsb_reader *r, uint64_t *v)
{
	unsigned len = (unsigned)tsb_get(r, 7);

	if (len > 64)
		return -1;
	*v = tsb_get(r, len);
	return 0;
}

/* Writes z as a Rice code with parameter k; z too big for it is an
 * escape (TSB_RICE_QMAX ones) and, if switchable, a 0, then 64 bits. */
static void
tsb_put_rice(struct tsb_writer *w, uint64_t z, unsigned k, int switchable)
{
	uint64_t q = z >> k;

	if (q < TSB_RICE_QMAX) {
		tsb_put(w, (UINT64_C(1) << (q + 1)) - 2, (unsigned)q + 1);
		tsb_put(w, z, k);
		return;
	}
	tsb_put(w, (UINT64_C(1) << TSB_RICE_QMAX) - 1, TSB_RICE_QMAX);
	if (switchable)
		tsb_put(w, 0, 1);
	tsb_put(w, z, 64);
}

/* Reads a Rice code: 0 with *z, 1 for a mode switch (if switchable). */
static int
tsb_get_rice(struct tsb_reader *r, unsigned k, int switchable, uint64_t *z)
{
	unsigned q = 0;
	uint64_t w;

	/* The unary part: the window's leading ones, and the 0 after. */
	if (tsb_window(r, &w)) {
		q = (unsigned)__builtin_clzll(~w | 1);
		if (q > TSB_RICE_QMAX)
			q = TSB_RICE_QMAX;
		r->tr_pos += q < TSB_RICE_QMAX ? q + 1 : q;
	} else {
		while (q < TSB_RICE_QMAX && tsb_get(r, 1) == 1)
			q++;
	}
	if (q < TSB_RICE_QMAX) {
		*z = ((uint64_t)q << k) | tsb_get(r, k);
		return 0;
	}
	if (switchable && tsb_get(r, 1) == 1)
		return 1;
	*z = tsb_get(r, 64);
	return 0;
}

/* Returns the double whose bits are u. */
static double
tsb_from_bits(uint64_t u)
{
	double v;

	memcpy(&v, &u, sizeof v);
	return v;
}

/* Returns the bits of v. */
static uint64_t
tsb_to_bits(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	return u;
}

/* Returns whether v is exactly n / 10^k for an integer |n| <= 2^53, and
 * sets *n to it. */
static int
tsb_fits(double v, unsigned k, int64_t *n)
{
	double x, back;

	if (!isfinite(v))
		return 0;
	x = v * tsb_pow10[k];
	if (!(fabs(x) <= (double)TSB_INT_MAX))
		return 0;
	*n = llround(x);
	back = (double)*n / tsb_pow10[k];
	return tsb_to_bits(back) == tsb_to_bits(v);
}

/* Returns whether n at scale k is what the encoder writes for n / 10^k
 * (so a loaded block goes on as the one saved). */
static int
tsb_canonical(int64_t n, unsigned k)
{
	int64_t check;

	return n <= TSB_INT_MAX && n >= -TSB_INT_MAX &&
	    tsb_fits((double)n / tsb_pow10[k], k, &check) && check == n;
}

/* Returns the last value of a block in state st. */
static double
tsb_prev_value(const struct tsb_state *st)
{
	if (st->ts_mode == TSB_MODE_XOR)
		return tsb_from_bits(st->ts_prev);
	return (double)(int64_t)st->ts_prev / tsb_pow10[st->ts_mode];
}

/* Writes v XORed with the last value (Gorilla, section 4.1.2). */
static void
tsb_put_xor(struct tsb_writer *w, struct tsb_state *st, double v)
{
	uint64_t bits = tsb_to_bits(v), x = bits ^ st->ts_prev;
	unsigned lead, trail, len;

	st->ts_prev = bits;
	if (x == 0) {
		tsb_put(w, 0, 1);
		return;
	}
	lead = (unsigned)__builtin_clzll(x);
	trail = (unsigned)__builtin_ctzll(x);
	if (lead > 31)
		lead = 31;
	if (st->ts_lead != TSB_NO_WINDOW && lead >= st->ts_lead &&
	    trail >= st->ts_trail) {
		tsb_put(w, 2, 2);
		tsb_put(w, x >> st->ts_trail, 64u - st->ts_lead - st->ts_trail);
		return;
	}
	len = 64 - lead - trail;
	tsb_put(w, 3, 2);
	tsb_put(w, lead, 5);
	tsb_put(w, len - 1, 6);
	tsb_put(w, x >> trail, len);
	st->ts_lead = (uint8_t)lead;
	st->ts_trail = (uint8_t)trail;
}

/* Reads what tsb_put_xor wrote; -1 if it cannot be. */
static int
tsb_get_xor(struct tsb_reader *r, struct tsb_state *st)
{
	unsigned lead, len;

	if (tsb_get(r, 1) == 0)
		return 0;
	if (tsb_get(r, 1) == 0) {
		if (st->ts_lead == TSB_NO_WINDOW)
			return -1;
		len = 64u - st->ts_lead - st->ts_trail;
		st->ts_prev ^= tsb_get(r, len) << st->ts_trail;
		return 0;
	}
	lead = (unsigned)tsb_get(r, 5);
	len = (unsigned)tsb_get(r, 6) + 1;
	if (lead + len > 64)
		return -1;
	st->ts_lead = (uint8_t)lead;
	st->ts_trail = (uint8_t)(64 - lead - len);
	st->ts_prev ^= tsb_get(r, len) << st->ts_trail;
	return 0;
}

/* Moves a scaled block's integers up by 10^up (they fit: checked). */
static void
tsb_rescale(struct tsb_state *st, unsigned up)
{
	uint64_t f = (uint64_t)tsb_pow10[up];

	st->ts_prev *= f;
	st->ts_vdelta *= f;
}

/* Returns the first scale from from on that holds v exactly and prev
 * (an integer at scale at) rescaled, setting *n; else XOR. */
static unsigned
tsb_pick_mode(double v, unsigned from, unsigned at, int64_t prev, int64_t *n)
{
	unsigned k;

	for (k = from; k <= TSB_SCALE_MAX; k++) {
		int64_t limit = (int64_t)(TSB_INT_MAX / tsb_pow10[k - at]);

		if (prev <= limit && prev >= -limit && tsb_fits(v, k, n))
			return k;
	}
	return TSB_MODE_XOR;
}

/* Writes a value after the first: a scaled delta, or a switch. */
static void
tsb_put_value(struct tsb_writer *w, struct tsb_state *st, double v)
{
	unsigned mode = st->ts_mode;
	int64_t n;

	if (mode != TSB_MODE_XOR && !tsb_fits(v, mode, &n)) {
		unsigned to =
		    tsb_pick_mode(v, mode + 1, mode, (int64_t)st->ts_prev, &n);

		tsb_put(w, (UINT64_C(1) << TSB_RICE_QMAX) - 1, TSB_RICE_QMAX);
		tsb_put(w, 1, 1);
		tsb_put(w, to, 3);
		if (to == TSB_MODE_XOR)
			st->ts_prev = tsb_to_bits(tsb_prev_value(st));
		else
			tsb_rescale(st, to - mode);
		st->ts_mode = (uint8_t)(mode = to);
	}
	if (mode == TSB_MODE_XOR) {
		tsb_put_xor(w, st, v);
	} else {
		uint64_t delta = (uint64_t)n - st->ts_prev;
		uint64_t z = tsb_zigzag(delta - st->ts_vdelta);

		tsb_put_rice(w, z, tsb_rice_k(st->ts_vsum), 1);
		tsb_rice_update(&st->ts_vsum, z);
		st->ts_prev = (uint64_t)n;
		st->ts_vdelta = delta;
	}
}

/* Reads a value after the first into st; -1 if it is corrupt. */
static int
tsb_get_value(struct tsb_reader *r, struct tsb_state *st)
{
	uint64_t z;
	int64_t n;
	unsigned mode = st->ts_mode;

	while (mode != TSB_MODE_XOR) {
		if (tsb_get_rice(r, tsb_rice_k(st->ts_vsum), 1, &z) == 0) {
			tsb_rice_update(&st->ts_vsum, z);
			st->ts_vdelta += tsb_unzigzag(z);
			n = (int64_t)(st->ts_prev + st->ts_vdelta);
			if (!tsb_canonical(n, mode))
				return -1;
			st->ts_prev = (uint64_t)n;
			return 0;
		}
		/* A switch: to a finer scale, or to XOR. */
		unsigned to = (unsigned)tsb_get(r, 3);
		if (to <= mode)
			return -1;
		if (to == TSB_MODE_XOR) {
			st->ts_prev = tsb_to_bits(tsb_prev_value(st));
		} else {
			int64_t limit =
			    (int64_t)(TSB_INT_MAX / tsb_pow10[to - mode]);
			n = (int64_t)st->ts_prev;
			if (n > limit || n < -limit)
				return -1;
			tsb_rescale(st, to - mode);
		}
		st->ts_mode = (uint8_t)(mode = to);
	}
	return tsb_get_xor(r, st);
}

/* Decodes count points of buf (nbits) into st, calling cb if not NULL;
 * returns the bits read, or -1 with *why if the stream is corrupt. */
static long
tsb_decode(const uint8_t *buf, size_t nbits, unsigned count,
    struct tsb_state *st, tsblock_point_cb *cb, void *arg, const char **why)
{
	struct tsb_reader r = {buf, nbits, 0, 0};
	uint64_t u, z;
	unsigned i;

	memset(st, 0, sizeof *st);
	st->ts_lead = TSB_NO_WINDOW;
	st->ts_tsum = st->ts_vsum = TSB_RICE_INIT;
	for (i = 0; i < count; i++) {
		if (i == 0) {
			st->ts_last_ms = (int64_t)tsb_get(&r, 64);
			st->ts_mode = (uint8_t)tsb_get(&r, 3);
			if (st->ts_mode == TSB_MODE_XOR) {
				st->ts_prev = tsb_get(&r, 64);
			} else if (tsb_get_var(&r, &u) == 0) {
				st->ts_prev = tsb_unzigzag(u);
				if (!tsb_canonical(
				        (int64_t)st->ts_prev, st->ts_mode))
					goto corrupt;
			} else {
				goto corrupt;
			}
		} else {
			if (i == 1) {
				if (tsb_get_var(&r, &st->ts_delta) != 0)
					goto corrupt;
				u = st->ts_delta;
			} else {
				tsb_get_rice(
				    &r, tsb_rice_k(st->ts_tsum), 0, &z);
				tsb_rice_update(&st->ts_tsum, z);
				u = st->ts_delta + tsb_unzigzag(z);
				tsb_ref_update(st, u);
			}
			st->ts_last_ms =
			    (int64_t)((uint64_t)st->ts_last_ms + u);
			if (tsb_get_value(&r, st) != 0)
				goto corrupt;
		}
		if (r.tr_short) {
			*why = "the block is truncated";
			return -1;
		}
		if (cb != NULL)
			cb(st->ts_last_ms, tsb_prev_value(st), arg);
	}
	return (long)r.tr_pos;
corrupt:
	*why = r.tr_short ? "the block is truncated" : "the block is corrupt";
	return -1;
}

/* Returns crc (the stream's) with the point count folded in, so that
 * a wrong count is caught too: zero bits after the points can decode
 * as more of them. */
static uLong
tsb_crc_end(uLong crc, unsigned count)
{
	Bytef le[2] = {(Bytef)count, (Bytef)(count >> 8)};

	return crc32(crc, le, sizeof le);
}

/* Writes the CRC-32 of the stream and count after it, folding in the
 * whole bytes from whole_before on into the open block's running CRC. */
static void
tsb_put_crc(struct tsblock *b, size_t whole_before)
{
	struct tsb_state *st = b->tb_st;
	size_t whole = b->tb_nbits / 8, n = tsb_nbytes(b->tb_nbits);
	uLong crc;

	if (whole > whole_before)
		st->ts_crc = (uint32_t)crc32(st->ts_crc,
		    b->tb_buf + whole_before, (uInt)(whole - whole_before));
	crc =
	    tsb_crc_end(crc32(st->ts_crc, b->tb_buf + whole, (uInt)(n - whole)),
	        b->tb_count);
	b->tb_buf[n] = (uint8_t)crc;
	b->tb_buf[n + 1] = (uint8_t)(crc >> 8);
	b->tb_buf[n + 2] = (uint8_t)(crc >> 16);
	b->tb_buf[n + 3] = (uint8_t)(crc >> 24);
}

/* Returns a new empty block, NULL if out of memory. */
struct tsblock *
tsblock_new(void)
{
	struct tsblock *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	if ((b->tb_st = calloc(1, sizeof *b->tb_st)) == NULL) {
		free(b);
		return NULL;
	}
	b->tb_st->ts_lead = TSB_NO_WINDOW;
	b->tb_st->ts_tsum = b->tb_st->ts_vsum = TSB_RICE_INIT;
	b->tb_st->ts_crc = (uint32_t)crc32(0, Z_NULL, 0);
	return b;
}

/* Frees b; NULL is allowed. */
void
tsblock_free(struct tsblock *b)
{
	if (b == NULL)
		return;
	free(b->tb_buf);
	free(b->tb_st);
	free(b);
}

/* Writes the point (ms, value) after those of st (its count points) to
 * w, moving st on. */
static void
tsb_put_point(struct tsb_writer *w, struct tsb_state *st, unsigned count,
    int64_t ms, double value)
{
	if (count == 0) {
		int64_t scaled = 0;

		tsb_put(w, (uint64_t)ms, 64);
		st->ts_mode = (uint8_t)tsb_pick_mode(value, 0, 0, 0, &scaled);
		tsb_put(w, st->ts_mode, 3);
		if (st->ts_mode == TSB_MODE_XOR) {
			st->ts_prev = tsb_to_bits(value);
			tsb_put(w, st->ts_prev, 64);
		} else {
			st->ts_prev = (uint64_t)scaled;
			tsb_put_var(w, tsb_zigzag((uint64_t)scaled));
		}
	} else {
		uint64_t delta = (uint64_t)ms - (uint64_t)st->ts_last_ms;

		if (count == 1) {
			st->ts_delta = delta;
			tsb_put_var(w, delta);
		} else {
			uint64_t z = tsb_zigzag(delta - st->ts_delta);

			tsb_put_rice(w, z, tsb_rice_k(st->ts_tsum), 0);
			tsb_rice_update(&st->ts_tsum, z);
			tsb_ref_update(st, delta);
		}
		tsb_put_value(w, st, value);
	}
	st->ts_last_ms = ms;
}

/* Appends a point: 0, 1 if full or sealed, -1 if out of memory.  The
 * point is encoded into a scratch buffer first, so the block's buffer
 * grows to what it holds plus a little, not to one append's room. */
int
tsblock_append(struct tsblock *b, int64_t ms, double value)
{
	uint8_t scratch[TSB_APPEND_ROOM] = {0};
	struct tsb_writer w = {scratch, b->tb_nbits % 8};
	struct tsb_state next;
	size_t base = b->tb_nbits / 8, n;

	if (b->tb_st == NULL || b->tb_count >= TSBLOCK_POINTS_MAX)
		return 1;
	if (w.tw_nbits > 0)
		scratch[0] = b->tb_buf[base];
	next = *b->tb_st;
	tsb_put_point(&w, &next, b->tb_count, ms, value);
	n = base + tsb_nbytes(w.tw_nbits);
	if (n + TSB_CRC_LEN > b->tb_cap) {
		size_t cap = n + TSB_CRC_LEN + TSB_GROW;
		uint8_t *buf = realloc(b->tb_buf, cap);

		if (buf == NULL)
			return -1;
		b->tb_buf = buf;
		b->tb_cap = (uint16_t)cap;
	}
	memcpy(b->tb_buf + base, scratch, n - base);
	*b->tb_st = next;
	b->tb_nbits = (uint32_t)(base * 8 + w.tw_nbits);
	b->tb_last_ms = ms;
	b->tb_count++;
	tsb_put_crc(b, base);
	return 0;
}

/* Returns the number of points b holds. */
unsigned
tsblock_count(const struct tsblock *b)
{
	return b->tb_count;
}

/* Returns the first point's ms: the stream's first 64 bits. */
int64_t
tsblock_first_ms(const struct tsblock *b)
{
	uint64_t u = 0;
	unsigned i;

	if (b->tb_count == 0)
		return 0;
	for (i = 0; i < 8; i++)
		u = (u << 8) | b->tb_buf[i];
	return (int64_t)u;
}

/* Returns the last point's ms. */
int64_t
tsblock_last_ms(const struct tsblock *b)
{
	return b->tb_count == 0 ? 0 : b->tb_last_ms;
}

/* Returns the bytes of memory b holds: the open block's state too. */
size_t
tsblock_bytes(const struct tsblock *b)
{
	return sizeof *b + b->tb_cap + (b->tb_st ? sizeof *b->tb_st : 0);
}

/* Calls cb for every point of b in order. */
void
tsblock_each(const struct tsblock *b, tsblock_point_cb *cb, void *arg)
{
	struct tsb_state st;
	const char *why;

	if (b->tb_count > 0)
		(void)tsb_decode(
		    b->tb_buf, b->tb_nbits, b->tb_count, &st, cb, arg, &why);
}

/* Returns the encoded bytes of b: the stream and its CRC-32. */
const uint8_t *
tsblock_data(const struct tsblock *b, size_t *len)
{
	*len = b->tb_count == 0 ? 0 : tsb_nbytes(b->tb_nbits) + TSB_CRC_LEN;
	return b->tb_buf;
}

/* Rebuilds a block from its encoded bytes and count, checking them. */
struct tsblock *
tsblock_load(const uint8_t *data, size_t len, unsigned count, const char **why)
{
	struct tsblock *b = NULL;
	size_t n;
	uint32_t crc;
	long nbits;

	if (count > TSBLOCK_POINTS_MAX) {
		*why = "the block has too many points";
		goto fail;
	}
	if (count == 0 && len != 0) {
		*why = "an empty block has bytes";
		goto fail;
	}
	if (count > 0 && len <= TSB_CRC_LEN) {
		*why = "the block is truncated";
		goto fail;
	}
	if ((b = tsblock_new()) == NULL) {
		*why = "out of memory";
		goto fail;
	}
	if (count == 0)
		return b;
	n = len - TSB_CRC_LEN;
	if (n + TSB_APPEND_ROOM + TSB_CRC_LEN > UINT16_MAX) {
		*why = "the block is too long";
		goto fail;
	}
	crc = (uint32_t)data[n] | (uint32_t)data[n + 1] << 8 |
	    (uint32_t)data[n + 2] << 16 | (uint32_t)data[n + 3] << 24;
	if (tsb_crc_end(crc32(crc32(0, Z_NULL, 0), data, (uInt)n), count) !=
	    crc) {
		*why = "the block's checksum does not match";
		goto fail;
	}
	nbits = tsb_decode(data, n * 8, count, b->tb_st, NULL, NULL, why);
	if (nbits < 0)
		goto fail;
	if (tsb_nbytes((size_t)nbits) != n ||
	    (nbits % 8 != 0 &&
	        (data[n - 1] & ((1u << (8 - nbits % 8)) - 1)) != 0)) {
		*why = "the block has bytes after its points";
		goto fail;
	}
	if ((b->tb_buf = malloc(len)) == NULL) {
		*why = "out of memory";
		goto fail;
	}
	memcpy(b->tb_buf, data, len);
	b->tb_cap = (uint16_t)len;
	b->tb_nbits = (uint32_t)nbits;
	b->tb_count = (uint16_t)count;
	b->tb_last_ms = b->tb_st->ts_last_ms;
	b->tb_st->ts_crc = (uint32_t)crc32(
	    crc32(0, Z_NULL, 0), data, (uInt)(n - (nbits % 8 != 0)));
	return b;
fail:
	tsblock_free(b);
	return NULL;
}

/* Seals b: the encoder's state is freed, its buffer shrinks to the
 * encoded bytes; no more appends. */
void
tsblock_seal(struct tsblock *b)
{
	size_t len;
	uint8_t *buf;

	free(b->tb_st);
	b->tb_st = NULL;
	(void)tsblock_data(b, &len);
	if (len == 0) {
		free(b->tb_buf);
		b->tb_buf = NULL;
		b->tb_cap = 0;
		return;
	}
	if (len < b->tb_cap && (buf = realloc(b->tb_buf, len)) != NULL) {
		b->tb_buf = buf;
		b->tb_cap = (uint16_t)len;
	}
}
