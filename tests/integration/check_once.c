/*
 * Tests of the --once mode through once_run: configs made in memory
 * point at a fake upstream each test starts for itself, and the stats
 * document once_run writes (to a memory stream) is parsed back and
 * checked value by value.  The return code must say whether every
 * source succeeded, and polls must run concurrently within the caps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "config.h"
#include "fake_upstream.h"
#include "harness.h"
#include "once.h"
#include "runner.h"

/* One once_run: its return code and parsed output. */
struct once_result {
	int or_rc;
	struct json_object *or_doc;
};

/* Loads text ("@UP@" is fu's base URL), runs once_run and parses out. */
static struct once_result
run_once(struct fake_upstream *fu, const char *text)
{
	struct once_result res;
	char up[64], *full, *out = NULL;
	struct config *cf;
	size_t outlen = 0;
	FILE *f;

	snprintf(up, sizeof up, "http://127.0.0.1:%u", fake_upstream_port(fu));
	full = harness_subst(text, up);
	cf = harness_config(full, "once.conf");
	f = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(f);
	res.or_rc = once_run(cf, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(outlen > 0 && out[outlen - 1] == '\n', "output: %s", out);
	res.or_doc = json_tokener_parse(out);
	ck_assert_msg(res.or_doc != NULL, "not JSON: %s", out);
	free(out);
	config_free(cf);
	free(full);
	return res;
}

/* Returns the number of members of the object at ptr in doc. */
static int
object_len(struct json_object *doc, const char *ptr)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(json_object_is_type(v, json_type_object),
	    "%s: not an "
	    "object",
	    ptr);
	return json_object_object_length(v);
}

/* Asserts that source name in doc was polled once with success. */
static void
assert_source_ok(struct json_object *doc, const char *name)
{
	char p[128];

	snprintf(p, sizeof p, "/sources/%s/status", name);
	ck_assert_str_eq(harness_str(doc, p), "ok");
	snprintf(p, sizeof p, "/sources/%s/values", name);
	ck_assert_int_eq(object_len(doc, p), 2);
	/* One request per name= series: the fake's first total, 1000. */
	snprintf(p, sizeof p, "/sources/%s/values/total", name);
	ck_assert_int_eq(harness_int(doc, p), 1000);
	snprintf(p, sizeof p, "/sources/%s/values/active", name);
	ck_assert_int_eq(harness_int(doc, p), 1);
	snprintf(p, sizeof p, "/sources/%s/error", name);
	ck_assert_ptr_null(harness_at(doc, p));
	snprintf(p, sizeof p, "/sources/%s/updated_at", name);
	ck_assert_ptr_nonnull(harness_str(doc, p));
}

/* Two good sources: rc 0 and both ok with their values. */
START_TEST(test_two_good_sources)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct once_result res;

	ck_assert_ptr_nonnull(fu);
	res = run_once(fu,
	    "[source one]\n"
	    "url = @UP@/stats?name=one\n"
	    "stat total = /data/total\n"
	    "stat active = /data/active\n"
	    "[source two]\n"
	    "url = @UP@/stats?name=two\n"
	    "stat total = /data/total\n"
	    "stat active = /data/active\n");
	ck_assert_int_eq(res.or_rc, 0);
	ck_assert_ptr_nonnull(harness_str(res.or_doc, "/generated_at"));
	ck_assert_int_eq(object_len(res.or_doc, "/sources"), 2);
	assert_source_ok(res.or_doc, "one");
	assert_source_ok(res.or_doc, "two");
	/* Exactly one poll per source. */
	ck_assert_uint_eq(fake_upstream_requests(fu), 2);
	json_object_put(res.or_doc);
	fake_upstream_stop(fu);
}
END_TEST

/* One good and one failing source: rc 1, the failure in the document. */
START_TEST(test_one_failing_source)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct once_result res;
	struct json_object *doc;

	ck_assert_ptr_nonnull(fu);
	res = run_once(fu,
	    "[source good]\n"
	    "url = @UP@/stats?name=good\n"
	    "stat total = /data/total\n"
	    "stat active = /data/active\n"
	    "[source bad]\n"
	    "url = @UP@/status/500\n"
	    "stat total = /data/total\n");
	doc = res.or_doc;
	ck_assert_int_eq(res.or_rc, 1);
	ck_assert_int_eq(object_len(doc, "/sources"), 2);
	assert_source_ok(doc, "good");
	ck_assert_str_eq(harness_str(doc, "/sources/bad/status"), "error");
	ck_assert_str_eq(
	    harness_str(doc, "/sources/bad/error/kind"), "http_status");
	ck_assert_int_eq(
	    harness_int(doc, "/sources/bad/error/http_status"), 500);
	ck_assert_int_eq(object_len(doc, "/sources/bad/values"), 0);
	ck_assert_ptr_null(harness_at(doc, "/sources/bad/updated_at"));
	json_object_put(doc);
	fake_upstream_stop(fu);
}
END_TEST

/* A source the upstream answers with HTML fails with kind not_json. */
START_TEST(test_not_json_source)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct once_result res;

	ck_assert_ptr_nonnull(fu);
	res = run_once(fu,
	    "[source page]\n"
	    "url = @UP@/html\n"
	    "stat total = /data/total\n");
	ck_assert_int_eq(res.or_rc, 1);
	ck_assert_str_eq(
	    harness_str(res.or_doc, "/sources/page/status"), "error");
	ck_assert_str_eq(
	    harness_str(res.or_doc, "/sources/page/error/kind"), "not_json");
	json_object_put(res.or_doc);
	fake_upstream_stop(fu);
}
END_TEST

/* A poll the upstream holds past its timeout ends with kind timeout. */
START_TEST(test_timeout_source)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct once_result res;

	ck_assert_ptr_nonnull(fu);
	res = run_once(fu,
	    "[source late]\n"
	    "url = @UP@/stats?delay_ms=20000\n"
	    "timeout = 300ms\n"
	    "stat total = /data/total\n"
	    "[source good]\n"
	    "url = @UP@/stats?name=good\n"
	    "stat total = /data/total\n"
	    "stat active = /data/active\n");
	ck_assert_int_eq(res.or_rc, 1);
	ck_assert_str_eq(
	    harness_str(res.or_doc, "/sources/late/status"), "error");
	ck_assert_str_eq(
	    harness_str(res.or_doc, "/sources/late/error/kind"), "timeout");
	assert_source_ok(res.or_doc, "good");
	json_object_put(res.or_doc);
	fake_upstream_stop(fu);
}
END_TEST

/* A config without sources: rc 0 and an empty "sources" object. */
START_TEST(test_no_sources)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct once_result res;

	ck_assert_ptr_nonnull(fu);
	res = run_once(fu, "[gatherd]\nmax_concurrency = 4\n");
	ck_assert_int_eq(res.or_rc, 0);
	ck_assert_ptr_nonnull(harness_str(res.or_doc, "/generated_at"));
	ck_assert_int_eq(object_len(res.or_doc, "/sources"), 0);
	ck_assert_int_eq(object_len(res.or_doc, ""), 2);
	ck_assert_uint_eq(fake_upstream_requests(fu), 0);
	json_object_put(res.or_doc);
	fake_upstream_stop(fu);
}
END_TEST

/* Returns a config of n sources sN on a slow /stats after global. */
static char *
slow_sources(const char *global, int n)
{
	char *text, *grown;
	int i;

	if (asprintf(&text, "[gatherd]\n%s", global) == -1)
		ck_abort_msg("out of memory");
	for (i = 0; i < n; i++) {
		if (asprintf(&grown,
		        "%s[source s%d]\n"
		        "url = @UP@/stats?delay_ms=1000&name=s%d\n"
		        "timeout = 30s\n"
		        "stat total = /data/total\n"
		        "stat active = /data/active\n",
		        text, i, i) == -1)
			ck_abort_msg("out of memory");
		free(text);
		text = grown;
	}
	return text;
}

/* Runs n slow sources under global; returns the most in flight at once. */
static unsigned
run_slow(const char *global, int n)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct once_result res;
	unsigned most;
	char name[16], *text;
	int i;

	ck_assert_ptr_nonnull(fu);
	text = slow_sources(global, n);
	res = run_once(fu, text);
	ck_assert_int_eq(res.or_rc, 0);
	ck_assert_int_eq(object_len(res.or_doc, "/sources"), n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "s%d", i);
		assert_source_ok(res.or_doc, name);
	}
	ck_assert_uint_eq(fake_upstream_requests(fu), (unsigned long)n);
	most = fake_upstream_max_inflight(fu);
	json_object_put(res.or_doc);
	free(text);
	fake_upstream_stop(fu);
	return most;
}

/* Ten sources with room for all are polled all at the same time. */
START_TEST(test_concurrent)
{
	ck_assert_uint_eq(run_slow("max_per_host = 16\n", 10), 10);
}
END_TEST

/* The default max_per_host (8) holds back the ninth and tenth polls. */
START_TEST(test_concurrent_default_per_host)
{
	ck_assert_uint_eq(run_slow("", 10), 8);
}
END_TEST

/* max_concurrency caps polls in flight, and every source still runs. */
START_TEST(test_concurrent_capped)
{
	ck_assert_uint_eq(run_slow("max_concurrency = 3\n", 7), 3);
}
END_TEST

/* Builds the suite. */
static Suite *
once_suite(void)
{
	Suite *s = suite_create("once");
	TCase *tc;

	tc = tcase_create("results");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_two_good_sources);
	tcase_add_test(tc, test_one_failing_source);
	tcase_add_test(tc, test_not_json_source);
	tcase_add_test(tc, test_timeout_source);
	tcase_add_test(tc, test_no_sources);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_concurrent_default_per_host);
	tcase_add_test(tc, test_concurrent_capped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(once_suite()) == 0 ? 0 : 1;
}
