/*
 * Collects a history's points with history_each and compares them with
 * ones collected before: equal times and equal bits, so NaN payloads
 * and -0.0 count, which a comparison of doubles would miss.
 */
#include <string.h>

#include <check.h>

#include "points.h"

/* history_each callback: records a point, its value as bits. */
static void
points_cb(const struct history_point *pt, void *arg)
{
	struct points *p = arg;

	ck_assert_uint_lt(p->p_n, POINTS_MAX);
	p->p_ms[p->p_n] = pt->hp_ms;
	memcpy(&p->p_bits[p->p_n], &pt->hp_value, sizeof(uint64_t));
	p->p_n++;
}

/* Sets p to every point h shows. */
void
points_of(const struct history *h, struct points *p)
{
	p->p_n = 0;
	history_each(h, INT64_MIN, points_cb, p);
}

/* Checks h's points from at on against n of p's from from on. */
void
points_expect(const struct history *h, size_t at, const struct points *p,
    size_t from, size_t n)
{
	static struct points q;
	size_t i;

	points_of(h, &q);
	ck_assert_uint_ge(q.p_n, at + n);
	ck_assert_uint_ge(p->p_n, from + n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(q.p_ms[at + i], p->p_ms[from + i]);
		ck_assert_msg(q.p_bits[at + i] == p->p_bits[from + i],
		    "point %zu: %#llx, not %#llx", at + i,
		    (unsigned long long)q.p_bits[at + i],
		    (unsigned long long)p->p_bits[from + i]);
	}
}
