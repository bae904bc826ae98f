/*
 * Unit tests for the outcome module: curl results and HTTP statuses to
 * error kinds and messages, the 304 that keeps values, and the server's
 * retry hint from Retry-After and the rate-limit reset headers.  Pure:
 * the transfer's report, its headers and the clock are fixed inputs.
 */
#include <stddef.h>
#include <string.h>

#include <check.h>

#include "log.h"
#include "outcome.h"
#include "runner.h"

#define NOW_MS 1795000000000LL /* 2026-11-18T11:06:40Z */

/* A fixed response's headers: name, value pairs ending in NULL. */
static const char *
header_cb(void *arg, const char *name)
{
	const char **h = arg;

	for (; h != NULL && h[0] != NULL; h += 2)
		if (strcasecmp(h[0], name) == 0)
			return h[1];
	return NULL;
}

/* Returns a report of a transfer that ended with rc and status. */
static struct outcome_in
report(CURLcode rc, long status, const char **headers)
{
	struct outcome_in in = {0};

	in.oi_rc = rc;
	in.oi_status = status;
	in.oi_errbuf = "";
	in.oi_max_body = 1024;
	in.oi_header = header_cb;
	in.oi_header_arg = headers;
	in.oi_now_ms = NOW_MS;
	return in;
}

/* curl's results map to the API's kinds; unknown ones are connect. */
START_TEST(test_curl_kind)
{
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_COULDNT_RESOLVE_HOST, 0), SOURCE_ERR_DNS);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_COULDNT_RESOLVE_PROXY, 0), SOURCE_ERR_DNS);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_OPERATION_TIMEDOUT, 0), SOURCE_ERR_TIMEOUT);
	ck_assert_int_eq(outcome_curl_kind(CURLE_PEER_FAILED_VERIFICATION, 0),
	    SOURCE_ERR_TLS);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_USE_SSL_FAILED, 0), SOURCE_ERR_TLS);
	ck_assert_int_eq(outcome_curl_kind(CURLE_FILESIZE_EXCEEDED, 0),
	    SOURCE_ERR_TOO_LARGE);
	/* A write error is the cap only when the body passed it. */
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_WRITE_ERROR, 1), SOURCE_ERR_TOO_LARGE);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_WRITE_ERROR, 0), SOURCE_ERR_INTERNAL);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_OUT_OF_MEMORY, 0), SOURCE_ERR_INTERNAL);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_BAD_CONTENT_ENCODING, 0), SOURCE_ERR_PARSE);
	ck_assert_int_eq(outcome_curl_kind(CURLE_TOO_MANY_REDIRECTS, 0),
	    SOURCE_ERR_HTTP_STATUS);
	ck_assert_int_eq(outcome_curl_kind(CURLE_UNSUPPORTED_PROTOCOL, 0),
	    SOURCE_ERR_HTTP_STATUS);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_COULDNT_CONNECT, 0), SOURCE_ERR_CONNECT);
	ck_assert_int_eq(
	    outcome_curl_kind(CURLE_RECV_ERROR, 0), SOURCE_ERR_CONNECT);
}
END_TEST

/* Reason phrases for the statuses upstreams send, "" for the rest. */
START_TEST(test_reason)
{
	ck_assert_str_eq(outcome_reason(404), " Not Found (check url)");
	ck_assert_str_eq(outcome_reason(503), " Service Unavailable");
	ck_assert_ptr_nonnull(strstr(outcome_reason(401), "check token_file"));
	ck_assert_ptr_nonnull(strstr(outcome_reason(403), "full interval"));
	ck_assert_str_eq(outcome_reason(418), "");
	ck_assert_str_eq(outcome_reason(200), "");
	ck_assert_str_eq(outcome_reason(-1), "");
}
END_TEST

/* One finished transfer and how it must be classified. */
struct classify_case {
	CURLcode cc_rc;
	long cc_status;
	int cc_too_large;
	int cc_validated;
	const char *cc_errbuf;
	enum outcome cc_outcome;
	enum source_err cc_kind; /* for OUTCOME_FAILED */
	const char *cc_message; /* NULL: curl_easy_strerror's */
};

/* The cases, by what the transfer reported. */
static const struct classify_case classify_cases[] = {
    /* curl's own text, else its error buffer's. */
    {CURLE_COULDNT_CONNECT, 0, 0, 0, "", OUTCOME_FAILED, SOURCE_ERR_CONNECT,
        NULL},
    {CURLE_COULDNT_CONNECT, 0, 0, 0, "Failed to connect to 127.0.0.1",
        OUTCOME_FAILED, SOURCE_ERR_CONNECT, "Failed to connect to 127.0.0.1"},
    /* A body past the cap says which cap, whatever curl said. */
    {CURLE_WRITE_ERROR, 200, 1, 0, "Failure writing output", OUTCOME_FAILED,
        SOURCE_ERR_TOO_LARGE, "body larger than max_body (1024 bytes)"},
    {CURLE_FILESIZE_EXCEEDED, 200, 0, 0, "", OUTCOME_FAILED,
        SOURCE_ERR_TOO_LARGE, "body larger than max_body (1024 bytes)"},
    /* 2xx goes to extract, validated or not. */
    {CURLE_OK, 200, 0, 0, "", OUTCOME_BODY, SOURCE_ERR_NONE, NULL},
    {CURLE_OK, 204, 0, 1, "", OUTCOME_BODY, SOURCE_ERR_NONE, NULL},
    /* 304 keeps the values only if they were sent with validators. */
    {CURLE_OK, 304, 0, 1, "", OUTCOME_NOT_MODIFIED, SOURCE_ERR_NONE, NULL},
    {CURLE_OK, 304, 0, 0, "", OUTCOME_FAILED, SOURCE_ERR_HTTP_STATUS,
        "HTTP 304"},
    /* HTTP errors: the status and its reason; 429 is rate_limited. */
    {CURLE_OK, 404, 0, 1, "", OUTCOME_FAILED, SOURCE_ERR_HTTP_STATUS,
        "HTTP 404 Not Found (check url)"},
    {CURLE_OK, 429, 0, 0, "", OUTCOME_FAILED, SOURCE_ERR_RATE_LIMITED,
        "HTTP 429 Too Many Requests"},
    {CURLE_OK, 101, 0, 0, "", OUTCOME_FAILED, SOURCE_ERR_HTTP_STATUS,
        "HTTP 101"},
};

/* Each case: its outcome, and for failures its kind, status, message. */
START_TEST(test_classify)
{
	const struct classify_case *c = &classify_cases[_i];
	struct outcome_in in = report(c->cc_rc, c->cc_status, NULL);
	struct source_error err;
	int64_t hint = 0;

	memset(&err, 0, sizeof err);
	in.oi_too_large = c->cc_too_large;
	in.oi_validated = c->cc_validated;
	in.oi_errbuf = c->cc_errbuf;
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), c->cc_outcome);
	ck_assert_int_eq(hint, -1);
	if (c->cc_outcome != OUTCOME_FAILED)
		return;
	ck_assert_int_eq(err.se_kind, c->cc_kind);
	ck_assert_int_eq(err.se_http_status, (int)c->cc_status);
	ck_assert_str_eq(err.se_message,
	    c->cc_message != NULL ? c->cc_message
	                          : curl_easy_strerror(c->cc_rc));
}
END_TEST

/* Retry-After for 429 and 503 only; the reset headers for 429 only. */
START_TEST(test_hint)
{
	const char *retry[] = {"Retry-After", "7", NULL};
	const char *reset[] = {"RateLimit-Reset", "12", NULL};
	const char *xreset[] = {"X-RateLimit-Reset", "1795000020", NULL};
	const char *both[] = {
	    "Retry-After", "3", "RateLimit-Reset", "12", NULL};
	const char *garbage[] = {"Retry-After", "soon", NULL};
	struct outcome_in in;

	in = report(CURLE_OK, 429, retry);
	ck_assert_int_eq(outcome_hint(&in), 7000);
	in = report(CURLE_OK, 503, retry);
	ck_assert_int_eq(outcome_hint(&in), 7000);
	in = report(CURLE_OK, 500, retry);
	ck_assert_int_eq(outcome_hint(&in), -1);
	in = report(CURLE_OK, 429, reset);
	ck_assert_int_eq(outcome_hint(&in), 12000);
	in = report(CURLE_OK, 503, reset);
	ck_assert_int_eq(outcome_hint(&in), -1);
	/* An epoch second: 20 s after NOW_MS. */
	in = report(CURLE_OK, 429, xreset);
	ck_assert_int_eq(outcome_hint(&in), 20000);
	/* Retry-After wins. */
	in = report(CURLE_OK, 429, both);
	ck_assert_int_eq(outcome_hint(&in), 3000);
	in = report(CURLE_OK, 429, garbage);
	ck_assert_int_eq(outcome_hint(&in), -1);
	in = report(CURLE_OK, 429, NULL);
	ck_assert_int_eq(outcome_hint(&in), -1);
}
END_TEST

/* classify hands the hint of a failed status back. */
START_TEST(test_classify_hint)
{
	const char *retry[] = {"Retry-After", "7", NULL};
	struct outcome_in in = report(CURLE_OK, 503, retry);
	struct source_error err;
	int64_t hint;

	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(hint, 7000);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_HTTP_STATUS);
	ck_assert_str_eq(err.se_message, "HTTP 503 Service Unavailable");
}
END_TEST

/* GitHub's dialect: a 403 with X-RateLimit-Remaining: 0 is a rate limit,
 * retried at its absolute X-RateLimit-Reset; other 403s are not. */
START_TEST(test_github_403)
{
	const char *spent[] = {"X-RateLimit-Remaining", "0",
	    "X-RateLimit-Reset", "1795000045", NULL};
	const char *spent_after[] = {"X-RateLimit-Remaining", " 00 ",
	    "Retry-After", "7", "X-RateLimit-Reset", "1795000045", NULL};
	const char *spent_no_reset[] = {"X-RateLimit-Remaining", "0", NULL};
	const char *left[] = {"X-RateLimit-Remaining", "12",
	    "X-RateLimit-Reset", "1795000045", NULL};
	const char *odd[] = {"X-RateLimit-Remaining", "0x", "X-RateLimit-Reset",
	    "1795000045", NULL};
	const char *empty[] = {"X-RateLimit-Remaining", "", "X-RateLimit-Reset",
	    "1795000045", NULL};
	struct source_error err;
	struct outcome_in in;
	int64_t hint;

	in = report(CURLE_OK, 403, spent);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_RATE_LIMITED);
	ck_assert_int_eq(err.se_http_status, 403);
	ck_assert_str_eq(err.se_message,
	    "HTTP 403 Forbidden: rate limit exhausted "
	    "(X-RateLimit-Remaining: 0)");
	ck_assert_int_eq(hint, 45000);
	/* Retry-After first, as for a 429. */
	in = report(CURLE_OK, 403, spent_after);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_RATE_LIMITED);
	ck_assert_int_eq(hint, 7000);
	/* No reset: no hint, so the backoff waits a full interval. */
	in = report(CURLE_OK, 403, spent_no_reset);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_RATE_LIMITED);
	ck_assert_int_eq(hint, -1);
	/* Quota left, a value that is not 0, none at all: the token. */
	in = report(CURLE_OK, 403, left);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_HTTP_STATUS);
	ck_assert_int_eq(hint, -1);
	ck_assert_ptr_nonnull(strstr(err.se_message, "check token_file"));
	in = report(CURLE_OK, 403, odd);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_HTTP_STATUS);
	in = report(CURLE_OK, 403, empty);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_HTTP_STATUS);
	in = report(CURLE_OK, 403, NULL);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_HTTP_STATUS);
	/* Remaining 0 on another status changes nothing. */
	in = report(CURLE_OK, 401, spent);
	ck_assert_int_eq(outcome_classify(&in, &err, &hint), OUTCOME_FAILED);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_HTTP_STATUS);
	ck_assert_int_eq(hint, -1);
}
END_TEST

/* A 429's reset above 10^9 is absolute; at or below, seconds. */
START_TEST(test_hint_absolute)
{
	const char *abs_reset[] = {"RateLimit-Reset", "1795000300", NULL};
	const char *delta[] = {"RateLimit-Reset", "300", NULL};
	struct outcome_in in;

	in = report(CURLE_OK, 429, abs_reset);
	ck_assert_int_eq(outcome_hint(&in), 300000);
	in = report(CURLE_OK, 429, delta);
	ck_assert_int_eq(outcome_hint(&in), 300000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("outcome");
	TCase *tc = tcase_create("outcome");

	log_set_level(LOG_LEVEL_QUIET);
	tcase_add_test(tc, test_curl_kind);
	tcase_add_test(tc, test_reason);
	tcase_add_loop_test(tc, test_classify, 0,
	    (int)(sizeof classify_cases / sizeof classify_cases[0]));
	tcase_add_test(tc, test_hint);
	tcase_add_test(tc, test_classify_hint);
	tcase_add_test(tc, test_github_403);
	tcase_add_test(tc, test_hint_absolute);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
