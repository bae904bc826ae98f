/*
 * The cache: per source its last good values, when they were fetched,
 * the last error and the poll counters.  It is owned by the loop thread
 * and needs no lock.  Every change bumps a generation counter; renderers
 * use it to know when their output is out of date.
 */
#ifndef GATHERD_CACHE_H
#define GATHERD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "backoff.h"
#include "config.h"
#include "history.h"
#include "pollstats.h"
#include "rollup.h"
#include "source.h"

enum cache_status {
	CACHE_PENDING, /* nothing finished, nothing restored */
	CACHE_OK, /* the last poll succeeded */
	CACHE_STALE, /* the last poll failed, old values served */
	CACHE_ERROR, /* failing and no good value exists */
};

enum cache_circuit {
	CACHE_CIRCUIT_CLOSED, /* polling as usual */
	CACHE_CIRCUIT_OPEN, /* no requests until the next probe */
	CACHE_CIRCUIT_HALF_OPEN, /* the probe is in flight */
};

/* The longest replica name ([cluster] name). */
#define CACHE_REPLICA_MAX 64

/* One source's state.  Read freely; change only through cache_put_*. */
struct cache_entry {
	const struct config_source *ce_src; /* borrowed from the config */
	size_t ce_index;
	char *ce_url_shown; /* the url without credentials */
	struct json_object *ce_values; /* {stat: value}, NULL if none yet */
	int64_t ce_updated_at; /* wall ms of last success, 0 never */
	int64_t ce_last_attempt_at; /* wall ms a poll last ended, 0 never */
	int64_t ce_next_poll_at; /* wall ms, 0 if not scheduled */
	int ce_last_ok; /* the last finished poll succeeded */
	int ce_has_error; /* ce_error holds the last failure */
	struct source_error ce_error;
	uint64_t ce_polls_total;
	uint64_t ce_failures_total;
	uint64_t ce_consecutive_failures;
	int64_t ce_retry_in_ms; /* delay chosen at the last failure */
	struct history **ce_history; /* one ring per stat, config order */
	struct rollup **ce_rollup; /* one per stat, beside ce_history */
	char *ce_etag; /* validators of ce_values, or NULL */
	char *ce_last_modified;
	int ce_expired; /* expired as of the last cache_check_expiry */
	enum cache_circuit ce_circuit;
	unsigned ce_circuit_opened; /* times opened since the last ok */
	unsigned ce_budget_remaining; /* its budget's free slots, if any */
	int64_t ce_budget_next_at; /* wall ms one frees, 0 while one is free */
	uint64_t ce_generation; /* cache generation of last change */
	uint64_t ce_version; /* cluster: version of the shared state held */
	char ce_polled_by[CACHE_REPLICA_MAX + 1]; /* cluster: "" if none */
	struct pollstats ce_pollstats; /* polls by result, durations, bytes */
};

struct cache;

/*
 * What a finished poll leaves of a source: the state that replicas of a
 * cluster share (everything but the local schedule, budget and transfer
 * measurements).  A poll's result is worked out as one (cache_shared_ok,
 * cache_shared_error) and applied with cache_apply_shared, alone at once,
 * in a cluster once Redis took it.
 */
struct cache_shared {
	struct json_object *cs_values; /* owned; NULL: none */
	int64_t cs_updated_at; /* wall ms of the last success, 0 never */
	int64_t cs_last_attempt_at;
	int cs_last_ok;
	int cs_has_error;
	struct source_error cs_error;
	char *cs_etag; /* owned, or NULL */
	char *cs_last_modified;
	int64_t cs_retry_in_ms;
	uint64_t cs_polls_total;
	uint64_t cs_failures_total;
	uint64_t cs_consecutive_failures;
	struct backoff cs_backoff; /* the failure streak and the circuit */
	uint64_t cs_version; /* cluster: as Redis numbered it, 0 alone */
	char cs_polled_by[CACHE_REPLICA_MAX + 1]; /* "" alone */
};

/* Sets s to e's shared state (copies; b is the poller's backoff, or
 * NULL); 0 or -1 if out of memory (s is then cleared). */
int cache_shared_get(struct cache_shared *s, const struct cache_entry *e,
    const struct backoff *b);
/* Frees what s holds; s may then be set again. */
void cache_shared_clear(struct cache_shared *s);
/* Makes s the state after a successful poll at wall time now; takes
 * ownership of values (NULL, a 304, keeps s's). */
void cache_shared_ok(
    struct cache_shared *s, struct json_object *values, int64_t now);
/* Sets copies of the validators of s's values (NULL: none); 0 or -1. */
int cache_shared_set_validators(
    struct cache_shared *s, const char *etag, const char *last_modified);
/* Makes s the state after a failed poll: err and the retry delay. */
void cache_shared_error(struct cache_shared *s, const struct source_error *err,
    int64_t retry_in_ms);
/*
 * Sets e to s, moving out what s owns (s is left cleared); the circuit
 * and the schedule are the poller's.  A success adds a history point
 * with add_point set (a cluster sets it when updated_at moved on).
 */
void cache_apply_shared(struct cache *c, struct cache_entry *e,
    struct cache_shared *s, int add_point);
/* Returns a stat's value as history keeps it: NaN if not a number. */
double cache_value_number(struct json_object *v);
/* Empties the history and rollups of each stat of e (a snapshot
 * replaces them). */
void cache_clear_history(struct cache_entry *e);

/* Creates an entry per source of cf, all pending; cf must outlive it. */
struct cache *cache_new(const struct config *cf);
/*
 * Moves into c the state of every source that old has too (source_same:
 * same name and URL without credentials): values and history of the same
 * stats (source_same_stat), counters (the /metrics ones too), error,
 * circuit, and validators if every stat kept its value (as a restore
 * does).  The generation goes on from old's, so ETags never repeat, and
 * c's listeners are told (with a NULL entry).  old keeps only what was
 * not moved.
 */
void cache_adopt(struct cache *c, struct cache *old);
/* Frees c and its values; NULL is allowed. */
void cache_free(struct cache *c);
/* Returns the number of entries. */
size_t cache_count(const struct cache *c);
/* Returns entry i (0 <= i < cache_count), borrowed. */
struct cache_entry *cache_entry_at(struct cache *c, size_t i);
/* Returns the entry of the source called name, or NULL. */
struct cache_entry *cache_find(struct cache *c, const char *name);
/* Listeners a cache holds at most. */
#define CACHE_LISTENERS_MAX 4

/*
 * Called after every change of the cache: e is the entry that changed,
 * or NULL for a change of the whole cache (cache_adopt).
 */
typedef void (*cache_listener_cb)(struct cache_entry *e, void *arg);

/*
 * Adds a listener told of every change, after those added before it (up
 * to CACHE_LISTENERS_MAX); 0, or -1 if every slot is taken.
 */
int cache_add_listener(struct cache *c, cache_listener_cb cb, void *arg);
/* Removes a listener cache_add_listener added; unknown ones are ignored. */
void cache_remove_listener(struct cache *c, cache_listener_cb cb, void *arg);
/* Returns the generation: it grows by one on every change. */
uint64_t cache_generation(const struct cache *c);
/*
 * Records a successful poll at wall time now.  Takes ownership of values;
 * NULL keeps the previous values (a 304 Not Modified).
 */
void cache_put_ok(struct cache *c, struct cache_entry *e,
    struct json_object *values, int64_t now);
/*
 * Records a failed poll and the delay chosen before the next attempt;
 * the last good values are left alone.
 */
void cache_put_error(struct cache *c, struct cache_entry *e,
    const struct source_error *err, int64_t retry_in_ms);
/*
 * Records how long a finished transfer of e took and the body bytes it
 * received; the cache_put_ok or cache_put_error that follows publishes
 * it, so this does not move the generation.
 */
void cache_put_transfer(struct cache_entry *e, int64_t usec, uint64_t bytes);
/* Counts a successful poll of this replica in e's /metrics figures
 * (the cache_apply_shared that follows publishes it). */
void cache_count_ok(struct cache_entry *e, int not_modified);
/* Counts a failed poll of this replica in e's /metrics figures. */
void cache_count_failed(struct cache_entry *e, enum source_err kind);
/* Records when the next poll of e is due (wall ms). */
void cache_set_next_poll(struct cache *c, struct cache_entry *e, int64_t at);
/* Keeps copies of the ETag and Last-Modified of e's values (or none);
 * 1 if they changed, 0 if not, -1 if out of memory. */
int cache_set_validators(
    struct cache_entry *e, const char *etag, const char *last_modified);
/*
 * Sets e to saved state without counting a poll: values (taken, even on
 * error; NULL: none) fetched at updated_at, the last error (NULL: none)
 * and the validators.  e stays stale until a poll succeeds; 0 or -1.
 */
int cache_restore_entry(struct cache *c, struct cache_entry *e,
    struct json_object *values, int64_t updated_at,
    const struct source_error *err, const char *etag,
    const char *last_modified);
/* Appends a saved point to the history of e's stat i, oldest first,
 * and adds it to the stat's rollups. */
void
cache_restore_point(struct cache_entry *e, size_t i, int64_t ms, double value);
/* Rebuilds the rollups of e's stat i from the raw points it holds (a
 * restore whose saved rollups could not be used). */
void cache_rebuild_rollup(struct cache_entry *e, size_t i);
/* Returns the index of e's stat called name, or -1. */
int cache_stat_index(const struct cache_entry *e, const char *name);
/* Records the state of e's request budget: free slots, and the wall ms
 * when the next one frees (0 while one is free). */
void cache_set_budget(struct cache *c, struct cache_entry *e,
    unsigned remaining, int64_t next_at);
/* Records the state of e's circuit breaker. */
void cache_set_circuit(struct cache *c, struct cache_entry *e,
    enum cache_circuit state, unsigned opened);
/* Marks a change for every source whose values expired (or stopped
 * being expired) since the last call, so documents and events follow. */
void cache_check_expiry(struct cache *c, int64_t now);
/* Returns 1 if e serves stale values older than its max_age at now. */
int cache_entry_expired(const struct cache_entry *e, int64_t now);
/* Returns the status derived from e's state. */
enum cache_status cache_entry_status(const struct cache_entry *e);
/* Returns the API's name of status ("stale"). */
const char *cache_status_name(enum cache_status status);

#endif
