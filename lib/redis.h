/*
 * One connection to Redis on gatherd's libevent loop, through hiredis's
 * async API: connect (an IP or a unix socket, never a name), AUTH,
 * commands as argv with a callback called exactly once, timeouts of our
 * own (hiredis 0.14 has none) and reconnects with full-jitter backoff on
 * a new context each time.  This is the one file that includes hiredis;
 * replies are shown to the rest of the tree through the accessors below.
 * Writes to a dropped connection raise SIGPIPE: the program ignores it.
 */
#ifndef GATHERD_REDIS_H
#define GATHERD_REDIS_H

#include <stddef.h>

struct event_base;
struct redis;
/* A reply, borrowed for the length of the callback that shows it. */
struct redis_reply;

/* What a connection is for. */
enum redis_kind {
	REDIS_KIND_COMMANDS, /* short commands, one timeout for each */
	REDIS_KIND_BLOCKING, /* blocking commands (XREAD BLOCK) too */
};

/* Why a command has no reply. */
enum redis_fail {
	REDIS_FAIL_NONE, /* a reply came (perhaps an error reply) */
	REDIS_FAIL_DOWN, /* the connection went down before the reply */
	REDIS_FAIL_TIMEOUT, /* no reply in time: the connection is dropped */
	REDIS_FAIL_FREED, /* redis_free ran first */
};

/* The type of a reply, as RESP2 says. */
enum redis_type {
	REDIS_TYPE_STRING,
	REDIS_TYPE_ARRAY,
	REDIS_TYPE_INTEGER,
	REDIS_TYPE_NIL,
	REDIS_TYPE_STATUS,
	REDIS_TYPE_ERROR,
};

/* A command's result: reply is NULL exactly when fail is not NONE. */
typedef void redis_reply_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg);
/* The link went up (AUTH passed, commands accepted) or down. */
typedef void redis_link_cb(struct redis *r, int up, void *arg);

/* How to reach Redis and how long to wait; strings are copied. */
struct redis_params {
	const char *rp_target; /* "unix:/path", "IPv4:port", "[IPv6]:port" */
	const char *rp_password; /* AUTH first; NULL for none */
	enum redis_kind rp_kind;
	unsigned rp_connect_ms; /* connect and AUTH (or PING) answered */
	unsigned rp_command_ms; /* a command; the margin over a block */
	unsigned rp_backoff_base_ms; /* reconnect: full jitter from base (>0) */
	unsigned rp_backoff_cap_ms; /* up to this cap */
	redis_link_cb *rp_link_cb; /* NULL for none */
	void *rp_arg;
};

/* Returns 0 if target is one rp_target accepts, else -1 and *why. */
int redis_check_target(const char *target, const char **why);
/*
 * Makes a connection and starts connecting; it reconnects on its own
 * until redis_free.  Returns NULL (logged) for a bad target.
 */
struct redis *redis_new(struct event_base *base, const struct redis_params *p);
/* Calls every pending callback with REDIS_FAIL_FREED and frees r. */
void redis_free(struct redis *r);
/* Returns 1 while the link is up (commands are accepted), else 0. */
int redis_is_up(const struct redis *r);
/* Returns how many connections r has tried since redis_new. */
unsigned redis_attempts(const struct redis *r);
/* Returns why the last attempt or link failed ("" if none). */
const char *redis_last_error(const struct redis *r);
/*
 * Sends argv (argvlen[i] bytes each: binary-safe) with r's command
 * timeout.  Returns 0 and cb will be called exactly once, or -1 (down,
 * a subscribe or MONITOR, out of memory) and cb will never be called.
 */
int redis_command(struct redis *r, int argc, const char *const *argv,
    const size_t *argvlen, redis_reply_cb *cb, void *arg);
/*
 * Like redis_command for a command that blocks up to block_ms (XREAD
 * BLOCK) on a REDIS_KIND_BLOCKING connection: it times out after
 * block_ms plus the command timeout.  -1 on any other connection.
 */
int redis_block(struct redis *r, unsigned block_ms, int argc,
    const char *const *argv, const size_t *argvlen, redis_reply_cb *cb,
    void *arg);

/* Every accessor below takes NULL as a missing reply (nil, 0, NULL). */
/* Returns the type of reply. */
enum redis_type redis_reply_type(const struct redis_reply *reply);
/* Returns the bytes of a string, status or error reply (NUL-ended), with
 * their length in *len (len may be NULL); NULL for other replies. */
const char *redis_reply_str(const struct redis_reply *reply, size_t *len);
/* Returns the value of an integer reply (0 for any other type). */
long long redis_reply_integer(const struct redis_reply *reply);
/* Returns the number of elements of an array reply (0 otherwise). */
size_t redis_reply_len(const struct redis_reply *reply);
/* Returns element i of an array reply (NULL if out of range). */
const struct redis_reply *
redis_reply_at(const struct redis_reply *reply, size_t i);

#endif
