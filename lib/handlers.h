/*
 * The API's handlers, one per route of the route table: the probes
 * (/healthz, /readyz with the last reload's outcome), the stats and
 * sources documents (through the document cache), a source's history,
 * /api/v1/info, and the hand-offs to the event streams, the /metrics
 * renderer and the dashboard's files.  It owns what they serve from
 * besides the cache: the documents, the files and the reload status.
 */
#ifndef GATHERD_HANDLERS_H
#define GATHERD_HANDLERS_H

#include <stdint.h>

#include <event2/event.h>
#include <microhttpd.h>

#include "cache.h"
#include "config.h"
#include "events.h"
#include "metrics.h"
#include "reply.h"
#include "routes.h"

struct handlers;

/*
 * Creates the handlers of c on base, with cf's web_root (the dashboard
 * is left out, with a warning, if it cannot be read); ev and mc are the
 * api's, borrowed.  NULL if out of memory.
 */
struct handlers *handlers_new(struct event_base *base, const struct config *cf,
    struct cache *c, struct events *ev, struct metrics_counters *mc);
/* Frees h, after MHD has been stopped; NULL is allowed. */
void handlers_free(struct handlers *h);
/*
 * Serves cf and c from now on (a reload); the old cache must live until
 * it returns.  0, or -1 (nothing changed) if out of memory.
 */
int
handlers_reload(struct handlers *h, const struct config *cf, struct cache *c);
/* Shows cl (cluster mode) in /readyz, /api/v1/info and /metrics. */
void handlers_set_cluster(struct handlers *h, const struct cluster *cl);
/* Records how a reload went, for /readyz: err NULL if it worked. */
void handlers_reload_result(struct handlers *h, const char *err);

/* GET /healthz: always ok, one response for every request. */
enum MHD_Result handlers_healthz(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /readyz: ready or degraded, and the last reload. */
enum MHD_Result handlers_readyz(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /api/v1/openapi.json: the API's description, built in. */
enum MHD_Result handlers_openapi(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /api/v1/stats. */
enum MHD_Result handlers_stats(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /api/v1/stats/NAME: NAME is m's rest. */
enum MHD_Result handlers_source_stats(struct handlers *h,
    const struct reply_req *rq, const struct route_match *m);
/* GET /api/v1/sources. */
enum MHD_Result handlers_sources(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /api/v1/sources/NAME/history?stat=STAT[&since=UNIX]. */
enum MHD_Result handlers_history(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /api/v1/events: an event stream; HEAD its headers alone. */
enum MHD_Result handlers_events(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /api/v1/info. */
enum MHD_Result handlers_info(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET /metrics: the Prometheus text, rendered as it is sent. */
enum MHD_Result handlers_metrics(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);
/* GET of any other path: the dashboard's file m's rest names. */
enum MHD_Result handlers_file(struct handlers *h, const struct reply_req *rq,
    const struct route_match *m);

#endif
