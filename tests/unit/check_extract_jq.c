/*
 * Tests of extract_jq and of jq through extract: programs compiled once
 * and shared by text, jq's own message for one that does not compile,
 * the first output of every type, no output, runtime errors, halts, and
 * what stats and error_if make of them (missing_stat, api_error), on the
 * shapes real APIs answer with: GA4's strings for numbers and missing
 * rows, Matomo's and Cloudflare's errors inside a 200.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

/* The top build directory's config.h is autoconf's; we want lib's. */
#include "../lib/config.h"
#include "extract.h"
#include "extract_jq.h"
#include "log.h"
#include "runner.h"

/* A config_stat from literals; nothing writes through them. */
#define STAT(name, pointer)                                                    \
	{                                                                      \
		(char *)(name), (char *)(pointer), NULL                        \
	}

/* A body with one value of each JSON type. */
static const char body_all[] =
    "{\"n\": 12345, \"r\": 0.25, \"s\": \"caf\\u00e9\", \"t\": true, "
    "\"f\": false, \"z\": null, \"o\": {\"a\": 1}, \"a\": [1, 2], "
    "\"num\": \"1234\", \"pct\": \"67%\", \"neg\": -42}";

/* GA4 runReport: metrics as strings. */
static const char body_ga4[] =
    "{\"dimensionHeaders\":[{\"name\":\"date\"}],\"metricHeaders\":[{"
    "\"name\":\"activeUsers\",\"type\":\"TYPE_INTEGER\"}],\"rows\":[{"
    "\"dimensionValues\":[{\"value\":\"20261129\"}],\"metricValues\":[{"
    "\"value\":\"1234\"}]}],\"rowCount\":1,\"kind\":"
    "\"analyticsData#runReport\"}";
/* GA4 runReport for a day with no data: no rows at all. */
static const char body_ga4_empty[] =
    "{\"metricHeaders\":[{\"name\":\"activeUsers\",\"type\":"
    "\"TYPE_INTEGER\"}],\"kind\":\"analyticsData#runReport\"}";
/* Matomo: an error inside a 200, and a good answer. */
static const char body_matomo_error[] =
    "{\"result\":\"error\",\"message\":\"Method 'VisitsSummary.gett' does "
    "not exist or is not available in the module "
    "'\\\\Piwik\\\\Plugins\\\\VisitsSummary\\\\API'.\"}";
static const char body_matomo[] =
    "{\"nb_uniq_visitors\":310,\"nb_visits\":402,\"bounce_rate\":\"67%\"}";
/* Cloudflare GraphQL: errors[] inside a 200, and errors null. */
static const char body_cf_error[] =
    "{\"data\":null,\"errors\":[{\"message\":\"zone 'abc' does not exist"
    "\",\"path\":[\"viewer\"],\"extensions\":{\"code\":\"authz\"}}]}";
static const char body_cf[] =
    "{\"data\":{\"viewer\":{\"zones\":[{\"httpRequests1dGroups\":[{\"sum\":"
    "{\"requests\":52170}}]}]}},\"errors\":null}";

/* The error_if of the design: Matomo's shape. */
#define MATOMO_IF "select(.result? == \"error\") | .message"
/* The first error's message: Cloudflare's shape. */
#define CF_IF ".errors[0].message"

/* A set and a document for one test. */
struct fixture {
	struct extract_jq_set *set;
	struct extract_jq_doc *doc;
};

/* Compiles program in set, failing the test if it does not compile. */
static struct extract_jq *
compile(struct extract_jq_set *set, const char *program)
{
	char err[256] = "";
	struct extract_jq *jq =
	    extract_jq_set_add(set, program, err, sizeof err);

	ck_assert_msg(jq != NULL, "\"%s\" does not compile: %s", program, err);
	return jq;
}

/* Makes body a document for jq, failing the test if it is no JSON. */
static struct extract_jq_doc *
doc_of(const char *body)
{
	struct json_object *parsed = json_tokener_parse(body);
	struct extract_jq_doc *doc;

	ck_assert_msg(
	    parsed != NULL || strcmp(body, "null") == 0, "not JSON: %s", body);
	doc = extract_jq_doc_new(parsed);
	ck_assert_ptr_nonnull(doc);
	json_object_put(parsed);
	return doc;
}

/* Runs program on body; returns the result, value and message. */
static enum extract_jq_out
run(const char *program, const char *body, struct json_object **value,
    char *msg, size_t msglen)
{
	struct extract_jq_set *set = extract_jq_set_new();
	struct extract_jq_doc *doc = doc_of(body);
	enum extract_jq_out r;

	ck_assert_ptr_nonnull(set);
	r = extract_jq_run(compile(set, program), doc, value, msg, msglen);
	extract_jq_doc_free(doc);
	extract_jq_set_free(set);
	return r;
}

/* Asserts program's first output on body is the JSON text want. */
static void
expect_scalar(const char *program, const char *body, const char *want)
{
	struct json_object *v = (struct json_object *)1;
	char msg[256];
	enum extract_jq_out r = run(program, body, &v, msg, sizeof msg);

	ck_assert_msg(
	    r == EXTRACT_JQ_SCALAR, "%s: result %d (%s)", program, (int)r, msg);
	ck_assert_str_eq(json_object_to_json_string_ext(v, 0), want);
	json_object_put(v);
}

/* Asserts program on body gives result r with message exactly msg. */
static void
expect_msg(const char *program, const char *body, enum extract_jq_out r,
    const char *want)
{
	struct json_object *v = (struct json_object *)1;
	char msg[256];
	enum extract_jq_out got = run(program, body, &v, msg, sizeof msg);

	ck_assert_msg(got == r, "%s: result %d, want %d (%s)", program,
	    (int)got, (int)r, msg);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(msg, want);
}

/* "jq:" starts a program, with or without space; anything else is none. */
START_TEST(test_program_of)
{
	ck_assert_str_eq(extract_jq_program_of("jq: .a"), ".a");
	ck_assert_str_eq(extract_jq_program_of("jq:.a | .b"), ".a | .b");
	ck_assert_str_eq(extract_jq_program_of("jq: \t.a"), ".a");
	ck_assert_str_eq(extract_jq_program_of("jq:"), "");
	ck_assert_ptr_null(extract_jq_program_of("/jq:"));
	ck_assert_ptr_null(extract_jq_program_of("JQ: .a"));
	ck_assert_ptr_null(extract_jq_program_of(""));
}
END_TEST

/* The same text is compiled once and shared; another is a new program. */
START_TEST(test_set_shares)
{
	struct extract_jq_set *set = extract_jq_set_new();
	struct extract_jq *a, *b, *c;

	ck_assert_ptr_nonnull(set);
	ck_assert_uint_eq(extract_jq_set_count(set), 0);
	a = compile(set, ".rows[0].metricValues[0].value | tonumber");
	b = compile(set, ".rows[0].metricValues[0].value | tonumber");
	c = compile(set, ".nb_visits");
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_ne(a, c);
	ck_assert_uint_eq(extract_jq_set_count(set), 2);
	ck_assert_str_eq(extract_jq_text(c), ".nb_visits");
	extract_jq_set_free(set);
	extract_jq_set_free(NULL);
}
END_TEST

/* A program that does not compile gives jq's first message, one line. */
START_TEST(test_compile_errors)
{
	static const struct {
		const char *program;
		const char *want;
	} cases[] = {
	    {".foo[",
	        "syntax error, unexpected $end (Unix shell quoting issues?) "
	        "at <top-level>, line 1"},
	    {"nosuch", "nosuch/0 is not defined at <top-level>, line 1"},
	    {".a | tonumbr(1)",
	        "tonumbr/1 is not defined at <top-level>, line 1"},
	    /* No module path: an import fails to compile, nothing is read. */
	    {"import \"m\" as m; .", "module not found: m"},
	};
	struct extract_jq_set *set = extract_jq_set_new();
	char err[256];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		ck_assert_ptr_null(
		    extract_jq_set_add(set, cases[i].program, err, sizeof err));
		ck_assert_str_eq(err, cases[i].want);
	}
	/* Nothing that failed is kept. */
	ck_assert_uint_eq(extract_jq_set_count(set), 0);
	extract_jq_set_free(set);
}
END_TEST

/* Every scalar type comes out as the same JSON; numbers whole are ints. */
START_TEST(test_scalars)
{
	expect_scalar(".n", body_all, "12345");
	expect_scalar(".neg", body_all, "-42");
	expect_scalar(".r", body_all, "0.25");
	expect_scalar(".s", body_all, "\"caf\xc3\xa9\"");
	expect_scalar(".t", body_all, "true");
	expect_scalar(".f", body_all, "false");
	expect_scalar(".z", body_all, "null");
	expect_scalar(".missing", body_all, "null");
	/* No automatic string to number: the user writes tonumber. */
	expect_scalar(".num", body_all, "\"1234\"");
	expect_scalar(".num | tonumber", body_all, "1234");
	expect_scalar(
	    ".pct | rtrimstr(\"%\") | tonumber / 100", body_all, "0.67");
	expect_scalar(".a | add", body_all, "3");
	expect_scalar("[.n, .neg] | max", body_all, "12345");
	/* Only the first output counts. */
	expect_scalar(".a[]", body_all, "1");
	expect_scalar("1e300", body_all, "1e+300");
	expect_scalar(
	    ".rows[0].metricValues[0].value | tonumber", body_ga4, "1234");
	expect_scalar("(.rows[0].metricValues[0].value // \"0\") | tonumber",
	    body_ga4_empty, "0");
}
END_TEST

/* Keys repeated in every row and more distinct keys than jq's copy
 * keeps at hand: each object keeps its own keys and values. */
START_TEST(test_many_keys)
{
	char *body = malloc(64 * 1024), *p = body;
	int i;

	ck_assert_ptr_nonnull(body);
	p += sprintf(p, "[");
	for (i = 0; i < 300; i++)
		p += sprintf(p, "%s{\"value\":%d,\"k%d\":%d,\"va\":1}",
		    i ? "," : "", i, i, i * 2);
	sprintf(p, "]");
	expect_scalar("[.[] | .value] | add", body, "44850");
	expect_scalar("[.[] | .va] | add", body, "300");
	expect_scalar("[.[] | keys[]] | unique | length", body, "302");
	expect_scalar(".[150].k150 + .[299].k299", body, "898");
	expect_scalar(".[7] | keys | join(\",\")", body, "\"k7,va,value\"");
	free(body);
}
END_TEST

/* Objects, arrays, no output, errors and halts say what happened. */
START_TEST(test_not_scalars)
{
	expect_msg(".o", body_all, EXTRACT_JQ_OBJECT, "{\"a\":1}");
	expect_msg(".a", body_all, EXTRACT_JQ_ARRAY, "[1,2]");
	expect_msg("empty", body_all, EXTRACT_JQ_NONE, "no output");
	expect_msg(
	    ".a[] | select(. > 5)", body_all, EXTRACT_JQ_NONE, "no output");
	expect_msg(".n.x", body_all, EXTRACT_JQ_ERROR,
	    "Cannot index number with string \"x\"");
	expect_msg(".pct | tonumber", body_all, EXTRACT_JQ_ERROR,
	    "Invalid numeric literal at EOF at line 1, column 3 (while "
	    "parsing '67%')");
	expect_msg(".rows[0].metricValues[0].value | tonumber", body_ga4_empty,
	    EXTRACT_JQ_ERROR, "null (null) cannot be parsed as a number");
	expect_msg(
	    "error(\"two\\nlines\")", body_all, EXTRACT_JQ_ERROR, "two lines");
	expect_msg(
	    "error({code: 7})", body_all, EXTRACT_JQ_ERROR, "{\"code\":7}");
	expect_msg("infinite", body_all, EXTRACT_JQ_ERROR,
	    "an infinite number is not a JSON number");
	expect_msg(
	    "nan", body_all, EXTRACT_JQ_ERROR, "nan is not a JSON number");
	/* No input to read (jq 1.6 says "break"), no debug output. */
	expect_msg("input", body_all, EXTRACT_JQ_ERROR, "break");
	expect_scalar("debug | .n", body_all, "12345");
	expect_msg("\"bye\" | halt_error", body_all, EXTRACT_JQ_ERROR, "bye");
	expect_msg("halt", body_all, EXTRACT_JQ_NONE, "no output");
}
END_TEST

/* A long output is cut to the message buffer. */
START_TEST(test_long_output_cut)
{
	struct json_object *v;
	char msg[16];

	ck_assert_int_eq(run("[range(1000)]", body_all, &v, msg, sizeof msg),
	    EXTRACT_JQ_ARRAY);
	ck_assert_uint_eq(strlen(msg), sizeof msg - 1);
	ck_assert(strncmp(msg, "[0,1,2,3,", 9) == 0);
}
END_TEST

/*
 * One program runs again and again on documents that come and go, and
 * several programs share a document: each run starts afresh (a halt
 * leaves nothing behind for the next; ASan watches the frees).
 */
START_TEST(test_reuse)
{
	struct extract_jq_set *set = extract_jq_set_new();
	struct extract_jq *halts, *n, *visits;
	struct extract_jq_doc *doc;
	struct json_object *v;
	char msg[128];
	int i;

	halts = compile(set, "if .n then \"stop\" | halt_error else .m end");
	n = compile(set, ".n");
	visits = compile(set, ".nb_visits");
	for (i = 0; i < 3; i++) {
		doc = doc_of(body_all);
		ck_assert_int_eq(
		    extract_jq_run(halts, doc, &v, msg, sizeof msg),
		    EXTRACT_JQ_ERROR);
		ck_assert_str_eq(msg, "stop");
		ck_assert_int_eq(extract_jq_run(n, doc, &v, msg, sizeof msg),
		    EXTRACT_JQ_SCALAR);
		ck_assert_int_eq(json_object_get_int(v), 12345);
		json_object_put(v);
		extract_jq_doc_free(doc);
		doc = doc_of(body_matomo);
		ck_assert_int_eq(
		    extract_jq_run(halts, doc, &v, msg, sizeof msg),
		    EXTRACT_JQ_SCALAR);
		ck_assert_ptr_null(v);
		ck_assert_int_eq(
		    extract_jq_run(visits, doc, &v, msg, sizeof msg),
		    EXTRACT_JQ_SCALAR);
		ck_assert_int_eq(json_object_get_int(v), 402);
		json_object_put(v);
		extract_jq_doc_free(doc);
	}
	extract_jq_doc_free(NULL);
	extract_jq_set_free(set);
}
END_TEST

/* A config_stat for a jq program of set. */
static struct config_stat
jq_stat(struct extract_jq_set *set, const char *name, const char *program)
{
	struct config_stat st = STAT(name, program);

	st.cs_jq = compile(set, program);
	return st;
}

/* Runs src on body; returns the result with values or err. */
static int
extract_body(const struct config_source *src, const char *body,
    struct json_object **values, struct source_error *err)
{
	struct extract *ex = extract_new(EXTRACT_MAX_DEPTH);
	int rc;

	ck_assert_ptr_nonnull(ex);
	memset(err, 0, sizeof *err);
	rc = extract_source(ex, body, strlen(body), src, values, err);
	extract_free(ex);
	return rc;
}

/* Asserts src fails on body with kind and exactly message want. */
static void
expect_fail(const struct config_source *src, const char *body,
    enum source_err kind, const char *want)
{
	struct json_object *values = (struct json_object *)1;
	struct source_error err;

	ck_assert_int_eq(extract_body(src, body, &values, &err), -1);
	ck_assert_ptr_null(values);
	ck_assert_msg(err.se_kind == kind, "kind %s, want %s (%s)",
	    source_err_name(err.se_kind), source_err_name(kind),
	    err.se_message);
	ck_assert_str_eq(err.se_message, want);
}

/* Asserts src takes body; returns the values as JSON text in buf. */
static const char *
expect_values(
    const struct config_source *src, const char *body, char *buf, size_t buflen)
{
	struct json_object *values = NULL;
	struct source_error err;

	ck_assert_msg(extract_body(src, body, &values, &err) == 0, "%s: %s",
	    source_err_name(err.se_kind), err.se_message);
	snprintf(buf, buflen, "%s",
	    json_object_to_json_string_ext(values, JSON_C_TO_STRING_PLAIN));
	json_object_put(values);
	return buf;
}

/* jq stats beside pointer stats; each failure is missing_stat. */
START_TEST(test_stats)
{
	struct extract_jq_set *set = extract_jq_set_new();
	struct config_stat stats[3], bad[1];
	struct config_source src;
	char buf[256];

	stats[0] =
	    jq_stat(set, "users", ".rows[0].metricValues[0].value | tonumber");
	stats[1] = (struct config_stat)STAT("kind", "/kind");
	stats[2] = jq_stat(set, "day", ".rows[0].dimensionValues[0].value");
	memset(&src, 0, sizeof src);
	src.src_stats = stats;
	src.src_nstats = 3;
	ck_assert_str_eq(expect_values(&src, body_ga4, buf, sizeof buf),
	    "{\"users\":1234,\"kind\":\"analyticsData#runReport\","
	    "\"day\":\"20261129\"}");
	/* No rows: jq's own message. */
	expect_fail(&src, body_ga4_empty, SOURCE_ERR_MISSING_STAT,
	    "stat users: jq: null (null) cannot be parsed as a number");
	/* A body that is no JSON is still json-c's to judge. */
	expect_fail(&src, "<html>", SOURCE_ERR_NOT_JSON,
	    "body is not JSON: \"<html>\"");
	src.src_stats = bad;
	src.src_nstats = 1;
	bad[0] = jq_stat(set, "rows", ".rows");
	expect_fail(&src, body_ga4, SOURCE_ERR_MISSING_STAT,
	    "stat rows: jq gave [{\"dimensionValues\":[{\"value\":"
	    "\"20261129\"}],\"metricValues\":[{\"value\":\"1234\"}]}], not a "
	    "number, string, boolean or null");
	bad[0] = jq_stat(set, "none", ".rows[]?");
	expect_fail(&src, body_ga4_empty, SOURCE_ERR_MISSING_STAT,
	    "stat none: jq: no output");
	ck_assert_uint_eq(extract_jq_set_count(set), 4);
	extract_jq_set_free(set);
}
END_TEST

/* error_if: Matomo's and Cloudflare's errors inside a 200 are api_error
 * with the API's message; good bodies pass to the stats. */
START_TEST(test_error_if)
{
	struct extract_jq_set *set = extract_jq_set_new();
	struct config_stat visits, requests;
	struct config_source src;
	char buf[256];

	visits = jq_stat(set, "visits", ".nb_visits");
	memset(&src, 0, sizeof src);
	src.src_stats = &visits;
	src.src_nstats = 1;
	src.src_error_if = compile(set, MATOMO_IF);
	expect_fail(&src, body_matomo_error, SOURCE_ERR_API_ERROR,
	    "Method 'VisitsSummary.gett' does not exist or is not available "
	    "in the module '\\Piwik\\Plugins\\VisitsSummary\\API'.");
	/* select() on a good body: no output, which passes. */
	ck_assert_str_eq(expect_values(&src, body_matomo, buf, sizeof buf),
	    "{\"visits\":402}");
	/* Without error_if, the error body is a silent null. */
	src.src_error_if = NULL;
	ck_assert_str_eq(
	    expect_values(&src, body_matomo_error, buf, sizeof buf),
	    "{\"visits\":null}");

	requests = (struct config_stat)STAT("requests",
	    "/data/viewer/zones/0/httpRequests1dGroups/0/sum/requests");
	src.src_stats = &requests;
	src.src_error_if = compile(set, CF_IF);
	expect_fail(&src, body_cf_error, SOURCE_ERR_API_ERROR,
	    "zone 'abc' does not exist");
	/* errors: null gives null, which passes. */
	ck_assert_str_eq(expect_values(&src, body_cf, buf, sizeof buf),
	    "{\"requests\":52170}");
	extract_jq_set_free(set);
}
END_TEST

/* What error_if's first output makes of a body, output by output. */
START_TEST(test_error_if_outputs)
{
	static const struct {
		const char *program;
		enum source_err kind; /* SOURCE_ERR_NONE: passes */
		const char *message;
	} cases[] = {
	    {"null", SOURCE_ERR_NONE, NULL},
	    {"false", SOURCE_ERR_NONE, NULL},
	    {"empty", SOURCE_ERR_NONE, NULL},
	    {"false, \"later\"", SOURCE_ERR_NONE, NULL},
	    {"true", SOURCE_ERR_API_ERROR, "error_if: true"},
	    {"0", SOURCE_ERR_API_ERROR, "error_if: 0"},
	    {"\"\"", SOURCE_ERR_API_ERROR, "error_if: \"\""},
	    {"\"quota\\nexceeded\"", SOURCE_ERR_API_ERROR, "quota exceeded"},
	    {"{e: 1}", SOURCE_ERR_API_ERROR, "error_if: {\"e\":1}"},
	    {"[.[]]", SOURCE_ERR_API_ERROR, "error_if: [402]"},
	    /* An error_if that cannot run on the body does not pass it. */
	    {".nb_visits.x", SOURCE_ERR_MISSING_STAT,
	        "error_if: jq: Cannot index number with string \"x\""},
	};
	struct extract_jq_set *set = extract_jq_set_new();
	struct config_stat visits = STAT("visits", "/nb_visits");
	struct config_source src;
	static const char body[] = "{\"nb_visits\":402}";
	char buf[64];
	size_t i;

	memset(&src, 0, sizeof src);
	src.src_stats = &visits;
	src.src_nstats = 1;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		src.src_error_if = compile(set, cases[i].program);
		if (cases[i].kind == SOURCE_ERR_NONE)
			ck_assert_str_eq(
			    expect_values(&src, body, buf, sizeof buf),
			    "{\"visits\":402}");
		else
			expect_fail(
			    &src, body, cases[i].kind, cases[i].message);
	}
	extract_jq_set_free(set);
}
END_TEST

/* An API's message longer than an error message is cut, whole
 * characters only. */
START_TEST(test_error_if_long_message)
{
	struct extract_jq_set *set = extract_jq_set_new();
	struct config_stat visits = STAT("visits", "/nb_visits");
	struct config_source src;
	struct json_object *values;
	struct source_error err;

	memset(&src, 0, sizeof src);
	src.src_stats = &visits;
	src.src_nstats = 1;
	src.src_error_if = compile(set, "\"é\" * 300");
	ck_assert_int_eq(extract_body(&src, "{}", &values, &err), -1);
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_API_ERROR);
	ck_assert_uint_eq(strlen(err.se_message), SOURCE_ERR_MSG_LEN - 2);
	ck_assert(strncmp(err.se_message, "éééé", 8) == 0);
	extract_jq_set_free(set);
}
END_TEST

/* Builds the suite: the module, then jq through extract. */
static Suite *
extract_jq_suite(void)
{
	Suite *s = suite_create("extract_jq");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_program_of);
	tcase_add_test(tc, test_set_shares);
	tcase_add_test(tc, test_compile_errors);
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_not_scalars);
	tcase_add_test(tc, test_long_output_cut);
	tcase_add_test(tc, test_many_keys);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_error_if);
	tcase_add_test(tc, test_error_if_outputs);
	tcase_add_test(tc, test_error_if_long_message);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; the exit status is the number of failures, capped. */
int
main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	return runner_run(extract_jq_suite()) == 0 ? 0 : 1;
}
