/*
 * The store.  The loop thread serialises every source's state with json-c
 * into one buffer and hands it to a single worker thread, which writes it
 * to state.json.tmp, fsyncs it, renames it over state.json and fsyncs the
 * directory: a crash at any moment leaves the old or the new whole file.
 * A newer buffer replaces one the worker has not started; a timer on the
 * loop serialises at most once per interval and retries failed writes.
 * Restore trusts nothing: a bad file is moved aside, a bad entry skipped.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "base64.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#define STORE_TMP STORE_FILE ".tmp"
#define STORE_MAX_BYTES (256u * 1024 * 1024) /* a larger file is corrupt */
#define STORE_MAX_DEPTH 16 /* the format nests 6 deep */
#define STORE_COST_FACTOR 20 /* saving takes at most 1/20 of the loop */
#define STORE_MAX_WAIT_MS 60000

struct store {
	struct event_base *st_base;
	struct cache *st_cache;
	char *st_dir;
	int st_dirfd; /* state_dir, for openat, renameat and fsync */
	unsigned st_interval_ms;
	int64_t st_cost_ms; /* the last serialisation took this long */
	struct event *st_timer;
	int st_listening; /* registered with cache_add_listener */
	int st_dirty; /* changed since the last serialisation */
	int st_failing; /* the last write failed (and was logged) */
	uint64_t st_checked; /* newest write whose outcome was looked at */

	/* Shared with the worker, under st_lock. */
	pthread_mutex_t st_lock;
	pthread_cond_t st_work; /* a buffer is pending, or st_stop */
	pthread_cond_t st_done; /* a write finished */
	int st_sync; /* the three above are initialised */
	pthread_t st_thread;
	int st_running;
	int st_stop;
	char *st_buf; /* serialised state not yet taken, or NULL */
	size_t st_len;
	uint64_t st_queued; /* number of the newest buffer */
	uint64_t st_finished; /* number of the newest write that ended */
	int st_ok; /* it succeeded */
	int st_errno; /* else why */
	const char *st_what; /* and at which step */
	uint64_t st_writes; /* writes that succeeded */
};

/* One source's saved state, checked but not applied; borrowed. */
struct store_saved {
	const char *sv_url; /* without credentials */
	struct json_object *sv_values; /* NULL: none */
	int64_t sv_updated_at;
	int sv_has_error;
	struct source_error sv_error;
	const char *sv_etag;
	const char *sv_last_modified;
	struct json_object *sv_history; /* {stat: [[ms, value], ...]} */
	struct json_object *sv_stats; /* {stat: pointer}; NULL in older files */
};

/* Adds key: v to o, where v NULL means out of memory; 0 or -1. */
static int
store_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -1;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Adds key: null to o; 0 or -1. */
static int
store_add_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) == 0 ? 0 : -1;
}

/* Adds key: s to o, or null if s is NULL; 0 or -1. */
static int
store_add_string(struct json_object *o, const char *key, const char *s)
{
	if (s == NULL)
		return store_add_null(o, key);
	return store_add(o, key, json_object_new_string(s));
}

/*
 * History points are saved as base64 text of 16-byte records (ms, then
 * the value's IEEE 754 bits, both little-endian 64-bit): 10,000 sources
 * hold millions of points, and a JSON array of arrays costs an object
 * per number to write and, far worse, to read back.
 */
#define STORE_POINT_BYTES 16
#define STORE_CHUNK_POINTS 192 /* a multiple of 3: base64 needs no pad */

/* Records waiting to be encoded into the printbuf. */
struct store_points {
	struct printbuf *sp_pb;
	unsigned char sp_raw[STORE_CHUNK_POINTS * STORE_POINT_BYTES];
	size_t sp_n;
	int sp_failed;
};

/* Encodes the waiting records onto the printbuf. */
static void
store_points_flush(struct store_points *sp)
{
	char text[(STORE_CHUNK_POINTS * STORE_POINT_BYTES + 2) / 3 * 4];
	size_t n;

	n = base64_encode(sp->sp_raw, sp->sp_n * STORE_POINT_BYTES, text);
	if (n > 0 && printbuf_memappend(sp->sp_pb, text, (int)n) < 0)
		sp->sp_failed = 1;
	sp->sp_n = 0;
}

/* history_each callback: adds one point's record. */
static void
store_point_cb(const struct history_point *pt, void *arg)
{
	struct store_points *sp = arg;
	uint64_t ms = htole64((uint64_t)pt->hp_ms), bits;

	memcpy(&bits, &pt->hp_value, sizeof bits);
	bits = htole64(bits);
	memcpy(sp->sp_raw + sp->sp_n * STORE_POINT_BYTES, &ms, 8);
	memcpy(sp->sp_raw + sp->sp_n * STORE_POINT_BYTES + 8, &bits, 8);
	if (++sp->sp_n == STORE_CHUNK_POINTS)
		store_points_flush(sp);
}

/* json-c serializer of one stat's history: the string of its records. */
static int
store_history_serialise(
    struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	struct store_points sp;

	sp.sp_pb = pb;
	sp.sp_n = 0;
	sp.sp_failed = 0;
	if (printbuf_memappend(pb, "\"", 1) < 0)
		return -1;
	history_each(
	    json_object_get_userdata(jso), INT64_MIN, store_point_cb, &sp);
	store_points_flush(&sp);
	if (sp.sp_failed || printbuf_memappend(pb, "\"", 1) < 0)
		return -1;
	return 0;
}

/* Returns {stat: "records"} for e's history, or NULL. */
static struct json_object *
store_history_json(const struct cache_entry *e)
{
	const struct config_source *src = e->ce_src;
	struct json_object *o, *h;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < src->src_nstats; i++) {
		if ((h = json_object_new_string("")) != NULL)
			json_object_set_serializer(
			    h, store_history_serialise, e->ce_history[i], NULL);
		if (store_add(o, src->src_stats[i].cs_name, h) == -1) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* Returns {stat: pointer} for e's stats, so a changed one is told; NULL. */
static struct json_object *
store_stats_json(const struct cache_entry *e)
{
	const struct config_source *src = e->ce_src;
	struct json_object *o;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < src->src_nstats; i++) {
		if (store_add_string(o, src->src_stats[i].cs_name,
		        src->src_stats[i].cs_pointer) == -1) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* Returns e's last error as saved, or NULL. */
static struct json_object *
store_error_json(const struct source_error *err)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (store_add_string(o, "kind", source_err_name(err->se_kind)) == -1 ||
	    store_add_string(o, "message", err->se_message) == -1 ||
	    store_add(o, "http_status",
	        json_object_new_int(err->se_http_status)) == -1 ||
	    store_add(o, "at", json_object_new_int64(err->se_at)) == -1) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Returns 1 if e holds nothing worth saving. */
static int
store_entry_empty(const struct cache_entry *e)
{
	size_t i;

	if (e->ce_values != NULL || e->ce_has_error)
		return 0;
	for (i = 0; i < e->ce_src->src_nstats; i++) {
		if (history_len(e->ce_history[i]) > 0)
			return 0;
	}
	return 1;
}

/* Returns e's saved state; values are shared, not copied.  NULL: OOM. */
static struct json_object *
store_entry_json(const struct cache_entry *e)
{
	struct json_object *o;
	int rc;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	/* The url without credentials: only to tell a changed source. */
	rc = store_add_string(o, "url", e->ce_url_shown);
	if (rc == 0 && e->ce_values != NULL)
		rc = store_add(o, "values", json_object_get(e->ce_values)) ||
		    store_add(o, "updated_at",
		        json_object_new_int64(e->ce_updated_at));
	if (rc == 0)
		rc = store_add_string(o, "etag", e->ce_etag) ||
		    store_add_string(o, "last_modified", e->ce_last_modified);
	if (rc == 0 && e->ce_has_error)
		rc = store_add(o, "error", store_error_json(&e->ce_error));
	if (rc == 0)
		rc = store_add(o, "stats", store_stats_json(e));
	if (rc == 0)
		rc = store_add(o, "history", store_history_json(e));
	if (rc != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Serialises the cache; returns a malloc'd buffer of *len bytes or NULL. */
static char *
store_serialise(struct store *st, size_t *len)
{
	struct json_object *o, *name;
	struct printbuf *pb;
	struct cache_entry *e;
	const char *text;
	char head[128], *buf = NULL;
	size_t i, n;
	int rc = 0, first = 1;

	/*
	 * Each source is serialised on its own and appended, so only one
	 * source's objects exist at a time and the text is built once, in
	 * the buffer the worker is handed.
	 */
	if ((pb = printbuf_new()) == NULL)
		return NULL;
	n = (size_t)snprintf(head, sizeof head,
	    "{\"version\":%d,\"saved_at\":%lld,\"sources\":{", STORE_VERSION,
	    (long long)timeutil_wall_ms());
	rc = printbuf_memappend(pb, head, (int)n) < 0;
	for (i = 0; rc == 0 && i < cache_count(st->st_cache); i++) {
		e = cache_entry_at(st->st_cache, i);
		if (store_entry_empty(e))
			continue;
		if ((o = store_entry_json(e)) == NULL ||
		    (name = json_object_new_string(e->ce_src->src_name)) ==
		        NULL) {
			json_object_put(o);
			rc = -1;
			break;
		}
		if (!first)
			rc = printbuf_memappend(pb, ",", 1) < 0;
		first = 0;
		text = json_object_to_json_string_length(name,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &n);
		if (rc == 0 && text != NULL)
			rc = printbuf_memappend(pb, text, (int)n) < 0 ||
			    printbuf_memappend(pb, ":", 1) < 0;
		text = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &n);
		if (text == NULL)
			rc = -1;
		else if (rc == 0)
			rc = printbuf_memappend(pb, text, (int)n) < 0;
		json_object_put(name);
		json_object_put(o);
	}
	if (rc == 0 && printbuf_memappend(pb, "}}\n", 3) >= 0) {
		/* The buffer changes hands: printbuf_free frees only pb. */
		buf = pb->buf;
		*len = (size_t)pb->bpos;
		pb->buf = NULL;
	}
	printbuf_free(pb);
	return buf;
}

/*
 * Writes buf to state.json crash-safely; 0, or -1 with errno set and
 * *what naming the step that failed.  Runs on the worker thread.
 */
static int
store_write_file(int dirfd, const char *buf, size_t len, const char **what)
{
	size_t off = 0;
	ssize_t n;
	int fd, saved;

	*what = "create " STORE_TMP;
	fd = openat(dirfd, STORE_TMP,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	*what = "write " STORE_TMP;
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	*what = "fsync " STORE_TMP;
	if (fsync(fd) == -1)
		goto fail;
	*what = "close " STORE_TMP;
	n = close(fd);
	fd = -1;
	if (n == -1)
		goto fail;
	*what = "rename " STORE_TMP " to " STORE_FILE;
	if (renameat(dirfd, STORE_TMP, dirfd, STORE_FILE) == -1)
		goto fail;
	/* The rename itself must reach the disk before we call it done. */
	*what = "fsync the directory after renaming " STORE_FILE;
	return fsync(dirfd);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlinkat(dirfd, STORE_TMP, 0);
	errno = saved;
	return -1;
}

/* The worker: writes the newest buffer, until told to stop. */
static void *
store_worker(void *arg)
{
	struct store *st = arg;
	const char *what = NULL;
	uint64_t seq;
	size_t len;
	char *buf;
	int rc, err;

	pthread_mutex_lock(&st->st_lock);
	for (;;) {
		while (!st->st_stop && st->st_buf == NULL)
			pthread_cond_wait(&st->st_work, &st->st_lock);
		if (st->st_stop)
			break;
		buf = st->st_buf;
		len = st->st_len;
		seq = st->st_queued;
		st->st_buf = NULL;
		pthread_mutex_unlock(&st->st_lock);

		rc = store_write_file(st->st_dirfd, buf, len, &what);
		err = errno;
		free(buf);

		pthread_mutex_lock(&st->st_lock);
		st->st_finished = seq;
		st->st_ok = rc == 0;
		st->st_errno = err;
		st->st_what = what;
		if (rc == 0)
			st->st_writes++;
		pthread_cond_broadcast(&st->st_done);
	}
	pthread_mutex_unlock(&st->st_lock);
	return NULL;
}

/*
 * Looks at the newest finished write: a failure is logged once (repeats
 * at debug) and marks the state dirty so the next tick retries it.
 * Returns 0 if the newest write succeeded or none finished yet, else -1.
 */
static int
store_check(struct store *st)
{
	const char *what;
	uint64_t seq;
	int ok, err;

	pthread_mutex_lock(&st->st_lock);
	seq = st->st_finished;
	ok = st->st_ok;
	err = st->st_errno;
	what = st->st_what;
	pthread_mutex_unlock(&st->st_lock);
	if (seq == st->st_checked)
		return st->st_failing ? -1 : 0;
	st->st_checked = seq;
	if (ok) {
		if (st->st_failing)
			log_info(
			    "state_dir %s: state written again", st->st_dir);
		st->st_failing = 0;
		return 0;
	}
	st->st_dirty = 1;
	errno = err;
	if (!st->st_failing)
		log_warn("state_dir %s: cannot %s", st->st_dir, what);
	else
		log_debug("state_dir %s: cannot %s: %s", st->st_dir, what,
		    strerror(err));
	st->st_failing = 1;
	return -1;
}

/* Serialises the cache and hands the buffer to the worker; 0 or -1. */
static int
store_queue(struct store *st)
{
	int64_t t0 = timeutil_mono_ms();
	size_t len = 0;
	char *buf;

	buf = store_serialise(st, &len);
	st->st_cost_ms = timeutil_mono_ms() - t0;
	if (buf == NULL) {
		log_warnx("state_dir %s: cannot serialise the state (out of "
		          "memory)",
		    st->st_dir);
		return -1;
	}
	log_debug("state_dir %s: %zu bytes serialised in %lld ms", st->st_dir,
	    len, (long long)st->st_cost_ms);
	st->st_dirty = 0;
	pthread_mutex_lock(&st->st_lock);
	free(st->st_buf); /* older and not started: never needed now */
	st->st_buf = buf;
	st->st_len = len;
	st->st_queued++;
	pthread_cond_signal(&st->st_work);
	pthread_mutex_unlock(&st->st_lock);
	return 0;
}

/*
 * Arms the timer for one interval unless it is armed already.  A big
 * state waits longer: STORE_COST_FACTOR times what serialising it took,
 * up to STORE_MAX_WAIT_MS, so saving never takes much of the loop.
 */
static void
store_arm(struct store *st)
{
	int64_t ms = st->st_interval_ms;
	struct timeval tv;

	if (evtimer_pending(st->st_timer, NULL))
		return;
	if (st->st_cost_ms * STORE_COST_FACTOR > ms)
		ms = st->st_cost_ms * STORE_COST_FACTOR;
	if (ms > STORE_MAX_WAIT_MS && ms > st->st_interval_ms)
		ms = STORE_MAX_WAIT_MS > st->st_interval_ms
		    ? STORE_MAX_WAIT_MS
		    : st->st_interval_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (evtimer_add(st->st_timer, &tv) == -1)
		log_warnx(
		    "state_dir %s: cannot arm the write timer", st->st_dir);
}

/* The timer: writes a dirty state; keeps ticking until a write lands. */
static void
store_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	int busy;

	store_check(st);
	if (st->st_dirty)
		store_queue(st);
	pthread_mutex_lock(&st->st_lock);
	busy = st->st_finished != st->st_queued;
	pthread_mutex_unlock(&st->st_lock);
	if (st->st_dirty || busy)
		store_arm(st);
}

/* The cache changed. */
static void
store_cache_changed_cb(void *arg)
{
	store_changed(arg);
}

/* Marks the state changed; it is written within the interval. */
void
store_changed(struct store *st)
{
	st->st_dirty = 1;
	store_arm(st);
}

/* Writes the state now and waits until it is on disk; 0 or -1. */
int
store_flush(struct store *st)
{
	uint64_t seq;

	store_check(st);
	if (st->st_dirty && store_queue(st) == -1)
		return -1;
	pthread_mutex_lock(&st->st_lock);
	seq = st->st_queued;
	while (st->st_finished < seq)
		pthread_cond_wait(&st->st_done, &st->st_lock);
	pthread_mutex_unlock(&st->st_lock);
	return store_check(st);
}

/* Returns how many times state.json has been replaced. */
uint64_t
store_writes(struct store *st)
{
	uint64_t n;

	pthread_mutex_lock(&st->st_lock);
	n = st->st_writes;
	pthread_mutex_unlock(&st->st_lock);
	return n;
}

/* Starts the worker with every signal blocked: they are the loop's. */
static int
store_start_worker(struct store *st)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	if ((rc = pthread_sigmask(SIG_SETMASK, &all, &old)) == 0) {
		rc = pthread_create(&st->st_thread, NULL, store_worker, st);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc != 0) {
		errno = rc;
		log_warn("state_dir %s: cannot start the writer", st->st_dir);
		return -1;
	}
	st->st_running = 1;
	return 0;
}

/* Opens state_dir and proves it writable (removing a stale temp file). */
static int
store_open_dir(struct store *st)
{
	int fd;

	st->st_dirfd = open(st->st_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->st_dirfd == -1) {
		log_warn("state_dir %s", st->st_dir);
		return -1;
	}
	/* access(2) says yes to root even on a read-only mount: try it. */
	fd = openat(st->st_dirfd, STORE_TMP,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || close(fd) == -1 ||
	    unlinkat(st->st_dirfd, STORE_TMP, 0) == -1) {
		log_warn("state_dir %s: not writable", st->st_dir);
		return -1;
	}
	return 0;
}

/* Keeps c's state in state_dir; NULL (logged) if it is not writable. */
struct store *
store_new(struct event_base *base, const char *state_dir, struct cache *c,
    unsigned interval_ms)
{
	struct store *st;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->st_base = base;
	st->st_cache = c;
	st->st_dirfd = -1;
	st->st_ok = 1;
	st->st_interval_ms = interval_ms != 0 ? interval_ms : STORE_INTERVAL_MS;
	if ((st->st_dir = strdup(state_dir)) == NULL ||
	    (st->st_timer = evtimer_new(base, store_tick_cb, st)) == NULL) {
		log_warnx("state_dir %s: out of memory", state_dir);
		goto fail;
	}
	if (store_open_dir(st) == -1)
		goto fail;
	if (pthread_mutex_init(&st->st_lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&st->st_work, NULL) != 0) {
		pthread_mutex_destroy(&st->st_lock);
		goto fail;
	}
	if (pthread_cond_init(&st->st_done, NULL) != 0) {
		pthread_cond_destroy(&st->st_work);
		pthread_mutex_destroy(&st->st_lock);
		goto fail;
	}
	st->st_sync = 1;
	if (store_start_worker(st) == -1)
		goto fail;
	if (cache_add_listener(c, store_cache_changed_cb, st) == -1) {
		log_warnx("state_dir %s: the cache has no listener slot left",
		    state_dir);
		goto fail;
	}
	st->st_listening = 1;
	return st;
fail:
	store_free(st);
	return NULL;
}

/* Stops listening and the worker (dropping an unstarted write); frees. */
void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	if (st->st_listening)
		cache_remove_listener(st->st_cache, store_cache_changed_cb, st);
	if (st->st_timer != NULL)
		event_free(st->st_timer);
	if (st->st_running) {
		pthread_mutex_lock(&st->st_lock);
		st->st_stop = 1;
		pthread_cond_signal(&st->st_work);
		pthread_mutex_unlock(&st->st_lock);
		pthread_join(st->st_thread, NULL);
	}
	if (st->st_sync) {
		pthread_cond_destroy(&st->st_done);
		pthread_cond_destroy(&st->st_work);
		pthread_mutex_destroy(&st->st_lock);
	}
	free(st->st_buf);
	if (st->st_dirfd != -1)
		close(st->st_dirfd);
	free(st->st_dir);
	free(st);
}

/*
 * Moves a bad state.json aside as state.json.corrupt-UNIXTIME (with a
 * suffix if that exists) so it can be looked at, and says why.
 */
static void
store_move_aside(struct store *st, const char *why)
{
	char name[64];
	struct stat sb;
	long long now = (long long)time(NULL);
	int i;

	for (i = 0; i < 100; i++) {
		if (i == 0)
			snprintf(
			    name, sizeof name, STORE_FILE ".corrupt-%lld", now);
		else
			snprintf(name, sizeof name,
			    STORE_FILE ".corrupt-%lld.%d", now, i);
		if (fstatat(st->st_dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) ==
		        -1 &&
		    errno == ENOENT)
			break;
	}
	if (renameat(st->st_dirfd, STORE_FILE, st->st_dirfd, name) == -1) {
		log_warn("state_dir %s: %s is unusable (%s) and cannot be "
		         "renamed to %s",
		    st->st_dir, STORE_FILE, why, name);
		return;
	}
	log_warnx("state_dir %s: %s is unusable (%s): moved aside to %s, "
	          "starting without saved state",
	    st->st_dir, STORE_FILE, why, name);
}

/*
 * Reads state.json into *buf (NUL-terminated, *len bytes).  0, 1 if
 * there is none, -1 if it cannot be read (why filled), -2 out of memory.
 */
static int
store_read(struct store *st, char **buf, size_t *len, char *why, size_t wlen)
{
	struct stat sb;
	size_t cap, n = 0;
	char *b = NULL, *grown;
	ssize_t got;
	int fd, rc = -1;

	*buf = NULL;
	if ((fd = openat(st->st_dirfd, STORE_FILE, O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, wlen, "open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(why, wlen, "fstat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > STORE_MAX_BYTES) {
		snprintf(why, wlen, "%s",
		    S_ISREG(sb.st_mode) ? "too large" : "not a regular file");
		goto fail;
	}
	cap = (size_t)sb.st_size + 2;
	if ((b = malloc(cap)) == NULL) {
		rc = -2;
		goto fail;
	}
	for (;;) {
		if (n + 1 == cap) {
			/* It grew since fstat: not ours, but read on. */
			if (cap > STORE_MAX_BYTES) {
				snprintf(why, wlen, "too large");
				goto fail;
			}
			if ((grown = realloc(b, cap * 2)) == NULL) {
				rc = -2;
				goto fail;
			}
			b = grown;
			cap *= 2;
		}
		if ((got = read(fd, b + n, cap - n - 1)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, wlen, "read: %s", strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	close(fd);
	*buf = b;
	*len = n;
	return 0;
fail:
	free(b);
	close(fd);
	return rc;
}

/* Returns 1 if buf[from..len) is only JSON white space. */
static int
store_only_space(const char *buf, size_t from, size_t len)
{
	for (; from < len; from++) {
		if (strchr(" \t\r\n", buf[from]) == NULL || buf[from] == '\0')
			return 0;
	}
	return 1;
}

/* Parses all of buf as one JSON document; NULL with why or *oom set. */
static struct json_object *
store_parse(const char *buf, size_t len, char *why, size_t wlen, int *oom)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	struct json_object *doc;

	if (len > INT32_MAX) {
		snprintf(why, wlen, "too large");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(STORE_MAX_DEPTH)) == NULL) {
		*oom = 1;
		return NULL;
	}
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (doc == NULL && jerr == json_tokener_continue)
		snprintf(why, wlen, "truncated after %zu bytes", len);
	else if (doc == NULL)
		snprintf(why, wlen, "bad JSON at byte %zu: %s",
		    json_tokener_get_parse_end(tok),
		    json_tokener_error_desc(jerr));
	else if (!store_only_space(buf, json_tokener_get_parse_end(tok), len)) {
		snprintf(why, wlen, "trailing bytes at byte %zu",
		    json_tokener_get_parse_end(tok));
		json_object_put(doc);
		doc = NULL;
	}
	json_tokener_free(tok);
	return doc;
}

/*
 * Sets *v to o's member key: NULL if absent or null.  0, or -1 if it is
 * there with a type other than type.
 */
static int
store_member(struct json_object *o, const char *key, enum json_type type,
    struct json_object **v)
{
	if (!json_object_object_get_ex(o, key, v) || *v == NULL) {
		*v = NULL;
		return 0;
	}
	return json_object_is_type(*v, type) ? 0 : -1;
}

/*
 * Decodes a stat's saved records; NULL, or why they are bad.  With e,
 * restores every point (oldest first) into e's stat *idx.
 */
static const char *
store_decode_points(
    struct json_object *text, struct cache_entry *e, const size_t *idx)
{
	const char *why = NULL;
	unsigned char *raw;
	uint64_t ms, bits;
	int64_t last = INT64_MIN;
	double v;
	size_t len = (size_t)json_object_get_string_len(text), i;
	long n;

	if ((raw = malloc(len / 4 * 3 + 1)) == NULL)
		return "out of memory";
	n = base64_decode(json_object_get_string(text), len, raw);
	if (n < 0 || n % STORE_POINT_BYTES != 0)
		why = "history is not base64 of 16-byte points";
	for (i = 0; why == NULL && i < (size_t)n; i += STORE_POINT_BYTES) {
		memcpy(&ms, raw + i, 8);
		memcpy(&bits, raw + i + 8, 8);
		ms = le64toh(ms);
		bits = le64toh(bits);
		memcpy(&v, &bits, sizeof v);
		if ((int64_t)ms < last)
			why = "history out of order";
		else if (e != NULL)
			cache_restore_point(e, *idx, (int64_t)ms, v);
		last = (int64_t)ms;
	}
	free(raw);
	return why;
}

/* Checks a saved {stat: [[ms, value], ...]}; NULL if good, else why. */
static const char *
store_check_history(struct json_object *h)
{
	struct json_object *pt, *ms, *v;
	const char *why;
	int64_t last;
	size_t i, n;

	json_object_object_foreach(h, stat, points)
	{
		(void)stat;
		if (json_object_is_type(points, json_type_string)) {
			if ((why = store_decode_points(points, NULL, NULL)) !=
			    NULL)
				return why;
			continue;
		}
		/* Version 1 wrote [[ms, value], ...]. */
		if (!json_object_is_type(points, json_type_array))
			return "history is not an array";
		n = json_object_array_length(points);
		last = INT64_MIN;
		for (i = 0; i < n; i++) {
			pt = json_object_array_get_idx(points, i);
			if (!json_object_is_type(pt, json_type_array) ||
			    json_object_array_length(pt) != 2)
				return "history point is not [ms, value]";
			ms = json_object_array_get_idx(pt, 0);
			v = json_object_array_get_idx(pt, 1);
			if (!json_object_is_type(ms, json_type_int) ||
			    (v != NULL &&
			        !json_object_is_type(v, json_type_double) &&
			        !json_object_is_type(v, json_type_int)))
				return "history point is not [ms, value]";
			if (json_object_get_int64(ms) < last)
				return "history out of order";
			last = json_object_get_int64(ms);
		}
	}
	return NULL;
}

/* Checks saved values: scalars only, as extract makes them. */
static const char *
store_check_values(struct json_object *values)
{
	json_object_object_foreach(values, stat, v)
	{
		(void)stat;
		switch (json_object_get_type(v)) {
		case json_type_null:
		case json_type_boolean:
		case json_type_double:
		case json_type_int:
		case json_type_string:
			break;
		default:
			return "a value is an object or array";
		}
	}
	return NULL;
}

/* Reads a saved error into err; NULL if good, else why. */
static const char *
store_check_error(struct json_object *o, struct source_error *err)
{
	struct json_object *kind, *msg, *status, *at;
	enum source_err k;

	if (store_member(o, "kind", json_type_string, &kind) == -1 ||
	    store_member(o, "message", json_type_string, &msg) == -1 ||
	    store_member(o, "http_status", json_type_int, &status) == -1 ||
	    store_member(o, "at", json_type_int, &at) == -1 || kind == NULL ||
	    at == NULL)
		return "bad error";
	for (k = SOURCE_ERR_DNS; k <= SOURCE_ERR_INTERNAL; k++) {
		if (strcmp(source_err_name(k), json_object_get_string(kind)) ==
		    0)
			break;
	}
	if (k > SOURCE_ERR_INTERNAL)
		return "unknown error kind";
	source_error_set(err, k,
	    status != NULL ? json_object_get_int(status) : 0,
	    json_object_get_int64(at), "%s",
	    msg != NULL ? json_object_get_string(msg) : "");
	return NULL;
}

/* Reads e's saved state o into sv; NULL if good, else why. */
static const char *
store_check_entry(struct json_object *o, struct store_saved *sv)
{
	struct json_object *url, *updated, *etag, *lm, *err;
	const char *why;

	memset(sv, 0, sizeof *sv);
	if (!json_object_is_type(o, json_type_object))
		return "not an object";
	if (store_member(o, "url", json_type_string, &url) == -1 || url == NULL)
		return "no url";
	sv->sv_url = json_object_get_string(url);
	if (store_member(o, "values", json_type_object, &sv->sv_values) == -1 ||
	    store_member(o, "updated_at", json_type_int, &updated) == -1 ||
	    store_member(o, "etag", json_type_string, &etag) == -1 ||
	    store_member(o, "last_modified", json_type_string, &lm) == -1 ||
	    store_member(o, "error", json_type_object, &err) == -1 ||
	    store_member(o, "history", json_type_object, &sv->sv_history) ==
	        -1 ||
	    store_member(o, "stats", json_type_object, &sv->sv_stats) == -1)
		return "a member has the wrong type";
	if (sv->sv_stats != NULL) {
		json_object_object_foreach(sv->sv_stats, stat, pointer)
		{
			(void)stat;
			if (!json_object_is_type(pointer, json_type_string))
				return "a stat's pointer is not a string";
		}
	}
	if (sv->sv_values != NULL) {
		if (updated == NULL || json_object_get_int64(updated) <= 0)
			return "values without updated_at";
		if ((why = store_check_values(sv->sv_values)) != NULL)
			return why;
		sv->sv_updated_at = json_object_get_int64(updated);
	}
	if (err != NULL) {
		if ((why = store_check_error(err, &sv->sv_error)) != NULL)
			return why;
		sv->sv_has_error = 1;
	}
	if (sv->sv_history != NULL &&
	    (why = store_check_history(sv->sv_history)) != NULL)
		return why;
	sv->sv_etag = etag != NULL ? json_object_get_string(etag) : NULL;
	sv->sv_last_modified = lm != NULL ? json_object_get_string(lm) : NULL;
	return NULL;
}

/*
 * Returns the index of e's stat that is the same stat (source_same_stat)
 * as the one saved as name, or -1.
 */
static int
store_stat_index(
    const struct cache_entry *e, const struct store_saved *sv, const char *name)
{
	struct json_object *pointer = NULL;
	struct config_stat saved;
	int i;

	if ((i = cache_stat_index(e, name)) == -1)
		return -1;
	/* A file from before pointers were saved: NULL, which matches. */
	if (sv->sv_stats != NULL)
		json_object_object_get_ex(sv->sv_stats, name, &pointer);
	saved.cs_name = (char *)name;
	saved.cs_pointer =
	    pointer != NULL ? (char *)json_object_get_string(pointer) : NULL;
	return source_same_stat(&e->ce_src->src_stats[i], &saved) ? i : -1;
}

/*
 * Returns the saved values of e's configured stats (shared), NULL if
 * none is there; *all says whether every configured stat was.
 */
static struct json_object *
store_pick_values(const struct cache_entry *e, const struct store_saved *sv,
    int *all, int *oom)
{
	const struct config_source *src = e->ce_src;
	struct json_object *o, *v, *saved = sv->sv_values;
	size_t i, found = 0;

	*all = 0;
	*oom = 0;
	if (saved == NULL)
		return NULL;
	if ((o = json_object_new_object()) == NULL)
		goto fail;
	for (i = 0; i < src->src_nstats; i++) {
		if (!json_object_object_get_ex(
		        saved, src->src_stats[i].cs_name, &v) ||
		    store_stat_index(e, sv, src->src_stats[i].cs_name) == -1)
			continue;
		if (json_object_object_add(o, src->src_stats[i].cs_name,
		        json_object_get(v)) != 0) {
			json_object_put(v);
			goto fail;
		}
		found++;
	}
	*all = found == src->src_nstats;
	if (found == 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
fail:
	json_object_put(o);
	*oom = 1;
	return NULL;
}

/* Applies checked state sv to e; 0, or -1 if out of memory. */
static int
store_apply(struct store *st, struct cache_entry *e, struct store_saved *sv)
{
	struct json_object *values, *pt, *v;
	size_t j, n;
	int all, oom, idx;

	values = store_pick_values(e, sv, &all, &oom);
	if (oom)
		return -1;
	if (sv->sv_history != NULL) {
		json_object_object_foreach(sv->sv_history, stat, arr)
		{
			/* A stat no longer configured, or whose pointer
			 * changed, is dropped. */
			if ((idx = store_stat_index(e, sv, stat)) < 0)
				continue;
			if (json_object_is_type(arr, json_type_string)) {
				j = (size_t)idx;
				(void)store_decode_points(arr, e, &j);
				continue;
			}
			n = json_object_array_length(arr);
			for (j = 0; j < n; j++) {
				pt = json_object_array_get_idx(arr, j);
				v = json_object_array_get_idx(pt, 1);
				cache_restore_point(e, (size_t)idx,
				    json_object_get_int64(
				        json_object_array_get_idx(pt, 0)),
				    v != NULL ? json_object_get_double(v)
				              : NAN);
			}
		}
	}
	/*
	 * The validators stand for the whole upstream answer: with a stat
	 * added since, a 304 would keep values that lack it forever.
	 */
	return cache_restore_entry(st->st_cache, e, values, sv->sv_updated_at,
	    sv->sv_has_error ? &sv->sv_error : NULL, all ? sv->sv_etag : NULL,
	    all ? sv->sv_last_modified : NULL);
}

/* Checks the document's shape; its sources object, or NULL and why. */
static struct json_object *
store_check_doc(struct json_object *doc, char *why, size_t wlen)
{
	struct json_object *version, *sources;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(why, wlen, "not a JSON object");
		return NULL;
	}
	if (store_member(doc, "version", json_type_int, &version) == -1 ||
	    version == NULL) {
		snprintf(why, wlen, "no version");
		return NULL;
	}
	if (json_object_get_int64(version) != STORE_VERSION &&
	    json_object_get_int64(version) != 1) {
		snprintf(why, wlen, "version %lld, not %d",
		    (long long)json_object_get_int64(version), STORE_VERSION);
		return NULL;
	}
	if (store_member(doc, "sources", json_type_object, &sources) == -1 ||
	    sources == NULL) {
		snprintf(why, wlen, "no sources object");
		return NULL;
	}
	return sources;
}

/* Returns src filled with what sv saved of the source called name. */
static const struct config_source *
store_saved_source(
    struct config_source *src, const char *name, const struct store_saved *sv)
{
	memset(src, 0, sizeof *src);
	src->src_name = (char *)name;
	src->src_url = (char *)sv->sv_url;
	return src;
}

/* Applies each saved source to its entry, if it still matches; 0 or -1. */
static int
store_load(struct store *st, struct json_object *sources)
{
	struct config_source saved;
	struct store_saved sv;
	struct cache_entry *e;
	size_t restored = 0, dropped = 0;
	const char *bad;

	json_object_object_foreach(sources, name, o)
	{
		if ((e = cache_find(st->st_cache, name)) == NULL) {
			log_info("state_dir %s: source %s is no longer "
			         "configured: its state is dropped",
			    st->st_dir, name);
			dropped++;
		} else if ((bad = store_check_entry(o, &sv)) != NULL) {
			log_warnx("state_dir %s: source %s: %s: its state is "
			          "dropped",
			    st->st_dir, name, bad);
			dropped++;
		} else if (!source_same(e->ce_src,
		               store_saved_source(&saved, name, &sv))) {
			log_info("state_dir %s: source %s: the url changed: "
			         "its state is dropped",
			    st->st_dir, name);
			dropped++;
		} else if (store_apply(st, e, &sv) == -1)
			return -1;
		else
			restored++;
	}
	log_info("state_dir %s: restored the state of %zu sources, dropped %zu",
	    st->st_dir, restored, dropped);
	return 0;
}

/* Loads state.json into the matching entries of the cache; 0 or -1. */
int
store_restore(struct store *st)
{
	struct json_object *doc = NULL, *sources;
	char why[256] = "", *buf = NULL;
	size_t len = 0;
	int rc, oom = 0;

	switch (store_read(st, &buf, &len, why, sizeof why)) {
	case 1:
		log_info("state_dir %s: no saved state", st->st_dir);
		return 0;
	case -2:
		rc = -1;
		break;
	case -1:
		store_move_aside(st, why);
		rc = 0;
		break;
	default:
		doc = store_parse(buf, len, why, sizeof why, &oom);
		if (doc != NULL &&
		    (sources = store_check_doc(doc, why, sizeof why)) != NULL)
			rc = store_load(st, sources);
		else if (oom)
			rc = -1;
		else {
			store_move_aside(st, why);
			rc = 0;
		}
		break;
	}
	if (rc == -1)
		log_warnx("state_dir %s: out of memory restoring the state",
		    st->st_dir);
	json_object_put(doc);
	free(buf);
	return rc;
}
