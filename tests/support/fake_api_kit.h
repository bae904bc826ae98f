/*
 * What the analytics API fakes (fake_api_*.c) share to enforce a
 * documented request contract: a lock with the last contract violation
 * and a request counter, the request's bearer token and media type, its
 * JSON body parsed by json-c, the keys an object may hold, and "today"
 * in an IANA time zone computed with GLib, independently of gatherd.
 * Private to the fakes: tests use each fake's own header.
 */
#ifndef FAKE_API_KIT_H
#define FAKE_API_KIT_H

#include <pthread.h>
#include <stdbool.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "fake_private.h"

/* What every API fake keeps: its lock, counters, the last violation. */
struct fu_api_kit {
	pthread_mutex_t ak_lock;
	unsigned long ak_requests; /* every request that reached the fake */
	unsigned long ak_served; /* answered with data */
	char *ak_violation; /* the last contract violation, or NULL */
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

#endif
