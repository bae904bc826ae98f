/*
 * One curl multi handle wired to libevent in the pattern of curl's
 * hiperfifo example: curl tells us which sockets to watch
 * (xfer_socket_cb) and when to call it back (xfer_timer_cb), and we
 * drain curl_multi_info_read after every action.  The only file that
 * calls curl's multi interface.
 *
 * Transfers are pooled: a poll borrows one while in flight, so memory
 * follows the polls in flight, not the number of sources, and the easy
 * handles keep their connection and DNS caches between polls.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xfer.h"

#define XFER_BODY_INITIAL 4096
#define XFER_BODY_KEEP (256 * 1024)

/*
 * One transfer: an easy handle with its body buffer and error text, and
 * whom to tell when it ends.
 */
struct xfer_job {
	CURL *j_easy;
	char *j_body;
	size_t j_len;
	size_t j_cap;
	uint64_t j_max_body;
	int j_too_large;
	char j_errbuf[CURL_ERROR_SIZE];
	xfer_done_cb j_done;
	void *j_arg;
};

struct xfer {
	struct event_base *x_base;
	CURLM *x_multi;
	struct event *x_timer; /* curl's timeout */
	struct xfer_job **x_idle; /* transfers not in use */
	size_t x_nidle;
	size_t x_idle_cap;
	size_t x_pool_max;
	int x_curl_init;
	xfer_drained_cb x_drained_cb;
	void *x_drained_arg;
	uint64_t x_finished; /* transfers finished since x was made */
};

/* Frees a transfer and its easy handle; NULL is allowed. */
static void
xfer_job_free(struct xfer_job *j)
{
	if (j == NULL)
		return;
	if (j->j_easy != NULL)
		curl_easy_cleanup(j->j_easy);
	free(j->j_body);
	free(j);
}

/* Lends a transfer from the pool, or a new one; NULL if out of memory. */
static struct xfer_job *
xfer_job_get(struct xfer *x)
{
	struct xfer_job *j;

	if (x->x_nidle > 0)
		return x->x_idle[--x->x_nidle];
	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	if ((j->j_easy = curl_easy_init()) == NULL) {
		free(j);
		return NULL;
	}
	return j;
}

/* Takes a transfer back, emptied; the pool keeps pool_max. */
void
xfer_job_put(struct xfer *x, struct xfer_job *j)
{
	struct xfer_job **idle;
	size_t cap = x->x_pool_max;

	if (j == NULL)
		return;
	j->j_len = 0;
	j->j_too_large = 0;
	j->j_errbuf[0] = '\0';
	j->j_done = NULL;
	j->j_arg = NULL;
	if (j->j_cap > XFER_BODY_KEEP) {
		free(j->j_body);
		j->j_body = NULL;
		j->j_cap = 0;
	}
	if (x->x_idle_cap < cap) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		if ((idle = reallocarray(x->x_idle, cap, sizeof *idle)) !=
		    NULL) {
			x->x_idle = idle;
			x->x_idle_cap = cap;
		}
	}
	if (x->x_nidle < x->x_idle_cap && x->x_nidle < cap)
		x->x_idle[x->x_nidle++] = j;
	else
		xfer_job_free(j);
}

/* curl's write callback: appends to the body, refusing past the cap. */
static size_t
xfer_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer_job *j = arg;
	size_t n = size * nmemb, cap;
	char *body;

	if (n > j->j_max_body - j->j_len) {
		j->j_too_large = 1;
		return 0;
	}
	if (j->j_len + n + 1 > j->j_cap) {
		cap = j->j_cap ? j->j_cap : XFER_BODY_INITIAL;
		while (cap < j->j_len + n + 1)
			cap *= 2;
		if ((body = realloc(j->j_body, cap)) == NULL)
			return 0;
		j->j_body = body;
		j->j_cap = cap;
	}
	memcpy(j->j_body + j->j_len, data, n);
	j->j_len += n;
	j->j_body[j->j_len] = '\0';
	return n;
}

/* Hands every transfer curl has finished to its owner, then says so. */
static void
xfer_check_done(struct xfer *x)
{
	struct xfer_job *j;
	CURLMsg *msg;
	CURLcode rc;
	CURL *easy;
	int left;

	while ((msg = curl_multi_info_read(x->x_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		rc = msg->data.result;
		j = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
		curl_multi_remove_handle(x->x_multi, easy);
		x->x_finished++;
		j->j_done(j, rc, j->j_arg);
	}
	if (x->x_drained_cb != NULL)
		x->x_drained_cb(x->x_drained_arg);
}

/* libevent callback for a socket curl watches. */
static void
xfer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xfer *x = arg;
	int action = 0, running;
	CURLMcode mc;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	mc = curl_multi_socket_action(x->x_multi, fd, action, &running);
	if (mc != CURLM_OK)
		log_warnx(
		    "curl_multi_socket_action: %s", curl_multi_strerror(mc));
	xfer_check_done(x);
}

/* libevent callback for curl's timeout. */
static void
xfer_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xfer *x = arg;
	int running;
	CURLMcode mc;

	mc = curl_multi_socket_action(
	    x->x_multi, CURL_SOCKET_TIMEOUT, 0, &running);
	if (mc != CURLM_OK)
		log_warnx(
		    "curl_multi_socket_action: %s", curl_multi_strerror(mc));
	xfer_check_done(x);
}

/* curl's CURLMOPT_SOCKETFUNCTION: (re)registers or drops a socket. */
static int
xfer_socket_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *socketp)
{
	struct xfer *x = arg;
	struct event *ev = socketp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			curl_multi_assign(x->x_multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev == NULL) {
		ev = event_new(x->x_base, s, kind, xfer_event_cb, x);
		if (ev == NULL)
			return -1;
		if (curl_multi_assign(x->x_multi, s, ev) != CURLM_OK) {
			event_free(ev);
			return -1;
		}
	} else {
		event_del(ev);
		if (event_assign(ev, x->x_base, s, kind, xfer_event_cb, x) ==
		    -1)
			return -1;
	}
	return event_add(ev, NULL) == 0 ? 0 : -1;
}

/* curl's CURLMOPT_TIMERFUNCTION: arms or disarms our one timer. */
static int
xfer_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct xfer *x = arg;
	struct timeval tv;

	if (timeout_ms < 0)
		return evtimer_del(x->x_timer);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(x->x_timer, &tv);
}

/* Returns transfers on base; NULL (logged if curl refused). */
struct xfer *
xfer_new(struct event_base *base, long max_connects, size_t pool_max)
{
	struct xfer *x;
	CURLMcode mc = CURLM_OK;

	if ((x = calloc(1, sizeof *x)) == NULL)
		return NULL;
	x->x_base = base;
	x->x_pool_max = pool_max;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	x->x_curl_init = 1;
	x->x_multi = curl_multi_init();
	x->x_timer = evtimer_new(base, xfer_timeout_cb, x);
	if (x->x_multi == NULL || x->x_timer == NULL)
		goto fail;
	if ((mc = curl_multi_setopt(x->x_multi, CURLMOPT_SOCKETFUNCTION,
	         xfer_socket_cb)) != CURLM_OK ||
	    (mc = curl_multi_setopt(x->x_multi, CURLMOPT_SOCKETDATA, x)) !=
	        CURLM_OK ||
	    (mc = curl_multi_setopt(x->x_multi, CURLMOPT_TIMERFUNCTION,
	         xfer_timer_cb)) != CURLM_OK ||
	    (mc = curl_multi_setopt(x->x_multi, CURLMOPT_TIMERDATA, x)) !=
	        CURLM_OK ||
	    (mc = curl_multi_setopt(
	         x->x_multi, CURLMOPT_MAXCONNECTS, max_connects)) != CURLM_OK) {
		log_warnx("curl_multi_setopt: %s", curl_multi_strerror(mc));
		goto fail;
	}
	return x;
fail:
	xfer_free(x);
	return NULL;
}

/* Frees x, its connections and its pool; NULL is allowed. */
void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	/* Closing cached connections calls xfer_socket_cb and the timer. */
	if (x->x_multi != NULL)
		curl_multi_cleanup(x->x_multi);
	x->x_multi = NULL;
	while (x->x_nidle > 0)
		xfer_job_free(x->x_idle[--x->x_nidle]);
	free(x->x_idle);
	if (x->x_timer != NULL)
		event_free(x->x_timer);
	if (x->x_curl_init)
		curl_global_cleanup();
	free(x);
}

/* Sets the callback after each pass over ended transfers. */
void
xfer_set_drained_cb(struct xfer *x, xfer_drained_cb cb, void *arg)
{
	x->x_drained_cb = cb;
	x->x_drained_arg = arg;
}

/* Sets the size of curl's connection cache. */
void
xfer_set_max_connects(struct xfer *x, long max_connects)
{
	curl_multi_setopt(x->x_multi, CURLMOPT_MAXCONNECTS, max_connects);
}

/* Sets how many idle transfers the pool keeps from now on. */
void
xfer_set_pool_max(struct xfer *x, size_t pool_max)
{
	x->x_pool_max = pool_max;
}

/* Lends a transfer, has setup set its request up, and starts it. */
struct xfer_job *
xfer_start(struct xfer *x, uint64_t max_body, xfer_setup_cb setup,
    xfer_done_cb done, void *arg, const char **why)
{
	struct xfer_job *j;
	CURLMcode mc = CURLM_OUT_OF_MEMORY;
	CURLcode rc = CURLE_OK;

	if ((j = xfer_job_get(x)) == NULL)
		goto fail;
	j->j_max_body = max_body;
	j->j_done = done;
	j->j_arg = arg;
	if (setup(j, arg) == -1)
		goto fail;
	/* After setup, which resets the handle. */
	if ((rc = curl_easy_setopt(j->j_easy, CURLOPT_PRIVATE, j)) !=
	        CURLE_OK ||
	    (rc = curl_easy_setopt(j->j_easy, CURLOPT_WRITEFUNCTION,
	         xfer_write_cb)) != CURLE_OK ||
	    (rc = curl_easy_setopt(j->j_easy, CURLOPT_WRITEDATA, j)) !=
	        CURLE_OK ||
	    (rc = curl_easy_setopt(
	         j->j_easy, CURLOPT_ERRORBUFFER, j->j_errbuf)) != CURLE_OK ||
	    /* Until a transfer has finished no connection can be idle, and
	     * curl's search for one walks every connection to the host: a
	     * burst of n transfers to one host would cost n * n / 2 steps. */
	    (rc = curl_easy_setopt(j->j_easy, CURLOPT_FRESH_CONNECT,
	         x->x_finished == 0 ? 1L : 0L)) != CURLE_OK) {
		log_warnx("curl_easy_setopt: %s", curl_easy_strerror(rc));
		goto fail;
	}
	if ((mc = curl_multi_add_handle(x->x_multi, j->j_easy)) != CURLM_OK)
		goto fail;
	return j;
fail:
	*why = curl_multi_strerror(mc);
	xfer_job_put(x, j);
	return NULL;
}

/* Stops j's transfer without calling its owner, and takes j back. */
void
xfer_cancel(struct xfer *x, struct xfer_job *j)
{
	if (j == NULL)
		return;
	curl_multi_remove_handle(x->x_multi, j->j_easy);
	xfer_job_put(x, j);
}

/* Sets the body cap of j, which may be under way. */
void
xfer_job_set_max_body(struct xfer_job *j, uint64_t max_body)
{
	j->j_max_body = max_body;
}

/* Returns j's easy handle, to set its request up. */
CURL *
xfer_job_easy(struct xfer_job *j)
{
	return j->j_easy;
}

/* Returns j's body so far ("" if none), its length in *len. */
const char *
xfer_job_body(const struct xfer_job *j, size_t *len)
{
	*len = j->j_len;
	return j->j_body != NULL ? j->j_body : "";
}

/* Returns 1 if j's body was refused for passing the cap. */
int
xfer_job_too_large(const struct xfer_job *j)
{
	return j->j_too_large;
}

/* Returns curl's error text of j's transfer, or "". */
const char *
xfer_job_error(const struct xfer_job *j)
{
	return j->j_errbuf;
}

/* Returns the HTTP status of j's last response, 0 if none. */
long
xfer_job_status(struct xfer_job *j)
{
	long status = 0;

	curl_easy_getinfo(j->j_easy, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* Returns a response header of the last request (after redirects). */
const char *
xfer_job_header(struct xfer_job *j, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(j->j_easy, name, 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return NULL;
	return h->value;
}

/* Reads j's total time in us and body bytes as received; 0 or -1. */
int
xfer_job_measure(struct xfer_job *j, int64_t *usec, uint64_t *bytes)
{
	curl_off_t us = 0, n = 0;

	/* Body bytes as received: before gzip or deflate is undone. */
	if (curl_easy_getinfo(j->j_easy, CURLINFO_TOTAL_TIME_T, &us) !=
	        CURLE_OK ||
	    curl_easy_getinfo(j->j_easy, CURLINFO_SIZE_DOWNLOAD_T, &n) !=
	        CURLE_OK)
		return -1;
	*usec = (int64_t)us;
	*bytes = n > 0 ? (uint64_t)n : 0;
	return 0;
}
