/*
 * Tests of the request keys of the config (config_request.c): method,
 * body and body_file, content_type, basic_auth_file (per source and as
 * [gatherd]'s default) and the named secrets of [gatherd] with
 * config_secret.  Every error is compared byte for byte, "NAME:LINE:
 * message"; files are made in a mkdtemp() directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

/* The top build directory's config.h is autoconf's; we want lib's. */
#include "../lib/config.h"
#include "config_request.h"
#include "log.h"
#include "runner.h"

/* The name config_load_string puts in front of every error. */
#define NAME "t.conf"

/* The lines every test source starts with: [source a] and its url. */
#define SRC_A "[source a]\nurl = http://a.example/\n"

/* A directory of files for one test, removed by dir_clean. */
static char dir[] = "/tmp/check_config_request.XXXXXX";

/* Makes the test's directory. */
static void
dir_setup(void)
{
	strcpy(dir + strlen(dir) - 6, "XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes the test's directory and what is in it. */
static void
dir_clean(void)
{
	char *cmd;

	ck_assert_int_gt(asprintf(&cmd, "rm -rf '%s'", dir), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Writes len bytes of text to file name in the test's directory, with
 * mode; returns its path (the caller frees). */
static char *
put_file(const char *name, const char *text, size_t len, mode_t mode)
{
	char *path;
	FILE *f;

	ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* Writes the line text and a newline to file name, mode 0600. */
static char *
put_line(const char *name, const char *text)
{
	char *line, *path;

	ck_assert_int_gt(asprintf(&line, "%s\n", text), 0);
	path = put_file(name, line, strlen(line), 0600);
	free(line);
	return path;
}

/* Loads text, in which each "@D@" is the test's directory, as NAME. */
static struct config *
load(const char *text, char *err)
{
	const char *p;
	char *full, *o;
	struct config *cf;
	size_t n = 0;

	for (p = text; (p = strstr(p, "@D@")) != NULL; p += 3)
		n++;
	ck_assert_ptr_nonnull(
	    full = malloc(strlen(text) + n * strlen(dir) + 1));
	for (o = full, p = text; *p != '\0';) {
		if (strncmp(p, "@D@", 3) == 0) {
			o = stpcpy(o, dir);
			p += 3;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	cf = config_load_string(full, NAME, err, CONFIG_ERR_LEN);
	free(full);
	return cf;
}

/* Asserts that text is refused with exactly want ("@D@": the test's
 * directory). */
static void
expect_error(const char *text, const char *want)
{
	char err[CONFIG_ERR_LEN] = "", *full = NULL;
	const char *at;
	struct config *cf;

	cf = load(text, err);
	ck_assert_msg(cf == NULL, "config accepted:\n%s", text);
	if ((at = strstr(want, "@D@")) != NULL)
		ck_assert_int_gt(asprintf(&full, "%.*s%s%s", (int)(at - want),
		                     want, dir, at + 3),
		    0);
	ck_assert_str_eq(err, full != NULL ? full : want);
	free(full);
}

/* Loads text, failing the test if it is refused. */
static struct config *
expect_ok(const char *text)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf = load(text, err);

	ck_assert_msg(cf != NULL, "config refused: %s\n%s", err, text);
	return cf;
}

/* Without the keys: a GET with no body, no Basic auth, no secret. */
START_TEST(test_defaults)
{
	struct config *cf = expect_ok(SRC_A "stat x = /x\n");
	const struct config_source *a = &cf->cf_sources[0];

	ck_assert_int_eq(a->src_method, CONFIG_METHOD_GET);
	ck_assert_ptr_null(a->src_body);
	ck_assert_uint_eq(a->src_body_len, 0);
	ck_assert_ptr_null(a->src_content_type);
	ck_assert_int_eq(a->src_body_kind, CONFIG_BODY_NONE);
	ck_assert_ptr_null(a->src_basic_user);
	ck_assert_ptr_null(a->src_basic_password);
	ck_assert_uint_eq(cf->cf_nsecrets, 0);
	ck_assert_ptr_null(config_secret(cf, "any"));
	ck_assert_str_eq(config_request_method_name(a->src_method), "GET");
	ck_assert_str_eq(
	    config_request_method_name(CONFIG_METHOD_POST), "POST");
	config_free(cf);
}
END_TEST

/* A POST body as given; its type defaults to JSON, and the kind follows
 * the type. */
START_TEST(test_post_body)
{
	static const struct {
		const char *type_line, *type;
		enum config_body_kind kind;
	} cases[] = {
	    {"", "application/json", CONFIG_BODY_JSON},
	    {"content_type = application/x-www-form-urlencoded\n",
	        "application/x-www-form-urlencoded", CONFIG_BODY_FORM},
	    {"content_type = Application/JSON; charset=utf-8\n",
	        "Application/JSON; charset=utf-8", CONFIG_BODY_JSON},
	    {"content_type = application/vnd.api+json\n",
	        "application/vnd.api+json", CONFIG_BODY_JSON},
	    {"content_type = application/graphql\n", "application/graphql",
	        CONFIG_BODY_OTHER},
	    {"content_type = text/plain\n", "text/plain", CONFIG_BODY_OTHER},
	};
	const struct config_source *a;
	struct config *cf;
	char *text;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_gt(asprintf(&text,
		                     SRC_A "method = POST\n%sbody = "
		                           "{\"site_id\": \"a b\", \"m\": "
		                           "[\"visitors\"]}\nstat x = /x\n",
		                     cases[i].type_line),
		    0);
		cf = expect_ok(text);
		a = &cf->cf_sources[0];
		ck_assert_int_eq(a->src_method, CONFIG_METHOD_POST);
		ck_assert_str_eq(a->src_body,
		    "{\"site_id\": \"a b\", \"m\": [\"visitors\"]}");
		ck_assert_uint_eq(a->src_body_len, strlen(a->src_body));
		ck_assert_str_eq(a->src_content_type, cases[i].type);
		ck_assert_int_eq(a->src_body_kind, cases[i].kind);
		config_free(cf);
		free(text);
	}
	/* A POST without a body: no content type at all. */
	cf = expect_ok(SRC_A "method = POST\nstat x = /x\n");
	ck_assert_ptr_null(cf->cf_sources[0].src_body);
	ck_assert_ptr_null(cf->cf_sources[0].src_content_type);
	ck_assert_int_eq(cf->cf_sources[0].src_body_kind, CONFIG_BODY_NONE);
	config_free(cf);
	/* An empty body is a body. */
	cf = expect_ok(SRC_A "method = POST\nbody =\nstat x = /x\n");
	ck_assert_str_eq(cf->cf_sources[0].src_body, "");
	ck_assert_str_eq(
	    cf->cf_sources[0].src_content_type, "application/json");
	config_free(cf);
}
END_TEST

/* body_file: absolute, or next to the config file; its last line ends
 * dropped, the inside kept; read again at each load. */
START_TEST(test_body_file)
{
	static const char query[] =
	    "{\"dateRanges\": [{\"startDate\": \"today\"}],\r\n"
	    " \"metrics\": [{\"name\": \"activeUsers\"}]}\r\n\n";
	char *path, *conf, *text, err[CONFIG_ERR_LEN] = "";
	struct config *cf;

	dir_setup();
	path = put_file("ga4.json", query, strlen(query), 0644);
	cf = expect_ok(SRC_A "method = POST\nbody_file = @D@/ga4.json\n"
	                     "stat x = /x\n");
	ck_assert_str_eq(cf->cf_sources[0].src_body,
	    "{\"dateRanges\": [{\"startDate\": \"today\"}],\r\n"
	    " \"metrics\": [{\"name\": \"activeUsers\"}]}");
	ck_assert_uint_eq(cf->cf_sources[0].src_body_len, strlen(query) - 3);
	config_free(cf);

	/* Relative: from the config file's directory, not the cwd. */
	ck_assert_int_gt(asprintf(&text,
	                     SRC_A "method = POST\nbody_file = ga4.json\n"
	                           "stat x = /x\n"),
	    0);
	conf = put_file("gatherd.conf", text, strlen(text), 0600);
	cf = config_load(conf, err, sizeof err);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_uint_eq(cf->cf_sources[0].src_body_len, strlen(query) - 3);
	config_free(cf);
	/* Changed on disk: the next load reads the new text. */
	free(put_file("ga4.json", "a=1", 3, 0644));
	cf = config_load(conf, err, sizeof err);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_str_eq(cf->cf_sources[0].src_body, "a=1");
	config_free(cf);
	free(text);
	free(conf);
	free(path);
	dir_clean();
}
END_TEST

/* Every error of method, body, body_file and content_type, exactly. */
START_TEST(test_body_errors)
{
	char *big;

	dir_setup();
	expect_error(SRC_A "method = PUT\nstat x = /x\n",
	    NAME ":3: method: expected GET or POST, got \"PUT\"");
	expect_error(SRC_A "method = post\nstat x = /x\n",
	    NAME ":3: method: expected GET or POST, got \"post\"");
	expect_error(SRC_A "method = POST\nmethod = GET\nstat x = /x\n",
	    NAME ":4: duplicate key \"method\"");
	expect_error(SRC_A "body = {}\nstat x = /x\n",
	    NAME ":1: source a: a body needs method = POST");
	expect_error(SRC_A "method = GET\nbody = {}\nstat x = /x\n",
	    NAME ":1: source a: a body needs method = POST");
	free(put_file("q.json", "{}", 2, 0644));
	expect_error(SRC_A "method = POST\nbody = {}\nbody_file = @D@/q.json\n"
	                   "stat x = /x\n",
	    NAME ":5: body and body_file are exclusive");
	expect_error(SRC_A "method = POST\nbody_file = @D@/q.json\nbody = {}\n"
	                   "stat x = /x\n",
	    NAME ":5: body and body_file are exclusive");
	expect_error(SRC_A "method = POST\nbody_file = @D@/none.json\n",
	    NAME ":4: cannot read body_file @D@/none.json: No such file or "
	         "directory");
	expect_error(SRC_A "method = POST\nbody_file = @D@\n",
	    NAME ":4: cannot read body_file @D@: Is a directory");
	expect_error(SRC_A "method = POST\nbody_file =\n",
	    NAME ":4: body_file is empty");
	free(put_file("nul.json", "{\"a\":\0}", 7, 0644));
	expect_error(SRC_A "method = POST\nbody_file = @D@/nul.json\n",
	    NAME ":4: body_file @D@/nul.json holds a NUL byte");
	ck_assert_ptr_nonnull(big = malloc(CONFIG_REQUEST_BODY_MAX + 1));
	memset(big, 'x', CONFIG_REQUEST_BODY_MAX + 1);
	free(put_file("big.json", big, CONFIG_REQUEST_BODY_MAX, 0644));
	config_free(expect_ok(SRC_A "method = POST\nbody_file = @D@/big.json\n"
	                            "stat x = /x\n"));
	free(put_file("big.json", big, CONFIG_REQUEST_BODY_MAX + 1, 0644));
	expect_error(SRC_A "method = POST\nbody_file = @D@/big.json\n",
	    NAME ":4: body_file @D@/big.json is larger than 256k");
	free(big);
	expect_error(SRC_A "method = POST\nbody = a=1\ncontent_type = form\n",
	    NAME ":5: content_type: \"form\" is not a media type (use e.g. "
	         "application/json or application/x-www-form-urlencoded)");
	expect_error(SRC_A "method = POST\ncontent_type = text/plain\n"
	                   "stat x = /x\n",
	    NAME ":1: source a: content_type needs a body or body_file");
	expect_error(SRC_A "content_type = text/plain\nstat x = /x\n",
	    NAME ":1: source a: content_type needs a body or body_file");
	expect_error(SRC_A "method = POST\nbody = {}\n"
	                   "header = content-type: text/plain\nstat x = /x\n",
	    NAME ":1: source a: a POST sets content_type, not a Content-Type "
	         "header");
	expect_error("[gatherd]\nmethod = POST\n" SRC_A "stat x = /x\n",
	    NAME ":2: unknown key \"method\" in [gatherd]");
	expect_error("[gatherd]\nbody = {}\n" SRC_A "stat x = /x\n",
	    NAME ":2: unknown key \"body\" in [gatherd]");
	dir_clean();
}
END_TEST

/* basic_auth_file: "user:password", "key:"; a source's own credentials
 * of any kind replace [gatherd]'s. */
START_TEST(test_basic_auth)
{
	struct config *cf;

	dir_setup();
	free(put_line("mixpanel.cred", "svc-user.1:pa:ss"));
	free(put_line("stripe.cred", "sk_test_4eC39HqLyjWDarjtT1zdp7dc:"));
	free(put_line("token", "t0ken"));
	cf = expect_ok("[gatherd]\nbasic_auth_file = @D@/stripe.cred\n"
	               "[source own]\nurl = http://a.example/\n"
	               "basic_auth_file = @D@/mixpanel.cred\nstat x = /x\n"
	               "[source inherits]\nurl = http://a.example/\n"
	               "stat x = /x\n"
	               "[source bearer]\nurl = http://a.example/\n"
	               "token_file = @D@/token\nstat x = /x\n"
	               "[source userinfo]\nurl = http://u:p@a.example/\n"
	               "stat x = /x\n");
	ck_assert_str_eq(cf->cf_sources[0].src_basic_user, "svc-user.1");
	ck_assert_str_eq(cf->cf_sources[0].src_basic_password, "pa:ss");
	ck_assert_str_eq(cf->cf_sources[1].src_basic_user,
	    "sk_test_4eC39HqLyjWDarjtT1zdp7dc");
	ck_assert_str_eq(cf->cf_sources[1].src_basic_password, "");
	ck_assert_ptr_null(cf->cf_sources[2].src_basic_user);
	ck_assert_str_eq(cf->cf_sources[2].src_token, "t0ken");
	ck_assert_ptr_null(cf->cf_sources[3].src_basic_user);
	config_free(cf);
	/* A source with a token grant takes no Basic auth from [gatherd]. */
	free(put_line("client.secret", "s3cr3t"));
	cf = expect_ok("[gatherd]\nbasic_auth_file = @D@/mixpanel.cred\n" SRC_A
	               "auth = oauth2_client_credentials\n"
	               "token_url = https://auth.example/token\n"
	               "client_id = abc\n"
	               "client_secret_file = @D@/client.secret\nstat x = /x\n");
	ck_assert_ptr_null(cf->cf_sources[0].src_basic_user);
	config_free(cf);
	/* [gatherd]'s alone, after the sources, still applies. */
	cf = expect_ok(SRC_A "stat x = /x\n[gatherd]\n"
	                     "basic_auth_file = @D@/mixpanel.cred\n");
	ck_assert_str_eq(cf->cf_sources[0].src_basic_user, "svc-user.1");
	config_free(cf);
	dir_clean();
}
END_TEST

/* Every error of basic_auth_file, exactly. */
START_TEST(test_basic_auth_errors)
{
	dir_setup();
	free(put_line("ok.cred", "user:pw"));
	free(put_line("nocolon.cred", "just-a-key"));
	free(put_line("nouser.cred", ":pw"));
	free(put_line("token", "t0ken"));
	expect_error(SRC_A "basic_auth_file = @D@/ok.cred\n"
	                   "token_file = @D@/token\nstat x = /x\n",
	    NAME ":1: source a: basic_auth_file and token_file are exclusive");
	expect_error("[source a]\nurl = http://u:p@a.example/\n"
	             "basic_auth_file = @D@/ok.cred\nstat x = /x\n",
	    NAME ":1: source a: basic_auth_file and a user in the url are "
	         "exclusive");
	free(put_line("client.secret", "s3cr3t"));
	expect_error(SRC_A "basic_auth_file = @D@/ok.cred\n"
	                   "auth = oauth2_client_credentials\n"
	                   "token_url = https://auth.example/token\n"
	                   "client_id = abc\n"
	                   "client_secret_file = @D@/client.secret\n"
	                   "stat x = /x\n",
	    NAME ":1: source a: basic_auth_file and auth are exclusive");
	expect_error(SRC_A "basic_auth_file = @D@/nocolon.cred\nstat x = /x\n",
	    NAME ":3: basic auth file @D@/nocolon.cred must hold "
	         "user:password (key: for an empty password)");
	expect_error(SRC_A "basic_auth_file = @D@/nouser.cred\nstat x = /x\n",
	    NAME ":3: basic auth file @D@/nouser.cred has an empty user");
	expect_error("[gatherd]\nbasic_auth_file = @D@/none.cred\n",
	    NAME ":2: cannot read basic auth file @D@/none.cred: No such file "
	         "or directory");
	expect_error(SRC_A "basic_auth_file =\nstat x = /x\n",
	    NAME ":3: basic auth file name is empty");
	expect_error(SRC_A "basic_auth_file = @D@/ok.cred\n"
	                   "basic_auth_file = @D@/ok.cred\nstat x = /x\n",
	    NAME ":4: duplicate key \"basic_auth_file\"");
	dir_clean();
}
END_TEST

/* A Basic auth or secret file others can read: a warning, or with
 * strict_permissions an error at its line naming what it is. */
START_TEST(test_permissions)
{
	struct config *cf;

	dir_setup();
	free(put_file("open.cred", "user:pw\n", 8, 0644));
	free(put_file("open.secret", "s\n", 2, 0644));
	cf = expect_ok(SRC_A "basic_auth_file = @D@/open.cred\nstat x = /x\n");
	config_free(cf);
	expect_error("[gatherd]\nstrict_permissions = yes\n" SRC_A
	             "basic_auth_file = @D@/open.cred\nstat x = /x\n",
	    NAME ":5: basic auth file @D@/open.cred is readable by everyone "
	         "(strict_permissions = yes)");
	expect_error("[gatherd]\nstrict_permissions = yes\n"
	             "secret m = @D@/open.secret\n",
	    NAME ":3: secret file @D@/open.secret is readable by everyone "
	         "(strict_permissions = yes)");
	dir_clean();
}
END_TEST

/* Named secrets: read like token files, looked up by name. */
START_TEST(test_secrets)
{
	char creds[128];
	struct config *cf;

	dir_setup();
	free(put_line("matomo.token", "  0123456789abcdef&x=\"%  "));
	free(put_line("umami.key", "api_Key-1"));
	cf = expect_ok(
	    "[gatherd]\nsecret matomo = @D@/matomo.token\n"
	    "secret\tumami.cloud = @D@/umami.key\n" SRC_A "stat x = /x\n");
	ck_assert_uint_eq(cf->cf_nsecrets, 2);
	ck_assert_str_eq(config_secret(cf, "matomo"), "0123456789abcdef&x=\"%");
	ck_assert_str_eq(config_secret(cf, "umami.cloud"), "api_Key-1");
	ck_assert_ptr_null(config_secret(cf, "umami"));
	ck_assert_ptr_null(config_secret(cf, "Matomo"));
	config_free(cf);
	/* $CREDENTIALS_DIRECTORY first, as for token files. */
	snprintf(creds, sizeof creds, "%s/creds", dir);
	ck_assert_int_eq(mkdir(creds, 0700), 0);
	free(put_line("creds/umami.key", "from-credentials"));
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	cf = expect_ok(
	    "[gatherd]\nsecret u = umami.key\n" SRC_A "stat x = /x\n");
	ck_assert_str_eq(config_secret(cf, "u"), "from-credentials");
	config_free(cf);
	ck_assert_int_eq(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	dir_clean();
}
END_TEST

/* Every error of a named secret, exactly. */
START_TEST(test_secret_errors)
{
	dir_setup();
	free(put_line("m.token", "abc"));
	free(put_file("two.token", "a\nb\n", 4, 0600));
	expect_error(
	    "[gatherd]\nsecret m = @D@/m.token\nsecret m = @D@/m.token\n",
	    NAME ":3: duplicate secret \"m\"");
	expect_error("[gatherd]\nsecret a/b = @D@/m.token\n",
	    NAME ":2: invalid secret name \"a/b\" (1 to 64 of A-Z a-z 0-9 _ . "
	         "-)");
	expect_error("[gatherd]\nsecret = @D@/m.token\n",
	    NAME ":2: unknown key \"secret\" in [gatherd]");
	expect_error("[gatherd]\nsecret m = @D@/none.token\n",
	    NAME ":2: cannot read secret file @D@/none.token: No such file or "
	         "directory");
	expect_error("[gatherd]\nsecret m = @D@/two.token\n",
	    NAME ":2: secret file @D@/two.token must hold one non-empty line");
	expect_error(
	    "[gatherd]\nsecret m =\n", NAME ":2: secret file name is empty");
	expect_error(SRC_A "secret m = @D@/m.token\nstat x = /x\n",
	    NAME ":3: unknown key \"secret m\" in [source a]");
	dir_clean();
}
END_TEST

/* Builds the suite: bodies, Basic auth, named secrets. */
static Suite *
config_request_suite(void)
{
	Suite *s = suite_create("config_request");
	TCase *tc = tcase_create("config_request");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_post_body);
	tcase_add_test(tc, test_body_file);
	tcase_add_test(tc, test_body_errors);
	tcase_add_test(tc, test_basic_auth);
	tcase_add_test(tc, test_basic_auth_errors);
	tcase_add_test(tc, test_permissions);
	tcase_add_test(tc, test_secrets);
	tcase_add_test(tc, test_secret_errors);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(config_request_suite()) == 0 ? 0 : 1;
}
