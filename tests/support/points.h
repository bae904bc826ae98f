/*
 * The points a history shows, collected for tests that compare two
 * histories (or a history and what it was before a save) bit for bit:
 * the time and the value's IEEE 754 bits of each, oldest first.
 */
#ifndef GATHERD_TEST_POINTS_H
#define GATHERD_TEST_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"

#define POINTS_MAX 1024

/* Up to POINTS_MAX points of a history, in order. */
struct points {
	int64_t p_ms[POINTS_MAX];
	uint64_t p_bits[POINTS_MAX];
	size_t p_n;
};

/* Sets p to every point h shows (a Check failure past POINTS_MAX). */
void points_of(const struct history *h, struct points *p);
/* Checks that h's points from index at on are n of p's from index from
 * on, time and bits alike. */
void points_expect(const struct history *h, size_t at, const struct points *p,
    size_t from, size_t n);

#endif
