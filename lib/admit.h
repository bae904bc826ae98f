/*
 * Admission of polls: at most max_concurrency in flight in all and
 * max_per_host per upstream host (scheme, name, port).  A poll over a
 * cap waits in its host's FIFO; hosts with a waiting poll and room for
 * it are served round-robin.  The caller owns what a ticket stands for
 * and is told, through admit_next, which waiting one may start.
 */
#ifndef GATHERD_ADMIT_H
#define GATHERD_ADMIT_H

struct admit;
struct admit_ticket;

/* Returns an admission with the two caps; NULL if out of memory. */
struct admit *admit_new(unsigned max_concurrency, unsigned max_per_host);
/* Frees a, whose tickets must be freed already; NULL is allowed. */
void admit_free(struct admit *a);
/* Sets the caps (a reload); they apply to the next poll admitted. */
void admit_set_caps(
    struct admit *a, unsigned max_concurrency, unsigned max_per_host);
/* Returns a ticket for polls of url standing for arg; NULL on error. */
struct admit_ticket *
admit_ticket_new(struct admit *a, const char *url, void *arg);
/* Frees t, leaving its host's queue or giving back its slot; NULL ok. */
void admit_ticket_free(struct admit *a, struct admit_ticket *t);
/*
 * Asks for a slot for t: 1 if it is counted in flight and may start now,
 * 0 if it now waits in its host's queue, -1 if it was waiting already.
 */
int admit_request(struct admit *a, struct admit_ticket *t);
/* Gives back t's slot: its poll has ended. */
void admit_done(struct admit *a, struct admit_ticket *t);
/*
 * Returns the arg of the next waiting ticket that may start now, counted
 * in flight, hosts taken in turn; NULL when none may.
 */
void *admit_next(struct admit *a);
/* Returns the number of polls in flight. */
unsigned admit_in_flight(const struct admit *a);

#endif
