/*
 * Tells systemd about the daemon's state with sd_notify: readiness,
 * reloads, shutdown, a one-line STATUS= summary of the sources and the
 * watchdog keep-alive.  Without libsystemd (configure --without-systemd),
 * or when not started by systemd, every call does nothing.
 */
#ifndef GATHERD_NOTIFY_H
#define GATHERD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

/* One count per enum cache_status, indexed by it. */
#define NOTIFY_NSTATUS 4
/* Longest STATUS= text kept and sent. */
#define NOTIFY_STATUS_LEN 256

/* Sends READY=1: the config is loaded and the listener is bound. */
void notify_ready(void);
/* Sends RELOADING=1 with MONOTONIC_USEC; READY=1 must follow. */
void notify_reloading(void);
/* Sends STOPPING=1. */
void notify_stopping(void);
/* Sends WATCHDOG=1: the main loop is turning. */
void notify_watchdog(void);
/* Returns the watchdog timeout in microseconds, or 0 if there is none. */
uint64_t notify_watchdog_usec(void);
/* Sends a STATUS= line. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Counts c's entries per status into counts, indexed by cache_status. */
void notify_count_status(struct cache *c, size_t counts[NOTIFY_NSTATUS]);
/* Writes "12 sources: 11 ok, 1 stale" for counts into buf. */
void notify_format_status(
    const size_t counts[NOTIFY_NSTATUS], char *buf, size_t len);
/* Sends c's summary as STATUS= if it changed since the last; 1 if sent. */
int notify_update_status(struct cache *c);

#endif
