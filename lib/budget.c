/*
 * The sliding window of a request budget.  The ring holds the start
 * times of the last n requests in order, oldest at b_head, so the
 * oldest still in the window and the k-th to leave it are found by
 * index.  A slot may also be held for a request that waits for a
 * connection first: its start is recorded when it really starts, so
 * the window counts real starts, and held slots keep others out.
 */
#include <stdlib.h>

#include "budget.h"

struct budget {
	unsigned b_n; /* starts allowed per window */
	int64_t b_window_ms;
	int64_t *b_starts; /* ring of the last b_n start times */
	unsigned b_count; /* starts in the ring, at most b_n */
	unsigned b_head; /* index of the oldest start */
	unsigned b_held; /* slots held for starts to come */
};

/* Returns a budget of n (>= 1) starts per window_ms; NULL on error. */
struct budget *
budget_new(unsigned n, uint64_t window_ms)
{
	struct budget *b;

	if (n == 0 || window_ms > (uint64_t)INT64_MAX / 2)
		return NULL;
	if ((b = calloc(1, sizeof *b)) == NULL)
		return NULL;
	if ((b->b_starts = calloc(n, sizeof *b->b_starts)) == NULL) {
		free(b);
		return NULL;
	}
	b->b_n = n;
	b->b_window_ms = (int64_t)window_ms;
	return b;
}

/* Frees b; NULL is allowed. */
void
budget_free(struct budget *b)
{
	if (b == NULL)
		return;
	free(b->b_starts);
	free(b);
}

/* Returns the number of starts b allows per window. */
unsigned
budget_limit(const struct budget *b)
{
	return b->b_n;
}

/* Returns b's window in ms. */
uint64_t
budget_window_ms(const struct budget *b)
{
	return (uint64_t)b->b_window_ms;
}

/* Returns the i-th oldest start in the ring (0: the oldest). */
static int64_t
budget_at(const struct budget *b, unsigned i)
{
	return b->b_starts[(b->b_head + i) % b->b_n];
}

/* Returns how many recorded starts are still in the window at now. */
static unsigned
budget_in_window(const struct budget *b, int64_t now)
{
	unsigned lo = 0, hi = b->b_count, mid;

	/* In order, oldest first: a binary search for the first start
	 * still in the window (2,400 an hour is 12 steps, not 2,400). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (budget_at(b, mid) + b->b_window_ms > now)
			hi = mid;
		else
			lo = mid + 1;
	}
	return b->b_count - lo;
}

/* Returns the slots free at now (held ones count as used). */
unsigned
budget_remaining(const struct budget *b, int64_t now)
{
	unsigned used = budget_in_window(b, now) + b->b_held;

	return used < b->b_n ? b->b_n - used : 0;
}

/* Records a start at now, over the oldest start if the ring is full. */
static void
budget_record(struct budget *b, int64_t now)
{
	if (b->b_n == 0)
		return; /* never: budget_new refuses 0 */
	/* The ring stays in order even if a caller's clock steps back. */
	if (b->b_count > 0 && now < budget_at(b, b->b_count - 1))
		now = budget_at(b, b->b_count - 1);
	if (b->b_count < b->b_n) {
		b->b_starts[(b->b_head + b->b_count) % b->b_n] = now;
		b->b_count++;
		return;
	}
	b->b_starts[b->b_head] = now;
	b->b_head = (b->b_head + 1) % b->b_n;
}

/* Starts a request at now if a slot is free; 0, or -1 if none. */
int
budget_take(struct budget *b, int64_t now)
{
	if (budget_remaining(b, now) == 0)
		return -1;
	budget_record(b, now);
	return 0;
}

/* Holds a free slot for a request to start later; 0, or -1 if none. */
int
budget_hold(struct budget *b, int64_t now)
{
	if (budget_remaining(b, now) == 0)
		return -1;
	b->b_held++;
	return 0;
}

/* Records the start of a request whose slot was held. */
void
budget_start_held(struct budget *b, int64_t now)
{
	/*
	 * Starts in the window plus held slots never pass n, so the start
	 * a full ring loses is out of the window.
	 */
	if (b->b_held > 0)
		b->b_held--;
	budget_record(b, now);
}

/* Gives back a held slot, unused. */
void
budget_release(struct budget *b)
{
	if (b->b_held > 0)
		b->b_held--;
}

/* Returns now if a slot is free at now, else when the next one frees. */
int64_t
budget_next_at(const struct budget *b, int64_t now)
{
	unsigned empty = b->b_n - b->b_count, need;
	int64_t at;

	if (budget_remaining(b, now) > 0 || empty > b->b_held)
		return now;
	/*
	 * A slot frees once the starts out of the window outnumber the
	 * held slots the ring's empty places do not cover: when the
	 * need-th oldest start leaves it.
	 */
	need = b->b_held + 1 - empty;
	if (need > b->b_count)
		return BUDGET_NEVER; /* more held than the budget allows */
	at = budget_at(b, need - 1) + b->b_window_ms;
	return at > now ? at : now;
}

/* Returns when the oldest start in the window leaves it, or never. */
int64_t
budget_changes_at(const struct budget *b, int64_t now)
{
	unsigned out = b->b_count - budget_in_window(b, now);

	if (out == b->b_count)
		return BUDGET_NEVER;
	return budget_at(b, out) + b->b_window_ms;
}
