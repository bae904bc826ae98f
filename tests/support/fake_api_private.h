/*
 * What the analytics API fakes of fake_api_*.c share inside: the state
 * every fake keeps (its lock, mode, the credentials it expects,
 * counters, the first contract violation), the admission of a request
 * against a contract, JSON answers, and the checks of a request's day in
 * a time zone, computed with GLib independently of gatherd's own tz and
 * template code.  Private to the fakes: tests use fake_api_<api>.h.
 */
#ifndef FAKE_API_PRIVATE_H
#define FAKE_API_PRIVATE_H

#include <pthread.h>
#include <stdint.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "fake_api_kit.h"
#include "fake_private.h"

/* What every API fake keeps, under its own lock. */
struct fu_api_kit {
	pthread_mutex_t ak_lock;
	enum fake_api_mode ak_mode;
	char *ak_user; /* expected Basic user, or the API key */
	char *ak_password; /* expected Basic password ("" for none) */
	char *ak_zone; /* IANA zone the day parameters are checked in */
	unsigned long ak_requests; /* requests seen */
	unsigned long ak_answers; /* documented answers served */
	char *ak_violation; /* the first contract violation, or NULL */
};

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
fu_api_check_fn(struct fu_api_kit *kit, struct MHD_Connection *conn,
    const struct fu_upload *req, void *arg, char *why, size_t size);

/*
 * Counts a request, checks it with check, records a violation and says
 * in v how to answer; an answer in FAKE_API_ANSWER mode is counted.
 */
void fu_api_kit_admit(struct fu_api_kit *kit, struct MHD_Connection *conn,
    const struct fu_upload *req, fu_api_check_fn *check, void *arg,
    struct fu_api_verdict *v);

/* Sets kit's mode (locks). */
void fu_api_kit_mode(struct fu_api_kit *kit, enum fake_api_mode mode);
/* Sets the credentials kit expects (locks). */
void fu_api_kit_credentials(
    struct fu_api_kit *kit, const char *user, const char *password);
/* Returns a copy of kit's first violation (caller frees), or NULL. */
char *fu_api_kit_violation(struct fu_api_kit *kit);
/* Returns how many documented answers kit's fake served. */
unsigned long fu_api_kit_answers(struct fu_api_kit *kit);

/*
 * Returns 1 if conn carries HTTP Basic credentials equal to kit's, 0
 * if not (what it saw in why).  Call with the lock held.
 */
int fu_api_kit_basic(struct fu_api_kit *kit, struct MHD_Connection *conn,
    char *why, size_t size);
/*
 * Queues JSON document o (taken) with status and an optional header
 * (a NULL name: none).
 */
enum MHD_Result fu_api_reply(struct MHD_Connection *conn, unsigned status,
    struct json_object *o, const char *hname, const char *hvalue);
/* Returns a new JSON string of s, aborting when out of memory. */
struct json_object *fu_api_str(const char *s);
/* Adds key = v (taken) to object o, aborting when out of memory. */
void fu_api_add(struct json_object *o, const char *key, struct json_object *v);
/* Returns query argument key of conn, or NULL. */
const char *fu_api_arg(struct MHD_Connection *conn, const char *key);

/*
 * Returns 1 if got is today in zone formatted with GLib's format, or
 * yesterday while now is within two minutes after midnight there.
 */
int fu_api_day_is_today(const char *zone, const char *format, const char *got);
/*
 * Returns 1 if got (a decimal Unix time in units per second: 1 or 1000)
 * is today's midnight in zone, or yesterday's within two minutes after
 * midnight.  *want gets today's midnight in those units.
 */
int fu_api_day_is_midnight(
    const char *zone, const char *got, int64_t units, int64_t *want);
/* Returns the current Unix time in ms. */
int64_t fu_api_now_ms(void);

/*
 * Returns a new zeroed state of size bytes starting with its kit, set up
 * for zone and an expected password (NULL: none yet); NULL if out of
 * memory.  For fu_api_kit_get's make.
 */
void *fu_api_kit_new(size_t size, const char *zone, const char *password);
/* Returns fu's state for api, made by make on first use; aborts if out
 * of memory.  The state starts with its struct fu_api_kit. */
void *
fu_api_kit_get(struct fake_upstream *fu, enum fu_api api, void *(*make)(void));

#endif
