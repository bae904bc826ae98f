/*
 * Polls over max_concurrency or a host's max_per_host wait in that
 * host's FIFO; hosts with waiting polls and room to start one sit in a
 * ready list served round-robin, so admitting a poll is O(1).  We keep
 * this queue ourselves rather than use CURLMOPT_MAX_HOST_CONNECTIONS so
 * a source's timeout measures its upstream, not its wait in line.  A
 * poll on a budget first waits in the budget's FIFO until it may hold a
 * slot, and its start is recorded when it really starts.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * One request budget and the polls waiting for it.  Held by the table
 * of current budgets and by each ticket on it or holding a slot in it,
 * so a reload may retire it while polls still hold its slots.
 */
struct admit_budget {
	char *ab_name;
	struct budget *ab_budget;
	unsigned ab_refs;
	int ab_current; /* in a_budgets, the budgets configured now */
	TAILQ_HEAD(, admit_ticket) ab_waiting;
	TAILQ_ENTRY(admit_budget) ab_link; /* a_budget_list */
};

/* One source's place: its host, and whether it waits or is in flight. */
struct admit_ticket {
	struct admit_host *t_host;
	struct admit_budget *t_budget; /* the source's budget, or NULL */
	struct admit_budget *t_held; /* holds a slot for this poll there */
	void *t_arg;
	int t_in_flight;
	int t_waiting; /* in its host's queue */
	int t_budget_waiting; /* in its budget's queue */
	TAILQ_ENTRY(admit_ticket) t_wait_link; /* either queue */
};

struct admit {
	unsigned a_max_concurrency;
	unsigned a_max_per_host;
	unsigned a_in_flight;
	struct lh_table *a_hosts; /* key -> struct admit_host */
	TAILQ_HEAD(, admit_host) a_ready;
	struct lh_table *a_budgets; /* name -> current struct admit_budget */
	TAILQ_HEAD(, admit_budget) a_budget_list; /* every one, retired too */
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
	TAILQ_INIT(&a->a_budget_list);
	if ((a->a_hosts = lh_kchar_table_new(64, admit_host_free_cb)) == NULL ||
	    (a->a_budgets = lh_kchar_table_new(16, NULL)) == NULL) {
		if (a->a_hosts != NULL)
			lh_table_free(a->a_hosts);
		free(a);
		return NULL;
	}
	return a;
}

/* Drops a reference to ab, freeing it with the last. */
static void
admit_budget_unref(struct admit *a, struct admit_budget *ab)
{
	if (ab == NULL || --ab->ab_refs > 0)
		return;
	TAILQ_REMOVE(&a->a_budget_list, ab, ab_link);
	budget_free(ab->ab_budget);
	free(ab->ab_name);
	free(ab);
}

/* Frees a, its host records and its budgets; NULL is allowed. */
void
admit_free(struct admit *a)
{
	struct admit_budget *ab;

	if (a == NULL)
		return;
	lh_table_free(a->a_hosts);
	lh_table_free(a->a_budgets);
	/* The tickets are gone: only the table's references are left. */
	while ((ab = TAILQ_FIRST(&a->a_budget_list)) != NULL) {
		TAILQ_REMOVE(&a->a_budget_list, ab, ab_link);
		budget_free(ab->ab_budget);
		free(ab->ab_name);
		free(ab);
	}
	free(a);
}

/* Returns a new budget record for cb, held by its caller; NULL if not. */
static struct admit_budget *
admit_budget_new(struct admit *a, const struct config_budget *cb)
{
	struct admit_budget *ab;

	if ((ab = calloc(1, sizeof *ab)) == NULL)
		return NULL;
	if ((ab->ab_name = strdup(cb->cb_name)) == NULL ||
	    (ab->ab_budget = budget_new(cb->cb_requests, cb->cb_window_ms)) ==
	        NULL) {
		free(ab->ab_name);
		free(ab);
		return NULL;
	}
	ab->ab_refs = 1;
	TAILQ_INIT(&ab->ab_waiting);
	TAILQ_INSERT_TAIL(&a->a_budget_list, ab, ab_link);
	return ab;
}

/* Returns the current budget called name, or NULL. */
static struct admit_budget *
admit_budget_find(struct admit *a, const char *name)
{
	void *found;

	if (name == NULL || !lh_table_lookup_ex(a->a_budgets, name, &found))
		return NULL;
	return found;
}

/* Sets the budgets, keeping those whose name, n and window are unchanged. */
int
admit_set_budgets(
    struct admit *a, const struct config_budget *budgets, size_t n)
{
	struct admit_budget **next, *ab, *following;
	struct lh_table *table;
	size_t i;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	if ((next = calloc(n ? n : 1, sizeof *next)) == NULL)
		return -1;
	if ((table = lh_kchar_table_new(n > 8 ? (int)n * 2 : 16, NULL)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		ab = admit_budget_find(a, budgets[i].cb_name);
		if (ab != NULL &&
		    budget_limit(ab->ab_budget) == budgets[i].cb_requests &&
		    budget_window_ms(ab->ab_budget) ==
		        budgets[i].cb_window_ms) {
			/* The quota is per key upstream: no fresh burst. */
			ab->ab_refs++;
			next[i] = ab;
		} else if ((next[i] = admit_budget_new(a, &budgets[i])) == NULL)
			goto fail;
		if (lh_table_insert(table, next[i]->ab_name, next[i]) != 0)
			goto fail;
	}
	/* Switch: each budget of the old table loses that reference
	 * (a kept one still has the new table's). */
	lh_table_free(a->a_budgets);
	a->a_budgets = table;
	for (ab = TAILQ_FIRST(&a->a_budget_list); ab != NULL; ab = following) {
		following = TAILQ_NEXT(ab, ab_link);
		if (ab->ab_current) {
			ab->ab_current = 0;
			admit_budget_unref(a, ab);
		}
	}
	for (i = 0; i < n; i++)
		next[i]->ab_current = 1;
	free(next);
	return 0;
fail:
	for (i = 0; i < n && next[i] != NULL; i++)
		admit_budget_unref(a, next[i]);
	if (table != NULL)
		lh_table_free(table);
	free(next);
	return -1;
}

/* Returns the budget called name, for requests outside admission. */
struct budget *
admit_budget(struct admit *a, const char *name)
{
	struct admit_budget *ab = admit_budget_find(a, name);

	return ab != NULL ? ab->ab_budget : NULL;
}

/* Sets the caps; they apply to the next poll admitted. */
void
admit_set_caps(struct admit *a, unsigned max_concurrency, unsigned max_per_host)
{
	a->a_max_concurrency = max_concurrency;
	a->a_max_per_host = max_per_host;
}

/* Returns a ticket for polls of url on budget, standing for arg. */
struct admit_ticket *
admit_ticket_new(
    struct admit *a, const char *url, const char *budget, void *arg)
{
	struct admit_ticket *t;
	struct admit_budget *ab = NULL;

	if (budget != NULL && (ab = admit_budget_find(a, budget)) == NULL)
		return NULL;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->t_arg = arg;
	if ((t->t_host = admit_host_for(a, url)) == NULL) {
		free(t);
		return NULL;
	}
	if ((t->t_budget = ab) != NULL)
		ab->ab_refs++;
	return t;
}

/* Puts t in its host's queue. */
static void
admit_wait_host(struct admit *a, struct admit_ticket *t)
{
	t->t_waiting = 1;
	TAILQ_INSERT_TAIL(&t->t_host->h_waiting, t, t_wait_link);
	admit_host_update(a, t->t_host);
}

/* Takes t out of its budget's queue. */
static void
admit_leave_budget(struct admit_ticket *t)
{
	TAILQ_REMOVE(&t->t_budget->ab_waiting, t, t_wait_link);
	t->t_budget_waiting = 0;
}

/* Puts t on the budget called budget, moving a wait for the old one. */
int
admit_ticket_set_budget(
    struct admit *a, struct admit_ticket *t, const char *budget)
{
	struct admit_budget *ab = NULL;
	int waiting = t->t_budget_waiting;

	if (budget != NULL && (ab = admit_budget_find(a, budget)) == NULL)
		return -1;
	if (ab == t->t_budget)
		return 0;
	if (waiting)
		admit_leave_budget(t);
	admit_budget_unref(a, t->t_budget);
	if ((t->t_budget = ab) != NULL)
		ab->ab_refs++;
	if (!waiting)
		return 0;
	/* Its wait goes on at the back of the new budget's line, or at its
	 * host's if it has none now (admit_next starts it). */
	if (ab != NULL) {
		t->t_budget_waiting = 1;
		TAILQ_INSERT_TAIL(&ab->ab_waiting, t, t_wait_link);
	} else
		admit_wait_host(a, t);
	return 0;
}

/* Returns t's budget's name and its state at now, or NULL if none. */
const char *
admit_ticket_budget(const struct admit_ticket *t, int64_t now,
    unsigned *remaining, int64_t *next_at)
{
	const struct budget *b;

	if (t->t_budget == NULL)
		return NULL;
	b = t->t_budget->ab_budget;
	*remaining = budget_remaining(b, now);
	*next_at = *remaining > 0 ? 0 : budget_next_at(b, now);
	return t->t_budget->ab_name;
}

/* Frees t, leaving its queue, giving back its slot or its budget's. */
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
	if (t->t_budget_waiting)
		admit_leave_budget(t);
	if (t->t_held != NULL) {
		/* Its held slot frees: admit_next_at says "now". */
		budget_release(t->t_held->ab_budget);
		admit_budget_unref(a, t->t_held);
	}
	admit_budget_unref(a, t->t_budget);
	free(t);
}

/* Counts t in flight, starting it at now on the budget that held it. */
static void
admit_count(struct admit *a, struct admit_ticket *t, int64_t now)
{
	if (t->t_held != NULL) {
		budget_start_held(t->t_held->ab_budget, now);
		admit_budget_unref(a, t->t_held);
		t->t_held = NULL;
	}
	t->t_in_flight = 1;
	a->a_in_flight++;
	t->t_host->h_in_flight++;
	admit_host_update(a, t->t_host);
}

/* Holds a slot of ab for t at now; 0, or -1 if it has none free. */
static int
admit_hold(struct admit_budget *ab, struct admit_ticket *t, int64_t now)
{
	if (budget_hold(ab->ab_budget, now) == -1)
		return -1;
	t->t_held = ab;
	ab->ab_refs++;
	return 0;
}

/* Starts t now if its budget and the caps allow, else queues it. */
int
admit_request(struct admit *a, struct admit_ticket *t, int64_t now)
{
	struct admit_host *h = t->t_host;
	struct admit_budget *ab = t->t_budget;

	if (t->t_waiting || t->t_budget_waiting)
		return -1;
	/* Behind the polls already waiting for the budget, in order. */
	if (ab != NULL && t->t_held == NULL &&
	    (!TAILQ_EMPTY(&ab->ab_waiting) || admit_hold(ab, t, now) == -1)) {
		t->t_budget_waiting = 1;
		TAILQ_INSERT_TAIL(&ab->ab_waiting, t, t_wait_link);
		return 0;
	}
	if (a->a_in_flight < a->a_max_concurrency &&
	    h->h_in_flight < a->a_max_per_host && TAILQ_EMPTY(&h->h_waiting)) {
		admit_count(a, t, now);
		return 1;
	}
	admit_wait_host(a, t);
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
admit_next(struct admit *a, int64_t now)
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
	admit_count(a, t, now);
	return t->t_arg;
}

/* Moves polls whose budget has room at now on to their hosts' queues. */
void
admit_tick(struct admit *a, int64_t now)
{
	struct admit_budget *ab;
	struct admit_ticket *t;

	/* Few budgets (one per upstream key): a walk over them is cheap. */
	TAILQ_FOREACH(ab, &a->a_budget_list, ab_link)
	{
		while ((t = TAILQ_FIRST(&ab->ab_waiting)) != NULL &&
		    admit_hold(ab, t, now) == 0) {
			admit_leave_budget(t);
			admit_wait_host(a, t);
		}
	}
}

/* Returns when admit_tick should run next, or BUDGET_NEVER. */
int64_t
admit_next_at(const struct admit *a, int64_t now)
{
	const struct admit_budget *ab;
	int64_t next = BUDGET_NEVER, at;

	TAILQ_FOREACH(ab, &a->a_budget_list, ab_link)
	{
		if (!TAILQ_EMPTY(&ab->ab_waiting) &&
		    budget_remaining(ab->ab_budget, now) > 0)
			return now;
		/* Also when nobody waits: the sources view shows it. */
		at = budget_changes_at(ab->ab_budget, now);
		if (at < next)
			next = at;
	}
	return next;
}

/* Returns the number of polls in flight. */
unsigned
admit_in_flight(const struct admit *a)
{
	return a->a_in_flight;
}
