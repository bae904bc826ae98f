/*
 * The fake upstream's broken or unexpected bodies: HTML where JSON was
 * wanted, truncated or trailing JSON, deep nesting, bad UTF-8, missing
 * or empty data, numbers out of range and fields of the wrong type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fake_private.h"

/* Body of /html. */
const char fu_html_body[] =
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1></body></html>";

/* Body of /truncated. */
const char fu_truncated_body[] = "{\"data\":{\"total\":12";

/* Route /html: an HTML error page with status 200. */
enum MHD_Result
fu_route_html(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply(conn, MHD_HTTP_OK, FU_HTML, fu_html_body,
	    strlen(fu_html_body), NULL, NULL);
}

/* Route /truncated: JSON cut off in the middle. */
enum MHD_Result
fu_route_truncated(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply(conn, MHD_HTTP_OK, FU_JSON, fu_truncated_body,
	    strlen(fu_truncated_body), NULL, NULL);
}

/* Route /trailing: valid JSON followed by garbage. */
enum MHD_Result
fu_route_trailing(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] =
	    "{\"data\":{\"total\":1,\"active\":2}} trailing garbage";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /deep: objects nested FU_DEEP_LEVELS deep. */
enum MHD_Result
fu_route_deep(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char open[] = "{\"a\":";
	struct MHD_Response *resp = NULL;
	size_t olen = strlen(open);
	size_t len = FU_DEEP_LEVELS * (olen + 1) + 1;
	char *body;
	char *p;
	int i;

	body = malloc(len);
	if (body == NULL)
		return MHD_NO;
	p = body;
	for (i = 0; i < FU_DEEP_LEVELS; i++, p += olen)
		memcpy(p, open, olen);
	*p++ = '1';
	memset(p, '}', FU_DEEP_LEVELS);
	resp =
	    MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, NULL, 0);
}

/* Route /badutf8: a string holding an invalid UTF-8 sequence. */
enum MHD_Result
fu_route_badutf8(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] =
	    "{\"data\":{\"total\":1,\"active\":2,\"label\":\"\xC3\x28\"}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /missing: valid JSON without the expected fields. */
enum MHD_Result
fu_route_missing(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"other\":1}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /empty: status 200 with no body. */
enum MHD_Result
fu_route_empty(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_reply(conn, MHD_HTTP_OK, FU_JSON, "", 0, NULL, NULL);
}

/* Route /bignum: a total too large for a double. */
enum MHD_Result
fu_route_bignum(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":1e400,\"active\":1}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}

/* Route /wrongtype: the expected fields with the wrong JSON types. */
enum MHD_Result
fu_route_wrongtype(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":{\"nested\":1},"
	                           "\"active\":\"seven\",\"list\":[1,2]}}";

	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, strlen(body), NULL, NULL);
}
