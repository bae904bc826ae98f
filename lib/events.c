/*
 * Server-Sent Events.  An event is rendered once into a reference-
 * counted chunk and queued to every stream, so a hundred dashboards cost
 * one render.  A stream with nothing to send suspends its connection in
 * the content reader and is resumed when a chunk arrives; a stream whose
 * queue overflows (a client that stopped reading) is ended, and MHD's
 * per-connection timeout reaps one whose socket stopped draining.
 * Cache changes are coalesced: at most one event per EVENTS_COALESCE_MS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "events.h"
#include "log.h"
#include "render.h"
#include "timeutil.h"

#define EVENTS_QUEUE 64 /* chunks a stream may have queued */
#define EVENTS_COALESCE_MS 25
#define EVENTS_HEARTBEAT_S 15

/* One rendered event, shared by every stream it is queued to. */
struct events_chunk {
	unsigned ch_refs;
	size_t ch_len;
	char ch_data[];
};

/* One open stream. */
struct events_client {
	struct events *cl_ev;
	struct MHD_Connection *cl_conn;
	struct events_chunk *cl_queue[EVENTS_QUEUE];
	size_t cl_head;
	size_t cl_count;
	size_t cl_off; /* bytes of the head chunk sent */
	int cl_suspended;
	int cl_ending; /* end the stream: shutdown, overflow */
	TAILQ_ENTRY(events_client) cl_link;
};

struct events {
	struct event_base *ev_base;
	struct cache *ev_cache;
	struct event *ev_coalesce;
	struct event *ev_heartbeat;
	uint64_t ev_sent_gen; /* generation of the last event */
	unsigned ev_max;
	unsigned ev_idle_s;
	unsigned ev_count;
	events_kick_cb ev_kick;
	void *ev_kick_arg;
	TAILQ_HEAD(, events_client) ev_clients;
};

/* Returns a chunk holding "event: stats" for doc (without its newline). */
static struct events_chunk *
events_chunk_stats(const char *doc, size_t len)
{
	static const char head[] = "event: stats\ndata: ";
	struct events_chunk *ch;

	while (len > 0 && doc[len - 1] == '\n')
		len--;
	if ((ch = malloc(sizeof *ch + sizeof head + len + 2)) == NULL)
		return NULL;
	ch->ch_refs = 1;
	memcpy(ch->ch_data, head, sizeof head - 1);
	memcpy(ch->ch_data + sizeof head - 1, doc, len);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): ch_len counts */
	memcpy(ch->ch_data + sizeof head - 1 + len, "\n\n", 2);
	ch->ch_len = sizeof head - 1 + len + 2;
	return ch;
}

/* Returns a chunk holding text as it is. */
static struct events_chunk *
events_chunk_text(const char *text)
{
	struct events_chunk *ch;
	size_t len = strlen(text);

	if ((ch = malloc(sizeof *ch + len)) == NULL)
		return NULL;
	ch->ch_refs = 1;
	ch->ch_len = len;
	memcpy(ch->ch_data, text, len);
	return ch;
}

/* Drops a reference to ch. */
static void
events_chunk_put(struct events_chunk *ch)
{
	if (ch != NULL && --ch->ch_refs == 0)
		free(ch);
}

/* Lets MHD send again on cl's connection; MHD must then run. */
static void
events_wake(struct events_client *cl)
{
	struct events *ev = cl->cl_ev;

	if (cl->cl_suspended) {
		cl->cl_suspended = 0;
		MHD_resume_connection(cl->cl_conn);
		ev->ev_kick(ev->ev_kick_arg);
	}
}

/* Drops every chunk queued to cl. */
static void
events_clear(struct events_client *cl)
{
	while (cl->cl_count > 0) {
		events_chunk_put(cl->cl_queue[cl->cl_head]);
		cl->cl_head = (cl->cl_head + 1) % EVENTS_QUEUE;
		cl->cl_count--;
	}
	cl->cl_off = 0;
}

/* Queues ch to cl; a client too far behind is ended instead. */
static void
events_push(struct events_client *cl, struct events_chunk *ch)
{
	if (cl->cl_ending)
		return;
	if (cl->cl_count == EVENTS_QUEUE) {
		log_info("event stream: client not reading, closing it");
		events_clear(cl);
		cl->cl_ending = 1;
	} else {
		ch->ch_refs++;
		cl->cl_queue[(cl->cl_head + cl->cl_count++) % EVENTS_QUEUE] =
		    ch;
	}
	events_wake(cl);
}

/* Queues ch to every stream and drops the caller's reference. */
static void
events_broadcast(struct events *ev, struct events_chunk *ch)
{
	struct events_client *cl;

	if (ch == NULL)
		return;
	TAILQ_FOREACH(cl, &ev->ev_clients, cl_link)
	events_push(cl, ch);
	events_chunk_put(ch);
}

/* MHD's content reader: hands out queued bytes or suspends. */
static ssize_t
events_read_cb(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct events_client *cl = arg;
	struct events_chunk *ch;
	size_t n, done = 0;

	while (cl->cl_count > 0 && done < max) {
		ch = cl->cl_queue[cl->cl_head];
		n = ch->ch_len - cl->cl_off;
		if (n > max - done)
			n = max - done;
		memcpy(buf + done, ch->ch_data + cl->cl_off, n);
		done += n;
		cl->cl_off += n;
		if (cl->cl_off == ch->ch_len) {
			events_chunk_put(ch);
			cl->cl_head = (cl->cl_head + 1) % EVENTS_QUEUE;
			cl->cl_count--;
			cl->cl_off = 0;
		}
	}
	if (done > 0)
		return (ssize_t)done;
	if (cl->cl_ending)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	/* Nothing to say: park the connection until there is. */
	cl->cl_suspended = 1;
	MHD_suspend_connection(cl->cl_conn);
	return 0;
}

/* MHD frees the response: the stream is over. */
static void
events_free_cb(void *arg)
{
	struct events_client *cl = arg;
	struct events *ev = cl->cl_ev;

	events_clear(cl);
	TAILQ_REMOVE(&ev->ev_clients, cl, cl_link);
	ev->ev_count--;
	free(cl);
}

/* Sends the sources that changed since the last event. */
static void
events_coalesce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;
	uint64_t gen = cache_generation(ev->ev_cache);
	size_t len = 0;
	char *doc;

	if (gen == ev->ev_sent_gen)
		return;
	if (TAILQ_EMPTY(&ev->ev_clients)) {
		ev->ev_sent_gen = gen;
		return;
	}
	doc = render_stats_since(
	    ev->ev_cache, ev->ev_sent_gen, timeutil_wall_ms(), &len);
	ev->ev_sent_gen = gen;
	if (doc == NULL)
		return;
	events_broadcast(ev, events_chunk_stats(doc, len));
	free(doc);
}

/* Sends a comment to every stream so proxies and clients see it alive. */
static void
events_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;

	if (!TAILQ_EMPTY(&ev->ev_clients))
		events_broadcast(ev, events_chunk_text(": heartbeat\n\n"));
}

/* Creates the event streams of c on base; NULL if out of memory. */
struct events *
events_new(struct event_base *base, struct cache *c, unsigned max_streams,
    unsigned idle_timeout_s, events_kick_cb kick, void *kick_arg)
{
	struct timeval beat = {EVENTS_HEARTBEAT_S, 0};
	struct events *ev;

	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return NULL;
	ev->ev_base = base;
	ev->ev_cache = c;
	ev->ev_max = max_streams;
	ev->ev_idle_s = idle_timeout_s;
	ev->ev_kick = kick;
	ev->ev_kick_arg = kick_arg;
	ev->ev_sent_gen = cache_generation(c);
	TAILQ_INIT(&ev->ev_clients);
	ev->ev_coalesce = evtimer_new(base, events_coalesce_cb, ev);
	ev->ev_heartbeat =
	    event_new(base, -1, EV_PERSIST, events_heartbeat_cb, ev);
	if (ev->ev_coalesce == NULL || ev->ev_heartbeat == NULL ||
	    event_add(ev->ev_heartbeat, &beat) == -1) {
		events_free(ev);
		return NULL;
	}
	return ev;
}

/* Ends every stream so MHD can be stopped. */
void
events_shutdown(struct events *ev)
{
	struct events_client *cl;

	if (ev == NULL)
		return;
	TAILQ_FOREACH(cl, &ev->ev_clients, cl_link)
	{
		events_clear(cl);
		cl->cl_ending = 1;
		events_wake(cl);
	}
}

/* Frees ev after MHD has been stopped; NULL is allowed. */
void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	if (ev->ev_coalesce != NULL)
		event_free(ev->ev_coalesce);
	if (ev->ev_heartbeat != NULL)
		event_free(ev->ev_heartbeat);
	free(ev);
}

/* Starts a stream on conn, decorated; 0, or -1 if capped or on error. */
int
events_serve(struct events *ev, struct MHD_Connection *conn,
    events_decorate_cb decorate, void *arg)
{
	struct events_client *cl;
	struct events_chunk *first;
	struct MHD_Response *r;
	size_t len = 0;
	char *doc;
	int rc;

	if (ev->ev_count >= ev->ev_max) {
		log_debug("event stream refused: %u open", ev->ev_count);
		return -1;
	}
	if ((cl = calloc(1, sizeof *cl)) == NULL)
		return -1;
	cl->cl_ev = ev;
	cl->cl_conn = conn;
	/* Everything first, so a new page needs no other request. */
	doc = render_snapshot(ev->ev_cache, timeutil_wall_ms(), &len);
	first = doc != NULL ? events_chunk_stats(doc, len) : NULL;
	free(doc);
	if (first == NULL) {
		free(cl);
		return -1;
	}
	cl->cl_queue[0] = first;
	cl->cl_count = 1;
	r = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, 4096, events_read_cb, cl, events_free_cb);
	if (r == NULL) {
		events_clear(cl);
		free(cl);
		return -1;
	}
	TAILQ_INSERT_TAIL(&ev->ev_clients, cl, cl_link);
	ev->ev_count++;
	MHD_set_connection_option(
	    conn, MHD_CONNECTION_OPTION_TIMEOUT, ev->ev_idle_s);
	rc = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	         "text/event-stream") == MHD_YES &&
	        MHD_add_response_header(
	            r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") == MHD_YES &&
	        MHD_add_response_header(r, "X-Accel-Buffering", "no") ==
	            MHD_YES &&
	        (decorate == NULL || decorate(arg, conn, r) == 0) &&
	        MHD_queue_response(conn, MHD_HTTP_OK, r) == MHD_YES
	    ? 0
	    : -1;
	/* On failure MHD frees the response, and cl with it. */
	MHD_destroy_response(r);
	return rc;
}

/* Streams c from now on (a reload): every client gets all of it again. */
void
events_set_cache(struct events *ev, struct cache *c)
{
	size_t len = 0;
	char *doc;

	ev->ev_cache = c;
	ev->ev_sent_gen = cache_generation(c);
	if (TAILQ_EMPTY(&ev->ev_clients))
		return;
	if ((doc = render_snapshot(c, timeutil_wall_ms(), &len)) == NULL)
		return;
	events_broadcast(ev, events_chunk_stats(doc, len));
	free(doc);
}

/* Tells the streams the cache changed; they send it soon, coalesced. */
void
events_cache_changed(struct events *ev)
{
	struct timeval tv = {0, EVENTS_COALESCE_MS * 1000};

	if (!TAILQ_EMPTY(&ev->ev_clients) &&
	    !evtimer_pending(ev->ev_coalesce, NULL))
		evtimer_add(ev->ev_coalesce, &tv);
}

/* Returns the number of open streams. */
unsigned
events_count(const struct events *ev)
{
	return ev->ev_count;
}
