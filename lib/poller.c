/*
 * Polls every source on its own libevent timer through one curl multi
 * handle, wired to libevent in the pattern of curl's hiperfifo example:
 * curl tells us which sockets to watch (poller_socket_cb) and when to
 * call it back (poller_timer_cb), and we drain curl_multi_info_read
 * after every action.
 *
 * Polls over max_concurrency or a host's max_per_host wait in that
 * host's FIFO; hosts with waiting polls and room to start one sit in a
 * ready list served round-robin, so admitting a poll is O(1).  We keep
 * this queue ourselves rather than use CURLMOPT_MAX_HOST_CONNECTIONS so
 * a source's timeout measures its upstream, not its wait in line.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/linkhash.h>

#include "backoff.h"
#include "extract.h"
#include "log.h"
#include "poller.h"
#include "timeutil.h"

#define POLLER_BODY_INITIAL 4096
#define POLLER_BODY_KEEP (256 * 1024)
#define POLLER_MAX_CONNECTS 4096

struct poll_source;

/* One upstream host (scheme, name, port) and its polls. */
struct poll_host {
	char *h_key;
	unsigned h_in_flight;
	int h_ready; /* in p_ready */
	TAILQ_HEAD(, poll_source) h_waiting;
	TAILQ_ENTRY(poll_host) h_ready_link;
};

/*
 * One transfer: an easy handle with its body buffer and error text.
 * Polls borrow one from the poller's pool while in flight, so memory
 * follows the polls in flight, not the number of sources.
 */
struct poll_xfer {
	CURL *x_easy;
	char *x_body;
	size_t x_len;
	size_t x_cap;
	int x_too_large;
	char x_errbuf[CURL_ERROR_SIZE];
};

/* One source's schedule, request headers and backoff. */
struct poll_source {
	struct poller *ps_poller;
	struct cache_entry *ps_entry;
	const struct config_source *ps_src;
	struct poll_host *ps_host;
	struct poll_xfer *ps_xfer; /* while in flight */
	struct curl_slist *ps_headers;
	struct event *ps_timer;
	int64_t ps_first_ms; /* monotonic time of the first slot */
	int64_t ps_due_ms; /* monotonic time the timer was armed for */
	int ps_in_flight;
	int ps_headers_later; /* a reload changed headers mid-transfer */
	struct backoff ps_backoff;
	int ps_waiting;
	TAILQ_ENTRY(poll_source) ps_wait_link;
};

struct poller;

static void poller_source_free(struct poller *p, struct poll_source *ps);
static long poller_max_connects(const struct config *cf);
static int poller_setup_easy(struct poller *p, struct poll_source *ps);

struct poller {
	struct event_base *p_base;
	const struct config *p_cf;
	struct cache *p_cache;
	CURLM *p_multi;
	struct event *p_timer; /* curl's timeout */
	struct extract *p_extract;
	struct poll_source **p_sources; /* each allocated on its own */
	struct poll_xfer **p_idle; /* transfers not in use */
	size_t p_nidle;
	size_t p_idle_cap;
	size_t p_nsources;
	struct lh_table *p_hosts; /* key -> struct poll_host */
	TAILQ_HEAD(, poll_host) p_ready;
	unsigned p_in_flight;
	int p_once;
	int p_curl_init;
	poller_done_cb p_done_cb;
	void *p_done_arg;
};

/* Puts h in the ready list if it has a waiting poll and room for it. */
static void
poller_host_update(struct poller *p, struct poll_host *h)
{
	int ready = !TAILQ_EMPTY(&h->h_waiting) &&
	    h->h_in_flight < p->p_cf->cf_max_per_host;

	if (ready && !h->h_ready)
		TAILQ_INSERT_TAIL(&p->p_ready, h, h_ready_link);
	else if (!ready && h->h_ready)
		TAILQ_REMOVE(&p->p_ready, h, h_ready_link);
	h->h_ready = ready;
}

/* Frees a transfer and its easy handle; NULL is allowed. */
static void
poller_xfer_free(struct poll_xfer *x)
{
	if (x == NULL)
		return;
	if (x->x_easy != NULL)
		curl_easy_cleanup(x->x_easy);
	free(x->x_body);
	free(x);
}

/* Lends a transfer from the pool, or a new one; NULL if out of memory. */
static struct poll_xfer *
poller_xfer_get(struct poller *p)
{
	struct poll_xfer *x;

	if (p->p_nidle > 0)
		return p->p_idle[--p->p_nidle];
	if ((x = calloc(1, sizeof *x)) == NULL)
		return NULL;
	if ((x->x_easy = curl_easy_init()) == NULL) {
		free(x);
		return NULL;
	}
	return x;
}

/* Takes a transfer back, emptied; the pool keeps max_concurrency. */
static void
poller_xfer_put(struct poller *p, struct poll_xfer *x)
{
	struct poll_xfer **idle;
	size_t cap = p->p_cf->cf_max_concurrency;

	if (x == NULL)
		return;
	x->x_len = 0;
	x->x_too_large = 0;
	x->x_errbuf[0] = '\0';
	if (x->x_cap > POLLER_BODY_KEEP) {
		free(x->x_body);
		x->x_body = NULL;
		x->x_cap = 0;
	}
	if (p->p_idle_cap < cap) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		if ((idle = reallocarray(p->p_idle, cap, sizeof *idle)) !=
		    NULL) {
			p->p_idle = idle;
			p->p_idle_cap = cap;
		}
	}
	if (p->p_nidle < p->p_idle_cap && p->p_nidle < cap)
		p->p_idle[p->p_nidle++] = x;
	else
		poller_xfer_free(x);
}

/* curl's write callback: appends to the body, refusing past the cap. */
static size_t
poller_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct poll_source *ps = arg;
	struct poll_xfer *x = ps->ps_xfer;
	size_t n = size * nmemb, cap;
	char *body;

	if (n > ps->ps_src->src_max_body - x->x_len) {
		x->x_too_large = 1;
		return 0;
	}
	if (x->x_len + n + 1 > x->x_cap) {
		cap = x->x_cap ? x->x_cap : POLLER_BODY_INITIAL;
		while (cap < x->x_len + n + 1)
			cap *= 2;
		if ((body = realloc(x->x_body, cap)) == NULL)
			return 0;
		x->x_body = body;
		x->x_cap = cap;
	}
	memcpy(x->x_body + x->x_len, data, n);
	x->x_len += n;
	x->x_body[x->x_len] = '\0';
	return n;
}

/* Maps a failed transfer's result to an error kind. */
static enum source_err
poller_curl_kind(const struct poll_source *ps, CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return SOURCE_ERR_DNS;
	case CURLE_OPERATION_TIMEDOUT:
		return SOURCE_ERR_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return SOURCE_ERR_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return SOURCE_ERR_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		return ps->ps_xfer->x_too_large ? SOURCE_ERR_TOO_LARGE
		                                : SOURCE_ERR_INTERNAL;
	case CURLE_OUT_OF_MEMORY:
		return SOURCE_ERR_INTERNAL;
	case CURLE_BAD_CONTENT_ENCODING:
		return SOURCE_ERR_PARSE;
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return SOURCE_ERR_HTTP_STATUS;
	default:
		return SOURCE_ERR_CONNECT;
	}
}

/* Returns a response header of the last request (after redirects). */
static const char *
poller_header(struct poll_source *ps, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(ps->ps_xfer->x_easy, name, 0, CURLH_HEADER, -1,
	        &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

/* Returns the server's hint of when to come back in ms, or -1. */
static int64_t
poller_hint(struct poll_source *ps, long status)
{
	int64_t now = timeutil_wall_ms();
	uint64_t ms;

	if (status != 429 && status != 503)
		return -1;
	if (backoff_parse_retry_after(
	        poller_header(ps, "Retry-After"), now, &ms) == 0)
		return (int64_t)ms;
	if (status == 429 &&
	    (backoff_parse_reset(
	         poller_header(ps, "RateLimit-Reset"), now, &ms) == 0 ||
	        backoff_parse_reset(
	            poller_header(ps, "X-RateLimit-Reset"), now, &ms) == 0))
		return (int64_t)ms;
	return -1;
}

/* Returns a short reason phrase for the statuses upstreams often send. */
static const char *
poller_reason(long status)
{
	switch (status) {
	case 400:
		return " Bad Request";
	case 401:
		return " Unauthorized: the upstream refused the token (check "
		       "token_file); next try after a full interval";
	case 403:
		return " Forbidden: the token lacks access (check token_file "
		       "and its permissions); next try after a full interval";
	case 404:
		return " Not Found (check url)";
	case 410:
		return " Gone (check url)";
	case 429:
		return " Too Many Requests";
	case 500:
		return " Internal Server Error";
	case 502:
		return " Bad Gateway";
	case 503:
		return " Service Unavailable";
	case 504:
		return " Gateway Timeout";
	default:
		return "";
	}
}

/* Works out how a finished transfer went; 0 with *values, or -1 and err. */
static int
poller_outcome(struct poll_source *ps, CURLcode rc, struct json_object **values,
    struct source_error *err, int64_t *hint_ms)
{
	const struct config_source *src = ps->ps_src;
	struct poll_xfer *x = ps->ps_xfer;
	long status = 0;
	enum source_err kind;

	*values = NULL;
	*hint_ms = -1;
	curl_easy_getinfo(x->x_easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		kind = poller_curl_kind(ps, rc);
		if (kind == SOURCE_ERR_TOO_LARGE)
			source_error_set(err, kind, (int)status, 0,
			    "body larger than max_body (%llu bytes)",
			    (unsigned long long)src->src_max_body);
		else
			source_error_set(err, kind, (int)status, 0, "%s",
			    x->x_errbuf[0] != '\0' ? x->x_errbuf
			                           : curl_easy_strerror(rc));
		return -1;
	}
	if (status == 304 && ps->ps_entry->ce_values != NULL &&
	    (ps->ps_entry->ce_etag != NULL ||
	        ps->ps_entry->ce_last_modified != NULL))
		return 0; /* not modified: keep the values, no parse */
	if (status < 200 || status > 299) {
		*hint_ms = poller_hint(ps, status);
		source_error_set(err,
		    status == 429 ? SOURCE_ERR_RATE_LIMITED
		                  : SOURCE_ERR_HTTP_STATUS,
		    (int)status, 0, "HTTP %ld%s", status,
		    poller_reason(status));
		return -1;
	}
	if (extract_values(ps->ps_poller->p_extract, x->x_body ? x->x_body : "",
	        x->x_len, src->src_stats, src->src_nstats, values, err) == -1) {
		err->se_http_status = (int)status;
		return -1;
	}
	return 0;
}

/* Builds the request headers: the config's, then our validators. */
static int
poller_build_headers(struct poll_source *ps)
{
	const struct config_source *src = ps->ps_src;
	struct curl_slist *list = NULL, *l;
	int has_accept = 0;
	char line[1024];
	size_t i;

	for (i = 0; i < src->src_nheaders; i++) {
		if (strncasecmp(src->src_headers[i], "Accept:", 7) == 0)
			has_accept = 1;
		if ((l = curl_slist_append(list, src->src_headers[i])) == NULL)
			goto fail;
		list = l;
	}
	if (!has_accept) {
		if ((l = curl_slist_append(list, "Accept: application/json")) ==
		    NULL)
			goto fail;
		list = l;
	}
	if (ps->ps_entry->ce_etag != NULL) {
		snprintf(line, sizeof line, "If-None-Match: %s",
		    ps->ps_entry->ce_etag);
		if ((l = curl_slist_append(list, line)) == NULL)
			goto fail;
		list = l;
	}
	if (ps->ps_entry->ce_last_modified != NULL) {
		snprintf(line, sizeof line, "If-Modified-Since: %s",
		    ps->ps_entry->ce_last_modified);
		if ((l = curl_slist_append(list, line)) == NULL)
			goto fail;
		list = l;
	}
	curl_slist_free_all(ps->ps_headers);
	ps->ps_headers = list;
	return 0;
fail:
	curl_slist_free_all(list);
	return -1;
}

/* Keeps the ETag and Last-Modified of the values just stored (or none). */
static void
poller_set_validators(
    struct poll_source *ps, const char *etag, const char *last_modified)
{
	/* Validators too long for a header line are not worth sending. */
	if (etag != NULL && strlen(etag) > 512)
		etag = NULL;
	if (last_modified != NULL && strlen(last_modified) > 128)
		last_modified = NULL;
	if (cache_set_validators(ps->ps_entry, etag, last_modified) == 0)
		return;
	if (poller_build_headers(ps) == -1)
		log_warnx("source %s: cannot update request headers",
		    ps->ps_src->src_name);
}

/* Arms ps's timer for monotonic time at and publishes it. */
static void
poller_arm(struct poll_source *ps, int64_t at)
{
	struct poller *p = ps->ps_poller;
	int64_t now = timeutil_mono_ms(), delay = at > now ? at - now : 0;
	struct timeval tv;

	ps->ps_due_ms = at;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	if (evtimer_add(ps->ps_timer, &tv) == -1)
		log_warnx(
		    "source %s: cannot arm its timer", ps->ps_src->src_name);
	cache_set_next_poll(
	    p->p_cache, ps->ps_entry, timeutil_wall_ms() + delay);
}

/* Arms ps's timer for its next slot after now: first + k * interval. */
static void
poller_schedule(struct poll_source *ps)
{
	int64_t now = timeutil_mono_ms(), next = ps->ps_first_ms;
	int64_t interval = (int64_t)ps->ps_src->src_interval_ms;

	/*
	 * libevent times a timer from the loop's cached clock, so it may
	 * fire a little before its slot; a poll that ends before the slot
	 * it was for must not be given that same slot again.
	 */
	if (now < ps->ps_due_ms)
		now = ps->ps_due_ms;
	if (now >= next)
		next += ((now - next) / interval + 1) * interval;
	poller_arm(ps, next);
}

/* Returns a random number in [0, 1) for jitter. */
static double
poller_random(void)
{
	return (double)arc4random() / 4294967296.0;
}

/* Records a failure of ps: plans the retry, opens the circuit, logs. */
static void
poller_failed(struct poll_source *ps, struct source_error *err, int64_t hint_ms)
{
	struct poller *p = ps->ps_poller;
	const struct config_source *src = ps->ps_src;
	struct backoff_policy policy = {src->src_retry_base_ms,
	    src->src_retry_max_ms, src->src_interval_ms,
	    src->src_circuit_cooldown_ms};
	struct backoff *b = &ps->ps_backoff;
	unsigned opened = b->b_opened;
	uint64_t delay;

	if (err->se_http_status == 304) {
		/* A 304 for values we do not hold: ask plainly next time. */
		poller_set_validators(ps, NULL, NULL);
	}
	delay = backoff_failure(
	    b, &policy, err->se_http_status, hint_ms, poller_random());
	cache_put_error(
	    p->p_cache, ps->ps_entry, err, p->p_once ? -1 : (int64_t)delay);
	if (p->p_once)
		return;
	poller_arm(ps, timeutil_mono_ms() + (int64_t)delay);
	cache_set_circuit(p->p_cache, ps->ps_entry,
	    b->b_open ? CACHE_CIRCUIT_OPEN : CACHE_CIRCUIT_CLOSED, b->b_opened);
	if (b->b_open && b->b_opened != opened)
		log_info("source %s: circuit open after %u failures in a row "
		         "(%s: %s); next probe in %.1fs",
		    src->src_name, b->b_failures, source_err_name(err->se_kind),
		    err->se_message, (double)delay / 1000.0);
	else if (b->b_failures == 1)
		log_info("source %s: failing: %s: %s; next attempt in %.1fs",
		    src->src_name, source_err_name(err->se_kind),
		    err->se_message, (double)delay / 1000.0);
	else
		log_debug("source %s: still failing (%u): %s: %s; next attempt "
		          "in %.1fs",
		    src->src_name, b->b_failures, source_err_name(err->se_kind),
		    err->se_message, (double)delay / 1000.0);
}

/* Records a success of ps: keeps values and validators, back on slot. */
static void
poller_succeeded(struct poll_source *ps, struct json_object *values)
{
	struct poller *p = ps->ps_poller;
	struct backoff *b = &ps->ps_backoff;

	if (values != NULL)
		poller_set_validators(ps, poller_header(ps, "ETag"),
		    poller_header(ps, "Last-Modified"));
	if (b->b_failures > 0)
		log_info("source %s: ok again after %u failures",
		    ps->ps_src->src_name, b->b_failures);
	backoff_success(b);
	cache_put_ok(p->p_cache, ps->ps_entry, values, timeutil_wall_ms());
	cache_set_circuit(p->p_cache, ps->ps_entry, CACHE_CIRCUIT_CLOSED, 0);
	if (!p->p_once)
		poller_schedule(ps);
}

/* Records a finished poll of ps and plans the next. */
static void
poller_finish(struct poll_source *ps, int ok, struct json_object *values,
    struct source_error *err, int64_t hint_ms)
{
	struct poller *p = ps->ps_poller;

	ps->ps_in_flight = 0;
	p->p_in_flight--;
	ps->ps_host->h_in_flight--;
	poller_host_update(p, ps->ps_host);
	if (ok)
		poller_succeeded(ps, values);
	else {
		err->se_at = timeutil_wall_ms();
		poller_failed(ps, err, hint_ms);
	}
	if (ps->ps_headers_later) {
		ps->ps_headers_later = 0;
		if (poller_build_headers(ps) == -1)
			log_warnx("source %s: keeps its old request headers",
			    ps->ps_src->src_name);
	}
	poller_xfer_put(p, ps->ps_xfer);
	ps->ps_xfer = NULL;
	if (p->p_done_cb != NULL)
		p->p_done_cb(ps->ps_entry, ok, p->p_done_arg);
}

/* Starts ps's transfer now; the caps have been checked. */
static void
poller_begin(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;
	struct source_error err;
	CURLMcode mc = CURLM_OUT_OF_MEMORY;

	ps->ps_in_flight = 1;
	if (ps->ps_backoff.b_open)
		cache_set_circuit(p->p_cache, ps->ps_entry,
		    CACHE_CIRCUIT_HALF_OPEN, ps->ps_backoff.b_opened);
	p->p_in_flight++;
	ps->ps_host->h_in_flight++;
	poller_host_update(p, ps->ps_host);
	if ((ps->ps_xfer = poller_xfer_get(p)) == NULL ||
	    poller_setup_easy(p, ps) == -1 ||
	    (mc = curl_multi_add_handle(p->p_multi, ps->ps_xfer->x_easy)) !=
	        CURLM_OK) {
		source_error_set(&err, SOURCE_ERR_INTERNAL, 0, 0,
		    "cannot start transfer: %s", curl_multi_strerror(mc));
		poller_finish(ps, 0, NULL, &err, -1);
	}
}

/* Starts ps now if the caps allow, else puts it in its host's queue. */
static void
poller_request(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;
	struct poll_host *h = ps->ps_host;

	if (ps->ps_in_flight || ps->ps_waiting)
		return; /* never two polls of one source */
	if (p->p_in_flight < p->p_cf->cf_max_concurrency &&
	    h->h_in_flight < p->p_cf->cf_max_per_host &&
	    TAILQ_EMPTY(&h->h_waiting)) {
		poller_begin(ps);
		return;
	}
	log_debug("source %s: waiting for a free slot", ps->ps_src->src_name);
	ps->ps_waiting = 1;
	TAILQ_INSERT_TAIL(&h->h_waiting, ps, ps_wait_link);
	poller_host_update(p, h);
}

/* Starts waiting polls while there is room, one host at a time. */
static void
poller_drain(struct poller *p)
{
	struct poll_host *h;
	struct poll_source *ps;

	while (p->p_in_flight < p->p_cf->cf_max_concurrency &&
	    (h = TAILQ_FIRST(&p->p_ready)) != NULL) {
		ps = TAILQ_FIRST(&h->h_waiting);
		TAILQ_REMOVE(&h->h_waiting, ps, ps_wait_link);
		ps->ps_waiting = 0;
		/* Round robin: the host goes to the back of the line. */
		TAILQ_REMOVE(&p->p_ready, h, h_ready_link);
		h->h_ready = 0;
		poller_begin(ps);
		poller_host_update(p, h);
	}
}

/* Hands the duration and body size of ps's finished transfer to the cache. */
static void
poller_measure(struct poll_source *ps)
{
	curl_off_t usec = 0, bytes = 0;

	/* Body bytes as received: before gzip or deflate is undone. */
	if (curl_easy_getinfo(ps->ps_xfer->x_easy, CURLINFO_TOTAL_TIME_T,
	        &usec) != CURLE_OK ||
	    curl_easy_getinfo(ps->ps_xfer->x_easy, CURLINFO_SIZE_DOWNLOAD_T,
	        &bytes) != CURLE_OK) {
		log_debug("source %s: no transfer times", ps->ps_src->src_name);
		return;
	}
	cache_put_transfer(
	    ps->ps_entry, (int64_t)usec, bytes > 0 ? (uint64_t)bytes : 0);
}

/* Handles every transfer curl has finished, then admits waiting polls. */
static void
poller_check_done(struct poller *p)
{
	struct poll_source *ps;
	struct json_object *values;
	struct source_error err;
	int64_t hint_ms;
	CURLMsg *msg;
	CURLcode rc;
	CURL *easy;
	int left, ok;

	while ((msg = curl_multi_info_read(p->p_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		rc = msg->data.result;
		ps = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ps);
		curl_multi_remove_handle(p->p_multi, easy);
		poller_measure(ps);
		memset(&err, 0, sizeof err);
		ok = poller_outcome(ps, rc, &values, &err, &hint_ms) == 0;
		poller_finish(ps, ok, values, &err, hint_ms);
	}
	poller_drain(p);
}

/* libevent callback for a socket curl watches. */
static void
poller_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poller *p = arg;
	int action = 0, running;
	CURLMcode mc;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	mc = curl_multi_socket_action(p->p_multi, fd, action, &running);
	if (mc != CURLM_OK)
		log_warnx(
		    "curl_multi_socket_action: %s", curl_multi_strerror(mc));
	poller_check_done(p);
}

/* libevent callback for curl's timeout. */
static void
poller_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poller *p = arg;
	int running;
	CURLMcode mc;

	mc = curl_multi_socket_action(
	    p->p_multi, CURL_SOCKET_TIMEOUT, 0, &running);
	if (mc != CURLM_OK)
		log_warnx(
		    "curl_multi_socket_action: %s", curl_multi_strerror(mc));
	poller_check_done(p);
}

/* curl's CURLMOPT_SOCKETFUNCTION: (re)registers or drops a socket. */
static int
poller_socket_cb(
    CURL *easy, curl_socket_t s, int what, void *arg, void *socketp)
{
	struct poller *p = arg;
	struct event *ev = socketp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			curl_multi_assign(p->p_multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev == NULL) {
		ev = event_new(p->p_base, s, kind, poller_event_cb, p);
		if (ev == NULL)
			return -1;
		if (curl_multi_assign(p->p_multi, s, ev) != CURLM_OK) {
			event_free(ev);
			return -1;
		}
	} else {
		event_del(ev);
		if (event_assign(ev, p->p_base, s, kind, poller_event_cb, p) ==
		    -1)
			return -1;
	}
	return event_add(ev, NULL) == 0 ? 0 : -1;
}

/* curl's CURLMOPT_TIMERFUNCTION: arms or disarms our one timer. */
static int
poller_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct poller *p = arg;
	struct timeval tv;

	if (timeout_ms < 0)
		return evtimer_del(p->p_timer);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(p->p_timer, &tv);
}

/* libevent callback: ps's slot has come. */
static void
poller_due_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poll_source *ps = arg;

	poller_request(ps);
}

/* Returns the host record for url, creating it; NULL on error. */
static struct poll_host *
poller_host_for(struct poller *p, const char *url)
{
	struct poll_host *h = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL, *key = NULL, *c;
	CURLU *u;
	void *found;

	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	        CURLUE_OK)
		goto done;
	for (c = host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (asprintf(&key, "%s://%s:%s", scheme, host, port) == -1) {
		key = NULL;
		goto done;
	}
	if (lh_table_lookup_ex(p->p_hosts, key, &found)) {
		h = found;
		goto done;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		goto done;
	h->h_key = key;
	key = NULL;
	TAILQ_INIT(&h->h_waiting);
	if (lh_table_insert(p->p_hosts, h->h_key, h) != 0) {
		free(h->h_key);
		free(h);
		h = NULL;
	}
done:
	free(key);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return h;
}

/* Frees a host record when the host table goes. */
static void
poller_host_free_cb(struct lh_entry *ent)
{
	struct poll_host *h = (struct poll_host *)lh_entry_v(ent);

	free(h->h_key);
	free(h);
}

/* Sets CURLOPT_USERNAME and CURLOPT_PASSWORD from url's userinfo. */
static int
poller_userinfo(CURL *e, const char *url)
{
	char *user = NULL, *password = NULL;
	CURLU *u;
	int rc = 0;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		rc = -1;
	else {
		/* Decoded: "user%40corp" in the URL is the name user@corp. */
		if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) ==
		        CURLUE_OK &&
		    curl_easy_setopt(e, CURLOPT_USERNAME, user) != CURLE_OK)
			rc = -1;
		if (curl_url_get(u, CURLUPART_PASSWORD, &password,
		        CURLU_URLDECODE) == CURLUE_OK &&
		    curl_easy_setopt(e, CURLOPT_PASSWORD, password) != CURLE_OK)
			rc = -1;
	}
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		curl_free(password);
	}
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

/* Converts ms to whole seconds for curl's options, rounding up. */
static long
poller_seconds(uint64_t ms)
{
	return (long)((ms + 999) / 1000);
}

/* Sets every option of the easy handle ps borrowed; 0 or -1 (logged). */
static int
poller_setup_easy(struct poller *p, struct poll_source *ps)
{
	const struct config_source *src = ps->ps_src;
	CURL *e = ps->ps_xfer->x_easy;
	CURLcode rc = CURLE_OK;

	/* Keeps curl's caches (connections, DNS) but no option of the last
	 * source that used the handle. */
	curl_easy_reset(e);
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(e, opt, val);                    \
	} while (0)
	/* Credentials in the URL go through curl's own options, so the URL
	 * curl holds (and may name in an error) has none. */
	SET(CURLOPT_URL, ps->ps_entry->ce_url_shown);
	if (strchr(src->src_url, '@') != NULL &&
	    poller_userinfo(e, src->src_url) == -1)
		rc = CURLE_URL_MALFORMAT;
	SET(CURLOPT_HTTPHEADER, ps->ps_headers);
	SET(CURLOPT_PRIVATE, ps);
	SET(CURLOPT_WRITEFUNCTION, poller_write_cb);
	SET(CURLOPT_WRITEDATA, ps);
	SET(CURLOPT_ERRORBUFFER, ps->ps_xfer->x_errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, p->p_cf->cf_user_agent);
	SET(CURLOPT_TIMEOUT_MS, (long)src->src_timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)src->src_connect_timeout_ms);
	if (src->src_low_speed_limit > 0) {
		/* A drip of a few bytes a second is not a live upstream. */
		SET(CURLOPT_LOW_SPEED_LIMIT, (long)src->src_low_speed_limit);
		SET(CURLOPT_LOW_SPEED_TIME,
		    poller_seconds(src->src_low_speed_time_ms));
	}
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 3L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)src->src_max_body);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (src->src_ca_file != NULL)
		SET(CURLOPT_CAINFO, src->src_ca_file);
	if (src->src_token != NULL) {
		/* curl's own bearer auth: never sent to another host. */
		SET(CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		SET(CURLOPT_XOAUTH2_BEARER, src->src_token);
	}
#undef SET
	if (rc != CURLE_OK) {
		log_warnx("source %s: curl_easy_setopt: %s", src->src_name,
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/* Returns a new source record polling src into entry e; NULL (logged). */
static struct poll_source *
poller_source_new(
    struct poller *p, const struct config_source *src, struct cache_entry *e)
{
	struct poll_source *ps;

	if ((ps = calloc(1, sizeof *ps)) == NULL)
		goto fail;
	ps->ps_poller = p;
	ps->ps_src = src;
	ps->ps_entry = e;
	if ((ps->ps_timer = evtimer_new(p->p_base, poller_due_cb, ps)) ==
	        NULL ||
	    (ps->ps_host = poller_host_for(p, src->src_url)) == NULL ||
	    poller_build_headers(ps) == -1)
		goto fail;
	return ps;
fail:
	log_warnx("source %s: cannot set up polling", src->src_name);
	poller_source_free(p, ps);
	return NULL;
}

/* Frees ps, cancelling its transfer or its wait for a slot first. */
static void
poller_source_free(struct poller *p, struct poll_source *ps)
{
	if (ps == NULL)
		return;
	if (ps->ps_in_flight) {
		curl_multi_remove_handle(p->p_multi, ps->ps_xfer->x_easy);
		poller_xfer_put(p, ps->ps_xfer);
		ps->ps_xfer = NULL;
		ps->ps_in_flight = 0;
		p->p_in_flight--;
		/* In flight, so set up in full (the analyzer cannot tell). */
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		ps->ps_host->h_in_flight--;
		poller_host_update(p, ps->ps_host);
	}
	if (ps->ps_waiting) {
		TAILQ_REMOVE(&ps->ps_host->h_waiting, ps, ps_wait_link);
		ps->ps_waiting = 0;
		poller_host_update(p, ps->ps_host);
	}
	curl_slist_free_all(ps->ps_headers);
	if (ps->ps_timer != NULL)
		event_free(ps->ps_timer);
	free(ps);
}

/* Creates a poller for cf's sources on base; cf and c must outlive it. */
struct poller *
poller_new(struct event_base *base, const struct config *cf, struct cache *c)
{
	struct poller *p;
	CURLMcode mc = CURLM_OK;
	size_t i;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->p_base = base;
	p->p_cf = cf;
	p->p_cache = c;
	TAILQ_INIT(&p->p_ready);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	p->p_curl_init = 1;
	p->p_multi = curl_multi_init();
	p->p_timer = evtimer_new(base, poller_timeout_cb, p);
	p->p_extract = extract_new(EXTRACT_MAX_DEPTH);
	p->p_hosts = lh_kchar_table_new(64, poller_host_free_cb);
	/* NOLINTBEGIN(bugprone-sizeof-expression): an array of pointers */
	p->p_sources =
	    calloc(cf->cf_nsources ? cf->cf_nsources : 1, sizeof *p->p_sources);
	/* NOLINTEND(bugprone-sizeof-expression) */
	if (p->p_multi == NULL || p->p_timer == NULL || p->p_extract == NULL ||
	    p->p_hosts == NULL || p->p_sources == NULL)
		goto fail;
	if ((mc = curl_multi_setopt(p->p_multi, CURLMOPT_SOCKETFUNCTION,
	         poller_socket_cb)) != CURLM_OK ||
	    (mc = curl_multi_setopt(p->p_multi, CURLMOPT_SOCKETDATA, p)) !=
	        CURLM_OK ||
	    (mc = curl_multi_setopt(p->p_multi, CURLMOPT_TIMERFUNCTION,
	         poller_timer_cb)) != CURLM_OK ||
	    (mc = curl_multi_setopt(p->p_multi, CURLMOPT_TIMERDATA, p)) !=
	        CURLM_OK ||
	    (mc = curl_multi_setopt(p->p_multi, CURLMOPT_MAXCONNECTS,
	         poller_max_connects(cf))) != CURLM_OK) {
		log_warnx("curl_multi_setopt: %s", curl_multi_strerror(mc));
		goto fail;
	}
	for (i = 0; i < cf->cf_nsources; i++) {
		p->p_sources[i] = poller_source_new(p, &cf->cf_sources[i],
		    cache_find(c, cf->cf_sources[i].src_name));
		if (p->p_sources[i] == NULL)
			goto fail;
		p->p_nsources++;
	}
	return p;
fail:
	poller_free(p);
	return NULL;
}

/* Frees p, cancelling transfers in flight; NULL is allowed. */
void
poller_free(struct poller *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->p_nsources; i++) {
		/*
		 * The first p_nsources are set: the analyzer forgets that
		 * calloc zeroed p_nsources once p escapes to evtimer_new.
		 */
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		if (p->p_sources[i]->ps_in_flight) {
			curl_multi_remove_handle(
			    p->p_multi, p->p_sources[i]->ps_xfer->x_easy);
			poller_xfer_put(p, p->p_sources[i]->ps_xfer);
			p->p_sources[i]->ps_xfer = NULL;
		}
		p->p_sources[i]->ps_in_flight = 0;
		p->p_sources[i]->ps_waiting = 0;
	}
	/* Closing cached connections calls poller_socket_cb and the timer. */
	if (p->p_multi != NULL)
		curl_multi_cleanup(p->p_multi);
	p->p_multi = NULL;
	for (i = 0; i < p->p_nsources; i++)
		poller_source_free(p, p->p_sources[i]);
	while (p->p_nidle > 0)
		poller_xfer_free(p->p_idle[--p->p_nidle]);
	free(p->p_idle);
	if (p->p_timer != NULL)
		event_free(p->p_timer);
	if (p->p_hosts != NULL)
		lh_table_free(p->p_hosts);
	extract_free(p->p_extract);
	free(p->p_sources);
	if (p->p_curl_init)
		curl_global_cleanup();
	free(p);
}

/* Returns the size of curl's connection cache for cf. */
static long
poller_max_connects(const struct config *cf)
{
	return (long)(cf->cf_nsources < POLLER_MAX_CONNECTS
	        ? cf->cf_nsources + 1
	        : POLLER_MAX_CONNECTS);
}

/* Arms a new source for its first slot: now plus its phase. */
static void
poller_start_source(struct poller *p, struct poll_source *ps, int64_t now)
{
	ps->ps_first_ms = now +
	    (int64_t)source_phase_ms(ps->ps_src->src_name,
	        p->p_cf->cf_initial_spread_ms, ps->ps_src->src_interval_ms);
	poller_arm(ps, ps->ps_first_ms);
}

/* Returns the slot in p_sources holding a record with src's name and URL
 * (slots is a table of them by name), or NULL. */
static struct poll_source **
poller_find_same(struct lh_table *slots, const struct config_source *src)
{
	struct poll_source **slot;
	void *found;

	if (!lh_table_lookup_ex(slots, src->src_name, &found))
		return NULL;
	slot = found;
	if (*slot == NULL || !source_same((*slot)->ps_src, src))
		return NULL;
	return slot;
}

/* Polls cf's sources into c from now on, keeping what did not change. */
int
poller_reload(struct poller *p, const struct config *cf, struct cache *c)
{
	struct poll_source **next, **slot, *ps;
	struct lh_table *slots;
	int64_t now = timeutil_mono_ms();
	size_t i;

	/* NOLINTBEGIN(bugprone-sizeof-expression): an array of pointers */
	if ((next = calloc(
	         cf->cf_nsources ? cf->cf_nsources : 1, sizeof *next)) == NULL)
		return -1;
	/* NOLINTEND(bugprone-sizeof-expression) */
	/* The old records by name: a reload of 10,000 sources is a lookup
	 * each, not a scan each. */
	if ((slots = lh_kchar_table_new(
	         p->p_nsources > 16 ? (int)p->p_nsources * 2 : 32, NULL)) ==
	    NULL) {
		free(next);
		return -1;
	}
	for (i = 0; i < p->p_nsources; i++) {
		if (lh_table_insert(slots, p->p_sources[i]->ps_src->src_name,
		        &p->p_sources[i]) != 0) {
			lh_table_free(slots);
			free(next);
			return -1;
		}
	}
	p->p_cf = cf;
	p->p_cache = c;
	for (i = 0; i < cf->cf_nsources; i++) {
		if ((slot = poller_find_same(slots, &cf->cf_sources[i])) !=
		    NULL) {
			/* Same name and URL: keep its schedule, backoff and
			 * transfer; its other settings apply from now on. */
			ps = *slot;
			*slot = NULL;
			ps->ps_src = &cf->cf_sources[i];
			ps->ps_entry = cache_find(c, ps->ps_src->src_name);
			if (ps->ps_in_flight)
				ps->ps_headers_later = 1;
			else if (poller_build_headers(ps) == -1)
				log_warnx("source %s: keeps its old request "
				          "headers",
				    ps->ps_src->src_name);
		} else if ((ps = poller_source_new(p, &cf->cf_sources[i],
		                cache_find(c, cf->cf_sources[i].src_name))) !=
		    NULL)
			poller_start_source(p, ps, now);
		next[i] = ps;
	}
	lh_table_free(slots);
	/* What is left was removed, or its URL changed: cancel it. */
	for (i = 0; i < p->p_nsources; i++)
		poller_source_free(p, p->p_sources[i]);
	free(p->p_sources);
	p->p_sources = next;
	p->p_nsources = cf->cf_nsources;
	/* A source that failed to set up stays out, logged. */
	for (i = 0; i < p->p_nsources; i++) {
		if (next[i] == NULL) {
			/* NOLINTBEGIN(bugprone-sizeof-expression): pointers */
			memmove(&next[i], &next[i + 1],
			    (p->p_nsources - i - 1) * sizeof *next);
			/* NOLINTEND(bugprone-sizeof-expression) */
			p->p_nsources--;
			i--;
		}
	}
	curl_multi_setopt(
	    p->p_multi, CURLMOPT_MAXCONNECTS, poller_max_connects(cf));
	poller_drain(p);
	return 0;
}

/* Sets a callback for every finished poll. */
void
poller_set_done_cb(struct poller *p, poller_done_cb cb, void *arg)
{
	p->p_done_cb = cb;
	p->p_done_arg = arg;
}

/* Starts polling on the spread schedule, or every source once now. */
int
poller_start(struct poller *p, int once)
{
	struct poll_source *ps;
	int64_t now = timeutil_mono_ms();
	size_t i;

	p->p_once = once;
	for (i = 0; i < p->p_nsources; i++) {
		ps = p->p_sources[i];
		if (once)
			poller_request(ps);
		else
			poller_start_source(p, ps, now);
	}
	return 0;
}

/* Returns the number of polls in flight. */
unsigned
poller_in_flight(const struct poller *p)
{
	return p->p_in_flight;
}
