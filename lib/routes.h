/*
 * The API's routes as one table: a row per route with its path (exact,
 * a prefix, or a prefix, a source name and a suffix), the methods it
 * allows, whether it needs the API token, and its handler.  The server
 * looks a request's row up and answers 405 (with Allow), 401 or 404
 * from the row alone; the last row catches every path: the dashboard.
 */
#ifndef GATHERD_ROUTES_H
#define GATHERD_ROUTES_H

#include <stddef.h>

#include <microhttpd.h>

#include "config.h"

/* Methods a route allows, as bits of ro_methods. */
#define ROUTE_GET 0x1
#define ROUTE_HEAD 0x2

struct handlers;
struct reply_req;
struct route_match;

/* Answers one request that matched a route (m says what matched). */
typedef enum MHD_Result (*route_handler_fn)(struct handlers *h,
    const struct reply_req *rq, const struct route_match *m);

/* How a row's path is compared with a request's. */
enum route_how {
	ROUTE_EXACT, /* the path is ro_path */
	ROUTE_PREFIX, /* the path starts with ro_path; rm_rest is the rest */
	ROUTE_NAME, /* ro_path, then a name (no '/'), then ro_suffix */
};

/* One route. */
struct route {
	const char *ro_path;
	const char *ro_suffix; /* ROUTE_NAME: what follows the name */
	enum route_how ro_how;
	unsigned ro_methods; /* ROUTE_GET | ROUTE_HEAD */
	int ro_token; /* needs the API token, if one is set */
	route_handler_fn ro_handler; /* NULL: nothing there, 404 */
};

/* The row a request's path matched, and the parts it named. */
struct route_match {
	const struct route *rm_route;
	const char *rm_rest; /* points into the URL, or NULL (ROUTE_EXACT) */
	char rm_name[CONFIG_NAME_MAX + 1]; /* ROUTE_NAME's name, else "" */
};

/* Finds the row serving url (as MHD decoded it); one always does. */
void route_find(const char *url, struct route_match *m);
/* Returns 1 if ro allows method (case matters), else 0. */
int route_allows(const struct route *ro, const char *method);
/* Writes ro's methods into buf, joined by sep ("GET, HEAD"). */
void
route_methods(const struct route *ro, const char *sep, char *buf, size_t len);

#endif
