/*
 * Fake upstream HTTP server for gatherd's integration tests and demo. It
 * serves well-behaved and deliberately broken JSON endpoints with
 * libmicrohttpd, one thread per connection, bound to 127.0.0.1 only. Every
 * route accepts delay_ms=N; delays and slow bodies wait on a condition
 * variable so that fake_upstream_stop() interrupts them promptly, and they
 * end early when the client goes away. Counters and the most recent
 * request are kept under one mutex.
 */
#include "fake_upstream.h"

#include <arpa/inet.h>
#include <errno.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <microhttpd.h>

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
	struct lh_table *stats_names;
	struct lh_table *flaky_names;
	char *last_path;
	struct fu_header *last_headers;
	size_t last_nheaders;
	char *rewrite; /* "/path?k=v" every request gets */
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
	fu_headers_free(fu->last_headers, fu->last_nheaders);
	free(fu->last_path);
	free(fu->rewrite);
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

/* Queues a copy of BODY with a content type and an optional header. */
static enum MHD_Result
fu_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hvalue)
{
	struct MHD_Response *resp;
	enum MHD_Result ret = MHD_NO;

	resp = MHD_create_response_from_buffer(
	    len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(
	        resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES)
		goto fail;
	if (hname != NULL && hvalue != NULL &&
	    MHD_add_response_header(resp, hname, hvalue) != MHD_YES)
		goto fail;
	ret = MHD_queue_response(conn, status, resp);
fail:
	MHD_destroy_response(resp);
	return ret;
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

/* Advances the /stats or /flaky series of CONN's name=; -1 on failure. */
static int
fu_series_next(struct fake_upstream *fu, struct MHD_Connection *conn,
    bool flaky, unsigned long *total, unsigned long *cycle)
{
	struct fu_series *s;
	const char *name;
	int ret = -1;

	name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
	pthread_mutex_lock(&fu->lock);
	if (name == NULL)
		s = flaky ? &fu->flaky : &fu->stats;
	else
		s = fu_series_get(
		    flaky ? fu->flaky_names : fu->stats_names, name);
	if (s == NULL)
		goto fail;
	*cycle = s->cycle++;
	*total = s->total;
	ret = 0;
	/* /flaky only moves its total on answers that look like /stats. */
	if (!flaky)
		s->total++;
	else if (*cycle % 10 != 3 && *cycle % 10 != 6 && *cycle % 10 != 9)
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

	if (fu_series_next(fu, conn, false, &total, &cycle) != 0)
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

	if (fu_series_next(fu, conn, true, &total, &cycle) != 0)
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

/* Route /status/CODE: answers with status CODE (the path after /status/). */
static enum MHD_Result
fu_route_status(struct MHD_Connection *conn, const char *code)
{
	const char *retry = "2";
	const char *given = NULL;
	char body[64];
	size_t len;
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
		retry = (given != NULL && *given != '\0') ? given : NULL;
	if (status != 429 && status != 503)
		retry = NULL;
	n = snprintf(
	    body, sizeof(body), "{\"error\":\"fake status %u\"}", status);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply(conn, status, FU_JSON, body, (size_t)n,
	    MHD_HTTP_HEADER_RETRY_AFTER, retry);
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

/* Writes N bytes at POS of the generated body of SIZE bytes into BUF. */
static void
fu_body_fill(uint64_t size, uint64_t pos, char *buf, size_t n)
{
	uint64_t head = sizeof(fu_frame_head) - 1;
	uint64_t tail = sizeof(fu_frame_tail) - 1;
	uint64_t k;

	if (size < head + tail) {
		memset(buf, 'x', n);
		return;
	}
	while (n > 0) {
		if (pos < head) {
			k = head - pos < n ? head - pos : n;
			memcpy(buf, fu_frame_head + pos, (size_t)k);
		} else if (pos < size - tail) {
			k = size - tail - pos < n ? size - tail - pos : n;
			memset(buf, 'x', (size_t)k);
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
	fu_body_fill(b->size, pos, buf, (size_t)n);
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
	if (pos > 0 && fu_sleep(b->fu, b->fd, b->every_ms) != 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	fu_body_fill(b->size, pos, buf, 1);
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
	char *query, *arg, *save, *eq;

	pthread_mutex_lock(&fu->lock);
	req->rewrite = fu->rewrite != NULL ? strdup(fu->rewrite) : NULL;
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

/* Makes every later request be served as target ("/html", NULL: off). */
void
fake_upstream_rewrite(struct fake_upstream *fu, const char *target)
{
	char *copy = target != NULL ? strdup(target) : NULL, *old;

	pthread_mutex_lock(&fu->lock);
	old = fu->rewrite;
	fu->rewrite = copy;
	pthread_mutex_unlock(&fu->lock);
	free(old);
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
	if (fu->stats_names == NULL || fu->flaky_names == NULL)
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
