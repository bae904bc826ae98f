/*
 * The store.  The loop thread serialises every source's state with json-c
 * into one buffer and hands it to a single worker thread, which writes it
 * to state.json.tmp, fsyncs it, renames it over state.json and fsyncs the
 * directory: a crash at any moment leaves the old or the new whole file.
 * A newer buffer replaces one the worker has not started; a timer on the
 * loop serialises at most once per interval and retries failed writes.
 * Restore trusts nothing: a bad file is moved aside, a bad entry skipped.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "log.h"
#include "state_codec.h"
#include "store.h"
#include "timeutil.h"

#define STORE_TMP STORE_FILE ".tmp"
#define STORE_MAX_BYTES (256u * 1024 * 1024) /* a larger file is corrupt */
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
		if (state_codec_empty(e))
			continue;
		if ((o = state_codec_encode(e)) == NULL ||
		    (name = json_object_new_string(e->ce_src->src_name)) ==
		        NULL) {
			json_object_put(o);
			rc = -1;
			break;
		}
		if (!first)
			rc = printbuf_memappend(pb, ",", 1) < 0;
		first = 0;
		text = state_codec_text(name, &n);
		if (rc == 0 && text != NULL)
			rc = printbuf_memappend(pb, text, (int)n) < 0 ||
			    printbuf_memappend(pb, ":", 1) < 0;
		text = state_codec_text(o, &n);
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

/* The cache changed: any entry, or all of them. */
static void
store_cache_changed_cb(struct cache_entry *e, void *arg)
{
	(void)e;
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

/* Checks the document's shape; its sources object, or NULL and why. */
static struct json_object *
store_check_doc(struct json_object *doc, char *why, size_t wlen)
{
	struct json_object *version, *sources;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(why, wlen, "not a JSON object");
		return NULL;
	}
	if (state_codec_member(doc, "version", json_type_int, &version) == -1 ||
	    version == NULL) {
		snprintf(why, wlen, "no version");
		return NULL;
	}
	if (json_object_get_int64(version) < 1 ||
	    json_object_get_int64(version) > STORE_VERSION) {
		snprintf(why, wlen, "version %lld, not %d",
		    (long long)json_object_get_int64(version), STORE_VERSION);
		return NULL;
	}
	if (state_codec_member(doc, "sources", json_type_object, &sources) ==
	        -1 ||
	    sources == NULL) {
		snprintf(why, wlen, "no sources object");
		return NULL;
	}
	return sources;
}

/* Applies each saved source to its entry, if it still matches; 0 or -1. */
static int
store_load(struct store *st, struct json_object *sources)
{
	struct state_saved sv;
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
		} else if ((bad = state_codec_decode(o, &sv)) != NULL) {
			log_warnx("state_dir %s: source %s: %s: its state is "
			          "dropped",
			    st->st_dir, name, bad);
			dropped++;
		} else if (!state_codec_same_source(e, name, &sv)) {
			log_info("state_dir %s: source %s: the url changed: "
			         "its state is dropped",
			    st->st_dir, name);
			dropped++;
		} else if (state_codec_apply(st->st_cache, e, &sv) == -1)
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
		doc = state_codec_parse(buf, len, why, sizeof why, &oom);
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
