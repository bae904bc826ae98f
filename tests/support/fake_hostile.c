/*
 * The fake upstream's hostile JSON: valid documents built to make a jq
 * program work hard, up to a size the test names.  /hostile?shape=S&bytes=N
 * answers about N bytes (at most FU_HOSTILE_MAX) of one array: of single
 * digits (numbers), of small objects {"a":0..99,"s":"x"} (objects), or of
 * arrays nested 63 deep around a 1, within json-c's depth limit (deep).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fake_private.h"

/* Nesting of a deep item: with the outer array, 63 levels. */
#define FU_HOSTILE_DEPTH 62

/* Writes item i of shape into buf (at least 256 bytes); its length, or 0
 * for an unknown shape. */
static size_t
fu_hostile_item(const char *shape, size_t i, char *buf)
{
	const char *sep = i > 0 ? "," : "";
	size_t n;

	if (strcmp(shape, "numbers") == 0)
		return (size_t)sprintf(buf, "%s%zu", sep, i % 10);
	if (strcmp(shape, "objects") == 0)
		return (size_t)sprintf(
		    buf, "%s{\"a\":%zu,\"s\":\"x\"}", sep, i % 100);
	if (strcmp(shape, "deep") != 0)
		return 0;
	n = (size_t)sprintf(buf, "%s", sep);
	memset(buf + n, '[', FU_HOSTILE_DEPTH);
	n += FU_HOSTILE_DEPTH;
	buf[n++] = '1';
	memset(buf + n, ']', FU_HOSTILE_DEPTH);
	return n + FU_HOSTILE_DEPTH;
}

/* Route /hostile?shape=S&bytes=N: one array of N bytes or a little less. */
enum MHD_Result
fu_route_hostile(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	enum MHD_Result ret;
	const char *shape;
	char item[256], *body;
	uint64_t size;
	size_t len = 1, n, i;

	shape =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "shape");
	if (shape == NULL || fu_hostile_item(shape, 0, item) == 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad shape");
	if (fu_arg_num(conn, "bytes", 1024, FU_HOSTILE_MAX, &size) != 0 ||
	    size < 2)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad bytes");
	if ((body = malloc((size_t)size)) == NULL)
		return MHD_NO;
	body[0] = '[';
	for (i = 0;; i++) {
		n = fu_hostile_item(shape, i, item);
		if (len + n + 1 > size)
			break;
		memcpy(body + len, item, n);
		len += n;
	}
	body[len++] = ']';
	ret = fu_reply(conn, MHD_HTTP_OK, FU_JSON, body, len, NULL, NULL);
	free(body);
	return ret;
}
