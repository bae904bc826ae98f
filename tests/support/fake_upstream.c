/*
 * Fake upstream HTTP server for gatherd's integration tests and demo. It
 * serves well-behaved and deliberately broken JSON endpoints with
 * libmicrohttpd, one thread per connection, bound to 127.0.0.1 only. Every
 * route accepts delay_ms=N; delays and slow bodies wait on a condition
 * variable so that fake_upstream_stop() interrupts them promptly, and they
 * end early when the client goes away. Counters and the most recent
 * request are kept under one mutex.
 *
 * Routes (GET and HEAD):
 *   /stats?name=X          growing counter, shared or per name
 *   /flaky?name=X          cycles good, 503, 502 HTML and truncated
 *   /flap?name=X           alternates a /stats answer and a 500
 *   /status/CODE           status CODE; retry_after, x_ratelimit_reset and
 *                          ratelimit_reset set the rate-limit headers
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
 *   /headers /counters     the request headers, the request counters
 */
#include "fake_upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
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
/* Makes z_stream.next_in a pointer to const. */
#define ZLIB_CONST
#include <zlib.h>

/* Longest delay_ms or every_ms accepted; larger values are clamped. */
#define FU_MAX_DELAY_MS 120000ULL
/* Most distinct name=X series per route. */
#define FU_MAX_NAMES 100000
/* First value of every /stats total counter. */
#define FU_STATS_START 1000UL
/* Default and largest /huge body. */
#define FU_HUGE_DEFAULT (16ULL * 1024 * 1024)
#define FU_HUGE_MAX (1024ULL * 1024 * 1024)
/* Default /drip body size and byte interval. */
#define FU_DRIP_DEFAULT 64ULL
#define FU_DRIP_EVERY_DEFAULT 500ULL
/* Default and largest decompressed /gzipbomb body. */
#define FU_BOMB_DEFAULT (64ULL * 1024 * 1024)
#define FU_BOMB_MAX (1024ULL * 1024 * 1024)
/* Body size /reset promises, and the default and largest part it sends. */
#define FU_RESET_SIZE 10000ULL
#define FU_RESET_DEFAULT 100ULL
#define FU_RESET_MAX (FU_RESET_SIZE - 1)
/* Longest wait, in ms, for a /reset body to leave before the reset. */
#define FU_DRAIN_MS 1000
/* Default /etag tag, its Last-Modified date and the longest tag= taken. */
#define FU_ETAG_DEFAULT "v42"
#define FU_LAST_MODIFIED "Sat, 21 Nov 2026 10:00:00 GMT"
#define FU_TAG_MAX 128
/* Nesting depth of /deep. */
#define FU_DEEP_LEVELS 1000
/* Block size for generated bodies. */
#define FU_BLOCK_SIZE (64 * 1024)
/* How often a sleeping request checks whether its client went away. */
#define FU_SLICE_MS 100
/* Connection limit, listen backlog and wanted file descriptor limit. */
#define FU_CONN_LIMIT 4000U
#define FU_BACKLOG 1024U
#define FU_WANT_NOFILE 16384

/* Media types used by the routes. */
#define FU_JSON "application/json"
#define FU_HTML "text/html; charset=utf-8"

/* One copied request header. */
struct fu_header {
	char *name;
	char *value;
};

/* A counted series: the /stats total and the /flaky cycle position. */
struct fu_series {
	unsigned long total;
	unsigned long cycle;
};

/* The server: daemon, counters and the most recent request. */
struct fake_upstream {
	struct MHD_Daemon *daemon;
	unsigned short port;
	bool have_lock;
	bool have_wake;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stopping;
	unsigned long requests;
	unsigned inflight;
	unsigned max_inflight;
	struct fu_series stats;
	struct fu_series flaky;
	struct fu_series flap;
	struct lh_table *stats_names;
	struct lh_table *flaky_names;
	struct lh_table *flap_names;
	char *last_path;
	struct fu_header *last_headers;
	size_t last_nheaders;
	char *rewrite; /* "/path?k=v" that /stats requests get */
	char *rewrite_name; /* only for this name=, or every one if NULL */
};

/* Which counted series a request advances. */
enum fu_kind {
	FU_KIND_STATS,
	FU_KIND_FLAKY,
	FU_KIND_FLAP,
};

/* Per-request state kept in MHD's request pointer. */
struct fu_request {
	bool counted;
	char *rewrite; /* this request's copy of the rewrite */
};

/* A generated body for /huge and /drip. */
struct fu_body {
	struct fake_upstream *fu;
	uint64_t size;
	uint64_t every_ms;
	int fd;
};

/* The gzip stream of a /gzipbomb body and its next input block. */
struct fu_bomb {
	struct fake_upstream *fu;
	z_stream zs;
	bool ready; /* zs is initialised */
	bool done; /* zs has ended */
	uint64_t size;
	uint64_t fed;
	char in[FU_BLOCK_SIZE];
};

/* One response header to add; a NULL name or value leaves it out. */
struct fu_rhdr {
	const char *name;
	const char *value;
};

/* The If-None-Match headers of an /etag request, checked against tag. */
struct fu_inm {
	const char *tag;
	bool present;
	bool match;
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
	enum MHD_Result (*fn)(
	    struct fake_upstream *fu, struct MHD_Connection *conn);
};

/* Frame of generated bodies; the pad string goes between head and tail. */
static const char fu_frame_head[] =
    "{\"data\":{\"total\":1,\"active\":2},\"pad\":\"";
static const char fu_frame_tail[] = "\"}";

/* Body of /html. */
static const char fu_html_body[] =
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1></body></html>";

/* Start of the /reset body; 'x' bytes follow. */
static const char fu_reset_head[] = "{\"data\":{\"total\":1,\"pad\":\"";

/* Body of /truncated. */
static const char fu_truncated_body[] = "{\"data\":{\"total\":12";

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
	if (fu->stats_names != NULL)
		lh_table_free(fu->stats_names);
	if (fu->flaky_names != NULL)
		lh_table_free(fu->flaky_names);
	if (fu->flap_names != NULL)
		lh_table_free(fu->flap_names);
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
static int
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
static int
fu_conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return -1;
	return info->connect_fd;
}

/* Reads query argument KEY as digits clamped to MAX; -1 if malformed. */
static int
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
static enum MHD_Result
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
static enum MHD_Result
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
static enum MHD_Result
fu_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hvalue)
{
	const struct fu_rhdr hdr = {hname, hvalue};

	return fu_reply_list(conn, status, ctype, body, len, &hdr, 1);
}

/* Returns true if S is empty or free of control characters. */
static bool
fu_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Queues the JSON error {"error":MSG} with STATUS. */
static enum MHD_Result
fu_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char body[256];
	int n;

	n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", msg);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply(conn, status, FU_JSON, body, (size_t)n, NULL, NULL);
}

/* Queues the /stats document for counter value TOTAL. */
static enum MHD_Result
fu_stats_reply(struct MHD_Connection *conn, unsigned long total)
{
	char body[256];
	int n;

	n = snprintf(body, sizeof(body),
	    "{\"data\":{\"total\":%lu,\"active\":%lu,\"ratio\":0.25,"
	    "\"label\":\"fake\",\"flag\":true,\"nothing\":null},"
	    "\"source\":\"fake-upstream\"}",
	    total, total % 100 + 1);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, (size_t)n, NULL, NULL);
}

/* Finds or adds series NAME in TABLE; call with the lock held. */
static struct fu_series *
fu_series_get(struct lh_table *table, const char *name)
{
	struct lh_entry *e;
	struct fu_series *s = NULL;
	char *key = NULL;

	e = lh_table_lookup_entry(table, name);
	if (e != NULL)
		return lh_entry_v(e);
	if (table->count >= FU_MAX_NAMES)
		return NULL;
	key = strdup(name);
	s = calloc(1, sizeof(*s));
	if (key == NULL || s == NULL)
		goto fail;
	s->total = FU_STATS_START;
	if (lh_table_insert(table, key, s) != 0)
		goto fail;
	return s;
fail:
	free(key);
	free(s);
	return NULL;
}

/* Advances the KIND series of CONN's name=; -1 on failure. */
static int
fu_series_next(struct fake_upstream *fu, struct MHD_Connection *conn,
    enum fu_kind kind, unsigned long *total, unsigned long *cycle)
{
	struct fu_series *s;
	struct fu_series *shared;
	struct lh_table *names;
	const char *name;
	int ret = -1;

	switch (kind) {
	case FU_KIND_FLAKY:
		shared = &fu->flaky;
		names = fu->flaky_names;
		break;
	case FU_KIND_FLAP:
		shared = &fu->flap;
		names = fu->flap_names;
		break;
	default:
		shared = &fu->stats;
		names = fu->stats_names;
		break;
	}
	name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
	pthread_mutex_lock(&fu->lock);
	s = name == NULL ? shared : fu_series_get(names, name);
	if (s == NULL)
		goto fail;
	*cycle = s->cycle++;
	*total = s->total;
	ret = 0;
	/* /flaky and /flap only move on answers that look like /stats. */
	if (kind == FU_KIND_STATS)
		s->total++;
	else if (kind == FU_KIND_FLAP && *cycle % 2 == 0)
		s->total++;
	else if (kind == FU_KIND_FLAKY && *cycle % 10 != 3 &&
	    *cycle % 10 != 6 && *cycle % 10 != 9)
		s->total++;
fail:
	pthread_mutex_unlock(&fu->lock);
	return ret;
}

/* Route /stats: a growing counter, shared or per name=X. */
static enum MHD_Result
fu_route_stats(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	unsigned long total;
	unsigned long cycle;

	if (fu_series_next(fu, conn, FU_KIND_STATS, &total, &cycle) != 0)
		return fu_error(
		    conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "too many names");
	return fu_stats_reply(conn, total);
}

/* Route /flaky: cycles through good, 503, 502 HTML and truncated. */
static enum MHD_Result
fu_route_flaky(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	unsigned long total;
	unsigned long cycle;

	if (fu_series_next(fu, conn, FU_KIND_FLAKY, &total, &cycle) != 0)
		return fu_error(
		    conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "too many names");
	switch (cycle % 10) {
	case 3:
		return fu_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, FU_JSON,
		    "{\"error\":\"fake status 503\"}",
		    strlen("{\"error\":\"fake status 503\"}"),
		    MHD_HTTP_HEADER_RETRY_AFTER, "2");
	case 6:
		return fu_reply(conn, MHD_HTTP_BAD_GATEWAY, FU_HTML,
		    fu_html_body, strlen(fu_html_body), NULL, NULL);
	case 9:
		return fu_reply(conn, MHD_HTTP_OK, FU_JSON, fu_truncated_body,
		    strlen(fu_truncated_body), NULL, NULL);
	default:
		return fu_stats_reply(conn, total);
	}
}

/* Route /flap: alternates a /stats answer and a 500, shared or per name. */
static enum MHD_Result
fu_route_flap(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	unsigned long total;
	unsigned long cycle;

	if (fu_series_next(fu, conn, FU_KIND_FLAP, &total, &cycle) != 0)
		return fu_error(
		    conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "too many names");
	if (cycle % 2 != 0)
		return fu_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "flap");
	return fu_stats_reply(conn, total);
}

/* Route /status/CODE: answers with status CODE (the path after /status/). */
static enum MHD_Result
fu_route_status(struct MHD_Connection *conn, const char *code)
{
	struct fu_rhdr hdrs[3] = {
	    {MHD_HTTP_HEADER_RETRY_AFTER, "2"},
	    {"X-RateLimit-Reset", NULL},
	    {"RateLimit-Reset", NULL},
	};
	const char *given = NULL;
	char body[64];
	size_t len;
	size_t i;
	unsigned status;
	int n;

	len = strlen(code);
	if (len == 0 || len > 3 || strspn(code, "0123456789") != len)
		return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	status = (unsigned)strtoul(code, NULL, 10);
	if (status < 100 || status > 599)
		return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND,
	        "retry_after", strlen("retry_after"), &given, NULL) == MHD_YES)
		hdrs[0].value =
		    (given != NULL && *given != '\0') ? given : NULL;
	if (status != 429 && status != 503)
		hdrs[0].value = NULL;
	/* The reset headers are sent verbatim with any status. */
	hdrs[1].value = MHD_lookup_connection_value(
	    conn, MHD_GET_ARGUMENT_KIND, "x_ratelimit_reset");
	hdrs[2].value = MHD_lookup_connection_value(
	    conn, MHD_GET_ARGUMENT_KIND, "ratelimit_reset");
	for (i = 1; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		if (hdrs[i].value != NULL && *hdrs[i].value == '\0')
			hdrs[i].value = NULL;
		if (hdrs[i].value != NULL && !fu_value_ok(hdrs[i].value))
			return fu_error(
			    conn, MHD_HTTP_BAD_REQUEST, "bad ratelimit_reset");
	}
	n = snprintf(
	    body, sizeof(body), "{\"error\":\"fake status %u\"}", status);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply_list(conn, status, FU_JSON, body, (size_t)n, hdrs,
	    sizeof(hdrs) / sizeof(hdrs[0]));
}

/* Route /html: an HTML error page with status 200. */
static enum MHD_Result
fu_route_html(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply(conn, MHD_HTTP_OK, FU_HTML, fu_html_body,
	    strlen(fu_html_body), NULL, NULL);
}

/* Route /truncated: JSON cut off in the middle. */
static enum MHD_Result
fu_route_truncated(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply(conn, MHD_HTTP_OK, FU_JSON, fu_truncated_body,
	    strlen(fu_truncated_body), NULL, NULL);
}

/* Route /trailing: valid JSON followed by garbage. */
static enum MHD_Result
fu_route_trailing(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] =
	    "{\"data\":{\"total\":1,\"active\":2}} trailing garbage";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /deep: objects nested FU_DEEP_LEVELS deep. */
static enum MHD_Result
fu_route_deep(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char open[] = "{\"a\":";
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret = MHD_NO;
	size_t olen = strlen(open);
	size_t len = FU_DEEP_LEVELS * (olen + 1) + 1;
	char *body;
	char *p;
	int i;

	body = malloc(len);
	if (body == NULL)
		return MHD_NO;
	p = body;
	for (i = 0; i < FU_DEEP_LEVELS; i++, p += olen)
		memcpy(p, open, olen);
	*p++ = '1';
	memset(p, '}', FU_DEEP_LEVELS);
	resp =
	    MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(
	        resp, MHD_HTTP_HEADER_CONTENT_TYPE, FU_JSON) != MHD_YES)
		goto fail;
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
fail:
	MHD_destroy_response(resp);
	return ret;
}

/* Route /badutf8: a string holding an invalid UTF-8 sequence. */
static enum MHD_Result
fu_route_badutf8(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] =
	    "{\"data\":{\"total\":1,\"active\":2,\"label\":\"\xC3\x28\"}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /missing: valid JSON without the expected fields. */
static enum MHD_Result
fu_route_missing(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"other\":1}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /empty: status 200 with no body. */
static enum MHD_Result
fu_route_empty(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply(conn, MHD_HTTP_OK, FU_JSON, "", 0, NULL, NULL);
}

/* Route /bignum: a total too large for a double. */
static enum MHD_Result
fu_route_bignum(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":1e400,\"active\":1}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /wrongtype: the expected fields with the wrong JSON types. */
static enum MHD_Result
fu_route_wrongtype(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":{\"nested\":1},"
	                           "\"active\":\"seven\",\"list\":[1,2]}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Returns true if tag T is 1 to FU_TAG_MAX printable bytes, no '"' or ','. */
static bool
fu_tag_ok(const char *t)
{
	size_t len = strlen(t);
	size_t i;

	if (len == 0 || len > FU_TAG_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f ||
		    t[i] == '"' || t[i] == ',')
			return false;
	return true;
}

/* Returns true if If-None-Match LIST holds "*", "TAG" or W/"TAG". */
static bool
fu_inm_match(const char *list, const char *tag)
{
	size_t tlen = strlen(tag);
	const char *p = list;
	const char *end;
	size_t n;

	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return false;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return true;
		if (n >= 2 && strncmp(p, "W/", 2) == 0) {
			p += 2;
			n -= 2;
		}
		if (n == tlen + 2 && p[0] == '"' && p[n - 1] == '"' &&
		    memcmp(p + 1, tag, tlen) == 0)
			return true;
		p = end;
	}
}

/* Checks one request header against the /etag tag in CLS. */
static enum MHD_Result
fu_inm_cb(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fu_inm *inm = cls;

	if (strcasecmp(key, MHD_HTTP_HEADER_IF_NONE_MATCH) != 0)
		return MHD_YES;
	inm->present = true;
	if (value != NULL && fu_inm_match(value, inm->tag))
		inm->match = true;
	return MHD_YES;
}

/* Route /etag?tag=X: a document with validators, 304 when they match. */
static enum MHD_Result
fu_route_etag(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":42,\"active\":7}}";
	char etag[FU_TAG_MAX + 3];
	struct fu_rhdr hdrs[2] = {
	    {MHD_HTTP_HEADER_ETAG, etag},
	    {MHD_HTTP_HEADER_LAST_MODIFIED, FU_LAST_MODIFIED},
	};
	struct fu_inm inm = {NULL, false, false};
	const char *ims;
	bool fresh;
	int n;

	inm.tag =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "tag");
	if (inm.tag == NULL)
		inm.tag = FU_ETAG_DEFAULT;
	if (!fu_tag_ok(inm.tag))
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad tag");
	n = snprintf(etag, sizeof(etag), "\"%s\"", inm.tag);
	if (n < 0 || (size_t)n >= sizeof(etag))
		return MHD_NO;
	(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, fu_inm_cb, &inm);
	/* If-Modified-Since only counts without If-None-Match. */
	if (inm.present) {
		fresh = inm.match;
	} else {
		ims = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
		fresh = ims != NULL && strcmp(ims, FU_LAST_MODIFIED) == 0;
	}
	if (fresh)
		return fu_reply_list(
		    conn, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, hdrs, 1);
	return fu_reply_list(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), hdrs, 2);
}

/* Queues a STATUS redirect to LOCATION with a tiny JSON body. */
static enum MHD_Result
fu_redirect(struct MHD_Connection *conn, unsigned status, const char *location)
{
	char body[64];
	int n;

	n = snprintf(body, sizeof(body), "{\"redirect\":%u}", status);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply(conn, status, FU_JSON, body, (size_t)n,
	    MHD_HTTP_HEADER_LOCATION, location);
}

/* Route /redirect?to=URL&code=C: a redirect (301/302/303/307/308) to URL. */
static enum MHD_Result
fu_route_redirect(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	const char *to;
	uint64_t code;

	to = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "to");
	if (to == NULL || *to == '\0')
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "missing to");
	if (!fu_value_ok(to))
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad to");
	if (fu_arg_num(conn, "code", 302, 999, &code) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad code");
	if (code != 301 && code != 302 && code != 303 && code != 307 &&
	    code != 308)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad code");
	return fu_redirect(conn, (unsigned)code, to);
}

/* Route /loop: a redirect to itself. */
static enum MHD_Result
fu_route_loop(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_redirect(conn, MHD_HTTP_FOUND, "/loop");
}

/* Compresses LEN bytes of SRC into a new gzip buffer; NULL on failure. */
static unsigned char *
fu_gzip(const char *src, size_t len, size_t *out_len)
{
	unsigned char *out = NULL;
	z_stream zs;
	uLong cap;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&zs, (uLong)len);
	out = malloc(cap);
	if (out == NULL)
		goto fail;
	zs.next_in = (const Bytef *)src;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto fail;
	*out_len = (size_t)zs.total_out;
	(void)deflateEnd(&zs);
	return out;
fail:
	(void)deflateEnd(&zs);
	free(out);
	return NULL;
}

/* Route /gzip: a small gzip-encoded JSON document. */
static enum MHD_Result
fu_route_gzip(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":7,\"active\":3}}";
	static const struct fu_rhdr hdr = {
	    MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip"};
	struct MHD_Response *resp;
	unsigned char *gz;
	size_t len;

	gz = fu_gzip(body, strlen(body), &len);
	if (gz == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, gz, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(gz);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, &hdr, 1);
}

/* Writes N bytes at POS of the generated body of SIZE bytes into BUF. */
static void
fu_body_fill(uint64_t size, uint64_t pos, char *buf, size_t n, char pad)
{
	uint64_t head = sizeof(fu_frame_head) - 1;
	uint64_t tail = sizeof(fu_frame_tail) - 1;
	uint64_t k;

	if (size < head + tail) {
		memset(buf, pad, n);
		return;
	}
	while (n > 0) {
		if (pos < head) {
			k = head - pos < n ? head - pos : n;
			memcpy(buf, fu_frame_head + pos, (size_t)k);
		} else if (pos < size - tail) {
			k = size - tail - pos < n ? size - tail - pos : n;
			memset(buf, pad, (size_t)k);
		} else {
			k = size - pos < n ? size - pos : n;
			memcpy(buf, fu_frame_tail + (pos - (size - tail)),
			    (size_t)k);
		}
		buf += k;
		pos += k;
		n -= (size_t)k;
	}
}

/* Frees a generated body's state. */
static void
fu_body_free_cb(void *cls)
{
	free(cls);
}

/* Produces the next block of a /huge body. */
static ssize_t
fu_huge_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_body *b = cls;
	uint64_t n;

	if (atomic_load(&b->fu->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= b->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = b->size - pos;
	if (n > max)
		n = max;
	if (n > FU_BLOCK_SIZE)
		n = FU_BLOCK_SIZE;
	fu_body_fill(b->size, pos, buf, (size_t)n, 'x');
	return (ssize_t)n;
}

/* Produces the next byte of a /drip body after waiting every_ms. */
static ssize_t
fu_drip_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_body *b = cls;

	if (atomic_load(&b->fu->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= b->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* The headers are out already; even the first byte waits. */
	if (fu_sleep(b->fu, b->fd, b->every_ms) != 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	fu_body_fill(b->size, pos, buf, 1, 'x');
	return 1;
}

/* Queues a generated body of SIZE bytes read by CB. */
static enum MHD_Result
fu_generated(struct fake_upstream *fu, struct MHD_Connection *conn,
    uint64_t size, bool chunked, uint64_t every_ms,
    MHD_ContentReaderCallback cb)
{
	struct MHD_Response *resp;
	struct fu_body *b;
	enum MHD_Result ret = MHD_NO;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return MHD_NO;
	b->fu = fu;
	b->size = size;
	b->every_ms = every_ms;
	b->fd = fu_conn_fd(conn);
	resp =
	    MHD_create_response_from_callback(chunked ? MHD_SIZE_UNKNOWN : size,
	        FU_BLOCK_SIZE, cb, b, fu_body_free_cb);
	if (resp == NULL) {
		free(b);
		return MHD_NO;
	}
	if (MHD_add_response_header(
	        resp, MHD_HTTP_HEADER_CONTENT_TYPE, FU_JSON) != MHD_YES)
		goto fail;
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
fail:
	MHD_destroy_response(resp);
	return ret;
}

/* Route /huge?bytes=N&chunked=1: a big valid JSON document. */
static enum MHD_Result
fu_route_huge(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	const char *chunked;
	uint64_t size;

	if (fu_arg_num(conn, "bytes", FU_HUGE_DEFAULT, FU_HUGE_MAX, &size) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad bytes");
	chunked =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "chunked");
	return fu_generated(fu, conn, size,
	    chunked != NULL && strcmp(chunked, "1") == 0, 0, fu_huge_cb);
}

/* Route /drip?bytes=N&every_ms=M: a JSON document sent byte by byte. */
static enum MHD_Result
fu_route_drip(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	uint64_t size;
	uint64_t every;

	if (fu_arg_num(conn, "bytes", FU_DRIP_DEFAULT, FU_HUGE_MAX, &size) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad bytes");
	if (fu_arg_num(conn, "every_ms", FU_DRIP_EVERY_DEFAULT, FU_MAX_DELAY_MS,
	        &every) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad every_ms");
	return fu_generated(fu, conn, size, false, every, fu_drip_cb);
}

/* Frees a /gzipbomb body's gzip stream and state. */
static void
fu_bomb_free_cb(void *cls)
{
	struct fu_bomb *b = cls;

	if (b->ready)
		(void)deflateEnd(&b->zs);
	free(b);
}

/* Compresses the next part of a /gzipbomb body into BUF. */
static ssize_t
fu_bomb_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_bomb *b = cls;
	uint64_t n;
	size_t room;
	int rc;

	if (b->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	room = max > UINT_MAX ? UINT_MAX : max;
	b->zs.next_out = (Bytef *)buf;
	b->zs.avail_out = (uInt)room;
	/* The body is never held whole: one block of input at a time. */
	while (b->zs.avail_out > 0 && !b->done) {
		if (atomic_load(&b->fu->stopping))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (b->zs.avail_in == 0 && b->fed < b->size) {
			n = b->size - b->fed;
			if (n > FU_BLOCK_SIZE)
				n = FU_BLOCK_SIZE;
			fu_body_fill(b->size, b->fed, b->in, (size_t)n, ' ');
			b->zs.next_in = (const Bytef *)b->in;
			b->zs.avail_in = (uInt)n;
			b->fed += n;
		}
		rc = deflate(&b->zs, b->fed == b->size ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			b->done = true;
		else if (rc != Z_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (room == b->zs.avail_out)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)(room - b->zs.avail_out);
}

/* Route /gzipbomb?bytes=N: gzip of a valid JSON document of N bytes. */
static enum MHD_Result
fu_route_gzipbomb(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const struct fu_rhdr hdr = {
	    MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip"};
	struct MHD_Response *resp;
	struct fu_bomb *b;
	uint64_t size;

	if (fu_arg_num(conn, "bytes", FU_BOMB_DEFAULT, FU_BOMB_MAX, &size) !=
	        0 ||
	    size < sizeof(fu_frame_head) - 1 + sizeof(fu_frame_tail) - 1)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad bytes");
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return MHD_NO;
	b->fu = fu;
	b->size = size;
	if (deflateInit2(&b->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK) {
		free(b);
		return MHD_NO;
	}
	b->ready = true;
	resp = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, FU_BLOCK_SIZE, fu_bomb_cb, b, fu_bomb_free_cb);
	if (resp == NULL) {
		fu_bomb_free_cb(b);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, &hdr, 1);
}

/* Resets the TCP connection on FD once the bytes queued so far have left. */
static void
fu_abort_conn(struct fake_upstream *fu, int fd)
{
	static const struct linger hard = {1, 0};
	struct sockaddr sa;
	int queued;
	int i;

	if (fd < 0)
		return;
	/* A zero linger resets on close too, should the disconnect fail. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
	for (i = 0; i < FU_DRAIN_MS; i++) {
		if (ioctl(fd, SIOCOUTQ, &queued) != 0 || queued <= 0)
			break;
		if (fu_sleep(fu, fd, 1) != 0)
			break;
	}
	/*
	 * MHD shuts the socket down (FIN) before it closes it, so reset it
	 * here: on Linux connect(AF_UNSPEC) drops a TCP connection with RST
	 * and leaves the descriptor for MHD to close.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	(void)connect(fd, &sa, sizeof(sa));
}

/* Sends N bytes at POS of a /reset body, then resets the connection. */
static ssize_t
fu_reset_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_body *b = cls;
	uint64_t head = sizeof(fu_reset_head) - 1;
	uint64_t n;
	uint64_t i;

	if (atomic_load(&b->fu->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= b->size) {
		fu_abort_conn(b->fu, b->fd);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = b->size - pos;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		buf[i] = pos + i < head ? fu_reset_head[pos + i] : 'x';
	return (ssize_t)n;
}

/* Route /reset?after=N: N bytes of a promised 10000, then a reset. */
static enum MHD_Result
fu_route_reset(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	struct fu_body *b;
	uint64_t after;

	if (fu_arg_num(conn, "after", FU_RESET_DEFAULT, FU_RESET_MAX, &after) !=
	    0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad after");
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return MHD_NO;
	b->fu = fu;
	b->size = after;
	b->fd = fu_conn_fd(conn);
	resp = MHD_create_response_from_callback(
	    FU_RESET_SIZE, FU_BLOCK_SIZE, fu_reset_cb, b, fu_body_free_cb);
	if (resp == NULL) {
		free(b);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, NULL, 0);
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

/* Route /headers: the request headers as a JSON object. */
static enum MHD_Result
fu_route_headers(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	struct fu_hjson hj;
	enum MHD_Result ret = MHD_NO;
	const char *body;
	size_t len;

	hj.failed = false;
	hj.obj = json_object_new_object();
	if (hj.obj == NULL)
		return MHD_NO;
	(void)MHD_get_connection_values(
	    conn, MHD_HEADER_KIND, fu_header_json_cb, &hj);
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
    {"/html", fu_route_html},
    {"/truncated", fu_route_truncated},
    {"/trailing", fu_route_trailing},
    {"/deep", fu_route_deep},
    {"/badutf8", fu_route_badutf8},
    {"/missing", fu_route_missing},
    {"/empty", fu_route_empty},
    {"/huge", fu_route_huge},
    {"/drip", fu_route_drip},
    {"/headers", fu_route_headers},
    {"/flaky", fu_route_flaky},
    {"/counters", fu_route_counters},
    {"/etag", fu_route_etag},
    {"/redirect", fu_route_redirect},
    {"/loop", fu_route_loop},
    {"/gzip", fu_route_gzip},
    {"/gzipbomb", fu_route_gzipbomb},
    {"/reset", fu_route_reset},
    {"/bignum", fu_route_bignum},
    {"/wrongtype", fu_route_wrongtype},
    {"/flap", fu_route_flap},
};

/* Answers a complete GET or HEAD request for URL. */
static enum MHD_Result
fu_dispatch(
    struct fake_upstream *fu, struct MHD_Connection *conn, const char *url)
{
	static const char status_prefix[] = "/status/";
	size_t i;

	if (strncmp(url, status_prefix, strlen(status_prefix)) == 0)
		return fu_route_status(conn, url + strlen(status_prefix));
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
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return fu_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, FU_JSON,
		    "{\"error\":\"method not allowed\"}",
		    strlen("{\"error\":\"method not allowed\"}"),
		    MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return fu_dispatch(fu, conn, url);
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
	if (fu->stats_names == NULL || fu->flaky_names == NULL ||
	    fu->flap_names == NULL)
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
	    fu_completed_cb, fu, MHD_OPTION_END);
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

/* Returns how many requests have been received since start or reset. */
unsigned long
fake_upstream_requests(struct fake_upstream *fu)
{
	unsigned long n;

	pthread_mutex_lock(&fu->lock);
	n = fu->requests;
	pthread_mutex_unlock(&fu->lock);
	return n;
}

/* Returns the most requests in flight at once since start or reset. */
unsigned
fake_upstream_max_inflight(struct fake_upstream *fu)
{
	unsigned n;

	pthread_mutex_lock(&fu->lock);
	n = fu->max_inflight;
	pthread_mutex_unlock(&fu->lock);
	return n;
}

/* Returns the number of requests in flight right now. */
unsigned
fake_upstream_inflight(struct fake_upstream *fu)
{
	unsigned n;

	pthread_mutex_lock(&fu->lock);
	n = fu->inflight;
	pthread_mutex_unlock(&fu->lock);
	return n;
}

/* Resets the request count and the in-flight maximum. */
void
fake_upstream_reset(struct fake_upstream *fu)
{
	pthread_mutex_lock(&fu->lock);
	fu->requests = 0;
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
