/*
 * Unit tests of the document cache's pure parts: If-None-Match against
 * an ETag in every form a client may send it, the render throttle's
 * decision with time passed in, expiry, and the documents' lifetime
 * across a reload to a cache of another size.  Serving over HTTP (200,
 * 304, shared responses) is check_api's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "cache.h"
#include "config.h"
#include "doccache.h"
#include "gzip.h"
#include "harness.h"
#include "runner.h"

/* If-None-Match values and whether each names the ETag "7". */
static const struct {
	const char *inm; /* the header, or NULL for none */
	int match;
} etag_cases[] = {
    {NULL, 0},
    {"*", 1},
    {"\"7\"", 1},
    {"W/\"7\"", 1},
    {"\"a\", \"7\"", 1},
    {"\"a\",\"7\"", 1},
    {"\"7\", \"b\"", 1},
    {"\"a\", W/\"7\"", 1},
    {"7", 0},
    {"\"77\"", 0},
    {"x\"7\"", 0},
    {"\"7\"x", 0},
    {"", 0},
};

/* If-None-Match names the ETag weak or strong, alone or in a list. */
START_TEST(test_etag_matches)
{
	ck_assert_msg(doccache_etag_matches(etag_cases[_i].inm, "\"7\"") ==
	        etag_cases[_i].match,
	    "If-None-Match %s",
	    etag_cases[_i].inm ? etag_cases[_i].inm : "(none)");
}
END_TEST

/* A new document is due; the same generation is not, until a second. */
START_TEST(test_due_generation_and_age)
{
	struct doccache_doc doc;

	memset(&doc, 0, sizeof doc);
	ck_assert_int_eq(doccache_due(&doc, 1, 5000000), 1);
	doc.dd_generation = 1;
	doc.dd_rendered_at = 5000000;
	doc.dd_render_us = 100;
	ck_assert_int_eq(doccache_due(&doc, 1, 5000000), 0);
	ck_assert_int_eq(doccache_due(&doc, 1, 5999999), 0);
	/* Ages move by seconds: the same generation is rendered again. */
	ck_assert_int_eq(doccache_due(&doc, 1, 6000000), 1);
	/* A quick render is never held back. */
	ck_assert_int_eq(doccache_due(&doc, 2, 5000001), 1);
}
END_TEST

/* A slow render waits ten times its cost before the next one. */
START_TEST(test_due_throttle)
{
	struct doccache_doc doc;

	memset(&doc, 0, sizeof doc);
	doc.dd_generation = 1;
	doc.dd_rendered_at = 5000000;
	doc.dd_render_us = 20000; /* 20 ms: held back for 200 ms */
	ck_assert_int_eq(doccache_due(&doc, 2, 5000000), 0);
	ck_assert_int_eq(doccache_due(&doc, 2, 5199999), 0);
	ck_assert_int_eq(doccache_due(&doc, 2, 5200000), 1);
	/* Expired: due at once, whatever the throttle says. */
	doccache_expire(&doc);
	ck_assert_uint_eq(doc.dd_generation, 0);
	ck_assert_int_eq(doccache_due(&doc, 1, 5000001), 1);
	ck_assert_int_eq(doccache_due(&doc, 2, 5000001), 1);
}
END_TEST

/* One document per source, new ones after a reload to another cache. */
START_TEST(test_lifetime_reload)
{
	struct config *cf3, *cf1;
	struct cache *c3, *c1;
	struct event_base *base;
	struct doccache *dc;
	struct doccache_doc *d;

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	cf3 = harness_config(harness_three_sources, "doccache3.conf");
	cf1 = harness_config("[source one]\nurl = http://127.0.0.1:1/\n"
	                     "stat x = /x\n",
	    "doccache1.conf");
	c3 = cache_new(cf3);
	c1 = cache_new(cf1);
	ck_assert_ptr_nonnull(c3);
	ck_assert_ptr_nonnull(c1);
	dc = doccache_new(base, c3);
	ck_assert_ptr_nonnull(dc);
	ck_assert_ptr_ne(doccache_source(dc, cache_entry_at(c3, 0)),
	    doccache_source(dc, cache_entry_at(c3, 2)));
	d = doccache_doc(dc, DOCCACHE_STATS);
	d->dd_generation = 9;
	d->dd_render_us = 50000;
	ck_assert_int_eq(doccache_reload(dc, c1), 0);
	/* The whole documents render again on their next request. */
	ck_assert_uint_eq(d->dd_generation, 0);
	ck_assert_int_eq(d->dd_render_us, 0);
	ck_assert_uint_eq(
	    doccache_source(dc, cache_entry_at(c1, 0))->dd_generation, 0);
	doccache_free(dc);
	doccache_free(NULL);
	cache_free(c1);
	cache_free(c3);
	config_free(cf1);
	config_free(cf3);
	event_base_free(base);
}
END_TEST

/* Returns a new JSON text of n bytes whose digits say which version. */
static char *
doc_text(size_t n, char version)
{
	char *s = malloc(n);
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		s[i] = i % 16 == 0 ? version : "{\"a\":1234567890}"[i % 16];
	return s;
}

/* Asserts db is the gzip form of len bytes of want. */
static void
assert_gunzips_to(const struct doccache_body *db, const char *want, size_t len)
{
	size_t n = 0;
	char *out = client_gunzip(db->db_body, db->db_len, &n);

	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(out, want, len) == 0);
	free(out);
}

/*
 * The gzip copy is made by the first request for it and shared by the
 * next ones of the same version; a new rendering makes a new one.  A
 * small body, or a client without gzip, gets the identity one.
 */
START_TEST(test_gzip_once_per_version)
{
	const struct doccache_body *gz, *again;
	struct MHD_Response *first;
	struct doccache_doc doc;
	char *v1, *v2;

	memset(&doc, 0, sizeof doc);
	v1 = doc_text(4000, '1');
	ck_assert_int_eq(doccache_put(&doc, 7, 100, v1, 4000), 0);
	ck_assert_str_eq(doc.dd_etag, "\"7\"");
	ck_assert_str_eq(doc.dd_etag_gzip, "\"7-gz\"");
	ck_assert_str_eq(doc.dd_etag_gzip_header, "W/\"7-gz\"");
	ck_assert_ptr_null(doc.dd_gzip.db_resp);
	ck_assert_ptr_eq(doccache_body(&doc, 0), &doc.dd_identity);
	/* Not asked for in gzip yet: none made. */
	ck_assert_ptr_null(doc.dd_gzip.db_resp);
	gz = doccache_body(&doc, 1);
	ck_assert_ptr_eq(gz, &doc.dd_gzip);
	ck_assert_ptr_nonnull(gz->db_resp);
	ck_assert_uint_lt(gz->db_len * 5, 4000);
	assert_gunzips_to(gz, v1, 4000);
	first = gz->db_resp;
	/* The same version: the same response, not compressed again. */
	again = doccache_body(&doc, 1);
	ck_assert_ptr_eq(again->db_resp, first);
	ck_assert_ptr_eq(again->db_body, gz->db_body);
	/* A new rendering: its own copy, made when asked for. */
	v2 = doc_text(4000, '2');
	ck_assert_int_eq(doccache_put(&doc, 8, 200, v2, 4000), 0);
	ck_assert_ptr_null(doc.dd_gzip.db_resp);
	gz = doccache_body(&doc, 1);
	ck_assert_ptr_nonnull(gz->db_resp);
	assert_gunzips_to(gz, v2, 4000);
	ck_assert_str_eq(doc.dd_etag_gzip, "\"8-gz\"");
	/* Below GZIP_MIN_BODY the identity body serves everyone. */
	ck_assert_int_eq(
	    doccache_put(&doc, 9, 300, doc_text(GZIP_MIN_BODY - 1, '3'),
	        GZIP_MIN_BODY - 1),
	    0);
	ck_assert_ptr_eq(doccache_body(&doc, 1), &doc.dd_identity);
	ck_assert_ptr_null(doc.dd_gzip.db_resp);
	MHD_destroy_response(doc.dd_identity.db_resp);
}
END_TEST

/* Builds the suite. */
static Suite *
doccache_suite(void)
{
	Suite *s = suite_create("doccache");
	TCase *tc;

	tc = tcase_create("pure");
	tcase_add_loop_test(tc, test_etag_matches, 0,
	    (int)(sizeof etag_cases / sizeof etag_cases[0]));
	tcase_add_test(tc, test_due_generation_and_age);
	tcase_add_test(tc, test_due_throttle);
	tcase_add_test(tc, test_lifetime_reload);
	tcase_add_test(tc, test_gzip_once_per_version);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(doccache_suite()) == 0 ? 0 : 1;
}
