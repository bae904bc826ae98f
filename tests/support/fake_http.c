/*
 * The fake upstream's HTTP semantics: any status with the rate-limit
 * headers (Retry-After, X-RateLimit-Reset, RateLimit-Reset and GitHub's
 * X-RateLimit-Remaining), ETag and
 * Last-Modified validators with 304s, and redirects, looping or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "fake_private.h"

/* The If-None-Match headers of an /etag request, checked against tag. */
struct fu_inm {
	const char *tag;
	bool present;
	bool match;
};

/* Returns true if S is empty or free of control characters. */
static bool
fu_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Route /status/CODE: answers with status CODE (the path after /status/). */
enum MHD_Result
fu_route_status(struct MHD_Connection *conn, const char *code)
{
	struct fu_rhdr hdrs[4] = {
	    {MHD_HTTP_HEADER_RETRY_AFTER, "2"},
	    {"X-RateLimit-Reset", NULL},
	    {"RateLimit-Reset", NULL},
	    {"X-RateLimit-Remaining", NULL},
	};
	const char *given = NULL;
	char body[64];
	size_t len;
	size_t i;
	unsigned status;
	int n;

	len = strlen(code);
	if (len == 0 || len > 3 || strspn(code, "0123456789") != len)
		return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	status = (unsigned)strtoul(code, NULL, 10);
	if (status < 100 || status > 599)
		return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND,
	        "retry_after", strlen("retry_after"), &given, NULL) == MHD_YES)
		hdrs[0].value =
		    (given != NULL && *given != '\0') ? given : NULL;
	if (status != 429 && status != 503)
		hdrs[0].value = NULL;
	/* The reset headers are sent verbatim with any status. */
	hdrs[1].value = MHD_lookup_connection_value(
	    conn, MHD_GET_ARGUMENT_KIND, "x_ratelimit_reset");
	hdrs[2].value = MHD_lookup_connection_value(
	    conn, MHD_GET_ARGUMENT_KIND, "ratelimit_reset");
	hdrs[3].value = MHD_lookup_connection_value(
	    conn, MHD_GET_ARGUMENT_KIND, "x_ratelimit_remaining");
	for (i = 1; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		if (hdrs[i].value != NULL && *hdrs[i].value == '\0')
			hdrs[i].value = NULL;
		if (hdrs[i].value != NULL && !fu_value_ok(hdrs[i].value))
			return fu_error(
			    conn, MHD_HTTP_BAD_REQUEST, "bad ratelimit_reset");
	}
	n = snprintf(
	    body, sizeof(body), "{\"error\":\"fake status %u\"}", status);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply_list(conn, status, FU_JSON, body, (size_t)n, hdrs,
	    sizeof(hdrs) / sizeof(hdrs[0]));
}

/* Returns true if tag T is 1 to FU_TAG_MAX printable bytes, no '"' or ','. */
static bool
fu_tag_ok(const char *t)
{
	size_t len = strlen(t);
	size_t i;

	if (len == 0 || len > FU_TAG_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f ||
		    t[i] == '"' || t[i] == ',')
			return false;
	return true;
}

/* Returns true if If-None-Match LIST holds "*", "TAG" or W/"TAG". */
static bool
fu_inm_match(const char *list, const char *tag)
{
	size_t tlen = strlen(tag);
	const char *p = list;
	const char *end;
	size_t n;

	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return false;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return true;
		if (n >= 2 && strncmp(p, "W/", 2) == 0) {
			p += 2;
			n -= 2;
		}
		if (n == tlen + 2 && p[0] == '"' && p[n - 1] == '"' &&
		    memcmp(p + 1, tag, tlen) == 0)
			return true;
		p = end;
	}
}

/* Checks one request header against the /etag tag in CLS. */
static enum MHD_Result
fu_inm_cb(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fu_inm *inm = cls;

	if (strcasecmp(key, MHD_HTTP_HEADER_IF_NONE_MATCH) != 0)
		return MHD_YES;
	inm->present = true;
	if (value != NULL && fu_inm_match(value, inm->tag))
		inm->match = true;
	return MHD_YES;
}

/* Route /etag?tag=X: a document with validators, 304 when they match. */
enum MHD_Result
fu_route_etag(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":42,\"active\":7}}";
	char etag[FU_TAG_MAX + 3];
	struct fu_rhdr hdrs[2] = {
	    {MHD_HTTP_HEADER_ETAG, etag},
	    {MHD_HTTP_HEADER_LAST_MODIFIED, FU_LAST_MODIFIED},
	};
	struct fu_inm inm = {NULL, false, false};
	const char *ims;
	bool fresh;
	int n;

	inm.tag =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "tag");
	if (inm.tag == NULL)
		inm.tag = FU_ETAG_DEFAULT;
	if (!fu_tag_ok(inm.tag))
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad tag");
	n = snprintf(etag, sizeof(etag), "\"%s\"", inm.tag);
	if (n < 0 || (size_t)n >= sizeof(etag))
		return MHD_NO;
	(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, fu_inm_cb, &inm);
	/* If-Modified-Since only counts without If-None-Match. */
	if (inm.present) {
		fresh = inm.match;
	} else {
		ims = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
		fresh = ims != NULL && strcmp(ims, FU_LAST_MODIFIED) == 0;
	}
	if (fresh)
		return fu_reply_list(
		    conn, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, hdrs, 1);
	return fu_reply_list(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), hdrs, 2);
}

/* Route /redirect?to=URL&code=C: a redirect (301/302/303/307/308) to URL. */
enum MHD_Result
fu_route_redirect(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	const char *to;
	uint64_t code;

	to = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "to");
	if (to == NULL || *to == '\0')
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "missing to");
	if (!fu_value_ok(to))
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad to");
	if (fu_arg_num(conn, "code", 302, 999, &code) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad code");
	if (code != 301 && code != 302 && code != 303 && code != 307 &&
	    code != 308)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad code");
	return fu_reply_json(conn, (unsigned)code, MHD_HTTP_HEADER_LOCATION, to,
	    "{\"redirect\":%u}", (unsigned)code);
}

/* Route /loop: a redirect to itself. */
enum MHD_Result
fu_route_loop(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply_json(conn, MHD_HTTP_FOUND, MHD_HTTP_HEADER_LOCATION,
	    "/loop", "{\"redirect\":%u}", MHD_HTTP_FOUND);
}
