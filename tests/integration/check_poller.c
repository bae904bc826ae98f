/*
 * Integration tests for the poller, in process against the fake
 * upstream: polls really run concurrently, the global and per-host caps
 * hold without dropping polls, one source never has two polls in
 * flight, the configured headers arrive, and every failure mode yields
 * its error kind while the last good value is still served.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "runner.h"

/* Builds n [source sN] sections polling path with extra query args. */
static char *
sources_text(int n, const char *args, const char *extra)
{
	char *text = NULL, *grown;
	int i, k;

	for (i = 0; i < n; i++) {
		k = asprintf(&grown,
		    "%s[source s%d]\nurl = @UP@/stats?name=s%d"
		    "%s\ninterval = 1h\ntimeout = 10s\nstat total = "
		    "/data/total\n"
		    "%s\n",
		    text ? text : "", i, i, args, extra);
		ck_assert_int_gt(k, 0);
		free(text);
		text = grown;
	}
	return text;
}

/* Waits until every source s0..s(n-1) is ok. */
static void
wait_all_ok(struct harness *h, int n)
{
	struct json_object *doc;
	char name[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "s%d", i);
		doc = harness_wait_status(h, name, "ok", 20000);
		ck_assert_msg(doc != NULL, "source %s never became ok", name);
		json_object_put(doc);
	}
}

/* One run of slow sources against a pair of caps. */
struct cap_case {
	int cc_sources;
	const char *cc_caps; /* [gatherd] lines */
	unsigned cc_max_inflight; /* what the upstream must see */
};

static const struct cap_case cap_cases[] = {
    /* No cap in the way: all twenty are in flight at the same time. */
    {20, "max_concurrency = 64\nmax_per_host = 64\n", 20},
    /* max_concurrency holds; the excess waits and none is lost. */
    {12, "max_concurrency = 4\nmax_per_host = 64\n", 4},
    /* max_per_host holds; the excess waits and none is lost. */
    {9, "max_concurrency = 64\nmax_per_host = 3\n", 3},
};

/*
 * Slow polls run concurrently up to the caps, and every one is made.  A
 * poll takes 500 ms, or 3 s with TEST_SLOW set (valgrind.test sets it):
 * all must still be in flight together when the last one starts.  The
 * first wave opens a connection each (no search for an idle one); the
 * polls that wait reuse those once they are free.
 */
START_TEST(test_caps)
{
	const struct cap_case *cc = &cap_cases[_i];
	char *src = sources_text(cc->cc_sources,
	    getenv("TEST_SLOW") != NULL ? "&delay_ms=3000" : "&delay_ms=500",
	    "");
	struct harness *h = harness_start(cc->cc_caps, src);

	wait_all_ok(h, cc->cc_sources);
	ck_assert_uint_eq(
	    fake_upstream_max_inflight(h->h_fu), cc->cc_max_inflight);
	ck_assert_uint_eq(
	    fake_upstream_requests(h->h_fu), (unsigned long)cc->cc_sources);
	ck_assert_uint_eq(
	    fake_upstream_connections(h->h_fu), cc->cc_max_inflight);
	harness_stop(h);
	free(src);
}
END_TEST

/* A source slower than its interval never has two polls in flight. */
START_TEST(test_one_poll_per_source)
{
	struct harness *h = harness_start(NULL,
	    "[source slow]\n"
	    "url = @UP@/stats?delay_ms=450\ninterval = 100ms\ntimeout = 5s\n"
	    "stat total = /data/total\n");
	struct json_object *doc = NULL;
	int tries;

	for (tries = 0; tries < 500; tries++) {
		json_object_put(doc);
		doc = harness_get_json(h, "/api/v1/sources");
		if (harness_int(doc, "/sources/0/polls_total") >= 3)
			break;
		usleep(20 * 1000);
	}
	ck_assert_int_ge(harness_int(doc, "/sources/0/polls_total"), 3);
	ck_assert_uint_eq(fake_upstream_max_inflight(h->h_fu), 1);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* User-Agent, the bearer token and extra headers reach the upstream. */
START_TEST(test_headers)
{
	char *path = harness_token_file("  s3cret-token"), *src, *v;
	struct harness *h;
	struct json_object *doc;

	ck_assert_int_gt(asprintf(&src,
	                     "[source h]\nurl = @UP@/headers\n"
	                     "interval = 1h\ntoken_file = %s\nheader = "
	                     "X-Custom: yes please\n"
	                     "stat ua = /User-Agent\n",
	                     path),
	    0);
	h = harness_start("user_agent = TestAgent/9.1\n", src);
	doc = harness_wait_status(h, "h", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(harness_str(doc, "/values/ua"), "TestAgent/9.1");
	json_object_put(doc);
	v = fake_upstream_last_header(h->h_fu, "Authorization");
	ck_assert_str_eq(v, "Bearer s3cret-token");
	free(v);
	v = fake_upstream_last_header(h->h_fu, "X-Custom");
	ck_assert_str_eq(v, "yes please");
	free(v);
	v = fake_upstream_last_header(h->h_fu, "Accept");
	ck_assert_str_eq(v, "application/json");
	free(v);
	harness_stop(h);
	free(src);
	unlink(path);
	free(path);
}
END_TEST

/* Credentials in the URL are sent as basic auth and never shown. */
START_TEST(test_url_userinfo)
{
	struct harness *h = harness_start(NULL,
	    "[source u]\nurl = http://us%40er:p%3Ass@@HOSTPORT@/headers\n"
	    "interval = 1h\nstat ua = /User-Agent\n");
	struct harness_resp *r;
	struct json_object *doc;
	char *v;

	doc = harness_wait_status(h, "u", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	/* base64("us@er:p:ss") */
	v = fake_upstream_last_header(h->h_fu, "Authorization");
	ck_assert_str_eq(v, "Basic dXNAZXI6cDpzcw==");
	free(v);
	r = harness_request(h, "GET", "/api/v1/sources", NULL);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_ptr_null(strstr(r->r_body, "p%3Ass"));
	ck_assert_ptr_null(strstr(r->r_body, "us%40er"));
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* One failure mode: what the upstream turns into, and what we expect. */
struct failure {
	const char *f_target; /* the fake upstream's route */
	const char *f_kind; /* error.kind */
	int f_http_status; /* error.http_status, 0 for null */
};

static const struct failure failures[] = {
    {"/status/503", "http_status", 503},
    {"/status/500", "http_status", 500},
    {"/status/404", "http_status", 404},
    {"/status/429", "rate_limited", 429},
    {"/html", "not_json", 200},
    {"/empty", "not_json", 200},
    {"/truncated", "parse", 200},
    {"/trailing", "parse", 200},
    {"/deep", "parse", 200},
    {"/badutf8", "parse", 200},
    {"/missing", "missing_stat", 200},
    {"/huge?bytes=300000", "too_large", 200},
    {"/huge?bytes=300000&chunked=1", "too_large", 200},
    {"/stats?delay_ms=3000", "timeout", 0},
    {"/drip?bytes=64&every_ms=100", "timeout", 200},
};

/* Each failure mode gives its kind and keeps the last good value. */
START_TEST(test_failure_keeps_value)
{
	const struct failure *f = &failures[_i];
	struct harness *h = harness_start("max_body = 64k\n",
	    "[source f]\nurl = @UP@/stats?name=f\ninterval = 100ms\n"
	    "timeout = 600ms\nstat total = /data/total\n");
	struct json_object *doc;
	long long good;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_msg(doc != NULL, "%s: never ok", f->f_target);
	good = harness_int(doc, "/values/total");
	ck_assert_int_ge(good, 1000);
	json_object_put(doc);

	fake_upstream_rewrite(h->h_fu, NULL, f->f_target);
	doc = harness_wait_error(h, "f", f->f_kind, 15000);
	ck_assert_msg(doc != NULL, "%s: never %s", f->f_target, f->f_kind);
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	ck_assert_int_ge(harness_int(doc, "/values/total"), good);
	ck_assert_ptr_nonnull(harness_str(doc, "/updated_at"));
	ck_assert_ptr_nonnull(harness_str(doc, "/error/message"));
	ck_assert_ptr_nonnull(harness_str(doc, "/error/at"));
	if (f->f_http_status != 0)
		ck_assert_int_eq(
		    harness_int(doc, "/error/http_status"), f->f_http_status);
	else
		ck_assert_int_eq(harness_int(doc, "/error/http_status"), -1);
	json_object_put(doc);

	/* And it recovers by itself once the upstream does. */
	fake_upstream_rewrite(h->h_fu, NULL, NULL);
	doc = harness_wait_status(h, "f", "ok", 15000);
	ck_assert_msg(doc != NULL, "%s: never recovered", f->f_target);
	ck_assert_int_gt(harness_int(doc, "/values/total"), good);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* A refused connection is kind connect, and status error with no value. */
START_TEST(test_connect_refused)
{
	struct harness *h;
	struct json_object *doc;
	char *url = harness_closed_port_url(), *src;

	ck_assert_int_gt(asprintf(&src,
	                     "[source c]\n"
	                     "url = %s\ninterval = 1h\n"
	                     "stat total = /data/total\n",
	                     url),
	    0);
	free(url);
	h = harness_start(NULL, src);
	doc = harness_wait_error(h, "c", "connect", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(harness_str(doc, "/status"), "error");
	ck_assert_int_eq(
	    json_object_object_length(json_object_object_get(doc, "values")),
	    0);
	json_object_put(doc);
	harness_stop(h);
	free(src);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("poller");
	TCase *tc = tcase_create("poller");

	harness_init();
	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(
	    tc, test_caps, 0, (int)(sizeof cap_cases / sizeof cap_cases[0]));
	tcase_add_test(tc, test_one_poll_per_source);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_url_userinfo);
	tcase_add_loop_test(tc, test_failure_keeps_value, 0,
	    (int)(sizeof failures / sizeof failures[0]));
	tcase_add_test(tc, test_connect_refused);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
