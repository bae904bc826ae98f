/*
 * Tests of auth_oauth2: the client credentials form (RFC 6749 4.4) and
 * the client's id and secret form-urlencoded for HTTP Basic (2.3.1),
 * with the bytes that need it (':' '%' '&' '+' space); and the config
 * keys of the grant: each missing or stray key is a FILE:LINE error,
 * [gatherd] gives defaults, the secret is read from its file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../lib/config.h"
#include "auth.h"
#include "auth_oauth2.h"
#include "log.h"
#include "runner.h"
#include "secret.h"
#include "tmpdir.h"

/* The form: the grant, and the scope encoded when there is one. */
START_TEST(test_form)
{
	char *form = auth_oauth2_form(NULL);

	ck_assert_str_eq(form, "grant_type=client_credentials");
	free(form);
	form = auth_oauth2_form("stats:read reports&x=1");
	ck_assert_str_eq(form,
	    "grant_type=client_credentials&scope="
	    "stats%3Aread%20reports%26x%3D1");
	free(form);
}
END_TEST

/* id and secret are each encoded before Basic joins them. */
START_TEST(test_basic)
{
	char *user, *password;

	ck_assert_int_eq(
	    auth_oauth2_basic("my app:1", "p@ss:w%rd+/=", &user, &password), 0);
	ck_assert_str_eq(user, "my%20app%3A1");
	ck_assert_str_eq(password, "p%40ss%3Aw%25rd%2B%2F%3D");
	secret_free(user);
	secret_free(password);
	ck_assert_int_eq(
	    auth_oauth2_basic("abc-1.2_3~", "x", &user, &password), 0);
	ck_assert_str_eq(user, "abc-1.2_3~");
	secret_free(user);
	secret_free(password);
}
END_TEST

/* Loads text; returns the config or NULL with err. */
static struct config *
load(const char *text, char *err, size_t errlen)
{
	return config_load_string(text, "t.conf", err, errlen);
}

/* A complete client credentials source, and one from [gatherd]. */
START_TEST(test_config)
{
	char err[CONFIG_ERR_LEN] = "", *conf;
	struct config *cf;
	struct tmpdir t;
	const char *secret;

	tmpdir_make(&t);
	secret = tmpdir_write(&t, "client.secret", "  s3cr:et%&+ \n");
	ck_assert_int_gt(
	    asprintf(&conf,
	        "[gatherd]\nauth = oauth2_client_credentials\n"
	        "token_url = https://auth.example.com/oauth/token\n"
	        "client_id = abc\nclient_secret_file = %s\n"
	        "[source a]\nurl = https://a.example/\nstat x = /x\n"
	        "[source b]\nurl = https://b.example/\nstat x = /x\n"
	        "client_id = other\nscope = read\n",
	        secret),
	    0);
	cf = load(conf, err, sizeof err);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_int_eq(cf->cf_sources[0].src_auth, AUTH_OAUTH2);
	ck_assert_str_eq(cf->cf_sources[0].src_token_url,
	    "https://auth.example.com/oauth/token");
	ck_assert_str_eq(cf->cf_sources[0].src_client_id, "abc");
	ck_assert_str_eq(cf->cf_sources[0].src_client_secret, "s3cr:et%&+");
	ck_assert_ptr_null(cf->cf_sources[0].src_scope);
	ck_assert_str_eq(cf->cf_sources[1].src_client_id, "other");
	ck_assert_str_eq(cf->cf_sources[1].src_client_secret, "s3cr:et%&+");
	ck_assert_str_eq(cf->cf_sources[1].src_scope, "read");
	config_free(cf);
	free(conf);
	tmpdir_remove(&t);
}
END_TEST

/* A source of the other grant than [gatherd]'s takes none of [gatherd]'s
 * keys of that grant, nor its scope. */
START_TEST(test_mixed_grants)
{
	char err[CONFIG_ERR_LEN] = "", *conf;
	struct config *cf;
	struct tmpdir t;
	const char *secret;

	tmpdir_make(&t);
	secret = tmpdir_write(&t, "client.secret", "s3cret\n");
	ck_assert_int_gt(
	    asprintf(&conf,
	        "[gatherd]\nauth = oauth2_client_credentials\n"
	        "token_url = https://auth.example.com/oauth/token\n"
	        "client_id = abc\nclient_secret_file = %s\nscope = read\n"
	        "[source a]\nurl = https://a.example/\nstat x = /x\n"
	        "[source b]\nurl = https://b.example/\nstat x = /x\n"
	        "auth = none\n",
	        secret),
	    0);
	cf = load(conf, err, sizeof err);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_str_eq(cf->cf_sources[0].src_scope, "read");
	ck_assert_int_eq(cf->cf_sources[1].src_auth, AUTH_NONE);
	ck_assert_ptr_null(cf->cf_sources[1].src_token_url);
	ck_assert_ptr_null(cf->cf_sources[1].src_client_secret);
	ck_assert_ptr_null(cf->cf_sources[1].src_scope);
	config_free(cf);
	free(conf);
	/* A Google source under these defaults needs its own key: it does
	 * not take the client's keys or scope. */
	ck_assert_int_gt(
	    asprintf(&conf,
	        "[gatherd]\nauth = oauth2_client_credentials\n"
	        "token_url = https://auth.example.com/oauth/token\n"
	        "client_id = abc\nclient_secret_file = %s\nscope = read\n"
	        "[source g]\nurl = https://g.example/\nstat x = /x\n"
	        "auth = google_service_account\n",
	        secret),
	    0);
	ck_assert_ptr_null(load(conf, err, sizeof err));
	ck_assert_str_eq(err,
	    "t.conf:7: source g: auth = "
	    "google_service_account needs credentials_file");
	free(conf);
	tmpdir_remove(&t);
}
END_TEST

/* Each key the grant needs, missing; each key it does not take. */
START_TEST(test_config_errors)
{
	static const struct {
		const char *conf;
		const char *err;
	} cases[] = {
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "auth = oauth2_client_credentials\nclient_id = abc\n",
	        "t.conf:1: source a: auth = oauth2_client_credentials needs "
	        "token_url"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "auth = oauth2_client_credentials\n"
	     "token_url = https://t.example/token\n",
	        "t.conf:1: source a: auth = oauth2_client_credentials needs "
	        "client_id"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "auth = oauth2_client_credentials\n"
	     "token_url = https://t.example/token\nclient_id = abc\n",
	        "t.conf:1: source a: auth = oauth2_client_credentials needs "
	        "client_secret_file"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "token_url = https://t.example/token\n",
	        "t.conf:1: source a: token_url needs auth = "
	        "google_service_account or oauth2_client_credentials"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "token_url = ftp://t.example/token\n",
	        "t.conf:4: token_url must use http or https"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "client_id =\n",
	        "t.conf:4: client_id is empty"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "client_secret_file = /nonexistent/secret\n",
	        "t.conf:4: cannot read token file /nonexistent/secret: No such "
	        "file or directory"},
	    {"[gatherd]\nclient_id = abc\nclient_id = def\n",
	        "t.conf:3: duplicate key \"client_id\""},
	};
	char err[CONFIG_ERR_LEN] = "";

	ck_assert_ptr_null(load(cases[_i].conf, err, sizeof err));
	ck_assert_str_eq(err, cases[_i].err);
}
END_TEST

/* The suite. */
static Suite *
auth_oauth2_suite(void)
{
	Suite *s = suite_create("auth_oauth2");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_form);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_mixed_grants);
	tcase_add_loop_test(tc, test_config_errors, 0, 8);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(auth_oauth2_suite()) == 0 ? 0 : 1;
}
