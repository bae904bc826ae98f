/*
 * A block of time-series points (wall ms, double) compressed as a bit
 * stream: appended one point at a time, read back bit-exact, saved and
 * loaded as its encoded bytes.  Pure: no I/O, no clock.  The storage of
 * the history ring and its rollups (history.c builds on it).
 */
#ifndef GATHERD_TSBLOCK_H
#define GATHERD_TSBLOCK_H

#include <stddef.h>
#include <stdint.h>

/* A block holds at most this many points. */
#define TSBLOCK_POINTS_MAX 240

struct tsblock;

/* Called for each point of a block, in the order appended. */
typedef void tsblock_point_cb(int64_t ms, double value, void *arg);

/* Returns a new empty block, NULL if out of memory. */
struct tsblock *tsblock_new(void);
/* Frees b; NULL is allowed. */
void tsblock_free(struct tsblock *b);
/* Appends a point (any int64 ms, any double, in any order): 0, 1 if the
 * block is full or sealed, -1 if out of memory (the block unchanged). */
int tsblock_append(struct tsblock *b, int64_t ms, double value);
/* Returns the number of points b holds. */
unsigned tsblock_count(const struct tsblock *b);
/* Returns the first point's ms (0 if b is empty). */
int64_t tsblock_first_ms(const struct tsblock *b);
/* Returns the last point's ms (0 if b is empty). */
int64_t tsblock_last_ms(const struct tsblock *b);
/* Returns the bytes of memory b holds (struct and buffer), for /metrics. */
size_t tsblock_bytes(const struct tsblock *b);
/* Calls cb for every point of b in order, decoding them. */
void tsblock_each(const struct tsblock *b, tsblock_point_cb *cb, void *arg);
/* Returns the encoded form (a borrowed pointer, valid until the next
 * append or seal) and sets *len; with tsblock_count, what
 * tsblock_load takes.  An empty block has no bytes (*len is 0). */
const uint8_t *tsblock_data(const struct tsblock *b, size_t *len);
/* Rebuilds a block from tsblock_data's bytes and count, checking every
 * bit (checksum, bounds, padding): NULL with *why set (a static string)
 * if they are corrupt, truncated or out of memory.  Appending to the
 * block goes on as if it had never been saved. */
struct tsblock *
tsblock_load(const uint8_t *data, size_t len, unsigned count, const char **why);
/* Seals b: frees the spare room of its buffer; appends return 1. */
void tsblock_seal(struct tsblock *b);

#endif
