/*
 * The fake upstream's answers that real analytics APIs give with status
 * 200: Matomo's {"result":"error"} and Cloudflare GraphQL's errors[], and
 * GA4 runReport bodies whose metrics are JSON strings, with and without
 * rows.  The shapes are the APIs' documented ones; what a request must
 * look like is the business of each API's own fake.
 */
#include <string.h>

#include <microhttpd.h>

#include "fake_private.h"

/* One answer: the name after /inband/ and its body. */
struct fu_inband {
	const char *name;
	const char *body;
};

static const struct fu_inband fu_inband[] = {
    /* Matomo: an error inside a 200. */
    {"matomo-error",
        "{\"result\":\"error\",\"message\":\"You can't access this "
        "resource as it requires 'view' access for the website id = "
        "3.\"}"},
    /* Cloudflare GraphQL: errors[] inside a 200, and errors null. */
    {"cloudflare-error",
        "{\"data\":null,\"errors\":[{\"message\":\"zone 'abc' does not "
        "exist or you do not have access\",\"path\":[\"viewer\",\"zones\"],"
        "\"extensions\":{\"code\":\"authz\",\"timestamp\":"
        "\"2026-11-29T22:00:00.000Z\"}}]}"},
    {"cloudflare",
        "{\"data\":{\"viewer\":{\"zones\":[{\"httpRequests1dGroups\":[{"
        "\"sum\":{\"requests\":52170,\"pageViews\":8123}}]}]}},"
        "\"errors\":null}"},
    /* GA4 runReport: one row, each metric a string. */
    {"ga4",
        "{\"dimensionHeaders\":[{\"name\":\"date\"}],"
        "\"metricHeaders\":[{\"name\":\"activeUsers\",\"type\":"
        "\"TYPE_INTEGER\"},{\"name\":\"bounceRate\",\"type\":"
        "\"TYPE_FLOAT\"}],"
        "\"rows\":[{\"dimensionValues\":[{\"value\":\"20261129\"}],"
        "\"metricValues\":[{\"value\":\"1234\"},{\"value\":\"0.4375\"}]}],"
        "\"rowCount\":1,\"metadata\":{\"currencyCode\":\"USD\","
        "\"timeZone\":\"America/Los_Angeles\"},"
        "\"kind\":\"analyticsData#runReport\"}"},
    /* GA4 runReport for a day with no data: no rows at all. */
    {"ga4-empty",
        "{\"dimensionHeaders\":[{\"name\":\"date\"}],"
        "\"metricHeaders\":[{\"name\":\"activeUsers\",\"type\":"
        "\"TYPE_INTEGER\"}],"
        "\"metadata\":{\"currencyCode\":\"USD\",\"timeZone\":"
        "\"America/Los_Angeles\"},\"kind\":\"analyticsData#runReport\"}"},
};

/* Route /inband/NAME: the answer called name, or 404. */
enum MHD_Result
fu_route_inband(struct MHD_Connection *conn, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof fu_inband / sizeof fu_inband[0]; i++) {
		if (strcmp(name, fu_inband[i].name) == 0)
			return fu_reply(conn, MHD_HTTP_OK, FU_JSON,
			    fu_inband[i].body, strlen(fu_inband[i].body), NULL,
			    NULL);
	}
	return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
}
