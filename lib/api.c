/*
 * The HTTP API on libmicrohttpd, driven by our libevent loop: MHD runs
 * in external mode with epoll, so its epoll fd is one persistent read
 * event, and a timer from MHD_get_timeout covers its idle deadlines.
 *
 * Each document (all stats, one source's stats, the sources view) is
 * rendered the first time it is asked for after the cache changed, kept
 * as one MHD_Response and queued to every request until the next change
 * (MHD counts the references).  The cache generation is the ETag, so an
 * unchanged document costs a 304 and no JSON work at all.  So that ages
 * stay true, a document asked for more than a second after it was
 * rendered is rendered again; its weak ETag stays, as its data did.
 * /metrics is the exception, rendered per request (see api_get_metrics).
 *
 * Hostile clients meet MHD's limits (connections in all and per address,
 * memory per connection, which bounds URL and headers, an idle timeout)
 * and ours: a deadline for each request's head, which MHD's idle timeout
 * alone does not give against a client sending a byte at a time, an end
 * to connections whose client left halfway through a head (MHD would
 * count them until they time out), and a refusal of long URLs and of
 * any body before it is read.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <microhttpd.h>

#include "api.h"
#include "events.h"
#include "files.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "timeutil.h"

#define API_PREFIX_STATS "/api/v1/stats/"
#define API_PREFIX_SOURCES "/api/v1/sources/"

#define API_AGE_REFRESH_US 1000000 /* ages in a document move by seconds */
#define API_RENDER_SHARE 10
#define API_RENDER_FREE_US 1000 /* a render this quick is never held back */
#define API_URL_MAX 2048 /* bytes of the request target, query included */
#define API_CORS_MAX_AGE "600" /* seconds a browser may keep a preflight */

/* For the dashboard's files: nothing but our own, nothing inline. */
#define API_CSP                                                                \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; "        \
	"base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

static const char api_healthz_body[] = "{\"status\":\"ok\"}\n";

/* The documents the API renders. */
enum api_doc_kind {
	API_DOC_STATS,
	API_DOC_SOURCE_STATS,
	API_DOC_SOURCES,
	API_DOC_READY,
};

/* A rendered document and the response that carries it. */
struct api_doc {
	struct MHD_Response *d_resp;
	uint64_t d_generation; /* 0: not rendered yet */
	int64_t d_rendered_at; /* monotonic microseconds */
	int64_t d_render_us; /* how long the last render took */
	char d_etag[32]; /* "generation", as clients send it */
	char d_etag_header[36]; /* W/"generation" */
	const char *d_body; /* owned by d_resp, copied for CORS */
	size_t d_len;
};

/* One client connection, from accept to close (MHD's socket context). */
struct api_conn {
	struct api *ac_api;
	struct MHD_Connection *ac_conn;
	struct event *ac_deadline; /* armed while a request head is due */
	struct event *ac_hangup; /* the client closed, with the deadline */
	int ac_fd;
	int ac_hung_up;
	size_t ac_url_len; /* of the request being read */
};

struct api {
	struct event_base *a_base;
	const struct config *a_cf;
	struct cache *a_cache;
	struct MHD_Daemon *a_mhd;
	struct event *a_ev; /* MHD's epoll fd is readable */
	struct event *a_timer; /* MHD's next deadline */
	struct api_doc a_stats;
	struct api_doc a_sources;
	struct api_doc a_ready;
	struct events *a_events;
	struct event *a_expiry; /* once a second: values expiring */
	struct files *a_files; /* web_root, or NULL if it cannot be read */
	int64_t a_started_at; /* wall ms */
	struct render_reload a_reload;
	struct api_doc *a_source_stats; /* one per cache entry */
	struct MHD_Response *a_healthz;
	uint16_t a_port;
	struct metrics_counters a_counters; /* responses, reloads */
	struct api_metrics *a_scrapes; /* /metrics responses being sent */
	unsigned a_head_s; /* a request's head is due within it */
	int a_run_again; /* a connection closed: MHD may accept again */
};

/*
 * Adds the headers every response of ours carries; 0 or -1.  Vary:
 * Origin is there whether or not allow_origins is set (a reload may set
 * it): a cache must not hand one origin's answer to another.
 */
static int
api_common_headers(struct MHD_Response *r)
{
	if (MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") !=
	        MHD_YES ||
	    MHD_add_response_header(r, "Referrer-Policy", "no-referrer") !=
	        MHD_YES ||
	    MHD_add_response_header(r, "X-Frame-Options", "DENY") != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin") !=
	        MHD_YES)
		return -1;
	return 0;
}

/* Adds the headers every JSON response carries; 0 or -1. */
static int
api_json_headers(struct MHD_Response *r)
{
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	        "application/json") != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    api_common_headers(r) == -1)
		return -1;
	return 0;
}

/* Returns conn's context (NULL only if it could not be made). */
static struct api_conn *
api_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

/* Writes the client's numeric address into buf. */
static void
api_client_addr(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *info;
	const struct sockaddr *sa;
	socklen_t salen;

	snprintf(buf, len, "?");
	info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL || (sa = info->client_addr) == NULL)
		return;
	salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                  : sizeof(struct sockaddr_in);
	if (getnameinfo(sa, salen, buf, len, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, len, "?");
}

/* Returns the request's Origin if allow_origins lists it, else NULL. */
static const char *
api_cors_origin(struct MHD_Connection *conn)
{
	struct api_conn *ac = api_conn_of(conn);
	const struct config *cf;
	const char *origin;
	size_t i;

	if (ac == NULL)
		return NULL;
	cf = ac->ac_api->a_cf;
	origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	for (i = 0; origin != NULL && i < cf->cf_nallow_origins; i++) {
		if (strcasecmp(origin, cf->cf_allow_origins[i]) == 0)
			return origin;
	}
	return NULL;
}

/* Queues r, made for this request alone, with CORS headers if due. */
static enum MHD_Result
api_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
	const char *origin = api_cors_origin(conn);

	if (origin != NULL &&
	    MHD_add_response_header(r,
	        MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin) != MHD_YES)
		return MHD_NO;
	return MHD_queue_response(conn, status, r);
}

/* A shared response's headers being copied, and whether all were. */
struct api_copy {
	struct MHD_Response *cp_to;
	int cp_failed;
};

/* MHD header iterator: adds one header to the copy. */
static enum MHD_Result
api_copy_header_cb(
    void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct api_copy *cp = arg;

	/* MHD adds these itself as it sends. */
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0 ||
	    strcasecmp(key, MHD_HTTP_HEADER_DATE) == 0 ||
	    strcasecmp(key, MHD_HTTP_HEADER_CONNECTION) == 0)
		return MHD_YES;
	if (MHD_add_response_header(cp->cp_to, key, value) != MHD_YES) {
		cp->cp_failed = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/*
 * Queues r, a response shared by many requests, whose body is body.  A
 * request from an allowed origin gets a copy of it that also carries
 * the CORS header: a shared response cannot name one request's origin.
 */
static enum MHD_Result
api_queue_shared(struct MHD_Connection *conn, unsigned status,
    struct MHD_Response *r, const char *body, size_t len)
{
	struct api_copy cp = {NULL, 0};
	enum MHD_Result ret;

	if (api_cors_origin(conn) == NULL)
		return MHD_queue_response(conn, status, r);
	cp.cp_to = MHD_create_response_from_buffer(
	    len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (cp.cp_to == NULL)
		return MHD_NO;
	MHD_get_response_headers(r, api_copy_header_cb, &cp);
	ret = cp.cp_failed ? MHD_NO : api_queue(conn, status, cp.cp_to);
	MHD_destroy_response(cp.cp_to);
	return ret;
}

/* Returns a response owning the malloc'd body; NULL on error. */
static struct MHD_Response *
api_response(char *body, size_t len)
{
	struct MHD_Response *r;

	if (body == NULL)
		return NULL;
	r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (r == NULL) {
		free(body);
		return NULL;
	}
	if (api_json_headers(r) == -1) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* Queues a JSON error; extra header name/value may be NULL. */
static enum MHD_Result
api_error(struct MHD_Connection *conn, unsigned status, const char *message,
    const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;
	char *body;

	body = render_error((int)status, message, &len);
	if ((r = api_response(body, len)) == NULL)
		return MHD_NO;
	if (hname != NULL &&
	    MHD_add_response_header(r, hname, hvalue) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = api_queue(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Copies at most len - 1 bytes of s to buf, unprintable ones as '?'. */
static void
api_printable(char *buf, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
}

/*
 * Refuses a request with a JSON error and says so in one debug line:
 * the method and the client, never the URL's bytes or a header's value.
 */
static enum MHD_Result
api_refuse(struct MHD_Connection *conn, const char *method, unsigned status,
    const char *message, const char *hname, const char *hvalue)
{
	char addr[NI_MAXHOST], meth[24];

	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		api_client_addr(conn, addr, sizeof addr);
		api_printable(meth, sizeof meth, method);
		log_debug("api: refused %s from %s: %u %s", meth, addr, status,
		    message);
	}
	return api_error(conn, status, message, hname, hvalue);
}

/* Brings doc up to generation gen with body, rendered at now (us). */
static int
api_doc_update(
    struct api_doc *doc, uint64_t gen, int64_t now, char *body, size_t len)
{
	struct MHD_Response *r;

	if ((r = api_response(body, len)) == NULL)
		return -1;
	snprintf(doc->d_etag, sizeof doc->d_etag, "\"%llu\"",
	    (unsigned long long)gen);
	snprintf(
	    doc->d_etag_header, sizeof doc->d_etag_header, "W/%s", doc->d_etag);
	if (MHD_add_response_header(
	        r, MHD_HTTP_HEADER_ETAG, doc->d_etag_header) != MHD_YES) {
		MHD_destroy_response(r);
		return -1;
	}
	/* Requests still sending the old one keep it alive until done. */
	if (doc->d_resp != NULL)
		MHD_destroy_response(doc->d_resp);
	doc->d_resp = r;
	doc->d_body = body;
	doc->d_len = len;
	doc->d_generation = gen;
	doc->d_rendered_at = now;
	return 0;
}

/* Returns 1 if the If-None-Match value names etag (or is "*"). */
static int
api_etag_matches(const char *inm, const char *etag)
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

/* Queues doc, or a 304 if the client has this generation already. */
static enum MHD_Result
api_send_doc(struct MHD_Connection *conn, const struct api_doc *doc)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *inm;

	inm = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (!api_etag_matches(inm, doc->d_etag))
		return api_queue_shared(
		    conn, MHD_HTTP_OK, doc->d_resp, doc->d_body, doc->d_len);
	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(
	        r, MHD_HTTP_HEADER_ETAG, doc->d_etag_header) != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    api_common_headers(r) == -1) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = api_queue(conn, MHD_HTTP_NOT_MODIFIED, r);
	MHD_destroy_response(r);
	return ret;
}

/* Renders the document of kind as of now (e: the source of one's stats). */
static char *
api_render(struct api *a, enum api_doc_kind kind, const struct cache_entry *e,
    size_t *len)
{
	int64_t now = timeutil_wall_ms();

	switch (kind) {
	case API_DOC_STATS:
		return render_stats(a->a_cache, now, len);
	case API_DOC_SOURCE_STATS:
		return render_source_stats(e, now, len);
	case API_DOC_READY:
		return render_ready(a->a_cache, now, &a->a_reload, len);
	case API_DOC_SOURCES:
		break;
	}
	return render_sources(a->a_cache, now, len);
}

/*
 * Serves doc, first rendering it again if the cache moved past gen, or
 * if its ages are over a second old: the same generation then gets the
 * same weak ETag, as only the ages moved on.  A big document is not
 * rendered again sooner than API_RENDER_SHARE times what its last render
 * took: with thousands of polls a second the cache moves on every
 * request, and rendering each time would make serving cost grow with
 * the polling rate.  Rendering then takes at most about a tenth of the
 * loop; a small document, rendered in under API_RENDER_FREE_US, is
 * always fresh.  The ETag stays the generation the document shows.
 */
static enum MHD_Result
api_serve_doc(struct api *a, struct MHD_Connection *conn, struct api_doc *doc,
    uint64_t gen, enum api_doc_kind kind, const struct cache_entry *e)
{
	int64_t now = timeutil_mono_us();
	size_t len = 0;
	char *body;

	if ((doc->d_generation != gen &&
	        (doc->d_render_us < API_RENDER_FREE_US ||
	            now - doc->d_rendered_at >=
	                API_RENDER_SHARE * doc->d_render_us)) ||
	    now - doc->d_rendered_at >= API_AGE_REFRESH_US) {
		body = api_render(a, kind, e, &len);
		if (api_doc_update(doc, gen, now, body, len) == -1)
			return api_error(
			    conn, 500, "cannot render", NULL, NULL);
		doc->d_render_us = timeutil_mono_us() - now;
	}
	return api_send_doc(conn, doc);
}

/* Serves GET /api/v1/stats/NAME. */
static enum MHD_Result
api_get_source_stats(
    struct api *a, struct MHD_Connection *conn, const char *name)
{
	struct cache_entry *e;

	if ((e = cache_find(a->a_cache, name)) == NULL)
		return api_error(conn, 404, "no such source", NULL, NULL);
	return api_serve_doc(a, conn, &a->a_source_stats[e->ce_index],
	    e->ce_generation, API_DOC_SOURCE_STATS, e);
}

/* Queues a small JSON body rendered for this request alone. */
static enum MHD_Result
api_send_once(struct MHD_Connection *conn, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = api_response(body, len)) == NULL)
		return api_error(conn, 500, "cannot render", NULL, NULL);
	ret = api_queue(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Serves GET /api/v1/info; per request, as the stream count moves. */
static enum MHD_Result
api_get_info(struct api *a, struct MHD_Connection *conn)
{
	size_t len = 0;
	char *body;

	body = render_info(a->a_cache, a->a_started_at, timeutil_wall_ms(),
	    events_count(a->a_events), &len);
	return api_send_once(conn, body, len);
}

/* Serves GET /api/v1/sources/NAME/history?stat=STAT[&since=UNIX]. */
static enum MHD_Result
api_get_history(struct api *a, struct MHD_Connection *conn, const char *name)
{
	const char *stat, *since;
	struct cache_entry *e;
	char *body, *end;
	int64_t since_ms = 0;
	size_t len = 0;
	double secs;
	int i;

	if ((e = cache_find(a->a_cache, name)) == NULL)
		return api_error(conn, 404, "no such source", NULL, NULL);
	stat = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "stat");
	if (stat == NULL)
		return api_error(conn, 400, "stat= is required", NULL, NULL);
	if ((i = cache_stat_index(e, stat)) == -1)
		return api_error(conn, 404, "no such stat", NULL, NULL);
	since =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	if (since != NULL) {
		secs = strtod(since, &end);
		if (*since == '\0' || *end != '\0' || !(secs >= 0.0) ||
		    secs > 1e12)
			return api_error(conn, 400,
			    "since= must be unix seconds", NULL, NULL);
		since_ms = (int64_t)(secs * 1000.0);
	}
	/* Per query, so not kept: a small document, asked for rarely. */
	body = render_history(e, i, since_ms, &len);
	return api_send_once(conn, body, len);
}

/* Serves a static file of the dashboard from web_root. */
static enum MHD_Result
api_get_file(struct api *a, struct MHD_Connection *conn, const char *url)
{
	struct files_result fr;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char modified[64];
	const char *ims;
	time_t mtime, since;
	struct tm tm;

	if (a->a_files == NULL || files_open(a->a_files, url, &fr) == -1)
		return errno == ENOENT || a->a_files == NULL
		    ? api_error(conn, 404, "not found", NULL, NULL)
		    : api_error(conn, 500, "cannot read the file", NULL, NULL);
	ims = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (ims != NULL && (since = curl_getdate(ims, NULL)) != -1 &&
	    (int64_t)since >= fr.fr_mtime) {
		/* Unchanged since the browser's copy: no body. */
		close(fr.fr_fd);
		if ((r = MHD_create_response_from_buffer(
		         0, NULL, MHD_RESPMEM_PERSISTENT)) == NULL)
			return MHD_NO;
		ret = MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
		          fr.fr_cache_control) == MHD_YES &&
		        api_common_headers(r) == 0
		    ? api_queue(conn, MHD_HTTP_NOT_MODIFIED, r)
		    : MHD_NO;
		MHD_destroy_response(r);
		return ret;
	}
	/* MHD owns the fd from here and closes it with the response. */
	if ((r = MHD_create_response_from_fd64(fr.fr_size, fr.fr_fd)) == NULL) {
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
	    MHD_add_response_header(r, "Content-Security-Policy", API_CSP) !=
	        MHD_YES ||
	    api_common_headers(r) == -1 ||
	    (modified[0] != '\0' &&
	        MHD_add_response_header(
	            r, MHD_HTTP_HEADER_LAST_MODIFIED, modified) != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = api_queue(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* A /metrics response being sent, piece by piece; in api's a_scrapes. */
struct api_metrics {
	struct api *am_api;
	struct metrics_stream *am_stream;
	struct api_metrics *am_next;
	struct api_metrics **am_prevp; /* the pointer that points at it */
};

/* MHD's reader for /metrics: the next piece, or the end. */
static ssize_t
api_metrics_read_cb(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct api_metrics *am = arg;
	long n;

	n = metrics_stream_read(am->am_stream, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

/* Frees a /metrics response's state. */
static void
api_metrics_free_cb(void *arg)
{
	struct api_metrics *am = arg;

	if (am->am_next != NULL)
		am->am_next->am_prevp = am->am_prevp;
	*am->am_prevp = am->am_next;
	metrics_stream_free(am->am_stream);
	free(am);
}

/*
 * Serves GET /metrics.  Rendered per request and never kept: the HTTP
 * counters move with every request (the last scrape's included) and
 * event streams come and go without the cache generation moving, so a
 * copy kept on (generation, requests) would never be reused.  No ETag.
 * It is rendered as it is sent, a slice of sources at a time, so a
 * scrape of 10,000 sources does not hold their 20 MB of text; a reload
 * renders what is left of a scrape under way before the cache goes.
 */
static enum MHD_Result
api_get_metrics(struct api *a, struct MHD_Connection *conn)
{
	struct api_metrics *am;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((am = calloc(1, sizeof *am)) == NULL)
		return MHD_NO;
	am->am_api = a;
	am->am_stream = metrics_stream_new(a->a_cache, &a->a_counters,
	    a->a_started_at, events_count(a->a_events), timeutil_wall_ms());
	if (am->am_stream == NULL) {
		free(am);
		return api_error(conn, 500, "cannot render", NULL, NULL);
	}
	if ((am->am_next = a->a_scrapes) != NULL)
		am->am_next->am_prevp = &am->am_next;
	am->am_prevp = &a->a_scrapes;
	a->a_scrapes = am;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
	    api_metrics_read_cb, am, api_metrics_free_cb);
	if (r == NULL) {
		api_metrics_free_cb(am);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	        METRICS_CONTENT_TYPE) != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    api_common_headers(r) == -1) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = api_queue(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Returns 1 if the request carries the API token (constant time). */
static int
api_authorized(struct api *a, struct MHD_Connection *conn)
{
	const char *auth, *token = a->a_cf->cf_api_token;
	size_t i, n, tn;
	unsigned char diff = 0;

	auth = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	auth += 7;
	n = strlen(auth);
	tn = strlen(token);
	/* Compare every byte whatever the lengths, so timing tells nothing. */
	for (i = 0; i < tn; i++)
		diff |= (unsigned char)(token[i] ^ (i < n ? auth[i] : 0));
	return diff == 0 && n == tn;
}

/* MHD header iterator: counts the Content-Length headers. */
static enum MHD_Result
api_count_length_cb(
    void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	unsigned *n = arg;

	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		(*n)++;
	return MHD_YES;
}

/* Returns 1 for GET and HEAD, the only methods served. */
static int
api_method_allowed(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/*
 * Checks a request's head on MHD's first call, before any body is read:
 * MHD_YES to go on, or a refusal queued at once, after which MHD closes
 * the connection without reading the body.  Two lengths, or a length
 * and chunks, are how requests are smuggled past proxies: 400.
 */
static enum MHD_Result
api_check_head(struct MHD_Connection *conn, const char *method)
{
	struct api_conn *ac = api_conn_of(conn);
	const char *te, *cl;
	unsigned ncl = 0;

	if (ac != NULL) {
		/* The head is in. */
		evtimer_del(ac->ac_deadline);
		event_del(ac->ac_hangup);
		if (ac->ac_url_len > API_URL_MAX)
			return api_refuse(conn, method, 414,
			    "the URL is longer than 2048 bytes", NULL, NULL);
	}
	te = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	cl = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	MHD_get_connection_values(
	    conn, MHD_HEADER_KIND, api_count_length_cb, &ncl);
	if (ncl > 1 || (ncl == 1 && te != NULL))
		return api_refuse(conn, method, 400,
		    "conflicting Content-Length or Transfer-Encoding", NULL,
		    NULL);
	/* "Content-Length: 0" announces no body. */
	if (te == NULL && (cl == NULL || cl[strspn(cl, "0")] == '\0'))
		return MHD_YES;
	if (!api_method_allowed(method))
		return api_refuse(conn, method, 405,
		    "only GET and HEAD are allowed", MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	return api_refuse(
	    conn, method, 413, "requests must not have a body", NULL, NULL);
}

/* Answers a CORS preflight from an allowed origin: 204 and the rules. */
static enum MHD_Result
api_preflight(struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (api_common_headers(r) == -1 ||
	    MHD_add_response_header(r,
	        MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_METHODS,
	        "GET, HEAD") != MHD_YES ||
	    MHD_add_response_header(r, "Access-Control-Allow-Headers",
	        "Authorization, If-None-Match") != MHD_YES ||
	    MHD_add_response_header(
	        r, "Access-Control-Max-Age", API_CORS_MAX_AGE) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = api_queue(conn, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	return ret;
}

/* Adds our headers to an event stream's response (events_decorate_cb). */
static int
api_decorate_cb(void *arg, struct MHD_Connection *conn, struct MHD_Response *r)
{
	const char *origin = api_cors_origin(conn);

	if (api_common_headers(r) == -1 ||
	    (origin != NULL &&
	        MHD_add_response_header(r,
	            MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
	            origin) != MHD_YES))
		return -1;
	return 0;
}

/* The paths the API answers exactly, and what each is. */
static const struct {
	const char *ap_path;
	enum api_route_kind ap_kind;
} api_paths[] = {
    {"/healthz", API_ROUTE_HEALTHZ},
    {"/readyz", API_ROUTE_READYZ},
    {"/api/v1/stats", API_ROUTE_STATS},
    {"/api/v1/sources", API_ROUTE_SOURCES},
    {"/api/v1/events", API_ROUTE_EVENTS},
    {"/api/v1/info", API_ROUTE_INFO},
    {"/metrics", API_ROUTE_METRICS},
};

/* Returns what follows prefix in url, or NULL if url does not start so. */
static const char *
api_after(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(url, prefix, n) == 0 ? url + n : NULL;
}

/* Decides which handler serves method on url; see api.h. */
void
api_route_match(const char *method, const char *url, struct api_route *rt)
{
	const char *rest, *slash;
	size_t i;

	rt->rt_rest = NULL;
	rt->rt_name[0] = '\0';
	if (!api_method_allowed(method)) {
		rt->rt_kind = API_ROUTE_BAD_METHOD;
		return;
	}
	for (i = 0; i < sizeof api_paths / sizeof api_paths[0]; i++) {
		if (strcmp(url, api_paths[i].ap_path) == 0) {
			rt->rt_kind = api_paths[i].ap_kind;
			return;
		}
	}
	if ((rest = api_after(url, API_PREFIX_STATS)) != NULL) {
		rt->rt_kind = API_ROUTE_SOURCE_STATS;
		rt->rt_rest = rest;
	} else if ((rest = api_after(url, API_PREFIX_SOURCES)) != NULL) {
		/* Only NAME/history, NAME at most CONFIG_NAME_MAX bytes. */
		slash = strchr(rest, '/');
		if (slash == NULL || strcmp(slash, "/history") != 0 ||
		    (size_t)(slash - rest) > CONFIG_NAME_MAX) {
			rt->rt_kind = API_ROUTE_NOT_FOUND;
			return;
		}
		rt->rt_kind = API_ROUTE_HISTORY;
		rt->rt_rest = rest;
		memcpy(rt->rt_name, rest, (size_t)(slash - rest));
		rt->rt_name[slash - rest] = '\0';
	} else if (api_after(url, "/api/") != NULL) {
		rt->rt_kind = API_ROUTE_NOT_FOUND;
	} else {
		rt->rt_kind = API_ROUTE_FILE;
		rt->rt_rest = url;
	}
}

/* HEAD of the event stream: its headers, no stream opened. */
static enum MHD_Result
api_events_head(struct api *a, struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	        "text/event-stream") != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    api_decorate_cb(a, conn, r) == -1) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Routes one request (MHD's access handler, through api_request_cb)
 * to the handler api_route_match names.
 */
static enum MHD_Result
api_answer(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req)
{
	static int seen_headers, seen_body;
	struct api *a = arg;
	struct api_route rt;

	/*
	 * MHD calls us once with the headers, again for each piece of a
	 * body, and once more at the end.  Answering on the first call
	 * would make MHD close the connection; we answer on the last.
	 */
	if (*req == NULL) {
		*req = &seen_headers;
		return api_check_head(conn, method);
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		*req = &seen_body;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0 &&
	    api_cors_origin(conn) != NULL)
		return api_preflight(conn);
	api_route_match(method, url, &rt);
	if (rt.rt_kind == API_ROUTE_BAD_METHOD)
		return api_refuse(conn, method, 405,
		    "only GET and HEAD are allowed", MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	if (*req == &seen_body)
		return api_refuse(conn, method, 413,
		    "requests must not have a body", NULL, NULL);
	/*
	 * Probes work without the token, and so do the dashboard's files,
	 * which hold no data: the page must load to ask for the token.
	 * Everything else needs it.
	 */
	if (rt.rt_kind != API_ROUTE_HEALTHZ && rt.rt_kind != API_ROUTE_READYZ &&
	    rt.rt_kind != API_ROUTE_FILE && a->a_cf->cf_api_token != NULL &&
	    !api_authorized(a, conn))
		return api_refuse(conn, method, 401,
		    "missing or wrong bearer token",
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	switch (rt.rt_kind) {
	case API_ROUTE_HEALTHZ:
		return api_queue_shared(conn, MHD_HTTP_OK, a->a_healthz,
		    api_healthz_body, sizeof api_healthz_body - 1);
	case API_ROUTE_READYZ:
		return api_serve_doc(a, conn, &a->a_ready,
		    cache_generation(a->a_cache), API_DOC_READY, NULL);
	case API_ROUTE_STATS:
		return api_serve_doc(a, conn, &a->a_stats,
		    cache_generation(a->a_cache), API_DOC_STATS, NULL);
	case API_ROUTE_SOURCE_STATS:
		return api_get_source_stats(a, conn, rt.rt_rest);
	case API_ROUTE_SOURCES:
		return api_serve_doc(a, conn, &a->a_sources,
		    cache_generation(a->a_cache), API_DOC_SOURCES, NULL);
	case API_ROUTE_HISTORY:
		return api_get_history(a, conn, rt.rt_name);
	case API_ROUTE_EVENTS:
		if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
			return api_events_head(a, conn);
		if (events_serve(a->a_events, conn, api_decorate_cb, a) == -1)
			return api_error(
			    conn, 503, "too many event streams", NULL, NULL);
		return MHD_YES;
	case API_ROUTE_INFO:
		return api_get_info(a, conn);
	case API_ROUTE_METRICS:
		return api_get_metrics(a, conn);
	case API_ROUTE_FILE:
		return api_get_file(a, conn, rt.rt_rest);
	case API_ROUTE_NOT_FOUND:
	case API_ROUTE_BAD_METHOD:
		break;
	}
	return api_error(conn, 404, "not found", NULL, NULL);
}

/*
 * MHD's access handler: routes the request, then counts the response if
 * one was queued (the calls before the last, and MHD's own error pages,
 * queue none here).
 */
static enum MHD_Result
api_request_cb(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req)
{
	const union MHD_ConnectionInfo *info;
	struct api *a = arg;
	enum MHD_Result ret;

	ret = api_answer(arg, conn, url, method, version, upload_data,
	    upload_data_size, req);
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
	if (ret == MHD_YES && info != NULL)
		metrics_count_response(&a->a_counters, info->http_status);
	return ret;
}

/* Re-arms the timer from MHD's next deadline. */
static void
api_rearm(struct api *a)
{
	MHD_UNSIGNED_LONG_LONG ms;
	struct timeval tv;

	/*
	 * At http_max_connections MHD takes its listening socket out of
	 * epoll, and puts it back only when it runs again after a close:
	 * without this turn, queued clients would wait for unrelated events.
	 */
	if (a->a_run_again) {
		a->a_run_again = 0;
		ms = 0;
	} else if (MHD_get_timeout(a->a_mhd, &ms) != MHD_YES) {
		evtimer_del(a->a_timer);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->a_timer, &tv);
}

/* libevent callback for MHD's epoll fd and deadline timer. */
static void
api_run_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;

	if (MHD_run(a->a_mhd) != MHD_YES)
		log_debug("api: MHD_run failed");
	api_rearm(a);
}

/*
 * Decodes %XX in s as MHD would, but turns a decoded NUL into 0x01:
 * otherwise "/app.js%00.html" would end early and pass for "/app.js",
 * where the router and the file server now see a control byte and
 * answer 404.
 */
size_t
api_unescape(char *s)
{
	size_t i, n = MHD_http_unescape(s);

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			s[i] = '\x01';
	}
	return n;
}

/* MHD's unescaper for URLs and arguments: api_unescape. */
static size_t
api_unescape_cb(void *arg, struct MHD_Connection *conn, char *s)
{
	return api_unescape(s);
}

/*
 * Routes MHD's own messages to our log, shortened: the HTML page quoted
 * in "HTTP response code is 431 ('<html>...')" goes, and the limit
 * behind "Server reached connection limit" is named.
 */
static void
api_log_cb(void *arg, const char *fmt, va_list ap)
{
	static const char limit[] = "Server reached connection limit";
	char line[1024], *page, *end;
	size_t n;

	vsnprintf(line, sizeof line, fmt, ap);
	if ((page = strstr(line, " ('<")) != NULL &&
	    (end = strstr(page, "')")) != NULL)
		memmove(page, end + 2, strlen(end + 2) + 1);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '.'))
		line[--n] = '\0';
	log_debug("api: %s%s", line,
	    strncmp(line, limit, sizeof limit - 1) == 0
	        ? " (http_max_connections or http_max_connections_per_ip)"
	        : "");
}

/* Arms conn's deadline for the head of its next request. */
static void
api_conn_expect(struct api_conn *ac)
{
	struct timeval tv = {(time_t)ac->ac_api->a_head_s, 0};

	ac->ac_hung_up = 0;
	if (evtimer_add(ac->ac_deadline, &tv) == -1)
		log_debug("api: cannot arm a request deadline");
	/* Best effort: without EV_CLOSED the deadline still ends it. */
	(void)event_add(ac->ac_hangup, NULL);
}

/*
 * A request's head did not arrive in time (a client dribbling bytes
 * keeps MHD's idle timeout at bay), or its client went away halfway:
 * shut the socket down, and MHD, on reading the end of it, closes the
 * connection and frees it as usual.
 */
static void
api_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_conn *ac = arg;
	char addr[NI_MAXHOST];

	api_client_addr(ac->ac_conn, addr, sizeof addr);
	if (ac->ac_hung_up)
		log_debug("api: closing the connection from %s: the client "
		          "closed it before a complete request",
		    addr);
	else
		log_debug("api: closing the connection from %s: no complete "
		          "request within %us",
		    addr, ac->ac_api->a_head_s);
	if (shutdown(ac->ac_fd, SHUT_RDWR) == -1)
		log_debug("api: shutdown: %s", strerror(errno));
}

/*
 * The client closed its end while a head was due.  MHD, which reads a
 * socket only when epoll reports new data, misses an end that came with
 * the last bytes, and would count the connection until its timeout.  A
 * head that came with the end is read within the same turn of the loop,
 * so the deadline is brought forward a little, not to now.
 */
static void
api_hangup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval soon = {0, 100 * 1000};
	struct api_conn *ac = arg;

	ac->ac_hung_up = 1;
	if (evtimer_pending(ac->ac_deadline, NULL) &&
	    evtimer_add(ac->ac_deadline, &soon) == -1)
		log_debug("api: cannot arm a request deadline");
}

/* MHD's connection callback: a connection's context, from open to close. */
static void
api_notify_cb(void *arg, struct MHD_Connection *conn, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	struct api_conn *ac = *ctx;
	struct api *a = arg;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		a->a_run_again = 1;
		if (ac != NULL) {
			event_free(ac->ac_deadline);
			event_free(ac->ac_hangup);
			free(ac);
		}
		*ctx = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return;
	if ((ac = calloc(1, sizeof *ac)) == NULL ||
	    (ac->ac_deadline = evtimer_new(a->a_base, api_deadline_cb, ac)) ==
	        NULL ||
	    (ac->ac_hangup = event_new(a->a_base, info->connect_fd, EV_CLOSED,
	         api_hangup_cb, ac)) == NULL) {
		/* No deadline could be kept: do not serve it at all. */
		log_debug("api: out of memory, dropping a connection");
		if (ac != NULL && ac->ac_deadline != NULL)
			event_free(ac->ac_deadline);
		free(ac);
		(void)shutdown(info->connect_fd, SHUT_RDWR);
		return;
	}
	ac->ac_api = a;
	ac->ac_conn = conn;
	ac->ac_fd = info->connect_fd;
	*ctx = ac;
	api_conn_expect(ac);
}

/* MHD's URI callback: notes the request target's length, as sent. */
static void *
api_uri_cb(void *arg, const char *uri, struct MHD_Connection *conn)
{
	struct api_conn *ac = api_conn_of(conn);

	if (ac != NULL)
		ac->ac_url_len = strlen(uri);
	/* NULL keeps *req NULL for the access handler's first call. */
	return NULL;
}

/* MHD's request-completed callback: the next head is due in time. */
static void
api_completed_cb(void *arg, struct MHD_Connection *conn, void **req,
    enum MHD_RequestTerminationCode code)
{
	struct api_conn *ac = api_conn_of(conn);

	if (ac != NULL && code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		api_conn_expect(ac);
}

/* Creates the healthz response, which never changes; 0 or -1. */
static int
api_make_static(struct api *a)
{
	a->a_healthz =
	    MHD_create_response_from_buffer(sizeof api_healthz_body - 1,
	        (void *)api_healthz_body, MHD_RESPMEM_PERSISTENT);
	if (a->a_healthz == NULL || api_json_headers(a->a_healthz) == -1)
		return -1;
	return 0;
}

/* Starts MHD on cf's listen address; 0 or -1 (logged). */
static int
api_listen(struct api *a)
{
	const struct config *cf = a->a_cf;
	struct addrinfo hints, *ai = NULL;
	const union MHD_DaemonInfo *info;
	char port[8];
	unsigned flags =
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof port, "%u", cf->cf_listen_port);
	if ((rc = getaddrinfo(cf->cf_listen_host, port, &hints, &ai)) != 0) {
		log_errx("listen %s:%s: %s", cf->cf_listen_host, port,
		    gai_strerror(rc));
		return -1;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* Like MHD's limits, kept until a restart. */
	a->a_head_s = cf->cf_http_timeout_s;
	/* clang-format off */
	a->a_mhd = MHD_start_daemon(flags, 0, NULL, NULL, api_request_cb, a,
	    MHD_OPTION_EXTERNAL_LOGGER, api_log_cb, a,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, cf->cf_http_max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, cf->cf_http_max_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, cf->cf_http_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, cf->cf_http_memory,
	    MHD_OPTION_NOTIFY_CONNECTION, api_notify_cb, a,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed_cb, a,
	    MHD_OPTION_URI_LOG_CALLBACK, api_uri_cb, a,
	    MHD_OPTION_UNESCAPE_CALLBACK, api_unescape_cb, a,
	    MHD_OPTION_END);
	/* clang-format on */
	freeaddrinfo(ai);
	if (a->a_mhd == NULL) {
		log_errx("cannot listen on %s:%s (address in use or not "
		         "available?)",
		    cf->cf_listen_host, port);
		return -1;
	}
	info = MHD_get_daemon_info(a->a_mhd, MHD_DAEMON_INFO_BIND_PORT);
	a->a_port = info != NULL ? info->port : cf->cf_listen_port;
	info = MHD_get_daemon_info(a->a_mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		log_errx("libmicrohttpd has no epoll fd");
		return -1;
	}
	a->a_ev = event_new(
	    a->a_base, info->epoll_fd, EV_READ | EV_PERSIST, api_run_cb, a);
	a->a_timer = evtimer_new(a->a_base, api_run_cb, a);
	if (a->a_ev == NULL || a->a_timer == NULL ||
	    event_add(a->a_ev, NULL) == -1)
		return -1;
	api_rearm(a);
	return 0;
}

/* Runs MHD on the next turn of the loop (a stream was resumed). */
static void
api_kick_cb(void *arg)
{
	struct api *a = arg;
	struct timeval now = {0, 0};

	if (a->a_timer != NULL)
		evtimer_add(a->a_timer, &now);
}

/* Once a second: values passing max_age are a change like any other. */
static void
api_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;

	cache_check_expiry(a->a_cache, timeutil_wall_ms());
}

/* The cache changed: event streams have news. */
static void
api_cache_changed_cb(struct cache_entry *e, void *arg)
{
	struct api *a = arg;

	(void)e;
	events_cache_changed(a->a_events);
}

/* Listens on cf's address and serves c on base; NULL on error (logged). */
struct api *
api_new(struct event_base *base, const struct config *cf, struct cache *c)
{
	struct timeval second = {1, 0};
	struct api *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	a->a_base = base;
	a->a_cf = cf;
	a->a_cache = c;
	a->a_started_at = timeutil_wall_ms();
	a->a_source_stats = calloc(
	    cache_count(c) ? cache_count(c) : 1, sizeof *a->a_source_stats);
	a->a_events = events_new(base, c, cf->cf_max_streams,
	    (unsigned)((cf->cf_stream_idle_ms + 999) / 1000), api_kick_cb, a);
	a->a_expiry = event_new(base, -1, EV_PERSIST, api_expiry_cb, a);
	if (a->a_source_stats == NULL || a->a_events == NULL ||
	    a->a_expiry == NULL || event_add(a->a_expiry, &second) == -1 ||
	    api_make_static(a) == -1 || api_listen(a) == -1)
		goto fail;
	/* The API works without the dashboard; say so and go on. */
	if ((a->a_files = files_new(cf->cf_web_root)) == NULL)
		log_warnx("web_root %s: the dashboard will not be served",
		    cf->cf_web_root);
	if (cache_add_listener(c, api_cache_changed_cb, a) == -1)
		goto fail;
	log_info("listening on http://%s%s%s:%u/",
	    strchr(cf->cf_listen_host, ':') ? "[" : "", cf->cf_listen_host,
	    strchr(cf->cf_listen_host, ':') ? "]" : "", a->a_port);
	return a;
fail:
	api_free(a);
	return NULL;
}

/*
 * Makes doc render again on its next request, whatever the cache
 * generation and not held back by the render throttle: for changes the
 * throttle is not meant for, such as a reload.
 */
static void
api_doc_expire(struct api_doc *doc)
{
	doc->d_generation = 0;
	doc->d_render_us = 0;
}

/* Drops doc's response. */
static void
api_doc_clear(struct api_doc *doc)
{
	if (doc->d_resp != NULL)
		MHD_destroy_response(doc->d_resp);
	doc->d_resp = NULL;
	doc->d_generation = 0;
}

/* Stops listening, closes connections and frees a; NULL is allowed. */
void
api_free(struct api *a)
{
	size_t i;

	if (a == NULL)
		return;
	cache_remove_listener(a->a_cache, api_cache_changed_cb, a);
	if (a->a_expiry != NULL)
		event_free(a->a_expiry);
	if (a->a_ev != NULL)
		event_free(a->a_ev);
	if (a->a_timer != NULL)
		event_free(a->a_timer);
	/* Ending the streams kicks the timer (api_kick_cb): it is gone. */
	a->a_ev = NULL;
	a->a_timer = NULL;
	/* MHD must not be stopped with streams suspended. */
	events_shutdown(a->a_events);
	if (a->a_mhd != NULL)
		MHD_stop_daemon(a->a_mhd);
	events_free(a->a_events);
	files_free(a->a_files);
	api_doc_clear(&a->a_stats);
	api_doc_clear(&a->a_sources);
	api_doc_clear(&a->a_ready);
	for (i = 0; a->a_source_stats != NULL && i < cache_count(a->a_cache);
	     i++)
		api_doc_clear(&a->a_source_stats[i]);
	free(a->a_source_stats);
	if (a->a_healthz != NULL)
		MHD_destroy_response(a->a_healthz);
	free(a);
}

/* Serves cf and c from now on (a reload); see api.h. */
int
api_reload(struct api *a, const struct config *cf, struct cache *c)
{
	struct api_metrics *am;
	struct api_doc *docs;
	struct files *files = NULL;
	size_t i;

	docs = calloc(cache_count(c) ? cache_count(c) : 1, sizeof *docs);
	if (docs == NULL ||
	    cache_add_listener(c, api_cache_changed_cb, a) == -1) {
		free(docs);
		return -1;
	}
	if (strcmp(cf->cf_web_root, a->a_cf->cf_web_root) != 0 &&
	    (files = files_new(cf->cf_web_root)) == NULL)
		log_warnx("web_root %s: keeping %s", cf->cf_web_root,
		    a->a_cf->cf_web_root);
	if (strcmp(cf->cf_listen_host, a->a_cf->cf_listen_host) != 0 ||
	    cf->cf_listen_port != a->a_cf->cf_listen_port)
		log_warnx("listen: a reload keeps listening where it was; "
		          "restart gatherd to move it");
	if (cf->cf_http_max_conns != a->a_cf->cf_http_max_conns ||
	    cf->cf_http_max_per_ip != a->a_cf->cf_http_max_per_ip ||
	    cf->cf_http_memory != a->a_cf->cf_http_memory ||
	    cf->cf_http_timeout_s != a->a_cf->cf_http_timeout_s)
		log_warnx("http_*: a reload keeps the HTTP server's limits; "
		          "restart gatherd to change them");
	for (i = 0; i < cache_count(a->a_cache); i++)
		api_doc_clear(&a->a_source_stats[i]);
	free(a->a_source_stats);
	/* The whole documents show the new sources on their next request. */
	api_doc_expire(&a->a_stats);
	api_doc_expire(&a->a_sources);
	api_doc_expire(&a->a_ready);
	a->a_source_stats = docs;
	if (files != NULL) {
		files_free(a->a_files);
		a->a_files = files;
	}
	cache_remove_listener(a->a_cache, api_cache_changed_cb, a);
	a->a_cf = cf;
	/* Scrapes under way finish with the old cache before it goes. */
	for (am = a->a_scrapes; am != NULL; am = am->am_next)
		metrics_stream_finish(am->am_stream);
	a->a_cache = c;
	events_set_cache(a->a_events, c);
	return 0;
}

/* Records how a reload went, for /readyz: err NULL if it worked. */
void
api_reload_result(struct api *a, const char *err)
{
	a->a_reload.rl_at = timeutil_wall_ms();
	snprintf(a->a_reload.rl_error, sizeof a->a_reload.rl_error, "%s",
	    err != NULL ? err : "");
	/* /readyz must show it at once. */
	api_doc_expire(&a->a_ready);
	metrics_count_reload(&a->a_counters, err == NULL);
}

/* Returns the bound port (useful when the config asked for port 0). */
uint16_t
api_port(const struct api *a)
{
	return a->a_port;
}
