/*
 * Range queries on a stat's history: points and pre-aggregated buckets
 * (rollups), fed in time order, are folded into [t, avg, min, max]
 * buckets of a fixed step between from and to.  Pure: no clock, no
 * cache; the caller feeds the items and gets each bucket through a
 * callback as soon as it is complete, so an answer needs no array.
 */
#ifndef GATHERD_HISTORY_RANGE_H
#define GATHERD_HISTORY_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* The smallest step, in ms. */
#define HISTORY_RANGE_MIN_STEP_MS 1000
/* The most buckets one answer may span. */
#define HISTORY_RANGE_MAX_BUCKETS 10000

/* A pre-aggregated bucket fed in (a rollup): what it saw over width. */
struct history_range_in {
	int64_t hi_start_ms;
	int64_t hi_width_ms;
	double hi_min;
	double hi_max;
	double hi_sum;
	uint64_t hi_count; /* 0: no data, the bucket is skipped */
};

/* One bucket of the answer; only emitted when it holds data. */
struct history_range_out {
	int64_t ho_start_ms; /* a multiple of the step */
	double ho_avg;
	double ho_min;
	double ho_max;
	uint64_t ho_count;
};

struct history_range;

/* Called once per bucket with data, in time order. */
typedef void (*history_range_cb)(const struct history_range_out *b, void *arg);

/*
 * Returns NULL if from_ms, to_ms and step_ms make a valid range, else a
 * message saying what is wrong (static, for a 400 response).
 */
const char *
history_range_check(int64_t from_ms, int64_t to_ms, int64_t step_ms);
/*
 * Creates an aggregator over [from_ms, to_ms] (both included) that hands
 * each finished bucket to cb; NULL if the range is not valid (see
 * history_range_check) or out of memory.
 */
struct history_range *history_range_new(int64_t from_ms, int64_t to_ms,
    int64_t step_ms, history_range_cb cb, void *arg);
/* Frees r without emitting what is pending; NULL is allowed. */
void history_range_free(struct history_range *r);
/*
 * Feeds a raw point; NaN and infinities (no value) and points outside
 * the range are skipped.  Returns 1 if taken, 0 if skipped, -1 if it
 * falls in a step before the bucket being filled (dropped).
 */
int history_range_add_point(struct history_range *r, int64_t ms, double value);
/*
 * Feeds a pre-aggregated bucket; it counts whole in the step of its
 * start, and only if its start is in the range.  Returns as
 * history_range_add_point does.
 */
int history_range_add_bucket(
    struct history_range *r, const struct history_range_in *in);
/* Emits the bucket being filled; returns how many buckets were emitted. */
size_t history_range_finish(struct history_range *r);

#endif
