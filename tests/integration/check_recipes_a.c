/*
 * The recipes of group a (systemd/recipes/ga4.conf, plausible.conf and
 * posthog.conf), each loaded as it ships and run in process against the
 * fake of its API (tests/support/fake_api_*.c), which enforces the
 * API's documented request contract and answers its documented shape.
 * Per API: every stat gets the value the fake served, with no contract
 * violation; the API's rate limit and refusals become the right error
 * kind with the last good values kept; and no secret the test
 * configured reaches /api/v1/stats, /api/v1/sources, /metrics or
 * gatherd's debug log.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "fake_api_ga4.h"
#include "fake_api_plausible.h"
#include "fake_api_posthog.h"
#include "fake_token.h"
#include "harness.h"
#include "log.h"
#include "recipe.h"
#include "runner.h"
#include "tmpdir.h"

/* What the tests configure: keys and ids. */
#define PL_KEY "pl-7Hq2rX9fWm4Ks1vT0bNz"
#define PL_SITE "example.com"
#define PH_KEY "phx_r3cIp3sAk3yZ9q8W7e6R5t4Y3u2I1o0P"
#define PH_PROJECT "12345"
#define GA_PROPERTY "123456789"
#define GA_EMAIL "gatherd-recipe@gatherd-test.iam.gserviceaccount.com"
#define GA_KID "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define GA_SCOPE "https://www.googleapis.com/auth/analytics.readonly"
/* The HogQL text of posthog.conf, which the fake answers exactly. */
#define PH_HOGQL                                                               \
	"select count(), countIf(event = '$pageview'), count(distinct "        \
	"person_id) from events where timestamp >= today()"

/* How long a test waits for a poll's outcome. */
#define WAIT_MS 20000
/* The interval of a recipe shortened so that a test sees a second poll. */
#define FAST_INTERVAL "300ms"

/* The key pair of the run, made once. */
static char *private_pem, *public_pem;

/* A recipe running against the fakes, its secrets in a directory, its
 * debug log in a file there. */
struct rfx {
	struct tmpdir r_t;
	struct fake_upstream *r_fu;
	struct harness *r_h;
	const char *r_log;
	int r_stderr; /* the test's own stderr, while the log is captured */
};

/* Starts the fake upstream, a credentials directory and the log file. */
static void
rfx_init(struct rfx *f)
{
	int fd;

	tmpdir_make(&f->r_t);
	f->r_fu = fake_upstream_start(0);
	ck_assert_ptr_nonnull(f->r_fu);
	f->r_log = tmpdir_write(&f->r_t, "gatherd.log", "");
	fd = open(f->r_log, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	f->r_stderr = dup(2);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	log_set_level(LOG_LEVEL_DEBUG);
}

/* Writes a secret file into the credentials directory, mode 0600. */
static void
rfx_secret(struct rfx *f, const char *name, const char *text)
{
	ck_assert_int_eq(chmod(tmpdir_write(&f->r_t, name, text), 0600), 0);
}

/* Returns text with every from replaced by to (caller frees). */
static char *
replace(const char *text, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	const char *p, *at;
	char *out, *o;

	for (p = text; (at = strstr(p, from)) != NULL; p = at + nf)
		n++;
	out = malloc(strlen(text) + n * nt + 1);
	ck_assert_ptr_nonnull(out);
	for (o = out, p = text; (at = strstr(p, from)) != NULL; p = at + nf) {
		memcpy(o, p, (size_t)(at - p));
		o += at - p;
		memcpy(o, to, nt);
		o += nt;
	}
	strcpy(o, p);
	return out;
}

/* Starts gatherd on text, a recipe edited by the test, its secrets in
 * the credentials directory. */
static void
rfx_start_text(struct rfx *f, const char *text)
{
	char up[64], *pointed;

	snprintf(
	    up, sizeof up, "http://127.0.0.1:%u", fake_upstream_port(f->r_fu));
	pointed = recipe_point(text, up);
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", f->r_t.t_path, 1), 0);
	f->r_h = harness_start_fu(f->r_fu, NULL, pointed);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(pointed);
}

/*
 * Starts gatherd on recipe name as it ships, or with its intervals
 * shortened (fast), its secrets in the credentials directory.
 */
static void
rfx_start(struct rfx *f, const char *name, int fast)
{
	f->r_h = recipe_start(
	    f->r_fu, name, f->r_t.t_path, fast ? FAST_INTERVAL : NULL);
}

/*
 * Stops gatherd and the fakes; asserts that its debug log was written
 * and holds none of the NULL-terminated secrets (NULL: no check);
 * removes the files.
 */
static void
rfx_stop_clean(struct rfx *f, const char *const *secrets)
{
	char *text;
	size_t i;

	harness_stop(f->r_h);
	fflush(stderr);
	dup2(f->r_stderr, 2);
	close(f->r_stderr);
	log_set_level(LOG_LEVEL_QUIET);
	text = tmpdir_read(f->r_log);
	ck_assert_msg(strstr(text, "listening on") != NULL,
	    "the log was not captured: %s", text);
	for (i = 0; secrets != NULL && secrets[i] != NULL; i++)
		ck_assert_msg(strstr(text, secrets[i]) == NULL,
		    "the log holds the secret \"%s\"", secrets[i]);
	free(text);
	tmpdir_remove(&f->r_t);
}

/* Stops gatherd and the fakes, removes the files. */
static void
rfx_stop(struct rfx *f)
{
	rfx_stop_clean(f, NULL);
}

/* Waits until source name is ok; returns its document (caller puts). */
static struct json_object *
wait_ok(struct rfx *f, const char *name)
{
	struct json_object *doc =
	    harness_wait_status(f->r_h, name, "ok", WAIT_MS);
	struct json_object *again;

	if (doc == NULL) {
		again = harness_get_json(f->r_h, "/api/v1/stats");
		ck_abort_msg("%s not ok: %s", name,
		    again != NULL ? json_object_to_json_string(again) : "?");
	}
	return doc;
}

/* Returns the number at ptr in doc, failing the test if it is not one. */
static double
num(struct json_object *doc, const char *ptr)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(json_object_is_type(v, json_type_int) ||
	        json_object_is_type(v, json_type_double),
	    "%s is not a number: %s", ptr, json_object_to_json_string(v));
	return json_object_get_double(v);
}

/* Asserts that a fake saw no contract violation (takes v). */
static void
assert_no_violation(char *v, const char *api)
{
	ck_assert_msg(v == NULL, "%s: contract violation: %s", api, v);
	free(v);
}

/*
 * Waits until source name fails with kind, then asserts it is stale
 * (the last good values kept), with this HTTP status (-1: null) and a message
 * containing want; returns the document (caller puts).
 */
static struct json_object *
wait_stale(struct rfx *f, const char *name, const char *kind, int status,
    const char *want)
{
	struct json_object *doc =
	    harness_wait_error(f->r_h, name, kind, WAIT_MS);
	const char *msg;

	ck_assert_msg(doc != NULL, "%s never failed with kind %s", name, kind);
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), status);
	msg = harness_str(doc, "/error/message");
	ck_assert_msg(msg != NULL && strstr(msg, want) != NULL,
	    "%s: message \"%s\" lacks \"%s\"", name, msg, want);
	return doc;
}

/* Asserts none of the NULL-terminated secrets is in gatherd's API. */
static void
assert_no_secrets(struct rfx *f, const char *const *secrets)
{
	static const char *const paths[] = {
	    "/api/v1/stats", "/api/v1/sources", "/metrics"};
	struct harness_resp *r;
	size_t i, j;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(f->r_h, "GET", paths[i], NULL);
		ck_assert_int_eq(r->r_status, 200);
		for (j = 0; secrets[j] != NULL; j++) {
			ck_assert_msg(strstr(r->r_body, secrets[j]) == NULL,
			    "%s shows the secret \"%s\"", paths[i], secrets[j]);
			ck_assert_msg(strstr(r->r_headers, secrets[j]) == NULL,
			    "%s's headers show \"%s\"", paths[i], secrets[j]);
		}
		harness_resp_free(r);
	}
}

/* Plausible: the fake with its key, site and values, and the key file. */
static void
plausible_init(struct rfx *f)
{
	rfx_init(f);
	rfx_secret(f, "plausible.token", PL_KEY "\n");
	fake_plausible_expect(f->r_fu, PL_KEY, PL_SITE, "UTC");
	fake_plausible_set_metric(f->r_fu, "visitors", "321");
	fake_plausible_set_metric(f->r_fu, "visits", "345");
	fake_plausible_set_metric(f->r_fu, "pageviews", "1024");
	fake_plausible_set_metric(f->r_fu, "bounce_rate", "43.5");
	fake_plausible_set_metric(f->r_fu, "visit_duration", "97");
}

/* plausible.conf as it ships: each metric in its place, the key and
 * today's range checked by the fake, no secret shown. */
START_TEST(test_plausible_values)
{
	static const char *const secrets[] = {PL_KEY, NULL};
	struct json_object *doc;
	struct rfx f;

	plausible_init(&f);
	rfx_start(&f, "plausible", 0);
	doc = wait_ok(&f, "plausible");
	ck_assert_double_eq(num(doc, "/values/visitors"), 321);
	ck_assert_double_eq(num(doc, "/values/visits"), 345);
	ck_assert_double_eq(num(doc, "/values/pageviews"), 1024);
	ck_assert_double_eq(num(doc, "/values/bounce_rate"), 43.5);
	ck_assert_double_eq(num(doc, "/values/visit_duration"), 97);
	json_object_put(doc);
	ck_assert_uint_ge(fake_plausible_served(f.r_fu), 1);
	assert_no_violation(fake_plausible_violation(f.r_fu), "plausible");
	/* The recipe's budget is the key's documented 600 an hour. */
	doc = harness_source_view(f.r_h, "plausible");
	ck_assert_str_eq(harness_str(doc, "/budget/name"), "plausible");
	json_object_put(doc);
	assert_no_secrets(&f, secrets);
	rfx_stop_clean(&f, secrets);
}
END_TEST

/* Plausible's 429 is rate_limited, its 401 http_status; both keep the
 * last good values. */
START_TEST(test_plausible_failures)
{
	struct json_object *doc;
	struct rfx f;

	plausible_init(&f);
	rfx_start(&f, "plausible", 1);
	json_object_put(wait_ok(&f, "plausible"));
	fake_plausible_set_mode(f.r_fu, FAKE_PLAUSIBLE_RATE_LIMITED);
	doc = wait_stale(&f, "plausible", "rate_limited", 429, "HTTP 429");
	ck_assert_double_eq(num(doc, "/values/visitors"), 321);
	json_object_put(doc);
	fake_plausible_set_mode(f.r_fu, FAKE_PLAUSIBLE_BAD_KEY);
	doc = wait_stale(&f, "plausible", "http_status", 401, "HTTP 401");
	ck_assert_double_eq(num(doc, "/values/pageviews"), 1024);
	json_object_put(doc);
	assert_no_violation(fake_plausible_violation(f.r_fu), "plausible");
	rfx_stop(&f);
}
END_TEST

/* PostHog: the fake with its key, project and the recipe's query. */
static void
posthog_init(struct rfx *f)
{
	static const char *const columns[] = {"count()",
	    "countIf(equals(event, '$pageview'))", "count(DISTINCT person_id)",
	    NULL};

	rfx_init(f);
	rfx_secret(f, "posthog.token", PH_KEY "\n");
	fake_posthog_expect(f->r_fu, PH_KEY, PH_PROJECT);
	fake_posthog_answer(
	    f->r_fu, PH_HOGQL, "[[48213, 9120, 2718]]", columns);
}

/* posthog.conf as it ships: each column of the row in its stat, the
 * key, path and QueryRequest checked by the fake, no secret shown. */
START_TEST(test_posthog_values)
{
	static const char *const secrets[] = {PH_KEY, NULL};
	struct json_object *doc;
	struct rfx f;

	posthog_init(&f);
	rfx_start(&f, "posthog", 0);
	doc = wait_ok(&f, "posthog");
	ck_assert_double_eq(num(doc, "/values/events"), 48213);
	ck_assert_double_eq(num(doc, "/values/pageviews"), 9120);
	ck_assert_double_eq(num(doc, "/values/users"), 2718);
	json_object_put(doc);
	ck_assert_uint_ge(fake_posthog_served(f.r_fu), 1);
	assert_no_violation(fake_posthog_violation(f.r_fu), "posthog");
	doc = harness_source_view(f.r_h, "posthog");
	ck_assert_str_eq(harness_str(doc, "/budget/name"), "posthog");
	json_object_put(doc);
	assert_no_secrets(&f, secrets);
	rfx_stop_clean(&f, secrets);
}
END_TEST

/* PostHog's 429 throttled_error is rate_limited, its 401 http_status;
 * both keep the last good values. */
START_TEST(test_posthog_failures)
{
	struct json_object *doc;
	struct rfx f;

	posthog_init(&f);
	rfx_start(&f, "posthog", 1);
	json_object_put(wait_ok(&f, "posthog"));
	fake_posthog_set_mode(f.r_fu, FAKE_POSTHOG_BAD_KEY);
	doc = wait_stale(&f, "posthog", "http_status", 401, "HTTP 401");
	ck_assert_double_eq(num(doc, "/values/events"), 48213);
	json_object_put(doc);
	fake_posthog_set_mode(f.r_fu, FAKE_POSTHOG_THROTTLED);
	doc = wait_stale(&f, "posthog", "rate_limited", 429, "HTTP 429");
	ck_assert_double_eq(num(doc, "/values/users"), 2718);
	json_object_put(doc);
	assert_no_violation(fake_posthog_violation(f.r_fu), "posthog");
	rfx_stop(&f);
}
END_TEST

/*
 * GA4: the service-account key (token_uri the fake's /token), the token
 * endpoint checking its RS256 assertions, the property's values.
 */
static void
ga4_init(struct rfx *f, enum fake_ga4_mode mode)
{
	char uri[64], *json;

	rfx_init(f);
	snprintf(uri, sizeof uri, "http://127.0.0.1:%u/token",
	    fake_upstream_port(f->r_fu));
	json = fake_token_key_json(private_pem, GA_EMAIL, GA_KID, uri);
	rfx_secret(f, "ga4-key.json", json);
	free(json);
	fake_token_expect_google(
	    f->r_fu, public_pem, GA_EMAIL, GA_KID, GA_SCOPE, uri);
	fake_ga4_expect(f->r_fu, GA_PROPERTY, "America/Los_Angeles");
	fake_ga4_set_metric(f->r_fu, 0, "activeUsers", "1234");
	fake_ga4_set_metric(f->r_fu, 0, "sessions", "1502");
	fake_ga4_set_metric(f->r_fu, 0, "screenPageViews", "4321");
	fake_ga4_set_metric(f->r_fu, 1, "activeUsers", "17");
	fake_ga4_set_mode(f->r_fu, mode);
}

/* Asserts the token endpoint took every assertion it was sent. */
static void
assert_tokens_granted(struct rfx *f)
{
	struct fake_token_counts c;
	char *why = fake_token_last_error(f->r_fu);

	ck_assert_msg(why == NULL, "token endpoint refused: %s", why);
	fake_token_counts(f->r_fu, &c);
	ck_assert_uint_ge(c.ftc_granted, 1);
	ck_assert_uint_eq(c.ftc_granted, c.ftc_requests);
}

/* ga4.conf as it ships: the strings made numbers, a real RS256 token
 * exchange, the bearer and today's range checked, no secret shown. */
START_TEST(test_ga4_values)
{
	const char *secrets[8];
	char pem_line[65], **issued;
	struct fake_token_counts c;
	struct json_object *doc;
	struct rfx f;
	size_t n = 0, i;

	ga4_init(&f, FAKE_GA4_OK);
	rfx_start(&f, "ga4", 0);
	doc = wait_ok(&f, "ga4");
	ck_assert_double_eq(num(doc, "/values/users"), 1234);
	ck_assert_double_eq(num(doc, "/values/sessions"), 1502);
	ck_assert_double_eq(num(doc, "/values/pageviews"), 4321);
	json_object_put(doc);
	doc = wait_ok(&f, "ga4_realtime");
	ck_assert_double_eq(num(doc, "/values/active_users"), 17);
	json_object_put(doc);
	ck_assert_uint_ge(fake_ga4_served(f.r_fu, 0), 1);
	ck_assert_uint_ge(fake_ga4_served(f.r_fu, 1), 1);
	assert_no_violation(fake_ga4_violation(f.r_fu), "ga4");
	assert_tokens_granted(&f);
	/* The two sources share one key, so one token. */
	fake_token_counts(f.r_fu, &c);
	ck_assert_uint_eq(c.ftc_granted, 1);
	/* The PEM's third line: 48 bytes of the key itself. */
	snprintf(pem_line, sizeof pem_line, "%.64s",
	    strchr(strchr(private_pem, '\n') + 1, '\n') + 1);
	secrets[n++] = pem_line;
	/* base64url of {"alg":"RS256": every assertion's start. */
	secrets[n++] = "eyJhbGciOiJSUzI1NiIs";
	issued = fake_token_issued(f.r_fu);
	for (i = 0; issued[i] != NULL && n < 7; i++)
		secrets[n++] = issued[i];
	secrets[n] = NULL;
	ck_assert_uint_ge(n, 3);
	assert_no_secrets(&f, secrets);
	rfx_stop_clean(&f, secrets);
	for (i = 0; issued[i] != NULL; i++)
		free(issued[i]);
	free(issued);
}
END_TEST

/* A day without data: GA4 sends no rows, and every stat reads 0 (ok,
 * not missing_stat), as the recipe's comment promises. */
START_TEST(test_ga4_no_rows)
{
	struct json_object *doc;
	struct rfx f;

	ga4_init(&f, FAKE_GA4_EMPTY);
	rfx_start(&f, "ga4", 0);
	doc = wait_ok(&f, "ga4");
	ck_assert_double_eq(num(doc, "/values/users"), 0);
	ck_assert_double_eq(num(doc, "/values/sessions"), 0);
	ck_assert_double_eq(num(doc, "/values/pageviews"), 0);
	json_object_put(doc);
	doc = wait_ok(&f, "ga4_realtime");
	ck_assert_double_eq(num(doc, "/values/active_users"), 0);
	json_object_put(doc);
	ck_assert_uint_ge(fake_ga4_served(f.r_fu, 0), 1);
	assert_no_violation(fake_ga4_violation(f.r_fu), "ga4");
	rfx_stop(&f);
}
END_TEST

/* GA4's 429 RESOURCE_EXHAUSTED is rate_limited and its 403
 * PERMISSION_DENIED http_status, the last good values kept. */
START_TEST(test_ga4_quota_and_denied)
{
	struct json_object *doc;
	struct rfx f;

	ga4_init(&f, FAKE_GA4_OK);
	rfx_start(&f, "ga4", 1);
	json_object_put(wait_ok(&f, "ga4"));
	fake_ga4_set_mode(f.r_fu, FAKE_GA4_QUOTA);
	doc = wait_stale(&f, "ga4", "rate_limited", 429, "HTTP 429");
	ck_assert_double_eq(num(doc, "/values/users"), 1234);
	json_object_put(doc);
	fake_ga4_set_mode(f.r_fu, FAKE_GA4_DENIED);
	doc = wait_stale(&f, "ga4", "http_status", 403, "HTTP 403");
	ck_assert_double_eq(num(doc, "/values/sessions"), 1502);
	json_object_put(doc);
	assert_no_violation(fake_ga4_violation(f.r_fu), "ga4");
	assert_tokens_granted(&f);
	rfx_stop(&f);
}
END_TEST

/*
 * The token revoked and the key refused by the token endpoint (400
 * invalid_client): kind auth with the endpoint's error, the API not
 * called with a bad token, the last good values kept.
 */
START_TEST(test_ga4_key_refused)
{
	struct json_object *doc;
	struct rfx f;
	unsigned long served;

	ga4_init(&f, FAKE_GA4_OK);
	rfx_start(&f, "ga4", 1);
	json_object_put(wait_ok(&f, "ga4"));
	fake_token_set_mode(f.r_fu, FAKE_TOKEN_INVALID_CLIENT);
	fake_ga4_revoke(f.r_fu);
	/* The API gave no status: the token endpoint's is in the message. */
	doc =
	    wait_stale(&f, "ga4", "auth", -1, "HTTP 400, error invalid_client");
	ck_assert_double_eq(num(doc, "/values/pageviews"), 4321);
	json_object_put(doc);
	served = fake_ga4_served(f.r_fu, 0);
	doc = harness_wait_error(f.r_h, "ga4_realtime", "auth", WAIT_MS);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	/* Nothing answered with data after the revocation. */
	ck_assert_uint_eq(fake_ga4_served(f.r_fu, 0), served);
	assert_no_violation(fake_ga4_violation(f.r_fu), "ga4");
	rfx_stop(&f);
}
END_TEST

/*
 * Starts recipe name with from (its date range) made to and a timezone
 * line after each "method = POST", to test the fake's date check with
 * gatherd's templates.
 */
static void
rfx_start_dated(struct rfx *f, const char *name, const char *from,
    const char *to, const char *zone)
{
	char *text = recipe_read(name), *dated, *zoned, line[128];

	dated = replace(text, from, to);
	ck_assert_ptr_nonnull(strstr(dated, "${today}"));
	snprintf(line, sizeof line, "method = POST\ntimezone = %s\n", zone);
	zoned = replace(dated, "method = POST\n", line);
	rfx_start_text(f, zoned);
	free(zoned);
	free(dated);
	free(text);
}

/* ga4.conf's range as ${today} in zone. */
static void
ga4_start_dated(struct rfx *f, const char *zone)
{
	rfx_start_dated(f, "ga4",
	    "\"startDate\":\"today\",\"endDate\":\"today\"",
	    "\"startDate\":\"${today}\",\"endDate\":\"${today}\"", zone);
}

/* Templated dates in the property's zone are today for the fake; in a
 * zone a day or more away (UTC+14 against UTC-12) they are refused. */
START_TEST(test_ga4_dates_in_zone)
{
	struct json_object *doc;
	struct rfx f;
	char *why;

	ga4_init(&f, FAKE_GA4_OK);
	ga4_start_dated(&f, "America/Los_Angeles");
	doc = wait_ok(&f, "ga4");
	ck_assert_double_eq(num(doc, "/values/users"), 1234);
	json_object_put(doc);
	assert_no_violation(fake_ga4_violation(f.r_fu), "ga4");
	rfx_stop(&f);

	ga4_init(&f, FAKE_GA4_OK);
	fake_ga4_expect(f.r_fu, GA_PROPERTY, "Etc/GMT+12");
	ga4_start_dated(&f, "Pacific/Kiritimati");
	doc = harness_wait_error(f.r_h, "ga4", "http_status", WAIT_MS);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), 400);
	json_object_put(doc);
	why = fake_ga4_violation(f.r_fu);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "not today") != NULL, "%s", why);
	free(why);
	rfx_stop(&f);
}
END_TEST

/* plausible.conf with its "day" as two ${today} dates in the site's
 * zone: the fake takes them as today. */
START_TEST(test_plausible_dates_in_zone)
{
	struct json_object *doc;
	struct rfx f;

	plausible_init(&f);
	fake_plausible_expect(f.r_fu, PL_KEY, PL_SITE, "Asia/Kolkata");
	rfx_start_dated(&f, "plausible", "\"date_range\":\"day\"",
	    "\"date_range\":[\"${today}\",\"${today}\"]", "Asia/Kolkata");
	doc = wait_ok(&f, "plausible");
	ck_assert_double_eq(num(doc, "/values/visitors"), 321);
	json_object_put(doc);
	assert_no_violation(fake_plausible_violation(f.r_fu), "plausible");
	rfx_stop(&f);
}
END_TEST

/* The suite. */
static Suite *
recipes_suite(void)
{
	Suite *s = suite_create("recipes_a");
	TCase *tc = tcase_create("recipes_a");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_plausible_values);
	tcase_add_test(tc, test_plausible_failures);
	tcase_add_test(tc, test_plausible_dates_in_zone);
	tcase_add_test(tc, test_posthog_values);
	tcase_add_test(tc, test_posthog_failures);
	tcase_add_test(tc, test_ga4_values);
	tcase_add_test(tc, test_ga4_no_rows);
	tcase_add_test(tc, test_ga4_quota_and_denied);
	tcase_add_test(tc, test_ga4_key_refused);
	tcase_add_test(tc, test_ga4_dates_in_zone);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite with one RSA key for the run. */
int
main(void)
{
	int rc;

	harness_init();
	if (fake_token_keygen(&private_pem, &public_pem) != 0) {
		fprintf(stderr, "cannot make an RSA key\n");
		return 1;
	}
	rc = runner_run(recipes_suite()) == 0 ? 0 : 1;
	free(private_pem);
	free(public_pem);
	return rc;
}
