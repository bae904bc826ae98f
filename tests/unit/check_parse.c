/*
 * Unit tests of the value parsers: durations, sizes, bounded numbers,
 * yes/no, listen addresses, names, origins, header lines, media types
 * and URLs, with fixed inputs.  The config's messages about bad values are
 * check_config's; here only what each parser accepts and returns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "log.h"
#include "parse.h"
#include "runner.h"

/* Asserts that text parses as a duration of want milliseconds. */
static void
expect_duration(const char *text, uint64_t want)
{
	uint64_t ms = 12345;

	ck_assert_msg(parse_duration_ms(text, &ms) == 0,
	    "duration \"%s\" rejected", text);
	ck_assert_msg(ms == want, "duration \"%s\" = %llu, want %llu", text,
	    (unsigned long long)ms, (unsigned long long)want);
}

/* Asserts that text is rejected as a duration. */
static void
expect_bad_duration(const char *text)
{
	uint64_t ms = 0;

	ck_assert_msg(parse_duration_ms(text, &ms) == -1,
	    "duration \"%s\" accepted as %llu", text, (unsigned long long)ms);
}

/* Asserts that text parses as a size of want bytes. */
static void
expect_size(const char *text, size_t want)
{
	size_t bytes = 12345;

	ck_assert_msg(
	    parse_size(text, &bytes) == 0, "size \"%s\" rejected", text);
	ck_assert_msg(
	    bytes == want, "size \"%s\" = %zu, want %zu", text, bytes, want);
}

/* Asserts that text is rejected as a size. */
static void
expect_bad_size(const char *text)
{
	size_t bytes = 0;

	ck_assert_msg(parse_size(text, &bytes) == -1,
	    "size \"%s\" accepted as %zu", text, bytes);
}

/* Every unit and a bare number parse to the right milliseconds. */
START_TEST(test_duration_units)
{
	expect_duration("250ms", 250);
	expect_duration("30s", 30000);
	expect_duration("5m", 300000);
	expect_duration("1h", 3600000);
	expect_duration("45", 45000);
	expect_duration("0", 0);
	expect_duration("0ms", 0);
}
END_TEST

/* Fractions and compounds: each unit once, longest first, whole ms. */
START_TEST(test_duration_compounds)
{
	expect_duration("1.5s", 1500);
	expect_duration("0.5m", 30000);
	expect_duration("0.25h", 900000);
	expect_duration("1.5", 1500);
	expect_duration("0.001", 1);
	expect_duration("1.0ms", 1);
	expect_duration("2.50s", 2500);
	expect_duration("1.5000000000000s", 1500);
	expect_duration("1m30s", 90000);
	expect_duration("1h30m", 5400000);
	expect_duration("1h30m15s250ms", 5415250);
	expect_duration("1h0.5m", 3630000);
	expect_duration("1m1.5s", 61500);
	expect_duration("2m0s", 120000);
	expect_duration("167h59m59s999ms", 604799999);
	expect_duration("168h", 604800000);
	expect_duration("7.0h", 25200000);
}
END_TEST

/* Malformed, signed, spaced and huge durations fail, and so do
 * fractions of a millisecond and compounds out of order. */
START_TEST(test_duration_rejects)
{
	expect_bad_duration("");
	expect_bad_duration("s");
	expect_bad_duration("ms");
	expect_bad_duration("5x");
	expect_bad_duration("5sec");
	expect_bad_duration("-1");
	expect_bad_duration("+1");
	expect_bad_duration("1.5ms");
	expect_bad_duration("0.0001s");
	expect_bad_duration("0.0000000001h");
	expect_bad_duration("1.s");
	expect_bad_duration(".5s");
	expect_bad_duration("1..5s");
	expect_bad_duration("1,5s");
	expect_bad_duration("1m30");
	expect_bad_duration("30s1m");
	expect_bad_duration("1m1m");
	expect_bad_duration("1s1s");
	expect_bad_duration("5ms5s");
	expect_bad_duration("1h 30m");
	expect_bad_duration("1h30m ");
	expect_bad_duration("1h-30m");
	expect_bad_duration("h30m");
	expect_bad_duration("168h1ms");
	expect_bad_duration("167h60m1s");
	expect_bad_duration("168.000001h");
	expect_bad_duration("1.5.5s");
	expect_bad_duration(" 5s");
	expect_bad_duration("5s ");
	expect_bad_duration("5 s");
	expect_bad_duration("99999999999999999999h");
	expect_bad_duration("99999999999999999999");
	expect_bad_duration("9999999999999999h");
}
END_TEST

/* Sizes with k, M, G and bare bytes parse; others fail. */
START_TEST(test_size)
{
	expect_size("8M", 8u * 1024 * 1024);
	expect_size("512k", 512u * 1024);
	expect_size("1G", 1024u * 1024 * 1024);
	expect_size("100", 100);
	expect_bad_size("8MB");
	expect_bad_size("");
	expect_bad_size("x");
	expect_bad_size("-8M");
	expect_bad_size("1.5M");
	expect_bad_size("99999999999999999999999");
}
END_TEST

/* Names are 1 to 64 of [A-Za-z0-9_.-]. */
START_TEST(test_valid_name)
{
	char name[70];

	memset(name, 'n', 64);
	name[64] = '\0';
	ck_assert_msg(parse_valid_name(name) == 1, "64 chars rejected");
	name[64] = 'n';
	name[65] = '\0';
	ck_assert_msg(parse_valid_name(name) == 0, "65 chars accepted");
	ck_assert_msg(parse_valid_name("") == 0, "empty name accepted");
	ck_assert_msg(parse_valid_name("a b") == 0, "\"a b\" accepted");
	ck_assert_msg(parse_valid_name("a/b") == 0, "\"a/b\" accepted");
	ck_assert_msg(parse_valid_name("a:b") == 0, "\"a:b\" accepted");
	ck_assert_msg(parse_valid_name("A-z_0.9") == 1, "\"A-z_0.9\" rejected");
	ck_assert_msg(parse_valid_name("x") == 1, "\"x\" rejected");
}
END_TEST

/* Whole numbers within the bounds parse; signs, spaces, units do not. */
START_TEST(test_uint)
{
	unsigned v = 7;

	ck_assert_int_eq(parse_uint("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_uint("100000", 1, 100000, &v), 0);
	ck_assert_uint_eq(v, 100000);
	ck_assert_int_eq(parse_uint("4294967295", 0, UINT32_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT32_MAX);
	v = 7;
	ck_assert_int_eq(parse_uint("0", 1, 10, &v), -1);
	ck_assert_int_eq(parse_uint("11", 1, 10, &v), -1);
	ck_assert_int_eq(parse_uint("4294967296", 0, UINT32_MAX, &v), -1);
	ck_assert_int_eq(parse_uint("", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("-1", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("+1", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint(" 1", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("1 ", 0, 10, &v), -1);
	ck_assert_int_eq(parse_uint("1k", 0, 10000, &v), -1);
	ck_assert_uint_eq(v, 7);
}
END_TEST

/* yes and true, no and false; nothing else, not even in upper case. */
START_TEST(test_bool)
{
	int b = 7;

	ck_assert_int_eq(parse_bool("yes", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(parse_bool("no", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(parse_bool("true", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(parse_bool("false", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(parse_bool("YES", &b), -1);
	ck_assert_int_eq(parse_bool("1", &b), -1);
	ck_assert_int_eq(parse_bool("", &b), -1);
	ck_assert_int_eq(parse_bool("maybe", &b), -1);
}
END_TEST

/* host:port and [v6]:port; a bare IPv6, no host or a bad port fail. */
START_TEST(test_listen)
{
	char *host = NULL;
	uint16_t port = 1;

	ck_assert_int_eq(parse_listen("192.0.2.7:9090", &host, &port), 0);
	ck_assert_str_eq(host, "192.0.2.7");
	ck_assert_uint_eq(port, 9090);
	free(host);
	ck_assert_int_eq(parse_listen("[::1]:0", &host, &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 0);
	free(host);
	host = NULL;
	ck_assert_int_eq(parse_listen(":8080", &host, &port), -1);
	ck_assert_int_eq(parse_listen("::1:8080", &host, &port), -1);
	ck_assert_int_eq(parse_listen("localhost", &host, &port), -1);
	ck_assert_int_eq(parse_listen("localhost:", &host, &port), -1);
	ck_assert_int_eq(parse_listen("localhost:65536", &host, &port), -1);
	ck_assert_int_eq(parse_listen("[::1]8080", &host, &port), -1);
	ck_assert_int_eq(parse_listen("[::1:8080", &host, &port), -1);
	ck_assert_ptr_null(host);
}
END_TEST

/* A text and whether a validity test accepts it. */
struct parse_case {
	const char *pc_text;
	int pc_valid;
};

/* Asserts that valid gives each of the n cases its verdict. */
static void
expect_cases(int (*valid)(const char *), const struct parse_case *cases,
    size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(valid(cases[i].pc_text) == cases[i].pc_valid,
		    "%s \"%s\" is %s", what, cases[i].pc_text,
		    cases[i].pc_valid ? "rejected" : "accepted");
}

/* Origins are scheme://host[:port], no path, no wildcard. */
START_TEST(test_origin)
{
	static const struct parse_case cases[] = {
	    {"https://dash.example.com", 1},
	    {"http://a-b.c:8080", 1},
	    {"http://[::1]:80", 1},
	    {"https://a.b/", 0},
	    {"https://a.b:0", 0},
	    {"https://a.b:65536", 0},
	    {"https://*.b", 0},
	    {"https://", 0},
	    {"http://[]", 0},
	    {"ftp://a.b", 0},
	    {"*", 0},
	};

	expect_cases(parse_valid_origin, cases, sizeof cases / sizeof cases[0],
	    "origin");
}
END_TEST

/* A header line is a token, a colon and anything. */
START_TEST(test_header)
{
	static const struct parse_case cases[] = {
	    {"X-Api-Key: v", 1},
	    {"Accept:", 1},
	    {": v", 0},
	    {"X Y: v", 0},
	    {"X-(Y): v", 0},
	    {"No colon", 0},
	    {"", 0},
	};

	expect_cases(parse_valid_header, cases, sizeof cases / sizeof cases[0],
	    "header");
}
END_TEST

/* Media types: type/subtype with optional parameters, as RFC 9110. */
START_TEST(test_media_type)
{
	static const struct parse_case cases[] = {
	    {"application/json", 1},
	    {"application/x-www-form-urlencoded", 1},
	    {"application/graphql+json", 1},
	    {"text/plain; charset=utf-8", 1},
	    {"text/plain;charset=UTF-8", 1},
	    {"multipart/x; a=1 ;b=\"q \\\" x\"", 1},
	    {"application/vnd.api+json;v=2", 1},
	    {"", 0},
	    {"json", 0},
	    {"application/", 0},
	    {"/json", 0},
	    {"application/json/x", 0},
	    {"application /json", 0},
	    {"application/json;", 0},
	    {"application/json; charset", 0},
	    {"application/json; charset=", 0},
	    {"application/json; a=\"open", 0},
	    {"application/json\r\nX-Evil: 1", 0},
	    {"application/json; a=\"x\ny\"", 0},
	    {"text/plain; charset=utf 8", 0},
	};

	expect_cases(parse_valid_media_type, cases,
	    sizeof cases / sizeof cases[0], "media type");
}
END_TEST

/* http and https URLs with a host pass; the reason says what is wrong. */
START_TEST(test_url)
{
	ck_assert_ptr_null(parse_check_url("http://a.example/"));
	ck_assert_ptr_null(parse_check_url("https://u:p@a.example:8443/x?y"));
	ck_assert_str_eq(
	    parse_check_url("ftp://a.example/"), "must use http or https");
	ck_assert_str_eq(parse_check_url("not a url"), "is not a valid URL");
}
END_TEST

/* Builds the suite: every parser with fixed inputs. */
static Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_duration_units);
	tcase_add_test(tc, test_duration_compounds);
	tcase_add_test(tc, test_duration_rejects);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_valid_name);
	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_origin);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_media_type);
	tcase_add_test(tc, test_url);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(parse_suite()) == 0 ? 0 : 1;
}
