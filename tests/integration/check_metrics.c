/*
 * Tests of /metrics.  The renderer is pure, so most tests build a cache
 * from a config string, record polls at fixed times and compare the
 * exposition line for line: every family, label escaping, number
 * formatting and the histogram's cumulative buckets.  The last tests go
 * over real HTTP through the harness: values after real polls of the
 * fake upstream, the Content-Type, the counters and the API token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "cache.h"
#include "harness.h"
#include "history.h"
#include "metrics.h"
#include "runner.h"

/* A fixed wall time in ms: 2026-11-18T11:06:40Z. */
#define T0 1795000000000LL

/* Bound on every wait for a state, in milliseconds. */
#define WAIT_MS 10000

/* The token the api_token_file test writes and sends. */
#define API_TOKEN "metrics-Token.7"
#define AUTH "Authorization: Bearer " API_TOKEN

/* Two sources: alpha with every kind of stat, beta failing. */
static const char conf_text[] = "[source alpha]\n"
                                "url = https://api.example.com/a\n"
                                "interval = 30s\n"
                                "stat total = /t\n"
                                "stat ratio = /r\n"
                                "stat flag = /f\n"
                                "stat label = /l\n"
                                "stat nothing = /n\n"
                                "\n"
                                "[source beta]\n"
                                "url = http://beta.example.net/\n"
                                "interval = 10s\n"
                                "stat total = /t\n";

/* One source whose values go stale after 5 s. */
static const char stale_text[] = "[source gamma]\n"
                                 "url = https://gamma.example.org/\n"
                                 "interval = 1s\n"
                                 "max_age = 5s\n"
                                 "stat big = /big\n"
                                 "stat neg = /neg\n"
                                 "stat tiny = /tiny\n"
                                 "stat third = /third\n"
                                 "stat no = /no\n"
                                 "stat text = /text\n";

/* What test_render_exact must render, line for line. */
static const char exact_text[] =
    "# HELP gatherd_build_info A constant 1 labelled with the version of "
    "gatherd.\n"
    "# TYPE gatherd_build_info gauge\n"
    "gatherd_build_info{version=\"" GATHERD_VERSION "\"} 1\n"
    "# HELP gatherd_start_time_seconds When gatherd started, in seconds "
    "since the Unix epoch.\n"
    "# TYPE gatherd_start_time_seconds gauge\n"
    "gatherd_start_time_seconds 1794999990.5\n"
    "# HELP gatherd_sources Sources in the running config.\n"
    "# TYPE gatherd_sources gauge\n"
    "gatherd_sources 2\n"
    "# HELP gatherd_history_points History points held, every stat of every "
    "source.\n"
    "# TYPE gatherd_history_points gauge\n"
    "gatherd_history_points 10\n"
    "# HELP gatherd_history_bytes Memory the history takes, in bytes.\n"
    "# TYPE gatherd_history_bytes gauge\n"
    "gatherd_history_bytes @BYTES@\n"
    "# HELP gatherd_history_rollup_buckets Closed rollup buckets held, "
    "every stat of every source.\n"
    "# TYPE gatherd_history_rollup_buckets gauge\n"
    "gatherd_history_rollup_buckets 3\n"
    "# HELP gatherd_history_rollup_bytes Memory the rollups take, in "
    "bytes.\n"
    "# TYPE gatherd_history_rollup_bytes gauge\n"
    "gatherd_history_rollup_bytes @RBYTES@\n"
    "# HELP gatherd_event_streams Open Server-Sent Events streams on "
    "/api/v1/events.\n"
    "# TYPE gatherd_event_streams gauge\n"
    "gatherd_event_streams 2\n"
    "# HELP gatherd_http_requests_total HTTP responses gatherd queued, by "
    "status code.\n"
    "# TYPE gatherd_http_requests_total counter\n"
    "gatherd_http_requests_total{code=\"200\"} 3\n"
    "gatherd_http_requests_total{code=\"404\"} 1\n"
    "# HELP gatherd_config_reloads_total Config reloads, by result: ok "
    "(applied) or failed (the old config stays).\n"
    "# TYPE gatherd_config_reloads_total counter\n"
    "gatherd_config_reloads_total{result=\"ok\"} 1\n"
    "gatherd_config_reloads_total{result=\"failed\"} 2\n"
    "# HELP gatherd_source_up 1 if the last poll of the source succeeded, "
    "else 0.\n"
    "# TYPE gatherd_source_up gauge\n"
    "gatherd_source_up{source=\"alpha\"} 1\n"
    "gatherd_source_up{source=\"beta\"} 0\n"
    "# HELP gatherd_source_last_success_timestamp_seconds When the last "
    "poll of the source succeeded, in seconds since the Unix epoch; 0 if "
    "none has.\n"
    "# TYPE gatherd_source_last_success_timestamp_seconds gauge\n"
    "gatherd_source_last_success_timestamp_seconds{source=\"alpha\"} "
    "1795000030.123\n"
    "gatherd_source_last_success_timestamp_seconds{source=\"beta\"} 0\n"
    "# HELP gatherd_source_consecutive_failures Polls of the source that "
    "failed since its last success.\n"
    "# TYPE gatherd_source_consecutive_failures gauge\n"
    "gatherd_source_consecutive_failures{source=\"alpha\"} 0\n"
    "gatherd_source_consecutive_failures{source=\"beta\"} 2\n"
    "# HELP gatherd_source_expired 1 if the source serves stale values "
    "older than its max_age.\n"
    "# TYPE gatherd_source_expired gauge\n"
    "gatherd_source_expired{source=\"alpha\"} 0\n"
    "gatherd_source_expired{source=\"beta\"} 0\n"
    "# HELP gatherd_source_circuit_open 1 while the circuit breaker of the "
    "source is open or probing.\n"
    "# TYPE gatherd_source_circuit_open gauge\n"
    "gatherd_source_circuit_open{source=\"alpha\"} 0\n"
    "gatherd_source_circuit_open{source=\"beta\"} 1\n"
    "# HELP gatherd_polls_total Finished polls of the source, by result: "
    "ok, not_modified (a 304) or the error kind.\n"
    "# TYPE gatherd_polls_total counter\n"
    "gatherd_polls_total{source=\"alpha\",result=\"ok\"} 1\n"
    "gatherd_polls_total{source=\"alpha\",result=\"not_modified\"} 1\n"
    "gatherd_polls_total{source=\"alpha\",result=\"dns\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"connect\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"tls\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"timeout\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"http_status\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"not_json\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"parse\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"too_large\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"missing_stat\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"rate_limited\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"auth\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"api_error\"} 0\n"
    "gatherd_polls_total{source=\"alpha\",result=\"internal\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"ok\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"not_modified\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"dns\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"connect\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"tls\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"timeout\"} 1\n"
    "gatherd_polls_total{source=\"beta\",result=\"http_status\"} 1\n"
    "gatherd_polls_total{source=\"beta\",result=\"not_json\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"parse\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"too_large\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"missing_stat\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"rate_limited\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"auth\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"api_error\"} 0\n"
    "gatherd_polls_total{source=\"beta\",result=\"internal\"} 0\n"
    "# HELP gatherd_poll_duration_seconds How long the transfers of a poll "
    "took, as curl measured them.\n"
    "# TYPE gatherd_poll_duration_seconds histogram\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"0.005\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"0.01\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"0.025\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"0.05\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"0.1\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"0.25\"} 2\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"0.5\"} 2\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"1\"} 2\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"2.5\"} 2\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"5\"} 2\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"10\"} 2\n"
    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"+Inf\"} 2\n"
    "gatherd_poll_duration_seconds_sum{source=\"alpha\"} 0.253\n"
    "gatherd_poll_duration_seconds_count{source=\"alpha\"} 2\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"0.005\"} 0\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"0.01\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"0.025\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"0.05\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"0.1\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"0.25\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"0.5\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"1\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"2.5\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"5\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"10\"} 1\n"
    "gatherd_poll_duration_seconds_bucket{source=\"beta\",le=\"+Inf\"} 2\n"
    "gatherd_poll_duration_seconds_sum{source=\"beta\"} 12.01\n"
    "gatherd_poll_duration_seconds_count{source=\"beta\"} 2\n"
    "# HELP gatherd_fetched_bytes_total Response body bytes received from "
    "the source, as sent (before decompression).\n"
    "# TYPE gatherd_fetched_bytes_total counter\n"
    "gatherd_fetched_bytes_total{source=\"alpha\"} 120\n"
    "gatherd_fetched_bytes_total{source=\"beta\"} 135\n"
    "# HELP gatherd_stat The last good value of each numeric stat "
    "(booleans as 0 or 1).\n"
    "# TYPE gatherd_stat gauge\n"
    "gatherd_stat{source=\"alpha\",stat=\"total\"} 12345\n"
    "gatherd_stat{source=\"alpha\",stat=\"ratio\"} 0.1\n"
    "gatherd_stat{source=\"alpha\",stat=\"flag\"} 1\n";

/* Loads text, failing the test if it does not parse. */
static struct config *
load_config(const char *text)
{
	return harness_config(text, "metrics.conf");
}

/* Returns the JSON text parsed, failing the test if it does not parse. */
static struct json_object *
parse(const char *text)
{
	struct json_object *v = json_tokener_parse(text);

	ck_assert_msg(v != NULL, "not JSON: %s", text);
	return v;
}

/* Returns a failed poll of kind with HTTP status at wall time at. */
static struct source_error
make_error(enum source_err kind, int status, int64_t at)
{
	struct source_error err;

	source_error_set(&err, kind, status, at, "test failure");
	return err;
}

/* Returns the exposition of c with no process counters as of now. */
static char *
render_plain(struct cache *c, int64_t now)
{
	struct metrics_counters mc;
	size_t len = 0;
	char *text;

	memset(&mc, 0, sizeof mc);
	text = metrics_render(c, &mc, T0, 0, now, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	return text;
}

/* Asserts that text has line (without its newline) as a whole line. */
static void
assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	/* Not the whole text: Check's messages are short. */
	ck_abort_msg("no line \"%s\"", line);
}

/* Asserts got == want, naming the first line that differs. */
static void
assert_same_text(const char *got, const char *want)
{
	const char *gl = got, *wl = want; /* starts of the current lines */
	size_t line = 1;

	while (*got != '\0' && *got == *want) {
		if (*got == '\n') {
			line++;
			gl = got + 1;
			wl = want + 1;
		}
		got++;
		want++;
	}
	if (*got == '\0' && *want == '\0')
		return;
	ck_abort_msg("line %zu is \"%.*s\", want \"%.*s\"", line,
	    (int)strcspn(gl, "\n"), gl, (int)strcspn(wl, "\n"), wl);
}

/* Asserts that no line of text starts with prefix. */
static void
assert_no_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;

	for (p = text; p != NULL && *p != '\0';
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		ck_assert_msg(
		    strncmp(p, prefix, n) != 0, "a line \"%s...\"", prefix);
}

/* Every family, in order, for one good and one failing source. */
/* Returns text with @BYTES@ and @RBYTES@ replaced by the memory c's
 * history and rollups take (history_bytes and rollup_bytes: they depend
 * on how history stores its points). */
static char *
with_history_bytes(struct cache *c, const char *text)
{
	const struct cache_entry *e;
	const char *at = strstr(text, "@BYTES@"), *rat;
	size_t i, j, bytes = 0, rbytes = 0;
	char *out;

	ck_assert_ptr_nonnull(at);
	rat = strstr(at, "@RBYTES@");
	ck_assert_ptr_nonnull(rat);
	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		for (j = 0; j < e->ce_src->src_nstats; j++) {
			bytes += history_bytes(e->ce_history[j]);
			rbytes += rollup_bytes(e->ce_rollup[j]);
		}
	}
	ck_assert_uint_gt(bytes, 0);
	ck_assert_uint_gt(rbytes, 0);
	ck_assert_int_gt(
	    asprintf(&out, "%.*s%zu%.*s%zu%s", (int)(at - text), text, bytes,
	        (int)(rat - at - strlen("@BYTES@")), at + strlen("@BYTES@"),
	        rbytes, rat + strlen("@RBYTES@")),
	    0);
	return out;
}

START_TEST(test_render_exact)
{
	struct config *cf = load_config(conf_text);
	struct cache *c = cache_new(cf);
	struct cache_entry *a, *b;
	struct metrics_counters mc;
	struct source_error err;
	size_t len = 0;
	char *text, *want;

	ck_assert_ptr_nonnull(c);
	a = cache_find(c, "alpha");
	b = cache_find(c, "beta");
	/* alpha: a 200 in 3 ms, then a 304 in exactly 250 ms. */
	cache_put_transfer(a, 3000, 120);
	cache_put_ok(c, a,
	    parse("{\"total\": 12345, \"ratio\": 0.1, \"flag\": true, "
	          "\"label\": \"x\", \"nothing\": null}"),
	    T0);
	cache_put_transfer(a, 250000, 0);
	cache_put_ok(c, a, NULL, T0 + 30123);
	/* beta: a timeout after 12 s, then a 503 in exactly 10 ms. */
	cache_put_transfer(b, 12000000, 0);
	err = make_error(SOURCE_ERR_TIMEOUT, 0, T0 + 1000);
	cache_put_error(c, b, &err, 2000);
	cache_put_transfer(b, 10000, 135);
	err = make_error(SOURCE_ERR_HTTP_STATUS, 503, T0 + 5000);
	cache_put_error(c, b, &err, 4000);
	cache_set_circuit(c, b, CACHE_CIRCUIT_OPEN, 1);
	memset(&mc, 0, sizeof mc);
	metrics_count_response(&mc, 200);
	metrics_count_response(&mc, 404);
	metrics_count_response(&mc, 200);
	metrics_count_response(&mc, 200);
	metrics_count_reload(&mc, 1);
	metrics_count_reload(&mc, 0);
	metrics_count_reload(&mc, 0);
	text = metrics_render(c, &mc, T0 - 9500, 2, T0 + 60000, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(text));
	want = with_history_bytes(c, exact_text);
	assert_same_text(text, want);
	free(want);
	free(text);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Returns a cache of 300 sources s000..s299, each with total 7 as of T0;
 * *cf is its config, to free after the cache. */
static struct cache *
many_sources(struct config **cf)
{
	struct cache *c;
	char *conf = NULL;
	size_t i, cap = 0;
	FILE *f;

	f = open_memstream(&conf, &cap);
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 300; i++)
		fprintf(f,
		    "[source s%03zu]\nurl = http://127.0.0.1:1/\n"
		    "stat total = /total\n",
		    i);
	fclose(f);
	*cf = load_config(conf);
	free(conf);
	c = cache_new(*cf);
	ck_assert_ptr_nonnull(c);
	for (i = 0; i < 300; i++)
		cache_put_ok(
		    c, cache_entry_at(c, i), parse("{\"total\": 7}"), T0);
	return c;
}

/*
 * 300 sources span several slices of the stream: every family comes out
 * once, whole (its 300 samples together, after its HELP), in order, and
 * read 7 bytes at a time the text is the same as in one piece.
 */
START_TEST(test_render_many_sources)
{
	static const char *const families[] = {"gatherd_source_up",
	    "gatherd_source_last_success_timestamp_seconds",
	    "gatherd_source_consecutive_failures", "gatherd_source_expired",
	    "gatherd_source_circuit_open", "gatherd_polls_total",
	    "gatherd_poll_duration_seconds", "gatherd_fetched_bytes_total",
	    "gatherd_stat"};
	struct metrics_stream *ms;
	struct metrics_counters mc;
	struct config *cf;
	struct cache *c;
	char *text, *joined, line[128], help[128];
	const char *p, *prev = NULL;
	size_t i, n = 0, total;
	long got;

	c = many_sources(&cf);
	text = render_plain(c, T0);
	for (i = 0; i < sizeof families / sizeof families[0]; i++) {
		snprintf(help, sizeof help, "# HELP %s ", families[i]);
		p = strstr(text, help);
		ck_assert_msg(p != NULL && strstr(p + 1, help) == NULL,
		    "%s: not exactly once", families[i]);
		ck_assert_msg(
		    prev == NULL || p > prev, "%s out of order", families[i]);
		prev = p;
	}
	for (i = 0; i < 300; i++) {
		snprintf(line, sizeof line,
		    "gatherd_stat{source=\"s%03zu\",stat=\"total\"} 7", i);
		assert_line(text, line);
		snprintf(line, sizeof line,
		    "gatherd_source_up{source=\"s%03zu\"} 1", i);
		assert_line(text, line);
	}
	/* gatherd_source_up's 300 samples follow its TYPE line unbroken. */
	p = strstr(text, "# TYPE gatherd_source_up gauge\n");
	ck_assert_ptr_nonnull(p);
	p = strchr(p, '\n') + 1;
	for (i = 0; i < 300; i++, p = strchr(p, '\n') + 1)
		ck_assert(strncmp(p, "gatherd_source_up{", 18) == 0);
	ck_assert(strncmp(p, "# HELP", 6) == 0);
	/* 7 bytes at a time through the stream: the same text. */
	memset(&mc, 0, sizeof mc);
	ms = metrics_stream_new(c, &mc, T0, 0, T0);
	ck_assert_ptr_nonnull(ms);
	total = strlen(text);
	joined = malloc(total + 8);
	ck_assert_ptr_nonnull(joined);
	while ((got = metrics_stream_read(ms, joined + n, 7)) > 0) {
		ck_assert_int_le(got, 7);
		n += (size_t)got;
		ck_assert_uint_le(n, total);
	}
	ck_assert_int_eq(got, 0);
	joined[n] = '\0';
	ck_assert_str_eq(joined, text);
	metrics_stream_free(ms);
	free(joined);
	free(text);
	cache_free(c);
	config_free(cf);
}
END_TEST

/*
 * A reload during a scrape: metrics_stream_finish renders the rest, so
 * the cache and config can go (ASan would catch a later read) and the
 * scrape still ends whole, as it would have without the reload.
 */
START_TEST(test_stream_finish_before_reload)
{
	struct metrics_stream *ms;
	struct metrics_counters mc;
	struct config *cf;
	struct cache *c;
	char *text, *joined;
	size_t n = 0, total;
	long got;

	c = many_sources(&cf);
	text = render_plain(c, T0);
	total = strlen(text);
	joined = malloc(total + 1);
	ck_assert_ptr_nonnull(joined);
	memset(&mc, 0, sizeof mc);
	ms = metrics_stream_new(c, &mc, T0, 0, T0);
	ck_assert_ptr_nonnull(ms);
	/* Part way into the per-source families... */
	while (n < total / 3 &&
	    (got = metrics_stream_read(ms, joined + n, 1000)) > 0)
		n += (size_t)got;
	/* ...the reload: the rest now, then the cache and config go. */
	metrics_stream_finish(ms);
	cache_free(c);
	config_free(cf);
	while ((got = metrics_stream_read(ms, joined + n, total - n)) > 0)
		n += (size_t)got;
	ck_assert_int_eq(got, 0);
	ck_assert_uint_eq(n, total);
	joined[n] = '\0';
	ck_assert_str_eq(joined, text);
	metrics_stream_free(ms);
	free(joined);
	free(text);
}
END_TEST

/* Stale values past max_age are expired; numbers are written exactly. */
START_TEST(test_render_stale_numbers)
{
	struct config *cf = load_config(stale_text);
	struct cache *c = cache_new(cf);
	struct cache_entry *g = cache_find(c, "gamma");
	struct source_error err;
	char *text;

	ck_assert_ptr_nonnull(g);
	text = render_plain(c, T0);
	/* Pending: nothing polled, nothing to show. */
	assert_line(text, "gatherd_source_up{source=\"gamma\"} 0");
	assert_line(text,
	    "gatherd_source_last_success_timestamp_seconds{source=\"gamma\"} "
	    "0");
	assert_line(
	    text, "gatherd_poll_duration_seconds_count{source=\"gamma\"} 0");
	assert_line(
	    text, "gatherd_poll_duration_seconds_sum{source=\"gamma\"} 0");
	assert_no_line(text, "gatherd_stat{");
	assert_no_line(text, "gatherd_http_requests_total{");
	free(text);
	cache_put_ok(c, g,
	    parse("{\"big\": 18446744073709551615, \"neg\": -5, "
	          "\"tiny\": 1e-7, \"third\": 0.3333333333333333, "
	          "\"no\": false, \"text\": \"12\"}"),
	    T0);
	err = make_error(SOURCE_ERR_CONNECT, 0, T0 + 1000);
	cache_put_error(c, g, &err, 1000);
	text = render_plain(c, T0 + 5000);
	assert_line(text, "gatherd_source_up{source=\"gamma\"} 0");
	assert_line(text, "gatherd_source_expired{source=\"gamma\"} 0");
	free(text);
	text = render_plain(c, T0 + 5001);
	assert_line(text, "gatherd_source_expired{source=\"gamma\"} 1");
	assert_line(text,
	    "gatherd_source_last_success_timestamp_seconds{source=\"gamma\"} "
	    "1795000000");
	assert_line(
	    text, "gatherd_source_consecutive_failures{source=\"gamma\"} 1");
	assert_line(
	    text, "gatherd_polls_total{source=\"gamma\",result=\"connect\"} 1");
	/* Stale values are still the last good ones. */
	assert_line(text,
	    "gatherd_stat{source=\"gamma\",stat=\"big\"} 18446744073709551615");
	assert_line(text, "gatherd_stat{source=\"gamma\",stat=\"neg\"} -5");
	assert_line(text, "gatherd_stat{source=\"gamma\",stat=\"tiny\"} 1e-07");
	assert_line(text,
	    "gatherd_stat{source=\"gamma\",stat=\"third\"} 0.3333333333333333");
	assert_line(text, "gatherd_stat{source=\"gamma\",stat=\"no\"} 0");
	assert_no_line(text, "gatherd_stat{source=\"gamma\",stat=\"text\"}");
	free(text);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* The escaper doubles backslashes and escapes quotes and newlines. */
START_TEST(test_escape_label)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"plain-name_1.0", "plain-name_1.0"},
	    {"a\\b", "a\\\\b"},
	    {"say \"hi\"", "say \\\"hi\\\""},
	    {"two\nlines\n", "two\\nlines\\n"},
	    {"\\\"\n", "\\\\\\\"\\n"},
	    {"\\n is not a newline", "\\\\n is not a newline"},
	    {"tab\tand \xc3\xa9", "tab\tand \xc3\xa9"},
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = metrics_escape_label(cases[i].in);
		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(s, cases[i].out);
		free(s);
	}
}
END_TEST

/*
 * Names in the config are [A-Za-z0-9_.-] only, so this test swaps in
 * names with a backslash, a quote and a newline behind the config's
 * back: every label the renderer writes goes through the escaper.
 */
START_TEST(test_render_escapes_labels)
{
	static char source[] = "we\"ird\\so\nurce";
	static char stat[] = "s\\t\"at\n";
	struct config *cf = load_config(conf_text);
	struct cache *c = cache_new(cf);
	struct cache_entry *b = cache_find(c, "beta");
	struct json_object *values;
	char *old_source, *old_stat, *text;

	ck_assert_ptr_nonnull(b);
	old_source = cf->cf_sources[1].src_name;
	old_stat = cf->cf_sources[1].src_stats[0].cs_name;
	cf->cf_sources[1].src_name = source;
	cf->cf_sources[1].src_stats[0].cs_name = stat;
	values = json_object_new_object();
	ck_assert_ptr_nonnull(values);
	ck_assert_int_eq(
	    json_object_object_add(values, stat, json_object_new_int(7)), 0);
	cache_put_ok(c, b, values, T0);
	text = render_plain(c, T0);
	assert_line(
	    text, "gatherd_source_up{source=\"we\\\"ird\\\\so\\nurce\"} 1");
	assert_line(text,
	    "gatherd_polls_total{source=\"we\\\"ird\\\\so\\nurce\","
	    "result=\"ok\"} 1");
	assert_line(text,
	    "gatherd_poll_duration_seconds_bucket{source=\"we\\\"ird\\\\so"
	    "\\nurce\",le=\"+Inf\"} 0");
	assert_line(text,
	    "gatherd_stat{source=\"we\\\"ird\\\\so\\nurce\","
	    "stat=\"s\\\\t\\\"at\\n\"} 7");
	/* No raw newline, quote or backslash is left inside a label. */
	ck_assert_ptr_null(strstr(text, "so\nurce"));
	ck_assert_ptr_null(strstr(text, "at\n\"}"));
	free(text);
	cf->cf_sources[1].src_name = old_source;
	cf->cf_sources[1].src_stats[0].cs_name = old_stat;
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Result names: "ok" for success, the API's error kinds otherwise. */
START_TEST(test_result_names)
{
	ck_assert_str_eq(metrics_result_name(SOURCE_ERR_NONE), "ok");
	ck_assert_str_eq(metrics_result_name(SOURCE_ERR_DNS), "dns");
	ck_assert_str_eq(
	    metrics_result_name(SOURCE_ERR_RATE_LIMITED), "rate_limited");
	ck_assert_str_eq(metrics_result_name(SOURCE_ERR_INTERNAL), "internal");
}
END_TEST

/* Status codes 100 to 599 are counted, in order; others are not. */
START_TEST(test_http_codes)
{
	struct config *cf = load_config(conf_text);
	struct cache *c = cache_new(cf);
	struct metrics_counters mc;
	size_t len = 0;
	char *text;
	const char *p100, *p599;

	memset(&mc, 0, sizeof mc);
	metrics_count_response(&mc, 0);
	metrics_count_response(&mc, 99);
	metrics_count_response(&mc, 600);
	metrics_count_response(&mc, 599);
	metrics_count_response(&mc, 100);
	metrics_count_response(&mc, 304);
	metrics_count_response(&mc, 304);
	text = metrics_render(c, &mc, T0, 0, T0, &len);
	ck_assert_ptr_nonnull(text);
	assert_line(text, "gatherd_http_requests_total{code=\"100\"} 1");
	assert_line(text, "gatherd_http_requests_total{code=\"304\"} 2");
	assert_line(text, "gatherd_http_requests_total{code=\"599\"} 1");
	assert_no_line(text, "gatherd_http_requests_total{code=\"99\"}");
	assert_no_line(text, "gatherd_http_requests_total{code=\"600\"}");
	assert_no_line(text, "gatherd_http_requests_total{code=\"0\"}");
	p100 = strstr(text, "{code=\"100\"}");
	p599 = strstr(text, "{code=\"599\"}");
	ck_assert(p100 != NULL && p599 != NULL && p100 < p599);
	free(text);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Reads the value of the sample line that starts with prefix. */
static unsigned long long
sample_value(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;

	for (p = text; p != NULL && *p != '\0';
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, n) == 0)
			return strtoull(p + n, NULL, 10);
	}
	ck_abort_msg("no sample %s", prefix);
	return 0;
}

/* Buckets are cumulative, match the observations and end at _count. */
START_TEST(test_histogram_consistent)
{
	static const char *const les[] = {"0.005", "0.01", "0.025", "0.05",
	    "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};
	struct config *cf = load_config(conf_text);
	struct cache *c = cache_new(cf);
	struct cache_entry *a = cache_find(c, "alpha");
	int64_t obs[400], total = 0;
	unsigned long long got, prev = 0, want;
	uint32_t x = 12345;
	char prefix[128], sum[64], *text;
	size_t i, k, n = 0;

	/* Every bound exactly, one microsecond over, and a spread. */
	for (k = 0; k < POLLSTATS_BUCKETS; k++) {
		obs[n++] = pollstats_bucket_usec(k);
		obs[n++] = pollstats_bucket_usec(k) + 1;
	}
	obs[n++] = 0;
	obs[n++] = -7; /* a clock that went back counts as 0 */
	while (n < sizeof obs / sizeof obs[0]) {
		x = x * 1103515245u + 12345u;
		obs[n++] = (int64_t)(x % 15000000u);
	}
	for (i = 0; i < n; i++) {
		cache_put_transfer(a, obs[i], 10);
		total += obs[i] > 0 ? obs[i] : 0;
	}
	text = render_plain(c, T0);
	for (k = 0; k < sizeof les / sizeof les[0]; k++) {
		snprintf(prefix, sizeof prefix,
		    "gatherd_poll_duration_seconds_bucket{source=\"alpha\","
		    "le=\"%s\"} ",
		    les[k]);
		got = sample_value(text, prefix);
		for (want = 0, i = 0; i < n; i++) {
			if (k == POLLSTATS_BUCKETS ||
			    obs[i] <= pollstats_bucket_usec(k))
				want++;
		}
		ck_assert_msg(
		    got == want, "le=%s: %llu, want %llu", les[k], got, want);
		ck_assert_uint_ge(got, prev);
		prev = got;
	}
	ck_assert_uint_eq(prev, n);
	ck_assert_uint_eq(sample_value(text,
	                      "gatherd_poll_duration_seconds_count{source="
	                      "\"alpha\"} "),
	    n);
	snprintf(sum, sizeof sum, "%.6f", (double)total / 1e6);
	while (sum[strlen(sum) - 1] == '0')
		sum[strlen(sum) - 1] = '\0';
	if (sum[strlen(sum) - 1] == '.')
		sum[strlen(sum) - 1] = '\0';
	snprintf(prefix, sizeof prefix,
	    "gatherd_poll_duration_seconds_sum{source=\"alpha\"} %s", sum);
	assert_line(text, prefix);
	ck_assert_uint_eq(sample_value(text,
	                      "gatherd_fetched_bytes_total{source=\"alpha\"} "),
	    10 * n);
	/* Transfers alone are no polls. */
	assert_line(
	    text, "gatherd_polls_total{source=\"alpha\",result=\"ok\"} 0");
	free(text);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* A reload keeps the counters of a source it keeps, and only those. */
START_TEST(test_reload_keeps_counters)
{
	static const char reloaded[] = "[source alpha]\n"
	                               "url = https://api.example.com/a\n"
	                               "interval = 1m\n"
	                               "stat total = /t\n"
	                               "\n"
	                               "[source beta]\n"
	                               "url = http://beta.example.net/moved\n"
	                               "stat total = /t\n";
	struct config *cf = load_config(conf_text), *cf2;
	struct cache *c = cache_new(cf), *c2;
	struct cache_entry *a = cache_find(c, "alpha");
	struct cache_entry *b = cache_find(c, "beta");
	struct source_error err;
	char *text;

	cache_put_transfer(a, 20000, 64);
	cache_put_ok(c, a, parse("{\"total\": 5}"), T0);
	cache_put_transfer(a, 30000, 0);
	cache_put_ok(c, a, NULL, T0 + 1000);
	cache_put_transfer(b, 40000, 10);
	err = make_error(SOURCE_ERR_PARSE, 200, T0);
	cache_put_error(c, b, &err, 1000);
	cf2 = load_config(reloaded);
	c2 = cache_new(cf2);
	ck_assert_ptr_nonnull(c2);
	cache_adopt(c2, c);
	cache_free(c);
	config_free(cf);
	text = render_plain(c2, T0 + 2000);
	/* alpha: same name and URL, so its counters go on. */
	assert_line(
	    text, "gatherd_polls_total{source=\"alpha\",result=\"ok\"} 1");
	assert_line(text,
	    "gatherd_polls_total{source=\"alpha\",result=\"not_modified\"} 1");
	assert_line(
	    text, "gatherd_poll_duration_seconds_count{source=\"alpha\"} 2");
	assert_line(
	    text, "gatherd_poll_duration_seconds_sum{source=\"alpha\"} 0.05");
	assert_line(text, "gatherd_fetched_bytes_total{source=\"alpha\"} 64");
	assert_line(text, "gatherd_stat{source=\"alpha\",stat=\"total\"} 5");
	/* beta moved to another URL: a new source, counted from zero. */
	assert_line(
	    text, "gatherd_polls_total{source=\"beta\",result=\"parse\"} 0");
	assert_line(
	    text, "gatherd_poll_duration_seconds_count{source=\"beta\"} 0");
	assert_line(text, "gatherd_fetched_bytes_total{source=\"beta\"} 0");
	free(text);
	cache_free(c2);
	config_free(cf2);
}
END_TEST

/* One good and one failing source on the fake upstream. */
static const char http_sources[] = "[source alpha]\n"
                                   "url = @UP@/stats?name=alpha\n"
                                   "interval = 1h\n"
                                   "stat total = /data/total\n"
                                   "stat ratio = /data/ratio\n"
                                   "stat flag = /data/flag\n"
                                   "stat label = /data/label\n"
                                   "\n"
                                   "[source beta]\n"
                                   "url = @UP@/status/503\n"
                                   "interval = 1h\n"
                                   "stat total = /data/total\n";

/* GETs /metrics (with header) until it has line; returns the body. */
static char *
wait_metrics_line(struct harness *h, const char *header, const char *line)
{
	struct harness_resp *r;
	size_t n = strlen(line);
	char *body;
	const char *p;
	int tries;

	for (tries = 0; tries <= WAIT_MS / 20; tries++) {
		r = harness_request(h, "GET", "/metrics", header);
		ck_assert_int_eq(r->r_status, 200);
		for (p = r->r_body; (p = strstr(p, line)) != NULL; p++) {
			if ((p == r->r_body || p[-1] == '\n') && p[n] == '\n') {
				body = r->r_body;
				r->r_body = NULL;
				harness_resp_free(r);
				return body;
			}
		}
		harness_resp_free(r);
		usleep(20 * 1000);
	}
	ck_abort_msg("/metrics never had \"%s\"", line);
	return NULL;
}

/* After real polls: values, counters and the exposition's media type. */
START_TEST(test_http_metrics)
{
	struct harness *h = harness_start(NULL, http_sources);
	struct harness_resp *r, *head;
	char *text;

	text =
	    wait_metrics_line(h, NULL, "gatherd_source_up{source=\"alpha\"} 1");
	free(text);
	text = wait_metrics_line(
	    h, NULL, "gatherd_source_consecutive_failures{source=\"beta\"} 1");
	free(text);
	/* Counted from here on: one 404 and this last GET's 200s. */
	r = harness_request(h, "GET", "/api/v1/nope", NULL);
	ck_assert_int_eq(r->r_status, 404);
	harness_resp_free(r);
	r = harness_request(h, "GET", "/metrics", NULL);
	ck_assert_int_eq(r->r_status, 200);
	harness_assert_header(r, "Content-Type", METRICS_CONTENT_TYPE);
	assert_line(r->r_body, "gatherd_sources 2");
	assert_line(
	    r->r_body, "gatherd_build_info{version=\"" GATHERD_VERSION "\"} 1");
	assert_line(r->r_body, "gatherd_event_streams 0");
	assert_line(r->r_body, "gatherd_http_requests_total{code=\"404\"} 1");
	assert_no_line(r->r_body, "gatherd_http_requests_total{code=\"401\"}");
	assert_line(r->r_body, "gatherd_config_reloads_total{result=\"ok\"} 0");
	/* The first request of a name= series answers total 1000. */
	assert_line(
	    r->r_body, "gatherd_stat{source=\"alpha\",stat=\"total\"} 1000");
	assert_line(
	    r->r_body, "gatherd_stat{source=\"alpha\",stat=\"ratio\"} 0.25");
	assert_line(
	    r->r_body, "gatherd_stat{source=\"alpha\",stat=\"flag\"} 1");
	assert_no_line(
	    r->r_body, "gatherd_stat{source=\"alpha\",stat=\"label\"}");
	assert_no_line(r->r_body, "gatherd_stat{source=\"beta\"");
	assert_line(
	    r->r_body, "gatherd_polls_total{source=\"alpha\",result=\"ok\"} 1");
	assert_line(r->r_body,
	    "gatherd_poll_duration_seconds_count{source=\"alpha\"} 1");
	assert_line(r->r_body,
	    "gatherd_poll_duration_seconds_bucket{source=\"alpha\",le=\"+Inf\"}"
	    " "
	    "1");
	ck_assert_uint_gt(sample_value(r->r_body,
	                      "gatherd_fetched_bytes_total{source=\"alpha\"} "),
	    50);
	assert_line(r->r_body, "gatherd_source_up{source=\"beta\"} 0");
	assert_line(r->r_body,
	    "gatherd_source_last_success_timestamp_seconds{source=\"beta\"} 0");
	ck_assert_uint_ge(sample_value(r->r_body,
	                      "gatherd_polls_total{source=\"beta\","
	                      "result=\"http_status\"} "),
	    1);
	ck_assert_uint_gt(sample_value(r->r_body,
	                      "gatherd_http_requests_total{code=\"200\"} "),
	    0);
	/* HEAD: no body, the same type; streamed, so no length. */
	head = harness_request(h, "HEAD", "/metrics", NULL);
	ck_assert_int_eq(head->r_status, 200);
	ck_assert_uint_eq(head->r_len, 0);
	harness_assert_header(head, "Content-Type", METRICS_CONTENT_TYPE);
	harness_resp_free(head);
	/* Rendered per request: no ETag to get a stale 304 with. */
	ck_assert_ptr_null(harness_resp_header(r, "ETag"));
	head = harness_request(h, "GET", "/metrics", "If-None-Match: *");
	ck_assert_int_eq(head->r_status, 200);
	harness_resp_free(head);
	harness_resp_free(r);
	harness_stop(h);
}
END_TEST

/* Runs on the loop thread: reports one good and one failed reload. */
static void
count_reloads_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;

	api_reload_result(a, NULL);
	api_reload_result(a, "test.conf:3: bad value");
}

/* With api_token_file, /metrics needs the token; 401s are counted. */
START_TEST(test_http_metrics_token)
{
	static const char *const bad[] = {NULL, "Authorization: Bearer nope",
	    "Authorization: Bearer " API_TOKEN "x",
	    "Authorization: " API_TOKEN};
	struct timeval now = {0, 0};
	struct harness *h;
	struct harness_resp *r;
	char *path, *global, *text;
	size_t i;

	path = harness_token_file(API_TOKEN);
	ck_assert_int_gt(asprintf(&global, "api_token_file = %s\n", path), 0);
	h = harness_start(global, http_sources);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = harness_request(h, "GET", "/metrics", bad[i]);
		ck_assert_int_eq(r->r_status, 401);
		harness_assert_header(r, "Content-Type", "application/json");
		harness_assert_header(r, "WWW-Authenticate", "Bearer");
		ck_assert_ptr_null(strstr(r->r_body, "gatherd_"));
		harness_resp_free(r);
	}
	r = harness_request(h, "HEAD", "/metrics", NULL);
	ck_assert_int_eq(r->r_status, 401);
	harness_resp_free(r);
	/* /healthz stays open. */
	r = harness_request(h, "GET", "/healthz", NULL);
	ck_assert_int_eq(r->r_status, 200);
	harness_resp_free(r);
	/* Reloads are the daemon's to report, on the loop thread. */
	ck_assert_int_eq(event_base_once(h->h_base, -1, EV_TIMEOUT,
	                     count_reloads_cb, h->h_api, &now),
	    0);
	text = wait_metrics_line(
	    h, AUTH, "gatherd_config_reloads_total{result=\"ok\"} 1");
	assert_line(text, "gatherd_config_reloads_total{result=\"failed\"} 1");
	assert_line(text, "gatherd_http_requests_total{code=\"401\"} 5");
	free(text);
	text = wait_metrics_line(
	    h, AUTH, "gatherd_polls_total{source=\"alpha\",result=\"ok\"} 1");
	assert_line(text, "gatherd_stat{source=\"alpha\",stat=\"total\"} 1000");
	free(text);
	harness_stop(h);
	ck_assert_int_eq(unlink(path), 0);
	free(global);
	free(path);
}
END_TEST

/* Builds the suite. */
static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc;

	tc = tcase_create("render");
	tcase_add_test(tc, test_render_exact);
	tcase_add_test(tc, test_render_many_sources);
	tcase_add_test(tc, test_stream_finish_before_reload);
	tcase_add_test(tc, test_render_stale_numbers);
	tcase_add_test(tc, test_escape_label);
	tcase_add_test(tc, test_render_escapes_labels);
	tcase_add_test(tc, test_result_names);
	tcase_add_test(tc, test_http_codes);
	tcase_add_test(tc, test_histogram_consistent);
	tcase_add_test(tc, test_reload_keeps_counters);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_http_metrics);
	tcase_add_test(tc, test_http_metrics_token);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(metrics_suite()) == 0 ? 0 : 1;
}
