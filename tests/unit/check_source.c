/*
 * Tests of the source module: the API's one-word error kinds, filling a
 * source_error (including a message longer than its buffer) and the
 * poll phase, which must be deterministic, inside min(spread, interval)
 * and spread out across names, and the identity rule: a source is its
 * name and URL without credentials (and, on a reload, its method,
 * content type and body), a stat its name and pointer.
 * Everything here is pure.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "../lib/config.h"
#include "log.h"
#include "runner.h"
#include "source.h"

/* Every kind has the name of the contract's fixed list. */
START_TEST(test_err_names)
{
	ck_assert_str_eq(source_err_name(SOURCE_ERR_DNS), "dns");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_CONNECT), "connect");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_TLS), "tls");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_TIMEOUT), "timeout");
	ck_assert_str_eq(
	    source_err_name(SOURCE_ERR_HTTP_STATUS), "http_status");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_NOT_JSON), "not_json");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_PARSE), "parse");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_TOO_LARGE), "too_large");
	ck_assert_str_eq(
	    source_err_name(SOURCE_ERR_MISSING_STAT), "missing_stat");
	ck_assert_str_eq(
	    source_err_name(SOURCE_ERR_RATE_LIMITED), "rate_limited");
	ck_assert_str_eq(
	    source_err_name(SOURCE_ERR_CIRCUIT_OPEN), "circuit_open");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_AUTH), "auth");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_API_ERROR), "api_error");
	ck_assert_str_eq(source_err_name(SOURCE_ERR_INTERNAL), "internal");
}
END_TEST

/* A value outside the enum maps to "internal", never out of bounds. */
START_TEST(test_err_name_out_of_range)
{
	ck_assert_str_eq(
	    source_err_name((enum source_err)(SOURCE_ERR_INTERNAL + 1)),
	    "internal");
	ck_assert_str_eq(source_err_name((enum source_err)1000), "internal");
	ck_assert_str_eq(source_err_name((enum source_err) - 1), "internal");
}
END_TEST

/* source_error_set fills kind, status, time and formats the message. */
START_TEST(test_error_set)
{
	struct source_error err;

	memset(&err, 0x5a, sizeof err);
	source_error_set(&err, SOURCE_ERR_HTTP_STATUS, 503, 1795000000123LL,
	    "HTTP %d from %s", 503, "api.example.com");
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_HTTP_STATUS);
	ck_assert_int_eq(err.se_http_status, 503);
	ck_assert_msg(
	    err.se_at == 1795000000123LL, "se_at %lld", (long long)err.se_at);
	ck_assert_str_eq(err.se_message, "HTTP 503 from api.example.com");

	source_error_set(&err, SOURCE_ERR_TIMEOUT, 0, 7, "timed out");
	ck_assert_int_eq(err.se_kind, SOURCE_ERR_TIMEOUT);
	ck_assert_int_eq(err.se_http_status, 0);
	ck_assert_msg(err.se_at == 7, "se_at %lld", (long long)err.se_at);
	ck_assert_str_eq(err.se_message, "timed out");
}
END_TEST

/* A message longer than the buffer is cut and NUL-terminated. */
START_TEST(test_error_set_truncates)
{
	struct {
		struct source_error err;
		char guard[16];
	} s;
	char longmsg[1000];
	size_t i;

	memset(longmsg, 'm', sizeof longmsg - 1);
	longmsg[sizeof longmsg - 1] = '\0';
	memset(s.guard, 'G', sizeof s.guard);
	source_error_set(&s.err, SOURCE_ERR_PARSE, 0, 1, "<%s>", longmsg);
	ck_assert_uint_eq(strlen(s.err.se_message), SOURCE_ERR_MSG_LEN - 1);
	ck_assert_int_eq(s.err.se_message[0], '<');
	for (i = 1; i < SOURCE_ERR_MSG_LEN - 1; i++)
		ck_assert_int_eq(s.err.se_message[i], 'm');
	for (i = 0; i < sizeof s.guard; i++)
		ck_assert_msg(
		    s.guard[i] == 'G', "guard byte %zu overwritten", i);
	ck_assert_int_eq(s.err.se_kind, SOURCE_ERR_PARSE);
}
END_TEST

/* The phase of a name is the same on every call. */
START_TEST(test_phase_deterministic)
{
	uint64_t a, b;

	a = source_phase_ms("signups", 5000, 60000);
	b = source_phase_ms("signups", 5000, 60000);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_lt(a, 5000);
	a = source_phase_ms("orders", 30000, 10000);
	b = source_phase_ms("orders", 30000, 10000);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_lt(a, 10000);
}
END_TEST

/* The phase is always below min(spread, interval). */
START_TEST(test_phase_bounds)
{
	static const uint64_t spreads[] = {1, 2, 7, 100, 5000, 60000};
	static const uint64_t intervals[] = {1, 3, 100, 1000, 30000};
	char name[32];
	uint64_t window, ph;
	size_t i, j;
	int k;

	for (i = 0; i < sizeof spreads / sizeof *spreads; i++) {
		for (j = 0; j < sizeof intervals / sizeof *intervals; j++) {
			window = spreads[i] < intervals[j] ? spreads[i]
			                                   : intervals[j];
			for (k = 0; k < 50; k++) {
				snprintf(name, sizeof name, "src-%d", k);
				ph = source_phase_ms(
				    name, spreads[i], intervals[j]);
				ck_assert_msg(ph < window,
				    "phase %llu of %s "
				    "not below %llu",
				    (unsigned long long)ph, name,
				    (unsigned long long)window);
			}
		}
	}
	/* A window of one has a single place. */
	ck_assert_uint_eq(source_phase_ms("anything", 1, 60000), 0);
}
END_TEST

/* A spread of 0 (or an interval of 0) means phase 0 for every name. */
START_TEST(test_phase_zero_spread)
{
	ck_assert_uint_eq(source_phase_ms("signups", 0, 60000), 0);
	ck_assert_uint_eq(source_phase_ms("orders", 0, 100), 0);
	ck_assert_uint_eq(source_phase_ms("", 0, 100), 0);
	ck_assert_uint_eq(source_phase_ms("signups", 5000, 0), 0);
}
END_TEST

/* A spread wider than the interval is clamped to the interval. */
START_TEST(test_phase_clamps_to_interval)
{
	char name[32];
	uint64_t ph;
	int k, above = 0;

	for (k = 0; k < 100; k++) {
		snprintf(name, sizeof name, "clamp%d", k);
		ph = source_phase_ms(name, 1000000, 1000);
		ck_assert_msg(ph < 1000, "phase %llu of %s not below 1000",
		    (unsigned long long)ph, name);
		/* Same as a spread equal to the interval. */
		ck_assert_uint_eq(ph, source_phase_ms(name, 1000, 1000));
		if (ph >= 500)
			above++;
	}
	/* The clamped window is used whole, not just its start. */
	ck_assert_msg(
	    above > 10, "only %d of 100 phases in [500, 1000)", above);
}
END_TEST

/* 100 names over 5000 ms land on at least 50 distinct offsets. */
START_TEST(test_phase_spreads_names)
{
	uint64_t seen[100];
	char name[32];
	int i, j, distinct = 0;

	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "source%d", i);
		seen[i] = source_phase_ms(name, 5000, 60000);
		for (j = 0; j < i && seen[j] != seen[i]; j++)
			;
		if (j == i)
			distinct++;
	}
	ck_assert_msg(distinct >= 50, "only %d distinct phases", distinct);
}
END_TEST

/* Builds the suite: error kinds and poll phases. */
/* Returns a source called name polling url, with nothing else set. */
static struct config_source
make_source(const char *name, const char *url)
{
	struct config_source src;

	memset(&src, 0, sizeof src);
	src.src_name = (char *)name;
	src.src_url = (char *)url;
	return src;
}

/* Credentials are not identity; the name, host, path and query are. */
START_TEST(test_same_source)
{
	struct config_source a =
	    make_source("s", "https://user:old-pw@api.example.com/v1?x=1");
	struct config_source b =
	    make_source("s", "https://user:new-pw@api.example.com/v1?x=1");
	struct config_source saved =
	    make_source("s", "https://api.example.com/v1?x=1");
	struct config_source other;

	ck_assert_int_eq(source_same(&a, &a), 1);
	ck_assert_int_eq(source_same(&a, &b), 1);
	/* What the state file saved answers the same as the config. */
	ck_assert_int_eq(source_same(&a, &saved), 1);
	ck_assert_int_eq(source_same(&saved, &b), 1);
	other = make_source("s", "https://someone@api.example.com/v1?x=1");
	ck_assert_int_eq(source_same(&a, &other), 1);
	other = make_source("t", "https://user:old-pw@api.example.com/v1?x=1");
	ck_assert_int_eq(source_same(&a, &other), 0);
	other = make_source("s", "https://user:old-pw@api.example.com/v2?x=1");
	ck_assert_int_eq(source_same(&a, &other), 0);
	other = make_source("s", "https://user:old-pw@api.example.com/v1?x=2");
	ck_assert_int_eq(source_same(&a, &other), 0);
	other =
	    make_source("s", "https://user:old-pw@other.example.com/v1?x=1");
	ck_assert_int_eq(source_same(&a, &other), 0);
	other = make_source("s", "http://user:old-pw@api.example.com/v1?x=1");
	ck_assert_int_eq(source_same(&a, &other), 0);
}
END_TEST

/* On a reload, a source is also its method, content type and body as
 * written: another query is another series. */
START_TEST(test_same_loaded)
{
	char q1[] = "{\"q\":\"${today}\"}", q2[] = "{\"q\":\"${yesterday}\"}";
	struct config_source a = make_source("s", "https://api.example.com/q");
	struct config_source b = make_source("s", "https://api.example.com/q");

	ck_assert_int_eq(source_same_loaded(&a, &b), 1);
	b.src_method = CONFIG_METHOD_POST;
	ck_assert_int_eq(source_same_loaded(&a, &b), 0);
	a.src_method = CONFIG_METHOD_POST;
	a.src_body = b.src_body = q1;
	a.src_body_len = b.src_body_len = strlen(q1);
	a.src_content_type = b.src_content_type = (char *)"application/json";
	ck_assert_int_eq(source_same_loaded(&a, &b), 1);
	b.src_body = q2;
	b.src_body_len = strlen(q2);
	ck_assert_int_eq(source_same_loaded(&a, &b), 0);
	ck_assert_int_eq(source_same(&a, &b), 1);
	b.src_body = q1;
	b.src_body_len = strlen(q1);
	b.src_content_type = (char *)"application/x-www-form-urlencoded";
	ck_assert_int_eq(source_same_loaded(&a, &b), 0);
	b.src_content_type = NULL;
	ck_assert_int_eq(source_same_loaded(&a, &b), 0);
	/* And source_same's rule first. */
	b = make_source("t", "https://api.example.com/q");
	ck_assert_int_eq(source_same_loaded(&a, &b), 0);
}
END_TEST

/* A stat is its name and pointer; a missing pointer is an old file's. */
START_TEST(test_same_stat)
{
	struct config_stat a = {(char *)"total", (char *)"/data/total"};
	struct config_stat b = {(char *)"total", (char *)"/data/total"};
	struct config_stat moved = {(char *)"total", (char *)"/data/sum"};
	struct config_stat renamed = {(char *)"sum", (char *)"/data/total"};
	struct config_stat old = {(char *)"total", NULL};

	ck_assert_int_eq(source_same_stat(&a, &b), 1);
	ck_assert_int_eq(source_same_stat(&a, &moved), 0);
	ck_assert_int_eq(source_same_stat(&a, &renamed), 0);
	ck_assert_int_eq(source_same_stat(&a, &old), 1);
	ck_assert_int_eq(source_same_stat(&old, &a), 1);
}
END_TEST

static Suite *
source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc;

	tc = tcase_create("errors");
	tcase_add_test(tc, test_err_names);
	tcase_add_test(tc, test_err_name_out_of_range);
	tcase_add_test(tc, test_error_set);
	tcase_add_test(tc, test_error_set_truncates);
	suite_add_tcase(s, tc);

	tc = tcase_create("phase");
	tcase_add_test(tc, test_phase_deterministic);
	tcase_add_test(tc, test_phase_bounds);
	tcase_add_test(tc, test_phase_zero_spread);
	tcase_add_test(tc, test_phase_clamps_to_interval);
	tcase_add_test(tc, test_phase_spreads_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("identity");
	tcase_add_test(tc, test_same_source);
	tcase_add_test(tc, test_same_loaded);
	tcase_add_test(tc, test_same_stat);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(source_suite()) == 0 ? 0 : 1;
}
