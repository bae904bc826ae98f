/*
 * The fault matrix: every way an upstream misbehaves, in process
 * against the fake upstream.  For each fault the test checks the
 * error.kind, that the last good values are still served unchanged, the
 * delay chosen before the next attempt (read from the API, never slept
 * through), and that a healthy source on the same daemon keeps polling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "runner.h"

/* What the retry delay of a fault must be. */
enum retry_rule {
	RETRY_JITTER, /* full jitter from retry_base */
	RETRY_INTERVAL, /* a full interval: a client error */
	RETRY_EXACT, /* the server's hint */
};

/* One row of the matrix. */
struct fault {
	const char *f_name;
	const char *f_target; /* what the upstream turns into */
	const char *f_extra; /* more lines for [source f] */
	const char *f_kind; /* error.kind */
	int f_http; /* error.http_status, 0 for null */
	enum retry_rule f_retry;
	double f_retry_s; /* for RETRY_EXACT */
};

/* Source f fails; source other must not notice. */
static const char sources_fmt[] =
    "[source f]\nurl = %s\ninterval = 1s\ntimeout = 800ms\n"
    "max_body = 64k\nstat total = /data/total\n%s%s\n"
    "[source other]\nurl = @UP@/stats?name=other\ninterval = 200ms\n"
    "stat total = /data/total\n";

#define RETRY_BASE_S 0.4
#define INTERVAL_S 1.0

static const struct fault faults[] = {
    {"accept then hang", "/stats?delay_ms=5000", "", "timeout", 0, RETRY_JITTER,
        0},
    {"headers then hang", "/drip?bytes=64&every_ms=100000", "", "timeout", 200,
        RETRY_JITTER, 0},
    {"1 byte a second", "/drip?bytes=64&every_ms=1000",
        "low_speed_limit = 10\nlow_speed_time = 1s\n", "timeout", 200,
        RETRY_JITTER, 0},
    {"Content-Length above the cap", "/huge?bytes=300000", "", "too_large", 200,
        RETRY_JITTER, 0},
    {"chunked body above the cap", "/huge?bytes=300000&chunked=1", "",
        "too_large", 200, RETRY_JITTER, 0},
    {"gzip bomb", "/gzipbomb?bytes=100000000", "", "too_large", 200,
        RETRY_JITTER, 0},
    {"reset mid-body", "/reset?after=100", "", "connect", 200, RETRY_JITTER, 0},
    {"500", "/status/500", "", "http_status", 500, RETRY_JITTER, 0},
    {"502", "/status/502", "", "http_status", 502, RETRY_JITTER, 0},
    {"503 with Retry-After: 2", "/status/503", "", "http_status", 503,
        RETRY_EXACT, 2.0},
    {"504", "/status/504", "", "http_status", 504, RETRY_JITTER, 0},
    {"429 Retry-After seconds", "/status/429?retry_after=120", "",
        "rate_limited", 429, RETRY_EXACT, 120.0},
    {"429 Retry-After garbage", "/status/429?retry_after=soon", "",
        "rate_limited", 429, RETRY_JITTER, 0},
    {"429 Retry-After 10^9", "/status/429?retry_after=1000000000", "",
        "rate_limited", 429, RETRY_EXACT, 3600.0},
    {"429 RateLimit-Reset", "/status/429?retry_after=&ratelimit_reset=45", "",
        "rate_limited", 429, RETRY_EXACT, 45.0},
    {"429 X-RateLimit-Reset", "/status/429?retry_after=&x_ratelimit_reset=90",
        "", "rate_limited", 429, RETRY_EXACT, 90.0},
    {"401", "/status/401", "", "http_status", 401, RETRY_INTERVAL, 0},
    {"404", "/status/404", "", "http_status", 404, RETRY_INTERVAL, 0},
    {"redirect loop", "/loop", "", "http_status", 302, RETRY_JITTER, 0},
    {"redirect to ftp", "/redirect?to=ftp://127.0.0.1/x", "", "http_status",
        302, RETRY_JITTER, 0},
    {"HTML page", "/html", "", "not_json", 200, RETRY_JITTER, 0},
    {"empty body", "/empty", "", "not_json", 200, RETRY_JITTER, 0},
    {"truncated JSON", "/truncated", "", "parse", 200, RETRY_JITTER, 0},
    {"trailing garbage", "/trailing", "", "parse", 200, RETRY_JITTER, 0},
    {"too deep", "/deep", "", "parse", 200, RETRY_JITTER, 0},
    {"invalid UTF-8", "/badutf8", "", "parse", 200, RETRY_JITTER, 0},
    {"number out of range", "/bignum", "", "parse", 200, RETRY_JITTER, 0},
    {"wrong type at a stat", "/wrongtype", "", "missing_stat", 200,
        RETRY_JITTER, 0},
    {"missing stat", "/missing", "", "missing_stat", 200, RETRY_JITTER, 0},
};

/* Starts a harness whose source f has url and extra lines. */
static struct harness *
start(const char *url, const char *extra)
{
	struct harness *h;
	char *text;

	/* retry_base is 400 ms unless the test sets its own. */
	ck_assert_int_gt(
	    asprintf(&text, sources_fmt, url,
	        strstr(extra, "retry_base") ? "" : "retry_base = 400ms\n",
	        extra),
	    0);
	h = harness_start(NULL, text);
	free(text);
	return h;
}

/*
 * Waits until f's error.kind is kind; meanwhile keeps the last document
 * in which f was ok, which *last_ok receives (NULL if never seen).
 */
static struct json_object *
wait_kind(struct harness *h, const char *kind, struct json_object **last_ok)
{
	struct json_object *doc;
	const char *got;
	int tries;

	*last_ok = NULL;
	for (tries = 0; tries < 1000; tries++) {
		doc = harness_get_json(h, "/api/v1/stats/f");
		got = harness_str(doc, "/error/kind");
		if (got != NULL && strcmp(got, kind) == 0)
			return doc;
		if (strcmp(harness_str(doc, "/status"), "ok") == 0) {
			json_object_put(*last_ok);
			*last_ok = json_object_get(doc);
		}
		json_object_put(doc);
		usleep(20 * 1000);
	}
	return NULL;
}

/* Checks the retry delay of f against rule, given its failure streak. */
static void
check_retry(const struct fault *f, struct json_object *view)
{
	long long n =
	    json_object_get_int64(harness_at(view, "/consecutive_failures"));
	double retry =
	    json_object_get_double(harness_at(view, "/retry_in_seconds"));
	double ceiling = RETRY_BASE_S;

	ck_assert_int_ge(n, 1);
	if (n >= 5) {
		/* The circuit opened: its cool-down wins, at least 15 s. */
		ck_assert_str_eq(harness_str(view, "/circuit/state"), "open");
		ck_assert_double_ge(retry, 15.0);
		return;
	}
	switch (f->f_retry) {
	case RETRY_JITTER:
		while (--n > 0)
			ceiling *= 2;
		ck_assert_msg(retry >= 0.0 && retry <= ceiling,
		    "%s: retry in %.3f s, not within [0, %.1f]", f->f_name,
		    retry, ceiling);
		break;
	case RETRY_INTERVAL:
		ck_assert_double_eq_tol(retry, INTERVAL_S, 0.001);
		break;
	case RETRY_EXACT:
		ck_assert_double_eq_tol(retry, f->f_retry_s, 0.001);
		break;
	}
}

/* Waits until other has polled twice more: the daemon still serves it. */
static void
check_other_alive(struct harness *h)
{
	struct json_object *v = harness_source_view(h, "other");
	long long before = json_object_get_int64(harness_at(v, "/polls_total"));
	long long now = before;
	int tries;

	json_object_put(v);
	for (tries = 0; tries < 500 && now < before + 2; tries++) {
		usleep(20 * 1000);
		v = harness_source_view(h, "other");
		now = json_object_get_int64(harness_at(v, "/polls_total"));
		ck_assert_str_eq(harness_str(v, "/status"), "ok");
		json_object_put(v);
	}
	ck_assert_int_ge(now, before + 2);
}

/* One row: good values, then the fault, then the checks. */
START_TEST(test_fault)
{
	const struct fault *f = &faults[_i];
	struct harness *h = start("@UP@/stats?name=f", f->f_extra);
	struct json_object *doc, *ok, *view;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_msg(doc != NULL, "%s: never ok", f->f_name);
	json_object_put(doc);

	fake_upstream_rewrite(h->h_fu, "f", f->f_target);
	doc = wait_kind(h, f->f_kind, &ok);
	ck_assert_msg(doc != NULL, "%s: never %s", f->f_name, f->f_kind);
	ck_assert_msg(ok != NULL, "%s: no ok document seen", f->f_name);
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	/* The last good values, unchanged, with their time. */
	ck_assert_msg(json_object_equal(harness_at(doc, "/values"),
	                  harness_at(ok, "/values")),
	    "%s: values %s became %s", f->f_name,
	    json_object_to_json_string(harness_at(ok, "/values")),
	    json_object_to_json_string(harness_at(doc, "/values")));
	ck_assert_str_eq(
	    harness_str(doc, "/updated_at"), harness_str(ok, "/updated_at"));
	if (f->f_http != 0)
		ck_assert_int_eq(
		    harness_int(doc, "/error/http_status"), f->f_http);
	else
		ck_assert(json_object_get_type(harness_at(
		              doc, "/error/http_status")) == json_type_null);
	json_object_put(doc);
	json_object_put(ok);

	view = harness_source_view(h, "f");
	ck_assert_str_eq(harness_str(view, "/status"), "stale");
	check_retry(f, view);
	json_object_put(view);
	check_other_alive(h);
	harness_stop(h);
}
END_TEST

/* A source that never worked: the kind, no values, the others fine. */
static void
check_never_worked(const char *url, const char *kind)
{
	static const struct fault jitter = {
	    "never worked", NULL, "", NULL, 0, RETRY_JITTER, 0};
	struct harness *h = start(url, "");
	struct json_object *doc, *view;

	doc = harness_wait_error(h, "f", kind, 10000);
	ck_assert_msg(doc != NULL, "never %s", kind);
	ck_assert_str_eq(harness_str(doc, "/status"), "error");
	ck_assert_int_eq(
	    json_object_object_length(harness_at(doc, "/values")), 0);
	ck_assert(json_object_get_type(harness_at(doc, "/updated_at")) ==
	    json_type_null);
	json_object_put(doc);
	view = harness_source_view(h, "f");
	check_retry(&jitter, view);
	json_object_put(view);
	check_other_alive(h);
	harness_stop(h);
}

/* Connection refused is kind connect. */
START_TEST(test_connection_refused)
{
	char *url = harness_closed_port_url();

	check_never_worked(url, "connect");
	free(url);
}
END_TEST

/*
 * A name that cannot resolve is kind dns.  Its 64-character label is
 * longer than DNS allows, so the resolver fails without sending a
 * query: the test stays off the network.
 */
START_TEST(test_dns_failure)
{
	check_never_worked("http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                   "aaaaaaaaaaaaaaaa.invalid/stats",
	    "dns");
}
END_TEST

/* Retry-After as an HTTP-date five minutes ahead. */
START_TEST(test_retry_after_date)
{
	char date[64], target[128];
	struct harness *h = start("@UP@/stats?name=f", "");
	struct json_object *doc, *ok, *view;
	time_t when = time(NULL) + 300;
	struct tm tm;
	double retry;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	gmtime_r(&when, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(target, sizeof target, "/status/429?retry_after=%s", date);
	fake_upstream_rewrite(h->h_fu, "f", target);
	doc = wait_kind(h, "rate_limited", &ok);
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(ok);
	ck_assert(json_object_equal(
	    harness_at(doc, "/values"), harness_at(ok, "/values")));
	json_object_put(doc);
	json_object_put(ok);
	view = harness_source_view(h, "f");
	retry = json_object_get_double(harness_at(view, "/retry_in_seconds"));
	/* The date has whole seconds; the poll ended a moment after now. */
	ck_assert_msg(
	    retry >= 297.0 && retry <= 300.0, "retry in %.3f s", retry);
	json_object_put(view);
	check_other_alive(h);
	harness_stop(h);
}
END_TEST

/* A 304 after an ETag is a success: same values, fresh time, no parse. */
START_TEST(test_not_modified)
{
	struct harness *h = harness_start(NULL,
	    "[source f]\nurl = @UP@/etag\ninterval = 300ms\n"
	    "stat total = /data/total\n");
	struct json_object *first, *doc = NULL, *view;
	char *inm, *ims;
	int tries;

	first = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(first);
	ck_assert_int_eq(harness_int(first, "/values/total"), 42);
	for (tries = 0; tries < 500; tries++) {
		doc = harness_get_json(h, "/api/v1/stats/f");
		if (strcmp(harness_str(doc, "/updated_at"),
		        harness_str(first, "/updated_at")) != 0)
			break;
		json_object_put(doc);
		doc = NULL;
		usleep(20 * 1000);
	}
	ck_assert_msg(doc != NULL, "updated_at never moved on");
	ck_assert_str_eq(harness_str(doc, "/status"), "ok");
	ck_assert(json_object_equal(
	    harness_at(doc, "/values"), harness_at(first, "/values")));
	json_object_put(doc);
	json_object_put(first);
	view = harness_wait_polls(h, "f", 3);
	ck_assert_int_eq(
	    json_object_get_int64(harness_at(view, "/failures_total")), 0);
	json_object_put(view);
	/* The upstream saw our validators, so it answered 304. */
	inm = fake_upstream_last_header(h->h_fu, "If-None-Match");
	ims = fake_upstream_last_header(h->h_fu, "If-Modified-Since");
	ck_assert_str_eq(inm, "\"v42\"");
	ck_assert_str_eq(ims, "Sat, 21 Nov 2026 10:00:00 GMT");
	free(inm);
	free(ims);
	harness_stop(h);
}
END_TEST

/* Redirects keep the bearer token on the same host and drop it elsewhere. */
START_TEST(test_redirect_token)
{
	char *path = harness_token_file("t0ken"), *text, *auth;
	char target[160];
	struct json_object *doc;
	struct harness *h;

	ck_assert_int_gt(asprintf(&text,
	                     "[source f]\nurl = @UP@/stats?name=f\n"
	                     "interval = 200ms\ntoken_file = %s\n"
	                     "stat ua = /User-Agent\n",
	                     path),
	    0);
	h = harness_start(NULL, text);
	/* Same host and port: curl sends the token on. */
	snprintf(target, sizeof target,
	    "/redirect?to=http://127.0.0.1:%u/headers",
	    fake_upstream_port(h->h_fu));
	fake_upstream_rewrite(h->h_fu, "f", target);
	doc = harness_wait_polls(h, "f", 3);
	json_object_put(doc);
	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	auth = fake_upstream_last_header(h->h_fu, "Authorization");
	ck_assert_str_eq(auth, "Bearer t0ken");
	free(auth);
	/* Another host ("localhost" is not "127.0.0.1"): it must not. */
	snprintf(target, sizeof target,
	    "/redirect?to=http://localhost:%u/headers",
	    fake_upstream_port(h->h_fu));
	fake_upstream_rewrite(h->h_fu, "f", target);
	doc = harness_source_view(h, "f");
	json_object_put(harness_wait_polls(h, "f",
	    json_object_get_int64(harness_at(doc, "/polls_total")) + 2));
	json_object_put(doc);
	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	auth = fake_upstream_last_header(h->h_fu, "Authorization");
	ck_assert_msg(auth == NULL, "the token travelled: %s", auth);
	free(auth);
	harness_stop(h);
	free(text);
	unlink(path);
	free(path);
}
END_TEST

/* gzip bodies are accepted and decompressed. */
START_TEST(test_gzip)
{
	struct harness *h = harness_start(NULL,
	    "[source f]\nurl = @UP@/gzip\ninterval = 1h\n"
	    "stat total = /data/total\n");
	struct json_object *doc;
	char *enc;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(harness_int(doc, "/values/total"), 7);
	json_object_put(doc);
	enc = fake_upstream_last_header(h->h_fu, "Accept-Encoding");
	ck_assert_ptr_nonnull(enc);
	ck_assert_ptr_nonnull(strstr(enc, "gzip"));
	free(enc);
	harness_stop(h);
}
END_TEST

/* Five failures open the circuit: circuit_open, and no more requests. */
START_TEST(test_circuit_blocks)
{
	struct harness *h =
	    start("@UP@/stats?name=f", "retry_base = 20ms\nretry_max = 40ms\n");
	struct json_object *doc, *ok, *view;
	long long polls;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	fake_upstream_rewrite(h->h_fu, "f", "/status/500");
	doc = wait_kind(h, "circuit_open", &ok);
	ck_assert_msg(doc != NULL, "the circuit never opened");
	ck_assert_ptr_nonnull(ok);
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	ck_assert(json_object_equal(
	    harness_at(doc, "/values"), harness_at(ok, "/values")));
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), 500);
	ck_assert_ptr_nonnull(strstr(
	    harness_str(doc, "/error/message"), "http_status: HTTP 500"));
	json_object_put(doc);
	json_object_put(ok);
	view = harness_source_view(h, "f");
	ck_assert_str_eq(harness_str(view, "/circuit/state"), "open");
	ck_assert_int_eq(harness_int(view, "/circuit/opened"), 1);
	ck_assert_ptr_nonnull(harness_str(view, "/circuit/next_probe_at"));
	ck_assert_int_eq(harness_int(view, "/consecutive_failures"), 5);
	ck_assert_double_ge(
	    json_object_get_double(harness_at(view, "/retry_in_seconds")),
	    15.0);
	ck_assert_double_le(
	    json_object_get_double(harness_at(view, "/retry_in_seconds")),
	    30.0);
	/* The kind in the operators' view stays the real one. */
	ck_assert_str_eq(harness_str(view, "/last_error/kind"), "http_status");
	polls = json_object_get_int64(harness_at(view, "/polls_total"));
	json_object_put(view);
	/* While other polls on, f sends nothing. */
	check_other_alive(h);
	check_other_alive(h);
	view = harness_source_view(h, "f");
	ck_assert_int_eq(
	    json_object_get_int64(harness_at(view, "/polls_total")), polls);
	json_object_put(view);
	harness_stop(h);
}
END_TEST

/* A failed probe opens the circuit again; a good one closes it. */
START_TEST(test_circuit_probe)
{
	struct harness *h = start("@UP@/stats?name=f",
	    "retry_base = 20ms\nretry_max = 40ms\ncircuit_cooldown = 300ms\n");
	struct json_object *doc, *view = NULL;
	int tries;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	fake_upstream_rewrite(h->h_fu, "f", "/status/500");
	for (tries = 0; tries < 1000; tries++) {
		view = harness_source_view(h, "f");
		if (harness_int(view, "/circuit/opened") >= 2)
			break;
		json_object_put(view);
		view = NULL;
		usleep(20 * 1000);
	}
	ck_assert_msg(view != NULL, "a failed probe never reopened it");
	ck_assert_int_eq(harness_int(view, "/consecutive_failures"), 6);
	json_object_put(view);
	fake_upstream_rewrite(h->h_fu, "f", NULL);
	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_msg(doc != NULL, "the probe never closed it");
	ck_assert(
	    json_object_get_type(harness_at(doc, "/error")) == json_type_null);
	json_object_put(doc);
	view = harness_source_view(h, "f");
	ck_assert_str_eq(harness_str(view, "/circuit/state"), "closed");
	ck_assert_int_eq(harness_int(view, "/circuit/opened"), 0);
	ck_assert_int_eq(harness_int(view, "/consecutive_failures"), 0);
	json_object_put(view);
	harness_stop(h);
}
END_TEST

/* Past max_age stale values are still served, flagged expired. */
START_TEST(test_expired)
{
	struct harness *h = start("@UP@/stats?name=f", "max_age = 1500ms\n");
	struct json_object *doc, *ok, *ready;
	struct harness_resp *r;
	char *etag, inm[128];
	int tries;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert(!json_object_get_boolean(harness_at(doc, "/expired")));
	json_object_put(doc);
	ready = harness_get_json(h, "/readyz");
	ck_assert_str_eq(harness_str(ready, "/status"), "ready");
	json_object_put(ready);
	/* One failure, then nothing for 2 min: only time moves on. */
	fake_upstream_rewrite(h->h_fu, "f", "/status/429?retry_after=120");
	doc = wait_kind(h, "rate_limited", &ok);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	r = harness_request(h, "GET", "/api/v1/stats/f", NULL);
	etag = harness_resp_header(r, "ETag");
	harness_resp_free(r);
	for (tries = 0; tries < 500; tries++) {
		doc = harness_get_json(h, "/api/v1/stats/f");
		if (json_object_get_boolean(harness_at(doc, "/expired")))
			break;
		json_object_put(doc);
		doc = NULL;
		usleep(20 * 1000);
	}
	ck_assert_msg(doc != NULL, "never expired");
	/* Expiring is a change: the ETag moves, a conditional GET sees it. */
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	r = harness_request(h, "GET", "/api/v1/stats/f", inm);
	ck_assert_int_eq(r->r_status, 200);
	harness_resp_free(r);
	free(etag);
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	ck_assert(json_object_equal(
	    harness_at(doc, "/values"), harness_at(ok, "/values")));
	json_object_put(doc);
	json_object_put(ok);
	ready = harness_get_json(h, "/readyz");
	ck_assert_str_eq(harness_str(ready, "/status"), "degraded");
	ck_assert_str_eq(harness_str(ready, "/degraded/0"), "f");
	ck_assert_int_eq(
	    json_object_array_length(harness_at(ready, "/degraded")), 1);
	ck_assert(
	    json_object_get_boolean(harness_at(ready, "/sources/f/expired")));
	json_object_put(ready);
	harness_stop(h);
}
END_TEST

/* An upstream failing every other poll for 100 polls loses no value. */
START_TEST(test_flapping)
{
	struct harness *h = harness_start(NULL,
	    "[source f]\nurl = @UP@/flap?name=f\ninterval = 100ms\n"
	    "retry_base = 50ms\nstat total = /data/total\n");
	struct json_object *doc, *view;
	long long total, last_total = 0, polls = 0;
	const char *status;
	int tries;

	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	for (tries = 0; tries < 3000 && polls < 100; tries++) {
		doc = harness_get_json(h, "/api/v1/stats/f");
		status = harness_str(doc, "/status");
		ck_assert_msg(
		    strcmp(status, "ok") == 0 || strcmp(status, "stale") == 0,
		    "status %s", status);
		total = harness_int(doc, "/values/total");
		ck_assert_msg(total >= last_total && total >= 1000,
		    "total went from %lld to %lld", last_total, total);
		last_total = total;
		json_object_put(doc);
		view = harness_source_view(h, "f");
		polls = json_object_get_int64(harness_at(view, "/polls_total"));
		ck_assert_int_le(json_object_get_int64(
		                     harness_at(view, "/consecutive_failures")),
		    1);
		json_object_put(view);
		usleep(10 * 1000);
	}
	ck_assert_int_ge(polls, 100);
	/* Every other poll succeeded: about half the polls added one. */
	ck_assert_int_ge(last_total, 1000 + 45);
	harness_stop(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("matrix");

	harness_init();
	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(
	    tc, test_fault, 0, (int)(sizeof faults / sizeof faults[0]));
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_dns_failure);
	tcase_add_test(tc, test_retry_after_date);
	tcase_add_test(tc, test_not_modified);
	tcase_add_test(tc, test_redirect_token);
	tcase_add_test(tc, test_gzip);
	tcase_add_test(tc, test_circuit_blocks);
	tcase_add_test(tc, test_circuit_probe);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_flapping);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
