/*
 * The fake upstream's counted series: /stats (a growing counter), /flaky
 * (good, 503, 502 HTML and truncated in a cycle) and /flap (a /stats
 * answer and a 500 in turn), each shared or kept per name=X.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/linkhash.h>
#include <microhttpd.h>

#include "fake_private.h"

/* Which counted series a request advances. */
enum fu_kind {
	FU_KIND_STATS,
	FU_KIND_FLAKY,
	FU_KIND_FLAP,
};

/* Queues the /stats document for counter value TOTAL. */
static enum MHD_Result
fu_stats_reply(struct MHD_Connection *conn, unsigned long total)
{
	char body[256];
	int n;

	n = snprintf(body, sizeof(body),
	    "{\"data\":{\"total\":%lu,\"active\":%lu,\"ratio\":0.25,"
	    "\"label\":\"fake\",\"flag\":true,\"nothing\":null},"
	    "\"source\":\"fake-upstream\"}",
	    total, total % 100 + 1);
	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, (size_t)n, NULL, NULL);
}

/* Finds or adds series NAME in TABLE; call with the lock held. */
static struct fu_series *
fu_series_get(struct lh_table *table, const char *name)
{
	struct lh_entry *e;
	struct fu_series *s = NULL;
	char *key = NULL;

	e = lh_table_lookup_entry(table, name);
	if (e != NULL)
		return lh_entry_v(e);
	if (table->count >= FU_MAX_NAMES)
		return NULL;
	key = strdup(name);
	s = calloc(1, sizeof(*s));
	if (key == NULL || s == NULL)
		goto fail;
	s->total = FU_STATS_START;
	if (lh_table_insert(table, key, s) != 0)
		goto fail;
	return s;
fail:
	free(key);
	free(s);
	return NULL;
}

/* Advances the KIND series of CONN's name=; -1 on failure. */
static int
fu_series_next(struct fake_upstream *fu, struct MHD_Connection *conn,
    enum fu_kind kind, unsigned long *total, unsigned long *cycle)
{
	struct fu_series *s;
	struct fu_series *shared;
	struct lh_table *names;
	const char *name;
	int ret = -1;

	switch (kind) {
	case FU_KIND_FLAKY:
		shared = &fu->flaky;
		names = fu->flaky_names;
		break;
	case FU_KIND_FLAP:
		shared = &fu->flap;
		names = fu->flap_names;
		break;
	default:
		shared = &fu->stats;
		names = fu->stats_names;
		break;
	}
	name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
	pthread_mutex_lock(&fu->lock);
	s = name == NULL ? shared : fu_series_get(names, name);
	if (s == NULL)
		goto fail;
	*cycle = s->cycle++;
	*total = s->total;
	ret = 0;
	/* /flaky and /flap only move on answers that look like /stats. */
	if (kind == FU_KIND_STATS)
		s->total++;
	else if (kind == FU_KIND_FLAP && *cycle % 2 == 0)
		s->total++;
	else if (kind == FU_KIND_FLAKY && *cycle % 10 != 3 &&
	    *cycle % 10 != 6 && *cycle % 10 != 9)
		s->total++;
fail:
	pthread_mutex_unlock(&fu->lock);
	return ret;
}

/* Answers a request of the KIND series at position CYCLE, count TOTAL. */
static enum MHD_Result
fu_series_reply(struct MHD_Connection *conn, enum fu_kind kind,
    unsigned long total, unsigned long cycle)
{
	if (kind == FU_KIND_FLAP && cycle % 2 != 0)
		return fu_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "flap");
	if (kind != FU_KIND_FLAKY)
		return fu_stats_reply(conn, total);
	switch (cycle % 10) {
	case 3:
		return fu_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, FU_JSON,
		    "{\"error\":\"fake status 503\"}",
		    strlen("{\"error\":\"fake status 503\"}"),
		    MHD_HTTP_HEADER_RETRY_AFTER, "2");
	case 6:
		return fu_reply(conn, MHD_HTTP_BAD_GATEWAY, FU_HTML,
		    fu_html_body, strlen(fu_html_body), NULL, NULL);
	case 9:
		return fu_reply(conn, MHD_HTTP_OK, FU_JSON, fu_truncated_body,
		    strlen(fu_truncated_body), NULL, NULL);
	default:
		return fu_stats_reply(conn, total);
	}
}

/* Advances the KIND series of CONN's name= and answers for it. */
static enum MHD_Result
fu_series_route(
    struct fake_upstream *fu, struct MHD_Connection *conn, enum fu_kind kind)
{
	unsigned long total;
	unsigned long cycle;

	if (fu_series_next(fu, conn, kind, &total, &cycle) != 0)
		return fu_error(
		    conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "too many names");
	return fu_series_reply(conn, kind, total, cycle);
}

/* Route /stats: a growing counter, shared or per name=X. */
enum MHD_Result
fu_route_stats(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_series_route(fu, conn, FU_KIND_STATS);
}

/* Route /flaky: cycles through good, 503, 502 HTML and truncated. */
enum MHD_Result
fu_route_flaky(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_series_route(fu, conn, FU_KIND_FLAKY);
}

/* Route /flap: alternates a /stats answer and a 500, shared or per name. */
enum MHD_Result
fu_route_flap(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	return fu_series_route(fu, conn, FU_KIND_FLAP);
}

/* Returns how many /stats?name=NAME requests have been answered. */
unsigned long
fake_upstream_series_requests(struct fake_upstream *fu, const char *name)
{
	struct lh_entry *e;
	unsigned long n = 0;

	pthread_mutex_lock(&fu->lock);
	e = lh_table_lookup_entry(fu->stats_names, name);
	if (e != NULL)
		n = ((const struct fu_series *)lh_entry_v(e))->cycle;
	pthread_mutex_unlock(&fu->lock);
	return n;
}
