/*
 * The text a cluster keeps in Redis for each source: its shared state
 * (struct cache_shared: values, error, validators, counters, backoff and
 * circuit, the replica that polled) as one JSON document, and its
 * history points as "ms value value ..." lines in the order of a list of
 * stat names.  Pure: no Redis, no cache; decoding trusts nothing and
 * says why it refused.
 */
#ifndef GATHERD_CLUSTER_DOC_H
#define GATHERD_CLUSTER_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

/* The longest document decoding accepts. */
#define CLUSTER_DOC_MAX (1024 * 1024)
/* The most values a point may hold. */
#define CLUSTER_DOC_POINT_MAX 128

/* Returns s as JSON text of *len bytes (malloc'd; the caller frees it),
 * or NULL if out of memory.  cs_version is not in it: Redis numbers. */
char *cluster_doc_encode(const struct cache_shared *s, size_t *len);
/*
 * Reads the document text (len bytes) into s, which it sets from
 * scratch (cs_version 0); NULL if good, else why not (s cleared).
 */
const char *
cluster_doc_decode(const char *text, size_t len, struct cache_shared *s);
/* Returns src's stat names, space-separated (malloc'd), or NULL: OOM. */
char *cluster_doc_stat_names(const struct config_source *src);
/*
 * Returns the history point of values at ms as "ms v1 v2 ..." in the
 * order of src's stats (malloc'd), or NULL if out of memory.
 */
char *cluster_doc_point(
    const struct config_source *src, struct json_object *values, int64_t ms);
/*
 * Adds the point text (len bytes), written by a replica whose stats were
 * names (space-separated), to the history of e's stats of those names;
 * 0, or -1 if it is not a point.
 */
int cluster_doc_add_point(
    struct cache_entry *e, const char *names, const char *text, size_t len);

#endif
