/*
 * The ICU glue for time zones: a zone name is checked against ICU's
 * list of system zones (the IANA names) and opened as one Gregorian
 * calendar, which then answers "when did this local day start" and
 * "what is the local time" with the zone's own rules, DST included.
 * UTC, the default, needs no zone rules and is plain arithmetic.  Local
 * times are handed to strftime as a struct tm filled from ICU's fields,
 * so no call here depends on the process's TZ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "tz.h"

#define TZ_DAY_MS 86400000LL
#define TZ_ABBR_MAX 16
/* Day starts remembered per zone: today, yesterday and a few more. */
#define TZ_MEMO 4
/* The longest strftime pattern tz_format takes. */
#define TZ_PATTERN_MAX 256

/* One zone: its calendar (NULL for UTC) and short names for %Z. */
struct tz {
	UCalendar *tz_cal;
	char tz_name[TZ_NAME_MAX];
	char tz_std[TZ_ABBR_MAX]; /* "PST" */
	char tz_dst[TZ_ABBR_MAX]; /* "PDT" */
	/* The local day of the latest now, and the day starts (with their
	 * local times) found from it: a poll asks the same until the day
	 * ends, and ICU takes microseconds to answer. */
	int tz_have_day;
	int64_t tz_day_start;
	int64_t tz_day_end;
	struct tz_memo {
		int tm_offset; /* days from the day of now */
		int64_t tm_ms; /* the start of that day */
		int tm_have_local;
		struct tm tm_local; /* the local time at tm_ms */
	} tz_memo[TZ_MEMO];
	size_t tz_nmemo;
	size_t tz_next_memo; /* the slot to take when full */
};

/* Returns 1 if name has only the characters of IANA zone names. */
static int
tz_valid_chars(const char *name)
{
	const char *p;

	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		        (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		        *p == '-' || *p == '+'))
			return 0;
	}
	return p != name && (size_t)(p - name) < TZ_NAME_MAX;
}

/* Copies ICU's short name of the zone's standard or DST time to dst,
 * in ASCII. */
static void
tz_abbr(UCalendar *cal, UCalendarDisplayNameType type, char *dst)
{
	UChar name[TZ_ABBR_MAX];
	UErrorCode status = U_ZERO_ERROR;
	int32_t n, i;

	n = ucal_getTimeZoneDisplayName(
	    cal, type, "en_US", name, TZ_ABBR_MAX, &status);
	if (U_FAILURE(status) || n >= TZ_ABBR_MAX)
		n = 0;
	for (i = 0; i < n; i++)
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): ASCII */
		dst[i] = name[i] < 0x80 ? (char)name[i] : '?';
	dst[n] = '\0';
}

/* Opens the zone called name (NULL is UTC); NULL with err set. */
struct tz *
tz_open(const char *name, char *err, size_t errlen)
{
	UChar id[TZ_NAME_MAX], canon[TZ_NAME_MAX];
	UErrorCode status = U_ZERO_ERROR;
	UBool system = 0;
	struct tz *tz;

	if (name != NULL && !tz_valid_chars(name)) {
		snprintf(err, errlen,
		    "unknown time zone \"%s\" (use an IANA name such as "
		    "America/Los_Angeles or UTC)",
		    name);
		return NULL;
	}
	if ((tz = calloc(1, sizeof *tz)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (name == NULL) {
		snprintf(tz->tz_name, sizeof tz->tz_name, "UTC");
		snprintf(tz->tz_std, sizeof tz->tz_std, "UTC");
		snprintf(tz->tz_dst, sizeof tz->tz_dst, "UTC");
		return tz;
	}
	snprintf(tz->tz_name, sizeof tz->tz_name, "%s", name);
	/* Invariant characters only (checked above): no converter. */
	u_charsToUChars(name, id, (int32_t)strlen(name) + 1);
	/* ucal_open takes any name, falling back to GMT: ask first.  A
	 * custom "GMT+05:00" is valid to ICU but no IANA name. */
	ucal_getCanonicalTimeZoneID(
	    id, -1, canon, TZ_NAME_MAX, &system, &status);
	if (U_FAILURE(status) || !system) {
		snprintf(err, errlen,
		    "unknown time zone \"%s\" (use an IANA name such as "
		    "America/Los_Angeles or UTC)",
		    name);
		free(tz);
		return NULL;
	}
	tz->tz_cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &status);
	if (U_FAILURE(status) || tz->tz_cal == NULL) {
		snprintf(err, errlen, "time zone \"%s\": %s", name,
		    u_errorName(status));
		tz_free(tz);
		return NULL;
	}
	/* A day whose midnight is skipped starts at the first valid time;
	 * one whose midnight repeats, at the first of the two. */
	ucal_setAttribute(
	    tz->tz_cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
	ucal_setAttribute(
	    tz->tz_cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
	tz_abbr(tz->tz_cal, UCAL_SHORT_STANDARD, tz->tz_std);
	tz_abbr(tz->tz_cal, UCAL_SHORT_DST, tz->tz_dst);
	return tz;
}

/* UTC: no calendar, so nothing in it is written after start-up. */
static struct tz tz_utc_zone = {
    .tz_name = "UTC", .tz_std = "UTC", .tz_dst = "UTC"};

/* Returns the shared UTC zone. */
struct tz *
tz_utc(void)
{
	return &tz_utc_zone;
}

/* Frees tz; NULL is allowed. */
void
tz_free(struct tz *tz)
{
	if (tz == NULL || tz == &tz_utc_zone)
		return;
	if (tz->tz_cal != NULL)
		ucal_close(tz->tz_cal);
	free(tz);
}

/* Returns the zone's name as given. */
const char *
tz_name(const struct tz *tz)
{
	return tz->tz_name;
}

/* Returns a divided by b (b > 0), rounded down. */
static int64_t
tz_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Asks ICU for the start of the day day_offset days from now's. */
static int
tz_icu_midnight(struct tz *tz, int64_t now_ms, int day_offset, int64_t *ms)
{
	UErrorCode status = U_ZERO_ERROR;
	int32_t y, m, d;
	UDate t;

	ucal_setMillis(tz->tz_cal, (UDate)now_ms, &status);
	y = ucal_get(tz->tz_cal, UCAL_YEAR, &status);
	m = ucal_get(tz->tz_cal, UCAL_MONTH, &status);
	d = ucal_get(tz->tz_cal, UCAL_DATE, &status);
	/* Lenient: a date past the month's end rolls into the next. */
	ucal_clear(tz->tz_cal);
	ucal_setDateTime(tz->tz_cal, y, m, d + day_offset, 0, 0, 0, &status);
	t = ucal_getMillis(tz->tz_cal, &status);
	if (U_FAILURE(status))
		return -1;
	*ms = (int64_t)t;
	return 0;
}

/* Returns the memo of the day day_offset days from now's, asking ICU
 * if it has none; NULL on error. */
static struct tz_memo *
tz_memo_day(struct tz *tz, int64_t now_ms, int day_offset)
{
	struct tz_memo *m;
	int64_t start, end, ms;
	size_t i;

	if (!tz->tz_have_day || now_ms < tz->tz_day_start ||
	    now_ms >= tz->tz_day_end) {
		/* Another day: what was remembered is of the last one. */
		if (tz_icu_midnight(tz, now_ms, 0, &start) == -1 ||
		    tz_icu_midnight(tz, now_ms, 1, &end) == -1)
			return NULL;
		tz->tz_day_start = start;
		tz->tz_day_end = end;
		tz->tz_have_day = 1;
		tz->tz_nmemo = 0;
		tz->tz_next_memo = 0;
	}
	for (i = 0; i < tz->tz_nmemo; i++) {
		if (tz->tz_memo[i].tm_offset == day_offset)
			return &tz->tz_memo[i];
	}
	if (day_offset == 0)
		ms = tz->tz_day_start;
	else if (day_offset == 1)
		ms = tz->tz_day_end;
	else if (tz_icu_midnight(tz, now_ms, day_offset, &ms) == -1)
		return NULL;
	if (tz->tz_nmemo < TZ_MEMO)
		m = &tz->tz_memo[tz->tz_nmemo++];
	else {
		m = &tz->tz_memo[tz->tz_next_memo];
		tz->tz_next_memo = (tz->tz_next_memo + 1) % TZ_MEMO;
	}
	memset(m, 0, sizeof *m);
	m->tm_offset = day_offset;
	m->tm_ms = ms;
	return m;
}

/* Sets the first instant of a day; see tz.h. */
int
tz_midnight_ms(struct tz *tz, int64_t now_ms, int day_offset, int64_t *ms)
{
	struct tz_memo *m;

	if (tz->tz_cal == NULL) {
		*ms =
		    (tz_floor_div(now_ms, TZ_DAY_MS) + day_offset) * TZ_DAY_MS;
		return 0;
	}
	if ((m = tz_memo_day(tz, now_ms, day_offset)) == NULL)
		return -1;
	*ms = m->tm_ms;
	return 0;
}

/* Fills tm with the local time at ms from ICU's fields; 0 or -1. */
static int
tz_icu_local(struct tz *tz, int64_t ms, struct tm *tm)
{
	UErrorCode status = U_ZERO_ERROR;
	int32_t dst;

	ucal_setMillis(tz->tz_cal, (UDate)ms, &status);
	tm->tm_year = ucal_get(tz->tz_cal, UCAL_EXTENDED_YEAR, &status) - 1900;
	tm->tm_mon = ucal_get(tz->tz_cal, UCAL_MONTH, &status);
	tm->tm_mday = ucal_get(tz->tz_cal, UCAL_DATE, &status);
	tm->tm_hour = ucal_get(tz->tz_cal, UCAL_HOUR_OF_DAY, &status);
	tm->tm_min = ucal_get(tz->tz_cal, UCAL_MINUTE, &status);
	tm->tm_sec = ucal_get(tz->tz_cal, UCAL_SECOND, &status);
	/* ICU counts Sunday as 1 and the first day of the year as 1. */
	tm->tm_wday = ucal_get(tz->tz_cal, UCAL_DAY_OF_WEEK, &status) - 1;
	tm->tm_yday = ucal_get(tz->tz_cal, UCAL_DAY_OF_YEAR, &status) - 1;
	dst = ucal_get(tz->tz_cal, UCAL_DST_OFFSET, &status);
	tm->tm_isdst = dst != 0;
	tm->tm_gmtoff =
	    (ucal_get(tz->tz_cal, UCAL_ZONE_OFFSET, &status) + dst) / 1000;
	tm->tm_zone = dst != 0 ? tz->tz_dst : tz->tz_std;
	return U_FAILURE(status) ? -1 : 0;
}

/* Fills tm with the local time at ms in tz; see tz.h. */
int
tz_local(struct tz *tz, int64_t ms, struct tm *tm)
{
	time_t t;
	size_t i;

	memset(tm, 0, sizeof *tm);
	if (tz->tz_cal == NULL) {
		t = (time_t)tz_floor_div(ms, 1000);
		if (gmtime_r(&t, tm) == NULL)
			return -1;
		tm->tm_zone = tz->tz_std;
		return 0;
	}
	/* A day start written again and again ("${today:%Y%m%d}"). */
	for (i = 0; i < tz->tz_nmemo; i++) {
		if (tz->tz_memo[i].tm_ms != ms)
			continue;
		if (!tz->tz_memo[i].tm_have_local) {
			if (tz_icu_local(tz, ms, &tz->tz_memo[i].tm_local) ==
			    -1)
				return -1;
			tz->tz_memo[i].tm_have_local = 1;
		}
		*tm = tz->tz_memo[i].tm_local;
		return 0;
	}
	return tz_icu_local(tz, ms, tm);
}

/* Formats the local time at ms with a strftime pattern; see tz.h. */
int
tz_format(
    struct tz *tz, int64_t ms, const char *pattern, char *buf, size_t size)
{
	char pat[TZ_PATTERN_MAX + 2], out[TZ_PATTERN_MAX * 4];
	struct tm tm;
	size_t n;

	if (strlen(pattern) > TZ_PATTERN_MAX || tz_local(tz, ms, &tm) == -1)
		return -1;
	/* A leading space tells an empty result ("%p" in some locales)
	 * from one that did not fit, both 0 to strftime. */
	pat[0] = ' ';
	memcpy(pat + 1, pattern, strlen(pattern) + 1);
	/* The pattern is the config's, checked by template.c at load. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(out, sizeof out, pat, &tm);
#pragma GCC diagnostic pop
	if (n == 0 || n > size)
		return -1;
	memcpy(buf, out + 1, n - 1);
	buf[n - 1] = '\0';
	return (int)(n - 1);
}

/* Returns the version of the zone rules ICU uses. */
const char *
tz_data_version(void)
{
	UErrorCode status = U_ZERO_ERROR;
	const char *v = ucal_getTZDataVersion(&status);

	return U_FAILURE(status) || v == NULL ? "unknown" : v;
}
