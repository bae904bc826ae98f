/*
 * Tests of the cache: entries made from a three-source config, lookup by
 * index and name, and the status machine pending -> error -> ok -> stale
 * -> ok (304) with exact counters after every step.  The last good values
 * must survive failures as the very same object, and the generation must
 * grow by one on every change and only on a change.  Times are fixed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cache.h"
#include "harness.h"
#include "log.h"
#include "runner.h"

/* A fixed wall time in ms: 2026-11-18T11:06:40Z. */
#define T0 1795000000000LL

/* Loads harness_three_sources, failing the test if it does not parse. */
static struct config *
load_config(void)
{
	return harness_config(harness_three_sources, "cache.conf");
}

/* Returns {"total": total, "active": active}. */
static struct json_object *
make_values(int total, int active)
{
	struct json_object *v;

	v = json_object_new_object();
	ck_assert_ptr_nonnull(v);
	json_object_object_add(v, "total", json_object_new_int(total));
	json_object_object_add(v, "active", json_object_new_int(active));
	return v;
}

/* Asserts e's counters. */
static void
expect_counters(const struct cache_entry *e, uint64_t polls, uint64_t failures,
    uint64_t consecutive)
{
	ck_assert_msg(e->ce_polls_total == polls,
	    "polls_total %llu, want "
	    "%llu",
	    (unsigned long long)e->ce_polls_total, (unsigned long long)polls);
	ck_assert_msg(e->ce_failures_total == failures,
	    "failures_total "
	    "%llu, want %llu",
	    (unsigned long long)e->ce_failures_total,
	    (unsigned long long)failures);
	ck_assert_msg(e->ce_consecutive_failures == consecutive,
	    "consecutive_failures %llu, want %llu",
	    (unsigned long long)e->ce_consecutive_failures,
	    (unsigned long long)consecutive);
}

/* Asserts that c's generation is want and e was changed in it. */
static void
expect_generation(
    const struct cache *c, const struct cache_entry *e, uint64_t want)
{
	ck_assert_msg(cache_generation(c) == want,
	    "generation %llu, want "
	    "%llu",
	    (unsigned long long)cache_generation(c), (unsigned long long)want);
	ck_assert_msg(e->ce_generation == want,
	    "entry generation %llu, want "
	    "%llu",
	    (unsigned long long)e->ce_generation, (unsigned long long)want);
}

/* A new cache has one pending entry per source, in config order. */
START_TEST(test_new_all_pending)
{
	struct config *cf = load_config();
	struct cache *c;
	struct cache_entry *e;
	size_t i;

	c = cache_new(cf);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(cache_count(c), 3);
	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		ck_assert_ptr_eq(e->ce_src, &cf->cf_sources[i]);
		ck_assert_uint_eq(e->ce_index, i);
		ck_assert_int_eq(cache_entry_status(e), CACHE_PENDING);
		ck_assert_ptr_null(e->ce_values);
		ck_assert_int_eq(e->ce_updated_at, 0);
		ck_assert_int_eq(e->ce_last_attempt_at, 0);
		ck_assert_int_eq(e->ce_next_poll_at, 0);
		ck_assert_int_eq(e->ce_has_error, 0);
		ck_assert_int_eq(e->ce_last_ok, 0);
		expect_counters(e, 0, 0, 0);
	}
	ck_assert_str_eq(cache_entry_at(c, 0)->ce_src->src_name, "signups");
	ck_assert_str_eq(cache_entry_at(c, 1)->ce_src->src_name, "orders");
	ck_assert_str_eq(cache_entry_at(c, 2)->ce_src->src_name, "errors");
	cache_free(c);
	config_free(cf);
}
END_TEST

/* cache_find returns each entry by name and NULL for others. */
START_TEST(test_find)
{
	struct config *cf = load_config();
	struct cache *c = cache_new(cf);

	ck_assert_ptr_eq(cache_find(c, "signups"), cache_entry_at(c, 0));
	ck_assert_ptr_eq(cache_find(c, "orders"), cache_entry_at(c, 1));
	ck_assert_ptr_eq(cache_find(c, "errors"), cache_entry_at(c, 2));
	ck_assert_ptr_null(cache_find(c, "unknown"));
	ck_assert_ptr_null(cache_find(c, "Signups"));
	ck_assert_ptr_null(cache_find(c, ""));
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Each entry shows its URL without user and password. */
START_TEST(test_url_shown)
{
	struct config *cf = load_config();
	struct cache *c = cache_new(cf);

	ck_assert_str_eq(cache_find(c, "signups")->ce_url_shown,
	    "https://api.example.com/v1/signups?x=1");
	ck_assert_str_eq(cache_find(c, "orders")->ce_url_shown,
	    "http://orders.example.net/stats");
	ck_assert_str_eq(cache_find(c, "errors")->ce_url_shown,
	    "https://errors.example.org/");
	/* The config itself keeps the credentials for the poller. */
	ck_assert_str_eq(cf->cf_sources[0].src_url,
	    "https://user:secret@api.example.com/v1/signups?x=1");
	cache_free(c);
	config_free(cf);
}
END_TEST

/* pending -> error -> ok -> stale -> stale -> ok (304) -> ok (new). */
START_TEST(test_transitions)
{
	struct config *cf = load_config();
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups");
	struct json_object *v1, *v2;
	struct source_error err;
	uint64_t g = cache_generation(c);

	/* A failure with nothing good yet is "error", with no values. */
	source_error_set(&err, SOURCE_ERR_TIMEOUT, 0, T0,
	    "timed out after "
	    "%d ms",
	    5000);
	cache_put_error(c, e, &err, 1500);
	ck_assert_int_eq(cache_entry_status(e), CACHE_ERROR);
	ck_assert_ptr_null(e->ce_values);
	ck_assert_int_eq(e->ce_updated_at, 0);
	ck_assert_int_eq(e->ce_last_attempt_at, T0);
	ck_assert_int_eq(e->ce_has_error, 1);
	ck_assert_int_eq(e->ce_error.se_kind, SOURCE_ERR_TIMEOUT);
	ck_assert_str_eq(e->ce_error.se_message, "timed out after 5000 ms");
	expect_counters(e, 1, 1, 1);
	expect_generation(c, e, ++g);

	/* A success stores the values (ownership moves) and the time. */
	v1 = make_values(12345, 678);
	json_object_get(v1); /* our own reference, to watch it */
	cache_put_ok(c, e, v1, T0 + 1000);
	ck_assert_int_eq(cache_entry_status(e), CACHE_OK);
	ck_assert_ptr_eq(e->ce_values, v1);
	ck_assert_int_eq(e->ce_updated_at, T0 + 1000);
	ck_assert_int_eq(e->ce_last_attempt_at, T0 + 1000);
	expect_counters(e, 2, 1, 0);
	expect_generation(c, e, ++g);

	/* A failure after a success is "stale": the same values object. */
	source_error_set(
	    &err, SOURCE_ERR_HTTP_STATUS, 503, T0 + 2000, "HTTP 503");
	cache_put_error(c, e, &err, 1500);
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_ptr_eq(e->ce_values, v1);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "total")),
	    12345);
	ck_assert_int_eq(e->ce_updated_at, T0 + 1000);
	ck_assert_int_eq(e->ce_last_attempt_at, T0 + 2000);
	ck_assert_int_eq(e->ce_error.se_kind, SOURCE_ERR_HTTP_STATUS);
	ck_assert_int_eq(e->ce_error.se_http_status, 503);
	expect_counters(e, 3, 2, 1);
	expect_generation(c, e, ++g);

	/* A second failure counts on; the values still stand. */
	source_error_set(&err, SOURCE_ERR_PARSE, 0, T0 + 3000, "bad JSON");
	cache_put_error(c, e, &err, 1500);
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_ptr_eq(e->ce_values, v1);
	ck_assert_int_eq(e->ce_updated_at, T0 + 1000);
	ck_assert_int_eq(e->ce_error.se_kind, SOURCE_ERR_PARSE);
	expect_counters(e, 4, 3, 2);
	expect_generation(c, e, ++g);

	/* A 304 (NULL values) keeps the values and refreshes the time. */
	cache_put_ok(c, e, NULL, T0 + 4000);
	ck_assert_int_eq(cache_entry_status(e), CACHE_OK);
	ck_assert_ptr_eq(e->ce_values, v1);
	ck_assert_int_eq(e->ce_updated_at, T0 + 4000);
	ck_assert_int_eq(e->ce_last_attempt_at, T0 + 4000);
	expect_counters(e, 5, 3, 0);
	expect_generation(c, e, ++g);

	/* New values replace the old, whose reference is released. */
	v2 = make_values(12400, 680);
	cache_put_ok(c, e, v2, T0 + 5000);
	ck_assert_ptr_eq(e->ce_values, v2);
	ck_assert_int_eq(e->ce_updated_at, T0 + 5000);
	expect_counters(e, 6, 3, 0);
	expect_generation(c, e, ++g);
	ck_assert_msg(json_object_put(v1) == 1, "cache kept v1");

	/* The other entries were never touched. */
	ck_assert_int_eq(
	    cache_entry_status(cache_find(c, "orders")), CACHE_PENDING);
	ck_assert_uint_eq(cache_find(c, "orders")->ce_generation, 0);
	expect_counters(cache_find(c, "errors"), 0, 0, 0);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* A 304 before any values is "ok" with no values. */
START_TEST(test_not_modified_first)
{
	struct config *cf = load_config();
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "orders");

	cache_put_ok(c, e, NULL, T0);
	ck_assert_int_eq(cache_entry_status(e), CACHE_OK);
	ck_assert_ptr_null(e->ce_values);
	ck_assert_int_eq(e->ce_updated_at, T0);
	expect_counters(e, 1, 0, 0);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* The next poll time bumps the generation only when it changes. */
START_TEST(test_next_poll_generation)
{
	struct config *cf = load_config();
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "errors");
	uint64_t g = cache_generation(c);

	cache_set_next_poll(c, e, T0 + 30000);
	ck_assert_int_eq(e->ce_next_poll_at, T0 + 30000);
	expect_generation(c, e, ++g);
	cache_set_next_poll(c, e, T0 + 30000);
	ck_assert_uint_eq(cache_generation(c), g);
	cache_set_next_poll(c, e, T0 + 60000);
	ck_assert_int_eq(e->ce_next_poll_at, T0 + 60000);
	expect_generation(c, e, ++g);
	/* Another entry's change is a change of the cache too. */
	cache_set_next_poll(c, cache_find(c, "orders"), T0 + 60000);
	ck_assert_uint_eq(cache_generation(c), g + 1);
	ck_assert_uint_eq(e->ce_generation, g);
	/* Polling does not change status or counters. */
	ck_assert_int_eq(cache_entry_status(e), CACHE_PENDING);
	expect_counters(e, 0, 0, 0);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Every status has its API name. */
START_TEST(test_status_names)
{
	ck_assert_str_eq(cache_status_name(CACHE_PENDING), "pending");
	ck_assert_str_eq(cache_status_name(CACHE_OK), "ok");
	ck_assert_str_eq(cache_status_name(CACHE_STALE), "stale");
	ck_assert_str_eq(cache_status_name(CACHE_ERROR), "error");
}
END_TEST

/* A config with no source gives an empty cache. */
START_TEST(test_empty)
{
	struct config *cf;
	struct cache *c;

	cf = harness_config("[gatherd]\nmax_per_host = 1\n", "e.conf");
	c = cache_new(cf);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(cache_count(c), 0);
	ck_assert_ptr_null(cache_find(c, "signups"));
	cache_free(c);
	cache_free(NULL);
	config_free(cf);
}
END_TEST

/* What a listener heard: how often, and the last entry it was told. */
struct heard {
	int h_calls;
	struct cache_entry *h_entry;
	int h_order; /* when it was called, among all listeners */
};

static int heard_clock;

/* Counts the calls of a listener and keeps the entry it was told. */
static void
count_cb(struct cache_entry *e, void *arg)
{
	struct heard *h = arg;

	h->h_calls++;
	h->h_entry = e;
	h->h_order = ++heard_clock;
}

/*
 * One list: every listener hears every change, in the order added, and
 * is told which entry changed (NULL for an adopt); removal works.
 */
START_TEST(test_listeners)
{
	struct config *cf = load_config();
	struct cache *c = cache_new(cf), *c2;
	struct cache_entry *e = cache_find(c, "orders");
	struct heard n[CACHE_LISTENERS_MAX + 1];
	size_t i;

	memset(n, 0, sizeof n);
	for (i = 0; i < CACHE_LISTENERS_MAX; i++)
		ck_assert_int_eq(cache_add_listener(c, count_cb, &n[i]), 0);
	/* Every slot is taken. */
	ck_assert_int_eq(cache_add_listener(c, count_cb, &n[i]), -1);
	cache_set_next_poll(c, e, T0);
	for (i = 0; i < CACHE_LISTENERS_MAX; i++) {
		ck_assert_int_eq(n[i].h_calls, 1);
		ck_assert_ptr_eq(n[i].h_entry, e);
		if (i > 0)
			ck_assert_int_gt(n[i].h_order, n[i - 1].h_order);
	}
	ck_assert_int_eq(n[CACHE_LISTENERS_MAX].h_calls, 0);
	/* Removing one (or an unknown one) leaves the others. */
	cache_remove_listener(c, count_cb, &n[1]);
	cache_remove_listener(c, count_cb, &n[CACHE_LISTENERS_MAX]);
	cache_set_next_poll(c, e, T0 + 1);
	ck_assert_int_eq(n[0].h_calls, 2);
	ck_assert_int_eq(n[1].h_calls, 1);
	ck_assert_int_eq(n[2].h_calls, 2);
	/* The freed slot can be taken again. */
	ck_assert_int_eq(
	    cache_add_listener(c, count_cb, &n[CACHE_LISTENERS_MAX]), 0);
	cache_set_next_poll(c, e, T0 + 2);
	ck_assert_int_eq(n[CACHE_LISTENERS_MAX].h_calls, 1);
	/* An adopt changes the whole cache: the entry told is NULL. */
	ck_assert_ptr_nonnull(c2 = cache_new(cf));
	ck_assert_int_eq(cache_add_listener(c2, count_cb, &n[1]), 0);
	cache_adopt(c2, c);
	ck_assert_int_eq(n[1].h_calls, 2);
	ck_assert_ptr_null(n[1].h_entry);
	cache_free(c2);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Restored state is stale, counts no poll, and a poll then works on it. */
START_TEST(test_restore_entry)
{
	struct config *cf = load_config();
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups");
	struct cache_entry *o = cache_find(c, "orders");
	struct source_error err;
	uint64_t g = cache_generation(c);
	struct heard heard = {0, NULL, 0};

	cache_add_listener(c, count_cb, &heard);
	source_error_set(
	    &err, SOURCE_ERR_TIMEOUT, 0, T0 + 500, "timed out after %d", 5);
	cache_restore_point(e, 0, T0 - 1000, 12344);
	cache_restore_point(e, 0, T0, 12345);
	cache_restore_point(e, 1, T0, NAN);
	cache_restore_point(e, 7, T0, 1); /* no such stat: ignored */
	ck_assert_int_eq(cache_restore_entry(c, e, make_values(12345, 678), T0,
	                     &err, "\"v1\"", NULL),
	    0);
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "total")),
	    12345);
	ck_assert_int_eq(e->ce_updated_at, T0);
	ck_assert_int_eq(e->ce_has_error, 1);
	ck_assert_int_eq(e->ce_error.se_kind, SOURCE_ERR_TIMEOUT);
	ck_assert_str_eq(e->ce_error.se_message, "timed out after 5");
	ck_assert_str_eq(e->ce_etag, "\"v1\"");
	ck_assert_ptr_null(e->ce_last_modified);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
	ck_assert_uint_eq(history_len(e->ce_history[1]), 1);
	ck_assert_int_eq(e->ce_last_attempt_at, 0);
	expect_counters(e, 0, 0, 0);
	expect_generation(c, e, g + 1);
	ck_assert_int_eq(heard.h_calls, 1);
	ck_assert_ptr_eq(heard.h_entry, e);
	/* An error alone (no values) is "error", not pending. */
	ck_assert_int_eq(
	    cache_restore_entry(c, o, NULL, T0, &err, "\"x\"", NULL), 0);
	ck_assert_int_eq(cache_entry_status(o), CACHE_ERROR);
	ck_assert_int_eq(o->ce_updated_at, 0);
	/* The first successful poll makes it ok and adds a point. */
	cache_put_ok(c, e, NULL, T0 + 1000);
	ck_assert_int_eq(cache_entry_status(e), CACHE_OK);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 3);
	expect_counters(e, 1, 0, 0);
	cache_free(c);
	config_free(cf);
}
END_TEST

/*
 * A reload that changes only the password in a URL keeps the source; one
 * that changes a stat's pointer drops that stat's values and history and
 * the validators, and keeps the others.  check_store asks the same of a
 * restart.
 */
START_TEST(test_adopt_identity)
{
	static const char reloaded[] =
	    "[source signups]\n"
	    "url = https://user:rotated@api.example.com/v1/signups?x=1\n"
	    "stat total = /data/total\n"
	    "stat active = /data/now_active\n"
	    "\n"
	    "[source orders]\n"
	    "url = http://orders.example.net/stats?moved=1\n"
	    "stat count = /count\n";
	struct config *cf = load_config(), *cf2;
	struct cache *c = cache_new(cf), *c2;
	struct cache_entry *e;

	e = cache_find(c, "signups");
	cache_put_ok(c, e, make_values(12, 3), T0);
	ck_assert_int_eq(cache_set_validators(e, "\"v1\"", NULL), 1);
	cache_put_ok(c, cache_find(c, "orders"), NULL, T0);
	cf2 = harness_config(reloaded, "reloaded.conf");
	ck_assert_ptr_nonnull(c2 = cache_new(cf2));
	cache_adopt(c2, c);
	e = cache_find(c2, "signups");
	expect_counters(e, 1, 0, 0);
	ck_assert_int_eq(e->ce_updated_at, T0);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "total")),
	    12);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 1);
	/* active now selects another value: none of the old one is kept. */
	ck_assert_ptr_null(json_object_object_get(e->ce_values, "active"));
	ck_assert_uint_eq(history_len(e->ce_history[1]), 0);
	/* So a 304 must not keep values without it: no validators. */
	ck_assert_ptr_null(e->ce_etag);
	/* orders' URL changed: a new source. */
	expect_counters(cache_find(c2, "orders"), 0, 0, 0);
	cache_free(c);
	config_free(cf);
	cache_free(c2);
	config_free(cf2);
}
END_TEST

/* A source s with stat total, rollups of width and points as given. */
static struct config *
rollup_config(const char *width, const char *points)
{
	char text[256];

	snprintf(text, sizeof text,
	    "[source s]\nurl = http://s.example/\nhistory = 2\n"
	    "history_rollup = %s\nhistory_rollup_points = %s\n"
	    "stat total = /total\n",
	    width, points);
	return harness_config(text, "rollup.conf");
}

/* Returns {"total": total}. */
static struct json_object *
total_value(double total)
{
	struct json_object *v = json_object_new_object();

	ck_assert_ptr_nonnull(v);
	json_object_object_add(v, "total", json_object_new_double(total));
	return v;
}

/* Sets *b to the bucket of e's stat 0 that starts at start; 0 if none. */
static void
find_bucket_cb(int64_t start_ms, int64_t width_ms, double min, double max,
    double sum, uint64_t count, void *arg)
{
	struct rollup_bucket *b = arg;

	(void)width_ms;
	if (start_ms == b->rb_start_ms) {
		b->rb_min = min;
		b->rb_max = max;
		b->rb_sum = sum;
		b->rb_count = count;
	}
}

/* Returns the count of e's stat 0's bucket starting at start. */
static uint64_t
bucket_count(const struct cache_entry *e, int64_t start)
{
	struct rollup_bucket b = {start, 0, 0, 0, 0};

	rollup_each(e->ce_rollup[0], INT64_MIN, find_bucket_cb, &b);
	return b.rb_count;
}

/* A config and its cache, replaced by each reload. */
struct loaded {
	struct config *l_cf;
	struct cache *l_c;
};

/* Reloads l with rollups of width and points: a new config and cache
 * that adopt the old ones, then freed; returns s's entry. */
static struct cache_entry *
reload(struct loaded *l, const char *width, const char *points)
{
	struct loaded n;

	n.l_cf = rollup_config(width, points);
	n.l_c = cache_new(n.l_cf);
	ck_assert_ptr_nonnull(n.l_c);
	cache_adopt(n.l_c, l->l_c);
	cache_free(l->l_c);
	config_free(l->l_cf);
	*l = n;
	return cache_find(l->l_c, "s");
}

/*
 * Polls and restored points feed the rollups beside the history; a
 * cleared history clears them; a reload moves them whole (same keys),
 * copies the newest (fewer buckets) or rebuilds them from the raw
 * points (another width, or none kept before).
 */
START_TEST(test_rollups)
{
	struct loaded l = {rollup_config("1s", "3"), NULL};
	const int64_t minute = T0 / 60000 * 60000;
	struct cache_entry *e;
	struct rollup *r;
	int i;

	l.l_c = cache_new(l.l_cf);
	ck_assert_ptr_nonnull(l.l_c);
	e = cache_find(l.l_c, "s");
	for (i = 0; i < 10; i++)
		cache_put_ok(l.l_c, e, total_value(i), T0 + i * 500);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
	/* Buckets T0 .. T0+4000 (two points each), the last one open. */
	ck_assert_uint_eq(rollup_len(e->ce_rollup[0]), 3);
	ck_assert_uint_eq(bucket_count(e, T0 + 4000), 2);
	ck_assert_uint_eq(bucket_count(e, T0 + 1000), 2);
	ck_assert_uint_eq(bucket_count(e, T0), 0); /* dropped: capacity */
	cache_restore_point(e, 0, T0 + 5000, 1);
	ck_assert_uint_eq(bucket_count(e, T0 + 5000), 1);
	cache_clear_history(e);
	ck_assert_uint_eq(rollup_len(e->ce_rollup[0]), 0);
	ck_assert_uint_eq(bucket_count(e, T0 + 5000), 0);
	for (i = 0; i < 10; i++)
		cache_put_ok(l.l_c, e, total_value(i), T0 + i * 500);
	r = e->ce_rollup[0];
	/* Same width and points: the very same rollups. */
	e = reload(&l, "1s", "3");
	ck_assert_ptr_eq(e->ce_rollup[0], r);
	/* Fewer buckets: the newest copied. */
	e = reload(&l, "1s", "1");
	ck_assert_uint_eq(rollup_len(e->ce_rollup[0]), 1);
	ck_assert_uint_eq(bucket_count(e, T0 + 3000), 2);
	ck_assert_uint_eq(bucket_count(e, T0 + 4000), 2);
	/* Another width: rebuilt from the two raw points (T0+4000, 4500). */
	e = reload(&l, "1m", "10");
	ck_assert_uint_eq(rollup_len(e->ce_rollup[0]), 0);
	ck_assert_uint_eq(bucket_count(e, minute), 2);
	/* Rollups turned off, then on again: rebuilt from the raw points. */
	e = reload(&l, "1m", "0");
	ck_assert_uint_eq(bucket_count(e, minute), 0);
	e = reload(&l, "1m", "10");
	ck_assert_uint_eq(bucket_count(e, minute), 2);
	cache_free(l.l_c);
	config_free(l.l_cf);
}
END_TEST

/* Builds the suite: construction, lookup and the status machine. */
static Suite *
cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc;

	tc = tcase_create("entries");
	tcase_add_test(tc, test_new_all_pending);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_url_shown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_status_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("changes");
	tcase_add_test(tc, test_transitions);
	tcase_add_test(tc, test_not_modified_first);
	tcase_add_test(tc, test_next_poll_generation);
	tcase_add_test(tc, test_listeners);
	tcase_add_test(tc, test_restore_entry);
	tcase_add_test(tc, test_adopt_identity);
	tcase_add_test(tc, test_rollups);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(cache_suite()) == 0 ? 0 : 1;
}
