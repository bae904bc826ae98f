/*
 * GET /metrics: the cache and the process counters rendered in the
 * Prometheus text exposition format 0.0.4.  The poll counters of each
 * source are pollstats' (in each cache entry); this module owns struct
 * metrics_counters, kept by the api (responses by status, config
 * reloads).  Rendering is pure: it takes the cache, the counters and the
 * time.
 */
#ifndef GATHERD_METRICS_H
#define GATHERD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* HTTP status codes counted: 100 to 599. */
#define METRICS_HTTP_MIN 100
#define METRICS_HTTP_CODES 500
/* Content-Type of the exposition format. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The process counters the api keeps; all zero is a valid start. */
struct metrics_counters {
	uint64_t mc_http[METRICS_HTTP_CODES]; /* responses by status - 100 */
	uint64_t mc_reloads_ok;
	uint64_t mc_reloads_failed;
	const struct cluster *mc_cluster; /* cluster mode, or NULL */
};

struct cache;
struct cluster;

/* Returns the name of result i in gatherd_polls_total ("ok", "dns"). */
const char *metrics_result_name(enum source_err kind);
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
