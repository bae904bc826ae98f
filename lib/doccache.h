/*
 * The API's rendered documents (all stats, one source's stats, the
 * sources view, /readyz), each kept as one shared response per cache
 * generation with its weak ETag, and its gzip copy made once for the
 * version when first asked for; answered with a 304 when the client has
 * either, and rendered again no more often than the render throttle
 * allows.  It also owns the once-a-second timer that expires values.
 */
#ifndef GATHERD_DOCCACHE_H
#define GATHERD_DOCCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <microhttpd.h>

#include "cache.h"

struct doccache;
struct reply_req;

/* Which whole document (one source's stats are by cache entry). */
enum doccache_which {
	DOCCACHE_STATS,
	DOCCACHE_SOURCES,
	DOCCACHE_READY,
};

/*
 * One encoding of a document's rendering and the response that carries
 * it: the identity one, or its gzip copy next to it in doccache_doc.
 */
struct doccache_body {
	struct MHD_Response *db_resp;
	const char *db_body; /* owned by db_resp, copied for CORS */
	size_t db_len;
};

/*
 * A rendered document: its version (generation, ETag) and its body, as
 * rendered and, once a client asked for it, in gzip (db_resp NULL until
 * then; made again only with the next rendering).
 */
struct doccache_doc {
	struct doccache_body dd_identity;
	struct doccache_body dd_gzip;
	uint64_t dd_generation; /* 0: not rendered yet */
	int64_t dd_rendered_at; /* monotonic microseconds */
	int64_t dd_render_us; /* how long the last render took */
	char dd_etag[32]; /* "generation", as clients send it */
	char dd_etag_header[36]; /* W/"generation" */
	char dd_etag_gzip[36]; /* "generation-gz": the gzip copy's */
	char dd_etag_gzip_header[40]; /* W/"generation-gz" */
};

/* Renders a document as of now; a new string the caller frees, or NULL. */
typedef char *(*doccache_render_fn)(void *arg, size_t *len);

/* Creates the documents of c and its expiry timer on base; NULL if not. */
struct doccache *doccache_new(struct event_base *base, struct cache *c);
/* Frees dc (its responses live on while requests send them). */
void doccache_free(struct doccache *dc);
/*
 * Serves c from now on (a reload): one source's documents start afresh,
 * the whole ones render again on their next request.  0, or -1 (nothing
 * changed) if out of memory.
 */
int doccache_reload(struct doccache *dc, struct cache *c);
/* Returns the whole document which. */
struct doccache_doc *doccache_doc(struct doccache *dc, enum doccache_which w);
/* Returns the stats document of c's entry e. */
struct doccache_doc *
doccache_source(struct doccache *dc, const struct cache_entry *e);
/*
 * Serves doc at generation gen, rendering it with render(arg) first if
 * doccache_due says so; a 304 if the client has it already.
 */
enum MHD_Result
doccache_serve(const struct reply_req *rq, struct doccache_doc *doc,
    uint64_t gen, doccache_render_fn render, void *arg);
/*
 * Makes body (len bytes, taken) doc's version gen, rendered at now
 * (monotonic us); its gzip copy goes.  0, or -1 (doc unchanged).
 */
int doccache_put(struct doccache_doc *doc, uint64_t gen, int64_t now,
    char *body, size_t len);
/*
 * Returns doc's body to send: the gzip copy if gzip (made now if this
 * version has none yet), else, or if the body is too small to gain or
 * cannot be compressed, the identity one.
 */
const struct doccache_body *doccache_body(struct doccache_doc *doc, int gzip);
/* Makes doc render again on its next request, throttle or not. */
void doccache_expire(struct doccache_doc *doc);
/* Returns 1 if doc must be rendered again for gen at now (mono us). */
int doccache_due(const struct doccache_doc *doc, uint64_t gen, int64_t now);
/* Returns 1 if the If-None-Match value inm names etag (or is "*"). */
int doccache_etag_matches(const char *inm, const char *etag);

#endif
