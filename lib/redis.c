/*
 * One Redis connection on the loop: a hiredis async context attached
 * with hiredis's libevent adapter, a timer for each command (hiredis
 * 0.14 has no timeouts), and a new context after every loss, tried again
 * with full-jitter backoff.  It owns its pending commands: each callback
 * runs exactly once, with the reply or with why there is none.  hiredis
 * frees a context itself after its disconnect or failed connect
 * callback, so a context is unhooked (data NULL) as soon as it is lost.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/un.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "backoff.h"
#include "log.h"
#include "redis.h"

/* A command sent and not yet answered. */
struct redis_cmd {
	TAILQ_ENTRY(redis_cmd) c_link;
	struct redis *c_redis; /* NULL once detached: only free it */
	struct event *c_timer;
	redis_reply_cb *c_cb; /* NULL once called */
	void *c_arg;
};

TAILQ_HEAD(redis_cmds, redis_cmd);

/* A connection and its current hiredis context. */
struct redis {
	struct event_base *r_base;
	char *r_target; /* for the log: "unix:/path" or "ip:port" */
	char *r_path; /* unix socket, or NULL */
	char r_ip[INET6_ADDRSTRLEN];
	int r_port;
	char *r_password;
	struct redis_params r_params; /* strings not kept */
	redisAsyncContext *r_ac; /* NULL between contexts */
	struct redis_cmds r_cmds;
	struct event *r_retry;
	unsigned r_attempts; /* since redis_new */
	unsigned r_fails; /* attempts failed since the link was last up */
	int r_up; /* AUTH (or PING) answered on r_ac */
	int r_quiet; /* a failure was logged at warning: repeats at debug */
	int r_freeing;
	char r_why[128];
};

/* The commands that break "one reply, one callback" in hiredis. */
static const char *const redis_refused[] = {
    "subscribe",
    "psubscribe",
    "unsubscribe",
    "punsubscribe",
    "monitor",
};

static void redis_connect(struct redis *r);

/* Returns a random number in [0, 1) for the backoff's jitter. */
static double
redis_random(void)
{
	return (double)arc4random() / 4294967296.0;
}

int
redis_check_target(const char *target, const char **why)
{
	struct sockaddr_un sun;
	struct in6_addr a6;
	struct in_addr a4;
	const char *colon;
	char host[INET6_ADDRSTRLEN + 2], *end;
	unsigned long port;
	size_t hlen;

	if (strncmp(target, "unix:", 5) == 0) {
		if (target[5] != '/') {
			*why = "a unix socket needs an absolute path";
			return -1;
		}
		if (strlen(target + 5) >= sizeof sun.sun_path) {
			*why = "the unix socket path is too long";
			return -1;
		}
		return 0;
	}
	colon = strrchr(target, ':');
	if (colon == NULL || colon == target) {
		*why = "expected unix:/path or IP:port";
		return -1;
	}
	hlen = (size_t)(colon - target);
	if (hlen >= sizeof host) {
		*why = "a host name is not accepted (hiredis resolves names "
		       "blocking): give an IP address or unix:/path";
		return -1;
	}
	memcpy(host, target, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6) != 1) {
			*why = "not an IPv6 address between the brackets";
			return -1;
		}
	} else if (inet_pton(AF_INET, host, &a4) != 1) {
		*why = strchr(host, ':') != NULL
		    ? "an IPv6 address goes between brackets: [::1]:6379"
		    : "a host name is not accepted (hiredis resolves names "
		      "blocking): give an IP address or unix:/path";
		return -1;
	}
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port == 0 ||
	    port > 65535) {
		*why = "the port is not a number from 1 to 65535";
		return -1;
	}
	return 0;
}

/* Records why the link or an attempt failed. */
static void
redis_set_why(struct redis *r, const char *why)
{
	snprintf(r->r_why, sizeof r->r_why, "%s", why);
}

/* Unlinks c from r's pending list and stops its timer. */
static void
redis_detach(struct redis *r, struct redis_cmd *c)
{
	TAILQ_REMOVE(&r->r_cmds, c, c_link);
	c->c_redis = NULL;
	event_free(c->c_timer);
	c->c_timer = NULL;
}

/* Schedules the next attempt with backoff and logs the failure once. */
static void
redis_retry(struct redis *r, const char *what)
{
	struct timeval tv;
	uint64_t ms;

	ms = backoff_full_jitter(r->r_params.rp_backoff_base_ms,
	    r->r_params.rp_backoff_cap_ms, r->r_fails++, redis_random());
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	evtimer_add(r->r_retry, &tv);
	if (r->r_quiet)
		log_debug("redis %s: %s: %s, retry in %.1fs", r->r_target, what,
		    r->r_why, (double)ms / 1000);
	else
		log_warnx("redis %s: %s: %s, retry in %.1fs", r->r_target, what,
		    r->r_why, (double)ms / 1000);
	r->r_quiet = 1;
}

/*
 * Forgets r's context (hiredis or the caller frees it), schedules a new
 * one and tells the owner if the link was up.  The owner may free r in
 * its callback: callers touch r no more after this.
 */
static void
redis_lost(struct redis *r, const char *why)
{
	int was_up = r->r_up;

	if (r->r_ac == NULL)
		return;
	r->r_ac->data = NULL;
	r->r_ac = NULL;
	r->r_up = 0;
	redis_set_why(r, why);
	if (was_up)
		r->r_quiet = 0;
	redis_retry(r, was_up ? "connection lost" : "cannot connect");
	if (was_up && r->r_params.rp_link_cb != NULL)
		r->r_params.rp_link_cb(r, 0, r->r_params.rp_arg);
}

/* hiredis's callback for every command: passes on the reply once. */
static void
redis_reply_hiredis_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_cmd *c = privdata;
	struct redis *r = c->c_redis;
	redis_reply_cb *cb = c->c_cb;
	void *arg = c->c_arg;

	if (r != NULL) {
		redis_detach(r, c);
		if (reply == NULL && r->r_ac == ac)
			redis_lost(r,
			    ac->c.errstr[0] != '\0' ? ac->c.errstr
			                            : "connection closed");
		if (cb != NULL)
			cb(reply,
			    reply != NULL ? REDIS_FAIL_NONE : REDIS_FAIL_DOWN,
			    arg);
	}
	free(c);
}

/* A command's timer: the connection is dropped, the others fail. */
static void
redis_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_cmd *c = arg;
	struct redis *r = c->c_redis;
	redisAsyncContext *ac = r->r_ac;
	redis_reply_cb *cb = c->c_cb;
	void *cbarg = c->c_arg;

	redis_detach(r, c);
	c->c_cb = NULL;
	redis_lost(r, "no reply in time");
	if (cb != NULL)
		cb(NULL, REDIS_FAIL_TIMEOUT, cbarg);
	/* The context's other commands fail (DOWN); c itself is freed. */
	if (ac != NULL)
		redisAsyncFree(ac);
}

/* Sends argv on r's context with a timer of timeout_ms. */
static int
redis_send(struct redis *r, unsigned timeout_ms, int argc,
    const char *const *argv, const size_t *argvlen, redis_reply_cb *cb,
    void *arg)
{
	struct redis_cmd *c;
	struct timeval tv;

	c = calloc(1, sizeof *c);
	if (c == NULL)
		goto fail;
	c->c_timer = evtimer_new(r->r_base, redis_timeout_cb, c);
	if (c->c_timer == NULL)
		goto fail;
	c->c_redis = r;
	c->c_cb = cb;
	c->c_arg = arg;
	if (redisAsyncCommandArgv(r->r_ac, redis_reply_hiredis_cb, c, argc,
	        (const char **)argv, argvlen) != REDIS_OK)
		goto fail;
	TAILQ_INSERT_TAIL(&r->r_cmds, c, c_link);
	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000 * 1000);
	evtimer_add(c->c_timer, &tv);
	return 0;
fail:
	if (c != NULL && c->c_timer != NULL)
		event_free(c->c_timer);
	free(c);
	return -1;
}

/* The reply to AUTH (or PING): the link is up, or refused. */
static void
redis_hello_cb(const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct redis *r = arg;
	const redisReply *rr = (const redisReply *)reply;
	redisAsyncContext *ac;
	char why[sizeof r->r_why];

	if (fail != REDIS_FAIL_NONE)
		return; /* already lost, or freed */
	if (rr->type == REDIS_REPLY_ERROR) {
		/* Redis's own words: they never hold the password. */
		snprintf(why, sizeof why, "%s refused: %s",
		    r->r_password != NULL ? "AUTH" : "PING", rr->str);
		ac = r->r_ac;
		redis_lost(r, why);
		if (ac != NULL)
			redisAsyncFree(ac); /* in a callback: deferred */
		return;
	}
	r->r_up = 1;
	r->r_fails = 0;
	r->r_quiet = 0;
	r->r_why[0] = '\0';
	log_info("redis %s: connected", r->r_target);
	if (r->r_params.rp_link_cb != NULL)
		r->r_params.rp_link_cb(r, 1, r->r_params.rp_arg);
}

/* hiredis: connected, or not (then it frees the context itself). */
static void
redis_connect_cb(const redisAsyncContext *ac, int status)
{
	struct redis *r = ac->data;

	if (r != NULL && status != REDIS_OK)
		redis_lost(r, ac->c.errstr);
}

/* hiredis: the context is going (after its commands' callbacks). */
static void
redis_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct redis *r = ac->data;

	if (r != NULL)
		redis_lost(r, status == REDIS_OK ? "closed" : ac->c.errstr);
}

/* Makes a new context, attaches it to the loop and sends AUTH or PING. */
static void
redis_connect(struct redis *r)
{
	const char *hello[2] = {"PING", NULL};
	redisAsyncContext *ac;

	r->r_attempts++;
	if (r->r_path != NULL)
		ac = redisAsyncConnectUnix(r->r_path);
	else
		ac = redisAsyncConnect(r->r_ip, r->r_port);
	if (ac == NULL || ac->err != 0) {
		redis_set_why(r, ac != NULL ? ac->c.errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		redis_retry(r, "cannot connect");
		return;
	}
	if (redisLibeventAttach(ac, r->r_base) != REDIS_OK) {
		redisAsyncFree(ac);
		redis_set_why(r, "cannot attach to the loop");
		redis_retry(r, "cannot connect");
		return;
	}
	ac->data = r;
	r->r_ac = ac;
	redisAsyncSetConnectCallback(ac, redis_connect_cb);
	redisAsyncSetDisconnectCallback(ac, redis_disconnect_cb);
	if (r->r_password != NULL) {
		hello[0] = "AUTH";
		hello[1] = r->r_password;
	}
	if (redis_send(r, r->r_params.rp_connect_ms, hello[1] != NULL ? 2 : 1,
	        hello, NULL, redis_hello_cb, r) == -1) {
		r->r_ac->data = NULL;
		r->r_ac = NULL;
		redisAsyncFree(ac);
		redis_set_why(r, "out of memory");
		redis_retry(r, "cannot connect");
	}
}

/* The backoff timer: try again. */
static void
redis_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	redis_connect(arg);
}

struct redis *
redis_new(struct event_base *base, const struct redis_params *p)
{
	struct redis *r;
	const char *why, *t = p->rp_target;
	const char *colon;
	size_t hlen;

	if (redis_check_target(t, &why) == -1) {
		log_warnx("redis %s: %s", t, why);
		return NULL;
	}
	r = calloc(1, sizeof *r);
	if (r == NULL)
		goto fail;
	r->r_base = base;
	r->r_params = *p;
	r->r_params.rp_target = r->r_params.rp_password = NULL;
	/* A zero base would retry at once, forever. */
	if (r->r_params.rp_backoff_base_ms == 0)
		r->r_params.rp_backoff_base_ms = 1;
	if (r->r_params.rp_backoff_cap_ms < r->r_params.rp_backoff_base_ms)
		r->r_params.rp_backoff_cap_ms = r->r_params.rp_backoff_base_ms;
	TAILQ_INIT(&r->r_cmds);
	r->r_target = strdup(t);
	r->r_retry = evtimer_new(base, redis_retry_cb, r);
	if (r->r_target == NULL || r->r_retry == NULL)
		goto fail;
	if (p->rp_password != NULL &&
	    (r->r_password = strdup(p->rp_password)) == NULL)
		goto fail;
	if (strncmp(t, "unix:", 5) == 0) {
		if ((r->r_path = strdup(t + 5)) == NULL)
			goto fail;
	} else {
		colon = strrchr(t, ':');
		hlen = (size_t)(colon - t);
		if (t[0] == '[') /* checked: "[addr]" */
			memcpy(r->r_ip, t + 1, hlen - 2);
		else
			memcpy(r->r_ip, t, hlen);
		r->r_port = (int)strtol(colon + 1, NULL, 10); /* checked */
	}
	redis_connect(r);
	return r;
fail:
	log_warnx("redis %s: out of memory", t);
	redis_free(r);
	return NULL;
}

void
redis_free(struct redis *r)
{
	struct redis_cmd *c;
	redis_reply_cb *cb;
	redisAsyncContext *ac;

	if (r == NULL)
		return;
	r->r_freeing = 1;
	r->r_params.rp_link_cb = NULL;
	while ((c = TAILQ_FIRST(&r->r_cmds)) != NULL) {
		cb = c->c_cb;
		c->c_cb = NULL;
		redis_detach(r, c); /* its hiredis callback frees it */
		if (cb != NULL)
			cb(NULL, REDIS_FAIL_FREED, c->c_arg);
	}
	ac = r->r_ac;
	if (ac != NULL) {
		ac->data = NULL;
		r->r_ac = NULL;
		redisAsyncFree(ac); /* deferred by hiredis in its callbacks */
	}
	if (r->r_retry != NULL)
		event_free(r->r_retry);
	if (r->r_password != NULL) {
		explicit_bzero(r->r_password, strlen(r->r_password));
		free(r->r_password);
	}
	free(r->r_path);
	free(r->r_target);
	free(r);
}

int
redis_is_up(const struct redis *r)
{
	return r->r_up;
}

unsigned
redis_attempts(const struct redis *r)
{
	return r->r_attempts;
}

const char *
redis_last_error(const struct redis *r)
{
	return r->r_why;
}

/* Returns 1 if argv[0] is a command redis_command refuses. */
static int
redis_is_refused(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof redis_refused / sizeof redis_refused[0]; i++)
		if (strlen(redis_refused[i]) == len &&
		    strncasecmp(redis_refused[i], name, len) == 0)
			return 1;
	return 0;
}

int
redis_command(struct redis *r, int argc, const char *const *argv,
    const size_t *argvlen, redis_reply_cb *cb, void *arg)
{
	if (r->r_freeing || !r->r_up || r->r_ac == NULL || argc < 1 ||
	    redis_is_refused(
	        argv[0], argvlen != NULL ? argvlen[0] : strlen(argv[0])))
		return -1;
	return redis_send(
	    r, r->r_params.rp_command_ms, argc, argv, argvlen, cb, arg);
}

int
redis_block(struct redis *r, unsigned block_ms, int argc,
    const char *const *argv, const size_t *argvlen, redis_reply_cb *cb,
    void *arg)
{
	if (r->r_params.rp_kind != REDIS_KIND_BLOCKING || r->r_freeing ||
	    !r->r_up || r->r_ac == NULL || argc < 1)
		return -1;
	return redis_send(r, block_ms + r->r_params.rp_command_ms, argc, argv,
	    argvlen, cb, arg);
}

enum redis_type
redis_reply_type(const struct redis_reply *reply)
{
	if (reply == NULL)
		return REDIS_TYPE_NIL;
	switch (((const redisReply *)reply)->type) {
	case REDIS_REPLY_STRING:
		return REDIS_TYPE_STRING;
	case REDIS_REPLY_ARRAY:
		return REDIS_TYPE_ARRAY;
	case REDIS_REPLY_INTEGER:
		return REDIS_TYPE_INTEGER;
	case REDIS_REPLY_STATUS:
		return REDIS_TYPE_STATUS;
	case REDIS_REPLY_ERROR:
		return REDIS_TYPE_ERROR;
	default:
		return REDIS_TYPE_NIL;
	}
}

const char *
redis_reply_str(const struct redis_reply *reply, size_t *len)
{
	const redisReply *rr = (const redisReply *)reply;
	size_t dummy;

	if (len == NULL)
		len = &dummy;
	*len = 0;
	if (rr == NULL || rr->str == NULL ||
	    (rr->type != REDIS_REPLY_STRING && rr->type != REDIS_REPLY_STATUS &&
	        rr->type != REDIS_REPLY_ERROR))
		return NULL;
	*len = rr->len;
	return rr->str;
}

long long
redis_reply_integer(const struct redis_reply *reply)
{
	const redisReply *rr = (const redisReply *)reply;

	return rr != NULL && rr->type == REDIS_REPLY_INTEGER ? rr->integer : 0;
}

size_t
redis_reply_len(const struct redis_reply *reply)
{
	const redisReply *rr = (const redisReply *)reply;

	return rr != NULL && rr->type == REDIS_REPLY_ARRAY ? rr->elements : 0;
}

const struct redis_reply *
redis_reply_at(const struct redis_reply *reply, size_t i)
{
	const redisReply *rr = (const redisReply *)reply;

	if (rr == NULL || rr->type != REDIS_REPLY_ARRAY || i >= rr->elements)
		return NULL;
	return (const struct redis_reply *)rr->element[i];
}
