/*
 * Tests of what config does with templates and time zones: url and
 * header templates compiled at load (the url's without its userinfo),
 * the timezone key opened, and every error as the exact "FILE:LINE:
 * message".  The templates themselves are check_template's, the zones
 * check_tz's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

/* The top build directory's config.h is autoconf's; we want lib's. */
#include "../lib/config.h"
#include "harness.h"
#include "log.h"
#include "runner.h"
#include "template.h"
#include "tz.h"

/* The name config_load_string puts in front of every error. */
#define NAME "t.conf"

/* Loads text, asserting it is refused with exactly want. */
static void
expect_exact(const char *text, const char *want)
{
	char err[CONFIG_ERR_LEN] = "";

	ck_assert_ptr_null(config_load_string(text, NAME, err, sizeof err));
	ck_assert_str_eq(err, want);
}

/* The templates and zone of a source, compiled at load. */
START_TEST(test_compiled)
{
	struct config *cf = harness_config(
	    "[source a]\n"
	    "url = https://api.example/q?from=${today-7d}&to=${today}\n"
	    "header = X-Day: ${today:%Y%m%d}\n"
	    "header = X-Plain: yes\n"
	    "timezone = America/Los_Angeles\n"
	    "stat x = /x\n"
	    "[source b]\n"
	    "url = http://user:pw@b.example/x?at=${now:unix}\n"
	    "stat x = /x\n",
	    NAME);
	const struct config_source *a = &cf->cf_sources[0];
	const struct config_source *b = &cf->cf_sources[1];

	ck_assert_str_eq(template_text(a->src_url_tpl),
	    "https://api.example/q?from=${today-7d}&to=${today}");
	ck_assert_int_eq(template_is_literal(a->src_url_tpl), 0);
	ck_assert_uint_eq(a->src_nheaders, 2);
	ck_assert_str_eq(
	    template_text(a->src_header_tpls[0]), "X-Day: ${today:%Y%m%d}");
	ck_assert_int_eq(template_is_literal(a->src_header_tpls[0]), 0);
	ck_assert_int_eq(template_is_literal(a->src_header_tpls[1]), 1);
	ck_assert_str_eq(a->src_timezone, "America/Los_Angeles");
	ck_assert_str_eq(tz_name(a->src_tz), "America/Los_Angeles");
	/* The credentials go to curl apart: not in the template. */
	ck_assert_str_eq(
	    template_text(b->src_url_tpl), "http://b.example/x?at=${now:unix}");
	ck_assert_ptr_null(b->src_timezone);
	ck_assert_ptr_null(b->src_tz);
	config_free(cf);
}
END_TEST

/* One config refused, and its exact message. */
struct bad_config {
	const char *bc_text;
	const char *bc_err;
};

static const struct bad_config bad_configs[] = {
    {"[source a]\nstat x = /x\nurl = http://a.example/?d=${tomorrow}\n",
        NAME ":3: url: ${tomorrow}: unknown placeholder (use today, "
             "yesterday, now or secret:NAME)"},
    {"[source a]\nurl = http://a.example/?d=${today:iso}\nstat x = /x\n",
        NAME ":2: url: ${today:iso}: unknown format (use unix, unix_ms, "
             "rfc3339 or a strftime pattern such as %Y%m%d)"},
    {"[source a]\nurl = http://a.example/?k=${secret:key}\nstat x = /x\n",
        NAME ":2: url: ${secret:key}: unknown secret (define it in "
             "[gatherd] first: secret NAME = FILE)"},
    {"[source a]\nurl = http://a.example/?d=${today\nstat x = /x\n",
        NAME ":2: url: unterminated \"${\" (write $$ for a $)"},
    {"[source a]\nurl = http://${today}:pw@a.example/\nstat x = /x\n",
        NAME ":2: url: no ${...} in the user or password (templates go in "
             "the path and query)"},
    {"[source a]\nurl = http://a.example/\nstat x = /x\n"
     "header = X-From: ${now-5x}\n",
        NAME ":4: header: ${now-5x}: bad offset (a duration, e.g. now-30m, "
             "now+1h, now-7d)"},
    {"[source a]\nurl = http://a.example/\nstat x = /x\n"
     "header = X-Day: ${today:%d%n}\n",
        NAME ":4: header: ${today:%d%n}: %n cannot go in a header"},
    {"[source a]\nurl = http://a.example/\nstat x = /x\n"
     "timezone = Mars/Olympus_Mons\n",
        NAME ":4: timezone: unknown time zone \"Mars/Olympus_Mons\" (use an "
             "IANA name such as America/Los_Angeles or UTC)"},
    {"[source a]\nurl = http://a.example/\nstat x = /x\ntimezone =\n",
        NAME ":4: timezone: unknown time zone \"\" (use an IANA name such "
             "as America/Los_Angeles or UTC)"},
    {"[source a]\nurl = http://a.example/\nstat x = /x\n"
     "timezone = UTC\ntimezone = Asia/Tokyo\n",
        NAME ":5: duplicate key \"timezone\""},
    {"[source a]\nurl = http://${today}.example/\nstat x = /x\n",
        NAME ":2: url is not a valid URL (templates go in the path and "
             "query only)"},
    {"[source a]\nurl = http://a.example:${now:unix}/\nstat x = /x\n",
        NAME ":2: url is not a valid URL (templates go in the path and "
             "query only)"},
    {"[source a]\nurl = http://a.example/ x\nstat x = /x\n",
        NAME ":2: url is not a valid URL"},
    {"[gatherd]\ntimezone = UTC\n[source a]\nurl = http://a.example/\n"
     "stat x = /x\n",
        NAME ":2: unknown key \"timezone\" in [gatherd]"},
};

/* A ${secret:NAME} names a secret [gatherd] defined: before it in a url
 * or header; anywhere in the file for a body, compiled once the file is
 * read, for its content type. */
START_TEST(test_secrets_and_bodies)
{
	char *file = harness_token_file("v");
	char *text;
	struct config *cf;
	const struct config_source *a, *b;

	ck_assert_int_gt(
	    asprintf(&text,
	        "[gatherd]\nsecret k = %s\n"
	        "[source a]\nurl = http://a.example/?k=${secret:k}\n"
	        "header = X-Key: ${secret:k}\nmethod = POST\n"
	        "body = {\"k\":\"${secret:k}\",\"l\":\"${secret:late}\"}\n"
	        "stat x = /x\n"
	        "[source b]\nurl = http://b.example/\nmethod = POST\n"
	        "body = a=${today}&b=$$\n"
	        "content_type = application/x-www-form-urlencoded\n"
	        "stat x = /x\n"
	        "[gatherd]\nsecret late = %s\n",
	        file, file),
	    0);
	cf = harness_config(text, NAME);
	a = &cf->cf_sources[0];
	b = &cf->cf_sources[1];
	ck_assert_int_eq(template_is_literal(a->src_url_tpl), 0);
	ck_assert_ptr_nonnull(a->src_body_tpl);
	ck_assert_str_eq(template_text(a->src_body_tpl),
	    "{\"k\":\"${secret:k}\",\"l\":\"${secret:late}\"}");
	ck_assert_int_eq(template_is_literal(a->src_body_tpl), 0);
	ck_assert_int_eq(a->src_body_line, 7);
	ck_assert_str_eq(template_text(b->src_body_tpl), "a=${today}&b=$$");
	config_free(cf);
	free(text);
	unlink(file);
	free(file);
}
END_TEST

/* Body templates are refused at the body's line, once the whole file
 * is read: an unknown secret, an unknown name, a format for another
 * place. */
static const struct bad_config bad_bodies[] = {
    {"[source a]\nurl = http://a.example/\nmethod = POST\n"
     "body = {\"k\":\"${secret:nope}\"}\nstat x = /x\n",
        NAME ":4: source a: body: ${secret:nope}: unknown secret (define "
             "it in [gatherd] first: secret NAME = FILE)"},
    {"[source a]\nurl = http://a.example/\nmethod = POST\n"
     "body = {\"d\":\"${tomorrow}\"}\nstat x = /x\n"
     "[source b]\nurl = http://b.example/\nstat x = /x\n",
        NAME ":4: source a: body: ${tomorrow}: unknown placeholder (use "
             "today, yesterday, now or secret:NAME)"},
    {"[source a]\nurl = http://a.example/\nmethod = POST\n"
     "body = d=${today\ncontent_type = text/plain\nstat x = /x\n",
        NAME ":4: source a: body: unterminated \"${\" (write $$ for a $)"},
};

/* Each bad body is refused at its line with its message. */
START_TEST(test_bad_bodies)
{
	expect_exact(bad_bodies[_i].bc_text, bad_bodies[_i].bc_err);
}
END_TEST

/* Each bad config is refused at its line with its message. */
START_TEST(test_errors)
{
	expect_exact(bad_configs[_i].bc_text, bad_configs[_i].bc_err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_template");
	TCase *tc = tcase_create("config_template");

	log_set_level(LOG_LEVEL_QUIET);
	tcase_add_test(tc, test_compiled);
	tcase_add_test(tc, test_secrets_and_bodies);
	tcase_add_loop_test(tc, test_bad_bodies, 0,
	    (int)(sizeof bad_bodies / sizeof bad_bodies[0]));
	tcase_add_loop_test(tc, test_errors, 0,
	    (int)(sizeof bad_configs / sizeof bad_configs[0]));
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
