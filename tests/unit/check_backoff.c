/*
 * Unit tests for the backoff module: full jitter within its bounds, the
 * circuit breaker's cool-downs, which statuses are not retried fast,
 * and Retry-After / RateLimit-Reset parsing with clamping.  Time and
 * randomness are arguments, so every expected value is exact.
 */
#include <stdint.h>

#include <check.h>

#include "backoff.h"
#include "log.h"
#include "runner.h"

#define NOW_MS 1795000000000LL /* 2026-11-18T11:06:40Z */

/* Full jitter: rnd scales min(max, base * 2^attempt). */
START_TEST(test_full_jitter)
{
	ck_assert_uint_eq(backoff_full_jitter(1000, 60000, 0, 0.5), 500);
	ck_assert_uint_eq(backoff_full_jitter(1000, 60000, 3, 0.5), 4000);
	ck_assert_uint_eq(backoff_full_jitter(1000, 60000, 0, 0.0), 0);
	/* Capped at max, however many attempts. */
	ck_assert_uint_eq(backoff_full_jitter(1000, 60000, 10, 0.5), 30000);
	ck_assert_uint_eq(backoff_full_jitter(1000, 60000, 4000, 0.5), 30000);
	/* rnd just below 1 stays below the ceiling. */
	ck_assert_uint_lt(backoff_full_jitter(1000, 60000, 2, 0.999999), 4000);
	/* Out-of-range randomness is treated as 0, never above the cap. */
	ck_assert_uint_eq(backoff_full_jitter(1000, 60000, 2, 1.5), 0);
}
END_TEST

/* Cool-down: 30 s per time opened, at most 5 min, between half and all. */
START_TEST(test_cooldown)
{
	ck_assert_uint_eq(backoff_cooldown(30000, 1, 0.0), 15000);
	ck_assert_uint_eq(backoff_cooldown(30000, 1, 0.5), 22500);
	ck_assert_uint_eq(backoff_cooldown(30000, 2, 0.0), 30000);
	ck_assert_uint_eq(backoff_cooldown(30000, 10, 0.0), 150000);
	ck_assert_uint_eq(backoff_cooldown(30000, 11, 0.0), 150000);
	ck_assert_uint_eq(backoff_cooldown(30000, 100000, 0.0), 150000);
	ck_assert_uint_lt(backoff_cooldown(30000, 100, 0.9999), 300000);
	/* circuit_cooldown sets the step. */
	ck_assert_uint_eq(backoff_cooldown(200, 1, 0.0), 100);
	ck_assert_uint_eq(backoff_cooldown(200, 3, 0.5), 450);
}
END_TEST

/* Only 400, 401, 403, 404 and 410 wait a full interval. */
START_TEST(test_permanent)
{
	static const int yes[] = {400, 401, 403, 404, 410};
	static const int no[] = {0, 304, 408, 409, 429, 500, 502, 503, 504};
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		ck_assert_msg(backoff_is_permanent(yes[i]), "%d", yes[i]);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		ck_assert_msg(!backoff_is_permanent(no[i]), "%d", no[i]);
}
END_TEST

/* Retry-After in seconds, clamped to [1 s, 1 h]. */
START_TEST(test_retry_after_seconds)
{
	uint64_t ms = 0;

	ck_assert_int_eq(backoff_parse_retry_after("120", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 120000);
	ck_assert_int_eq(backoff_parse_retry_after(" 7 ", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 7000);
	ck_assert_int_eq(backoff_parse_retry_after("0", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 1000);
	ck_assert_int_eq(
	    backoff_parse_retry_after("1000000000", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(
	    backoff_parse_retry_after("99999999999999999999999", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 3600000);
}
END_TEST

/* Retry-After as an HTTP-date, relative to now. */
START_TEST(test_retry_after_date)
{
	uint64_t ms = 0;

	/* NOW_MS is Wed, 18 Nov 2026 11:06:40 GMT. */
	ck_assert_int_eq(backoff_parse_retry_after(
	                     "Wed, 18 Nov 2026 11:07:10 GMT", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 30000);
	/* In the past: the minimum. */
	ck_assert_int_eq(backoff_parse_retry_after(
	                     "Wed, 18 Nov 2026 10:00:00 GMT", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 1000);
	/* Far future: the maximum. */
	ck_assert_int_eq(backoff_parse_retry_after(
	                     "Fri, 01 Jan 2027 00:00:00 GMT", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 3600000);
}
END_TEST

/*
 * A date so far ahead that its milliseconds overflow int64_t is the
 * maximum, not undefined behaviour (found by fuzz_retry_after; UBSan
 * stops the test on the overflow).
 */
START_TEST(test_retry_after_far_date)
{
	uint64_t ms = 0;

	ck_assert_int_eq(
	    backoff_parse_retry_after("1179534166Oct02", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	ms = 0;
	ck_assert_int_eq(
	    backoff_parse_retry_after(
	        "Fri, 02 Oct 1179534166 00:00:00 GMT", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 3600000);
	/* Within the range the clamp is exact on both sides. */
	ck_assert_int_eq(backoff_parse_retry_after(
	                     "Wed, 18 Nov 2026 12:06:40 GMT", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(backoff_parse_retry_after(
	                     "Wed, 18 Nov 2026 12:06:39 GMT", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 3599000);
	ck_assert_int_eq(backoff_parse_retry_after(
	                     "Wed, 18 Nov 2026 11:06:41 GMT", NOW_MS, &ms),
	    0);
	ck_assert_uint_eq(ms, 1000);
}
END_TEST

/* Garbage in Retry-After is ignored. */
START_TEST(test_retry_after_garbage)
{
	static const char *const bad[] = {
	    "", "soon", "-5", "1.5", "12abc", "abc 12", "   ", "0x10"};
	uint64_t ms = 4242;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(
		    backoff_parse_retry_after(bad[i], NOW_MS, &ms) == -1,
		    "\"%s\" was accepted", bad[i]);
		ck_assert_uint_eq(ms, 4242);
	}
	ck_assert_int_eq(backoff_parse_retry_after(NULL, NOW_MS, &ms), -1);
}
END_TEST

/* RateLimit-Reset: seconds to wait, or an epoch second. */
START_TEST(test_reset)
{
	uint64_t ms = 0;

	ck_assert_int_eq(backoff_parse_reset("30", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 30000);
	ck_assert_int_eq(backoff_parse_reset("1795000060", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 60000);
	ck_assert_int_eq(backoff_parse_reset("1795000000", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 1000);
	ck_assert_int_eq(backoff_parse_reset("4000", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(backoff_parse_reset("later", NOW_MS, &ms), -1);
	ck_assert_int_eq(backoff_parse_reset(NULL, NOW_MS, &ms), -1);
}
END_TEST

/* A reset above 10^9 is an absolute Unix time, made a delay from now
 * and clamped to [1 s, 1 h]; 10^9 itself is still seconds to wait. */
START_TEST(test_reset_absolute)
{
	uint64_t ms = 0;

	/* GitHub's x-ratelimit-reset 17 min 30 s ahead, as it is. */
	ck_assert_int_eq(backoff_parse_reset("1795001050", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 1050000);
	/* Two hours ahead: at most an hour. */
	ck_assert_int_eq(backoff_parse_reset("1795007200", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	/* Already past: at least a second. */
	ck_assert_int_eq(backoff_parse_reset("1794999000", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 1000);
	ck_assert_int_eq(backoff_parse_reset("1000000001", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 1000);
	/* 10^9 is not above 10^9: a delta, clamped to an hour. */
	ck_assert_int_eq(backoff_parse_reset("1000000000", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	/* Beyond 32 bits (the year 5138): far ahead, an hour. */
	ck_assert_int_eq(backoff_parse_reset("99999999999", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	/* White space around it, as headers may carry. */
	ck_assert_int_eq(backoff_parse_reset(" 1795000005 ", NOW_MS, &ms), 0);
	ck_assert_uint_eq(ms, 5000);
}
END_TEST

/* Failures back off with jitter, then open the circuit after five. */
START_TEST(test_failure_sequence)
{
	struct backoff_policy p = {1000, 8000, 30000, 30000};
	struct backoff b = {0, 0, 0};

	ck_assert_uint_eq(backoff_failure(&b, &p, 503, -1, 0.5), 500);
	ck_assert_uint_eq(backoff_failure(&b, &p, 0, -1, 0.5), 1000);
	ck_assert_uint_eq(backoff_failure(&b, &p, 0, -1, 0.5), 2000);
	ck_assert_uint_eq(backoff_failure(&b, &p, 0, -1, 0.5), 4000);
	ck_assert(!b.b_open);
	/* The fifth opens the circuit: the cool-down wins. */
	ck_assert_uint_eq(backoff_failure(&b, &p, 0, -1, 0.5), 22500);
	ck_assert(b.b_open);
	ck_assert_uint_eq(b.b_opened, 1);
	/* A failed probe opens it again, for longer. */
	ck_assert_uint_eq(backoff_failure(&b, &p, 0, -1, 0.0), 30000);
	ck_assert_uint_eq(b.b_opened, 2);
	ck_assert_uint_eq(b.b_failures, 6);
	/* A success closes it and forgets the streak. */
	backoff_success(&b);
	ck_assert(!b.b_open);
	ck_assert_uint_eq(b.b_failures, 0);
	ck_assert_uint_eq(b.b_opened, 0);
	ck_assert_uint_eq(backoff_failure(&b, &p, 0, -1, 0.5), 500);
}
END_TEST

/* A server's hint wins; client errors wait a full interval. */
START_TEST(test_failure_hints)
{
	struct backoff_policy p = {1000, 8000, 30000, 30000};
	struct backoff b = {0, 0, 0};

	ck_assert_uint_eq(backoff_failure(&b, &p, 429, 120000, 0.5), 120000);
	backoff_success(&b);
	ck_assert_uint_eq(backoff_failure(&b, &p, 401, -1, 0.5), 30000);
	ck_assert_uint_eq(backoff_failure(&b, &p, 404, -1, 0.5), 30000);
	/* A hint longer than the cool-down outlasts it. */
	b.b_failures = 4;
	ck_assert_uint_eq(backoff_failure(&b, &p, 503, 600000, 0.5), 600000);
	ck_assert(b.b_open);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("backoff");

	log_set_level(LOG_LEVEL_QUIET);
	tcase_add_test(tc, test_full_jitter);
	tcase_add_test(tc, test_cooldown);
	tcase_add_test(tc, test_permanent);
	tcase_add_test(tc, test_retry_after_seconds);
	tcase_add_test(tc, test_retry_after_date);
	tcase_add_test(tc, test_retry_after_far_date);
	tcase_add_test(tc, test_retry_after_garbage);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_reset_absolute);
	tcase_add_test(tc, test_failure_sequence);
	tcase_add_test(tc, test_failure_hints);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
