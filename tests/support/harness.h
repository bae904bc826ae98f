/*
 * Test harness for in-process integration tests: a fake upstream on
 * 127.0.0.1:0, a config pointing at it, and gatherd's loop (cache,
 * poller, API on 127.0.0.1:0) running in a second thread.  The test
 * thread talks to gatherd only over HTTP (client.h), as a dashboard
 * would.  Also the helpers the in-process test programs share: token
 * files, configs loaded or failed, JSON Pointer and header assertions.
 */
#ifndef GATHERD_HARNESS_H
#define GATHERD_HARNESS_H

#include <pthread.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "api.h"
#include "cache.h"
#include "client.h"
#include "config.h"
#include "fake_upstream.h"
#include "poller.h"

/* A running gatherd and its fake upstream. */
struct harness {
	struct fake_upstream *h_fu;
	struct config *h_cf;
	struct event_base *h_base;
	struct cache *h_cache;
	struct poller *h_poller;
	struct api *h_api;
	pthread_t h_thread;
	int h_running;
	char h_up[64]; /* "http://127.0.0.1:PORT" upstream */
	char h_base_url[64]; /* "http://127.0.0.1:PORT" gatherd */
};

/*
 * The config of check_cache's and check_render's unit tests: three
 * sources, signups with credentials, orders all defaults, errors fast.
 */
extern const char harness_three_sources[];

/* Once per test process: libcurl, libevent threads, quiet logs. */
void harness_init(void);
/* Replaces every "@UP@" in text with up and every "@HOSTPORT@" with up
 * without its scheme; the caller frees. */
char *harness_subst(const char *text, const char *up);
/*
 * Starts a fake upstream and gatherd with a config made of "[gatherd]",
 * listen on 127.0.0.1:0, initial_spread = 0, the lines of global, then
 * sources; "@UP@" in either becomes the upstream's base URL.
 */
struct harness *harness_start(const char *global, const char *sources);
/* Same as harness_start with the fake upstream fu, started by the
 * caller (to write its URL into files the config names); takes it. */
struct harness *harness_start_fu(
    struct fake_upstream *fu, const char *global, const char *sources);
/* Stops gatherd's loop and frees everything, the upstream last. */
void harness_stop(struct harness *h);
/* GETs path from gatherd with an optional extra header line. */
struct harness_resp *harness_request(struct harness *h, const char *method,
    const char *path, const char *header);
/* A minimal valid source for config tests, appended where one is
 * needed. */
#define HARNESS_CONFIG_SOURCE                                                  \
	"[source a]\n"                                                         \
	"url = http://a.example/\n"                                            \
	"stat x = /x\n"
/* Loads text as the config file name, failing the test on an error. */
struct config *harness_config(const char *text, const char *name);
/* Loads text as the config file name, asserting it is refused with
 * exactly want ("NAME:LINE: message"). */
void
harness_config_refused(const char *text, const char *name, const char *want);
/*
 * Writes token and a newline to a new temporary file, for a token_file
 * or api_token_file; returns its path (the caller unlinks and frees it).
 */
char *harness_token_file(const char *token);
/*
 * Returns "http://127.0.0.1:PORT/stats" for a port where nothing
 * listens (the caller frees).
 */
char *harness_closed_port_url(void);
/* Opens a raw connection to gatherd, failing the test if it cannot. */
int harness_connect(struct harness *h);
/* Asserts the header name of r is exactly want. */
void harness_assert_header(
    const struct harness_resp *r, const char *name, const char *want);
/* GETs path and parses the JSON body; NULL unless status 200. */
struct json_object *harness_get_json(struct harness *h, const char *path);
/*
 * Polls /api/v1/stats/NAME every 20 ms until its status is status, for
 * at most timeout_ms; returns the document (caller puts) or NULL.
 */
struct json_object *harness_wait_status(
    struct harness *h, const char *name, const char *status, int timeout_ms);
/*
 * Returns source name's object in /api/v1/sources (caller puts), failing
 * the test if there is none.
 */
struct json_object *harness_source_view(struct harness *h, const char *name);
/*
 * Polls /api/v1/sources every 20 ms until source name's polls_total
 * reaches n, for at most 30 s; returns its object (caller puts).
 */
struct json_object *
harness_wait_polls(struct harness *h, const char *name, long long n);
/* Like harness_wait_status, until error.kind is kind. */
struct json_object *harness_wait_error(
    struct harness *h, const char *name, const char *kind, int timeout_ms);
/*
 * Returns the value at JSON Pointer ptr in doc (NULL for JSON null,
 * borrowed), failing the test if there is none.
 */
struct json_object *harness_at(struct json_object *doc, const char *ptr);
/* Returns the string at JSON Pointer ptr in doc, or NULL (borrowed). */
const char *harness_str(struct json_object *doc, const char *ptr);
/* Returns the number (int or double) at JSON Pointer ptr in doc,
 * failing the test if it is not one. */
double harness_number(struct json_object *doc, const char *ptr);
/* Returns the integer at JSON Pointer ptr in doc, or -1. */
long long harness_int(struct json_object *doc, const char *ptr);

#endif
