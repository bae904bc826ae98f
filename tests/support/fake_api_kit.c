/*
 * The analytics API fakes' common ground: their state's lock, mode,
 * credentials and counters, the first contract violation each saw, the
 * Basic credentials of a request (decoded by libmicrohttpd) and the
 * day parameters checked against the wall clock in the recipe's zone
 * with GLib's GDateTime, never with gatherd's lib/tz.c or template.c.
 * Near midnight the day before is also taken, for two minutes, so that
 * a poll sent just before midnight cannot fail a test.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fake_api_private.h"

/* How long after midnight the day before is still taken, in µs. */
#define FU_API_GRACE_US (120 * G_TIME_SPAN_SECOND)

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

/* Frees what kit holds (not kit itself). */
static void
fu_api_kit_fini(struct fu_api_kit *kit)
{
	free(kit->ak_zone);
	free(kit->ak_user);
	free(kit->ak_password);
	free(kit->ak_violation);
	pthread_mutex_destroy(&kit->ak_lock);
}

/* Sets up kit for zone with the expected credentials; -1 if out of
 * memory. */
static int
fu_api_kit_init(struct fu_api_kit *kit, const char *zone, const char *user,
    const char *password)
{
	memset(kit, 0, sizeof *kit);
	if (pthread_mutex_init(&kit->ak_lock, NULL) != 0)
		return -1;
	if (fu_api_set(&kit->ak_zone, zone) != 0 ||
	    fu_api_set(&kit->ak_user, user) != 0 ||
	    fu_api_set(&kit->ak_password, password) != 0) {
		fu_api_kit_fini(kit);
		return -1;
	}
	return 0;
}

/* Returns a new zeroed state of size bytes, its kit set up; or NULL. */
void *
fu_api_kit_new(size_t size, const char *zone, const char *password)
{
	struct fu_api_kit *kit;

	if ((kit = calloc(1, size)) == NULL)
		return NULL;
	if (fu_api_kit_init(kit, zone, NULL, password) != 0) {
		free(kit);
		return NULL;
	}
	return kit;
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

/* Sets kit's mode. */
void
fu_api_kit_mode(struct fu_api_kit *kit, enum fake_api_mode mode)
{
	pthread_mutex_lock(&kit->ak_lock);
	kit->ak_mode = mode;
	pthread_mutex_unlock(&kit->ak_lock);
}

/* Sets the credentials kit expects. */
void
fu_api_kit_credentials(
    struct fu_api_kit *kit, const char *user, const char *password)
{
	pthread_mutex_lock(&kit->ak_lock);
	if (fu_api_set(&kit->ak_user, user) != 0 ||
	    fu_api_set(&kit->ak_password, password) != 0)
		abort();
	pthread_mutex_unlock(&kit->ak_lock);
}

/* Returns a copy of kit's first violation, or NULL. */
char *
fu_api_kit_violation(struct fu_api_kit *kit)
{
	char *copy = NULL;

	pthread_mutex_lock(&kit->ak_lock);
	if (kit->ak_violation != NULL &&
	    (copy = strdup(kit->ak_violation)) == NULL)
		abort();
	pthread_mutex_unlock(&kit->ak_lock);
	return copy;
}

/* Returns how many documented answers kit's fake served. */
unsigned long
fu_api_kit_answers(struct fu_api_kit *kit)
{
	unsigned long n;

	pthread_mutex_lock(&kit->ak_lock);
	n = kit->ak_answers;
	pthread_mutex_unlock(&kit->ak_lock);
	return n;
}

/* Records a violation, keeping the first; the message goes to buf.  Call
 * with the lock held. */
static void __attribute__((format(printf, 4, 5))) fu_api_kit_violate(
    struct fu_api_kit *kit, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (kit->ak_violation == NULL && fu_api_set(&kit->ak_violation, buf))
		abort();
}

/* Counts, checks and records a request; says in v how to answer. */
void
fu_api_kit_admit(struct fu_api_kit *kit, struct MHD_Connection *conn,
    const struct fu_upload *req, fu_api_check_fn *check, void *arg,
    struct fu_api_verdict *v)
{
	char why[sizeof v->av_why];

	pthread_mutex_lock(&kit->ak_lock);
	kit->ak_requests++;
	v->av_mode = kit->ak_mode;
	v->av_status = check(kit, conn, req, arg, why, sizeof why);
	if (v->av_status != 0)
		fu_api_kit_violate(kit, v->av_why, sizeof v->av_why, "%s", why);
	else if (v->av_mode == FAKE_API_ANSWER)
		kit->ak_answers++;
	pthread_mutex_unlock(&kit->ak_lock);
}

/* Returns 1 if conn's Basic credentials are kit's, else 0 and why. */
int
fu_api_kit_basic(
    struct fu_api_kit *kit, struct MHD_Connection *conn, char *why, size_t size)
{
	char *user, *password = NULL;
	int ok;

	user = MHD_basic_auth_get_username_password(conn, &password);
	ok = user != NULL && kit->ak_user != NULL &&
	    strcmp(user, kit->ak_user) == 0 &&
	    strcmp(password != NULL ? password : "",
	        kit->ak_password != NULL ? kit->ak_password : "") == 0;
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

/* Queues JSON document o (taken) with status and an optional header. */
enum MHD_Result
fu_api_reply(struct MHD_Connection *conn, unsigned status,
    struct json_object *o, const char *hname, const char *hvalue)
{
	const char *text;
	enum MHD_Result ret = MHD_NO;
	size_t len;

	text = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text != NULL)
		ret = fu_reply(conn, status, FU_JSON, text, len, hname, hvalue);
	json_object_put(o);
	return ret;
}

/* Returns a new JSON string of s. */
struct json_object *
fu_api_str(const char *s)
{
	struct json_object *o;

	if ((o = json_object_new_string(s)) == NULL)
		abort();
	return o;
}

/* Adds key = v (taken) to object o. */
void
fu_api_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (json_object_object_add(o, key, v) != 0)
		abort();
}

/* Returns query argument key of conn, or NULL. */
const char *
fu_api_arg(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

/* Returns midnight of at's day in tz (caller unrefs), or NULL. */
static GDateTime *
fu_api_midnight(GTimeZone *tz, GDateTime *at)
{
	int y, m, d;

	g_date_time_get_ymd(at, &y, &m, &d);
	return g_date_time_new(tz, y, m, d, 0, 0, 0);
}

/* The two days a request may name: today, and yesterday in the grace. */
struct fu_api_days {
	GDateTime *ad_today; /* today's midnight */
	GDateTime *ad_yesterday; /* yesterday's midnight, NULL past grace */
};

/* Fills days for zone; aborts if GLib cannot (a test's own zone). */
static void
fu_api_days(const char *zone, struct fu_api_days *days)
{
	GTimeZone *tz;
	GDateTime *now, *before;

	if ((tz = g_time_zone_new_identifier(zone)) == NULL ||
	    (now = g_date_time_new_now(tz)) == NULL ||
	    (days->ad_today = fu_api_midnight(tz, now)) == NULL)
		abort();
	days->ad_yesterday = NULL;
	if (g_date_time_difference(now, days->ad_today) < FU_API_GRACE_US) {
		if ((before = g_date_time_add_days(now, -1)) == NULL ||
		    (days->ad_yesterday = fu_api_midnight(tz, before)) == NULL)
			abort();
		g_date_time_unref(before);
	}
	g_date_time_unref(now);
	g_time_zone_unref(tz);
}

/* Frees days. */
static void
fu_api_days_free(struct fu_api_days *days)
{
	g_date_time_unref(days->ad_today);
	if (days->ad_yesterday != NULL)
		g_date_time_unref(days->ad_yesterday);
}

/* Returns 1 if day formatted with format is got. */
static int
fu_api_day_matches(GDateTime *day, const char *format, const char *got)
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

/* Returns 1 if got is today (or yesterday in the grace) in zone. */
int
fu_api_day_is_today(const char *zone, const char *format, const char *got)
{
	struct fu_api_days days;
	int ok;

	if (got == NULL)
		return 0;
	fu_api_days(zone, &days);
	ok = fu_api_day_matches(days.ad_today, format, got) ||
	    fu_api_day_matches(days.ad_yesterday, format, got);
	fu_api_days_free(&days);
	return ok;
}

/* Returns 1 if got is a midnight of today (or yesterday in the grace). */
int
fu_api_day_is_midnight(
    const char *zone, const char *got, int64_t units, int64_t *want)
{
	struct fu_api_days days;
	char *end;
	long long n;
	int ok;

	fu_api_days(zone, &days);
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
	fu_api_days_free(&days);
	return ok;
}

/* Returns the current Unix time in ms. */
int64_t
fu_api_now_ms(void)
{
	return (int64_t)(g_get_real_time() / 1000);
}
