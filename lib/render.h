/*
 * Renders the cache into the bytes the HTTP API serves: the stats
 * document, one source's stats, the operators' sources view and error
 * bodies.  Each call returns a new NUL-terminated string the caller
 * frees; callers render once per cache change and reuse the result.
 */
#ifndef GATHERD_RENDER_H
#define GATHERD_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "cluster.h"

/* How the last reload (SIGHUP) went, for /readyz. */
struct render_reload {
	int64_t rl_at; /* wall ms, 0 if there was none */
	char rl_error[512]; /* "FILE:LINE: message", empty if it worked */
};

/* Renders GET /api/v1/stats as of wall time now; NULL on error. */
char *render_stats(struct cache *c, int64_t now, size_t *len);
/* Renders the stats of the sources changed after generation since (an
 * SSE event); since 0 is every source. */
char *
render_stats_since(struct cache *c, uint64_t since, int64_t now, size_t *len);
/* Renders every source's stats marked "full": true (an SSE snapshot). */
char *render_snapshot(struct cache *c, int64_t now, size_t *len);
/* Renders the history of e's stat number i from since_ms on. */
char *render_history(
    const struct cache_entry *e, int i, int64_t since_ms, size_t *len);
/*
 * Renders the range form of the history of e's stat number i: [t, avg,
 * min, max] per step_ms from from_ms to to_ms (history_range_check must
 * pass); NULL on error.
 */
char *render_history_range(const struct cache_entry *e, int i, int64_t from_ms,
    int64_t to_ms, int64_t step_ms, size_t *len);
/* Renders GET /api/v1/info. */
char *render_info(struct cache *c, const struct cluster *cl, int64_t started_at,
    int64_t now, unsigned streams, size_t *len);
/* Renders GET /api/v1/stats/NAME for e as of now; NULL on error. */
char *
render_source_stats(const struct cache_entry *e, int64_t now, size_t *len);
/* Renders GET /api/v1/sources as of now; NULL on error. */
char *render_sources(struct cache *c, int64_t now, size_t *len);
/* Renders GET /readyz: ready, or degraded with the sources at fault. */
char *render_ready(struct cache *c, const struct cluster *cl, int64_t now,
    const struct render_reload *rl, size_t *len);
/* Renders {"error": {"status": status, "message": message}}. */
char *render_error(int status, const char *message, size_t *len);

#endif
