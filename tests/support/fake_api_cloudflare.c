/*
 * A fake of Cloudflare's GraphQL Analytics API for the recipe
 * systemd/recipes/cloudflare.conf: a POST of {"query", "variables"} to
 * /client/v4/graphql with a Bearer API token.  The body is parsed with
 * json-c and the query read with GLib's regular expressions: it must
 * select the zone by the $zoneTag variable, ask httpRequests1dGroups and
 * filter on today's date in UTC (the zone of the dataset's date), worked
 * out here with GLib, never with gatherd's own code.  It answers the
 * documented {"data": {"viewer": {"zones": [...]}}, "errors": null}, and
 * on its knobs an error inside a 200 (data null, errors[]), the 429 of
 * the API's rate limit or the refusal of a token.
 *
 * Documentation followed:
 * https://developers.cloudflare.com/analytics/graphql-api/getting-started/
 * https://developers.cloudflare.com/analytics/graphql-api/features/data-sets/
 * https://developers.cloudflare.com/analytics/graphql-api/errors/
 * https://developers.cloudflare.com/analytics/graphql-api/limits/
 * https://developers.cloudflare.com/fundamentals/api/reference/limits/
 * The refusal of a token is the v4 API's error shape with code 10000
 * "Authentication error", as Cloudflare's users report it; the GraphQL
 * pages do not document its status, taken here as 403.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "fake_api_cloudflare.h"
#include "fake_api_kit.h"
#include "fake_private.h"

/* The only path of the API. */
#define CF_PATH "/api.cloudflare.com/client/v4/graphql"
/* The query's parts the contract needs. */
#define CF_RE_ZONE                                                             \
	"zones\\s*\\(\\s*filter\\s*:\\s*\\{\\s*zoneTag\\s*:\\s*\\$zoneTag\\s*" \
	"\\}\\s*\\)"
#define CF_RE_VAR "\\$zoneTag\\s*:\\s*(?i:string)!?"
#define CF_RE_DATE                                                             \
	"httpRequests1dGroups\\s*\\([^)]*filter\\s*:\\s*\\{\\s*date\\s*:\\s*"  \
	"\"([0-9]{4}-[0-9]{2}-[0-9]{2})\"\\s*\\}"

/* The fake's state, in fu's FU_API_CLOUDFLARE slot. */
struct fu_cloudflare {
	struct fu_api_kit cf_rec; /* its lock guards the rest */
	char *cf_token;
	enum fake_cloudflare_mode cf_mode;
};

/* Returns a new state, or NULL. */
static void *
fu_cloudflare_make(void)
{
	struct fu_cloudflare *c = calloc(1, sizeof(*c));

	if (c != NULL && fu_api_kit_init(&c->cf_rec) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* Frees a state made by fu_cloudflare_make. */
static void
fu_cloudflare_free(void *arg)
{
	struct fu_cloudflare *c = arg;

	if (c == NULL)
		return;
	fu_api_kit_fini(&c->cf_rec);
	free(c->cf_token);
	free(c);
}

/* Returns fu's Cloudflare state, aborting if it cannot be made. */
static struct fu_cloudflare *
fu_cloudflare(struct fake_upstream *fu)
{
	struct fu_cloudflare *c = fu_api_state(
	    fu, FU_API_CLOUDFLARE, fu_cloudflare_make, fu_cloudflare_free);

	if (c == NULL)
		abort();
	return c;
}

/* Returns the first group of pattern re in text (caller g_frees), "" if
 * it has none, or NULL if re does not match. */
static char *
fu_cloudflare_match(const char *re, const char *text)
{
	GMatchInfo *mi = NULL;
	GRegex *rx = g_regex_new(re, 0, 0, NULL);
	char *got = NULL;

	if (rx == NULL)
		abort();
	if (g_regex_match(rx, text, 0, &mi))
		got = g_match_info_get_match_count(mi) > 1
		    ? g_match_info_fetch(mi, 1)
		    : g_strdup("");
	g_match_info_free(mi);
	g_regex_unref(rx);
	return got;
}

/*
 * Checks the JSON body against the GraphQL contract; returns NULL if it
 * holds, else what broke (static text).
 */
static const char *
fu_cloudflare_check_body(const struct fu_upload *u)
{
	struct json_object *doc = fu_api_kit_object(u), *vars;
	const char *query, *zone, *broke = NULL;
	char *date = NULL, *m;

	if (doc == NULL || (query = fu_api_kit_str(doc, "query")) == NULL) {
		broke = "body is not {\"query\": STRING, ...}";
		goto done;
	}
	if (!json_object_object_get_ex(doc, "variables", &vars) ||
	    (zone = fu_api_kit_str(vars, "zoneTag")) == NULL ||
	    strcmp(zone, FAKE_CLOUDFLARE_ZONE) != 0) {
		broke = "variables.zoneTag is not the recipe's zone";
		goto done;
	}
	if ((m = fu_cloudflare_match(CF_RE_ZONE, query)) == NULL) {
		broke = "query selects no zones(filter: {zoneTag: $zoneTag})";
		goto done;
	}
	g_free(m);
	if ((m = fu_cloudflare_match(CF_RE_VAR, query)) == NULL) {
		broke = "query declares no $zoneTag: string";
		goto done;
	}
	g_free(m);
	if ((date = fu_cloudflare_match(CF_RE_DATE, query)) == NULL) {
		broke = "query has no httpRequests1dGroups filter {date: ...}";
		goto done;
	}
	/* The dataset's dates are UTC days. */
	if (!fu_api_kit_is_today("UTC", date))
		broke = "the date filter is not today in UTC";
done:
	g_free(date);
	json_object_put(doc);
	return broke;
}

/* Answers a GraphQL error inside a 200, in the documented shape. */
static enum MHD_Result
fu_cloudflare_graphql_error(struct MHD_Connection *conn, const char *msg)
{
	return fu_reply_json(conn, MHD_HTTP_OK, NULL, NULL,
	    "{\"data\":null,\"errors\":[{\"message\":\"%s\",\"path\":"
	    "[\"viewer\",\"zones\",\"0\",\"httpRequests1dGroups\"],"
	    "\"extensions\":{\"timestamp\":"
	    "\"2019-12-09T21:27:19.195060142Z\"}}]}",
	    msg);
}

/* Answers the refusal of an API token, in the v4 API's error shape. */
static enum MHD_Result
fu_cloudflare_refused(struct MHD_Connection *conn)
{
	return fu_reply_json(conn, MHD_HTTP_FORBIDDEN, NULL, NULL,
	    "{\"success\":false,\"errors\":[{\"code\":10000,"
	    "\"message\":\"Authentication error\"}],\"messages\":[],"
	    "\"result\":null}");
}

/* Answers the day's totals of the zone. */
static enum MHD_Result
fu_cloudflare_data(struct MHD_Connection *conn)
{
	GDateTime *now = g_date_time_new_now_utc();
	char *today = g_date_time_format(now, "%Y-%m-%d");
	enum MHD_Result ret;

	ret = fu_reply_json(conn, MHD_HTTP_OK, NULL, NULL,
	    "{\"data\":{\"viewer\":{\"zones\":[{\"httpRequests1dGroups\":[{"
	    "\"dimensions\":{\"date\":\"%s\"},"
	    "\"sum\":{\"requests\":%d,\"cachedRequests\":%d,"
	    "\"bytes\":1283729152,\"pageViews\":%d,\"threats\":%d},"
	    "\"uniq\":{\"uniques\":%d}}]}]}},\"errors\":null}",
	    today != NULL ? today : "", FAKE_CLOUDFLARE_REQUESTS,
	    FAKE_CLOUDFLARE_CACHED, FAKE_CLOUDFLARE_PAGE_VIEWS,
	    FAKE_CLOUDFLARE_THREATS, FAKE_CLOUDFLARE_UNIQUES);
	g_free(today);
	g_date_time_unref(now);
	return ret;
}

/* Route /api.cloudflare.com/ (any method): POST /client/v4/graphql. */
enum MHD_Result
fu_api_cloudflare(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *body)
{
	static const struct fu_rhdr limited[] = {{"retry-after", "300"}};
	static const char limited_body[] =
	    "{\"success\":false,\"errors\":[{\"code\":971,\"message\":"
	    "\"Please wait and consider throttling your request speed\"}],"
	    "\"messages\":[],\"result\":null}";
	struct fu_cloudflare *c = fu_cloudflare(fu);
	const char *auth, *broke;
	enum fake_cloudflare_mode mode;
	int token_ok;

	pthread_mutex_lock(&c->cf_rec.ak_lock);
	c->cf_rec.ak_requests++;
	pthread_mutex_unlock(&c->cf_rec.ak_lock);
	if (strcmp(body->url, CF_PATH) != 0 ||
	    strcmp(body->method, MHD_HTTP_METHOD_POST) != 0) {
		fu_api_kit_violation(&c->cf_rec, "%s %s, not POST %s",
		    body->method, body->url, CF_PATH);
		return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	}
	auth = fu_api_kit_bearer(conn);
	pthread_mutex_lock(&c->cf_rec.ak_lock);
	mode = c->cf_mode;
	token_ok = auth != NULL && c->cf_token != NULL &&
	    strcmp(auth, c->cf_token) == 0;
	pthread_mutex_unlock(&c->cf_rec.ak_lock);
	if (!token_ok) {
		fu_api_kit_violation(
		    &c->cf_rec, "Authorization is not the expected Bearer");
		return fu_cloudflare_refused(conn);
	}
	if (!fu_api_kit_is_json(conn)) {
		fu_api_kit_violation(
		    &c->cf_rec, "Content-Type is not application/json");
		return fu_cloudflare_graphql_error(
		    conn, "failed to parse body");
	}
	if ((broke = fu_cloudflare_check_body(body)) != NULL) {
		fu_api_kit_violation(&c->cf_rec, "%s", broke);
		return fu_cloudflare_graphql_error(conn, broke);
	}
	switch (mode) {
	case FAKE_CLOUDFLARE_GRAPHQL_ERROR:
		return fu_cloudflare_graphql_error(conn, FAKE_CLOUDFLARE_ERROR);
	case FAKE_CLOUDFLARE_RATE_LIMITED:
		return fu_reply_list(conn, MHD_HTTP_TOO_MANY_REQUESTS, FU_JSON,
		    limited_body, strlen(limited_body), limited, 1);
	case FAKE_CLOUDFLARE_BAD_TOKEN:
		return fu_cloudflare_refused(conn);
	case FAKE_CLOUDFLARE_OK:
		break;
	}
	return fu_cloudflare_data(conn);
}

/* Sets the API token the fake expects. */
void
fake_cloudflare_expect(struct fake_upstream *fu, const char *token)
{
	struct fu_cloudflare *c = fu_cloudflare(fu);
	char *copy = strdup(token);

	if (copy == NULL)
		abort();
	pthread_mutex_lock(&c->cf_rec.ak_lock);
	free(c->cf_token);
	c->cf_token = copy;
	pthread_mutex_unlock(&c->cf_rec.ak_lock);
}

/* Sets what the fake answers. */
void
fake_cloudflare_set_mode(
    struct fake_upstream *fu, enum fake_cloudflare_mode mode)
{
	struct fu_cloudflare *c = fu_cloudflare(fu);

	pthread_mutex_lock(&c->cf_rec.ak_lock);
	c->cf_mode = mode;
	pthread_mutex_unlock(&c->cf_rec.ak_lock);
}

/* Returns a copy of the last contract violation, or NULL. */
char *
fake_cloudflare_violation(struct fake_upstream *fu)
{
	return fu_api_kit_last_violation(&fu_cloudflare(fu)->cf_rec);
}

/* Returns how many requests reached the fake. */
unsigned long
fake_cloudflare_requests(struct fake_upstream *fu)
{
	return fu_api_kit_count(&fu_cloudflare(fu)->cf_rec, 0);
}
