/*
 * A fake of the Google Analytics 4 Data API (v1beta) that holds a client
 * to the documented contract: POST .../v1beta/properties/ID:runReport or
 * :runRealtimeReport, a Bearer access token the fake token endpoint
 * issued for a verified RS256 JWT (fake_token.c), a JSON body with only
 * the request's own fields (Google refuses unknown names), metrics as
 * [{"name"}] that exist, and for runReport dateRanges that mean today
 * in the property's time zone ("today" or that day as YYYY-MM-DD).  It
 * answers the documented RunReportResponse: metric values as strings,
 * and no "rows" at all when there is no data.  Errors are Google's
 * {"error": {"code", "message", "status"}}: 401 UNAUTHENTICATED, 403
 * PERMISSION_DENIED, 429 RESOURCE_EXHAUSTED, 400 INVALID_ARGUMENT.
 * Documentation:
 * https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport
 * https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runRealtimeReport
 * https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/RunReportResponse
 * https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/Row
 * https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/DateRange
 * https://developers.google.com/analytics/devguides/reporting/data/v1/errors
 * https://developers.google.com/analytics/devguides/reporting/data/v1/quotas
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_ga4.h"
#include "fake_api_kit.h"
#include "fake_token.h"

/* The path's parts: /analyticsdata.googleapis.com/v1beta/properties/ID:M. */
#define GA_PREFIX "/analyticsdata.googleapis.com/v1beta/properties/"
#define GA_REPORT ":runReport"
#define GA_REALTIME ":runRealtimeReport"
/* Most metrics the fake knows, and per request (the API's limit). */
#define GA_MAX_METRICS 16
#define GA_REQUEST_METRICS 10
/* Most date ranges a request may have (the API's limit). */
#define GA_MAX_RANGES 4

/* Google's texts for the failures the fake plays. */
#define GA_UNAUTHENTICATED                                                     \
	"Request had invalid authentication credentials. Expected OAuth 2 "    \
	"access token, login cookie or other valid authentication "            \
	"credential."
#define GA_DENIED "User does not have sufficient permissions for this property."
#define GA_QUOTA                                                               \
	"Exhausted property tokens per hour. Request fewer tokens per hour "   \
	"or "                                                                  \
	"wait until the quota refreshes."

/* One metric the fake serves and its value. */
struct ga_metric {
	char *gm_name;
	char *gm_value;
	int gm_realtime;
};

/* The fake's state, in the FU_API_GA4 slot. */
struct ga_state {
	struct fu_api_kit gs_kit;
	char *gs_property;
	char *gs_zone;
	enum fake_ga4_mode gs_mode;
	struct ga_metric gs_metrics[GA_MAX_METRICS];
	size_t gs_nmetrics;
	unsigned long gs_realtime_served;
	size_t gs_valid_from; /* issued tokens before it are revoked */
};

/* RunReportRequest's fields (v1beta). */
static const char *const ga_report_keys[] = {"property", "dimensions",
    "metrics", "dateRanges", "dimensionFilter", "metricFilter", "offset",
    "limit", "metricAggregations", "orderBys", "currencyCode", "cohortSpec",
    "keepEmptyRows", "returnPropertyQuota", "comparisons", NULL};

/* RunRealtimeReportRequest's fields (v1beta). */
static const char *const ga_realtime_keys[] = {"dimensions", "metrics",
    "dimensionFilter", "metricFilter", "limit", "metricAggregations",
    "orderBys", "returnPropertyQuota", "minuteRanges", NULL};

/* Makes the state; NULL on failure. */
static void *
ga_new(void)
{
	struct ga_state *s = calloc(1, sizeof *s);

	if (s == NULL || fu_api_kit_init(&s->gs_kit) != 0) {
		free(s);
		return NULL;
	}
	s->gs_zone = strdup("UTC");
	return s;
}

/* Frees the state. */
static void
ga_free(void *arg)
{
	struct ga_state *s = arg;
	size_t i;

	for (i = 0; i < s->gs_nmetrics; i++) {
		free(s->gs_metrics[i].gm_name);
		free(s->gs_metrics[i].gm_value);
	}
	free(s->gs_property);
	free(s->gs_zone);
	fu_api_kit_fini(&s->gs_kit);
	free(s);
}

/* Returns fu's GA4 state (made on first use). */
static struct ga_state *
ga_state(struct fake_upstream *fu)
{
	struct ga_state *s = fu_api_state(fu, FU_API_GA4, ga_new, ga_free);

	if (s == NULL)
		abort();
	return s;
}

/* Has the fake serve property id, days in zone. */
void
fake_ga4_expect(
    struct fake_upstream *fu, const char *property_id, const char *zone)
{
	struct ga_state *s = ga_state(fu);

	pthread_mutex_lock(&s->gs_kit.ak_lock);
	free(s->gs_property);
	free(s->gs_zone);
	s->gs_property = strdup(property_id);
	s->gs_zone = strdup(zone);
	pthread_mutex_unlock(&s->gs_kit.ak_lock);
}

/* Sets a metric's value for runReport or runRealtimeReport. */
void
fake_ga4_set_metric(
    struct fake_upstream *fu, int realtime, const char *name, const char *value)
{
	struct ga_state *s = ga_state(fu);
	struct ga_metric *m;
	size_t i;

	pthread_mutex_lock(&s->gs_kit.ak_lock);
	for (i = 0; i < s->gs_nmetrics; i++)
		if (s->gs_metrics[i].gm_realtime == realtime &&
		    strcmp(s->gs_metrics[i].gm_name, name) == 0)
			break;
	if (i == GA_MAX_METRICS)
		abort();
	m = &s->gs_metrics[i];
	if (i == s->gs_nmetrics) {
		m->gm_name = strdup(name);
		m->gm_realtime = realtime;
		s->gs_nmetrics++;
	}
	free(m->gm_value);
	m->gm_value = strdup(value);
	pthread_mutex_unlock(&s->gs_kit.ak_lock);
}

/* Sets how valid report requests are answered. */
void
fake_ga4_set_mode(struct fake_upstream *fu, enum fake_ga4_mode mode)
{
	struct ga_state *s = ga_state(fu);

	pthread_mutex_lock(&s->gs_kit.ak_lock);
	s->gs_mode = mode;
	pthread_mutex_unlock(&s->gs_kit.ak_lock);
}

/* Returns the reports answered with 200. */
unsigned long
fake_ga4_served(struct fake_upstream *fu, int realtime)
{
	struct ga_state *s = ga_state(fu);
	unsigned long n;

	pthread_mutex_lock(&s->gs_kit.ak_lock);
	n = realtime ? s->gs_realtime_served
	             : s->gs_kit.ak_served - s->gs_realtime_served;
	pthread_mutex_unlock(&s->gs_kit.ak_lock);
	return n;
}

/* Has the API refuse every token issued so far, as expired. */
void
fake_ga4_revoke(struct fake_upstream *fu)
{
	struct ga_state *s = ga_state(fu);
	char **issued = fake_token_issued(fu);
	size_t n = 0;

	if (issued == NULL)
		abort();
	while (issued[n] != NULL)
		free(issued[n++]);
	free(issued);
	pthread_mutex_lock(&s->gs_kit.ak_lock);
	s->gs_valid_from = n;
	pthread_mutex_unlock(&s->gs_kit.ak_lock);
}

/* Returns the last contract violation, or NULL. */
char *
fake_ga4_violation(struct fake_upstream *fu)
{
	return fu_api_kit_last_violation(&ga_state(fu)->gs_kit);
}

/* Answers Google's {"error": {"code", "message", "status"}}. */
static enum MHD_Result
ga_error(struct MHD_Connection *conn, unsigned code, const char *status,
    const char *message)
{
	struct json_object *o = json_object_new_object(), *e;

	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_int((int)code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "status", json_object_new_string(status));
	json_object_object_add(o, "error", e);
	return fu_api_kit_reply(conn, code, o,
	    code == MHD_HTTP_UNAUTHORIZED ? MHD_HTTP_HEADER_WWW_AUTHENTICATE
	                                  : NULL,
	    "Bearer realm=\"https://accounts.google.com/\", "
	    "error=\"invalid_token\"");
}

/* Returns 1 if bearer is a token the fake token endpoint issued and
 * not revoked, 0 if revoked, -1 if never issued. */
static int
ga_issued(struct ga_state *s, struct fake_upstream *fu, const char *bearer)
{
	char **issued = fake_token_issued(fu);
	size_t i, valid_from;
	int found = -1;

	if (issued == NULL)
		return -1;
	pthread_mutex_lock(&s->gs_kit.ak_lock);
	valid_from = s->gs_valid_from;
	pthread_mutex_unlock(&s->gs_kit.ak_lock);
	for (i = 0; issued[i] != NULL; i++) {
		if (bearer != NULL && strcmp(issued[i], bearer) == 0)
			found = i >= valid_from;
		free(issued[i]);
	}
	free(issued);
	return found;
}

/* Returns the method asked for in url (0 report, 1 realtime), -1 if the
 * path is not one of the property's. */
static int
ga_method(struct ga_state *s, const char *url)
{
	size_t np = strlen(GA_PREFIX), nid;
	const char *id = url + np, *colon;

	if (strncmp(url, GA_PREFIX, np) != 0 ||
	    (colon = strchr(id, ':')) == NULL || s->gs_property == NULL)
		return -1;
	nid = (size_t)(colon - id);
	if (nid != strlen(s->gs_property) ||
	    strncmp(id, s->gs_property, nid) != 0)
		return -1;
	if (strcmp(colon, GA_REPORT) == 0)
		return 0;
	return strcmp(colon, GA_REALTIME) == 0 ? 1 : -1;
}

/* Returns NULL if d is a date of today for the property. */
static const char *
ga_check_date(struct ga_state *s, struct json_object *range, const char *key)
{
	const char *d = fu_api_kit_str(range, key);

	if (d == NULL)
		return "a date range without startDate or endDate";
	if (strcmp(d, "today") == 0 || fu_api_kit_is_today(s->gs_zone, d))
		return NULL;
	return "a date range that is not today in the property's time zone";
}

/* Returns NULL if the request's fields are valid for the method. */
static const char *
ga_check(struct ga_state *s, struct json_object *req, int realtime)
{
	struct json_object *metrics, *ranges, *m;
	const char *why;
	size_t i, n;

	if (fu_api_kit_unknown_key(
	        req, realtime ? ga_realtime_keys : ga_report_keys) != NULL)
		return "Invalid JSON payload received. Unknown name.";
	if (!json_object_object_get_ex(req, "metrics", &metrics) ||
	    !json_object_is_type(metrics, json_type_array) ||
	    (n = json_object_array_length(metrics)) == 0 ||
	    n > GA_REQUEST_METRICS)
		return "metrics must be 1 to 10 objects";
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(metrics, i);
		if (!json_object_is_type(m, json_type_object) ||
		    fu_api_kit_str(m, "name") == NULL)
			return "a metric without a name";
	}
	if (realtime)
		return NULL;
	if (!json_object_object_get_ex(req, "dateRanges", &ranges) ||
	    !json_object_is_type(ranges, json_type_array) ||
	    (n = json_object_array_length(ranges)) == 0 || n > GA_MAX_RANGES)
		return "dateRanges must be 1 to 4 date ranges";
	for (i = 0; i < n; i++)
		if ((why = ga_check_date(s,
		         json_object_array_get_idx(ranges, i), "startDate")) !=
		        NULL ||
		    (why = ga_check_date(
		         s, json_object_array_get_idx(ranges, i), "endDate")) !=
		        NULL)
			return why;
	return NULL;
}

/* Returns the value of metric name, or NULL if the fake has none. */
static const char *
ga_value(struct ga_state *s, int realtime, const char *name)
{
	size_t i;

	for (i = 0; i < s->gs_nmetrics; i++)
		if (s->gs_metrics[i].gm_realtime == realtime &&
		    strcmp(s->gs_metrics[i].gm_name, name) == 0)
			return s->gs_metrics[i].gm_value;
	return NULL;
}

/* Returns the RunReportResponse for the metrics asked, or NULL if one
 * is unknown (*unknown set). */
static struct json_object *
ga_response(struct ga_state *s, struct json_object *metrics, int realtime,
    const char **unknown)
{
	struct json_object *doc, *headers, *values, *row, *rows, *h, *v, *meta;
	const char *name, *value;
	size_t i;

	headers = json_object_new_array();
	values = json_object_new_array();
	for (i = 0; i < json_object_array_length(metrics); i++) {
		name = fu_api_kit_str(
		    json_object_array_get_idx(metrics, i), "name");
		if ((value = ga_value(s, realtime, name)) == NULL) {
			*unknown = name;
			json_object_put(headers);
			json_object_put(values);
			return NULL;
		}
		h = json_object_new_object();
		json_object_object_add(h, "name", json_object_new_string(name));
		json_object_object_add(
		    h, "type", json_object_new_string("TYPE_INTEGER"));
		json_object_array_add(headers, h);
		/* MetricValue: {"value": string}, whatever the type. */
		v = json_object_new_object();
		json_object_object_add(
		    v, "value", json_object_new_string(value));
		json_object_array_add(values, v);
	}
	doc = json_object_new_object();
	json_object_object_add(
	    doc, "dimensionHeaders", json_object_new_array());
	json_object_object_add(doc, "metricHeaders", headers);
	if (s->gs_mode == FAKE_GA4_EMPTY) {
		/* No data: no rows and no rowCount (proto3 JSON leaves out
		 * empty lists and zeros). */
		json_object_put(values);
	} else {
		row = json_object_new_object();
		json_object_object_add(
		    row, "dimensionValues", json_object_new_array());
		json_object_object_add(row, "metricValues", values);
		rows = json_object_new_array();
		json_object_array_add(rows, row);
		json_object_object_add(doc, "rows", rows);
		json_object_object_add(doc, "rowCount", json_object_new_int(1));
	}
	meta = json_object_new_object();
	if (!realtime) {
		json_object_object_add(
		    meta, "currencyCode", json_object_new_string("USD"));
		json_object_object_add(
		    meta, "timeZone", json_object_new_string(s->gs_zone));
	}
	json_object_object_add(doc, "metadata", meta);
	json_object_object_add(doc, "kind",
	    json_object_new_string(realtime ? "analyticsData#runRealtimeReport"
	                                    : "analyticsData#runReport"));
	return doc;
}

/* Route POST /analyticsdata.googleapis.com/v1beta/properties/ID:METHOD. */
enum MHD_Result
fu_api_ga4(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *u)
{
	struct ga_state *s = ga_state(fu);
	struct fu_api_kit *k = &s->gs_kit;
	struct json_object *req = NULL, *metrics, *doc = NULL;
	const char *why = NULL, *unknown = NULL;
	enum fake_ga4_mode mode;
	int realtime, authed;

	authed = ga_issued(s, fu, fu_api_kit_bearer(conn));
	pthread_mutex_lock(&k->ak_lock);
	k->ak_requests++;
	realtime = ga_method(s, u->url);
	mode = s->gs_mode;
	pthread_mutex_unlock(&k->ak_lock);
	if (realtime == -1) {
		fu_api_kit_violation(k, "path %s is not %sID%s or %s", u->url,
		    GA_PREFIX, GA_REPORT, GA_REALTIME);
		return ga_error(conn, MHD_HTTP_NOT_FOUND, "NOT_FOUND",
		    "Requested entity was not found.");
	}
	if (strcmp(u->method, MHD_HTTP_METHOD_POST) != 0) {
		fu_api_kit_violation(k, "method %s, not POST", u->method);
		return ga_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "INVALID_ARGUMENT", "Method not allowed.");
	}
	if (authed != 1) {
		/* A revoked token is the test's doing, not the client's. */
		if (authed == -1)
			fu_api_kit_violation(k,
			    "a bearer the token endpoint "
			    "did not issue");
		return ga_error(conn, MHD_HTTP_UNAUTHORIZED, "UNAUTHENTICATED",
		    GA_UNAUTHENTICATED);
	}
	if (!fu_api_kit_is_json(conn))
		why = "Content-Type is not application/json";
	else if ((req = fu_api_kit_object(u)) == NULL)
		why = "Invalid JSON payload received.";
	else {
		pthread_mutex_lock(&k->ak_lock);
		why = ga_check(s, req, realtime);
		pthread_mutex_unlock(&k->ak_lock);
	}
	if (why == NULL && mode != FAKE_GA4_QUOTA && mode != FAKE_GA4_DENIED) {
		json_object_object_get_ex(req, "metrics", &metrics);
		pthread_mutex_lock(&k->ak_lock);
		if ((doc = ga_response(s, metrics, realtime, &unknown)) !=
		    NULL) {
			k->ak_served++;
			s->gs_realtime_served += (unsigned long)realtime;
		}
		pthread_mutex_unlock(&k->ak_lock);
	}
	if (unknown != NULL) {
		/* Google's words for a metric that does not exist. */
		fu_api_kit_violation(
		    k, "Field %s is not a valid metric.", unknown);
		json_object_put(req);
		return ga_error(conn, MHD_HTTP_BAD_REQUEST, "INVALID_ARGUMENT",
		    "Field is not a valid metric.");
	}
	json_object_put(req);
	if (why != NULL) {
		fu_api_kit_violation(k, "%s", why);
		return ga_error(
		    conn, MHD_HTTP_BAD_REQUEST, "INVALID_ARGUMENT", why);
	}
	if (mode == FAKE_GA4_QUOTA)
		return ga_error(conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "RESOURCE_EXHAUSTED", GA_QUOTA);
	if (mode == FAKE_GA4_DENIED)
		return ga_error(
		    conn, MHD_HTTP_FORBIDDEN, "PERMISSION_DENIED", GA_DENIED);
	return fu_api_kit_reply(conn, MHD_HTTP_OK, doc, NULL, NULL);
}
