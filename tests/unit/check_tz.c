/*
 * Tests of the tz module with fixed instants, never the clock: where a
 * local day starts in America/Los_Angeles on the days DST begins
 * (2026-03-08, 23 hours) and ends (2026-11-01, 25 hours), in
 * Asia/Tokyo east of UTC, in America/Havana where midnight itself is
 * skipped or repeated, and in UTC; local times with their offsets and
 * zone names; rules as current as the system's tz database (Mexico
 * without DST since 2022, America/Ciudad_Juarez); names that are no
 * zone file (POSIX TZ rules, offsets, paths) refused; TZDIR obeyed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* Asserts that the day of now starts at start (UTC) and has hours
 * hours, up to the start of the next. */
static void
assert_day(struct tz *tz, const char *now, const char *start, int hours)
{
	int64_t today = 0, tomorrow = 0;

	assert_midnight(tz, now, 0, start);
	ck_assert_int_eq(tz_midnight_ms(tz, at(now), 0, &today), 0);
	ck_assert_int_eq(tz_midnight_ms(tz, at(now), 1, &tomorrow), 0);
	ck_assert_int_eq(tomorrow - today, hours * HOUR_MS);
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

	assert_midnight(tz, "2026-03-08T20:00:00Z", 1, "2026-03-09T07:00:00Z");
	assert_midnight(tz, "2026-03-08T20:00:00Z", -1, "2026-03-07T08:00:00Z");
	/* 23:30 PST on the 7th is still the 7th there. */
	assert_midnight(tz, "2026-03-08T07:30:00Z", 0, "2026-03-07T08:00:00Z");
	assert_day(tz, "2026-03-08T20:00:00Z", "2026-03-08T08:00:00Z", 23);
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
	struct tm tm;

	assert_midnight(tz, "2026-11-01T18:00:00Z", 1, "2026-11-02T08:00:00Z");
	assert_day(tz, "2026-11-01T18:00:00Z", "2026-11-01T07:00:00Z", 25);
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

/* Zone rules are the system's, not a copy frozen in a library: Mexico
 * City has had no DST since 2022, so 2026-04-05 (the first Sunday of
 * April, when it used to start) has 24 hours at -0600; Ciudad Juarez
 * (a zone since tz 2022g) keeps US DST at -0600 in summer; Coyhaique (a
 * zone since tz 2025b) stays at -0300 in the southern winter. */
START_TEST(test_current_rules)
{
	struct tz *mx = open_zone("America/Mexico_City");
	struct tz *cj = open_zone("America/Ciudad_Juarez");
	struct tz *co = open_zone("America/Coyhaique");

	assert_midnight(mx, "2026-04-05T18:00:00Z", 1, "2026-04-06T06:00:00Z");
	assert_day(mx, "2026-04-05T18:00:00Z", "2026-04-05T06:00:00Z", 24);
	assert_format(mx, "2026-07-01T18:00:00Z", "%H:%M %z", "12:00 -0600");
	ck_assert_str_eq(tz_name(cj), "America/Ciudad_Juarez");
	assert_midnight(cj, "2026-07-01T18:00:00Z", 0, "2026-07-01T06:00:00Z");
	assert_format(
	    cj, "2026-07-01T18:00:00Z", "%H:%M %z %Z", "12:00 -0600 MDT");
	assert_format(
	    cj, "2026-12-01T18:00:00Z", "%H:%M %z %Z", "11:00 -0700 MST");
	assert_format(co, "2026-07-01T18:00:00Z", "%H:%M %z", "15:00 -0300");
	tz_free(mx);
	tz_free(cj);
	tz_free(co);
}
END_TEST

/* Etc/UTC is UTC too, by the name given. */
START_TEST(test_etc_utc)
{
	struct tz *tz = open_zone("Etc/UTC");

	ck_assert_str_eq(tz_name(tz), "Etc/UTC");
	assert_midnight(tz, "2026-11-22T23:00:00Z", 0, "2026-11-22T00:00:00Z");
	assert_format(tz, "2026-11-22T23:00:00Z", "%H %z %Z", "23 +0000 UTC");
	tz_free(tz);
}
END_TEST

/* Names that are no IANA zone. */
static const char *const bad_names[] = {
    "Mars/Olympus_Mons", /* no such zone */
    "America/Los Angeles", /* a space */
    "GMT+05:00", /* an offset, not a zone */
    "UTC+5", /* a POSIX TZ rule */
    "EST5EDT,M3.2.0,M11.1.0", /* a POSIX TZ rule with its dates */
    "Z",
    "+05:00",
    "-0800", /* RFC 3339 and ISO 8601 offsets */
    "../etc/passwd",
    "../../etc/passwd",
    "/etc/passwd",
    "Asia/../Asia/Tokyo",
    "America//Los_Angeles",
    "Asia/Tokyo/",
    "",
    "America", /* a directory */
    "posixrules",
    "right/Asia/Tokyo",
    "localtime", /* no zone names */
    "Etc/Unknown",
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

/* Writes size bytes of data to the file dir/name; fails the test if
 * it cannot. */
static void
write_file(const char *dir, const char *name, const void *data, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, size, f), size);
	ck_assert_int_eq(fclose(f), 0);
}

/* TZDIR names the tz database: a TZif file there is a zone, a file
 * without the magic is not, and the default directory is not looked
 * at. */
START_TEST(test_tzdir)
{
	char dir[] = "/tmp/check_tz.XXXXXX", sub[64], path[128], err[256];
	char data[8192];
	struct tz *tz;
	size_t n;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/Test", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_ptr_nonnull(
	    f = fopen("/usr/share/zoneinfo/Asia/Tokyo", "rb"));
	n = fread(data, 1, sizeof data, f);
	fclose(f);
	ck_assert_uint_gt(n, 44);
	write_file(dir, "Test/Tokyo", data, n);
	write_file(dir, "Test/Text", "# not a zone\n", 13);
	ck_assert_int_eq(setenv("TZDIR", dir, 1), 0);

	tz = open_zone("Test/Tokyo");
	assert_midnight(tz, "2026-11-29T16:00:00Z", 0, "2026-11-29T15:00:00Z");
	assert_format(tz, "2026-11-29T16:00:00Z", "%H:%M %z", "01:00 +0900");
	tz_free(tz);
	ck_assert_ptr_null(tz_open("Test/Text", err, sizeof err));
	ck_assert_ptr_null(tz_open("America/Los_Angeles", err, sizeof err));
	ck_assert_str_eq(err,
	    "unknown time zone \"America/Los_Angeles\" (use an IANA name "
	    "such as America/Los_Angeles or UTC)");
	/* UTC needs no file. */
	tz = open_zone("UTC");
	tz_free(tz);

	ck_assert_int_eq(unsetenv("TZDIR"), 0);
	snprintf(path, sizeof path, "%s/Test/Tokyo", dir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof path, "%s/Test/Text", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
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
	tcase_add_test(tc, test_current_rules);
	tcase_add_test(tc, test_etc_utc);
	tcase_add_test(tc, test_tzdir);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
