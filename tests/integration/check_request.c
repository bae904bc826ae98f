/*
 * The shape of a request, in process against the fake upstream's /echo,
 * which answers with what it was sent: a POST with a JSON, a form or a
 * file's body, a POST with none, a GET on the handle a POST used just
 * before, HTTP Basic from a file ("user:password" and "key:", per source
 * and from [gatherd]) kept from another host on a redirect, and no
 * secret or body in any log line or API document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "log.h"
#include "runner.h"

/* Stats that read back every field of an /echo answer. */
#define ECHO_STATS                                                             \
	"stat method = /method\n"                                              \
	"stat type = /content_type\n"                                          \
	"stat body = /body\n"                                                  \
	"stat length = /body_length\n"                                         \
	"stat auth = /auth_scheme\n"                                           \
	"stat user = /basic_user\n"                                            \
	"stat password = /basic_password\n"                                    \
	"stat expect = /expect\n"                                              \
	"stat inm = /if_none_match\n"

/* Returns source name's polls so far. */
static long long
polls(struct harness *h, const char *name)
{
	struct json_object *v = harness_source_view(h, name);
	long long n = harness_int(v, "/polls_total");

	json_object_put(v);
	return n;
}

/* Waits until source name has made n polls and its last was ok;
 * returns its /api/v1/stats/NAME document (caller puts). */
static struct json_object *
wait_ok_after(struct harness *h, const char *name, long long n)
{
	struct json_object *doc;
	int tries;

	for (tries = 0; tries < 1500 && polls(h, name) < n; tries++)
		usleep(20 * 1000);
	ck_assert_msg(
	    polls(h, name) >= n, "%s: fewer than %lld polls", name, n);
	doc = harness_wait_status(h, name, "ok", 10000);
	ck_assert_msg(doc != NULL, "source %s is not ok", name);
	return doc;
}

/* Asserts that stat of doc's values is the string want, or null. */
static void
expect_echo(struct json_object *doc, const char *stat, const char *want)
{
	char ptr[64];
	struct json_object *v;

	snprintf(ptr, sizeof ptr, "/values/%s", stat);
	v = harness_at(doc, ptr);
	if (want == NULL) {
		ck_assert_msg(v == NULL, "%s is %s, not null", stat,
		    json_object_to_json_string(v));
		return;
	}
	ck_assert_msg(v != NULL && json_object_is_type(v, json_type_string),
	    "%s is not a string", stat);
	ck_assert_str_eq(json_object_get_string(v), want);
}

/* Asserts the body source name's last poll sent: method, content type
 * (NULL: none), body and its length, no Expect, no validators. */
static void
expect_sent(struct json_object *doc, const char *method, const char *type,
    const char *body)
{
	expect_echo(doc, "method", method);
	expect_echo(doc, "type", type);
	expect_echo(doc, "body", body);
	ck_assert_int_eq(harness_int(doc, "/values/length"), strlen(body));
	expect_echo(doc, "expect", NULL);
	expect_echo(doc, "inm", NULL);
}

/* Writes text to a new temporary file; returns its path (the caller
 * unlinks and frees it). */
static char *
temp_file(const char *text)
{
	char *path = strdup("/tmp/check_request.XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(close(fd), 0);
	return path;
}

/* A POST of a JSON body: the body byte for byte, Content-Type JSON, no
 * "Expect: 100-continue"; the sources view says POST, never the body. */
START_TEST(test_post_json)
{
	struct harness *h = harness_start(NULL,
	    "[source p]\nurl = @UP@/echo\ninterval = 1h\nmethod = POST\n"
	    "body = {\"site_id\":\"example.com\",\"metrics\":[\"visitors\"],"
	    "\"q\":\"a \\\"b\\\" & c=d\"}\n" ECHO_STATS);
	struct json_object *doc, *view;

	doc = wait_ok_after(h, "p", 1);
	expect_sent(doc, "POST", "application/json",
	    "{\"site_id\":\"example.com\",\"metrics\":[\"visitors\"],"
	    "\"q\":\"a \\\"b\\\" & c=d\"}");
	expect_echo(doc, "auth", NULL);
	json_object_put(doc);
	view = harness_source_view(h, "p");
	ck_assert_str_eq(harness_str(view, "/method"), "POST");
	ck_assert_ptr_null(json_object_object_get(view, "body"));
	ck_assert_ptr_null(
	    strstr(json_object_to_json_string(view), "example.com"));
	json_object_put(view);
	harness_stop(h);
}
END_TEST

/* A form body goes as given, with the form type; another media type
 * with its parameters as given. */
START_TEST(test_post_form)
{
	struct harness *h = harness_start(NULL,
	    "[source f]\nurl = @UP@/echo\ninterval = 1h\nmethod = POST\n"
	    "content_type = application/x-www-form-urlencoded\n"
	    "body = module=API&method=VisitsSummary.get&date=today&"
	    "token_auth=0123abc\n" ECHO_STATS
	    "[source g]\nurl = @UP@/echo\ninterval = 1h\nmethod = POST\n"
	    "content_type = application/graphql; charset=utf-8\n"
	    "body = { viewer { zones { httpRequests1dGroups { sum } } } "
	    "}\n" ECHO_STATS);
	struct json_object *doc;

	doc = wait_ok_after(h, "f", 1);
	expect_sent(doc, "POST", "application/x-www-form-urlencoded",
	    "module=API&method=VisitsSummary.get&date=today&token_auth="
	    "0123abc");
	json_object_put(doc);
	doc = wait_ok_after(h, "g", 1);
	expect_sent(doc, "POST", "application/graphql; charset=utf-8",
	    "{ viewer { zones { httpRequests1dGroups { sum } } } }");
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* body_file: the file's text, its last line end dropped, several KB
 * without an Expect wait; a POST with no body sends no Content-Type. */
START_TEST(test_body_file_and_empty)
{
	char *big, *file, *text, *want;
	struct json_object *doc;
	struct harness *h;
	size_t i;

	ck_assert_ptr_nonnull(big = malloc(8192));
	strcpy(big, "{\"dimensions\":[");
	for (i = 0; i < 300; i++)
		strcat(
		    big, i == 0 ? "{\"name\":\"date\"}" : ",{\"name\":\"d\"}");
	strcat(big, "]}\n");
	file = temp_file(big);
	ck_assert_int_gt(asprintf(&text,
	                     "[source b]\nurl = @UP@/echo\ninterval = 1h\n"
	                     "method = POST\nbody_file = %s\n" ECHO_STATS
	                     "[source e]\nurl = @UP@/echo\ninterval = 1h\n"
	                     "method = POST\n" ECHO_STATS,
	                     file),
	    0);
	h = harness_start(NULL, text);
	ck_assert_ptr_nonnull(want = strndup(big, strlen(big) - 1));
	doc = wait_ok_after(h, "b", 1);
	expect_sent(doc, "POST", "application/json", want);
	ck_assert_int_gt(strlen(want), 3000);
	json_object_put(doc);
	doc = wait_ok_after(h, "e", 1);
	expect_sent(doc, "POST", NULL, "");
	json_object_put(doc);
	harness_stop(h);
	unlink(file);
	free(file);
	free(text);
	free(want);
	free(big);
}
END_TEST

/*
 * One transfer at a time, so one pooled easy handle for both: the GET
 * polled after the POST is a plain GET, with no body, no Content-Type
 * and none of the POST's Basic credentials.
 */
START_TEST(test_get_after_post)
{
	char *cred = harness_token_file("poster:pw"), *text;
	struct json_object *doc;
	struct harness *h;
	long long n;

	ck_assert_int_gt(
	    asprintf(&text,
	        "[source p]\nurl = @UP@/echo\ninterval = 200ms\n"
	        "method = POST\nbody = {\"a\":1}\n"
	        "basic_auth_file = %s\n" ECHO_STATS
	        "[source g]\nurl = @UP@/echo\ninterval = 200ms\n" ECHO_STATS,
	        cred),
	    0);
	h = harness_start("max_concurrency = 1\n", text);
	doc = wait_ok_after(h, "p", 2);
	expect_sent(doc, "POST", "application/json", "{\"a\":1}");
	expect_echo(doc, "user", "poster");
	json_object_put(doc);
	/* Two polls of g that started after p's second. */
	n = polls(h, "g");
	doc = wait_ok_after(h, "g", n + 2);
	expect_sent(doc, "GET", NULL, "");
	expect_echo(doc, "auth", NULL);
	expect_echo(doc, "user", NULL);
	json_object_put(doc);
	doc = harness_source_view(h, "g");
	ck_assert_str_eq(harness_str(doc, "/method"), "GET");
	json_object_put(doc);
	harness_stop(h);
	unlink(cred);
	free(cred);
	free(text);
}
END_TEST

/* An ETag makes the next GET conditional, never the next POST: a
 * server answers a POST's If-None-Match with 412, not 304. */
START_TEST(test_post_no_validators)
{
	struct harness *h = harness_start(NULL,
	    "[source p]\nurl = @UP@/echo?etag=p1\ninterval = 200ms\n"
	    "method = POST\nbody = {}\n" ECHO_STATS
	    "[source g]\nurl = @UP@/echo?etag=g1\ninterval = 200ms\n"
	    "stat inm = /if_none_match\n");
	struct json_object *doc;

	doc = wait_ok_after(h, "p", 3);
	expect_sent(doc, "POST", "application/json", "{}");
	json_object_put(doc);
	doc = wait_ok_after(h, "g", 3);
	expect_echo(doc, "inm", "\"g1\"");
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* Basic auth: "user:password" per source, "key:" from [gatherd] for a
 * source with no credentials, a bearer token kept by its own source. */
START_TEST(test_basic_auth)
{
	char *mixpanel = harness_token_file("svc-user.1:pa:ss");
	char *stripe = harness_token_file("sk_test_4eC39HqLyjWDarjtT1zdp7dc:");
	char *token = harness_token_file("t0ken"), *global, *text, *v;
	struct json_object *doc;
	struct harness *h;

	ck_assert_int_gt(
	    asprintf(&global, "basic_auth_file = %s\n", stripe), 0);
	ck_assert_int_gt(
	    asprintf(&text,
	        "[source m]\nurl = @UP@/echo\ninterval = 1h\n"
	        "basic_auth_file = %s\n" ECHO_STATS
	        "[source s]\nurl = @UP@/echo\ninterval = 1h\n" ECHO_STATS
	        "[source t]\nurl = @UP@/echo\ninterval = 1h\n"
	        "token_file = %s\n" ECHO_STATS,
	        mixpanel, token),
	    0);
	h = harness_start(global, text);
	doc = wait_ok_after(h, "m", 1);
	expect_echo(doc, "auth", "Basic");
	expect_echo(doc, "user", "svc-user.1");
	expect_echo(doc, "password", "pa:ss");
	json_object_put(doc);
	doc = wait_ok_after(h, "s", 1);
	expect_echo(doc, "auth", "Basic");
	expect_echo(doc, "user", "sk_test_4eC39HqLyjWDarjtT1zdp7dc");
	expect_echo(doc, "password", "");
	json_object_put(doc);
	doc = wait_ok_after(h, "t", 1);
	expect_echo(doc, "auth", "Bearer");
	expect_echo(doc, "user", NULL);
	json_object_put(doc);
	/* The header itself, as RFC 7617 spells it. */
	harness_stop(h);
	h = harness_start(global,
	    "[source s]\nurl = @UP@/echo\ninterval = 1h\n"
	    "stat m = /method\n");
	json_object_put(wait_ok_after(h, "s", 1));
	v = fake_upstream_last_header(h->h_fu, "Authorization");
	ck_assert_str_eq(
	    v, "Basic c2tfdGVzdF80ZUMzOUhxTHlqV0Rhcmp0VDF6ZHA3ZGM6");
	free(v);
	harness_stop(h);
	unlink(mixpanel);
	unlink(stripe);
	unlink(token);
	free(mixpanel);
	free(stripe);
	free(token);
	free(global);
	free(text);
}
END_TEST

/* A redirect keeps Basic credentials on the same host and drops them
 * on another ("localhost" is not "127.0.0.1"). */
START_TEST(test_basic_redirect)
{
	char *cred = harness_token_file("alice:s3cret"), *text, *auth;
	char target[160];
	struct json_object *doc;
	struct harness *h;

	ck_assert_int_gt(asprintf(&text,
	                     "[source r]\nurl = @UP@/stats?name=r\n"
	                     "interval = 200ms\nbasic_auth_file = %s\n"
	                     "stat auth = /auth_scheme\nstat user = "
	                     "/basic_user\n",
	                     cred),
	    0);
	h = harness_start(NULL, text);
	snprintf(target, sizeof target, "/redirect?to=http://127.0.0.1:%u/echo",
	    fake_upstream_port(h->h_fu));
	fake_upstream_rewrite(h->h_fu, "r", target);
	doc = wait_ok_after(h, "r", polls(h, "r") + 2);
	expect_echo(doc, "auth", "Basic");
	expect_echo(doc, "user", "alice");
	json_object_put(doc);
	snprintf(target, sizeof target, "/redirect?to=http://localhost:%u/echo",
	    fake_upstream_port(h->h_fu));
	fake_upstream_rewrite(h->h_fu, "r", target);
	doc = wait_ok_after(h, "r", polls(h, "r") + 2);
	expect_echo(doc, "auth", NULL);
	expect_echo(doc, "user", NULL);
	json_object_put(doc);
	auth = fake_upstream_last_header(h->h_fu, "Authorization");
	ck_assert_msg(auth == NULL, "the credentials travelled: %s", auth);
	harness_stop(h);
	unlink(cred);
	free(cred);
	free(text);
}
END_TEST

/* What no log line and no document may hold: the secrets, the Basic
 * header they make, and a body. */
static const char *const hidden[] = {
    "grep-user-7f3a",
    "grep-pass-91bc",
    "Z3JlcC11c2VyLTdmM2E6Z3JlcC1wYXNzLTkxYmM",
    "grep-token-55e1",
    "grep-named-c0de",
    "grep-body-2b7d",
};

/* Asserts that text (from where) holds none of the hidden strings. */
static void
expect_hidden(const char *text, const char *where)
{
	size_t i;

	for (i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
		ck_assert_msg(strstr(text, hidden[i]) == NULL, "%s shows %s",
		    where, hidden[i]);
}

/* Returns the whole text of the file at path (the caller frees). */
static char *
read_text(const char *path)
{
	char *text;
	FILE *f;
	long n;

	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	ck_assert_int_ge(n = ftell(f), 0);
	rewind(f);
	ck_assert_ptr_nonnull(text = calloc(1, (size_t)n + 1));
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

/*
 * Sources with Basic auth, a bearer token, a named secret and a POST
 * body, one of them failing: the debug log and every document of the
 * API hold none of the secrets and no body.
 */
START_TEST(test_no_secret_shown)
{
	static const char *const paths[] = {"/api/v1/sources", "/api/v1/stats",
	    "/api/v1/stats/p", "/api/v1/stats/fail", "/api/v1/info", "/readyz",
	    "/metrics", "/api/v1/sources/p/history?stat=method"};
	char *cred = harness_token_file("grep-user-7f3a:grep-pass-91bc");
	char *token = harness_token_file("grep-token-55e1");
	char *named = harness_token_file("grep-named-c0de");
	char *global, *text, *log_text, logpath[] = "/tmp/check_request.XXXXXX";
	struct json_object *doc;
	struct harness_resp *r;
	struct harness *h;
	int fd, saved;
	size_t i;

	ck_assert_int_gt(
	    asprintf(&global, "secret grepped = %s\nbasic_auth_file = %s\n",
	        named, cred),
	    0);
	ck_assert_int_gt(
	    asprintf(&text,
	        "[source p]\nurl = @UP@/echo\ninterval = 200ms\n"
	        "method = POST\ncontent_type = application/x-www-form-"
	        "urlencoded\nbody = token_auth=grep-body-2b7d\n"
	        "stat method = /method\nstat auth = /auth_scheme\n"
	        "[source t]\nurl = @UP@/echo\ninterval = 200ms\n"
	        "token_file = %s\nstat auth = /auth_scheme\n"
	        "[source fail]\nurl = @UP@/status/401\ninterval = 200ms\n"
	        "method = POST\nbody = {\"k\":\"grep-body-2b7d\"}\n"
	        "stat x = /x\n",
	        token),
	    0);
	/* The log goes to a file while gatherd runs, at debug. */
	ck_assert_int_ge(fd = mkstemp(logpath), 0);
	fflush(stderr);
	ck_assert_int_ge(saved = dup(2), 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	log_set_level(LOG_LEVEL_DEBUG);
	h = harness_start(global, text);
	json_object_put(wait_ok_after(h, "p", 3));
	json_object_put(wait_ok_after(h, "t", 3));
	ck_assert_ptr_nonnull(
	    doc = harness_wait_error(h, "fail", "http_status", 10000));
	json_object_put(doc);
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_msg(
		    r->r_status == 200, "%s: %ld", paths[i], r->r_status);
		expect_hidden(r->r_body, paths[i]);
		expect_hidden(r->r_headers, paths[i]);
		harness_resp_free(r);
	}
	harness_stop(h);
	fflush(stderr);
	log_set_level(LOG_LEVEL_QUIET);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	log_text = read_text(logpath);
	/* The log is there: the failing source was logged. */
	ck_assert_msg(
	    strstr(log_text, "source fail") != NULL, "log: %s", log_text);
	expect_hidden(log_text, "the log");
	unlink(logpath);
	unlink(cred);
	unlink(token);
	unlink(named);
	free(log_text);
	free(cred);
	free(token);
	free(named);
	free(global);
	free(text);
}
END_TEST

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("request");

	harness_init();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_post_json);
	tcase_add_test(tc, test_post_form);
	tcase_add_test(tc, test_body_file_and_empty);
	tcase_add_test(tc, test_get_after_post);
	tcase_add_test(tc, test_post_no_validators);
	tcase_add_test(tc, test_basic_auth);
	tcase_add_test(tc, test_basic_redirect);
	tcase_add_test(tc, test_no_secret_shown);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
