/*
 * Request budgets and rate-limit dialects, in process against the fake
 * upstream.  Three sources polled every 100 ms share a budget of 2
 * requests a second: the upstream's own record of arrival times never
 * shows more than 2 in any second, every source still polls, a poll
 * waiting for the budget is no failure, and /api/v1/sources shows the
 * budget; --once waits for it too.  GitHub's 403 with X-RateLimit-Remaining: 0
 * and an absolute X-RateLimit-Reset is rate_limited, retried when the reset
 * comes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "once.h"
#include "runner.h"

/* The budget: N requests per WINDOW_MS. */
#define N 2
#define WINDOW_MS 1000
/* Arrivals to wait for: several windows' worth. */
#define ARRIVALS 8

/* Three sources on budget b, far more often than it allows, and one
 * source without a budget. */
static const char budget_sources[] =
    "[budget b]\nrequests = 2/1s\n"
    "[source s1]\nurl = @UP@/timed?name=s1\ninterval = 100ms\n"
    "budget = b\nstat total = /data/total\n"
    "[source s2]\nurl = @UP@/timed?name=s2\ninterval = 100ms\n"
    "budget = b\nstat total = /data/total\n"
    "[source s3]\nurl = @UP@/timed?name=s3\ninterval = 100ms\n"
    "budget = b\nstat total = /data/total\n"
    "[source free]\nurl = @UP@/stats?name=free\ninterval = 1h\n"
    "stat total = /data/total\n";

/* Checks what /api/v1/sources shows of a source on budget b. */
static void
check_budget_view(struct harness *h, const char *name)
{
	struct json_object *v = harness_source_view(h, name);
	struct json_object *next;
	long long remaining;

	/* Waiting for the budget is no failure. */
	ck_assert_str_eq(harness_str(v, "/status"), "ok");
	ck_assert_int_eq(harness_int(v, "/failures_total"), 0);
	ck_assert_int_eq(harness_int(v, "/consecutive_failures"), 0);
	ck_assert_ptr_null(harness_at(v, "/last_error"));
	ck_assert_str_eq(harness_str(v, "/budget/name"), "b");
	remaining = harness_int(v, "/budget/remaining");
	ck_assert_msg(
	    remaining >= 0 && remaining <= N, "remaining %lld", remaining);
	next = harness_at(v, "/budget/next_at");
	/* null while a slot is free, else when one frees (RFC 3339). */
	if (remaining > 0)
		ck_assert_ptr_null(next);
	else {
		ck_assert_ptr_nonnull(next);
		ck_assert_uint_eq(strlen(json_object_get_string(next)), 20);
		ck_assert_int_eq(json_object_get_string(next)[19], 'Z');
	}
	json_object_put(v);
}

/* Three sources on a 2-per-second budget: never more than 2 requests
 * reach the upstream in any second, and each source polls. */
START_TEST(test_budget_holds)
{
	struct harness *h = harness_start(NULL, budget_sources);
	int64_t t[ARRIVALS * 4];
	struct json_object *v;
	size_t n = 0, i;
	int tries;

	for (tries = 0; tries < 1500 && n < ARRIVALS; tries++) {
		usleep(20 * 1000);
		n = fake_upstream_timed(h->h_fu, t, ARRIVALS);
	}
	ck_assert_uint_ge(n, ARRIVALS);
	json_object_put(harness_wait_polls(h, "s1", 1));
	json_object_put(harness_wait_polls(h, "s2", 1));
	json_object_put(harness_wait_polls(h, "s3", 1));
	check_budget_view(h, "s1");
	check_budget_view(h, "s2");
	check_budget_view(h, "s3");
	v = harness_source_view(h, "free");
	ck_assert_ptr_null(harness_at(v, "/budget"));
	json_object_put(v);
	harness_stop(h);
	/*
	 * Any N + 1 arrivals in a row span a window.  Arrivals lag the
	 * starts gatherd counts by a connect and a send, which may differ
	 * from one request to the next: half a window of slack, far from
	 * the 100 ms apart the intervals alone would give.
	 */
	for (i = N; i < n; i++)
		ck_assert_msg(t[i] - t[i - N] >= WINDOW_MS / 2,
		    "arrivals %zu and %zu only %lld ms apart", i - N, i,
		    (long long)(t[i] - t[i - N]));
}
END_TEST

/* --once polls every source once, and waits for the budget to do so:
 * two sources on 1 per 500 ms reach the upstream a window apart. */
START_TEST(test_once_waits)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct config *cf;
	char up[64], *text;
	int64_t t[4];
	FILE *out;

	ck_assert_ptr_nonnull(fu);
	snprintf(up, sizeof up, "http://127.0.0.1:%u", fake_upstream_port(fu));
	text = harness_subst("[gatherd]\ninitial_spread = 0\n"
	                     "[budget b]\nrequests = 1/500ms\n"
	                     "[source o1]\nurl = @UP@/timed?name=o1\n"
	                     "budget = b\nstat total = /data/total\n"
	                     "[source o2]\nurl = @UP@/timed?name=o2\n"
	                     "budget = b\nstat total = /data/total\n",
	    up);
	cf = harness_config(text, "once.conf");
	ck_assert_ptr_nonnull(out = fopen("/dev/null", "w"));
	ck_assert_int_eq(once_run(cf, out), 0);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_uint_eq(fake_upstream_timed(fu, t, 4), 2);
	/* Half a window of slack for the arrivals, as above. */
	ck_assert_int_ge(t[1] - t[0], 250);
	config_free(cf);
	free(text);
	fake_upstream_stop(fu);
}
END_TEST

/* Waits (bounded) until source f's last error is kind; its view. */
static struct json_object *
wait_kind(struct harness *h, const char *kind)
{
	struct json_object *v;
	const char *got;
	int tries;

	for (tries = 0; tries < 1500; tries++) {
		v = harness_source_view(h, "f");
		got = harness_str(v, "/last_error/kind");
		if (got != NULL && strcmp(got, kind) == 0)
			return v;
		json_object_put(v);
		usleep(20 * 1000);
	}
	ck_abort_msg("source f: no %s error", kind);
	return NULL;
}

/* GitHub's 403 with X-RateLimit-Remaining: 0: rate_limited, retried at
 * the absolute X-RateLimit-Reset five minutes ahead. */
START_TEST(test_github_rate_limit)
{
	struct harness *h;
	struct json_object *v;
	char sources[256];
	long long reset = (long long)time(NULL) + 300;
	double retry;

	snprintf(sources, sizeof sources,
	    "[source f]\nurl = @UP@/status/403?x_ratelimit_remaining=0&"
	    "x_ratelimit_reset=%lld\ninterval = 1s\nstat total = /x\n",
	    reset);
	h = harness_start(NULL, sources);
	v = wait_kind(h, "rate_limited");
	ck_assert_int_eq(harness_int(v, "/last_error/http_status"), 403);
	ck_assert_str_eq(harness_str(v, "/last_error/message"),
	    "HTTP 403 Forbidden: rate limit exhausted "
	    "(X-RateLimit-Remaining: 0)");
	retry = json_object_get_double(harness_at(v, "/retry_in_seconds"));
	/* Whole seconds; the poll ended a moment after the reset was set. */
	ck_assert_msg(
	    retry >= 297.0 && retry <= 300.0, "retry in %.3f s", retry);
	json_object_put(v);
	harness_stop(h);
}
END_TEST

/* A 403 with quota left is the token's fault: http_status, and the next
 * try after a full interval, reset header or not. */
START_TEST(test_github_forbidden)
{
	struct harness *h;
	struct json_object *v;
	char sources[256];

	snprintf(sources, sizeof sources,
	    "[source f]\nurl = @UP@/status/403?x_ratelimit_remaining=4999&"
	    "x_ratelimit_reset=%lld\ninterval = 2s\nstat total = /x\n",
	    (long long)time(NULL) + 300);
	h = harness_start(NULL, sources);
	v = wait_kind(h, "http_status");
	ck_assert_int_eq(harness_int(v, "/last_error/http_status"), 403);
	ck_assert_double_eq_tol(
	    json_object_get_double(harness_at(v, "/retry_in_seconds")), 2.0,
	    0.001);
	json_object_put(v);
	harness_stop(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("budget");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_budget_holds);
	tcase_add_test(tc, test_once_waits);
	tcase_add_test(tc, test_github_rate_limit);
	tcase_add_test(tc, test_github_forbidden);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
