/*
 * Integration tests of access tokens, in process against the fake
 * upstream's token endpoint (tests/support/fake_token.c), which checks
 * every request as the real ones do: a JWT signed with a key made for
 * the run and verified with its public key, or a client's Basic
 * credentials.  Sources with the same credentials share one token, one
 * request at a time; a 401 renews it once per poll; a token is renewed
 * before it expires; every way a token endpoint fails is kind auth with
 * the API not called and the source backing off; no secret or token
 * reaches a log line, the API or /metrics.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "fake_token.h"
#include "harness.h"
#include "log.h"
#include "runner.h"
#include "store.h"
#include "tmpdir.h"

#define EMAIL "gatherd-test@gatherd-test.iam.gserviceaccount.com"
#define KID "a1b2c3d4e5f6"
#define SCOPE "https://www.googleapis.com/auth/analytics.readonly"
#define CLIENT_ID "gatherd client:1"
#define CLIENT_SECRET "s3cr:et%&+/="
#define CLIENT_SCOPE "stats:read"

/* Which counter of the fake token endpoint. */
#define REQUESTS offsetof(struct fake_token_counts, ftc_requests)
#define GRANTED offsetof(struct fake_token_counts, ftc_granted)
#define API_CALLS offsetof(struct fake_token_counts, ftc_api_calls)
#define API_DENIED offsetof(struct fake_token_counts, ftc_api_denied)

/* The key pair of the run, made once. */
static char *private_pem, *public_pem;

/* A running gatherd with a key file and a client secret file. */
struct fx {
	struct tmpdir f_t;
	struct harness *f_h;
	struct fake_upstream *f_fu;
	char f_up[64];
	/* Set before fx_start, so the first request sees them. */
	enum fake_token_mode f_mode;
	long f_expires_in; /* 0: the fake's default */
	int f_deny_all;
};

/* Replaces every key in text with value; the caller frees. */
static char *
replace(const char *text, const char *key, const char *value)
{
	size_t klen = strlen(key);
	const char *p, *at;
	char *out = strdup(""), *grown;

	for (p = text; (at = strstr(p, key)) != NULL; p = at + klen) {
		ck_assert_int_gt(
		    asprintf(&grown, "%s%.*s%s", out, (int)(at - p), p, value),
		    0);
		free(out);
		out = grown;
	}
	ck_assert_int_ge(asprintf(&grown, "%s%s", out, p), 0);
	free(out);
	return grown;
}

/*
 * Starts the fake upstream and gatherd; "@KEY@" in the config is a
 * service-account key whose token_uri is token_uri (NULL: the fake's
 * /token), "@SECRET@" a file holding CLIENT_SECRET.
 */
static void
fx_start(struct fx *f, const char *token_uri, const char *global,
    const char *sources)
{
	char uri[128], *json, *g1, *g2, *s1, *s2;
	const char *key, *secret;

	tmpdir_make(&f->f_t);
	f->f_fu = fake_upstream_start(0);
	ck_assert_ptr_nonnull(f->f_fu);
	fake_token_set_mode(f->f_fu, f->f_mode);
	if (f->f_expires_in != 0)
		fake_token_set_expires_in(f->f_fu, f->f_expires_in);
	fake_token_deny_all(f->f_fu, f->f_deny_all);
	snprintf(f->f_up, sizeof f->f_up, "http://127.0.0.1:%u",
	    fake_upstream_port(f->f_fu));
	snprintf(uri, sizeof uri, "%s/token", f->f_up);
	json = fake_token_key_json(
	    private_pem, EMAIL, KID, token_uri != NULL ? token_uri : uri);
	key = tmpdir_write(&f->f_t, "key.json", json);
	free(json);
	secret = tmpdir_write(&f->f_t, "client.secret", CLIENT_SECRET "\n");
	fake_token_expect_google(f->f_fu, public_pem, EMAIL, KID, SCOPE, uri);
	fake_token_expect_client(
	    f->f_fu, CLIENT_ID, CLIENT_SECRET, CLIENT_SCOPE);
	g1 = replace(global, "@KEY@", key);
	g2 = replace(g1, "@SECRET@", secret);
	s1 = replace(sources, "@KEY@", key);
	s2 = replace(s1, "@SECRET@", secret);
	f->f_h = harness_start_fu(f->f_fu, g2, s2);
	free(g1);
	free(g2);
	free(s1);
	free(s2);
}

/* Stops gatherd and the fake, removes the files. */
static void
fx_stop(struct fx *f)
{
	harness_stop(f->f_h);
	tmpdir_remove(&f->f_t);
}

/* Returns one counter of the fake token endpoint. */
static unsigned long
count(struct fx *f, size_t which)
{
	struct fake_token_counts c;
	unsigned long v;

	fake_token_counts(f->f_fu, &c);
	memcpy(&v, (char *)&c + which, sizeof v);
	return v;
}

/* Waits until a counter reaches at least min (at most 20 s). */
static unsigned long
wait_count(struct fx *f, size_t which, unsigned long min)
{
	unsigned long v = 0;
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if ((v = count(f, which)) >= min)
			break;
		usleep(20 * 1000);
	}
	ck_assert_msg(
	    v >= min, "counter %zu is %lu, wanted %lu", which, v, min);
	return v;
}

/* Waits until source name is ok. */
static void
wait_ok(struct fx *f, const char *name)
{
	struct json_object *doc =
	    harness_wait_status(f->f_h, name, "ok", 20000);
	char *why = fake_token_last_error(f->f_fu);

	ck_assert_msg(doc != NULL, "source %s never ok (token endpoint: %s)",
	    name, why != NULL ? why : "no refusal");
	free(why);
	json_object_put(doc);
}

/* Returns source i's counter field from /api/v1/sources. */
static long long
source_field(struct fx *f, int i, const char *field)
{
	struct json_object *doc = harness_get_json(f->f_h, "/api/v1/sources");
	char ptr[64];
	long long v;

	ck_assert_ptr_nonnull(doc);
	snprintf(ptr, sizeof ptr, "/sources/%d/%s", i, field);
	v = harness_int(doc, ptr);
	json_object_put(doc);
	return v;
}

/* A client credentials source called name, with extra lines. */
#define CLIENT_SOURCE(name, interval, extra)                                   \
	"[source " name "]\nurl = @UP@/authed?name=" name "\n"                 \
	"interval = " interval "\nstat total = /data/total\n"                  \
	"auth = oauth2_client_credentials\ntoken_url = @UP@/token\n"           \
	"client_id = " CLIENT_ID "\nclient_secret_file = @SECRET@\n" extra

/* Three sources sharing a key from [gatherd]. */
static const char google_global[] =
    "auth = google_service_account\ncredentials_file = @KEY@\n";

/* Three sources on the API, each every interval. */
static char *
three_sources(const char *interval)
{
	char *text;

	ck_assert_int_gt(asprintf(&text,
	                     "[source ga0]\nurl = @UP@/authed?name=ga0\n"
	                     "interval = %s\nstat total = /data/total\n"
	                     "[source ga1]\nurl = @UP@/authed?name=ga1\n"
	                     "interval = %s\nstat total = /data/total\n"
	                     "[source ga2]\nurl = @UP@/authed?name=ga2\n"
	                     "interval = %s\nstat total = /data/total\n",
	                     interval, interval, interval),
	    0);
	return text;
}

/* GA4's flow: one signed assertion, one token for three sources polling
 * at once, sent as a bearer. */
START_TEST(test_google_shared)
{
	char *src = three_sources("1h"), **issued, *auth, *want;
	struct fx f = {0};

	fx_start(&f, NULL, google_global, src);
	wait_ok(&f, "ga0");
	wait_ok(&f, "ga1");
	wait_ok(&f, "ga2");
	ck_assert_uint_eq(count(&f, REQUESTS), 1);
	ck_assert_uint_eq(count(&f, GRANTED), 1);
	ck_assert_uint_eq(count(&f, API_CALLS), 3);
	ck_assert_uint_eq(count(&f, API_DENIED), 0);
	issued = fake_token_issued(f.f_fu);
	ck_assert_ptr_nonnull(issued[0]);
	ck_assert_ptr_null(issued[1]);
	auth = fake_upstream_last_header(f.f_fu, "Authorization");
	ck_assert_int_gt(asprintf(&want, "Bearer %s", issued[0]), 0);
	ck_assert_str_eq(auth, want);
	free(want);
	free(auth);
	free(issued[0]);
	free(issued);
	fx_stop(&f);
	free(src);
}
END_TEST

/* A token the API stops taking (401) is renewed once, for all three
 * sources, and no poll fails. */
START_TEST(test_google_401_renews_once)
{
	char *src = three_sources("200ms");
	unsigned long ok_before;
	struct fx f = {0};
	int i;

	fx_start(&f, NULL, google_global, src);
	wait_count(&f, API_CALLS, 6);
	ck_assert_uint_eq(count(&f, REQUESTS), 1);
	fake_token_revoke(f.f_fu);
	ok_before = count(&f, API_CALLS) - count(&f, API_DENIED);
	/* Two more good polls of each source after the revocation. */
	wait_count(&f, GRANTED, 2);
	while (count(&f, API_CALLS) - count(&f, API_DENIED) < ok_before + 6)
		wait_count(&f, API_CALLS, count(&f, API_CALLS) + 1);
	ck_assert_uint_eq(count(&f, REQUESTS), 2);
	ck_assert_uint_ge(count(&f, API_DENIED), 1);
	ck_assert_uint_le(count(&f, API_DENIED), 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(source_field(&f, i, "failures_total"), 0);
	fx_stop(&f);
	free(src);
}
END_TEST

/* An API that refuses even a new token: one new token for the poll,
 * then the poll fails with the API's 401. */
START_TEST(test_401_with_new_token)
{
	struct json_object *doc;
	struct fx f = {.f_deny_all = 1};

	fx_start(&f, NULL, google_global,
	    "[source a]\nurl = @UP@/authed?name=a\ninterval = 1h\n"
	    "stat total = /data/total\n");
	doc = harness_wait_error(f.f_h, "a", "http_status", 20000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(harness_int(doc, "/error/http_status"), 401);
	json_object_put(doc);
	ck_assert_uint_eq(count(&f, REQUESTS), 2);
	ck_assert_uint_eq(count(&f, API_CALLS), 2);
	fx_stop(&f);
}
END_TEST

/* The client credentials grant: Basic with the encoded id and secret,
 * the scope in the form, one token for two sources. */
START_TEST(test_client_credentials)
{
	char *why;
	struct fx f = {0};

	fx_start(&f, NULL, "",
	    CLIENT_SOURCE("c0", "1h", "scope = " CLIENT_SCOPE "\n")
	        CLIENT_SOURCE("c1", "1h", "scope = " CLIENT_SCOPE "\n"));
	wait_ok(&f, "c0");
	wait_ok(&f, "c1");
	ck_assert_uint_eq(count(&f, REQUESTS), 1);
	ck_assert_uint_eq(count(&f, GRANTED), 1);
	why = fake_token_last_error(f.f_fu);
	ck_assert_ptr_null(why);
	fx_stop(&f);
}
END_TEST

/* A token request takes a slot of its source's budget, like the API
 * request it serves: on 2 per hour, one poll with a new token leaves
 * none. */
START_TEST(test_token_budget)
{
	struct json_object *v;
	struct fx f = {0};

	fx_start(&f, NULL, "",
	    "[budget b]\nrequests = 2/1h\n" CLIENT_SOURCE(
	        "c0", "1h", "scope = " CLIENT_SCOPE "\nbudget = b\n"));
	wait_ok(&f, "c0");
	ck_assert_uint_eq(count(&f, REQUESTS), 1);
	ck_assert_uint_eq(count(&f, API_CALLS), 1);
	v = harness_source_view(f.f_h, "c0");
	ck_assert_int_eq(harness_int(v, "/budget/remaining"), 0);
	ck_assert_ptr_nonnull(harness_at(v, "/budget/next_at"));
	json_object_put(v);
	fx_stop(&f);
}
END_TEST

/* A wrong client secret is refused by the endpoint: kind auth. */
START_TEST(test_client_refused)
{
	struct json_object *doc;
	char *why;
	struct fx f = {0};

	fx_start(&f, NULL, "", CLIENT_SOURCE("c0", "1h", ""));
	doc = harness_wait_error(f.f_h, "c0", "auth", 20000);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	/* The source sends no scope; the endpoint wants one. */
	why = fake_token_last_error(f.f_fu);
	ck_assert_str_eq(why, "wrong scope");
	free(why);
	ck_assert_uint_eq(count(&f, API_CALLS), 0);
	fx_stop(&f);
}
END_TEST

/* One way a token endpoint fails, and the message it gives. */
struct failure {
	enum fake_token_mode fl_mode;
	int fl_down; /* token_uri on a closed port */
	const char *fl_message; /* after "token endpoint URL: " */
	int fl_exact; /* else a prefix */
};

static const struct failure failures[] = {
    {FAKE_TOKEN_INVALID_CLIENT, 0, "HTTP 400, error invalid_client", 1},
    {FAKE_TOKEN_HTML, 0, "HTTP 200, the response is not a JSON object", 1},
    {FAKE_TOKEN_NO_EXPIRES, 0, "HTTP 200 without expires_in", 1},
    {FAKE_TOKEN_NO_ACCESS_TOKEN, 0, "HTTP 200 without a usable access_token",
        1},
    {FAKE_TOKEN_SLOW, 0, "timeout: ", 0},
    {FAKE_TOKEN_OK, 1, "connect: ", 0},
};

/* Each failure: kind auth with its message, the API never called, and
 * retries on the backoff's schedule (not the hour's interval). */
START_TEST(test_token_failures)
{
	const struct failure *fl = &failures[_i];
	char *closed = fl->fl_down ? harness_closed_port_url() : NULL;
	char *want;
	const char *msg;
	struct json_object *doc;
	struct fx f = {.f_mode = fl->fl_mode};
	int tries;

	fx_start(&f, closed, google_global,
	    "[source a]\nurl = @UP@/authed?name=a\ninterval = 1h\n"
	    "timeout = 500ms\nretry_base = 100ms\nretry_max = 200ms\n"
	    "stat total = /data/total\n");
	doc = harness_wait_error(f.f_h, "a", "auth", 20000);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_gt(asprintf(&want, "token endpoint %s%s: %s",
	                     closed != NULL ? closed : f.f_up,
	                     closed != NULL ? "" : "/token", fl->fl_message),
	    0);
	msg = harness_str(doc, "/error/message");
	ck_assert_ptr_nonnull(msg);
	if (fl->fl_exact)
		ck_assert_str_eq(msg, want);
	else
		ck_assert_msg(strncmp(msg, want, strlen(want)) == 0,
		    "\"%s\" does not start with \"%s\"", msg, want);
	ck_assert_ptr_null(harness_at(doc, "/error/http_status"));
	json_object_put(doc);
	/* Retried after a backoff: the hour's interval would allow one. */
	if (!fl->fl_down)
		wait_count(&f, REQUESTS, 3);
	else
		for (tries = 0; tries < 1000 &&
		     source_field(&f, 0, "consecutive_failures") < 3;
		     tries++)
			usleep(20 * 1000);
	ck_assert_int_ge(source_field(&f, 0, "consecutive_failures"), 2);
	ck_assert_uint_eq(count(&f, API_CALLS), 0);
	ck_assert_uint_eq(count(&f, GRANTED), 0);
	free(want);
	free(closed);
	fx_stop(&f);
}
END_TEST

/* A token is renewed before its expires_in runs out: the API never has
 * to refuse one. */
START_TEST(test_expiry)
{
	struct fx f = {.f_expires_in = 2};

	fx_start(&f, NULL, google_global,
	    "[source a]\nurl = @UP@/authed?name=a\ninterval = 200ms\n"
	    "stat total = /data/total\n");
	wait_count(&f, GRANTED, 3);
	ck_assert_uint_eq(count(&f, API_DENIED), 0);
	ck_assert_int_eq(source_field(&f, 0, "failures_total"), 0);
	fx_stop(&f);
}
END_TEST

/* Stops gatherd's loop, writes its state file as the daemon would on
 * shutdown and returns it (caller frees); fx_stop frees the rest. */
static char *
fx_state(struct fx *f)
{
	struct harness *h = f->f_h;
	struct store *st;
	char path[128];

	event_base_loopbreak(h->h_base);
	pthread_join(h->h_thread, NULL);
	h->h_running = 0;
	st = store_new(h->h_base, f->f_t.t_path, h->h_cache, 0);
	ck_assert_ptr_nonnull(st);
	store_changed(st);
	ck_assert_int_eq(store_flush(st), 0);
	store_free(st);
	snprintf(path, sizeof path, "%s/%s", f->f_t.t_path, STORE_FILE);
	return tmpdir_read(path);
}

/* Asserts that none of the secrets is in text (what names it). */
static void
assert_clean(
    const char *text, const char *what, const char *const *secrets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(strstr(text, secrets[i]) == NULL,
		    "%s holds the secret \"%s\"", what, secrets[i]);
}

/* A named secret (in a url, a header and a body) and a Basic password. */
#define NAMED_SECRET "n4med-s3cret-v4lue"
#define BASIC_PASSWORD "b4sic-pw-v4lue"

/* No private key, client secret, assertion, access token, named secret
 * (sent in a url, a header and a body) or Basic password in the debug
 * log, the API's documents, /metrics or the state file. */
START_TEST(test_no_secret_leaks)
{
	static const char *const paths[] = {"/api/v1/stats", "/api/v1/sources",
	    "/api/v1/info", "/readyz", "/metrics", "/api/v1/stats/ga0",
	    "/api/v1/stats/c0", "/api/v1/sources/ga0/history?stat=total"};
	const char *secrets[16];
	char **issued, *src, *three = three_sources("200ms"), *log_path, *text;
	char *state, *named = harness_token_file(NAMED_SECRET);
	char *basic = harness_token_file("user:" BASIC_PASSWORD), *global;
	char pem_line[65];
	struct harness_resp *r;
	size_t n = 0, i;
	int fd, saved;
	struct fx f = {0};

	ck_assert_int_gt(
	    asprintf(&src,
	        "%s%s[source nm]\nurl = @UP@/stats?name=nm&k=${secret:named}\n"
	        "interval = 200ms\nheader = X-Key: ${secret:named}\n"
	        "stat total = /data/total\n"
	        "[source nb]\nurl = @UP@/echo\ninterval = 200ms\n"
	        "method = POST\nbody = {\"k\": \"${secret:named}\"}\n"
	        "stat method = /method\n"
	        "[source ba]\nurl = @UP@/stats?name=ba\ninterval = 200ms\n"
	        "auth = none\nbasic_auth_file = %s\nstat total = /data/total\n",
	        three,
	        CLIENT_SOURCE("c0", "200ms", "scope = " CLIENT_SCOPE "\n"),
	        basic),
	    0);
	ck_assert_int_gt(
	    asprintf(&global, "%ssecret named = %s\n", google_global, named),
	    0);
	ck_assert_int_gt(asprintf(&log_path, "/tmp/gatherd-check-auth-%d.log",
	                     (int)getpid()),
	    0);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	log_set_level(LOG_LEVEL_DEBUG);
	fx_start(&f, NULL, global, src);
	wait_ok(&f, "ga0");
	wait_ok(&f, "c0");
	wait_ok(&f, "nm");
	wait_ok(&f, "nb");
	wait_ok(&f, "ba");
	/* A 401 and a renewal, logged at debug. */
	fake_token_revoke(f.f_fu);
	wait_count(&f, GRANTED, 4);
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(f.f_h, "GET", paths[i], NULL);
		ck_assert_int_eq(r->r_status, 200);
		issued = fake_token_issued(f.f_fu);
		n = 0;
		secrets[n++] = CLIENT_SECRET;
		secrets[n++] = "s3cr%3Aet%25%26%2B%2F%3D";
		/* base64url of {"alg":"RS256": every assertion's start. */
		secrets[n++] = "eyJhbGciOiJSUzI1NiIs";
		/* The PEM's third line: 48 bytes of the key itself (the
		 * second starts with what every RSA key starts with). */
		snprintf(pem_line, sizeof pem_line, "%.64s",
		    strchr(strchr(private_pem, '\n') + 1, '\n') + 1);
		secrets[n++] = pem_line;
		secrets[n++] = NAMED_SECRET;
		secrets[n++] = BASIC_PASSWORD;
		for (size_t k = 0; issued[k] != NULL && n < 16; k++)
			secrets[n++] = issued[k];
		assert_clean(r->r_body, paths[i], secrets, n);
		assert_clean(r->r_headers, paths[i], secrets, n);
		for (size_t k = 0; issued[k] != NULL; k++)
			free(issued[k]);
		free(issued);
		harness_resp_free(r);
	}
	issued = fake_token_issued(f.f_fu);
	state = fx_state(&f);
	fx_stop(&f);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LEVEL_QUIET);
	text = tmpdir_read(log_path);
	/* The log was written, with the token requests in it. */
	ck_assert_msg(strstr(text, "auth: asking ") != NULL, "log: %s", text);
	ck_assert_msg(strstr(text, "auth: the API refused the token") != NULL,
	    "log: %s", text);
	n = 0;
	secrets[n++] = CLIENT_SECRET;
	secrets[n++] = "s3cr%3Aet%25%26%2B%2F%3D";
	secrets[n++] = "eyJhbGciOiJSUzI1NiIs";
	secrets[n++] = pem_line;
	secrets[n++] = NAMED_SECRET;
	secrets[n++] = BASIC_PASSWORD;
	for (i = 0; issued[i] != NULL && n < 16; i++)
		secrets[n++] = issued[i];
	ck_assert_uint_ge(n, 8);
	assert_clean(text, "the log", secrets, n);
	ck_assert_ptr_nonnull(strstr(state, "\"ga0\""));
	assert_clean(state, "the state file", secrets, n);
	free(state);
	for (i = 0; issued[i] != NULL; i++)
		free(issued[i]);
	free(issued);
	free(text);
	unlink(log_path);
	free(log_path);
	free(src);
	free(three);
	free(global);
	unlink(named);
	unlink(basic);
	free(named);
	free(basic);
}
END_TEST

/* The suite. */
static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_google_shared);
	tcase_add_test(tc, test_google_401_renews_once);
	tcase_add_test(tc, test_401_with_new_token);
	tcase_add_test(tc, test_client_credentials);
	tcase_add_test(tc, test_token_budget);
	tcase_add_test(tc, test_client_refused);
	tcase_add_loop_test(tc, test_token_failures, 0,
	    (int)(sizeof failures / sizeof failures[0]));
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_no_secret_leaks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	harness_init();
	if (fake_token_keygen(&private_pem, &public_pem) != 0) {
		fprintf(stderr, "cannot make an RSA key\n");
		return 1;
	}
	rc = runner_run(auth_suite()) == 0 ? 0 : 1;
	free(private_pem);
	free(public_pem);
	return rc;
}
