/*
 * What every analytics API fake records (fake_api_*.c): its lock, the
 * requests that reached it and the last violation of the API's
 * documented request contract.  Embedded first in each fake's state,
 * which lives in the fake upstream's slot for that API.  Private to the
 * fakes.
 */
#ifndef FAKE_API_RECORD_H
#define FAKE_API_RECORD_H

#include <pthread.h>

/* A fake's lock, request count and last contract violation. */
struct fu_api_record {
	pthread_mutex_t ar_lock;
	unsigned long ar_requests;
	char *ar_violation; /* NULL while the contract holds */
};

/* Initialises r; 0, or -1 if its lock cannot be made. */
int fu_api_record_init(struct fu_api_record *r);
/* Releases what r holds (not r itself). */
void fu_api_record_release(struct fu_api_record *r);
/* Counts a request that reached the fake. */
void fu_api_record_request(struct fu_api_record *r);
/* Records a contract violation made from fmt (the last one is kept). */
void fu_api_record_violation(struct fu_api_record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns a copy of the last violation (caller frees), or NULL. */
char *fu_api_record_violation_copy(struct fu_api_record *r);
/* Returns how many requests reached the fake. */
unsigned long fu_api_record_requests(struct fu_api_record *r);

#endif
