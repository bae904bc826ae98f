/*
 * A fake of PostHog's query API that holds a client to the documented
 * contract: POST /api/projects/:project_id/query/ (the trailing slash
 * included), "Authorization: Bearer" with a personal API key, a JSON
 * body whose only keys are those of QueryRequest (it takes no others)
 * and whose query is {"kind": "HogQLQuery", "query": "..."}.  It answers
 * the documented HogQL response (results as rows of arrays, columns,
 * types, is_cached...) for the queries a test registered, and fails as
 * PostHog does, in Django REST framework's error shape {"type", "code",
 * "detail", "attr"}: 401 authentication_error, 429 throttled_error with
 * Retry-After, 400 validation_error.
 * Documentation: https://posthog.com/docs/api/queries (creating a query,
 * parameters, response structure, "2400 requests per hour, 240 requests
 * per minute" per project), https://posthog.com/docs/api/query (the
 * endpoint reference), https://posthog.com/docs/api (personal API keys
 * as Bearer tokens).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_kit.h"
#include "fake_api_posthog.h"

/* The path's parts: /us.posthog.com/api/projects/ID/query/. */
#define PH_PREFIX "/us.posthog.com/api/projects/"
#define PH_SUFFIX "/query/"
/* Most queries the fake answers, and columns per query. */
#define PH_MAX_QUERIES 8
#define PH_MAX_COLUMNS 8
/* The Retry-After of a throttled answer, and its text. */
#define PH_RETRY_AFTER "62"
#define PH_THROTTLED "Request was throttled. Expected available in 62 seconds."
#define PH_BAD_KEY "Personal API key found in request is invalid."
#define PH_NO_KEY "Authentication credentials were not provided."

/* One query the fake knows and its answer. */
struct ph_query {
	char *pq_hogql;
	char *pq_results; /* JSON text of the rows */
	char *pq_columns[PH_MAX_COLUMNS + 1];
};

/* The fake's state, in the FU_API_POSTHOG slot. */
struct ph_state {
	struct fu_api_kit ph_kit;
	char *ph_key;
	char *ph_project;
	enum fake_posthog_mode ph_mode;
	struct ph_query ph_queries[PH_MAX_QUERIES];
	size_t ph_nqueries;
};

/* QueryRequest's keys ("additionalProperties": false). */
static const char *const ph_request_keys[] = {"query", "client_query_id",
    "refresh", "filters_override", "variables_override", "name", "async",
    "limit_context", NULL};

/* The refresh modes the documentation lists. */
static const char *const ph_refresh_modes[] = {"blocking", "async",
    "force_blocking", "force_async", "force_cache", "lazy_async",
    "async_except_on_cache_miss", NULL};

/* Makes the state; NULL on failure. */
static void *
ph_new(void)
{
	struct ph_state *s = calloc(1, sizeof *s);

	if (s == NULL || fu_api_kit_init(&s->ph_kit) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Frees the state. */
static void
ph_free(void *arg)
{
	struct ph_state *s = arg;
	size_t i, j;

	for (i = 0; i < s->ph_nqueries; i++) {
		free(s->ph_queries[i].pq_hogql);
		free(s->ph_queries[i].pq_results);
		for (j = 0; s->ph_queries[i].pq_columns[j] != NULL; j++)
			free(s->ph_queries[i].pq_columns[j]);
	}
	free(s->ph_key);
	free(s->ph_project);
	fu_api_kit_fini(&s->ph_kit);
	free(s);
}

/* Returns fu's PostHog state (made on first use). */
static struct ph_state *
ph_state(struct fake_upstream *fu)
{
	struct ph_state *s = fu_api_state(fu, FU_API_POSTHOG, ph_new, ph_free);

	if (s == NULL)
		abort();
	return s;
}

/* Has the fake take this key for this project. */
void
fake_posthog_expect(
    struct fake_upstream *fu, const char *key, const char *project_id)
{
	struct ph_state *s = ph_state(fu);

	pthread_mutex_lock(&s->ph_kit.ak_lock);
	free(s->ph_key);
	free(s->ph_project);
	s->ph_key = strdup(key);
	s->ph_project = strdup(project_id);
	pthread_mutex_unlock(&s->ph_kit.ak_lock);
}

/* Has the HogQL query hogql answer results with these columns. */
void
fake_posthog_answer(struct fake_upstream *fu, const char *hogql,
    const char *results, const char *const *columns)
{
	struct ph_state *s = ph_state(fu);
	struct ph_query *q;
	size_t i;

	pthread_mutex_lock(&s->ph_kit.ak_lock);
	if (s->ph_nqueries == PH_MAX_QUERIES)
		abort();
	q = &s->ph_queries[s->ph_nqueries++];
	q->pq_hogql = strdup(hogql);
	q->pq_results = strdup(results);
	for (i = 0; i < PH_MAX_COLUMNS && columns[i] != NULL; i++)
		q->pq_columns[i] = strdup(columns[i]);
	pthread_mutex_unlock(&s->ph_kit.ak_lock);
}

/* Sets how valid queries are answered. */
void
fake_posthog_set_mode(struct fake_upstream *fu, enum fake_posthog_mode m)
{
	struct ph_state *s = ph_state(fu);

	pthread_mutex_lock(&s->ph_kit.ak_lock);
	s->ph_mode = m;
	pthread_mutex_unlock(&s->ph_kit.ak_lock);
}

/* Returns the queries answered with results. */
unsigned long
fake_posthog_served(struct fake_upstream *fu)
{
	return fu_api_kit_count(&ph_state(fu)->ph_kit, 1);
}

/* Returns the last contract violation, or NULL. */
char *
fake_posthog_violation(struct fake_upstream *fu)
{
	return fu_api_kit_last_violation(&ph_state(fu)->ph_kit);
}

/* Answers a DRF error {"type", "code", "detail", "attr": null}. */
static enum MHD_Result
ph_error(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *code, const char *detail, const char *hname, const char *hvalue)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_object_add(o, "attr", NULL);
	return fu_api_kit_reply(conn, status, o, hname, hvalue);
}

/* Returns the project id in url (caller frees), or NULL if none. */
static char *
ph_project(const char *url)
{
	size_t np = strlen(PH_PREFIX), ns = strlen(PH_SUFFIX), n = strlen(url);

	if (n <= np + ns || strncmp(url, PH_PREFIX, np) != 0 ||
	    strcmp(url + n - ns, PH_SUFFIX) != 0)
		return NULL;
	return strndup(url + np, n - np - ns);
}

/* Returns NULL if req is a valid QueryRequest for a HogQL query. */
static const char *
ph_check(struct json_object *req, const char **hogql)
{
	struct json_object *query;
	const char *kind, *refresh;
	size_t i;

	if (fu_api_kit_unknown_key(req, ph_request_keys) != NULL)
		return "a key QueryRequest does not have";
	if (!json_object_object_get_ex(req, "query", &query) ||
	    !json_object_is_type(query, json_type_object))
		return "no query object";
	if ((kind = fu_api_kit_str(query, "kind")) == NULL ||
	    strcmp(kind, "HogQLQuery") != 0)
		return "query.kind is not HogQLQuery";
	if ((*hogql = fu_api_kit_str(query, "query")) == NULL ||
	    (*hogql)[0] == '\0')
		return "query.query is not a HogQL text";
	if ((refresh = fu_api_kit_str(req, "refresh")) != NULL) {
		for (i = 0; ph_refresh_modes[i] != NULL; i++)
			if (strcmp(refresh, ph_refresh_modes[i]) == 0)
				break;
		if (ph_refresh_modes[i] == NULL)
			return "an unknown refresh mode";
		/* An async mode answers a query_status, not results. */
		if (strstr(refresh, "async") != NULL)
			return "an asynchronous refresh mode (no results)";
	}
	return NULL;
}

/* Returns the documented HogQL response for q. */
static struct json_object *
ph_response(const struct ph_query *q)
{
	struct json_object *doc = json_object_new_object(), *cols, *types;
	size_t i;

	cols = json_object_new_array();
	types = json_object_new_array();
	for (i = 0; q->pq_columns[i] != NULL; i++) {
		struct json_object *t = json_object_new_array();

		json_object_array_add(
		    cols, json_object_new_string(q->pq_columns[i]));
		json_object_array_add(
		    t, json_object_new_string(q->pq_columns[i]));
		json_object_array_add(t, json_object_new_string("UInt64"));
		json_object_array_add(types, t);
	}
	json_object_object_add(
	    doc, "cache_key", json_object_new_string("cache_0123456789abcdef"));
	json_object_object_add(doc, "columns", cols);
	json_object_object_add(doc, "error", NULL);
	json_object_object_add(doc, "hasMore", json_object_new_boolean(0));
	json_object_object_add(
	    doc, "hogql", json_object_new_string(q->pq_hogql));
	json_object_object_add(doc, "is_cached", json_object_new_boolean(0));
	json_object_object_add(doc, "limit", json_object_new_int(100));
	json_object_object_add(doc, "offset", json_object_new_int(0));
	json_object_object_add(
	    doc, "query", json_object_new_string(q->pq_hogql));
	json_object_object_add(
	    doc, "results", json_tokener_parse(q->pq_results));
	json_object_object_add(doc, "timezone", json_object_new_string("UTC"));
	json_object_object_add(doc, "types", types);
	return doc;
}

/* Route POST /us.posthog.com/api/projects/ID/query/. */
enum MHD_Result
fu_api_posthog(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *u)
{
	struct ph_state *s = ph_state(fu);
	struct fu_api_kit *k = &s->ph_kit;
	struct json_object *req = NULL, *doc = NULL;
	const char *key = fu_api_kit_bearer(conn), *why = NULL, *hogql = NULL;
	char *project = ph_project(u->url);
	enum fake_posthog_mode mode;
	bool key_ok, project_ok;
	size_t i;

	pthread_mutex_lock(&k->ak_lock);
	k->ak_requests++;
	key_ok =
	    key != NULL && s->ph_key != NULL && strcmp(key, s->ph_key) == 0;
	project_ok = project != NULL && s->ph_project != NULL &&
	    strcmp(project, s->ph_project) == 0;
	mode = s->ph_mode;
	pthread_mutex_unlock(&k->ak_lock);
	free(project);
	if (!project_ok) {
		fu_api_kit_violation(k, "path %s is not %sID%s of the project",
		    u->url, PH_PREFIX, PH_SUFFIX);
		return ph_error(conn, MHD_HTTP_NOT_FOUND, "invalid_request",
		    "not_found", "Not found.", NULL, NULL);
	}
	if (strcmp(u->method, MHD_HTTP_METHOD_POST) != 0) {
		fu_api_kit_violation(k, "method %s, not POST", u->method);
		return ph_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "invalid_request", "method_not_allowed",
		    "Method not allowed.", NULL, NULL);
	}
	if (!key_ok) {
		fu_api_kit_violation(k, "%s",
		    key == NULL ? "no Authorization: Bearer"
		                : "a wrong personal API key");
		return ph_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "authentication_error",
		    key == NULL ? "not_authenticated" : "authentication_failed",
		    key == NULL ? PH_NO_KEY : PH_BAD_KEY, NULL, NULL);
	}
	if (!fu_api_kit_is_json(conn))
		why = "Content-Type is not application/json";
	else if ((req = fu_api_kit_object(u)) == NULL)
		why = "the body is not a JSON object";
	else
		why = ph_check(req, &hogql);
	pthread_mutex_lock(&k->ak_lock);
	for (i = 0; why == NULL && i < s->ph_nqueries; i++)
		if (strcmp(s->ph_queries[i].pq_hogql, hogql) == 0)
			break;
	if (why == NULL && i == s->ph_nqueries)
		why = "a HogQL query the test did not register";
	if (why == NULL && mode == FAKE_POSTHOG_OK) {
		doc = ph_response(&s->ph_queries[i]);
		k->ak_served++;
	}
	pthread_mutex_unlock(&k->ak_lock);
	json_object_put(req);
	if (why != NULL) {
		fu_api_kit_violation(k, "%s", why);
		return ph_error(conn, MHD_HTTP_BAD_REQUEST, "validation_error",
		    "invalid_input", why, NULL, NULL);
	}
	if (mode == FAKE_POSTHOG_THROTTLED)
		return ph_error(conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "throttled_error", "throttled", PH_THROTTLED,
		    MHD_HTTP_HEADER_RETRY_AFTER, PH_RETRY_AFTER);
	if (mode == FAKE_POSTHOG_BAD_KEY)
		return ph_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "authentication_error", "authentication_failed", PH_BAD_KEY,
		    NULL, NULL);
	return fu_api_kit_reply(conn, MHD_HTTP_OK, doc, NULL, NULL);
}
