/*
 * The recipes of systemd/recipes/ for Mixpanel, Amplitude, Umami and
 * Stripe, each loaded as it ships and run against the fake of its API
 * (fake_api_*.c), which enforces the API's documented request contract
 * (auth, parameters, the day in the recipe's zone) and records any
 * violation.  Per API: every stat gets the value the fake served and
 * the fake saw no violation; the API's rate limit, refusal and error
 * become the right error kinds with the last good value kept; and no
 * secret the test configured reaches /api/v1/sources, /api/v1/stats or
 * /metrics.  The error tests shorten the recipe's interval to 1s (and
 * change nothing else) so that a second poll comes within the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "base64.h"
#include "fake_api_amplitude.h"
#include "fake_api_mixpanel.h"
#include "fake_api_stripe.h"
#include "harness.h"
#include "recipe.h"
#include "runner.h"
#include "tmpdir.h"

/* The Mixpanel service account the tests configure. */
#define MP_USER "gatherd-sa.1a2b3c.mp-service-account"
#define MP_SECRET "mpSecretK3y-not-for-logs"

/* The Amplitude project's keys the tests configure. */
#define AMP_KEY "0123456789abcdef0123456789abcdef"
#define AMP_SECRET "fedcba9876543210-amplitude-secret"

/* The Stripe secret key the tests configure. */
#define STRIPE_KEY "sk_test_51FakeKeyForGatherdRecipesOnly00"

/* How long a test waits for a state, in ms. */
#define WAIT_MS 15000

/* Asserts body of path holds no non-empty needle. */
static void
assert_absent(const char *path, const char *body, const char *needle)
{
	ck_assert_msg(
	    needle == NULL || *needle == '\0' || strstr(body, needle) == NULL,
	    "%s shows a secret", path);
}

/* Asserts no page of gatherd's API shows user (if any), secret, nor the
 * Basic credentials "user:secret". */
static void
assert_no_secret(struct harness *h, const char *user, const char *secret)
{
	static const char *const paths[] = {
	    "/api/v1/sources", "/api/v1/stats", "/metrics"};
	char pair[256], basic[512];
	struct harness_resp *r;
	size_t i, n;

	n = (size_t)snprintf(
	    pair, sizeof pair, "%s:%s", user ? user : "", secret);
	ck_assert_uint_lt(base64_encoded_len(n), sizeof basic);
	base64_encode(pair, n, basic);
	for (i = 0; i < sizeof paths / sizeof *paths; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_int_eq(r->r_status, 200);
		assert_absent(paths[i], r->r_body, user);
		assert_absent(paths[i], r->r_body, secret);
		assert_absent(paths[i], r->r_body, basic);
		harness_resp_free(r);
	}
}

/*
 * Starts gatherd on recipe name against fu with secrets in creds, its
 * "interval = ..." lines made "interval = 1s" and nothing else changed.
 */
static struct harness *
start_fast(struct fake_upstream *fu, const char *name, const char *creds)
{
	char up[64], *text, *fast, *pointed, *p, *o;
	struct harness *h;

	text = recipe_read(name);
	ck_assert_ptr_nonnull(fast = malloc(strlen(text) + 1));
	for (p = text, o = fast; *p != '\0';) {
		if ((p == text || p[-1] == '\n') &&
		    strncmp(p, "interval = ", 11) == 0) {
			o += sprintf(o, "interval = 1s");
			p += strcspn(p, "\n");
		} else
			*o++ = *p++;
	}
	*o = '\0';
	ck_assert_ptr_null(strstr(text, "interval = 1s"));
	snprintf(up, sizeof up, "http://127.0.0.1:%u", fake_upstream_port(fu));
	pointed = recipe_point(fast, up);
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	h = harness_start_fu(fu, NULL, pointed);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(pointed);
	free(fast);
	free(text);
	return h;
}

/* Waits for source name to fail with kind, HTTP status and message (NULL:
 * any); asserts the last good value of stat is still value, stale. */
static void
expect_kept(struct harness *h, const char *name, const char *kind,
    long long status, const char *message, const char *stat, long long value)
{
	struct json_object *doc = harness_wait_error(h, name, kind, WAIT_MS);
	char ptr[128];

	ck_assert_msg(doc != NULL, "%s: never %s", name, kind);
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), status);
	if (message != NULL)
		ck_assert_str_eq(harness_str(doc, "/error/message"), message);
	ck_assert_str_eq(harness_str(doc, "/status"), "stale");
	snprintf(ptr, sizeof ptr, "/values/%s", stat);
	ck_assert_int_eq(harness_int(doc, ptr), value);
	json_object_put(doc);
}

/* A fake's first contract violation (caller frees), or NULL. */
typedef char *violation_fn(struct fake_upstream *fu);

/* Waits for source name to be ok; returns its document (caller puts).
 * If it never is, says what the fake's violation was. */
static struct json_object *
expect_ok(struct harness *h, const char *name, violation_fn *violation)
{
	struct json_object *doc = harness_wait_status(h, name, "ok", WAIT_MS);
	char *why = doc == NULL ? violation(h->h_fu) : NULL;

	ck_assert_msg(doc != NULL, "%s: never ok (fake: %s)", name,
	    why != NULL ? why : "no violation");
	return doc;
}

/* Returns a fake upstream whose Mixpanel fake expects the test's
 * service account and answers count. */
static struct fake_upstream *
mixpanel_fake(long long count)
{
	struct fake_upstream *fu = fake_upstream_start(0);

	ck_assert_ptr_nonnull(fu);
	fake_mixpanel_expect(fu, MP_USER, MP_SECRET);
	fake_mixpanel_answer(fu, count);
	return fu;
}

/* A recipe running against a fake: its secrets' directory and gatherd. */
struct run {
	struct tmpdir r_dir;
	struct harness *r_h;
};

/*
 * Starts recipe name against fu (taken) with the secret file file
 * holding text; fast: its interval made 1s.  Returns gatherd.
 */
static struct harness *
run_start(struct run *r, struct fake_upstream *fu, const char *name,
    const char *file, const char *text, int fast)
{
	tmpdir_make(&r->r_dir);
	tmpdir_write(&r->r_dir, file, text);
	r->r_h = fast ? start_fast(fu, name, r->r_dir.t_path)
	              : recipe_start(fu, name, r->r_dir.t_path, NULL);
	return r->r_h;
}

/* Stops gatherd and the fake, and removes the secrets. */
static void
run_stop(struct run *r)
{
	harness_stop(r->r_h);
	tmpdir_remove(&r->r_dir);
}

/* Mixpanel's recipe as shipped: today's count in the project's zone,
 * looked up by the series' date; the fake saw the contract kept. */
START_TEST(test_mixpanel)
{
	struct fake_upstream *fu = mixpanel_fake(4242);
	struct run r;
	struct harness *h = run_start(
	    &r, fu, "mixpanel", "mixpanel.cred", MP_USER ":" MP_SECRET "\n", 0);
	struct json_object *doc;

	doc = expect_ok(h, "mixpanel_signups", fake_mixpanel_violation);
	ck_assert_int_eq(harness_int(doc, "/values/signups_today"), 4242);
	json_object_put(doc);
	ck_assert_ptr_null(fake_mixpanel_violation(fu));
	ck_assert_uint_ge(fake_mixpanel_answers(fu), 1);
	assert_no_secret(h, MP_USER, MP_SECRET);
	run_stop(&r);
}
END_TEST

/* Mixpanel's 429, 401 and 400 fail the poll with the value kept. */
START_TEST(test_mixpanel_errors)
{
	struct fake_upstream *fu = mixpanel_fake(17);
	struct run r;
	struct harness *h = run_start(
	    &r, fu, "mixpanel", "mixpanel.cred", MP_USER ":" MP_SECRET "\n", 1);
	struct json_object *doc;

	json_object_put(
	    expect_ok(h, "mixpanel_signups", fake_mixpanel_violation));
	fake_mixpanel_mode(fu, FAKE_API_LIMIT);
	expect_kept(h, "mixpanel_signups", "rate_limited", 429, NULL,
	    "signups_today", 17);
	fake_mixpanel_mode(fu, FAKE_API_REFUSE);
	expect_kept(h, "mixpanel_signups", "http_status", 401, NULL,
	    "signups_today", 17);
	fake_mixpanel_answer(fu, 18);
	fake_mixpanel_mode(fu, FAKE_API_ANSWER);
	doc = expect_ok(h, "mixpanel_signups", fake_mixpanel_violation);
	ck_assert_int_eq(harness_int(doc, "/values/signups_today"), 18);
	json_object_put(doc);
	fake_mixpanel_mode(fu, FAKE_API_FAIL);
	expect_kept(h, "mixpanel_signups", "http_status", 400, NULL,
	    "signups_today", 18);
	ck_assert_ptr_null(fake_mixpanel_violation(fu));
	assert_no_secret(h, MP_USER, MP_SECRET);
	run_stop(&r);
}
END_TEST

/* Today's charges: usd revenue 1999 + 5000 + 250 cents; four succeeded. */
static const struct fake_stripe_charge stripe_today[] = {
    {1999, "usd", "succeeded"},
    {700, "usd", "failed"},
    {5000, "usd", "succeeded"},
    {900, "eur", "succeeded"},
    {1200, "usd", "pending"},
    {250, "usd", "succeeded"},
};

/* Returns a fake upstream whose Stripe fake expects the test's key and
 * lists today's charges. */
static struct fake_upstream *
stripe_fake(void)
{
	struct fake_upstream *fu = fake_upstream_start(0);

	ck_assert_ptr_nonnull(fu);
	fake_stripe_expect(fu, STRIPE_KEY);
	fake_stripe_charges(
	    fu, stripe_today, sizeof stripe_today / sizeof *stripe_today);
	return fu;
}

/* Stripe's recipe as shipped: the sum of today's successful usd charges
 * in cents and the count of successful ones, created[gte] being
 * midnight in the recipe's zone; the fake saw the contract kept. */
START_TEST(test_stripe)
{
	struct fake_upstream *fu = stripe_fake();
	struct run r;
	struct harness *h =
	    run_start(&r, fu, "stripe", "stripe.key", STRIPE_KEY ":\n", 0);
	struct json_object *doc;

	doc = expect_ok(h, "stripe_today", fake_stripe_violation);
	ck_assert_int_eq(harness_int(doc, "/values/revenue_cents"), 7249);
	ck_assert_int_eq(harness_int(doc, "/values/charges"), 4);
	json_object_put(doc);
	ck_assert_ptr_null(fake_stripe_violation(fu));
	ck_assert_uint_ge(fake_stripe_answers(fu), 1);
	assert_no_secret(h, STRIPE_KEY, "");
	run_stop(&r);
}
END_TEST

/* Stripe's 429 and 401, and a list with more than a page, fail the poll
 * with the values kept; no charges at all is 0. */
START_TEST(test_stripe_errors)
{
	static struct fake_stripe_charge many[101];
	struct fake_upstream *fu = stripe_fake();
	struct run r;
	struct harness *h =
	    run_start(&r, fu, "stripe", "stripe.key", STRIPE_KEY ":\n", 1);
	struct json_object *doc;
	size_t i;

	json_object_put(expect_ok(h, "stripe_today", fake_stripe_violation));
	fake_stripe_mode(fu, FAKE_API_LIMIT);
	expect_kept(h, "stripe_today", "rate_limited", 429, NULL,
	    "revenue_cents", 7249);
	fake_stripe_mode(fu, FAKE_API_REFUSE);
	expect_kept(
	    h, "stripe_today", "http_status", 401, NULL, "revenue_cents", 7249);
	for (i = 0; i < sizeof many / sizeof *many; i++)
		many[i] = (struct fake_stripe_charge){100, "usd", "succeeded"};
	fake_stripe_charges(fu, many, sizeof many / sizeof *many);
	fake_stripe_mode(fu, FAKE_API_ANSWER);
	expect_kept(h, "stripe_today", "api_error", 200,
	    "more than 100 charges today: the first page cannot hold them "
	    "all",
	    "revenue_cents", 7249);
	fake_stripe_charges(fu, NULL, 0);
	doc = expect_ok(h, "stripe_today", fake_stripe_violation);
	ck_assert_int_eq(harness_int(doc, "/values/revenue_cents"), 0);
	ck_assert_int_eq(harness_int(doc, "/values/charges"), 0);
	json_object_put(doc);
	ck_assert_ptr_null(fake_stripe_violation(fu));
	assert_no_secret(h, STRIPE_KEY, "");
	run_stop(&r);
}
END_TEST

/* Returns a fake upstream whose Amplitude fake expects the test's keys
 * and answers count. */
static struct fake_upstream *
amplitude_fake(long long count)
{
	struct fake_upstream *fu = fake_upstream_start(0);

	ck_assert_ptr_nonnull(fu);
	fake_amplitude_expect(fu, AMP_KEY, AMP_SECRET);
	fake_amplitude_answer(fu, count);
	return fu;
}

/* Amplitude's recipe as shipped: e arrives as the event's JSON, start
 * and end as today in the project's zone; the count is today's. */
START_TEST(test_amplitude)
{
	struct fake_upstream *fu = amplitude_fake(311);
	struct run r;
	struct harness *h = run_start(&r, fu, "amplitude", "amplitude.cred",
	    AMP_KEY ":" AMP_SECRET "\n", 0);
	struct json_object *doc;

	doc = expect_ok(h, "amplitude_signups", fake_amplitude_violation);
	ck_assert_int_eq(harness_int(doc, "/values/events_today"), 311);
	json_object_put(doc);
	ck_assert_ptr_null(fake_amplitude_violation(fu));
	ck_assert_uint_ge(fake_amplitude_answers(fu), 1);
	assert_no_secret(h, AMP_KEY, AMP_SECRET);
	run_stop(&r);
}
END_TEST

/* Amplitude's 429, 401 and 400 fail the poll with the value kept. */
START_TEST(test_amplitude_errors)
{
	struct fake_upstream *fu = amplitude_fake(5);
	struct run r;
	struct harness *h = run_start(&r, fu, "amplitude", "amplitude.cred",
	    AMP_KEY ":" AMP_SECRET "\n", 1);
	struct json_object *doc;

	json_object_put(
	    expect_ok(h, "amplitude_signups", fake_amplitude_violation));
	fake_amplitude_mode(fu, FAKE_API_LIMIT);
	expect_kept(h, "amplitude_signups", "rate_limited", 429, NULL,
	    "events_today", 5);
	fake_amplitude_mode(fu, FAKE_API_REFUSE);
	expect_kept(h, "amplitude_signups", "http_status", 401, NULL,
	    "events_today", 5);
	fake_amplitude_answer(fu, 6);
	fake_amplitude_mode(fu, FAKE_API_ANSWER);
	doc = expect_ok(h, "amplitude_signups", fake_amplitude_violation);
	ck_assert_int_eq(harness_int(doc, "/values/events_today"), 6);
	json_object_put(doc);
	fake_amplitude_mode(fu, FAKE_API_FAIL);
	expect_kept(h, "amplitude_signups", "http_status", 400, NULL,
	    "events_today", 6);
	ck_assert_ptr_null(fake_amplitude_violation(fu));
	assert_no_secret(h, AMP_KEY, AMP_SECRET);
	run_stop(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("recipes_b");
	TCase *tc = tcase_create("recipes");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mixpanel);
	tcase_add_test(tc, test_mixpanel_errors);
	tcase_add_test(tc, test_stripe);
	tcase_add_test(tc, test_stripe_errors);
	tcase_add_test(tc, test_amplitude);
	tcase_add_test(tc, test_amplitude_errors);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
