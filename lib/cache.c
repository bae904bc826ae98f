/*
 * The cache of last good values.  Entries are created once from the
 * config and indexed by name in a json-c linkhash.  A failed poll only
 * touches the error and counters; the values are replaced only by a
 * successful poll, so a broken upstream answer never costs a good value.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/linkhash.h>

#include "cache.h"

/* A listener cache_add_listener added; a free slot has no cl_cb. */
struct cache_listener {
	cache_listener_cb cl_cb;
	void *cl_arg;
};

struct cache {
	struct cache_entry *c_entries;
	size_t c_count;
	struct lh_table *c_by_name; /* name -> entry, keys borrowed */
	uint64_t c_generation;
	struct cache_listener c_listeners[CACHE_LISTENERS_MAX];
};

/* Gives each stat of e a history ring and rollups; 0 or -1. */
static int
cache_new_history(struct cache_entry *e)
{
	const struct config_source *src = e->ce_src;
	size_t i, n = src->src_nstats;

	/* NOLINTBEGIN(bugprone-sizeof-expression): arrays of pointers */
	e->ce_history = calloc(n ? n : 1, sizeof *e->ce_history);
	e->ce_rollup = calloc(n ? n : 1, sizeof *e->ce_rollup);
	/* NOLINTEND(bugprone-sizeof-expression) */
	if (e->ce_history == NULL || e->ce_rollup == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		e->ce_history[i] = history_new((size_t)src->src_history);
		e->ce_rollup[i] =
		    rollup_new((int64_t)src->src_history_rollup_ms,
		        (size_t)src->src_history_rollup_points);
		if (e->ce_history[i] == NULL || e->ce_rollup[i] == NULL)
			return -1;
	}
	return 0;
}

/* Frees e's history rings and rollups. */
static void
cache_free_history(struct cache_entry *e)
{
	size_t i;

	for (i = 0; e->ce_history != NULL && i < e->ce_src->src_nstats; i++)
		history_free(e->ce_history[i]);
	for (i = 0; e->ce_rollup != NULL && i < e->ce_src->src_nstats; i++)
		rollup_free(e->ce_rollup[i]);
	free(e->ce_history);
	free(e->ce_rollup);
}

/* Adds a point to the history and rollups of e's stat i. */
static void
cache_add_point(struct cache_entry *e, size_t i, int64_t ms, double value)
{
	history_add(e->ce_history[i], ms, value);
	rollup_add(e->ce_rollup[i], ms, value);
}

/* Returns a stat's value as history keeps it: NaN if not a number. */
double
cache_value_number(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_double(v);
	default:
		return NAN;
	}
}

/* Adds a point per stat of e's current values at time now. */
static void
cache_record_history(struct cache_entry *e, int64_t now)
{
	const struct config_source *src = e->ce_src;
	size_t i;

	for (i = 0; i < src->src_nstats; i++)
		cache_add_point(e, i, now,
		    cache_value_number(json_object_object_get(
		        e->ce_values, src->src_stats[i].cs_name)));
}

/* Returns 1 if a and b are both NULL or equal strings. */
static int
cache_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Keeps copies of the validators of e's values; 1 changed, 0, -1. */
int
cache_set_validators(
    struct cache_entry *e, const char *etag, const char *last_modified)
{
	char *t = NULL, *m = NULL;

	if (cache_same(etag, e->ce_etag) &&
	    cache_same(last_modified, e->ce_last_modified))
		return 0;
	if ((etag != NULL && (t = strdup(etag)) == NULL) ||
	    (last_modified != NULL && (m = strdup(last_modified)) == NULL)) {
		free(t);
		return -1;
	}
	free(e->ce_etag);
	free(e->ce_last_modified);
	e->ce_etag = t;
	e->ce_last_modified = m;
	return 1;
}

/* Returns the index of e's stat called name, or -1. */
int
cache_stat_index(const struct cache_entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->ce_src->src_nstats; i++) {
		if (strcmp(e->ce_src->src_stats[i].cs_name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* Creates an entry per source of cf, all pending; cf must outlive it. */
struct cache *
cache_new(const struct config *cf)
{
	const struct config_budget *b;
	struct cache *c;
	size_t i;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->c_count = cf->cf_nsources;
	c->c_entries =
	    calloc(c->c_count ? c->c_count : 1, sizeof *c->c_entries);
	c->c_by_name = lh_kchar_table_new(
	    (int)(c->c_count < 16 ? 16 : c->c_count * 2), NULL);
	if (c->c_entries == NULL || c->c_by_name == NULL)
		goto fail;
	for (i = 0; i < c->c_count; i++) {
		c->c_entries[i].ce_src = &cf->cf_sources[i];
		c->c_entries[i].ce_index = i;
		c->c_entries[i].ce_url_shown =
		    config_redact_url(cf->cf_sources[i].src_url);
		/* A budget is full until the poller says otherwise. */
		if (cf->cf_sources[i].src_budget != NULL &&
		    (b = config_find_budget(
		         cf, cf->cf_sources[i].src_budget)) != NULL)
			c->c_entries[i].ce_budget_remaining = b->cb_requests;
		if (c->c_entries[i].ce_url_shown == NULL ||
		    cache_new_history(&c->c_entries[i]) == -1)
			goto fail;
		if (lh_table_insert(c->c_by_name, cf->cf_sources[i].src_name,
		        &c->c_entries[i]) != 0)
			goto fail;
	}
	c->c_generation = 1;
	return c;
fail:
	cache_free(c);
	return NULL;
}

/* Returns the index of o's stat that is the same stat as st, or -1. */
static int
cache_same_stat(const struct cache_entry *o, const struct config_stat *st)
{
	int j = cache_stat_index(o, st->cs_name);

	if (j == -1 || !source_same_stat(&o->ce_src->src_stats[j], st))
		return -1;
	return j;
}

/* history_each callback: copies a point into another ring. */
static void
cache_copy_point_cb(const struct history_point *pt, void *arg)
{
	history_add(arg, pt->hp_ms, pt->hp_value);
}

/* history_each callback: feeds a point to rollups. */
static void
cache_rollup_point_cb(const struct history_point *pt, void *arg)
{
	rollup_add(arg, pt->hp_ms, pt->hp_value);
}

/*
 * Carries the rollups of o's stat j over to e's stat i: moved whole if
 * the width and the number of buckets are the same, copied (the newest
 * that fit) if only the number changed; with another width the old
 * buckets cannot be split and are dropped, and the rollups are rebuilt
 * from the raw points e's stat holds (carry the history first), as they
 * are when o kept none.
 */
static void
cache_adopt_rollup(
    struct cache_entry *e, size_t i, struct cache_entry *o, size_t j)
{
	struct rollup *r;

	if (rollup_width(e->ce_rollup[i]) == rollup_width(o->ce_rollup[j]) &&
	    rollup_capacity(o->ce_rollup[j]) > 0) {
		if (rollup_capacity(e->ce_rollup[i]) ==
		    rollup_capacity(o->ce_rollup[j])) {
			r = e->ce_rollup[i];
			e->ce_rollup[i] = o->ce_rollup[j];
			o->ce_rollup[j] = r;
		} else
			(void)rollup_copy(e->ce_rollup[i], o->ce_rollup[j]);
		return;
	}
	history_each(
	    e->ce_history[i], 0, cache_rollup_point_cb, e->ce_rollup[i]);
}

/* Rebuilds the rollups of e's stat i from the raw points it holds. */
void
cache_rebuild_rollup(struct cache_entry *e, size_t i)
{
	rollup_clear(e->ce_rollup[i]);
	history_each(
	    e->ce_history[i], 0, cache_rollup_point_cb, e->ce_rollup[i]);
}

/* Moves o's state into e, stat by stat where the stats still match. */
static void
cache_adopt_entry(struct cache_entry *e, struct cache_entry *o)
{
	const struct config_source *src = e->ce_src;
	struct history *ring;
	struct json_object *v;
	size_t i, kept = 0;
	int j;

	for (i = 0; i < src->src_nstats; i++) {
		if ((j = cache_same_stat(o, &src->src_stats[i])) == -1)
			continue;
		if (o->ce_values != NULL &&
		    json_object_object_get_ex(
		        o->ce_values, src->src_stats[i].cs_name, &v)) {
			if (e->ce_values == NULL)
				e->ce_values = json_object_new_object();
			json_object_object_add(e->ce_values,
			    src->src_stats[i].cs_name, json_object_get(v));
			kept++;
		}
		if (history_capacity(e->ce_history[i]) ==
		    history_capacity(o->ce_history[j])) {
			ring = e->ce_history[i];
			e->ce_history[i] = o->ce_history[j];
			o->ce_history[j] = ring;
		} else
			history_each(o->ce_history[j], 0, cache_copy_point_cb,
			    e->ce_history[i]);
		cache_adopt_rollup(e, i, o, (size_t)j);
	}
	e->ce_updated_at = o->ce_updated_at;
	e->ce_last_attempt_at = o->ce_last_attempt_at;
	e->ce_next_poll_at = o->ce_next_poll_at;
	e->ce_last_ok = o->ce_last_ok;
	e->ce_has_error = o->ce_has_error;
	e->ce_error = o->ce_error;
	e->ce_polls_total = o->ce_polls_total;
	e->ce_failures_total = o->ce_failures_total;
	e->ce_consecutive_failures = o->ce_consecutive_failures;
	e->ce_retry_in_ms = o->ce_retry_in_ms;
	e->ce_circuit = o->ce_circuit;
	e->ce_circuit_opened = o->ce_circuit_opened;
	e->ce_version = o->ce_version;
	memcpy(e->ce_polled_by, o->ce_polled_by, sizeof e->ce_polled_by);
	e->ce_pollstats = o->ce_pollstats; /* counters never go back */
	/*
	 * The validators stand for the whole upstream answer: with a stat
	 * added or moved, a 304 would keep values that lack it forever (the
	 * store's restore drops them by the same rule).
	 */
	if (kept < src->src_nstats)
		return;
	e->ce_etag = o->ce_etag;
	e->ce_last_modified = o->ce_last_modified;
	o->ce_etag = NULL;
	o->ce_last_modified = NULL;
}

/* Tells the listeners, in the order they were added, that e changed. */
static void
cache_tell(struct cache *c, struct cache_entry *e)
{
	size_t i;

	for (i = 0; i < CACHE_LISTENERS_MAX; i++) {
		if (c->c_listeners[i].cl_cb != NULL)
			c->c_listeners[i].cl_cb(e, c->c_listeners[i].cl_arg);
	}
}

/* Moves into c the state of the sources old has too; see cache.h. */
void
cache_adopt(struct cache *c, struct cache *old)
{
	struct cache_entry *e, *o;
	size_t i;

	c->c_generation = old->c_generation + 1;
	for (i = 0; i < c->c_count; i++) {
		e = &c->c_entries[i];
		o = cache_find(old, e->ce_src->src_name);
		if (o != NULL && source_same_loaded(o->ce_src, e->ce_src))
			cache_adopt_entry(e, o);
		e->ce_generation = c->c_generation;
	}
	cache_tell(c, NULL);
}

/* Frees c and its values; NULL is allowed. */
void
cache_free(struct cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; c->c_entries != NULL && i < c->c_count; i++) {
		json_object_put(c->c_entries[i].ce_values);
		free(c->c_entries[i].ce_url_shown);
		cache_free_history(&c->c_entries[i]);
		free(c->c_entries[i].ce_etag);
		free(c->c_entries[i].ce_last_modified);
	}
	if (c->c_by_name != NULL)
		lh_table_free(c->c_by_name);
	free(c->c_entries);
	free(c);
}

/* Returns the number of entries. */
size_t
cache_count(const struct cache *c)
{
	return c->c_count;
}

/* Returns entry i (0 <= i < cache_count), borrowed. */
struct cache_entry *
cache_entry_at(struct cache *c, size_t i)
{
	return &c->c_entries[i];
}

/* Returns the entry of the source called name, or NULL. */
struct cache_entry *
cache_find(struct cache *c, const char *name)
{
	void *e;

	if (!lh_table_lookup_ex(c->c_by_name, name, &e))
		return NULL;
	return e;
}

/* Returns the generation: it grows by one on every change. */
uint64_t
cache_generation(const struct cache *c)
{
	return c->c_generation;
}

/* Adds a listener told of every change; 0, or -1 if full. */
int
cache_add_listener(struct cache *c, cache_listener_cb cb, void *arg)
{
	size_t i;

	for (i = 0; i < CACHE_LISTENERS_MAX; i++) {
		if (c->c_listeners[i].cl_cb == NULL) {
			c->c_listeners[i].cl_cb = cb;
			c->c_listeners[i].cl_arg = arg;
			return 0;
		}
	}
	return -1;
}

/* Removes a listener cache_add_listener added. */
void
cache_remove_listener(struct cache *c, cache_listener_cb cb, void *arg)
{
	size_t i;

	for (i = 0; i < CACHE_LISTENERS_MAX; i++) {
		if (c->c_listeners[i].cl_cb == cb &&
		    c->c_listeners[i].cl_arg == arg) {
			c->c_listeners[i].cl_cb = NULL;
			c->c_listeners[i].cl_arg = NULL;
		}
	}
}

/* Marks e changed in a new generation and tells the listeners. */
static void
cache_touch(struct cache *c, struct cache_entry *e)
{
	e->ce_generation = ++c->c_generation;
	cache_tell(c, e);
}

/* Sets e to saved state without counting a poll; stale until one works. */
int
cache_restore_entry(struct cache *c, struct cache_entry *e,
    struct json_object *values, int64_t updated_at,
    const struct source_error *err, const char *etag, const char *last_modified)
{
	if (cache_set_validators(e, etag, last_modified) == -1) {
		json_object_put(values);
		return -1;
	}
	json_object_put(e->ce_values);
	e->ce_values = values;
	e->ce_updated_at = values != NULL ? updated_at : 0;
	e->ce_has_error = err != NULL;
	if (err != NULL)
		e->ce_error = *err;
	e->ce_last_ok = 0;
	cache_touch(c, e);
	return 0;
}

/* Appends a saved point to the history and rollups of e's stat i. */
void
cache_restore_point(struct cache_entry *e, size_t i, int64_t ms, double value)
{
	if (i < e->ce_src->src_nstats)
		cache_add_point(e, i, ms, value);
}

/* Sets s to e's shared state (copies); 0 or -1 (s cleared). */
int
cache_shared_get(struct cache_shared *s, const struct cache_entry *e,
    const struct backoff *b)
{
	memset(s, 0, sizeof *s);
	s->cs_values = json_object_get(e->ce_values);
	s->cs_updated_at = e->ce_updated_at;
	s->cs_last_attempt_at = e->ce_last_attempt_at;
	s->cs_last_ok = e->ce_last_ok;
	s->cs_has_error = e->ce_has_error;
	s->cs_error = e->ce_error;
	s->cs_retry_in_ms = e->ce_retry_in_ms;
	s->cs_polls_total = e->ce_polls_total;
	s->cs_failures_total = e->ce_failures_total;
	s->cs_consecutive_failures = e->ce_consecutive_failures;
	if (b != NULL)
		s->cs_backoff = *b;
	s->cs_version = e->ce_version;
	memcpy(s->cs_polled_by, e->ce_polled_by, sizeof s->cs_polled_by);
	if (cache_shared_set_validators(s, e->ce_etag, e->ce_last_modified) ==
	    -1) {
		cache_shared_clear(s);
		return -1;
	}
	return 0;
}

/* Frees what s holds. */
void
cache_shared_clear(struct cache_shared *s)
{
	json_object_put(s->cs_values);
	s->cs_values = NULL;
	free(s->cs_etag);
	free(s->cs_last_modified);
	s->cs_etag = NULL;
	s->cs_last_modified = NULL;
}

/* Sets copies of the validators of s's values; 0 or -1. */
int
cache_shared_set_validators(
    struct cache_shared *s, const char *etag, const char *last_modified)
{
	char *t = NULL, *m = NULL;

	if ((etag != NULL && (t = strdup(etag)) == NULL) ||
	    (last_modified != NULL && (m = strdup(last_modified)) == NULL)) {
		free(t);
		return -1;
	}
	free(s->cs_etag);
	free(s->cs_last_modified);
	s->cs_etag = t;
	s->cs_last_modified = m;
	return 0;
}

/* Makes s the state after a successful poll at now; takes values. */
void
cache_shared_ok(struct cache_shared *s, struct json_object *values, int64_t now)
{
	if (values != NULL) {
		json_object_put(s->cs_values);
		s->cs_values = values;
	}
	s->cs_updated_at = now;
	s->cs_last_attempt_at = now;
	s->cs_last_ok = 1;
	s->cs_retry_in_ms = -1;
	s->cs_polls_total++;
	s->cs_consecutive_failures = 0;
}

/* Makes s the state after a failed poll. */
void
cache_shared_error(
    struct cache_shared *s, const struct source_error *err, int64_t retry_in_ms)
{
	s->cs_retry_in_ms = retry_in_ms;
	s->cs_error = *err;
	s->cs_has_error = 1;
	s->cs_last_attempt_at = err->se_at;
	s->cs_last_ok = 0;
	s->cs_polls_total++;
	s->cs_failures_total++;
	s->cs_consecutive_failures++;
}

/* Sets e to s, moving out what s owns; see cache.h. */
void
cache_apply_shared(struct cache *c, struct cache_entry *e,
    struct cache_shared *s, int add_point)
{
	if (s->cs_values != e->ce_values) {
		json_object_put(e->ce_values);
		e->ce_values = s->cs_values;
	} else
		json_object_put(s->cs_values); /* the reference s took */
	s->cs_values = NULL;
	e->ce_updated_at = s->cs_updated_at;
	e->ce_last_attempt_at = s->cs_last_attempt_at;
	e->ce_last_ok = s->cs_last_ok;
	e->ce_has_error = s->cs_has_error;
	e->ce_error = s->cs_error;
	e->ce_retry_in_ms = s->cs_retry_in_ms;
	e->ce_polls_total = s->cs_polls_total;
	e->ce_failures_total = s->cs_failures_total;
	e->ce_consecutive_failures = s->cs_consecutive_failures;
	e->ce_version = s->cs_version;
	memcpy(e->ce_polled_by, s->cs_polled_by, sizeof e->ce_polled_by);
	free(e->ce_etag);
	free(e->ce_last_modified);
	e->ce_etag = s->cs_etag;
	e->ce_last_modified = s->cs_last_modified;
	s->cs_etag = NULL;
	s->cs_last_modified = NULL;
	if (add_point && e->ce_last_ok && e->ce_values != NULL)
		cache_record_history(e, e->ce_updated_at);
	cache_touch(c, e);
}

/* Empties the history and rollups of each stat of e. */
void
cache_clear_history(struct cache_entry *e)
{
	size_t i;

	for (i = 0; i < e->ce_src->src_nstats; i++) {
		history_clear(e->ce_history[i]);
		rollup_clear(e->ce_rollup[i]);
	}
}

/* Records a successful poll at wall time now; takes ownership of values. */
void
cache_put_ok(struct cache *c, struct cache_entry *e, struct json_object *values,
    int64_t now)
{
	struct cache_shared s;

	if (cache_shared_get(&s, e, NULL) == -1) {
		json_object_put(values);
		return;
	}
	cache_shared_ok(&s, values, now);
	cache_count_ok(e, values == NULL);
	cache_apply_shared(c, e, &s, 1);
}

/* Records a failed poll; the last good values are left alone. */
void
cache_put_error(struct cache *c, struct cache_entry *e,
    const struct source_error *err, int64_t retry_in_ms)
{
	struct cache_shared s;

	if (cache_shared_get(&s, e, NULL) == -1)
		return;
	cache_shared_error(&s, err, retry_in_ms);
	cache_count_failed(e, err->se_kind);
	cache_apply_shared(c, e, &s, 0);
}

/* Records a finished transfer's duration and size; publishes nothing. */
void
cache_put_transfer(struct cache_entry *e, int64_t usec, uint64_t bytes)
{
	pollstats_transfer(&e->ce_pollstats, usec, bytes);
}

/* Counts a successful poll of this replica; publishes nothing. */
void
cache_count_ok(struct cache_entry *e, int not_modified)
{
	pollstats_ok(&e->ce_pollstats, not_modified);
}

/* Counts a failed poll of this replica; publishes nothing. */
void
cache_count_failed(struct cache_entry *e, enum source_err kind)
{
	pollstats_failed(&e->ce_pollstats, kind);
}

/* Records when the next poll of e is due (wall ms). */
void
cache_set_next_poll(struct cache *c, struct cache_entry *e, int64_t at)
{
	if (e->ce_next_poll_at == at)
		return;
	e->ce_next_poll_at = at;
	cache_touch(c, e);
}

/* Records the state of e's request budget. */
void
cache_set_budget(
    struct cache *c, struct cache_entry *e, unsigned remaining, int64_t next_at)
{
	if (e->ce_budget_remaining == remaining &&
	    e->ce_budget_next_at == next_at)
		return;
	e->ce_budget_remaining = remaining;
	e->ce_budget_next_at = next_at;
	cache_touch(c, e);
}

/* Records the state of e's circuit breaker. */
void
cache_set_circuit(struct cache *c, struct cache_entry *e,
    enum cache_circuit state, unsigned opened)
{
	if (e->ce_circuit == state && e->ce_circuit_opened == opened)
		return;
	e->ce_circuit = state;
	e->ce_circuit_opened = opened;
	cache_touch(c, e);
}

/* Marks a change for every source whose expiry flipped since last time. */
void
cache_check_expiry(struct cache *c, int64_t now)
{
	struct cache_entry *e;
	int expired;
	size_t i;

	for (i = 0; i < c->c_count; i++) {
		e = &c->c_entries[i];
		expired = cache_entry_expired(e, now);
		if (expired != e->ce_expired) {
			e->ce_expired = expired;
			cache_touch(c, e);
		}
	}
}

/* Returns 1 if e serves stale values older than its max_age at now. */
int
cache_entry_expired(const struct cache_entry *e, int64_t now)
{
	return cache_entry_status(e) == CACHE_STALE &&
	    now - e->ce_updated_at > (int64_t)e->ce_src->src_max_age_ms;
}

/* Returns the status derived from e's state. */
enum cache_status
cache_entry_status(const struct cache_entry *e)
{
	if (e->ce_last_ok)
		return CACHE_OK;
	if (e->ce_values != NULL)
		return CACHE_STALE; /* failing, or restored and not yet polled
		                     */
	return e->ce_has_error ? CACHE_ERROR : CACHE_PENDING;
}

/* Returns the API's name of status ("stale"). */
const char *
cache_status_name(enum cache_status status)
{
	switch (status) {
	case CACHE_OK:
		return "ok";
	case CACHE_STALE:
		return "stale";
	case CACHE_ERROR:
		return "error";
	case CACHE_PENDING:
		break;
	}
	return "pending";
}
