/*
 * Extraction of a big body by jq in a forked child, so that the loop
 * never waits for jq: the child has a copy of everything it needs, the
 * loop reads its result from a pipe, and a child that runs past its
 * time limit is killed.  Bodies below EXTRACT_CHILD_MIN bytes are
 * extracted in the loop: a fork costs more than jq does on them.
 */
#ifndef GATHERD_EXTRACT_CHILD_H
#define GATHERD_EXTRACT_CHILD_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "config.h"
#include "extract.h"
#include "source.h"

/* The smallest body whose jq work goes to a child. */
#define EXTRACT_CHILD_MIN (64 * 1024)

struct extract_child;

/*
 * Called once with the result: values (the callback owns them) on
 * success, else NULL and err (kind and message, not its time).
 */
typedef void (*extract_child_cb)(
    struct json_object *values, struct source_error *err, void *arg);

/*
 * Starts extract_source(ex, body, len, src) in a child on base; cb gets
 * its result, or a missing_stat error if it took longer than limit_ms.
 * NULL if no child could be started (the caller extracts in the loop).
 */
struct extract_child *
extract_child_start(struct event_base *base, struct extract *ex,
    const char *body, size_t len, const struct config_source *src,
    uint64_t limit_ms, extract_child_cb cb, void *arg);
/* Stops ec's extraction, killing its child; cb is not called.  NULL is
 * allowed. */
void extract_child_cancel(struct extract_child *ec);

#endif
