/*
 * The fake upstream's mirror: /echo answers any method with a JSON
 * document saying what the request was (method, content type, body, the
 * Authorization scheme and the decoded Basic credentials, Expect and
 * If-None-Match), so that a test reads back through gatherd's own stats
 * exactly what gatherd sent; with etag=X it also gives an ETag to send
 * back.  Basic is decoded by libmicrohttpd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "fake_private.h"

/* Adds key with string value s (JSON null for NULL) to o; -1 on failure. */
static int
fu_echo_add(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v = NULL;

	if (s != NULL && (v = json_object_new_string(s)) == NULL)
		return -1;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Returns request header name of conn, or NULL. */
static const char *
fu_echo_header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* Adds auth_scheme, basic_user and basic_password to o; -1 on failure. */
static int
fu_echo_auth(struct MHD_Connection *conn, struct json_object *o)
{
	const char *auth = fu_echo_header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
	char scheme[32] = "", *user = NULL, *password = NULL;
	int rc = -1;

	if (auth != NULL)
		snprintf(scheme, sizeof scheme, "%.*s", (int)strcspn(auth, " "),
		    auth);
	if (auth != NULL && strcasecmp(scheme, "Basic") == 0)
		user = MHD_basic_auth_get_username_password(conn, &password);
	if (fu_echo_add(o, "auth_scheme", auth != NULL ? scheme : NULL) == 0 &&
	    fu_echo_add(o, "basic_user", user) == 0 &&
	    fu_echo_add(o, "basic_password", password) == 0)
		rc = 0;
	if (user != NULL)
		MHD_free(user);
	if (password != NULL)
		MHD_free(password);
	return rc;
}

/* Route /echo (any method): the request described as JSON. */
enum MHD_Result
fu_route_echo(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *body)
{
	struct json_object *o;
	enum MHD_Result ret = MHD_NO;
	const char *text, *tag;
	char etag[FU_TAG_MAX + 3];
	size_t len;

	(void)fu;
	if (body->too_large)
		return fu_error(
		    conn, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
	if ((o = json_object_new_object()) == NULL)
		return MHD_NO;
	if (fu_echo_add(o, "method", body->method) != 0 ||
	    fu_echo_add(o, "content_type",
	        fu_echo_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE)) != 0 ||
	    json_object_object_add(o, "body_length",
	        json_object_new_int64((int64_t)body->len)) != 0 ||
	    fu_echo_add(o, "body", body->data) != 0 ||
	    fu_echo_auth(conn, o) != 0 ||
	    fu_echo_add(o, "expect",
	        fu_echo_header(conn, MHD_HTTP_HEADER_EXPECT)) != 0 ||
	    fu_echo_add(o, "if_none_match",
	        fu_echo_header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH)) != 0)
		goto fail;
	/* etag=X: the answer has ETag "X", for a client to send back. */
	tag = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "etag");
	if (tag != NULL)
		snprintf(etag, sizeof etag, "\"%.*s\"", FU_TAG_MAX, tag);
	text = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text != NULL)
		ret = fu_reply(conn, MHD_HTTP_OK, FU_JSON, text, len,
		    MHD_HTTP_HEADER_ETAG, tag != NULL ? etag : NULL);
fail:
	json_object_put(o);
	return ret;
}
