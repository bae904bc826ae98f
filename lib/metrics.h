/*
 * GET /metrics: the cache and the process counters rendered in the
 * Prometheus text exposition format 0.0.4.  This module also owns the
 * counters themselves: struct metrics_poll lives in each cache entry
 * (polls by result, a poll-duration histogram, bytes fetched) and struct
 * metrics_counters in the api (responses by status, config reloads).
 * Rendering is pure: it takes the cache, the counters and the time.
 */
#ifndef GATHERD_METRICS_H
#define GATHERD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* The finite upper bounds of the poll-duration histogram (+Inf apart). */
#define METRICS_BUCKETS 11
/* Results a poll can have: SOURCE_ERR_NONE is "ok", the rest failures. */
#define METRICS_RESULTS (SOURCE_ERR_INTERNAL + 1)
/* HTTP status codes counted: 100 to 599. */
#define METRICS_HTTP_MIN 100
#define METRICS_HTTP_CODES 500
/* Content-Type of the exposition format. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One source's poll counters; all zero is a valid start. */
struct metrics_poll {
	uint64_t mp_results[METRICS_RESULTS]; /* polls by result, 304s apart */
	uint64_t mp_not_modified; /* successful polls answered 304 */
	uint64_t mp_buckets[METRICS_BUCKETS]; /* transfers per bucket, not
	                                         cumulative; over 10 s: none */
	uint64_t mp_transfers; /* transfers timed: the histogram's count */
	uint64_t mp_usec; /* their total duration in microseconds */
	uint64_t mp_bytes; /* body bytes received, still compressed */
};

/* The process counters the api keeps; all zero is a valid start. */
struct metrics_counters {
	uint64_t mc_http[METRICS_HTTP_CODES]; /* responses by status - 100 */
	uint64_t mc_reloads_ok;
	uint64_t mc_reloads_failed;
};

struct cache;

/* Counts a successful poll; not_modified if the upstream answered 304. */
void metrics_poll_ok(struct metrics_poll *mp, int not_modified);
/* Counts a failed poll of kind. */
void metrics_poll_failed(struct metrics_poll *mp, enum source_err kind);
/* Counts a finished transfer that took usec and received bytes. */
void
metrics_poll_transfer(struct metrics_poll *mp, int64_t usec, uint64_t bytes);
/* Returns the name of result i in gatherd_polls_total ("ok", "dns"). */
const char *metrics_result_name(enum source_err kind);
/* Returns the upper bound of histogram bucket i in microseconds. */
int64_t metrics_bucket_usec(size_t i);
/* Counts one response queued with HTTP status (others are ignored). */
void metrics_count_response(struct metrics_counters *mc, unsigned status);
/* Counts a config reload that succeeded (ok) or failed. */
void metrics_count_reload(struct metrics_counters *mc, int ok);
/* Returns value escaped for a label ("\\", "\"", "\n"); NULL if no memory. */
char *metrics_escape_label(const char *value);
/*
 * Renders every metric family of c and mc as of wall time now (ms),
 * with the start time (wall ms) and the open event streams; a malloc'd
 * NUL-terminated string of *len bytes, or NULL if out of memory.
 */
char *metrics_render(struct cache *c, const struct metrics_counters *mc,
    int64_t started_at, unsigned streams, int64_t now, size_t *len);

struct metrics_stream;

/* Starts the same text as metrics_render, to be read piece by piece while
 * c lives; NULL if out of memory. */
struct metrics_stream *
metrics_stream_new(struct cache *c, const struct metrics_counters *mc,
    int64_t started_at, unsigned streams, int64_t now);
/* Copies up to max more bytes of the text to out; the number, 0 at the
 * end, or -1 if out of memory. */
long metrics_stream_read(struct metrics_stream *ms, char *out, size_t max);
/* Renders what is left of the text at once, so that ms no longer reads
 * the cache: before a reload frees it. */
void metrics_stream_finish(struct metrics_stream *ms);
/* Frees ms; NULL is allowed. */
void metrics_stream_free(struct metrics_stream *ms);

#endif
