/*
 * Tells systemd about the daemon's state with sd_notify.  Without
 * libsystemd (configure --without-systemd), or when not started by
 * systemd, every call does nothing.
 */
#ifndef GATHERD_NOTIFY_H
#define GATHERD_NOTIFY_H

/* Sends READY=1: the config is loaded and the listener is bound. */
void notify_ready(void);
/* Sends RELOADING=1 and MONOTONIC_USEC; notify_ready ends the reload. */
void notify_reloading(void);
/* Sends STOPPING=1. */
void notify_stopping(void);
/* Sends a STATUS= line. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
