/*
 * Clocks and time formatting.  Schedules use the monotonic clock so a
 * wall-clock jump changes nothing; timestamps shown to users are wall
 * time in milliseconds since the epoch, formatted as RFC 3339 UTC.
 */
#ifndef GATHERD_TIMEUTIL_H
#define GATHERD_TIMEUTIL_H

#include <stdint.h>

/* Length of a buffer that holds any timeutil_format_rfc3339 result. */
#define TIMEUTIL_RFC3339_LEN 32

/* Returns the monotonic clock in milliseconds. */
int64_t timeutil_mono_ms(void);
/* Returns the monotonic clock in microseconds, for measuring work. */
int64_t timeutil_mono_us(void);
/* Returns the wall clock in milliseconds since the epoch. */
int64_t timeutil_wall_ms(void);
/* Formats wall milliseconds as "2026-11-22T10:00:00Z" (UTC, seconds). */
void timeutil_format_rfc3339(int64_t wall_ms, char *buf, size_t len);

#endif
