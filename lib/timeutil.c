/*
 * Thin wrappers over clock_gettime and gmtime_r.  Kept in one place so
 * the rest of the daemon never mixes up the monotonic clock (schedules)
 * with the wall clock (what users are shown).
 */
#include <stdio.h>
#include <time.h>

#include "timeutil.h"

/* Returns clock id's time in microseconds. */
static int64_t
timeutil_clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Returns the monotonic clock in milliseconds. */
int64_t
timeutil_mono_ms(void)
{
	return timeutil_clock_us(CLOCK_MONOTONIC) / 1000;
}

/* Returns the monotonic clock in microseconds, for measuring work. */
int64_t
timeutil_mono_us(void)
{
	return timeutil_clock_us(CLOCK_MONOTONIC);
}

/* Returns the wall clock in milliseconds since the epoch. */
int64_t
timeutil_wall_ms(void)
{
	return timeutil_clock_us(CLOCK_REALTIME) / 1000;
}

/* Formats wall milliseconds as "2026-11-22T10:00:00Z" (UTC, seconds). */
void
timeutil_format_rfc3339(int64_t wall_ms, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}
