/*
 * Persistence of the cache in state_dir, so that a restart serves the
 * last good values at once instead of "pending".  Per source the values,
 * when they were fetched, the last error, the validators and the history
 * go to one JSON file, state.json, written by a worker thread without
 * ever leaving a half-written file; at start they come back into the
 * entries of the same source (source_same: name and URL without
 * credentials), stat by stat (source_same_stat: name and pointer).
 */
#ifndef GATHERD_STORE_H
#define GATHERD_STORE_H

#include <stdint.h>

#include <event2/event.h>

#include "cache.h"

#define STORE_FILE "state.json" /* in state_dir */
#define STORE_VERSION 3 /* the file's "version"; 2 and 1 are read too */
#define STORE_INTERVAL_MS 5000 /* default least time between writes */

struct store;

/*
 * Keeps c's state in state_dir, writing at most every interval_ms (0:
 * STORE_INTERVAL_MS) after a change, and listens to c for changes
 * (cache_add_listener).  NULL, logged, if state_dir is not a writable
 * directory.  base and c must outlive the store.
 */
struct store *store_new(struct event_base *base, const char *state_dir,
    struct cache *c, unsigned interval_ms);
/*
 * Loads state.json into the entries of the cache of the same source;
 * call it once, before polling starts.  A missing file restores
 * nothing; a corrupt one is moved aside (state.json.corrupt-UNIXTIME),
 * logged and ignored.  0, or -1 only if memory runs out.
 */
int store_restore(struct store *st);
/* Marks the state changed; it is written within the interval.  Cheap. */
void store_changed(struct store *st);
/* Writes the state now and waits until it is on disk; 0 or -1 (logged). */
int store_flush(struct store *st);
/*
 * Stops listening, waits for a write in progress, drops one not yet
 * started (call store_flush first to keep it) and frees st; NULL is
 * allowed.
 */
void store_free(struct store *st);
/* Returns how many times state.json has been replaced (for tests). */
uint64_t store_writes(struct store *st);

#endif
