/*
 * The checks the analytics API fakes share: a violation recorder behind
 * each fake's own lock, the bearer token and media type of a request, a
 * JSON body parsed with json-c, unknown keys, and today's date in an
 * IANA time zone from GLib's GTimeZone (never gatherd's lib/tz.c, so a
 * fake and gatherd cannot agree by sharing a bug).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "fake_api_kit.h"

/* How deep a request body may nest before the fakes refuse it. */
#define FU_API_KIT_DEPTH 64

/* Initialises k; 0 or -1. */
int
fu_api_kit_init(struct fu_api_kit *k)
{
	memset(k, 0, sizeof *k);
	return pthread_mutex_init(&k->ak_lock, NULL) == 0 ? 0 : -1;
}

/* Frees what k holds. */
void
fu_api_kit_fini(struct fu_api_kit *k)
{
	free(k->ak_violation);
	pthread_mutex_destroy(&k->ak_lock);
}

/* Records a contract violation in k. */
void
fu_api_kit_violation(struct fu_api_kit *k, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	va_end(ap);
	pthread_mutex_lock(&k->ak_lock);
	free(k->ak_violation);
	k->ak_violation = text;
	pthread_mutex_unlock(&k->ak_lock);
}

/* Returns a copy of k's last violation, or NULL. */
char *
fu_api_kit_last_violation(struct fu_api_kit *k)
{
	char *copy = NULL;

	pthread_mutex_lock(&k->ak_lock);
	if (k->ak_violation != NULL)
		copy = strdup(k->ak_violation);
	pthread_mutex_unlock(&k->ak_lock);
	return copy;
}

/* Returns k's request or data-answer counter. */
unsigned long
fu_api_kit_count(struct fu_api_kit *k, int served)
{
	unsigned long n;

	pthread_mutex_lock(&k->ak_lock);
	n = served ? k->ak_served : k->ak_requests;
	pthread_mutex_unlock(&k->ak_lock);
	return n;
}

/* Returns the token of an "Authorization: Bearer TOKEN" header. */
const char *
fu_api_kit_bearer(struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	/* RFC 6750 2.1: the scheme is case-insensitive, one space. */
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0 ||
	    auth[7] == '\0')
		return NULL;
	return auth + 7;
}

/* Returns true if the request's Content-Type is application/json. */
bool
fu_api_kit_is_json(struct MHD_Connection *conn)
{
	const char *ct = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(FU_JSON);

	return ct != NULL && strncasecmp(ct, FU_JSON, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';');
}

/* Returns the body as a JSON object, or NULL. */
struct json_object *
fu_api_kit_object(const struct fu_upload *u)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;

	if (u->too_large ||
	    (tok = json_tokener_new_ex(FU_API_KIT_DEPTH)) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, u->data, (int)u->len);
	if (o != NULL &&
	    (json_tokener_get_error(tok) != json_tokener_success ||
	        json_tokener_get_parse_end(tok) != u->len ||
	        !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Returns the first key of o not in known, or NULL. */
const char *
fu_api_kit_unknown_key(struct json_object *o, const char *const *known)
{
	size_t i;

	json_object_object_foreach(o, key, value)
	{
		(void)value;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return key;
	}
	return NULL;
}

/* Returns true if ymd is today in zone, or just-past yesterday. */
bool
fu_api_kit_is_today(const char *zone, const char *ymd)
{
	GTimeZone *tz;
	GDateTime *now, *before;
	char *today, *yesterday = NULL;
	bool ok;

	if ((tz = g_time_zone_new_identifier(zone)) == NULL)
		return false;
	now = g_date_time_new_now(tz);
	today = g_date_time_format(now, "%Y-%m-%d");
	/* Within 2 minutes after midnight the client may have begun its
	 * request on the day before: allow that day, not any other. */
	if (g_date_time_get_hour(now) == 0 && g_date_time_get_minute(now) < 2) {
		before = g_date_time_add_days(now, -1);
		yesterday = g_date_time_format(before, "%Y-%m-%d");
		g_date_time_unref(before);
	}
	ok = strcmp(ymd, today) == 0 ||
	    (yesterday != NULL && strcmp(ymd, yesterday) == 0);
	g_free(today);
	g_free(yesterday);
	g_date_time_unref(now);
	g_time_zone_unref(tz);
	return ok;
}

/* Returns the string member key of o, or NULL. */
const char *
fu_api_kit_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Queues o (taken) as the JSON body, with an optional header. */
enum MHD_Result
fu_api_kit_reply(struct MHD_Connection *conn, unsigned status,
    struct json_object *o, const char *hname, const char *hvalue)
{
	enum MHD_Result ret = MHD_NO;
	const char *text;
	size_t len;

	if (o != NULL &&
	    (text = json_object_to_json_string_length(
	         o, JSON_C_TO_STRING_PLAIN, &len)) != NULL)
		ret = fu_reply(conn, status, FU_JSON, text, len, hname, hvalue);
	json_object_put(o);
	return ret;
}
