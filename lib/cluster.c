/*
 * Cluster mode on Redis: two connections (one for short commands, one
 * that blocks in XREAD on the change stream), a heartbeat that keeps
 * this replica in the list of replicas and notices when Redis lost its
 * data (a new epoch), claims and commits through the Lua scripts of
 * cluster_scripts.c (cluster_ops.c), and snapshots and the stream
 * (cluster_sync.c).  The cache and the poller hear of changes only
 * through the callbacks.  This file owns the links, the heartbeat, the
 * list of replicas and the rendezvous hash that orders them per source.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cluster_private.h"
#include "log.h"
#include "timeutil.h"

/* Writes "prefix:kind:name" (or "prefix:kind") into buf; its length. */
size_t
cluster_key(
    const struct cluster *cl, char *buf, const char *kind, const char *name)
{
	int n;

	if (name != NULL)
		n = snprintf(buf, CLUSTER_KEY_MAX, "%s:%s:%s", cl->cl_prefix,
		    kind, name);
	else
		n = snprintf(
		    buf, CLUSTER_KEY_MAX, "%s:%s", cl->cl_prefix, kind);
	return n < 0 ? 0 : (size_t)n;
}

/*
 * Runs script s with nkeys keys then the other arguments (argv from index
 * 0, argv[0..nkeys) keys), as EVALSHA once loaded; 0 or -1.
 */
int
cluster_eval(struct cluster *cl, enum cluster_script s, int nkeys, int argc,
    const char *const *argv, const size_t *lens, redis_reply_cb *cb, void *arg)
{
	const char *stack_av[CLUSTER_ARGS_MAX + 3], **av = stack_av;
	size_t stack_al[CLUSTER_ARGS_MAX + 3], *al = stack_al;
	char nk[16];
	int i, rc = -1;

	/* A publish with its history has many: those go on the heap. */
	if (argc > CLUSTER_ARGS_MAX &&
	    ((av = calloc((size_t)argc + 3, sizeof *av)) == NULL ||
	        (al = calloc((size_t)argc + 3, sizeof *al)) == NULL))
		goto done;
	snprintf(nk, sizeof nk, "%d", nkeys);
	if (cl->cl_sha[s][0] != '\0') {
		av[0] = "EVALSHA";
		av[1] = cl->cl_sha[s];
	} else {
		av[0] = "EVAL";
		av[1] = cluster_script_text(s);
	}
	av[2] = nk;
	for (i = 0; i < 3; i++)
		al[i] = strlen(av[i]);
	for (i = 0; i < argc; i++) {
		av[i + 3] = argv[i];
		al[i + 3] = lens != NULL && lens[i] != (size_t)-1
		    ? lens[i]
		    : strlen(argv[i]);
	}
	rc = redis_command(cl->cl_cmd, argc + 3, av, al, cb, arg);
done:
	if (av != stack_av)
		free(av);
	if (al != stack_al)
		free(al);
	return rc;
}

/* Returns the integer in a reply that may be an integer or a string. */
int64_t
cluster_reply_int(const struct redis_reply *r)
{
	const char *s;

	if (r == NULL)
		return 0;
	if (redis_reply_type(r) == REDIS_TYPE_INTEGER)
		return redis_reply_integer(r);
	if (redis_reply_type(r) == REDIS_TYPE_STRING &&
	    (s = redis_reply_str(r, NULL)) != NULL)
		return strtoll(s, NULL, 10);
	return 0;
}

/* Logs an error reply of what; returns 1 if reply is an error. */
int
cluster_reply_error(const struct redis_reply *reply, const char *what)
{
	if (redis_reply_type(reply) != REDIS_TYPE_ERROR)
		return 0;
	log_warnx(
	    "cluster: %s: redis says %s", what, redis_reply_str(reply, NULL));
	return 1;
}

/* SCRIPT LOAD's answer: the script's SHA1 from now on. */
static void
cluster_loaded_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct cluster_op *op = arg;
	const char *sha;
	size_t len;

	if (fail == REDIS_FAIL_NONE &&
	    redis_reply_type(reply) == REDIS_TYPE_STRING &&
	    (sha = redis_reply_str(reply, &len)) != NULL && len == 40)
		memcpy(op->o_cl->cl_sha[op->o_script], sha, 41);
	free(op);
}

/* Loads every script (again: Redis may have restarted empty). */
static void
cluster_load_scripts(struct cluster *cl)
{
	const char *argv[3];
	struct cluster_op *op;
	int s;

	for (s = 0; s < CLUSTER_SCRIPT_COUNT; s++) {
		if ((op = calloc(1, sizeof *op)) == NULL)
			return;
		op->o_cl = cl;
		op->o_script = (enum cluster_script)s;
		argv[0] = "SCRIPT";
		argv[1] = "LOAD";
		argv[2] = cluster_script_text((enum cluster_script)s);
		if (redis_command(
		        cl->cl_cmd, 3, argv, NULL, cluster_loaded_cb, op) == -1)
			free(op);
	}
}

/* Tells the poller once whether the first snapshot came. */
void
cluster_tell_ready(struct cluster *cl, int ok)
{
	if (cl->cl_ready_told)
		return;
	cl->cl_ready_told = 1;
	evtimer_del(cl->cl_ready_timer);
	if (cl->cl_params.cp_ready != NULL)
		cl->cl_params.cp_ready(ok, cl->cl_params.cp_arg);
}

/* Timer: the first snapshot did not come in time; poll alone. */
static void
cluster_ready_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;

	log_warnx("cluster: redis %s: no snapshot within %u ms; polling "
	          "alone until it answers",
	    cl->cl_params.cp_target, cl->cl_params.cp_ready_ms);
	cluster_tell_ready(cl, 0);
}

/* Arms a one-shot timer ev for ms. */
void
cluster_arm(struct event *ev, unsigned ms)
{
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

	if (evtimer_add(ev, &tv) == -1)
		log_warnx("cluster: cannot arm a timer");
}

/* Replaces the list of replicas with the heartbeat's (pairs from i). */
static void
cluster_set_replicas(
    struct cluster *cl, const struct redis_reply *reply, size_t from)
{
	size_t n = (redis_reply_len(reply) - from) / 2, i, k = 0;
	struct cluster_replica *list;
	const char **names;
	int64_t *seen;
	int self = 0;

	list = calloc(n + 1, sizeof *list);
	names = calloc(n + 1, sizeof *names);
	seen = calloc(n + 1, sizeof *seen);
	if (list == NULL || names == NULL || seen == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *name =
		    redis_reply_str(redis_reply_at(reply, from + 2 * i), NULL);

		if (name == NULL || (list[k].cr_name = strdup(name)) == NULL)
			continue;
		list[k].cr_seen_ms =
		    cluster_reply_int(redis_reply_at(reply, from + 2 * i + 1));
		self |= strcmp(name, cl->cl_name) == 0;
		k++;
	}
	if (!self && (list[k].cr_name = strdup(cl->cl_name)) != NULL)
		list[k++].cr_seen_ms =
		    cluster_reply_int(redis_reply_at(reply, 0));
	for (i = 0; i < cl->cl_nreplicas; i++)
		free(cl->cl_replicas[i].cr_name);
	free(cl->cl_replicas);
	free(cl->cl_replica_names);
	free(cl->cl_replica_seen);
	cl->cl_replicas = list;
	cl->cl_nreplicas = k;
	for (i = 0; i < k; i++) {
		names[i] = list[i].cr_name;
		seen[i] = list[i].cr_seen_ms;
	}
	cl->cl_replica_names = names;
	cl->cl_replica_seen = seen;
	return;
fail:
	free(list);
	free(names);
	free(seen);
}

/* The heartbeat's answer: the replicas, and whether Redis was reset. */
static void
cluster_heartbeat_reply_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct cluster *cl = arg;
	const char *epoch;
	size_t len;

	if (fail != REDIS_FAIL_NONE ||
	    cluster_reply_error(reply, "heartbeat") ||
	    redis_reply_type(reply) != REDIS_TYPE_ARRAY ||
	    redis_reply_len(reply) < 2)
		return;
	epoch = redis_reply_str(redis_reply_at(reply, 1), &len);
	if (epoch == NULL || len == 0 || len >= sizeof cl->cl_epoch)
		return;
	cluster_set_replicas(cl, reply, 2);
	if (cl->cl_epoch[0] != '\0' && strcmp(cl->cl_epoch, epoch) != 0) {
		log_warnx("cluster: redis %s lost its data (new epoch); "
		          "publishing what this replica holds",
		    cl->cl_params.cp_target);
		memcpy(cl->cl_epoch, epoch, len + 1);
		if (cl->cl_params.cp_publish != NULL)
			cl->cl_params.cp_publish(1, cl->cl_params.cp_arg);
		cluster_resync(cl);
		return;
	}
	memcpy(cl->cl_epoch, epoch, len + 1);
}

/* Sends a heartbeat. */
static void
cluster_heartbeat(struct cluster *cl)
{
	char replicas[CLUSTER_KEY_MAX], epoch[CLUSTER_KEY_MAX], fresh[20];
	char window[24];
	const char *argv[5];

	cluster_key(cl, replicas, "replicas", NULL);
	cluster_key(cl, epoch, "epoch", NULL);
	snprintf(fresh, sizeof fresh, "%08x%08x", arc4random(), arc4random());
	snprintf(window, sizeof window, "%d", CLUSTER_SEEN_MS);
	argv[0] = replicas;
	argv[1] = epoch;
	argv[2] = cl->cl_name;
	argv[3] = fresh;
	argv[4] = window;
	(void)cluster_eval(cl, CLUSTER_SCRIPT_HEARTBEAT, 2, 5, argv, NULL,
	    cluster_heartbeat_reply_cb, cl);
}

/* Timer: the heartbeat, every CLUSTER_HEARTBEAT_MS. */
static void
cluster_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;

	if (redis_is_up(cl->cl_cmd))
		cluster_heartbeat(cl);
}

/* The command link went up or down. */
static void
cluster_cmd_link_cb(struct redis *r, int up, void *arg)
{
	struct cluster *cl = arg;

	if (!up) {
		if (cl->cl_synced_once)
			log_warnx("cluster: redis %s is down: %s; polling "
			          "alone until it is back",
			    cl->cl_params.cp_target, redis_last_error(r));
		cl->cl_syncing = 0;
		return;
	}
	log_info("cluster: %s connected to redis %s", cl->cl_name,
	    cl->cl_params.cp_target);
	/*
	 * In this order on the one connection: the scripts, the heartbeat
	 * (its epoch tells if Redis lost everything: then a snapshot), and
	 * what this replica polled alone meanwhile.  The stream goes on
	 * from the last entry seen; a gap in it brings a snapshot.
	 */
	cluster_load_scripts(cl);
	cluster_heartbeat(cl);
	if (!cl->cl_synced) {
		cluster_resync(cl);
		return;
	}
	if (cl->cl_params.cp_publish != NULL)
		cl->cl_params.cp_publish(0, cl->cl_params.cp_arg);
	cluster_read(cl);
}

/* The stream link went up or down. */
static void
cluster_stream_link_cb(struct redis *r, int up, void *arg)
{
	struct cluster *cl = arg;

	if (up)
		cluster_read(cl);
	else {
		evtimer_del(cl->cl_read_timer);
		cl->cl_reading = 0;
	}
}

/* Opens one of the two connections. */
static struct redis *
cluster_connect(struct cluster *cl, enum redis_kind kind, redis_link_cb *cb)
{
	struct redis_params rp;

	memset(&rp, 0, sizeof rp);
	rp.rp_target = cl->cl_params.cp_target;
	rp.rp_password = cl->cl_params.cp_password;
	rp.rp_kind = kind;
	rp.rp_connect_ms = CLUSTER_CONNECT_MS;
	rp.rp_command_ms = CLUSTER_COMMAND_MS;
	rp.rp_backoff_base_ms = CLUSTER_BACKOFF_BASE_MS;
	rp.rp_backoff_cap_ms = CLUSTER_BACKOFF_CAP_MS;
	rp.rp_link_cb = cb;
	rp.rp_arg = cl;
	return redis_new(cl->cl_base, &rp);
}

/* Connects (in the background) and starts; NULL if out of memory. */
struct cluster *
cluster_new(struct event_base *base, const struct cluster_params *p)
{
	struct cluster *cl;
	struct timeval tv = {
	    CLUSTER_HEARTBEAT_MS / 1000, (CLUSTER_HEARTBEAT_MS % 1000) * 1000};

	if ((cl = calloc(1, sizeof *cl)) == NULL)
		return NULL;
	cl->cl_base = base;
	cl->cl_params = *p;
	cl->cl_params.cp_target = NULL;
	cl->cl_params.cp_password = NULL;
	cl->cl_stats.cs_lag_ms = -1;
	strcpy(cl->cl_last_id, "0-0");
	if ((cl->cl_name = strdup(p->cp_name)) == NULL ||
	    (cl->cl_prefix = strdup(p->cp_prefix)) == NULL ||
	    (cl->cl_params.cp_target = strdup(p->cp_target)) == NULL ||
	    (p->cp_password != NULL &&
	        (cl->cl_params.cp_password = strdup(p->cp_password)) == NULL))
		goto fail;
	if ((cl->cl_heartbeat = event_new(
	         base, -1, EV_PERSIST, cluster_heartbeat_cb, cl)) == NULL ||
	    event_add(cl->cl_heartbeat, &tv) == -1 ||
	    (cl->cl_retry = evtimer_new(base, cluster_retry_cb, cl)) == NULL ||
	    (cl->cl_read_timer =
	            evtimer_new(base, cluster_read_again_cb, cl)) == NULL ||
	    (cl->cl_ready_timer =
	            evtimer_new(base, cluster_ready_timeout_cb, cl)) == NULL)
		goto fail;
	cluster_arm(cl->cl_ready_timer, p->cp_ready_ms);
	if ((cl->cl_cmd = cluster_connect(
	         cl, REDIS_KIND_COMMANDS, cluster_cmd_link_cb)) == NULL ||
	    (cl->cl_stream = cluster_connect(
	         cl, REDIS_KIND_BLOCKING, cluster_stream_link_cb)) == NULL)
		goto fail;
	return cl;
fail:
	cluster_free(cl);
	return NULL;
}

/* Frees cl; pending operations are cancelled. */
void
cluster_free(struct cluster *cl)
{
	size_t i;

	if (cl == NULL)
		return;
	redis_free(cl->cl_stream);
	redis_free(cl->cl_cmd);
	if (cl->cl_heartbeat != NULL)
		event_free(cl->cl_heartbeat);
	if (cl->cl_retry != NULL)
		event_free(cl->cl_retry);
	if (cl->cl_read_timer != NULL)
		event_free(cl->cl_read_timer);
	if (cl->cl_ready_timer != NULL)
		event_free(cl->cl_ready_timer);
	for (i = 0; i < cl->cl_nsources; i++)
		free(cl->cl_sources[i]);
	free(cl->cl_sources);
	for (i = 0; i < cl->cl_nreplicas; i++)
		free(cl->cl_replicas[i].cr_name);
	free(cl->cl_replicas);
	free(cl->cl_replica_names);
	free(cl->cl_replica_seen);
	free((char *)cl->cl_params.cp_target);
	if (cl->cl_params.cp_password != NULL) {
		explicit_bzero((char *)cl->cl_params.cp_password,
		    strlen(cl->cl_params.cp_password));
		free((char *)cl->cl_params.cp_password);
	}
	free(cl->cl_name);
	free(cl->cl_prefix);
	free(cl);
}

/* Sets the sources a snapshot loads (copied); 0 or -1. */
int
cluster_set_sources(struct cluster *cl, const char *const *names, size_t n)
{
	char **copy;
	size_t i;

	if ((copy = calloc(n ? n : 1, sizeof *copy)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((copy[i] = strdup(names[i])) == NULL) {
			while (i-- > 0)
				free(copy[i]);
			free(copy);
			return -1;
		}
	}
	for (i = 0; i < cl->cl_nsources; i++)
		free(cl->cl_sources[i]);
	free(cl->cl_sources);
	cl->cl_sources = copy;
	cl->cl_nsources = n;
	/* Several seconds of changes of every source, at least 10,000. */
	cl->cl_maxlen = n * 10 > 10000 ? n * 10 : 10000;
	return 0;
}

/* Returns 1 while Redis answers and the replica was ever in sync. */
int
cluster_is_up(const struct cluster *cl)
{
	return cl->cl_synced_once && redis_is_up(cl->cl_cmd);
}

/* Returns 1 if Redis's command link is up. */
int
cluster_redis_up(const struct cluster *cl)
{
	return redis_is_up(cl->cl_cmd);
}

/* Returns this replica's name. */
const char *
cluster_name(const struct cluster *cl)
{
	return cl->cl_name;
}

/* Returns the counters. */
const struct cluster_stats *
cluster_stats(const struct cluster *cl)
{
	return &cl->cl_stats;
}

/* Counts a poll done alone. */
void
cluster_count_alone(struct cluster *cl)
{
	cl->cl_stats.cs_down_polls++;
}

/* Returns the replicas seen in the last heartbeat. */
const char *const *
cluster_replicas(const struct cluster *cl, size_t *n, const int64_t **seen_ms)
{
	*n = cl->cl_nreplicas;
	if (seen_ms != NULL)
		*seen_ms = cl->cl_replica_seen;
	return cl->cl_replica_names;
}

/* Returns a 64-bit hash of a and b (FNV-1a, then a finaliser). */
static uint64_t
cluster_hash(const char *a, const char *b)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (; *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* Returns 1 if this replica wins source name's rendezvous hash. */
int
cluster_preferred(const struct cluster *cl, const char *name)
{
	uint64_t mine = cluster_hash(name, cl->cl_name);
	size_t i;

	for (i = 0; i < cl->cl_nreplicas; i++) {
		if (strcmp(cl->cl_replicas[i].cr_name, cl->cl_name) != 0 &&
		    cluster_hash(name, cl->cl_replicas[i].cr_name) > mine)
			return 0;
	}
	return 1;
}
