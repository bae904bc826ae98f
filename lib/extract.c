/*
 * Turns an upstream body into stat values.  A body that does not even
 * start like JSON (an HTML error page, nothing at all) is "not_json";
 * one that starts like JSON but is cut short, too deep, not UTF-8 or
 * followed by garbage is "parse"; a pointer that selects nothing is
 * "missing_stat".  The tokener is kept and reset between bodies.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_pointer.h>

#include "extract.h"

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

/* Parses body and selects every stat into a new {name: value} object. */
int
extract_values(struct extract *ex, const char *body, size_t len,
    const struct config_stat *stats, size_t nstats, struct json_object **values,
    struct source_error *err)
{
	struct json_object *doc, *out = NULL, *v;
	size_t i;

	*values = NULL;
	if ((doc = extract_parse(ex, body, len, err)) == NULL)
		return -1;
	if ((out = json_object_new_object()) == NULL)
		goto oom;
	for (i = 0; i < nstats; i++) {
		if (json_pointer_get(doc, stats[i].cs_pointer, &v) != 0) {
			source_error_set(err, SOURCE_ERR_MISSING_STAT, 0, 0,
			    "stat %s: nothing at %s", stats[i].cs_name,
			    stats[i].cs_pointer);
			goto fail;
		}
		if (extract_check_value(v, &stats[i], err) == -1)
			goto fail;
		/* The document goes away; the value stays with the cache. */
		if (json_object_object_add(
		        out, stats[i].cs_name, json_object_get(v)) != 0) {
			json_object_put(v);
			goto oom;
		}
	}
	json_object_put(doc);
	*values = out;
	return 0;
oom:
	source_error_set(err, SOURCE_ERR_INTERNAL, 0, 0, "out of memory");
fail:
	json_object_put(out);
	json_object_put(doc);
	return -1;
}
