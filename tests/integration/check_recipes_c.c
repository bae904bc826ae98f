/*
 * The README's recipes for GitHub, Matomo and Cloudflare, loaded as they
 * ship from systemd/recipes/ and run in gatherd's loop against the fakes
 * of those APIs (tests/support/fake_api_*.c), which enforce each API's
 * documented request contract and answer its documented shapes: every
 * stat gets the value served, the API's own failures (GitHub's 403 rate
 * limit and 401, Matomo's and Cloudflare's errors inside a 200) become
 * the right error kind with the last good values kept, and no secret
 * reaches /api/v1/sources, /api/v1/stats or /metrics.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "fake_api_cloudflare.h"
#include "fake_api_github.h"
#include "fake_api_matomo.h"
#include "harness.h"
#include "log.h"
#include "recipe.h"
#include "runner.h"
#include "tmpdir.h"

/* The secrets the tests configure; none may ever be shown. */
#define GITHUB_TOKEN "github_pat_11AAAAAAA0secretGitHubToken42"
/* With every character a form must encode; and as a form carries it. */
#define MATOMO_TOKEN "mt0k&en=a%2Bb+c d"
#define MATOMO_TOKEN_FORM "mt0k%26en%3Da%252Bb%2Bc"
#define CLOUDFLARE_TOKEN "cfut_SecretCloudflareToken_0123456789abcdef"

/* How long a test waits for a poll's outcome, in ms. */
#define WAIT_MS 10000

/* Asserts secret appears in none of gatherd's API documents. */
static void
assert_no_secret(struct harness *h, const char *secret)
{
	static const char *const paths[] = {
	    "/api/v1/sources", "/api/v1/stats", "/metrics"};
	struct harness_resp *r;
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_int_eq(r->r_status, 200);
		ck_assert_msg(strstr(r->r_body, secret) == NULL,
		    "%s shows a secret", paths[i]);
		harness_resp_free(r);
	}
}

/* Waits until source name is ok; returns its stats document. */
static struct json_object *
wait_ok(struct harness *h, const char *name)
{
	struct json_object *doc = harness_wait_status(h, name, "ok", WAIT_MS);

	ck_assert_msg(doc != NULL, "%s: never ok", name);
	return doc;
}

/*
 * Waits until source name fails with kind and HTTP status (and message,
 * unless NULL), its last good values kept: the value at ptr is want.
 */
static void
expect_kept(struct harness *h, const char *name, const char *kind, int status,
    const char *message, const char *ptr, long long want)
{
	struct json_object *doc = harness_wait_error(h, name, kind, WAIT_MS);

	ck_assert_msg(doc != NULL, "%s: never %s", name, kind);
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), status);
	if (message != NULL)
		ck_assert_str_eq(harness_str(doc, "/error/message"), message);
	/* Values held from the last good poll: stale, not error. */
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	ck_assert_int_eq(harness_int(doc, ptr), want);
	json_object_put(doc);
}

/* Asserts the fake saw no contract violation (msg is freed). */
static void
assert_no_violation(char *msg)
{
	ck_assert_msg(msg == NULL, "contract violation: %s", msg);
}

/* Returns the Unix time of an RFC 3339 "...Z" string. */
static int64_t
unix_of(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	ck_assert_ptr_nonnull(s);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	ck_assert_msg(end != NULL && *end == 'Z', "not RFC 3339: %s", s);
	return (int64_t)timegm(&tm);
}

/* Writes secret file name (mode 0600) into t, which removes it. */
static void
put_secret(struct tmpdir *t, const char *name, const char *text)
{
	char *path;

	recipe_write_secret(t->t_path, name, text);
	ck_assert_uint_lt(
	    t->t_nfiles, sizeof t->t_files / sizeof t->t_files[0]);
	ck_assert_int_gt(asprintf(&path, "%s/%s", t->t_path, name), 0);
	t->t_files[t->t_nfiles++] = path;
}

/* Sets fu's answer to mode (an enum of the API's header) and, for
 * GitHub, its x-ratelimit-reset. */
typedef void recipe_turn_fn(struct fake_upstream *fu, int mode, int64_t reset);

/* A stat's pointer in /api/v1/stats/NAME and the value the fake served. */
struct recipe_value {
	const char *rv_ptr;
	long long rv_want;
};

/* One API of this group: its recipe, secret and fake. */
struct recipe_api {
	const char *ra_name; /* the recipe, and its source */
	const char *ra_secret_file;
	const char *ra_secret;
	const char *ra_secret_encoded; /* as a form carries it, or NULL */
	void (*ra_expect)(struct fake_upstream *fu, const char *secret);
	char *(*ra_violation)(struct fake_upstream *fu);
	recipe_turn_fn *ra_turn;
	/* Every stat and its value; the first is checked after failures. */
	const struct recipe_value *ra_values;
};

/* A test's running recipe: its credentials, fake and gatherd, whose
 * log goes to a file while it runs. */
struct recipe_run {
	const struct recipe_api *rr_api;
	struct tmpdir rr_creds;
	struct fake_upstream *rr_fu;
	struct harness *rr_h;
	const char *rr_log; /* the log file, in rr_creds */
	int rr_stderr; /* the test's own stderr, while the log is diverted */
	int rr_failed; /* the source failed: its log names it */
};

/* Sends gatherd's log, at debug level, to a file in run's credentials
 * directory until log_restore. */
static void
log_divert(struct recipe_run *run)
{
	int fd;

	run->rr_log = tmpdir_write(&run->rr_creds, "gatherd.log", "");
	ck_assert_int_ge(fd = open(run->rr_log, O_WRONLY | O_APPEND), 0);
	fflush(stderr);
	ck_assert_int_ge(run->rr_stderr = dup(STDERR_FILENO), 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	log_set_level(LOG_LEVEL_DEBUG);
}

/* Gives the test its stderr back and asserts the log has no secret. */
static void
log_restore(struct recipe_run *run)
{
	const struct recipe_api *a = run->rr_api;
	char buf[65536];
	size_t n;
	FILE *f;

	log_set_level(LOG_LEVEL_QUIET);
	fflush(stderr);
	ck_assert_int_eq(dup2(run->rr_stderr, STDERR_FILENO), STDERR_FILENO);
	close(run->rr_stderr);
	ck_assert_ptr_nonnull(f = fopen(run->rr_log, "r"));
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* A failure was logged: the checks below are not vacuous. */
	ck_assert_msg(!run->rr_failed || strstr(buf, a->ra_name) != NULL,
	    "no log of %s", a->ra_name);
	ck_assert_msg(strstr(buf, a->ra_secret) == NULL, "the log shows %s",
	    a->ra_secret_file);
	ck_assert(a->ra_secret_encoded == NULL ||
	    strstr(buf, a->ra_secret_encoded) == NULL);
}

/* Starts a's fake expecting its secret, written into run's credentials
 * directory, and gatherd on a's recipe (interval 1s if fast); waits for
 * the first good poll, which must have every value the fake served, and
 * returns its stats document (caller puts). */
static struct json_object *
run_start(struct recipe_run *run, const struct recipe_api *a, int fast)
{
	const struct recipe_value *v;
	struct json_object *doc;

	run->rr_api = a;
	run->rr_failed = 0;
	ck_assert_ptr_nonnull(run->rr_fu = fake_upstream_start(0));
	tmpdir_make(&run->rr_creds);
	put_secret(&run->rr_creds, a->ra_secret_file, a->ra_secret);
	a->ra_expect(run->rr_fu, a->ra_secret);
	log_divert(run);
	run->rr_h = recipe_start(
	    run->rr_fu, a->ra_name, run->rr_creds.t_path, fast ? "1s" : NULL);
	doc = wait_ok(run->rr_h, a->ra_name);
	for (v = a->ra_values; v->rv_ptr != NULL; v++)
		ck_assert_msg(harness_int(doc, v->rv_ptr) == v->rv_want,
		    "%s: %s is %lld, not %lld", a->ra_name, v->rv_ptr,
		    harness_int(doc, v->rv_ptr), v->rv_want);
	return doc;
}

/* Asserts the fake saw no contract violation and neither gatherd's API
 * nor its log shows any form of the secret; then stops it all. */
static void
run_stop(struct recipe_run *run)
{
	const struct recipe_api *a = run->rr_api;

	assert_no_violation(a->ra_violation(run->rr_fu));
	assert_no_secret(run->rr_h, a->ra_secret);
	if (a->ra_secret_encoded != NULL)
		assert_no_secret(run->rr_h, a->ra_secret_encoded);
	harness_stop(run->rr_h);
	log_restore(run);
	tmpdir_remove(&run->rr_creds);
}

/*
 * Runs a's recipe to a good poll, then has its fake answer mode: the
 * source must fail with kind and HTTP status (and message, unless
 * NULL), its last values kept.  Leaves run running.
 */
static void
run_fails(struct recipe_run *run, const struct recipe_api *a, int mode,
    int64_t reset, const char *kind, int status, const char *message)
{
	json_object_put(run_start(run, a, 1));
	a->ra_turn(run->rr_fu, mode, reset);
	run->rr_failed = 1;
	expect_kept(run->rr_h, a->ra_name, kind, status, message,
	    a->ra_values[0].rv_ptr, a->ra_values[0].rv_want);
}

/* Sets the GitHub fake's answer. */
static void
github_turn(struct fake_upstream *fu, int mode, int64_t reset)
{
	fake_github_set_mode(fu, (enum fake_github_mode)mode, reset);
}

/* Sets the Matomo fake's answer. */
static void
matomo_turn(struct fake_upstream *fu, int mode, int64_t reset)
{
	(void)reset;
	fake_matomo_set_mode(fu, (enum fake_matomo_mode)mode);
}

/* Sets the Cloudflare fake's answer. */
static void
cloudflare_turn(struct fake_upstream *fu, int mode, int64_t reset)
{
	(void)reset;
	fake_cloudflare_set_mode(fu, (enum fake_cloudflare_mode)mode);
}

/* The stats of each recipe and the values its fake serves. */
static const struct recipe_value github_values[] = {
    {"/values/stars", FAKE_GITHUB_STARS},
    {"/values/forks", FAKE_GITHUB_FORKS},
    {"/values/open_issues", FAKE_GITHUB_OPEN_ISSUES},
    {NULL, 0},
};
static const struct recipe_value matomo_values[] = {
    {"/values/visits", FAKE_MATOMO_VISITS},
    {"/values/actions", FAKE_MATOMO_ACTIONS},
    {"/values/bounce_rate", 67}, /* FAKE_MATOMO_BOUNCE_RATE */
    {"/values/avg_time_on_site", FAKE_MATOMO_AVG_TIME},
    {NULL, 0},
};
static const struct recipe_value cloudflare_values[] = {
    {"/values/requests", FAKE_CLOUDFLARE_REQUESTS},
    {"/values/cached", FAKE_CLOUDFLARE_CACHED},
    {"/values/page_views", FAKE_CLOUDFLARE_PAGE_VIEWS},
    {"/values/threats", FAKE_CLOUDFLARE_THREATS},
    {"/values/uniques", FAKE_CLOUDFLARE_UNIQUES},
    {NULL, 0},
};

static const struct recipe_api github = {"github", "github.token", GITHUB_TOKEN,
    NULL, fake_github_expect, fake_github_violation, github_turn,
    github_values};
static const struct recipe_api matomo = {"matomo", "matomo.token", MATOMO_TOKEN,
    MATOMO_TOKEN_FORM, fake_matomo_expect, fake_matomo_violation, matomo_turn,
    matomo_values};
static const struct recipe_api cloudflare = {"cloudflare", "cloudflare.token",
    CLOUDFLARE_TOKEN, NULL, fake_cloudflare_expect, fake_cloudflare_violation,
    cloudflare_turn, cloudflare_values};

/* GitHub: the recipe as shipped gets the repository's three counts. */
START_TEST(test_github_values)
{
	struct recipe_run run;

	json_object_put(run_start(&run, &github, 0));
	ck_assert_uint_ge(fake_github_requests(run.rr_fu), 1);
	run_stop(&run);
}
END_TEST

/* GitHub's 403 with x-ratelimit-remaining: 0: rate_limited, the next
 * poll at x-ratelimit-reset, the counts kept. */
START_TEST(test_github_rate_limit)
{
	int64_t reset = (int64_t)time(NULL) + 1800;
	struct recipe_run run;
	struct json_object *src;

	run_fails(&run, &github, FAKE_GITHUB_RATE_LIMITED, reset,
	    "rate_limited", 403, NULL);
	/* Not before the reset GitHub named, though the interval is 1s. */
	src = harness_source_view(run.rr_h, "github");
	ck_assert_int_ge(unix_of(harness_str(src, "/next_poll_at")), reset - 1);
	ck_assert_int_le(unix_of(harness_str(src, "/next_poll_at")), reset + 1);
	json_object_put(src);
	run_stop(&run);
}
END_TEST

/* GitHub's 401 "Bad credentials": http_status 401, the counts kept. */
START_TEST(test_github_bad_credentials)
{
	struct recipe_run run;

	run_fails(&run, &github, FAKE_GITHUB_BAD_CREDENTIALS, 0, "http_status",
	    401, NULL);
	run_stop(&run);
}
END_TEST

/* Matomo: the recipe as shipped gets the day's report, the token (with
 * &, =, % and +) arriving whole in the form body, bounce_rate's "67%"
 * a number. */
START_TEST(test_matomo_values)
{
	struct recipe_run run;
	struct json_object *doc = run_start(&run, &matomo, 0);

	/* "67%" made a number by the recipe's jq, not a string. */
	ck_assert(json_object_is_type(
	    harness_at(doc, "/values/bounce_rate"), json_type_int));
	json_object_put(doc);
	ck_assert_uint_ge(fake_matomo_requests(run.rr_fu), 1);
	run_stop(&run);
}
END_TEST

/* Matomo's error inside a 200: api_error with Matomo's message. */
START_TEST(test_matomo_api_error)
{
	struct recipe_run run;

	run_fails(&run, &matomo, FAKE_MATOMO_API_ERROR, 0, "api_error", 200,
	    FAKE_MATOMO_ERROR);
	run_stop(&run);
}
END_TEST

/* Matomo's 401 for a token it refuses: http_status 401. */
START_TEST(test_matomo_bad_token)
{
	struct recipe_run run;

	run_fails(
	    &run, &matomo, FAKE_MATOMO_BAD_TOKEN, 0, "http_status", 401, NULL);
	run_stop(&run);
}
END_TEST

/* Cloudflare: the recipe as shipped gets today's totals of the zone
 * (the fake checked the query's date is today in UTC), on its budget. */
START_TEST(test_cloudflare_values)
{
	struct recipe_run run;
	struct json_object *doc;

	json_object_put(run_start(&run, &cloudflare, 0));
	doc = harness_source_view(run.rr_h, "cloudflare");
	ck_assert_str_eq(harness_str(doc, "/budget/name"), "cloudflare");
	json_object_put(doc);
	ck_assert_uint_ge(fake_cloudflare_requests(run.rr_fu), 1);
	run_stop(&run);
}
END_TEST

/* Cloudflare's errors[] inside a 200: api_error with its message. */
START_TEST(test_cloudflare_graphql_error)
{
	struct recipe_run run;

	run_fails(&run, &cloudflare, FAKE_CLOUDFLARE_GRAPHQL_ERROR, 0,
	    "api_error", 200, FAKE_CLOUDFLARE_ERROR);
	run_stop(&run);
}
END_TEST

/* Cloudflare's 429: rate_limited. */
START_TEST(test_cloudflare_rate_limited)
{
	struct recipe_run run;

	run_fails(&run, &cloudflare, FAKE_CLOUDFLARE_RATE_LIMITED, 0,
	    "rate_limited", 429, NULL);
	run_stop(&run);
}
END_TEST

/* Cloudflare's refusal of the token: http_status 403. */
START_TEST(test_cloudflare_bad_token)
{
	struct recipe_run run;

	run_fails(&run, &cloudflare, FAKE_CLOUDFLARE_BAD_TOKEN, 0,
	    "http_status", 403, NULL);
	run_stop(&run);
}
END_TEST

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	Suite *s = suite_create("recipes_c");
	TCase *gh = tcase_create("github");
	TCase *mt = tcase_create("matomo");
	TCase *cf = tcase_create("cloudflare");

	harness_init();
	tcase_set_timeout(gh, 60);
	tcase_add_test(gh, test_github_values);
	tcase_add_test(gh, test_github_rate_limit);
	tcase_add_test(gh, test_github_bad_credentials);
	suite_add_tcase(s, gh);
	tcase_set_timeout(mt, 60);
	tcase_add_test(mt, test_matomo_values);
	tcase_add_test(mt, test_matomo_api_error);
	tcase_add_test(mt, test_matomo_bad_token);
	suite_add_tcase(s, mt);
	tcase_set_timeout(cf, 60);
	tcase_add_test(cf, test_cloudflare_values);
	tcase_add_test(cf, test_cloudflare_graphql_error);
	tcase_add_test(cf, test_cloudflare_rate_limited);
	tcase_add_test(cf, test_cloudflare_bad_token);
	suite_add_tcase(s, cf);
	return runner_run(s) == 0 ? 0 : 1;
}
