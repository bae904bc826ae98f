/*
 * Logging to stderr, where systemd's journal picks it up.  When
 * JOURNAL_STREAM is set each line starts with the syslog priority in
 * angle brackets, so the journal files it at the right level; otherwise
 * warnings carry a "warning: " prefix for people reading a terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;

/* Sets the most verbose level that is still written. */
void
log_set_level(enum log_level level)
{
	log_level = level;
}

/* Returns the current level. */
enum log_level
log_get_level(void)
{
	return log_level;
}

/* Writes one line at syslog priority prio, with an optional errno text. */
static void
log_vwrite(int prio, enum log_level level, const char *errtext, const char *fmt,
    va_list ap)
{
	char line[1024];
	int journal;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal)
		fprintf(stderr, "<%d>", prio);
	else if (prio <= 4)
		fputs(prio <= 3 ? "error: " : "warning: ", stderr);
	if (errtext != NULL)
		fprintf(stderr, "%s: %s\n", line, errtext);
	else
		fprintf(stderr, "%s\n", line);
}

/* Logs a warning followed by ": " and strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(4, LOG_LEVEL_WARN, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Logs a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(4, LOG_LEVEL_WARN, NULL, fmt, ap);
	va_end(ap);
}

/* Logs an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(6, LOG_LEVEL_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Logs a debugging line. */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(7, LOG_LEVEL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* Logs an error with strerror(errno) and exits 1. */
void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(3, LOG_LEVEL_WARN, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Logs an error and exits 1. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(3, LOG_LEVEL_WARN, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
