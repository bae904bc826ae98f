/*
 * The fake upstream's timed route: /timed records when each request
 * came (monotonic ms, in order) and answers as /stats does, so a test
 * of request budgets can count the requests in any window from the
 * upstream's side rather than trust gatherd's own account.
 */
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "fake_private.h"

/* Returns the monotonic clock in ms. */
static int64_t
fu_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Route /timed?name=X: records the time, then answers as /stats. */
enum MHD_Result
fu_route_timed(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	pthread_mutex_lock(&fu->lock);
	if (fu->ntimed < FU_TIMED_MAX)
		fu->timed[fu->ntimed++] = fu_mono_ms();
	pthread_mutex_unlock(&fu->lock);
	return fu_route_stats(fu, conn);
}

/* Copies up to max /timed arrival times (oldest first) to ms; how many. */
size_t
fake_upstream_timed(struct fake_upstream *fu, int64_t *ms, size_t max)
{
	size_t i, n;

	pthread_mutex_lock(&fu->lock);
	n = fu->ntimed < max ? fu->ntimed : max;
	for (i = 0; i < n; i++)
		ms[i] = fu->timed[i];
	pthread_mutex_unlock(&fu->lock);
	return n;
}
