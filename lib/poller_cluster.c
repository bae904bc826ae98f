/*
 * The poller in cluster mode: a source is claimed in Redis before a poll
 * (the replica that wins gets a fencing number; one that loses waits
 * until the next claim may be due), its result is committed with that
 * number and applied here only once Redis took it, and the states other
 * replicas commit are applied as they arrive.  The source's first
 * replica by the rendezvous hash leases its next poll with each commit,
 * so a steady source costs one script per poll and the sources spread
 * over the replicas; the others try half an interval (at most 1 s) after
 * a slot, and win only when a lease ran out (its replica died or froze).
 * With Redis away, it polls alone.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cluster.h"
#include "cluster_doc.h"
#include "log.h"
#include "poller_private.h"
#include "timeutil.h"

#define POLLER_CLAIM_MARGIN_MS 1000 /* a claim outlives a poll by this */
#define POLLER_TAKEOVER_MAX_MS 1000 /* the others wait at most this */

/* Returns how long ps waits after a claim may be due before it tries:
 * 0 on the source's first replica, else half an interval (at most 1 s). */
static int64_t
poller_cluster_takeover(const struct poll_source *ps)
{
	uint64_t t = ps->ps_src->src_interval_ms / 2;

	if (cluster_preferred(ps->ps_poller->p_cluster, ps->ps_src->src_name))
		return 0;
	return (
	    int64_t)(t < POLLER_TAKEOVER_MAX_MS ? t : POLLER_TAKEOVER_MAX_MS);
}

/* Arms ps for wait_ms from now, plus its takeover delay with takeover. */
static void
poller_cluster_arm(struct poll_source *ps, int64_t wait_ms, int takeover)
{
	if (wait_ms < 1)
		wait_ms = 1;
	poller_arm(ps,
	    timeutil_mono_ms() + wait_ms +
	        (takeover ? poller_cluster_takeover(ps) : 0));
}

/* Lets ps's poll go on alone (Redis did not answer). */
static void
poller_cluster_alone(struct poll_source *ps)
{
	ps->ps_fence = 0;
	ps->ps_decided = 1;
	cluster_count_alone(ps->ps_poller->p_cluster);
}

/* The claim's answer: poll, wait, or poll alone. */
static void
poller_cluster_claim_cb(const struct cluster_answer *a, void *arg)
{
	struct poll_source *ps = arg;
	int64_t wait_ms = a->ca_wait_ms;

	ps->ps_claim = NULL;
	switch (a->ca_res) {
	case CLUSTER_WON:
		ps->ps_fence = a->ca_n;
		ps->ps_decided = 1;
		break;
	case CLUSTER_LOST:
		log_debug(
		    "source %s: not due or claimed elsewhere; next try in "
		    "%lld ms",
		    ps->ps_src->src_name, (long long)wait_ms);
		poller_cluster_arm(ps, wait_ms, 0);
		return;
	default:
		poller_cluster_alone(ps);
		break;
	}
	poller_request(ps);
}

/* Returns how long a claim of src lives: a poll, and a token request
 * before it with auth, plus a margin. */
static uint64_t
poller_cluster_lifetime(const struct config_source *src)
{
	uint64_t lifetime = src->src_timeout_ms + POLLER_CLAIM_MARGIN_MS;

	if (src->src_auth > AUTH_NONE)
		lifetime += src->src_timeout_ms;
	return lifetime;
}

/* Returns src's phase on the slot grid. */
static uint64_t
poller_cluster_phase(const struct poller *p, const struct config_source *src)
{
	return source_phase_ms(
	    src->src_name, p->p_cf->cf_initial_spread_ms, src->src_interval_ms);
}

/* Claims ps; 1 if under way, 0 to go on now (leased, or alone). */
int
poller_cluster_claim(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;
	const struct config_source *src = ps->ps_src;
	uint64_t lifetime;

	/* The commit of the last poll leased this one to us. */
	if (ps->ps_lease != 0) {
		ps->ps_fence = ps->ps_lease;
		ps->ps_lease = 0;
		ps->ps_decided = 1;
		return 0;
	}
	lifetime = poller_cluster_lifetime(src);
	ps->ps_claim =
	    cluster_claim(p->p_cluster, src->src_name, src->src_interval_ms,
	        source_phase_ms(src->src_name, p->p_cf->cf_initial_spread_ms,
	            src->src_interval_ms),
	        lifetime, poller_cluster_claim_cb, ps);
	if (ps->ps_claim != NULL)
		return 1;
	poller_cluster_alone(ps);
	return 0;
}

/* Applies ps's result alone and plans the next poll alone. */
static void
poller_cluster_apply_alone(
    struct poll_source *ps, struct cache_shared *s, int64_t retry_ms)
{
	poller_apply(ps, s, 1);
	poller_plan_alone(ps, retry_ms);
}

/* The commit's answer: apply, drop a fenced result, or go on alone. */
static void
poller_cluster_commit_cb(const struct cluster_answer *a, void *arg)
{
	struct poll_source *ps = arg;
	struct cache_shared *s = &ps->ps_pending;

	ps->ps_commit = NULL;
	switch (a->ca_res) {
	case CLUSTER_WON:
		/* The stream may have brought it already. */
		if (a->ca_n > ps->ps_entry->ce_version) {
			s->cs_version = a->ca_n;
			poller_apply(ps, s, 1);
		} else
			cache_shared_clear(s);
		/* Leased: the next poll is ours, no claim, no delay. */
		ps->ps_lease = a->ca_lease;
		poller_cluster_arm(ps, a->ca_wait_ms, a->ca_lease == 0);
		break;
	case CLUSTER_FENCED:
		log_info("source %s: result dropped: its claim ran out and "
		         "another replica polled since",
		    ps->ps_src->src_name);
		cache_shared_clear(s);
		ps->ps_lease = 0;
		poller_schedule(ps);
		break;
	default:
		cluster_count_alone(ps->ps_poller->p_cluster);
		poller_cluster_apply_alone(ps, s, ps->ps_pending_retry);
		break;
	}
}

/* Commits s (moved out), or applies it alone; see poller_private.h. */
void
poller_cluster_settle(
    struct poll_source *ps, struct cache_shared *s, int64_t retry_ms)
{
	struct cluster *cl = ps->ps_poller->p_cluster;
	const struct config_source *src = ps->ps_src;
	char *doc = NULL, *point = NULL, *stats = NULL;
	struct cluster_commit cc;
	uint64_t fence = ps->ps_fence;

	ps->ps_fence = 0;
	snprintf(
	    s->cs_polled_by, sizeof s->cs_polled_by, "%s", cluster_name(cl));
	if (fence == 0 || !cluster_is_up(cl))
		goto alone;
	memset(&cc, 0, sizeof cc);
	if ((doc = cluster_doc_encode(s, &cc.cc_doc_len)) == NULL ||
	    (stats = cluster_doc_stat_names(src)) == NULL ||
	    (s->cs_last_ok && s->cs_values != NULL && src->src_history > 0 &&
	        (point = cluster_doc_point(
	             src, s->cs_values, s->cs_updated_at)) == NULL))
		goto alone;
	cc.cc_name = src->src_name;
	cc.cc_fence = fence;
	cc.cc_doc = doc;
	cc.cc_attempt_at = s->cs_last_attempt_at;
	cc.cc_point = point != NULL ? point : "";
	cc.cc_stats = stats;
	cc.cc_history = src->src_history;
	cc.cc_retry_ms = retry_ms;
	cc.cc_interval_ms = src->src_interval_ms;
	cc.cc_lifetime_ms = poller_cluster_lifetime(src);
	cc.cc_phase_ms = poller_cluster_phase(ps->ps_poller, src);
	/* The source's first replica keeps it; another lets it go back. */
	cc.cc_lease = cluster_preferred(cl, src->src_name);
	/* hiredis has copied the arguments once this returns. */
	ps->ps_commit = cluster_commit(cl, &cc, poller_cluster_commit_cb, ps);
	if (ps->ps_commit == NULL)
		goto alone;
	ps->ps_pending = *s;
	memset(s, 0, sizeof *s);
	ps->ps_pending_retry = retry_ms;
	free(doc);
	free(point);
	free(stats);
	return;
alone:
	free(doc);
	free(point);
	free(stats);
	poller_cluster_apply_alone(ps, s, retry_ms);
}

/* Forgets ps's claim, commit and publish (ps is being freed). */
void
poller_cluster_forget(struct poll_source *ps)
{
	cluster_op_cancel(ps->ps_claim);
	cluster_op_cancel(ps->ps_commit);
	cluster_op_cancel(ps->ps_publish);
	ps->ps_claim = ps->ps_commit = ps->ps_publish = NULL;
	cache_shared_clear(&ps->ps_pending);
}

/* Tells the cluster which sources p polls, and indexes them by name. */
int
poller_cluster_sources(struct poller *p)
{
	const char **names;
	struct lh_table *t;
	size_t i;
	int rc = -1;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	names = calloc(p->p_nsources ? p->p_nsources : 1, sizeof *names);
	t = lh_kchar_table_new(
	    p->p_nsources > 16 ? (int)p->p_nsources * 2 : 32, NULL);
	if (names == NULL || t == NULL)
		goto done;
	for (i = 0; i < p->p_nsources; i++) {
		names[i] = p->p_sources[i]->ps_src->src_name;
		if (lh_table_insert(t, names[i], p->p_sources[i]) != 0)
			goto done;
	}
	if (cluster_set_sources(p->p_cluster, names, p->p_nsources) == -1)
		goto done;
	if (p->p_by_name != NULL)
		lh_table_free(p->p_by_name);
	p->p_by_name = t;
	t = NULL;
	rc = 0;
done:
	if (t != NULL)
		lh_table_free(t);
	free(names);
	return rc;
}

/* Polls in cluster mode through cl from now on; 0 or -1. */
int
poller_set_cluster(struct poller *p, struct cluster *cl)
{
	p->p_cluster = cl;
	return poller_cluster_sources(p);
}

/* Returns the record of the source called name, or NULL. */
static struct poll_source *
poller_cluster_find(struct poller *p, const char *name)
{
	void *ps;

	if (p->p_by_name == NULL || name == NULL ||
	    !lh_table_lookup_ex(p->p_by_name, name, &ps))
		return NULL;
	return ps;
}

/* Applies a source's state from Redis if newer than the one held. */
void
poller_cluster_apply_cb(const struct cluster_update *u, void *arg)
{
	struct poll_source *ps = poller_cluster_find(arg, u->cu_name);
	struct cache_entry *e;
	struct cache_shared s;
	const char *why;
	int64_t wait;
	size_t i;
	int add;

	if (ps == NULL || u->cu_version <= ps->ps_entry->ce_version)
		return;
	e = ps->ps_entry;
	if ((why = cluster_doc_decode(u->cu_doc, u->cu_doc_len, &s)) != NULL) {
		log_warnx("source %s: the state in redis is unusable: %s",
		    ps->ps_src->src_name, why);
		return;
	}
	s.cs_version = u->cu_version;
	/* Another replica polled it: a lease we held has run out. */
	ps->ps_lease = 0;
	if (u->cu_snapshot) {
		cache_clear_history(e);
		for (i = 0; i < u->cu_npoints; i++)
			if (cluster_doc_add_point(e, u->cu_stats,
			        u->cu_points[i], u->cu_point_lens[i]) == -1)
				log_debug("source %s: a history point in "
				          "redis is unusable",
				    ps->ps_src->src_name);
		add = 0;
	} else
		add = s.cs_last_ok && s.cs_updated_at > e->ce_updated_at;
	poller_apply(ps, &s, add);
	/* Waits for the next claim, unless a poll of its own is under way. */
	if (u->cu_next_ms < 0 || ps->ps_in_flight || ps->ps_decided ||
	    ps->ps_claim != NULL || ps->ps_commit != NULL)
		return;
	wait = u->cu_next_ms - (u->cu_lag_ms > 0 ? u->cu_lag_ms : 0);
	poller_cluster_arm(ps, wait, 1);
}

/* One stat's history, copied for a publish. */
struct poller_cluster_ring {
	struct history_point *pr_points;
	size_t pr_n;
};

/* history_each callback: copies a point. */
static void
poller_cluster_copy_cb(const struct history_point *pt, void *arg)
{
	struct poller_cluster_ring *r = arg;

	r->pr_points[r->pr_n++] = *pt;
}

/* Returns e's history as point lines ("ms v1 v2 ..."), oldest first, in
 * *n lines; NULL with *n 0 if there is none (or no memory). */
static char **
poller_cluster_points(const struct cache_entry *e, size_t *n)
{
	const struct config_source *src = e->ce_src;
	struct poller_cluster_ring *rings;
	char **lines = NULL;
	size_t i, j, len = SIZE_MAX, at, size;
	int w;

	*n = 0;
	if (src->src_nstats == 0 ||
	    (rings = calloc(src->src_nstats, sizeof *rings)) == NULL)
		return NULL;
	for (i = 0; i < src->src_nstats; i++) {
		rings[i].pr_points = calloc(history_len(e->ce_history[i]) + 1,
		    sizeof *rings[i].pr_points);
		if (rings[i].pr_points == NULL)
			goto done;
		history_each(
		    e->ce_history[i], 0, poller_cluster_copy_cb, &rings[i]);
		if (rings[i].pr_n < len)
			len = rings[i].pr_n;
	}
	if (len == 0 || (lines = calloc(len, sizeof *lines)) == NULL)
		goto done;
	size = 24 + src->src_nstats * 26;
	/* The rings may differ in length: line up their newest points. */
	for (j = 0; j < len; j++) {
		if ((lines[j] = malloc(size)) == NULL)
			break;
		at = (size_t)snprintf(lines[j], size, "%lld",
		    (long long)rings[0]
		        .pr_points[rings[0].pr_n - len + j]
		        .hp_ms);
		for (i = 0; i < src->src_nstats; i++) {
			w = snprintf(lines[j] + at, size - at, " %.17g",
			    rings[i]
			        .pr_points[rings[i].pr_n - len + j]
			        .hp_value);
			at += w > 0 ? (size_t)w : 0;
		}
	}
	*n = j;
done:
	for (i = 0; i < src->src_nstats; i++)
		free(rings[i].pr_points);
	free(rings);
	return lines;
}

/* The publish's answer: the version Redis gave what we hold. */
static void
poller_cluster_published_cb(const struct cluster_answer *a, void *arg)
{
	struct poll_source *ps = arg;

	ps->ps_publish = NULL;
	if (a->ca_res == CLUSTER_WON && a->ca_n > ps->ps_entry->ce_version)
		ps->ps_entry->ce_version = a->ca_n;
}

/* Offers Redis the state of ps's source held here. */
static void
poller_cluster_publish(struct poll_source *ps)
{
	struct cluster *cl = ps->ps_poller->p_cluster;
	const struct cache_entry *e = ps->ps_entry;
	char *doc = NULL, *stats = NULL, **points;
	struct cluster_commit cc;
	struct cache_shared s;
	size_t i, n;

	if ((e->ce_values == NULL && !e->ce_has_error) ||
	    ps->ps_publish != NULL || ps->ps_commit != NULL ||
	    cache_shared_get(&s, e, &ps->ps_backoff) == -1)
		return;
	points = poller_cluster_points(e, &n);
	memset(&cc, 0, sizeof cc);
	if ((doc = cluster_doc_encode(&s, &cc.cc_doc_len)) != NULL &&
	    (stats = cluster_doc_stat_names(ps->ps_src)) != NULL) {
		cc.cc_name = ps->ps_src->src_name;
		cc.cc_doc = doc;
		cc.cc_attempt_at = e->ce_last_attempt_at;
		cc.cc_stats = stats;
		cc.cc_history = ps->ps_src->src_history;
		ps->ps_publish =
		    cluster_publish(cl, &cc, (const char *const *)points, n,
		        poller_cluster_published_cb, ps);
	}
	for (i = 0; i < n; i++)
		free(points[i]);
	free(points);
	free(doc);
	free(stats);
	cache_shared_clear(&s);
}

/* Offers Redis the state of every source held here. */
void
poller_cluster_publish_cb(int reset, void *arg)
{
	struct poller *p = arg;
	size_t i;

	for (i = 0; i < p->p_nsources; i++) {
		/* Redis numbers from 1 again: what it sends is newer. */
		if (reset)
			p->p_sources[i]->ps_entry->ce_version = 0;
		poller_cluster_publish(p->p_sources[i]);
	}
}

/* Starts polling once the first snapshot is in (or not in time). */
void
poller_cluster_ready_cb(int ok, void *arg)
{
	if (poller_start(arg, 0) == -1)
		log_warnx("cluster: cannot start polling");
}
