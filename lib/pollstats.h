/*
 * The poll counters of one source: polls by result (304s apart), a
 * histogram of transfer durations and the body bytes received.  The
 * cache keeps one per entry and counts into it; the Prometheus renderer
 * (metrics) only reads it.  All zero is a valid start, and a counter
 * never goes back, not even across a reload.
 */
#ifndef GATHERD_POLLSTATS_H
#define GATHERD_POLLSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* The finite upper bounds of the poll-duration histogram (+Inf apart). */
#define POLLSTATS_BUCKETS 11
/* Results a poll can have: SOURCE_ERR_NONE is "ok", the rest failures. */
#define POLLSTATS_RESULTS (SOURCE_ERR_INTERNAL + 1)

/* One source's poll counters; all zero is a valid start. */
struct pollstats {
	uint64_t pst_results[POLLSTATS_RESULTS]; /* polls by result, 304s
	                                            apart */
	uint64_t pst_not_modified; /* successful polls answered 304 */
	uint64_t
	    pst_buckets[POLLSTATS_BUCKETS]; /* transfers per bucket, not
	                                       cumulative; over 10 s: none */
	uint64_t pst_transfers; /* transfers timed: the histogram's count */
	uint64_t pst_usec; /* their total duration in microseconds */
	uint64_t pst_bytes; /* body bytes received, still compressed */
};

/* Counts a successful poll; not_modified if the upstream answered 304. */
void pollstats_ok(struct pollstats *pst, int not_modified);
/* Counts a failed poll of kind. */
void pollstats_failed(struct pollstats *pst, enum source_err kind);
/* Counts a finished transfer that took usec and received bytes. */
void pollstats_transfer(struct pollstats *pst, int64_t usec, uint64_t bytes);
/* Returns the upper bound of histogram bucket i in microseconds. */
int64_t pollstats_bucket_usec(size_t i);

#endif
