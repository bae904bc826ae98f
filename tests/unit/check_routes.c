/*
 * Unit tests of the route table: which row a decoded URL finds, what
 * the row names of it (rest, source name), the methods each row allows
 * and how Allow spells them, and which rows need the API token.  Pure:
 * no server is started, the handlers are compared as pointers.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "handlers.h"
#include "routes.h"
#include "runner.h"

/* One routing decision: method and decoded URL in, row and names out. */
struct route_case {
	const char *method;
	const char *url;
	route_handler_fn handler; /* the row's handler, NULL for a 404 row */
	int allowed; /* the row allows method */
	const char *rest; /* expected rm_rest, or NULL */
	const char *name; /* expected rm_name */
};

/* The router's table: every route, its edges and what falls through. */
static const struct route_case route_cases[] = {
    {"GET", "/healthz", handlers_healthz, 1, NULL, ""},
    {"HEAD", "/healthz", handlers_healthz, 1, NULL, ""},
    {"GET", "/readyz", handlers_readyz, 1, NULL, ""},
    {"GET", "/api/v1/stats", handlers_stats, 1, NULL, ""},
    {"GET", "/api/v1/stats/alpha", handlers_source_stats, 1, "alpha", ""},
    {"GET", "/api/v1/stats/", handlers_source_stats, 1, "", ""},
    {"GET", "/api/v1/stats/a/b", handlers_source_stats, 1, "a/b", ""},
    {"GET", "/api/v1/sources", handlers_sources, 1, NULL, ""},
    {"GET", "/api/v1/sources/alpha/history", handlers_history, 1,
        "alpha/history", "alpha"},
    {"GET", "/api/v1/sources//history", handlers_history, 1, "/history", ""},
    {"GET", "/api/v1/sources/alpha", NULL, 1, "v1/sources/alpha", ""},
    {"GET", "/api/v1/sources/alpha/", NULL, 1, "v1/sources/alpha/", ""},
    {"GET", "/api/v1/sources/alpha/history/", NULL, 1,
        "v1/sources/alpha/history/", ""},
    {"GET", "/api/v1/sources/a/b/history", NULL, 1, "v1/sources/a/b/history",
        ""},
    {"GET", "/api/v1/sources/", NULL, 1, "v1/sources/", ""},
    {"GET", "/api/v1/events", handlers_events, 1, NULL, ""},
    {"HEAD", "/api/v1/events", handlers_events, 1, NULL, ""},
    {"GET", "/api/v1/info", handlers_info, 1, NULL, ""},
    {"GET", "/api/v1/openapi.json", handlers_openapi, 1, NULL, ""},
    {"HEAD", "/api/v1/openapi.json", handlers_openapi, 1, NULL, ""},
    {"GET", "/api/v1/openapi.json/", NULL, 1, "v1/openapi.json/", ""},
    {"GET", "/metrics", handlers_metrics, 1, NULL, ""},
    {"HEAD", "/metrics", handlers_metrics, 1, NULL, ""},
    {"GET", "/metrics/", handlers_file, 1, "/metrics/", ""},
    {"GET", "/api/v1/statsx", NULL, 1, "v1/statsx", ""},
    {"GET", "/api/", NULL, 1, "", ""},
    {"GET", "/api/v2/stats", NULL, 1, "v2/stats", ""},
    {"GET", "/api", handlers_file, 1, "/api", ""},
    {"GET", "/", handlers_file, 1, "/", ""},
    {"GET", "/app.js", handlers_file, 1, "/app.js", ""},
    {"GET", "/healthz/", handlers_file, 1, "/healthz/", ""},
    {"GET", "", handlers_file, 1, "", ""},
    {"POST", "/api/v1/stats", handlers_stats, 0, NULL, ""},
    {"get", "/api/v1/stats", handlers_stats, 0, NULL, ""},
    {"OPTIONS", "*", handlers_file, 0, "*", ""},
    {"DELETE", "/healthz", handlers_healthz, 0, NULL, ""},
    {"POST", "/api/v9", NULL, 0, "v9", ""},
};

/* route_find and route_allows decide each case of route_cases as listed. */
START_TEST(test_route_table)
{
	const struct route_case *c = &route_cases[_i];
	struct route_match m;

	memset(&m, 0x5a, sizeof m);
	route_find(c->url, &m);
	ck_assert_ptr_nonnull(m.rm_route);
	ck_assert_msg(m.rm_route->ro_handler == c->handler,
	    "%s %s: not the expected row (%s)", c->method, c->url,
	    m.rm_route->ro_path);
	ck_assert_int_eq(route_allows(m.rm_route, c->method), c->allowed);
	if (c->rest == NULL)
		ck_assert_ptr_null(m.rm_rest);
	else
		ck_assert_str_eq(m.rm_rest, c->rest);
	ck_assert_str_eq(m.rm_name, c->name);
}
END_TEST

/* A history name of 64 bytes is routed; 65 bytes is a 404. */
START_TEST(test_route_history_name_length)
{
	char url[256], name[CONFIG_NAME_MAX + 2];
	struct route_match m;

	memset(name, 'n', CONFIG_NAME_MAX);
	name[CONFIG_NAME_MAX] = '\0';
	snprintf(url, sizeof url, "/api/v1/sources/%s/history", name);
	route_find(url, &m);
	ck_assert(m.rm_route->ro_handler == handlers_history);
	ck_assert_str_eq(m.rm_name, name);

	strcat(name, "n");
	snprintf(url, sizeof url, "/api/v1/sources/%s/history", name);
	route_find(url, &m);
	ck_assert_ptr_null(m.rm_route->ro_handler);
	ck_assert_str_eq(m.rm_name, "");
}
END_TEST

/* Probes and the dashboard's files need no token; the rest all do. */
START_TEST(test_route_token)
{
	static const struct {
		const char *url;
		int token;
	} cases[] = {
	    {"/healthz", 0},
	    {"/readyz", 0},
	    {"/", 0},
	    {"/app.js", 0},
	    {"/api/v1/stats", 1},
	    {"/api/v1/stats/alpha", 1},
	    {"/api/v1/sources", 1},
	    {"/api/v1/sources/alpha/history", 1},
	    {"/api/v1/events", 1},
	    {"/api/v1/info", 1},
	    {"/api/v1/openapi.json", 0},
	    {"/metrics", 1},
	    {"/api/nothing", 1},
	};
	struct route_match m;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		route_find(cases[i].url, &m);
		ck_assert_msg(
		    m.rm_route->ro_token == cases[i].token, "%s", cases[i].url);
	}
}
END_TEST

/* Allow and the 405 message are spelled from the row's methods. */
START_TEST(test_route_methods)
{
	struct route ro = {
	    "/x", NULL, ROUTE_EXACT, ROUTE_GET | ROUTE_HEAD, 0, NULL};
	struct route_match m;
	char buf[64];

	route_find("/api/v1/stats", &m);
	route_methods(m.rm_route, ", ", buf, sizeof buf);
	ck_assert_str_eq(buf, "GET, HEAD");
	route_methods(m.rm_route, " and ", buf, sizeof buf);
	ck_assert_str_eq(buf, "GET and HEAD");
	ro.ro_methods = ROUTE_HEAD;
	route_methods(&ro, ", ", buf, sizeof buf);
	ck_assert_str_eq(buf, "HEAD");
	ck_assert_int_eq(route_allows(&ro, "HEAD"), 1);
	ck_assert_int_eq(route_allows(&ro, "GET"), 0);
	ro.ro_methods = 0;
	route_methods(&ro, ", ", buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(route_allows(&ro, ""), 0);
}
END_TEST

/* Builds the suite. */
static Suite *
routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_loop_test(tc, test_route_table, 0,
	    (int)(sizeof route_cases / sizeof route_cases[0]));
	tcase_add_test(tc, test_route_history_name_length);
	tcase_add_test(tc, test_route_token);
	tcase_add_test(tc, test_route_methods);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_run(routes_suite()) == 0 ? 0 : 1;
}
