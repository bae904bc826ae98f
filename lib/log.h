/*
 * Logging in the OpenBSD style: log_warn appends strerror(errno), the x
 * variants do not; fatal and fatalx exit and are for start-up only.  Lines
 * go to stderr; under systemd (JOURNAL_STREAM set) they carry the <N>
 * priority prefix that journald understands.
 */
#ifndef GATHERD_LOG_H
#define GATHERD_LOG_H

#include <stdnoreturn.h>

enum log_level {
	LOG_LEVEL_QUIET = -1,
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

/* Sets the most verbose level that is still written. */
void log_set_level(enum log_level level);
/* Returns the current level. */
enum log_level log_get_level(void);
/* Logs a warning followed by ": " and strerror(errno). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs a warning. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs an informational line. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs a debugging line. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs an error with strerror(errno) and exits 1. */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs an error and exits 1. */
noreturn void
fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
