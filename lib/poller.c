/*
 * The schedule and state machine of every source: each polls on its own
 * libevent timer, on slots first + k * interval, asks admit for a slot,
 * borrows a transfer from xfer with the request built by request, and
 * hands the finished transfer to outcome and extract.  A failure plans
 * its retry through the backoff and the circuit breaker; a success puts
 * the values and validators in the cache.  A reload keeps every source
 * whose name and URL did not change, with its schedule and backoff.
 * One timer wakes admit when a request budget frees a slot.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/linkhash.h>

#include "admit.h"
#include "auth.h"
#include "backoff.h"
#include "budget.h"
#include "extract.h"
#include "extract_child.h"
#include "log.h"
#include "outcome.h"
#include "poller.h"
#include "poller_private.h"
#include "request.h"
#include "timeutil.h"
#include "xfer.h"

#define POLLER_MAX_CONNECTS 4096

static void poller_source_free(struct poller *p, struct poll_source *ps);
static void poller_finish(struct poll_source *ps, int ok,
    struct json_object *values, struct source_error *err, int64_t hint_ms);
static int poller_auth_refused(struct poll_source *ps);
static long poller_max_connects(const struct config *cf);

/* Returns a response header of the transfer arg, for outcome. */
static const char *
poller_header_cb(void *arg, const char *name)
{
	return xfer_job_header(arg, name);
}

/* extract_child's callback: the result of ps's poll, from its child. */
static void
poller_child_cb(struct json_object *values, struct source_error *err, void *arg)
{
	struct poll_source *ps = arg;

	ps->ps_child = NULL;
	if (values == NULL)
		err->se_http_status = (int)xfer_job_status(ps->ps_xfer);
	poller_finish(ps, values != NULL, values, err, -1);
}

/* Works out how a finished transfer went; 0 with *values, -1 and err,
 * or 1 if a child extracts the body (poller_child_cb finishes). */
static int
poller_outcome(struct poll_source *ps, CURLcode rc, struct json_object **values,
    struct source_error *err, int64_t *hint_ms)
{
	const struct config_source *src = ps->ps_src;
	struct xfer_job *x = ps->ps_xfer;
	struct outcome_in in = {0};
	const char *body;
	size_t len;

	*values = NULL;
	in.oi_rc = rc;
	in.oi_status = xfer_job_status(x);
	in.oi_too_large = xfer_job_too_large(x);
	in.oi_errbuf = xfer_job_error(x);
	in.oi_max_body = src->src_max_body;
	in.oi_validated = ps->ps_entry->ce_values != NULL &&
	    (ps->ps_entry->ce_etag != NULL ||
	        ps->ps_entry->ce_last_modified != NULL);
	in.oi_header = poller_header_cb;
	in.oi_header_arg = x;
	in.oi_now_ms = timeutil_wall_ms();
	switch (outcome_classify(&in, err, hint_ms)) {
	case OUTCOME_FAILED:
		return -1;
	case OUTCOME_NOT_MODIFIED:
		return 0;
	case OUTCOME_BODY:
		break;
	}
	body = xfer_job_body(x, &len);
	/* jq on a big body: in a child, while the loop goes on. */
	if (len >= EXTRACT_CHILD_MIN && extract_source_needs_jq(src) &&
	    (ps->ps_child = extract_child_start(ps->ps_poller->p_base,
	         ps->ps_poller->p_extract, body, len, src, src->src_timeout_ms,
	         poller_child_cb, ps)) != NULL)
		return 1;
	/* error_if, then the stats: an error inside a 2xx is api_error. */
	if (extract_source(
	        ps->ps_poller->p_extract, body, len, src, values, err) == -1) {
		err->se_http_status = (int)in.oi_status;
		return -1;
	}
	return 0;
}

/* Builds the request headers: the config's, then our validators. */
static int
poller_build_headers(struct poll_source *ps)
{
	struct request *r;

	if ((r = request_new(ps->ps_src, ps->ps_entry->ce_etag,
	         ps->ps_entry->ce_last_modified)) == NULL)
		return -1;
	request_free(ps->ps_request);
	ps->ps_request = r;
	return 0;
}

/* Returns a validator worth sending again: not too long for a header. */
static const char *
poller_validator(const char *v, size_t max)
{
	return v != NULL && strlen(v) <= max ? v : NULL;
}

/* Sets ps's entry and backoff to s (moved out); see poller_private.h. */
void
poller_apply(struct poll_source *ps, struct cache_shared *s, int add_point)
{
	struct poller *p = ps->ps_poller;
	struct cache_entry *e = ps->ps_entry;
	int same = ((s->cs_etag == NULL && e->ce_etag == NULL) ||
	               (s->cs_etag != NULL && e->ce_etag != NULL &&
	                   strcmp(s->cs_etag, e->ce_etag) == 0)) &&
	    ((s->cs_last_modified == NULL && e->ce_last_modified == NULL) ||
	        (s->cs_last_modified != NULL && e->ce_last_modified != NULL &&
	            strcmp(s->cs_last_modified, e->ce_last_modified) == 0));

	ps->ps_backoff = s->cs_backoff;
	cache_apply_shared(p->p_cache, e, s, add_point);
	cache_set_circuit(p->p_cache, e,
	    ps->ps_backoff.b_open ? CACHE_CIRCUIT_OPEN : CACHE_CIRCUIT_CLOSED,
	    ps->ps_backoff.b_opened);
	if (same)
		return;
	if (ps->ps_in_flight)
		ps->ps_headers_later = 1;
	else if (poller_build_headers(ps) == -1)
		log_warnx("source %s: cannot update request headers",
		    ps->ps_src->src_name);
}

/* Arms ps's timer for monotonic time at and publishes it. */
void
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
void
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

/* Plans ps's next poll alone: retry_ms after a failure, else its slot. */
void
poller_plan_alone(struct poll_source *ps, int64_t retry_ms)
{
	if (ps->ps_poller->p_once)
		return;
	if (retry_ms >= 0)
		poller_arm(ps, timeutil_mono_ms() + retry_ms);
	else
		poller_schedule(ps);
}

/* Applies s alone, or commits it first in cluster mode, and plans on. */
static void
poller_settle(struct poll_source *ps, struct cache_shared *s, int64_t retry_ms)
{
	if (ps->ps_poller->p_cluster != NULL) {
		poller_cluster_settle(ps, s, retry_ms);
		return;
	}
	poller_apply(ps, s, 1);
	poller_plan_alone(ps, retry_ms);
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
	struct cache_shared s;
	struct backoff *b = &s.cs_backoff;
	unsigned opened;
	uint64_t delay;

	if (cache_shared_get(&s, ps->ps_entry, &ps->ps_backoff) == -1) {
		log_warnx("source %s: out of memory", src->src_name);
		poller_plan_alone(ps, (int64_t)src->src_interval_ms);
		return;
	}
	/* A 304 for values we do not hold: ask plainly next time. */
	if (err->se_http_status == 304 &&
	    cache_shared_set_validators(&s, NULL, NULL) == -1)
		log_warnx("source %s: out of memory", src->src_name);
	opened = b->b_opened;
	delay = backoff_failure(
	    b, &policy, err->se_http_status, hint_ms, poller_random());
	cache_shared_error(&s, err, p->p_once ? -1 : (int64_t)delay);
	cache_count_failed(ps->ps_entry, err->se_kind);
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
	poller_settle(ps, &s, (int64_t)delay);
}

/* Records a success of ps: keeps values and validators, back on slot. */
static void
poller_succeeded(struct poll_source *ps, struct json_object *values)
{
	struct cache_shared s;

	if (cache_shared_get(&s, ps->ps_entry, &ps->ps_backoff) == -1) {
		log_warnx("source %s: out of memory", ps->ps_src->src_name);
		json_object_put(values);
		poller_plan_alone(ps, -1);
		return;
	}
	/* Validators too long for a header line are not worth sending. */
	if (values != NULL &&
	    cache_shared_set_validators(&s,
	        poller_validator(xfer_job_header(ps->ps_xfer, "ETag"), 512),
	        poller_validator(
	            xfer_job_header(ps->ps_xfer, "Last-Modified"), 128)) == -1)
		log_warnx("source %s: out of memory", ps->ps_src->src_name);
	if (s.cs_backoff.b_failures > 0)
		log_info("source %s: ok again after %u failures",
		    ps->ps_src->src_name, s.cs_backoff.b_failures);
	backoff_success(&s.cs_backoff);
	cache_shared_ok(&s, values, timeutil_wall_ms());
	cache_count_ok(ps->ps_entry, values == NULL);
	poller_settle(ps, &s, -1);
}

/* Records a finished poll of ps and plans the next. */
static void
poller_finish(struct poll_source *ps, int ok, struct json_object *values,
    struct source_error *err, int64_t hint_ms)
{
	struct poller *p = ps->ps_poller;

	ps->ps_in_flight = 0;
	ps->ps_decided = 0;
	admit_done(p->p_admit, ps->ps_ticket);
	if (ps->ps_headers_later) {
		ps->ps_headers_later = 0;
		if (poller_build_headers(ps) == -1)
			log_warnx("source %s: keeps its old request headers",
			    ps->ps_src->src_name);
	}
	if (ok)
		poller_succeeded(ps, values);
	else {
		err->se_at = timeutil_wall_ms();
		poller_failed(ps, err, hint_ms);
	}
	xfer_job_put(p->p_xfer, ps->ps_xfer);
	ps->ps_xfer = NULL;
	if (p->p_done_cb != NULL)
		p->p_done_cb(ps->ps_entry, ok, p->p_done_arg);
}

/* Sets j up for a poll of ps: its request. */
static int
poller_setup_cb(struct xfer_job *j, void *arg)
{
	struct poll_source *ps = arg;

	if (request_setup(ps->ps_request, xfer_job_easy(j), ps->ps_src,
	        ps->ps_entry->ce_url_shown, ps->ps_poller->p_cf) == -1)
		return -1;
	return ps->ps_bearer != NULL
	    ? request_set_bearer(xfer_job_easy(j), ps->ps_bearer)
	    : 0;
}

/* Hands the duration and body size of ps's finished transfer to the cache. */
static void
poller_measure(struct poll_source *ps)
{
	int64_t usec;
	uint64_t bytes;

	if (xfer_job_measure(ps->ps_xfer, &usec, &bytes) == -1) {
		log_debug("source %s: no transfer times", ps->ps_src->src_name);
		return;
	}
	cache_put_transfer(ps->ps_entry, usec, bytes);
}

/* xfer's callback: ps's transfer has ended with rc. */
static void
poller_done_xfer_cb(struct xfer_job *j, CURLcode rc, void *arg)
{
	struct poll_source *ps = arg;
	struct json_object *values;
	struct source_error err;
	int64_t hint_ms;
	int ok;

	poller_measure(ps);
	if (poller_auth_refused(ps))
		return;
	memset(&err, 0, sizeof err);
	if ((ok = poller_outcome(ps, rc, &values, &err, &hint_ms)) == 1)
		return;
	poller_finish(ps, ok == 0, values, &err, hint_ms);
}

/* Starts ps's transfer with bearer (NULL: none but token_file's). */
static void
poller_transfer(struct poll_source *ps, const char *bearer)
{
	struct poller *p = ps->ps_poller;
	struct source_error err;
	const char *why = NULL;

	ps->ps_bearer = bearer;
	ps->ps_xfer = xfer_start(p->p_xfer, ps->ps_src->src_max_body,
	    poller_setup_cb, poller_done_xfer_cb, ps, &why);
	ps->ps_bearer = NULL;
	if (ps->ps_xfer == NULL) {
		source_error_set(&err, SOURCE_ERR_INTERNAL, 0, 0,
		    "cannot start transfer: %s", why);
		poller_finish(ps, 0, NULL, &err, -1);
	}
}

/* auth's callback: the token ps waited for came, or could not be had. */
static void
poller_token_cb(
    const char *token, uint64_t gen, const struct source_error *err, void *arg)
{
	struct poll_source *ps = arg;
	struct source_error copy;

	ps->ps_auth_wait = NULL;
	if (token == NULL) {
		/* The API is not called: the poll fails as kind auth. */
		copy = *err;
		poller_finish(ps, 0, NULL, &copy, -1);
		return;
	}
	ps->ps_token_gen = gen;
	poller_transfer(ps, token);
}

/* Gets ps's access token, then starts its transfer (now or when the
 * token comes).  A token request takes a slot of the source's budget:
 * with none free, it waits for one, as a poll does. */
static void
poller_auth(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;
	struct budget *b = admit_budget(p->p_admit, ps->ps_src->src_budget);
	struct source_error err;
	const char *token = NULL;
	int64_t now = timeutil_mono_ms();
	int rc;

	if (b != NULL && auth_needs_request(ps->ps_cred) &&
	    budget_take(b, now) == -1) {
		ps->ps_token_waits = 1;
		poller_arm(ps, budget_next_at(b, now));
		return;
	}
	rc = auth_token(p->p_auth, ps->ps_cred, ps->ps_src,
	    p->p_cf->cf_user_agent, poller_token_cb, ps, &ps->ps_auth_wait,
	    &token, &ps->ps_token_gen, &err);
	if (rc == 1)
		poller_transfer(ps, token);
	else if (rc == -1)
		poller_finish(ps, 0, NULL, &err, -1);
}

/*
 * Returns 1 if ps's finished transfer was a 401 to an access token this
 * poll had not yet renewed: the token is dropped and the poll starts
 * again with a new one, once.
 */
static int
poller_auth_refused(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;

	if (ps->ps_cred == NULL || ps->ps_auth_retried ||
	    xfer_job_status(ps->ps_xfer) != 401)
		return 0;
	ps->ps_auth_retried = 1;
	auth_reject(ps->ps_cred, ps->ps_token_gen);
	xfer_job_put(p->p_xfer, ps->ps_xfer);
	ps->ps_xfer = NULL;
	poller_auth(ps);
	return 1;
}

/* Starts ps's poll now; admit has counted it in flight. */
static void
poller_begin(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;

	ps->ps_in_flight = 1;
	if (ps->ps_backoff.b_open)
		cache_set_circuit(p->p_cache, ps->ps_entry,
		    CACHE_CIRCUIT_HALF_OPEN, ps->ps_backoff.b_opened);
	ps->ps_auth_retried = 0;
	if (ps->ps_cred != NULL)
		poller_auth(ps);
	else
		poller_transfer(ps, NULL);
}

/* Shows in the cache each source's budget as of monotonic time now. */
static void
poller_budget_publish(struct poller *p, int64_t now)
{
	int64_t offset = timeutil_wall_ms() - now, next_at;
	struct poll_source *ps;
	unsigned remaining;
	size_t i;

	/* One offset for all, kept while the clocks agree, so a next_at
	 * that did not change is not shown as a change. */
	if (p->p_wall_offset == 0 || offset - p->p_wall_offset > 1000 ||
	    p->p_wall_offset - offset > 1000)
		p->p_wall_offset = offset;
	for (i = 0; i < p->p_nsources; i++) {
		ps = p->p_sources[i];
		if (admit_ticket_budget(
		        ps->ps_ticket, now, &remaining, &next_at) == NULL)
			continue;
		cache_set_budget(p->p_cache, ps->ps_entry, remaining,
		    next_at != 0 && next_at != BUDGET_NEVER
		        ? next_at + p->p_wall_offset
		        : 0);
	}
}

/* Has the budget timer publish and admit at the next turn of the loop:
 * many polls started in one turn cost one pass over the sources. */
static void
poller_budget_soon(struct poller *p)
{
	struct timeval tv = {0, 0};

	if (evtimer_add(p->p_budget_timer, &tv) == -1)
		log_warnx("cannot arm the request budgets' timer");
}

/* Publishes the budgets and arms the timer for their next change. */
static void
poller_budget_update(struct poller *p)
{
	int64_t now, at, delay;
	struct timeval tv;

	if (p->p_cf->cf_nbudgets == 0)
		return;
	now = timeutil_mono_ms();
	poller_budget_publish(p, now);
	if ((at = admit_next_at(p->p_admit, now)) == BUDGET_NEVER) {
		evtimer_del(p->p_budget_timer);
		return;
	}
	delay = at > now ? at - now : 0;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	if (evtimer_add(p->p_budget_timer, &tv) == -1)
		log_warnx("cannot arm the request budgets' timer");
}

/* Starts ps now if its claim, budget and the caps allow, else it waits. */
void
poller_request(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;
	int rc;

	if (ps->ps_in_flight || ps->ps_claim != NULL || ps->ps_commit != NULL)
		return; /* never two polls of one source */
	if (p->p_cluster != NULL && !ps->ps_decided &&
	    poller_cluster_claim(ps) == 1)
		return; /* Redis decides; its answer comes back here */
	rc = admit_request(p->p_admit, ps->ps_ticket, timeutil_mono_ms());
	if (rc == 1)
		poller_begin(ps);
	else if (rc == 0)
		log_debug("source %s: waiting for %s", ps->ps_src->src_name,
		    ps->ps_src->src_budget != NULL ? "its budget or a free slot"
		                                   : "a free slot");
	/* A wait for the budget is no failure: nothing else is recorded. */
	if (ps->ps_src->src_budget != NULL)
		poller_budget_soon(p);
}

/* Starts waiting polls while there is room, one host at a time; 1 if
 * one of them is on a budget. */
static int
poller_start_waiting(struct poller *p)
{
	struct poll_source *ps;
	int64_t now = timeutil_mono_ms();
	int budgeted = 0;

	while ((ps = admit_next(p->p_admit, now)) != NULL) {
		budgeted |= ps->ps_src->src_budget != NULL;
		poller_begin(ps);
	}
	return budgeted;
}

/* Starts waiting polls while there is room, one host at a time. */
static void
poller_drain(struct poller *p)
{
	if (poller_start_waiting(p))
		poller_budget_soon(p);
}

/* libevent callback: a budget may have a free slot, or changed. */
static void
poller_budget_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poller *p = arg;

	admit_tick(p->p_admit, timeutil_mono_ms());
	(void)poller_start_waiting(p);
	poller_budget_update(p);
}

/* xfer's callback after each pass over ended transfers. */
static void
poller_drained_cb(void *arg)
{
	poller_drain(arg);
}

/* libevent callback: ps's slot has come. */
static void
poller_due_cb(evutil_socket_t fd, short what, void *arg)
{
	struct poll_source *ps = arg;

	if (ps->ps_token_waits) {
		/* The poll was admitted; its token request may start now. */
		ps->ps_token_waits = 0;
		poller_auth(ps);
		return;
	}
	poller_request(ps);
}

/* Points ps at the token cache entry of its source's credentials (none
 * without auth), dropping the one it had; 0 or -1 (logged by auth). */
static int
poller_set_cred(struct poll_source *ps)
{
	struct poller *p = ps->ps_poller;
	struct auth_cred *c = NULL;

	if (ps->ps_src->src_auth > AUTH_NONE &&
	    (c = auth_cred_get(p->p_auth, ps->ps_src)) == NULL)
		return -1;
	auth_cred_put(p->p_auth, ps->ps_cred);
	ps->ps_cred = c;
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
	    (ps->ps_ticket = admit_ticket_new(
	         p->p_admit, src->src_url, src->src_budget, ps)) == NULL ||
	    poller_build_headers(ps) == -1 || poller_set_cred(ps) == -1)
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
		extract_child_cancel(ps->ps_child);
		ps->ps_child = NULL;
		xfer_cancel(p->p_xfer, ps->ps_xfer);
		ps->ps_xfer = NULL;
		auth_cancel(p->p_auth, ps->ps_auth_wait);
		ps->ps_auth_wait = NULL;
		ps->ps_in_flight = 0;
	}
	poller_cluster_forget(ps);
	auth_cred_put(p->p_auth, ps->ps_cred);
	admit_ticket_free(p->p_admit, ps->ps_ticket);
	request_free(ps->ps_request);
	if (ps->ps_timer != NULL)
		event_free(ps->ps_timer);
	free(ps);
}

/* Creates a poller for cf's sources on base; cf and c must outlive it. */
struct poller *
poller_new(struct event_base *base, const struct config *cf, struct cache *c)
{
	struct poller *p;
	size_t i;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->p_base = base;
	p->p_cf = cf;
	p->p_cache = c;
	if ((p->p_xfer = xfer_new(base, poller_max_connects(cf),
	         cf->cf_max_concurrency)) == NULL)
		goto fail;
	xfer_set_drained_cb(p->p_xfer, poller_drained_cb, p);
	p->p_admit = admit_new(cf->cf_max_concurrency, cf->cf_max_per_host);
	p->p_auth = auth_new(p->p_xfer);
	p->p_extract = extract_new(EXTRACT_MAX_DEPTH);
	p->p_budget_timer = evtimer_new(base, poller_budget_cb, p);
	if (p->p_admit == NULL || p->p_budget_timer == NULL ||
	    admit_set_budgets(p->p_admit, cf->cf_budgets, cf->cf_nbudgets) ==
	        -1)
		goto fail;
	/* NOLINTBEGIN(bugprone-sizeof-expression): an array of pointers */
	p->p_sources =
	    calloc(cf->cf_nsources ? cf->cf_nsources : 1, sizeof *p->p_sources);
	/* NOLINTEND(bugprone-sizeof-expression) */
	if (p->p_admit == NULL || p->p_auth == NULL || p->p_extract == NULL ||
	    p->p_sources == NULL)
		goto fail;
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
	/*
	 * The first p_nsources are set: the analyzer forgets that calloc
	 * zeroed p_nsources once p escapes to evtimer_new.
	 */
	for (i = 0; i < p->p_nsources; i++)
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		poller_source_free(p, p->p_sources[i]);
	/* Token requests go before the transfers they run on. */
	auth_free(p->p_auth);
	/* Closes cached connections once no transfer is left. */
	xfer_free(p->p_xfer);
	if (p->p_budget_timer != NULL)
		event_free(p->p_budget_timer);
	admit_free(p->p_admit);
	extract_free(p->p_extract);
	if (p->p_by_name != NULL)
		lh_table_free(p->p_by_name);
	free(p->p_sources);
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
	if (*slot == NULL || !source_same_loaded((*slot)->ps_src, src))
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
	/* Budgets first: a kept one keeps its history of starts. */
	if (admit_set_budgets(p->p_admit, cf->cf_budgets, cf->cf_nbudgets) ==
	    -1) {
		lh_table_free(slots);
		free(next);
		return -1;
	}
	p->p_cf = cf;
	p->p_cache = c;
	admit_set_caps(p->p_admit, cf->cf_max_concurrency, cf->cf_max_per_host);
	xfer_set_pool_max(p->p_xfer, cf->cf_max_concurrency);
	for (i = 0; i < cf->cf_nsources; i++) {
		if ((slot = poller_find_same(slots, &cf->cf_sources[i])) !=
		    NULL) {
			/* Same name and URL: keep its schedule, backoff and
			 * transfer; its other settings apply from now on. */
			ps = *slot;
			*slot = NULL;
			ps->ps_src = &cf->cf_sources[i];
			ps->ps_entry = cache_find(c, ps->ps_src->src_name);
			if (poller_set_cred(ps) == -1)
				log_warnx("source %s: keeps its old "
				          "credentials",
				    ps->ps_src->src_name);
			/* Known: the config checked every budget name. */
			(void)admit_ticket_set_budget(
			    p->p_admit, ps->ps_ticket, ps->ps_src->src_budget);
			if (ps->ps_in_flight) {
				ps->ps_headers_later = 1;
				/* As the body still coming is checked. */
				xfer_job_set_max_body(
				    ps->ps_xfer, ps->ps_src->src_max_body);
			} else if (poller_build_headers(ps) == -1)
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
	xfer_set_max_connects(p->p_xfer, poller_max_connects(cf));
	if (p->p_cluster != NULL && poller_cluster_sources(p) == -1)
		log_warnx("cluster: cannot list the reloaded sources");
	if (cf->cf_nbudgets == 0)
		evtimer_del(p->p_budget_timer);
	poller_drain(p);
	poller_budget_update(p);
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
	poller_budget_update(p);
	return 0;
}

/* Returns the number of polls in flight. */
unsigned
poller_in_flight(const struct poller *p)
{
	return admit_in_flight(p->p_admit);
}
