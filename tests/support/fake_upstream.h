/*
 * Fake upstream HTTP server for gatherd's integration tests and demo.
 * It listens on 127.0.0.1 only and serves well-behaved and deliberately
 * broken JSON endpoints (slow, truncated, huge, dripping, error statuses),
 * while counting requests and remembering the most recent one. All
 * functions are thread-safe; the server runs its own threads.
 */
#ifndef FAKE_UPSTREAM_H
#define FAKE_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

struct fake_upstream;

/* Starts the server on 127.0.0.1:port (0 = any free port); NULL on failure. */
struct fake_upstream *fake_upstream_start(unsigned short port);

/* Stops the server, waits for its threads and frees it; NULL is allowed. */
void fake_upstream_stop(struct fake_upstream *fu);

/* Returns the port the server listens on. */
unsigned short fake_upstream_port(const struct fake_upstream *fu);

/* Returns how many requests have been received since start or reset. */
unsigned long fake_upstream_requests(struct fake_upstream *fu);

/* Returns how many connections were accepted since start or reset. */
unsigned long fake_upstream_connections(struct fake_upstream *fu);

/* Returns the most requests in flight at once since start or reset. */
unsigned fake_upstream_max_inflight(struct fake_upstream *fu);

/* Returns the number of requests in flight right now. */
unsigned fake_upstream_inflight(struct fake_upstream *fu);

/* Returns how many /stats?name=NAME requests have been answered. */
unsigned long fake_upstream_series_requests(
    struct fake_upstream *fu, const char *name);

/* Resets the request and connection counts and the in-flight maximum. */
void fake_upstream_reset(struct fake_upstream *fu);

/* Returns a copy (caller frees) of header NAME of the last request or NULL. */
char *fake_upstream_last_header(struct fake_upstream *fu, const char *name);

/* Returns a copy (caller frees) of the last request's path or NULL. */
char *fake_upstream_last_path(struct fake_upstream *fu);

/*
 * Serves later /stats requests of series name (NULL: all of them) as
 * target, a path with optional arguments ("/huge?bytes=100000"), whatever
 * they asked for; a NULL target switches back.
 */
void fake_upstream_rewrite(
    struct fake_upstream *fu, const char *name, const char *target);

/*
 * Copies up to max arrival times of /timed requests (monotonic ms, oldest
 * first, the first FU_TIMED_MAX since start) to ms; returns how many.
 */
size_t fake_upstream_timed(struct fake_upstream *fu, int64_t *ms, size_t max);

#endif /* FAKE_UPSTREAM_H */
