/*
 * From an upstream body to stat values, with no network in sight.  The
 * body is parsed with a reused json-c tokener (depth limit, UTF-8
 * validation, no trailing bytes) and each stat is selected with a JSON
 * Pointer or, for "jq:" stats, a jq program (extract_jq); a source's
 * error_if program may first find an error inside a 2xx body.  Any
 * failure is reported as a source_error kind.
 */
#ifndef GATHERD_EXTRACT_H
#define GATHERD_EXTRACT_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "source.h"

#define EXTRACT_MAX_DEPTH 64

struct extract;

/* Creates an extractor with a tokener limited to max_depth. */
struct extract *extract_new(int max_depth);
/* Frees ex; NULL is allowed. */
void extract_free(struct extract *ex);
/*
 * Parses body and selects every stat.  On success returns 0 and stores in
 * *values a new JSON object {stat name: value} that the caller owns.  On
 * failure returns -1 and fills err's kind and message (not its time).
 */
int extract_values(struct extract *ex, const char *body, size_t len,
    const struct config_stat *stats, size_t nstats, struct json_object **values,
    struct source_error *err);
/*
 * The same for src's stats, after src's error_if: if that program's first
 * output is anything but null or false, fails with kind api_error.
 */
int extract_source(struct extract *ex, const char *body, size_t len,
    const struct config_source *src, struct json_object **values,
    struct source_error *err);
/* Returns 1 if jq sees src's bodies: a jq stat or an error_if. */
int extract_source_needs_jq(const struct config_source *src);

#endif
