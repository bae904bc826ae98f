/*
 * One encoding of a source's state, for the state file now and for the
 * cluster's shared store next: values, when they were fetched, the last
 * error, the validators, each stat's pointer and the history (its
 * compressed blocks as they are, in base64) to and from json-c objects
 * and text.  No file I/O: the
 * caller decides where the text goes.  Decoding trusts nothing; a bad
 * entry is refused with the reason, never half applied.
 */
#ifndef GATHERD_STATE_CODEC_H
#define GATHERD_STATE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cache.h"
#include "source.h"

#define STATE_CODEC_POINT_BYTES 16 /* ms, value bits: little-endian 64 */
#define STATE_CODEC_MAX_DEPTH 16 /* the state file nests 6 deep */

/* One source's saved state, checked but not applied; borrowed from the
 * object it was decoded from. */
struct state_saved {
	const char *sv_url; /* without credentials */
	struct json_object *sv_values; /* NULL: none */
	int64_t sv_updated_at;
	int sv_has_error;
	struct source_error sv_error;
	const char *sv_etag;
	const char *sv_last_modified;
	struct json_object *sv_history; /* {stat: {"raw": history}} */
	struct json_object *sv_stats; /* {stat: pointer}; NULL in older files */
};

/* Called for a saved block left out on restore: its index and why. */
typedef void state_codec_skip_cb(size_t block, const char *why, void *arg);

/*
 * Returns h as saved, {"skip": N, "blocks": [[count, "base64"], ...]}:
 * each block's encoded bytes (history_each_block) and how many of the
 * first block's points are not shown.  The blocks are read from h when
 * the object is turned into text: do that before h changes.  NULL: OOM.
 */
struct json_object *state_codec_history_json(const struct history *h);
/* Checks the shape of a saved history o (not its blocks); NULL if good,
 * else why. */
const char *state_codec_history_check(struct json_object *o);
/*
 * Appends the blocks of a saved history o to h, oldest first.  A block
 * that is corrupt (its base64, checksum or points) or does not follow the
 * one before is left out and cb told, the others kept.  NULL, or why o
 * is not a saved history (h then unchanged).
 */
const char *state_codec_history_restore(struct json_object *o,
    struct history *h, state_codec_skip_cb *cb, void *arg);
/* Returns 1 if e holds nothing worth saving. */
int state_codec_empty(const struct cache_entry *e);
/*
 * Returns e's state as an object, NULL if out of memory.  Values are
 * shared, not copied, and the history is read from e when the object is
 * turned into text: do that before e changes.
 */
struct json_object *state_codec_encode(const struct cache_entry *e);
/* Returns o as compact JSON text of *len bytes, owned by o; NULL: OOM. */
const char *state_codec_text(struct json_object *o, size_t *len);
/*
 * Parses all of buf (len bytes) as one JSON document, strictly and at
 * most STATE_CODEC_MAX_DEPTH deep; NULL with why filled, or *oom set.
 */
struct json_object *state_codec_parse(
    const char *buf, size_t len, char *why, size_t wlen, int *oom);
/* Adds key: v to o, where v NULL means out of memory (v is released
 * if the add fails); 0 or -1. */
int
state_codec_add(struct json_object *o, const char *key, struct json_object *v);
/*
 * Sets *v to o's member key: NULL if absent or null.  0, or -1 if it is
 * there with a type other than type.
 */
int state_codec_member(struct json_object *o, const char *key,
    enum json_type type, struct json_object **v);
/* Returns err as saved ({kind, message, http_status, at}), NULL: OOM. */
struct json_object *state_codec_error_encode(const struct source_error *err);
/* Reads a saved error o into err; NULL if good, else why not. */
const char *
state_codec_error_decode(struct json_object *o, struct source_error *err);
/* Checks saved values: an object of scalars; NULL if good, else why. */
const char *state_codec_check_values(struct json_object *values);
/* Reads a source's saved state o into sv; NULL if good, else why not. */
const char *state_codec_decode(struct json_object *o, struct state_saved *sv);
/* Returns 1 if sv, saved as the source called name, is e's (source_same). */
int state_codec_same_source(const struct cache_entry *e, const char *name,
    const struct state_saved *sv);
/*
 * Applies checked state sv to e in c: the values and history of the same
 * stats (source_same_stat), the error, and the validators if every stat
 * came back.  0, or -1 if out of memory.
 */
int state_codec_apply(
    struct cache *c, struct cache_entry *e, const struct state_saved *sv);

#endif
