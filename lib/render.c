/*
 * Renders API documents with json-c, which does the escaping.  Building
 * a tree per render is fine because the API renders once per cache
 * change, not once per request.  Values are shared with the cache by
 * reference count, never copied.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config_request.h"
#include "history_range.h"
#include "render.h"
#include "timeutil.h"

/* Adds key: value to obj, ignoring a NULL value's failure to allocate. */
static void
render_add(struct json_object *obj, const char *key, struct json_object *v)
{
	if (json_object_object_add(obj, key, v) != 0)
		json_object_put(v);
}

/* Returns an RFC 3339 string for wall ms, or JSON null for 0. */
static struct json_object *
render_time(int64_t wall_ms)
{
	char buf[TIMEUTIL_RFC3339_LEN];

	if (wall_ms == 0)
		return NULL;
	timeutil_format_rfc3339(wall_ms, buf, sizeof buf);
	return json_object_new_string(buf);
}

/* Returns ms as seconds with at least one decimal ("2.1", "0.25"). */
static struct json_object *
render_seconds(int64_t ms)
{
	char buf[32];
	size_t n;

	if (ms < 0)
		ms = 0;
	n = (size_t)snprintf(buf, sizeof buf, "%.3f", (double)ms / 1000.0);
	while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	return json_object_new_double_s((double)ms / 1000.0, buf);
}

/* Returns the API's error object for err. */
static struct json_object *
render_source_error(const struct source_error *err)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	render_add(
	    o, "kind", json_object_new_string(source_err_name(err->se_kind)));
	render_add(o, "message", json_object_new_string(err->se_message));
	render_add(o, "http_status",
	    err->se_http_status != 0 ? json_object_new_int(err->se_http_status)
	                             : NULL);
	render_add(o, "at", render_time(err->se_at));
	return o;
}

/* Returns e's error as the stats show it: circuit_open while it blocks. */
static struct json_object *
render_entry_error(const struct cache_entry *e)
{
	struct source_error open;

	if (e->ce_circuit != CACHE_CIRCUIT_OPEN)
		return render_source_error(&e->ce_error);
	source_error_set(&open, SOURCE_ERR_CIRCUIT_OPEN,
	    e->ce_error.se_http_status, e->ce_error.se_at,
	    "circuit open after %llu failures in a row; last: %s: %s",
	    (unsigned long long)e->ce_consecutive_failures,
	    source_err_name(e->ce_error.se_kind), e->ce_error.se_message);
	return render_source_error(&open);
}

/* Returns the circuit breaker's state for the operators' view. */
static struct json_object *
render_circuit(const struct cache_entry *e)
{
	static const char *const names[] = {"closed", "open", "half_open"};
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	render_add(o, "state", json_object_new_string(names[e->ce_circuit]));
	render_add(o, "opened", json_object_new_int((int)e->ce_circuit_opened));
	render_add(o, "next_probe_at",
	    e->ce_circuit == CACHE_CIRCUIT_OPEN
	        ? render_time(e->ce_next_poll_at)
	        : NULL);
	return o;
}

/* Returns the source's request budget for the operators' view, or null:
 * its name, free slots and when the next one frees (null while one is). */
static struct json_object *
render_budget(const struct cache_entry *e)
{
	struct json_object *o;

	if (e->ce_src->src_budget == NULL ||
	    (o = json_object_new_object()) == NULL)
		return NULL;
	render_add(o, "name", json_object_new_string(e->ce_src->src_budget));
	render_add(o, "remaining",
	    json_object_new_int64((int64_t)e->ce_budget_remaining));
	render_add(o, "next_at", render_time(e->ce_budget_next_at));
	return o;
}

/* Returns the stats object of one source. */
static struct json_object *
render_entry_stats(const struct cache_entry *e, int64_t now)
{
	struct json_object *o;
	enum cache_status st = cache_entry_status(e);

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	render_add(o, "status", json_object_new_string(cache_status_name(st)));
	render_add(o, "updated_at", render_time(e->ce_updated_at));
	render_add(o, "age_seconds",
	    e->ce_updated_at != 0 ? render_seconds(now - e->ce_updated_at)
	                          : NULL);
	render_add(o, "values",
	    e->ce_values != NULL ? json_object_get(e->ce_values)
	                         : json_object_new_object());
	render_add(
	    o, "expired", json_object_new_boolean(cache_entry_expired(e, now)));
	render_add(o, "error",
	    st != CACHE_OK && e->ce_has_error ? render_entry_error(e) : NULL);
	return o;
}

/* Serialises root into a new string and releases root. */
static char *
render_finish(struct json_object *root, size_t *len)
{
	const char *text;
	char *out = NULL;
	size_t n;

	if (root == NULL)
		return NULL;
	text = json_object_to_json_string_length(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (text != NULL && (out = malloc(n + 2)) != NULL) {
		memcpy(out, text, n);
		out[n++] = '\n';
		out[n] = '\0';
		*len = n;
	}
	json_object_put(root);
	return out;
}

/* Returns {"generated_at": now} to add to. */
static struct json_object *
render_document(int64_t now)
{
	struct json_object *root;

	if ((root = json_object_new_object()) != NULL)
		render_add(root, "generated_at", render_time(now));
	return root;
}

static char *render_stats_doc(
    struct cache *c, uint64_t since, int full, int64_t now, size_t *len);

/* Renders GET /api/v1/stats as of wall time now; NULL on error. */
char *
render_stats(struct cache *c, int64_t now, size_t *len)
{
	return render_stats_doc(c, 0, 0, now, len);
}

/* Renders the stats of the sources changed after generation since. */
char *
render_stats_since(struct cache *c, uint64_t since, int64_t now, size_t *len)
{
	return render_stats_doc(c, since, 0, now, len);
}

/* Renders every source's stats with "full": true, for event streams. */
char *
render_snapshot(struct cache *c, int64_t now, size_t *len)
{
	return render_stats_doc(c, 0, 1, now, len);
}

/* Renders the stats of the sources changed after since (0: all). */
static char *
render_stats_doc(
    struct cache *c, uint64_t since, int full, int64_t now, size_t *len)
{
	struct json_object *root, *sources;
	struct cache_entry *e;
	size_t i;

	if ((root = render_document(now)) == NULL)
		return NULL;
	if ((sources = json_object_new_object()) == NULL)
		goto fail;
	render_add(root, "sources", sources);
	if (full)
		render_add(root, "full", json_object_new_boolean(1));
	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		if (since == 0 || e->ce_generation > since)
			render_add(sources, e->ce_src->src_name,
			    render_entry_stats(e, now));
	}
	return render_finish(root, len);
fail:
	json_object_put(root);
	return NULL;
}

/* Renders GET /api/v1/stats/NAME for e as of now; NULL on error. */
char *
render_source_stats(const struct cache_entry *e, int64_t now, size_t *len)
{
	struct json_object *o;

	if ((o = render_entry_stats(e, now)) == NULL)
		return NULL;
	render_add(o, "name", json_object_new_string(e->ce_src->src_name));
	render_add(o, "generated_at", render_time(now));
	return render_finish(o, len);
}

/* Returns the operators' object of one source. */
static struct json_object *
render_entry_source(const struct cache_entry *e, int64_t now)
{
	const struct config_source *src = e->ce_src;
	struct json_object *o, *stats;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	render_add(o, "name", json_object_new_string(src->src_name));
	render_add(o, "url", json_object_new_string(e->ce_url_shown));
	/* The method, never the body: it may carry a secret. */
	render_add(o, "method",
	    json_object_new_string(
	        config_request_method_name(src->src_method)));
	render_add(o, "interval_seconds",
	    render_seconds((int64_t)src->src_interval_ms));
	render_add(
	    o, "timeout_seconds", render_seconds((int64_t)src->src_timeout_ms));
	if ((stats = json_object_new_array()) != NULL) {
		for (i = 0; i < src->src_nstats; i++)
			json_object_array_add(stats,
			    json_object_new_string(src->src_stats[i].cs_name));
	}
	render_add(o, "stats", stats);
	render_add(o, "status",
	    json_object_new_string(cache_status_name(cache_entry_status(e))));
	render_add(o, "updated_at", render_time(e->ce_updated_at));
	render_add(o, "last_attempt_at", render_time(e->ce_last_attempt_at));
	render_add(o, "next_poll_at", render_time(e->ce_next_poll_at));
	/* The delay chosen after the last failure ("retry in 8.2 s"). */
	render_add(o, "retry_in_seconds",
	    !e->ce_last_ok && e->ce_has_error && e->ce_retry_in_ms >= 0
	        ? render_seconds(e->ce_retry_in_ms)
	        : NULL);
	render_add(
	    o, "expired", json_object_new_boolean(cache_entry_expired(e, now)));
	render_add(o, "circuit", render_circuit(e));
	render_add(o, "budget", render_budget(e));
	render_add(o, "consecutive_failures",
	    json_object_new_uint64(e->ce_consecutive_failures));
	render_add(o, "polls_total", json_object_new_uint64(e->ce_polls_total));
	render_add(
	    o, "failures_total", json_object_new_uint64(e->ce_failures_total));
	render_add(o, "last_error",
	    e->ce_has_error ? render_source_error(&e->ce_error) : NULL);
	/* Cluster mode: the replica whose poll this is; null alone. */
	render_add(o, "polled_by",
	    e->ce_polled_by[0] != '\0' ? json_object_new_string(e->ce_polled_by)
	                               : NULL);
	return o;
}

/* Renders GET /api/v1/sources as of now; NULL on error. */
char *
render_sources(struct cache *c, int64_t now, size_t *len)
{
	struct json_object *root, *list;
	size_t i;

	if ((root = render_document(now)) == NULL)
		return NULL;
	if ((list = json_object_new_array_ext((int)cache_count(c))) == NULL) {
		json_object_put(root);
		return NULL;
	}
	render_add(root, "sources", list);
	for (i = 0; i < cache_count(c); i++)
		json_object_array_add(
		    list, render_entry_source(cache_entry_at(c, i), now));
	return render_finish(root, len);
}

/* Renders {"error": {"status": status, "message": message}}. */
char *
render_error(int status, const char *message, size_t *len)
{
	struct json_object *root, *err;

	if ((root = json_object_new_object()) == NULL)
		return NULL;
	if ((err = json_object_new_object()) == NULL) {
		json_object_put(root);
		return NULL;
	}
	render_add(err, "status", json_object_new_int(status));
	render_add(err, "message", json_object_new_string(message));
	render_add(root, "error", err);
	return render_finish(root, len);
}

/* Returns the outcome of the last reload, or null if there was none. */
static struct json_object *
render_reload_status(const struct render_reload *rl)
{
	struct json_object *o;

	if (rl == NULL || rl->rl_at == 0 ||
	    (o = json_object_new_object()) == NULL)
		return NULL;
	render_add(o, "ok", json_object_new_boolean(rl->rl_error[0] == '\0'));
	render_add(o, "at", render_time(rl->rl_at));
	render_add(o, "error",
	    rl->rl_error[0] != '\0' ? json_object_new_string(rl->rl_error)
	                            : NULL);
	return o;
}

/* Returns the cluster's state for /readyz: "ok", "degraded" (Redis
 * away or not in sync: polling alone), or null alone. */
static struct json_object *
render_cluster_status(const struct cluster *cl)
{
	if (cl == NULL)
		return NULL;
	return json_object_new_string(cluster_is_up(cl) ? "ok" : "degraded");
}

/* Renders GET /readyz: ready, or degraded with the sources at fault. */
char *
render_ready(struct cache *c, const struct cluster *cl, int64_t now,
    const struct render_reload *rl, size_t *len)
{
	struct json_object *root, *sources, *degraded, *o;
	struct cache_entry *e;
	enum cache_status st;
	int expired;
	size_t i;

	if ((root = render_document(now)) == NULL)
		return NULL;
	sources = json_object_new_object();
	degraded = json_object_new_array();
	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		st = cache_entry_status(e);
		expired = cache_entry_expired(e, now);
		/* Failing with nothing to show, or showing values too old. */
		if ((st == CACHE_ERROR || expired) && degraded != NULL)
			json_object_array_add(degraded,
			    json_object_new_string(e->ce_src->src_name));
		if (sources == NULL || (o = json_object_new_object()) == NULL)
			continue;
		render_add(
		    o, "status", json_object_new_string(cache_status_name(st)));
		render_add(o, "expired", json_object_new_boolean(expired));
		render_add(o, "age_seconds",
		    e->ce_updated_at != 0
		        ? render_seconds(now - e->ce_updated_at)
		        : NULL);
		render_add(sources, e->ce_src->src_name, o);
	}
	render_add(root, "status",
	    json_object_new_string(
	        (degraded != NULL && json_object_array_length(degraded) > 0) ||
	                (cl != NULL && !cluster_is_up(cl))
	            ? "degraded"
	            : "ready"));
	render_add(root, "degraded", degraded);
	render_add(root, "cluster", render_cluster_status(cl));
	render_add(root, "sources", sources);
	render_add(root, "reload", render_reload_status(rl));
	return render_finish(root, len);
}

/* Returns a history value: an integer when it is one, null for NaN. */
static struct json_object *
render_number(double v)
{
	if (isnan(v))
		return NULL;
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_object_new_int64((int64_t)v);
	return json_object_new_double(v);
}

/* history_each callback: appends [seconds, value] to a JSON array. */
static void
render_point_cb(const struct history_point *pt, void *arg)
{
	struct json_object *pair;
	char buf[32];

	if ((pair = json_object_new_array_ext(2)) == NULL)
		return;
	snprintf(buf, sizeof buf, "%.3f", (double)pt->hp_ms / 1000.0);
	json_object_array_add(
	    pair, json_object_new_double_s((double)pt->hp_ms / 1000.0, buf));
	json_object_array_add(pair, render_number(pt->hp_value));
	if (json_object_array_add(arg, pair) != 0)
		json_object_put(pair);
}

/* Renders GET /api/v1/sources/NAME/history?stat= for stat i of e. */
char *
render_history(
    const struct cache_entry *e, int i, int64_t since_ms, size_t *len)
{
	const struct history *h = e->ce_history[i];
	struct json_object *root, *points;

	if ((root = json_object_new_object()) == NULL)
		return NULL;
	render_add(root, "source", json_object_new_string(e->ce_src->src_name));
	render_add(root, "stat",
	    json_object_new_string(e->ce_src->src_stats[i].cs_name));
	if ((points = json_object_new_array_ext((int)history_len(h))) == NULL) {
		json_object_put(root);
		return NULL;
	}
	history_each(h, since_ms, render_point_cb, points);
	render_add(root, "points", points);
	return render_finish(root, len);
}

/* Returns unix seconds for ms: an integer when whole, else 3 decimals. */
static struct json_object *
render_unix(int64_t ms)
{
	char buf[32];

	if (ms % 1000 == 0)
		return json_object_new_int64(ms / 1000);
	snprintf(buf, sizeof buf, "%.3f", (double)ms / 1000.0);
	return json_object_new_double_s((double)ms / 1000.0, buf);
}

/*
 * A range answer's walks over one stat: rollup buckets before the raw
 * points, with no overlap.  The cutover is the first raw point rounded
 * up to a bucket boundary: buckets before it are fed, then the raw
 * points from the end of the last bucket fed.  The bucket the first raw
 * point falls in (it straddles the cutover) is left to the raw points if
 * they hold all of it (the same count), so while the raw points reach
 * back far enough the answer is theirs alone, at any step.
 */
struct render_range {
	struct history_range *rr_range;
	int64_t rr_width; /* of a rollup bucket */
	int64_t rr_first; /* the first raw point's ms */
	int64_t rr_cutover; /* INT64_MAX: no raw point */
	uint64_t rr_straddled; /* numeric raw points before the cutover */
	int64_t rr_raw_from; /* raw points at or after this are fed */
};

/* Returns ms rounded up to a multiple of w (w > 0, ms >= 0 in use). */
static int64_t
render_round_up(int64_t ms, int64_t w)
{
	int64_t q = ms / w;

	if (ms % w != 0 && ms > 0)
		q++;
	return q * w;
}

/* history_each callback: finds the first raw point and counts the
 * numeric ones before the cutover. */
static void
render_range_scan_cb(const struct history_point *pt, void *arg)
{
	struct render_range *rr = arg;

	if (rr->rr_cutover == INT64_MAX) {
		rr->rr_first = pt->hp_ms;
		rr->rr_cutover = render_round_up(pt->hp_ms, rr->rr_width);
	}
	if (pt->hp_ms < rr->rr_cutover && !isnan(pt->hp_value))
		rr->rr_straddled++;
}

/* rollup_each callback: feeds a bucket before the cutover. */
static void
render_range_bucket_in_cb(int64_t start_ms, int64_t width_ms, double min,
    double max, double sum, uint64_t count, void *arg)
{
	struct render_range *rr = arg;
	struct history_range_in in = {start_ms, width_ms, min, max, sum, count};

	if (start_ms >= rr->rr_cutover)
		return;
	/* The straddling bucket, all of it in the raw points: theirs. */
	if (start_ms + width_ms > rr->rr_first && count == rr->rr_straddled)
		return;
	history_range_add_bucket(rr->rr_range, &in);
	rr->rr_raw_from = start_ms + width_ms;
}

/* history_each callback: feeds a raw point after the rollups. */
static void
render_range_point_cb(const struct history_point *pt, void *arg)
{
	struct render_range *rr = arg;

	if (pt->hp_ms >= rr->rr_raw_from)
		history_range_add_point(rr->rr_range, pt->hp_ms, pt->hp_value);
}

/* Feeds stat i of e from from_ms on to r: rollups, then raw points. */
static void
render_range_feed(const struct cache_entry *e, int i, int64_t from_ms,
    struct history_range *r)
{
	const struct rollup *ru = e->ce_rollup[i];
	struct render_range rr = {
	    r, rollup_width(ru), INT64_MAX, INT64_MAX, 0, INT64_MIN};

	if (rollup_capacity(ru) == 0) {
		history_each(
		    e->ce_history[i], from_ms, render_range_point_cb, &rr);
		return;
	}
	history_each(e->ce_history[i], INT64_MIN, render_range_scan_cb, &rr);
	rollup_each(ru, from_ms, render_range_bucket_in_cb, &rr);
	history_each(e->ce_history[i],
	    from_ms > rr.rr_raw_from ? from_ms : rr.rr_raw_from,
	    render_range_point_cb, &rr);
}

/* history_range_cb: appends [t, avg, min, max] to a JSON array. */
static void
render_range_bucket_cb(const struct history_range_out *b, void *arg)
{
	struct json_object *row;

	if ((row = json_object_new_array_ext(4)) == NULL)
		return;
	json_object_array_add(row, render_unix(b->ho_start_ms));
	json_object_array_add(row, render_number(b->ho_avg));
	json_object_array_add(row, render_number(b->ho_min));
	json_object_array_add(row, render_number(b->ho_max));
	if (json_object_array_add(arg, row) != 0)
		json_object_put(row);
}

/* Renders the range form of the history of stat i of e; see render.h. */
char *
render_history_range(const struct cache_entry *e, int i, int64_t from_ms,
    int64_t to_ms, int64_t step_ms, size_t *len)
{
	struct json_object *root = NULL, *points = NULL;
	struct history_range *r = NULL;

	if ((root = json_object_new_object()) == NULL ||
	    (points = json_object_new_array()) == NULL)
		goto fail;
	r = history_range_new(
	    from_ms, to_ms, step_ms, render_range_bucket_cb, points);
	if (r == NULL)
		goto fail;
	render_add(root, "source", json_object_new_string(e->ce_src->src_name));
	render_add(root, "stat",
	    json_object_new_string(e->ce_src->src_stats[i].cs_name));
	render_add(root, "step", render_unix(step_ms));
	render_add(root, "from", render_unix(from_ms));
	render_add(root, "to", render_unix(to_ms));
	render_range_feed(e, i, from_ms, r);
	history_range_finish(r);
	history_range_free(r);
	render_add(root, "points", points);
	return render_finish(root, len);
fail:
	json_object_put(points);
	json_object_put(root);
	return NULL;
}

/* Returns the cluster's object for /api/v1/info, or null alone. */
static struct json_object *
render_cluster(const struct cluster *cl)
{
	const struct cluster_stats *st;
	struct json_object *o, *list, *r;
	const char *const *names;
	const int64_t *seen;
	size_t i, n;

	if (cl == NULL || (o = json_object_new_object()) == NULL)
		return NULL;
	st = cluster_stats(cl);
	render_add(o, "name", json_object_new_string(cluster_name(cl)));
	render_add(o, "status", render_cluster_status(cl));
	render_add(o, "redis", json_object_new_boolean(cluster_redis_up(cl)));
	if ((list = json_object_new_array()) != NULL) {
		names = cluster_replicas(cl, &n, &seen);
		for (i = 0; i < n; i++) {
			if ((r = json_object_new_object()) == NULL)
				continue;
			render_add(r, "name", json_object_new_string(names[i]));
			render_add(r, "seen_at", render_time(seen[i]));
			json_object_array_add(list, r);
		}
	}
	render_add(o, "replicas", list);
	render_add(o, "claims_won", json_object_new_uint64(st->cs_claims_won));
	render_add(
	    o, "claims_lost", json_object_new_uint64(st->cs_claims_lost));
	render_add(o, "commits", json_object_new_uint64(st->cs_commits));
	render_add(o, "fenced", json_object_new_uint64(st->cs_fenced));
	render_add(o, "polls_alone", json_object_new_uint64(st->cs_down_polls));
	return o;
}

/* Renders GET /api/v1/info: version, start time and uptime, counts. */
char *
render_info(struct cache *c, const struct cluster *cl, int64_t started_at,
    int64_t now, unsigned streams, size_t *len)
{
	struct json_object *root;

	if ((root = render_document(now)) == NULL)
		return NULL;
	render_add(root, "version", json_object_new_string(GATHERD_VERSION));
	render_add(root, "started_at", render_time(started_at));
	render_add(root, "uptime_seconds", render_seconds(now - started_at));
	render_add(root, "sources", json_object_new_int((int)cache_count(c)));
	render_add(root, "event_streams", json_object_new_int((int)streams));
	render_add(root, "cluster", render_cluster(cl));
	return render_finish(root, len);
}
