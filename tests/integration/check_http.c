/*
 * Tests of the HTTP surface that hostile or foreign clients see: the
 * connection limits, the deadline for a request's head, refused URLs,
 * bodies and smuggling headers, the security headers on every response
 * and CORS.  gatherd runs in a harness thread; requests that libcurl
 * will not make (bodies on GET, two lengths, byte-at-a-time heads) are
 * written to a socket by hand, and every read is bounded.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "harness.h"
#include "client.h"
#include "runner.h"

/* Bound on every read of a raw response, in milliseconds. */
#define READ_MS 5000

/* The dashboard's files, for the static-file headers. */
#define WEB_ROOT TEST_DATA "/../../web"

/* The policy every static file carries, word for word. */
#define CSP                                                                    \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; "        \
	"base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

/* One source polled once an hour. */
static const char one_source[] = "[source alpha]\n"
                                 "url = @UP@/stats?name=alpha\n"
                                 "interval = 1h\n"
                                 "timeout = 5s\n"
                                 "stat total = /data/total\n";

/* Two origins allowed to read the API. */
static const char cors[] = "allow_origins = https://a.example, "
                           "http://b.example:8080\n";

/* Sends req on a new connection; returns the answer once gatherd closes. */
static char *
raw_exchange(struct harness *h, const char *req, size_t len, int *closed)
{
	int fd = harness_connect(h);
	char *resp;

	ck_assert_int_eq(raw_send(fd, req, len), 0);
	resp = raw_read(fd, NULL, READ_MS, closed);
	ck_assert_int_eq(close(fd), 0);
	return resp;
}

/* Asserts r has no header name. */
static void
assert_no_header(const struct harness_resp *r, const char *name)
{
	char *v = harness_resp_header(r, name);

	ck_assert_msg(v == NULL, "%s: %s in:\n%s", name, v, r->r_headers);
}

/*
 * Asserts the Vary of r: Origin, and Accept-Encoding too on what may be
 * sent in gzip (JSON, /metrics), in one header.
 */
static void
assert_vary(const struct harness_resp *r)
{
	char *v = harness_resp_header(r, "Vary"), *type;

	type = harness_resp_header(r, "Content-Type");
	ck_assert_ptr_nonnull(v);
	if (type != NULL && strcmp(type, "application/json") == 0)
		ck_assert_str_eq(v, "Origin, Accept-Encoding");
	else
		ck_assert_msg(strcmp(v, "Origin") == 0 ||
		        strcmp(v, "Origin, Accept-Encoding") == 0,
		    "Vary: %s", v);
	free(type);
	free(v);
}

/* Asserts the headers every response of gatherd's carries. */
static void
assert_common_headers(const struct harness_resp *r)
{
	harness_assert_header(r, "X-Content-Type-Options", "nosniff");
	harness_assert_header(r, "Referrer-Policy", "no-referrer");
	harness_assert_header(r, "X-Frame-Options", "DENY");
	assert_vary(r);
}

/* Asserts a raw response is a JSON error of status that closed. */
static void
assert_raw_error(const char *resp, int closed, long status)
{
	struct json_object *doc, *v;
	const char *body = strstr(resp, "\r\n\r\n");
	char *ct;

	ck_assert_msg(raw_status(resp) == status, "not %ld: %s", status, resp);
	ck_assert_msg(closed, "connection left open after: %s", resp);
	ct = raw_header(resp, "Content-Type");
	ck_assert_msg(ct != NULL && strcmp(ct, "application/json") == 0,
	    "not JSON: %s", resp);
	free(ct);
	ck_assert_ptr_nonnull(body);
	doc = json_tokener_parse(body + 4);
	ck_assert_msg(doc != NULL, "body not JSON: %s", resp);
	ck_assert(json_object_object_get_ex(doc, "error", &v));
	ck_assert_int_eq(harness_int(doc, "/error/status"), status);
	json_object_put(doc);
}

/* Asserts /healthz still answers 200 on a new connection. */
static void
assert_alive(struct harness *h)
{
	struct harness_resp *r = harness_request(h, "GET", "/healthz", NULL);

	ck_assert_int_eq(r->r_status, 200);
	harness_resp_free(r);
}

/* Every kind of response carries nosniff, no-referrer, DENY, Vary. */
START_TEST(test_security_headers)
{
	static const char *paths[] = {"/healthz", "/readyz", "/api/v1/stats",
	    "/api/v1/stats/alpha", "/api/v1/sources", "/api/v1/info",
	    "/api/v1/sources/alpha/history?stat=total", "/nope", "/api/v1/nope",
	    "/api/v1/stats/nope"};
	struct harness *h = harness_start(NULL, one_source);
	struct harness_resp *r;
	char *etag, hdr[64];
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_msg(r->r_status != 0, "%s: no answer", paths[i]);
		assert_common_headers(r);
		harness_resp_free(r);
		r = harness_request(h, "HEAD", paths[i], NULL);
		assert_common_headers(r);
		harness_resp_free(r);
	}
	r = harness_request(h, "DELETE", "/api/v1/stats", NULL);
	ck_assert_int_eq(r->r_status, 405);
	assert_common_headers(r);
	harness_resp_free(r);
	/* The 304 is made per request, apart from the document. */
	r = harness_request(h, "GET", "/api/v1/stats", NULL);
	etag = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	harness_resp_free(r);
	snprintf(hdr, sizeof hdr, "If-None-Match: %s", etag);
	r = harness_request(h, "GET", "/api/v1/stats", hdr);
	ck_assert_int_eq(r->r_status, 304);
	assert_common_headers(r);
	harness_resp_free(r);
	free(etag);
	harness_stop(h);
}
END_TEST

/* Static files carry the strict Content-Security-Policy as well. */
START_TEST(test_static_csp)
{
	static const char *paths[] = {"/", "/index.html", "/app.js"};
	struct harness *h =
	    harness_start("web_root = " WEB_ROOT "\n", one_source);
	struct harness_resp *r;
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		r = harness_request(h, "GET", paths[i], NULL);
		ck_assert_msg(
		    r->r_status == 200, "%s: %ld", paths[i], r->r_status);
		harness_assert_header(r, "Content-Security-Policy", CSP);
		assert_common_headers(r);
		harness_resp_free(r);
	}
	harness_stop(h);
}
END_TEST

/* The event stream's response has the same headers, and CORS. */
START_TEST(test_stream_headers)
{
	static const char req[] =
	    "GET /api/v1/events HTTP/1.1\r\n"
	    "Host: x\r\nOrigin: https://a.example\r\n\r\n";
	struct harness *h = harness_start(cors, one_source);
	char *resp;
	int fd, closed;

	fd = harness_connect(h);
	ck_assert_int_eq(raw_send(fd, req, sizeof req - 1), 0);
	resp = raw_read(fd, "\r\n\r\n", READ_MS, &closed);
	ck_assert_int_eq(raw_status(resp), 200);
	raw_assert_header(resp, "Content-Type", "text/event-stream");
	raw_assert_header(
	    resp, "Access-Control-Allow-Origin", "https://a.example");
	raw_assert_header(resp, "X-Frame-Options", "DENY");
	free(resp);
	ck_assert_int_eq(close(fd), 0);
	harness_stop(h);
}
END_TEST

/*
 * A listed origin gets Access-Control-Allow-Origin on documents (a copy
 * of the shared response), probes, errors and files; the shared
 * response itself is never touched, so the next request without an
 * Origin has no CORS header.
 */
START_TEST(test_cors_listed)
{
	static const char *paths[] = {"/api/v1/stats", "/healthz", "/readyz",
	    "/api/v1/stats/alpha", "/nope", "/", "/api/v1/info"};
	struct harness *h;
	struct harness_resp *r, *plain;
	char *global, *etag, *v;
	size_t i;

	ck_assert_int_gt(
	    asprintf(&global, "%sweb_root = %s\n", cors, WEB_ROOT), 0);
	h = harness_start(global, one_source);
	/* Polled once an hour: the ETag stays from here on. */
	json_object_put(harness_wait_status(h, "alpha", "ok", READ_MS));
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		plain = harness_request(h, "GET", paths[i], NULL);
		r = harness_request(
		    h, "GET", paths[i], "Origin: http://b.example:8080");
		ck_assert_int_eq(r->r_status, plain->r_status);
		harness_assert_header(
		    r, "Access-Control-Allow-Origin", "http://b.example:8080");
		assert_common_headers(r);
		/* The copy has the document's other headers and body. */
		if (strcmp(paths[i], "/api/v1/stats") == 0) {
			etag = harness_resp_header(plain, "ETag");
			ck_assert_ptr_nonnull(etag);
			harness_assert_header(r, "ETag", etag);
			free(etag);
			harness_assert_header(
			    r, "Content-Type", "application/json");
		}
		if (strcmp(paths[i], "/healthz") == 0)
			ck_assert_str_eq(r->r_body, plain->r_body);
		harness_resp_free(r);
		harness_resp_free(plain);
		r = harness_request(h, "GET", paths[i], NULL);
		assert_no_header(r, "Access-Control-Allow-Origin");
		harness_resp_free(r);
	}
	/* Origins are compared without regard to case. */
	r = harness_request(h, "GET", "/healthz", "Origin: HTTPS://A.example");
	v = harness_resp_header(r, "Access-Control-Allow-Origin");
	ck_assert_ptr_nonnull(v);
	free(v);
	harness_resp_free(r);
	harness_stop(h);
	free(global);
}
END_TEST

/* An origin not listed, or a near miss, gets no CORS header. */
START_TEST(test_cors_unlisted)
{
	static const char *origins[] = {"Origin: https://evil.example",
	    "Origin: http://a.example", "Origin: https://a.example:443",
	    "Origin: https://a.example.evil", "Origin: null", "Origin: *",
	    "Origin: http://b.example"};
	struct harness *h = harness_start(cors, one_source);
	struct harness_resp *r;
	size_t i;

	for (i = 0; i < sizeof origins / sizeof origins[0]; i++) {
		r = harness_request(h, "GET", "/api/v1/stats", origins[i]);
		ck_assert_int_eq(r->r_status, 200);
		assert_no_header(r, "Access-Control-Allow-Origin");
		harness_assert_header(r, "Vary", "Origin, Accept-Encoding");
		harness_resp_free(r);
		r = harness_request(h, "OPTIONS", "/api/v1/stats", origins[i]);
		ck_assert_int_eq(r->r_status, 405);
		harness_assert_header(r, "Allow", "GET, HEAD");
		assert_no_header(r, "Access-Control-Allow-Origin");
		harness_resp_free(r);
	}
	harness_stop(h);
}
END_TEST

/* A preflight from a listed origin is a 204 with the rules, no token. */
START_TEST(test_cors_preflight)
{
	static const char req[] =
	    "OPTIONS /api/v1/stats HTTP/1.1\r\nHost: x\r\n"
	    "Origin: https://a.example\r\n"
	    "Access-Control-Request-Method: GET\r\n"
	    "Access-Control-Request-Headers: authorization, if-none-match\r\n"
	    "Connection: close\r\n\r\n";
	struct harness *h;
	struct harness_resp r = {0}, *got;
	char *path, *global, *resp;
	int closed;

	path = harness_token_file("tok3n");
	ck_assert_int_gt(
	    asprintf(&global, "%sapi_token_file = %s\n", cors, path), 0);
	h = harness_start(global, one_source);
	resp = raw_exchange(h, req, sizeof req - 1, &closed);
	r.r_headers = resp;
	ck_assert_msg(raw_status(resp) == 204, "%s", resp);
	harness_assert_header(
	    &r, "Access-Control-Allow-Origin", "https://a.example");
	harness_assert_header(&r, "Access-Control-Allow-Methods", "GET, HEAD");
	harness_assert_header(
	    &r, "Access-Control-Allow-Headers", "Authorization, If-None-Match");
	harness_assert_header(&r, "Access-Control-Max-Age", "600");
	assert_common_headers(&r);
	free(resp);
	/* The real request still needs the token; its 401 is readable. */
	got = harness_request(
	    h, "GET", "/api/v1/stats", "Origin: https://a.example");
	ck_assert_int_eq(got->r_status, 401);
	harness_assert_header(
	    got, "Access-Control-Allow-Origin", "https://a.example");
	harness_resp_free(got);
	harness_stop(h);
	ck_assert_int_eq(unlink(path), 0);
	free(global);
	free(path);
}
END_TEST

/* Without allow_origins, no CORS at all: OPTIONS stays a 405. */
START_TEST(test_cors_off)
{
	struct harness *h = harness_start(NULL, one_source);
	struct harness_resp *r;

	r = harness_request(h, "GET", "/healthz", "Origin: https://a.example");
	ck_assert_int_eq(r->r_status, 200);
	assert_no_header(r, "Access-Control-Allow-Origin");
	harness_resp_free(r);
	r = harness_request(
	    h, "OPTIONS", "/api/v1/stats", "Origin: https://a.example");
	ck_assert_int_eq(r->r_status, 405);
	harness_assert_header(r, "Allow", "GET, HEAD");
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* Sends "GET target" whose request target is len bytes long. */
static char *
long_url(struct harness *h, const char *prefix, size_t len, int *closed)
{
	char *req, *resp;
	size_t n = strlen(prefix);

	ck_assert_uint_ge(len, n);
	req = malloc(len + 64);
	ck_assert_ptr_nonnull(req);
	memcpy(req, "GET ", 4);
	memcpy(req + 4, prefix, n);
	memset(req + 4 + n, 'a', len - n);
	strcpy(req + 4 + len, " HTTP/1.1\r\nHost: x\r\n\r\n");
	resp = raw_exchange(h, req, strlen(req), closed);
	free(req);
	return resp;
}

/* URLs over 2048 bytes, query included, get a JSON 414; 2048 do not. */
START_TEST(test_url_too_long)
{
	struct harness *h = harness_start(NULL, one_source);
	char *resp;
	int closed;

	resp = long_url(h, "/", 2048, &closed);
	ck_assert_msg(raw_status(resp) == 404, "%.200s", resp);
	free(resp);
	resp = long_url(h, "/", 2049, &closed);
	assert_raw_error(resp, closed, 414);
	free(resp);
	resp = long_url(h, "/healthz?x=", 3000, &closed);
	assert_raw_error(resp, closed, 414);
	free(resp);
	assert_alive(h);
	harness_stop(h);
}
END_TEST

/*
 * Past http_connection_memory MHD answers itself, before gatherd sees
 * the request: 414 for a request line, 431 for headers (HTML bodies).
 */
START_TEST(test_head_too_large)
{
	static const char pre[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ";
	struct harness *h =
	    harness_start("http_connection_memory = 8k\n", one_source);
	size_t n = sizeof pre - 1;
	char *req, *resp;
	int closed;

	resp = long_url(h, "/", 20000, &closed);
	ck_assert_msg(raw_status(resp) == 414, "%.200s", resp);
	ck_assert(closed);
	free(resp);
	req = malloc(n + 20000 + 5);
	ck_assert_ptr_nonnull(req);
	memcpy(req, pre, n);
	memset(req + n, 'b', 20000);
	memcpy(req + n + 20000, "\r\n\r\n", 5);
	resp = raw_exchange(h, req, n + 20000 + 4, &closed);
	ck_assert_msg(raw_status(resp) == 431, "%.200s", resp);
	ck_assert(closed);
	free(resp);
	free(req);
	assert_alive(h);
	harness_stop(h);
}
END_TEST

/*
 * A body is refused before it is read, however it is announced; two
 * lengths, or a length and chunks (how requests are smuggled), are a
 * 400.  Each refusal closes the connection, so no leftover bytes are
 * read as a next request.
 */
START_TEST(test_body_refused)
{
	static const struct {
		const char *req;
		long status;
	} cases[] = {
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
	     "hello",
	        413},
	    {"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	        413},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\n"
	     "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
	        413},
	    {"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
	     "\r\nabc",
	        413},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	     "Content-Length: 5\r\n\r\nhello",
	        400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	     "Content-Length: 5\r\n\r\nhello",
	        400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	        400},
	    {"POST /api/v1/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	     "\r\nabc",
	        405},
	};
	struct harness *h = harness_start(NULL, one_source);
	char *resp, *allow;
	size_t i;
	int closed;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		resp = raw_exchange(
		    h, cases[i].req, strlen(cases[i].req), &closed);
		/* HEAD gets the head of the error alone. */
		if (strncmp(cases[i].req, "HEAD", 4) == 0) {
			ck_assert_msg(raw_status(resp) == cases[i].status,
			    "case %zu: %s", i, resp);
			ck_assert(closed);
		} else {
			assert_raw_error(resp, closed, cases[i].status);
		}
		if (cases[i].status == 405) {
			allow = raw_header(resp, "Allow");
			ck_assert_str_eq(allow, "GET, HEAD");
			free(allow);
		}
		free(resp);
	}
	assert_alive(h);
	harness_stop(h);
}
END_TEST

/* "Content-Length: 0" is no body; a bad length is MHD's own 400. */
START_TEST(test_body_edge_cases)
{
	static const char zero[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	                           "Content-Length: 0\r\nConnection: close\r\n"
	                           "\r\n";
	static const char bad[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	                          "Content-Length: -1\r\n\r\n";
	struct harness *h = harness_start(NULL, one_source);
	char *resp;
	int closed;

	resp = raw_exchange(h, zero, sizeof zero - 1, &closed);
	ck_assert_msg(raw_status(resp) == 200, "%s", resp);
	ck_assert(strstr(resp, "{\"status\":\"ok\"}") != NULL);
	free(resp);
	resp = raw_exchange(h, bad, sizeof bad - 1, &closed);
	ck_assert_msg(raw_status(resp) == 400, "%s", resp);
	ck_assert(closed);
	free(resp);
	assert_alive(h);
	harness_stop(h);
}
END_TEST

/* Opens n connections and makes sure gatherd has taken each one in. */
static void
hold_connections(struct harness *h, int *fds, int n)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	char *resp;
	int i, closed;

	for (i = 0; i < n; i++) {
		fds[i] = harness_connect(h);
		/* An answer means MHD counts it; kept alive after. */
		ck_assert_int_eq(raw_send(fds[i], req, sizeof req - 1), 0);
		resp =
		    raw_read(fds[i], "{\"status\":\"ok\"}\n", READ_MS, &closed);
		ck_assert_msg(
		    raw_status(resp) == 200, "connection %d: %s", i, resp);
		free(resp);
	}
}

/* Asserts that a new connection is closed without an answer. */
static void
assert_refused(struct harness *h)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	char *resp;
	int fd = harness_connect(h), closed;

	/* The request may meet a closed socket: that is the point. */
	(void)raw_send(fd, req, sizeof req - 1);
	resp = raw_read(fd, NULL, READ_MS, &closed);
	ck_assert_msg(
	    closed && resp[0] == '\0', "served past the limit: %s", resp);
	free(resp);
	ck_assert_int_eq(close(fd), 0);
}

/* Waits (bounded) until /healthz answers again after connections closed. */
static void
wait_served(struct harness *h)
{
	struct harness_resp *r;
	long status = 0;
	int tries;

	/* MHD notices the closes on its next turn. */
	for (tries = 0; status != 200 && tries < 100; tries++) {
		r = harness_request(h, "GET", "/healthz", NULL);
		status = r->r_status;
		harness_resp_free(r);
		if (status != 200)
			usleep(20 * 1000);
	}
	ck_assert_int_eq(status, 200);
}

/* Past http_max_connections_per_ip, a client's new connections close. */
START_TEST(test_per_ip_limit)
{
	struct harness *h =
	    harness_start("http_max_connections_per_ip = 3\n", one_source);
	int fds[3], i;

	hold_connections(h, fds, 3);
	assert_refused(h);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(close(fds[i]), 0);
	wait_served(h);
	harness_stop(h);
}
END_TEST

/*
 * At http_max_connections MHD stops accepting: a new connection waits in
 * the kernel's queue, unanswered, and is served once another closes.
 */
START_TEST(test_max_connections)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	                          "Connection: close\r\n\r\n";
	struct harness *h = harness_start("http_max_connections = 2\n"
	                                  "http_max_connections_per_ip = 0\n",
	    one_source);
	int fds[2], fd, closed;
	char *resp;

	hold_connections(h, fds, 2);
	fd = harness_connect(h);
	ck_assert_int_eq(raw_send(fd, req, sizeof req - 1), 0);
	resp = raw_read(fd, NULL, 500, &closed);
	ck_assert_msg(
	    !closed && resp[0] == '\0', "served past the limit: %s", resp);
	free(resp);
	ck_assert_int_eq(close(fds[0]), 0);
	resp = raw_read(fd, NULL, READ_MS, &closed);
	ck_assert_msg(raw_status(resp) == 200, "not served: %s", resp);
	free(resp);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(close(fds[1]), 0);
	wait_served(h);
	harness_stop(h);
}
END_TEST

/*
 * A client sending its head a byte every 100 ms never idles, but is cut
 * off when http_connection_timeout has passed since it connected.
 */
START_TEST(test_slow_head)
{
	static const char head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	                           "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct harness *h =
	    harness_start("http_connection_timeout = 1s\n", one_source);
	long long start = now_ms(), took = -1;
	struct pollfd pfd;
	char c;
	size_t i;
	int fd = harness_connect(h);

	for (i = 0; i < sizeof head - 1 && took == -1; i++) {
		if (raw_send(fd, head + i, 1) == -1) {
			took = now_ms() - start;
			break;
		}
		pfd = (struct pollfd){fd, POLLIN, 0};
		if (poll(&pfd, 1, 100) == 1 && recv(fd, &c, 1, 0) <= 0)
			took = now_ms() - start;
	}
	ck_assert_msg(took != -1, "a slow head was never cut off");
	/* Not before the second, and well before the head was done. */
	ck_assert_msg(
	    took >= 900 && took < 4000, "cut off after %lld ms", took);
	ck_assert_int_eq(close(fd), 0);
	assert_alive(h);
	harness_stop(h);
}
END_TEST

/*
 * A client that leaves halfway through a head is counted out at once,
 * not at the 30 s timeout: its address may connect again.  (MHD alone
 * misses an end that arrives with the last bytes.)
 */
START_TEST(test_client_gone_mid_head)
{
	static const char part[] = "GET /heal";
	struct harness *h =
	    harness_start("http_max_connections_per_ip = 1\n", one_source);
	int fd, i;

	for (i = 0; i < 3; i++) {
		fd = harness_connect(h);
		/* MSG_MORE holds the bytes back to go out with the FIN. */
		ck_assert_int_eq(
		    send(fd, part, sizeof part - 1, MSG_MORE | MSG_NOSIGNAL),
		    (ssize_t)(sizeof part - 1));
		ck_assert_int_eq(close(fd), 0);
		/* Bounded by 2 s, far below the timeout. */
		wait_served(h);
	}
	harness_stop(h);
}
END_TEST

/* The deadline is for heads: an event stream outlives it. */
START_TEST(test_stream_outlives_deadline)
{
	static const char req[] = "GET /api/v1/events HTTP/1.1\r\n"
	                          "Host: x\r\n\r\n";
	struct harness *h =
	    harness_start("http_connection_timeout = 1s\n", one_source);
	char *resp;
	int fd, closed;

	fd = harness_connect(h);
	ck_assert_int_eq(raw_send(fd, req, sizeof req - 1), 0);
	resp = raw_read(fd, "\r\n\r\n", READ_MS, &closed);
	ck_assert_int_eq(raw_status(resp), 200);
	free(resp);
	/* Read for 2.5 s: the stream must stay open through it. */
	resp = raw_read(fd, NULL, 2500, &closed);
	ck_assert_msg(!closed, "the stream was cut off");
	free(resp);
	ck_assert_int_eq(close(fd), 0);
	harness_stop(h);
}
END_TEST

/* Builds the suite. */
static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("headers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_security_headers);
	tcase_add_test(tc, test_static_csp);
	tcase_add_test(tc, test_stream_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("cors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cors_listed);
	tcase_add_test(tc, test_cors_unlisted);
	tcase_add_test(tc, test_cors_preflight);
	tcase_add_test(tc, test_cors_off);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_url_too_long);
	tcase_add_test(tc, test_head_too_large);
	tcase_add_test(tc, test_body_refused);
	tcase_add_test(tc, test_body_edge_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_per_ip_limit);
	tcase_add_test(tc, test_max_connections);
	tcase_add_test(tc, test_slow_head);
	tcase_add_test(tc, test_client_gone_mid_head);
	tcase_add_test(tc, test_stream_outlives_deadline);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(http_suite()) == 0 ? 0 : 1;
}
