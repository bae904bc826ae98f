/*
 * Tests of config_jq.c: jq stats and error_if compiled at load, each
 * distinct program once, and every error as the exact "FILE:LINE:
 * message".  Running the programs is check_extract_jq's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

/* The top build directory's config.h is autoconf's; we want lib's. */
#include "../lib/config.h"
#include "extract_jq.h"
#include "harness.h"
#include "log.h"
#include "runner.h"

/* The name config_load_string puts in front of every error. */
#define NAME "t.conf"

/* A minimal valid source, appended where a test needs one. */
#define GOOD_SOURCE HARNESS_CONFIG_SOURCE

/*
 * jq stats and error_if: each distinct program is compiled once and
 * shared; a jq stat's identity is its program, spelt one way; error_if
 * in [gatherd] is every source's unless the source sets its own.
 */
START_TEST(test_jq)
{
	struct config *cf = harness_config(
	    "[gatherd]\nerror_if = jq: .errors[0].message\n"
	    "[source a]\nurl = http://a.example/\n"
	    "stat users = jq:.rows[0].metricValues[0].value | tonumber\n"
	    "stat kind = /kind\n"
	    "[source b]\nurl = http://b.example/\n"
	    "stat users = jq: .rows[0].metricValues[0].value | tonumber\n"
	    "error_if = jq: select(.result? == \"error\") | .message\n",
	    NAME);
	const struct config_source *a = &cf->cf_sources[0];
	const struct config_source *b = &cf->cf_sources[1];

	ck_assert_uint_eq(extract_jq_set_count(cf->cf_jq), 3);
	ck_assert_ptr_nonnull(a->src_stats[0].cs_jq);
	ck_assert_ptr_eq(a->src_stats[0].cs_jq, b->src_stats[0].cs_jq);
	ck_assert_str_eq(a->src_stats[0].cs_pointer,
	    "jq: .rows[0].metricValues[0].value | tonumber");
	ck_assert_str_eq(
	    a->src_stats[0].cs_pointer, b->src_stats[0].cs_pointer);
	ck_assert_ptr_null(a->src_stats[1].cs_jq);
	ck_assert_ptr_eq(a->src_error_if, cf->cf_defaults.src_error_if);
	ck_assert_str_eq(
	    extract_jq_text(a->src_error_if), ".errors[0].message");
	ck_assert_str_eq(extract_jq_text(b->src_error_if),
	    "select(.result? == \"error\") | .message");
	config_free(cf);
	/* A ';' right after a value is jq's, not a comment. */
	cf = harness_config(
	    GOOD_SOURCE "stat y = jq: reduce .a[] as $x (0; . + $x)\n", NAME);
	ck_assert_str_eq(cf->cf_sources[0].src_stats[1].cs_pointer,
	    "jq: reduce .a[] as $x (0; . + $x)");
	config_free(cf);
	/* Pointers alone: no jq at all. */
	cf = harness_config(GOOD_SOURCE, NAME);
	ck_assert_ptr_null(cf->cf_jq);
	ck_assert_ptr_null(cf->cf_sources[0].src_error_if);
	config_free(cf);
}
END_TEST

/* A jq program that does not compile fails at its line, with jq's
 * message; a value that is no program fails too. */
START_TEST(test_err_jq)
{
	harness_config_refused("[source a]\nurl = http://a.example/\n"
	                       "stat x = jq: .foo[\n",
	    NAME,
	    NAME ":3: stat x: jq: syntax error, unexpected $end (Unix shell "
	         "quoting issues?) at <top-level>, line 1");
	harness_config_refused(GOOD_SOURCE "stat y = jq: .a | nosuch\n", NAME,
	    NAME ":4: stat y: jq: nosuch/0 is not defined at <top-level>, "
	         "line 1");
	/* A space and ';' start a comment, which cuts the program short. */
	harness_config_refused(
	    GOOD_SOURCE "stat y = jq: reduce .a[] as $x (0 ; . + $x)\n", NAME,
	    NAME ":4: stat y: jq: syntax error, unexpected $end (Unix shell "
	         "quoting issues?) at <top-level>, line 1");
	harness_config_refused(GOOD_SOURCE "stat y = jq:\n", NAME,
	    NAME ":4: stat y: expected jq: PROGRAM, got \"jq:\"");
	harness_config_refused(GOOD_SOURCE "error_if = .result\n", NAME,
	    NAME ":4: error_if: expected jq: PROGRAM, got \".result\"");
	harness_config_refused("[gatherd]\nerror_if = jq: .a)\n" GOOD_SOURCE,
	    NAME,
	    NAME ":2: error_if: jq: syntax error, unexpected "
	         "INVALID_CHARACTER, expecting "
	         "$end (Unix shell quoting issues?) at <top-level>, line 1");
	harness_config_refused(GOOD_SOURCE
	    "error_if = jq: .a\nerror_if = jq: .b\n",
	    NAME, NAME ":5: duplicate key \"error_if\"");
}
END_TEST

static Suite *
config_jq_suite(void)
{
	Suite *s = suite_create("config_jq");
	TCase *tc;

	tc = tcase_create("jq");
	tcase_add_test(tc, test_jq);
	tcase_add_test(tc, test_err_jq);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(config_jq_suite()) == 0 ? 0 : 1;
}
