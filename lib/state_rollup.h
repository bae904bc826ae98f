/*
 * A stat's rollups in the state file: the four series of closed buckets
 * saved as their compressed blocks (state_codec's history form), the
 * open bucket as base64 of its 40 bytes, and the bucket width, so a
 * file read under another width is not mistaken for this one.
 */
#ifndef GATHERD_STATE_ROLLUP_H
#define GATHERD_STATE_ROLLUP_H

#include <json-c/json.h>

#include "rollup.h"
#include "state_codec.h"

#define STATE_ROLLUP_OPEN_BYTES 40 /* start, min, max, sum, count */

/* Returns r as saved, {"width_ms", "min", "max", "sum", "count",
 * "open"}; NULL if out of memory or r keeps no buckets. */
struct json_object *state_rollup_json(const struct rollup *r);
/* Checks the shape of saved rollups o; NULL if good, else why. */
const char *state_rollup_check(struct json_object *o);
/*
 * Restores saved rollups o into r (empty), telling cb of each block left
 * out.  1 if restored; 0 if not (another width, r keeping none, or the
 * four series no longer agreeing after a block was left out), r then
 * left empty for the caller to rebuild from the raw points.
 */
int state_rollup_restore(struct json_object *o, struct rollup *r,
    state_codec_skip_cb *cb, void *arg);

#endif
