/*
 * Tests of cluster mode with real processes: a redis-server on a unix
 * socket, two or three gatherd replicas, and the fake upstream (in this
 * process) counting requests per source.  They check one poll per
 * interval between the replicas, the same documents everywhere, a
 * joining replica served from the snapshot, and each failure of the
 * issue: a replica killed between polls and in the middle of one, a
 * replica frozen past its claim (the fence), Redis killed and restarted
 * empty, the stream connection dropped (and trimmed), and a failing
 * upstream backed off cluster-wide.  Waits are bounded and derived from
 * the configured intervals; no count assumes a fast machine.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <json-c/json.h>

#include "client.h"
#include "fake_upstream.h"
#include "harness.h"
#include "redis_server.h"
#include "replica.h"
#include "runner.h"

#define REPLICAS_MAX 3
/* The fake upstream's port, in fx_sources's arguments. */
#define P fake_upstream_port(f.f_fu)
/* A bound on waits for what should take an interval or two. */
#define WAIT_MS 20000

/* What every test starts: Redis, the fake upstream, the replicas. */
struct fx {
	struct redis_server f_redis;
	struct fake_upstream *f_fu;
	struct replica f_r[REPLICAS_MAX];
	int f_n;
	char f_sources[4096];
};

/* Sleeps ms. */
static void
nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Starts Redis and the fake upstream. */
static void
fx_begin(struct fx *f)
{
	memset(f, 0, sizeof *f);
	redis_server_start(&f->f_redis, NULL);
	ck_assert_ptr_nonnull(f->f_fu = fake_upstream_start(0));
}

/* Sets the [source] sections every replica gets, printf-style. */
static void __attribute__((format(printf, 2, 3)))
fx_sources(struct fx *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->f_sources, sizeof f->f_sources, fmt, ap);
	va_end(ap);
}

/* Starts replica i, named "web-<i+1>". */
static void
fx_replica(struct fx *f, int i)
{
	char name[16];

	snprintf(name, sizeof name, "web-%d", i + 1);
	replica_start(&f->f_r[i], name, f->f_redis.rs_target, f->f_sources);
	if (i + 1 > f->f_n)
		f->f_n = i + 1;
}

/* Stops the running replicas cleanly (no leak), then the rest. */
static void
fx_end(struct fx *f)
{
	int i;

	for (i = 0; i < f->f_n; i++) {
		if (f->f_r[i].r_proc.p_pid > 0)
			replica_stop(&f->f_r[i]);
		replica_free(&f->f_r[i]);
	}
	fake_upstream_stop(f->f_fu);
	redis_server_free(&f->f_redis);
}

/* Returns member ptr (JSON Pointer) of source name in r's /api/v1/sources
 * as a string (owned), or NULL if null. */
static char *
source_field(struct replica *r, const char *name, const char *field)
{
	struct json_object *doc = replica_get(r, "/api/v1/sources"), *list, *s,
	                   *v;
	char *out = NULL;
	size_t i;

	list = json_object_object_get(doc, "sources");
	for (i = 0; i < json_object_array_length(list); i++) {
		s = json_object_array_get_idx(list, i);
		if (strcmp(json_object_get_string(
		               json_object_object_get(s, "name")),
		        name) != 0)
			continue;
		v = json_object_object_get(s, field);
		if (v != NULL)
			out = strdup(json_object_get_string(v));
	}
	json_object_put(doc);
	return out;
}

/* Returns source name's integer field in r's /api/v1/sources. */
static long long
source_count(struct replica *r, const char *name, const char *field)
{
	char *v = source_field(r, name, field);
	long long n;

	ck_assert_ptr_nonnull(v);
	n = atoll(v);
	free(v);
	return n;
}

/* Returns source name's /api/v1/stats/NAME document on r. */
static struct json_object *
source_stats(struct replica *r, const char *name)
{
	char path[128];

	snprintf(path, sizeof path, "/api/v1/stats/%s", name);
	return replica_get(r, path);
}

/* Returns source name's value of stat total on r, or -1 if none. */
static long long
source_total(struct replica *r, const char *name)
{
	struct json_object *doc = source_stats(r, name), *v;
	long long n = -1;

	if (json_object_object_get_ex(
	        json_object_object_get(doc, "values"), "total", &v))
		n = json_object_get_int64(v);
	json_object_put(doc);
	return n;
}

/* Returns source name's status on r ("ok"). */
static int
source_status_is(struct replica *r, const char *name, const char *status)
{
	struct json_object *doc = source_stats(r, name);
	int yes = strcmp(json_object_get_string(
	                     json_object_object_get(doc, "status")),
	              status) == 0;

	json_object_put(doc);
	return yes;
}

/* Waits until every running replica serves source name as ok. */
static void
wait_ok(struct fx *f, const char *name)
{
	int i, waited;

	for (i = 0; i < f->f_n; i++) {
		if (f->f_r[i].r_proc.p_pid <= 0)
			continue;
		for (waited = 0; !source_status_is(&f->f_r[i], name, "ok");
		     waited += 50) {
			ck_assert_msg(waited < WAIT_MS, "%s: %s never ok",
			    f->f_r[i].r_name, name);
			nap(50);
		}
	}
}

/* Returns the replica whose name is name. */
static struct replica *
replica_named(struct fx *f, const char *name)
{
	int i;

	for (i = 0; i < f->f_n; i++) {
		if (strcmp(f->f_r[i].r_name, name) == 0)
			return &f->f_r[i];
	}
	ck_abort_msg("no replica called %s", name);
	return NULL;
}

/* Returns a running replica other than not. */
static struct replica *
replica_other(struct fx *f, const struct replica * not )
{
	int i;

	for (i = 0; i < f->f_n; i++) {
		if (&f->f_r[i] != not &&f->f_r[i].r_proc.p_pid > 0)
			return &f->f_r[i];
	}
	ck_abort_msg("no other replica");
	return NULL;
}

/* Returns 1 if the value of key member "m" of every running replica's
 * stats of every source agree (status, updated_at, values, error). */
static int
replicas_agree(struct fx *f)
{
	static const char *const keys[] = {
	    "status", "updated_at", "values", "error"};
	struct json_object *doc[REPLICAS_MAX] = {NULL}, *a, *b;
	int i, ok = 1, first = -1;
	size_t k;

	for (i = 0; i < f->f_n; i++) {
		if (f->f_r[i].r_proc.p_pid > 0)
			doc[i] = replica_get(&f->f_r[i], "/api/v1/stats");
		if (doc[i] != NULL && first == -1)
			first = i;
	}
	for (i = first + 1; i < f->f_n && ok; i++) {
		if (doc[i] == NULL)
			continue;
		json_object_object_foreach(
		    json_object_object_get(doc[first], "sources"), name, sa)
		{
			a = sa;
			b = json_object_object_get(
			    json_object_object_get(doc[i], "sources"), name);
			for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
				if (!json_object_equal(
				        json_object_object_get(a, keys[k]),
				        json_object_object_get(b, keys[k])))
					ok = 0;
			}
		}
	}
	for (i = 0; i < f->f_n; i++)
		json_object_put(doc[i]);
	return ok;
}

/* Waits until the replicas serve the same documents (bounded). */
static void
wait_agree(struct fx *f)
{
	int tries;

	for (tries = 0; !replicas_agree(f); tries++) {
		ck_assert_msg(tries < 200, "the replicas never agree");
		nap(20);
	}
}

/* Counts the requests of series name over about window_ms; *elapsed_ms
 * gets the window as measured. */
static unsigned long
count_over(struct fx *f, const char *name, int window_ms, long long *elapsed)
{
	unsigned long c0 = fake_upstream_series_requests(f->f_fu, name);
	long long t0 = now_ms();

	nap(window_ms);
	*elapsed = now_ms() - t0;
	return fake_upstream_series_requests(f->f_fu, name) - c0;
}

#define FAST_SOURCES                                                           \
	"[source s0]\n"                                                        \
	"url = http://127.0.0.1:%u/stats?name=s0\n"                            \
	"interval = 1s\n"                                                      \
	"timeout = 2s\n"                                                       \
	"stat total = /data/total\n"                                           \
	"[source s1]\n"                                                        \
	"url = http://127.0.0.1:%u/stats?name=s1\n"                            \
	"interval = 1s\n"                                                      \
	"timeout = 2s\n"                                                       \
	"stat total = /data/total\n"                                           \
	"stat active = /data/active\n"                                         \
	"[source s2]\n"                                                        \
	"url = http://127.0.0.1:%u/stats?name=s2\n"                            \
	"interval = 2s\n"                                                      \
	"timeout = 2s\n"                                                       \
	"stat total = /data/total\n"                                           \
	"[source s3]\n"                                                        \
	"url = http://127.0.0.1:%u/stats?name=s3\n"                            \
	"interval = 1s\n"                                                      \
	"timeout = 2s\n"                                                       \
	"stat total = /data/total\n"

/*
 * Three replicas poll each source about once per interval between them,
 * not once each, serve the same documents and list each other.
 */
START_TEST(test_one_poll_per_interval)
{
	static const struct {
		const char *name;
		int interval_ms;
	} srcs[] = {{"s0", 1000}, {"s1", 1000}, {"s2", 2000}, {"s3", 1000}};
	struct json_object *info;
	unsigned long n;
	long long elapsed;
	struct fx f;
	size_t k;
	int i;

	fx_begin(&f);
	fx_sources(&f, FAST_SOURCES, P, P, P, P);
	for (i = 0; i < 3; i++)
		fx_replica(&f, i);
	for (k = 0; k < 4; k++)
		wait_ok(&f, srcs[k].name);
	for (k = 0; k < 4; k++) {
		n = count_over(
		    &f, srcs[k].name, 3 * srcs[k].interval_ms, &elapsed);
		/* One per slot, and the slot under way: not three each. */
		ck_assert_msg(
		    n <= (unsigned long)(elapsed / srcs[k].interval_ms) + 1,
		    "%s: %lu requests in %lld ms at %d ms", srcs[k].name, n,
		    elapsed, srcs[k].interval_ms);
		ck_assert_msg(n >= 1, "%s: not polled", srcs[k].name);
		fprintf(stderr,
		    "check_cluster: %s: %lu requests in %lld ms at %d ms "
		    "(3 replicas)\n",
		    srcs[k].name, n, elapsed, srcs[k].interval_ms);
	}
	wait_agree(&f);
	for (i = 0; i < 3; i++) {
		info = replica_get(&f.f_r[i], "/api/v1/info");
		ck_assert_str_eq(harness_str(info, "/cluster/status"), "ok");
		ck_assert_int_eq(
		    json_object_array_length(json_object_object_get(
		        json_object_object_get(info, "cluster"), "replicas")),
		    3);
		ck_assert_int_eq(harness_int(info, "/cluster/fenced"), 0);
		json_object_put(info);
		ck_assert(replica_metric(&f.f_r[i], "gatherd_cluster_up") == 1);
	}
	fx_end(&f);
}
END_TEST

/* A replica that joins serves every value from the snapshot, before it
 * polls anything. */
START_TEST(test_join_from_snapshot)
{
	struct fx f;
	char *by;

	fx_begin(&f);
	fx_sources(&f,
	    "[source hourly]\n"
	    "url = http://127.0.0.1:%u/stats?name=hourly\n"
	    "interval = 1h\n"
	    "stat total = /data/total\n"
	    "stat active = /data/active\n",
	    P);
	fx_replica(&f, 0);
	fx_replica(&f, 1);
	wait_ok(&f, "hourly");
	ck_assert_uint_eq(fake_upstream_series_requests(f.f_fu, "hourly"), 1);
	fx_replica(&f, 2);
	wait_ok(&f, "hourly");
	/* Served, and not polled again: the hourly poll is far away. */
	ck_assert_uint_eq(fake_upstream_series_requests(f.f_fu, "hourly"), 1);
	by = source_field(&f.f_r[2], "hourly", "polled_by");
	ck_assert_ptr_nonnull(by);
	ck_assert(strcmp(by, "web-1") == 0 || strcmp(by, "web-2") == 0);
	free(by);
	wait_agree(&f);
	fx_end(&f);
}
END_TEST

/* Returns source name's history of stat total on r (owned). */
static struct json_object *
history_of(struct replica *r, const char *name)
{
	char path[160];
	struct json_object *doc, *points;

	snprintf(
	    path, sizeof path, "/api/v1/sources/%s/history?stat=total", name);
	doc = replica_get(r, path);
	points = json_object_get(json_object_object_get(doc, "points"));
	json_object_put(doc);
	return points;
}

/* Asserts every point of before is in after (no point lost). */
static void
assert_kept(struct json_object *before, struct json_object *after)
{
	size_t i, j, n = json_object_array_length(after);
	struct json_object *p;
	int found;

	for (i = 0; i < json_object_array_length(before); i++) {
		p = json_object_array_get_idx(before, i);
		found = 0;
		for (j = 0; j < n && !found; j++)
			found = json_object_equal(
			    p, json_object_array_get_idx(after, j));
		ck_assert_msg(found, "history point %s lost",
		    json_object_to_json_string(p));
	}
}

/* Waits until survivor shows source name polled by a replica other than
 * dead, after updated_at was; bounded by bound_ms. */
static void
wait_taken_over(struct replica *survivor, const char *name, const char *dead,
    const char *updated_at, int bound_ms)
{
	char *by = NULL, *at;
	long long t0 = now_ms();
	int waited, done = 0;

	for (waited = 0; !done; waited += 50) {
		ck_assert_msg(waited < bound_ms,
		    "%s: not taken over from %s within %d ms", name, dead,
		    bound_ms);
		nap(50);
		by = source_field(survivor, name, "polled_by");
		at = source_field(survivor, name, "updated_at");
		done = by != NULL && at != NULL && strcmp(by, dead) != 0 &&
		    strcmp(at, updated_at) > 0;
		if (done)
			fprintf(stderr,
			    "check_cluster: %s: polled by %s %lld ms after "
			    "%s stopped\n",
			    name, by, now_ms() - t0, dead);
		free(by);
		free(at);
	}
}

/* Returns the name of the replica holding source name's claim, or NULL
 * (owned). */
static char *
claimant(struct fx *f, const char *name)
{
	char args[128], *v, *sp;

	snprintf(args, sizeof args, "GET gatherd:c:%s", name);
	v = redis_server_cli(&f->f_redis, args);
	if (v[0] == '\0') {
		free(v);
		return NULL;
	}
	if ((sp = strchr(v, ' ')) != NULL)
		*sp = '\0';
	return v;
}

/* Waits until a replica holds source name's claim; its name (owned). */
static char *
wait_claimant(struct fx *f, const char *name)
{
	char *who;
	int waited;

	for (waited = 0; (who = claimant(f, name)) == NULL; waited += 10) {
		ck_assert_msg(waited < WAIT_MS, "%s: never claimed", name);
		nap(10);
	}
	return who;
}

/*
 * kill -9 of the replica that polls a source, between polls and in the
 * middle of a slow poll: the others poll it within one interval plus the
 * claim's lifetime, and no value or history point is lost.
 */
START_TEST(test_kill_replica)
{
	struct json_object *before, *after;
	struct replica *dead, *survivor;
	char *who, *at, deadname[32];
	long long polls0, polls1;
	struct fx f;
	int i;

	fx_begin(&f);
	fx_sources(&f,
	    "[source fast]\n"
	    "url = http://127.0.0.1:%u/stats?name=fast\n"
	    "interval = 1s\n"
	    "timeout = 2s\n"
	    "stat total = /data/total\n"
	    "[source slow]\n"
	    "url = http://127.0.0.1:%u/stats?name=slow&delay_ms=1500\n"
	    "interval = 2s\n"
	    "timeout = 3s\n"
	    "stat total = /data/total\n",
	    P, P);
	for (i = 0; i < 3; i++)
		fx_replica(&f, i);
	wait_ok(&f, "fast");
	wait_ok(&f, "slow");
	/* Between polls: the replica that polled fast last. */
	who = source_field(&f.f_r[0], "fast", "polled_by");
	ck_assert_ptr_nonnull(who);
	dead = replica_named(&f, who);
	snprintf(deadname, sizeof deadname, "%s", who);
	free(who);
	survivor = replica_other(&f, dead);
	wait_agree(&f);
	before = history_of(survivor, "fast");
	at = source_field(survivor, "fast", "updated_at");
	polls0 = source_count(survivor, "fast", "polls_total");
	replica_signal(dead, SIGKILL);
	/* Interval 1 s, claim lifetime 2 s + 1 s: bounded with room. */
	wait_taken_over(survivor, "fast", deadname, at, 3 * (1000 + 3000));
	free(at);
	after = history_of(survivor, "fast");
	assert_kept(before, after);
	polls1 = source_count(survivor, "fast", "polls_total");
	ck_assert_int_gt(polls1, polls0);
	json_object_put(before);
	json_object_put(after);

	/* In the middle of a poll: whoever holds slow's claim now (not the
	 * replica killed above, whose claim may still run out). */
	for (;;) {
		who = wait_claimant(&f, "slow");
		if (replica_named(&f, who)->r_proc.p_pid > 0)
			break;
		free(who);
		nap(50);
	}
	dead = replica_named(&f, who);
	snprintf(deadname, sizeof deadname, "%s", who);
	free(who);
	survivor = replica_other(&f, dead);
	at = source_field(survivor, "slow", "updated_at");
	before = history_of(survivor, "slow");
	replica_signal(dead, SIGKILL);
	/* Interval 2 s, lifetime 3 s + 1 s, a poll of 1.5 s. */
	wait_taken_over(
	    survivor, "slow", deadname, at, 3 * (2000 + 4000 + 1500));
	free(at);
	after = history_of(survivor, "slow");
	assert_kept(before, after);
	json_object_put(before);
	json_object_put(after);
	wait_agree(&f);
	fx_end(&f);
}
END_TEST

/*
 * A replica frozen (SIGSTOP) in the middle of a poll, past its claim:
 * another polls, and when the frozen one resumes its late result is
 * refused by the fence, counted, and overwrites nothing.
 */
START_TEST(test_freeze_fence)
{
	struct replica *frozen, *other;
	long long newest;
	char *who, *at;
	struct fx f;
	int waited;

	fx_begin(&f);
	fx_sources(&f,
	    "[source slow]\n"
	    "url = http://127.0.0.1:%u/stats?name=slow&delay_ms=800\n"
	    "interval = 1s\n"
	    "timeout = 2s\n"
	    "stat total = /data/total\n",
	    P);
	fx_replica(&f, 0);
	fx_replica(&f, 1);
	wait_ok(&f, "slow");
	who = wait_claimant(&f, "slow");
	frozen = replica_named(&f, who);
	free(who);
	other = replica_other(&f, frozen);
	at = source_field(other, "slow", "updated_at");
	replica_signal(frozen, SIGSTOP);
	/* Its claim lives 2 s + 1 s; then the other polls, twice. */
	wait_taken_over(other, "slow", frozen->r_name, at, 3 * 5000);
	free(at);
	at = source_field(other, "slow", "updated_at");
	wait_taken_over(other, "slow", frozen->r_name, at, 3 * 3000);
	free(at);
	newest = source_total(other, "slow");
	replica_signal(frozen, SIGCONT);
	for (waited = 0;
	     replica_metric(frozen,
	         "gatherd_cluster_commits_total{result=\"fenced\"}") < 1;
	     waited += 50) {
		ck_assert_msg(
		    waited < WAIT_MS, "no commit refused by the fence");
		nap(50);
	}
	/* Nothing older overwrote anything newer, here or there. */
	ck_assert_int_ge(source_total(other, "slow"), newest);
	wait_agree(&f);
	ck_assert_int_ge(source_total(frozen, "slow"), newest);
	fprintf(stderr,
	    "check_cluster: frozen %s: its late commit fenced %d ms after "
	    "SIGCONT; total %lld before, %lld after on both\n",
	    frozen->r_name, waited, newest, source_total(other, "slow"));
	fx_end(&f);
}
END_TEST

/* Returns 1 if r's /readyz says "cluster": want. */
static int
ready_cluster_is(struct replica *r, const char *want)
{
	struct json_object *doc = replica_get(r, "/readyz");
	int yes = strcmp(harness_str(doc, "/cluster"), want) == 0;

	json_object_put(doc);
	return yes;
}

/* Waits until every running replica's /readyz says "cluster": want. */
static void
wait_cluster(struct fx *f, const char *want)
{
	int i, waited;

	for (i = 0; i < f->f_n; i++) {
		for (waited = 0; !ready_cluster_is(&f->f_r[i], want);
		     waited += 50) {
			ck_assert_msg(waited < WAIT_MS, "%s: cluster never %s",
			    f->f_r[i].r_name, want);
			nap(50);
		}
	}
}

/*
 * Redis killed: every replica keeps serving and polls alone, /readyz
 * says degraded.  Redis restarted empty: the replicas come back,
 * publish what they hold, and one poll per interval resumes.
 */
START_TEST(test_redis_lost)
{
	unsigned long n0, n;
	long long elapsed, t0;
	struct fx f;
	char *v;
	int i, waited;

	fx_begin(&f);
	fx_sources(&f,
	    "[source a]\n"
	    "url = http://127.0.0.1:%u/stats?name=a\n"
	    "interval = 1s\n"
	    "timeout = 2s\n"
	    "stat total = /data/total\n",
	    P);
	fx_replica(&f, 0);
	fx_replica(&f, 1);
	wait_ok(&f, "a");
	wait_cluster(&f, "ok");
	t0 = now_ms();
	redis_server_kill(&f.f_redis);
	wait_cluster(&f, "degraded");
	fprintf(stderr,
	    "check_cluster: Redis killed: both replicas degraded after %lld "
	    "ms\n",
	    now_ms() - t0);
	n0 = fake_upstream_series_requests(f.f_fu, "a");
	for (i = 0; i < 2; i++) {
		/* Still served, and polled alone. */
		ck_assert(source_total(&f.f_r[i], "a") > 0);
		for (waited = 0; replica_metric(&f.f_r[i],
		                     "gatherd_cluster_polls_alone_total") < 1;
		     waited += 50) {
			ck_assert_msg(waited < WAIT_MS, "%s: no poll alone",
			    f.f_r[i].r_name);
			nap(50);
		}
		ck_assert(
		    replica_metric(&f.f_r[i], "gatherd_cluster_redis_up") == 0);
	}
	ck_assert_uint_gt(fake_upstream_series_requests(f.f_fu, "a"), n0);
	wait_ok(&f, "a");
	t0 = now_ms();
	redis_server_restart(&f.f_redis);
	wait_cluster(&f, "ok");
	fprintf(stderr,
	    "check_cluster: Redis back empty: both replicas ok after %lld "
	    "ms\n",
	    now_ms() - t0);
	/* What they held is back in Redis. */
	for (waited = 0;; waited += 50) {
		v = redis_server_cli(&f.f_redis, "HGET gatherd:s:a doc");
		if (v[0] != '\0')
			break;
		free(v);
		ck_assert_msg(waited < WAIT_MS, "nothing published");
		nap(50);
	}
	free(v);
	/* One poll per interval again, not one per replica. */
	nap(1500);
	n = count_over(&f, "a", 4000, &elapsed);
	ck_assert_msg(n <= (unsigned long)(elapsed / 1000) + 1,
	    "%lu requests in %lld ms", n, elapsed);
	fprintf(stderr,
	    "check_cluster: Redis back empty: %lu requests in %lld ms at "
	    "1 s (2 replicas)\n",
	    n, elapsed);
	wait_agree(&f);
	fx_end(&f);
}
END_TEST

/* Waits until r's metric name passes floor; its value. */
static double
wait_metric_above(struct replica *r, const char *name, double floor)
{
	double v;
	int waited;

	for (waited = 0; (v = replica_metric(r, name)) <= floor; waited += 50) {
		ck_assert_msg(
		    waited < WAIT_MS, "%s: %s stays at %g", r->r_name, name, v);
		nap(50);
	}
	return v;
}

/* Waits until series name has been asked n more times than now. */
static void
wait_requests(struct fx *f, const char *name, unsigned long n)
{
	unsigned long until = fake_upstream_series_requests(f->f_fu, name) + n;
	int waited;

	for (waited = 0; fake_upstream_series_requests(f->f_fu, name) < until;
	     waited += 50) {
		ck_assert_msg(waited < WAIT_MS, "%s: not polled", name);
		nap(50);
	}
}

/*
 * The stream connection dropped: a replica reads on from the last entry
 * it saw, without a snapshot; if the entries it missed were trimmed, it
 * loads a snapshot and catches up.
 */
START_TEST(test_stream_dropped)
{
	double snaps, applied;
	struct replica *a;
	struct fx f;
	char *v;

	fx_begin(&f);
	fx_sources(&f,
	    "[source a]\n"
	    "url = http://127.0.0.1:%u/stats?name=a\n"
	    "interval = 1s\n"
	    "timeout = 2s\n"
	    "stat total = /data/total\n",
	    P);
	fx_replica(&f, 0);
	fx_replica(&f, 1);
	wait_ok(&f, "a");
	wait_cluster(&f, "ok");
	a = &f.f_r[0];
	snaps = replica_metric(a, "gatherd_cluster_snapshots_total");
	ck_assert(snaps >= 1);
	/* Every client's connections dropped at once. */
	free(redis_server_cli(&f.f_redis, "CLIENT KILL TYPE normal"));
	applied = replica_metric(a, "gatherd_cluster_stream_entries_total");
	wait_requests(&f, "a", 2);
	(void)wait_metric_above(
	    a, "gatherd_cluster_stream_entries_total", applied);
	wait_agree(&f);
	ck_assert(
	    replica_metric(a, "gatherd_cluster_snapshots_total") == snaps);
	/* Dropped while frozen, and what it missed trimmed away. */
	replica_signal(a, SIGSTOP);
	free(redis_server_cli(&f.f_redis, "CLIENT KILL TYPE normal"));
	wait_requests(&f, "a", 2);
	v = redis_server_cli(&f.f_redis, "XTRIM gatherd:stream MAXLEN 0");
	free(v);
	wait_requests(&f, "a", 1);
	replica_signal(a, SIGCONT);
	fprintf(stderr,
	    "check_cluster: stream dropped: %s read on without a snapshot "
	    "(%g); trimmed: snapshot %g\n",
	    a->r_name, snaps,
	    wait_metric_above(a, "gatherd_cluster_snapshots_total", snaps));
	wait_agree(&f);
	fx_end(&f);
}
END_TEST

/*
 * A failing upstream backs off and opens its circuit cluster-wide:
 * three replicas ask it as often as one gatherd would, not three times.
 */
START_TEST(test_backoff_cluster_wide)
{
	struct fake_upstream *down;
	unsigned long n0;
	struct fx f;
	char *c;
	int i, waited;

	ck_assert_ptr_nonnull(down = fake_upstream_start(0));
	fx_begin(&f);
	/* The source asks the second upstream, counted on its own. */
	fx_sources(&f,
	    "[source down]\n"
	    "url = http://127.0.0.1:%u/status/503\n"
	    "interval = 1s\n"
	    "timeout = 2s\n"
	    "retry_base = 100ms\n"
	    "retry_max = 200ms\n"
	    "stat total = /data/total\n",
	    fake_upstream_port(down));
	for (i = 0; i < 3; i++)
		fx_replica(&f, i);
	/* Open after five failures in a row, counted in Redis. */
	for (i = 0; i < 3; i++) {
		for (waited = 0;; waited += 50) {
			c = source_field(&f.f_r[i], "down", "circuit");
			if (c != NULL && strstr(c, "\"open\"") != NULL) {
				free(c);
				break;
			}
			free(c);
			ck_assert_msg(waited < WAIT_MS, "circuit never open");
			nap(50);
		}
	}
	n0 = fake_upstream_requests(down);
	/* One gatherd: five failures, then a cool-down of 15 s or more. */
	ck_assert_msg(n0 <= 6, "%lu requests before the circuit opened", n0);
	nap(3000);
	ck_assert_uint_eq(fake_upstream_requests(down), n0);
	fprintf(stderr,
	    "check_cluster: failing upstream: %lu requests from 3 replicas "
	    "until the circuit opened, none in the 3 s after\n",
	    n0);
	fx_end(&f);
	fake_upstream_stop(down);
}
END_TEST

/* A reload whose [cluster] changed is refused; the replica goes on. */
START_TEST(test_reload_cluster_refused)
{
	struct json_object *doc;
	struct fx f;
	char *text, *at;
	int waited;
	FILE *out;

	fx_begin(&f);
	fx_sources(&f,
	    "[source a]\n"
	    "url = http://127.0.0.1:%u/stats?name=a\n"
	    "interval = 1h\n"
	    "stat total = /data/total\n",
	    P);
	fx_replica(&f, 0);
	wait_ok(&f, "a");
	/* The same file with another replica name. */
	text = tmpdir_read(f.f_r[0].r_conf);
	ck_assert_ptr_nonnull(at = strstr(text, "name = web-1"));
	at[strlen("name = web-")] = '9';
	ck_assert_ptr_nonnull(out = fopen(f.f_r[0].r_conf, "w"));
	ck_assert_int_eq(fputs(text, out) >= 0, 1);
	ck_assert_int_eq(fclose(out), 0);
	free(text);
	replica_signal(&f.f_r[0], SIGHUP);
	for (waited = 0;; waited += 50) {
		doc = replica_get(&f.f_r[0], "/readyz");
		if (json_object_get_type(json_object_object_get(
		        doc, "reload")) == json_type_object)
			break;
		json_object_put(doc);
		ck_assert_msg(waited < WAIT_MS, "no reload seen");
		nap(50);
	}
	ck_assert(!json_object_get_boolean(json_object_object_get(
	    json_object_object_get(doc, "reload"), "ok")));
	ck_assert_ptr_nonnull(strstr(harness_str(doc, "/reload/error"),
	    ": [cluster] changed: restart gatherd to apply it"));
	json_object_put(doc);
	doc = replica_get(&f.f_r[0], "/api/v1/info");
	ck_assert_str_eq(harness_str(doc, "/cluster/name"), "web-1");
	json_object_put(doc);
	fx_end(&f);
}
END_TEST

/* Returns the suite. */
static Suite *
cluster_suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("replicas");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_one_poll_per_interval);
	tcase_add_test(tc, test_join_from_snapshot);
	tcase_add_test(tc, test_kill_replica);
	tcase_add_test(tc, test_freeze_fence);
	tcase_add_test(tc, test_redis_lost);
	tcase_add_test(tc, test_stream_dropped);
	tcase_add_test(tc, test_backoff_cluster_wide);
	tcase_add_test(tc, test_reload_cluster_refused);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite (skipped without redis-server); 0 if all passed. */
int
main(void)
{
	if (!redis_server_found()) {
		fprintf(stderr, "check_cluster: no redis-server, skipped\n");
		return 77;
	}
	harness_init();
	return runner_run(cluster_suite()) == 0 ? 0 : 1;
}
