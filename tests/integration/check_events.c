/*
 * Integration tests of what the dashboard uses: the Server-Sent Events
 * stream (first snapshot, events on change, the cap, reaping closed
 * clients), the history endpoint, and the static files of web_root over
 * real HTTP, including every path-escape trick.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "client.h"
#include "runner.h"

/* Opens a raw connection to gatherd and asks for /api/v1/events; a
 * receive buffer of rcvbuf bytes if not 0. */
static int
sse_open_buf(struct harness *h, int rcvbuf)
{
	struct sockaddr_in sa;
	static const char req[] = "GET /api/v1/events HTTP/1.1\r\n"
	                          "Host: 127.0.0.1\r\n"
	                          "Accept: text/event-stream\r\n\r\n";
	int fd;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	if (rcvbuf != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(api_port(h->h_api));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(
	    write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	return fd;
}

/* Opens a stream with the default buffers. */
static int
sse_open(struct harness *h)
{
	return sse_open_buf(h, 0);
}

/*
 * Reads from fd into buf (NUL-terminated, keeps the last part when it
 * fills) until needle has appeared count times or timeout_ms passed;
 * returns how many times it appeared.
 */
static int
sse_read(int fd, char *buf, size_t size, const char *needle, int count,
    int timeout_ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	size_t len = 0;
	int seen = 0, waited = 0;
	const char *p;
	ssize_t n;

	buf[0] = '\0';
	while (seen < count && waited < timeout_ms) {
		if (poll(&pfd, 1, 50) == 0) {
			waited += 50;
			continue;
		}
		if (len + 1 >= size) {
			/* Keep the tail: a needle may straddle the cut. */
			memmove(buf, buf + len / 2, len - len / 2 + 1);
			len -= len / 2;
		}
		if ((n = read(fd, buf + len, size - len - 1)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		for (seen = 0, p = buf; (p = strstr(p, needle)) != NULL;
		     p += strlen(needle))
			seen++;
	}
	return seen;
}

/* Returns event_streams from /api/v1/info. */
static long long
open_streams(struct harness *h)
{
	struct json_object *info = harness_get_json(h, "/api/v1/info");
	long long n = harness_int(info, "/event_streams");

	json_object_put(info);
	return n;
}

/* Waits until event_streams is n; returns whether it got there. */
static int
wait_streams(struct harness *h, long long n)
{
	int tries;

	for (tries = 0; tries < 500; tries++) {
		if (open_streams(h) == n)
			return 1;
		usleep(20 * 1000);
	}
	return 0;
}

static const char one_source[] = "[source s]\nurl = @UP@/stats?name=s\n"
                                 "interval = 200ms\nstat total = /data/total\n"
                                 "stat label = /data/label\n";

/* A stream gets every source at once, then events as values change. */
START_TEST(test_events_flow)
{
	struct harness *h = harness_start(NULL, one_source);
	char buf[65536];
	int fd;

	json_object_put(harness_wait_status(h, "s", "ok", 10000));
	fd = sse_open(h);
	ck_assert_int_eq(
	    sse_read(fd, buf, sizeof buf, "event: stats\n", 1, 5000), 1);
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 200"));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Type: text/event-stream"));
	ck_assert_ptr_nonnull(strstr(buf, "data: {\"generated_at\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"s\":{\"status\":\"ok\""));
	/* The source polls every 200 ms: more events follow by themselves. */
	ck_assert_int_ge(
	    sse_read(fd, buf, sizeof buf, "event: stats\n", 3, 10000), 3);
	ck_assert_int_eq(open_streams(h), 1);
	close(fd);
	harness_stop(h);
}
END_TEST

/* Past max_event_streams a stream is refused with 503 JSON. */
START_TEST(test_events_cap)
{
	struct harness *h =
	    harness_start("max_event_streams = 2\n", one_source);
	struct harness_resp *r;
	char buf[8192];
	int a, b, c;

	a = sse_open(h);
	b = sse_open(h);
	ck_assert_int_eq(
	    sse_read(a, buf, sizeof buf, "event: stats", 1, 5000), 1);
	ck_assert_int_eq(
	    sse_read(b, buf, sizeof buf, "event: stats", 1, 5000), 1);
	r = harness_request(h, "GET", "/api/v1/events", NULL);
	ck_assert_int_eq(r->r_status, 503);
	ck_assert_ptr_nonnull(strstr(r->r_body, "\"status\":503"));
	harness_resp_free(r);
	/* A closed stream is reaped, and its place can be taken again. */
	raw_reset(a);
	ck_assert_msg(wait_streams(h, 1), "closed stream never reaped");
	c = sse_open(h);
	ck_assert_int_eq(
	    sse_read(c, buf, sizeof buf, "event: stats", 1, 5000), 1);
	ck_assert_int_eq(open_streams(h), 2);
	close(b);
	close(c);
	harness_stop(h);
}
END_TEST

/* Clients that vanish are reaped: the count drops back to zero. */
START_TEST(test_events_reaped)
{
	struct harness *h = harness_start(NULL, one_source);
	char buf[8192];
	int fds[5], i;

	for (i = 0; i < 5; i++) {
		fds[i] = sse_open(h);
		ck_assert_int_eq(
		    sse_read(fds[i], buf, sizeof buf, "event: stats", 1, 5000),
		    1);
	}
	ck_assert_int_eq(open_streams(h), 5);
	for (i = 0; i < 5; i++)
		raw_reset(fds[i]);
	ck_assert_msg(wait_streams(h, 0), "vanished streams never reaped");
	harness_stop(h);
}
END_TEST

/* A client that stops reading is cut off at event_idle_timeout. */
START_TEST(test_events_stalled)
{
	char *text = NULL, *grown, buf[4096];
	struct harness *h;
	int fd, i, k, small = 1024;

	/* Fifty sources every 100 ms: events large enough to fill buffers. */
	for (i = 0; i < 50; i++) {
		k = asprintf(&grown,
		    "%s[source s%d]\nurl = @UP@/stats?name=s%d\n"
		    "interval = 100ms\nstat total = /data/total\n"
		    "stat label = /data/label\n",
		    text ? text : "", i, i);
		ck_assert_int_gt(k, 0);
		free(text);
		text = grown;
	}
	h = harness_start("event_idle_timeout = 1s\n", text);
	/* The least buffer, and after the first event it reads nothing. */
	fd = sse_open_buf(h, small);
	ck_assert_int_eq(
	    sse_read(fd, buf, sizeof buf, "event: stats", 1, 5000), 1);
	ck_assert_int_eq(open_streams(h), 1);
	for (i = 0; i < 1500 && open_streams(h) != 0; i++)
		usleep(20 * 1000);
	ck_assert_msg(open_streams(h) == 0, "a stalled stream was never cut");
	close(fd);
	harness_stop(h);
	free(text);
}
END_TEST

/* Returns the status of GET path. */
static long
status_of(struct harness *h, const char *path)
{
	struct harness_resp *r = harness_request(h, "GET", path, NULL);
	long st = r->r_status;

	harness_resp_free(r);
	return st;
}

/* The history of a stat: points in time order, since=, and 404s. */
START_TEST(test_history)
{
	struct harness *h = harness_start(NULL, one_source);
	struct json_object *doc = NULL, *points, *p0, *p1;
	char path[128];
	double t0, t1;
	int tries;
	size_t n;

	for (tries = 0; tries < 500; tries++) {
		json_object_put(doc);
		doc =
		    harness_get_json(h, "/api/v1/sources/s/history?stat=total");
		if (doc != NULL &&
		    json_object_array_length(harness_at(doc, "/points")) >= 3)
			break;
		usleep(20 * 1000);
	}
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(harness_str(doc, "/source"), "s");
	ck_assert_str_eq(harness_str(doc, "/stat"), "total");
	points = harness_at(doc, "/points");
	n = json_object_array_length(points);
	ck_assert_uint_ge(n, 3);
	p0 = json_object_array_get_idx(points, 0);
	p1 = json_object_array_get_idx(points, 1);
	t0 = json_object_get_double(json_object_array_get_idx(p0, 0));
	t1 = json_object_get_double(json_object_array_get_idx(p1, 0));
	ck_assert_double_gt(t1, t0);
	ck_assert_double_gt(t0, 1700000000.0);
	/* The fake's total starts at 1000 and grows by one a poll. */
	ck_assert_int_eq(
	    json_object_get_int64(json_object_array_get_idx(p0, 1)), 1000);
	ck_assert_int_eq(
	    json_object_get_int64(json_object_array_get_idx(p1, 1)), 1001);
	/* since= drops the first point. */
	snprintf(path, sizeof path,
	    "/api/v1/sources/s/history?stat=total&since=%.3f", t1);
	json_object_put(doc);
	doc = harness_get_json(h, path);
	ck_assert_ptr_nonnull(doc);
	ck_assert_double_eq(
	    json_object_get_double(json_object_array_get_idx(
	        json_object_array_get_idx(harness_at(doc, "/points"), 0), 0)),
	    t1);
	json_object_put(doc);
	/* A string stat has points too, with null values. */
	doc = harness_get_json(h, "/api/v1/sources/s/history?stat=label");
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_null(json_object_array_get_idx(
	    json_object_array_get_idx(harness_at(doc, "/points"), 0), 1));
	ck_assert_uint_eq(json_object_array_length(json_object_array_get_idx(
	                      harness_at(doc, "/points"), 0)),
	    2);
	json_object_put(doc);
	ck_assert_int_eq(
	    status_of(h, "/api/v1/sources/s/history?stat=nope"), 404);
	ck_assert_int_eq(
	    status_of(h, "/api/v1/sources/nope/history?stat=total"), 404);
	ck_assert_int_eq(status_of(h, "/api/v1/sources/s/history"), 400);
	ck_assert_int_eq(
	    status_of(h, "/api/v1/sources/s/history?stat=total&since=x"), 400);
	ck_assert_int_eq(
	    status_of(h, "/api/v1/sources/s/other?stat=total"), 404);
	harness_stop(h);
}
END_TEST

/* history = N keeps N points; a 304 records the unchanged value. */
START_TEST(test_history_capacity)
{
	struct harness *h = harness_start("history = 3\n",
	    "[source e]\nurl = @UP@/etag\ninterval = 100ms\n"
	    "stat total = /data/total\n");
	struct json_object *doc = NULL, *v;
	int tries;

	/* Wait for more polls than the ring holds. */
	for (tries = 0; tries < 500; tries++) {
		doc = harness_get_json(h, "/api/v1/sources");
		if (harness_int(doc, "/sources/0/polls_total") >= 6)
			break;
		json_object_put(doc);
		doc = NULL;
		usleep(20 * 1000);
	}
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	doc = harness_get_json(h, "/api/v1/sources/e/history?stat=total");
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(doc, "/points")), 3);
	v = harness_at(doc, "/points/2/1");
	ck_assert_int_eq(json_object_get_int64(v), 42);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* Writes text to dir/name. */
static void
put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* web_root is served, and nothing outside it ever is. */
START_TEST(test_static_files)
{
	static const char *const escapes[] = {"/../secret.txt",
	    "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
	    "/web/..%2f..%2fsecret.txt", "/index.html%00.js", "/%00",
	    "/.hidden", "/link-out", "/sub/../../secret.txt",
	    "/..%5csecret.txt", "/nope.html", "/sub"};
	static const char *const made[] = {"web/link-out", "web/sub/index.html",
	    "web/sub", "web/index.html", "web/app.js", "web/.hidden", "web",
	    "secret.txt"};
	char top[] = "/tmp/gatherd-web.XXXXXX", web[128], path[256], *glob;
	struct harness_resp *r;
	struct harness *h;
	char *v;
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(web, sizeof web, "%s/web", top);
	ck_assert_int_eq(mkdir(web, 0755), 0);
	snprintf(path, sizeof path, "%s/sub", web);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	put_file(web, "index.html", "<!DOCTYPE html><title>t</title>\n");
	put_file(web, "app.js", "console.log(1);\n");
	put_file(web, ".hidden", "no\n");
	put_file(web, "sub/index.html", "sub\n");
	put_file(top, "secret.txt", "SECRET\n");
	snprintf(path, sizeof path, "%s/link-out", web);
	ck_assert_int_eq(symlink("../secret.txt", path), 0);
	ck_assert_int_gt(asprintf(&glob, "web_root = %s\n", web), 0);
	h = harness_start(glob, one_source);

	r = harness_request(h, "GET", "/", NULL);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_str_eq(r->r_body, "<!DOCTYPE html><title>t</title>\n");
	v = harness_resp_header(r, "Content-Type");
	ck_assert_str_eq(v, "text/html; charset=utf-8");
	free(v);
	harness_resp_free(r);
	r = harness_request(h, "GET", "/app.js", NULL);
	ck_assert_int_eq(r->r_status, 200);
	v = harness_resp_header(r, "Content-Type");
	ck_assert_str_eq(v, "text/javascript; charset=utf-8");
	free(v);
	harness_assert_header(r, "Cache-Control", "no-cache");
	harness_resp_free(r);
	/* A browser's copy that is as new as the file gets a 304. */
	r = harness_request(h, "GET", "/app.js",
	    "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT");
	ck_assert_int_eq(r->r_status, 304);
	ck_assert_uint_eq(r->r_len, 0);
	harness_resp_free(r);
	r = harness_request(h, "GET", "/app.js",
	    "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT");
	ck_assert_int_eq(r->r_status, 200);
	harness_resp_free(r);
	ck_assert_int_eq(status_of(h, "/sub/"), 200);
	for (i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
		r = harness_request(h, "GET", escapes[i], NULL);
		ck_assert_msg(
		    r->r_status == 404, "%s gave %ld", escapes[i], r->r_status);
		ck_assert_msg(strstr(r->r_body, "SECRET") == NULL,
		    "%s leaked the secret", escapes[i]);
		ck_assert_ptr_nonnull(strstr(r->r_body, "\"status\":404"));
		harness_resp_free(r);
	}
	harness_stop(h);
	free(glob);
	/* Everything made above, children first. */
	for (i = 0; i < sizeof made / sizeof made[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", top, made[i]);
		(void)remove(path);
	}
	rmdir(top);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");

	harness_init();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_events_flow);
	tcase_add_test(tc, test_events_cap);
	tcase_add_test(tc, test_events_reaped);
	tcase_add_test(tc, test_events_stalled);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_history_capacity);
	tcase_add_test(tc, test_static_files);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
