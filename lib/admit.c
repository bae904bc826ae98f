/*
 * Polls over max_concurrency or a host's max_per_host wait in that
 * host's FIFO; hosts with waiting polls and room to start one sit in a
 * ready list served round-robin, so admitting a poll is O(1).  We keep
 * this queue ourselves rather than use CURLMOPT_MAX_HOST_CONNECTIONS so
 * a source's timeout measures its upstream, not its wait in line.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <json-c/linkhash.h>

#include "admit.h"

struct admit_ticket;

/* One upstream host (scheme, name, port) and its polls. */
struct admit_host {
	char *h_key;
	unsigned h_in_flight;
	int h_ready; /* in a_ready */
	TAILQ_HEAD(, admit_ticket) h_waiting;
	TAILQ_ENTRY(admit_host) h_ready_link;
};

/* One source's place: its host, and whether it waits or is in flight. */
struct admit_ticket {
	struct admit_host *t_host;
	void *t_arg;
	int t_in_flight;
	int t_waiting;
	TAILQ_ENTRY(admit_ticket) t_wait_link;
};

struct admit {
	unsigned a_max_concurrency;
	unsigned a_max_per_host;
	unsigned a_in_flight;
	struct lh_table *a_hosts; /* key -> struct admit_host */
	TAILQ_HEAD(, admit_host) a_ready;
};

/* Puts h in the ready list if it has a waiting poll and room for it. */
static void
admit_host_update(struct admit *a, struct admit_host *h)
{
	int ready =
	    !TAILQ_EMPTY(&h->h_waiting) && h->h_in_flight < a->a_max_per_host;

	if (ready && !h->h_ready)
		TAILQ_INSERT_TAIL(&a->a_ready, h, h_ready_link);
	else if (!ready && h->h_ready)
		TAILQ_REMOVE(&a->a_ready, h, h_ready_link);
	h->h_ready = ready;
}

/* Returns the host record for url, creating it; NULL on error. */
static struct admit_host *
admit_host_for(struct admit *a, const char *url)
{
	struct admit_host *h = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL, *key = NULL, *c;
	CURLU *u;
	void *found;

	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	        CURLUE_OK)
		goto done;
	for (c = host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (asprintf(&key, "%s://%s:%s", scheme, host, port) == -1) {
		key = NULL;
		goto done;
	}
	if (lh_table_lookup_ex(a->a_hosts, key, &found)) {
		h = found;
		goto done;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		goto done;
	h->h_key = key;
	key = NULL;
	TAILQ_INIT(&h->h_waiting);
	if (lh_table_insert(a->a_hosts, h->h_key, h) != 0) {
		free(h->h_key);
		free(h);
		h = NULL;
	}
done:
	free(key);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return h;
}

/* Frees a host record when the host table goes. */
static void
admit_host_free_cb(struct lh_entry *ent)
{
	struct admit_host *h = (struct admit_host *)lh_entry_v(ent);

	free(h->h_key);
	free(h);
}

/* Returns an admission with the two caps; NULL if out of memory. */
struct admit *
admit_new(unsigned max_concurrency, unsigned max_per_host)
{
	struct admit *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	a->a_max_concurrency = max_concurrency;
	a->a_max_per_host = max_per_host;
	TAILQ_INIT(&a->a_ready);
	if ((a->a_hosts = lh_kchar_table_new(64, admit_host_free_cb)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

/* Frees a and its host records; NULL is allowed. */
void
admit_free(struct admit *a)
{
	if (a == NULL)
		return;
	lh_table_free(a->a_hosts);
	free(a);
}

/* Sets the caps; they apply to the next poll admitted. */
void
admit_set_caps(struct admit *a, unsigned max_concurrency, unsigned max_per_host)
{
	a->a_max_concurrency = max_concurrency;
	a->a_max_per_host = max_per_host;
}

/* Returns a ticket for polls of url standing for arg; NULL on error. */
struct admit_ticket *
admit_ticket_new(struct admit *a, const char *url, void *arg)
{
	struct admit_ticket *t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->t_arg = arg;
	if ((t->t_host = admit_host_for(a, url)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

/* Frees t, leaving its host's queue or giving back its slot. */
void
admit_ticket_free(struct admit *a, struct admit_ticket *t)
{
	if (t == NULL)
		return;
	if (t->t_in_flight)
		admit_done(a, t);
	if (t->t_waiting) {
		TAILQ_REMOVE(&t->t_host->h_waiting, t, t_wait_link);
		t->t_waiting = 0;
		admit_host_update(a, t->t_host);
	}
	free(t);
}

/* Counts t in flight. */
static void
admit_count(struct admit *a, struct admit_ticket *t)
{
	t->t_in_flight = 1;
	a->a_in_flight++;
	t->t_host->h_in_flight++;
	admit_host_update(a, t->t_host);
}

/* Starts t now if the caps allow, else puts it in its host's queue. */
int
admit_request(struct admit *a, struct admit_ticket *t)
{
	struct admit_host *h = t->t_host;

	if (t->t_waiting)
		return -1;
	if (a->a_in_flight < a->a_max_concurrency &&
	    h->h_in_flight < a->a_max_per_host && TAILQ_EMPTY(&h->h_waiting)) {
		admit_count(a, t);
		return 1;
	}
	t->t_waiting = 1;
	TAILQ_INSERT_TAIL(&h->h_waiting, t, t_wait_link);
	admit_host_update(a, h);
	return 0;
}

/* Gives back t's slot: its poll has ended. */
void
admit_done(struct admit *a, struct admit_ticket *t)
{
	t->t_in_flight = 0;
	a->a_in_flight--;
	t->t_host->h_in_flight--;
	admit_host_update(a, t->t_host);
}

/* Returns the next waiting poll that may start now, one host at a time. */
void *
admit_next(struct admit *a)
{
	struct admit_host *h;
	struct admit_ticket *t;

	if (a->a_in_flight >= a->a_max_concurrency ||
	    (h = TAILQ_FIRST(&a->a_ready)) == NULL)
		return NULL;
	t = TAILQ_FIRST(&h->h_waiting);
	TAILQ_REMOVE(&h->h_waiting, t, t_wait_link);
	t->t_waiting = 0;
	/* Round robin: the host goes to the back of the line. */
	TAILQ_REMOVE(&a->a_ready, h, h_ready_link);
	h->h_ready = 0;
	admit_count(a, t);
	return t->t_arg;
}

/* Returns the number of polls in flight. */
unsigned
admit_in_flight(const struct admit *a)
{
	return a->a_in_flight;
}
