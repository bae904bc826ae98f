/*
 * The history ring.  Points live in one array allocated and written up
 * front, so memory per stat is fixed and resident from the start (RSS
 * does not creep up as rings fill); h_head is the index of the oldest
 * point.
 * Times only grow within a source, which lets history_each skip to the
 * first point at or after since with a binary search.
 */
#include <stdlib.h>

#include "history.h"

struct history {
	struct history_point *h_points;
	size_t h_cap;
	size_t h_len;
	size_t h_head;
};

/* Creates a ring of capacity points; NULL if out of memory. */
struct history *
history_new(size_t capacity)
{
	struct history *h;
	size_t i;

	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->h_cap = capacity;
	if (capacity > 0 &&
	    (h->h_points = reallocarray(NULL, capacity, sizeof *h->h_points)) ==
	        NULL) {
		free(h);
		return NULL;
	}
	for (i = 0; i < capacity; i++)
		h->h_points[i].hp_ms = INT64_MIN; /* unused */
	return h;
}

/* Frees h; NULL is allowed. */
void
history_free(struct history *h)
{
	if (h == NULL)
		return;
	free(h->h_points);
	free(h);
}

/* Appends a point, dropping the oldest if the ring is full. */
void
history_add(struct history *h, int64_t ms, double value)
{
	struct history_point *pt;

	if (h->h_cap == 0)
		return;
	if (h->h_len < h->h_cap)
		pt = &h->h_points[(h->h_head + h->h_len++) % h->h_cap];
	else {
		pt = &h->h_points[h->h_head];
		h->h_head = (h->h_head + 1) % h->h_cap;
	}
	pt->hp_ms = ms;
	pt->hp_value = value;
}

/* Drops every point. */
void
history_clear(struct history *h)
{
	h->h_head = 0;
	h->h_len = 0;
}

/* Returns the number of points held. */
size_t
history_len(const struct history *h)
{
	return h->h_len;
}

/* Returns the bytes of memory h takes, its points included. */
size_t
history_bytes(const struct history *h)
{
	return sizeof *h + h->h_cap * sizeof *h->h_points;
}

/* Returns the most points h holds. */
size_t
history_capacity(const struct history *h)
{
	return h->h_cap;
}

/* Returns the i-th oldest point. */
static const struct history_point *
history_at(const struct history *h, size_t i)
{
	return &h->h_points[(h->h_head + i) % h->h_cap];
}

/* Calls cb for every point at or after since_ms, oldest first. */
void
history_each(
    const struct history *h, int64_t since_ms, history_each_cb cb, void *arg)
{
	size_t lo = 0, hi = h->h_len, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (history_at(h, mid)->hp_ms < since_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < h->h_len; lo++)
		cb(history_at(h, lo), arg);
}
