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
#include "fake_api_umami.h"
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

/* The Umami Cloud API key the tests configure. */
#define UMAMI_KEY "api_Umami0Cloud0Key0For0Tests"

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
	basic[base64_encode(pair, n, basic)] = '\0';
	for (i = 0; i < sizeof paths / sizeof *paths; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_int_eq(r->r_status, 200);
		assert_absent(paths[i], r->r_body, user);
		assert_absent(paths[i], r->r_body, secret);
		assert_absent(paths[i], r->r_body, basic);
		harness_resp_free(r);
	}
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

/* Returns the handle of one API's fake of fu. */
typedef struct fu_api_kit *fake_fn(struct fake_upstream *fu);

/* Waits for source name to be ok; returns its document (caller puts).
 * If it never is, says what the violation of fake was. */
static struct json_object *
expect_ok(struct harness *h, const char *name, fake_fn *fake)
{
	struct json_object *doc = harness_wait_status(h, name, "ok", WAIT_MS);
	char *why = doc == NULL ? fake_api_violation(fake(h->h_fu)) : NULL;

	ck_assert_msg(doc != NULL, "%s: never ok (fake: %s)", name,
	    why != NULL ? why : "no violation");
	return doc;
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
	r->r_h = recipe_start(fu, name, r->r_dir.t_path, fast ? "1s" : NULL);
	return r->r_h;
}

/* Stops gatherd and the fake, and removes the secrets. */
static void
run_stop(struct run *r)
{
	harness_stop(r->r_h);
	tmpdir_remove(&r->r_dir);
}

/* An API of a recipe, as the error test drives it. */
struct api {
	const char *a_recipe; /* systemd/recipes/NAME.conf */
	const char *a_source;
	const char *a_file; /* its secret file */
	const char *a_text; /* what the file holds */
	const char *a_user; /* what no page may show (NULL: nothing) */
	const char *a_secret;
	const char *a_stat; /* the stat that holds the count */
	/* Makes the fake expect the test's credentials and answer n. */
	void (*a_setup)(struct fake_upstream *fu, long long n);
	fake_fn *a_fake;
};

/* Makes the Mixpanel fake expect the service account and count n. */
static void
mixpanel_setup(struct fake_upstream *fu, long long n)
{
	fake_mixpanel_expect(fu, MP_USER, MP_SECRET);
	fake_mixpanel_answer(fu, n);
}

/* Makes the Amplitude fake expect the project's keys and count n. */
static void
amplitude_setup(struct fake_upstream *fu, long long n)
{
	fake_amplitude_expect(fu, AMP_KEY, AMP_SECRET);
	fake_amplitude_answer(fu, n);
}

/* Makes the Umami fake expect the key and count n page views (and
 * visitors, visits, bounces and time that follow from it). */
static void
umami_setup(struct fake_upstream *fu, long long n)
{
	struct fake_umami_stats st = {n, n / 4, n / 3, n / 6, n * 60};

	fake_umami_expect(fu, UMAMI_KEY);
	fake_umami_answer(fu, &st);
}

/* Makes the Stripe fake expect the key and list one charge of n cents. */
static void
stripe_setup(struct fake_upstream *fu, long long n)
{
	const struct fake_stripe_charge c = {n, "usd", "succeeded"};

	fake_stripe_expect(fu, STRIPE_KEY);
	fake_stripe_charges(fu, &c, 1);
}

/* The recipes of this program. */
static const struct api apis[] = {
    {"mixpanel", "mixpanel_signups", "mixpanel.cred",
        MP_USER ":" MP_SECRET "\n", MP_USER, MP_SECRET, "signups_today",
        mixpanel_setup, fake_mixpanel},
    {"amplitude", "amplitude_signups", "amplitude.cred",
        AMP_KEY ":" AMP_SECRET "\n", AMP_KEY, AMP_SECRET, "events_today",
        amplitude_setup, fake_amplitude},
    {"umami", "umami_today", "umami.key", UMAMI_KEY "\n", NULL, UMAMI_KEY,
        "pageviews", umami_setup, fake_umami},
    {"stripe", "stripe_today", "stripe.key", STRIPE_KEY ":\n", STRIPE_KEY, "",
        "revenue_cents", stripe_setup, fake_stripe},
};

/* Returns a fake upstream whose fake of a's API expects the test's
 * credentials and answers n. */
static struct fake_upstream *
api_fake(const struct api *a, long long n)
{
	struct fake_upstream *fu = fake_upstream_start(0);

	ck_assert_ptr_nonnull(fu);
	a->a_setup(fu, n);
	return fu;
}

/* Starts a's recipe against fu (taken); fast: interval 1s. */
static struct harness *
api_start(
    struct run *r, const struct api *a, struct fake_upstream *fu, int fast)
{
	return run_start(r, fu, a->a_recipe, a->a_file, a->a_text, fast);
}

/* Each API's rate limit (429), refusal (401) and error (400) fail the
 * poll with that kind and status and the last good value kept, and a
 * good answer after them is taken; never a violation, never a secret
 * shown. */
START_TEST(test_errors)
{
	const struct api *a = &apis[_i];
	struct run r;
	struct harness *h = api_start(&r, a, api_fake(a, 17), 1);
	struct fake_upstream *fu = h->h_fu;
	struct json_object *doc;
	char ptr[128];

	json_object_put(expect_ok(h, a->a_source, a->a_fake));
	fake_api_mode(a->a_fake(fu), FAKE_API_LIMIT);
	expect_kept(h, a->a_source, "rate_limited", 429, NULL, a->a_stat, 17);
	fake_api_mode(a->a_fake(fu), FAKE_API_REFUSE);
	expect_kept(h, a->a_source, "http_status", 401, NULL, a->a_stat, 17);
	a->a_setup(fu, 18);
	fake_api_mode(a->a_fake(fu), FAKE_API_ANSWER);
	doc = expect_ok(h, a->a_source, a->a_fake);
	snprintf(ptr, sizeof ptr, "/values/%s", a->a_stat);
	ck_assert_int_eq(harness_int(doc, ptr), 18);
	json_object_put(doc);
	fake_api_mode(a->a_fake(fu), FAKE_API_FAIL);
	expect_kept(h, a->a_source, "http_status", 400, NULL, a->a_stat, 18);
	ck_assert_ptr_null(fake_api_violation(a->a_fake(fu)));
	assert_no_secret(h, a->a_user, a->a_secret);
	run_stop(&r);
}
END_TEST

/* Each recipe as shipped: its stat gets the count the fake served, and
 * the fake saw its contract kept (the credentials, the day in the
 * recipe's zone: see fake_api_*.c); no page shows a secret. */
START_TEST(test_as_shipped)
{
	const struct api *a = &apis[_i];
	struct run r;
	struct harness *h = api_start(&r, a, api_fake(a, 4242), 0);
	struct json_object *doc;
	char ptr[128];

	doc = expect_ok(h, a->a_source, a->a_fake);
	snprintf(ptr, sizeof ptr, "/values/%s", a->a_stat);
	ck_assert_int_eq(harness_int(doc, ptr), 4242);
	json_object_put(doc);
	ck_assert_ptr_null(fake_api_violation(a->a_fake(h->h_fu)));
	ck_assert_uint_ge(fake_api_answers(a->a_fake(h->h_fu)), 1);
	assert_no_secret(h, a->a_user, a->a_secret);
	run_stop(&r);
}
END_TEST

/* Umami's recipe as shipped: the named secret in x-umami-api-key,
 * startAt at midnight in the recipe's zone and endAt now, in ms; every
 * total, and the bounce rate jq works out. */
START_TEST(test_umami)
{
	static const struct fake_umami_stats st = {1520, 410, 560, 230, 86400};
	struct fake_upstream *fu = api_fake(&apis[2], 0);
	struct run r;
	struct harness *h;
	struct json_object *doc, *rate;

	fake_umami_answer(fu, &st);
	h = api_start(&r, &apis[2], fu, 0);
	doc = expect_ok(h, "umami_today", fake_umami);
	ck_assert_int_eq(harness_int(doc, "/values/pageviews"), 1520);
	ck_assert_int_eq(harness_int(doc, "/values/visitors"), 410);
	ck_assert_int_eq(harness_int(doc, "/values/visits"), 560);
	ck_assert_int_eq(harness_int(doc, "/values/bounces"), 230);
	ck_assert_int_eq(harness_int(doc, "/values/totaltime"), 86400);
	rate = harness_at(doc, "/values/bounce_rate");
	ck_assert(json_object_is_type(rate, json_type_double));
	ck_assert(json_object_get_double(rate) == 230.0 / 560.0);
	json_object_put(doc);
	ck_assert_ptr_null(fake_api_violation(fake_umami(h->h_fu)));
	ck_assert_uint_ge(fake_api_answers(fake_umami(h->h_fu)), 1);
	assert_no_secret(h, NULL, UMAMI_KEY);
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

/* Stripe's recipe as shipped: the sum of today's successful usd charges
 * in cents and the count of successful ones, created[gte] being
 * midnight in the recipe's zone; the fake saw the contract kept. */
START_TEST(test_stripe)
{
	struct fake_upstream *fu = api_fake(&apis[3], 0);
	struct run r;
	struct harness *h;
	struct json_object *doc;

	fake_stripe_charges(
	    fu, stripe_today, sizeof stripe_today / sizeof *stripe_today);
	h = api_start(&r, &apis[3], fu, 0);
	doc = expect_ok(h, "stripe_today", fake_stripe);
	ck_assert_int_eq(harness_int(doc, "/values/revenue_cents"), 7249);
	ck_assert_int_eq(harness_int(doc, "/values/charges"), 4);
	json_object_put(doc);
	ck_assert_ptr_null(fake_api_violation(fake_stripe(h->h_fu)));
	ck_assert_uint_ge(fake_api_answers(fake_stripe(h->h_fu)), 1);
	assert_no_secret(h, STRIPE_KEY, "");
	run_stop(&r);
}
END_TEST

/* More charges today than a page holds is api_error with the recipe's
 * message, the values kept; no charges at all is 0. */
START_TEST(test_stripe_more)
{
	static struct fake_stripe_charge many[101];
	struct run r;
	struct harness *h =
	    api_start(&r, &apis[3], api_fake(&apis[3], 7249), 1);
	struct json_object *doc;
	size_t i;

	json_object_put(expect_ok(h, "stripe_today", fake_stripe));
	for (i = 0; i < sizeof many / sizeof *many; i++)
		many[i] = (struct fake_stripe_charge){100, "usd", "succeeded"};
	fake_stripe_charges(h->h_fu, many, sizeof many / sizeof *many);
	expect_kept(h, "stripe_today", "api_error", 200,
	    "more than 100 charges today: the first page cannot hold them "
	    "all",
	    "revenue_cents", 7249);
	fake_stripe_charges(h->h_fu, NULL, 0);
	doc = expect_ok(h, "stripe_today", fake_stripe);
	ck_assert_int_eq(harness_int(doc, "/values/revenue_cents"), 0);
	ck_assert_int_eq(harness_int(doc, "/values/charges"), 0);
	json_object_put(doc);
	ck_assert_ptr_null(fake_api_violation(fake_stripe(h->h_fu)));
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
	tcase_add_loop_test(tc, test_as_shipped, 0, sizeof apis / sizeof *apis);
	tcase_add_test(tc, test_umami);
	tcase_add_test(tc, test_stripe);
	tcase_add_test(tc, test_stripe_more);
	tcase_add_loop_test(tc, test_errors, 0, sizeof apis / sizeof *apis);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
