/*
 * Prometheus text exposition (format 0.0.4) of the cache and the process
 * counters, and the counting of the process counters (the poll counters
 * are pollstats').  Each family is written whole, HELP and TYPE first,
 * then a sample per source, so the families never interleave; every label value
 * goes through one escaper.  Numbers are written exactly: counters as integers,
 * other values in the shortest text that reads back as the same double.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cache.h"
#include "cluster.h"
#include "metrics.h"

#define METRICS_BUF_INITIAL 4096
#define METRICS_SLICE 128 /* sources per piece of a streamed family */

/* A growing output buffer; once an allocation fails it stays failed. */
struct metrics_buf {
	char *mb_data;
	size_t mb_len;
	size_t mb_cap;
	int mb_failed;
};

/* Returns the name of result kind in gatherd_polls_total ("ok", "dns"). */
const char *
metrics_result_name(enum source_err kind)
{
	return kind == SOURCE_ERR_NONE ? "ok" : source_err_name(kind);
}

/* Counts one response queued with HTTP status (others are ignored). */
void
metrics_count_response(struct metrics_counters *mc, unsigned status)
{
	if (status >= METRICS_HTTP_MIN &&
	    status < METRICS_HTTP_MIN + METRICS_HTTP_CODES)
		mc->mc_http[status - METRICS_HTTP_MIN]++;
}

/* Counts a config reload that succeeded (ok) or failed. */
void
metrics_count_reload(struct metrics_counters *mc, int ok)
{
	if (ok)
		mc->mc_reloads_ok++;
	else
		mc->mc_reloads_failed++;
}

/* Makes room for n more bytes and the NUL in b; 0 or -1. */
static int
metrics_reserve(struct metrics_buf *b, size_t n)
{
	size_t cap;
	char *data;

	if (b->mb_failed)
		return -1;
	if (b->mb_len + n + 1 <= b->mb_cap)
		return 0;
	cap = b->mb_cap ? b->mb_cap : METRICS_BUF_INITIAL;
	while (cap < b->mb_len + n + 1)
		cap *= 2;
	if ((data = realloc(b->mb_data, cap)) == NULL) {
		b->mb_failed = 1;
		return -1;
	}
	b->mb_data = data;
	b->mb_cap = cap;
	return 0;
}

/* Appends the n bytes at s to b. */
static void
metrics_append(struct metrics_buf *b, const char *s, size_t n)
{
	if (metrics_reserve(b, n) == -1)
		return;
	memcpy(b->mb_data + b->mb_len, s, n);
	b->mb_len += n;
	b->mb_data[b->mb_len] = '\0';
}

/* Appends a printf-formatted string to b. */
static void __attribute__((format(printf, 2, 3)))
metrics_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->mb_failed = 1;
		return;
	}
	if (metrics_reserve(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->mb_data + b->mb_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->mb_len += (size_t)n;
}

/* Appends value to b escaped as the format wants inside a label's "". */
static void
metrics_append_escaped(struct metrics_buf *b, const char *value)
{
	const char *p, *run = value;

	for (p = value; *p != '\0'; p++) {
		if (*p != '\\' && *p != '"' && *p != '\n')
			continue;
		metrics_append(b, run, (size_t)(p - run));
		metrics_append(b,
		    *p == '\\'      ? "\\\\"
		        : *p == '"' ? "\\\""
		                    : "\\n",
		    2);
		run = p + 1;
	}
	metrics_append(b, run, (size_t)(p - run));
}

/* Returns value escaped for a label ("\\", "\"", "\n"); NULL if no memory. */
char *
metrics_escape_label(const char *value)
{
	struct metrics_buf b = {NULL, 0, 0, 0};

	if (metrics_reserve(&b, 0) == -1)
		return NULL;
	b.mb_data[0] = '\0';
	metrics_append_escaped(&b, value);
	if (b.mb_failed) {
		free(b.mb_data);
		return NULL;
	}
	return b.mb_data;
}

/* Formats v in the shortest text that reads back as v ("0.25", "10"). */
static void
metrics_format_double(double v, char *buf, size_t len)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

/* Appends "# HELP name help" and "# TYPE name type" to b. */
static void
metrics_family(
    struct metrics_buf *b, const char *name, const char *type, const char *help)
{
	metrics_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends name{source="NAME" and, if given, ,label="value" (no "}"). */
static void
metrics_labels(struct metrics_buf *b, const char *name,
    const struct cache_entry *e, const char *label, const char *value)
{
	metrics_printf(b, "%s{source=\"", name);
	metrics_append_escaped(b, e->ce_src->src_name);
	metrics_append(b, "\"", 1);
	if (label != NULL) {
		metrics_printf(b, ",%s=\"", label);
		metrics_append_escaped(b, value);
		metrics_append(b, "\"", 1);
	}
}

/* Appends one sample of source e with an unsigned integer value. */
static void
metrics_uint(struct metrics_buf *b, const char *name,
    const struct cache_entry *e, const char *label, const char *value,
    uint64_t v)
{
	metrics_labels(b, name, e, label, value);
	metrics_printf(b, "} %" PRIu64 "\n", v);
}

/* Appends one sample of source e with a floating-point value. */
static void
metrics_double(struct metrics_buf *b, const char *name,
    const struct cache_entry *e, const char *label, const char *value, double v)
{
	char num[64];

	metrics_format_double(v, num, sizeof num);
	metrics_labels(b, name, e, label, value);
	metrics_printf(b, "} %s\n", num);
}

/* Appends the poll-duration histogram of e: buckets, sum and count. */
static void
metrics_histogram(
    struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	const struct pollstats *pst = &e->ce_pollstats;
	uint64_t cumulative = 0;
	char le[32];
	size_t i;

	for (i = 0; i < POLLSTATS_BUCKETS; i++) {
		cumulative += pst->pst_buckets[i];
		metrics_format_double(
		    (double)pollstats_bucket_usec(i) / 1e6, le, sizeof le);
		metrics_uint(b, "gatherd_poll_duration_seconds_bucket", e, "le",
		    le, cumulative);
	}
	metrics_uint(b, "gatherd_poll_duration_seconds_bucket", e, "le", "+Inf",
	    pst->pst_transfers);
	metrics_double(b, "gatherd_poll_duration_seconds_sum", e, NULL, NULL,
	    (double)pst->pst_usec / 1e6);
	metrics_uint(b, "gatherd_poll_duration_seconds_count", e, NULL, NULL,
	    pst->pst_transfers);
}

/* Appends gatherd_stat samples for e's numeric and boolean values. */
static void
metrics_stats(struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	const struct config_source *src = e->ce_src;
	struct json_object *v;
	int64_t i64;
	size_t i;

	if (e->ce_values == NULL)
		return;
	for (i = 0; i < src->src_nstats; i++) {
		v = json_object_object_get(
		    e->ce_values, src->src_stats[i].cs_name);
		switch (json_object_get_type(v)) {
		case json_type_int:
			i64 = json_object_get_int64(v);
			metrics_labels(b, "gatherd_stat", e, "stat",
			    src->src_stats[i].cs_name);
			/* Above INT64_MAX json-c holds a uint64. */
			if (i64 == INT64_MAX)
				metrics_printf(b, "} %" PRIu64 "\n",
				    json_object_get_uint64(v));
			else
				metrics_printf(b, "} %" PRId64 "\n", i64);
			break;
		case json_type_double:
			metrics_double(b, "gatherd_stat", e, "stat",
			    src->src_stats[i].cs_name,
			    json_object_get_double(v));
			break;
		case json_type_boolean:
			metrics_uint(b, "gatherd_stat", e, "stat",
			    src->src_stats[i].cs_name,
			    json_object_get_boolean(v) ? 1 : 0);
			break;
		default:
			break; /* strings and null have no number */
		}
	}
}

/* Appends the cluster's families (cluster mode only). */
static void
metrics_cluster(struct metrics_buf *b, const struct cluster *cl)
{
	const struct cluster_stats *st = cluster_stats(cl);
	size_t n;

	(void)cluster_replicas(cl, &n, NULL);
	metrics_family(b, "gatherd_cluster_redis_up", "gauge",
	    "1 while Redis answers this replica, else 0.");
	metrics_printf(
	    b, "gatherd_cluster_redis_up %d\n", cluster_redis_up(cl));
	metrics_family(b, "gatherd_cluster_up", "gauge",
	    "1 while this replica polls with the cluster, 0 while alone.");
	metrics_printf(b, "gatherd_cluster_up %d\n", cluster_is_up(cl));
	metrics_family(b, "gatherd_cluster_replicas", "gauge",
	    "Replicas seen in the last heartbeats, this one included.");
	metrics_printf(b, "gatherd_cluster_replicas %zu\n", n);
	metrics_family(b, "gatherd_cluster_claims_total", "counter",
	    "Claims of a source before a poll, by result.");
	metrics_printf(b,
	    "gatherd_cluster_claims_total{result=\"won\"} %llu\n"
	    "gatherd_cluster_claims_total{result=\"lost\"} %llu\n",
	    (unsigned long long)st->cs_claims_won,
	    (unsigned long long)st->cs_claims_lost);
	metrics_family(b, "gatherd_cluster_commits_total", "counter",
	    "Results committed to Redis, and late ones the fence refused.");
	metrics_printf(b,
	    "gatherd_cluster_commits_total{result=\"stored\"} %llu\n"
	    "gatherd_cluster_commits_total{result=\"fenced\"} %llu\n",
	    (unsigned long long)st->cs_commits,
	    (unsigned long long)st->cs_fenced);
	metrics_family(b, "gatherd_cluster_polls_alone_total", "counter",
	    "Polls done without the cluster while Redis was away.");
	metrics_printf(b, "gatherd_cluster_polls_alone_total %llu\n",
	    (unsigned long long)st->cs_down_polls);
	metrics_family(b, "gatherd_cluster_stream_entries_total", "counter",
	    "Changes applied from the cluster's stream.");
	metrics_printf(b, "gatherd_cluster_stream_entries_total %llu\n",
	    (unsigned long long)st->cs_applied);
	metrics_family(b, "gatherd_cluster_snapshots_total", "counter",
	    "Snapshots of every source loaded from Redis.");
	metrics_printf(b, "gatherd_cluster_snapshots_total %llu\n",
	    (unsigned long long)st->cs_snapshots);
	metrics_family(b, "gatherd_cluster_stream_lag_seconds", "gauge",
	    "From a commit to its application here, for the last change.");
	metrics_printf(b, "gatherd_cluster_stream_lag_seconds %.3f\n",
	    st->cs_lag_ms > 0 ? (double)st->cs_lag_ms / 1000.0 : 0.0);
}

/* Appends the history's points and memory, every stat together, and
 * its rollups' closed buckets and memory apart. */
static void
metrics_history(struct metrics_buf *b, struct cache *c)
{
	const struct cache_entry *e;
	size_t i, j, points = 0, bytes = 0, buckets = 0, rbytes = 0;

	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		for (j = 0; j < e->ce_src->src_nstats; j++) {
			points += history_len(e->ce_history[j]);
			bytes += history_bytes(e->ce_history[j]);
			buckets += rollup_len(e->ce_rollup[j]);
			rbytes += rollup_bytes(e->ce_rollup[j]);
		}
	}
	metrics_family(b, "gatherd_history_points", "gauge",
	    "History points held, every stat of every source.");
	metrics_printf(b, "gatherd_history_points %zu\n", points);
	metrics_family(b, "gatherd_history_bytes", "gauge",
	    "Memory the history takes, in bytes.");
	metrics_printf(b, "gatherd_history_bytes %zu\n", bytes);
	metrics_family(b, "gatherd_history_rollup_buckets", "gauge",
	    "Closed rollup buckets held, every stat of every source.");
	metrics_printf(b, "gatherd_history_rollup_buckets %zu\n", buckets);
	metrics_family(b, "gatherd_history_rollup_bytes", "gauge",
	    "Memory the rollups take, in bytes.");
	metrics_printf(b, "gatherd_history_rollup_bytes %zu\n", rbytes);
}

/* Appends the process-level families. */
static void
metrics_process(struct metrics_buf *b, struct cache *c,
    const struct metrics_counters *mc, int64_t started_at, unsigned streams)
{
	char num[64];
	size_t i;

	metrics_family(b, "gatherd_build_info", "gauge",
	    "A constant 1 labelled with the version of gatherd.");
	metrics_append(b, "gatherd_build_info{version=\"", 28);
	metrics_append_escaped(b, GATHERD_VERSION);
	metrics_append(b, "\"} 1\n", 5);
	metrics_family(b, "gatherd_start_time_seconds", "gauge",
	    "When gatherd started, in seconds since the Unix epoch.");
	metrics_format_double((double)started_at / 1000.0, num, sizeof num);
	metrics_printf(b, "gatherd_start_time_seconds %s\n", num);
	metrics_family(
	    b, "gatherd_sources", "gauge", "Sources in the running config.");
	metrics_printf(b, "gatherd_sources %zu\n", cache_count(c));
	metrics_history(b, c);
	metrics_family(b, "gatherd_event_streams", "gauge",
	    "Open Server-Sent Events streams on /api/v1/events.");
	metrics_printf(b, "gatherd_event_streams %u\n", streams);
	if (mc->mc_cluster != NULL)
		metrics_cluster(b, mc->mc_cluster);
	metrics_family(b, "gatherd_http_requests_total", "counter",
	    "HTTP responses gatherd queued, by status code.");
	for (i = 0; i < METRICS_HTTP_CODES; i++) {
		if (mc->mc_http[i] != 0)
			metrics_printf(b,
			    "gatherd_http_requests_total{code=\"%zu\"} %" PRIu64
			    "\n",
			    i + METRICS_HTTP_MIN, mc->mc_http[i]);
	}
	metrics_family(b, "gatherd_config_reloads_total", "counter",
	    "Config reloads, by result: ok (applied) or failed (the old "
	    "config stays).");
	metrics_printf(b,
	    "gatherd_config_reloads_total{result=\"ok\"} %" PRIu64 "\n"
	    "gatherd_config_reloads_total{result=\"failed\"} %" PRIu64 "\n",
	    mc->mc_reloads_ok, mc->mc_reloads_failed);
}

/* Appends gatherd_source_up for e. */
static void
metrics_up(struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	metrics_uint(
	    b, "gatherd_source_up", e, NULL, NULL, e->ce_last_ok ? 1 : 0);
}

/* Appends gatherd_source_last_success_timestamp_seconds for e. */
static void
metrics_last_success(
    struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	metrics_double(b, "gatherd_source_last_success_timestamp_seconds", e,
	    NULL, NULL, (double)e->ce_updated_at / 1000.0);
}

/* Appends gatherd_source_consecutive_failures for e. */
static void
metrics_failures(
    struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	metrics_uint(b, "gatherd_source_consecutive_failures", e, NULL, NULL,
	    e->ce_consecutive_failures);
}

/* Appends gatherd_source_expired for e. */
static void
metrics_expired(struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	metrics_uint(b, "gatherd_source_expired", e, NULL, NULL,
	    (uint64_t)cache_entry_expired(e, now));
}

/* Appends gatherd_source_circuit_open for e. */
static void
metrics_circuit(struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	metrics_uint(b, "gatherd_source_circuit_open", e, NULL, NULL,
	    e->ce_circuit != CACHE_CIRCUIT_CLOSED);
}

/* Appends gatherd_polls_total for e, one sample per result. */
static void
metrics_polls(struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	const struct pollstats *pst = &e->ce_pollstats;
	size_t k;

	metrics_uint(b, "gatherd_polls_total", e, "result", "ok",
	    pst->pst_results[SOURCE_ERR_NONE]);
	metrics_uint(b, "gatherd_polls_total", e, "result", "not_modified",
	    pst->pst_not_modified);
	for (k = SOURCE_ERR_NONE + 1; k < POLLSTATS_RESULTS; k++) {
		/* A poll the breaker held back is no poll. */
		if (k == SOURCE_ERR_CIRCUIT_OPEN && pst->pst_results[k] == 0)
			continue;
		metrics_uint(b, "gatherd_polls_total", e, "result",
		    metrics_result_name((enum source_err)k),
		    pst->pst_results[k]);
	}
}

/* Appends gatherd_fetched_bytes_total for e. */
static void
metrics_bytes(struct metrics_buf *b, const struct cache_entry *e, int64_t now)
{
	metrics_uint(b, "gatherd_fetched_bytes_total", e, NULL, NULL,
	    e->ce_pollstats.pst_bytes);
}

/* A family with a sample (or several) per source, in output order. */
static const struct metrics_source_family {
	const char *sf_name;
	const char *sf_type;
	const char *sf_help;
	void (*sf_append)(
	    struct metrics_buf *b, const struct cache_entry *e, int64_t now);
} metrics_source_families[] = {
    {"gatherd_source_up", "gauge",
        "1 if the last poll of the source succeeded, else 0.", metrics_up},
    {"gatherd_source_last_success_timestamp_seconds", "gauge",
        "When the last poll of the source succeeded, in seconds since "
        "the Unix epoch; 0 if none has.",
        metrics_last_success},
    {"gatherd_source_consecutive_failures", "gauge",
        "Polls of the source that failed since its last success.",
        metrics_failures},
    {"gatherd_source_expired", "gauge",
        "1 if the source serves stale values older than its max_age.",
        metrics_expired},
    {"gatherd_source_circuit_open", "gauge",
        "1 while the circuit breaker of the source is open or probing.",
        metrics_circuit},
    {"gatherd_polls_total", "counter",
        "Finished polls of the source, by result: ok, not_modified "
        "(a 304) or the error kind.",
        metrics_polls},
    {"gatherd_poll_duration_seconds", "histogram",
        "How long the transfers of a poll took, as curl measured them.",
        metrics_histogram},
    {"gatherd_fetched_bytes_total", "counter",
        "Response body bytes received from the source, as sent (before "
        "decompression).",
        metrics_bytes},
    {"gatherd_stat", "gauge",
        "The last good value of each numeric stat (booleans as 0 or 1).",
        metrics_stats},
};

#define METRICS_FAMILIES                                                       \
	(sizeof metrics_source_families / sizeof metrics_source_families[0])

/*
 * /metrics as a stream: the process families, then each per-source
 * family METRICS_SLICE sources at a time, so 10,000 sources never need
 * their whole 20 MB text in memory at once.
 */
struct metrics_stream {
	struct cache *ms_cache;
	const struct metrics_counters *ms_counters;
	int64_t ms_started_at;
	unsigned ms_streams;
	int64_t ms_now;
	int ms_started; /* the process families are out */
	size_t ms_family; /* next per-source family */
	size_t ms_source; /* its next source */
	struct metrics_buf ms_buf;
	size_t ms_off; /* bytes of ms_buf already read */
};

/* Starts the text of c and mc as of wall time now (ms); NULL: no memory. */
struct metrics_stream *
metrics_stream_new(struct cache *c, const struct metrics_counters *mc,
    int64_t started_at, unsigned streams, int64_t now)
{
	struct metrics_stream *ms;

	if ((ms = calloc(1, sizeof *ms)) == NULL)
		return NULL;
	ms->ms_cache = c;
	ms->ms_counters = mc;
	ms->ms_started_at = started_at;
	ms->ms_streams = streams;
	ms->ms_now = now;
	return ms;
}

/* Frees ms; NULL is allowed. */
void
metrics_stream_free(struct metrics_stream *ms)
{
	if (ms == NULL)
		return;
	free(ms->ms_buf.mb_data);
	free(ms);
}

/* Renders the next piece into the empty buffer; 0, or 1 at the end. */
static int
metrics_stream_next(struct metrics_stream *ms)
{
	const struct metrics_source_family *f;
	struct cache *c = ms->ms_cache;
	size_t end;

	if (!ms->ms_started) {
		ms->ms_started = 1;
		metrics_process(&ms->ms_buf, c, ms->ms_counters,
		    ms->ms_started_at, ms->ms_streams);
		return 0;
	}
	if (ms->ms_family >= METRICS_FAMILIES)
		return 1;
	f = &metrics_source_families[ms->ms_family];
	if (ms->ms_source == 0)
		metrics_family(&ms->ms_buf, f->sf_name, f->sf_type, f->sf_help);
	end = ms->ms_source + METRICS_SLICE;
	if (end > cache_count(c))
		end = cache_count(c);
	for (; ms->ms_source < end; ms->ms_source++)
		f->sf_append(
		    &ms->ms_buf, cache_entry_at(c, ms->ms_source), ms->ms_now);
	if (ms->ms_source >= cache_count(c)) {
		ms->ms_family++;
		ms->ms_source = 0;
	}
	return 0;
}

/* Renders all that is left of the text now, so ms no longer needs the
 * cache (which is about to go); reading goes on as before. */
void
metrics_stream_finish(struct metrics_stream *ms)
{
	while (!ms->ms_buf.mb_failed && metrics_stream_next(ms) == 0)
		;
}

/* Copies up to max bytes of the text to out; the count, 0 at the end, or
 * -1 if out of memory. */
long
metrics_stream_read(struct metrics_stream *ms, char *out, size_t max)
{
	struct metrics_buf *b = &ms->ms_buf;
	size_t n;

	if (b->mb_failed)
		return -1;
	while (ms->ms_off == b->mb_len) {
		b->mb_len = 0;
		ms->ms_off = 0;
		if (metrics_stream_next(ms) == 1)
			return 0;
		if (b->mb_failed)
			return -1;
	}
	n = b->mb_len - ms->ms_off;
	if (n > max)
		n = max;
	memcpy(out, b->mb_data + ms->ms_off, n);
	ms->ms_off += n;
	return (long)n;
}

/* Renders every metric family of c and mc as of wall time now (ms). */
char *
metrics_render(struct cache *c, const struct metrics_counters *mc,
    int64_t started_at, unsigned streams, int64_t now, size_t *len)
{
	struct metrics_buf out = {NULL, 0, 0, 0};
	struct metrics_stream *ms;
	char chunk[16384];
	long n;

	if ((ms = metrics_stream_new(c, mc, started_at, streams, now)) == NULL)
		return NULL;
	metrics_reserve(&out, 0);
	while ((n = metrics_stream_read(ms, chunk, sizeof chunk)) > 0)
		metrics_append(&out, chunk, (size_t)n);
	metrics_stream_free(ms);
	if (n < 0 || out.mb_failed) {
		free(out.mb_data);
		return NULL;
	}
	out.mb_data[out.mb_len] = '\0';
	*len = out.mb_len;
	return out.mb_data;
}
