/*
 * The rollups of one stat: what it saw in fixed-width buckets of time
 * (min, max, sum and count), the last `points` closed buckets kept as
 * four compressed series (history) stamped with each bucket's start,
 * and the bucket still open kept as it is.  Pure: the caller passes the
 * time of each point, so tests drive it with a fake clock.
 */
#ifndef GATHERD_ROLLUP_H
#define GATHERD_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"

/* The four series of the closed buckets, each point at a bucket's start. */
enum rollup_series {
	ROLLUP_MIN,
	ROLLUP_MAX,
	ROLLUP_SUM,
	ROLLUP_COUNT,
	ROLLUP_NSERIES,
};

/* One bucket: where it starts and what it saw (count 0: nothing). */
struct rollup_bucket {
	int64_t rb_start_ms;
	double rb_min;
	double rb_max;
	double rb_sum;
	uint64_t rb_count;
};

struct rollup;

/* Called per bucket in time order by rollup_each; arg is rollup_each's. */
typedef void (*rollup_each_cb)(int64_t start_ms, int64_t width_ms, double min,
    double max, double sum, uint64_t count, void *arg);

/* Creates rollups of width_ms buckets (at least 1) keeping the last points
 * closed ones (0: records nothing); NULL if out of memory or width < 1. */
struct rollup *rollup_new(int64_t width_ms, size_t points);
/* Frees r; NULL is allowed. */
void rollup_free(struct rollup *r);
/*
 * Adds a point: NaN is skipped, a point older than the open bucket is
 * ignored, one at or past its end closes it (stored if it saw anything)
 * and opens the bucket that holds ms.
 */
void rollup_add(struct rollup *r, int64_t ms, double value);
/* Drops every bucket, the open one too. */
void rollup_clear(struct rollup *r);
/* Returns the closed buckets held (the open one not counted). */
size_t rollup_len(const struct rollup *r);
/* Returns the bytes of memory r takes, its series included. */
size_t rollup_bytes(const struct rollup *r);
/* Returns the width of a bucket in ms. */
int64_t rollup_width(const struct rollup *r);
/* Returns the most closed buckets r keeps. */
size_t rollup_capacity(const struct rollup *r);
/*
 * Calls cb for every bucket starting at or after from_ms in time order:
 * the closed ones, then the open one if it saw anything.  One allocation
 * per call, none per bucket; a call that cannot allocate reports only
 * the open bucket.
 */
void rollup_each(
    const struct rollup *r, int64_t from_ms, rollup_each_cb cb, void *arg);
/*
 * Returns series s of the closed buckets (borrowed), for the state
 * file: the four have the same times and length; whoever appends to
 * them directly must append to all four alike.  NULL when r keeps no
 * buckets (points 0: no series are allocated).
 */
struct history *rollup_series(struct rollup *r, enum rollup_series s);
/* Sets *b to the open bucket (rb_count 0 if there is none). */
void rollup_get_open(const struct rollup *r, struct rollup_bucket *b);
/* Replaces the open bucket with b (a restore); b's start is aligned down
 * to the width, and rb_count 0 leaves none open. */
void rollup_set_open(struct rollup *r, const struct rollup_bucket *b);
/* Copies src's closed buckets and open one into dst, which must have the
 * same width (else nothing is copied); the oldest beyond dst's capacity
 * are dropped.  0, or -1 if the widths differ. */
int rollup_copy(struct rollup *dst, const struct rollup *src);

#endif
