/*
 * A fake of Amplitude's Dashboard REST API event segmentation (GET
 * /api/2/events/segmentation on amplitude.com), enforcing its
 * documented contract: HTTP Basic with the project's API key and secret
 * key, e a JSON object naming the event_type, start and end as today
 * (YYYYMMDD) in the project's time zone, m and i among their documented
 * values.  It answers the documented shape, one series per segment over
 * the days of xValues: {"data":{"series":[[N]],"seriesLabels":[0],
 * "seriesCollapsed":[[{"setId":"","value":N}]],"xValues":[DAY]}};
 * errors are 400, 401 and 429 with a text explaining them.  Sources:
 * https://amplitude.com/docs/apis/analytics/dashboard-rest
 * https://community.amplitude.com/data-instrumentation-57/common-api-error-codes-215
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_amplitude.h"
#include "fake_api_kit.h"

/* The path the fake serves. */
#define FU_AMPLITUDE_PATH "/amplitude.com/api/2/events/segmentation"

/* The Amplitude fake's state. */
struct fu_amplitude {
	struct fu_api_kit am_kit;
	long long am_count;
};

/* What one request's answer needs, copied under the lock. */
struct fu_amplitude_req {
	struct fu_amplitude *ar_state;
	long long ar_count;
	char ar_day[16]; /* start as YYYY-MM-DD */
};

/* Returns a new state, or NULL. */
static void *
fu_amplitude_new(void)
{
	return fu_api_kit_new(
	    sizeof(struct fu_amplitude), FAKE_AMPLITUDE_ZONE, NULL);
}

/* Returns fu's Amplitude state. */
static struct fu_amplitude *
fu_amplitude(struct fake_upstream *fu)
{
	return fu_api_kit_get(fu, FU_API_AMPLITUDE, fu_amplitude_new);
}

/* Returns 1 if v is NULL (left to its default) or one of the n values. */
static int
fu_amplitude_one_of(const char *v, const char *const *values, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		if (strcmp(v, values[i]) == 0)
			return 1;
	return v == NULL;
}

/* Checks e: a JSON object whose event_type is the recipe's event. */
static int
fu_amplitude_event(const char *e, char *why, size_t size)
{
	struct json_object *o = e != NULL ? json_tokener_parse(e) : NULL;
	struct json_object *type;
	int ok;

	ok = o != NULL && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "event_type", &type) &&
	    json_object_is_type(type, json_type_string) &&
	    strcmp(json_object_get_string(type), FAKE_AMPLITUDE_EVENT) == 0;
	if (!ok)
		snprintf(why, size,
		    "e is %s, not a JSON object with event_type \"%s\"",
		    e != NULL ? e : "(none)", FAKE_AMPLITUDE_EVENT);
	json_object_put(o);
	return ok;
}

/* Checks a request against the segmentation's contract. */
static unsigned
fu_amplitude_check(struct fu_api_kit *kit, struct MHD_Connection *conn,
    const struct fu_upload *req, void *arg, char *why, size_t size)
{
	static const char *const metrics[] = {
	    "uniques", "totals", "pct_dau", "average"};
	static const char *const intervals[] = {
	    "-300000", "-3600000", "1", "7", "30"};
	struct fu_amplitude_req *r = arg;
	const char *start = fu_api_kit_arg(conn, "start");
	const char *end = fu_api_kit_arg(conn, "end");

	if (!fu_api_kit_basic(kit, conn, why, size))
		return MHD_HTTP_UNAUTHORIZED;
	if (strcmp(req->url, FU_AMPLITUDE_PATH) != 0 ||
	    strcmp(req->method, MHD_HTTP_METHOD_GET) != 0) {
		snprintf(why, size, "%s %s: not the event segmentation",
		    req->method, req->url);
		return MHD_HTTP_NOT_FOUND;
	}
	if (!fu_amplitude_event(fu_api_kit_arg(conn, "e"), why, size))
		return MHD_HTTP_BAD_REQUEST;
	if (!fu_amplitude_one_of(fu_api_kit_arg(conn, "m"), metrics,
	        sizeof metrics / sizeof *metrics) ||
	    !fu_amplitude_one_of(fu_api_kit_arg(conn, "i"), intervals,
	        sizeof intervals / sizeof *intervals)) {
		snprintf(why, size, "m or i is not a documented value");
		return MHD_HTTP_BAD_REQUEST;
	}
	if (!fu_api_kit_is_day(kit->ak_zone, "%Y%m%d", start) || end == NULL ||
	    strcmp(start, end) != 0) {
		snprintf(why, size,
		    "start %s and end %s are not both today in %s",
		    start ? start : "(none)", end ? end : "(none)",
		    kit->ak_zone);
		return MHD_HTTP_BAD_REQUEST;
	}
	snprintf(r->ar_day, sizeof r->ar_day, "%.4s-%.2s-%.2s", start,
	    start + 4, start + 6);
	r->ar_count = r->ar_state->am_count;
	return 0;
}

/* Queues Amplitude's error: status and a text saying why. */
static enum MHD_Result
fu_amplitude_error(
    struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return fu_reply(conn, status, "text/plain; charset=utf-8", msg,
	    strlen(msg), NULL, NULL);
}

/* Returns a JSON array holding v (taken). */
static struct json_object *
fu_amplitude_array(struct json_object *v)
{
	struct json_object *a = json_object_new_array();

	if (a == NULL || json_object_array_add(a, v) != 0)
		abort();
	return a;
}

/* Queues the segmentation answer: one series, one day, count n. */
static enum MHD_Result
fu_amplitude_answer(struct MHD_Connection *conn, const char *day, long long n)
{
	struct json_object *o, *data, *set;

	if ((o = json_object_new_object()) == NULL ||
	    (data = json_object_new_object()) == NULL ||
	    (set = json_object_new_object()) == NULL)
		abort();
	fu_api_kit_add(set, "setId", fu_api_kit_jstr(""));
	fu_api_kit_add(set, "value", json_object_new_int64(n));
	fu_api_kit_add(data, "series",
	    fu_amplitude_array(fu_amplitude_array(json_object_new_int64(n))));
	fu_api_kit_add(
	    data, "seriesLabels", fu_amplitude_array(json_object_new_int(0)));
	fu_api_kit_add(data, "seriesCollapsed",
	    fu_amplitude_array(fu_amplitude_array(set)));
	fu_api_kit_add(
	    data, "xValues", fu_amplitude_array(fu_api_kit_jstr(day)));
	fu_api_kit_add(o, "data", data);
	return fu_api_kit_reply(conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* Route /amplitude.com/...: the event segmentation. */
enum MHD_Result
fu_api_amplitude(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *req)
{
	struct fu_amplitude_req r = {.ar_state = fu_amplitude(fu)};
	struct fu_api_verdict v;

	fu_api_kit_admit(
	    &r.ar_state->am_kit, conn, req, fu_amplitude_check, &r, &v);
	if (v.av_status != 0)
		return fu_amplitude_error(conn, v.av_status, v.av_why);
	switch (v.av_mode) {
	case FAKE_API_REFUSE:
		return fu_amplitude_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "Invalid API key or secret key");
	case FAKE_API_LIMIT:
		return fu_amplitude_error(conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "Exceeded rate limit with query of cost 3 (est. 1 "
		    "queries): 108000 of cost per hour");
	case FAKE_API_FAIL:
		return fu_amplitude_error(conn, MHD_HTTP_BAD_REQUEST,
		    "Invalid event: the JSON of e is formatted incorrectly");
	case FAKE_API_ANSWER:
		break;
	}
	return fu_amplitude_answer(conn, r.ar_day, r.ar_count);
}

/* Sets the keys the fake expects. */
void
fake_amplitude_expect(
    struct fake_upstream *fu, const char *api_key, const char *secret_key)
{
	fu_api_kit_expect(&fu_amplitude(fu)->am_kit, api_key, secret_key);
}

/* Sets the count the fake answers. */
void
fake_amplitude_answer(struct fake_upstream *fu, long long count)
{
	struct fu_amplitude *a = fu_amplitude(fu);

	pthread_mutex_lock(&a->am_kit.ak_lock);
	a->am_count = count;
	pthread_mutex_unlock(&a->am_kit.ak_lock);
}

/* Returns the fake's handle. */
struct fu_api_kit *
fake_amplitude(struct fake_upstream *fu)
{
	return &fu_amplitude(fu)->am_kit;
}
