/*
 * The shared state of a source as JSON text, and its history points as
 * lines of numbers, for Redis.  Encoding goes through json-c (strings
 * are escaped as json-c escapes them); decoding parses strictly through
 * state_codec_parse and checks each member's type, so a document from
 * another version or a damaged one is refused, never half applied.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_doc.h"
#include "state_codec.h"

/* Adds v under key to o; 0, or -1 (v freed) if out of memory. */
static int
cluster_doc_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Adds a string, or null for NULL; 0 or -1. */
static int
cluster_doc_add_string(struct json_object *o, const char *key, const char *s)
{
	if (s == NULL)
		return json_object_object_add(o, key, NULL) == 0 ? 0 : -1;
	return cluster_doc_add(o, key, json_object_new_string(s));
}

/* Returns s as JSON text (malloc'd), or NULL if out of memory. */
char *
cluster_doc_encode(const struct cache_shared *s, size_t *len)
{
	struct json_object *o, *b;
	const char *text;
	char *out = NULL;
	size_t n;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_object_add(
	        o, "values", json_object_get(s->cs_values)) != 0 ||
	    cluster_doc_add(o, "updated_at",
	        json_object_new_int64(s->cs_updated_at)) == -1 ||
	    cluster_doc_add(o, "attempt_at",
	        json_object_new_int64(s->cs_last_attempt_at)) == -1 ||
	    cluster_doc_add(o, "ok", json_object_new_boolean(s->cs_last_ok)) ==
	        -1 ||
	    (s->cs_has_error ? cluster_doc_add(o, "error",
	                           state_codec_error_encode(&s->cs_error))
	                     : json_object_object_add(o, "error", NULL)) != 0 ||
	    cluster_doc_add_string(o, "etag", s->cs_etag) == -1 ||
	    cluster_doc_add_string(o, "last_modified", s->cs_last_modified) ==
	        -1 ||
	    cluster_doc_add(o, "retry_in_ms",
	        json_object_new_int64(s->cs_retry_in_ms)) == -1 ||
	    cluster_doc_add(
	        o, "polls", json_object_new_uint64(s->cs_polls_total)) == -1 ||
	    cluster_doc_add(o, "failures",
	        json_object_new_uint64(s->cs_failures_total)) == -1 ||
	    cluster_doc_add(o, "consecutive",
	        json_object_new_uint64(s->cs_consecutive_failures)) == -1 ||
	    cluster_doc_add_string(o, "by", s->cs_polled_by) == -1)
		goto done;
	/* The backoff: [failures in a row, times opened, open]. */
	if ((b = json_object_new_array_ext(3)) == NULL ||
	    cluster_doc_add(o, "backoff", b) == -1 ||
	    json_object_array_add(
	        b, json_object_new_int64(s->cs_backoff.b_failures)) != 0 ||
	    json_object_array_add(
	        b, json_object_new_int64(s->cs_backoff.b_opened)) != 0 ||
	    json_object_array_add(
	        b, json_object_new_boolean(s->cs_backoff.b_open)) != 0)
		goto done;
	if ((text = json_object_to_json_string_length(o,
	         JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	         &n)) == NULL ||
	    (out = malloc(n + 1)) == NULL)
		goto done;
	memcpy(out, text, n + 1);
	*len = n;
done:
	json_object_put(o);
	return out;
}

/* Reads member key of o as an integer >= 0 into *v; NULL or why. */
static const char *
cluster_doc_count(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *m;

	if (state_codec_member(o, key, json_type_int, &m) == -1 || m == NULL ||
	    json_object_get_int64(m) < 0)
		return key;
	*v = (uint64_t)json_object_get_int64(m);
	return NULL;
}

/* Reads member key of o as an integer into *v; NULL or why. */
static const char *
cluster_doc_time(struct json_object *o, const char *key, int64_t *v)
{
	struct json_object *m;

	if (state_codec_member(o, key, json_type_int, &m) == -1 || m == NULL)
		return key;
	*v = json_object_get_int64(m);
	return NULL;
}

/* Copies member key of o, a string or null, into *v; NULL or why. */
static const char *
cluster_doc_string(struct json_object *o, const char *key, char **v)
{
	struct json_object *m;

	if (state_codec_member(o, key, json_type_string, &m) == -1)
		return key;
	if (m != NULL && (*v = strdup(json_object_get_string(m))) == NULL)
		return "out of memory";
	return NULL;
}

/* Reads the backoff [failures, opened, open] of o into s; NULL or why. */
static const char *
cluster_doc_backoff(struct json_object *o, struct cache_shared *s)
{
	struct json_object *b, *f, *n, *open;

	if (state_codec_member(o, "backoff", json_type_array, &b) == -1 ||
	    b == NULL || json_object_array_length(b) != 3)
		return "backoff";
	f = json_object_array_get_idx(b, 0);
	n = json_object_array_get_idx(b, 1);
	open = json_object_array_get_idx(b, 2);
	if (!json_object_is_type(f, json_type_int) ||
	    !json_object_is_type(n, json_type_int) ||
	    !json_object_is_type(open, json_type_boolean) ||
	    json_object_get_int64(f) < 0 ||
	    json_object_get_int64(f) > 1000000 ||
	    json_object_get_int64(n) < 0 || json_object_get_int64(n) > 1000000)
		return "backoff";
	s->cs_backoff.b_failures = (unsigned)json_object_get_int64(f);
	s->cs_backoff.b_opened = (unsigned)json_object_get_int64(n);
	s->cs_backoff.b_open = json_object_get_boolean(open);
	return NULL;
}

/* Reads the members of document o into s; NULL or why. */
static const char *
cluster_doc_members(struct json_object *o, struct cache_shared *s)
{
	struct json_object *values, *ok, *err, *by;
	const char *why;

	if (!json_object_is_type(o, json_type_object))
		return "not an object";
	if (state_codec_member(o, "values", json_type_object, &values) == -1)
		return "values";
	if (values != NULL) {
		if ((why = state_codec_check_values(values)) != NULL)
			return why;
		s->cs_values = json_object_get(values);
	}
	if (state_codec_member(o, "ok", json_type_boolean, &ok) == -1 ||
	    ok == NULL)
		return "ok";
	s->cs_last_ok = json_object_get_boolean(ok);
	if (state_codec_member(o, "error", json_type_object, &err) == -1)
		return "error";
	if (err != NULL) {
		if ((why = state_codec_error_decode(err, &s->cs_error)) != NULL)
			return why;
		s->cs_has_error = 1;
	}
	if ((why = cluster_doc_time(o, "updated_at", &s->cs_updated_at)) !=
	        NULL ||
	    (why = cluster_doc_time(o, "attempt_at", &s->cs_last_attempt_at)) !=
	        NULL ||
	    (why = cluster_doc_time(o, "retry_in_ms", &s->cs_retry_in_ms)) !=
	        NULL ||
	    (why = cluster_doc_count(o, "polls", &s->cs_polls_total)) != NULL ||
	    (why = cluster_doc_count(o, "failures", &s->cs_failures_total)) !=
	        NULL ||
	    (why = cluster_doc_count(
	         o, "consecutive", &s->cs_consecutive_failures)) != NULL ||
	    (why = cluster_doc_string(o, "etag", &s->cs_etag)) != NULL ||
	    (why = cluster_doc_string(
	         o, "last_modified", &s->cs_last_modified)) != NULL ||
	    (why = cluster_doc_backoff(o, s)) != NULL)
		return why;
	if (state_codec_member(o, "by", json_type_string, &by) == -1 ||
	    by == NULL || json_object_get_string_len(by) > CACHE_REPLICA_MAX)
		return "by";
	memcpy(s->cs_polled_by, json_object_get_string(by),
	    (size_t)json_object_get_string_len(by) + 1);
	return NULL;
}

/* Reads document text into s; NULL if good, else why not. */
const char *
cluster_doc_decode(const char *text, size_t len, struct cache_shared *s)
{
	static char why[128];
	struct json_object *o;
	const char *bad;
	int oom = 0;

	memset(s, 0, sizeof *s);
	if (len > CLUSTER_DOC_MAX)
		return "too long";
	if ((o = state_codec_parse(text, len, why, sizeof why, &oom)) == NULL)
		return oom ? "out of memory" : why;
	if ((bad = cluster_doc_members(o, s)) != NULL) {
		cache_shared_clear(s);
		snprintf(why, sizeof why, "bad %s", bad);
		json_object_put(o);
		return why;
	}
	json_object_put(o);
	return NULL;
}

/* Returns src's stat names, space-separated (malloc'd), or NULL. */
char *
cluster_doc_stat_names(const struct config_source *src)
{
	size_t i, n = 1, at = 0, len;
	char *out;

	for (i = 0; i < src->src_nstats; i++)
		n += strlen(src->src_stats[i].cs_name) + 1;
	if ((out = malloc(n)) == NULL)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < src->src_nstats; i++) {
		len = strlen(src->src_stats[i].cs_name);
		if (i > 0)
			out[at++] = ' ';
		memcpy(out + at, src->src_stats[i].cs_name, len + 1);
		at += len;
	}
	return out;
}

/* Returns the point of values at ms as "ms v1 v2 ...", or NULL. */
char *
cluster_doc_point(
    const struct config_source *src, struct json_object *values, int64_t ms)
{
	size_t i, at, n = 24 + src->src_nstats * 26;
	char *out;
	int w;

	if ((out = malloc(n)) == NULL)
		return NULL;
	at = (size_t)snprintf(out, n, "%lld", (long long)ms);
	for (i = 0; i < src->src_nstats; i++) {
		w = snprintf(out + at, n - at, " %.17g",
		    cache_value_number(json_object_object_get(
		        values, src->src_stats[i].cs_name)));
		if (w < 0 || (size_t)w >= n - at) {
			free(out);
			return NULL;
		}
		at += (size_t)w;
	}
	return out;
}

/* Returns the index of e's stat called name (len bytes), or -1. */
static int
cluster_doc_stat(const struct cache_entry *e, const char *name, size_t len)
{
	const struct config_source *src = e->ce_src;
	size_t i;

	for (i = 0; i < src->src_nstats; i++) {
		if (strlen(src->src_stats[i].cs_name) == len &&
		    memcmp(src->src_stats[i].cs_name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Adds a point written for the stats names to e's history; 0 or -1. */
int
cluster_doc_add_point(
    struct cache_entry *e, const char *names, const char *text, size_t len)
{
	double v[CLUSTER_DOC_POINT_MAX];
	char buf[4096], *p, *end;
	const char *name = names, *sp;
	size_t n = 0, i;
	long long ms;
	int k;

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	errno = 0;
	ms = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf || ms < 0)
		return -1;
	/* All or nothing: every value is read before one is added. */
	for (p = end; *p != '\0'; p = end) {
		if (*p != ' ' || n == CLUSTER_DOC_POINT_MAX)
			return -1;
		v[n] = strtod(p + 1, &end);
		if (end == p + 1)
			return -1;
		n++;
	}
	for (i = 0; i < n; i++) {
		if (*name == '\0')
			return -1;
		name = (sp = strchr(name, ' ')) != NULL ? sp + 1 : "";
	}
	if (*name != '\0')
		return -1;
	for (i = 0, name = names; i < n; i++) {
		sp = strchr(name, ' ');
		k = cluster_doc_stat(
		    e, name, sp != NULL ? (size_t)(sp - name) : strlen(name));
		if (k != -1)
			cache_restore_point(e, (size_t)k, (int64_t)ms, v[i]);
		name = sp != NULL ? sp + 1 : "";
	}
	return 0;
}
