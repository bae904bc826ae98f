/*
 * Tests of the poll counters: results by kind (an unknown kind and
 * "none" count as internal failures, 304s apart), and the histogram,
 * where a transfer lands in the first bucket whose bound it does not
 * exceed and a negative duration counts as 0.  Everything here is pure;
 * how /metrics renders the counters is check_metrics'.
 */
#include <string.h>

#include <check.h>

#include "log.h"
#include "pollstats.h"
#include "runner.h"

/* Every result has its slot; 304s are counted apart. */
START_TEST(test_results)
{
	struct pollstats pst;

	memset(&pst, 0, sizeof pst);
	/* A kind out of range, or "none", is an internal failure. */
	pollstats_failed(&pst, (enum source_err)99);
	pollstats_failed(&pst, SOURCE_ERR_NONE);
	pollstats_failed(&pst, SOURCE_ERR_TLS);
	ck_assert_uint_eq(pst.pst_results[SOURCE_ERR_INTERNAL], 2);
	ck_assert_uint_eq(pst.pst_results[SOURCE_ERR_TLS], 1);
	ck_assert_uint_eq(pst.pst_results[SOURCE_ERR_NONE], 0);
	pollstats_ok(&pst, 0);
	pollstats_ok(&pst, 1);
	ck_assert_uint_eq(pst.pst_results[SOURCE_ERR_NONE], 1);
	ck_assert_uint_eq(pst.pst_not_modified, 1);
}
END_TEST

/* A bound belongs to its bucket; past the last one, only +Inf counts. */
START_TEST(test_buckets)
{
	struct pollstats pst;
	size_t i;

	memset(&pst, 0, sizeof pst);
	ck_assert_int_eq(pollstats_bucket_usec(0), 5000);
	ck_assert_int_eq(
	    pollstats_bucket_usec(POLLSTATS_BUCKETS - 1), 10000000);
	ck_assert_int_eq(pollstats_bucket_usec(POLLSTATS_BUCKETS), INT64_MAX);
	for (i = 0; i < POLLSTATS_BUCKETS; i++) {
		pollstats_transfer(&pst, pollstats_bucket_usec(i), 1);
		ck_assert_uint_eq(pst.pst_buckets[i], 1);
	}
	pollstats_transfer(&pst, -7, 0);
	ck_assert_uint_eq(pst.pst_buckets[0], 2);
	pollstats_transfer(&pst, 10000001, 5);
	ck_assert_uint_eq(pst.pst_transfers, POLLSTATS_BUCKETS + 2);
	ck_assert_uint_eq(pst.pst_bytes, POLLSTATS_BUCKETS + 5);
	for (i = 0; i < POLLSTATS_BUCKETS; i++)
		ck_assert_uint_eq(pst.pst_buckets[i], i == 0 ? 2 : 1);
	ck_assert_uint_eq(pst.pst_usec, 19440000 + 10000001);
}
END_TEST

/* Builds the suite. */
static Suite *
pollstats_suite(void)
{
	Suite *s = suite_create("pollstats");
	TCase *tc;

	tc = tcase_create("counters");
	tcase_add_test(tc, test_results);
	tcase_add_test(tc, test_buckets);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(pollstats_suite()) == 0 ? 0 : 1;
}
