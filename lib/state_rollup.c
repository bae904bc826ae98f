/*
 * A stat's rollups in the state file.  The closed buckets are four
 * history series with the same times, so they are saved with
 * state_codec's history form, blocks as they are; the open bucket is 40
 * bytes (start, then the bits of min, max and sum, then count, each
 * little-endian 64) in base64, which keeps infinities and every bit
 * of the sum.  On restore the four series must still agree point for
 * point (a corrupt block in one of them breaks that): if they do not,
 * nothing is kept and the caller rebuilds the rollups from the raw
 * points.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "state_rollup.h"

/* The members of the four series, in enum rollup_series order. */
static const char *const state_rollup_names[ROLLUP_NSERIES] = {
    "min", "max", "sum", "count"};

/* Writes v little-endian at out. */
static void
state_rollup_put64(unsigned char *out, uint64_t v)
{
	v = htole64(v);
	memcpy(out, &v, 8);
}

/* Reads a little-endian 64-bit value at in. */
static uint64_t
state_rollup_get64(const unsigned char *in)
{
	uint64_t v;

	memcpy(&v, in, 8);
	return le64toh(v);
}

/* Returns the bits of d. */
static uint64_t
state_rollup_bits(double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	return v;
}

/* Returns the double whose bits are v. */
static double
state_rollup_double(uint64_t v)
{
	double d;

	memcpy(&d, &v, 8);
	return d;
}

/* Returns the open bucket of r as base64 text; NULL if out of memory. */
static struct json_object *
state_rollup_open_json(const struct rollup *r)
{
	unsigned char raw[STATE_ROLLUP_OPEN_BYTES];
	char text[STATE_ROLLUP_OPEN_BYTES / 3 * 4 + 5];
	struct rollup_bucket b;
	size_t n;

	rollup_get_open(r, &b);
	state_rollup_put64(raw, (uint64_t)b.rb_start_ms);
	state_rollup_put64(raw + 8, state_rollup_bits(b.rb_min));
	state_rollup_put64(raw + 16, state_rollup_bits(b.rb_max));
	state_rollup_put64(raw + 24, state_rollup_bits(b.rb_sum));
	state_rollup_put64(raw + 32, b.rb_count);
	n = base64_encode(raw, sizeof raw, text);
	return json_object_new_string_len(text, (int)n);
}

/* Returns r as saved; NULL if out of memory or r keeps no buckets. */
struct json_object *
state_rollup_json(const struct rollup *r)
{
	/* rollup_series lends the series; saving only reads them. */
	struct rollup *rw = (struct rollup *)(uintptr_t)r;
	struct json_object *o;
	int s;

	if (rollup_series(rw, ROLLUP_MIN) == NULL ||
	    (o = json_object_new_object()) == NULL)
		return NULL;
	if (state_codec_add(
	        o, "width_ms", json_object_new_int64(rollup_width(r))) == -1)
		goto fail;
	for (s = 0; s < ROLLUP_NSERIES; s++)
		if (state_codec_add(o, state_rollup_names[s],
		        state_codec_history_json(
		            rollup_series(rw, (enum rollup_series)s))) == -1)
			goto fail;
	if (state_codec_add(o, "open", state_rollup_open_json(r)) == -1)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* Reads the open bucket saved as text into b; NULL if good, else why. */
static const char *
state_rollup_open_decode(struct json_object *text, struct rollup_bucket *b)
{
	unsigned char raw[STATE_ROLLUP_OPEN_BYTES + 3];
	size_t len = (size_t)json_object_get_string_len(text);

	if (len != base64_encoded_len(STATE_ROLLUP_OPEN_BYTES) ||
	    base64_decode(json_object_get_string(text), len, raw) !=
	        STATE_ROLLUP_OPEN_BYTES)
		return "the open bucket is not base64 of 40 bytes";
	b->rb_start_ms = (int64_t)state_rollup_get64(raw);
	b->rb_min = state_rollup_double(state_rollup_get64(raw + 8));
	b->rb_max = state_rollup_double(state_rollup_get64(raw + 16));
	b->rb_sum = state_rollup_double(state_rollup_get64(raw + 24));
	b->rb_count = state_rollup_get64(raw + 32);
	return NULL;
}

/* Checks the shape of saved rollups o; NULL if good, else why. */
const char *
state_rollup_check(struct json_object *o)
{
	struct json_object *width, *series, *open;
	struct rollup_bucket b;
	const char *why;
	int s;

	if (!json_object_is_type(o, json_type_object))
		return "rollups are not an object";
	if (state_codec_member(o, "width_ms", json_type_int, &width) == -1 ||
	    width == NULL || json_object_get_int64(width) < 1)
		return "rollups have no width";
	for (s = 0; s < ROLLUP_NSERIES; s++) {
		if (state_codec_member(o, state_rollup_names[s],
		        json_type_object, &series) == -1 ||
		    series == NULL)
			return "a rollup series is missing";
		if ((why = state_codec_history_check(series)) != NULL)
			return why;
	}
	if (state_codec_member(o, "open", json_type_string, &open) == -1 ||
	    open == NULL)
		return "rollups have no open bucket";
	return state_rollup_open_decode(open, &b);
}

/* What state_rollup_agree compares against: the min series' times. */
struct state_rollup_times {
	int64_t *st_ms;
	size_t st_n;
	size_t st_at;
	int st_same;
};

/* history_each callback: records a time, or checks it against one. */
static void
state_rollup_time_cb(const struct history_point *pt, void *arg)
{
	struct state_rollup_times *t = arg;

	if (t->st_at < t->st_n && t->st_ms[t->st_at] == pt->hp_ms)
		t->st_at++;
	else
		t->st_same = 0;
}

/* history_each callback: collects a time. */
static void
state_rollup_collect_cb(const struct history_point *pt, void *arg)
{
	struct state_rollup_times *t = arg;

	t->st_ms[t->st_n++] = pt->hp_ms;
}

/* Returns 1 if r's four series hold the same times, the last in *last
 * (INT64_MIN if none), else 0. */
static int
state_rollup_agree(struct rollup *r, int64_t *last)
{
	struct state_rollup_times t = {NULL, 0, 0, 1};
	size_t n = history_len(rollup_series(r, ROLLUP_MIN));
	int s;

	*last = INT64_MIN;
	if (n == 0)
		return history_len(rollup_series(r, ROLLUP_MAX)) == 0 &&
		    history_len(rollup_series(r, ROLLUP_SUM)) == 0 &&
		    history_len(rollup_series(r, ROLLUP_COUNT)) == 0;
	if ((t.st_ms = calloc(n, sizeof *t.st_ms)) == NULL)
		return 0;
	history_each(rollup_series(r, ROLLUP_MIN), INT64_MIN,
	    state_rollup_collect_cb, &t);
	if (t.st_n > 0)
		*last = t.st_ms[t.st_n - 1];
	for (s = ROLLUP_MAX; s < ROLLUP_NSERIES && t.st_same; s++) {
		t.st_at = 0;
		history_each(rollup_series(r, (enum rollup_series)s), INT64_MIN,
		    state_rollup_time_cb, &t);
		if (t.st_at != t.st_n)
			t.st_same = 0;
	}
	free(t.st_ms);
	return t.st_same;
}

/* Restores saved rollups o into r; 1 if restored, 0 if not (r empty). */
int
state_rollup_restore(
    struct json_object *o, struct rollup *r, state_codec_skip_cb *cb, void *arg)
{
	struct json_object *width, *series, *open;
	struct rollup_bucket b;
	int64_t last;
	int s;

	rollup_clear(r);
	if (rollup_series(r, ROLLUP_MIN) == NULL ||
	    state_rollup_check(o) != NULL ||
	    !json_object_object_get_ex(o, "width_ms", &width) ||
	    json_object_get_int64(width) != rollup_width(r))
		return 0;
	for (s = 0; s < ROLLUP_NSERIES; s++) {
		json_object_object_get_ex(o, state_rollup_names[s], &series);
		(void)state_codec_history_restore(
		    series, rollup_series(r, (enum rollup_series)s), cb, arg);
	}
	json_object_object_get_ex(o, "open", &open);
	/* The open bucket, if any, comes after every closed one. */
	if (!state_rollup_agree(r, &last) ||
	    state_rollup_open_decode(open, &b) != NULL ||
	    (b.rb_count > 0 && b.rb_start_ms <= last)) {
		rollup_clear(r);
		return 0;
	}
	rollup_set_open(r, &b);
	return 1;
}
