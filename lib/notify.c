/*
 * sd_notify wrappers and the STATUS= summary.  sd_notify itself does
 * nothing when NOTIFY_SOCKET is unset, so these are safe to call from
 * tests and terminals; without libsystemd at build time (HAVE_SYSTEMD is
 * passed on the command line with SYSTEMD_CFLAGS) they send nothing.  The
 * last summary sent is kept so that an unchanged one is not sent again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

_Static_assert(CACHE_PENDING < NOTIFY_NSTATUS && CACHE_OK < NOTIFY_NSTATUS &&
        CACHE_STALE < NOTIFY_NSTATUS && CACHE_ERROR < NOTIFY_NSTATUS,
    "NOTIFY_NSTATUS must cover enum cache_status");

/* The last STATUS= text notify_update_status sent. */
static char notify_last[NOTIFY_STATUS_LEN];

/* Sends msg to systemd; a failure is logged at debug (it may repeat). */
static void
notify_send(const char *msg)
{
#ifdef HAVE_SYSTEMD
	int r;

	if ((r = sd_notify(0, msg)) < 0)
		log_debug("sd_notify: %s", strerror(-r));
#else
	(void)msg;
#endif
}

/* Sends READY=1: the config is loaded and the listener is bound. */
void
notify_ready(void)
{
	notify_send("READY=1");
}

/* Sends RELOADING=1 with MONOTONIC_USEC; READY=1 must follow. */
void
notify_reloading(void)
{
	char msg[64];
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		log_warn("clock_gettime");
		notify_send("RELOADING=1");
		return;
	}
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	        (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_send(msg);
}

/* Sends STOPPING=1. */
void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

/* Sends WATCHDOG=1: the main loop is turning. */
void
notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}

/* Returns the watchdog timeout in microseconds, or 0 if there is none. */
uint64_t
notify_watchdog_usec(void)
{
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;
	int r;

	if ((r = sd_watchdog_enabled(0, &usec)) < 0) {
		log_warnx(
		    "watchdog: %s; not sending keep-alives", strerror(-r));
		return 0;
	}
	return r > 0 ? usec : 0;
#else
	return 0;
#endif
}

/* Sends a STATUS= line. */
void
notify_status(const char *fmt, ...)
{
	char msg[sizeof "STATUS=" + NOTIFY_STATUS_LEN];
	va_list ap;

	memcpy(msg, "STATUS=", sizeof "STATUS=" - 1);
	va_start(ap, fmt);
	vsnprintf(msg + sizeof "STATUS=" - 1, NOTIFY_STATUS_LEN, fmt, ap);
	va_end(ap);
	notify_send(msg);
}

/* Counts c's entries per status into counts, indexed by cache_status. */
void
notify_count_status(struct cache *c, size_t counts[NOTIFY_NSTATUS])
{
	size_t i, n = cache_count(c);

	memset(counts, 0, NOTIFY_NSTATUS * sizeof counts[0]);
	for (i = 0; i < n; i++)
		counts[cache_entry_status(cache_entry_at(c, i))]++;
}

/* Writes "12 sources: 11 ok, 1 stale" for counts into buf. */
void
notify_format_status(const size_t counts[NOTIFY_NSTATUS], char *buf, size_t len)
{
	static const enum cache_status order[] = {
	    CACHE_OK, CACHE_STALE, CACHE_ERROR, CACHE_PENDING};
	size_t i, total = 0, used;
	const char *sep = ": ";
	int n;

	if (len == 0)
		return;
	for (i = 0; i < NOTIFY_NSTATUS; i++)
		total += counts[i];
	n = snprintf(buf, len, "%zu source%s", total, total == 1 ? "" : "s");
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (n < 0 || (size_t)n >= len)
			return;
		if (counts[order[i]] == 0)
			continue;
		used = (size_t)n;
		n = snprintf(buf + used, len - used, "%s%zu %s", sep,
		    counts[order[i]], cache_status_name(order[i]));
		if (n >= 0)
			n += (int)used;
		sep = ", ";
	}
}

/* Sends c's summary as STATUS= if it changed since the last; 1 if sent. */
int
notify_update_status(struct cache *c)
{
	char line[NOTIFY_STATUS_LEN];
	size_t counts[NOTIFY_NSTATUS];

	notify_count_status(c, counts);
	notify_format_status(counts, line, sizeof line);
	if (strcmp(line, notify_last) == 0)
		return 0;
	memcpy(notify_last, line, sizeof notify_last);
	notify_status("%s", line);
	return 1;
}
