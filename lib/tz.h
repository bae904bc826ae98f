/*
 * Time zones by IANA name, for date templates: where a day starts and
 * what the local time is at an instant, in a zone given per source.
 * The zone rules are the system's tz database (TZDIR, else
 * /usr/share/zoneinfo), read by GLib's GTimeZone in tz.c, the only file
 * that includes GLib: glibc has no per-call time zone and setting TZ in
 * a process with threads is unsafe.  A struct tz is not thread-safe (it
 * remembers day starts); the loop thread alone uses a source's.
 */
#ifndef GATHERD_TZ_H
#define GATHERD_TZ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TZ_NAME_MAX 64

struct tz;

/*
 * Opens the zone called name ("America/Los_Angeles"; NULL, "UTC" and
 * "Etc/UTC" are UTC without zone rules); NULL with err set if the name
 * is no IANA name with a zone file in the tz database or if out of
 * memory.
 */
struct tz *tz_open(const char *name, char *err, size_t errlen);
/* Returns the shared UTC zone, never freed (tz_free ignores it). */
struct tz *tz_utc(void);
/* Frees tz; NULL is allowed. */
void tz_free(struct tz *tz);
/* Returns the zone's name as given ("UTC" for tz_open(NULL)). */
const char *tz_name(const struct tz *tz);
/*
 * Sets *ms to the first instant of the day day_offset days from the
 * local day of now_ms (0 today, -1 yesterday) in tz; 0 or -1.
 */
int tz_midnight_ms(struct tz *tz, int64_t now_ms, int day_offset, int64_t *ms);
/*
 * Fills tm with the local time at ms in tz, tm_gmtoff and tm_zone
 * included (tm_zone points into tz); 0 or -1.
 */
int tz_local(struct tz *tz, int64_t ms, struct tm *tm);
/*
 * Formats the local time at ms in tz with strftime's pattern into buf;
 * the length, or -1 if it does not fit or the time is out of range.
 */
int tz_format(
    struct tz *tz, int64_t ms, const char *pattern, char *buf, size_t size);

#endif
