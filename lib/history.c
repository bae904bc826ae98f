/*
 * The history of one stat: its last points in compressed blocks
 * (tsblock: delta-of-delta times, values as scaled-integer deltas or
 * XOR), so memory grows with the points held, about two bytes a point
 * on analytics series instead of sixteen.  Blocks are filled one at a
 * time and sealed when full (the capacity's worth, within 32 and
 * TSBLOCK_POINTS_MAX points: few blocks, each with its own overhead);
 * the oldest block's first points are skipped as newer ones come, it is
 * rewritten without them each time a quarter of a block is skipped and
 * freed once every one is gone, so at most `capacity` points are shown
 * and at most a quarter of a block more are held.  Times only grow
 * within a source, which lets history_each skip a whole block ending
 * before since.  The blocks go to the state file and come back as their
 * encoded bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "tsblock.h"

#define HISTORY_BLOCK_MIN 32 /* points a block holds at least */
#define HISTORY_TRIM_DIV 4 /* the oldest block is rewritten every 1/4 */

struct history {
	struct tsblock **h_blocks; /* oldest first; the last one is open */
	size_t h_nblocks;
	size_t h_slots; /* allocated entries of h_blocks */
	size_t h_cap; /* points shown at most */
	size_t h_len; /* points shown */
	size_t h_skip; /* points of the oldest block no longer shown */
};

/* Creates a history of capacity points; NULL if out of memory. */
struct history *
history_new(size_t capacity)
{
	struct history *h;

	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->h_cap = capacity;
	return h;
}

/* Frees every block of h. */
static void
history_free_blocks(struct history *h)
{
	size_t i;

	for (i = 0; i < h->h_nblocks; i++)
		tsblock_free(h->h_blocks[i]);
	free(h->h_blocks);
	h->h_blocks = NULL;
	h->h_nblocks = h->h_slots = 0;
	h->h_len = h->h_skip = 0;
}

/* Frees h; NULL is allowed. */
void
history_free(struct history *h)
{
	if (h == NULL)
		return;
	history_free_blocks(h);
	free(h);
}

/* Returns the points a block of h takes before it is sealed: the
 * capacity, within HISTORY_BLOCK_MIN and TSBLOCK_POINTS_MAX. */
static size_t
history_block_points(const struct history *h)
{
	size_t n = h->h_cap;

	if (n < HISTORY_BLOCK_MIN)
		n = HISTORY_BLOCK_MIN;
	return n < TSBLOCK_POINTS_MAX ? n : TSBLOCK_POINTS_MAX;
}

/* Puts b after the last block, which is sealed; 0 or -1 (b not taken).
 * The first time, room for every block h can hold (full ones, the oldest
 * being skipped, the open one). */
static int
history_push_block(struct history *h, struct tsblock *b)
{
	struct tsblock **blocks;
	size_t slots;

	if (h->h_nblocks == h->h_slots) {
		slots = h->h_slots ? h->h_slots * 2
		                   : h->h_cap / history_block_points(h) + 2;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		blocks = reallocarray(h->h_blocks, slots, sizeof *blocks);
		if (blocks == NULL)
			return -1;
		h->h_blocks = blocks;
		h->h_slots = slots;
	}
	if (h->h_nblocks > 0)
		tsblock_seal(h->h_blocks[h->h_nblocks - 1]);
	h->h_blocks[h->h_nblocks++] = b;
	return 0;
}

/* Opens a new block after the last (sealed); 0 or -1. */
static int
history_open_block(struct history *h)
{
	struct tsblock *b;

	if ((b = tsblock_new()) == NULL)
		return -1;
	if (history_push_block(h, b) == -1) {
		tsblock_free(b);
		return -1;
	}
	return 0;
}

/* What history_trim_cb is given: the new block, the points to skip. */
struct history_trim {
	struct tsblock *ht_block;
	size_t ht_skip;
	int ht_failed;
};

/* tsblock_each callback: copies a point past the skipped ones. */
static void
history_trim_cb(int64_t ms, double value, void *arg)
{
	struct history_trim *t = arg;

	if (t->ht_skip > 0)
		t->ht_skip--;
	else if (tsblock_append(t->ht_block, ms, value) != 0)
		t->ht_failed = 1;
}

/* Rewrites the oldest block without its skipped points, so that they
 * are not held until the last of the block goes; left as it is if out
 * of memory. */
static void
history_trim_oldest(struct history *h)
{
	struct history_trim t = {NULL, h->h_skip, 0};

	if ((t.ht_block = tsblock_new()) == NULL)
		return;
	tsblock_each(h->h_blocks[0], history_trim_cb, &t);
	if (t.ht_failed) {
		tsblock_free(t.ht_block);
		return;
	}
	if (h->h_nblocks > 1)
		tsblock_seal(t.ht_block);
	tsblock_free(h->h_blocks[0]);
	h->h_blocks[0] = t.ht_block;
	h->h_skip = 0;
}

/* Drops the oldest shown point, freeing its block once it is empty and
 * rewriting it each time a quarter of a block's points are skipped. */
static void
history_drop_oldest(struct history *h)
{
	h->h_len--;
	if (++h->h_skip < tsblock_count(h->h_blocks[0])) {
		if (h->h_skip >= history_block_points(h) / HISTORY_TRIM_DIV)
			history_trim_oldest(h);
		return;
	}
	tsblock_free(h->h_blocks[0]);
	h->h_nblocks--;
	/* NOLINTBEGIN(bugprone-sizeof-expression): an array of pointers */
	memmove(
	    h->h_blocks, h->h_blocks + 1, h->h_nblocks * sizeof *h->h_blocks);
	/* NOLINTEND(bugprone-sizeof-expression) */
	h->h_skip = 0;
}

/* Appends a point, dropping the oldest beyond the capacity.  A point
 * that cannot be stored (out of memory) is lost, never half stored. */
void
history_add(struct history *h, int64_t ms, double value)
{
	int rc;

	if (h->h_cap == 0)
		return;
	if (h->h_nblocks == 0 && history_open_block(h) == -1)
		return;
	rc = tsblock_count(h->h_blocks[h->h_nblocks - 1]) >=
	        history_block_points(h)
	    ? 1
	    : tsblock_append(h->h_blocks[h->h_nblocks - 1], ms, value);
	if (rc == 1) {
		if (history_open_block(h) == -1)
			return;
		rc = tsblock_append(h->h_blocks[h->h_nblocks - 1], ms, value);
	}
	if (rc != 0)
		return;
	h->h_len++;
	while (h->h_len > h->h_cap)
		history_drop_oldest(h);
}

/* Drops every point. */
void
history_clear(struct history *h)
{
	history_free_blocks(h);
}

/* Returns the number of points held. */
size_t
history_len(const struct history *h)
{
	return h->h_len;
}

/* Returns the most points h holds. */
size_t
history_capacity(const struct history *h)
{
	return h->h_cap;
}

/* Returns the bytes of memory h takes (its blocks included). */
size_t
history_bytes(const struct history *h)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	size_t i, n = sizeof *h + h->h_slots * sizeof(void *);

	for (i = 0; i < h->h_nblocks; i++)
		n += tsblock_bytes(h->h_blocks[i]);
	return n;
}

/* What history_each passes through tsblock_each. */
struct history_walk {
	history_each_cb hw_cb;
	void *hw_arg;
	int64_t hw_since;
	size_t hw_skip; /* points of this block still to skip */
};

/* tsblock_each callback: a point, shown if not skipped and recent. */
static void
history_point_cb(int64_t ms, double value, void *arg)
{
	struct history_walk *w = arg;
	struct history_point pt = {ms, value};

	if (w->hw_skip > 0) {
		w->hw_skip--;
		return;
	}
	if (ms >= w->hw_since)
		w->hw_cb(&pt, w->hw_arg);
}

/* Calls cb for every point at or after since_ms, oldest first. */
void
history_each(
    const struct history *h, int64_t since_ms, history_each_cb cb, void *arg)
{
	struct history_walk w = {cb, arg, since_ms, 0};
	size_t i;

	for (i = 0; i < h->h_nblocks; i++) {
		/* A block that ends before since holds nothing to show. */
		if (tsblock_last_ms(h->h_blocks[i]) < since_ms)
			continue;
		w.hw_skip = i == 0 ? h->h_skip : 0;
		tsblock_each(h->h_blocks[i], history_point_cb, &w);
	}
}

/* Calls cb for every block, oldest first; returns the oldest's skip. */
size_t
history_each_block(const struct history *h, history_block_cb *cb, void *arg)
{
	const uint8_t *data;
	size_t i, len;

	for (i = 0; i < h->h_nblocks; i++) {
		data = tsblock_data(h->h_blocks[i], &len);
		cb(data, len, tsblock_count(h->h_blocks[i]), arg);
	}
	return h->h_skip;
}

/* Checks a loaded block against h: NULL if it may follow, else why. */
static const char *
history_check_block(
    const struct history *h, const struct tsblock *b, size_t skip)
{
	if (tsblock_count(b) == 0)
		return "the block is empty";
	if (skip > 0 && h->h_nblocks > 0)
		return "only the first block has points not shown";
	if (skip >= tsblock_count(b))
		return "the block has no point shown";
	if (tsblock_first_ms(b) > tsblock_last_ms(b))
		return "the block ends before it starts";
	if (h->h_nblocks > 0 &&
	    tsblock_first_ms(b) <
	        tsblock_last_ms(h->h_blocks[h->h_nblocks - 1]))
		return "the block starts before the one before it ends";
	return NULL;
}

/* Appends a saved block, skip of its points not shown; 0 or -1 (why). */
int
history_load_block(struct history *h, const uint8_t *data, size_t len,
    unsigned count, size_t skip, const char **why)
{
	struct tsblock *b;

	if ((b = tsblock_load(data, len, count, why)) == NULL)
		return -1;
	if ((*why = history_check_block(h, b, skip)) != NULL)
		goto fail;
	if (history_push_block(h, b) == -1) {
		*why = "out of memory";
		goto fail;
	}
	h->h_skip += skip;
	h->h_len += count - skip;
	while (h->h_len > h->h_cap)
		history_drop_oldest(h);
	return 0;
fail:
	tsblock_free(b);
	return -1;
}
