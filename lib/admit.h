/*
 * Admission of polls: at most max_concurrency in flight in all and
 * max_per_host per upstream host (scheme, name, port), and for a source
 * on a request budget, no more starts than the budget allows.  A poll
 * over its budget waits in the budget's FIFO, then one over a cap in
 * its host's FIFO; hosts with a waiting poll and room for it are served
 * round-robin.  The caller owns what a ticket stands for and is told,
 * through admit_next, which waiting one may start; times are monotonic
 * ms, passed in.
 */
#ifndef GATHERD_ADMIT_H
#define GATHERD_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "config.h"

struct admit;
struct admit_ticket;

/* Returns an admission with the two caps; NULL if out of memory. */
struct admit *admit_new(unsigned max_concurrency, unsigned max_per_host);
/* Frees a, whose tickets must be freed already; NULL is allowed. */
void admit_free(struct admit *a);
/* Sets the caps (a reload); they apply to the next poll admitted. */
void admit_set_caps(
    struct admit *a, unsigned max_concurrency, unsigned max_per_host);
/*
 * Sets the request budgets (at start and on a reload).  A budget with
 * the name, n and window of one already set is kept with its history of
 * starts; others start afresh.  Tickets keep the budget they were given
 * until admit_ticket_set_budget.  0, or -1 (nothing changed) if out of
 * memory.
 */
int admit_set_budgets(
    struct admit *a, const struct config_budget *budgets, size_t n);
/* Returns the budget called name, for requests outside admission (a
 * token fetch calls budget_take on it), or NULL. */
struct budget *admit_budget(struct admit *a, const char *name);
/*
 * Returns a ticket for polls of url standing for arg, on the budget
 * called budget (NULL: none); NULL on error or an unknown budget.
 */
struct admit_ticket *admit_ticket_new(
    struct admit *a, const char *url, const char *budget, void *arg);
/*
 * Puts t on the budget called budget (NULL: none), as of a reload; a
 * poll waiting for the old budget waits for the new one instead.  0, or
 * -1 for an unknown budget.
 */
int admit_ticket_set_budget(
    struct admit *a, struct admit_ticket *t, const char *budget);
/*
 * Returns the name of t's budget, with its free slots and when the next
 * one frees (monotonic ms, 0 while one is free) at now; NULL if none.
 */
const char *admit_ticket_budget(const struct admit_ticket *t, int64_t now,
    unsigned *remaining, int64_t *next_at);
/* Frees t, leaving its host's queue or giving back its slot; NULL ok. */
void admit_ticket_free(struct admit *a, struct admit_ticket *t);
/*
 * Asks for a slot for t at now: 1 if it is counted in flight and may
 * start now, 0 if it now waits for its budget or in its host's queue,
 * -1 if it was waiting already.
 */
int admit_request(struct admit *a, struct admit_ticket *t, int64_t now);
/* Gives back t's slot: its poll has ended. */
void admit_done(struct admit *a, struct admit_ticket *t);
/*
 * Returns the arg of the next waiting ticket that may start at now,
 * counted in flight, hosts taken in turn; NULL when none may.
 */
void *admit_next(struct admit *a, int64_t now);
/*
 * Moves the polls waiting for a budget that has room at now to their
 * hosts' queues, for admit_next.
 */
void admit_tick(struct admit *a, int64_t now);
/*
 * Returns when admit_tick should run next: now if a waiting poll's
 * budget has room, else when the next start leaves a budget's window;
 * BUDGET_NEVER if there is nothing to wait for.
 */
int64_t admit_next_at(const struct admit *a, int64_t now);
/* Returns the number of polls in flight. */
unsigned admit_in_flight(const struct admit *a);

#endif
