/*
 * The --once mode.  It runs the same poller as the daemon on a private
 * event loop, with every source due at once, and stops the loop when the
 * last poll has finished; each poll is bounded by its source's timeout,
 * so this always ends.
 */
#include <stdlib.h>

#include <event2/event.h>

#include "cache.h"
#include "log.h"
#include "once.h"
#include "poller.h"
#include "render.h"
#include "timeutil.h"

/* Progress of a --once run. */
struct once_state {
	struct event_base *os_base;
	size_t os_remaining;
	int os_failed;
};

/* Counts a finished poll and stops the loop after the last. */
static void
once_done_cb(struct cache_entry *e, int ok, void *arg)
{
	struct once_state *os = arg;

	if (!ok)
		os->os_failed = 1;
	if (--os->os_remaining == 0)
		event_base_loopbreak(os->os_base);
}

/* Polls cf's sources once and writes /api/v1/stats to out. */
int
once_run(const struct config *cf, FILE *out)
{
	struct once_state os = {NULL, cf->cf_nsources, 0};
	struct cache *c = NULL;
	struct poller *p = NULL;
	char *doc = NULL;
	size_t len;
	int rc = -1;

	if ((os.os_base = event_base_new()) == NULL ||
	    (c = cache_new(cf)) == NULL ||
	    (p = poller_new(os.os_base, cf, c)) == NULL) {
		log_warnx("cannot set up polling");
		goto fail;
	}
	poller_set_done_cb(p, once_done_cb, &os);
	if (poller_start(p, 1) == -1)
		goto fail;
	if (os.os_remaining > 0 && event_base_dispatch(os.os_base) == -1) {
		log_warnx("event loop failed");
		goto fail;
	}
	if ((doc = render_stats(c, timeutil_wall_ms(), &len)) == NULL) {
		log_warnx("cannot render the stats document");
		goto fail;
	}
	if (fwrite(doc, 1, len, out) != len || fflush(out) != 0) {
		log_warn("cannot write the stats document");
		goto fail;
	}
	rc = os.os_failed ? 1 : 0;
fail:
	free(doc);
	poller_free(p);
	cache_free(c);
	if (os.os_base != NULL)
		event_base_free(os.os_base);
	return rc;
}
