/*
 * Logging in the OpenBSD style: log_err and log_warn append
 * strerror(errno), the x variants do not; fatal and fatalx exit and are
 * for start-up only.  Lines go to stderr; when stderr is the journal
 * (JOURNAL_STREAM names it) they carry the <N> priority prefix that
 * journald understands.
 */
#ifndef GATHERD_LOG_H
#define GATHERD_LOG_H

#include <stdnoreturn.h>

/* The most verbose level written; each includes those above it. */
enum log_level {
	LOG_LEVEL_QUIET = -1, /* nothing at all (tests) */
	LOG_LEVEL_ERROR = 0, /* log_level = error */
	LOG_LEVEL_WARN = 1, /* log_level = warning, -q */
	LOG_LEVEL_INFO = 2, /* log_level = info, the default */
	LOG_LEVEL_DEBUG = 3, /* log_level = debug, -v */
};

/* Sets the most verbose level that is still written. */
void log_set_level(enum log_level level);
/* Returns the current level. */
enum log_level log_get_level(void);
/* Parses "debug", "info", "warning" or "error" into *level; 0 or -1. */
int log_parse_level(const char *name, enum log_level *level);
/* Logs an error followed by ": " and strerror(errno). */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs an error. */
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
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
