/*
 * Tests of the tz module with fixed instants, never the clock: where a
 * local day starts in America/Los_Angeles on the days DST begins
 * (2026-03-08, 23 hours) and ends (2026-11-01, 25 hours), in
 * Asia/Tokyo east of UTC, in America/Havana where midnight itself is
 * skipped or repeated, and in UTC; local times with their offsets and
 * zone names; unknown names refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "runner.h"
#include "tz.h"

#define HOUR_MS (3600 * 1000LL)

/* Returns the instant "YYYY-MM-DDTHH:MM:SSZ" in ms, by libc's timegm. */
static int64_t
at(const char *utc)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ck_assert_msg(end != NULL && *end == '\0', "bad instant %s", utc);
	return (int64_t)timegm(&tm) * 1000;
}

/* Opens zone name, failing the test if it cannot. */
static struct tz *
open_zone(const char *name)
{
	char err[256] = "";
	struct tz *tz = tz_open(name, err, sizeof err);

	ck_assert_msg(tz != NULL, "tz_open(%s): %s", name, err);
	return tz;
}

/* Asserts that the day offset days from now's starts at want (UTC). */
static void
assert_midnight(struct tz *tz, const char *now, int offset, const char *want)
{
	int64_t ms = 0;

	ck_assert_int_eq(tz_midnight_ms(tz, at(now), offset, &ms), 0);
	ck_assert_msg(ms == at(want),
	    "%s: day %+d of %s starts at %lld, not %s", tz_name(tz), offset,
	    now, (long long)ms, want);
}

/* Asserts the local time at utc formatted with pattern is want. */
static void
assert_format(
    struct tz *tz, const char *utc, const char *pattern, const char *want)
{
	char buf[128];

	ck_assert_int_eq(tz_format(tz, at(utc), pattern, buf, sizeof buf),
	    (int)strlen(want));
	ck_assert_str_eq(buf, want);
}

/* The spring-forward day in Los Angeles starts at PST midnight and has
 * 23 hours; the local time jumps from 01:59:59 PST to 03:00:00 PDT. */
START_TEST(test_la_spring_forward)
{
	struct tz *tz = open_zone("America/Los_Angeles");
	int64_t today, tomorrow;

	assert_midnight(tz, "2026-03-08T20:00:00Z", 0, "2026-03-08T08:00:00Z");
	assert_midnight(tz, "2026-03-08T20:00:00Z", 1, "2026-03-09T07:00:00Z");
	assert_midnight(tz, "2026-03-08T20:00:00Z", -1, "2026-03-07T08:00:00Z");
	/* 23:30 PST on the 7th is still the 7th there. */
	assert_midnight(tz, "2026-03-08T07:30:00Z", 0, "2026-03-07T08:00:00Z");
	ck_assert_int_eq(
	    tz_midnight_ms(tz, at("2026-03-08T20:00:00Z"), 0, &today), 0);
	ck_assert_int_eq(
	    tz_midnight_ms(tz, at("2026-03-08T20:00:00Z"), 1, &tomorrow), 0);
	ck_assert_int_eq(tomorrow - today, 23 * HOUR_MS);
	assert_format(tz, "2026-03-08T09:59:59Z", "%Y-%m-%d %H:%M:%S %z %Z",
	    "2026-03-08 01:59:59 -0800 PST");
	assert_format(tz, "2026-03-08T10:00:00Z", "%Y-%m-%d %H:%M:%S %z %Z",
	    "2026-03-08 03:00:00 -0700 PDT");
	tz_free(tz);
}
END_TEST

/* The fall-back day has 25 hours, and 01:30 happens twice. */
START_TEST(test_la_fall_back)
{
	struct tz *tz = open_zone("America/Los_Angeles");
	int64_t today, tomorrow;
	struct tm tm;

	assert_midnight(tz, "2026-11-01T18:00:00Z", 0, "2026-11-01T07:00:00Z");
	assert_midnight(tz, "2026-11-01T18:00:00Z", 1, "2026-11-02T08:00:00Z");
	ck_assert_int_eq(
	    tz_midnight_ms(tz, at("2026-11-01T18:00:00Z"), 0, &today), 0);
	ck_assert_int_eq(
	    tz_midnight_ms(tz, at("2026-11-01T18:00:00Z"), 1, &tomorrow), 0);
	ck_assert_int_eq(tomorrow - today, 25 * HOUR_MS);
	ck_assert_int_eq(tz_local(tz, at("2026-11-01T08:30:00Z"), &tm), 0);
	ck_assert_int_eq(tm.tm_hour, 1);
	ck_assert_int_eq(tm.tm_min, 30);
	ck_assert_int_eq(tm.tm_isdst, 1);
	ck_assert_int_eq(tm.tm_gmtoff, -7 * 3600);
	ck_assert_int_eq(tz_local(tz, at("2026-11-01T09:30:00Z"), &tm), 0);
	ck_assert_int_eq(tm.tm_hour, 1);
	ck_assert_int_eq(tm.tm_min, 30);
	ck_assert_int_eq(tm.tm_isdst, 0);
	ck_assert_int_eq(tm.tm_gmtoff, -8 * 3600);
	/* Sunday, the 305th day of the year. */
	ck_assert_int_eq(tm.tm_wday, 0);
	ck_assert_int_eq(tm.tm_yday, 304);
	assert_format(tz, "2026-11-01T09:30:00Z", "%A %j %Z", "Sunday 305 PST");
	tz_free(tz);
}
END_TEST

/* East of UTC: the day in Tokyo starts at 15:00 UTC the day before. */
START_TEST(test_tokyo)
{
	struct tz *tz = open_zone("Asia/Tokyo");

	assert_midnight(tz, "2026-11-29T16:00:00Z", 0, "2026-11-29T15:00:00Z");
	assert_midnight(tz, "2026-11-29T14:59:59Z", 0, "2026-11-28T15:00:00Z");
	assert_midnight(tz, "2026-11-29T16:00:00Z", -7, "2026-11-22T15:00:00Z");
	/* Across the end of a month and of a year. */
	assert_midnight(tz, "2026-12-31T16:00:00Z", 1, "2027-01-01T15:00:00Z");
	assert_format(tz, "2026-11-29T16:00:00Z", "%Y%m%d %H:%M %z",
	    "20261130 01:00 +0900");
	tz_free(tz);
}
END_TEST

/* Havana's DST starts at midnight: the day starts at 01:00 CDT.  When
 * it ends, midnight happens twice: the day starts at the first. */
START_TEST(test_skipped_and_repeated_midnight)
{
	struct tz *tz = open_zone("America/Havana");

	assert_midnight(tz, "2026-03-08T12:00:00Z", 0, "2026-03-08T05:00:00Z");
	assert_format(tz, "2026-03-08T05:00:00Z", "%H:%M %z", "01:00 -0400");
	assert_midnight(tz, "2026-11-01T12:00:00Z", 0, "2026-11-01T04:00:00Z");
	tz_free(tz);
}
END_TEST

/* UTC, by default or by name, is plain arithmetic, before 1970 too. */
START_TEST(test_utc)
{
	struct tz *named = open_zone("UTC");
	struct tz *def = open_zone(NULL);
	struct tz *zones[] = {named, def, tz_utc()};
	size_t i;

	ck_assert_str_eq(tz_name(def), "UTC");
	for (i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		assert_midnight(zones[i], "2026-11-22T23:00:00Z", 0,
		    "2026-11-22T00:00:00Z");
		assert_midnight(zones[i], "2026-11-22T23:00:00Z", -1,
		    "2026-11-21T00:00:00Z");
		assert_midnight(zones[i], "1969-12-31T12:00:00Z", 0,
		    "1969-12-31T00:00:00Z");
		assert_format(zones[i], "2026-11-22T23:00:00Z",
		    "%Y-%m-%dT%H:%M:%S%z", "2026-11-22T23:00:00+0000");
		assert_format(zones[i], "1969-12-31T12:00:00Z", "%Y-%m-%d %H",
		    "1969-12-31 12");
	}
	tz_free(named);
	tz_free(def);
	tz_free(tz_utc());
}
END_TEST

/* Day starts are remembered for the day of now, and forgotten when now
 * moves to another day: answers stay right as days pass, back and
 * forth, with more offsets than are remembered. */
START_TEST(test_memo)
{
	struct tz *tz = open_zone("America/Los_Angeles");
	int round, k;

	for (round = 0; round < 2; round++) {
		assert_midnight(
		    tz, "2026-03-08T20:00:00Z", 0, "2026-03-08T08:00:00Z");
		for (k = 0; k < 3; k++) {
			assert_midnight(tz, "2026-03-08T20:00:00Z", -1,
			    "2026-03-07T08:00:00Z");
			assert_midnight(tz, "2026-03-08T20:00:00Z", -2,
			    "2026-03-06T08:00:00Z");
			assert_midnight(tz, "2026-03-08T20:00:00Z", -3,
			    "2026-03-05T08:00:00Z");
			assert_midnight(tz, "2026-03-08T20:00:00Z", -4,
			    "2026-03-04T08:00:00Z");
			assert_midnight(tz, "2026-03-08T21:00:00Z", 1,
			    "2026-03-09T07:00:00Z");
		}
		/* The day start's local time, remembered too. */
		assert_format(tz, "2026-03-07T08:00:00Z", "%F %T %Z",
		    "2026-03-07 00:00:00 PST");
		assert_format(tz, "2026-03-09T07:00:00Z", "%F %T %Z",
		    "2026-03-09 00:00:00 PDT");
		/* The next day, then back. */
		assert_midnight(
		    tz, "2026-03-09T20:00:00Z", 0, "2026-03-09T07:00:00Z");
		assert_midnight(
		    tz, "2026-03-09T20:00:00Z", -1, "2026-03-08T08:00:00Z");
		assert_format(tz, "2026-03-09T07:00:00Z", "%F %T %Z",
		    "2026-03-09 00:00:00 PDT");
	}
	tz_free(tz);
}
END_TEST

/* A result that does not fit is -1, an empty pattern an empty string. */
START_TEST(test_format_limits)
{
	struct tz *tz = open_zone("Asia/Tokyo");
	char buf[16];

	ck_assert_int_eq(tz_format(tz, 0, "%Y-%m-%d", buf, 10), -1);
	ck_assert_int_eq(tz_format(tz, 0, "%Y%m%d", buf, 9), 8);
	ck_assert_str_eq(buf, "19700101");
	ck_assert_int_eq(tz_format(tz, 0, "", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	tz_free(tz);
}
END_TEST

/* Names that are no IANA zone. */
static const char *const bad_names[] = {
    "Mars/Olympus_Mons", /* no such zone */
    "America/Los Angeles", /* a space */
    "GMT+05:00", /* ICU's custom zones are not IANA names */
    "../../etc/passwd", "",
    "Etc/Unknown", /* ICU's stand-in for an unknown zone */
};

/* Each bad name is refused with the same message. */
START_TEST(test_unknown)
{
	char err[256] = "", want[256];

	ck_assert_ptr_null(tz_open(bad_names[_i], err, sizeof err));
	snprintf(want, sizeof want,
	    "unknown time zone \"%s\" (use an IANA name such as "
	    "America/Los_Angeles or UTC)",
	    bad_names[_i]);
	ck_assert_str_eq(err, want);
}
END_TEST

/* ICU says which release of the zone rules it has. */
START_TEST(test_data_version)
{
	const char *v = tz_data_version();

	ck_assert_msg(
	    strlen(v) >= 5 && v[0] >= '1' && v[0] <= '2', "version \"%s\"", v);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tz");
	TCase *tc = tcase_create("tz");

	tcase_add_test(tc, test_la_spring_forward);
	tcase_add_test(tc, test_la_fall_back);
	tcase_add_test(tc, test_tokyo);
	tcase_add_test(tc, test_skipped_and_repeated_midnight);
	tcase_add_test(tc, test_utc);
	tcase_add_test(tc, test_memo);
	tcase_add_test(tc, test_format_limits);
	tcase_add_loop_test(
	    tc, test_unknown, 0, (int)(sizeof bad_names / sizeof bad_names[0]));
	tcase_add_test(tc, test_data_version);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
