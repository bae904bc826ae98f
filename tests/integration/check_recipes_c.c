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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <json-c/json.h>

#include "fake_api_github.h"
#include "harness.h"
#include "recipe.h"
#include "runner.h"
#include "tmpdir.h"

/* The secrets the tests configure; none may ever be shown. */
#define GITHUB_TOKEN "github_pat_11AAAAAAA0secretGitHubToken42"

/* How long a test waits for a poll's outcome, in ms. */
#define WAIT_MS 10000

/*
 * Starts gatherd on recipe name with its interval set to 1s, so that a
 * test sees a second poll (a failure after a good value) at once; the
 * rest of the recipe is as it ships.
 */
static struct harness *
start_fast(struct fake_upstream *fu, const char *name, const char *creds)
{
	char up[64], *text, *pointed, *line, *end;
	struct harness *h;

	text = recipe_read(name);
	ck_assert_ptr_nonnull(line = strstr(text, "\ninterval = "));
	line += strlen("\ninterval = ");
	end = line + strcspn(line, "\n");
	ck_assert_int_ge(end - line, 2);
	/* "1s" and spaces: the same length, the rest of the text kept. */
	memset(line, ' ', (size_t)(end - line));
	memcpy(line, "1s", 2);
	snprintf(up, sizeof up, "http://127.0.0.1:%u", fake_upstream_port(fu));
	pointed = recipe_point(text, up);
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	h = harness_start_fu(fu, NULL, pointed);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(pointed);
	free(text);
	return h;
}

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

/* Waits until source name fails with kind, its last values kept. */
static struct json_object *
wait_kept(struct harness *h, const char *name, const char *kind)
{
	struct json_object *doc = harness_wait_error(h, name, kind, WAIT_MS);

	ck_assert_msg(doc != NULL, "%s: never %s", name, kind);
	/* Values held from the last good poll: stale, not error. */
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	return doc;
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

/* Starts a fake upstream expecting the GitHub token, its file in t. */
static struct fake_upstream *
github_fake(struct tmpdir *t)
{
	struct fake_upstream *fu = fake_upstream_start(0);

	ck_assert_ptr_nonnull(fu);
	tmpdir_make(t);
	put_secret(t, "github.token", GITHUB_TOKEN);
	fake_github_expect(fu, GITHUB_TOKEN);
	return fu;
}

/* GitHub: the recipe as shipped gets the repository's three counts. */
START_TEST(test_github_values)
{
	struct tmpdir t;
	struct fake_upstream *fu = github_fake(&t);
	struct harness *h = recipe_start(fu, "github", t.t_path, NULL);
	struct json_object *doc = wait_ok(h, "github");

	ck_assert_int_eq(harness_int(doc, "/values/stars"), FAKE_GITHUB_STARS);
	ck_assert_int_eq(harness_int(doc, "/values/forks"), FAKE_GITHUB_FORKS);
	ck_assert_int_eq(
	    harness_int(doc, "/values/open_issues"), FAKE_GITHUB_OPEN_ISSUES);
	json_object_put(doc);
	assert_no_violation(fake_github_violation(fu));
	ck_assert_uint_ge(fake_github_requests(fu), 1);
	assert_no_secret(h, GITHUB_TOKEN);
	harness_stop(h);
	tmpdir_remove(&t);
}
END_TEST

/*
 * Runs the GitHub recipe to a good poll, then has the fake answer mode:
 * the source must fail with kind and HTTP status, its counts kept.
 * Returns the running harness; *fu and t are the test's to clean.
 */
static struct harness *
github_fails(struct tmpdir *t, struct fake_upstream **fu,
    enum fake_github_mode mode, int64_t reset, const char *kind, int status)
{
	struct harness *h;
	struct json_object *doc;

	*fu = github_fake(t);
	h = start_fast(*fu, "github", t->t_path);
	json_object_put(wait_ok(h, "github"));
	fake_github_set_mode(*fu, mode, reset);
	doc = wait_kept(h, "github", kind);
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), status);
	ck_assert_int_eq(harness_int(doc, "/values/stars"), FAKE_GITHUB_STARS);
	json_object_put(doc);
	assert_no_violation(fake_github_violation(*fu));
	assert_no_secret(h, GITHUB_TOKEN);
	return h;
}

/* GitHub's 403 with x-ratelimit-remaining: 0: rate_limited, the next
 * poll at x-ratelimit-reset, the counts kept. */
START_TEST(test_github_rate_limit)
{
	int64_t reset = (int64_t)time(NULL) + 1800;
	struct fake_upstream *fu;
	struct json_object *src;
	struct harness *h;
	struct tmpdir t;

	h = github_fails(
	    &t, &fu, FAKE_GITHUB_RATE_LIMITED, reset, "rate_limited", 403);
	/* Not before the reset GitHub named, though the interval is 1s. */
	src = harness_source_view(h, "github");
	ck_assert_int_ge(unix_of(harness_str(src, "/next_poll_at")), reset - 1);
	ck_assert_int_le(unix_of(harness_str(src, "/next_poll_at")), reset + 1);
	json_object_put(src);
	harness_stop(h);
	tmpdir_remove(&t);
}
END_TEST

/* GitHub's 401 "Bad credentials": http_status 401, the counts kept. */
START_TEST(test_github_bad_credentials)
{
	struct fake_upstream *fu;
	struct harness *h;
	struct tmpdir t;

	h = github_fails(
	    &t, &fu, FAKE_GITHUB_BAD_CREDENTIALS, 0, "http_status", 401);
	harness_stop(h);
	tmpdir_remove(&t);
}
END_TEST

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	Suite *s = suite_create("recipes_c");
	TCase *gh = tcase_create("github");

	harness_init();
	tcase_set_timeout(gh, 60);
	tcase_add_test(gh, test_github_values);
	tcase_add_test(gh, test_github_rate_limit);
	tcase_add_test(gh, test_github_bad_credentials);
	suite_add_tcase(s, gh);
	return runner_run(s) == 0 ? 0 : 1;
}
