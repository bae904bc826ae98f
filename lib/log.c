/*
 * Logging to stderr, where systemd's journal picks it up.  When stderr is
 * the stream JOURNAL_STREAM names (device:inode, as systemd documents;
 * a child of a service inherits the variable but maybe not the stream),
 * each line starts with the syslog priority in angle brackets, so the
 * journal files it at the right level; otherwise errors and warnings
 * carry an "error: " or "warning: " prefix for people at a terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Parses "debug", "info", "warning" or "error" into *level; 0 or -1. */
int
log_parse_level(const char *name, enum log_level *level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
	    {"debug", LOG_LEVEL_DEBUG},
	    {"info", LOG_LEVEL_INFO},
	    {"warning", LOG_LEVEL_WARN},
	    {"error", LOG_LEVEL_ERROR},
	};
	size_t i;

	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (strcmp(name, levels[i].name) == 0) {
			*level = levels[i].level;
			return 0;
		}
	}
	return -1;
}

/* Returns 1 if stderr is the journal stream JOURNAL_STREAM names. */
static int
log_to_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	/*
	 * systemd sets it; glibc's %llu saturates, and a number out of range
	 * cannot match fstat's, so a bad one only means no priority prefix.
	 */
	/* NOLINTNEXTLINE(cert-err34-c) */
	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
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
	journal = log_to_journal();
	if (journal)
		fprintf(stderr, "<%d>", prio);
	else if (prio <= 4)
		fputs(prio <= 3 ? "error: " : "warning: ", stderr);
	if (errtext != NULL)
		fprintf(stderr, "%s: %s\n", line, errtext);
	else
		fprintf(stderr, "%s\n", line);
}

/* Logs an error followed by ": " and strerror(errno). */
void
log_err(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(3, LOG_LEVEL_ERROR, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Logs an error. */
void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(3, LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
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
	log_vwrite(3, LOG_LEVEL_ERROR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Logs an error and exits 1. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(3, LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
