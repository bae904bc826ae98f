/*
 * What the analytics API fakes (fake_api_*.c) share to enforce a
 * documented request contract: a lock with the last contract violation
 * and a request counter, the request's bearer token and media type, its
 * JSON body parsed by json-c, the keys an object may hold, and "today"
 * in an IANA time zone computed with GLib, independently of gatherd.
 * The fakes that a mode drives (fake_api_mode.h) also share here the
 * credentials they expect and the admission of a request against their
 * contract.  Private to the fakes: tests use each fake's own header.
 */
#ifndef FAKE_API_KIT_H
#define FAKE_API_KIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "fake_api_mode.h"
#include "fake_private.h"

/* What every API fake keeps: its lock, counters, the last violation. */
struct fu_api_kit {
	pthread_mutex_t ak_lock;
	unsigned long ak_requests; /* every request that reached the fake */
	unsigned long ak_served; /* answered with data */
	char *ak_violation; /* the last contract violation, or NULL */
	/* For the fakes fu_api_kit_admit drives (set by fu_api_kit_new): */
	enum fake_api_mode ak_mode; /* how a request keeping it is answered */
	const char *ak_zone; /* IANA zone of the day parameters */
	char *ak_user; /* the Basic user or API key expected, NULL: none */
	char *ak_password; /* the Basic password expected, NULL as "" */
};

/* Initialises k; 0 or -1. */
int fu_api_kit_init(struct fu_api_kit *k);
/* Frees what k holds (not k). */
void fu_api_kit_fini(struct fu_api_kit *k);
/* Records a contract violation in k (the last one is kept). */
void fu_api_kit_violation(struct fu_api_kit *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns a copy of k's last violation (caller frees), or NULL. */
char *fu_api_kit_last_violation(struct fu_api_kit *k);
/* Returns k's counter of requests (served 0) or data answers (served 1). */
unsigned long fu_api_kit_count(struct fu_api_kit *k, int served);
/* Returns the token of an "Authorization: Bearer TOKEN" header, or NULL. */
const char *fu_api_kit_bearer(struct MHD_Connection *conn);
/* Returns true if the request's Content-Type is application/json. */
bool fu_api_kit_is_json(struct MHD_Connection *conn);
/* Returns the body as a JSON object (caller puts), or NULL. */
struct json_object *fu_api_kit_object(const struct fu_upload *u);
/* Returns the first key of o not in the NULL-terminated known, or NULL. */
const char *
fu_api_kit_unknown_key(struct json_object *o, const char *const *known);
/*
 * Returns true if ymd ("YYYY-MM-DD") is today in zone (an IANA name),
 * or yesterday within 2 minutes after midnight there.
 */
bool fu_api_kit_is_today(const char *zone, const char *ymd);
/* Returns the string member key of o, or NULL. */
const char *fu_api_kit_str(struct json_object *o, const char *key);
/* Queues o (taken) as the JSON body, with an optional header. */
enum MHD_Result fu_api_kit_reply(struct MHD_Connection *conn, unsigned status,
    struct json_object *o, const char *hname, const char *hvalue);

/* What a fake does with a request (fu_api_kit_admit's verdict). */
struct fu_api_verdict {
	unsigned av_status; /* 0: answer as av_mode says; else a violation */
	enum fake_api_mode av_mode;
	char av_why[256]; /* the violation, for the API's error answer */
};

/*
 * Checks a request against an API's contract with the kit's lock held
 * (arg: the fake's own, to read its state and copy what the answer
 * needs); 0 if it keeps it, else the status of the API's answer to the
 * violation with what was wrong in why.
 */
typedef unsigned
fu_api_check_fn(struct fu_api_kit *k, struct MHD_Connection *conn,
    const struct fu_upload *req, void *arg, char *why, size_t size);

/*
 * Returns a new zeroed state of size bytes starting with its kit, set up
 * for zone (a static string) and an expected password (NULL: none);
 * NULL if out of memory.  For fu_api_kit_get's make.
 */
void *fu_api_kit_new(size_t size, const char *zone, const char *password);
/* Returns fu's state for api, made by make on first use; aborts if out
 * of memory.  The state starts with its struct fu_api_kit. */
void *
fu_api_kit_get(struct fake_upstream *fu, enum fu_api api, void *(*make)(void));
/*
 * Counts a request, checks it with check, records a violation and says
 * in v how to answer; an answer in FAKE_API_ANSWER mode is counted as
 * served.
 */
void fu_api_kit_admit(struct fu_api_kit *k, struct MHD_Connection *conn,
    const struct fu_upload *req, fu_api_check_fn *check, void *arg,
    struct fu_api_verdict *v);
/* Sets k's mode (locks). */
void fu_api_kit_set_mode(struct fu_api_kit *k, enum fake_api_mode mode);
/* Sets the credentials k expects (locks). */
void
fu_api_kit_expect(struct fu_api_kit *k, const char *user, const char *password);
/*
 * Returns 1 if conn carries HTTP Basic credentials equal to k's, 0 if
 * not (what it saw in why).  Call with the lock held.
 */
int fu_api_kit_basic(
    struct fu_api_kit *k, struct MHD_Connection *conn, char *why, size_t size);
/* Returns query argument key of conn, or NULL. */
const char *fu_api_kit_arg(struct MHD_Connection *conn, const char *key);
/* Returns a new JSON string of s, aborting when out of memory. */
struct json_object *fu_api_kit_jstr(const char *s);
/* Adds key = v (taken) to object o, aborting when out of memory. */
void
fu_api_kit_add(struct json_object *o, const char *key, struct json_object *v);
/*
 * Returns true if got is today in zone formatted with GLib's format, or
 * yesterday within 2 minutes after midnight there.
 */
bool fu_api_kit_is_day(const char *zone, const char *format, const char *got);
/*
 * Returns true if got (a decimal Unix time in units per second: 1 or
 * 1000) is today's midnight in zone, or yesterday's within 2 minutes
 * after midnight.  *want gets today's midnight in those units.
 */
bool fu_api_kit_is_midnight(
    const char *zone, const char *got, int64_t units, int64_t *want);
/* Returns the current Unix time in ms. */
int64_t fu_api_kit_now_ms(void);

#endif
