/*
 * The range aggregator: one bucket is filled at a time, and handed out
 * when an item of a later step arrives or at the end, so memory does
 * not grow with the range.  Items must come in time order (rollups
 * first, then the raw points after them); that is what history_each
 * and a rollup ring give.
 */
#include <math.h>
#include <stdlib.h>

#include "history_range.h"

struct history_range {
	int64_t hr_from_ms;
	int64_t hr_to_ms;
	int64_t hr_step_ms;
	history_range_cb hr_cb;
	void *hr_arg;
	int64_t hr_start_ms; /* of the bucket being filled */
	double hr_min;
	double hr_max;
	double hr_sum;
	uint64_t hr_count; /* 0: no bucket being filled */
	size_t hr_emitted;
};

/* Returns the start of the step that ms (>= 0) falls in. */
static int64_t
history_range_step_of(const struct history_range *r, int64_t ms)
{
	return ms / r->hr_step_ms * r->hr_step_ms;
}

/* Checks the range; see history_range.h. */
const char *
history_range_check(int64_t from_ms, int64_t to_ms, int64_t step_ms)
{
	if (from_ms < 0)
		return "from= must not be before 1970";
	if (from_ms >= to_ms)
		return "from= must be before to=";
	if (step_ms < HISTORY_RANGE_MIN_STEP_MS)
		return "step= must be at least 1 second";
	if (to_ms / step_ms - from_ms / step_ms >= HISTORY_RANGE_MAX_BUCKETS)
		return "from= to to= spans more than 10000 steps: use a "
		       "larger step= or a shorter range";
	return NULL;
}

/* Creates an aggregator; see history_range.h. */
struct history_range *
history_range_new(int64_t from_ms, int64_t to_ms, int64_t step_ms,
    history_range_cb cb, void *arg)
{
	struct history_range *r;

	if (history_range_check(from_ms, to_ms, step_ms) != NULL)
		return NULL;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->hr_from_ms = from_ms;
	r->hr_to_ms = to_ms;
	r->hr_step_ms = step_ms;
	r->hr_cb = cb;
	r->hr_arg = arg;
	return r;
}

/* Frees r; see history_range.h. */
void
history_range_free(struct history_range *r)
{
	free(r);
}

/* Hands the bucket being filled to the callback, if it holds data. */
static void
history_range_emit(struct history_range *r)
{
	struct history_range_out b;

	if (r->hr_count == 0)
		return;
	b.ho_start_ms = r->hr_start_ms;
	b.ho_avg = r->hr_sum / (double)r->hr_count;
	b.ho_min = r->hr_min;
	b.ho_max = r->hr_max;
	b.ho_count = r->hr_count;
	r->hr_cb(&b, r->hr_arg);
	r->hr_emitted++;
	r->hr_count = 0;
}

/*
 * Folds what was seen at ms (min, max, sum over count values) into its
 * step's bucket; the return value of history_range_add_point.
 */
static int
history_range_merge(struct history_range *r, int64_t ms, double min, double max,
    double sum, uint64_t count)
{
	int64_t start;

	if (ms < r->hr_from_ms || ms > r->hr_to_ms)
		return 0;
	start = history_range_step_of(r, ms);
	if (r->hr_count > 0 && start < r->hr_start_ms)
		return -1;
	if (r->hr_count > 0 && start > r->hr_start_ms)
		history_range_emit(r);
	if (r->hr_count == 0) {
		r->hr_start_ms = start;
		r->hr_min = min;
		r->hr_max = max;
		r->hr_sum = sum;
		r->hr_count = count;
		return 1;
	}
	if (min < r->hr_min)
		r->hr_min = min;
	if (max > r->hr_max)
		r->hr_max = max;
	r->hr_sum += sum;
	r->hr_count += count;
	return 1;
}

/* Feeds a raw point; see history_range.h. */
int
history_range_add_point(struct history_range *r, int64_t ms, double value)
{
	/* NaN is "not a number on that poll"; JSON has no infinities. */
	if (!isfinite(value))
		return 0;
	return history_range_merge(r, ms, value, value, value, 1);
}

/*
 * Feeds a pre-aggregated bucket.  One that straddles two steps (a 1 m
 * rollup under a 90 s step, or one that does not start on a step)
 * counts whole in the step of its start: its points cannot be split,
 * and its start is the only time that falls in one step for certain.
 */
int
history_range_add_bucket(
    struct history_range *r, const struct history_range_in *in)
{
	if (in->hi_count == 0 || !isfinite(in->hi_min) ||
	    !isfinite(in->hi_max) || !isfinite(in->hi_sum))
		return 0;
	return history_range_merge(r, in->hi_start_ms, in->hi_min, in->hi_max,
	    in->hi_sum, in->hi_count);
}

/* Emits the last bucket; see history_range.h. */
size_t
history_range_finish(struct history_range *r)
{
	history_range_emit(r);
	return r->hr_emitted;
}
