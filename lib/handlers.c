/*
 * The API's handlers, one per route.  The documents that every
 * dashboard asks for are served from the document cache; /metrics,
 * /api/v1/info and a source's history are rendered per request, as
 * what they show moves without the cache generation (and compressed
 * per request for a client that accepts gzip); event streams are
 * handed to the events module and files to the files module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "doccache.h"
#include "filegz.h"
#include "files.h"
#include "gzip.h"
#include "handlers.h"
#include "history_range.h"
#include "log.h"
#include "openapi.h"
#include "render.h"
#include "timeutil.h"

static const char handlers_healthz_body[] = "{\"status\":\"ok\"}\n";

/* Bytes of /metrics text rendered at a time for its gzip form. */
#define HANDLERS_SCRAPE_PIECE 16384

/* A /metrics response being sent, piece by piece; in hd_scrapes. */
struct handlers_scrape {
	struct metrics_stream *hs_stream;
	struct gzip_stream *hs_gzip; /* NULL: sent as it is */
	char *hs_text; /* HANDLERS_SCRAPE_PIECE bytes for hs_gzip's input */
	struct handlers_scrape *hs_next;
	struct handlers_scrape **hs_prevp; /* the pointer that points at it */
};

struct handlers {
	const struct config *hd_cf;
	struct cache *hd_cache;
	struct events *hd_events; /* the api's */
	struct metrics_counters *hd_counters; /* the api's */
	struct doccache *hd_docs;
	struct files *hd_files; /* web_root, or NULL if it cannot be read */
	struct filegz *hd_filegz; /* gzip copies of hd_files' files */
	struct MHD_Response *hd_healthz;
	struct openapi *hd_openapi; /* GET /api/v1/openapi.json */
	struct handlers_scrape *hd_scrapes; /* /metrics being sent */
	struct render_reload hd_reload;
	const struct cluster *hd_cluster; /* NULL alone */
	int64_t hd_started_at; /* wall ms */
};

/* Creates the responses that never change (healthz, openapi); 0 or -1. */
static int
handlers_make_static(struct handlers *h)
{
	h->hd_healthz =
	    MHD_create_response_from_buffer(sizeof handlers_healthz_body - 1,
	        (void *)handlers_healthz_body, MHD_RESPMEM_PERSISTENT);
	if (h->hd_healthz == NULL || reply_json_headers(h->hd_healthz) == -1 ||
	    (h->hd_openapi = openapi_new()) == NULL)
		return -1;
	return 0;
}

/* Creates the handlers of c on base; see handlers.h. */
struct handlers *
handlers_new(struct event_base *base, const struct config *cf, struct cache *c,
    struct events *ev, struct metrics_counters *mc)
{
	struct handlers *h;

	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->hd_cf = cf;
	h->hd_cache = c;
	h->hd_events = ev;
	h->hd_counters = mc;
	h->hd_started_at = timeutil_wall_ms();
	if ((h->hd_docs = doccache_new(base, c)) == NULL ||
	    (h->hd_filegz = filegz_new()) == NULL ||
	    handlers_make_static(h) == -1)
		goto fail;
	/* The API works without the dashboard; say so and go on. */
	if ((h->hd_files = files_new(cf->cf_web_root)) == NULL)
		log_warnx("web_root %s: the dashboard will not be served",
		    cf->cf_web_root);
	return h;
fail:
	handlers_free(h);
	return NULL;
}

/* Frees h; NULL is allowed. */
void
handlers_free(struct handlers *h)
{
	if (h == NULL)
		return;
	files_free(h->hd_files);
	filegz_free(h->hd_filegz);
	doccache_free(h->hd_docs);
	openapi_free(h->hd_openapi);
	if (h->hd_healthz != NULL)
		MHD_destroy_response(h->hd_healthz);
	free(h);
}

/* Serves cf and c from now on (a reload); see handlers.h. */
int
handlers_reload(struct handlers *h, const struct config *cf, struct cache *c)
{
	struct handlers_scrape *hs;
	struct files *files = NULL;
	struct filegz *gz = NULL;

	if (doccache_reload(h->hd_docs, c) == -1)
		return -1;
	if (strcmp(cf->cf_web_root, h->hd_cf->cf_web_root) != 0 &&
	    (files = files_new(cf->cf_web_root)) == NULL)
		log_warnx("web_root %s: keeping %s", cf->cf_web_root,
		    h->hd_cf->cf_web_root);
	if (files != NULL && (gz = filegz_new()) == NULL) {
		files_free(files);
		files = NULL;
	}
	if (files != NULL) {
		/* Another root's files: none of the copies are theirs. */
		files_free(h->hd_files);
		filegz_free(h->hd_filegz);
		h->hd_files = files;
		h->hd_filegz = gz;
	}
	h->hd_cf = cf;
	/* Scrapes under way finish with the old cache before it goes. */
	for (hs = h->hd_scrapes; hs != NULL; hs = hs->hs_next)
		metrics_stream_finish(hs->hs_stream);
	h->hd_cache = c;
	return 0;
}

/* Shows cl in /readyz, /api/v1/info and /metrics. */
void
handlers_set_cluster(struct handlers *h, const struct cluster *cl)
{
	h->hd_cluster = cl;
	h->hd_counters->mc_cluster = cl;
}

/* Records how a reload went, for /readyz: err NULL if it worked. */
void
handlers_reload_result(struct handlers *h, const char *err)
{
	h->hd_reload.rl_at = timeutil_wall_ms();
	snprintf(h->hd_reload.rl_error, sizeof h->hd_reload.rl_error, "%s",
	    err != NULL ? err : "");
	/* /readyz must show it at once. */
	doccache_expire(doccache_doc(h->hd_docs, DOCCACHE_READY));
}

/* Renders GET /api/v1/stats as of now (a doccache_render_fn). */
static char *
handlers_render_stats(void *arg, size_t *len)
{
	struct handlers *h = arg;

	return render_stats(h->hd_cache, timeutil_wall_ms(), len);
}

/* Renders GET /api/v1/stats/NAME for the entry arg as of now. */
static char *
handlers_render_source_stats(void *arg, size_t *len)
{
	const struct cache_entry *e = arg;

	return render_source_stats(e, timeutil_wall_ms(), len);
}

/* Renders GET /api/v1/sources as of now. */
static char *
handlers_render_sources(void *arg, size_t *len)
{
	struct handlers *h = arg;

	return render_sources(h->hd_cache, timeutil_wall_ms(), len);
}

/* Renders GET /readyz as of now. */
static char *
handlers_render_ready(void *arg, size_t *len)
{
	struct handlers *h = arg;

	return render_ready(
	    h->hd_cache, h->hd_cluster, timeutil_wall_ms(), &h->hd_reload, len);
}

/* Serves GET /healthz. */
enum MHD_Result
handlers_healthz(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	return reply_queue_shared(rq, MHD_HTTP_OK, h->hd_healthz,
	    handlers_healthz_body, sizeof handlers_healthz_body - 1);
}

/* Serves GET /api/v1/openapi.json, the API's description. */
enum MHD_Result
handlers_openapi(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	return openapi_serve(h->hd_openapi, rq);
}

/* Serves GET /readyz. */
enum MHD_Result
handlers_readyz(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	/* The cluster's state is in it too: kept per (generation, state). */
	return doccache_serve(rq, doccache_doc(h->hd_docs, DOCCACHE_READY),
	    cache_generation(h->hd_cache) * 2 +
	        (uint64_t)(h->hd_cluster != NULL &&
	            !cluster_is_up(h->hd_cluster)),
	    handlers_render_ready, h);
}

/* Serves GET /api/v1/stats. */
enum MHD_Result
handlers_stats(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	return doccache_serve(rq, doccache_doc(h->hd_docs, DOCCACHE_STATS),
	    cache_generation(h->hd_cache), handlers_render_stats, h);
}

/* Serves GET /api/v1/stats/NAME. */
enum MHD_Result
handlers_source_stats(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	struct cache_entry *e;

	if ((e = cache_find(h->hd_cache, m->rm_rest)) == NULL)
		return reply_error(rq, 404, "no such source", NULL, NULL);
	return doccache_serve(rq, doccache_source(h->hd_docs, e),
	    e->ce_generation, handlers_render_source_stats, e);
}

/* Serves GET /api/v1/sources. */
enum MHD_Result
handlers_sources(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	return doccache_serve(rq, doccache_doc(h->hd_docs, DOCCACHE_SOURCES),
	    cache_generation(h->hd_cache), handlers_render_sources, h);
}

/* Serves GET /api/v1/info; per request, as the stream count moves. */
enum MHD_Result
handlers_info(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	size_t len = 0;
	char *body;

	body = render_info(h->hd_cache, h->hd_cluster, h->hd_started_at,
	    timeutil_wall_ms(), events_count(h->hd_events), &len);
	return reply_once(rq, body, len);
}

/* Returns 1 if the query has argument name, with a value or without. */
static int
handlers_has_arg(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, name,
	           strlen(name), NULL, NULL) == MHD_YES;
}

/*
 * Reads query argument name, unix seconds as an integer or a decimal
 * ("1764460800", "1764460800.25"; no sign, exponent or spaces) up to
 * 10^12, into *ms; 0 if it is absent, 1 if read, -1 if it is not that.
 */
static int
handlers_seconds_arg(struct MHD_Connection *conn, const char *name, int64_t *ms)
{
	const char *arg = NULL, *dot;
	size_t n = 0;
	double secs;

	if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, name,
	        strlen(name), &arg, &n) != MHD_YES)
		return 0;
	/* Digits and one inner point, all n bytes of it: strtod alone
	 * would take signs, exponents, hex, "inf", leading spaces, and
	 * stop at a %00.  "from" without "=" has no value (NULL). */
	if (arg == NULL || n == 0 || strspn(arg, "0123456789.") != n ||
	    arg[0] == '.' || arg[n - 1] == '.')
		return -1;
	dot = strchr(arg, '.');
	if (dot != NULL && strchr(dot + 1, '.') != NULL)
		return -1;
	secs = strtod(arg, NULL);
	if (secs > 1e12)
		return -1;
	*ms = (int64_t)(secs * 1000.0 + 0.5); /* to the nearest ms */
	return 1;
}

/*
 * Serves the range form, from=&to=&step=, of stat i of e: reads and
 * checks the three, 400 with a message naming the one at fault.
 */
static enum MHD_Result
handlers_history_range(const struct reply_req *rq, const struct cache_entry *e,
    int i, int has_from, int64_t from_ms)
{
	struct MHD_Connection *conn = rq->rq_conn;
	int64_t to_ms = 0, step_ms = 0;
	const char *why;
	size_t len = 0;
	int has_to;
	char *body;

	if (has_from == -1)
		return reply_error(
		    rq, 400, "from= must be unix seconds", NULL, NULL);
	if ((has_to = handlers_seconds_arg(conn, "to", &to_ms)) == -1)
		return reply_error(
		    rq, 400, "to= must be unix seconds", NULL, NULL);
	switch (handlers_seconds_arg(conn, "step", &step_ms)) {
	case -1:
		return reply_error(
		    rq, 400, "step= must be seconds", NULL, NULL);
	case 0:
		return reply_error(rq, 400,
		    has_from ? "from= needs step="
		             : "to= needs from= and step=",
		    NULL, NULL);
	}
	if (!has_from)
		return reply_error(rq, 400, "step= needs from=", NULL, NULL);
	if (handlers_has_arg(conn, "since"))
		return reply_error(
		    rq, 400, "since= does not go with from=", NULL, NULL);
	if (!has_to) {
		to_ms = timeutil_wall_ms();
		if (from_ms >= to_ms)
			return reply_error(rq, 400,
			    "from= must be before now (to= when left out)",
			    NULL, NULL);
	}
	if ((why = history_range_check(from_ms, to_ms, step_ms)) != NULL)
		return reply_error(rq, 400, why, NULL, NULL);
	/* Per query, like the plain form: not kept. */
	body = render_history_range(e, i, from_ms, to_ms, step_ms, &len);
	return reply_once(rq, body, len);
}

/*
 * Serves GET /api/v1/sources/NAME/history?stat=STAT[&since=UNIX], and
 * its range form with from=UNIX[&to=UNIX]&step=SECONDS.
 */
enum MHD_Result
handlers_history(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	struct MHD_Connection *conn = rq->rq_conn;
	const char *stat, *since;
	struct cache_entry *e;
	char *body, *end;
	int64_t since_ms = 0, from_ms = 0;
	size_t len = 0;
	double secs;
	int i, has_from;

	if ((e = cache_find(h->hd_cache, m->rm_name)) == NULL)
		return reply_error(rq, 404, "no such source", NULL, NULL);
	stat = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "stat");
	if (stat == NULL)
		return reply_error(rq, 400, "stat= is required", NULL, NULL);
	if ((i = cache_stat_index(e, stat)) == -1)
		return reply_error(rq, 404, "no such stat", NULL, NULL);
	has_from = handlers_seconds_arg(conn, "from", &from_ms);
	if (has_from != 0 || handlers_has_arg(conn, "to") ||
	    handlers_has_arg(conn, "step"))
		return handlers_history_range(rq, e, i, has_from, from_ms);
	since =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	if (since != NULL) {
		secs = strtod(since, &end);
		if (*since == '\0' || *end != '\0' || !(secs >= 0.0) ||
		    secs > 1e12)
			return reply_error(
			    rq, 400, "since= must be unix seconds", NULL, NULL);
		since_ms = (int64_t)(secs * 1000.0);
	}
	/* Per query, so not kept: a small document, asked for rarely. */
	body = render_history(e, i, since_ms, &len);
	return reply_once(rq, body, len);
}

/*
 * HEAD of a body made as it is sent (the event stream, /metrics): its
 * headers, no body made.  MHD would end a HEAD of a chunked response
 * with the last chunk ("0"), bytes the client reads as the next
 * response's start.
 */
static enum MHD_Result
handlers_head(const struct reply_req *rq, const char *content_type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    reply_decorate_cb((void *)rq, rq->rq_conn, r) == -1) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(rq->rq_conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Serves GET /api/v1/events: hands the connection to the streams. */
enum MHD_Result
handlers_events(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	if (strcmp(rq->rq_method, MHD_HTTP_METHOD_HEAD) == 0)
		return handlers_head(rq, "text/event-stream");
	if (events_serve(
	        h->hd_events, rq->rq_conn, reply_decorate_cb, (void *)rq) == -1)
		return reply_error(
		    rq, 503, "too many event streams", NULL, NULL);
	return MHD_YES;
}

/*
 * Writes the next piece of hs's gzip form into buf (at most max bytes),
 * rendering text as deflate asks for it; returns MHD's reader result.
 */
static ssize_t
handlers_metrics_gzip(struct handlers_scrape *hs, char *buf, size_t max)
{
	long n, w;

	for (;;) {
		if (gzip_stream_hungry(hs->hs_gzip)) {
			n = metrics_stream_read(
			    hs->hs_stream, hs->hs_text, HANDLERS_SCRAPE_PIECE);
			if (n < 0)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			gzip_stream_feed(
			    hs->hs_gzip, hs->hs_text, (size_t)n, n == 0);
		}
		if ((w = gzip_stream_drain(hs->hs_gzip, buf, max)) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (w > 0)
			return (ssize_t)w;
		if (gzip_stream_done(hs->hs_gzip))
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* Nothing out: deflate took all its input and wants more. */
		if (!gzip_stream_hungry(hs->hs_gzip))
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
}

/* MHD's reader for /metrics: the next piece, or the end. */
static ssize_t
handlers_metrics_read_cb(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct handlers_scrape *hs = arg;
	long n;

	if (hs->hs_gzip != NULL)
		return handlers_metrics_gzip(hs, buf, max);
	n = metrics_stream_read(hs->hs_stream, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

/* Frees a /metrics response's state. */
static void
handlers_metrics_free_cb(void *arg)
{
	struct handlers_scrape *hs = arg;

	if (hs->hs_next != NULL)
		hs->hs_next->hs_prevp = hs->hs_prevp;
	*hs->hs_prevp = hs->hs_next;
	metrics_stream_free(hs->hs_stream);
	gzip_stream_free(hs->hs_gzip);
	free(hs->hs_text);
	free(hs);
}

/*
 * Serves GET /metrics.  Rendered per request and never kept: the HTTP
 * counters move with every request (the last scrape's included) and
 * event streams come and go without the cache generation moving, so a
 * copy kept on (generation, requests) would never be reused.  No ETag.
 * It is rendered as it is sent, a slice of sources at a time, so a
 * scrape of 10,000 sources does not hold their 20 MB of text; a reload
 * renders what is left of a scrape under way before the cache goes.
 * A scraper that accepts gzip gets it compressed as it goes, so it too
 * is sent chunked, without a Content-Length.
 */
enum MHD_Result
handlers_metrics(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	struct handlers_scrape *hs;
	struct MHD_Response *r;

	if (strcmp(rq->rq_method, MHD_HTTP_METHOD_HEAD) == 0)
		return handlers_head(rq, METRICS_CONTENT_TYPE);
	if ((hs = calloc(1, sizeof *hs)) == NULL)
		return MHD_NO;
	hs->hs_stream = metrics_stream_new(h->hd_cache, h->hd_counters,
	    h->hd_started_at, events_count(h->hd_events), timeutil_wall_ms());
	if (reply_accepts_gzip(rq) &&
	    ((hs->hs_gzip = gzip_stream_new(GZIP_LEVEL)) == NULL ||
	        (hs->hs_text = malloc(HANDLERS_SCRAPE_PIECE)) == NULL)) {
		metrics_stream_free(hs->hs_stream);
		hs->hs_stream = NULL;
	}
	if (hs->hs_stream == NULL) {
		gzip_stream_free(hs->hs_gzip);
		free(hs->hs_text);
		free(hs);
		return reply_error(rq, 500, "cannot render", NULL, NULL);
	}
	if ((hs->hs_next = h->hd_scrapes) != NULL)
		hs->hs_next->hs_prevp = &hs->hs_next;
	hs->hs_prevp = &h->hd_scrapes;
	h->hd_scrapes = hs;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
	    handlers_metrics_read_cb, hs, handlers_metrics_free_cb);
	if (r == NULL) {
		handlers_metrics_free_cb(hs);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	        METRICS_CONTENT_TYPE) != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    reply_encoded_headers(r) == -1 ||
	    (hs->hs_gzip != NULL &&
	        MHD_add_response_header(
	            r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return reply_send(rq, MHD_HTTP_OK, r);
}

/*
 * Serves a static file of the dashboard from web_root, from its gzip
 * copy (made once per version of the file) if the client accepts it.
 */
enum MHD_Result
handlers_file(
    struct handlers *h, const struct reply_req *rq, const struct route_match *m)
{
	struct files_result fr;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char modified[64];
	const char *ims, *gz;
	size_t gzlen = 0;
	time_t mtime, since;
	struct tm tm;

	if (h->hd_files == NULL ||
	    files_open(h->hd_files, m->rm_rest, &fr) == -1)
		return errno == ENOENT || h->hd_files == NULL
		    ? reply_error(rq, 404, "not found", NULL, NULL)
		    : reply_error(rq, 500, "cannot read the file", NULL, NULL);
	ims = MHD_lookup_connection_value(
	    rq->rq_conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (ims != NULL && (since = curl_getdate(ims, NULL)) != -1 &&
	    (int64_t)since >= fr.fr_mtime) {
		/* Unchanged since the browser's copy: no body. */
		close(fr.fr_fd);
		if ((r = MHD_create_response_from_buffer(
		         0, NULL, MHD_RESPMEM_PERSISTENT)) == NULL)
			return MHD_NO;
		ret = MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
		          fr.fr_cache_control) == MHD_YES &&
		        reply_encoded_headers(r) == 0
		    ? reply_queue(rq, MHD_HTTP_NOT_MODIFIED, r)
		    : MHD_NO;
		MHD_destroy_response(r);
		return ret;
	}
	if (reply_accepts_gzip(rq) &&
	    (gz = filegz_get(h->hd_filegz, m->rm_rest, &fr, &gzlen)) != NULL) {
		/* A copy: the next version may replace fg's while it goes. */
		close(fr.fr_fd);
		r = MHD_create_response_from_buffer(
		    gzlen, (void *)gz, MHD_RESPMEM_MUST_COPY);
		if (r == NULL ||
		    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
		        "gzip") != MHD_YES) {
			if (r != NULL)
				MHD_destroy_response(r);
			return MHD_NO;
		}
	} else if ((r = MHD_create_response_from_fd64(fr.fr_size, fr.fr_fd)) ==
	    NULL) {
		/* MHD owns the fd from here and closes it with the response. */
		close(fr.fr_fd);
		return MHD_NO;
	}
	mtime = (time_t)fr.fr_mtime;
	if (gmtime_r(&mtime, &tm) == NULL ||
	    strftime(modified, sizeof modified, "%a, %d %b %Y %H:%M:%S GMT",
	        &tm) == 0)
		modified[0] = '\0';
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	        fr.fr_content_type) != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	        fr.fr_cache_control) != MHD_YES ||
	    MHD_add_response_header(r, "Content-Security-Policy", REPLY_CSP) !=
	        MHD_YES ||
	    reply_encoded_headers(r) == -1 ||
	    (modified[0] != '\0' &&
	        MHD_add_response_header(
	            r, MHD_HTTP_HEADER_LAST_MODIFIED, modified) != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return reply_send(rq, MHD_HTTP_OK, r);
}
