/*
 * GET /api/v1/events: Server-Sent Events on libmicrohttpd's
 * suspend/resume, on the same loop as everything else.  Each stream
 * gets every source on connect, then a "stats" event with the sources
 * that changed whenever the cache moves, and a heartbeat comment every
 * 15 s.  No thread per client.
 */
#ifndef GATHERD_EVENTS_H
#define GATHERD_EVENTS_H

#include <event2/event.h>
#include <microhttpd.h>

#include "cache.h"

struct events;

/* Asks for MHD_run soon: resumed connections wait for it. */
typedef void (*events_kick_cb)(void *arg);
/* Adds the caller's headers to a stream's response; 0 or -1. */
typedef int (*events_decorate_cb)(
    void *arg, struct MHD_Connection *conn, struct MHD_Response *r);

/* Creates the event streams of c on base; NULL if out of memory. */
struct events *
events_new(struct event_base *base, struct cache *c, unsigned max_streams,
    unsigned idle_timeout_s, events_kick_cb kick, void *kick_arg);
/* Ends every stream so MHD can be stopped; call before MHD_stop_daemon. */
void events_shutdown(struct events *ev);
/* Frees ev after MHD has been stopped; NULL is allowed. */
void events_free(struct events *ev);
/*
 * Starts a stream on conn, its response passed through decorate (may be
 * NULL) first; 0, or -1 if the cap is reached or on error.
 */
int events_serve(struct events *ev, struct MHD_Connection *conn,
    events_decorate_cb decorate, void *arg);
/* Streams c from now on (a reload): every client gets all of it again. */
void events_set_cache(struct events *ev, struct cache *c);
/* Tells the streams the cache changed; they send it soon, coalesced. */
void events_cache_changed(struct events *ev);
/* Returns the number of open streams. */
unsigned events_count(const struct events *ev);

#endif
