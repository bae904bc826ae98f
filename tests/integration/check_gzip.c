/*
 * Integration tests of gzip serving: gatherd's loop in a harness thread
 * against the fake upstream, asked over real HTTP with and without
 * Accept-Encoding.  The gzip bodies are inflated here with zlib and
 * compared byte for byte with the identity form; Vary, Content-Length,
 * the ETags of both forms, 304s, HEAD, CORS copies, the documents made
 * per request, /metrics, compressed as it is sent, and the dashboard's
 * files, kept in gzip per version, are checked on the wire.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "gzip.h"
#include "harness.h"
#include "runner.h"
#include "tmpdir.h"

/* Bound on every wait for a state, in milliseconds. */
#define WAIT_MS 10000
/* Tries at fetching both forms of one rendering (ages move each second). */
#define SAME_TRIES 20

/* Four sources on /stats, polled once an hour: the ETags stay. */
static const char four_sources[] = "[source alpha]\n"
                                   "url = @UP@/stats?name=alpha\n"
                                   "interval = 1h\n"
                                   "stat total = /data/total\n"
                                   "stat active = /data/active\n"
                                   "[source beta]\n"
                                   "url = @UP@/stats?name=beta\n"
                                   "interval = 1h\n"
                                   "stat total = /data/total\n"
                                   "stat ratio = /data/ratio\n"
                                   "[source gamma]\n"
                                   "url = @UP@/stats?name=gamma\n"
                                   "interval = 1h\n"
                                   "stat total = /data/total\n"
                                   "[source delta]\n"
                                   "url = @UP@/stats?name=delta\n"
                                   "interval = 1h\n"
                                   "stat total = /data/total\n";

/* The documents kept in the document cache, big enough to compress. */
static const char *const shared_paths[] = {
    "/api/v1/stats", "/api/v1/sources", "/readyz"};

#define GZIP_HDR "Accept-Encoding: gzip"

/* Starts gatherd on four_sources (global may add lines), all polled. */
static struct harness *
start(const char *global)
{
	static const char *names[] = {"alpha", "beta", "gamma", "delta"};
	struct harness *h = harness_start(global, four_sources);
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		json_object_put(
		    harness_wait_status(h, names[i], "ok", WAIT_MS));
	return h;
}

/* Returns r's body inflated (caller frees) and its length in *len. */
static char *
gunzip(const struct harness_resp *r, size_t *len)
{
	return client_gunzip(r->r_body, r->r_len, len);
}

/* Asserts r's header name holds the list element elem. */
static void
assert_header_has(
    const struct harness_resp *r, const char *name, const char *elem)
{
	char *v = harness_resp_header(r, name);

	ck_assert_msg(v != NULL && strstr(v, elem) != NULL,
	    "%s: %s, not with %s, in:\n%s", name, v ? v : "(none)", elem,
	    r->r_headers);
	free(v);
}

/* Asserts r has no header name. */
static void
assert_no_header(const struct harness_resp *r, const char *name)
{
	char *v = harness_resp_header(r, name);

	ck_assert_msg(v == NULL, "%s: %s in:\n%s", name, v, r->r_headers);
}

/* Asserts r's Content-Length is want. */
static void
assert_length(const struct harness_resp *r, size_t want)
{
	char *v = harness_resp_header(r, "Content-Length");

	ck_assert_msg(v != NULL, "no Content-Length in:\n%s", r->r_headers);
	ck_assert_uint_eq(strtoull(v, NULL, 10), want);
	free(v);
}

/* Returns 1 if r's ETag is the gzip form ("...-gz"), else 0 (or none). */
static int
etag_is_gzip(const struct harness_resp *r)
{
	char *e = harness_resp_header(r, "ETag");
	int gz;

	if (e == NULL)
		return 0;
	gz = strlen(e) > 4 && strcmp(e + strlen(e) - 4, "-gz\"") == 0;
	free(e);
	return gz;
}

/*
 * Asserts a GET of path with header (an Accept-Encoding line or NULL)
 * is answered in identity: no Content-Encoding, Vary and ETag right.
 */
static void
assert_identity(struct harness *h, const char *path, const char *header)
{
	struct harness_resp *r = harness_request(h, "GET", path, header);

	ck_assert_int_eq(r->r_status, 200);
	assert_no_header(r, "Content-Encoding");
	assert_header_has(r, "Vary", "Accept-Encoding");
	assert_header_has(r, "Vary", "Origin");
	assert_length(r, r->r_len);
	ck_assert_int_eq(r->r_body[0], '{');
	ck_assert_msg(!etag_is_gzip(r), "%s with %s: a gzip ETag", path,
	    header ? header : "no Accept-Encoding");
	harness_resp_free(r);
}

/*
 * Asserts path (header: an extra line, or NULL) is served in gzip to
 * a request with Accept-Encoding ae and inflates to the identity form
 * of the same rendering, fetched around it until both agree.
 */
static void
assert_gzip_matches(
    struct harness *h, const char *path, const char *ae, const char *header)
{
	struct harness_resp *a, *gz, *b;
	char line[512];
	size_t len = 0;
	char *plain;
	int tries, same = 0;

	snprintf(line, sizeof line, "%s%s%s", ae, header ? "\r\n" : "",
	    header ? header : "");
	for (tries = 0; !same && tries < SAME_TRIES; tries++) {
		a = harness_request(h, "GET", path, header);
		gz = harness_request(h, "GET", path, line);
		b = harness_request(h, "GET", path, header);
		ck_assert_int_eq(gz->r_status, 200);
		assert_header_has(gz, "Content-Encoding", "gzip");
		assert_header_has(gz, "Vary", "Accept-Encoding");
		assert_header_has(gz, "Content-Type", "application/json");
		assert_length(gz, gz->r_len);
		ck_assert_msg(
		    a->r_len >= GZIP_MIN_BODY, "%s: %zu bytes", path, a->r_len);
		/* Well under the identity form. */
		ck_assert_uint_lt(gz->r_len, a->r_len);
		plain = gunzip(gz, &len);
		/* No new rendering in between: both forms are the same one. */
		same = a->r_len == b->r_len &&
		    memcmp(a->r_body, b->r_body, a->r_len) == 0;
		if (same) {
			ck_assert_uint_eq(len, a->r_len);
			ck_assert_msg(memcmp(plain, a->r_body, len) == 0,
			    "%s: gunzipped differs", path);
		}
		free(plain);
		harness_resp_free(a);
		harness_resp_free(gz);
		harness_resp_free(b);
	}
	ck_assert_msg(same, "%s: no two identical renderings", path);
}

/* Each kept document is served in gzip, the identity form inflated. */
START_TEST(test_gzip_served)
{
	struct harness *h = start(NULL);
	struct harness_resp *r;
	size_t i;

	for (i = 0; i < sizeof shared_paths / sizeof shared_paths[0]; i++) {
		assert_gzip_matches(h, shared_paths[i], GZIP_HDR, NULL);
		r = harness_request(h, "GET", shared_paths[i], GZIP_HDR);
		ck_assert_msg(etag_is_gzip(r), "%s", shared_paths[i]);
		harness_resp_free(r);
	}
	/* The way browsers and curl --compressed ask. */
	assert_gzip_matches(h, "/api/v1/stats",
	    "Accept-Encoding: gzip, deflate, br, zstd", NULL);
	assert_gzip_matches(
	    h, "/api/v1/stats", "Accept-Encoding: deflate, *;q=0.5", NULL);
	harness_stop(h);
}
END_TEST

/* Not asked for, refused or not preferred: identity, Vary all the same. */
START_TEST(test_gzip_not_asked)
{
	static const char *headers[] = {NULL, "Accept-Encoding: identity",
	    "Accept-Encoding: gzip;q=0", "Accept-Encoding: br, deflate",
	    "Accept-Encoding: gzip;q=0.5, identity",
	    "Accept-Encoding: *, gzip;q=0", "Accept-Encoding: gzip;q=x"};
	struct harness *h = start(NULL);
	size_t i, j;

	for (i = 0; i < sizeof shared_paths / sizeof shared_paths[0]; i++) {
		for (j = 0; j < sizeof headers / sizeof headers[0]; j++)
			assert_identity(h, shared_paths[i], headers[j]);
	}
	harness_stop(h);
}
END_TEST

/* Returns the ETag of a GET of path with header (caller frees). */
static char *
etag_of(struct harness *h, const char *path, const char *header)
{
	struct harness_resp *r = harness_request(h, "GET", path, header);
	char *e;

	ck_assert_int_eq(r->r_status, 200);
	e = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(e);
	harness_resp_free(r);
	return e;
}

/*
 * Asserts a GET of path with If-None-Match inm and, if ae, gzip asked
 * is a 304 with ETag want, Vary and no body.
 */
static void
assert_304(struct harness *h, const char *path, const char *inm, int ae,
    const char *want)
{
	struct harness_resp *r;
	char line[512], *e;

	snprintf(line, sizeof line, "If-None-Match: %s%s", inm,
	    ae ? "\r\n" GZIP_HDR : "");
	r = harness_request(h, "GET", path, line);
	ck_assert_int_eq(r->r_status, 304);
	ck_assert_uint_eq(r->r_len, 0);
	assert_no_header(r, "Content-Encoding");
	assert_header_has(r, "Vary", "Accept-Encoding");
	e = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, want);
	free(e);
	harness_resp_free(r);
}

/* If-None-Match naming either form is a 304, with the asker's ETag. */
START_TEST(test_gzip_not_modified)
{
	struct harness *h = start(NULL);
	char *plain, *gz;
	size_t i;

	for (i = 0; i < sizeof shared_paths / sizeof shared_paths[0]; i++) {
		plain = etag_of(h, shared_paths[i], NULL);
		gz = etag_of(h, shared_paths[i], GZIP_HDR);
		/* The same version, told apart: W/"7" and W/"7-gz". */
		ck_assert_uint_eq(strlen(gz), strlen(plain) + 3);
		ck_assert_int_eq(strncmp(gz, plain, strlen(plain) - 1), 0);
		ck_assert_str_eq(gz + strlen(plain) - 1, "-gz\"");
		assert_304(h, shared_paths[i], plain, 0, plain);
		assert_304(h, shared_paths[i], gz, 1, gz);
		/* A cache holding the other form revalidates it too. */
		assert_304(h, shared_paths[i], plain, 1, gz);
		assert_304(h, shared_paths[i], gz, 0, plain);
		/* Strong forms, as some clients send them. */
		assert_304(h, shared_paths[i], gz + 2, 1, gz);
		free(plain);
		free(gz);
	}
	harness_stop(h);
}
END_TEST

/* HEAD in gzip: the gzip form's headers and length, no body. */
START_TEST(test_gzip_head)
{
	struct harness *h = start(NULL);
	struct harness_resp *get, *head;
	char *want, *got;
	int tries;

	for (tries = 0; tries < SAME_TRIES; tries++) {
		get = harness_request(h, "GET", "/api/v1/stats", GZIP_HDR);
		head = harness_request(h, "HEAD", "/api/v1/stats", GZIP_HDR);
		ck_assert_int_eq(head->r_status, 200);
		ck_assert_uint_eq(head->r_len, 0);
		assert_header_has(head, "Content-Encoding", "gzip");
		assert_header_has(head, "Vary", "Accept-Encoding");
		ck_assert(etag_is_gzip(head));
		want = harness_resp_header(get, "Content-Length");
		got = harness_resp_header(head, "Content-Length");
		ck_assert_ptr_nonnull(want);
		ck_assert_ptr_nonnull(got);
		/* Equal unless a new rendering came in between. */
		tries = strcmp(want, got) == 0 ? SAME_TRIES + 1 : tries;
		free(want);
		free(got);
		harness_resp_free(get);
		harness_resp_free(head);
	}
	ck_assert_int_eq(tries, SAME_TRIES + 2);
	harness_stop(h);
}
END_TEST

/* An allowed origin's copy of the shared gzip response stays gzip. */
START_TEST(test_gzip_cors_copy)
{
	struct harness *h = start("allow_origins = https://a.example\n");
	struct harness_resp *r;

	assert_gzip_matches(
	    h, "/api/v1/stats", GZIP_HDR, "Origin: https://a.example");
	r = harness_request(h, "GET", "/api/v1/stats",
	    GZIP_HDR "\r\nOrigin: https://a.example");
	ck_assert_int_eq(r->r_status, 200);
	assert_header_has(
	    r, "Access-Control-Allow-Origin", "https://a.example");
	ck_assert(etag_is_gzip(r));
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* A source polled every 100 ms, for a history worth compressing. */
static const char fast_source[] = "[source fast]\n"
                                  "url = @UP@/stats?name=fast\n"
                                  "interval = 100ms\n"
                                  "stat total = /data/total\n";

/*
 * A source's history, made per request, is compressed per request; so
 * is /api/v1/info when big enough, and is not when under GZIP_MIN_BODY.
 */
START_TEST(test_gzip_per_request)
{
	static const char path[] = "/api/v1/sources/fast/history?stat=total";
	struct harness *h = harness_start(NULL, fast_source);
	struct harness_resp *r;
	struct json_object *doc;
	size_t len = 0;
	char *plain;

	json_object_put(harness_wait_polls(h, "fast", 30));
	r = harness_request(h, "GET", path, GZIP_HDR);
	ck_assert_int_eq(r->r_status, 200);
	assert_header_has(r, "Content-Encoding", "gzip");
	assert_header_has(r, "Vary", "Accept-Encoding");
	assert_length(r, r->r_len);
	plain = gunzip(r, &len);
	ck_assert_uint_ge(len, GZIP_MIN_BODY);
	/* Points keep coming: the same document, not the same bytes. */
	doc = json_tokener_parse(plain);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_ge(
	    json_object_array_length(harness_at(doc, "/points")), 20);
	json_object_put(doc);
	free(plain);
	harness_resp_free(r);
	assert_identity(h, path, NULL);
	assert_identity(h, path, "Accept-Encoding: gzip;q=0");
	/* Under GZIP_MIN_BODY bytes: sent as it is, Vary all the same. */
	r = harness_request(h, "GET", "/api/v1/info", GZIP_HDR);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_uint_lt(r->r_len, GZIP_MIN_BODY);
	assert_no_header(r, "Content-Encoding");
	assert_header_has(r, "Vary", "Accept-Encoding");
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* Returns the number of lines of text. */
static size_t
count_lines(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* /metrics, rendered as it is sent, is compressed as it is sent. */
START_TEST(test_gzip_metrics)
{
	struct harness *h = start(NULL);
	struct harness_resp *r, *plain;
	size_t len = 0;
	char *text;

	plain = harness_request(h, "GET", "/metrics", NULL);
	ck_assert_int_eq(plain->r_status, 200);
	assert_no_header(plain, "Content-Encoding");
	assert_header_has(plain, "Vary", "Accept-Encoding");
	r = harness_request(h, "GET", "/metrics", GZIP_HDR);
	ck_assert_int_eq(r->r_status, 200);
	assert_header_has(r, "Content-Encoding", "gzip");
	assert_header_has(r, "Vary", "Accept-Encoding");
	assert_header_has(r, "Content-Type", "text/plain");
	/* Sent as it is made: chunked, no length to be wrong. */
	assert_no_header(r, "Content-Length");
	ck_assert_uint_lt(r->r_len * 3, plain->r_len);
	text = gunzip(r, &len);
	ck_assert_uint_eq(strlen(text), len);
	/* The same families and series; counts move between the two. */
	ck_assert_int_eq(strncmp(text, plain->r_body, 7), 0);
	ck_assert_uint_eq(count_lines(text), count_lines(plain->r_body));
	ck_assert_ptr_nonnull(strstr(text, "source=\"delta\""));
	ck_assert_int_eq(text[len - 1], '\n');
	free(text);
	harness_resp_free(r);
	harness_resp_free(plain);
	r = harness_request(h, "GET", "/metrics", "Accept-Encoding: gzip;q=0");
	ck_assert_int_eq(r->r_status, 200);
	assert_no_header(r, "Content-Encoding");
	ck_assert_int_eq(r->r_body[0], '#');
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* The dashboard's files, as the tests' web_root. */
#define WEB_ROOT TEST_DATA "/../../web"

/* Asserts r's header name is the same as in want's. */
static void
assert_same_header(const struct harness_resp *r,
    const struct harness_resp *want, const char *name)
{
	char *v = harness_resp_header(want, name);

	ck_assert_msg(v != NULL, "no %s in:\n%s", name, want->r_headers);
	harness_assert_header(r, name, v);
	free(v);
}

/* The dashboard's files in gzip: the same bytes, type and date. */
START_TEST(test_gzip_files)
{
	static const char *paths[] = {
	    "/vendor/uPlot.iife.min.js", "/style.css", "/", "/js/cards.mjs"};
	struct harness *h = harness_start("web_root = " WEB_ROOT "\n",
	    "[source a]\nurl = @UP@/stats\ninterval = 1h\n"
	    "stat total = /data/total\n");
	struct harness_resp *plain, *r;
	char line[160], *date;
	size_t i, j, len = 0;
	char *text;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		plain = harness_request(h, "GET", paths[i], NULL);
		ck_assert_int_eq(plain->r_status, 200);
		assert_no_header(plain, "Content-Encoding");
		assert_header_has(plain, "Vary", "Accept-Encoding");
		/* Twice: made, then kept. */
		for (j = 0; j < 2; j++) {
			r = harness_request(h, "GET", paths[i], GZIP_HDR);
			ck_assert_int_eq(r->r_status, 200);
			assert_header_has(r, "Content-Encoding", "gzip");
			assert_header_has(r, "Vary", "Accept-Encoding");
			assert_same_header(r, plain, "Content-Type");
			assert_same_header(r, plain, "Last-Modified");
			assert_same_header(r, plain, "Content-Security-Policy");
			assert_length(r, r->r_len);
			ck_assert_uint_lt(r->r_len, plain->r_len);
			text = gunzip(r, &len);
			ck_assert_uint_eq(len, plain->r_len);
			ck_assert(memcmp(text, plain->r_body, len) == 0);
			free(text);
			harness_resp_free(r);
		}
		/* Unchanged since: a 304, whichever form was kept. */
		date = harness_resp_header(plain, "Last-Modified");
		snprintf(line, sizeof line, "If-Modified-Since: %s\r\n%s", date,
		    GZIP_HDR);
		r = harness_request(h, "GET", paths[i], line);
		ck_assert_int_eq(r->r_status, 304);
		assert_header_has(r, "Vary", "Accept-Encoding");
		harness_resp_free(r);
		free(date);
		harness_resp_free(plain);
	}
	/* Too small to gain: as it is. */
	r = harness_request(h, "GET", "/favicon.svg", GZIP_HDR);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_uint_lt(r->r_len, GZIP_MIN_BODY);
	assert_no_header(r, "Content-Encoding");
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* Sets the modification time of path to secs since the epoch. */
static void
set_mtime(const char *path, time_t secs)
{
	struct timespec ts[2] = {{secs, 0}, {secs, 0}};

	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A file replaced on disk gets a new gzip copy on its next request. */
START_TEST(test_gzip_file_replaced)
{
	struct harness *h;
	struct harness_resp *r;
	struct tmpdir t;
	char global[128], v1[2048], v2[2048], *text;
	const char *path;
	size_t len = 0;
	FILE *f;

	tmpdir_make(&t);
	memset(v1, 'a', sizeof v1 - 1);
	v1[sizeof v1 - 1] = '\0';
	memcpy(v2, v1, sizeof v2);
	/* The same size: only the time tells them apart. */
	v2[100] = 'b';
	path = tmpdir_write(&t, "page.js", v1);
	set_mtime(path, 1700000000);
	snprintf(global, sizeof global, "web_root = %s\n", t.t_path);
	h = harness_start(global,
	    "[source a]\nurl = @UP@/stats\n"
	    "interval = 1h\nstat total = /data/total\n");
	r = harness_request(h, "GET", "/page.js", GZIP_HDR);
	ck_assert_int_eq(r->r_status, 200);
	text = gunzip(r, &len);
	ck_assert_msg(strcmp(text, v1) == 0, "page.js: not its first version");
	free(text);
	harness_resp_free(r);
	/* Rewritten in place (tmpdir removes it once). */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(v2, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	set_mtime(path, 1700000060);
	r = harness_request(h, "GET", "/page.js", GZIP_HDR);
	ck_assert_int_eq(r->r_status, 200);
	text = gunzip(r, &len);
	ck_assert_msg(
	    strcmp(text, v2) == 0, "page.js: the old copy after a rewrite");
	free(text);
	harness_resp_free(r);
	harness_stop(h);
	tmpdir_remove(&t);
}
END_TEST

/* Builds the suite. */
static Suite *
gzip_suite(void)
{
	Suite *s = suite_create("gzip");
	TCase *tc;

	tc = tcase_create("serving");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_gzip_served);
	tcase_add_test(tc, test_gzip_not_asked);
	tcase_add_test(tc, test_gzip_not_modified);
	tcase_add_test(tc, test_gzip_head);
	tcase_add_test(tc, test_gzip_cors_copy);
	tcase_add_test(tc, test_gzip_per_request);
	tcase_add_test(tc, test_gzip_metrics);
	tcase_add_test(tc, test_gzip_files);
	tcase_add_test(tc, test_gzip_file_replaced);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(gzip_suite()) == 0 ? 0 : 1;
}
