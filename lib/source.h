/*
 * What can go wrong with a source, where in its interval it polls, and
 * what makes it the same source across a reload or a restart.  The error
 * kinds are the fixed list of the HTTP API's error.kind; the phase is a
 * deterministic offset from the source's name so that first polls spread
 * out and later polls keep their place.
 */
#ifndef GATHERD_SOURCE_H
#define GATHERD_SOURCE_H

#include <stdint.h>

enum source_err {
	SOURCE_ERR_NONE = 0,
	SOURCE_ERR_DNS,
	SOURCE_ERR_CONNECT,
	SOURCE_ERR_TLS,
	SOURCE_ERR_TIMEOUT,
	SOURCE_ERR_HTTP_STATUS,
	SOURCE_ERR_NOT_JSON,
	SOURCE_ERR_PARSE,
	SOURCE_ERR_TOO_LARGE,
	SOURCE_ERR_MISSING_STAT,
	SOURCE_ERR_RATE_LIMITED,
	SOURCE_ERR_CIRCUIT_OPEN,
	SOURCE_ERR_AUTH,
	SOURCE_ERR_API_ERROR,
	SOURCE_ERR_INTERNAL,
};

#define SOURCE_ERR_MSG_LEN 256

struct config_source;
struct config_stat;

/* One failed poll, as the API shows it. */
struct source_error {
	enum source_err se_kind;
	int se_http_status; /* 0 when there was no response */
	int64_t se_at; /* wall ms */
	char se_message[SOURCE_ERR_MSG_LEN];
};

/* Returns the API's one-word name of kind ("timeout"). */
const char *source_err_name(enum source_err kind);
/* Fills err with kind, HTTP status, time and a printf-style message. */
void source_error_set(struct source_error *err, enum source_err kind,
    int http_status, int64_t at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Returns the offset in ms of name's polls inside min(spread, interval). */
uint64_t
source_phase_ms(const char *name, uint64_t spread_ms, uint64_t interval_ms);

/*
 * Returns 1 if a and b are the same source, whose state (values, history,
 * counters, backoff, validators) carries over from one to the other: the
 * same name and the same URL once credentials are removed.  b may be a
 * saved source with only its name and URL (without credentials) set.
 */
int source_same(const struct config_source *a, const struct config_source *b);
/*
 * Returns 1 if a and b, two loaded sources, are the same source on a
 * reload: source_same, and the same method, content type and body (as
 * written, templates unexpanded), since another query is another series.
 * A state file holds no body (it may hold a literal key), so a restart
 * cannot tell a changed body: only source_same applies there.
 */
int source_same_loaded(
    const struct config_source *a, const struct config_source *b);
/*
 * Returns 1 if a and b are the same stat, whose values and history carry
 * over: the same name and JSON pointer.  A NULL pointer (from a state
 * file written before pointers were saved) matches any pointer.
 */
int source_same_stat(const struct config_stat *a, const struct config_stat *b);

#endif
