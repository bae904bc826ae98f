/*
 * jq stats and error_if in gatherd's loop, against the fake upstream's
 * answers of real APIs (fake_inband.c): Matomo's and Cloudflare's errors
 * inside a 200 become api_error with the API's own message, GA4's
 * metrics arrive as strings and are made numbers with tonumber, and a
 * GA4 answer without rows is missing_stat with jq's message, or 0 with
 * "// \"0\"".  [gatherd]'s error_if is every source's default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "harness.h"
#include "runner.h"

/* [gatherd]: Cloudflare's errors[] for every source by default. */
static const char global[] = "error_if = jq: .errors[0].message\n";

/* One source per answer; Matomo's error_if is its own. */
static const char sources[] =
    "[source matomo]\n"
    "url = @UP@/inband/matomo-error\n"
    "interval = 1h\n"
    "error_if = jq: select(.result? == \"error\") | .message\n"
    "stat visits = jq: .nb_visits\n"
    "[source cf-error]\n"
    "url = @UP@/inband/cloudflare-error\n"
    "interval = 1h\n"
    "stat requests = /data/viewer/zones/0/httpRequests1dGroups/0/sum/"
    "requests\n"
    "[source cf]\n"
    "url = @UP@/inband/cloudflare\n"
    "interval = 1h\n"
    "stat requests = jq: .data.viewer.zones[0].httpRequests1dGroups[0]"
    ".sum.requests\n"
    "[source ga4]\n"
    "url = @UP@/inband/ga4\n"
    "interval = 1h\n"
    "stat users = jq: .rows[0].metricValues[0].value | tonumber\n"
    "stat bounce = jq: .rows[0].metricValues[1].value | tonumber\n"
    "stat day = /rows/0/dimensionValues/0/value\n"
    "[source ga4-empty]\n"
    "url = @UP@/inband/ga4-empty\n"
    "interval = 1h\n"
    "stat users = jq: .rows[0].metricValues[0].value | tonumber\n"
    "[source ga4-zero]\n"
    "url = @UP@/inband/ga4-empty\n"
    "interval = 1h\n"
    "stat users = jq: (.rows[0].metricValues[0].value // \"0\") | "
    "tonumber\n";

/* Waits for source name to fail with kind; checks message and status. */
static void
expect_error(
    struct harness *h, const char *name, const char *kind, const char *message)
{
	struct json_object *doc = harness_wait_error(h, name, kind, 10000);

	ck_assert_msg(doc != NULL, "%s: never %s", name, kind);
	ck_assert_str_eq(harness_str(doc, "/error/message"), message);
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), 200);
	/* Never a good value: error, not stale. */
	ck_assert_str_eq(harness_str(doc, "/status"), "error");
	json_object_put(doc);
}

/* Errors inside a 200 are api_error with the API's own message. */
START_TEST(test_errors_inside_200)
{
	struct harness *h = harness_start(global, sources);
	struct harness_resp *r;

	expect_error(h, "matomo", "api_error",
	    "You can't access this resource as it requires 'view' access "
	    "for the website id = 3.");
	expect_error(h, "cf-error", "api_error",
	    "zone 'abc' does not exist or you do not have access");
	/* Counted as their own result in /metrics. */
	r = harness_request(h, "GET", "/metrics", NULL);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_ptr_nonnull(strstr(r->r_body,
	    "gatherd_polls_total{source=\"matomo\",result=\"api_error\"} "));
	ck_assert_ptr_null(strstr(r->r_body,
	    "gatherd_polls_total{source=\"matomo\",result=\"api_error\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(r->r_body,
	    "gatherd_polls_total{source=\"matomo\",result=\"auth\"} 0\n"));
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* Good answers pass the default error_if; strings become numbers. */
START_TEST(test_values)
{
	struct harness *h = harness_start(global, sources);
	struct json_object *doc, *bounce;

	doc = harness_wait_status(h, "cf", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(harness_int(doc, "/values/requests"), 52170);
	json_object_put(doc);

	doc = harness_wait_status(h, "ga4", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_object_is_type(
	    harness_at(doc, "/values/users"), json_type_int));
	ck_assert_int_eq(harness_int(doc, "/values/users"), 1234);
	bounce = harness_at(doc, "/values/bounce");
	ck_assert(json_object_is_type(bounce, json_type_double));
	ck_assert(json_object_get_double(bounce) == 0.4375);
	ck_assert_str_eq(harness_str(doc, "/values/day"), "20261129");
	json_object_put(doc);

	/* No rows: jq's message, or 0 where the program says so. */
	expect_error(h, "ga4-empty", "missing_stat",
	    "stat users: jq: null (null) cannot be parsed as a number");
	doc = harness_wait_status(h, "ga4-zero", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(harness_int(doc, "/values/users"), 0);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	Suite *s = suite_create("jq");
	TCase *tc = tcase_create("inband");

	harness_init();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_errors_inside_200);
	tcase_add_test(tc, test_values);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
