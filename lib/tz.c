/*
 * The GLib glue for time zones: a zone name is checked to be an IANA
 * name with a TZif file in the system's tz database (TZDIR, else
 * /usr/share/zoneinfo) and that file is opened as a GTimeZone, whose
 * intervals answer "what is the offset at this instant"; the start of
 * a local day, DST included, is found from those offsets.  UTC, the
 * default, needs no zone rules and is plain arithmetic.  Local times
 * are handed to strftime as a struct tm, so no call here depends on
 * the process's TZ.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "tz.h"

#define TZ_DAY_S 86400LL
#define TZ_DAY_MS 86400000LL
/* Day starts remembered per zone: today, yesterday and a few more. */
#define TZ_MEMO 4
/* The longest strftime pattern tz_format takes. */
#define TZ_PATTERN_MAX 256
/* Where the system's tz database is when TZDIR is not set. */
#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"

/* One zone: its rules (NULL for UTC) and what is remembered of them. */
struct tz {
	GTimeZone *tz_zone;
	char tz_name[TZ_NAME_MAX];
	char tz_utc_abbr[4]; /* "UTC", %Z of the UTC zone */
	/* The local day of the latest now, and the day starts (with their
	 * local times) found from it: a poll asks the same until the day
	 * ends, and finding a day start takes a few zone lookups. */
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

/*
 * Returns 1 if name looks like an IANA zone name: letters, digits and
 * "_+-" in components split by single slashes, the first an upper case
 * letter ("posix/...", "right/..." and "localtime" are not zones).  No
 * '.' so no "..": the name stays inside the zoneinfo directory.
 */
static int
tz_valid_name(const char *name)
{
	const char *p;

	if (!(name[0] >= 'A' && name[0] <= 'Z'))
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			return 0;
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		        (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		        *p == '-' || *p == '+'))
			return 0;
	}
	return (size_t)(p - name) < TZ_NAME_MAX;
}

/*
 * Writes the absolute path of zone name's file to path if it is a
 * regular file starting with the TZif magic; 0 or -1.  Only the magic
 * is read: GLib parses the file.
 */
static int
tz_zone_file(const char *name, char *path, size_t size)
{
	char file[PATH_MAX + TZ_NAME_MAX + 2], magic[4];
	const char *dir = getenv("TZDIR");
	struct stat st;
	int fd, n;

	if (dir == NULL || dir[0] == '\0')
		dir = TZ_DIR_DEFAULT;
	n = snprintf(file, sizeof file, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof file)
		return -1;
	/* Non-blocking: a FIFO in the directory must not hang the load. */
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    read(fd, magic, sizeof magic) != (ssize_t)sizeof magic ||
	    memcmp(magic, "TZif", sizeof magic) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	/* Absolute, so GLib reads this file and never takes the name for
	 * a POSIX TZ rule ("EST5EDT") or looks in another directory. */
	if (realpath(file, path) == NULL || strlen(path) >= size)
		return -1;
	return 0;
}

/* Opens the zone called name (NULL is UTC); NULL with err set. */
struct tz *
tz_open(const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct tz *tz;

	if ((tz = calloc(1, sizeof *tz)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(tz->tz_utc_abbr, sizeof tz->tz_utc_abbr, "UTC");
	if (name == NULL || strcmp(name, "UTC") == 0 ||
	    strcmp(name, "Etc/UTC") == 0) {
		snprintf(tz->tz_name, sizeof tz->tz_name, "%s",
		    name == NULL ? "UTC" : name);
		return tz;
	}
	if (!tz_valid_name(name) ||
	    tz_zone_file(name, path, sizeof path) == -1 ||
	    (tz->tz_zone = g_time_zone_new_identifier(path)) == NULL) {
		snprintf(err, errlen,
		    "unknown time zone \"%s\" (use an IANA name such as "
		    "America/Los_Angeles or UTC)",
		    name);
		free(tz);
		return NULL;
	}
	snprintf(tz->tz_name, sizeof tz->tz_name, "%s", name);
	return tz;
}

/* UTC: no zone rules, so nothing in it is written after start-up. */
static struct tz tz_utc_zone = {.tz_name = "UTC", .tz_utc_abbr = "UTC"};

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
	if (tz->tz_zone != NULL)
		g_time_zone_unref(tz->tz_zone);
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

/* Returns the local time at t (seconds) as seconds since the epoch of
 * the local clock: t plus the zone's offset then. */
static int64_t
tz_local_s(struct tz *tz, int64_t t)
{
	int i =
	    g_time_zone_find_interval(tz->tz_zone, G_TIME_TYPE_UNIVERSAL, t);

	return t + g_time_zone_get_offset(tz->tz_zone, i);
}

/*
 * Returns the first instant (seconds) whose local time is at least
 * day, a local midnight as seconds of the local clock.  Offsets stay
 * within a day of UTC, so the offsets a day before and after day are
 * those around it: the earliest of the instants that are exactly day
 * under one of them is the answer (the first of a repeated midnight);
 * if none is, midnight was skipped and the day starts at the change,
 * found by halving the span between the two.
 */
static int64_t
tz_day_start_s(struct tz *tz, int64_t day)
{
	int64_t before, after, lo, hi, mid;

	before = day - (tz_local_s(tz, day - TZ_DAY_S) - (day - TZ_DAY_S));
	after = day - (tz_local_s(tz, day + TZ_DAY_S) - (day + TZ_DAY_S));
	lo = before < after ? before : after;
	hi = before < after ? after : before;
	if (tz_local_s(tz, lo) == day)
		return lo;
	if (tz_local_s(tz, hi) == day)
		return hi;
	/* Bounds that hold whatever happens between them. */
	if (tz_local_s(tz, lo) > day || tz_local_s(tz, hi) < day) {
		lo = day - 2 * TZ_DAY_S;
		hi = day + TZ_DAY_S;
	}
	/* local(lo) < day <= local(hi) */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tz_local_s(tz, mid) >= day)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* Finds the start of the day day_offset days from now's in tz's rules. */
static void
tz_zone_midnight(struct tz *tz, int64_t now_ms, int day_offset, int64_t *ms)
{
	int64_t local = tz_local_s(tz, tz_floor_div(now_ms, 1000));
	int64_t day = (tz_floor_div(local, TZ_DAY_S) + day_offset) * TZ_DAY_S;

	*ms = tz_day_start_s(tz, day) * 1000;
}

/* Returns the memo of the day day_offset days from now's, finding it
 * if there is none. */
static struct tz_memo *
tz_memo_day(struct tz *tz, int64_t now_ms, int day_offset)
{
	struct tz_memo *m;
	int64_t ms;
	size_t i;

	if (!tz->tz_have_day || now_ms < tz->tz_day_start ||
	    now_ms >= tz->tz_day_end) {
		/* Another day: what was remembered is of the last one. */
		tz_zone_midnight(tz, now_ms, 0, &tz->tz_day_start);
		tz_zone_midnight(tz, now_ms, 1, &tz->tz_day_end);
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
	else
		tz_zone_midnight(tz, now_ms, day_offset, &ms);
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
	if (tz->tz_zone == NULL) {
		*ms =
		    (tz_floor_div(now_ms, TZ_DAY_MS) + day_offset) * TZ_DAY_MS;
		return 0;
	}
	*ms = tz_memo_day(tz, now_ms, day_offset)->tm_ms;
	return 0;
}

/* Fills tm with the local time at ms from the zone's interval then;
 * 0 or -1. */
static int
tz_zone_local(struct tz *tz, int64_t ms, struct tm *tm)
{
	int64_t t = tz_floor_div(ms, 1000);
	int i =
	    g_time_zone_find_interval(tz->tz_zone, G_TIME_TYPE_UNIVERSAL, t);
	int32_t offset = g_time_zone_get_offset(tz->tz_zone, i);
	time_t local = (time_t)(t + offset);

	if (gmtime_r(&local, tm) == NULL)
		return -1;
	tm->tm_isdst = g_time_zone_is_dst(tz->tz_zone, i) ? 1 : 0;
	tm->tm_gmtoff = offset;
	tm->tm_zone = g_time_zone_get_abbreviation(tz->tz_zone, i);
	return 0;
}

/* Fills tm with the local time at ms in tz; see tz.h. */
int
tz_local(struct tz *tz, int64_t ms, struct tm *tm)
{
	time_t t;
	size_t i;

	memset(tm, 0, sizeof *tm);
	if (tz->tz_zone == NULL) {
		t = (time_t)tz_floor_div(ms, 1000);
		if (gmtime_r(&t, tm) == NULL)
			return -1;
		tm->tm_zone = tz->tz_utc_abbr;
		return 0;
	}
	/* A day start written again and again ("${today:%Y%m%d}"). */
	for (i = 0; i < tz->tz_nmemo; i++) {
		if (tz->tz_memo[i].tm_ms != ms)
			continue;
		if (!tz->tz_memo[i].tm_have_local) {
			if (tz_zone_local(tz, ms, &tz->tz_memo[i].tm_local) ==
			    -1)
				return -1;
			tz->tz_memo[i].tm_have_local = 1;
		}
		*tm = tz->tz_memo[i].tm_local;
		return 0;
	}
	return tz_zone_local(tz, ms, tm);
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
