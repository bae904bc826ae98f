/*
 * A fake of Umami Cloud's website stats (GET /v1/websites/ID/stats on
 * api.umami.is), enforcing its documented contract: the API key in the
 * x-umami-api-key header, startAt as today's midnight in the recipe's
 * zone and endAt as now, both Unix milliseconds.  It answers the shape
 * of the current API, plain totals and the comparison period:
 * {"pageviews":N,"visitors":N,"visits":N,"bounces":N,"totaltime":N,
 * "comparison":{...}}; errors are {"error":{"message","code","status"}}
 * with 400, 401 or 429 (50 calls every 15 s per key).  Sources:
 * https://umami.is/docs/cloud/api-key
 * https://docs.umami.is/docs/api/website-stats
 * https://github.com/umami-software/umami/blob/master/src/app/api/websites/[websiteId]/stats/route.ts
 * https://github.com/umami-software/umami/blob/master/src/lib/response.ts
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_kit.h"
#include "fake_api_umami.h"

/* The path the fake serves. */
#define FU_UMAMI_PATH "/api.umami.is/v1/websites/" FAKE_UMAMI_WEBSITE "/stats"
/* How far endAt may be from the fake's clock, in ms. */
#define FU_UMAMI_SLACK_MS (5 * 60 * 1000)

/* The Umami fake's state. */
struct fu_umami {
	struct fu_api_kit um_kit;
	struct fake_umami_stats um_stats;
};

/* What one request's answer needs, copied under the lock. */
struct fu_umami_req {
	struct fu_umami *ur_state;
	struct fake_umami_stats ur_stats;
};

/* Returns a new state, or NULL. */
static void *
fu_umami_new(void)
{
	return fu_api_kit_new(sizeof(struct fu_umami), FAKE_UMAMI_ZONE, NULL);
}

/* Returns fu's Umami state. */
static struct fu_umami *
fu_umami(struct fake_upstream *fu)
{
	return fu_api_kit_get(fu, FU_API_UMAMI, fu_umami_new);
}

/* Returns 1 if endAt is a Unix time in ms near now and after start. */
static int
fu_umami_end(const char *end, int64_t start)
{
	int64_t now = fu_api_kit_now_ms();
	char *rest;
	long long n;

	if (end == NULL || *end == '\0')
		return 0;
	n = strtoll(end, &rest, 10);
	return *rest == '\0' && (int64_t)n > start &&
	    (int64_t)n > now - FU_UMAMI_SLACK_MS &&
	    (int64_t)n < now + FU_UMAMI_SLACK_MS;
}

/* Checks a request against the stats' contract. */
static unsigned
fu_umami_check(struct fu_api_kit *kit, struct MHD_Connection *conn,
    const struct fu_upload *req, void *arg, char *why, size_t size)
{
	struct fu_umami_req *r = arg;
	const char *key = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, "x-umami-api-key");
	const char *start = fu_api_kit_arg(conn, "startAt");
	const char *end = fu_api_kit_arg(conn, "endAt");
	int64_t midnight;

	if (key == NULL || kit->ak_user == NULL ||
	    strcmp(key, kit->ak_user) != 0) {
		snprintf(why, size, "%s x-umami-api-key",
		    key == NULL ? "no" : "a wrong");
		return MHD_HTTP_UNAUTHORIZED;
	}
	if (strcmp(req->url, FU_UMAMI_PATH) != 0 ||
	    strcmp(req->method, MHD_HTTP_METHOD_GET) != 0) {
		snprintf(why, size, "%s %s: not the website's stats",
		    req->method, req->url);
		return MHD_HTTP_NOT_FOUND;
	}
	if (!fu_api_kit_is_midnight(kit->ak_zone, start, 1000, &midnight)) {
		snprintf(why, size,
		    "startAt is %s, not today's midnight in %s (%" PRId64 ")",
		    start ? start : "(none)", kit->ak_zone, midnight);
		return MHD_HTTP_BAD_REQUEST;
	}
	if (!fu_umami_end(end, (int64_t)strtoll(start, NULL, 10))) {
		snprintf(why, size, "endAt is %s, not now in Unix ms",
		    end ? end : "(none)");
		return MHD_HTTP_BAD_REQUEST;
	}
	r->ur_stats = r->ur_state->um_stats;
	return 0;
}

/* Queues Umami's error {"error":{message, code, status}}. */
static enum MHD_Result
fu_umami_error(struct MHD_Connection *conn, unsigned status,
    const char *message, const char *code)
{
	struct json_object *o, *e;

	if ((o = json_object_new_object()) == NULL ||
	    (e = json_object_new_object()) == NULL)
		abort();
	fu_api_kit_add(e, "message", fu_api_kit_jstr(message));
	fu_api_kit_add(e, "code", fu_api_kit_jstr(code));
	fu_api_kit_add(e, "status", json_object_new_int((int)status));
	fu_api_kit_add(o, "error", e);
	return fu_api_kit_reply(conn, status, o, NULL, NULL);
}

/* Adds the five totals of s to o, each divided by div. */
static void
fu_umami_totals(
    struct json_object *o, const struct fake_umami_stats *s, long long div)
{
	fu_api_kit_add(
	    o, "pageviews", json_object_new_int64(s->fs_pageviews / div));
	fu_api_kit_add(
	    o, "visitors", json_object_new_int64(s->fs_visitors / div));
	fu_api_kit_add(o, "visits", json_object_new_int64(s->fs_visits / div));
	fu_api_kit_add(
	    o, "bounces", json_object_new_int64(s->fs_bounces / div));
	fu_api_kit_add(
	    o, "totaltime", json_object_new_int64(s->fs_totaltime / div));
}

/* Queues the stats: the totals, and half of them as the period before. */
static enum MHD_Result
fu_umami_answer(struct MHD_Connection *conn, const struct fake_umami_stats *s)
{
	struct json_object *o, *comparison;

	if ((o = json_object_new_object()) == NULL ||
	    (comparison = json_object_new_object()) == NULL)
		abort();
	fu_umami_totals(o, s, 1);
	fu_umami_totals(comparison, s, 2);
	fu_api_kit_add(o, "comparison", comparison);
	return fu_api_kit_reply(conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* Route /api.umami.is/...: a website's stats. */
enum MHD_Result
fu_api_umami(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *req)
{
	struct fu_umami_req r = {.ur_state = fu_umami(fu)};
	struct fu_api_verdict v;

	fu_api_kit_admit(
	    &r.ur_state->um_kit, conn, req, fu_umami_check, &r, &v);
	if (v.av_status != 0)
		return fu_umami_error(conn, v.av_status, v.av_why,
		    v.av_status == MHD_HTTP_UNAUTHORIZED ? "unauthorized"
		                                         : "bad-request");
	switch (v.av_mode) {
	case FAKE_API_REFUSE:
		return fu_umami_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "Unauthorized", "unauthorized");
	case FAKE_API_LIMIT:
		return fu_umami_error(conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "Too many requests", "too-many-requests");
	case FAKE_API_FAIL:
		return fu_umami_error(
		    conn, MHD_HTTP_BAD_REQUEST, "Bad request", "bad-request");
	case FAKE_API_ANSWER:
		break;
	}
	return fu_umami_answer(conn, &r.ur_stats);
}

/* Sets the API key the fake expects. */
void
fake_umami_expect(struct fake_upstream *fu, const char *key)
{
	fu_api_kit_expect(&fu_umami(fu)->um_kit, key, NULL);
}

/* Sets the totals the fake answers. */
void
fake_umami_answer(
    struct fake_upstream *fu, const struct fake_umami_stats *stats)
{
	struct fu_umami *u = fu_umami(fu);

	pthread_mutex_lock(&u->um_kit.ak_lock);
	u->um_stats = *stats;
	pthread_mutex_unlock(&u->um_kit.ak_lock);
}

/* Returns the fake's handle. */
struct fu_api_kit *
fake_umami(struct fake_upstream *fu)
{
	return &fu_umami(fu)->um_kit;
}
