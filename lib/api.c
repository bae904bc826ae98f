/*
 * The HTTP API's server, libmicrohttpd driven by our libevent loop: MHD
 * runs in external mode with epoll, so its epoll fd is one persistent
 * read event, and a timer from MHD_get_timeout covers its idle
 * deadlines.  Each request is looked up in the route table (routes.c)
 * and, past the method, CORS and token checks, handed to its handler
 * (handlers.c); the rendered documents live in doccache.c.
 *
 * Hostile clients meet MHD's limits (connections in all and per address,
 * memory per connection, which bounds URL and headers, an idle timeout)
 * and ours: a deadline for each request's head, which MHD's idle timeout
 * alone does not give against a client sending a byte at a time, an end
 * to connections whose client left halfway through a head (MHD would
 * count them until they time out), and a refusal of long URLs and of
 * any body before it is read.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <microhttpd.h>

#include "api.h"
#include "events.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "routes.h"

#define API_URL_MAX 2048 /* bytes of the request target, query included */
#define API_CORS_MAX_AGE "600" /* seconds a browser may keep a preflight */

/* One client connection, from accept to close (MHD's socket context). */
struct api_conn {
	struct api *ac_api;
	struct MHD_Connection *ac_conn;
	struct event *ac_deadline; /* armed while a request head is due */
	struct event *ac_hangup; /* the client closed, with the deadline */
	int ac_fd;
	int ac_hung_up;
	size_t ac_url_len; /* of the request being read */
};

struct api {
	struct event_base *a_base;
	const struct config *a_cf;
	struct cache *a_cache;
	struct MHD_Daemon *a_mhd;
	struct event *a_ev; /* MHD's epoll fd is readable */
	struct event *a_timer; /* MHD's next deadline */
	struct events *a_events;
	struct handlers *a_handlers;
	uint16_t a_port;
	struct metrics_counters a_counters; /* responses, reloads */
	unsigned a_head_s; /* a request's head is due within it */
	int a_run_again; /* a connection closed: MHD may accept again */
};

/* Returns conn's context (NULL only if it could not be made). */
static struct api_conn *
api_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

/* Writes the client's numeric address into buf. */
static void
api_client_addr(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *info;
	const struct sockaddr *sa;
	socklen_t salen;

	snprintf(buf, len, "?");
	info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL || (sa = info->client_addr) == NULL)
		return;
	salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                  : sizeof(struct sockaddr_in);
	if (getnameinfo(sa, salen, buf, len, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, len, "?");
}

/* Returns the request's Origin if allow_origins lists it, else NULL. */
static const char *
api_cors_origin(struct MHD_Connection *conn)
{
	struct api_conn *ac = api_conn_of(conn);
	const struct config *cf;
	const char *origin;
	size_t i;

	if (ac == NULL)
		return NULL;
	cf = ac->ac_api->a_cf;
	origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	for (i = 0; origin != NULL && i < cf->cf_nallow_origins; i++) {
		if (strcasecmp(origin, cf->cf_allow_origins[i]) == 0)
			return origin;
	}
	return NULL;
}

/* Copies at most len - 1 bytes of s to buf, unprintable ones as '?'. */
static void
api_printable(char *buf, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
}

/*
 * Refuses a request with a JSON error and says so in one debug line:
 * the method and the client, never the URL's bytes or a header's value.
 */
static enum MHD_Result
api_refuse(const struct reply_req *rq, unsigned status, const char *message,
    const char *hname, const char *hvalue)
{
	char addr[NI_MAXHOST], meth[24];

	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		api_client_addr(rq->rq_conn, addr, sizeof addr);
		api_printable(meth, sizeof meth, rq->rq_method);
		log_debug("api: refused %s from %s: %u %s", meth, addr, status,
		    message);
	}
	return reply_error(rq, status, message, hname, hvalue);
}

/* Refuses a method ro does not allow: 405, with the table's Allow. */
static enum MHD_Result
api_refuse_method(const struct reply_req *rq, const struct route *ro)
{
	char allow[64], methods[64], message[96];

	route_methods(ro, ", ", allow, sizeof allow);
	route_methods(ro, " and ", methods, sizeof methods);
	snprintf(message, sizeof message, "only %s are allowed", methods);
	return api_refuse(rq, 405, message, MHD_HTTP_HEADER_ALLOW, allow);
}

/* Returns 1 if the request carries the API token (constant time). */
static int
api_authorized(struct api *a, struct MHD_Connection *conn)
{
	const char *auth, *token = a->a_cf->cf_api_token;
	size_t i, n, tn;
	unsigned char diff = 0;

	auth = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	auth += 7;
	n = strlen(auth);
	tn = strlen(token);
	/* Compare every byte whatever the lengths, so timing tells nothing. */
	for (i = 0; i < tn; i++)
		diff |= (unsigned char)(token[i] ^ (i < n ? auth[i] : 0));
	return diff == 0 && n == tn;
}

/* MHD header iterator: counts the Content-Length headers. */
static enum MHD_Result
api_count_length_cb(
    void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	unsigned *n = arg;

	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		(*n)++;
	return MHD_YES;
}

/*
 * Checks a request's head on MHD's first call, before any body is read:
 * MHD_YES to go on, or a refusal queued at once, after which MHD closes
 * the connection without reading the body.  Two lengths, or a length
 * and chunks, are how requests are smuggled past proxies: 400.
 */
static enum MHD_Result
api_check_head(const struct reply_req *rq, const char *url)
{
	struct MHD_Connection *conn = rq->rq_conn;
	struct api_conn *ac = api_conn_of(conn);
	struct route_match m;
	const char *te, *cl;
	unsigned ncl = 0;

	if (ac != NULL) {
		/* The head is in. */
		evtimer_del(ac->ac_deadline);
		event_del(ac->ac_hangup);
		if (ac->ac_url_len > API_URL_MAX)
			return api_refuse(rq, 414,
			    "the URL is longer than 2048 bytes", NULL, NULL);
	}
	te = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	cl = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	MHD_get_connection_values(
	    conn, MHD_HEADER_KIND, api_count_length_cb, &ncl);
	if (ncl > 1 || (ncl == 1 && te != NULL))
		return api_refuse(rq, 400,
		    "conflicting Content-Length or Transfer-Encoding", NULL,
		    NULL);
	/* "Content-Length: 0" announces no body. */
	if (te == NULL && (cl == NULL || cl[strspn(cl, "0")] == '\0'))
		return MHD_YES;
	route_find(url, &m);
	if (!route_allows(m.rm_route, rq->rq_method))
		return api_refuse_method(rq, m.rm_route);
	return api_refuse(rq, 413, "requests must not have a body", NULL, NULL);
}

/* Answers a CORS preflight from an allowed origin: 204 and the rules. */
static enum MHD_Result
api_preflight(const struct reply_req *rq)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (reply_common_headers(r) == -1 ||
	    MHD_add_response_header(r,
	        MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_METHODS,
	        "GET, HEAD") != MHD_YES ||
	    MHD_add_response_header(r, "Access-Control-Allow-Headers",
	        "Authorization, If-None-Match") != MHD_YES ||
	    MHD_add_response_header(
	        r, "Access-Control-Max-Age", API_CORS_MAX_AGE) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return reply_send(rq, MHD_HTTP_NO_CONTENT, r);
}

/*
 * Routes one request (MHD's access handler, through api_request_cb):
 * its row in the route table says which methods it allows, whether it
 * needs the token and which handler serves it (none: 404).
 */
static enum MHD_Result
api_answer(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req)
{
	static int seen_headers, seen_body;
	struct reply_req rq = {conn, method, NULL};
	const struct route *ro;
	struct route_match m;
	struct api *a = arg;

	rq.rq_origin = api_cors_origin(conn);
	/*
	 * MHD calls us once with the headers, again for each piece of a
	 * body, and once more at the end.  Answering on the first call
	 * would make MHD close the connection; we answer on the last.
	 */
	if (*req == NULL) {
		*req = &seen_headers;
		return api_check_head(&rq, url);
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		*req = &seen_body;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0 &&
	    rq.rq_origin != NULL)
		return api_preflight(&rq);
	route_find(url, &m);
	ro = m.rm_route;
	if (!route_allows(ro, method))
		return api_refuse_method(&rq, ro);
	if (*req == &seen_body)
		return api_refuse(
		    &rq, 413, "requests must not have a body", NULL, NULL);
	if (ro->ro_token && a->a_cf->cf_api_token != NULL &&
	    !api_authorized(a, conn))
		return api_refuse(&rq, 401, "missing or wrong bearer token",
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (ro->ro_handler == NULL)
		return reply_error(&rq, 404, "not found", NULL, NULL);
	return ro->ro_handler(a->a_handlers, &rq, &m);
}

/*
 * MHD's access handler: routes the request, then counts the response if
 * one was queued (the calls before the last, and MHD's own error pages,
 * queue none here).
 */
static enum MHD_Result
api_request_cb(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req)
{
	const union MHD_ConnectionInfo *info;
	struct api *a = arg;
	enum MHD_Result ret;

	ret = api_answer(arg, conn, url, method, version, upload_data,
	    upload_data_size, req);
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
	if (ret == MHD_YES && info != NULL)
		metrics_count_response(&a->a_counters, info->http_status);
	return ret;
}

/* Re-arms the timer from MHD's next deadline. */
static void
api_rearm(struct api *a)
{
	MHD_UNSIGNED_LONG_LONG ms;
	struct timeval tv;

	/*
	 * At http_max_connections MHD takes its listening socket out of
	 * epoll, and puts it back only when it runs again after a close:
	 * without this turn, queued clients would wait for unrelated events.
	 */
	if (a->a_run_again) {
		a->a_run_again = 0;
		ms = 0;
	} else if (MHD_get_timeout(a->a_mhd, &ms) != MHD_YES) {
		evtimer_del(a->a_timer);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->a_timer, &tv);
}

/* libevent callback for MHD's epoll fd and deadline timer. */
static void
api_run_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;

	if (MHD_run(a->a_mhd) != MHD_YES)
		log_debug("api: MHD_run failed");
	api_rearm(a);
}

/*
 * Decodes %XX in s as MHD would, but turns a decoded NUL into 0x01:
 * otherwise "/app.js%00.html" would end early and pass for "/app.js",
 * where the router and the file server now see a control byte and
 * answer 404.
 */
size_t
api_unescape(char *s)
{
	size_t i, n = MHD_http_unescape(s);

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			s[i] = '\x01';
	}
	return n;
}

/* MHD's unescaper for URLs and arguments: api_unescape. */
static size_t
api_unescape_cb(void *arg, struct MHD_Connection *conn, char *s)
{
	return api_unescape(s);
}

/*
 * Routes MHD's own messages to our log, shortened: the HTML page quoted
 * in "HTTP response code is 431 ('<html>...')" goes, and the limit
 * behind "Server reached connection limit" is named.
 */
static void
api_log_cb(void *arg, const char *fmt, va_list ap)
{
	static const char limit[] = "Server reached connection limit";
	char line[1024], *page, *end;
	size_t n;

	vsnprintf(line, sizeof line, fmt, ap);
	if ((page = strstr(line, " ('<")) != NULL &&
	    (end = strstr(page, "')")) != NULL)
		memmove(page, end + 2, strlen(end + 2) + 1);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '.'))
		line[--n] = '\0';
	log_debug("api: %s%s", line,
	    strncmp(line, limit, sizeof limit - 1) == 0
	        ? " (http_max_connections or http_max_connections_per_ip)"
	        : "");
}

/* Arms conn's deadline for the head of its next request. */
static void
api_conn_expect(struct api_conn *ac)
{
	struct timeval tv = {(time_t)ac->ac_api->a_head_s, 0};

	ac->ac_hung_up = 0;
	if (evtimer_add(ac->ac_deadline, &tv) == -1)
		log_debug("api: cannot arm a request deadline");
	/* Best effort: without EV_CLOSED the deadline still ends it. */
	(void)event_add(ac->ac_hangup, NULL);
}

/*
 * A request's head did not arrive in time (a client dribbling bytes
 * keeps MHD's idle timeout at bay), or its client went away halfway:
 * shut the socket down, and MHD, on reading the end of it, closes the
 * connection and frees it as usual.
 */
static void
api_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_conn *ac = arg;
	char addr[NI_MAXHOST];

	api_client_addr(ac->ac_conn, addr, sizeof addr);
	if (ac->ac_hung_up)
		log_debug("api: closing the connection from %s: the client "
		          "closed it before a complete request",
		    addr);
	else
		log_debug("api: closing the connection from %s: no complete "
		          "request within %us",
		    addr, ac->ac_api->a_head_s);
	if (shutdown(ac->ac_fd, SHUT_RDWR) == -1)
		log_debug("api: shutdown: %s", strerror(errno));
}

/*
 * The client closed its end while a head was due.  MHD, which reads a
 * socket only when epoll reports new data, misses an end that came with
 * the last bytes, and would count the connection until its timeout.  A
 * head that came with the end is read within the same turn of the loop,
 * so the deadline is brought forward a little, not to now.
 */
static void
api_hangup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval soon = {0, 100 * 1000};
	struct api_conn *ac = arg;

	ac->ac_hung_up = 1;
	if (evtimer_pending(ac->ac_deadline, NULL) &&
	    evtimer_add(ac->ac_deadline, &soon) == -1)
		log_debug("api: cannot arm a request deadline");
}

/* MHD's connection callback: a connection's context, from open to close. */
static void
api_notify_cb(void *arg, struct MHD_Connection *conn, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	struct api_conn *ac = *ctx;
	struct api *a = arg;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		a->a_run_again = 1;
		if (ac != NULL) {
			event_free(ac->ac_deadline);
			event_free(ac->ac_hangup);
			free(ac);
		}
		*ctx = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return;
	if ((ac = calloc(1, sizeof *ac)) == NULL ||
	    (ac->ac_deadline = evtimer_new(a->a_base, api_deadline_cb, ac)) ==
	        NULL ||
	    (ac->ac_hangup = event_new(a->a_base, info->connect_fd, EV_CLOSED,
	         api_hangup_cb, ac)) == NULL) {
		/* No deadline could be kept: do not serve it at all. */
		log_debug("api: out of memory, dropping a connection");
		if (ac != NULL && ac->ac_deadline != NULL)
			event_free(ac->ac_deadline);
		free(ac);
		(void)shutdown(info->connect_fd, SHUT_RDWR);
		return;
	}
	ac->ac_api = a;
	ac->ac_conn = conn;
	ac->ac_fd = info->connect_fd;
	*ctx = ac;
	api_conn_expect(ac);
}

/* MHD's URI callback: notes the request target's length, as sent. */
static void *
api_uri_cb(void *arg, const char *uri, struct MHD_Connection *conn)
{
	struct api_conn *ac = api_conn_of(conn);

	if (ac != NULL)
		ac->ac_url_len = strlen(uri);
	/* NULL keeps *req NULL for the access handler's first call. */
	return NULL;
}

/* MHD's request-completed callback: the next head is due in time. */
static void
api_completed_cb(void *arg, struct MHD_Connection *conn, void **req,
    enum MHD_RequestTerminationCode code)
{
	struct api_conn *ac = api_conn_of(conn);

	if (ac != NULL && code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		api_conn_expect(ac);
}

/* Starts MHD on cf's listen address; 0 or -1 (logged). */
static int
api_listen(struct api *a)
{
	const struct config *cf = a->a_cf;
	struct addrinfo hints, *ai = NULL;
	const union MHD_DaemonInfo *info;
	char port[8];
	unsigned flags =
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof port, "%u", cf->cf_listen_port);
	if ((rc = getaddrinfo(cf->cf_listen_host, port, &hints, &ai)) != 0) {
		log_errx("listen %s:%s: %s", cf->cf_listen_host, port,
		    gai_strerror(rc));
		return -1;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* Like MHD's limits, kept until a restart. */
	a->a_head_s = cf->cf_http_timeout_s;
	/* clang-format off */
	a->a_mhd = MHD_start_daemon(flags, 0, NULL, NULL, api_request_cb, a,
	    MHD_OPTION_EXTERNAL_LOGGER, api_log_cb, a,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, cf->cf_http_max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, cf->cf_http_max_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, cf->cf_http_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, cf->cf_http_memory,
	    MHD_OPTION_NOTIFY_CONNECTION, api_notify_cb, a,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed_cb, a,
	    MHD_OPTION_URI_LOG_CALLBACK, api_uri_cb, a,
	    MHD_OPTION_UNESCAPE_CALLBACK, api_unescape_cb, a,
	    MHD_OPTION_END);
	/* clang-format on */
	freeaddrinfo(ai);
	if (a->a_mhd == NULL) {
		log_errx("cannot listen on %s:%s (address in use or not "
		         "available?)",
		    cf->cf_listen_host, port);
		return -1;
	}
	info = MHD_get_daemon_info(a->a_mhd, MHD_DAEMON_INFO_BIND_PORT);
	a->a_port = info != NULL ? info->port : cf->cf_listen_port;
	info = MHD_get_daemon_info(a->a_mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		log_errx("libmicrohttpd has no epoll fd");
		return -1;
	}
	a->a_ev = event_new(
	    a->a_base, info->epoll_fd, EV_READ | EV_PERSIST, api_run_cb, a);
	a->a_timer = evtimer_new(a->a_base, api_run_cb, a);
	if (a->a_ev == NULL || a->a_timer == NULL ||
	    event_add(a->a_ev, NULL) == -1)
		return -1;
	api_rearm(a);
	return 0;
}

/* Runs MHD on the next turn of the loop (a stream was resumed). */
static void
api_kick_cb(void *arg)
{
	struct api *a = arg;
	struct timeval now = {0, 0};

	if (a->a_timer != NULL)
		evtimer_add(a->a_timer, &now);
}

/* The cache changed: event streams have news. */
static void
api_cache_changed_cb(struct cache_entry *e, void *arg)
{
	struct api *a = arg;

	(void)e;
	events_cache_changed(a->a_events);
}

/*
 * Listens to c's changes instead of the cache watched so far (NULL: to
 * none); 0, or -1 if c has no listener slot left.
 */
static int
api_watch_cache(struct api *a, struct cache *c)
{
	if (c != NULL && cache_add_listener(c, api_cache_changed_cb, a) == -1)
		return -1;
	if (a->a_cache != NULL)
		cache_remove_listener(a->a_cache, api_cache_changed_cb, a);
	a->a_cache = c;
	return 0;
}

/* Listens on cf's address and serves c on base; NULL on error (logged). */
struct api *
api_new(struct event_base *base, const struct config *cf, struct cache *c)
{
	struct api *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	a->a_base = base;
	a->a_cf = cf;
	a->a_events = events_new(base, c, cf->cf_max_streams,
	    (unsigned)((cf->cf_stream_idle_ms + 999) / 1000), api_kick_cb, a);
	if (a->a_events == NULL || api_listen(a) == -1 ||
	    (a->a_handlers = handlers_new(
	         base, cf, c, a->a_events, &a->a_counters)) == NULL)
		goto fail;
	if (api_watch_cache(a, c) == -1)
		goto fail;
	log_info("listening on http://%s%s%s:%u/",
	    strchr(cf->cf_listen_host, ':') ? "[" : "", cf->cf_listen_host,
	    strchr(cf->cf_listen_host, ':') ? "]" : "", a->a_port);
	return a;
fail:
	api_free(a);
	return NULL;
}

/* Stops listening, closes connections and frees a; NULL is allowed. */
void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	api_watch_cache(a, NULL);
	if (a->a_ev != NULL)
		event_free(a->a_ev);
	if (a->a_timer != NULL)
		event_free(a->a_timer);
	/* Ending the streams kicks the timer (api_kick_cb): it is gone. */
	a->a_ev = NULL;
	a->a_timer = NULL;
	/* MHD must not be stopped with streams suspended. */
	events_shutdown(a->a_events);
	if (a->a_mhd != NULL)
		MHD_stop_daemon(a->a_mhd);
	events_free(a->a_events);
	handlers_free(a->a_handlers);
	free(a);
}

/* Serves cf and c from now on (a reload); see api.h. */
int
api_reload(struct api *a, const struct config *cf, struct cache *c)
{
	/* Told of the new cache's changes before anything else changes. */
	if (cache_add_listener(c, api_cache_changed_cb, a) == -1)
		return -1;
	if (handlers_reload(a->a_handlers, cf, c) == -1) {
		cache_remove_listener(c, api_cache_changed_cb, a);
		return -1;
	}
	if (strcmp(cf->cf_listen_host, a->a_cf->cf_listen_host) != 0 ||
	    cf->cf_listen_port != a->a_cf->cf_listen_port)
		log_warnx("listen: a reload keeps listening where it was; "
		          "restart gatherd to move it");
	if (cf->cf_http_max_conns != a->a_cf->cf_http_max_conns ||
	    cf->cf_http_max_per_ip != a->a_cf->cf_http_max_per_ip ||
	    cf->cf_http_memory != a->a_cf->cf_http_memory ||
	    cf->cf_http_timeout_s != a->a_cf->cf_http_timeout_s)
		log_warnx("http_*: a reload keeps the HTTP server's limits; "
		          "restart gatherd to change them");
	a->a_cf = cf;
	cache_remove_listener(a->a_cache, api_cache_changed_cb, a);
	a->a_cache = c;
	events_set_cache(a->a_events, c);
	return 0;
}

/* Records how a reload went, for /readyz: err NULL if it worked. */
void
api_reload_result(struct api *a, const char *err)
{
	handlers_reload_result(a->a_handlers, err);
	metrics_count_reload(&a->a_counters, err == NULL);
}

/* Shows cl in /readyz, /api/v1/info and /metrics. */
int
api_set_cluster(struct api *a, const struct cluster *cl)
{
	handlers_set_cluster(a->a_handlers, cl);
	return 0;
}

/* Returns the bound port (useful when the config asked for port 0). */
uint16_t
api_port(const struct api *a)
{
	return a->a_port;
}
