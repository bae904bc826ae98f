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

/* The routes that answer one fixed body with status 200, one row each. */
static const struct fu_body {
	const char *fb_path;
	const char *fb_type;
	const char *fb_body;
} fu_bodies[] = {
    /* An HTML error page. */
    {"/html", FU_HTML, fu_html_body},
    /* JSON cut off in the middle. */
    {"/truncated", FU_JSON, fu_truncated_body},
    /* Valid JSON followed by garbage. */
    {"/trailing", FU_JSON,
        "{\"data\":{\"total\":1,\"active\":2}} trailing garbage"},
    /* A string holding an invalid UTF-8 sequence. */
    {"/badutf8", FU_JSON,
        "{\"data\":{\"total\":1,\"active\":2,\"label\":\"\xC3\x28\"}}"},
    /* Valid JSON without the expected fields. */
    {"/missing", FU_JSON, "{\"data\":{\"other\":1}}"},
    /* No body at all. */
    {"/empty", FU_JSON, ""},
    /* A total too large for a double. */
    {"/bignum", FU_JSON, "{\"data\":{\"total\":1e400,\"active\":1}}"},
    /* The expected fields with the wrong JSON types. */
    {"/wrongtype", FU_JSON,
        "{\"data\":{\"total\":{\"nested\":1},"
        "\"active\":\"seven\",\"list\":[1,2]}}"},
};

/* Answers PATH's fixed body if it has one; 0 and *ret set, or -1. */
int
fu_route_body(
    struct MHD_Connection *conn, const char *path, enum MHD_Result *ret)
{
	size_t i;

	for (i = 0; i < sizeof fu_bodies / sizeof fu_bodies[0]; i++) {
		if (strcmp(path, fu_bodies[i].fb_path) != 0)
			continue;
		*ret = fu_reply(conn, MHD_HTTP_OK, fu_bodies[i].fb_type,
		    fu_bodies[i].fb_body, strlen(fu_bodies[i].fb_body), NULL,
		    NULL);
		return 0;
	}
	return -1;
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
