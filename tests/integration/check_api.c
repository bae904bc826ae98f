/*
 * Integration tests of the HTTP API: gatherd's loop runs in a harness
 * thread against a fake upstream, and every check goes over real HTTP
 * as a dashboard's would.  The documents are compared field by field
 * with the contract in the README ("HTTP API"), and the protocol details
 * (ETag and If-None-Match, HEAD, 405, 404, bearer tokens) are checked
 * exactly.
 */
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "harness.h"
#include "runner.h"

/* Bound on every wait for a state, in milliseconds. */
#define WAIT_MS 10000

/* The token the api_token_file test writes and sends. */
#define API_TOKEN "s3cret-Token.42"

/* Two sources on the fake upstream's /stats, polled once an hour. */
static const char two_sources[] = "[source alpha]\n"
                                  "url = @UP@/stats?name=alpha\n"
                                  "interval = 1h\n"
                                  "timeout = 5s\n"
                                  "stat total = /data/total\n"
                                  "stat active = /data/active\n"
                                  "\n"
                                  "[source beta]\n"
                                  "url = @UP@/stats?name=beta\n"
                                  "interval = 1h\n"
                                  "timeout = 5s\n"
                                  "stat total = /data/total\n"
                                  "stat ratio = /data/ratio\n";

/* One source on /stats, polled every 200 ms. */
static const char fast_source[] = "[source fast]\n"
                                  "url = @UP@/stats?name=fast\n"
                                  "interval = 200ms\n"
                                  "timeout = 5s\n"
                                  "stat total = /data/total\n";

/* Returns 1 if s looks like "2026-11-22T10:00:00Z", else 0. */
static int
is_rfc3339(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (s == NULL || strlen(s) != sizeof pat - 1)
		return 0;
	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	}
	return 1;
}

/* Asserts that ptr is present in doc and is JSON null. */
static void
assert_null(struct json_object *doc, const char *ptr)
{
	ck_assert_msg(harness_at(doc, ptr) == NULL, "%s is %s, not null", ptr,
	    json_object_to_json_string(harness_at(doc, ptr)));
}

/* Asserts that ptr is an RFC 3339 UTC time string. */
static void
assert_time(struct json_object *doc, const char *ptr)
{
	const char *s = harness_str(doc, ptr);

	ck_assert_msg(is_rfc3339(s), "%s is %s", ptr, s ? s : "(not a string)");
}

/* Asserts that ptr is an object with exactly n members. */
static void
assert_object_len(struct json_object *doc, const char *ptr, int n)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(json_object_is_type(v, json_type_object),
	    "%s: not an "
	    "object",
	    ptr);
	ck_assert_int_eq(json_object_object_length(v), n);
}

/* Asserts body is {"error": {"status": status, "message": "..."}}. */
static void
assert_error_body(const char *body, long status)
{
	struct json_object *doc;
	const char *msg;

	doc = json_tokener_parse(body);
	ck_assert_msg(doc != NULL, "not JSON: %s", body);
	assert_object_len(doc, "", 1);
	assert_object_len(doc, "/error", 2);
	ck_assert_int_eq(harness_int(doc, "/error/status"), status);
	msg = harness_str(doc, "/error/message");
	ck_assert_ptr_nonnull(msg);
	ck_assert_uint_gt(strlen(msg), 0);
	json_object_put(doc);
}

/* Asserts r is the JSON error document for status. */
static void
assert_json_error(const struct harness_resp *r, long status)
{
	ck_assert_int_eq(r->r_status, status);
	harness_assert_header(r, "Content-Type", "application/json");
	assert_error_body(r->r_body, status);
}

/* Makes a request with one extra header and returns its parsed body. */
static struct json_object *
request_json(
    struct harness *h, const char *path, const char *header, long status)
{
	struct harness_resp *r = harness_request(h, "GET", path, header);
	struct json_object *doc;

	ck_assert_int_eq(r->r_status, status);
	doc = json_tokener_parse(r->r_body);
	ck_assert_msg(doc != NULL, "not JSON: %s", r->r_body);
	harness_resp_free(r);
	return doc;
}

/* Waits until source name is ok, failing the test on timeout. */
static void
wait_ok(struct harness *h, const char *name)
{
	struct json_object *doc;

	doc = harness_wait_status(h, name, "ok", WAIT_MS);
	ck_assert_msg(doc != NULL, "source %s never became ok", name);
	json_object_put(doc);
}

/* Returns source 0's polls_total once it is above n; -1 on timeout. */
static long long
wait_polls_above(struct harness *h, long long n)
{
	struct json_object *doc;
	long long polls;
	int tries;

	for (tries = 0; tries <= WAIT_MS / 20; tries++) {
		doc = harness_get_json(h, "/api/v1/sources");
		polls = harness_int(doc, "/sources/0/polls_total");
		json_object_put(doc);
		if (polls > n)
			return polls;
		usleep(20 * 1000);
	}
	return -1;
}

/* Asserts the stats object at ptr of a source whose one poll succeeded. */
static void
assert_ok_entry(struct json_object *doc, const char *ptr, int nvalues)
{
	char p[128];
	double age;

	snprintf(p, sizeof p, "%s/status", ptr);
	ck_assert_str_eq(harness_str(doc, p), "ok");
	snprintf(p, sizeof p, "%s/updated_at", ptr);
	assert_time(doc, p);
	snprintf(p, sizeof p, "%s/age_seconds", ptr);
	age = harness_number(doc, p);
	ck_assert_msg(age >= 0.0 && age < 3600.0, "age_seconds %f", age);
	snprintf(p, sizeof p, "%s/values", ptr);
	assert_object_len(doc, p, nvalues);
	/* The first request of a name= series answers total 1000. */
	snprintf(p, sizeof p, "%s/values/total", ptr);
	ck_assert_int_eq(harness_int(doc, p), 1000);
	snprintf(p, sizeof p, "%s/error", ptr);
	assert_null(doc, p);
	snprintf(p, sizeof p, "%s/expired", ptr);
	ck_assert(json_object_is_type(harness_at(doc, p), json_type_boolean));
	ck_assert(!json_object_get_boolean(harness_at(doc, p)));
}

/* /api/v1/stats has exactly the shape and values of the contract. */
START_TEST(test_stats_document)
{
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *r;
	struct json_object *doc;

	wait_ok(h, "alpha");
	wait_ok(h, "beta");
	r = harness_request(h, "GET", "/api/v1/stats", NULL);
	ck_assert_int_eq(r->r_status, 200);
	harness_assert_header(r, "Content-Type", "application/json");
	doc = json_tokener_parse(r->r_body);
	ck_assert_msg(doc != NULL, "not JSON: %s", r->r_body);
	assert_object_len(doc, "", 2);
	assert_time(doc, "/generated_at");
	assert_object_len(doc, "/sources", 2);
	assert_object_len(doc, "/sources/alpha", 6);
	assert_ok_entry(doc, "/sources/alpha", 2);
	/* active is total % 100 + 1 in the fake upstream. */
	ck_assert_int_eq(harness_int(doc, "/sources/alpha/values/active"), 1);
	assert_object_len(doc, "/sources/beta", 6);
	assert_ok_entry(doc, "/sources/beta", 2);
	ck_assert(json_object_is_type(
	    harness_at(doc, "/sources/beta/values/ratio"), json_type_double));
	ck_assert(json_object_get_double(
	              harness_at(doc, "/sources/beta/values/ratio")) == 0.25);
	json_object_put(doc);
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* /api/v1/stats/NAME is the source's entry plus name and generated_at. */
START_TEST(test_source_document)
{
	struct harness *h = harness_start(NULL, two_sources);
	struct json_object *one, *all;

	wait_ok(h, "alpha");
	wait_ok(h, "beta");
	one = request_json(h, "/api/v1/stats/alpha", NULL, 200);
	assert_object_len(one, "", 8);
	ck_assert_str_eq(harness_str(one, "/name"), "alpha");
	assert_time(one, "/generated_at");
	assert_ok_entry(one, "", 2);
	ck_assert_int_eq(harness_int(one, "/values/active"), 1);
	all = request_json(h, "/api/v1/stats", NULL, 200);
	ck_assert(json_object_equal(harness_at(one, "/values"),
	    harness_at(all, "/sources/alpha/values")));
	ck_assert_str_eq(harness_str(one, "/updated_at"),
	    harness_str(all, "/sources/alpha/updated_at"));
	json_object_put(all);
	json_object_put(one);
	harness_stop(h);
}
END_TEST

/* An unknown source is a 404 with the JSON error body. */
START_TEST(test_unknown_source)
{
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *r;

	r = harness_request(h, "GET", "/api/v1/stats/gamma", NULL);
	assert_json_error(r, 404);
	harness_resp_free(r);
	r = harness_request(h, "GET", "/api/v1/stats/", NULL);
	assert_json_error(r, 404);
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* /api/v1/sources lists every source with its settings and counters. */
START_TEST(test_sources_view)
{
	struct harness *h = harness_start(NULL, two_sources);
	struct json_object *doc, *src;
	char url[128];

	wait_ok(h, "alpha");
	wait_ok(h, "beta");
	doc = request_json(h, "/api/v1/sources", NULL, 200);
	ck_assert(
	    json_object_is_type(harness_at(doc, "/sources"), json_type_array));
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(doc, "/sources")), 2);
	src = harness_at(doc, "/sources/0");
	ck_assert_str_eq(harness_str(src, "/name"), "alpha");
	snprintf(url, sizeof url, "%s/stats?name=alpha", h->h_up);
	ck_assert_str_eq(harness_str(src, "/url"), url);
	ck_assert(harness_number(src, "/interval_seconds") == 3600.0);
	ck_assert(harness_number(src, "/timeout_seconds") == 5.0);
	ck_assert(
	    json_object_is_type(harness_at(src, "/stats"), json_type_array));
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(src, "/stats")), 2);
	ck_assert_str_eq(harness_str(src, "/stats/0"), "total");
	ck_assert_str_eq(harness_str(src, "/stats/1"), "active");
	ck_assert_str_eq(harness_str(src, "/status"), "ok");
	assert_time(src, "/last_attempt_at");
	assert_time(src, "/next_poll_at");
	ck_assert_int_eq(harness_int(src, "/consecutive_failures"), 0);
	ck_assert_int_eq(harness_int(src, "/polls_total"), 1);
	ck_assert_int_eq(harness_int(src, "/failures_total"), 0);
	assert_null(src, "/last_error");
	src = harness_at(doc, "/sources/1");
	ck_assert_str_eq(harness_str(src, "/name"), "beta");
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(src, "/stats")), 2);
	ck_assert_str_eq(harness_str(src, "/stats/1"), "ratio");
	ck_assert_int_eq(harness_int(src, "/polls_total"), 1);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* Credentials in a source's url never appear in the API. */
START_TEST(test_sources_redact_credentials)
{
	/* Nothing listens on port 1: the poll fails with kind connect. */
	struct harness *h = harness_start(NULL,
	    "[source locked]\n"
	    "url = http://user:pw@127.0.0.1:1/x\n"
	    "interval = 1h\n"
	    "stat total = /data/total\n");
	struct harness_resp *r;
	struct json_object *doc;

	doc = harness_wait_error(h, "locked", "connect", WAIT_MS);
	ck_assert_msg(doc != NULL, "source locked never failed to connect");
	json_object_put(doc);
	r = harness_request(h, "GET", "/api/v1/sources", NULL);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_msg(strstr(r->r_body, "pw") == NULL, "leak: %s", r->r_body);
	ck_assert_msg(
	    strstr(r->r_body, "user:") == NULL, "leak: %s", r->r_body);
	doc = json_tokener_parse(r->r_body);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(
	    harness_str(doc, "/sources/0/url"), "http://127.0.0.1:1/x");
	ck_assert_str_eq(harness_str(doc, "/sources/0/status"), "error");
	ck_assert_str_eq(
	    harness_str(doc, "/sources/0/last_error/kind"), "connect");
	/* A retry may have come already (full jitter can be ~0 s). */
	ck_assert_int_ge(harness_int(doc, "/sources/0/polls_total"), 1);
	ck_assert_int_eq(harness_int(doc, "/sources/0/failures_total"),
	    harness_int(doc, "/sources/0/polls_total"));
	ck_assert_int_eq(harness_int(doc, "/sources/0/consecutive_failures"),
	    harness_int(doc, "/sources/0/polls_total"));
	json_object_put(doc);
	harness_resp_free(r);
	r = harness_request(h, "GET", "/api/v1/stats", NULL);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_msg(strstr(r->r_body, "pw") == NULL, "leak: %s", r->r_body);
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* /healthz answers 200 {"status":"ok"}. */
START_TEST(test_healthz)
{
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *r;
	struct json_object *doc;

	r = harness_request(h, "GET", "/healthz", NULL);
	ck_assert_int_eq(r->r_status, 200);
	harness_assert_header(r, "Content-Type", "application/json");
	doc = json_tokener_parse(r->r_body);
	ck_assert_ptr_nonnull(doc);
	assert_object_len(doc, "", 1);
	ck_assert_str_eq(harness_str(doc, "/status"), "ok");
	json_object_put(doc);
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* Sends If-None-Match: inm to path and asserts the status. */
static void
assert_conditional(
    struct harness *h, const char *path, const char *inm, long status)
{
	struct harness_resp *r;
	char hdr[256];

	snprintf(hdr, sizeof hdr, "If-None-Match: %s", inm);
	r = harness_request(h, "GET", path, hdr);
	ck_assert_msg(r->r_status == status, "%s: %s gave %ld, not %ld", path,
	    hdr, r->r_status, status);
	if (status == 304)
		ck_assert_uint_eq(r->r_len, 0);
	else
		ck_assert_uint_gt(r->r_len, 0);
	harness_resp_free(r);
}

/* A repeated GET with the ETag in If-None-Match is a 304, no body. */
START_TEST(test_etag_not_modified)
{
	static const char *paths[] = {
	    "/api/v1/stats", "/api/v1/stats/alpha", "/api/v1/sources"};
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *r;
	char *etag, *etag304, hdr[256];
	size_t i;

	wait_ok(h, "alpha");
	wait_ok(h, "beta");
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_int_eq(r->r_status, 200);
		etag = harness_resp_header(r, "ETag");
		ck_assert_msg(etag != NULL, "%s: no ETag", paths[i]);
		/* Weak: ages inside may move on, the data does not. */
		ck_assert_uint_ge(strlen(etag), 5);
		ck_assert_int_eq(strncmp(etag, "W/\"", 3), 0);
		ck_assert_int_eq(etag[strlen(etag) - 1], '"');
		harness_resp_free(r);
		snprintf(hdr, sizeof hdr, "If-None-Match: %s", etag);
		r = harness_request(h, "GET", paths[i], hdr);
		ck_assert_int_eq(r->r_status, 304);
		ck_assert_uint_eq(r->r_len, 0);
		etag304 = harness_resp_header(r, "ETag");
		ck_assert_ptr_nonnull(etag304);
		ck_assert_str_eq(etag304, etag);
		free(etag304);
		harness_resp_free(r);
		free(etag);
	}
	harness_stop(h);
}
END_TEST

/* Weak, strong and listed forms of the ETag match; other ETags do not. */
START_TEST(test_etag_forms)
{
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *r;
	char *etag, inm[256];

	wait_ok(h, "alpha");
	wait_ok(h, "beta");
	r = harness_request(h, "GET", "/api/v1/stats", NULL);
	ck_assert_int_eq(r->r_status, 200);
	etag = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	harness_resp_free(r);
	ck_assert_int_eq(strncmp(etag, "W/\"", 3), 0);
	assert_conditional(h, "/api/v1/stats", etag + 2, 304);
	snprintf(inm, sizeof inm, "\"a\", %s", etag);
	assert_conditional(h, "/api/v1/stats", inm, 304);
	snprintf(inm, sizeof inm, "\"a\",%s", etag);
	assert_conditional(h, "/api/v1/stats", inm, 304);
	snprintf(inm, sizeof inm, "%s, \"b\"", etag);
	assert_conditional(h, "/api/v1/stats", inm, 304);
	assert_conditional(h, "/api/v1/stats", "*", 304);
	assert_conditional(h, "/api/v1/stats", "\"a\"", 200);
	assert_conditional(h, "/api/v1/stats", "\"a\", W/\"b\"", 200);
	/* The ETag without its quotes names a different tag. */
	snprintf(inm, sizeof inm, "%.*s", (int)strlen(etag) - 4, etag + 3);
	assert_conditional(h, "/api/v1/stats", inm, 200);
	free(etag);
	harness_stop(h);
}
END_TEST

/* After the cache changes the ETag differs and the old one gets a 200. */
START_TEST(test_etag_changes)
{
	struct harness *h = harness_start(NULL, fast_source);
	struct harness_resp *r;
	struct json_object *doc;
	char *old, *cur;
	long long polls;

	wait_ok(h, "fast");
	r = harness_request(h, "GET", "/api/v1/stats", NULL);
	ck_assert_int_eq(r->r_status, 200);
	old = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(old);
	harness_resp_free(r);
	doc = harness_get_json(h, "/api/v1/sources");
	polls = harness_int(doc, "/sources/0/polls_total");
	json_object_put(doc);
	ck_assert_int_ge(polls, 1);
	ck_assert_msg(wait_polls_above(h, polls) > polls, "no new poll");
	assert_conditional(h, "/api/v1/stats", old, 200);
	r = harness_request(h, "GET", "/api/v1/stats", NULL);
	ck_assert_int_eq(r->r_status, 200);
	cur = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(cur);
	ck_assert_str_ne(cur, old);
	harness_resp_free(r);
	free(cur);
	free(old);
	harness_stop(h);
}
END_TEST

/* HEAD is a 200 without a body and with GET's Content-Length (the event
 * stream's has none). */
START_TEST(test_head)
{
	static const char *paths[] = {"/api/v1/stats", "/api/v1/stats/beta",
	    "/api/v1/sources", "/healthz"};
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *get, *head;
	char *len, want[32];
	size_t i;

	wait_ok(h, "alpha");
	wait_ok(h, "beta");
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		get = harness_request(h, "GET", paths[i], NULL);
		ck_assert_int_eq(get->r_status, 200);
		ck_assert_uint_gt(get->r_len, 0);
		head = harness_request(h, "HEAD", paths[i], NULL);
		ck_assert_int_eq(head->r_status, 200);
		ck_assert_uint_eq(head->r_len, 0);
		len = harness_resp_header(head, "Content-Length");
		ck_assert_msg(
		    len != NULL, "%s: HEAD without Content-Length", paths[i]);
		snprintf(want, sizeof want, "%zu", get->r_len);
		ck_assert_str_eq(len, want);
		harness_assert_header(head, "Content-Type", "application/json");
		free(len);
		harness_resp_free(head);
		harness_resp_free(get);
	}
	/* The event stream's HEAD: its headers, and no stream is opened. */
	head = harness_request(h, "HEAD", "/api/v1/events", NULL);
	ck_assert_int_eq(head->r_status, 200);
	ck_assert_uint_eq(head->r_len, 0);
	harness_assert_header(head, "Content-Type", "text/event-stream");
	harness_resp_free(head);
	get = harness_request(h, "GET", "/metrics", NULL);
	ck_assert_int_eq(get->r_status, 200);
	ck_assert_ptr_nonnull(strstr(get->r_body, "gatherd_event_streams 0\n"));
	harness_resp_free(get);
	harness_stop(h);
}
END_TEST

/* POST, DELETE and PUT get 405 with Allow: GET, HEAD and a JSON error. */
START_TEST(test_method_not_allowed)
{
	static const char *methods[] = {"POST", "DELETE", "PUT"};
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *r;
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		r = harness_request(h, methods[i], "/api/v1/stats", NULL);
		assert_json_error(r, 405);
		harness_assert_header(r, "Allow", "GET, HEAD");
		harness_resp_free(r);
	}
	r = harness_request(h, "DELETE", "/healthz", NULL);
	assert_json_error(r, 405);
	harness_assert_header(r, "Allow", "GET, HEAD");
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* A GET that carries a body is refused with a JSON error. */
START_TEST(test_get_with_body)
{
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_buf b = {NULL, 0};
	struct curl_slist *hdrs;
	char url[256], *ctype = NULL;
	long status = 0;
	CURL *c;

	/* harness_request cannot send a body, so this one is made here. */
	snprintf(url, sizeof url, "%s/api/v1/stats", h->h_base_url);
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	hdrs = curl_slist_append(NULL, "Content-Type: text/plain");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "GET");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "some=body");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
	ck_assert_int_eq(status, 413);
	ck_assert_ptr_nonnull(ctype);
	ck_assert_str_eq(ctype, "application/json");
	ck_assert_ptr_nonnull(b.b_data);
	assert_error_body(b.b_data, 413);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	free(b.b_data);
	harness_stop(h);
}
END_TEST

/* Unknown paths are a 404 with the JSON error body. */
START_TEST(test_unknown_path)
{
	static const char *paths[] = {"/nope", "/api/v1/statsx",
	    "/api/v1/stats/alpha/extra", "/api/v2/stats", "/api/v1/source"};
	struct harness *h = harness_start(NULL, two_sources);
	struct harness_resp *r;
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_msg(
		    r->r_status == 404, "%s gave %ld", paths[i], r->r_status);
		assert_json_error(r, 404);
		harness_resp_free(r);
	}
	harness_stop(h);
}
END_TEST

/* A source whose first poll has not finished is pending, with nulls. */
START_TEST(test_pending_source)
{
	/*
	 * The harness fixes initial_spread = 0 (a second initial_spread
	 * line would be a duplicate key), so the first poll starts at once;
	 * the upstream holds it for a minute, longer than this test lasts.
	 */
	struct harness *h = harness_start(NULL,
	    "[source slow]\n"
	    "url = @UP@/stats?name=slow&delay_ms=60000\n"
	    "interval = 1h\n"
	    "timeout = 50s\n"
	    "stat total = /data/total\n");
	struct json_object *doc;

	doc = request_json(h, "/api/v1/stats/slow", NULL, 200);
	assert_object_len(doc, "", 8);
	ck_assert_str_eq(harness_str(doc, "/status"), "pending");
	assert_null(doc, "/updated_at");
	assert_null(doc, "/age_seconds");
	assert_object_len(doc, "/values", 0);
	assert_null(doc, "/error");
	json_object_put(doc);
	doc = request_json(h, "/api/v1/stats", NULL, 200);
	assert_object_len(doc, "/sources/slow", 6);
	ck_assert_str_eq(harness_str(doc, "/sources/slow/status"), "pending");
	assert_null(doc, "/sources/slow/updated_at");
	assert_null(doc, "/sources/slow/age_seconds");
	assert_object_len(doc, "/sources/slow/values", 0);
	assert_null(doc, "/sources/slow/error");
	json_object_put(doc);
	doc = request_json(h, "/api/v1/sources", NULL, 200);
	ck_assert_str_eq(harness_str(doc, "/sources/0/status"), "pending");
	assert_null(doc, "/sources/0/last_attempt_at");
	assert_null(doc, "/sources/0/last_error");
	ck_assert_int_eq(harness_int(doc, "/sources/0/polls_total"), 0);
	ck_assert_int_eq(harness_int(doc, "/sources/0/failures_total"), 0);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* Requests path with header and asserts a 401 asking for a bearer token. */
static void
assert_unauthorized(struct harness *h, const char *path, const char *header)
{
	struct harness_resp *r = harness_request(h, "GET", path, header);

	assert_json_error(r, 401);
	harness_assert_header(r, "WWW-Authenticate", "Bearer");
	harness_resp_free(r);
}

/* With api_token_file, the API wants the bearer token; /healthz does not. */
START_TEST(test_api_token)
{
	struct harness *h;
	struct harness_resp *r;
	struct json_object *doc;
	char *path, *global;

	path = harness_token_file(API_TOKEN);
	ck_assert_int_gt(asprintf(&global, "api_token_file = %s\n", path), 0);
	h = harness_start(global, two_sources);
	assert_unauthorized(h, "/api/v1/stats", NULL);
	assert_unauthorized(h, "/api/v1/stats/alpha", NULL);
	assert_unauthorized(h, "/api/v1/sources", NULL);
	assert_unauthorized(h, "/api/v1/stats", "Authorization: Bearer wrong");
	assert_unauthorized(
	    h, "/api/v1/stats", "Authorization: Bearer " API_TOKEN "x");
	assert_unauthorized(
	    h, "/api/v1/stats", "Authorization: Bearer s3cret-Token.4");
	assert_unauthorized(h, "/api/v1/stats", "Authorization: Bearer ");
	assert_unauthorized(h, "/api/v1/stats", "Authorization: " API_TOKEN);
	assert_unauthorized(
	    h, "/api/v1/stats", "Authorization: Basic " API_TOKEN);
	doc = request_json(
	    h, "/api/v1/stats", "Authorization: Bearer " API_TOKEN, 200);
	assert_time(doc, "/generated_at");
	assert_object_len(doc, "/sources", 2);
	json_object_put(doc);
	r = harness_request(
	    h, "GET", "/api/v1/sources", "Authorization: Bearer " API_TOKEN);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_msg(strstr(r->r_body, API_TOKEN) == NULL, "token shown");
	harness_resp_free(r);
	r = harness_request(h, "GET", "/healthz", NULL);
	ck_assert_int_eq(r->r_status, 200);
	harness_resp_free(r);
	harness_stop(h);
	ck_assert_int_eq(unlink(path), 0);
	free(global);
	free(path);
}
END_TEST

/* A source answering 503 with no good value is in status error. */
START_TEST(test_error_source)
{
	struct harness *h = harness_start(NULL,
	    "[source broken]\n"
	    "url = @UP@/status/503\n"
	    "interval = 1h\n"
	    "stat total = /data/total\n");
	struct json_object *doc;

	doc = harness_wait_status(h, "broken", "error", WAIT_MS);
	ck_assert_msg(doc != NULL, "source broken never became error");
	assert_object_len(doc, "", 8);
	assert_null(doc, "/updated_at");
	assert_null(doc, "/age_seconds");
	assert_object_len(doc, "/values", 0);
	assert_object_len(doc, "/error", 4);
	ck_assert_str_eq(harness_str(doc, "/error/kind"), "http_status");
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), 503);
	ck_assert_ptr_nonnull(harness_str(doc, "/error/message"));
	assert_time(doc, "/error/at");
	json_object_put(doc);
	doc = request_json(h, "/api/v1/sources", NULL, 200);
	ck_assert_str_eq(
	    harness_str(doc, "/sources/0/last_error/kind"), "http_status");
	ck_assert_int_eq(
	    harness_int(doc, "/sources/0/last_error/http_status"), 503);
	ck_assert_int_eq(harness_int(doc, "/sources/0/failures_total"), 1);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* With no new poll, ages still move on and the weak ETag stays. */
START_TEST(test_age_advances)
{
	struct harness *h = harness_start(NULL,
	    "[source idle]\n"
	    "url = @UP@/stats\ninterval = 1h\nstat total = /data/total\n");
	struct harness_resp *r;
	struct json_object *first, *later = NULL;
	char *etag1, *etag2 = NULL;
	int tries;

	first = harness_wait_status(h, "idle", "ok", 10000);
	ck_assert_ptr_nonnull(first);
	r = harness_request(h, "GET", "/api/v1/stats/idle", NULL);
	etag1 = harness_resp_header(r, "ETag");
	harness_resp_free(r);
	for (tries = 0; tries < 250; tries++) {
		r = harness_request(h, "GET", "/api/v1/stats/idle", NULL);
		later = json_tokener_parse(r->r_body);
		free(etag2);
		etag2 = harness_resp_header(r, "ETag");
		harness_resp_free(r);
		if (strcmp(harness_str(later, "/generated_at"),
		        harness_str(first, "/generated_at")) != 0)
			break;
		json_object_put(later);
		later = NULL;
		usleep(20 * 1000);
	}
	ck_assert_msg(later != NULL, "generated_at never moved on");
	ck_assert_double_gt(json_object_get_double(
	                        json_object_object_get(later, "age_seconds")),
	    json_object_get_double(
	        json_object_object_get(first, "age_seconds")));
	ck_assert_str_eq(harness_str(later, "/updated_at"),
	    harness_str(first, "/updated_at"));
	ck_assert_str_eq(etag2, etag1);
	free(etag1);
	free(etag2);
	json_object_put(first);
	json_object_put(later);
	harness_stop(h);
}
END_TEST

/*
 * libevent's memory, freed while quarantine_on is set, is filled with
 * QUARANTINE_BYTE and kept instead: quarantine_end then tells whether
 * anything wrote to it after it was freed, which ASan cannot see inside
 * the (uninstrumented) libevent.  Installed for the whole file in main.
 */
#define QUARANTINE_MAX 4096
#define QUARANTINE_BYTE 0xdb

static int quarantine_on;
static void *quarantine[QUARANTINE_MAX];
static size_t quarantine_n;

/* libevent's malloc. */
static void *
quarantine_malloc(size_t n)
{
	return malloc(n);
}

/* libevent's realloc. */
static void *
quarantine_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

/* libevent's free: keeps and poisons p while quarantine_on is set. */
static void
quarantine_free(void *p)
{
	if (p != NULL && quarantine_on && quarantine_n < QUARANTINE_MAX) {
		memset(p, QUARANTINE_BYTE, malloc_usable_size(p));
		quarantine[quarantine_n++] = p;
		return;
	}
	free(p);
}

/* Ends the quarantine and frees what it kept; returns how many of those
 * blocks were written to after libevent freed them. */
static size_t
quarantine_end(void)
{
	size_t i, j, n, dirty = 0;
	unsigned char *b;

	quarantine_on = 0;
	for (i = 0; i < quarantine_n; i++) {
		b = quarantine[i];
		n = malloc_usable_size(b);
		for (j = 0; j < n && b[j] == QUARANTINE_BYTE; j++)
			;
		if (j < n)
			dirty++;
		free(b);
	}
	quarantine_n = 0;
	return dirty;
}

/*
 * Asks for /api/v1/events on a raw socket (a stream never ends, so not
 * through libcurl), with an optional extra header line; returns the fd.
 */
static int
event_stream_request(struct harness *h, const char *header)
{
	char req[256];
	int fd, n;

	n = snprintf(req, sizeof req,
	    "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s\r\n",
	    header ? header : "", header ? "\r\n" : "");
	ck_assert(n > 0 && (size_t)n < sizeof req);
	fd = harness_connect(h);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	return fd;
}

/* Returns the status code /api/v1/events answers with header. */
static long
event_stream_status(struct harness *h, const char *header)
{
	struct pollfd pfd;
	char buf[64];
	size_t len = 0;
	ssize_t n;
	long status;

	pfd.fd = event_stream_request(h, header);
	pfd.events = POLLIN;
	buf[0] = '\0';
	/* "HTTP/1.1 200 OK\r\n": the status line is all we need. */
	while (strstr(buf, "\r\n") == NULL && len < sizeof buf - 1) {
		ck_assert_msg(poll(&pfd, 1, WAIT_MS) == 1, "no answer");
		ck_assert_int_gt(
		    n = read(pfd.fd, buf + len, sizeof buf - 1 - len), 0);
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(pfd.fd);
	ck_assert_msg(sscanf(buf, "HTTP/1.%*d %ld", &status) == 1,
	    "no status line: %s", buf);
	return status;
}

/* Opens /api/v1/events on a raw socket and reads its first event. */
static int
open_event_stream(struct harness *h)
{
	struct pollfd pfd;
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = event_stream_request(h, NULL);
	pfd.fd = fd;
	pfd.events = POLLIN;
	buf[0] = '\0';
	while (strstr(buf, "event: stats\n") == NULL && len < sizeof buf - 1) {
		ck_assert_msg(poll(&pfd, 1, WAIT_MS) == 1, "no event");
		ck_assert_int_gt(
		    n = read(fd, buf + len, sizeof buf - 1 - len), 0);
		len += (size_t)n;
		buf[len] = '\0';
	}
	ck_assert_ptr_nonnull(strstr(buf, "event: stats\n"));
	return fd;
}

/*
 * Stopping with an event stream open and waiting: ending the stream kicks
 * the API's timer, which api_free used to have freed already, so
 * event_add wrote into freed memory (found by valgrind on check_events).
 */
START_TEST(test_free_with_stream)
{
	struct harness *h = harness_start(NULL, two_sources);
	int fd;

	json_object_put(harness_wait_status(h, "alpha", "ok", WAIT_MS));
	fd = open_event_stream(h);
	/* Nothing changes for an hour: the stream is suspended, waiting. */
	usleep(500 * 1000);
	quarantine_on = 1;
	harness_stop(h);
	ck_assert_uint_eq(quarantine_end(), 0);
	close(fd);
}
END_TEST

/* Returns the status of a GET of path with an optional header line. */
static long
status_with(struct harness *h, const char *path, const char *header)
{
	struct harness_resp *r = harness_request(h, "GET", path, header);
	long status = r->r_status;

	harness_resp_free(r);
	return status;
}

/*
 * With api_token_file, the dashboard's files load without the token (so
 * the page can ask for it), while the API, its event stream and /metrics
 * still need it.
 */
START_TEST(test_api_token_dashboard)
{
	static const char *const files[] = {
	    "/", "/index.html", "/app.js", "/style.css", "/favicon.svg"};
	static const char *const guarded[] = {
	    "/api/v1/stats", "/api/v1/sources", "/metrics", "/api/v1/nope"};
	static const char bearer[] = "Authorization: Bearer " API_TOKEN;
	struct harness *h;
	char *path, *global;
	size_t i;

	path = harness_token_file(API_TOKEN);
	ck_assert_int_gt(
	    asprintf(&global, "api_token_file = %s\nweb_root = %s\n", path,
	        TEST_WEB_ROOT),
	    0);
	h = harness_start(global, two_sources);
	for (i = 0; i < sizeof files / sizeof files[0]; i++)
		ck_assert_msg(status_with(h, files[i], NULL) == 200,
		    "%s needs the token", files[i]);
	ck_assert_int_eq(status_with(h, "/nope.html", NULL), 404);
	for (i = 0; i < sizeof guarded / sizeof guarded[0]; i++)
		assert_unauthorized(h, guarded[i], NULL);
	ck_assert_int_eq(status_with(h, "/api/v1/stats", bearer), 200);
	ck_assert_int_eq(status_with(h, "/metrics", bearer), 200);
	ck_assert_int_eq(status_with(h, "/api/v1/nope", bearer), 404);
	ck_assert_int_eq(event_stream_status(h, NULL), 401);
	ck_assert_int_eq(
	    event_stream_status(h, "Authorization: Bearer wrong"), 401);
	ck_assert_int_eq(event_stream_status(h, bearer), 200);
	harness_stop(h);
	ck_assert_int_eq(unlink(path), 0);
	free(global);
	free(path);
}
END_TEST

/* %XX is decoded as MHD does, and a decoded NUL cannot end the path. */
START_TEST(test_unescape)
{
	char a[] = "/app%2Ejs", b[] = "/app.js%00.html", c[] = "/%zz%4",
	     d[] = "%2f%2F", e[] = "";

	ck_assert_uint_eq(api_unescape(a), 7);
	ck_assert_str_eq(a, "/app.js");
	ck_assert_uint_eq(api_unescape(b), 13);
	ck_assert_str_eq(b, "/app.js\x01.html");
	ck_assert_uint_eq(api_unescape(c), 6);
	ck_assert_str_eq(c, "/%zz%4");
	ck_assert_uint_eq(api_unescape(d), 2);
	ck_assert_str_eq(d, "//");
	ck_assert_uint_eq(api_unescape(e), 0);
}
END_TEST

/* Builds the suite. */
static Suite *
api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc;

	tc = tcase_create("documents");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_stats_document);
	tcase_add_test(tc, test_source_document);
	tcase_add_test(tc, test_unknown_source);
	tcase_add_test(tc, test_sources_view);
	tcase_add_test(tc, test_sources_redact_credentials);
	tcase_add_test(tc, test_healthz);
	tcase_add_test(tc, test_pending_source);
	tcase_add_test(tc, test_error_source);
	suite_add_tcase(s, tc);

	tc = tcase_create("protocol");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_etag_not_modified);
	tcase_add_test(tc, test_etag_forms);
	tcase_add_test(tc, test_age_advances);
	tcase_add_test(tc, test_etag_changes);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_method_not_allowed);
	tcase_add_test(tc, test_get_with_body);
	tcase_add_test(tc, test_unknown_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("routing");
	tcase_add_test(tc, test_unescape);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_free_with_stream);
	suite_add_tcase(s, tc);

	tc = tcase_create("security");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_api_token);
	tcase_add_test(tc, test_api_token_dashboard);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* Before libevent allocates anything: see quarantine_free. */
	event_set_mem_functions(
	    quarantine_malloc, quarantine_realloc, quarantine_free);
	harness_init();
	return runner_run(api_suite()) == 0 ? 0 : 1;
}
