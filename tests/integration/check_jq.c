/*
 * jq stats and error_if in gatherd's loop, against the fake upstream's
 * answers of real APIs (fake_inband.c): Matomo's and Cloudflare's errors
 * inside a 200 become api_error with the API's own message, GA4's
 * metrics arrive as strings and are made numbers with tonumber, and a
 * GA4 answer without rows is missing_stat with jq's message, or 0 with
 * "// \"0\"".  [gatherd]'s error_if is every source's default.  Hostile
 * bodies (fake_hostile.c): a source whose bodies jq sees is capped at
 * 1 MiB unless it sets max_body, jq's runtime errors are missing_stat
 * with jq's message, a big body's jq runs in a child killed after the
 * source's timeout, and the loop keeps polling and serving.
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
	struct json_object *doc = harness_wait_error(h, name, kind, 120000);

	ck_assert_msg(doc != NULL, "%s: never %s", name, kind);
	ck_assert_str_eq(harness_str(doc, "/error/message"), message);
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), 200);
	/* Never a good value: error, not stale. */
	ck_assert_str_eq(harness_str(doc, "/status"), "error");
	json_object_put(doc);
}

/* Waits for source name to be ok; checks the integer at ptr. */
static void
expect_int(struct harness *h, const char *name, const char *ptr, int want)
{
	struct json_object *doc = harness_wait_status(h, name, "ok", 120000);

	ck_assert_msg(doc != NULL, "%s: never ok", name);
	ck_assert_int_eq(harness_int(doc, ptr), want);
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

	expect_int(h, "cf", "/values/requests", 52170);

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
	expect_int(h, "ga4-zero", "/values/users", 0);
	harness_stop(h);
}
END_TEST

/* Sources meeting hostile bodies; "calm" is a pointer source beside.
 * Long timeouts: valgrind's pace is not a failure. */
static const char hostile[] = "[source big]\n"
                              "url = @UP@/huge?bytes=1200000\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "stat first = jq: .[0]\n"
                              "[source big-if]\n"
                              "url = @UP@/huge?bytes=1200000\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "error_if = jq: .error\n"
                              "stat first = /0\n"
                              "[source big-pointer]\n"
                              "url = @UP@/huge?bytes=1200000\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "stat total = /data/total\n"
                              "[source big-allowed]\n"
                              "url = @UP@/huge?bytes=1200000\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "max_body = 2M\n"
                              "stat active = jq: .data.active\n"
                              "[source deep]\n"
                              "url = @UP@/hostile?shape=deep&bytes=300000\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "stat ones = jq: [.. | numbers] | unique | .[0]\n"
                              "[source too-deep]\n"
                              "url = @UP@/deep\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "stat a = jq: .a\n"
                              "[source wrong]\n"
                              "url = @UP@/hostile?shape=objects&bytes=100000\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "stat a = jq: .a\n"
                              "[source wrong-type]\n"
                              "url = @UP@/wrongtype\n"
                              "interval = 1h\n"
                              "timeout = 10m\n"
                              "stat n = jq: .data.active | tonumber\n"
                              "[source calm]\n"
                              "url = @UP@/stats?name=calm\n"
                              "interval = 1s\n"
                              "stat total = /data/total\n";

/* A program that would hold the loop for days, on a body that goes to
 * a child; "calm" polls beside it. */
static const char endless[] = "[source endless]\n"
                              "url = @UP@/hostile?shape=numbers&bytes=70000\n"
                              "interval = 1h\n"
                              "timeout = 5s\n"
                              "stat n = jq: last(range(1e15))\n"
                              "[source calm]\n"
                              "url = @UP@/stats?name=calm\n"
                              "interval = 1s\n"
                              "stat total = /data/total\n";

/* Hostile bodies under jq: capped, jq's errors, and the loop serves.
 * Every source of the test has its own connection, so none waits in
 * the host's queue behind a big body. */
START_TEST(test_hostile_bodies)
{
	struct harness *h = harness_start("max_per_host = 16\n", hostile);
	struct json_object *doc;

	/* jq sees the body: 1 MiB by default, stat or error_if alike. */
	expect_error(
	    h, "big", "too_large", "body larger than max_body (1048576 bytes)");
	expect_error(h, "big-if", "too_large",
	    "body larger than max_body (1048576 bytes)");
	/* Pointers alone keep the 8 MiB default; max_body still rules. */
	expect_int(h, "big-pointer", "/values/total", 1);
	expect_int(h, "big-allowed", "/values/active", 2);
	/* 63 levels pass to jq; past json-c's limit is parse. */
	expect_int(h, "deep", "/values/ones", 1);
	doc = harness_wait_error(h, "too-deep", "parse", 120000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	/* Wrong types: jq's runtime error, as jq says it. */
	expect_error(h, "wrong", "missing_stat",
	    "stat a: jq: Cannot index array with string \"a\"");
	expect_error(h, "wrong-type", "missing_stat",
	    "stat n: jq: Invalid numeric literal at EOF at line 1, column 5 "
	    "(while parsing 'seven')");
	/* Meanwhile the loop kept polling the calm source and serving. */
	json_object_put(harness_wait_polls(h, "calm", 3));
	doc = harness_wait_status(h, "calm", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* jq on a big body runs in a child, killed after the source's timeout,
 * while the loop keeps polling and serving. */
START_TEST(test_child_killed)
{
	struct harness *h = harness_start("", endless);

	expect_error(
	    h, "endless", "missing_stat", "jq: no result within 5000 ms");
	json_object_put(harness_wait_polls(h, "calm", 3));
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
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_hostile_bodies);
	tcase_add_test(tc, test_child_killed);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
