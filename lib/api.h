/*
 * The HTTP API: libmicrohttpd in external-loop mode with epoll, its
 * epoll fd one libevent read event plus a timer from MHD_get_timeout.
 * Documents are rendered once per cache change and the same response
 * object is handed to every request; the generation is the ETag.
 */
#ifndef GATHERD_API_H
#define GATHERD_API_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "cache.h"
#include "config.h"

struct api;

/* Which handler serves a request, from its method and URL alone. */
enum api_route_kind {
	API_ROUTE_BAD_METHOD, /* not GET or HEAD: 405 */
	API_ROUTE_HEALTHZ,
	API_ROUTE_READYZ,
	API_ROUTE_STATS,
	API_ROUTE_SOURCE_STATS, /* /api/v1/stats/NAME: rt_rest is NAME */
	API_ROUTE_SOURCES,
	API_ROUTE_HISTORY, /* /api/v1/sources/NAME/history: rt_name */
	API_ROUTE_EVENTS,
	API_ROUTE_INFO,
	API_ROUTE_METRICS,
	API_ROUTE_NOT_FOUND, /* any other /api/ path: 404 */
	API_ROUTE_FILE, /* the dashboard: rt_rest is the whole URL */
};

/* The routing decision for one request. */
struct api_route {
	enum api_route_kind rt_kind;
	const char *rt_rest; /* points into the URL; see the kinds */
	char rt_name[CONFIG_NAME_MAX + 1]; /* API_ROUTE_HISTORY's source */
};

/* Listens on cf's address and serves c on base; NULL on error (logged). */
struct api *
api_new(struct event_base *base, const struct config *cf, struct cache *c);
/* Stops listening, closes connections and frees a; NULL is allowed. */
void api_free(struct api *a);
/*
 * Serves cf and c from now on, after a reload: documents start afresh,
 * event streams get every source again.  The listen address is not
 * moved (no connection is dropped).  cf and c must outlive a.  0 or -1.
 */
int api_reload(struct api *a, const struct config *cf, struct cache *c);
/*
 * Records how a reload went, shown in /readyz and counted in /metrics
 * (gatherd_config_reloads_total): err is NULL if it worked.  Call it
 * once per reload.
 */
void api_reload_result(struct api *a, const char *err);
/* Returns the bound port (useful when the config asked for port 0). */
uint16_t api_port(const struct api *a);
/* Decides which handler serves method on url (as MHD decoded it). */
void api_route_match(const char *method, const char *url, struct api_route *rt);
/*
 * Decodes %XX in s in place as MHD does, but a decoded NUL becomes 0x01
 * so that it cannot end the path early; returns the new length.
 */
size_t api_unescape(char *s);

#endif
