/*
 * Tests of cluster mode's protocol (lib/cluster*.c) in process against a
 * real redis-server: a claim's fence, a second claim of the same slot
 * refused, the commit that the fence guards (a late one refused after
 * another replica claimed the next slot), a failure's retry delay kept
 * in Redis, the change stream delivering commits in order to every
 * replica, a joining replica's snapshot with the history, publishing
 * that keeps the newer state, and claims refused at once while Redis is
 * gone.  Several replicas share one loop; every wait is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "cluster.h"
#include "log.h"
#include "redis_server.h"
#include "runner.h"

#define WAIT_MS 20000
#define UPDATES_MAX 64

/* What one replica's callbacks saw. */
struct seen {
	int s_ready; /* 1 in sync, -1 gave up */
	int s_updates;
	char s_name[UPDATES_MAX][32];
	uint64_t s_version[UPDATES_MAX];
	char s_doc[UPDATES_MAX][64];
	int s_snapshot[UPDATES_MAX];
	size_t s_points[UPDATES_MAX];
	char s_stats[64];
	char s_last_point[64];
	int s_publishes;
	int s_resets;
};

/* One operation's result. */
struct done {
	int d_calls;
	enum cluster_result d_res;
	uint64_t d_n;
	int64_t d_wait;
	uint64_t d_lease;
};

static void
apply_cb(const struct cluster_update *u, void *arg)
{
	struct seen *s = arg;
	int i = s->s_updates;

	ck_assert_int_lt(i, UPDATES_MAX);
	snprintf(s->s_name[i], sizeof s->s_name[i], "%s", u->cu_name);
	s->s_version[i] = u->cu_version;
	snprintf(s->s_doc[i], sizeof s->s_doc[i], "%.*s", (int)u->cu_doc_len,
	    u->cu_doc);
	s->s_snapshot[i] = u->cu_snapshot;
	s->s_points[i] = u->cu_npoints;
	if (u->cu_snapshot) {
		snprintf(s->s_stats, sizeof s->s_stats, "%s", u->cu_stats);
		if (u->cu_npoints > 0)
			snprintf(s->s_last_point, sizeof s->s_last_point,
			    "%.*s", (int)u->cu_point_lens[u->cu_npoints - 1],
			    u->cu_points[u->cu_npoints - 1]);
	}
	s->s_updates++;
}

static void
publish_cb(int reset, void *arg)
{
	struct seen *s = arg;

	s->s_publishes++;
	s->s_resets += reset;
}

static void
ready_cb(int ok, void *arg)
{
	((struct seen *)arg)->s_ready = ok ? 1 : -1;
}

static void
done_cb(const struct cluster_answer *a, void *arg)
{
	struct done *d = arg;

	d->d_calls++;
	d->d_res = a->ca_res;
	d->d_n = a->ca_n;
	d->d_wait = a->ca_wait_ms;
	d->d_lease = a->ca_lease;
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

/* Runs the loop until *value >= want or ms pass; 1 if reached. */
static int
run_until(struct event_base *base, const int *value, int want, int ms)
{
	struct timeval tv = {ms / 1000, ms % 1000 * 1000};
	struct event *ev;
	int expired = 0;

	ev = evtimer_new(base, deadline_cb, &expired);
	ck_assert_ptr_nonnull(ev);
	evtimer_add(ev, &tv);
	while (*value < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *value >= want;
}

/* Runs the loop for ms. */
static void
run_for(struct event_base *base, int ms)
{
	int never = 0;

	(void)run_until(base, &never, 1, ms);
}

/* Commits doc for name with fence and waits for the answer; lease
 * leases the next poll (commit_keep) or lets it go. */
static struct done commit_lease(struct event_base *base, struct cluster *cl,
    const char *name, uint64_t fence, const char *doc, int64_t retry,
    uint64_t interval, int lease);

/* Commits doc for name with fence, leasing the next poll. */
static struct done
commit_every(struct event_base *base, struct cluster *cl, const char *name,
    uint64_t fence, const char *doc, const char *point, int64_t retry,
    uint64_t interval)
{
	struct cluster_commit cc = {
	    .cc_name = name,
	    .cc_fence = fence,
	    .cc_doc = doc,
	    .cc_doc_len = strlen(doc),
	    .cc_attempt_at = 1000 + (int64_t)fence,
	    .cc_point = point,
	    .cc_stats = "total",
	    .cc_history = 3,
	    .cc_retry_ms = retry,
	    .cc_interval_ms = interval,
	    .cc_lifetime_ms = 5000,
	    .cc_lease = 1,
	};
	struct done d = {0};

	ck_assert_ptr_nonnull(cluster_commit(cl, &cc, done_cb, &d));
	ck_assert(run_until(base, &d.d_calls, 1, WAIT_MS));
	return d;
}

/* Commits doc for name with fence, leasing the next poll or not. */
static struct done
commit_lease(struct event_base *base, struct cluster *cl, const char *name,
    uint64_t fence, const char *doc, int64_t retry, uint64_t interval,
    int lease)
{
	struct cluster_commit cc = {
	    .cc_name = name,
	    .cc_fence = fence,
	    .cc_doc = doc,
	    .cc_doc_len = strlen(doc),
	    .cc_attempt_at = 1000 + (int64_t)fence,
	    .cc_point = "",
	    .cc_stats = "total",
	    .cc_history = 3,
	    .cc_retry_ms = retry,
	    .cc_interval_ms = interval,
	    .cc_lifetime_ms = 5000,
	    .cc_lease = lease,
	};
	struct done d = {0};

	ck_assert_ptr_nonnull(cluster_commit(cl, &cc, done_cb, &d));
	ck_assert(run_until(base, &d.d_calls, 1, WAIT_MS));
	return d;
}

/* Starts replica name on rs, in sync, for sources a, b. */
static struct cluster *
replica(struct event_base *base, struct redis_server *rs, const char *name,
    struct seen *s)
{
	static const char *const sources[] = {"a", "b"};
	struct cluster_params p = {
	    .cp_target = rs->rs_target,
	    .cp_name = name,
	    .cp_prefix = "t",
	    .cp_ready_ms = 10000,
	    .cp_apply = apply_cb,
	    .cp_publish = publish_cb,
	    .cp_ready = ready_cb,
	    .cp_arg = s,
	};
	struct cluster *cl;

	memset(s, 0, sizeof *s);
	ck_assert_ptr_nonnull(cl = cluster_new(base, &p));
	ck_assert_int_eq(cluster_set_sources(cl, sources, 2), 0);
	ck_assert(run_until(base, &s->s_ready, 1, WAIT_MS));
	ck_assert(cluster_is_up(cl));
	return cl;
}

/* Claims source name and waits for the answer. */
static struct done
claim(struct event_base *base, struct cluster *cl, const char *name,
    uint64_t interval, uint64_t lifetime)
{
	struct done d = {0};

	ck_assert_ptr_nonnull(
	    cluster_claim(cl, name, interval, 0, lifetime, done_cb, &d));
	ck_assert(run_until(base, &d.d_calls, 1, WAIT_MS));
	return d;
}

/* Commits doc for name (interval 60 s) with fence; waits for it. */
static struct done
commit(struct event_base *base, struct cluster *cl, const char *name,
    uint64_t fence, const char *doc, const char *point, int64_t retry)
{
	return commit_every(base, cl, name, fence, doc, point, retry, 60000);
}

/* A claim, a second claim refused, a commit, the stream, a snapshot. */
START_TEST(test_claim_commit_stream)
{
	struct event_base *base = event_base_new();
	struct redis_server rs;
	struct cluster *one, *two, *three;
	struct seen s1, s2, s3;
	uint64_t fence;
	struct done d;
	int i;

	redis_server_start(&rs, NULL);
	one = replica(base, &rs, "one", &s1);
	two = replica(base, &rs, "two", &s2);
	d = claim(base, one, "a", 60000, 5000);
	ck_assert_int_eq(d.d_res, CLUSTER_WON);
	ck_assert_uint_eq(d.d_n, 1);
	fence = d.d_n;
	/* Held: the other waits for the claim's lifetime at most. */
	d = claim(base, two, "a", 60000, 5000);
	ck_assert_int_eq(d.d_res, CLUSTER_LOST);
	ck_assert(d.d_wait > 0 && d.d_wait <= 5000);
	/* Four polls, each on the lease the one before left: the history
	 * keeps the last three points. */
	for (i = 0; i < 4; i++) {
		char point[32];

		snprintf(point, sizeof point, "%d %d", 1000 + i, i);
		d = commit(base, one, "a", fence, "{\"x\":1}", point, -1);
		ck_assert_int_eq(d.d_res, CLUSTER_WON);
		ck_assert_uint_eq(d.d_n, (uint64_t)i + 1);
		/* The slot after the one leased: they come faster here than
		 * slots do, so the i-th is i intervals on. */
		ck_assert(d.d_wait > 0 && d.d_wait <= (i + 1) * 60100);
		ck_assert_uint_eq(d.d_lease, fence + 1);
		fence = d.d_lease;
	}
	/* The next poll is leased to one: no claim for the others until
	 * the lease runs out, the slot and the claim's lifetime on. */
	d = claim(base, two, "a", 60000, 5000);
	ck_assert_int_eq(d.d_res, CLUSTER_LOST);
	ck_assert(d.d_wait > 5000 && d.d_wait <= 4 * 60100 + 5000);
	/* A stale fence (the one before the lease) is refused. */
	ck_assert_int_eq(
	    commit(base, one, "a", fence - 1, "{\"x\":2}", "", -1).d_res,
	    CLUSTER_FENCED);
	/* Both replicas saw the four commits, in order. */
	ck_assert(run_until(base, &s1.s_updates, 4, WAIT_MS));
	ck_assert(run_until(base, &s2.s_updates, 4, WAIT_MS));
	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(s2.s_name[i], "a");
		ck_assert_uint_eq(s2.s_version[i], (uint64_t)i + 1);
		ck_assert_str_eq(s2.s_doc[i], "{\"x\":1}");
		ck_assert_int_eq(s2.s_snapshot[i], 0);
	}
	/* A replica joining: a snapshot of a, with its last three points. */
	three = replica(base, &rs, "three", &s3);
	ck_assert_int_eq(s3.s_updates, 1);
	ck_assert_str_eq(s3.s_name[0], "a");
	ck_assert_uint_eq(s3.s_version[0], 4);
	ck_assert_int_eq(s3.s_snapshot[0], 1);
	ck_assert_uint_eq(s3.s_points[0], 3);
	ck_assert_str_eq(s3.s_stats, "total");
	ck_assert_str_eq(s3.s_last_point, "1003 3");
	/* The heartbeats list every replica. */
	run_for(base, 1500);
	{
		size_t n;

		(void)cluster_replicas(three, &n, NULL);
		ck_assert_uint_eq(n, 3);
	}
	cluster_free(three);
	cluster_free(two);
	cluster_free(one);
	redis_server_free(&rs);
	event_base_free(base);
}
END_TEST

/* A late commit is refused once another replica claimed a later slot;
 * a failure's retry delay holds every claim off until it is due. */
START_TEST(test_fence_and_retry)
{
	struct event_base *base = event_base_new();
	struct redis_server rs;
	struct cluster *one, *two;
	struct seen s1, s2;
	struct done d, late;

	redis_server_start(&rs, NULL);
	one = replica(base, &rs, "one", &s1);
	two = replica(base, &rs, "two", &s2);
	/* one claims b for 100 ms, and its poll outlives the claim: two
	 * claims the same slot once the claim ran out (one froze, say). */
	late = claim(base, one, "b", 300, 100);
	ck_assert_int_eq(late.d_res, CLUSTER_WON);
	do {
		d = claim(base, two, "b", 300, 5000);
		if (d.d_res == CLUSTER_LOST)
			run_for(base, (int)d.d_wait);
	} while (d.d_res != CLUSTER_WON);
	ck_assert_uint_gt(d.d_n, late.d_n);
	ck_assert_int_eq(
	    commit_every(base, one, "b", late.d_n, "{\"old\":1}", "", -1, 300)
	        .d_res,
	    CLUSTER_FENCED);
	ck_assert_uint_eq(cluster_stats(one)->cs_fenced, 1);
	/* two's commit lands: a failure, retry in 2 s, leased to two. */
	d = commit_every(base, two, "b", d.d_n, "{\"new\":1}", "", 2000, 300);
	ck_assert_int_eq(d.d_res, CLUSTER_WON);
	ck_assert_int_eq(d.d_wait, 2000);
	/* Slots come and go; one may not claim before the lease runs out. */
	run_for(base, 400);
	late = claim(base, one, "b", 300, 5000);
	ck_assert_int_eq(late.d_res, CLUSTER_LOST);
	ck_assert(late.d_wait > 1600 && late.d_wait <= 2000 + 5000);
	/* two retries on its lease, and succeeds: the next slot is its. */
	d = commit_every(base, two, "b", d.d_lease, "{\"ok\":1}", "", -1, 300);
	ck_assert_int_eq(d.d_res, CLUSTER_WON);
	ck_assert(d.d_wait > 0 && d.d_wait <= 300);
	/* two commits its next poll without a lease (one comes first for
	 * b now): one claims the slot after it. */
	run_for(base, (int)d.d_wait);
	d = commit_lease(base, two, "b", d.d_lease, "{\"ok\":2}", -1, 300, 0);
	ck_assert_int_eq(d.d_res, CLUSTER_WON);
	ck_assert_uint_eq(d.d_lease, 0);
	run_for(base, (int)d.d_wait);
	do {
		late = claim(base, one, "b", 300, 5000);
		if (late.d_res == CLUSTER_LOST)
			run_for(base, (int)late.d_wait);
	} while (late.d_res != CLUSTER_WON);
	ck_assert_int_eq(
	    commit_lease(base, one, "b", late.d_n, "{\"one\":1}", -1, 300, 1)
	        .d_res,
	    CLUSTER_WON);
	cluster_free(two);
	cluster_free(one);
	redis_server_free(&rs);
	event_base_free(base);
}
END_TEST

/* Publishing keeps the newer attempt; Redis gone: claims are refused at
 * once (poll alone); Redis back empty: a reset, and a publish. */
START_TEST(test_publish_and_redis_lost)
{
	struct event_base *base = event_base_new();
	struct redis_server rs;
	struct cluster_commit cc = {
	    .cc_name = "a",
	    .cc_doc = "{\"p\":1}",
	    .cc_doc_len = 7,
	    .cc_stats = "total",
	    .cc_history = 10,
	};
	const char *const points[] = {"1 1", "2 2"};
	struct cluster *one;
	struct seen s1;
	struct done d = {0};

	redis_server_start(&rs, NULL);
	one = replica(base, &rs, "one", &s1);
	cc.cc_attempt_at = 5000;
	ck_assert_ptr_nonnull(
	    cluster_publish(one, &cc, points, 2, done_cb, &d));
	ck_assert(run_until(base, &d.d_calls, 1, WAIT_MS));
	ck_assert_int_eq(d.d_res, CLUSTER_WON);
	ck_assert_uint_eq(d.d_n, 1);
	/* An older attempt is not stored. */
	memset(&d, 0, sizeof d);
	cc.cc_attempt_at = 4000;
	ck_assert_ptr_nonnull(cluster_publish(one, &cc, NULL, 0, done_cb, &d));
	ck_assert(run_until(base, &d.d_calls, 1, WAIT_MS));
	ck_assert_int_eq(d.d_res, CLUSTER_LOST);
	/* The stream brought the one stored, with the points in Redis. */
	ck_assert(run_until(base, &s1.s_updates, 1, WAIT_MS));
	ck_assert_str_eq(s1.s_doc[0], "{\"p\":1}");
	redis_server_kill(&rs);
	while (cluster_redis_up(one))
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert(!cluster_is_up(one));
	ck_assert_ptr_null(cluster_claim(one, "a", 1000, 0, 1000, done_cb, &d));
	redis_server_restart(&rs);
	ck_assert(run_until(base, &s1.s_resets, 1, WAIT_MS));
	ck_assert(cluster_is_up(one));
	cluster_free(one);
	redis_server_free(&rs);
	event_base_free(base);
}
END_TEST

static Suite *
cluster_redis_suite(void)
{
	Suite *s = suite_create("cluster_redis");
	TCase *tc = tcase_create("protocol");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_claim_commit_stream);
	tcase_add_test(tc, test_fence_and_retry);
	tcase_add_test(tc, test_publish_and_redis_lost);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite (skipped without redis-server); 0 if all passed. */
int
main(void)
{
	if (!redis_server_found()) {
		fprintf(
		    stderr, "check_cluster_redis: no redis-server, skipped\n");
		return 77;
	}
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(cluster_redis_suite()) == 0 ? 0 : 1;
}
