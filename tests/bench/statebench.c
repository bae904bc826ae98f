/*
 * The state file at scale: 10,000 sources of 2 stats with history = 360
 * full of realistic series (series.h's counter and gauge with three
 * decimals, as tsbytes measures them, polled every second with a few ms
 * of jitter) saved with store_flush and restored with store_restore into a
 * fresh cache, timed, with the file's size.  Uses only the public API,
 * so the same program measures any version of the store.  Built by hand
 * against an optimised build's library (configure without sanitizers):
 *   cc -O2 -D_GNU_SOURCE -Ilib tests/bench/statebench.c \
 *       lib/.libs/libgatherd.a $(pkg-config --libs libevent_core \
 *       libevent_pthreads libcurl json-c libmicrohttpd inih libcrypto \
 *       glib-2.0 hiredis libsystemd) -ljq -lz -lm -lpthread -o statebench
 * Usage: statebench DIR [SOURCES [POINTS [restore]]] (DIR: an empty
 * state_dir; with restore, one that holds the state.json to restore, not
 * written again, for a profile of the restore alone).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "cache.h"
#include "config.h"
#include "log.h"
#include "series.h"
#include "store.h"

#define T0 INT64_C(1795341600000)

/* Returns clock id's time in seconds. */
static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A span timed both ways: on a shared machine the CPU time is the
 * figure an idle one would show. */
struct span {
	double sp_wall;
	double sp_cpu;
};

/* Starts a span. */
static void
span_start(struct span *sp)
{
	sp->sp_wall = clock_s(CLOCK_MONOTONIC);
	sp->sp_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* Ends a span: it now holds the durations. */
static void
span_end(struct span *sp)
{
	sp->sp_wall = clock_s(CLOCK_MONOTONIC) - sp->sp_wall;
	sp->sp_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - sp->sp_cpu;
}

/* Returns the config text of n sources, history points each; freed. */
static char *
bench_config(int n, int points)
{
	size_t cap = 64 + (size_t)n * 128, len;
	char *text = malloc(cap);
	int i;

	if (text == NULL)
		abort();
	len = (size_t)snprintf(text, cap, "[gatherd]\nhistory = %d\n", points);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "[source s%05d]\nurl = http://127.0.0.1:1/s/%d\n"
		    "stat count = /count\nstat gauge = /gauge\n",
		    i, i);
	return text;
}

/* Fills every source of c with points of a counter and a gauge. */
static void
bench_fill(struct cache *c, int points)
{
	int64_t *ms = calloc((size_t)points, sizeof *ms);
	double *v = calloc((size_t)points, sizeof *v);
	size_t i, stat;
	int k;

	if (ms == NULL || v == NULL)
		abort();
	for (i = 0; i < cache_count(c); i++) {
		for (stat = 0; stat < 2; stat++) {
			series(stat == 0 ? KIND_COUNTER : KIND_GAUGE, 5, points,
			    T0, ms, v);
			for (k = 0; k < points; k++)
				cache_restore_point(
				    cache_entry_at(c, i), stat, ms[k], v[k]);
		}
	}
	free(ms);
	free(v);
}

/* Saves, restores and prints the figures. */
int
main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 10000;
	int points = argc > 3 ? atoi(argv[3]) : 360;
	char err[CONFIG_ERR_LEN], path[4096], *text;
	struct event_base *base;
	struct config *cf;
	struct cache *c, *c2;
	struct store *st, *st2;
	struct stat sb;
	struct span save = {0, 0}, restore;
	size_t i, held = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: statebench DIR [SOURCES [POINTS]]\n");
		return 2;
	}
	log_set_level(LOG_LEVEL_WARN);
	text = bench_config(n, points);
	if ((cf = config_load_string(text, "bench.conf", err, sizeof err)) ==
	    NULL) {
		fprintf(stderr, "statebench: %s\n", err);
		return 1;
	}
	free(text);
	if ((base = event_base_new()) == NULL || (c = cache_new(cf)) == NULL ||
	    (st = store_new(base, argv[1], c, 0)) == NULL)
		return 1;
	if (argc < 5 || strcmp(argv[4], "restore") != 0) {
		bench_fill(c, points);
		store_changed(st);
		span_start(&save);
		if (store_flush(st) != 0)
			return 1;
		span_end(&save);
	}
	snprintf(path, sizeof path, "%s/%s", argv[1], STORE_FILE);
	if (stat(path, &sb) != 0)
		return 1;

	if ((c2 = cache_new(cf)) == NULL ||
	    (st2 = store_new(base, argv[1], c2, 0)) == NULL)
		return 1;
	span_start(&restore);
	if (store_restore(st2) != 0)
		return 1;
	span_end(&restore);
	for (i = 0; i < cache_count(c2); i++)
		held += history_len(cache_entry_at(c2, i)->ce_history[0]) +
		    history_len(cache_entry_at(c2, i)->ce_history[1]);
	printf("version %d: %d sources x 2 stats x %d points: save %.3f s "
	       "(cpu %.3f s), file %.1f MB (%.2f bytes a point), restore "
	       "%.3f s (cpu %.3f s), %zu points back\n",
	    STORE_VERSION, n, points, save.sp_wall, save.sp_cpu,
	    (double)sb.st_size / 1e6,
	    (double)sb.st_size / ((double)n * 2 * points), restore.sp_wall,
	    restore.sp_cpu, held);
	store_free(st2);
	store_free(st);
	cache_free(c2);
	cache_free(c);
	config_free(cf);
	event_base_free(base);
	return 0;
}
