/*
 * How a finished transfer went: curl's result, the HTTP status and the
 * response's rate-limit headers become an error kind, a message and the
 * server's hint of when to come back.  Pure: the caller passes what the
 * transfer reported and the clock, so every answer can be tested
 * exactly.  When to retry is the backoff's policy, not decided here.
 */
#ifndef GATHERD_OUTCOME_H
#define GATHERD_OUTCOME_H

#include <stdint.h>

#include <curl/curl.h>

#include "source.h"

/* Returns a response header of the finished transfer arg, or NULL. */
typedef const char *(*outcome_header_cb)(void *arg, const char *name);

/* What a finished transfer reported. */
struct outcome_in {
	CURLcode oi_rc;
	long oi_status; /* HTTP status, 0 if none */
	int oi_too_large; /* the body passed max_body */
	const char *oi_errbuf; /* curl's error text, or "" */
	uint64_t oi_max_body;
	int oi_validated; /* values held and sent with their validators */
	outcome_header_cb oi_header; /* read only when a hint may be there */
	void *oi_header_arg;
	int64_t oi_now_ms; /* wall clock, for HTTP-dates and reset times */
};

/* What to do with a finished transfer. */
enum outcome {
	OUTCOME_BODY, /* a 2xx: its body is for extract */
	OUTCOME_NOT_MODIFIED, /* a 304 for the values held: keep them */
	OUTCOME_FAILED, /* err and the hint are set */
};

/*
 * Classifies a finished transfer; for OUTCOME_FAILED fills err (no time)
 * and sets *hint_ms to the server's hint of when to retry, or -1.
 */
enum outcome outcome_classify(
    const struct outcome_in *in, struct source_error *err, int64_t *hint_ms);
/* Returns the error kind of a failed curl result (too_large: past cap). */
enum source_err outcome_curl_kind(CURLcode rc, int too_large);
/* Returns the server's hint for status in ms from its headers, or -1. */
int64_t outcome_hint(const struct outcome_in *in);
/* Returns " Reason phrase" for the statuses upstreams often send, or "". */
const char *outcome_reason(long status);

#endif
