/*
 * The realistic series of the bench programs (tsbytes, statebench): a
 * counter growing by varying integer steps (Poisson arrivals at a rate
 * of 0.5 to 5 a second that drifts), a gauge with three decimals (a slow
 * wave plus a fast ripple), an integer that mostly repeats and an
 * all-NaN series, polled every 1000 ms with jitter.  Header only: the
 * programs are built by hand, each from one .c.
 */
#ifndef GATHERD_BENCH_SERIES_H
#define GATHERD_BENCH_SERIES_H

#include <math.h>
#include <stdint.h>

enum { KIND_COUNTER, KIND_GAUGE, KIND_REPEAT, KIND_NAN, KINDS };

static uint64_t rng_state = UINT64_C(0x2545f4914f6cdd1d);

/* Returns the next pseudo-random 64 bits (xorshift64*). */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

/* Returns a uniform double in [0, 1). */
static double
rnd(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

/* Returns a Poisson sample of mean lambda (Knuth's, small lambda). */
static int
poisson(double lambda)
{
	double l = exp(-lambda), p = 1;
	int k = 0;

	do {
		k++;
		p *= rnd();
	} while (p > l);
	return k - 1;
}

/* Fills ms[0..n) and v[0..n) with one series of the kind from t0 on. */
static void
series(int kind, int jitter, int n, int64_t t0, int64_t *ms, double *v)
{
	double rate = 0.5 + 4.5 * rnd(), x = floor(1e6 * rnd()), mean;
	int64_t sched = t0;
	int i;

	mean = 20 + 80 * rnd();
	for (i = 0; i < n; i++) {
		double t = (double)i;

		/* The poll starts on schedule and ends after a latency. */
		ms[i] = sched + (int64_t)(rng() % (uint64_t)(jitter + 1));
		sched += 1000;
		switch (kind) {
		case KIND_COUNTER:
			/* Varying steps: the rate drifts, arrivals Poisson. */
			if (i % 60 == 0)
				rate = 0.5 + 4.5 * rnd();
			x += poisson(rate);
			v[i] = x;
			break;
		case KIND_GAUGE:
			v[i] = round(1000 *
			           (mean + 0.2 * mean * sin(t / 900) +
			               0.5 * sin(t / 1.3) + 0.05 * rnd())) /
			    1000;
			break;
		case KIND_REPEAT:
			if (rnd() < 0.03)
				x = floor(x + 10 * rnd() - 5);
			v[i] = x;
			break;
		default:
			v[i] = NAN;
			break;
		}
	}
}

#endif
