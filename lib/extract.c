/*
 * Turns an upstream body into stat values.  A body that does not even
 * start like JSON (an HTML error page, nothing at all) is "not_json";
 * one that starts like JSON but is cut short, too deep, not UTF-8 or
 * followed by garbage is "parse"; a pointer that selects nothing, or a
 * jq program with no output or an error, is "missing_stat"; an error_if
 * program that finds an error is "api_error".  The tokener is kept and
 * reset between bodies; jq sees a body only if the source has a jq
 * program, once per poll whatever their number.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_pointer.h>

#include "extract.h"
#include "extract_jq.h"

struct extract {
	struct json_tokener *ex_tok;
};

/* Creates an extractor with a tokener limited to max_depth. */
struct extract *
extract_new(int max_depth)
{
	struct extract *ex;

	if ((ex = calloc(1, sizeof *ex)) == NULL)
		return NULL;
	if ((ex->ex_tok = json_tokener_new_ex(max_depth)) == NULL) {
		free(ex);
		return NULL;
	}
	json_tokener_set_flags(
	    ex->ex_tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return ex;
}

/* Frees ex; NULL is allowed. */
void
extract_free(struct extract *ex)
{
	if (ex == NULL)
		return;
	json_tokener_free(ex->ex_tok);
	free(ex);
}

/* Returns the first byte that is not JSON white space, or NULL. */
static const char *
extract_skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p < end ? p : NULL;
}

/* Copies up to 40 printable bytes of p for an error message. */
static void
extract_snippet(const char *p, size_t len, char *out, size_t outlen)
{
	size_t i, n = len < 40 ? len : 40;

	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++) {
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): a char */
		out[i] = p[i] >= 32 && p[i] < 127 ? p[i] : '.';
	}
	out[n] = '\0';
}

/* Parses body into one JSON value; NULL with err filled on failure. */
static struct json_object *
extract_parse(
    struct extract *ex, const char *body, size_t len, struct source_error *err)
{
	struct json_object *doc;
	enum json_tokener_error jerr;
	const char *start, *rest;
	char snippet[48];

	if ((start = extract_skip_space(body, body + len)) == NULL) {
		source_error_set(err, SOURCE_ERR_NOT_JSON, 0, 0,
		    "empty body (%zu bytes)", len);
		return NULL;
	}
	if (*start == '\0' || strchr("{[\"-0123456789tfn", *start) == NULL) {
		extract_snippet(start, len - (size_t)(start - body), snippet,
		    sizeof snippet);
		source_error_set(err, SOURCE_ERR_NOT_JSON, 0, 0,
		    "body is not JSON: \"%s\"", snippet);
		return NULL;
	}
	if (len > INT32_MAX) {
		source_error_set(err, SOURCE_ERR_TOO_LARGE, 0, 0,
		    "body of %zu bytes is too large to parse", len);
		return NULL;
	}
	json_tokener_reset(ex->ex_tok);
	doc = json_tokener_parse_ex(ex->ex_tok, body, (int)len);
	jerr = json_tokener_get_error(ex->ex_tok);
	if (doc == NULL && jerr == json_tokener_continue) {
		/* A bare number ends only at end of input: say it ended. */
		if ((doc = json_tokener_parse_ex(ex->ex_tok, "", 1)) != NULL)
			return doc;
	}
	if (doc == NULL) {
		if (jerr == json_tokener_continue)
			source_error_set(err, SOURCE_ERR_PARSE, 0, 0,
			    "JSON ends early (truncated after %zu bytes)", len);
		else
			source_error_set(err, SOURCE_ERR_PARSE, 0, 0,
			    "bad JSON at byte %zu: %s",
			    json_tokener_get_parse_end(ex->ex_tok),
			    json_tokener_error_desc(jerr));
		return NULL;
	}
	rest = body + json_tokener_get_parse_end(ex->ex_tok);
	if (extract_skip_space(rest, body + len) != NULL) {
		extract_snippet(
		    rest, len - (size_t)(rest - body), snippet, sizeof snippet);
		source_error_set(err, SOURCE_ERR_PARSE, 0, 0,
		    "trailing bytes after JSON at byte %zu: \"%s\"",
		    (size_t)(rest - body), snippet);
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

/* Checks that v, selected for stat st, is a value we can serve; 0 or -1. */
static int
extract_check_value(struct json_object *v, const struct config_stat *st,
    struct source_error *err)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
	case json_type_array:
		source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
		    "stat %s: %s is an %s, not a number, string, boolean or "
		    "null",
		    st->cs_name, st->cs_pointer,
		    json_object_is_type(v, json_type_object) ? "object"
		                                             : "array");
		return -1;
	case json_type_double:
		if (isfinite(json_object_get_double(v)))
			return 0;
		break;
	case json_type_int:
		/* json-c saturates integers it cannot hold. */
		if (json_object_get_int64(v) != INT64_MIN &&
		    json_object_get_uint64(v) != UINT64_MAX)
			return 0;
		break;
	default:
		return 0;
	}
	source_error_set(err, SOURCE_ERR_PARSE, 0, 0,
	    "stat %s: the number at %s is out of range", st->cs_name,
	    st->cs_pointer);
	return -1;
}

/* Adds v (taken) to out as name; 0, or -1 with v released. */
static int
extract_add(struct json_object *out, const char *name, struct json_object *v)
{
	if (json_object_object_add(out, name, v) == 0)
		return 0;
	json_object_put(v);
	return -1;
}

/* Returns JSON's name for v's type with its article: "a string". */
static const char *
extract_type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "an array";
	default:
		return "an object";
	}
}

/* Whether v is an object or an array: something a pointer goes into. */
static int
extract_is_container(struct json_object *v)
{
	return json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array);
}

/*
 * Fills err for stat st, whose pointer selects nothing.  If the pointer
 * goes through a value that holds no members ({"data":"x"} for
 * /data/total), says what was found there: "/data is a string".
 */
static void
extract_missing(struct json_object *doc, const struct config_stat *st,
    struct source_error *err)
{
	struct json_object *v = doc;
	char *path, *slash;
	int rc;

	/* Walks the prefixes "", "/data", "/data/x"... of the pointer. */
	if ((path = strdup(st->cs_pointer)) == NULL)
		goto missing;
	for (slash = path; extract_is_container(v);) {
		if ((slash = strchr(slash + 1, '/')) == NULL)
			goto missing;
		*slash = '\0';
		rc = json_pointer_get(doc, path, &v);
		if (rc != 0)
			goto missing;
		if (!extract_is_container(v))
			break;
		*slash = '/';
	}
	source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
	    "stat %s: nothing at %s: %s is %s", st->cs_name, st->cs_pointer,
	    slash == path ? "the document" : path, extract_type_name(v));
	free(path);
	return;
missing:
	free(path);
	source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
	    "stat %s: nothing at %s", st->cs_name, st->cs_pointer);
}

/* Selects stat st by its pointer into out; 0 or -1 with err filled. */
static int
extract_pointer(struct json_object *doc, const struct config_stat *st,
    struct json_object *out, struct source_error *err)
{
	struct json_object *v;

	if (json_pointer_get(doc, st->cs_pointer, &v) != 0) {
		extract_missing(doc, st, err);
		return -1;
	}
	if (extract_check_value(v, st, err) == -1)
		return -1;
	/* The document goes away; the value stays with the cache. */
	if (extract_add(out, st->cs_name, json_object_get(v)) == -1) {
		source_error_set(
		    err, SOURCE_ERR_INTERNAL, 0, 0, "out of memory");
		return -1;
	}
	return 0;
}

/* Runs stat st's jq program on jd into out; 0 or -1 with err filled. */
static int
extract_jq_stat(struct extract_jq_doc *jd, const struct config_stat *st,
    struct json_object *out, struct source_error *err)
{
	struct json_object *v;
	char msg[SOURCE_ERR_MSG_LEN];

	switch (extract_jq_run(st->cs_jq, jd, &v, msg, sizeof msg)) {
	case EXTRACT_JQ_SCALAR:
		if (extract_add(out, st->cs_name, v) == -1) {
			source_error_set(
			    err, SOURCE_ERR_INTERNAL, 0, 0, "out of memory");
			return -1;
		}
		return 0;
	case EXTRACT_JQ_NONE:
		source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
		    "stat %s: jq: no output", st->cs_name);
		return -1;
	case EXTRACT_JQ_OBJECT:
	case EXTRACT_JQ_ARRAY:
		source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
		    "stat %s: jq gave %s, not a number, string, boolean or "
		    "null",
		    st->cs_name, msg);
		return -1;
	case EXTRACT_JQ_ERROR:
	default:
		source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
		    "stat %s: jq: %s", st->cs_name, msg);
		return -1;
	}
}

/* Replaces the control bytes of err's message with spaces: an API's
 * message is shown on one line. */
static void
extract_one_line(struct source_error *err)
{
	char *p;

	for (p = err->se_message; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
}

/* Runs error_if on jd: 0 if the body is no error, else -1 with err. */
static int
extract_error_if(struct extract_jq *error_if, struct extract_jq_doc *jd,
    struct source_error *err)
{
	struct json_object *v;
	char msg[SOURCE_ERR_MSG_LEN];
	int rc = -1;

	switch (extract_jq_run(error_if, jd, &v, msg, sizeof msg)) {
	case EXTRACT_JQ_NONE:
		return 0;
	case EXTRACT_JQ_ERROR:
		source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
		    "error_if: jq: %s", msg);
		return -1;
	case EXTRACT_JQ_OBJECT:
	case EXTRACT_JQ_ARRAY:
		source_error_set(
		    err, SOURCE_ERR_API_ERROR, 0, 0, "error_if: %s", msg);
		return -1;
	case EXTRACT_JQ_SCALAR:
	default:
		break;
	}
	if (v == NULL ||
	    (json_object_is_type(v, json_type_boolean) &&
	        !json_object_get_boolean(v)))
		rc = 0;
	else if (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		/* The API's own message, as it said it. */
		source_error_set(err, SOURCE_ERR_API_ERROR, 0, 0, "%s",
		    json_object_get_string(v));
	else
		source_error_set(err, SOURCE_ERR_API_ERROR, 0, 0,
		    "error_if: %s",
		    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	if (rc == -1)
		extract_one_line(err);
	json_object_put(v);
	return rc;
}

/* Returns 1 if error_if or any stat is a jq program. */
static int
extract_needs_jq(const struct extract_jq *error_if,
    const struct config_stat *stats, size_t nstats)
{
	size_t i;

	if (error_if != NULL)
		return 1;
	for (i = 0; i < nstats; i++) {
		if (stats[i].cs_jq != NULL)
			return 1;
	}
	return 0;
}

/* Returns 1 if jq sees src's bodies: a jq stat or an error_if. */
int
extract_source_needs_jq(const struct config_source *src)
{
	return extract_needs_jq(
	    src->src_error_if, src->src_stats, src->src_nstats);
}

/* Parses body, runs error_if (unless NULL) and selects every stat. */
static int
extract_run(struct extract *ex, const char *body, size_t len,
    struct extract_jq *error_if, const struct config_stat *stats, size_t nstats,
    struct json_object **values, struct source_error *err)
{
	struct json_object *doc, *out = NULL;
	struct extract_jq_doc *jd = NULL;
	size_t i;

	*values = NULL;
	if ((doc = extract_parse(ex, body, len, err)) == NULL)
		return -1;
	/* Pointers alone are the fast path: no jq at all. */
	if (extract_needs_jq(error_if, stats, nstats) &&
	    (jd = extract_jq_doc_new(doc)) == NULL) {
		source_error_set(
		    err, SOURCE_ERR_INTERNAL, 0, 0, "out of memory");
		goto fail;
	}
	if (error_if != NULL && extract_error_if(error_if, jd, err) == -1)
		goto fail;
	if ((out = json_object_new_object()) == NULL) {
		source_error_set(
		    err, SOURCE_ERR_INTERNAL, 0, 0, "out of memory");
		goto fail;
	}
	for (i = 0; i < nstats; i++) {
		if (stats[i].cs_jq != NULL
		        ? extract_jq_stat(jd, &stats[i], out, err) == -1
		        : extract_pointer(doc, &stats[i], out, err) == -1)
			goto fail;
	}
	extract_jq_doc_free(jd);
	json_object_put(doc);
	*values = out;
	return 0;
fail:
	extract_jq_doc_free(jd);
	json_object_put(out);
	json_object_put(doc);
	return -1;
}

/* Parses body and selects every stat into a new {name: value} object. */
int
extract_values(struct extract *ex, const char *body, size_t len,
    const struct config_stat *stats, size_t nstats, struct json_object **values,
    struct source_error *err)
{
	return extract_run(ex, body, len, NULL, stats, nstats, values, err);
}

/* The same for src's stats, after src's error_if. */
int
extract_source(struct extract *ex, const char *body, size_t len,
    const struct config_source *src, struct json_object **values,
    struct source_error *err)
{
	return extract_run(ex, body, len, src->src_error_if, src->src_stats,
	    src->src_nstats, values, err);
}
