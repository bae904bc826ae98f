/*
 * Cluster mode's view of what Redis holds: a snapshot of every source
 * (its state and whole history) when a replica starts, when Redis came
 * back, or when the change stream has a gap; and between snapshots the
 * change stream, read with XREAD BLOCK on a connection of its own and
 * applied in order.  Entries carry a sequence number: one missing means
 * entries were trimmed (or Redis restarted) and a snapshot follows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cluster_private.h"
#include "log.h"
#include "timeutil.h"

/* Hands a snapshot of one source to the poller. */
static void
cluster_apply_snapshot(
    struct cluster *cl, const char *name, const struct redis_reply *reply)
{
	const struct redis_reply *points = redis_reply_at(reply, 3);
	struct cluster_update u;
	const char **texts = NULL;
	size_t *lens = NULL, i, n = redis_reply_len(points);

	memset(&u, 0, sizeof u);
	u.cu_name = name;
	u.cu_version = (uint64_t)cluster_reply_int(redis_reply_at(reply, 0));
	u.cu_doc = redis_reply_str(redis_reply_at(reply, 1), &u.cu_doc_len);
	u.cu_stats = redis_reply_str(redis_reply_at(reply, 2), NULL);
	if (u.cu_version == 0 || u.cu_doc == NULL)
		return; /* Redis knows nothing of it yet */
	if (n > 0) {
		texts = calloc(n, sizeof *texts);
		lens = calloc(n, sizeof *lens);
		if (texts == NULL || lens == NULL)
			n = 0;
		for (i = 0; i < n; i++)
			texts[i] = redis_reply_str(
			    redis_reply_at(points, i), &lens[i]);
	}
	u.cu_next_ms = -1;
	u.cu_lag_ms = -1;
	u.cu_snapshot = 1;
	u.cu_stats = u.cu_stats != NULL ? u.cu_stats : "";
	u.cu_npoints = n;
	u.cu_points = texts;
	u.cu_point_lens = lens;
	cl->cl_params.cp_apply(&u, cl->cl_params.cp_arg);
	free(texts);
	free(lens);
}

/* One source's snapshot asked for: the cluster and the source's name. */
struct cluster_snap {
	struct cluster *sn_cl;
	char sn_name[];
};

/* Counts one part of the snapshot done; the last one ends it. */
static void
cluster_sync_part_done(struct cluster *cl)
{
	if (--cl->cl_sync_left > 0)
		return;
	cl->cl_syncing = 0;
	if (cl->cl_sync_failed) {
		cluster_arm(cl->cl_retry, CLUSTER_RETRY_MS);
		return;
	}
	cl->cl_seq = cl->cl_sync_seq;
	memcpy(cl->cl_last_id, cl->cl_sync_id, sizeof cl->cl_last_id);
	cl->cl_synced = 1;
	cl->cl_synced_once = 1;
	cl->cl_stats.cs_snapshots++;
	log_info("cluster: %s in sync with redis %s (%zu sources)", cl->cl_name,
	    cl->cl_params.cp_target, cl->cl_nsources);
	cluster_tell_ready(cl, 1);
	cluster_read(cl);
}

/* One source's snapshot arrived (or not). */
static void
cluster_snapshot_reply_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct cluster_snap *sn = arg;
	struct cluster *cl = sn->sn_cl;

	if (fail == REDIS_FAIL_FREED) {
		free(sn);
		return;
	}
	if (fail != REDIS_FAIL_NONE || cluster_reply_error(reply, "snapshot") ||
	    redis_reply_type(reply) != REDIS_TYPE_ARRAY ||
	    redis_reply_len(reply) != 4)
		cl->cl_sync_failed = 1;
	else
		cluster_apply_snapshot(cl, sn->sn_name, reply);
	free(sn);
	cluster_sync_part_done(cl);
}

/* Asks for one source's snapshot; 0 or -1. */
static int
cluster_snapshot_source(struct cluster *cl, const char *name)
{
	char hash[CLUSTER_KEY_MAX], hist[CLUSTER_KEY_MAX];
	struct cluster_snap *sn;
	const char *argv[2];
	size_t len = strlen(name);

	if ((sn = malloc(sizeof *sn + len + 1)) == NULL)
		return -1;
	sn->sn_cl = cl;
	memcpy(sn->sn_name, name, len + 1);
	cluster_key(cl, hash, "s", name);
	cluster_key(cl, hist, "h", name);
	argv[0] = hash;
	argv[1] = hist;
	if (cluster_eval(cl, CLUSTER_SCRIPT_SNAPSHOT, 2, 2, argv, NULL,
	        cluster_snapshot_reply_cb, sn) == -1) {
		free(sn);
		return -1;
	}
	return 0;
}

/* The stream's head: load every source, then read on from there. */
static void
cluster_head_reply_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct cluster *cl = arg;
	const char *id;
	size_t i, len;

	if (fail == REDIS_FAIL_FREED)
		return;
	if (fail != REDIS_FAIL_NONE || cluster_reply_error(reply, "head") ||
	    redis_reply_len(reply) != 2 ||
	    (id = redis_reply_str(redis_reply_at(reply, 1), &len)) == NULL ||
	    len >= sizeof cl->cl_sync_id) {
		cl->cl_syncing = 0;
		cluster_arm(cl->cl_retry, CLUSTER_RETRY_MS);
		return;
	}
	cl->cl_sync_seq = (uint64_t)cluster_reply_int(redis_reply_at(reply, 0));
	memcpy(cl->cl_sync_id, id, len + 1);
	/* One part more than the sources: the count ends only below. */
	cl->cl_sync_left = 1;
	for (i = 0; i < cl->cl_nsources; i++) {
		if (cluster_snapshot_source(cl, cl->cl_sources[i]) == 0)
			cl->cl_sync_left++;
		else
			cl->cl_sync_failed = 1;
	}
	cluster_sync_part_done(cl);
}

/* Loads a snapshot of every source, then reads the stream on from it. */
void
cluster_resync(struct cluster *cl)
{
	char seq[CLUSTER_KEY_MAX], stream[CLUSTER_KEY_MAX];
	const char *argv[2];

	cl->cl_synced = 0;
	if (cl->cl_syncing || !redis_is_up(cl->cl_cmd))
		return;
	cluster_key(cl, seq, "seq", NULL);
	cluster_key(cl, stream, "stream", NULL);
	argv[0] = seq;
	argv[1] = stream;
	cl->cl_sync_failed = 0;
	if (cluster_eval(cl, CLUSTER_SCRIPT_HEAD, 2, 2, argv, NULL,
	        cluster_head_reply_cb, cl) == 0)
		cl->cl_syncing = 1;
	else
		cluster_arm(cl->cl_retry, CLUSTER_RETRY_MS);
}

/* Timer: a snapshot again, after one failed. */
void
cluster_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	cluster_resync(arg);
}

/* Returns the value of field name in an entry's [f, v, f, v...], or NULL. */
static const struct redis_reply *
cluster_field(const struct redis_reply *fields, const char *name)
{
	size_t i, n = redis_reply_len(fields);
	const char *f;

	for (i = 0; i + 1 < n; i += 2) {
		f = redis_reply_str(redis_reply_at(fields, i), NULL);
		if (f != NULL && strcmp(f, name) == 0)
			return redis_reply_at(fields, i + 1);
	}
	return NULL;
}

/* Applies one stream entry [id, fields]; -1 if the stream has a gap. */
static int
cluster_apply_entry(struct cluster *cl, const struct redis_reply *entry)
{
	const struct redis_reply *fields = redis_reply_at(entry, 1);
	struct cluster_update u;
	const char *id;
	uint64_t q;
	size_t len;

	id = redis_reply_str(redis_reply_at(entry, 0), &len);
	if (id == NULL || len >= sizeof cl->cl_last_id)
		return -1;
	q = (uint64_t)cluster_reply_int(cluster_field(fields, "q"));
	if (q != cl->cl_seq + 1) {
		log_info("cluster: the change stream went from %" PRIu64
		         " to %" PRIu64 "; loading a snapshot",
		    cl->cl_seq, q);
		return -1;
	}
	memset(&u, 0, sizeof u);
	u.cu_name = redis_reply_str(cluster_field(fields, "s"), NULL);
	u.cu_version = (uint64_t)cluster_reply_int(cluster_field(fields, "v"));
	u.cu_next_ms = cluster_reply_int(cluster_field(fields, "n"));
	u.cu_doc = redis_reply_str(cluster_field(fields, "d"), &u.cu_doc_len);
	u.cu_lag_ms = timeutil_wall_ms() - strtoll(id, NULL, 10);
	u.cu_stats = "";
	cl->cl_seq = q;
	memcpy(cl->cl_last_id, id, len + 1);
	if (u.cu_name == NULL || u.cu_doc == NULL)
		return 0;
	cl->cl_stats.cs_applied++;
	cl->cl_stats.cs_lag_ms = u.cu_lag_ms;
	cl->cl_params.cp_apply(&u, cl->cl_params.cp_arg);
	return 0;
}

/* XREAD's answer: apply the entries in order, then read again. */
static void
cluster_read_reply_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct cluster *cl = arg;
	const struct redis_reply *entries;
	size_t i, n;

	if (fail == REDIS_FAIL_FREED)
		return;
	cl->cl_reading = 0;
	if (fail != REDIS_FAIL_NONE)
		return; /* the link comes back and reads on from cl_last_id */
	if (cluster_reply_error(reply, "stream")) {
		cluster_resync(cl);
		return;
	}
	if (redis_reply_type(reply) == REDIS_TYPE_ARRAY &&
	    redis_reply_len(reply) == 1) {
		entries = redis_reply_at(redis_reply_at(reply, 0), 1);
		n = redis_reply_len(entries);
		for (i = 0; i < n; i++) {
			if (cluster_apply_entry(
			        cl, redis_reply_at(entries, i)) == -1) {
				cluster_resync(cl);
				return;
			}
		}
		/*
		 * Entries came one or a few at a time: wait a moment before
		 * the next read, so that it brings many at once (one XREAD
		 * each instead of one per commit, for every replica).
		 */
		if (n > 0 && n < CLUSTER_READ_COUNT) {
			cl->cl_reading = 1;
			cluster_arm(cl->cl_read_timer, CLUSTER_READ_PAUSE_MS);
			return;
		}
	}
	cluster_read(cl);
}

/* Timer: the pause between two reads of the stream is over. */
void
cluster_read_again_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;

	cl->cl_reading = 0;
	cluster_read(cl);
}

/* Waits for the stream's next entries, if in sync and not already. */
void
cluster_read(struct cluster *cl)
{
	char stream[CLUSTER_KEY_MAX], block[16], count[16];
	const char *argv[8];

	if (!cl->cl_synced || cl->cl_reading || !redis_is_up(cl->cl_stream))
		return;
	cluster_key(cl, stream, "stream", NULL);
	snprintf(block, sizeof block, "%d", CLUSTER_BLOCK_MS);
	snprintf(count, sizeof count, "%d", CLUSTER_READ_COUNT);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = count;
	argv[3] = "BLOCK";
	argv[4] = block;
	argv[5] = "STREAMS";
	argv[6] = stream;
	argv[7] = cl->cl_last_id;
	if (redis_block(cl->cl_stream, CLUSTER_BLOCK_MS, 8, argv, NULL,
	        cluster_read_reply_cb, cl) == 0)
		cl->cl_reading = 1;
}
