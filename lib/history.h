/*
 * The recent points of one stat, compressed in blocks (tsblock): memory
 * grows with the points held, the oldest dropped beyond the capacity.
 * Values are doubles; a stat that is not a number on some poll records
 * NaN, shown as null.
 */
#ifndef GATHERD_HISTORY_H
#define GATHERD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

/* One point: when (wall ms) and what. */
struct history_point {
	int64_t hp_ms;
	double hp_value;
};

struct history;

/* Called for each point in time order. */
typedef void (*history_each_cb)(const struct history_point *pt, void *arg);
/* Called for each block in time order: its encoded bytes (tsblock_data)
 * and number of points. */
typedef void
history_block_cb(const uint8_t *data, size_t len, unsigned count, void *arg);

/* Creates a ring of capacity points (0: records nothing); NULL if out of
 * memory. */
struct history *history_new(size_t capacity);
/* Frees h; NULL is allowed. */
void history_free(struct history *h);
/* Appends a point, dropping the oldest if the ring is full. */
void history_add(struct history *h, int64_t ms, double value);
/* Drops every point. */
void history_clear(struct history *h);
/* Returns the number of points held. */
size_t history_len(const struct history *h);
/* Returns the bytes of memory h takes, its points included. */
size_t history_bytes(const struct history *h);
/* Returns the most points h holds. */
size_t history_capacity(const struct history *h);
/* Calls cb for every point at or after since_ms, oldest first. */
void history_each(
    const struct history *h, int64_t since_ms, history_each_cb cb, void *arg);

/* Calls cb for every block of h, oldest first, the open one last (its
 * bytes borrowed until h changes); returns how many of the oldest block's
 * first points are no longer shown. */
size_t
history_each_block(const struct history *h, history_block_cb *cb, void *arg);
/*
 * Appends a block saved by history_each_block (its bytes and count),
 * skip of its first points not shown (only for the first block of an
 * empty h), dropping the oldest points beyond the capacity.  The block
 * stays open, taking appends, until another is loaded.  0, or -1 with
 * *why set (a static string) if it is corrupt, empty, out of time order
 * with the block before it, or memory runs out; h is then unchanged.
 */
int history_load_block(struct history *h, const uint8_t *data, size_t len,
    unsigned count, size_t skip, const char **why);

#endif
