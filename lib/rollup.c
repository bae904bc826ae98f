/*
 * The rollups of one stat.  Points fold into the open bucket; when a
 * point comes at or past its end the bucket is closed, appended to the
 * four series (min, max, sum, count: sum rather than avg so that buckets
 * merge exactly into wider steps) unless it saw nothing, and the bucket
 * of the new point is opened.  The series are history rings of the
 * same capacity fed in step, so they always hold the same buckets.
 */
#include <math.h>
#include <stdlib.h>

#include "rollup.h"

struct rollup {
	struct history *ru_series[ROLLUP_NSERIES];
	int64_t ru_width; /* ms */
	size_t ru_cap; /* closed buckets kept */
	struct rollup_bucket ru_open; /* rb_count 0: none open */
};

/* Creates rollups of width_ms buckets keeping points closed ones. */
struct rollup *
rollup_new(int64_t width_ms, size_t points)
{
	struct rollup *r;
	int s;

	if (width_ms < 1 || (r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->ru_width = width_ms;
	r->ru_cap = points;
	/* Off: no series at all, so a stat without rollups costs only r. */
	for (s = 0; points > 0 && s < ROLLUP_NSERIES; s++) {
		if ((r->ru_series[s] = history_new(points)) == NULL)
			goto fail;
	}
	return r;
fail:
	rollup_free(r);
	return NULL;
}

/* Frees r; NULL is allowed. */
void
rollup_free(struct rollup *r)
{
	int s;

	if (r == NULL)
		return;
	for (s = 0; s < ROLLUP_NSERIES; s++)
		history_free(r->ru_series[s]);
	free(r);
}

/* Returns the start of the bucket of width w that holds ms (floor, so
 * times before 1970 fall in the bucket below, not the one above; a time
 * so low that its bucket would start below INT64_MIN is its own). */
static int64_t
rollup_floor(int64_t ms, int64_t w)
{
	int64_t rem = ms % w;

	if (rem < 0) {
		if (ms < INT64_MIN + w)
			return ms;
		rem += w;
	}
	return ms - rem;
}

/* Appends bucket b to the four series. */
static void
rollup_append(struct rollup *r, const struct rollup_bucket *b)
{
	history_add(r->ru_series[ROLLUP_MIN], b->rb_start_ms, b->rb_min);
	history_add(r->ru_series[ROLLUP_MAX], b->rb_start_ms, b->rb_max);
	history_add(r->ru_series[ROLLUP_SUM], b->rb_start_ms, b->rb_sum);
	history_add(
	    r->ru_series[ROLLUP_COUNT], b->rb_start_ms, (double)b->rb_count);
}

/* Adds a point at ms; see rollup.h. */
void
rollup_add(struct rollup *r, int64_t ms, double value)
{
	struct rollup_bucket *o = &r->ru_open;

	if (r->ru_cap == 0 || isnan(value))
		return;
	if (o->rb_count > 0 && ms < o->rb_start_ms)
		return;
	/* Unsigned: ms >= start, and the difference may not fit in int64. */
	if (o->rb_count > 0 &&
	    (uint64_t)ms - (uint64_t)o->rb_start_ms >= (uint64_t)r->ru_width) {
		rollup_append(r, o);
		o->rb_count = 0;
	}
	if (o->rb_count == 0) {
		o->rb_start_ms = rollup_floor(ms, r->ru_width);
		o->rb_min = o->rb_max = o->rb_sum = value;
		o->rb_count = 1;
		return;
	}
	o->rb_min = fmin(o->rb_min, value);
	o->rb_max = fmax(o->rb_max, value);
	o->rb_sum += value;
	o->rb_count++;
}

/* Drops every bucket, the open one too. */
void
rollup_clear(struct rollup *r)
{
	int s;

	for (s = 0; r->ru_cap > 0 && s < ROLLUP_NSERIES; s++)
		history_clear(r->ru_series[s]);
	r->ru_open.rb_count = 0;
}

/* Returns the closed buckets held. */
size_t
rollup_len(const struct rollup *r)
{
	return r->ru_cap > 0 ? history_len(r->ru_series[ROLLUP_COUNT]) : 0;
}

/* Returns the bytes of memory r takes, its series included. */
size_t
rollup_bytes(const struct rollup *r)
{
	size_t n = sizeof *r;
	int s;

	for (s = 0; r->ru_cap > 0 && s < ROLLUP_NSERIES; s++)
		n += history_bytes(r->ru_series[s]);
	return n;
}

/* Returns the width of a bucket in ms. */
int64_t
rollup_width(const struct rollup *r)
{
	return r->ru_width;
}

/* Returns the most closed buckets r keeps. */
size_t
rollup_capacity(const struct rollup *r)
{
	return r->ru_cap;
}

/* The closed buckets rollup_each gathers from the four series. */
struct rollup_walk {
	struct rollup_bucket *rw_buckets;
	size_t rw_cap; /* entries of rw_buckets */
	size_t rw_n; /* filled by the series being walked */
	enum rollup_series rw_series;
};

/* history_each callback: a point of one series into its bucket. */
static void
rollup_walk_cb(const struct history_point *pt, void *arg)
{
	struct rollup_walk *w = arg;
	struct rollup_bucket *b;

	if (w->rw_n == w->rw_cap)
		return;
	b = &w->rw_buckets[w->rw_n++];
	switch (w->rw_series) {
	case ROLLUP_MIN:
		b->rb_start_ms = pt->hp_ms;
		b->rb_min = pt->hp_value;
		break;
	case ROLLUP_MAX:
		b->rb_max = pt->hp_value;
		break;
	case ROLLUP_SUM:
		b->rb_sum = pt->hp_value;
		break;
	default:
		/* Only a restored file can hold a count that is not one. */
		b->rb_count = pt->hp_value >= 1 && pt->hp_value < 0x1p63
		    ? (uint64_t)pt->hp_value
		    : 0;
		break;
	}
}

/* Calls cb for every closed bucket starting at or after from_ms. */
static void
rollup_each_closed(
    const struct rollup *r, int64_t from_ms, rollup_each_cb cb, void *arg)
{
	struct rollup_walk w = {0};
	const struct rollup_bucket *b;
	size_t i, n = rollup_len(r);
	int s;

	if (n == 0 || (w.rw_buckets = calloc(n, sizeof *w.rw_buckets)) == NULL)
		return;
	w.rw_cap = n;
	for (s = 0; s < ROLLUP_NSERIES; s++) {
		w.rw_n = 0;
		w.rw_series = (enum rollup_series)s;
		history_each(r->ru_series[s], from_ms, rollup_walk_cb, &w);
	}
	/* The count series was walked last: w.rw_n is its length. */
	for (i = 0; i < w.rw_n; i++) {
		b = &w.rw_buckets[i];
		cb(b->rb_start_ms, r->ru_width, b->rb_min, b->rb_max, b->rb_sum,
		    b->rb_count, arg);
	}
	free(w.rw_buckets);
}

/* Calls cb for every bucket starting at or after from_ms; see rollup.h. */
void
rollup_each(
    const struct rollup *r, int64_t from_ms, rollup_each_cb cb, void *arg)
{
	const struct rollup_bucket *b = &r->ru_open;

	rollup_each_closed(r, from_ms, cb, arg);
	if (b->rb_count > 0 && b->rb_start_ms >= from_ms)
		cb(b->rb_start_ms, r->ru_width, b->rb_min, b->rb_max, b->rb_sum,
		    b->rb_count, arg);
}

/* Returns series s of the closed buckets, borrowed; NULL when off. */
struct history *
rollup_series(struct rollup *r, enum rollup_series s)
{
	return r->ru_series[s];
}

/* Sets *b to the open bucket (rb_count 0 if none). */
void
rollup_get_open(const struct rollup *r, struct rollup_bucket *b)
{
	*b = r->ru_open;
}

/* Replaces the open bucket with b, its start aligned to the width. */
void
rollup_set_open(struct rollup *r, const struct rollup_bucket *b)
{
	r->ru_open = *b;
	r->ru_open.rb_start_ms = rollup_floor(b->rb_start_ms, r->ru_width);
	if (r->ru_cap == 0)
		r->ru_open.rb_count = 0;
}

/* rollup_each callback: a closed bucket of the source into dst. */
static void
rollup_copy_cb(int64_t start_ms, int64_t width_ms, double min, double max,
    double sum, uint64_t count, void *arg)
{
	struct rollup *dst = arg;
	struct rollup_bucket b = {start_ms, min, max, sum, count};

	(void)width_ms;
	rollup_append(dst, &b);
}

/* Copies src's buckets into dst of the same width; 0 or -1. */
int
rollup_copy(struct rollup *dst, const struct rollup *src)
{
	struct rollup_bucket open;

	if (dst->ru_width != src->ru_width)
		return -1;
	rollup_clear(dst);
	if (dst->ru_cap == 0)
		return 0;
	rollup_each_closed(src, INT64_MIN, rollup_copy_cb, dst);
	rollup_get_open(src, &open);
	rollup_set_open(dst, &open);
	return 0;
}
