/*
 * A fake of Plausible's Stats API v2 that holds a client to the
 * documented contract: POST /api/v2/query, "Authorization: Bearer KEY",
 * a JSON body with the required site_id, metrics (documented names) and
 * date_range, and no key the API does not know; a date range must mean
 * today in the site's time zone.  It answers the documented shape,
 * {"results": [{"metrics": [...], "dimensions": []}], "meta", "query"},
 * the metrics in the order asked, and fails as the API does: 401 for a
 * missing or wrong key, 429 when the key's hourly limit is spent, 400
 * for a bad query, each as {"error": "..."}.
 * Documentation: https://plausible.io/docs/stats-api (the v2 reference,
 * also https://plausible.io/docs/stats-api-v2): request structure,
 * metrics, date_range values, "API keys have a rate limit of 600
 * requests per hour by default".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_kit.h"
#include "fake_api_plausible.h"

/* The route's path: the recipe's https://plausible.io/api/v2/query. */
#define PL_PATH "/plausible.io/api/v2/query"
/* Most metrics the fake keeps a value for. */
#define PL_MAX_METRICS 16

/* The error texts Plausible sends. */
#define PL_NO_KEY                                                              \
	"Missing API key. Please use a valid Plausible API key as a Bearer "   \
	"Token."
#define PL_BAD_KEY                                                             \
	"Invalid API key or site ID. Please make sure you're using a valid "   \
	"API key with access to the site you've requested."
#define PL_RATE                                                                \
	"Too many API requests. Your API key is limited to 600 requests per "  \
	"hour. Please contact us to request more capacity."

/* One metric's value, as JSON text. */
struct pl_metric {
	char *pm_name;
	char *pm_json;
};

/* The fake's state, in the FU_API_PLAUSIBLE slot. */
struct pl_state {
	struct fu_api_kit ps_kit;
	char *ps_key;
	char *ps_site;
	char *ps_zone;
	enum fake_plausible_mode ps_mode;
	struct pl_metric ps_metrics[PL_MAX_METRICS];
	size_t ps_nmetrics;
};

/* The metrics the v2 reference lists. */
static const char *const pl_known_metrics[] = {"visitors", "visits",
    "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events",
    "scroll_depth", "percentage", "conversion_rate", "group_conversion_rate",
    "average_revenue", "total_revenue", "time_on_page", NULL};

/* The keys a query object may have. */
static const char *const pl_known_keys[] = {"site_id", "metrics", "date_range",
    "filters", "dimensions", "order_by", "include", "pagination", NULL};

/* Makes the state; NULL on failure. */
static void *
pl_new(void)
{
	struct pl_state *s = calloc(1, sizeof *s);

	if (s == NULL || fu_api_kit_init(&s->ps_kit) != 0) {
		free(s);
		return NULL;
	}
	s->ps_zone = strdup("UTC");
	return s;
}

/* Frees the state. */
static void
pl_free(void *arg)
{
	struct pl_state *s = arg;
	size_t i;

	for (i = 0; i < s->ps_nmetrics; i++) {
		free(s->ps_metrics[i].pm_name);
		free(s->ps_metrics[i].pm_json);
	}
	free(s->ps_key);
	free(s->ps_site);
	free(s->ps_zone);
	fu_api_kit_fini(&s->ps_kit);
	free(s);
}

/* Returns fu's Plausible state (made on first use). */
static struct pl_state *
pl_state(struct fake_upstream *fu)
{
	struct pl_state *s =
	    fu_api_state(fu, FU_API_PLAUSIBLE, pl_new, pl_free);

	if (s == NULL)
		abort();
	return s;
}

/* Has the fake take this key for this site, days in zone. */
void
fake_plausible_expect(struct fake_upstream *fu, const char *key,
    const char *site_id, const char *zone)
{
	struct pl_state *s = pl_state(fu);

	pthread_mutex_lock(&s->ps_kit.ak_lock);
	free(s->ps_key);
	free(s->ps_site);
	free(s->ps_zone);
	s->ps_key = strdup(key);
	s->ps_site = strdup(site_id);
	s->ps_zone = strdup(zone);
	pthread_mutex_unlock(&s->ps_kit.ak_lock);
}

/* Sets metric name's value, as JSON text. */
void
fake_plausible_set_metric(
    struct fake_upstream *fu, const char *name, const char *json)
{
	struct pl_state *s = pl_state(fu);
	size_t i;

	pthread_mutex_lock(&s->ps_kit.ak_lock);
	for (i = 0; i < s->ps_nmetrics; i++)
		if (strcmp(s->ps_metrics[i].pm_name, name) == 0)
			break;
	if (i == PL_MAX_METRICS)
		abort();
	if (i == s->ps_nmetrics) {
		s->ps_metrics[i].pm_name = strdup(name);
		s->ps_nmetrics++;
	}
	free(s->ps_metrics[i].pm_json);
	s->ps_metrics[i].pm_json = strdup(json);
	pthread_mutex_unlock(&s->ps_kit.ak_lock);
}

/* Sets how valid queries are answered. */
void
fake_plausible_set_mode(struct fake_upstream *fu, enum fake_plausible_mode mode)
{
	struct pl_state *s = pl_state(fu);

	pthread_mutex_lock(&s->ps_kit.ak_lock);
	s->ps_mode = mode;
	pthread_mutex_unlock(&s->ps_kit.ak_lock);
}

/* Returns the queries answered with results. */
unsigned long
fake_plausible_served(struct fake_upstream *fu)
{
	return fu_api_kit_count(&pl_state(fu)->ps_kit, 1);
}

/* Returns the last contract violation, or NULL. */
char *
fake_plausible_violation(struct fake_upstream *fu)
{
	return fu_api_kit_last_violation(&pl_state(fu)->ps_kit);
}

/* Answers {"error": msg} with status. */
static enum MHD_Result
pl_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return fu_api_kit_reply(conn, status, o, NULL, NULL);
}

/* Returns NULL if metrics is a non-empty array of documented names. */
static const char *
pl_check_metrics(struct json_object *metrics)
{
	size_t i, j, n;
	const char *name;

	if (metrics == NULL || !json_object_is_type(metrics, json_type_array) ||
	    (n = json_object_array_length(metrics)) == 0)
		return "metrics must be a non-empty array";
	for (i = 0; i < n; i++) {
		name = json_object_get_string(
		    json_object_array_get_idx(metrics, i));
		if (!json_object_is_type(json_object_array_get_idx(metrics, i),
		        json_type_string))
			return "metrics must be strings";
		for (j = 0; pl_known_metrics[j] != NULL; j++)
			if (strcmp(name, pl_known_metrics[j]) == 0)
				break;
		if (pl_known_metrics[j] == NULL)
			return "unknown metric";
	}
	return NULL;
}

/* Returns NULL if date_range means today in zone. */
static const char *
pl_check_range(struct json_object *range, const char *zone)
{
	struct json_object *a, *b;

	if (range != NULL && json_object_is_type(range, json_type_string))
		return strcmp(json_object_get_string(range), "day") == 0
		    ? NULL
		    : "date_range is not today (\"day\")";
	if (range == NULL || !json_object_is_type(range, json_type_array) ||
	    json_object_array_length(range) != 2)
		return "date_range must be a shortcut or two ISO 8601 dates";
	a = json_object_array_get_idx(range, 0);
	b = json_object_array_get_idx(range, 1);
	if (!json_object_is_type(a, json_type_string) ||
	    !json_object_is_type(b, json_type_string) ||
	    !fu_api_kit_is_today(zone, json_object_get_string(a)) ||
	    !fu_api_kit_is_today(zone, json_object_get_string(b)))
		return "date_range is not today in the site's time zone";
	return NULL;
}

/* Returns the answer's result: each metric asked, in order. */
static struct json_object *
pl_results(struct pl_state *s, struct json_object *metrics)
{
	struct json_object *values = json_object_new_array(), *row, *results;
	const char *name;
	size_t i, j;

	for (i = 0; i < json_object_array_length(metrics); i++) {
		name = json_object_get_string(
		    json_object_array_get_idx(metrics, i));
		for (j = 0; j < s->ps_nmetrics; j++)
			if (strcmp(s->ps_metrics[j].pm_name, name) == 0)
				break;
		/* A metric the test set no value for is 0, as for a site
		 * without visits. */
		json_object_array_add(values,
		    j < s->ps_nmetrics
		        ? json_tokener_parse(s->ps_metrics[j].pm_json)
		        : json_object_new_int(0));
	}
	row = json_object_new_object();
	json_object_object_add(row, "metrics", values);
	json_object_object_add(row, "dimensions", json_object_new_array());
	results = json_object_new_array();
	json_object_array_add(results, row);
	return results;
}

/* Route POST /plausible.io/api/v2/query. */
enum MHD_Result
fu_api_plausible(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *u)
{
	struct pl_state *s = pl_state(fu);
	struct fu_api_kit *k = &s->ps_kit;
	struct json_object *q = NULL, *metrics = NULL, *range = NULL, *doc;
	const char *key = fu_api_kit_bearer(conn), *why = NULL, *site;
	enum fake_plausible_mode mode;
	enum MHD_Result ret;
	bool key_ok;

	pthread_mutex_lock(&k->ak_lock);
	k->ak_requests++;
	key_ok =
	    key != NULL && s->ps_key != NULL && strcmp(key, s->ps_key) == 0;
	mode = s->ps_mode;
	pthread_mutex_unlock(&k->ak_lock);
	if (strcmp(u->url, PL_PATH) != 0) {
		fu_api_kit_violation(k, "path %s is not %s", u->url, PL_PATH);
		return pl_error(conn, MHD_HTTP_NOT_FOUND, "Not found");
	}
	if (strcmp(u->method, MHD_HTTP_METHOD_POST) != 0) {
		fu_api_kit_violation(k, "method %s, not POST", u->method);
		return pl_error(
		    conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed");
	}
	if (!key_ok) {
		fu_api_kit_violation(k, "%s",
		    key == NULL ? "no Authorization: Bearer"
		                : "a wrong API key");
		return pl_error(conn, MHD_HTTP_UNAUTHORIZED,
		    key == NULL ? PL_NO_KEY : PL_BAD_KEY);
	}
	if (!fu_api_kit_is_json(conn))
		why = "Content-Type is not application/json";
	else if ((q = fu_api_kit_object(u)) == NULL)
		why = "the body is not a JSON object";
	else if (fu_api_kit_unknown_key(q, pl_known_keys) != NULL)
		why = "an unknown key in the query";
	else if ((site = fu_api_kit_str(q, "site_id")) == NULL)
		why = "no site_id";
	else if (strcmp(site, s->ps_site) != 0)
		why = "site_id is not the site the key may read";
	else if (!json_object_object_get_ex(q, "metrics", &metrics) ||
	    (why = pl_check_metrics(metrics)) != NULL)
		why = why != NULL ? why : "no metrics";
	else if (!json_object_object_get_ex(q, "date_range", &range))
		why = "no date_range";
	else
		why = pl_check_range(range, s->ps_zone);
	if (why != NULL) {
		fu_api_kit_violation(k, "%s", why);
		json_object_put(q);
		return pl_error(conn, MHD_HTTP_BAD_REQUEST, why);
	}
	if (mode == FAKE_PLAUSIBLE_RATE_LIMITED) {
		json_object_put(q);
		return pl_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, PL_RATE);
	}
	if (mode == FAKE_PLAUSIBLE_BAD_KEY) {
		json_object_put(q);
		return pl_error(conn, MHD_HTTP_UNAUTHORIZED, PL_BAD_KEY);
	}
	doc = json_object_new_object();
	pthread_mutex_lock(&k->ak_lock);
	json_object_object_add(doc, "results", pl_results(s, metrics));
	k->ak_served++;
	pthread_mutex_unlock(&k->ak_lock);
	json_object_object_add(doc, "meta", json_object_new_object());
	json_object_object_add(doc, "query", q);
	ret = fu_api_kit_reply(conn, MHD_HTTP_OK, doc, NULL, NULL);
	return ret;
}
