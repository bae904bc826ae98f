/*
 * Tests of the renderers: the stats document, one source's stats, the
 * operators' sources view, error bodies and the history's range form
 * over rollups and raw points, from a cache driven with fixed times.  Every
 * output is parsed back with a strict, UTF-8 validating tokener and checked
 * field by field against the contract; hostile strings must come back intact
 * after escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cache.h"
#include "harness.h"
#include "log.h"
#include "render.h"
#include "runner.h"

/* "Now" in every test: 2026-11-18T11:06:40Z. */
#define NOW 1795000000000LL

/* A config and its cache, made and freed around each test. */
struct fixture {
	struct config *cf;
	struct cache *c;
};

/* Loads harness_three_sources and makes an all-pending cache. */
static void
fixture_init(struct fixture *fx)
{
	fx->cf = harness_config(harness_three_sources, "render.conf");
	fx->c = cache_new(fx->cf);
	ck_assert_ptr_nonnull(fx->c);
}

/* Frees what fixture_init made. */
static void
fixture_free(struct fixture *fx)
{
	cache_free(fx->c);
	config_free(fx->cf);
}

/*
 * Puts signups ok 2.5 s before NOW, and errors stale: ok a minute before,
 * then an HTTP 503 one second before NOW.  orders stays pending.
 */
static void
fixture_fill(struct fixture *fx)
{
	struct json_object *v;
	struct source_error err;

	v = json_tokener_parse("{\"total\": 12345, \"active\": 678}");
	ck_assert_ptr_nonnull(v);
	cache_put_ok(fx->c, cache_find(fx->c, "signups"), v, NOW - 2500);
	cache_set_next_poll(fx->c, cache_find(fx->c, "signups"), NOW + 27500);
	v = json_tokener_parse("{\"rate\": 0.5}");
	ck_assert_ptr_nonnull(v);
	cache_put_ok(fx->c, cache_find(fx->c, "errors"), v, NOW - 60000);
	source_error_set(&err, SOURCE_ERR_HTTP_STATUS, 503, NOW - 1000,
	    "HTTP 503 from upstream");
	cache_put_error(fx->c, cache_find(fx->c, "errors"), &err, 1500);
}

/* Checks text and len, then parses text strictly; the caller puts it. */
static struct json_object *
parse_output(char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *doc;

	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_msg(len > 1 && text[len - 1] == '\n',
	    "output does not end with a newline: %s", text);
	tok = json_tokener_new();
	ck_assert_ptr_nonnull(tok);
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	ck_assert_msg(doc != NULL, "output is not JSON (%s): %s",
	    json_tokener_error_desc(json_tokener_get_error(tok)), text);
	/* Strict mode consumes the trailing newline as white space. */
	ck_assert_uint_eq(json_tokener_get_parse_end(tok), len);
	json_tokener_free(tok);
	return doc;
}

/* Asserts that ptr selects the string want. */
static void
expect_str(struct json_object *doc, const char *ptr, const char *want)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(json_object_is_type(v, json_type_string),
	    "%s is %s, want \"%s\"", ptr, json_object_to_json_string(v), want);
	ck_assert_str_eq(json_object_get_string(v), want);
}

/* Asserts that ptr selects a JSON null. */
static void
expect_null(struct json_object *doc, const char *ptr)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(v == NULL, "%s is %s, want null", ptr,
	    json_object_to_json_string(v));
}

/* Asserts that ptr selects the integer want. */
static void
expect_int(struct json_object *doc, const char *ptr, int64_t want)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(json_object_is_type(v, json_type_int),
	    "%s is %s, want %lld", ptr, json_object_to_json_string(v),
	    (long long)want);
	ck_assert_int_eq(json_object_get_int64(v), want);
}

/* Asserts that ptr selects a number equal to want. */
static void
expect_num(struct json_object *doc, const char *ptr, double want)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(json_object_is_type(v, json_type_double) ||
	        json_object_is_type(v, json_type_int),
	    "%s is %s, want %g", ptr, json_object_to_json_string(v), want);
	ck_assert_double_eq(json_object_get_double(v), want);
}

/* Asserts that ptr selects JSON equal to the text want. */
static void
expect_json(struct json_object *doc, const char *ptr, const char *want)
{
	struct json_object *w = json_tokener_parse(want);

	ck_assert_ptr_nonnull(w);
	ck_assert_msg(json_object_equal(harness_at(doc, ptr), w),
	    "%s is %s, want %s", ptr,
	    json_object_to_json_string(harness_at(doc, ptr)), want);
	json_object_put(w);
}

/* The stats document of an all-pending cache: every source pending. */
START_TEST(test_stats_pending)
{
	static const char *const names[] = {"signups", "orders", "errors"};
	struct fixture fx;
	struct json_object *doc;
	char *text, ptr[64];
	size_t len = 0, i;

	fixture_init(&fx);
	text = render_stats(fx.c, NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/generated_at", "2026-11-18T11:06:40Z");
	ck_assert_int_eq(
	    json_object_object_length(harness_at(doc, "/sources")), 3);
	for (i = 0; i < 3; i++) {
		snprintf(ptr, sizeof ptr, "/sources/%s/status", names[i]);
		expect_str(doc, ptr, "pending");
		snprintf(ptr, sizeof ptr, "/sources/%s/updated_at", names[i]);
		expect_null(doc, ptr);
		snprintf(ptr, sizeof ptr, "/sources/%s/age_seconds", names[i]);
		expect_null(doc, ptr);
		snprintf(ptr, sizeof ptr, "/sources/%s/values", names[i]);
		expect_json(doc, ptr, "{}");
		snprintf(ptr, sizeof ptr, "/sources/%s/error", names[i]);
		expect_null(doc, ptr);
	}
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* ok, stale and pending sources each render as the contract says. */
START_TEST(test_stats_states)
{
	struct fixture fx;
	struct json_object *doc;
	char *text;
	size_t len = 0;

	fixture_init(&fx);
	fixture_fill(&fx);
	text = render_stats(fx.c, NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/generated_at", "2026-11-18T11:06:40Z");
	ck_assert_int_eq(
	    json_object_object_length(harness_at(doc, "/sources")), 3);

	expect_str(doc, "/sources/signups/status", "ok");
	expect_str(doc, "/sources/signups/updated_at", "2026-11-18T11:06:37Z");
	expect_num(doc, "/sources/signups/age_seconds", 2.5);
	expect_json(doc, "/sources/signups/values",
	    "{\"total\": 12345, \"active\": 678}");
	expect_int(doc, "/sources/signups/values/total", 12345);
	expect_null(doc, "/sources/signups/error");

	expect_str(doc, "/sources/orders/status", "pending");
	expect_null(doc, "/sources/orders/updated_at");
	expect_json(doc, "/sources/orders/values", "{}");

	expect_str(doc, "/sources/errors/status", "stale");
	expect_str(doc, "/sources/errors/updated_at", "2026-11-18T11:05:40Z");
	expect_num(doc, "/sources/errors/age_seconds", 60.0);
	expect_json(doc, "/sources/errors/values", "{\"rate\": 0.5}");
	expect_str(doc, "/sources/errors/error/kind", "http_status");
	expect_str(
	    doc, "/sources/errors/error/message", "HTTP 503 from upstream");
	expect_int(doc, "/sources/errors/error/http_status", 503);
	expect_str(doc, "/sources/errors/error/at", "2026-11-18T11:06:39Z");
	ck_assert_int_eq(
	    json_object_object_length(harness_at(doc, "/sources/errors/error")),
	    4);
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* A failure with no good value is "error"; no response: status null. */
START_TEST(test_stats_error)
{
	struct fixture fx;
	struct json_object *doc;
	struct source_error err;
	char *text;
	size_t len = 0;

	fixture_init(&fx);
	source_error_set(
	    &err, SOURCE_ERR_TIMEOUT, 0, NOW - 10000, "timed out after 10.0s");
	cache_put_error(fx.c, cache_find(fx.c, "orders"), &err, 1500);
	text = render_stats(fx.c, NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/sources/orders/status", "error");
	expect_null(doc, "/sources/orders/updated_at");
	expect_null(doc, "/sources/orders/age_seconds");
	expect_json(doc, "/sources/orders/values", "{}");
	expect_str(doc, "/sources/orders/error/kind", "timeout");
	expect_str(
	    doc, "/sources/orders/error/message", "timed out after 10.0s");
	expect_null(doc, "/sources/orders/error/http_status");
	expect_str(doc, "/sources/orders/error/at", "2026-11-18T11:06:30Z");
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* After recovery the source is ok again and its error is null. */
START_TEST(test_stats_recovered)
{
	struct fixture fx;
	struct json_object *doc;
	char *text;
	size_t len = 0;

	fixture_init(&fx);
	fixture_fill(&fx);
	cache_put_ok(fx.c, cache_find(fx.c, "errors"), NULL, NOW - 100);
	text = render_stats(fx.c, NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/sources/errors/status", "ok");
	expect_num(doc, "/sources/errors/age_seconds", 0.1);
	expect_json(doc, "/sources/errors/values", "{\"rate\": 0.5}");
	expect_null(doc, "/sources/errors/error");
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* An update stamped after now (clock step) never shows a negative age. */
START_TEST(test_age_not_negative)
{
	struct fixture fx;
	struct json_object *doc, *v;
	char *text;
	size_t len = 0;

	fixture_init(&fx);
	v = json_object_new_object();
	cache_put_ok(fx.c, cache_find(fx.c, "orders"), v, NOW + 1500);
	text = render_stats(fx.c, NOW, &len);
	doc = parse_output(text, len);
	expect_num(doc, "/sources/orders/age_seconds", 0.0);
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* One source's stats: the same fields plus "name". */
START_TEST(test_source_stats)
{
	struct fixture fx;
	struct json_object *doc;
	char *text;
	size_t len = 0;

	fixture_init(&fx);
	fixture_fill(&fx);
	text = render_source_stats(cache_find(fx.c, "signups"), NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/name", "signups");
	expect_str(doc, "/status", "ok");
	expect_str(doc, "/updated_at", "2026-11-18T11:06:37Z");
	expect_num(doc, "/age_seconds", 2.5);
	expect_json(doc, "/values", "{\"total\": 12345, \"active\": 678}");
	expect_null(doc, "/error");
	json_object_put(doc);
	free(text);

	text = render_source_stats(cache_find(fx.c, "errors"), NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/name", "errors");
	expect_str(doc, "/status", "stale");
	expect_str(doc, "/error/kind", "http_status");
	expect_int(doc, "/error/http_status", 503);
	json_object_put(doc);
	free(text);

	text = render_source_stats(cache_find(fx.c, "orders"), NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/name", "orders");
	expect_str(doc, "/status", "pending");
	expect_null(doc, "/updated_at");
	expect_null(doc, "/age_seconds");
	expect_json(doc, "/values", "{}");
	expect_null(doc, "/error");
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* The operators' view lists every source with its settings and state. */
START_TEST(test_sources)
{
	struct fixture fx;
	struct json_object *doc;
	char *text;
	size_t len = 0;

	fixture_init(&fx);
	fixture_fill(&fx);
	text = render_sources(fx.c, NOW, &len);
	doc = parse_output(text, len);
	ck_assert_msg(
	    strstr(text, "secret") == NULL && strstr(text, "user:") == NULL,
	    "credentials shown: %s", text);
	ck_assert_msg(
	    json_object_is_type(harness_at(doc, "/sources"), json_type_array),
	    "sources is not an array");
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(doc, "/sources")), 3);

	expect_str(doc, "/sources/0/name", "signups");
	expect_str(
	    doc, "/sources/0/url", "https://api.example.com/v1/signups?x=1");
	expect_num(doc, "/sources/0/interval_seconds", 30.0);
	expect_num(doc, "/sources/0/timeout_seconds", 5.0);
	expect_json(doc, "/sources/0/stats", "[\"total\", \"active\"]");
	expect_str(doc, "/sources/0/status", "ok");
	expect_str(doc, "/sources/0/last_attempt_at", "2026-11-18T11:06:37Z");
	expect_str(doc, "/sources/0/next_poll_at", "2026-11-18T11:07:07Z");
	expect_int(doc, "/sources/0/consecutive_failures", 0);
	expect_int(doc, "/sources/0/polls_total", 1);
	expect_int(doc, "/sources/0/failures_total", 0);
	expect_null(doc, "/sources/0/last_error");

	expect_str(doc, "/sources/1/name", "orders");
	expect_str(doc, "/sources/1/url", "http://orders.example.net/stats");
	expect_num(doc, "/sources/1/interval_seconds", 60.0);
	expect_num(doc, "/sources/1/timeout_seconds", 10.0);
	expect_json(doc, "/sources/1/stats", "[\"count\"]");
	expect_str(doc, "/sources/1/status", "pending");
	expect_null(doc, "/sources/1/last_attempt_at");
	expect_null(doc, "/sources/1/next_poll_at");
	expect_int(doc, "/sources/1/consecutive_failures", 0);
	expect_int(doc, "/sources/1/polls_total", 0);
	expect_int(doc, "/sources/1/failures_total", 0);
	expect_null(doc, "/sources/1/last_error");

	expect_str(doc, "/sources/2/name", "errors");
	expect_str(doc, "/sources/2/url", "https://errors.example.org/");
	expect_num(doc, "/sources/2/interval_seconds", 1.5);
	expect_num(doc, "/sources/2/timeout_seconds", 10.0);
	expect_json(doc, "/sources/2/stats", "[\"rate\"]");
	expect_str(doc, "/sources/2/status", "stale");
	expect_str(doc, "/sources/2/last_attempt_at", "2026-11-18T11:06:39Z");
	expect_null(doc, "/sources/2/next_poll_at");
	expect_int(doc, "/sources/2/consecutive_failures", 1);
	expect_int(doc, "/sources/2/polls_total", 2);
	expect_int(doc, "/sources/2/failures_total", 1);
	expect_str(doc, "/sources/2/last_error/kind", "http_status");
	expect_str(
	    doc, "/sources/2/last_error/message", "HTTP 503 from upstream");
	expect_int(doc, "/sources/2/last_error/http_status", 503);
	expect_str(doc, "/sources/2/last_error/at", "2026-11-18T11:06:39Z");
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* An error body is exactly {"error":{"status":...,"message":...}}. */
START_TEST(test_error_body)
{
	static const char want[] =
	    "{\"error\":{\"status\":404,\"message\":\"x\"}}\n";
	struct json_object *doc;
	char *text;
	size_t len = 0;

	text = render_error(404, "x", &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, want);
	ck_assert_uint_eq(len, sizeof want - 1);
	doc = parse_output(text, len);
	expect_int(doc, "/error/status", 404);
	expect_str(doc, "/error/message", "x");
	ck_assert_int_eq(json_object_object_length(doc), 1);
	ck_assert_int_eq(
	    json_object_object_length(harness_at(doc, "/error")), 2);
	json_object_put(doc);
	free(text);

	text = render_error(405, "method not allowed", &len);
	doc = parse_output(text, len);
	expect_int(doc, "/error/status", 405);
	expect_str(doc, "/error/message", "method not allowed");
	json_object_put(doc);
	free(text);
}
END_TEST

/* Quotes, backslashes and control bytes survive a round trip. */
START_TEST(test_escaping)
{
	static const char nasty[] =
	    "q\"uote \\back\\slash </script> "
	    "nl\n cr\r tab\t bell\x07 esc\x1b us\x1f del\x7f "
	    "\xc3\xa9\xe2\x82\xac";
	struct fixture fx;
	struct json_object *doc, *v;
	struct source_error err;
	char *text;
	size_t len = 0;

	fixture_init(&fx);
	v = json_object_new_object();
	json_object_object_add(v, "count", json_object_new_string(nasty));
	cache_put_ok(fx.c, cache_find(fx.c, "orders"), v, NOW - 1000);
	source_error_set(&err, SOURCE_ERR_NOT_JSON, 0, NOW,
	    "body is not "
	    "JSON: \"%s\"",
	    nasty);
	cache_put_error(fx.c, cache_find(fx.c, "orders"), &err, 1500);

	text = render_stats(fx.c, NOW, &len);
	ck_assert_msg(memchr(text, '\n', len - 1) == NULL &&
	        memchr(text, '\x07', len) == NULL &&
	        memchr(text, '\x1b', len) == NULL,
	    "raw control byte: %s", text);
	doc = parse_output(text, len);
	expect_str(doc, "/sources/orders/values/count", nasty);
	expect_str(doc, "/sources/orders/error/message", err.se_message);
	expect_str(doc, "/sources/orders/error/kind", "not_json");
	json_object_put(doc);
	free(text);

	text = render_sources(fx.c, NOW, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/sources/1/last_error/message", err.se_message);
	json_object_put(doc);
	free(text);

	text = render_error(400, nasty, &len);
	doc = parse_output(text, len);
	expect_str(doc, "/error/message", nasty);
	json_object_put(doc);
	free(text);
	fixture_free(&fx);
}
END_TEST

/* A cache with no sources renders empty collections. */
START_TEST(test_empty_cache)
{
	struct config *cf;
	struct cache *c;
	struct json_object *doc;
	char *text;
	size_t len = 0;

	cf = harness_config("[gatherd]\nmax_per_host = 1\n", "e.conf");
	c = cache_new(cf);
	text = render_stats(c, NOW, &len);
	ck_assert_str_eq(text,
	    "{\"generated_at\":\"2026-11-18T11:06:40Z\","
	    "\"sources\":{}}\n");
	doc = parse_output(text, len);
	json_object_put(doc);
	free(text);
	text = render_sources(c, NOW, &len);
	doc = parse_output(text, len);
	expect_json(doc, "/sources", "[]");
	json_object_put(doc);
	free(text);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Puts total = value for source s of c at ms. */
static void
put_total(struct cache *c, int64_t ms, int value)
{
	struct json_object *v = json_object_new_object();

	ck_assert_ptr_nonnull(v);
	json_object_object_add(v, "total", json_object_new_int(value));
	cache_put_ok(c, cache_find(c, "s"), v, ms);
}

/* Renders the range of s's total from..to (unix seconds) at step and
 * asserts its points are want. */
static void
expect_range(struct cache *c, int64_t from_s, int64_t to_s, int64_t step_s,
    const char *want)
{
	struct json_object *doc;
	size_t len = 0;
	char *text;

	text = render_history_range(cache_find(c, "s"), 0, from_s * 1000,
	    to_s * 1000, step_s * 1000, &len);
	ck_assert_ptr_nonnull(text);
	doc = parse_output(text, len);
	expect_json(doc, "/points", want);
	json_object_put(doc);
	free(text);
}

/*
 * The range form feeds rollup buckets before the raw points, with no
 * overlap: the minute bucket that holds the first raw point is the raw
 * points' if they hold all of it, else the bucket's whole, and the raw
 * points go on from the next minute.  NOW is 40 s into its minute.
 */
START_TEST(test_history_range_rollups)
{
	static const char conf[] = "[source s]\n"
	                           "url = http://s.example/\n"
	                           "history = %d\n"
	                           "stat total = /total\n";
	const int64_t m = (NOW - 40000) / 1000; /* the minute of NOW */
	struct config *cf;
	struct cache *c;
	char text[128], want[256];
	int i;

	/* 20 raw points: all ten of the minute are there, per second. */
	snprintf(text, sizeof text, conf, 20);
	cf = harness_config(text, "r.conf");
	c = cache_new(cf);
	for (i = 0; i < 10; i++)
		put_total(c, NOW + i * 1000, i);
	snprintf(want, sizeof want,
	    "[[%lld,0,0,0],[%lld,1,1,1],[%lld,2,2,2],[%lld,3,3,3],"
	    "[%lld,4,4,4],[%lld,5,5,5],[%lld,6,6,6],[%lld,7,7,7],"
	    "[%lld,8,8,8],[%lld,9,9,9]]",
	    (long long)(NOW / 1000), (long long)(NOW / 1000 + 1),
	    (long long)(NOW / 1000 + 2), (long long)(NOW / 1000 + 3),
	    (long long)(NOW / 1000 + 4), (long long)(NOW / 1000 + 5),
	    (long long)(NOW / 1000 + 6), (long long)(NOW / 1000 + 7),
	    (long long)(NOW / 1000 + 8), (long long)(NOW / 1000 + 9));
	expect_range(c, m - 60, m + 120, 1, want);
	cache_free(c);
	config_free(cf);

	/* 5 raw points: the minute comes whole from its rollup bucket. */
	snprintf(text, sizeof text, conf, 5);
	cf = harness_config(text, "r.conf");
	c = cache_new(cf);
	for (i = 0; i < 10; i++)
		put_total(c, NOW + i * 1000, i);
	snprintf(want, sizeof want, "[[%lld,4.5,0,9]]", (long long)m);
	expect_range(c, m - 60, m + 120, 1, want);
	/* Three more in the next minute: 8 and 9 left in the raw points,
	 * the first minute from its bucket, the next from the raw points. */
	for (i = 0; i < 3; i++)
		put_total(c, (m + 60 + i) * 1000, 100 + i);
	snprintf(want, sizeof want,
	    "[[%lld,4.5,0,9],[%lld,100,100,100],[%lld,101,101,101],"
	    "[%lld,102,102,102]]",
	    (long long)m, (long long)(m + 60), (long long)(m + 61),
	    (long long)(m + 62));
	expect_range(c, m - 60, m + 120, 1, want);
	/* An hour's step merges the bucket and the points. */
	snprintf(want, sizeof want, "[[%lld,%.17g,0,102]]",
	    (long long)(m / 3600 * 3600), (45.0 + 303.0) / 13.0);
	expect_range(c, m - 3600, m + 120, 3600, want);
	/* from after the bucket's start: the raw points alone. */
	snprintf(want, sizeof want, "[[%lld,101,101,101],[%lld,102,102,102]]",
	    (long long)(m + 61), (long long)(m + 62));
	expect_range(c, m + 61, m + 120, 1, want);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Builds the suite: stats, one source, sources view and error bodies. */
static Suite *
render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc;

	tc = tcase_create("stats");
	tcase_add_test(tc, test_stats_pending);
	tcase_add_test(tc, test_stats_states);
	tcase_add_test(tc, test_stats_error);
	tcase_add_test(tc, test_stats_recovered);
	tcase_add_test(tc, test_age_not_negative);
	tcase_add_test(tc, test_source_stats);
	tcase_add_test(tc, test_empty_cache);
	tcase_add_test(tc, test_history_range_rollups);
	suite_add_tcase(s, tc);

	tc = tcase_create("sources");
	tcase_add_test(tc, test_sources);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_error_body);
	tcase_add_test(tc, test_escaping);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(render_suite()) == 0 ? 0 : 1;
}
