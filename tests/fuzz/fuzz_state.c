/*
 * libFuzzer harness for the state file: the input is a state.json, put
 * in a state_dir made once (on tmpfs if there is one, as every restore
 * starts a store and every round trip fsyncs), and restored by
 * store_restore into a fresh cache of a fixed two-source config; the
 * documents the API would serve are then rendered from it.  A file the
 * restore accepted must survive a round trip: saved again with
 * store_flush, it must restore into a second cache without being moved
 * aside as corrupt, with the same history points bit for bit.  history
 * is larger than a compressed block so that version 3's blocks, skips
 * and drops past the capacity are all reached.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "cache.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sources the corpus names: a with two stats, b with one, and history. */
static const char fuzz_conf[] = "[gatherd]\n"
                                "history = 300\n"
                                "[source a]\n"
                                "url = http://127.0.0.1:1/a\n"
                                "stat total = /data/total\n"
                                "stat active = /data/active\n"
                                "[source b]\n"
                                "url = http://user:pw@127.0.0.1:1/b?x=1\n"
                                "stat x = /x\n";

#define FUZZ_NOW_MS INT64_C(1795341600000) /* 2026-11-22T10:00:00Z */

static char fuzz_dir[256];
static struct config *fuzz_cf;
static struct event_base *fuzz_base;

/* Removes every file in the state_dir (state.json, moved-aside copies). */
static void
fuzz_clean(void)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((d = opendir(fuzz_dir)) == NULL)
		abort();
	fd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			(void)unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
}

/* At exit: frees what Initialize made and removes the state_dir. */
static void
fuzz_cleanup(void)
{
	fuzz_clean();
	(void)rmdir(fuzz_dir);
	event_base_free(fuzz_base);
	config_free(fuzz_cf);
}

/* Makes the state_dir, the config and an event base for the stores. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char err[CONFIG_ERR_LEN];
	struct stat sb;

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_QUIET);
	if (tmp == NULL || *tmp == '\0')
		tmp = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode)
		    ? "/dev/shm"
		    : "/tmp";
	snprintf(
	    fuzz_dir, sizeof fuzz_dir, "%s/gatherd-fuzz-state-XXXXXX", tmp);
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	if ((fuzz_cf = config_load_string(
	         fuzz_conf, "fuzz.conf", err, sizeof err)) == NULL) {
		fprintf(stderr, "fuzz_state: %s\n", err);
		abort();
	}
	if ((fuzz_base = event_base_new()) == NULL)
		abort();
	atexit(fuzz_cleanup);
	return 0;
}

/* Writes size bytes of data as the state_dir's state.json. */
static void
fuzz_write(const uint8_t *data, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", fuzz_dir, STORE_FILE);
	if ((f = fopen(path, "w")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
}

/* Returns 1 if state.json is still there (it was not moved aside). */
static int
fuzz_kept(void)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", fuzz_dir, STORE_FILE);
	return access(path, F_OK) == 0;
}

/* Renders what the API would serve from c, so restored state is used. */
static void
fuzz_render(struct cache *c)
{
	struct metrics_counters mc;
	struct cache_entry *e;
	size_t i, j, len;

	memset(&mc, 0, sizeof mc);
	free(render_stats(c, FUZZ_NOW_MS, &len));
	free(render_sources(c, FUZZ_NOW_MS, &len));
	free(render_ready(c, NULL, FUZZ_NOW_MS, NULL, &len));
	free(metrics_render(c, &mc, FUZZ_NOW_MS, 0, FUZZ_NOW_MS, &len));
	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		free(render_source_stats(e, FUZZ_NOW_MS, &len));
		for (j = 0; j < e->ce_src->src_nstats; j++)
			free(render_history(e, (int)j, 0, &len));
	}
}

/* The points of one history, as history_each hands them out. */
struct fuzz_points {
	struct history_point fp_pt[300];
	size_t fp_n;
};

/* history_each callback: records a point. */
static void
fuzz_point_cb(const struct history_point *pt, void *arg)
{
	struct fuzz_points *fp = arg;

	if (fp->fp_n == sizeof fp->fp_pt / sizeof fp->fp_pt[0])
		abort();
	fp->fp_pt[fp->fp_n++] = *pt;
}

/* Aborts unless c and c2 hold the same history points, bit for bit. */
static void
fuzz_same_history(struct cache *c, struct cache *c2)
{
	static struct fuzz_points a, b;
	struct cache_entry *e, *e2;
	size_t i, j;

	for (i = 0; i < cache_count(c); i++) {
		e = cache_entry_at(c, i);
		e2 = cache_entry_at(c2, i);
		for (j = 0; j < e->ce_src->src_nstats; j++) {
			a.fp_n = b.fp_n = 0;
			history_each(
			    e->ce_history[j], INT64_MIN, fuzz_point_cb, &a);
			history_each(
			    e2->ce_history[j], INT64_MIN, fuzz_point_cb, &b);
			if (a.fp_n != b.fp_n ||
			    memcmp(a.fp_pt, b.fp_pt,
			        a.fp_n * sizeof a.fp_pt[0]) != 0)
				abort();
		}
	}
}

/* Restores the state_dir into a new cache; the store is left open. */
static struct cache *
fuzz_restore(struct store **stp)
{
	struct cache *c;

	if ((c = cache_new(fuzz_cf)) == NULL ||
	    (*stp = store_new(fuzz_base, fuzz_dir, c, 0)) == NULL)
		abort();
	/* -1 is out of memory only, which ASan would have reported. */
	if (store_restore(*stp) != 0)
		abort();
	return c;
}

/* One input: the whole of it is state.json. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st, *st2;
	struct cache *c, *c2;

	fuzz_clean();
	fuzz_write(data, size);
	c = fuzz_restore(&st);
	fuzz_render(c);
	if (fuzz_kept()) {
		/* Accepted: what we save from it must be accepted too. */
		if (store_flush(st) != 0)
			abort();
		c2 = fuzz_restore(&st2);
		if (!fuzz_kept())
			abort();
		fuzz_same_history(c, c2);
		fuzz_render(c2);
		store_free(st2);
		cache_free(c2);
	}
	store_free(st);
	cache_free(c);
	return 0;
}
