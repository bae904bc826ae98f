/*
 * Tests of the extract module: bodies in, {stat: value} objects out.
 * Each JSON type is selected by a JSON Pointer and must come back with
 * the same type and value; each kind of bad body must fail with the exact
 * source_error kind, a useful message and no values.  The tests also
 * check that one extractor survives a failure and honours the length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "extract.h"
#include "log.h"
#include "runner.h"

/* A config_stat from literals; extract never writes through them. */
#define STAT(name, pointer)                                                    \
	{                                                                      \
		(char *)(name), (char *)(pointer)                              \
	}

/* A body with one value of each JSON type. */
static const char body_all[] =
    "{\"data\": {\"total\": 12345, \"ratio\": 0.25, \"label\": \"A \\\"q\\\" "
    "\\u00e9\", \"on\": true, \"off\": false, \"none\": null,\n"
    "  \"nested\": {\"x\": [1, {\"y\": \"z\"}]}},\n"
    " \"items\": [\"first\", {\"id\": 7}, 3],\n"
    " \"a/b\": \"slash\", \"m~n\": \"tilde\", \"\": \"empty key\",\n"
    " \"big\": 9007199254740993, \"neg\": -42}\n";

/* Stats selecting each type and each escape. */
static const struct config_stat stats_all[] = {
    STAT("total", "/data/total"),
    STAT("ratio", "/data/ratio"),
    STAT("label", "/data/label"),
    STAT("on", "/data/on"),
    STAT("off", "/data/off"),
    STAT("none", "/data/none"),
    STAT("item", "/items/0"),
    STAT("item_id", "/items/1/id"),
    STAT("deep", "/data/nested/x/1/y"),
    STAT("slash", "/a~1b"),
    STAT("tilde", "/m~0n"),
    STAT("emptykey", "/"),
    STAT("big", "/big"),
    STAT("neg", "/neg"),
};

#define NSTATS(a) (sizeof(a) / sizeof *(a))

/* Returns member name of obj, failing the test if it is absent. */
static struct json_object *
member(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(obj, name, &v),
	    "no member \"%s\" in %s", name, json_object_to_json_string(obj));
	return v;
}

/* Runs ex on body[0..len) with stats and asserts it fails with kind. */
static void
expect_fail(struct extract *ex, const char *body, size_t len,
    const struct config_stat *stats, size_t nstats, enum source_err kind,
    const char *phrase)
{
	struct json_object *values = (struct json_object *)1;
	struct source_error err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = extract_values(ex, body, len, stats, nstats, &values, &err);
	ck_assert_msg(rc == -1, "body \"%.*s\" accepted", (int)len, body);
	ck_assert_msg(values == NULL, "values not NULL after failure");
	ck_assert_msg(err.se_kind == kind, "body \"%.*s\": kind %s, want %s",
	    (int)len, body, source_err_name(err.se_kind),
	    source_err_name(kind));
	ck_assert_msg(strstr(err.se_message, phrase) != NULL,
	    "message \"%s\" does not contain \"%s\"", err.se_message, phrase);
}

/* Runs ex on body[0..len) and asserts success; the caller puts values. */
static struct json_object *
expect_ok(struct extract *ex, const char *body, size_t len,
    const struct config_stat *stats, size_t nstats)
{
	struct json_object *values = NULL;
	struct source_error err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = extract_values(ex, body, len, stats, nstats, &values, &err);
	ck_assert_msg(rc == 0, "body \"%.*s\" rejected: %s: %s", (int)len, body,
	    source_err_name(err.se_kind), err.se_message);
	ck_assert_ptr_nonnull(values);
	ck_assert_msg(json_object_is_type(values, json_type_object),
	    "values is not an object");
	ck_assert_int_eq(json_object_object_length(values), (int)nstats);
	return values;
}

/* One stat "v" selecting the whole document. */
static const struct config_stat stat_root[] = {STAT("v", "")};
/* One stat "total" at /data/total. */
static const struct config_stat stat_total[] = {
    STAT("total", "/data/total"),
};

/* Every JSON type comes back with the same type and value. */
START_TEST(test_types)
{
	struct extract *ex;
	struct json_object *values, *v;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	ck_assert_ptr_nonnull(ex);
	values = expect_ok(
	    ex, body_all, strlen(body_all), stats_all, NSTATS(stats_all));

	v = member(values, "total");
	ck_assert_msg(json_object_is_type(v, json_type_int), "total type");
	ck_assert_int_eq(json_object_get_int64(v), 12345);
	v = member(values, "ratio");
	ck_assert_msg(json_object_is_type(v, json_type_double), "ratio type");
	ck_assert_double_eq(json_object_get_double(v), 0.25);
	v = member(values, "label");
	ck_assert_msg(json_object_is_type(v, json_type_string), "label type");
	ck_assert_str_eq(json_object_get_string(v), "A \"q\" \xc3\xa9");
	v = member(values, "on");
	ck_assert_msg(json_object_is_type(v, json_type_boolean), "on type");
	ck_assert_int_eq(json_object_get_boolean(v), 1);
	v = member(values, "off");
	ck_assert_msg(json_object_is_type(v, json_type_boolean), "off type");
	ck_assert_int_eq(json_object_get_boolean(v), 0);
	/* A JSON null is present, as a NULL json_object. */
	v = member(values, "none");
	ck_assert_ptr_null(v);
	ck_assert_str_eq(
	    json_object_get_string(member(values, "item")), "first");
	ck_assert_int_eq(json_object_get_int(member(values, "item_id")), 7);
	ck_assert_str_eq(json_object_get_string(member(values, "deep")), "z");
	ck_assert_str_eq(
	    json_object_get_string(member(values, "slash")), "slash");
	ck_assert_str_eq(
	    json_object_get_string(member(values, "tilde")), "tilde");
	ck_assert_str_eq(
	    json_object_get_string(member(values, "emptykey")), "empty key");
	v = member(values, "big");
	ck_assert_msg(json_object_is_type(v, json_type_int), "big type");
	ck_assert_msg(json_object_get_int64(v) == 9007199254740993LL,
	    "big is %s", json_object_to_json_string(v));
	ck_assert_int_eq(json_object_get_int64(member(values, "neg")), -42);

	json_object_put(values);
	extract_free(ex);
}
END_TEST

/* Values outlive the document and serialise as the input did. */
START_TEST(test_values_serialise)
{
	static const struct config_stat stats[] = {
	    STAT("n", "/n"),
	    STAT("s", "/s"),
	    STAT("a", "/a/0"),
	};
	static const char body[] = "{\"n\":1,\"s\":\"x\",\"a\":[true,null],"
	                           "\"skip\":{}}";
	struct extract *ex;
	struct json_object *values;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	values = expect_ok(ex, body, strlen(body), stats, NSTATS(stats));
	ck_assert_str_eq(
	    json_object_to_json_string_ext(values, JSON_C_TO_STRING_PLAIN),
	    "{\"n\":1,\"s\":\"x\",\"a\":true}");
	json_object_put(values);
	extract_free(ex);
}
END_TEST

/* An object or array where a stat should be is missing_stat. */
START_TEST(test_wrong_type)
{
	static const struct config_stat obj[] = {STAT("total", "/data/total")};
	static const struct config_stat arr[] = {STAT("list", "/data/list")};
	static const char body[] =
	    "{\"data\":{\"total\":{\"nested\":1},\"list\":[1,2]}}";
	struct extract *ex = extract_new(EXTRACT_MAX_DEPTH);

	expect_fail(ex, body, strlen(body), obj, 1, SOURCE_ERR_MISSING_STAT,
	    "is an object");
	expect_fail(ex, body, strlen(body), arr, 1, SOURCE_ERR_MISSING_STAT,
	    "is an array");
	extract_free(ex);
}
END_TEST

/* Numbers JSON can write but no double or integer holds are parse errors. */
START_TEST(test_out_of_range)
{
	static const struct config_stat st[] = {STAT("total", "/t")};
	static const char *const bodies[] = {"{\"t\":1e400}", "{\"t\":-1e400}",
	    "{\"t\":99999999999999999999}", "{\"t\":-99999999999999999999}"};
	struct extract *ex = extract_new(EXTRACT_MAX_DEPTH);
	struct json_object *values;
	size_t i;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		expect_fail(ex, bodies[i], strlen(bodies[i]), st, 1,
		    SOURCE_ERR_PARSE, "out of range");
	/* Big but representable numbers are fine. */
	values = expect_ok(ex, "{\"t\":1e300}", 11, st, 1);
	json_object_put(values);
	values = expect_ok(ex, "{\"t\":18446744073709551614}", 26, st, 1);
	json_object_put(values);
	extract_free(ex);
}
END_TEST

/* No stats at all gives an empty object for any valid body. */
START_TEST(test_no_stats)
{
	struct extract *ex;
	struct json_object *values;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	values = expect_ok(ex, "[1,2]", 5, NULL, 0);
	ck_assert_int_eq(json_object_object_length(values), 0);
	json_object_put(values);
	extract_free(ex);
}
END_TEST

/* Empty and white-space-only bodies are not JSON. */
START_TEST(test_empty_body)
{
	struct extract *ex;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(ex, "", 0, stat_total, 1, SOURCE_ERR_NOT_JSON,
	    "empty body (0 bytes)");
	expect_fail(ex, " \r\n\t\n", 5, stat_total, 1, SOURCE_ERR_NOT_JSON,
	    "empty body (5 bytes)");
	extract_free(ex);
}
END_TEST

/* An HTML error page is not JSON, and the message quotes its start. */
START_TEST(test_html_body)
{
	static const char html[] = "\n<!DOCTYPE html>\n<html><head><title>502 "
	                           "Bad Gateway</title></head></html>\n";
	struct extract *ex;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(ex, html, strlen(html), stat_total, 1, SOURCE_ERR_NOT_JSON,
	    "body is not JSON: \"<!DOCTYPE html>.<html>");
	expect_fail(ex, "Service Unavailable", 19, stat_total, 1,
	    SOURCE_ERR_NOT_JSON, "Service Unavailable");
	extract_free(ex);
}
END_TEST

/* JSON cut short is a parse error that says so. */
START_TEST(test_truncated)
{
	static const char body[] = "{\"data\":{\"total\":12";
	struct extract *ex;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(ex, body, strlen(body), stat_total, 1, SOURCE_ERR_PARSE,
	    "ends early");
	expect_fail(
	    ex, "[1, 2", 5, stat_root, 1, SOURCE_ERR_PARSE, "ends early");
	expect_fail(ex, "{\"a\": \"unterminated", 19, stat_root, 1,
	    SOURCE_ERR_PARSE, "ends early");
	extract_free(ex);
}
END_TEST

/* Bytes after the JSON value are a parse error; white space is not. */
START_TEST(test_trailing)
{
	static const char body[] = "{\"a\":1} xyz";
	static const struct config_stat stat_a[] = {STAT("a", "/a")};
	struct extract *ex;
	struct json_object *values;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(
	    ex, body, strlen(body), stat_a, 1, SOURCE_ERR_PARSE, "at byte 8");
	expect_fail(ex, "{\"a\":1}{\"a\":2}", 14, stat_a, 1, SOURCE_ERR_PARSE,
	    "at byte 7");
	values = expect_ok(ex, "{\"a\":1} \r\n\t\n", 12, stat_a, 1);
	ck_assert_int_eq(json_object_get_int(member(values, "a")), 1);
	json_object_put(values);
	extract_free(ex);
}
END_TEST

/* Invalid UTF-8 inside a string is a parse error. */
START_TEST(test_invalid_utf8)
{
	static const char bad[] = "{\"data\":{\"total\":\"\xff\xfe\"}}";
	static const char cut[] = "{\"data\":{\"total\":\"\xe2\x82\"}}";
	static const char good[] = "{\"data\":{\"total\":\"\xe2\x82\xac\"}}";
	struct extract *ex;
	struct json_object *values;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(
	    ex, bad, strlen(bad), stat_total, 1, SOURCE_ERR_PARSE, "utf-8");
	expect_fail(
	    ex, cut, strlen(cut), stat_total, 1, SOURCE_ERR_PARSE, "utf-8");
	values = expect_ok(ex, good, strlen(good), stat_total, 1);
	ck_assert_str_eq(
	    json_object_get_string(member(values, "total")), "\xe2\x82\xac");
	json_object_put(values);
	extract_free(ex);
}
END_TEST

/* Nesting deeper than the extractor's limit is a parse error. */
START_TEST(test_too_deep)
{
	char body[256], pointer[128];
	struct config_stat deep_stat = {(char *)"v", pointer};
	struct extract *ex;
	struct json_object *values;
	int i;

	for (i = 0; i < 100; i++) {
		body[i] = '[';
		body[199 - i] = ']';
	}
	body[200] = '\0';
	ex = extract_new(64);
	expect_fail(
	    ex, body, 200, stat_root, 1, SOURCE_ERR_PARSE, "nesting too deep");
	/* 60 levels are within the limit of 64: [[...[7]...]] at /0/0/... */
	for (i = 0; i < 60; i++) {
		body[i] = '[';
		body[120 - i] = ']';
		memcpy(pointer + 2 * i, "/0", 3);
	}
	body[60] = '7';
	values = expect_ok(ex, body, 121, &deep_stat, 1);
	ck_assert_int_eq(json_object_get_int(member(values, "v")), 7);
	json_object_put(values);
	extract_free(ex);
}
END_TEST

/* A pointer that selects nothing fails and names the stat. */
START_TEST(test_missing_stat)
{
	static const struct config_stat stats[] = {
	    STAT("total", "/data/total"),
	    STAT("active", "/data/active_users"),
	};
	static const struct config_stat by_index[] = {
	    STAT("third", "/items/5"),
	};
	static const char body[] = "{\"data\":{\"total\":12},\"items\":[1,2]}";
	struct extract *ex;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(ex, body, strlen(body), stats, 2, SOURCE_ERR_MISSING_STAT,
	    "stat active: nothing at "
	    "/data/active_users");
	expect_fail(ex, body, strlen(body), by_index, 1,
	    SOURCE_ERR_MISSING_STAT, "stat third");
	extract_free(ex);
}
END_TEST

/* A pointer through a value without members says what is there. */
START_TEST(test_missing_stat_wrong_type)
{
	static const struct config_stat total[] = {
	    STAT("total", "/data/total"),
	};
	static const struct config_stat deep[] = {
	    STAT("x", "/a/0/b/c"),
	};
	static const char text[] = "{\"data\":\"not an object\"}";
	static const char number[] = "{\"data\":12}";
	static const char nul[] = "{\"data\":null}";
	static const char inner[] = "{\"a\":[{\"b\":true}]}";
	static const char inside[] = "{\"data\":{\"other\":1}}";
	struct extract *ex;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(ex, text, strlen(text), total, 1, SOURCE_ERR_MISSING_STAT,
	    "stat total: nothing at /data/total: /data is a string");
	expect_fail(ex, number, strlen(number), total, 1,
	    SOURCE_ERR_MISSING_STAT,
	    "stat total: nothing at /data/total: /data is a number");
	expect_fail(ex, nul, strlen(nul), total, 1, SOURCE_ERR_MISSING_STAT,
	    "stat total: nothing at /data/total: /data is null");
	expect_fail(ex, inner, strlen(inner), deep, 1, SOURCE_ERR_MISSING_STAT,
	    "stat x: nothing at /a/0/b/c: /a/0/b is a boolean");
	/* An object without the member: nothing more to say. */
	expect_fail(ex, inside, strlen(inside), total, 1,
	    SOURCE_ERR_MISSING_STAT, "stat total: nothing at /data/total");
	extract_free(ex);
}
END_TEST

/* The same extractor parses good bodies after each kind of failure. */
START_TEST(test_reuse_after_failure)
{
	static const char good[] = "{\"data\":{\"total\":12}}";
	static const char *const bad[] = {
	    "{\"data\":{\"total\":",
	    "{\"data\":1} x",
	    "<html>",
	    "",
	    "{\"data\":{}}",
	    "{\"data\":\"\xff\"}",
	};
	struct extract *ex;
	struct json_object *values;
	struct source_error err;
	size_t i;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		values = (struct json_object *)1;
		ck_assert_int_eq(extract_values(ex, bad[i], strlen(bad[i]),
		                     stat_total, 1, &values, &err),
		    -1);
		ck_assert_ptr_null(values);
		values = expect_ok(ex, good, strlen(good), stat_total, 1);
		ck_assert_int_eq(
		    json_object_get_int(member(values, "total")), 12);
		json_object_put(values);
	}
	extract_free(ex);
}
END_TEST

/* Only len bytes are read: the rest of the buffer is ignored. */
START_TEST(test_length_not_nul)
{
	static const char buf[] = "{\"data\":{\"total\":12}} trailing junk";
	static const char two[] =
	    "{\"data\":{\"total\":1}}{\"data\":{\"total\":2}}";
	char *heap;
	struct extract *ex;
	struct json_object *values;
	size_t n = strlen("{\"data\":{\"total\":12}}");

	ex = extract_new(EXTRACT_MAX_DEPTH);
	values = expect_ok(ex, buf, n, stat_total, 1);
	ck_assert_int_eq(json_object_get_int(member(values, "total")), 12);
	json_object_put(values);
	values = expect_ok(ex, two, 20, stat_total, 1);
	ck_assert_int_eq(json_object_get_int(member(values, "total")), 1);
	json_object_put(values);

	/* Exactly len bytes on the heap, no NUL: ASan catches over-reads. */
	heap = malloc(n);
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, buf, n);
	values = expect_ok(ex, heap, n, stat_total, 1);
	ck_assert_int_eq(json_object_get_int(member(values, "total")), 12);
	json_object_put(values);
	/* A prefix that cuts the JSON is truncated, whatever follows. */
	expect_fail(
	    ex, heap, n - 2, stat_total, 1, SOURCE_ERR_PARSE, "ends early");
	free(heap);
	extract_free(ex);
}
END_TEST

/* extract_free(NULL) does nothing. */
START_TEST(test_free_null)
{
	extract_free(NULL);
}
END_TEST

/*
 * BUG: a valid top-level scalar ("42", "true") with no trailing byte is
 * reported as truncated: the tokener is never told the input ended.
 */
START_TEST(test_bug_top_level_scalar)
{
	struct extract *ex;
	struct json_object *values;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	values = expect_ok(ex, "42", 2, stat_root, 1);
	ck_assert_int_eq(json_object_get_int(member(values, "v")), 42);
	json_object_put(values);
	values = expect_ok(ex, "true", 4, stat_root, 1);
	ck_assert_int_eq(json_object_get_boolean(member(values, "v")), 1);
	json_object_put(values);
	extract_free(ex);
}
END_TEST

/*
 * BUG: a body starting with a NUL byte passes the "looks like JSON"
 * check (strchr finds the terminator) and is "parse", not "not_json".
 */
START_TEST(test_bug_nul_first_byte)
{
	static const char body[] = "\0\0\0\0binary";
	struct extract *ex;

	ex = extract_new(EXTRACT_MAX_DEPTH);
	expect_fail(ex, body, sizeof body - 1, stat_total, 1,
	    SOURCE_ERR_NOT_JSON, "body is not JSON");
	extract_free(ex);
}
END_TEST

/* Builds the suite: values, failures, buffer handling and bugs. */
static Suite *
extract_suite(void)
{
	Suite *s = suite_create("extract");
	TCase *tc;

	tc = tcase_create("values");
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_values_serialise);
	tcase_add_test(tc, test_no_stats);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_test(tc, test_empty_body);
	tcase_add_test(tc, test_html_body);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_trailing);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_too_deep);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_missing_stat);
	tcase_add_test(tc, test_missing_stat_wrong_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("buffers");
	tcase_add_test(tc, test_reuse_after_failure);
	tcase_add_test(tc, test_length_not_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("regressions");
	tcase_add_test(tc, test_bug_top_level_scalar);
	tcase_add_test(tc, test_bug_nul_first_byte);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(extract_suite()) == 0 ? 0 : 1;
}
