/*
 * How a response of ours is made and queued: the headers every response
 * carries (nosniff, no referrer, no framing, Vary: Origin), the JSON
 * ones (Vary: Accept-Encoding too), whether a request accepts gzip, the
 * CORS header for an allowed origin, shared responses copied for such a
 * request, and JSON error bodies.  The server (api), the
 * document cache and the handlers all answer through it.
 */
#ifndef GATHERD_REPLY_H
#define GATHERD_REPLY_H

#include <stddef.h>

#include <microhttpd.h>

/* For the dashboard's files: nothing but our own, nothing inline. */
#define REPLY_CSP                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; "        \
	"base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

/* One request being answered: what every reply needs to know of it. */
struct reply_req {
	struct MHD_Connection *rq_conn;
	const char *rq_method;
	const char *rq_origin; /* an allowed CORS origin, or NULL */
};

/* Adds the headers every response of ours carries; 0 or -1. */
int reply_common_headers(struct MHD_Response *r);
/* Adds them with Vary: Origin, Accept-Encoding (gzip or not); 0 or -1. */
int reply_encoded_headers(struct MHD_Response *r);
/* Adds the headers every JSON response carries; 0 or -1. */
int reply_json_headers(struct MHD_Response *r);
/* Returns a JSON response owning the malloc'd body; NULL on error. */
struct MHD_Response *reply_json(char *body, size_t len);
/* Returns 1 if the request's Accept-Encoding lets us answer in gzip. */
int reply_accepts_gzip(const struct reply_req *rq);
/* Queues r, made for this request alone, with CORS headers if due. */
enum MHD_Result reply_queue(
    const struct reply_req *rq, unsigned status, struct MHD_Response *r);
/* Queues r, made for this request alone, and lets go of it. */
enum MHD_Result
reply_send(const struct reply_req *rq, unsigned status, struct MHD_Response *r);
/* Queues r, shared by many requests, whose body is body (len bytes). */
enum MHD_Result reply_queue_shared(const struct reply_req *rq, unsigned status,
    struct MHD_Response *r, const char *body, size_t len);
/* Queues a JSON error; extra header name/value may be NULL. */
enum MHD_Result reply_error(const struct reply_req *rq, unsigned status,
    const char *message, const char *hname, const char *hvalue);
/* Queues a JSON body rendered for this request alone, in gzip if the
 * client accepts it; owns body. */
enum MHD_Result reply_once(const struct reply_req *rq, char *body, size_t len);
/* Queues a 304 (no body) for a client holding etag, as its header shows. */
enum MHD_Result
reply_not_modified(const struct reply_req *rq, const char *etag);
/* Adds our headers to an event stream's response; arg is the reply_req. */
int reply_decorate_cb(
    void *arg, struct MHD_Connection *conn, struct MHD_Response *r);

#endif
