/*
 * Tests of the cluster's texts: a source's shared state round-trips
 * through its JSON document field for field (error, validators, backoff,
 * counters, the replica), damaged or foreign documents are refused with
 * the member named, and history points round-trip bit for bit, mapped by
 * stat name when the writer's stats differ.  Times are fixed.
 */
#include <math.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cache.h"
#include "cluster_doc.h"
#include "harness.h"
#include "history.h"
#include "log.h"
#include "runner.h"

#define T0 1795000000000LL

/* Returns a cache of harness_three_sources (*cf set). */
static struct cache *
make_cache(struct config **cf)
{
	struct cache *c;

	*cf = harness_config(harness_three_sources, "cluster.conf");
	ck_assert_ptr_nonnull(c = cache_new(*cf));
	return c;
}

/* A failing state with everything set round-trips exactly. */
START_TEST(test_round_trip)
{
	struct cache_shared s, d;
	struct source_error err;
	const char *why;
	char *text;
	size_t len;

	memset(&s, 0, sizeof s);
	s.cs_values = json_tokener_parse(
	    "{\"total\": 12, \"active\": 2.5, \"s\": \"x\\\"y\", \"n\": null}");
	s.cs_updated_at = T0;
	source_error_set(&err, SOURCE_ERR_HTTP_STATUS, 503, T0 + 900,
	    "HTTP 503 \"Service Unavailable\"");
	cache_shared_error(&s, &err, 100);
	cache_shared_error(&s, &err, 8200);
	ck_assert_int_eq(
	    cache_shared_set_validators(&s, "W/\"abc\"", "Tue, 1 Dec"), 0);
	s.cs_backoff.b_failures = 6;
	s.cs_backoff.b_opened = 2;
	s.cs_backoff.b_open = 1;
	strcpy(s.cs_polled_by, "web-2:8080");
	s.cs_version = 99;
	ck_assert_ptr_nonnull(text = cluster_doc_encode(&s, &len));
	ck_assert_uint_eq(strlen(text), len);
	why = cluster_doc_decode(text, len, &d);
	ck_assert_msg(why == NULL, "refused: %s", why);
	ck_assert(json_object_equal(s.cs_values, d.cs_values));
	ck_assert_int_eq(d.cs_updated_at, T0);
	ck_assert_int_eq(d.cs_last_attempt_at, T0 + 900);
	ck_assert_int_eq(d.cs_last_ok, 0);
	ck_assert_int_eq(d.cs_has_error, 1);
	ck_assert_int_eq(d.cs_error.se_kind, SOURCE_ERR_HTTP_STATUS);
	ck_assert_int_eq(d.cs_error.se_http_status, 503);
	ck_assert_int_eq(d.cs_error.se_at, T0 + 900);
	ck_assert_str_eq(d.cs_error.se_message, err.se_message);
	ck_assert_str_eq(d.cs_etag, "W/\"abc\"");
	ck_assert_str_eq(d.cs_last_modified, "Tue, 1 Dec");
	ck_assert_int_eq(d.cs_retry_in_ms, 8200);
	ck_assert_uint_eq(d.cs_polls_total, 2);
	ck_assert_uint_eq(d.cs_failures_total, 2);
	ck_assert_uint_eq(d.cs_consecutive_failures, 2);
	ck_assert_uint_eq(d.cs_backoff.b_failures, 6);
	ck_assert_uint_eq(d.cs_backoff.b_opened, 2);
	ck_assert_int_eq(d.cs_backoff.b_open, 1);
	ck_assert_str_eq(d.cs_polled_by, "web-2:8080");
	ck_assert_uint_eq(d.cs_version, 0); /* Redis numbers, not the text */
	free(text);
	cache_shared_clear(&s);
	cache_shared_clear(&d);
}
END_TEST

/* A pending state (no values, no error, no validators) round-trips. */
START_TEST(test_round_trip_empty)
{
	struct cache_shared s, d;
	char *text;
	size_t len;

	memset(&s, 0, sizeof s);
	s.cs_retry_in_ms = -1;
	ck_assert_ptr_nonnull(text = cluster_doc_encode(&s, &len));
	ck_assert_ptr_null(cluster_doc_decode(text, len, &d));
	ck_assert_ptr_null(d.cs_values);
	ck_assert_ptr_null(d.cs_etag);
	ck_assert_ptr_null(d.cs_last_modified);
	ck_assert_int_eq(d.cs_has_error, 0);
	ck_assert_int_eq(d.cs_retry_in_ms, -1);
	ck_assert_str_eq(d.cs_polled_by, "");
	free(text);
	cache_shared_clear(&d);
}
END_TEST

/* Damaged documents are refused, naming what is wrong. */
START_TEST(test_refused)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
	    {"[]", "bad not an object"},
	    {"{\"values\": 3}", "bad values"},
	    {"{\"values\": {\"a\": [1]}}", "bad a value is an object or array"},
	    {"{\"values\": null}", "bad ok"},
	    {"{\"ok\": true, \"error\": {\"kind\": \"nope\", \"at\": 1}}",
	        "bad unknown error kind"},
	    {"{\"ok\": true, \"updated_at\": \"1\"}", "bad updated_at"},
	    {"{\"ok\": true, \"updated_at\": 1, \"attempt_at\": 1, "
	     "\"retry_in_ms\": 1, \"polls\": -1}",
	        "bad polls"},
	    {"{\"ok\": true, \"updated_at\": 1, \"attempt_at\": 1, "
	     "\"retry_in_ms\": 1, \"polls\": 1, \"failures\": 0, "
	     "\"consecutive\": 0, \"etag\": 5}",
	        "bad etag"},
	    {"{\"ok\": true, \"updated_at\": 1, \"attempt_at\": 1, "
	     "\"retry_in_ms\": 1, \"polls\": 1, \"failures\": 0, "
	     "\"consecutive\": 0, \"backoff\": [1, 2]}",
	        "bad backoff"},
	    {"{\"ok\": true, \"updated_at\": 1, \"attempt_at\": 1, "
	     "\"retry_in_ms\": 1, \"polls\": 1, \"failures\": 0, "
	     "\"consecutive\": 0, \"backoff\": [1, 2, false]}",
	        "bad by"},
	};
	struct cache_shared d;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why = cluster_doc_decode(
		    cases[i].text, strlen(cases[i].text), &d);
		ck_assert_msg(why != NULL && strcmp(why, cases[i].why) == 0,
		    "%s: got %s, want %s", cases[i].text,
		    why ? why : "(accepted)", cases[i].why);
		ck_assert_ptr_null(d.cs_values);
	}
	ck_assert_ptr_nonnull(cluster_doc_decode("{\"ok\":", 6, &d));
	ck_assert_ptr_nonnull(cluster_doc_decode("{} {}", 5, &d));
}
END_TEST

/* history_each callback: keeps the last point. */
static void
last_cb(const struct history_point *pt, void *arg)
{
	*(struct history_point *)arg = *pt;
}

/* Points round-trip bit for bit, NaN and the extremes included, and a
 * point written for other stats lands by name. */
START_TEST(test_points)
{
	struct config *cf;
	struct cache *c = make_cache(&cf);
	struct cache_entry *e = cache_find(c, "signups");
	struct history_point pt;
	char *names;
	const char *lit;
	char *text;
	double big = 1.7976931348623157e308, small = 4.9406564584124654e-324;

	e->ce_values = json_object_new_object();
	json_object_object_add(
	    e->ce_values, "total", json_object_new_double(big));
	json_object_object_add(
	    e->ce_values, "active", json_object_new_string("n/a"));
	ck_assert_ptr_nonnull(names = cluster_doc_stat_names(e->ce_src));
	ck_assert_str_eq(names, "total active");
	ck_assert_ptr_nonnull(text = cluster_doc_point(e->ce_src, e->ce_values, T0));
	ck_assert_int_eq(
	    cluster_doc_add_point(e, names, text, strlen(text)), 0);
	history_each(e->ce_history[0], 0, last_cb, &pt);
	ck_assert_int_eq(pt.hp_ms, T0);
	ck_assert(pt.hp_value == big);
	history_each(e->ce_history[1], 0, last_cb, &pt);
	ck_assert(isnan(pt.hp_value));
	free(text);
	/* Written by a replica whose stats were "active other total". */
	lit = "1795000001000 -0 7 4.9406564584124654e-324";
	ck_assert_int_eq(
	    cluster_doc_add_point(e, "active other total", lit, strlen(lit)),
	    0);
	history_each(e->ce_history[0], 0, last_cb, &pt);
	ck_assert_int_eq(pt.hp_ms, T0 + 1000);
	ck_assert(pt.hp_value == small);
	history_each(e->ce_history[1], 0, last_cb, &pt);
	ck_assert(pt.hp_value == 0.0 && signbit(pt.hp_value));
	ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
	/* Not points. */
	ck_assert_int_eq(cluster_doc_add_point(e, names, "", 0), -1);
	ck_assert_int_eq(cluster_doc_add_point(e, names, "x 1", 3), -1);
	ck_assert_int_eq(cluster_doc_add_point(e, names, "1 2 3 4", 7), -1);
	ck_assert_int_eq(cluster_doc_add_point(e, names, "1 z", 3), -1);
	ck_assert_int_eq(cluster_doc_add_point(e, names, "-5 1", 4), -1);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
	free(names);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Applying a decoded state sets the entry and adds one point. */
START_TEST(test_apply)
{
	struct config *cf;
	struct cache *c = make_cache(&cf);
	struct cache_entry *e = cache_find(c, "signups");
	struct cache_shared s;
	uint64_t gen = cache_generation(c);

	ck_assert_int_eq(cache_shared_get(&s, e, NULL), 0);
	cache_shared_ok(&s, json_tokener_parse("{\"total\": 5}"), T0);
	s.cs_version = 7;
	strcpy(s.cs_polled_by, "web-1");
	cache_apply_shared(c, e, &s, 1);
	ck_assert_ptr_null(s.cs_values);
	ck_assert_uint_eq(e->ce_version, 7);
	ck_assert_str_eq(e->ce_polled_by, "web-1");
	ck_assert_int_eq(cache_entry_status(e), CACHE_OK);
	ck_assert_uint_eq(e->ce_polls_total, 1);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 1);
	ck_assert_uint_eq(cache_generation(c), gen + 1);
	cache_clear_history(e);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 0);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Returns the suite. */
static Suite *
cluster_doc_suite(void)
{
	Suite *s = suite_create("cluster_doc");
	TCase *tc = tcase_create("doc");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_round_trip_empty);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_points);
	tcase_add_test(tc, test_apply);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(cluster_doc_suite()) == 0 ? 0 : 1;
}
