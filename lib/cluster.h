/*
 * Cluster mode: replicas of gatherd that share one poll per source per
 * interval, one set of values and one stream of changes through Redis.
 * This module speaks the protocol (claims with a fencing number, commits
 * that the fence guards, the change stream, snapshots, heartbeats and
 * the list of replicas) on two Redis connections of its own, and knows
 * nothing of the cache or the poller: it hands them texts and numbers.
 * Times that decide who polls are Redis's (TIME inside the scripts).
 */
#ifndef GATHERD_CLUSTER_H
#define GATHERD_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct cluster;
/* A claim or commit on its way; cancel it to never hear back. */
struct cluster_op;

/* How a claim or commit went. */
enum cluster_result {
	CLUSTER_WON, /* claim: poll now, with the fence; commit: stored */
	CLUSTER_LOST, /* claim: not due, or another replica has it */
	CLUSTER_FENCED, /* commit: a newer claim exists; the result is late */
	CLUSTER_DOWN, /* no answer from Redis: go on alone */
};

/* What Redis holds of one source, for cluster_apply_cb. */
struct cluster_update {
	const char *cu_name;
	uint64_t cu_version; /* grows with every commit of the source */
	const char *cu_doc; /* the cluster_doc text */
	size_t cu_doc_len;
	int64_t cu_next_ms; /* ms from the commit to its next claim, or -1 */
	int64_t cu_lag_ms; /* since the commit (stream entries), or -1 */
	/* A snapshot brings the whole history; a stream entry none. */
	int cu_snapshot;
	const char *cu_stats; /* the stats the points were written for */
	size_t cu_npoints;
	const char *const *cu_points;
	const size_t *cu_point_lens;
};

/* A source's state from Redis (a stream entry or a snapshot). */
typedef void cluster_apply_cb(const struct cluster_update *u, void *arg);
/*
 * The link came up after Redis may have missed changes: publish yours.
 * With reset, Redis lost everything and numbers versions from 1 again:
 * forget the versions held first.
 */
typedef void cluster_publish_cb(int reset, void *arg);
/* The first snapshot is loaded (ok 1) or Redis did not answer (0). */
typedef void cluster_ready_cb(int ok, void *arg);
/* A claim's, commit's or publish's answer. */
struct cluster_answer {
	enum cluster_result ca_res;
	uint64_t ca_n; /* claim: the fence; commit, publish: the version */
	int64_t ca_wait_ms; /* claim lost: to wait; commit: to the next poll */
	uint64_t ca_lease; /* commit: the fence of this replica's next poll */
};
/* A claim's, commit's or publish's answer; see cluster_claim. */
typedef void cluster_done_cb(const struct cluster_answer *a, void *arg);

/* Who this replica is and where Redis is; strings are copied. */
struct cluster_params {
	const char *cp_target; /* as redis_new takes it */
	const char *cp_password; /* or NULL */
	const char *cp_name; /* this replica */
	const char *cp_prefix; /* of every key */
	unsigned cp_ready_ms; /* give up waiting for the first snapshot */
	cluster_apply_cb *cp_apply;
	cluster_publish_cb *cp_publish;
	cluster_ready_cb *cp_ready;
	void *cp_arg;
};

/* Counters and gauges for /metrics and the API. */
struct cluster_stats {
	uint64_t cs_claims_won;
	uint64_t cs_claims_lost;
	uint64_t cs_fenced; /* commits refused by the fence */
	uint64_t cs_commits;
	uint64_t cs_applied; /* stream entries applied */
	uint64_t cs_snapshots;
	uint64_t cs_down_polls; /* polls done alone while Redis was away */
	int64_t cs_lag_ms; /* of the last stream entry applied, or -1 */
};

/* Connects (in the background) and starts; NULL if out of memory. */
struct cluster *
cluster_new(struct event_base *base, const struct cluster_params *p);
/* Frees cl; pending operations are cancelled.  NULL is allowed. */
void cluster_free(struct cluster *cl);
/* Sets the sources a snapshot loads (copied); 0 or -1. */
int cluster_set_sources(struct cluster *cl, const char *const *names, size_t n);
/* Returns 1 while Redis answers and the replica is in sync, else 0. */
int cluster_is_up(const struct cluster *cl);
/* Returns 1 if Redis's link is up (it may not be in sync yet). */
int cluster_redis_up(const struct cluster *cl);
/* Returns this replica's name. */
const char *cluster_name(const struct cluster *cl);
/* Returns the counters (borrowed). */
const struct cluster_stats *cluster_stats(const struct cluster *cl);
/* Counts a poll done alone while the cluster was down. */
void cluster_count_alone(struct cluster *cl);
/*
 * Returns the replicas seen in the last heartbeats (borrowed names, n
 * set) and, in seen_ms, when each was last seen (Redis ms); this one is
 * always among them.
 */
const char *const *
cluster_replicas(const struct cluster *cl, size_t *n, const int64_t **seen_ms);
/* Returns 1 if this replica is the first to try source name (by the
 * rendezvous hash over the replicas seen), else 0. */
int cluster_preferred(const struct cluster *cl, const char *name);
/*
 * Claims source name for a poll on its slot grid (interval_ms, phase_ms)
 * for lifetime_ms.  cb gets WON with the fence, LOST with the ms to
 * wait (another replica holds it, or the slot was polled, or a retry is
 * not due), or DOWN.  Returns NULL (cb never called) if the cluster is
 * down.
 */
struct cluster_op *
cluster_claim(struct cluster *cl, const char *name, uint64_t interval_ms,
    uint64_t phase_ms, uint64_t lifetime_ms, cluster_done_cb *cb, void *arg);
/* What a commit stores. */
struct cluster_commit {
	const char *cc_name;
	uint64_t cc_fence;
	const char *cc_doc;
	size_t cc_doc_len;
	int64_t cc_attempt_at; /* the poll's end, wall ms */
	const char *cc_point; /* "" for none */
	const char *cc_stats; /* the stat names of the point */
	uint64_t cc_history; /* points kept */
	int64_t cc_retry_ms; /* the failure's delay, or -1 after a success */
	uint64_t cc_interval_ms;
	uint64_t cc_lifetime_ms; /* of the lease on the next poll */
	uint64_t cc_phase_ms; /* of the slot grid, as cluster_claim's */
	int cc_lease; /* keep the next poll (this replica comes first) */
};
/*
 * Commits a polled result if its fence is current.  With cc_lease, the
 * next poll (the next slot, or the retry) is leased to this replica: its
 * claim is taken with the commit, so a steady poll costs Redis one
 * script.  cb gets WON with the new version, the ms to the next poll and
 * the lease's fence (0 without), FENCED, or DOWN.  Returns NULL (cb
 * never called) if the cluster is down.
 */
struct cluster_op *cluster_commit(struct cluster *cl,
    const struct cluster_commit *cc, cluster_done_cb *cb, void *arg);
/*
 * Publishes a source's state held here unless Redis holds a newer one
 * (after Redis came back, perhaps empty); points (the history, oldest
 * first) are stored only where Redis has none.  cb gets WON with the
 * version, or LOST.  NULL if the cluster's link is down.
 */
struct cluster_op *
cluster_publish(struct cluster *cl, const struct cluster_commit *cc,
    const char *const *points, size_t npoints, cluster_done_cb *cb, void *arg);
/* Cancels op: its callback will not run.  NULL is allowed. */
void cluster_op_cancel(struct cluster_op *op);

#endif
