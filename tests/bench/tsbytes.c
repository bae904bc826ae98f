/*
 * Bytes per point of history on realistic series, for choosing
 * tsblock's encoding: a counter growing by varying integer steps, a
 * gauge with three decimals (a slow wave plus a fast ripple), an integer
 * that mostly repeats, and an all-NaN series (a string stat), polled
 * every 1000 ms with a few ms of jitter.  Prints, per kind, what
 * tsblock stores (encoded bytes, and memory with the struct) and the
 * bits other encodings would take, computed here: Prometheus's XOR chunk
 * (fixed dod buckets against the previous delta, Gorilla XOR values),
 * and the variants of tsblock's own parts.  Built by hand:
 *   cc -O2 -Ilib tests/bench/tsbytes.c lib/tsblock.c -lz -lm -o tsbytes
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "series.h"
#include "tsblock.h"

#define POINTS 3600 /* an hour at 1 s: 15 full blocks */
#define T0 INT64_C(1795341600000)

static const char *const kind_name[KINDS] = {
    "counter", "gauge3", "repeat", "nan"};

/* Bits of a Prometheus chunk's timestamp dod. */
static unsigned
prom_ts_bits(int64_t dod)
{
	if (dod == 0)
		return 1;
	if (dod >= -8191 && dod <= 8192)
		return 16;
	if (dod >= -65535 && dod <= 65536)
		return 20;
	if (dod >= -524287 && dod <= 524288)
		return 24;
	return 68;
}

/* Gorilla XOR state. */
struct xor_state {
	uint64_t prev;
	int lead, trail;
};

/* Bits of Gorilla's XOR of v against the previous value. */
static unsigned
xor_bits(struct xor_state *s, double v)
{
	uint64_t u, x;
	int lead, trail;

	memcpy(&u, &v, sizeof u);
	x = u ^ s->prev;
	s->prev = u;
	if (x == 0)
		return 1;
	lead = __builtin_clzll(x);
	trail = __builtin_ctzll(x);
	if (lead > 31)
		lead = 31;
	if (s->lead >= 0 && lead >= s->lead && trail >= s->trail)
		return 2 + 64 - s->lead - s->trail;
	s->lead = lead;
	s->trail = trail;
	return 2 + 5 + 6 + 64 - lead - trail;
}

/* Adaptive Rice state, as tsblock keeps it. */
struct rice {
	uint32_t sum;
};

/* Bits of the adaptive Rice code of signed d (zigzag). */
static unsigned
rice_bits(struct rice *r, int64_t d)
{
	uint64_t z = ((uint64_t)d << 1) ^ (0 - ((uint64_t)d >> 63));
	unsigned k = r->sum >> 4 ? 64 - __builtin_clzll(r->sum >> 4) : 0;
	uint64_t q = z >> k;

	r->sum = r->sum - (r->sum >> 3) +
	    (uint32_t)(z < (1u << 26) ? z : (1u << 26));
	return q < 24 ? (unsigned)q + 1 + k : 24 + 64;
}

/* Bits of fixed buckets for a signed d: 0, 6, 9, 13, 21 bits, else 68. */
static unsigned
bucket_bits(int64_t d)
{
	if (d == 0)
		return 1;
	if (d >= -8 && d <= 7)
		return 2 + 4;
	if (d >= -64 && d <= 63)
		return 3 + 7;
	if (d >= -1024 && d <= 1023)
		return 4 + 11;
	if (d >= -262144 && d <= 262143)
		return 5 + 19;
	return 5 + 64;
}

/* The encodings compared, as bits of one series. */
enum {
	ENC_PROM, /* Prometheus: dod vs previous, buckets; XOR */
	ENC_TS_DODPREV_RICE, /* times: dod vs previous delta, Rice */
	ENC_TS_DODFIRST_RICE, /* times: dod vs first delta, Rice */
	ENC_TS_DODFIRST_BUCKET, /* times: dod vs first delta, buckets */
	ENC_TS_DODREF_RICE, /* times: dod vs a moving reference, Rice */
	ENC_V_XOR, /* values: Gorilla XOR */
	ENC_V_DELTA_RICE, /* values: scaled delta, Rice */
	ENC_V_DOD_RICE, /* values: scaled dod, Rice */
	ENC_V_DELTA_BUCKET, /* values: scaled delta, buckets */
	ENCS
};

static const char *const enc_name[ENCS] = {"prometheus-xor-chunk",
    "t:dod-prev+rice", "t:dod-first+rice", "t:dod-first+buckets",
    "t:dod-ref+rice", "v:gorilla-xor", "v:scaled-delta+rice",
    "v:scaled-dod+rice", "v:scaled-delta+buckets"};

/* Adds the bits each encoding takes for one series to bits[]. */
static void
simulate(const int64_t *ms, const double *v, double *bits)
{
	struct xor_state px = {0, -1, 0}, vx = {0, -1, 0};
	struct rice r1 = {64}, r2 = {64}, r3 = {64}, r4 = {64}, r5 = {64};
	int64_t dref = 0, d0 = 0, dprev = 0, n, nprev = 0, dn = 0, dnprev = 0;
	int i, k, scaled = 1;
	double p = 1;

	/* The scale tsblock would pick: the fewest decimals that hold all. */
	for (k = 0; k <= 6; k++, p *= 10) {
		for (i = 0; i < POINTS && isfinite(v[i]) &&
		     (double)llround(v[i] * p) / p == v[i];
		     i++)
			;
		if (i == POINTS)
			break;
	}
	for (i = 0; i < POINTS; i++) {
		int first = i % TSBLOCK_POINTS_MAX == 0;
		int64_t delta = i > 0 ? ms[i] - ms[i - 1] : 0;

		n = isfinite(v[i]) ? llround(v[i] * p) : 0;
		if (first) {
			/* Each block starts raw: 64 + 64 bits. */
			bits[ENC_PROM] += 128;
			px.prev = vx.prev = 0;
			px.lead = vx.lead = -1;
			xor_bits(&px, v[i]);
			xor_bits(&vx, v[i]);
			scaled = isfinite(v[i]);
			nprev = n;
			dnprev = 0;
		} else if (i % TSBLOCK_POINTS_MAX == 1) {
			bits[ENC_PROM] += 14 + xor_bits(&px, v[i]);
			d0 = dprev = dref = delta;
		} else {
			bits[ENC_PROM] +=
			    prom_ts_bits(delta - dprev) + xor_bits(&px, v[i]);
			bits[ENC_TS_DODPREV_RICE] +=
			    rice_bits(&r1, delta - dprev);
			bits[ENC_TS_DODFIRST_RICE] +=
			    rice_bits(&r2, delta - d0);
			bits[ENC_TS_DODFIRST_BUCKET] += bucket_bits(delta - d0);
			bits[ENC_TS_DODREF_RICE] +=
			    rice_bits(&r5, delta - dref);
			dref += (delta - dref) / 8;
			dprev = delta;
		}
		if (!first) {
			bits[ENC_V_XOR] += xor_bits(&vx, v[i]);
			if (scaled) {
				dn = n - nprev;
				bits[ENC_V_DELTA_RICE] += rice_bits(&r3, dn);
				bits[ENC_V_DOD_RICE] +=
				    rice_bits(&r4, dn - dnprev);
				bits[ENC_V_DELTA_BUCKET] += bucket_bits(dn);
				nprev = n;
				dnprev = dn;
			} else {
				bits[ENC_V_DELTA_RICE] += 1;
				bits[ENC_V_DOD_RICE] += 1;
				bits[ENC_V_DELTA_BUCKET] += 1;
			}
		}
	}
}

/* Stores one series in tsblocks; adds encoded and held bytes. */
static void
store(const int64_t *ms, const double *v, double *enc, double *held)
{
	struct tsblock *b = NULL;
	size_t len;
	int i;

	for (i = 0; i <= POINTS; i++) {
		if (b != NULL &&
		    (i == POINTS || tsblock_append(b, ms[i], v[i]))) {
			(void)tsblock_data(b, &len);
			tsblock_seal(b);
			*enc += (double)len;
			*held += (double)tsblock_bytes(b);
			tsblock_free(b);
			b = NULL;
		}
		if (i == POINTS)
			break;
		if (b == NULL) {
			if ((b = tsblock_new()) == NULL)
				exit(1);
			(void)tsblock_append(b, ms[i], v[i]);
		}
	}
}

/* Prints the bytes held a point by 360 points (history = 360): a
 * sealed block of 240 and one of 120 still growing. */
static void
ring360(int jitter, int runs)
{
	static int64_t ms[POINTS];
	static double v[POINTS];
	double mix = 0;
	int kind, r, i;

	for (kind = KIND_COUNTER; kind <= KIND_GAUGE; kind++) {
		double held = 0;

		for (r = 0; r < runs; r++) {
			struct tsblock *a = tsblock_new(), *b = tsblock_new();

			if (a == NULL || b == NULL)
				exit(1);
			series(kind, jitter, POINTS, T0, ms, v);
			for (i = 0; i < 360; i++)
				(void)tsblock_append(
				    i < TSBLOCK_POINTS_MAX ? a : b, ms[i],
				    v[i]);
			tsblock_seal(a);
			held += (double)(tsblock_bytes(a) + tsblock_bytes(b));
			tsblock_free(a);
			tsblock_free(b);
		}
		held /= (double)runs * 360;
		mix += held / 2;
		printf(
		    "360 points (240 sealed + 120): %s %.3f bytes/point held\n",
		    kind_name[kind], held);
	}
	printf("360 points: counter+gauge mix %.3f bytes/point held\n", mix);
}

/* Returns CPU seconds used so far. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sums the values, for tsblock_each (so the decoding is not idle). */
static void
sum_cb(int64_t ms, double value, void *arg)
{
	(void)ms;
	*(double *)arg += value;
}

/* Prints the CPU time of an append and of decoding a point. */
static void
timing(void)
{
	static int64_t ms[POINTS];
	static double v[POINTS];
	struct tsblock *b;
	double t, append = 0, each = 0, sum = 0;
	long points = 0;
	int r, kind, i;

	for (r = 0; r < 20; r++) {
		for (kind = 0; kind < KINDS; kind++) {
			series(kind, 10, POINTS, T0, ms, v);
			for (i = 0; i + TSBLOCK_POINTS_MAX <= POINTS;
			     i += TSBLOCK_POINTS_MAX) {
				int j;

				if ((b = tsblock_new()) == NULL)
					exit(1);
				t = cpu_now();
				for (j = 0; j < TSBLOCK_POINTS_MAX; j++)
					(void)tsblock_append(
					    b, ms[i + j], v[i + j]);
				append += cpu_now() - t;
				t = cpu_now();
				tsblock_each(b, sum_cb, &sum);
				each += cpu_now() - t;
				points += TSBLOCK_POINTS_MAX;
				tsblock_free(b);
			}
		}
	}
	printf("CPU: %.0f ns an append, %.0f ns a point decoded (sum %g)\n",
	    append / (double)points * 1e9, each / (double)points * 1e9, sum);
}

int
main(int argc, char **argv)
{
	static int64_t ms[POINTS];
	static double v[POINTS];
	int jitter = argc > 1 ? atoi(argv[1]) : 10;
	int runs = argc > 2 ? atoi(argv[2]) : 50, kind, r, e;
	double mix_enc = 0, mix_held = 0;

	printf("jitter 0..%d ms at 1000 ms, %d series of %d points a kind; "
	       "bytes/point\n",
	    jitter, runs, POINTS);
	printf("%-8s %8s %8s", "kind", "tsblock", "held");
	for (e = 0; e < ENCS; e++)
		printf(" %s", enc_name[e]);
	printf("\n");
	for (kind = 0; kind < KINDS; kind++) {
		double enc = 0, held = 0, bits[ENCS] = {0};

		for (r = 0; r < runs; r++) {
			series(kind, jitter, POINTS, T0, ms, v);
			store(ms, v, &enc, &held);
			simulate(ms, v, bits);
		}
		enc /= (double)runs * POINTS;
		held /= (double)runs * POINTS;
		if (kind == KIND_COUNTER || kind == KIND_GAUGE) {
			mix_enc += enc / 2;
			mix_held += held / 2;
		}
		printf("%-8s %8.3f %8.3f", kind_name[kind], enc, held);
		for (e = 0; e < ENCS; e++)
			printf(" %.3f", bits[e] / 8 / ((double)runs * POINTS));
		printf("\n");
	}
	printf("counter+gauge mix: tsblock %.3f encoded, %.3f held\n", mix_enc,
	    mix_held);
	ring360(jitter, runs);
	timing();
	return 0;
}
