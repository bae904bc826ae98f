/*
 * Tests of config_budget.c: [budget NAME] sections and their rate,
 * budget = NAME in a source or [gatherd], what the sources on a budget
 * need, and every error as the exact "FILE:LINE: message".  The sliding
 * window itself is check_budget's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

/* The top build directory's config.h is autoconf's; we want lib's. */
#include "../lib/config.h"
#include "harness.h"
#include "log.h"
#include "runner.h"

/* The name config_load_string puts in front of every error. */
#define NAME "t.conf"

/* A minimal valid source, appended where a test needs one. */
#define GOOD_SOURCE HARNESS_CONFIG_SOURCE

/* Budgets: [budget NAME] with requests = N/DURATION, named per source
 * or as [gatherd]'s default, in any order in the file. */
START_TEST(test_budget_ok)
{
	static const char text[] = "[gatherd]\n"
	                           "budget = mixpanel\n"
	                           "[source a]\n"
	                           "url = http://a.example/\n"
	                           "interval = 5m\n"
	                           "stat x = /x\n"
	                           "[source b]\n"
	                           "url = http://b.example/\n"
	                           "budget = umami\n"
	                           "interval = 5s\n"
	                           "stat x = /x\n"
	                           "[budget mixpanel]\n"
	                           "requests = 60/1h\n"
	                           "[budget umami]\n"
	                           "requests = 50/15s\n"
	                           "[budget cloudflare]\n"
	                           "requests = 300/5m\n";
	const struct config_budget *b;
	struct config *cf;
	size_t n;

	cf = harness_config(text, NAME);
	ck_assert_uint_eq(cf->cf_nbudgets, 3);
	b = config_find_budget(cf, "mixpanel");
	ck_assert_ptr_eq(b, &cf->cf_budgets[0]);
	ck_assert_uint_eq(b->cb_requests, 60);
	ck_assert_uint_eq(b->cb_window_ms, 3600000);
	ck_assert_int_eq(b->cb_line, 12);
	ck_assert_uint_eq(cf->cf_budgets[1].cb_requests, 50);
	ck_assert_uint_eq(cf->cf_budgets[1].cb_window_ms, 15000);
	ck_assert_uint_eq(cf->cf_budgets[2].cb_requests, 300);
	ck_assert_uint_eq(cf->cf_budgets[2].cb_window_ms, 300000);
	ck_assert_ptr_null(config_find_budget(cf, "posthog"));
	/* a inherits [gatherd]'s, b names its own. */
	ck_assert_str_eq(cf->cf_sources[0].src_budget, "mixpanel");
	ck_assert_str_eq(cf->cf_sources[1].src_budget, "umami");
	/* 1h / 5m = 12 requests an hour for mixpanel's one source. */
	ck_assert(config_budget_need(cf, &cf->cf_budgets[0], &n) == 12.0);
	ck_assert_uint_eq(n, 1);
	ck_assert(config_budget_need(cf, &cf->cf_budgets[1], &n) == 3.0);
	ck_assert_uint_eq(n, 1);
	/* A budget no source uses is only a warning. */
	ck_assert(config_budget_need(cf, &cf->cf_budgets[2], &n) == 0.0);
	ck_assert_uint_eq(n, 0);
	config_free(cf);

	cf = harness_config(GOOD_SOURCE, NAME);
	ck_assert_uint_eq(cf->cf_nbudgets, 0);
	ck_assert_ptr_null(cf->cf_sources[0].src_budget);
	config_free(cf);
}
END_TEST

/* Budget errors, each at its line, byte for byte. */
START_TEST(test_budget_errors)
{
	static const char *const bad_rates[] = {"60", "60/", "/1h", "0/1h",
	    "100001/1h", "x/1h", "60/1x", "60/50ms", "60/8d", "-1/1h",
	    "60 / 1h", "99999999999999999999/1h"};
	char text[256], want[512];
	size_t i;

	/* An unknown name, from a source or from [gatherd]. */
	harness_config_refused(GOOD_SOURCE
	    "budget = mixpanle\n"
	    "[budget mixpanel]\nrequests = 60/1h\n",
	    NAME,
	    NAME ":4: source a: unknown budget \"mixpanle\" (add a "
	         "[budget mixpanle] section)");
	harness_config_refused("[gatherd]\nbudget = nope\n" GOOD_SOURCE, NAME,
	    NAME ":2: source a: unknown budget \"nope\" (add a "
	         "[budget nope] section)");
	/* A [budget] without its rate, at its header. */
	harness_config_refused(GOOD_SOURCE "\n[budget b]\n", NAME,
	    NAME ":5: budget b: missing requests (add e.g. "
	         "requests = 60/1h)");
	harness_config_refused(GOOD_SOURCE "[budget b]\nrequests = 1/1s\n"
	                                   "[budget b]\nrequests = 1/1s\n",
	    NAME, NAME ":6: duplicate budget \"b\"");
	harness_config_refused(GOOD_SOURCE "[budget a b]\nrequests = 1/1s\n",
	    NAME,
	    NAME ":4: invalid budget name \"a b\" (1 to 64 of "
	         "A-Z a-z 0-9 _ . -)");
	harness_config_refused(GOOD_SOURCE "[budget b]\nrequests = 1/1s\n"
	                                   "interval = 5s\n",
	    NAME,
	    NAME ":6: unknown key \"interval\" in [budget b] (it takes "
	         "requests = N/DURATION)");
	harness_config_refused(GOOD_SOURCE "[budget b]\nrequests = 1/1s\n"
	                                   "requests = 2/1s\n",
	    NAME, NAME ":6: duplicate key \"requests\"");
	harness_config_refused(GOOD_SOURCE "budget = a/b\n", NAME,
	    NAME ":4: budget: invalid name \"a/b\" (1 to 64 of "
	         "A-Z a-z 0-9 _ . -)");
	harness_config_refused("[gatherd]\nrequests = 1/1s\n", NAME,
	    NAME ":2: unknown key \"requests\" in [gatherd]");
	for (i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
		snprintf(text, sizeof text,
		    GOOD_SOURCE "budget = b\n[budget b]\nrequests = %s\n",
		    bad_rates[i]);
		snprintf(want, sizeof want,
		    NAME ":6: requests: expected N/DURATION, e.g. 60/1h or "
		         "300/5m (N from 1 to 100000, DURATION from 100ms "
		         "to 1 week), got \"%s\"",
		    bad_rates[i]);
		harness_config_refused(text, NAME, want);
	}
}
END_TEST

static Suite *
config_budget_suite(void)
{
	Suite *s = suite_create("config_budget");
	TCase *tc;

	tc = tcase_create("budgets");
	tcase_add_test(tc, test_budget_ok);
	tcase_add_test(tc, test_budget_errors);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(config_budget_suite()) == 0 ? 0 : 1;
}
