/*
 * The poller: each source's schedule on its own timer, its state
 * (backoff, circuit, validators) and the reload.  Polls beyond the
 * global and per-host caps wait in admit's queues; transfers run in
 * xfer (curl multi on libevent).  Finished polls go through outcome and
 * extract into the cache.
 */
#ifndef GATHERD_POLLER_H
#define GATHERD_POLLER_H

#include <event2/event.h>

#include "cache.h"
#include "config.h"

struct poller;

/* Called after every finished poll of e; ok is 1 on success. */
typedef void (*poller_done_cb)(struct cache_entry *e, int ok, void *arg);

/* Creates a poller for cf's sources on base; cf and c must outlive it. */
struct poller *
poller_new(struct event_base *base, const struct config *cf, struct cache *c);
/* Frees p, cancelling transfers in flight; NULL is allowed. */
void poller_free(struct poller *p);
/* Sets a callback for every finished poll. */
void poller_set_done_cb(struct poller *p, poller_done_cb cb, void *arg);
/*
 * Starts polling: on the spread schedule, or with once set, every source
 * once and at once (within the caps) and never again.  0 or -1.
 */
int poller_start(struct poller *p, int once);
/*
 * Switches to cf's sources polled into c (a reload): a source with the
 * same name and URL keeps its schedule, backoff and any transfer in
 * flight; others are cancelled or start on their spread offset.  cf and
 * c must outlive p; the old ones may be freed on return.  0 or -1.
 */
int poller_reload(struct poller *p, const struct config *cf, struct cache *c);
struct cluster;
struct cluster_update;

/*
 * Polls in cluster mode through cl from now on: a source is claimed in
 * Redis before each poll and its result committed there; 0 or -1.
 */
int poller_set_cluster(struct poller *p, struct cluster *cl);
/* The cluster's cluster_apply_cb (arg: the poller): a source's state
 * from Redis, applied if newer than the one held. */
void poller_cluster_apply_cb(const struct cluster_update *u, void *arg);
/* The cluster's cluster_ready_cb (arg: the poller): polling starts
 * once the first snapshot is in, or Redis did not answer in time. */
void poller_cluster_ready_cb(int ok, void *arg);
/* The cluster's cluster_publish_cb (arg: the poller): offers Redis the
 * state of every source held here (forgetting versions with reset). */
void poller_cluster_publish_cb(int reset, void *arg);
/* Returns the number of polls in flight. */
unsigned poller_in_flight(const struct poller *p);

#endif
