/*
 * Unit tests of the document cache's pure parts: If-None-Match against
 * an ETag in every form a client may send it, the render throttle's
 * decision with time passed in, expiry, and the documents' lifetime
 * across a reload to a cache of another size.  Serving over HTTP (200,
 * 304, shared responses) is check_api's.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "cache.h"
#include "config.h"
#include "doccache.h"
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
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(doccache_suite()) == 0 ? 0 : 1;
}
