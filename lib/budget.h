/*
 * A request budget: at most N requests start in any window of a given
 * length, the quota an upstream counts per key.  It keeps the start
 * times of the last N requests in a ring; a request may start when the
 * oldest of them is at least the window ago.  Pure: every call is told
 * the time (monotonic ms), so a sequence of starts can be tested exactly.
 */
#ifndef GATHERD_BUDGET_H
#define GATHERD_BUDGET_H

#include <stdint.h>

/* "Never": the time budget_changes_at gives when nothing will change. */
#define BUDGET_NEVER INT64_MAX

struct budget;

/* Returns a budget of n (>= 1) starts per window_ms; NULL on error. */
struct budget *budget_new(unsigned n, uint64_t window_ms);
/* Frees b; NULL is allowed. */
void budget_free(struct budget *b);
/* Returns the number of starts b allows per window. */
unsigned budget_limit(const struct budget *b);
/* Returns b's window in ms. */
uint64_t budget_window_ms(const struct budget *b);
/*
 * Starts a request at now if a slot is free (held slots count as used):
 * 0 and the start is recorded, or -1 and nothing changes.  A request
 * outside admission (a token fetch) calls this.
 */
int budget_take(struct budget *b, int64_t now);
/* Holds a free slot for a request to start later: 0, or -1 if none. */
int budget_hold(struct budget *b, int64_t now);
/* Records at now the start of a request a budget_hold held a slot for. */
void budget_start_held(struct budget *b, int64_t now);
/* Gives back a slot budget_hold held, unused. */
void budget_release(struct budget *b);
/* Returns the slots free at now (held ones count as used). */
unsigned budget_remaining(const struct budget *b, int64_t now);
/* Returns now if a slot is free at now, else when the next one frees. */
int64_t budget_next_at(const struct budget *b, int64_t now);
/*
 * Returns when the oldest start still in the window leaves it (then
 * budget_remaining grows), or BUDGET_NEVER if no start is in it.
 */
int64_t budget_changes_at(const struct budget *b, int64_t now);

#endif
