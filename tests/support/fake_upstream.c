/*
 * Fake upstream HTTP server for gatherd's integration tests and demo. It
 * serves well-behaved and deliberately broken JSON endpoints with
 * libmicrohttpd, one thread per connection, bound to 127.0.0.1 only. Every
 * route accepts delay_ms=N; delays and slow bodies wait on a condition
 * variable so that fake_upstream_stop() interrupts them promptly, and they
 * end early when the client goes away. Counters and the most recent
 * request are kept under one mutex.
 *
 * This file is the server (start, stop, dispatch, the request record and
 * the counters, /headers, /query and /counters); each family of routes
 * has a file of its own: fake_series.c, fake_bodies.c, fake_http.c,
 * fake_transfer.c, fake_echo.c, fake_token.c, fake_timed.c,
 * fake_inband.c and fake_hostile.c.
 *
 * Routes (GET and HEAD):
 *   /stats?name=X          growing counter, shared or per name
 *   /flaky?name=X          cycles good, 503, 502 HTML and truncated
 *   /flap?name=X           alternates a /stats answer and a 500
 *   /timed?name=X          a /stats answer, its arrival time recorded
 *   /status/CODE           status CODE; retry_after, x_ratelimit_reset,
 *                          ratelimit_reset and x_ratelimit_remaining set
 *                          the rate-limit headers
 *   /html /truncated /trailing /deep /badutf8 /missing /empty
 *                          broken or unexpected bodies
 *   /bignum /wrongtype     numbers out of range, fields of the wrong type
 *   /huge?bytes=N&chunked=1
 *                          a big valid JSON document
 *   /drip?bytes=N&every_ms=M
 *                          headers at once, then one byte every M ms
 *   /etag?tag=X            ETag and Last-Modified; 304 when they match
 *   /redirect?to=URL&code=C, /loop
 *                          a redirect to URL, a redirect to itself
 *   /gzip, /gzipbomb?bytes=N
 *                          gzip-encoded JSON, small or N bytes inflated
 *   /reset?after=N         N bytes of a promised 10000, then a reset
 *   /inband/NAME           a real API's answer with status 200: an error
 *                          inside (matomo-error, cloudflare-error), or
 *                          data (cloudflare, ga4, ga4-empty)
 *   /hostile?shape=S&bytes=N
 *                          N bytes of one array of numbers, objects or
 *                          arrays 63 deep: work for jq
 *   /headers /counters     the request headers, the request counters
 *   /token (POST), /authed an OAuth 2.0 token endpoint and an API that
 *                          wants its tokens (fake_token.c)
 *   /query                 the query arguments, decoded
 *
 * Upload routes (any method; the request body is read, up to FU_BODY_MAX):
 *   /echo?etag=X           the request described: method, content type,
 *                          body, Authorization scheme, Basic user and
 *                          password, Expect and If-None-Match; ETag "X"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <microhttpd.h>

#include "fake_private.h"
#include "fake_upstream.h"

/* Per-request state kept in MHD's request pointer. */
struct fu_request {
	bool counted;
	char *rewrite; /* this request's copy of the rewrite */
	char *body; /* the request body so far, NUL-terminated, or NULL */
	size_t body_len;
	bool body_too_large;
};

/* Headers being copied from a request. */
struct fu_hcopy {
	struct fu_header *list;
	size_t n;
	bool failed;
};

/* A JSON object being filled with request headers. */
struct fu_hjson {
	struct json_object *obj;
	bool failed;
};

/* A route: exact path and handler. */
struct fu_route {
	const char *path;
	fu_route_fn *fn;
};

/* An upload route: exact path and a handler that sees method and body. */
struct fu_upload_route {
	const char *path;
	fu_upload_fn *fn;
};

/* Frees a list of N copied headers. */
static void
fu_headers_free(struct fu_header *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].value);
	}
	free(list);
}

/* Frees a name table entry: the key and its series. */
static void
fu_entry_free_cb(struct lh_entry *e)
{
	if (!e->k_is_constant)
		free(lh_entry_k(e));
	free(lh_entry_v(e));
}

/* Frees FU and everything it owns except the (stopped) daemon. */
static void
fu_free(struct fake_upstream *fu)
{
	size_t i;

	for (i = 0; i < FU_API_COUNT; i++)
		if (fu->api[i] != NULL)
			fu->api_free[i](fu->api[i]);
	if (fu->stats_names != NULL)
		lh_table_free(fu->stats_names);
	if (fu->flaky_names != NULL)
		lh_table_free(fu->flaky_names);
	if (fu->flap_names != NULL)
		lh_table_free(fu->flap_names);
	fu_token_free(fu->token);
	fu_headers_free(fu->last_headers, fu->last_nheaders);
	free(fu->last_path);
	free(fu->rewrite);
	free(fu->rewrite_name);
	if (fu->have_wake)
		pthread_cond_destroy(&fu->wake);
	if (fu->have_lock)
		pthread_mutex_destroy(&fu->lock);
	free(fu);
}

/* Raises the soft open-file limit so that ~1000 connections fit. */
static void
fu_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= FU_WANT_NOFILE)
		return;
	rl.rlim_cur = FU_WANT_NOFILE;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Returns true if the client on socket FD has closed or reset it. */
static bool
fu_peer_gone(int fd)
{
	struct pollfd p;

	if (fd < 0)
		return false;
	p.fd = fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0)
		return false;
	return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* Adds MS milliseconds to *TS. */
static void
fu_ts_add_ms(struct timespec *ts, uint64_t ms)
{
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Returns true if A is at or after B. */
static bool
fu_ts_reached(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec > b->tv_sec;
	return a->tv_nsec >= b->tv_nsec;
}

/* Sleeps MS ms; -1 early if the server stops or the client on FD leaves. */
int
fu_sleep(struct fake_upstream *fu, int fd, uint64_t ms)
{
	struct timespec deadline;
	struct timespec now;
	struct timespec slice;

	if (ms == 0)
		return atomic_load(&fu->stopping) ? -1 : 0;
	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
		return -1;
	fu_ts_add_ms(&deadline, ms);
	for (;;) {
		if (atomic_load(&fu->stopping) || fu_peer_gone(fd))
			return -1;
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
			return -1;
		if (fu_ts_reached(&now, &deadline))
			return 0;
		slice = now;
		fu_ts_add_ms(&slice, FU_SLICE_MS);
		if (fu_ts_reached(&slice, &deadline))
			slice = deadline;
		/* stop sets stopping under the lock, so no wakeup is lost. */
		pthread_mutex_lock(&fu->lock);
		if (!atomic_load(&fu->stopping))
			(void)pthread_cond_timedwait(
			    &fu->wake, &fu->lock, &slice);
		pthread_mutex_unlock(&fu->lock);
	}
}

/* Returns the socket of CONN, or -1 if MHD does not say. */
int
fu_conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return -1;
	return info->connect_fd;
}

/* Reads query argument KEY as digits clamped to MAX; -1 if malformed. */
int
fu_arg_num(struct MHD_Connection *conn, const char *key, uint64_t def,
    uint64_t max, uint64_t *out)
{
	const char *s;
	uint64_t v = 0;

	s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
	if (s == NULL) {
		*out = def;
		return 0;
	}
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v <= max)
			v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v > max ? max : v;
	return 0;
}

/* Adds CTYPE (NULL: none) and N headers to RESP, queues it, releases it. */
enum MHD_Result
fu_queue(struct MHD_Connection *conn, unsigned status,
    struct MHD_Response *resp, const char *ctype, const struct fu_rhdr *hdrs,
    size_t n)
{
	enum MHD_Result ret = MHD_NO;
	size_t i;

	if (ctype != NULL &&
	    MHD_add_response_header(
	        resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES)
		goto fail;
	for (i = 0; i < n; i++)
		if (hdrs[i].name != NULL && hdrs[i].value != NULL &&
		    MHD_add_response_header(
		        resp, hdrs[i].name, hdrs[i].value) != MHD_YES)
			goto fail;
	ret = MHD_queue_response(conn, status, resp);
fail:
	MHD_destroy_response(resp);
	return ret;
}

/* Queues a copy of BODY with a content type (NULL: none) and N headers. */
enum MHD_Result
fu_reply_list(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len, const struct fu_rhdr *hdrs, size_t n)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(
	    len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	return fu_queue(conn, status, resp, ctype, hdrs, n);
}

/* Queues a copy of BODY with a content type and an optional header. */
enum MHD_Result
fu_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hvalue)
{
	const struct fu_rhdr hdr = {hname, hvalue};

	return fu_reply_list(conn, status, ctype, body, len, &hdr, 1);
}

/* Queues the small JSON body FMT makes, with an optional header. */
enum MHD_Result
fu_reply_json(struct MHD_Connection *conn, unsigned status, const char *hname,
    const char *hvalue, const char *fmt, ...)
{
	char body[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply(conn, status, FU_JSON, body, (size_t)n, hname, hvalue);
}

/* Queues the JSON error {"error":MSG} with STATUS. */
enum MHD_Result
fu_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return fu_reply_json(
	    conn, status, NULL, NULL, "{\"error\":\"%s\"}", msg);
}

/* Adds one request header to the JSON object in CLS; MHD_NO on failure. */
static enum MHD_Result
fu_header_json_cb(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fu_hjson *hj = cls;
	struct json_object *v;

	v = json_object_new_string(value != NULL ? value : "");
	if (v == NULL)
		goto fail;
	if (json_object_object_add(hj->obj, key, v) != 0) {
		json_object_put(v);
		goto fail;
	}
	return MHD_YES;
fail:
	hj->failed = true;
	return MHD_NO;
}

/* Answers the request's values of one kind (headers, query arguments)
 * as a JSON object, the last of a name winning. */
static enum MHD_Result
fu_reply_values(struct MHD_Connection *conn, enum MHD_ValueKind kind)
{
	struct fu_hjson hj;
	enum MHD_Result ret = MHD_NO;
	const char *body;
	size_t len;

	hj.failed = false;
	hj.obj = json_object_new_object();
	if (hj.obj == NULL)
		return MHD_NO;
	(void)MHD_get_connection_values(conn, kind, fu_header_json_cb, &hj);
	if (hj.failed)
		goto fail;
	body = json_object_to_json_string_length(hj.obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (body == NULL)
		goto fail;
	ret = fu_reply(conn, MHD_HTTP_OK, FU_JSON, body, len, NULL, NULL);
fail:
	json_object_put(hj.obj);
	return ret;
}

/* Route /headers: the request headers as a JSON object. */
static enum MHD_Result
fu_route_headers(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply_values(conn, MHD_HEADER_KIND);
}

/* Route /query: the query arguments, decoded, as a JSON object. */
static enum MHD_Result
fu_route_query(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply_values(conn, MHD_GET_ARGUMENT_KIND);
}

/* Route /counters: the request counters, which it does not touch. */
static enum MHD_Result
fu_route_counters(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	unsigned long requests;
	unsigned inflight;
	unsigned max_inflight;
	char body[128];
	int n;

	pthread_mutex_lock(&fu->lock);
	requests = fu->requests;
	inflight = fu->inflight;
	max_inflight = fu->max_inflight;
	pthread_mutex_unlock(&fu->lock);
	n = snprintf(body, sizeof(body),
	    "{\"requests\":%lu,\"inflight\":%u,\"max_inflight\":%u}", requests,
	    inflight, max_inflight);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, (size_t)n, NULL, NULL);
}

/* The routes matched by exact path. */
static const struct fu_route fu_routes[] = {
    {"/stats", fu_route_stats},
    {"/deep", fu_route_deep},
    {"/huge", fu_route_huge},
    {"/drip", fu_route_drip},
    {"/headers", fu_route_headers},
    {"/query", fu_route_query},
    {"/flaky", fu_route_flaky},
    {"/counters", fu_route_counters},
    {"/etag", fu_route_etag},
    {"/redirect", fu_route_redirect},
    {"/loop", fu_route_loop},
    {"/gzip", fu_route_gzip},
    {"/gzipbomb", fu_route_gzipbomb},
    {"/reset", fu_route_reset},
    {"/flap", fu_route_flap},
    {"/authed", fu_route_authed},
    {"/timed", fu_route_timed},
    {"/hostile", fu_route_hostile},
};

/* The upload routes: any method, the request body read. */
static const struct fu_upload_route fu_upload_routes[] = {
    {"/echo", fu_route_echo},
};

/*
 * The analytics API fakes, by path prefix: a recipe's "https://HOST/..."
 * reaches the fake as "/HOST/..." (tests/support/recipe.h).  Any method,
 * the request body read.
 */
static const struct fu_upload_route fu_api_routes[] = {
    {"/plausible.io/", fu_api_plausible},
    {"/us.posthog.com/", fu_api_posthog},
    {"/analyticsdata.googleapis.com/", fu_api_ga4},
    {"/api.github.com/", fu_api_github},
    {"/matomo.example.com/", fu_api_matomo},
    {"/api.cloudflare.com/", fu_api_cloudflare},
    {"/mixpanel.com/", fu_api_mixpanel},
    {"/api.stripe.com/", fu_api_stripe},
    {"/amplitude.com/", fu_api_amplitude},
    {"/api.umami.is/", fu_api_umami},
    {NULL, NULL},
};

/* Returns the upload route for URL, or NULL. */
static const struct fu_upload_route *
fu_find_upload_route(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(fu_upload_routes) / sizeof(fu_upload_routes[0]);
	     i++)
		if (strcmp(url, fu_upload_routes[i].path) == 0)
			return &fu_upload_routes[i];
	for (i = 0; fu_api_routes[i].path != NULL; i++)
		if (strncmp(url, fu_api_routes[i].path,
		        strlen(fu_api_routes[i].path)) == 0)
			return &fu_api_routes[i];
	return NULL;
}

/* Returns fu's state for api, made by make on first use. */
void *
fu_api_state(struct fake_upstream *fu, enum fu_api api, void *(*make)(void),
    void (*free_fn)(void *))
{
	void *state;

	pthread_mutex_lock(&fu->lock);
	if (fu->api[api] == NULL && (fu->api[api] = make()) != NULL)
		fu->api_free[api] = free_fn;
	state = fu->api[api];
	pthread_mutex_unlock(&fu->lock);
	return state;
}

/* Keeps N more bytes of REQ's body, up to FU_BODY_MAX; -1 on failure. */
static int
fu_keep_body(struct fu_request *req, const char *data, size_t n)
{
	char *grown;

	if (req->body_too_large || req->body_len + n > FU_BODY_MAX) {
		req->body_too_large = true;
		return 0;
	}
	if ((grown = realloc(req->body, req->body_len + n + 1)) == NULL)
		return -1;
	memcpy(grown + req->body_len, data, n);
	req->body_len += n;
	grown[req->body_len] = '\0';
	req->body = grown;
	return 0;
}

/* Answers a complete GET or HEAD request for URL. */
static enum MHD_Result
fu_dispatch(
    struct fake_upstream *fu, struct MHD_Connection *conn, const char *url)
{
	static const char status_prefix[] = "/status/";
	static const char inband_prefix[] = "/inband/";
	enum MHD_Result ret;
	size_t i;

	if (strncmp(url, status_prefix, strlen(status_prefix)) == 0)
		return fu_route_status(conn, url + strlen(status_prefix));
	if (fu_route_body(conn, url, &ret) == 0)
		return ret;
	if (strncmp(url, inband_prefix, strlen(inband_prefix)) == 0)
		return fu_route_inband(conn, url + strlen(inband_prefix));
	for (i = 0; i < sizeof(fu_routes) / sizeof(fu_routes[0]); i++)
		if (strcmp(url, fu_routes[i].path) == 0)
			return fu_routes[i].fn(fu, conn);
	return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
}

/* Copies one request header into the list in CLS; MHD_NO on failure. */
static enum MHD_Result
fu_header_copy_cb(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fu_hcopy *hc = cls;
	struct fu_header *h;
	struct fu_header *grown;

	grown = realloc(hc->list, (hc->n + 1) * sizeof(*grown));
	if (grown == NULL)
		goto fail;
	hc->list = grown;
	h = &hc->list[hc->n];
	h->name = strdup(key);
	h->value = strdup(value != NULL ? value : "");
	hc->n++;
	if (h->name == NULL || h->value == NULL)
		goto fail;
	return MHD_YES;
fail:
	hc->failed = true;
	return MHD_NO;
}

/* Counts a new request and records it as the most recent; -1 on failure. */
static int
fu_record(
    struct fake_upstream *fu, struct MHD_Connection *conn, const char *url)
{
	struct fu_hcopy hc = {NULL, 0, false};
	struct fu_header *old_list;
	size_t old_n;
	char *old_path;
	char *path;
	int ret = -1;

	path = strdup(url);
	if (path == NULL)
		goto fail;
	(void)MHD_get_connection_values(
	    conn, MHD_HEADER_KIND, fu_header_copy_cb, &hc);
	if (hc.failed)
		goto fail;
	pthread_mutex_lock(&fu->lock);
	fu->requests++;
	fu->inflight++;
	if (fu->inflight > fu->max_inflight)
		fu->max_inflight = fu->inflight;
	old_list = fu->last_headers;
	old_n = fu->last_nheaders;
	old_path = fu->last_path;
	fu->last_headers = hc.list;
	fu->last_nheaders = hc.n;
	fu->last_path = path;
	pthread_mutex_unlock(&fu->lock);
	/* Free the previous record outside the lock. */
	hc.list = old_list;
	hc.n = old_n;
	path = old_path;
	ret = 0;
fail:
	fu_headers_free(hc.list, hc.n);
	free(path);
	return ret;
}

/* Serves the request as fu's rewrite target, if one is set; 0 or -1. */
static int
fu_apply_rewrite(struct fake_upstream *fu, struct MHD_Connection *conn,
    struct fu_request *req, const char **url)
{
	const char *name;
	char *query, *arg, *save, *eq;

	if (strcmp(*url, "/stats") != 0)
		return 0;
	name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
	pthread_mutex_lock(&fu->lock);
	if (fu->rewrite != NULL &&
	    (fu->rewrite_name == NULL ||
	        (name != NULL && strcmp(name, fu->rewrite_name) == 0)))
		req->rewrite = strdup(fu->rewrite);
	pthread_mutex_unlock(&fu->lock);
	if (req->rewrite == NULL)
		return 0;
	if ((query = strchr(req->rewrite, '?')) != NULL) {
		*query++ = '\0';
		/* The target's arguments come after the request's own. */
		for (arg = strtok_r(query, "&", &save); arg != NULL;
		     arg = strtok_r(NULL, "&", &save)) {
			if ((eq = strchr(arg, '=')) != NULL)
				*eq++ = '\0';
			if (MHD_set_connection_value(conn,
			        MHD_GET_ARGUMENT_KIND, arg,
			        eq != NULL ? eq : "") != MHD_YES)
				return -1;
		}
	}
	*url = req->rewrite;
	return 0;
}

/* Serves later /stats requests (of series name, or all) as target. */
void
fake_upstream_rewrite(
    struct fake_upstream *fu, const char *name, const char *target)
{
	char *copy = target != NULL ? strdup(target) : NULL, *old, *old_name;
	char *name_copy = name != NULL ? strdup(name) : NULL;

	pthread_mutex_lock(&fu->lock);
	old = fu->rewrite;
	old_name = fu->rewrite_name;
	fu->rewrite = copy;
	fu->rewrite_name = name_copy;
	pthread_mutex_unlock(&fu->lock);
	free(old);
	free(old_name);
}

/* MHD access handler: counts, waits delay_ms, then routes the request. */
static enum MHD_Result
fu_access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct fake_upstream *fu = cls;
	struct fu_request *req = *req_cls;
	const struct fu_upload_route *br;
	struct fu_upload body;
	uint64_t delay;

	if (req == NULL) {
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*req_cls = req;
		if (strcmp(url, "/counters") == 0)
			return MHD_YES;
		if (fu_record(fu, conn, url) != 0)
			return MHD_NO;
		req->counted = true;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (fu_keep_body(req, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->rewrite == NULL && strcmp(url, "/counters") != 0 &&
	    fu_apply_rewrite(fu, conn, req, &url) != 0)
		return MHD_NO;
	if (fu_arg_num(conn, "delay_ms", 0, FU_MAX_DELAY_MS, &delay) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad delay_ms");
	if (fu_sleep(fu, fu_conn_fd(conn), delay) != 0)
		return MHD_NO;
	if ((br = fu_find_upload_route(url)) != NULL) {
		body.url = url;
		body.method = method;
		body.data = req->body != NULL ? req->body : "";
		body.len = req->body_len;
		body.too_large = req->body_too_large;
		return br->fn(fu, conn, &body);
	}
	if (strcmp(url, "/token") == 0) {
		if (req->body_too_large)
			return fu_error(
			    conn, MHD_HTTP_CONTENT_TOO_LARGE, "too large");
		return fu_route_token(fu, conn, method,
		    req->body != NULL ? req->body : "", req->body_len);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return fu_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, FU_JSON,
		    "{\"error\":\"method not allowed\"}",
		    strlen("{\"error\":\"method not allowed\"}"),
		    MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return fu_dispatch(fu, conn, url);
}

/* MHD connection hook: counts the connections accepted. */
static void
fu_connection_cb(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct fake_upstream *fu = cls;

	(void)conn;
	(void)socket_ctx;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&fu->lock);
	fu->connections++;
	pthread_mutex_unlock(&fu->lock);
}

/* MHD completion hook: ends the request's in-flight span and frees it. */
static void
fu_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct fake_upstream *fu = cls;
	struct fu_request *req = *req_cls;

	if (req == NULL)
		return;
	if (req->counted) {
		pthread_mutex_lock(&fu->lock);
		fu->inflight--;
		pthread_mutex_unlock(&fu->lock);
	}
	free(req->rewrite);
	free(req->body);
	free(req);
	*req_cls = NULL;
}

/* Starts the server on 127.0.0.1:port (0 = any free port); NULL on failure. */
struct fake_upstream *
fake_upstream_start(unsigned short port)
{
	struct fake_upstream *fu;
	const union MHD_DaemonInfo *info;
	pthread_condattr_t attr;
	struct sockaddr_in sa;
	unsigned flags;

	fu = calloc(1, sizeof(*fu));
	if (fu == NULL)
		return NULL;
	atomic_init(&fu->stopping, false);
	fu->stats.total = FU_STATS_START;
	fu->flaky.total = FU_STATS_START;
	fu->flap.total = FU_STATS_START;
	if (pthread_mutex_init(&fu->lock, NULL) != 0)
		goto fail;
	fu->have_lock = true;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&fu->wake, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		goto fail;
	}
	pthread_condattr_destroy(&attr);
	fu->have_wake = true;
	fu->stats_names = lh_kchar_table_new(64, fu_entry_free_cb);
	fu->flaky_names = lh_kchar_table_new(64, fu_entry_free_cb);
	fu->flap_names = lh_kchar_table_new(64, fu_entry_free_cb);
	fu->token = fu_token_new();
	if (fu->stats_names == NULL || fu->flaky_names == NULL ||
	    fu->flap_names == NULL || fu->token == NULL)
		goto fail;
	fu_raise_nofile();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* poll() rather than select() so that fds above 1023 work. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	fu->daemon = MHD_start_daemon(flags, port, NULL, NULL, fu_access_cb, fu,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_LIMIT, FU_CONN_LIMIT,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, FU_BACKLOG,
	    MHD_OPTION_CONNECTION_TIMEOUT, 0U, MHD_OPTION_NOTIFY_COMPLETED,
	    fu_completed_cb, fu, MHD_OPTION_NOTIFY_CONNECTION, fu_connection_cb,
	    fu, MHD_OPTION_END);
	if (fu->daemon == NULL)
		goto fail;
	info = MHD_get_daemon_info(fu->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		goto fail;
	fu->port = info->port;
	return fu;
fail:
	if (fu->daemon != NULL)
		MHD_stop_daemon(fu->daemon);
	fu_free(fu);
	return NULL;
}

/* Stops the server, waits for its threads and frees it; NULL is allowed. */
void
fake_upstream_stop(struct fake_upstream *fu)
{
	if (fu == NULL)
		return;
	pthread_mutex_lock(&fu->lock);
	atomic_store(&fu->stopping, true);
	pthread_cond_broadcast(&fu->wake);
	pthread_mutex_unlock(&fu->lock);
	MHD_stop_daemon(fu->daemon);
	fu_free(fu);
}

/* Returns the port the server listens on. */
unsigned short
fake_upstream_port(const struct fake_upstream *fu)
{
	return fu->port;
}

/* Which request counter fu_count reads. */
enum fu_counter {
	FU_COUNT_REQUESTS,
	FU_COUNT_MAX_INFLIGHT,
	FU_COUNT_INFLIGHT,
	FU_COUNT_CONNECTIONS,
};

/* Returns the request counter which, read under the lock. */
static unsigned long
fu_count(struct fake_upstream *fu, enum fu_counter which)
{
	unsigned long n;

	pthread_mutex_lock(&fu->lock);
	if (which == FU_COUNT_REQUESTS)
		n = fu->requests;
	else if (which == FU_COUNT_MAX_INFLIGHT)
		n = fu->max_inflight;
	else if (which == FU_COUNT_CONNECTIONS)
		n = fu->connections;
	else
		n = fu->inflight;
	pthread_mutex_unlock(&fu->lock);
	return n;
}

/* Returns how many requests have been received since start or reset. */
unsigned long
fake_upstream_requests(struct fake_upstream *fu)
{
	return fu_count(fu, FU_COUNT_REQUESTS);
}

/* Returns how many connections were accepted since start or reset. */
unsigned long
fake_upstream_connections(struct fake_upstream *fu)
{
	return fu_count(fu, FU_COUNT_CONNECTIONS);
}

/* Returns the most requests in flight at once since start or reset. */
unsigned
fake_upstream_max_inflight(struct fake_upstream *fu)
{
	return (unsigned)fu_count(fu, FU_COUNT_MAX_INFLIGHT);
}

/* Returns the number of requests in flight right now. */
unsigned
fake_upstream_inflight(struct fake_upstream *fu)
{
	return (unsigned)fu_count(fu, FU_COUNT_INFLIGHT);
}

/* Resets the request count and the in-flight maximum. */
void
fake_upstream_reset(struct fake_upstream *fu)
{
	pthread_mutex_lock(&fu->lock);
	fu->requests = 0;
	fu->connections = 0;
	fu->max_inflight = fu->inflight;
	pthread_mutex_unlock(&fu->lock);
}

/* Returns a copy (caller frees) of header NAME of the last request or NULL. */
char *
fake_upstream_last_header(struct fake_upstream *fu, const char *name)
{
	char *value = NULL;
	size_t i;

	pthread_mutex_lock(&fu->lock);
	/* The last header of that name wins, as in /headers. */
	for (i = fu->last_nheaders; i > 0; i--) {
		if (strcasecmp(fu->last_headers[i - 1].name, name) == 0) {
			value = strdup(fu->last_headers[i - 1].value);
			break;
		}
	}
	pthread_mutex_unlock(&fu->lock);
	return value;
}

/* Returns a copy (caller frees) of the last request's path or NULL. */
char *
fake_upstream_last_path(struct fake_upstream *fu)
{
	char *path = NULL;

	pthread_mutex_lock(&fu->lock);
	if (fu->last_path != NULL)
		path = strdup(fu->last_path);
	pthread_mutex_unlock(&fu->lock);
	return path;
}
