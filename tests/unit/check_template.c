/*
 * Tests of the template module at fixed instants, never the clock:
 * every placeholder with its default format, offsets, the named
 * formats and strftime patterns, time zones, "$$", each context's
 * encoding of values holding & = " % spaces, newlines and UTF-8, the
 * bodies' contexts by Content-Type, and every error with its message.
 * Secrets come from a table through the callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "runner.h"
#include "template.h"
#include "tz.h"

/* Sunday 2026-03-08 20:00:00 UTC: noon-ish in Los Angeles, on the day
 * DST starts there. */
#define NOW_MS 1773000000000LL
/* "odd": every character an encoding must care about. */
#define ODD "a b&c=d\"e%f\ng/h+i\\j\x01\xc3\xa9"

/* The secrets the tests know. */
static const struct {
	const char *name;
	const char *value;
} secrets[] = {
    {"api_key", "k3y"},
    {"odd", ODD},
    {"amp", "x&y=z"},
};

/* Lookup and existence check: the table above. */
static const char *
secret_cb(const char *name, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		if (strcmp(secrets[i].name, name) == 0)
			return secrets[i].value;
	}
	return NULL;
}

/* A lookup that knows no secret: one removed since the load. */
static const char *
none_cb(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return NULL;
}

/* Compiles text for ctx, failing the test if it cannot. */
static struct tpl *
compile(const char *text, enum template_context ctx)
{
	char err[256] = "";
	struct tpl *t;

	t = template_compile(text, ctx, secret_cb, NULL, err, sizeof err);
	ck_assert_msg(t != NULL, "\"%s\" refused: %s", text, err);
	return t;
}

/* Asserts text expands to want in ctx at now in zone (NULL: UTC). */
static void
expect(const char *text, enum template_context ctx, int64_t now,
    const char *zone, const char *want)
{
	struct template_buf out = {0};
	struct tpl *t = compile(text, ctx);
	struct tz *tz = NULL;
	char err[256] = "";

	if (zone != NULL) {
		tz = tz_open(zone, err, sizeof err);
		ck_assert_msg(tz != NULL, "%s", err);
	}
	ck_assert_msg(template_expand(t, now, tz, secret_cb, NULL, &out, err,
	                  sizeof err) == 0,
	    "\"%s\": %s", text, err);
	ck_assert_msg(strcmp(out.tb_data, want) == 0,
	    "\"%s\" gave \"%s\", not \"%s\"", text, out.tb_data, want);
	ck_assert_uint_eq(out.tb_len, strlen(want));
	template_buf_free(&out);
	template_free(t);
	tz_free(tz);
}

/* Asserts text is refused in ctx with exactly message want. */
static void
expect_error(const char *text, enum template_context ctx, const char *want)
{
	char err[256] = "";

	ck_assert_ptr_null(
	    template_compile(text, ctx, secret_cb, NULL, err, sizeof err));
	ck_assert_str_eq(err, want);
}

/* Each placeholder with its default format, in UTC. */
START_TEST(test_defaults)
{
	expect("${today}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-08");
	expect("${yesterday}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-07");
	expect("${now}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-08T20:00:00Z");
	expect("${secret:api_key}", TEMPLATE_RAW, NOW_MS, NULL, "k3y");
	expect("from=${yesterday}&to=${today}", TEMPLATE_RAW, NOW_MS, NULL,
	    "from=2026-03-07&to=2026-03-08");
	/* Across a month and a year. */
	expect(
	    "${yesterday}", TEMPLATE_RAW, 1767225600000LL, NULL, "2025-12-31");
}
END_TEST

/* Offsets: calendar days for days, durations for now. */
START_TEST(test_offsets)
{
	expect("${now-30m:unix}", TEMPLATE_RAW, NOW_MS, NULL, "1772998200");
	expect("${now+1h:unix}", TEMPLATE_RAW, NOW_MS, NULL, "1773003600");
	expect("${now-7d:unix}", TEMPLATE_RAW, NOW_MS, NULL, "1772395200");
	expect("${now-250ms:unix_ms}", TEMPLATE_RAW, NOW_MS, NULL,
	    "1772999999750");
	expect("${now-90}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-08T19:58:30Z");
	expect("${today-7d}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-01");
	expect("${today+1d}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-09");
	expect("${today-0d}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-08");
	expect("${yesterday-1d}", TEMPLATE_RAW, NOW_MS, NULL, "2026-03-06");
	expect("${today-30d:%Y%m%d}", TEMPLATE_RAW, NOW_MS, NULL, "20260206");
}
END_TEST

/* The named formats and strftime patterns. */
START_TEST(test_formats)
{
	expect("${today:%Y%m%d}", TEMPLATE_RAW, NOW_MS, NULL, "20260308");
	expect("${today:unix}", TEMPLATE_RAW, NOW_MS, NULL, "1772928000");
	expect("${today:unix_ms}", TEMPLATE_RAW, NOW_MS, NULL, "1772928000000");
	expect("${today:rfc3339}", TEMPLATE_RAW, NOW_MS, NULL,
	    "2026-03-08T00:00:00Z");
	expect("${now:unix}", TEMPLATE_RAW, NOW_MS + 999, NULL, "1773000000");
	expect("${now:unix_ms}", TEMPLATE_RAW, NOW_MS + 999, NULL,
	    "1773000000999");
	expect("${now:rfc3339}", TEMPLATE_RAW, NOW_MS, NULL,
	    "2026-03-08T20:00:00Z");
	expect("${now:%H:%M}", TEMPLATE_RAW, NOW_MS, NULL, "20:00");
	expect("${now:%-d.%-m. %a %b %j %e|%_3d|%^a}", TEMPLATE_RAW, NOW_MS,
	    NULL, "8.3. Sun Mar 067  8|  8|SUN");
	expect("${now:100%%}", TEMPLATE_RAW, NOW_MS, NULL, "100%");
	/* Before 1970: times round down, to the second before. */
	expect("${now:unix}", TEMPLATE_RAW, -1, NULL, "-1");
	expect("${today:unix}", TEMPLATE_RAW, -1, NULL, "-86400");
}
END_TEST

/* Days start at midnight in the zone; times carry its offset. */
START_TEST(test_zones)
{
	/* 23:30 PST on the 7th in Los Angeles. */
	int64_t la_evening = 1772955000000LL;

	expect("${today}", TEMPLATE_RAW, la_evening, "America/Los_Angeles",
	    "2026-03-07");
	expect("${today}", TEMPLATE_RAW, la_evening, NULL, "2026-03-08");
	expect("${now}", TEMPLATE_RAW, la_evening, "America/Los_Angeles",
	    "2026-03-07T23:30:00-08:00");
	expect("${today:rfc3339}", TEMPLATE_RAW, la_evening,
	    "America/Los_Angeles", "2026-03-07T00:00:00-08:00");
	expect("${today:unix}", TEMPLATE_RAW, la_evening, "America/Los_Angeles",
	    "1772870400");
	/* The 8th has 23 hours: its end is 07:00 UTC on the 9th. */
	expect("${today+1d:unix}", TEMPLATE_RAW, NOW_MS, "America/Los_Angeles",
	    "1773039600");
	expect("${now:rfc3339}", TEMPLATE_RAW, NOW_MS, "America/Los_Angeles",
	    "2026-03-08T13:00:00-07:00");
	expect("${now:%Y%m%d %H%M %Z}", TEMPLATE_RAW, NOW_MS,
	    "America/Los_Angeles", "20260308 1300 PDT");
	/* East of UTC: already the 9th in Tokyo. */
	expect("${today}|${now}", TEMPLATE_RAW, NOW_MS, "Asia/Tokyo",
	    "2026-03-09|2026-03-09T05:00:00+09:00");
	expect(
	    "${today:unix}", TEMPLATE_RAW, NOW_MS, "Asia/Tokyo", "1772982000");
	/* More day starts than a zone remembers, one asked twice. */
	expect("${today-1d}|${today-2d}|${today-3d}|${today-4d}|${today-5d}|"
	       "${today-1d:%d %H}|${today:%d %H %z}",
	    TEMPLATE_RAW, NOW_MS, "America/Los_Angeles",
	    "2026-03-07|2026-03-06|2026-03-05|2026-03-04|2026-03-03|07 00|"
	    "08 00 -0800");
	/* A half-hour zone. */
	expect("${now}", TEMPLATE_RAW, NOW_MS, "Asia/Kolkata",
	    "2026-03-09T01:30:00+05:30");
}
END_TEST

/* Expands t at now in tz (NULL: UTC), asserting it gives want. */
static void
expect_again(struct tpl *t, int64_t now, struct tz *tz, const char *want)
{
	struct template_buf out = {0};
	char err[256] = "";

	ck_assert_msg(template_expand(t, now, tz, secret_cb, NULL, &out, err,
	                  sizeof err) == 0,
	    "%s", err);
	ck_assert_str_eq(out.tb_data, want);
	template_buf_free(&out);
}

/* One template expanded poll after poll: a day's start it remembers is
 * written again only while it is the same day and zone; a new day, a
 * day back or another zone is written afresh. */
START_TEST(test_memo)
{
	struct tpl *t =
	    compile("${today}/${today-1d:%d}/${now:unix}", TEMPLATE_URL);
	int64_t day = 86400000LL;
	char err[256] = "";
	struct tz *tokyo = tz_open("Asia/Tokyo", err, sizeof err);

	ck_assert_ptr_nonnull(tokyo);
	expect_again(t, NOW_MS, NULL, "2026-03-08/07/1773000000");
	expect_again(t, NOW_MS + 1000, NULL, "2026-03-08/07/1773000001");
	expect_again(t, NOW_MS + day, NULL, "2026-03-09/08/1773086400");
	expect_again(t, NOW_MS, NULL, "2026-03-08/07/1773000000");
	expect_again(t, NOW_MS, tokyo, "2026-03-09/08/1773000000");
	expect_again(t, NOW_MS, NULL, "2026-03-08/07/1773000000");
	tz_free(tokyo);
	template_free(t);
}
END_TEST

/* "$$" is a "$"; a "$" before anything but "{" is itself. */
START_TEST(test_dollars)
{
	expect("$$", TEMPLATE_RAW, NOW_MS, NULL, "$");
	expect("$${today}", TEMPLATE_RAW, NOW_MS, NULL, "${today}");
	expect("$$$${now:unix}", TEMPLATE_RAW, NOW_MS, NULL, "$${now:unix}");
	expect("$$${now:unix}", TEMPLATE_RAW, NOW_MS, NULL, "$1773000000");
	expect("price $5 $", TEMPLATE_RAW, NOW_MS, NULL, "price $5 $");
	expect("", TEMPLATE_RAW, NOW_MS, NULL, "");
	/* In a URL the "$" is the user's text, not a value: as written. */
	expect("/a?x=$$&d=${today}", TEMPLATE_URL, NOW_MS, NULL,
	    "/a?x=$&d=2026-03-08");
}
END_TEST

/* Values are percent-encoded in a URL, its literal text is not. */
START_TEST(test_encode_url)
{
	expect("https://api.example/q?k=${secret:odd}&t=${now}", TEMPLATE_URL,
	    NOW_MS, NULL,
	    "https://api.example/q?k=a%20b%26c%3Dd%22e%25f%0Ag%2Fh%2Bi%5Cj%01"
	    "%C3%A9&t=2026-03-08T20%3A00%3A00Z");
	expect(
	    "/q?k=${secret:amp}", TEMPLATE_URL, NOW_MS, NULL, "/q?k=x%26y%3Dz");
	expect("/q?d=${today:%d/%m/%Y}&z=${now}", TEMPLATE_URL, NOW_MS,
	    "Asia/Tokyo",
	    "/q?d=09%2F03%2F2026&z=2026-03-09T05%3A00%3A00%2B09%3A00");
	expect("/q?from=${today}&tz=${now:unix}", TEMPLATE_URL, NOW_MS, NULL,
	    "/q?from=2026-03-08&tz=1773000000");
}
END_TEST

/* A form value: percent-encoded, a space as "+". */
START_TEST(test_encode_form)
{
	expect("token_auth=${secret:odd}&date=${today}", TEMPLATE_FORM, NOW_MS,
	    NULL,
	    "token_auth=a+b%26c%3Dd%22e%25f%0Ag%2Fh%2Bi%5Cj%01%C3%A9"
	    "&date=2026-03-08");
	expect("period=day&date=${now:%Y-%m-%d %H:%M}", TEMPLATE_FORM, NOW_MS,
	    NULL, "period=day&date=2026-03-08+20%3A00");
}
END_TEST

/* Inside a JSON string: escaped as json-c escapes strings. */
START_TEST(test_encode_json)
{
	expect("{\"key\":\"${secret:odd}\",\"range\":[\"${today-7d}\","
	       "\"${today}\"]}",
	    TEMPLATE_JSON, NOW_MS, NULL,
	    "{\"key\":\"a b&c=d\\\"e%f\\ng/h+i\\\\j\\u0001\xc3\xa9\","
	    "\"range\":[\"2026-03-01\",\"2026-03-08\"]}");
}
END_TEST

/* Headers take values verbatim, but never a CR or LF. */
START_TEST(test_encode_header)
{
	struct template_buf out = {0};
	struct tpl *t;
	char err[256] = "";

	expect("X-Key: ${secret:amp} ${today:%Y %m}", TEMPLATE_HEADER, NOW_MS,
	    NULL, "X-Key: x&y=z 2026 03");
	t = compile("X-Key: ${secret:odd}", TEMPLATE_HEADER);
	ck_assert_int_eq(template_expand(t, NOW_MS, NULL, secret_cb, NULL, &out,
	                     err, sizeof err),
	    -1);
	ck_assert_str_eq(
	    err, "${secret:odd}: a value with CR or LF cannot go in a header");
	/* The message names the secret, never its value. */
	ck_assert_ptr_null(strstr(err, "a b&c"));
	template_buf_free(&out);
	template_free(t);
	expect_error("X-Day: ${today:%d%n}", TEMPLATE_HEADER,
	    "${today:%d%n}: %n cannot go in a header");
	expect_error("X: a\r\nY: b", TEMPLATE_HEADER, "CR or LF in a header");
	/* Verbatim elsewhere. */
	expect("${secret:odd}", TEMPLATE_RAW, NOW_MS, NULL, ODD);
}
END_TEST

/* What compiles: the text kept, literal or not. */
START_TEST(test_text_and_literal)
{
	struct tpl *t = compile("/a?k=${secret:api_key}", TEMPLATE_URL);
	struct tpl *lit = compile("/a?x=$$1", TEMPLATE_URL);

	ck_assert_str_eq(template_text(t), "/a?k=${secret:api_key}");
	ck_assert_int_eq(template_is_literal(t), 0);
	ck_assert_str_eq(template_text(lit), "/a?x=$$1");
	ck_assert_int_eq(template_is_literal(lit), 1);
	template_free(t);
	template_free(lit);
	template_free(NULL);
}
END_TEST

/* A buffer is reused: a shorter expansion after a longer one, and one
 * that must grow several times. */
START_TEST(test_buffer_reuse)
{
	struct template_buf out = {0};
	struct tpl *big, *small;
	char err[256], *text;
	size_t n = 20000;

	text = malloc(n + 16);
	ck_assert_ptr_nonnull(text);
	memset(text, 'x', n);
	strcpy(text + n, "${today}");
	big = compile(text, TEMPLATE_URL);
	small = compile("${now:unix}", TEMPLATE_URL);
	ck_assert_int_eq(template_expand(big, NOW_MS, NULL, NULL, NULL, &out,
	                     err, sizeof err),
	    0);
	ck_assert_uint_eq(out.tb_len, n + 10);
	ck_assert_str_eq(out.tb_data + n, "2026-03-08");
	ck_assert_int_eq(template_expand(small, NOW_MS, NULL, NULL, NULL, &out,
	                     err, sizeof err),
	    0);
	ck_assert_str_eq(out.tb_data, "1773000000");
	template_buf_free(&out);
	ck_assert_ptr_null(out.tb_data);
	template_buf_free(&out);
	template_free(big);
	template_free(small);
	free(text);
}
END_TEST

/* A secret gone since the load fails the expansion, by name only. */
START_TEST(test_secret_gone)
{
	struct template_buf out = {0};
	struct tpl *t = compile("/a?k=${secret:api_key}", TEMPLATE_URL);
	char err[256] = "";

	ck_assert_int_eq(template_expand(t, NOW_MS, NULL, none_cb, NULL, &out,
	                     err, sizeof err),
	    -1);
	ck_assert_str_eq(err, "${secret:api_key}: no such secret");
	ck_assert_int_eq(
	    template_expand(t, NOW_MS, NULL, NULL, NULL, &out, err, sizeof err),
	    -1);
	template_buf_free(&out);
	template_free(t);
}
END_TEST

/* One text refused, and the exact message. */
struct bad_case {
	const char *bc_text;
	const char *bc_err;
};

static const struct bad_case bad_cases[] = {
    {"${tomorrow}",
        "${tomorrow}: unknown placeholder (use today, yesterday, now or "
        "secret:NAME)"},
    {"${}",
        "${}: unknown placeholder (use today, yesterday, now or "
        "secret:NAME)"},
    {"${Today}",
        "${Today}: unknown placeholder (use today, yesterday, now or "
        "secret:NAME)"},
    {"${ today}",
        "${ today}: unknown placeholder (use today, yesterday, now or "
        "secret:NAME)"},
    {"/a?d=${today", "unterminated \"${\" (write $$ for a $)"},
    {"${now:iso}",
        "${now:iso}: unknown format (use unix, unix_ms, rfc3339 or a "
        "strftime pattern such as %Y%m%d)"},
    {"${now:UNIX}",
        "${now:UNIX}: unknown format (use unix, unix_ms, rfc3339 or a "
        "strftime pattern such as %Y%m%d)"},
    {"${today:}", "${today:}: empty format after the colon"},
    {"${today:%Q}", "${today:%Q}: unknown strftime conversion"},
    {"${today:%Y%}", "${today:%Y%}: unknown strftime conversion"},
    {"${today:%E}", "${today:%E}: unknown strftime conversion"},
    {"${now:%s}", "${now:%s}: %s is not supported (use :unix)"},
    {"${now:%99d}", "${now:%99d}: strftime field width over 32"},
    /* 66 bytes of pattern. */
    {"${now:%Y%m%d%H%M%S%Y%m%d%H%M%S%Y%m%d%H%M%S%Y%m%d%H%M%S%Y%m%d%H%M%S"
     "%Y%m%d}",
        "${now:%Y%m%d%H%M%S%Y%m%d%H%M%S%Y%m%d%H%M%S%Y%m%d%H%M%S%Y%m%d%H%M%S"
        "%Y%m%d}: strftime pattern too long (64 bytes at most)"},
    {"${today-7x}",
        "${today-7x}: bad offset (a number of days, e.g. today-7d)"},
    {"${today+6h}",
        "${today+6h}: bad offset (a number of days, e.g. today-7d)"},
    {"${today-3661d}",
        "${today-3661d}: bad offset (a number of days, e.g. today-7d)"},
    {"${today-d}", "${today-d}: bad offset (a number of days, e.g. today-7d)"},
    {"${yesterday--1d}",
        "${yesterday--1d}: bad offset (a number of days, e.g. today-7d)"},
    {"${now-30x}",
        "${now-30x}: bad offset (a duration, e.g. now-30m, now+1h, "
        "now-7d)"},
    {"${now-}",
        "${now-}: bad offset (a duration, e.g. now-30m, now+1h, now-7d)"},
    {"${now-8d:unix_ms}x${now-30m-1m}",
        "${now-30m-1m}: bad offset (a duration, e.g. now-30m, now+1h, "
        "now-7d)"},
    {"${secret:nope}",
        "${secret:nope}: unknown secret (define it in [gatherd] first: "
        "secret NAME = FILE)"},
    {"${secret:}",
        "${secret:}: invalid secret name (1 to 64 of A-Z a-z 0-9 _ . -)"},
    {"${secret:a b}",
        "${secret:a b}: invalid secret name (1 to 64 of A-Z a-z 0-9 _ . "
        "-)"},
    {"${secret:api_key:unix}",
        "${secret:api_key:unix}: invalid secret name (1 to 64 of A-Z a-z "
        "0-9 _ . -)"},
};

/* Each bad text is refused with its message. */
START_TEST(test_errors)
{
	expect_error(bad_cases[_i].bc_text, TEMPLATE_URL, bad_cases[_i].bc_err);
}
END_TEST

/* Without an existence check, no secret exists; a long placeholder is
 * quoted in part. */
START_TEST(test_errors_more)
{
	char err[256] = "", text[300], want[128];

	ck_assert_ptr_null(template_compile(
	    "${secret:api_key}", TEMPLATE_URL, NULL, NULL, err, sizeof err));
	ck_assert_str_eq(err,
	    "${secret:api_key}: unknown secret (define it in [gatherd] first: "
	    "secret NAME = FILE)");
	memset(text, 'a', sizeof text);
	memcpy(text, "${now:", 6);
	text[sizeof text - 2] = '}';
	text[sizeof text - 1] = '\0';
	ck_assert_ptr_null(
	    template_compile(text, TEMPLATE_URL, NULL, NULL, err, sizeof err));
	/* The first 80 bytes of it. */
	snprintf(want, sizeof want, "%.80s: placeholder too long", text);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A body's context follows its Content-Type. */
START_TEST(test_body_context)
{
	ck_assert_int_eq(template_body_context(NULL), TEMPLATE_JSON);
	ck_assert_int_eq(
	    template_body_context("application/json"), TEMPLATE_JSON);
	ck_assert_int_eq(template_body_context("application/json; "
	                                       "charset=utf-8"),
	    TEMPLATE_JSON);
	ck_assert_int_eq(
	    template_body_context("application/vnd.api+json"), TEMPLATE_JSON);
	ck_assert_int_eq(
	    template_body_context("APPLICATION/X-WWW-FORM-URLENCODED"),
	    TEMPLATE_FORM);
	ck_assert_int_eq(template_body_context(
	                     "application/x-www-form-urlencoded;charset=utf-8"),
	    TEMPLATE_FORM);
	ck_assert_int_eq(template_body_context("text/plain"), TEMPLATE_RAW);
	ck_assert_int_eq(
	    template_body_context("application/graphql"), TEMPLATE_RAW);
	ck_assert_int_eq(template_body_context("json"), TEMPLATE_RAW);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("template");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_offsets);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_zones);
	tcase_add_test(tc, test_memo);
	tcase_add_test(tc, test_dollars);
	tcase_add_test(tc, test_encode_url);
	tcase_add_test(tc, test_encode_form);
	tcase_add_test(tc, test_encode_json);
	tcase_add_test(tc, test_encode_header);
	tcase_add_test(tc, test_text_and_literal);
	tcase_add_test(tc, test_buffer_reuse);
	tcase_add_test(tc, test_secret_gone);
	tcase_add_loop_test(
	    tc, test_errors, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, test_errors_more);
	tcase_add_test(tc, test_body_context);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
