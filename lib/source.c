/*
 * Error kinds, the poll phase and the identity of a source.  All are
 * pure: the phase is an FNV-1a hash of the name, so a source polls at the
 * same offset in its interval on every start, and no two restarts make a
 * herd; identity is the one rule the cache, the poller, the reload count
 * and the store all ask.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "source.h"

static const char *const source_err_names[] = {
    [SOURCE_ERR_NONE] = "none",
    [SOURCE_ERR_DNS] = "dns",
    [SOURCE_ERR_CONNECT] = "connect",
    [SOURCE_ERR_TLS] = "tls",
    [SOURCE_ERR_TIMEOUT] = "timeout",
    [SOURCE_ERR_HTTP_STATUS] = "http_status",
    [SOURCE_ERR_NOT_JSON] = "not_json",
    [SOURCE_ERR_PARSE] = "parse",
    [SOURCE_ERR_TOO_LARGE] = "too_large",
    [SOURCE_ERR_MISSING_STAT] = "missing_stat",
    [SOURCE_ERR_RATE_LIMITED] = "rate_limited",
    [SOURCE_ERR_CIRCUIT_OPEN] = "circuit_open",
    [SOURCE_ERR_AUTH] = "auth",
    [SOURCE_ERR_API_ERROR] = "api_error",
    [SOURCE_ERR_INTERNAL] = "internal",
};

/* Returns the API's one-word name of kind ("timeout"). */
const char *
source_err_name(enum source_err kind)
{
	if ((unsigned)kind >=
	    sizeof source_err_names / sizeof *source_err_names)
		return "internal";
	return source_err_names[kind];
}

/* Drops an incomplete UTF-8 character at the end of s (length n). */
static void
source_trim_utf8(char *s, size_t n)
{
	size_t lead = n, need;
	unsigned char c;

	while (lead > 0 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	c = (unsigned char)s[lead - 1];
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (lead - 1 + need > n)
		s[lead - 1] = '\0';
}

/* Fills err with kind, HTTP status, time and a printf-style message. */
void
source_error_set(struct source_error *err, enum source_err kind,
    int http_status, int64_t at, const char *fmt, ...)
{
	va_list ap;

	err->se_kind = kind;
	err->se_http_status = http_status;
	err->se_at = at;
	size_t n;

	va_start(ap, fmt);
	n = (size_t)vsnprintf(err->se_message, sizeof err->se_message, fmt, ap);
	va_end(ap);
	/* Cut short: never leave half a UTF-8 character at the end. */
	if (n >= sizeof err->se_message)
		source_trim_utf8(err->se_message, sizeof err->se_message - 1);
}

/* Returns the offset in ms of name's polls inside min(spread, interval). */
uint64_t
source_phase_ms(const char *name, uint64_t spread_ms, uint64_t interval_ms)
{
	uint64_t hash = 14695981039346656037ULL;
	uint64_t window = spread_ms < interval_ms ? spread_ms : interval_ms;
	const unsigned char *p;

	if (window == 0)
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		hash ^= *p;
		hash *= 1099511628211ULL;
	}
	return hash % window;
}

/*
 * Returns 1 if a and b are the same source; see source.h.  Credentials
 * are not identity: a new token_file never reset a source, and a new
 * password in the URL's userinfo is a credential too, so rotating one
 * must keep the values, history and counters.  The URL without them is
 * also all the state file may hold (never a secret, nor a hash of one),
 * so comparing the redacted URLs gives the same answer on SIGHUP and
 * across a restart.
 */
int
source_same(const struct config_source *a, const struct config_source *b)
{
	char *ra, *rb;
	int same;

	if (strcmp(a->src_name, b->src_name) != 0)
		return 0;
	/* The same text redacts the same: no need to parse it. */
	if (strcmp(a->src_url, b->src_url) == 0)
		return 1;
	ra = config_redact_url(a->src_url);
	rb = config_redact_url(b->src_url);
	/* Out of memory: a different source, as it was before the rule. */
	same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
	free(ra);
	free(rb);
	return same;
}

/* Returns 1 if strings a and b, either possibly NULL, are equal. */
static int
source_same_string(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Returns 1 if loaded sources a and b are the same on a reload. */
int
source_same_loaded(const struct config_source *a, const struct config_source *b)
{
	return source_same(a, b) && a->src_method == b->src_method &&
	    source_same_string(a->src_content_type, b->src_content_type) &&
	    a->src_body_len == b->src_body_len &&
	    (a->src_body_len == 0 ||
	        memcmp(a->src_body, b->src_body, a->src_body_len) == 0);
}

/*
 * Returns 1 if a and b are the same stat; see source.h.  A stat whose
 * pointer changed selects another value: its old values and history
 * would be another series under the same name.  A state file written
 * before pointers were saved has none: its stat is taken as matching, so
 * an upgrade loses no history.
 */
int
source_same_stat(const struct config_stat *a, const struct config_stat *b)
{
	return strcmp(a->cs_name, b->cs_name) == 0 &&
	    (a->cs_pointer == NULL || b->cs_pointer == NULL ||
	        strcmp(a->cs_pointer, b->cs_pointer) == 0);
}
