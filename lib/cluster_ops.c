/*
 * Cluster mode's operations on one source: a claim before a poll (the
 * fencing number comes with it), the commit of its result (stored only
 * if the fence is still current), and the publishing of a state held
 * here after Redis came back.  Each runs one Lua script; its callback
 * runs once unless cancelled, and never after cluster_free.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cluster_private.h"
#include "log.h"
#include "timeutil.h"

/* Returns a new operation for script s, or NULL. */
static struct cluster_op *
cluster_op_new(
    struct cluster *cl, enum cluster_script s, cluster_done_cb *cb, void *arg)
{
	struct cluster_op *op;

	if ((op = calloc(1, sizeof *op)) == NULL)
		return NULL;
	op->o_cl = cl;
	op->o_cb = cb;
	op->o_arg = arg;
	op->o_script = s;
	return op;
}

/* Cancels op: its callback will not run. */
void
cluster_op_cancel(struct cluster_op *op)
{
	if (op != NULL)
		op->o_cb = NULL;
}

/* Works out a claim's, commit's or publish's answer from its reply. */
static void
cluster_op_result(struct cluster_op *op, const struct redis_reply *reply,
    struct cluster_answer *a)
{
	struct cluster_stats *st = &op->o_cl->cl_stats;
	int64_t first, second;

	if (cluster_reply_error(reply, "script"))
		return;
	if (redis_reply_type(reply) == REDIS_TYPE_ARRAY) {
		first = cluster_reply_int(redis_reply_at(reply, 0));
		second = cluster_reply_int(redis_reply_at(reply, 1));
		a->ca_wait_ms = cluster_reply_int(redis_reply_at(reply, 2));
		a->ca_lease =
		    (uint64_t)cluster_reply_int(redis_reply_at(reply, 3));
	} else
		first = second = cluster_reply_int(reply);
	a->ca_n = second > 0 ? (uint64_t)second : 0;
	switch (op->o_script) {
	case CLUSTER_SCRIPT_CLAIM:
		if (first == 1) {
			st->cs_claims_won++;
			a->ca_res = CLUSTER_WON;
			return;
		}
		st->cs_claims_lost++;
		a->ca_wait_ms = second;
		a->ca_res = CLUSTER_LOST;
		return;
	case CLUSTER_SCRIPT_COMMIT:
		if (first == 1) {
			st->cs_commits++;
			a->ca_res = CLUSTER_WON;
			return;
		}
		st->cs_fenced++;
		a->ca_res = CLUSTER_FENCED;
		return;
	default: /* publish: the version, or 0 */
		a->ca_res = first > 0 ? CLUSTER_WON : CLUSTER_LOST;
		return;
	}
}

/* A claim's, commit's or publish's answer, for its callback. */
static void
cluster_op_reply_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct cluster_op *op = arg;
	struct cluster_answer a = {CLUSTER_DOWN, 0, 0, 0};
	cluster_done_cb *cb = op->o_cb;
	void *cb_arg = op->o_arg;

	if (fail == REDIS_FAIL_NONE)
		cluster_op_result(op, reply, &a);
	free(op);
	if (fail != REDIS_FAIL_FREED && cb != NULL)
		cb(&a, cb_arg);
}

/* Sends op's script; op, or NULL (op freed) if it could not be sent. */
static struct cluster_op *
cluster_op_send(struct cluster_op *op, int nkeys, int argc,
    const char *const *argv, const size_t *lens)
{
	if (op == NULL)
		return NULL;
	if (cluster_eval(op->o_cl, op->o_script, nkeys, argc, argv, lens,
	        cluster_op_reply_cb, op) == -1) {
		free(op);
		return NULL;
	}
	return op;
}

/* Claims source name for a poll; see cluster.h. */
struct cluster_op *
cluster_claim(struct cluster *cl, const char *name, uint64_t interval_ms,
    uint64_t phase_ms, uint64_t lifetime_ms, cluster_done_cb *cb, void *arg)
{
	char hash[CLUSTER_KEY_MAX], claim[CLUSTER_KEY_MAX];
	char iv[24], ph[24], grace[24], life[24];
	const char *argv[7];
	uint64_t g = interval_ms / 10 < 100 ? interval_ms / 10 : 100;

	if (!cluster_is_up(cl))
		return NULL;
	cluster_key(cl, hash, "s", name);
	cluster_key(cl, claim, "c", name);
	snprintf(iv, sizeof iv, "%" PRIu64, interval_ms);
	snprintf(ph, sizeof ph, "%" PRIu64, phase_ms % interval_ms);
	/* Timers fire a little early: a slot may be claimed that soon. */
	snprintf(grace, sizeof grace, "%" PRIu64, g);
	snprintf(life, sizeof life, "%" PRIu64, lifetime_ms);
	argv[0] = hash;
	argv[1] = claim;
	argv[2] = iv;
	argv[3] = ph;
	argv[4] = grace;
	argv[5] = life;
	argv[6] = cl->cl_name;
	return cluster_op_send(
	    cluster_op_new(cl, CLUSTER_SCRIPT_CLAIM, cb, arg), 2, 7, argv,
	    NULL);
}

/* Commits a polled result if its fence is current; see cluster.h. */
struct cluster_op *
cluster_commit(struct cluster *cl, const struct cluster_commit *cc,
    cluster_done_cb *cb, void *arg)
{
	char hash[CLUSTER_KEY_MAX], claim[CLUSTER_KEY_MAX];
	char hist[CLUSTER_KEY_MAX], stream[CLUSTER_KEY_MAX];
	char seq[CLUSTER_KEY_MAX], fence[24], keep[24], retry[24], iv[24];
	char maxlen[24], at[24], life[24], ph[24];
	const char *argv[19];
	size_t lens[19];
	int i;

	if (!cluster_is_up(cl))
		return NULL;
	cluster_key(cl, hash, "s", cc->cc_name);
	cluster_key(cl, claim, "c", cc->cc_name);
	cluster_key(cl, hist, "h", cc->cc_name);
	cluster_key(cl, stream, "stream", NULL);
	cluster_key(cl, seq, "seq", NULL);
	snprintf(fence, sizeof fence, "%" PRIu64, cc->cc_fence);
	snprintf(keep, sizeof keep, "%" PRIu64, cc->cc_history);
	snprintf(retry, sizeof retry, "%" PRId64, cc->cc_retry_ms);
	snprintf(iv, sizeof iv, "%" PRIu64, cc->cc_interval_ms);
	snprintf(maxlen, sizeof maxlen, "%" PRIu64, cl->cl_maxlen);
	snprintf(at, sizeof at, "%" PRId64, cc->cc_attempt_at);
	snprintf(life, sizeof life, "%" PRIu64, cc->cc_lifetime_ms);
	snprintf(ph, sizeof ph, "%" PRIu64,
	    cc->cc_interval_ms > 0 ? cc->cc_phase_ms % cc->cc_interval_ms : 0);
	argv[0] = hash;
	argv[1] = claim;
	argv[2] = hist;
	argv[3] = stream;
	argv[4] = seq;
	argv[5] = fence;
	argv[6] = cc->cc_doc;
	argv[7] = cc->cc_history > 0 ? cc->cc_point : "";
	argv[8] = keep;
	argv[9] = retry;
	argv[10] = iv;
	argv[11] = cl->cl_name;
	argv[12] = cc->cc_name;
	argv[13] = maxlen;
	argv[14] = cc->cc_stats;
	argv[15] = at;
	argv[16] = life;
	argv[17] = ph;
	argv[18] = cc->cc_lease ? "1" : "0";
	for (i = 0; i < 19; i++)
		lens[i] = (size_t)-1;
	lens[6] = cc->cc_doc_len;
	return cluster_op_send(
	    cluster_op_new(cl, CLUSTER_SCRIPT_COMMIT, cb, arg), 5, 19, argv,
	    lens);
}

/* Publishes a source's state held here; see cluster.h. */
struct cluster_op *
cluster_publish(struct cluster *cl, const struct cluster_commit *cc,
    const char *const *points, size_t npoints, cluster_done_cb *cb, void *arg)
{
	char hash[CLUSTER_KEY_MAX], hist[CLUSTER_KEY_MAX];
	char stream[CLUSTER_KEY_MAX], seq[CLUSTER_KEY_MAX];
	char at[24], maxlen[24], keep[24];
	struct cluster_op *op = NULL;
	size_t *lens, i, argc = 10 + npoints;
	const char **argv;

	if (!redis_is_up(cl->cl_cmd))
		return NULL;
	argv = calloc(argc, sizeof *argv);
	lens = calloc(argc, sizeof *lens);
	if (argv == NULL || lens == NULL)
		goto done;
	cluster_key(cl, hash, "s", cc->cc_name);
	cluster_key(cl, hist, "h", cc->cc_name);
	cluster_key(cl, stream, "stream", NULL);
	cluster_key(cl, seq, "seq", NULL);
	snprintf(at, sizeof at, "%" PRId64, cc->cc_attempt_at);
	snprintf(maxlen, sizeof maxlen, "%" PRIu64, cl->cl_maxlen);
	snprintf(keep, sizeof keep, "%" PRIu64,
	    cc->cc_history > 0 ? cc->cc_history : 1);
	argv[0] = hash;
	argv[1] = hist;
	argv[2] = stream;
	argv[3] = seq;
	argv[4] = cc->cc_doc;
	argv[5] = at;
	argv[6] = cc->cc_name;
	argv[7] = maxlen;
	argv[8] = cc->cc_stats;
	argv[9] = keep;
	for (i = 0; i < npoints; i++)
		argv[10 + i] = points[i];
	for (i = 0; i < argc; i++)
		lens[i] = (size_t)-1;
	lens[4] = cc->cc_doc_len;
	op =
	    cluster_op_send(cluster_op_new(cl, CLUSTER_SCRIPT_PUBLISH, cb, arg),
	        4, (int)argc, argv, lens);
done:
	free(argv);
	free(lens);
	return op;
}
