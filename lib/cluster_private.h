/*
 * What the three files of cluster mode share: the struct of a cluster
 * and the helpers that build keys, run scripts and read replies.
 * cluster.c owns the links and the heartbeat, cluster_sync.c the
 * snapshots and the change stream, cluster_ops.c claims, commits and
 * publishes.  Nothing outside them includes this.
 */
#ifndef GATHERD_CLUSTER_PRIVATE_H
#define GATHERD_CLUSTER_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "cluster.h"
#include "cluster_scripts.h"
#include "redis.h"

#define CLUSTER_HEARTBEAT_MS 1000 /* how often a replica says it lives */
#define CLUSTER_SEEN_MS 3000 /* a replica not heard of for this is gone */
#define CLUSTER_BLOCK_MS 2000 /* one XREAD waits this long at most */
#define CLUSTER_READ_COUNT 512 /* stream entries per XREAD */
#define CLUSTER_READ_PAUSE_MS 5 /* between reads that brought a few */
#define CLUSTER_RETRY_MS 1000 /* a failed snapshot is tried again */
#define CLUSTER_CONNECT_MS 2000
#define CLUSTER_COMMAND_MS 2000
#define CLUSTER_BACKOFF_BASE_MS 100
#define CLUSTER_BACKOFF_CAP_MS 5000
#define CLUSTER_KEY_MAX 256
#define CLUSTER_ARGS_MAX 20

/* A claim, commit or publish on its way. */
struct cluster_op {
	struct cluster *o_cl;
	cluster_done_cb *o_cb; /* NULL once cancelled */
	void *o_arg;
	enum cluster_script o_script;
};

/* A replica seen in the heartbeats. */
struct cluster_replica {
	char *cr_name;
	int64_t cr_seen_ms;
};

struct cluster {
	struct event_base *cl_base;
	struct redis *cl_cmd; /* claims, commits, heartbeats, snapshots */
	struct redis *cl_stream; /* XREAD BLOCK only */
	struct cluster_params cl_params; /* strings copied below */
	char *cl_name;
	char *cl_prefix;
	char cl_sha[CLUSTER_SCRIPT_COUNT][41]; /* "" until loaded */
	char cl_epoch[40]; /* "" until the first heartbeat */
	struct event *cl_heartbeat;
	struct event *cl_retry; /* a snapshot again */
	struct event *cl_read_timer; /* the pause between two reads */
	struct event *cl_ready_timer; /* gives up on the first snapshot */
	char **cl_sources;
	size_t cl_nsources;
	uint64_t cl_maxlen; /* of the stream */
	/* The snapshot under way. */
	int cl_syncing;
	int cl_sync_failed;
	size_t cl_sync_left;
	uint64_t cl_sync_seq;
	char cl_sync_id[48];
	int cl_synced; /* a snapshot was loaded since the link came up */
	int cl_synced_once;
	int cl_ready_told;
	/* Where the stream is read from. */
	int cl_reading;
	uint64_t cl_seq; /* of the last entry applied */
	char cl_last_id[48];
	struct cluster_replica *cl_replicas;
	size_t cl_nreplicas;
	const char **cl_replica_names; /* views for cluster_replicas */
	int64_t *cl_replica_seen;
	struct cluster_stats cl_stats;
};

/* Writes "prefix:kind:name" (or "prefix:kind") into buf; its length. */
size_t cluster_key(
    const struct cluster *cl, char *buf, const char *kind, const char *name);
/* Runs script s with nkeys keys among argv (EVALSHA once loaded); 0/-1. */
int cluster_eval(struct cluster *cl, enum cluster_script s, int nkeys, int argc,
    const char *const *argv, const size_t *lens, redis_reply_cb *cb, void *arg);
/* Returns the integer in a reply that may be an integer or a string. */
int64_t cluster_reply_int(const struct redis_reply *r);
/* Logs an error reply of what; returns 1 if reply is an error. */
int cluster_reply_error(const struct redis_reply *reply, const char *what);
/* Arms a one-shot timer ev for ms. */
void cluster_arm(struct event *ev, unsigned ms);
/* Tells the poller once whether the first snapshot came. */
void cluster_tell_ready(struct cluster *cl, int ok);
/* Loads a snapshot of every source, then reads the stream on from it. */
void cluster_resync(struct cluster *cl);
/* Waits for the stream's next entries, if in sync and not already. */
void cluster_read(struct cluster *cl);
/* Timer: the pause between two reads of the stream is over. */
void cluster_read_again_cb(evutil_socket_t fd, short what, void *arg);
/* Timer: a snapshot again, after one failed. */
void cluster_retry_cb(evutil_socket_t fd, short what, void *arg);

#endif
