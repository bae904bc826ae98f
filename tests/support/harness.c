/*
 * The integration-test harness.  gatherd's event loop runs in its own
 * thread exactly as in the daemon; the test thread makes blocking
 * libcurl requests against its API and waits for states by polling with
 * a bounded number of tries, never by sleeping for a fixed time and
 * hoping.  The small helpers more than one test program needs (token
 * files, a closed port, JSON and header assertions) live here too.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <event2/thread.h>
#include <json-c/json_pointer.h>

#include "harness.h"
#include "log.h"

/* Three sources: one with credentials, one all defaults, one fast. */
const char harness_three_sources[] =
    "[source signups]\n"
    "url = https://user:secret@api.example.com/v1/signups?x=1\n"
    "interval = 30s\n"
    "timeout = 5s\n"
    "stat total = /data/total\n"
    "stat active = /data/active\n"
    "\n"
    "[source orders]\n"
    "url = http://orders.example.net/stats\n"
    "stat count = /count\n"
    "\n"
    "[source errors]\n"
    "url = https://errors.example.org/\n"
    "interval = 1500ms\n"
    "stat rate = /rate\n";

/* Once per test process: libcurl, libevent threads, quiet logs. */
void
harness_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    evthread_use_pthreads() != 0) {
		fprintf(stderr, "harness: cannot initialise\n");
		abort();
	}
	log_set_level(
	    getenv("HARNESS_VERBOSE") ? LOG_LEVEL_DEBUG : LOG_LEVEL_QUIET);
}

/* Replaces every key in text with value; the caller frees. */
static char *
harness_replace(const char *text, const char *key, const char *value)
{
	size_t n = 0, klen = strlen(key), vlen = strlen(value);
	const char *p;
	char *out, *o;

	for (p = text; (p = strstr(p, key)) != NULL; p += klen)
		n++;
	if ((out = malloc(strlen(text) + n * vlen + 1)) == NULL)
		abort();
	for (o = out, p = text; *p != '\0';) {
		if (strncmp(p, key, klen) == 0) {
			memcpy(o, value, vlen);
			o += vlen;
			p += klen;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/* Replaces every "@UP@" in text with up; the caller frees. */
char *
harness_subst(const char *text, const char *up)
{
	const char *hostport = strstr(up, "://");
	char *once, *twice;

	/* "@HOSTPORT@" is up without its scheme, for URLs with userinfo. */
	once = harness_replace(text, "@UP@", up);
	twice = harness_replace(
	    once, "@HOSTPORT@", hostport != NULL ? hostport + 3 : up);
	free(once);
	return twice;
}

/* The loop thread: runs gatherd until harness_stop breaks the loop. */
static void *
harness_loop(void *arg)
{
	struct harness *h = arg;

	event_base_dispatch(h->h_base);
	return NULL;
}

/* Starts a fake upstream and gatherd with the given config parts. */
struct harness *
harness_start(const char *global, const char *sources)
{
	struct fake_upstream *fu;

	if ((fu = fake_upstream_start(0)) == NULL) {
		fprintf(stderr, "harness: cannot start the fake upstream\n");
		abort();
	}
	return harness_start_fu(fu, global, sources);
}

/* Starts gatherd against the fake upstream fu, which it takes. */
struct harness *
harness_start_fu(
    struct fake_upstream *fu, const char *global, const char *sources)
{
	struct harness *h;
	char err[CONFIG_ERR_LEN], *text, *full;

	if ((h = calloc(1, sizeof *h)) == NULL)
		abort();
	h->h_fu = fu;
	snprintf(h->h_up, sizeof h->h_up, "http://127.0.0.1:%u",
	    fake_upstream_port(h->h_fu));
	if (asprintf(&text,
	        "[gatherd]\nlisten = 127.0.0.1:0\n"
	        "initial_spread = 0\n%s\n%s",
	        global ? global : "", sources ? sources : "") == -1)
		abort();
	full = harness_subst(text, h->h_up);
	free(text);
	if ((h->h_cf = config_load_string(
	         full, "test.conf", err, sizeof err)) == NULL) {
		fprintf(stderr, "harness: %s\n", err);
		abort();
	}
	free(full);
	if ((h->h_base = event_base_new()) == NULL ||
	    (h->h_cache = cache_new(h->h_cf)) == NULL ||
	    (h->h_poller = poller_new(h->h_base, h->h_cf, h->h_cache)) ==
	        NULL ||
	    (h->h_api = api_new(h->h_base, h->h_cf, h->h_cache)) == NULL ||
	    poller_start(h->h_poller, 0) == -1) {
		fprintf(stderr, "harness: cannot start gatherd\n");
		abort();
	}
	snprintf(h->h_base_url, sizeof h->h_base_url, "http://127.0.0.1:%u",
	    api_port(h->h_api));
	if (pthread_create(&h->h_thread, NULL, harness_loop, h) != 0)
		abort();
	h->h_running = 1;
	return h;
}

/* Stops gatherd's loop and frees everything, the upstream last. */
void
harness_stop(struct harness *h)
{
	if (h == NULL)
		return;
	if (h->h_running) {
		event_base_loopbreak(h->h_base);
		pthread_join(h->h_thread, NULL);
	}
	api_free(h->h_api);
	poller_free(h->h_poller);
	cache_free(h->h_cache);
	if (h->h_base != NULL)
		event_base_free(h->h_base);
	config_free(h->h_cf);
	fake_upstream_stop(h->h_fu);
	free(h);
}

/* Makes one request to gatherd with an optional extra header line. */
struct harness_resp *
harness_request(
    struct harness *h, const char *method, const char *path, const char *header)
{
	return client_request(h->h_base_url, method, path, header);
}

/* Loads text as the config file name, failing the test on an error. */
struct config *
harness_config(const char *text, const char *name)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf = config_load_string(text, name, err, sizeof err);

	ck_assert_msg(cf != NULL, "config: %s", err);
	return cf;
}

/* Loads text as the config file name, asserting it is refused with
 * exactly want ("NAME:LINE: message"). */
void
harness_config_refused(const char *text, const char *name, const char *want)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf = config_load_string(text, name, err, sizeof err);

	ck_assert_msg(cf == NULL, "config accepted:\n%s", text);
	ck_assert_str_eq(err, want);
}

/* Writes token and a newline to a new temporary file; returns its path. */
char *
harness_token_file(const char *token)
{
	char *path = strdup("/tmp/gatherd-check-token-XXXXXX");
	FILE *f;
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(fprintf(f, "%s\n", token), 0);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* Returns a URL of a port on 127.0.0.1 where nothing listens. */
char *
harness_closed_port_url(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	char *url;
	int fd;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	ck_assert_int_gt(
	    asprintf(&url, "http://127.0.0.1:%u/stats", ntohs(sa.sin_port)), 0);
	return url;
}

/* Opens a raw connection to gatherd, failing the test if it cannot. */
int
harness_connect(struct harness *h)
{
	int fd = raw_connect(api_port(h->h_api), 0);

	ck_assert_msg(fd != -1, "cannot connect: %s", strerror(errno));
	return fd;
}

/* Asserts the header name of r is exactly want. */
void
harness_assert_header(
    const struct harness_resp *r, const char *name, const char *want)
{
	char *v = harness_resp_header(r, name);

	ck_assert_msg(v != NULL, "no %s header in:\n%s", name, r->r_headers);
	ck_assert_str_eq(v, want);
	free(v);
}

/* GETs path and parses the JSON body; NULL unless status 200. */
struct json_object *
harness_get_json(struct harness *h, const char *path)
{
	struct harness_resp *r = harness_request(h, "GET", path, NULL);
	struct json_object *doc = NULL;

	if (r->r_status == 200)
		doc = json_tokener_parse(r->r_body);
	harness_resp_free(r);
	return doc;
}

/* Returns source name's object in /api/v1/sources (caller puts). */
struct json_object *
harness_source_view(struct harness *h, const char *name)
{
	struct json_object *doc, *list, *s, *found = NULL;
	size_t i;

	doc = harness_get_json(h, "/api/v1/sources");
	ck_assert_ptr_nonnull(doc);
	list = harness_at(doc, "/sources");
	for (i = 0; i < json_object_array_length(list); i++) {
		s = json_object_array_get_idx(list, i);
		if (strcmp(json_object_get_string(
		               json_object_object_get(s, "name")),
		        name) == 0)
			found = json_object_get(s);
	}
	json_object_put(doc);
	ck_assert_msg(found != NULL, "no source %s", name);
	return found;
}

/* Waits until source name's polls_total reaches n; its object. */
struct json_object *
harness_wait_polls(struct harness *h, const char *name, long long n)
{
	struct json_object *v = NULL;
	int tries;

	for (tries = 0; tries < 1500; tries++) {
		v = harness_source_view(h, name);
		if (json_object_get_int64(harness_at(v, "/polls_total")) >= n)
			return v;
		json_object_put(v);
		usleep(20 * 1000);
	}
	ck_abort_msg("source %s never reached %lld polls", name, n);
	return NULL;
}

/* Polls one source until the string at ptr is want, or times out. */
static struct json_object *
harness_wait_for(struct harness *h, const char *name, const char *ptr,
    const char *want, int timeout_ms)
{
	struct json_object *doc;
	const char *got;
	char path[256];
	int tries;

	snprintf(path, sizeof path, "/api/v1/stats/%s", name);
	for (tries = 0; tries <= timeout_ms / 20; tries++) {
		if ((doc = harness_get_json(h, path)) != NULL) {
			got = harness_str(doc, ptr);
			if (got != NULL && strcmp(got, want) == 0)
				return doc;
			json_object_put(doc);
		}
		usleep(20 * 1000);
	}
	return NULL;
}

/* Polls /api/v1/stats/NAME until its status is status; NULL on timeout. */
struct json_object *
harness_wait_status(
    struct harness *h, const char *name, const char *status, int timeout_ms)
{
	return harness_wait_for(h, name, "/status", status, timeout_ms);
}

/* Like harness_wait_status, until error.kind is kind. */
struct json_object *
harness_wait_error(
    struct harness *h, const char *name, const char *kind, int timeout_ms)
{
	return harness_wait_for(h, name, "/error/kind", kind, timeout_ms);
}

/* Returns the value at ptr in doc (NULL for JSON null); it must exist. */
struct json_object *
harness_at(struct json_object *doc, const char *ptr)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_pointer_get(doc, ptr, &v) == 0, "no %s in %s", ptr,
	    json_object_to_json_string(doc));
	return v;
}

/* Returns the string at JSON Pointer ptr in doc, or NULL (borrowed). */
const char *
harness_str(struct json_object *doc, const char *ptr)
{
	struct json_object *v;

	if (doc == NULL || json_pointer_get(doc, ptr, &v) != 0 ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Returns the number (int or double) at ptr in doc, failing if none. */
double
harness_number(struct json_object *doc, const char *ptr)
{
	struct json_object *v = harness_at(doc, ptr);

	ck_assert_msg(json_object_is_type(v, json_type_double) ||
	        json_object_is_type(v, json_type_int),
	    "%s is not a number", ptr);
	return json_object_get_double(v);
}

/* Returns the integer at JSON Pointer ptr in doc, or -1. */
long long
harness_int(struct json_object *doc, const char *ptr)
{
	struct json_object *v;

	if (doc == NULL || json_pointer_get(doc, ptr, &v) != 0 ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return (long long)json_object_get_int64(v);
}
