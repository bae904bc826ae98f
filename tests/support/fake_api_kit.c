/*
 * The checks the analytics API fakes share: a violation recorder behind
 * each fake's own lock, the bearer token and media type of a request, a
 * JSON body parsed with json-c, unknown keys, and today's date in an
 * IANA time zone from GLib's GTimeZone (never gatherd's lib/tz.c, so a
 * fake and gatherd cannot agree by sharing a bug): a date in any format,
 * or a midnight as a Unix time.  And for the fakes a mode drives: their
 * state's allocation, expected credentials (HTTP Basic decoded by
 * libmicrohttpd) and the admission of each request.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "fake_api_kit.h"

/* How deep a request body may nest before the fakes refuse it. */
#define FU_API_KIT_DEPTH 64
/* How long after midnight the day before is still taken, in µs. */
#define FU_API_KIT_GRACE_US (120 * G_TIME_SPAN_SECOND)

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
	free(k->ak_user);
	free(k->ak_password);
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

/* Replaces *slot with a copy of s (NULL allowed); -1 if out of memory. */
static int
fu_api_set(char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/* Returns a new zeroed state of size bytes, its kit set up; or NULL. */
void *
fu_api_kit_new(size_t size, const char *zone, const char *password)
{
	struct fu_api_kit *k;

	if ((k = calloc(1, size)) == NULL)
		return NULL;
	if (fu_api_kit_init(k) != 0) {
		free(k);
		return NULL;
	}
	k->ak_zone = zone;
	if (fu_api_set(&k->ak_password, password) != 0) {
		fu_api_kit_fini(k);
		free(k);
		return NULL;
	}
	return k;
}

/* Frees state p, made by fu_api_kit_new. */
static void
fu_api_kit_free(void *p)
{
	fu_api_kit_fini(p);
	free(p);
}

/* Returns fu's state for api, made by make on first use. */
void *
fu_api_kit_get(struct fake_upstream *fu, enum fu_api api, void *(*make)(void))
{
	void *state = fu_api_state(fu, api, make, fu_api_kit_free);

	if (state == NULL)
		abort();
	return state;
}

/* Counts, checks and records a request; says in v how to answer. */
void
fu_api_kit_admit(struct fu_api_kit *k, struct MHD_Connection *conn,
    const struct fu_upload *req, fu_api_check_fn *check, void *arg,
    struct fu_api_verdict *v)
{
	pthread_mutex_lock(&k->ak_lock);
	k->ak_requests++;
	v->av_mode = k->ak_mode;
	v->av_status = check(k, conn, req, arg, v->av_why, sizeof v->av_why);
	if (v->av_status == 0 && v->av_mode == FAKE_API_ANSWER)
		k->ak_served++;
	pthread_mutex_unlock(&k->ak_lock);
	if (v->av_status != 0)
		fu_api_kit_violation(k, "%s", v->av_why);
}

/* Sets k's mode. */
void
fu_api_kit_set_mode(struct fu_api_kit *k, enum fake_api_mode mode)
{
	pthread_mutex_lock(&k->ak_lock);
	k->ak_mode = mode;
	pthread_mutex_unlock(&k->ak_lock);
}

/* Sets how the fake behind k answers. */
void
fake_api_mode(struct fu_api_kit *k, enum fake_api_mode mode)
{
	fu_api_kit_set_mode(k, mode);
}

/* Returns a copy of the last violation the fake behind k saw, or NULL. */
char *
fake_api_violation(struct fu_api_kit *k)
{
	return fu_api_kit_last_violation(k);
}

/* Returns how many documented answers the fake behind k served. */
unsigned long
fake_api_answers(struct fu_api_kit *k)
{
	return fu_api_kit_count(k, 1);
}

/* Sets the credentials k expects. */
void
fu_api_kit_expect(struct fu_api_kit *k, const char *user, const char *password)
{
	pthread_mutex_lock(&k->ak_lock);
	if (fu_api_set(&k->ak_user, user) != 0 ||
	    fu_api_set(&k->ak_password, password) != 0)
		abort();
	pthread_mutex_unlock(&k->ak_lock);
}

/* Returns 1 if conn's Basic credentials are kit's, else 0 and why. */
int
fu_api_kit_basic(
    struct fu_api_kit *k, struct MHD_Connection *conn, char *why, size_t size)
{
	char *user, *password = NULL;
	int ok;

	user = MHD_basic_auth_get_username_password(conn, &password);
	ok = user != NULL && k->ak_user != NULL &&
	    strcmp(user, k->ak_user) == 0 &&
	    strcmp(password != NULL ? password : "",
	        k->ak_password != NULL ? k->ak_password : "") == 0;
	if (!ok)
		snprintf(why, size, "%s",
		    user == NULL ? "no HTTP Basic credentials"
		                 : "wrong HTTP Basic credentials");
	if (user != NULL)
		MHD_free(user);
	if (password != NULL)
		MHD_free(password);
	return ok;
}

/* Returns a new JSON string of s. */
struct json_object *
fu_api_kit_jstr(const char *s)
{
	struct json_object *o;

	if ((o = json_object_new_string(s)) == NULL)
		abort();
	return o;
}

/* Adds key = v (taken) to object o. */
void
fu_api_kit_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (json_object_object_add(o, key, v) != 0)
		abort();
}

/* Returns query argument key of conn, or NULL. */
const char *
fu_api_kit_arg(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
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

/* Returns midnight of at's day in tz (caller unrefs), or NULL. */
static GDateTime *
fu_api_kit_midnight(GTimeZone *tz, GDateTime *at)
{
	int y, m, d;

	g_date_time_get_ymd(at, &y, &m, &d);
	return g_date_time_new(tz, y, m, d, 0, 0, 0);
}

/* The two days a request may name: today, and yesterday in the grace. */
struct fu_api_kit_days {
	GDateTime *ad_today; /* today's midnight */
	GDateTime *ad_yesterday; /* yesterday's midnight, NULL past grace */
};

/* Fills days for zone; aborts if GLib cannot (a test's own zone). */
static void
fu_api_kit_days(const char *zone, struct fu_api_kit_days *days)
{
	GTimeZone *tz;
	GDateTime *now, *before;

	if ((tz = g_time_zone_new_identifier(zone)) == NULL ||
	    (now = g_date_time_new_now(tz)) == NULL ||
	    (days->ad_today = fu_api_kit_midnight(tz, now)) == NULL)
		abort();
	days->ad_yesterday = NULL;
	if (g_date_time_difference(now, days->ad_today) < FU_API_KIT_GRACE_US) {
		if ((before = g_date_time_add_days(now, -1)) == NULL ||
		    (days->ad_yesterday = fu_api_kit_midnight(tz, before)) ==
		        NULL)
			abort();
		g_date_time_unref(before);
	}
	g_date_time_unref(now);
	g_time_zone_unref(tz);
}

/* Frees days. */
static void
fu_api_kit_days_free(struct fu_api_kit_days *days)
{
	g_date_time_unref(days->ad_today);
	if (days->ad_yesterday != NULL)
		g_date_time_unref(days->ad_yesterday);
}

/* Returns 1 if day formatted with format is got. */
static int
fu_api_kit_day_matches(GDateTime *day, const char *format, const char *got)
{
	gchar *text;
	int ok;

	if (day == NULL)
		return 0;
	if ((text = g_date_time_format(day, format)) == NULL)
		abort();
	ok = strcmp(text, got) == 0;
	g_free(text);
	return ok;
}

/* Returns true if got is today (or yesterday in the grace) in zone. */
bool
fu_api_kit_is_day(const char *zone, const char *format, const char *got)
{
	struct fu_api_kit_days days;
	int ok;

	if (got == NULL)
		return 0;
	fu_api_kit_days(zone, &days);
	ok = fu_api_kit_day_matches(days.ad_today, format, got) ||
	    fu_api_kit_day_matches(days.ad_yesterday, format, got);
	fu_api_kit_days_free(&days);
	return ok;
}

/* Returns true if got is a midnight of today (or yesterday in the
 * grace). */
bool
fu_api_kit_is_midnight(
    const char *zone, const char *got, int64_t units, int64_t *want)
{
	struct fu_api_kit_days days;
	char *end;
	long long n;
	int ok;

	fu_api_kit_days(zone, &days);
	*want = (int64_t)g_date_time_to_unix(days.ad_today) * units;
	ok = got != NULL && *got != '\0';
	if (ok) {
		n = strtoll(got, &end, 10);
		ok = *end == '\0' &&
		    ((int64_t)n == *want ||
		        (days.ad_yesterday != NULL &&
		            (int64_t)n ==
		                (int64_t)g_date_time_to_unix(
		                    days.ad_yesterday) *
		                    units));
	}
	fu_api_kit_days_free(&days);
	return ok;
}

/* Returns true if ymd is today in zone, or just-past yesterday. */
bool
fu_api_kit_is_today(const char *zone, const char *ymd)
{
	return fu_api_kit_is_day(zone, "%Y-%m-%d", ymd);
}

/* Returns the current Unix time in ms. */
int64_t
fu_api_kit_now_ms(void)
{
	return (int64_t)(g_get_real_time() / 1000);
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
