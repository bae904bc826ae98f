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

#include "config.h"
#include "history.h"
#include "pollstats.h"
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
	char *ce_etag; /* validators of ce_values, or NULL */
	char *ce_last_modified;
	int ce_expired; /* expired as of the last cache_check_expiry */
	enum cache_circuit ce_circuit;
	unsigned ce_circuit_opened; /* times opened since the last ok */
	unsigned ce_budget_remaining; /* its budget's free slots, if any */
	int64_t ce_budget_next_at; /* wall ms one frees, 0 while one is free */
	uint64_t ce_generation; /* cache generation of last change */
	struct pollstats ce_pollstats; /* polls by result, durations, bytes */
};

struct cache;

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
/* Appends a saved point to the history of e's stat i, oldest first. */
void
cache_restore_point(struct cache_entry *e, size_t i, int64_t ms, double value);
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
