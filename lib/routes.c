/*
 * The API's route table, and the look-up of a request's row in it.
 * Probes work without the token, and so do the dashboard's files and the
 * API's description, which hold no data: the page must load to ask for
 * the token, and a client reads in the description how to send it.
 * Everything else needs it, a 404 under /api/ included.
 */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "routes.h"

#define ROUTE_GET_HEAD (ROUTE_GET | ROUTE_HEAD)

/* Every route, looked up in order: the first row that matches serves. */
static const struct route route_table[] = {
    {"/healthz", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 0, handlers_healthz},
    {"/readyz", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 0, handlers_readyz},
    {"/api/v1/stats", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 1, handlers_stats},
    {"/api/v1/sources", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 1, handlers_sources},
    {"/api/v1/events", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 1, handlers_events},
    {"/api/v1/info", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 1, handlers_info},
    {"/api/v1/openapi.json", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 0,
        handlers_openapi},
    {"/metrics", NULL, ROUTE_EXACT, ROUTE_GET_HEAD, 1, handlers_metrics},
    {"/api/v1/stats/", NULL, ROUTE_PREFIX, ROUTE_GET_HEAD, 1,
        handlers_source_stats},
    {"/api/v1/sources/", "/history", ROUTE_NAME, ROUTE_GET_HEAD, 1,
        handlers_history},
    {"/api/", NULL, ROUTE_PREFIX, ROUTE_GET_HEAD, 1, NULL},
    {"", NULL, ROUTE_PREFIX, ROUTE_GET_HEAD, 0, handlers_file},
};

#define ROUTE_COUNT (sizeof route_table / sizeof route_table[0])

/* The methods there are bits for, in the order Allow names them. */
static const struct {
	const char *rme_name;
	unsigned rme_bit;
} route_method_names[] = {
    {"GET", ROUTE_GET},
    {"HEAD", ROUTE_HEAD},
};

#define ROUTE_NMETHODS                                                         \
	(sizeof route_method_names / sizeof route_method_names[0])

/* Returns 1 if url matches ro, filling in m's rest and name; else 0. */
static int
route_matches(const struct route *ro, const char *url, struct route_match *m)
{
	size_t n = strlen(ro->ro_path);
	const char *rest, *slash;

	if (ro->ro_how == ROUTE_EXACT)
		return strcmp(url, ro->ro_path) == 0;
	if (strncmp(url, ro->ro_path, n) != 0)
		return 0;
	rest = url + n;
	if (ro->ro_how == ROUTE_NAME) {
		/* One name, at most CONFIG_NAME_MAX bytes, then the suffix. */
		slash = strchr(rest, '/');
		if (slash == NULL || strcmp(slash, ro->ro_suffix) != 0 ||
		    (size_t)(slash - rest) > CONFIG_NAME_MAX)
			return 0;
		memcpy(m->rm_name, rest, (size_t)(slash - rest));
		m->rm_name[slash - rest] = '\0';
	}
	m->rm_rest = rest;
	return 1;
}

/* Finds the row serving url; see routes.h. */
void
route_find(const char *url, struct route_match *m)
{
	size_t i;

	for (i = 0; i < ROUTE_COUNT; i++) {
		m->rm_route = &route_table[i];
		m->rm_rest = NULL;
		m->rm_name[0] = '\0';
		if (route_matches(&route_table[i], url, m))
			return;
	}
	/* Not reached: the last row's empty prefix matches any path. */
}

/* Returns 1 if ro allows method; see routes.h. */
int
route_allows(const struct route *ro, const char *method)
{
	size_t i;

	for (i = 0; i < ROUTE_NMETHODS; i++) {
		if (strcmp(method, route_method_names[i].rme_name) == 0)
			return (ro->ro_methods &
			           route_method_names[i].rme_bit) != 0;
	}
	return 0;
}

/* Writes ro's methods into buf, joined by sep; see routes.h. */
void
route_methods(const struct route *ro, const char *sep, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < ROUTE_NMETHODS && n < len; i++) {
		if ((ro->ro_methods & route_method_names[i].rme_bit) == 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
		    n > 0 ? sep : "", route_method_names[i].rme_name);
	}
}
