/*
 * A day of history without waiting a day: loads a gatherd config (each
 * source with two stats), feeds every source a point a second for the
 * last SECONDS of series.h's counter (stat 0) and gauge with three
 * decimals (stat 1) through the cache, as a restore does, so the raw
 * points and the rollups fill as polling would fill them, gives each
 * source its last values, and writes state_dir/state.json with the
 * store.  gatherd started on that config then holds a full day of
 * rollups (the bench's rollup figure).  Built like jqbench, against the
 * bench's optimised library.  Usage: rollfill CONFIG [SECONDS]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "cache.h"
#include "config.h"
#include "log.h"
#include "series.h"
#include "store.h"
#include "timeutil.h"

/* Feeds e's stat a series of kind ending at now; returns the last value. */
static double
rollfill_stat(struct cache_entry *e, size_t stat, int kind, int n, int64_t t0,
    int64_t *ms, double *v)
{
	int k;

	series(kind, 5, n, t0, ms, v);
	for (k = 0; k < n; k++)
		cache_restore_point(e, stat, ms[k], v[k]);
	return v[n - 1];
}

int
main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 86400;
	char err[CONFIG_ERR_LEN];
	struct json_object *values;
	struct event_base *base;
	struct cache_entry *e;
	struct config *cf;
	struct store *st;
	struct cache *c;
	int64_t *ms, t0;
	double *v, last[2];
	size_t i;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: rollfill CONFIG [SECONDS]\n");
		return 2;
	}
	log_set_level(LOG_LEVEL_WARN);
	if ((cf = config_load(argv[1], err, sizeof err)) == NULL) {
		fprintf(stderr, "rollfill: %s\n", err);
		return 1;
	}
	ms = calloc((size_t)n, sizeof *ms);
	v = calloc((size_t)n, sizeof *v);
	if (ms == NULL || v == NULL || (base = event_base_new()) == NULL ||
	    (c = cache_new(cf)) == NULL)
		return 1;
	/* The last point a second or two ago, on the second. */
	t0 = (timeutil_wall_ms() / 1000 - n) * 1000;
	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		if (e->ce_src->src_nstats < 2) {
			fprintf(stderr,
			    "rollfill: source %s: two stats wanted\n",
			    e->ce_src->src_name);
			return 1;
		}
		last[0] = rollfill_stat(e, 0, KIND_COUNTER, n, t0, ms, v);
		last[1] = rollfill_stat(e, 1, KIND_GAUGE, n, t0, ms, v);
		if ((values = json_object_new_object()) == NULL ||
		    json_object_object_add(values,
		        e->ce_src->src_stats[0].cs_name,
		        json_object_new_double(last[0])) != 0 ||
		    json_object_object_add(values,
		        e->ce_src->src_stats[1].cs_name,
		        json_object_new_double(last[1])) != 0 ||
		    cache_restore_entry(
		        c, e, values, ms[n - 1], NULL, NULL, NULL) == -1)
			return 1;
	}
	if ((st = store_new(base, cf->cf_state_dir, c, 0)) == NULL)
		return 1;
	store_changed(st);
	if (store_flush(st) != 0)
		return 1;
	printf("rollfill: %zu sources x 2 stats, %d points each, ending %lld\n",
	    cache_count(c), n, (long long)ms[n - 1]);
	store_free(st);
	cache_free(c);
	config_free(cf);
	event_base_free(base);
	free(ms);
	free(v);
	return 0;
}
