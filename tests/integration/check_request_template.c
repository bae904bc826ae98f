/*
 * Integration tests for templates in requests, in process against the
 * fake upstream: a templated url arrives with each value percent-encoded
 * (the fake's /query decodes the arguments, so a value holding & and =
 * comes back whole), header templates are expanded in the source's time
 * zone, a named secret reaches a url, a header and JSON and form bodies
 * encoded for each, and the API shows the template, never its
 * expansion.  The loop reads the real clock: expectations take the day
 * before and after the poll, either of which may be right across
 * midnight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <check.h>

#include "harness.h"
#include "runner.h"
#include "timeutil.h"

/* Formats ms, moved east_s seconds east of UTC, with pattern. */
static void
local_format(
    int64_t ms, long east_s, const char *pattern, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000 + east_s);
	struct tm tm;

	ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
	/* The tests' own patterns. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	ck_assert_uint_gt(strftime(buf, size, pattern, &tm), 0);
#pragma GCC diagnostic pop
}

/* Asserts got is pattern's text at before_ms or at after_ms. */
static void
assert_either(const char *got, int64_t before_ms, int64_t after_ms, long east_s,
    const char *pattern)
{
	char a[128], b[128];

	local_format(before_ms, east_s, pattern, a, sizeof a);
	local_format(after_ms, east_s, pattern, b, sizeof b);
	ck_assert_msg(
	    got != NULL && (strcmp(got, a) == 0 || strcmp(got, b) == 0),
	    "got \"%s\", want \"%s\" or \"%s\"", got ? got : "(null)", a, b);
}

/* The url's values arrive encoded: a date, a Unix time and a date
 * holding & and = each come back whole as the value of their argument;
 * the url's own text is sent as written. */
START_TEST(test_url)
{
	static const char url[] = "/query?from=${today}&tz=${now:unix}"
	                          "&odd=${today:%Y&%m=%d}&sp=a%20b&dollar=$$";
	struct harness *h;
	struct json_object *doc;
	char *src, shown[256];
	int64_t before, after;
	long long tz;

	ck_assert_int_gt(asprintf(&src,
	                     "[source q]\nurl = @UP@%s\ninterval = 1h\n"
	                     "stat from = /from\nstat tz = /tz\n"
	                     "stat odd = /odd\nstat sp = /sp\n"
	                     "stat dollar = /dollar\n",
	                     url),
	    0);
	before = timeutil_wall_ms();
	h = harness_start(NULL, src);
	doc = harness_wait_status(h, "q", "ok", 10000);
	after = timeutil_wall_ms();
	ck_assert_ptr_nonnull(doc);
	assert_either(
	    harness_str(doc, "/values/from"), before, after, 0, "%Y-%m-%d");
	assert_either(
	    harness_str(doc, "/values/odd"), before, after, 0, "%Y&%m=%d");
	tz = atoll(harness_str(doc, "/values/tz"));
	ck_assert_int_ge(tz, before / 1000);
	ck_assert_int_le(tz, after / 1000);
	ck_assert_str_eq(harness_str(doc, "/values/sp"), "a b");
	ck_assert_str_eq(harness_str(doc, "/values/dollar"), "$");
	json_object_put(doc);
	/* The API shows what the config says. */
	doc = harness_get_json(h, "/api/v1/sources");
	ck_assert_ptr_nonnull(doc);
	snprintf(shown, sizeof shown, "%s%s", h->h_up, url);
	ck_assert_str_eq(harness_str(doc, "/sources/0/url"), shown);
	json_object_put(doc);
	harness_stop(h);
	free(src);
}
END_TEST

/* A header's template is expanded in the source's zone, verbatim:
 * Tokyo, 9 hours east of UTC all year. */
START_TEST(test_header_zone)
{
	static const char pattern[] = "%Y%m%d";
	struct harness *h;
	struct json_object *doc;
	char *v, day[16], want[64];
	int64_t before, after;
	struct tm tm = {0};

	before = timeutil_wall_ms();
	h = harness_start(NULL,
	    "[source h]\nurl = @UP@/headers\ninterval = 1h\n"
	    "timezone = Asia/Tokyo\n"
	    "header = X-Day: ${today:%Y%m%d} & ${today:unix}=midnight\n"
	    "stat day = /X-Day\n");
	doc = harness_wait_status(h, "h", "ok", 10000);
	after = timeutil_wall_ms();
	ck_assert_ptr_nonnull(doc);
	v = fake_upstream_last_header(h->h_fu, "X-Day");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(harness_str(doc, "/values/day"), v);
	/* "YYYYMMDD & <that day's midnight in Tokyo>=midnight". */
	snprintf(day, sizeof day, "%.8s", v);
	assert_either(day, before, after, 9 * 3600, pattern);
	ck_assert_ptr_nonnull(strptime(day, pattern, &tm));
	snprintf(want, sizeof want, "%s & %lld=midnight", day,
	    (long long)timegm(&tm) - 9 * 3600);
	ck_assert_str_eq(v, want);
	free(v);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* A header whose expansion changes gets its new text at the next poll
 * (the list is made again only then): ${now:unix_ms} differs each poll. */
START_TEST(test_header_changes)
{
	struct harness *h;
	long long first, later;
	char *v;

	h = harness_start(NULL,
	    "[source h]\nurl = @UP@/headers\ninterval = 100ms\n"
	    "header = X-At: ${now:unix_ms}\nheader = X-Plain: yes\n"
	    "stat at = /X-At\n");
	json_object_put(harness_wait_polls(h, "h", 1));
	ck_assert_ptr_nonnull(v = fake_upstream_last_header(h->h_fu, "X-At"));
	first = atoll(v);
	free(v);
	json_object_put(harness_wait_polls(h, "h", 4));
	ck_assert_ptr_nonnull(v = fake_upstream_last_header(h->h_fu, "X-At"));
	later = atoll(v);
	free(v);
	ck_assert_int_gt(later, first);
	ck_assert_ptr_nonnull(
	    v = fake_upstream_last_header(h->h_fu, "X-Plain"));
	ck_assert_str_eq(v, "yes");
	free(v);
	harness_stop(h);
}
END_TEST

/* The value of the secret test_secrets sends: every character that
 * needs encoding somewhere. */
#define ODD_SECRET "a&b=c%d\"e+f g"

/* Returns the JSON body /echo saw for source name (caller puts). */
static struct json_object *
echoed_body(struct harness *h, const char *name)
{
	struct json_object *doc = harness_wait_status(h, name, "ok", 10000);
	struct json_object *body;

	ck_assert_ptr_nonnull(doc);
	body = json_tokener_parse(harness_str(doc, "/values/body"));
	json_object_put(doc);
	ck_assert_ptr_nonnull(body);
	return body;
}

/* A named secret and a date reach a url, a header, a JSON body and a
 * form body, each encoded for where it lands and arriving whole; the
 * API shows the templates, never the secret. */
START_TEST(test_secrets)
{
	char *file = harness_token_file(ODD_SECRET), *global, *text;
	struct harness *h;
	struct json_object *doc, *body;
	int64_t before, after;
	long long n;

	ck_assert_int_gt(asprintf(&global, "secret odd = %s\n", file), 0);
	before = timeutil_wall_ms();
	h = harness_start(global,
	    "[source u]\nurl = @UP@/query?k=${secret:odd}\ninterval = 1h\n"
	    "stat k = /k\n"
	    "[source hd]\nurl = @UP@/headers\ninterval = 1h\n"
	    "header = X-Key: ${secret:odd}\nstat key = /X-Key\n"
	    "[source j]\nurl = @UP@/echo\ninterval = 1h\nmethod = POST\n"
	    "body = {\"k\": \"${secret:odd}\", \"n\": \"${now:unix}\"}\n"
	    "stat body = /body\n"
	    "[source f]\nurl = @UP@/echo\ninterval = 1h\nmethod = POST\n"
	    "content_type = application/x-www-form-urlencoded\n"
	    "body = a=1&k=${secret:odd}&d=$${x}\nstat body = /body\n");
	doc = harness_wait_status(h, "u", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(harness_str(doc, "/values/k"), ODD_SECRET);
	json_object_put(doc);
	doc = harness_wait_status(h, "hd", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(harness_str(doc, "/values/key"), ODD_SECRET);
	json_object_put(doc);
	/* The JSON body parses, the secret JSON-escaped inside it. */
	body = echoed_body(h, "j");
	after = timeutil_wall_ms();
	ck_assert_str_eq(harness_str(body, "/k"), ODD_SECRET);
	n = atoll(harness_str(body, "/n"));
	ck_assert_int_ge(n, before / 1000);
	ck_assert_int_le(n, after / 1000);
	json_object_put(body);
	/* The form body: the secret form-encoded, "$$" a "$". */
	doc = harness_wait_status(h, "f", "ok", 10000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(harness_str(doc, "/values/body"),
	    "a=1&k=a%26b%3Dc%25d%22e%2Bf+g&d=${x}");
	json_object_put(doc);
	/* The sources show templates; no document holds the secret. */
	doc = harness_get_json(h, "/api/v1/sources");
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(
	    strstr(harness_str(doc, "/sources/0/url"), "?k=${secret:odd}"));
	text = strdup(json_object_to_json_string(doc));
	ck_assert_ptr_null(strstr(text, "c%d"));
	free(text);
	json_object_put(doc);
	harness_stop(h);
	unlink(file);
	free(file);
	free(global);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("request_template");
	TCase *tc = tcase_create("request_template");

	harness_init();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_header_zone);
	tcase_add_test(tc, test_secrets);
	tcase_add_test(tc, test_header_changes);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
