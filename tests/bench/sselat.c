/*
 * sselat: how long a change takes from its commit in Redis to the
 * /api/v1/events stream of every replica of a cluster, for the cluster
 * figure of tests/bench/run.sh.  A thread follows the cluster's change
 * stream on Redis (XREAD): an entry's id is the commit's time on Redis's
 * clock (the same host's clock here) and its doc holds the source's
 * updated_at in ms.  The main thread follows the replicas' event streams
 * with libcurl multi and notes when each source arrives on each, with
 * its updated_at (to the second, as the API renders it).  At the end each
 * commit is matched to its arrivals by source and second, and the
 * latencies go out as one JSON line.
 * Usage: sselat SOCKET PREFIX SECONDS PORT...
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <json-c/json.h>

#define SSELAT_REPLICAS 8
#define SSELAT_MARGIN_MS 1000.0 /* commits this close to an end: not counted   \
	                         */

/* One commit read from the stream, and when each replica showed it. */
struct commit {
	char *c_source;
	int64_t c_updated_s;
	double c_at_ms; /* the stream entry's time: the commit */
	double c_seen_ms[SSELAT_REPLICAS]; /* 0 until it arrives */
};

/* One source in one event on one replica's stream. */
struct arrival {
	char *a_source;
	int64_t a_updated_s;
	double a_at_ms;
	int a_replica;
};

/* One replica's event stream. */
struct stream {
	int s_replica;
	int s_events; /* events seen; the first holds every source */
	char *s_buf;
	size_t s_len;
	size_t s_cap;
};

static struct commit *commits;
static size_t ncommits, commits_cap;
static struct arrival *arrivals;
static size_t narrivals, arrivals_cap;
static double start_ms, end_ms;
static const char *redis_socket, *stream_key;

/* Returns the wall clock in ms, with a fraction. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Exits with a message. */
static void
die(const char *what)
{
	fprintf(stderr, "sselat: %s\n", what);
	exit(1);
}

/* Grows an array of n elements of size to hold one more; returns it. */
static void *
grow(void *a, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return a;
	*cap = *cap ? *cap * 2 : 4096;
	if ((a = realloc(a, *cap * size)) == NULL)
		die("out of memory");
	return a;
}

/* Returns field name's value in a stream entry's field list, or NULL. */
static const redisReply *
entry_field(const redisReply *fields, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0)
			return fields->element[i + 1];
	return NULL;
}

/* Notes one stream entry (id, fields) as a commit. */
static void
note_commit(const redisReply *entry)
{
	const redisReply *id, *fields, *s, *d;
	struct json_object *doc, *u;
	struct commit *c;

	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
		return;
	id = entry->element[0];
	fields = entry->element[1];
	if (id->type != REDIS_REPLY_STRING ||
	    fields->type != REDIS_REPLY_ARRAY ||
	    (s = entry_field(fields, "s")) == NULL ||
	    (d = entry_field(fields, "d")) == NULL)
		return;
	if ((doc = json_tokener_parse(d->str)) == NULL)
		return;
	if (json_object_object_get_ex(doc, "updated_at", &u)) {
		commits =
		    grow(commits, ncommits, &commits_cap, sizeof *commits);
		c = &commits[ncommits++];
		memset(c, 0, sizeof *c);
		if ((c->c_source = strdup(s->str)) == NULL)
			die("out of memory");
		c->c_updated_s = json_object_get_int64(u) / 1000;
		c->c_at_ms = (double)strtoll(id->str, NULL, 10);
	}
	json_object_put(doc);
}

/* Thread: reads the change stream from its end until end_ms. */
static void *
follow_redis(void *arg)
{
	char last[64] = "$";
	redisContext *rc;
	redisReply *r, *entries;
	size_t i;

	(void)arg;
	if ((rc = redisConnectUnix(redis_socket)) == NULL || rc->err)
		die("cannot connect to redis");
	while (now_ms() < end_ms) {
		r = redisCommand(rc, "XREAD COUNT 1000 BLOCK 200 STREAMS %s %s",
		    stream_key, last);
		if (r == NULL)
			die("redis went away");
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->elements == 2) {
			entries = r->element[0]->element[1];
			for (i = 0; i < entries->elements; i++)
				note_commit(entries->element[i]);
			if (entries->elements > 0)
				snprintf(last, sizeof last, "%s",
				    entries->element[entries->elements - 1]
				        ->element[0]
				        ->str);
		}
		freeReplyObject(r);
	}
	redisFree(rc);
	return NULL;
}

/* Returns an RFC 3339 UTC time ("...T..:..:..Z") in Unix seconds, or -1. */
static int64_t
parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	if (s == NULL ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* Notes the sources of one event's data (JSON) arriving at at. */
static void
note_event(struct stream *st, const char *data, double at)
{
	struct json_object *doc, *sources, *u;
	struct arrival *a;
	int64_t t;

	if ((doc = json_tokener_parse(data)) == NULL)
		return;
	if (json_object_object_get_ex(doc, "sources", &sources) &&
	    json_object_is_type(sources, json_type_object)) {
		json_object_object_foreach(sources, name, o)
		{
			if (!json_object_object_get_ex(o, "updated_at", &u) ||
			    (t = parse_time(json_object_get_string(u))) < 0)
				continue;
			arrivals = grow(arrivals, narrivals, &arrivals_cap,
			    sizeof *arrivals);
			a = &arrivals[narrivals++];
			if ((a->a_source = strdup(name)) == NULL)
				die("out of memory");
			a->a_updated_s = t;
			a->a_at_ms = at;
			a->a_replica = st->s_replica;
		}
	}
	json_object_put(doc);
}

/* curl write callback: splits the stream into events, notes each. */
static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct stream *st = arg;
	double at = now_ms();
	size_t len = size * n, used = 0;
	char *end, *data;

	while (st->s_len + len + 1 > st->s_cap) {
		st->s_cap = st->s_cap ? st->s_cap * 2 : 1 << 20;
		if ((st->s_buf = realloc(st->s_buf, st->s_cap)) == NULL)
			die("out of memory");
	}
	memcpy(st->s_buf + st->s_len, p, len);
	st->s_len += len;
	st->s_buf[st->s_len] = '\0';
	while ((end = strstr(st->s_buf + used, "\n\n")) != NULL) {
		*end = '\0';
		data = strstr(st->s_buf + used, "data: ");
		if (data != NULL && st->s_events++ > 0)
			note_event(st, data + 6, at);
		used = (size_t)(end - st->s_buf) + 2;
	}
	memmove(st->s_buf, st->s_buf + used, st->s_len - used);
	st->s_len -= used;
	return len;
}

/* qsort: commits by source, second, then time. */
static int
commit_cmp(const void *a, const void *b)
{
	const struct commit *x = a, *y = b;
	int c = strcmp(x->c_source, y->c_source);

	if (c != 0)
		return c;
	if (x->c_updated_s != y->c_updated_s)
		return x->c_updated_s < y->c_updated_s ? -1 : 1;
	return x->c_at_ms < y->c_at_ms ? -1 : x->c_at_ms > y->c_at_ms;
}

/* qsort: doubles, ascending. */
static int
double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Returns the p-th percentile of n sorted values (0 if none). */
static double
percentile(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)n);
	return v[i < n ? i : n - 1];
}

/* Matches arrival a to the last commit of its source and second made
 * before it arrived; 1 if one was found, 0 if none of that source and
 * second was read, -1 if the only ones came after the arrival. */
static int
match(const struct arrival *a)
{
	size_t lo = 0, hi = ncommits, mid;
	struct commit key, *c, *best = NULL;

	key.c_source = a->a_source;
	key.c_updated_s = a->a_updated_s;
	key.c_at_ms = -1;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (commit_cmp(&commits[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ncommits; lo++) {
		c = &commits[lo];
		if (strcmp(c->c_source, a->a_source) != 0 ||
		    c->c_updated_s != a->a_updated_s)
			break;
		if (c->c_at_ms > a->a_at_ms) {
			if (best == NULL)
				return -1;
			break;
		}
		best = c;
	}
	if (best == NULL)
		return 0;
	if (best->c_seen_ms[a->a_replica] == 0 ||
	    a->a_at_ms < best->c_seen_ms[a->a_replica])
		best->c_seen_ms[a->a_replica] = a->a_at_ms;
	return 1;
}

int
main(int argc, char **argv)
{
	struct stream streams[SSELAT_REPLICAS];
	double *every, *each, lat, worst;
	size_t i, nevery = 0, neach = 0, counted = 0, missed = 0;
	size_t unread = 0, early = 0;
	char url[128], key[256];
	int nrep, r, running;
	pthread_t thread;
	CURLM *multi;
	CURL *easy;

	if (argc < 5 || argc - 4 > SSELAT_REPLICAS)
		die("usage: sselat SOCKET PREFIX SECONDS PORT...");
	redis_socket = argv[1];
	snprintf(key, sizeof key, "%s:stream", argv[2]);
	stream_key = key;
	nrep = argc - 4;
	start_ms = now_ms();
	end_ms = start_ms + atof(argv[3]) * 1000.0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((multi = curl_multi_init()) == NULL)
		die("curl_multi_init");
	memset(streams, 0, sizeof streams);
	for (r = 0; r < nrep; r++) {
		streams[r].s_replica = r;
		snprintf(url, sizeof url, "http://127.0.0.1:%s/api/v1/events",
		    argv[4 + r]);
		if ((easy = curl_easy_init()) == NULL)
			die("curl_easy_init");
		curl_easy_setopt(easy, CURLOPT_URL, url);
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, &streams[r]);
		curl_multi_add_handle(multi, easy);
	}
	if (pthread_create(&thread, NULL, follow_redis, NULL) != 0)
		die("pthread_create");
	do {
		curl_multi_perform(multi, &running);
		curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running > 0 && now_ms() < end_ms);
	pthread_join(thread, NULL);

	qsort(commits, ncommits, sizeof *commits, commit_cmp);
	for (i = 0; i < narrivals; i++) {
		/* The first second shows commits made before the stream was
		 * read from its end. */
		if (arrivals[i].a_at_ms < start_ms + SSELAT_MARGIN_MS) {
			(void)match(&arrivals[i]);
			continue;
		}
		switch (match(&arrivals[i])) {
		case 0:
			unread++;
			break;
		case -1:
			early++;
			break;
		default:
			break;
		}
	}
	every = calloc(ncommits + 1, sizeof *every);
	each = calloc(ncommits * (size_t)nrep + 1, sizeof *each);
	if (every == NULL || each == NULL)
		die("out of memory");
	for (i = 0; i < ncommits; i++) {
		struct commit *c = &commits[i];

		if (c->c_at_ms < start_ms + SSELAT_MARGIN_MS ||
		    c->c_at_ms > end_ms - SSELAT_MARGIN_MS)
			continue;
		counted++;
		worst = 0;
		for (r = 0; r < nrep; r++) {
			if (c->c_seen_ms[r] == 0) {
				worst = -1;
				break;
			}
			lat = c->c_seen_ms[r] - c->c_at_ms;
			each[neach++] = lat;
			if (lat > worst)
				worst = lat;
		}
		/* SSELAT_DEBUG=1 lists the commits some replica never showed.
		 */
		if (worst < 0 && getenv("SSELAT_DEBUG") != NULL) {
			fprintf(stderr, "missed %s %lld at %.0f seen",
			    c->c_source, (long long)c->c_updated_s, c->c_at_ms);
			for (r = 0; r < nrep; r++)
				fprintf(stderr, " %.0f", c->c_seen_ms[r]);
			fprintf(stderr, "\n");
		}
		if (worst < 0)
			missed++;
		else
			every[nevery++] = worst;
	}
	qsort(every, nevery, sizeof *every, double_cmp);
	qsort(each, neach, sizeof *each, double_cmp);
	printf("{\"figure\":\"cluster_sse\",\"replicas\":%d,\"seconds\":%s,"
	       "\"commits\":%zu,\"seen_on_every_replica\":%zu,\"missed\":%zu,"
	       "\"arrivals\":%zu,\"arrivals_of_no_commit_read\":%zu,"
	       "\"arrivals_before_their_commit\":%zu,"
	       "\"every_replica_p50_ms\":%.1f,\"every_replica_p99_ms\":%.1f,"
	       "\"every_replica_max_ms\":%.1f,"
	       "\"each_replica_p50_ms\":%.1f,\"each_replica_p99_ms\":%.1f,"
	       "\"target_p99_ms\":100}\n",
	    nrep, argv[3], counted, nevery, missed, narrivals, unread, early,
	    percentile(every, nevery, 50), percentile(every, nevery, 99),
	    nevery ? every[nevery - 1] : 0.0, percentile(each, neach, 50),
	    percentile(each, neach, 99));
	return 0;
}
