/*
 * sd_notify wrappers.  sd_notify itself does nothing when NOTIFY_SOCKET
 * is unset, so these are safe to call from tests and terminals; without
 * libsystemd at build time they compile to nothing.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

/* Sends READY=1: the config is loaded and the listener is bound. */
void
notify_ready(void)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
}

/* Sends RELOADING=1 with the monotonic time, as systemd asks. */
void
notify_reloading(void)
{
#ifdef HAVE_SYSTEMD
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	        (unsigned long long)ts.tv_nsec / 1000ULL);
#endif
}

/* Sends STOPPING=1. */
void
notify_stopping(void)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
}

/* Sends a STATUS= line. */
void
notify_status(const char *fmt, ...)
{
#ifdef HAVE_SYSTEMD
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", line);
#else
	(void)fmt;
#endif
}
