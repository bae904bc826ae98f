/*
 * Integration tests of GET /api/v1/openapi.json: the built-in document
 * served as lib/openapi.json's bytes, without the token when one is set,
 * with a strong ETag that If-None-Match turns into a 304, and HEAD with
 * no body.  Also the HEADs of the bodies made as they are sent (/metrics,
 * the event stream), which must leave the connection usable.  The
 * document's content is checked by tests/system/openapi/openapi.test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "client.h"
#include "harness.h"
#include "openapi.h"
#include "runner.h"

/* The token the api_token_file test writes. */
#define API_TOKEN "openapi-Token.9"

/* One source, so that gatherd has something to serve. */
static const char one_source[] = "[source alpha]\n"
                                 "url = @UP@/stats?name=alpha\n"
                                 "interval = 1s\n"
                                 "stat total = /data/total\n";

/* Asserts a GET of the document with header gets status, and its ETag. */
static void
assert_conditional(
    struct harness *h, const char *header, long status, const char *etag)
{
	struct harness_resp *r;
	char *got;

	r = harness_request(h, "GET", "/api/v1/openapi.json", header);
	ck_assert_int_eq(r->r_status, status);
	ck_assert_uint_eq(r->r_len, status == 304 ? 0 : openapi_doc_len);
	got = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, etag);
	free(got);
	harness_resp_free(r);
}

/* The document: its bytes, public, application/json, ETag, 304, HEAD. */
START_TEST(test_openapi_served)
{
	struct harness_resp *r;
	struct json_object *doc;
	struct harness *h;
	char *path, *global, *etag, *inm;

	path = harness_token_file(API_TOKEN);
	ck_assert_int_gt(asprintf(&global, "api_token_file = %s\n", path), 0);
	h = harness_start(global, one_source);
	r = harness_request(h, "GET", "/api/v1/stats", NULL);
	ck_assert_int_eq(r->r_status, 401);
	harness_resp_free(r);

	r = harness_request(h, "GET", "/api/v1/openapi.json", NULL);
	ck_assert_int_eq(r->r_status, 200);
	harness_assert_header(r, "Content-Type", "application/json");
	harness_assert_header(r, "Cache-Control", "no-cache");
	ck_assert_uint_eq(r->r_len, openapi_doc_len);
	ck_assert(memcmp(r->r_body, openapi_doc, openapi_doc_len) == 0);
	doc = json_tokener_parse(r->r_body);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(harness_str(doc, "/openapi"), "3.1.0");
	json_object_put(doc);
	etag = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	/* Strong: quoted, no W/. */
	ck_assert_int_eq(etag[0], '"');
	ck_assert_int_eq(etag[strlen(etag) - 1], '"');
	harness_resp_free(r);

	ck_assert_int_gt(asprintf(&inm, "If-None-Match: %s", etag), 0);
	assert_conditional(h, inm, 304, etag);
	free(inm);
	ck_assert_int_gt(asprintf(&inm, "If-None-Match: W/%s", etag), 0);
	assert_conditional(h, inm, 304, etag);
	free(inm);
	assert_conditional(h, "If-None-Match: \"other\"", 200, etag);

	r = harness_request(h, "HEAD", "/api/v1/openapi.json", NULL);
	ck_assert_int_eq(r->r_status, 200);
	ck_assert_uint_eq(r->r_len, 0);
	harness_assert_header(r, "ETag", etag);
	harness_resp_free(r);
	free(etag);
	harness_stop(h);
	ck_assert_int_eq(unlink(path), 0);
	free(global);
	free(path);
}
END_TEST

/* In gzip to a client that accepts it: the same bytes once inflated,
 * an ETag of its own, and a 304 for either ETag naming the form the
 * client would get. */
START_TEST(test_openapi_gzip)
{
	char *etag, *inm, *plain, *resp, *got;
	struct harness_resp *r;
	int fd, closed = 0;
	struct harness *h;
	size_t len;

	h = harness_start(NULL, one_source);
	r = harness_request(h, "GET", "/api/v1/openapi.json", NULL);
	plain = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(plain);
	harness_resp_free(r);

	r = harness_request(
	    h, "GET", "/api/v1/openapi.json", "Accept-Encoding: gzip");
	ck_assert_int_eq(r->r_status, 200);
	harness_assert_header(r, "Content-Encoding", "gzip");
	harness_assert_header(r, "Vary", "Origin, Accept-Encoding");
	ck_assert_uint_lt(r->r_len, openapi_doc_len / 5);
	inm = client_gunzip(r->r_body, r->r_len, &len);
	ck_assert_ptr_nonnull(inm);
	ck_assert_uint_eq(len, openapi_doc_len);
	ck_assert(memcmp(inm, openapi_doc, len) == 0);
	free(inm);
	etag = harness_resp_header(r, "ETag");
	ck_assert_ptr_nonnull(etag);
	ck_assert_str_ne(etag, plain);
	harness_resp_free(r);

	ck_assert_int_gt(asprintf(&inm,
	                     "GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n"
	                     "If-None-Match: %s\r\nAccept-Encoding: gzip\r\n"
	                     "Connection: close\r\n\r\n",
	                     plain),
	    0);
	fd = harness_connect(h);
	ck_assert_int_eq(raw_send(fd, inm, strlen(inm)), 0);
	resp = raw_read(fd, NULL, 5000, &closed);
	close(fd);
	ck_assert_int_eq(raw_status(resp), 304);
	got = raw_header(resp, "ETag");
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, etag);
	free(got);
	free(resp);
	free(inm);

	ck_assert_int_gt(asprintf(&inm, "If-None-Match: %s", etag), 0);
	r = harness_request(h, "GET", "/api/v1/openapi.json", inm);
	ck_assert_int_eq(r->r_status, 304);
	harness_assert_header(r, "ETag", plain);
	harness_resp_free(r);
	free(inm);
	free(etag);
	free(plain);
	harness_stop(h);
}
END_TEST

/*
 * Sends a HEAD of path and a GET of /healthz on one connection: the
 * second answer must come whole, with nothing of the first's body
 * before it (a "0" chunk there would be read as its start).
 */
static void
assert_head_then_get(struct harness *h, const char *path)
{
	char req[256], *resp, *second;
	int fd, closed = 0;

	snprintf(req, sizeof req,
	    "HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    path);
	fd = harness_connect(h);
	ck_assert_int_eq(raw_send(fd, req, strlen(req)), 0);
	resp = raw_read(fd, NULL, 5000, &closed);
	close(fd);
	ck_assert_msg(closed, "HEAD %s: the connection stayed open", path);
	ck_assert_int_eq(raw_status(resp), 200);
	second = strstr(resp, "\r\n\r\n");
	ck_assert_ptr_nonnull(second);
	second += 4;
	ck_assert_msg(strncmp(second, "HTTP/1.1 200 ", 13) == 0,
	    "HEAD %s: the next response starts with \"%.20s\"", path, second);
	ck_assert_ptr_nonnull(strstr(second, "{\"status\":\"ok\"}"));
	free(resp);
}

/* HEAD of /metrics and of the event stream: headers, then the next. */
START_TEST(test_head_streamed)
{
	struct harness *h = harness_start(NULL, one_source);

	assert_head_then_get(h, "/metrics");
	assert_head_then_get(h, "/api/v1/events");
	harness_stop(h);
}
END_TEST

/* Builds the suite. */
static Suite *
openapi_suite(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("served");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_openapi_served);
	tcase_add_test(tc, test_openapi_gzip);
	tcase_add_test(tc, test_head_streamed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(openapi_suite()) == 0 ? 0 : 1;
}
