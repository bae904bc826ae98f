/*
 * What the fake upstream's files share: its knobs, the server struct,
 * the reply helpers of fake_upstream.c and the route handlers of each
 * family (fake_series.c, fake_bodies.c, fake_http.c, fake_transfer.c,
 * fake_echo.c) for the route tables.  Private to the fake: tests use
 * fake_upstream.h.
 */
#ifndef FAKE_PRIVATE_H
#define FAKE_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/linkhash.h>
#include <microhttpd.h>

#include "fake_upstream.h"

/* Longest delay_ms or every_ms accepted; larger values are clamped. */
#define FU_MAX_DELAY_MS 120000ULL
/* Most distinct name=X series per route. */
#define FU_MAX_NAMES 100000
/* First value of every /stats total counter. */
#define FU_STATS_START 1000UL
/* Default and largest /huge body. */
#define FU_HUGE_DEFAULT (16ULL * 1024 * 1024)
#define FU_HUGE_MAX (1024ULL * 1024 * 1024)
/* Largest /hostile body. */
#define FU_HOSTILE_MAX (16ULL * 1024 * 1024)
/* Default /drip body size and byte interval. */
#define FU_DRIP_DEFAULT 64ULL
#define FU_DRIP_EVERY_DEFAULT 500ULL
/* Default and largest decompressed /gzipbomb body. */
#define FU_BOMB_DEFAULT (64ULL * 1024 * 1024)
#define FU_BOMB_MAX (1024ULL * 1024 * 1024)
/* Body size /reset promises, and the default and largest part it sends. */
#define FU_RESET_SIZE 10000ULL
#define FU_RESET_DEFAULT 100ULL
#define FU_RESET_MAX (FU_RESET_SIZE - 1)
/* Longest wait, in ms, for a /reset body to leave before the reset. */
#define FU_DRAIN_MS 1000
/* Default /etag tag, its Last-Modified date and the longest tag= taken. */
#define FU_ETAG_DEFAULT "v42"
#define FU_LAST_MODIFIED "Sat, 21 Nov 2026 10:00:00 GMT"
#define FU_TAG_MAX 128
/* Most /timed arrival times kept. */
#define FU_TIMED_MAX 4096
/* Nesting depth of /deep. */
#define FU_DEEP_LEVELS 1000
/* Block size for generated bodies. */
#define FU_BLOCK_SIZE (64 * 1024)
/* How often a sleeping request checks whether its client went away. */
#define FU_SLICE_MS 100
/* Connection limit, listen backlog and wanted file descriptor limit. */
#define FU_CONN_LIMIT 4000U
#define FU_BACKLOG 1024U
#define FU_WANT_NOFILE 16384

/* Largest request body an upload route reads; past it, too_large. */
#define FU_BODY_MAX (1024 * 1024)

/* Media types used by the routes. */
#define FU_JSON "application/json"
#define FU_HTML "text/html; charset=utf-8"

struct fu_token;

/* The analytics API fakes (fake_api_*.c), each with a state slot. */
enum fu_api {
	FU_API_GA4,
	FU_API_PLAUSIBLE,
	FU_API_MIXPANEL,
	FU_API_AMPLITUDE,
	FU_API_POSTHOG,
	FU_API_MATOMO,
	FU_API_UMAMI,
	FU_API_STRIPE,
	FU_API_GITHUB,
	FU_API_CLOUDFLARE,
	FU_API_COUNT
};

/* One copied request header. */
struct fu_header {
	char *name;
	char *value;
};

/* A counted series: the /stats total and the /flaky cycle position. */
struct fu_series {
	unsigned long total;
	unsigned long cycle;
};

/* The server: daemon, counters and the most recent request. */
struct fake_upstream {
	struct MHD_Daemon *daemon;
	unsigned short port;
	bool have_lock;
	bool have_wake;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stopping;
	unsigned long requests;
	unsigned long connections; /* accepted */
	unsigned inflight;
	unsigned max_inflight;
	struct fu_series stats;
	struct fu_series flaky;
	struct fu_series flap;
	struct lh_table *stats_names;
	struct lh_table *flaky_names;
	struct lh_table *flap_names;
	char *last_path;
	struct fu_header *last_headers;
	size_t last_nheaders;
	char *rewrite; /* "/path?k=v" that /stats requests get */
	char *rewrite_name; /* only for this name=, or every one if NULL */
	struct fu_token *token; /* POST /token and GET /authed */
	int64_t timed[FU_TIMED_MAX]; /* /timed arrivals, monotonic ms */
	size_t ntimed;
	void *api[FU_API_COUNT]; /* each analytics API fake's own state */
	void (*api_free[FU_API_COUNT])(void *);
};

/* A request as an upload route sees it: its method and whole body. */
struct fu_upload {
	const char *url; /* the path, without the query */
	const char *method;
	const char *data; /* NUL-terminated; "" when there was none */
	size_t len;
	bool too_large; /* over FU_BODY_MAX: data is cut short */
};

/* One response header to add; a NULL name or value leaves it out. */
struct fu_rhdr {
	const char *name;
	const char *value;
};

/* Body of /html, also a /flaky answer (fake_bodies.c). */
extern const char fu_html_body[];
/* Body of /truncated, also a /flaky answer (fake_bodies.c). */
extern const char fu_truncated_body[];

/* fake_upstream.c: waits and replies. */
/* Sleeps MS ms; -1 early if the server stops or the client on FD leaves. */
int fu_sleep(struct fake_upstream *fu, int fd, uint64_t ms);
/* Returns the socket of CONN, or -1 if MHD does not say. */
int fu_conn_fd(struct MHD_Connection *conn);
/* Reads query argument KEY as digits clamped to MAX; -1 if malformed. */
int fu_arg_num(struct MHD_Connection *conn, const char *key, uint64_t def,
    uint64_t max, uint64_t *out);
/* Adds CTYPE (NULL: none) and N headers to RESP, queues it, releases it. */
enum MHD_Result fu_queue(struct MHD_Connection *conn, unsigned status,
    struct MHD_Response *resp, const char *ctype, const struct fu_rhdr *hdrs,
    size_t n);
/* Queues a copy of BODY with a content type (NULL: none) and N headers. */
enum MHD_Result
fu_reply_list(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len, const struct fu_rhdr *hdrs, size_t n);
/* Queues a copy of BODY with a content type and an optional header. */
enum MHD_Result
fu_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hvalue);
/* Queues the small JSON body FMT makes, with an optional header. */
enum MHD_Result fu_reply_json(struct MHD_Connection *conn, unsigned status,
    const char *hname, const char *hvalue, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Queues the JSON error {"error":MSG} with STATUS. */
enum MHD_Result
fu_error(struct MHD_Connection *conn, unsigned status, const char *msg);

/* A route: answers a complete request on CONN. */
typedef enum MHD_Result
fu_route_fn(struct fake_upstream *fu, struct MHD_Connection *conn);

/* An upload route: answers a complete request of any method, body read. */
typedef enum MHD_Result fu_upload_fn(struct fake_upstream *fu,
    struct MHD_Connection *conn, const struct fu_upload *body);

/*
 * Returns fu's state for api, made by make on first use and freed by
 * free_fn when fu stops; NULL if out of memory.  The state's own lock,
 * if it needs one, is its own.
 */
void *fu_api_state(struct fake_upstream *fu, enum fu_api api,
    void *(*make)(void), void (*free_fn)(void *));

/* fake_series.c: counted series. */
/* Route /stats: a growing counter, shared or per name=X. */
fu_route_fn fu_route_stats;
/* Route /flaky: cycles through good, 503, 502 HTML and truncated. */
fu_route_fn fu_route_flaky;
/* Route /flap: alternates a /stats answer and a 500, shared or per name. */
fu_route_fn fu_route_flap;

/* fake_bodies.c: broken or unexpected bodies. */
/* Answers PATH's fixed body if it has one; 0 and *ret set, or -1. */
int fu_route_body(
    struct MHD_Connection *conn, const char *path, enum MHD_Result *ret);
/* Route /deep: objects nested FU_DEEP_LEVELS deep. */
fu_route_fn fu_route_deep;

/* fake_http.c: statuses, rate-limit headers, validators, redirects. */
/* Route /status/CODE: answers with status CODE (the path after /status/);
 * retry_after, x_ratelimit_reset, ratelimit_reset and
 * x_ratelimit_remaining set those headers. */
enum MHD_Result fu_route_status(struct MHD_Connection *conn, const char *code);
/* Route /etag?tag=X: a document with validators, 304 when they match. */
fu_route_fn fu_route_etag;
/* Route /redirect?to=URL&code=C: a redirect (301/302/303/307/308) to URL. */
fu_route_fn fu_route_redirect;
/* Route /loop: a redirect to itself. */
fu_route_fn fu_route_loop;

/* fake_transfer.c: big, slow, compressed and reset bodies. */
/* Route /gzip: a small gzip-encoded JSON document. */
fu_route_fn fu_route_gzip;
/* Route /huge?bytes=N&chunked=1: a big valid JSON document. */
fu_route_fn fu_route_huge;
/* Route /drip?bytes=N&every_ms=M: a JSON document sent byte by byte. */
fu_route_fn fu_route_drip;
/* Route /gzipbomb?bytes=N: gzip of a valid JSON document of N bytes. */
fu_route_fn fu_route_gzipbomb;
/* Route /reset?after=N: N bytes of a promised 10000, then a reset. */
fu_route_fn fu_route_reset;

/* fake_token.c: a token endpoint and the API that wants its tokens. */
/* Returns a new token endpoint's state, or NULL. */
struct fu_token *fu_token_new(void);
/* Frees the token endpoint's state; NULL is allowed. */
void fu_token_free(struct fu_token *t);
/* Route POST /token: an OAuth 2.0 token endpoint (body: the form). */
enum MHD_Result
fu_route_token(struct fake_upstream *fu, struct MHD_Connection *conn,
    const char *method, const char *body, size_t len);
/* Route GET /authed: stats for a bearer /token issued, else 401. */
enum MHD_Result
fu_route_authed(struct fake_upstream *fu, struct MHD_Connection *conn);
/* fake_echo.c: what the client sent (an upload route: any method). */
/* Route /echo: the request's method, body and credentials as JSON. */
fu_upload_fn fu_route_echo;

/* fake_timed.c: requests timed on arrival. */
/* Route /timed?name=X: records the arrival time, then answers as /stats. */
enum MHD_Result
fu_route_timed(struct fake_upstream *fu, struct MHD_Connection *conn);

/* fake_inband.c: real APIs' answers with status 200, errors among them. */
/* Route /inband/NAME: the answer called name, or 404. */
enum MHD_Result fu_route_inband(struct MHD_Connection *conn, const char *name);

/* fake_hostile.c: valid JSON built to make jq work. */
/* Route /hostile?shape=S&bytes=N: one array of numbers, objects or deep
 * arrays, of about N bytes. */
fu_route_fn fu_route_hostile;

/* fake_api_*.c: the analytics API fakes, by path prefix "/HOST/". */
/* Route /plausible.io/: Plausible's Stats API v2 (fake_api_plausible.c). */
fu_upload_fn fu_api_plausible;
/* Route /us.posthog.com/: PostHog's query API (fake_api_posthog.c). */
fu_upload_fn fu_api_posthog;
/* Route /analyticsdata.googleapis.com/: the GA4 Data API
 * (fake_api_ga4.c). */
fu_upload_fn fu_api_ga4;
/* Route /api.github.com/: GitHub's REST API, "Get a repository"
 * (fake_api_github.c). */
fu_upload_fn fu_api_github;
/* Route /matomo.example.com/: Matomo's Reporting API (fake_api_matomo.c). */
fu_upload_fn fu_api_matomo;
/* Route /api.cloudflare.com/: Cloudflare's GraphQL Analytics API
 * (fake_api_cloudflare.c). */
fu_upload_fn fu_api_cloudflare;
/* Route /mixpanel.com/: Mixpanel's segmentation query
 * (fake_api_mixpanel.c). */
fu_upload_fn fu_api_mixpanel;
/* Route /api.stripe.com/: Stripe's list of charges (fake_api_stripe.c). */
fu_upload_fn fu_api_stripe;
/* Route /amplitude.com/: Amplitude's event segmentation
 * (fake_api_amplitude.c). */
fu_upload_fn fu_api_amplitude;
/* Route /api.umami.is/: Umami Cloud's website stats (fake_api_umami.c). */
fu_upload_fn fu_api_umami;

#endif /* FAKE_PRIVATE_H */
