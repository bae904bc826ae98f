/*
 * Transfers: libcurl's multi socket interface driven by libevent, in the
 * pattern of curl's hiperfifo example, and a pool of easy handles with
 * their capped body buffers.  A caller borrows a transfer with
 * xfer_start, sets its request up in a callback and is called back once
 * when it ends; everything that shares the multi handle (polls now,
 * token fetches next) starts its transfers here.
 */
#ifndef GATHERD_XFER_H
#define GATHERD_XFER_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <event2/event.h>

struct xfer;
struct xfer_job;

/* Sets up j's request (request_setup); 0, or -1 if it cannot start. */
typedef int (*xfer_setup_cb)(struct xfer_job *j, void *arg);
/* Called once when j's transfer has ended with rc. */
typedef void (*xfer_done_cb)(struct xfer_job *j, CURLcode rc, void *arg);
/* Called after each pass over ended transfers (to start waiting ones). */
typedef void (*xfer_drained_cb)(void *arg);

/*
 * Returns transfers on base keeping max_connects connections, and at
 * most pool_max idle transfers; NULL (logged if curl refused).
 */
struct xfer *
xfer_new(struct event_base *base, long max_connects, size_t pool_max);
/* Frees x after xfer_cancel of every transfer in flight; NULL allowed. */
void xfer_free(struct xfer *x);
/* Sets the callback after each pass over ended transfers. */
void xfer_set_drained_cb(struct xfer *x, xfer_drained_cb cb, void *arg);
/* Sets the size of curl's connection cache. */
void xfer_set_max_connects(struct xfer *x, long max_connects);
/* Sets how many idle transfers the pool keeps from now on. */
void xfer_set_pool_max(struct xfer *x, size_t pool_max);
/*
 * Lends a transfer with bodies capped at max_body, has setup set up its
 * request and starts it; done is called when it ends, after which the
 * caller gives it back with xfer_job_put.  Returns it, or NULL with
 * curl's reason in *why (nothing to give back).
 */
struct xfer_job *xfer_start(struct xfer *x, uint64_t max_body,
    xfer_setup_cb setup, xfer_done_cb done, void *arg, const char **why);
/* Stops j's transfer, done not called, and takes j back; NULL ok. */
void xfer_cancel(struct xfer *x, struct xfer_job *j);
/* Takes back an ended transfer, emptied; NULL is allowed. */
void xfer_job_put(struct xfer *x, struct xfer_job *j);
/* Sets the body cap of j, which may be under way. */
void xfer_job_set_max_body(struct xfer_job *j, uint64_t max_body);
/* Returns j's easy handle, to set its request up. */
CURL *xfer_job_easy(struct xfer_job *j);
/* Returns j's body so far ("" if none), its length in *len. */
const char *xfer_job_body(const struct xfer_job *j, size_t *len);
/* Returns 1 if j's body was refused for passing the cap. */
int xfer_job_too_large(const struct xfer_job *j);
/* Returns curl's error text of j's transfer, or "". */
const char *xfer_job_error(const struct xfer_job *j);
/* Returns the HTTP status of j's last response, 0 if none. */
long xfer_job_status(struct xfer_job *j);
/* Returns a header of j's last response (after redirects), or NULL. */
const char *xfer_job_header(struct xfer_job *j, const char *name);
/* Reads j's total time in us and body bytes as received; 0 or -1. */
int xfer_job_measure(struct xfer_job *j, int64_t *usec, uint64_t *bytes);

#endif
