/*
 * Each document (all stats, one source's stats, the sources view,
 * /readyz) is rendered the first time it is asked for after the cache
 * changed, kept as one MHD_Response and queued to every request until
 * the next change (MHD counts the references).  The cache generation is
 * the ETag, so an unchanged document costs a 304 and no JSON work at
 * all.  So that ages stay true, a document asked for more than a second
 * after it was rendered is rendered again; its weak ETag stays, as its
 * data did.  Values passing max_age are a change like any other: a
 * timer checks for them once a second.  A client that accepts gzip gets
 * the document's gzip copy, made by the first such request after each
 * rendering and shared like the document, under its own ETag
 * ("generation-gz", so that caches keep the two apart); If-None-Match
 * naming either form is a 304.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <microhttpd.h>

#include "doccache.h"
#include "gzip.h"
#include "reply.h"
#include "timeutil.h"

/* Ages in a document move by seconds: older than this, render again. */
#define DOCCACHE_AGE_REFRESH_US 1000000
/* A render waits this many times what the last one took. */
#define DOCCACHE_RENDER_SHARE 10
/* A render this quick (microseconds) is never held back. */
#define DOCCACHE_RENDER_FREE_US 1000

struct doccache {
	struct cache *dc_cache;
	struct event *dc_expiry; /* once a second: values expiring */
	struct doccache_doc dc_whole[DOCCACHE_READY + 1];
	struct doccache_doc *dc_sources; /* one per cache entry */
	size_t dc_nsources;
};

/* Drops db's response (requests sending it keep it until done). */
static void
doccache_drop(struct doccache_body *db)
{
	if (db->db_resp != NULL)
		MHD_destroy_response(db->db_resp);
	memset(db, 0, sizeof *db);
}

/* Drops doc's responses. */
static void
doccache_clear(struct doccache_doc *doc)
{
	doccache_drop(&doc->dd_identity);
	doccache_drop(&doc->dd_gzip);
	doc->dd_generation = 0;
}

/* Once a second: values passing max_age are a change like any other. */
static void
doccache_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct doccache *dc = arg;

	cache_check_expiry(dc->dc_cache, timeutil_wall_ms());
}

/* Returns one stats document per entry of c, unrendered; NULL if not. */
static struct doccache_doc *
doccache_sources_new(struct cache *c)
{
	return calloc(
	    cache_count(c) ? cache_count(c) : 1, sizeof(struct doccache_doc));
}

/* Creates the documents of c and its expiry timer; see doccache.h. */
struct doccache *
doccache_new(struct event_base *base, struct cache *c)
{
	struct timeval second = {1, 0};
	struct doccache *dc;

	if ((dc = calloc(1, sizeof *dc)) == NULL)
		return NULL;
	dc->dc_cache = c;
	dc->dc_sources = doccache_sources_new(c);
	dc->dc_nsources = cache_count(c);
	dc->dc_expiry = event_new(base, -1, EV_PERSIST, doccache_expiry_cb, dc);
	if (dc->dc_sources == NULL || dc->dc_expiry == NULL ||
	    event_add(dc->dc_expiry, &second) == -1)
		goto fail;
	return dc;
fail:
	doccache_free(dc);
	return NULL;
}

/* Frees dc's documents and timer; NULL is allowed. */
void
doccache_free(struct doccache *dc)
{
	size_t i;

	if (dc == NULL)
		return;
	if (dc->dc_expiry != NULL)
		event_free(dc->dc_expiry);
	for (i = 0; i <= DOCCACHE_READY; i++)
		doccache_clear(&dc->dc_whole[i]);
	for (i = 0; dc->dc_sources != NULL && i < dc->dc_nsources; i++)
		doccache_clear(&dc->dc_sources[i]);
	free(dc->dc_sources);
	free(dc);
}

/* Serves c from now on (a reload); see doccache.h. */
int
doccache_reload(struct doccache *dc, struct cache *c)
{
	struct doccache_doc *docs;
	size_t i;

	if ((docs = doccache_sources_new(c)) == NULL)
		return -1;
	for (i = 0; i < dc->dc_nsources; i++)
		doccache_clear(&dc->dc_sources[i]);
	free(dc->dc_sources);
	/* The whole documents show the new sources on their next request. */
	for (i = 0; i <= DOCCACHE_READY; i++)
		doccache_expire(&dc->dc_whole[i]);
	dc->dc_sources = docs;
	dc->dc_nsources = cache_count(c);
	dc->dc_cache = c;
	return 0;
}

/* Returns the whole document w. */
struct doccache_doc *
doccache_doc(struct doccache *dc, enum doccache_which w)
{
	return &dc->dc_whole[w];
}

/* Returns the stats document of e. */
struct doccache_doc *
doccache_source(struct doccache *dc, const struct cache_entry *e)
{
	return &dc->dc_sources[e->ce_index];
}

/*
 * Makes doc render again on its next request, whatever the cache
 * generation and not held back by the render throttle: for changes the
 * throttle is not meant for, such as a reload.
 */
void
doccache_expire(struct doccache_doc *doc)
{
	doc->dd_generation = 0;
	doc->dd_render_us = 0;
}

/* Makes body doc's version gen, rendered at now; see doccache.h. */
int
doccache_put(
    struct doccache_doc *doc, uint64_t gen, int64_t now, char *body, size_t len)
{
	struct MHD_Response *r;

	if ((r = reply_json(body, len)) == NULL)
		return -1;
	snprintf(doc->dd_etag, sizeof doc->dd_etag, "\"%llu\"",
	    (unsigned long long)gen);
	snprintf(doc->dd_etag_header, sizeof doc->dd_etag_header, "W/%s",
	    doc->dd_etag);
	snprintf(doc->dd_etag_gzip, sizeof doc->dd_etag_gzip, "\"%llu-gz\"",
	    (unsigned long long)gen);
	snprintf(doc->dd_etag_gzip_header, sizeof doc->dd_etag_gzip_header,
	    "W/%s", doc->dd_etag_gzip);
	if (MHD_add_response_header(
	        r, MHD_HTTP_HEADER_ETAG, doc->dd_etag_header) != MHD_YES) {
		MHD_destroy_response(r);
		return -1;
	}
	doccache_drop(&doc->dd_identity);
	doccache_drop(&doc->dd_gzip);
	doc->dd_identity.db_resp = r;
	doc->dd_identity.db_body = body;
	doc->dd_identity.db_len = len;
	doc->dd_generation = gen;
	doc->dd_rendered_at = now;
	return 0;
}

/* Returns 1 if a client that wants gzip gets doc's gzip copy. */
static int
doccache_gzips(const struct doccache_doc *doc, int gzip)
{
	return gzip && doc->dd_identity.db_len >= GZIP_MIN_BODY;
}

/* Makes doc's gzip copy of its current body; 0 or -1. */
static int
doccache_make_gzip(struct doccache_doc *doc)
{
	const struct doccache_body *id = &doc->dd_identity;
	struct MHD_Response *r;
	size_t len = 0;
	char *gz;

	gz = gzip_compress(id->db_body, id->db_len, GZIP_LEVEL, &len);
	if ((r = reply_json(gz, len)) == NULL)
		return -1;
	if (MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_ETAG, doc->dd_etag_gzip_header) != MHD_YES) {
		MHD_destroy_response(r);
		return -1;
	}
	doc->dd_gzip.db_resp = r;
	doc->dd_gzip.db_body = gz;
	doc->dd_gzip.db_len = len;
	return 0;
}

/*
 * Returns doc's body in gzip or not; see doccache.h.  The time the
 * compression takes counts as rendering time, for the throttle.
 */
const struct doccache_body *
doccache_body(struct doccache_doc *doc, int gzip)
{
	int64_t start;

	if (!doccache_gzips(doc, gzip))
		return &doc->dd_identity;
	if (doc->dd_gzip.db_resp == NULL) {
		start = timeutil_mono_us();
		if (doccache_make_gzip(doc) == -1)
			return &doc->dd_identity;
		doc->dd_render_us += timeutil_mono_us() - start;
	}
	return &doc->dd_gzip;
}

/* Returns 1 if the If-None-Match value names etag (or is "*"). */
int
doccache_etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p;

	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	for (p = inm; (p = strstr(p, etag)) != NULL; p += n) {
		if ((p == inm || p[-1] == ' ' || p[-1] == ',' ||
		        (p - inm >= 2 && p[-2] == 'W' && p[-1] == '/')) &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
	}
	return 0;
}

/*
 * Queues doc, in gzip if the client accepts it, or a 304 if the client
 * has this generation already, in either form.
 */
static enum MHD_Result
doccache_send(const struct reply_req *rq, struct doccache_doc *doc)
{
	const struct doccache_body *db;
	const char *inm;
	int gzip;

	gzip = doccache_gzips(doc, reply_accepts_gzip(rq));
	inm = MHD_lookup_connection_value(
	    rq->rq_conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (!doccache_etag_matches(inm, doc->dd_etag) &&
	    !doccache_etag_matches(inm, doc->dd_etag_gzip)) {
		db = doccache_body(doc, gzip);
		return reply_queue_shared(
		    rq, MHD_HTTP_OK, db->db_resp, db->db_body, db->db_len);
	}
	return reply_not_modified(
	    rq, gzip ? doc->dd_etag_gzip_header : doc->dd_etag_header);
}

/*
 * Returns 1 if doc must be rendered again: if the cache moved past gen,
 * or if its ages are over a second old: the same generation then gets
 * the same weak ETag, as only the ages moved on.  A big document is not
 * rendered again sooner than DOCCACHE_RENDER_SHARE times what its last
 * render took: with thousands of polls a second the cache moves on
 * every request, and rendering each time would make serving cost grow
 * with the polling rate.  Rendering then takes at most about a tenth of
 * the loop; a small document, rendered in under
 * DOCCACHE_RENDER_FREE_US, is always fresh.  The ETag stays the
 * generation the document shows.
 */
int
doccache_due(const struct doccache_doc *doc, uint64_t gen, int64_t now)
{
	return (doc->dd_generation != gen &&
	           (doc->dd_render_us < DOCCACHE_RENDER_FREE_US ||
	               now - doc->dd_rendered_at >=
	                   DOCCACHE_RENDER_SHARE * doc->dd_render_us)) ||
	    now - doc->dd_rendered_at >= DOCCACHE_AGE_REFRESH_US;
}

/* Serves doc at generation gen, rendered first if due; see doccache.h. */
enum MHD_Result
doccache_serve(const struct reply_req *rq, struct doccache_doc *doc,
    uint64_t gen, doccache_render_fn render, void *arg)
{
	int64_t now = timeutil_mono_us();
	size_t len = 0;
	char *body;

	if (doccache_due(doc, gen, now)) {
		body = render(arg, &len);
		if (doccache_put(doc, gen, now, body, len) == -1)
			return reply_error(
			    rq, 500, "cannot render", NULL, NULL);
		doc->dd_render_us = timeutil_mono_us() - now;
	}
	return doccache_send(rq, doc);
}
