/*
 * What poller.c and poller_cluster.c share: the records of the poller
 * and of each source it polls, and the steps of a poll that cluster
 * mode puts Redis between (claim before, commit after).  Nothing else
 * includes this.
 */
#ifndef GATHERD_POLLER_PRIVATE_H
#define GATHERD_POLLER_PRIVATE_H

#include <stdint.h>

#include <event2/event.h>
#include <json-c/linkhash.h>

#include "backoff.h"
#include "cache.h"
#include "cluster.h"
#include "config.h"
#include "poller.h"

/* One source's schedule, request and backoff. */
struct poll_source {
	struct poller *ps_poller;
	struct cache_entry *ps_entry;
	const struct config_source *ps_src;
	struct admit_ticket *ps_ticket;
	struct xfer_job *ps_xfer; /* while in flight */
	struct extract_child *ps_child; /* while a child extracts its body */
	struct request *ps_request;
	struct event *ps_timer;
	int64_t ps_first_ms; /* monotonic time of the first slot */
	int64_t ps_due_ms; /* monotonic time the timer was armed for */
	int ps_in_flight;
	int ps_headers_later; /* a reload changed headers mid-transfer */
	struct backoff ps_backoff;
	/* An access token from auth, for sources with auth = ... */
	struct auth_cred *ps_cred; /* or NULL */
	struct auth_wait *ps_auth_wait; /* while the token is fetched */
	const char *ps_bearer; /* the token, while the transfer is set up */
	uint64_t ps_token_gen; /* of the token this poll sent */
	int ps_auth_retried; /* this poll had a 401 and a new token */
	int ps_token_waits; /* ps_timer is for the budget of a token request */
	/* Cluster mode: the claim before a poll, the commit after it. */
	struct cluster_op *ps_claim; /* while Redis decides */
	struct cluster_op *ps_commit; /* while Redis stores the result */
	struct cluster_op *ps_publish; /* while Redis takes what we hold */
	int ps_decided; /* this poll may go: claimed, or alone */
	uint64_t ps_fence; /* of the claim won, 0 if polling alone */
	uint64_t ps_lease; /* the fence of the next poll, leased, or 0 */
	struct cache_shared ps_pending; /* the result being committed */
	int64_t ps_pending_retry; /* its retry delay, or -1 */
};

struct poller {
	struct event_base *p_base;
	const struct config *p_cf;
	struct cache *p_cache;
	struct xfer *p_xfer;
	struct admit *p_admit;
	struct auth *p_auth;
	struct extract *p_extract;
	struct poll_source **p_sources; /* each allocated on its own */
	size_t p_nsources;
	struct event *p_budget_timer; /* admit_tick when a budget frees */
	int64_t p_wall_offset; /* wall minus monotonic ms, for next_at */
	int p_once;
	poller_done_cb p_done_cb;
	void *p_done_arg;
	struct cluster *p_cluster; /* NULL alone */
	struct lh_table *p_by_name; /* cluster mode: name -> poll_source */
};

/* Arms ps's timer for monotonic time at and publishes it. */
void poller_arm(struct poll_source *ps, int64_t at);
/* Arms ps's timer for its next slot after now: first + k * interval. */
void poller_schedule(struct poll_source *ps);
/* Starts ps now if its claim, budget and the caps allow, else it waits. */
void poller_request(struct poll_source *ps);
/*
 * Sets ps's entry and backoff to s (moved out) and rebuilds the request
 * headers if the validators changed; add_point as cache_apply_shared.
 */
void
poller_apply(struct poll_source *ps, struct cache_shared *s, int add_point);
/* Plans ps's next poll alone: retry_ms after a failure, else its slot. */
void poller_plan_alone(struct poll_source *ps, int64_t retry_ms);

/* Cluster mode: claims ps; 1 if the claim is under way (its answer
 * calls poller_request again), 0 to go on alone at once. */
int poller_cluster_claim(struct poll_source *ps);
/* Cluster mode: commits s (moved out), or applies it alone; retry_ms
 * is the failure's delay, -1 after a success. */
void poller_cluster_settle(
    struct poll_source *ps, struct cache_shared *s, int64_t retry_ms);
/* Cluster mode: forgets ps's claim and commit (ps is being freed). */
void poller_cluster_forget(struct poll_source *ps);
/* Cluster mode: tells the cluster which sources p polls; 0 or -1. */
int poller_cluster_sources(struct poller *p);

#endif
