/*
 * Tests of the state codec, without files: a source's state encoded to
 * text, parsed and decoded back into a fresh cache (values, times, the
 * error, validators, history bit for bit), an old entry without stat
 * pointers, and every bad form decode must refuse with a reason.  The
 * state file around it (writes, crashes, corrupt files) is check_store's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cache.h"
#include "harness.h"
#include "log.h"
#include "state_codec.h"
#include "runner.h"

/* A fixed wall time in ms: 2026-11-18T11:06:40Z. */
#define T0 1795000000000LL

/* Encodes e, parses the text and decodes it into sv; returns the doc. */
static struct json_object *
round_trip(const struct cache_entry *e, struct state_saved *sv)
{
	struct json_object *o, *doc;
	const char *text, *why;
	char err[128] = "";
	size_t len;
	int oom = 0;

	ck_assert_ptr_nonnull(o = state_codec_encode(e));
	ck_assert_ptr_nonnull(text = state_codec_text(o, &len));
	ck_assert_ptr_null(strstr(text, "secret"));
	doc = state_codec_parse(text, len, err, sizeof err, &oom);
	ck_assert_msg(doc != NULL, "%s", err);
	json_object_put(o);
	why = state_codec_decode(doc, sv);
	ck_assert_msg(why == NULL, "%s", why);
	return doc;
}

/* Everything encoded comes back the same; credentials never go out. */
START_TEST(test_round_trip)
{
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf), *c2 = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups"), *e2;
	struct source_error err;
	struct state_saved sv;
	struct json_object *doc, *v;

	ck_assert_int_eq(state_codec_empty(e), 1);
	cache_put_ok(
	    c, e, json_tokener_parse("{\"total\": 5, \"active\": 1}"), T0);
	cache_put_ok(c, e,
	    json_tokener_parse("{\"total\": 6, \"active\": null}"), T0 + 1000);
	ck_assert_int_eq(cache_set_validators(e, "\"v1\"", "yesterday"), 1);
	source_error_set(&err, SOURCE_ERR_TIMEOUT, 0, T0 + 2000, "slow");
	cache_put_error(c, e, &err, 1000);
	ck_assert_int_eq(state_codec_empty(e), 0);

	doc = round_trip(e, &sv);
	ck_assert_str_eq(sv.sv_url, "https://api.example.com/v1/signups?x=1");
	ck_assert_int_eq(sv.sv_updated_at, T0 + 1000);
	ck_assert_str_eq(sv.sv_etag, "\"v1\"");
	ck_assert_str_eq(sv.sv_last_modified, "yesterday");
	ck_assert_int_eq(sv.sv_has_error, 1);
	ck_assert_str_eq(sv.sv_error.se_message, "slow");
	ck_assert_ptr_nonnull(sv.sv_stats);
	e2 = cache_find(c2, "signups");
	ck_assert_int_eq(state_codec_same_source(e2, "signups", &sv), 1);
	ck_assert_int_eq(state_codec_same_source(e2, "orders", &sv), 0);
	ck_assert_int_eq(state_codec_apply(c2, e2, &sv), 0);
	json_object_put(doc);
	ck_assert_int_eq(cache_entry_status(e2), CACHE_STALE);
	ck_assert(json_object_object_get_ex(e2->ce_values, "total", &v));
	ck_assert_int_eq(json_object_get_int(v), 6);
	ck_assert_str_eq(e2->ce_etag, "\"v1\"");
	ck_assert_int_eq(e2->ce_error.se_kind, SOURCE_ERR_TIMEOUT);
	ck_assert_uint_eq(history_len(e2->ce_history[0]), 2);
	ck_assert_uint_eq(history_len(e2->ce_history[1]), 2);
	cache_free(c);
	cache_free(c2);
	config_free(cf);
}
END_TEST

/* The kinds of real APIs' failures, auth and api_error, survive the
 * state file. */
START_TEST(test_api_kinds)
{
	static const enum source_err kinds[] = {
	    SOURCE_ERR_AUTH, SOURCE_ERR_API_ERROR};
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups");
	struct source_error err;
	struct state_saved sv;
	struct json_object *doc;
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		source_error_set(&err, kinds[i], 200, T0, "said no");
		cache_put_error(c, e, &err, 1000);
		doc = round_trip(e, &sv);
		ck_assert_int_eq(sv.sv_has_error, 1);
		ck_assert_int_eq(sv.sv_error.se_kind, kinds[i]);
		ck_assert_str_eq(sv.sv_error.se_message, "said no");
		json_object_put(doc);
	}
	cache_free(c);
	config_free(cf);
}
END_TEST

/* An entry from before pointers were saved matches every stat. */
START_TEST(test_no_pointers)
{
	static const char old[] =
	    "{\"url\": \"http://orders.example.net/stats\", "
	    "\"values\": {\"count\": 8, \"gone\": 1}, \"updated_at\": "
	    "1795000000000, \"etag\": \"o\", "
	    "\"history\": {\"count\": [[1795000000000, 8], [1795000000000, "
	    "null]], \"gone\": [[1, 1]]}, \"ghost\": true}";
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "orders");
	struct json_object *doc = json_tokener_parse(old);
	struct state_saved sv;

	ck_assert_ptr_null(state_codec_decode(doc, &sv));
	ck_assert_ptr_null(sv.sv_stats);
	ck_assert_int_eq(state_codec_apply(c, e, &sv), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(
	                     e->ce_values, JSON_C_TO_STRING_PLAIN),
	    "{\"count\":8}");
	ck_assert_str_eq(e->ce_etag, "o");
	ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
	json_object_put(doc);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Every bad form of an entry is refused with a reason. */
START_TEST(test_bad_entries)
{
	static const char *const bad[] = {
	    "\"a string\"",
	    "{\"values\": {\"total\": 1}, \"updated_at\": 1}",
	    "{\"url\": 7}",
	    "{\"url\": \"@URL@\", \"values\": 5, \"updated_at\": 1}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": {\"a\": 1}}, "
	    "\"updated_at\": 1}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": [1]}, "
	    "\"updated_at\": 1}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": 1}}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": 1}, "
	    "\"updated_at\": \"yesterday\"}",
	    "{\"url\": \"@URL@\", \"etag\": 5}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": [[2, 1], [1, 1]]}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": [[1]]}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": [[1, \"x\"]]}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": 5}}",
	    "{\"url\": \"@URL@\", \"history\": [1]}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": \"AAAA\"}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": \"!!!!\"}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": \"AAA\"}}",
	    /* Two 16-byte points, [2, 1] then [1, 1]: out of order. */
	    "{\"url\": \"@URL@\", \"history\": {\"total\": "
	    "\"AgAAAAAAAAAAAAAAAADwPwEAAAAAAAAAAAAAAAAA8D8=\"}}",
	    "{\"url\": \"@URL@\", \"error\": {\"kind\": \"bogus\", \"at\": 1}}",
	    "{\"url\": \"@URL@\", \"error\": {\"kind\": \"dns\"}}",
	    "{\"url\": \"@URL@\", \"error\": \"boom\"}",
	    "{\"url\": \"@URL@\", \"stats\": 5}",
	    "{\"url\": \"@URL@\", \"stats\": {\"total\": 5}}",
	};
	static const char url[] = "https://api.example.com/v1/signups?x=1";
	struct json_object *doc;
	struct state_saved sv;
	char entry[512], *at;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if ((at = strstr(bad[i], "@URL@")) != NULL)
			snprintf(entry, sizeof entry, "%.*s%s%s",
			    (int)(at - bad[i]), bad[i], url, at + 5);
		else
			snprintf(entry, sizeof entry, "%s", bad[i]);
		ck_assert_ptr_nonnull(doc = json_tokener_parse(entry));
		ck_assert_msg(state_codec_decode(doc, &sv) != NULL,
		    "case %zu decoded", i);
		json_object_put(doc);
	}
}
END_TEST

/* The parser takes one whole JSON document, strictly, and not too deep. */
START_TEST(test_parse)
{
	static const char *const bad[] = {
	    "",
	    "{\"a\": 1",
	    "{\"a\": 1} trailing",
	    "{\"a\": tru}",
	    "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
	    "\"\xff\"",
	};
	struct json_object *doc;
	char why[128];
	size_t i;
	int oom;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		oom = 0;
		doc = state_codec_parse(
		    bad[i], strlen(bad[i]), why, sizeof why, &oom);
		ck_assert_msg(doc == NULL, "case %zu parsed", i);
		ck_assert_int_eq(oom, 0);
		ck_assert_msg(why[0] != '\0', "case %zu: no reason", i);
	}
	oom = 0;
	doc = state_codec_parse("{\"a\": 1}\n", 9, why, sizeof why, &oom);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
}
END_TEST

/* Builds the suite: round trips, old entries, bad entries, the parser. */
static Suite *
state_codec_suite(void)
{
	Suite *s = suite_create("state_codec");
	TCase *tc;

	tc = tcase_create("codec");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_api_kinds);
	tcase_add_test(tc, test_no_pointers);
	tcase_add_test(tc, test_bad_entries);
	tcase_add_test(tc, test_parse);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	harness_init();
	return runner_run(state_codec_suite()) == 0 ? 0 : 1;
}
