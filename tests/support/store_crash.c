/*
 * The victim of check_store's crash test: it keeps a store writing a
 * large state (many sources, long histories) generation after generation
 * until it is killed with SIGKILL.  Every source's values carry the
 * generation; "wrote N" on stdout follows each store_flush that put
 * generation N on disk.  At start it restores what the killed run left
 * and says "restored N", or exits 3 if the sources came back mixed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "cache.h"
#include "config.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

/* A run ends by itself after this long, should nobody kill it. */
#define CRASH_LIFETIME_MS 60000

/* Returns a config of n sources, each with two stats of points history. */
static char *
crash_config(unsigned n, unsigned points)
{
	size_t len = 64 + (size_t)n * 128, off;
	char *text;
	unsigned i;

	if ((text = malloc(len)) == NULL)
		return NULL;
	off = (size_t)snprintf(text, len, "[gatherd]\nhistory = %u\n", points);
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(text + off, len - off,
		    "[source s%04u]\n"
		    "url = http://127.0.0.1:9/s%u\n"
		    "stat gen = /gen\n"
		    "stat x = /x\n",
		    i, i);
	return text;
}

/* Returns {"gen": gen, "x": x}, or NULL. */
static struct json_object *
crash_values(unsigned long long gen, double x)
{
	struct json_object *v;

	if ((v = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_object_add(
	        v, "gen", json_object_new_int64((int64_t)gen)) != 0 ||
	    json_object_object_add(v, "x", json_object_new_double(x)) != 0) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

/* Returns the generation every source of c holds, 0 if none, -1 mixed. */
static long long
crash_restored(struct cache *c)
{
	struct cache_entry *e;
	long long gen = -2, g;
	size_t i;

	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		if (e->ce_values == NULL)
			g = 0;
		else if (cache_entry_status(e) != CACHE_STALE)
			return -1;
		else
			g = json_object_get_int64(
			    json_object_object_get(e->ce_values, "gen"));
		if (gen != -2 && g != gen)
			return -1;
		gen = g;
	}
	return gen < 0 ? 0 : gen;
}

/* Records one successful poll of every source with generation gen. */
static int
crash_put(struct cache *c, unsigned long long gen, int64_t at)
{
	struct json_object *v;
	size_t i;

	for (i = 0; i < cache_count(c); i++) {
		if ((v = crash_values(gen, (double)gen + (double)i / 8)) ==
		    NULL)
			return -1;
		cache_put_ok(c, cache_entry_at(c, i), v, at);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char err[CONFIG_ERR_LEN] = "", *text = NULL;
	struct event_base *base = NULL;
	struct config *cf = NULL;
	struct cache *c = NULL;
	struct store *st = NULL;
	unsigned long long gen;
	unsigned n, points, i;
	int64_t deadline, now;
	long long restored;
	char tmp[4096];
	int rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: store-crash DIR SOURCES POINTS\n");
		return 1;
	}
	/* Never outlive the test that started us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return 1;
	log_set_level(LOG_LEVEL_WARN);
	n = (unsigned)strtoul(argv[2], NULL, 10);
	points = (unsigned)strtoul(argv[3], NULL, 10);
	if ((text = crash_config(n, points)) == NULL ||
	    (cf = config_load_string(text, "crash.conf", err, sizeof err)) ==
	        NULL ||
	    (c = cache_new(cf)) == NULL || (base = event_base_new()) == NULL ||
	    (st = store_new(base, argv[1], c, 60000)) == NULL) {
		fprintf(stderr, "store-crash: cannot start: %s\n", err);
		goto fail;
	}
	/* A temporary file the last run left must be gone now. */
	snprintf(tmp, sizeof tmp, "%s/" STORE_FILE ".tmp", argv[1]);
	if (access(tmp, F_OK) == 0) {
		fprintf(stderr, "store-crash: " STORE_FILE ".tmp survived\n");
		rc = 4;
		goto fail;
	}
	if (store_restore(st) == -1)
		goto fail;
	if ((restored = crash_restored(c)) < 0) {
		fprintf(stderr, "store-crash: restored a mix of generations\n");
		rc = 3;
		goto fail;
	}
	printf("restored %lld\n", restored);
	fflush(stdout);
	now = timeutil_wall_ms();
	if (restored == 0) {
		/* Fill every history, so that each write is a large one. */
		for (i = 0; i < points; i++) {
			if (crash_put(
			        c, 0, now - (int64_t)(points - i) * 1000) == -1)
				goto fail;
		}
	}
	deadline = timeutil_mono_ms() + CRASH_LIFETIME_MS;
	for (gen = (unsigned long long)restored + 1;
	     timeutil_mono_ms() < deadline; gen++) {
		if (crash_put(c, gen, timeutil_wall_ms()) == -1 ||
		    store_flush(st) == -1)
			goto fail;
		printf("wrote %llu\n", gen);
		fflush(stdout);
	}
	rc = 0;
fail:
	store_free(st);
	cache_free(c);
	config_free(cf);
	if (base != NULL)
		event_base_free(base);
	free(text);
	return rc;
}
