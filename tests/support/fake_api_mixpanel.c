/*
 * A fake of Mixpanel's segmentation query (GET /api/query/segmentation
 * on mixpanel.com), enforcing its documented contract: HTTP Basic with
 * a service account, project_id, the event, from_date and to_date as
 * today (YYYY-MM-DD) in the project's time zone, unit=day and
 * type=general.  It answers the documented shape, the count keyed by
 * the date: {"data":{"series":[D],"values":{EVENT:{D:N}}},
 * "legend_size":1}; errors are {"error":MSG,"request":PATH} with 400,
 * 401 or 429.  Sources:
 * https://docs.mixpanel.com/reference/segmentation-query
 * https://docs.mixpanel.com/reference/query-api-authentication
 * https://docs.mixpanel.com/reference/rate-limits
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_mixpanel.h"
#include "fake_api_kit.h"

/* The path the fake serves, below "/HOST". */
#define FU_MIXPANEL_PATH "/mixpanel.com/api/query/segmentation"

/* The Mixpanel fake's state. */
struct fu_mixpanel {
	struct fu_api_kit mp_kit;
	long long mp_count;
};

/* What one request's answer needs, copied under the lock. */
struct fu_mixpanel_req {
	struct fu_mixpanel *mr_state;
	long long mr_count;
	const char *mr_day;
};

/* The arguments with one documented value each. */
static const struct {
	const char *key;
	const char *value;
} fu_mixpanel_fixed[] = {
    {"project_id", FAKE_MIXPANEL_PROJECT},
    {"event", FAKE_MIXPANEL_EVENT},
    {"unit", "day"},
    {"type", "general"},
};

/* Returns a new state, or NULL. */
static void *
fu_mixpanel_new(void)
{
	return fu_api_kit_new(
	    sizeof(struct fu_mixpanel), FAKE_MIXPANEL_ZONE, NULL);
}

/* Returns fu's Mixpanel state. */
static struct fu_mixpanel *
fu_mixpanel(struct fake_upstream *fu)
{
	return fu_api_kit_get(fu, FU_API_MIXPANEL, fu_mixpanel_new);
}

/* Checks a request against the segmentation query's contract. */
static unsigned
fu_mixpanel_check(struct fu_api_kit *kit, struct MHD_Connection *conn,
    const struct fu_upload *req, void *arg, char *why, size_t size)
{
	struct fu_mixpanel_req *r = arg;
	const char *v;
	size_t i;

	if (!fu_api_kit_basic(kit, conn, why, size))
		return MHD_HTTP_UNAUTHORIZED;
	if (strcmp(req->url, FU_MIXPANEL_PATH) != 0 ||
	    strcmp(req->method, MHD_HTTP_METHOD_GET) != 0) {
		snprintf(why, size, "%s %s: not the segmentation query",
		    req->method, req->url);
		return MHD_HTTP_NOT_FOUND;
	}
	for (i = 0; i < sizeof fu_mixpanel_fixed / sizeof *fu_mixpanel_fixed;
	     i++) {
		v = fu_api_kit_arg(conn, fu_mixpanel_fixed[i].key);
		if (v == NULL || strcmp(v, fu_mixpanel_fixed[i].value) != 0) {
			snprintf(why, size, "%s is \"%s\", not \"%s\"",
			    fu_mixpanel_fixed[i].key, v ? v : "(none)",
			    fu_mixpanel_fixed[i].value);
			return MHD_HTTP_BAD_REQUEST;
		}
	}
	r->mr_day = fu_api_kit_arg(conn, "from_date");
	v = fu_api_kit_arg(conn, "to_date");
	if (!fu_api_kit_is_day(kit->ak_zone, "%Y-%m-%d", r->mr_day) ||
	    v == NULL || strcmp(v, r->mr_day) != 0) {
		snprintf(why, size,
		    "from_date %s and to_date %s are not both today in %s",
		    r->mr_day ? r->mr_day : "(none)", v ? v : "(none)",
		    kit->ak_zone);
		return MHD_HTTP_BAD_REQUEST;
	}
	r->mr_count = r->mr_state->mp_count;
	return 0;
}

/* Queues Mixpanel's error {"error":msg,"request":path} with status. */
static enum MHD_Result
fu_mixpanel_error(struct MHD_Connection *conn, unsigned status, const char *msg,
    const char *path)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return MHD_NO;
	fu_api_kit_add(o, "error", fu_api_kit_jstr(msg));
	fu_api_kit_add(o, "request", fu_api_kit_jstr(path));
	return fu_api_kit_reply(conn, status, o, NULL, NULL);
}

/* Queues the segmentation answer: count on day for the event. */
static enum MHD_Result
fu_mixpanel_answer(struct MHD_Connection *conn, const char *day, long long n)
{
	struct json_object *o, *data, *series, *values, *event;

	if ((o = json_object_new_object()) == NULL ||
	    (data = json_object_new_object()) == NULL ||
	    (series = json_object_new_array()) == NULL ||
	    (values = json_object_new_object()) == NULL ||
	    (event = json_object_new_object()) == NULL ||
	    json_object_array_add(series, fu_api_kit_jstr(day)) != 0)
		abort();
	fu_api_kit_add(event, day, json_object_new_int64(n));
	fu_api_kit_add(values, FAKE_MIXPANEL_EVENT, event);
	fu_api_kit_add(data, "series", series);
	fu_api_kit_add(data, "values", values);
	fu_api_kit_add(o, "data", data);
	fu_api_kit_add(o, "legend_size", json_object_new_int(1));
	return fu_api_kit_reply(conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* Route /mixpanel.com/...: the segmentation query. */
enum MHD_Result
fu_api_mixpanel(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *req)
{
	struct fu_mixpanel_req r = {.mr_state = fu_mixpanel(fu)};
	struct fu_api_verdict v;
	const char *path = req->url + strlen("/mixpanel.com");

	fu_api_kit_admit(
	    &r.mr_state->mp_kit, conn, req, fu_mixpanel_check, &r, &v);
	if (v.av_status != 0)
		return fu_mixpanel_error(conn, v.av_status, v.av_why, path);
	switch (v.av_mode) {
	case FAKE_API_REFUSE:
		return fu_mixpanel_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "Invalid username or secret", path);
	case FAKE_API_LIMIT:
		return fu_mixpanel_error(conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "Query rate limit exceeded: 60 queries per hour", path);
	case FAKE_API_FAIL:
		return fu_mixpanel_error(
		    conn, MHD_HTTP_BAD_REQUEST, "Invalid event name", path);
	case FAKE_API_ANSWER:
		break;
	}
	return fu_mixpanel_answer(conn, r.mr_day, r.mr_count);
}

/* Sets the service account the fake expects. */
void
fake_mixpanel_expect(
    struct fake_upstream *fu, const char *user, const char *secret)
{
	fu_api_kit_expect(&fu_mixpanel(fu)->mp_kit, user, secret);
}

/* Sets the count the fake answers. */
void
fake_mixpanel_answer(struct fake_upstream *fu, long long count)
{
	struct fu_mixpanel *m = fu_mixpanel(fu);

	pthread_mutex_lock(&m->mp_kit.ak_lock);
	m->mp_count = count;
	pthread_mutex_unlock(&m->mp_kit.ak_lock);
}

/* Returns the fake's handle. */
struct fu_api_kit *
fake_mixpanel(struct fake_upstream *fu)
{
	return &fu_mixpanel(fu)->mp_kit;
}
