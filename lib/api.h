/*
 * The HTTP API's server: libmicrohttpd in external-loop mode with
 * epoll, its epoll fd one libevent read event plus a timer from
 * MHD_get_timeout, and the defences against hostile clients.  Routes
 * are in routes.h, handlers in handlers.h, documents in doccache.h.
 */
#ifndef GATHERD_API_H
#define GATHERD_API_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "cache.h"
#include "config.h"

struct api;

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
struct cluster;
/* Shows cl (cluster mode) in /readyz, /api/v1/info and /metrics; 0. */
int api_set_cluster(struct api *a, const struct cluster *cl);
/* Returns the bound port (useful when the config asked for port 0). */
uint16_t api_port(const struct api *a);
/*
 * Decodes %XX in s in place as MHD does, but a decoded NUL becomes 0x01
 * so that it cannot end the path early; returns the new length.
 */
size_t api_unescape(char *s);

#endif
