/*
 * Counting polls.  Pure and allocation-free: a result goes to its slot
 * (an unknown kind counts as internal), a transfer to the first bucket
 * whose bound it does not exceed (a clock that went back counts as 0).
 */
#include "pollstats.h"

/* Upper bounds of the poll-duration buckets, in microseconds. */
static const int64_t pollstats_bounds_usec[POLLSTATS_BUCKETS] = {5000, 10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

/* Counts a successful poll; not_modified if the upstream answered 304. */
void
pollstats_ok(struct pollstats *pst, int not_modified)
{
	if (not_modified)
		pst->pst_not_modified++;
	else
		pst->pst_results[SOURCE_ERR_NONE]++;
}

/* Counts a failed poll of kind. */
void
pollstats_failed(struct pollstats *pst, enum source_err kind)
{
	if ((unsigned)kind >= POLLSTATS_RESULTS || kind == SOURCE_ERR_NONE)
		kind = SOURCE_ERR_INTERNAL;
	pst->pst_results[kind]++;
}

/* Counts a finished transfer that took usec and received bytes. */
void
pollstats_transfer(struct pollstats *pst, int64_t usec, uint64_t bytes)
{
	size_t i;

	if (usec < 0)
		usec = 0;
	for (i = 0; i < POLLSTATS_BUCKETS; i++) {
		if (usec <= pollstats_bounds_usec[i]) {
			pst->pst_buckets[i]++;
			break;
		}
	}
	pst->pst_transfers++;
	pst->pst_usec += (uint64_t)usec;
	pst->pst_bytes += bytes;
}

/* Returns the upper bound of histogram bucket i in microseconds. */
int64_t
pollstats_bucket_usec(size_t i)
{
	return i < POLLSTATS_BUCKETS ? pollstats_bounds_usec[i] : INT64_MAX;
}
