/*
 * How a response of ours is made and queued.  Every response carries
 * the same security headers; JSON ones say so and are not cached
 * without asking, and vary with Accept-Encoding: a body made for one
 * request alone goes out in gzip when the client accepts it (shared
 * documents are compressed once, by doccache).  A request from an
 * origin allow_origins lists gets the CORS header: on its own response
 * directly, and on a copy of a shared one, which cannot name one
 * request's origin.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "gzip.h"
#include "render.h"
#include "reply.h"

/* Adds our security headers and Vary: vary to r; 0 or -1. */
static int
reply_headers(struct MHD_Response *r, const char *vary)
{
	if (MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") !=
	        MHD_YES ||
	    MHD_add_response_header(r, "Referrer-Policy", "no-referrer") !=
	        MHD_YES ||
	    MHD_add_response_header(r, "X-Frame-Options", "DENY") != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, vary) != MHD_YES)
		return -1;
	return 0;
}

/*
 * Adds the headers every response of ours carries; 0 or -1.  Vary:
 * Origin is there whether or not allow_origins is set (a reload may set
 * it): a cache must not hand one origin's answer to another.
 */
int
reply_common_headers(struct MHD_Response *r)
{
	return reply_headers(r, "Origin");
}

/*
 * Adds the headers of a response that may be sent in gzip, whether
 * this one is or not (and of its 304s): a cache must not hand the gzip
 * form to a client that did not ask for it, nor keep the identity one
 * for all.  0 or -1.
 */
int
reply_encoded_headers(struct MHD_Response *r)
{
	return reply_headers(r, "Origin, Accept-Encoding");
}

/* Adds the headers every JSON response carries; 0 or -1. */
int
reply_json_headers(struct MHD_Response *r)
{
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	        "application/json") != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    reply_encoded_headers(r) == -1)
		return -1;
	return 0;
}

/* Returns 1 if the request's Accept-Encoding lets us answer in gzip. */
int
reply_accepts_gzip(const struct reply_req *rq)
{
	return gzip_accepted(MHD_lookup_connection_value(
	    rq->rq_conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

/* Queues r, made for this request alone, with CORS headers if due. */
enum MHD_Result
reply_queue(const struct reply_req *rq, unsigned status, struct MHD_Response *r)
{
	if (rq->rq_origin != NULL &&
	    MHD_add_response_header(r,
	        MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
	        rq->rq_origin) != MHD_YES)
		return MHD_NO;
	return MHD_queue_response(rq->rq_conn, status, r);
}

/* Queues r (see reply_queue) and lets it go: MHD keeps it while needed. */
enum MHD_Result
reply_send(const struct reply_req *rq, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	ret = reply_queue(rq, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A shared response's headers being copied, and whether all were. */
struct reply_copy {
	struct MHD_Response *cp_to;
	int cp_failed;
};

/* MHD header iterator: adds one header to the copy. */
static enum MHD_Result
reply_copy_header_cb(
    void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct reply_copy *cp = arg;

	/* MHD adds these itself as it sends. */
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0 ||
	    strcasecmp(key, MHD_HTTP_HEADER_DATE) == 0 ||
	    strcasecmp(key, MHD_HTTP_HEADER_CONNECTION) == 0)
		return MHD_YES;
	if (MHD_add_response_header(cp->cp_to, key, value) != MHD_YES) {
		cp->cp_failed = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/*
 * Queues r, a response shared by many requests, whose body is body.  A
 * request from an allowed origin gets a copy of it that also carries
 * the CORS header: a shared response cannot name one request's origin.
 */
enum MHD_Result
reply_queue_shared(const struct reply_req *rq, unsigned status,
    struct MHD_Response *r, const char *body, size_t len)
{
	struct reply_copy cp = {NULL, 0};
	enum MHD_Result ret;

	if (rq->rq_origin == NULL)
		return MHD_queue_response(rq->rq_conn, status, r);
	cp.cp_to = MHD_create_response_from_buffer(
	    len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (cp.cp_to == NULL)
		return MHD_NO;
	MHD_get_response_headers(r, reply_copy_header_cb, &cp);
	ret = cp.cp_failed ? MHD_NO : reply_queue(rq, status, cp.cp_to);
	MHD_destroy_response(cp.cp_to);
	return ret;
}

/* Returns a response owning the malloc'd body; NULL on error. */
struct MHD_Response *
reply_json(char *body, size_t len)
{
	struct MHD_Response *r;

	if (body == NULL)
		return NULL;
	r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (r == NULL) {
		free(body);
		return NULL;
	}
	if (reply_json_headers(r) == -1) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* Queues a JSON error; extra header name/value may be NULL. */
enum MHD_Result
reply_error(const struct reply_req *rq, unsigned status, const char *message,
    const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	size_t len = 0;
	char *body;

	body = render_error((int)status, message, &len);
	if ((r = reply_json(body, len)) == NULL)
		return MHD_NO;
	if (hname != NULL &&
	    MHD_add_response_header(r, hname, hvalue) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return reply_send(rq, status, r);
}

/*
 * Queues a JSON body rendered for this request alone, in gzip if the
 * client accepts it and it is big enough to gain: compressed per
 * request, as nothing else will send it.
 */
enum MHD_Result
reply_once(const struct reply_req *rq, char *body, size_t len)
{
	struct MHD_Response *r;
	size_t gzlen = 0;
	char *gz = NULL;

	if (body != NULL && len >= GZIP_MIN_BODY && reply_accepts_gzip(rq) &&
	    (gz = gzip_compress(body, len, GZIP_LEVEL, &gzlen)) != NULL) {
		free(body);
		body = gz;
		len = gzlen;
	}
	if ((r = reply_json(body, len)) == NULL)
		return reply_error(rq, 500, "cannot render", NULL, NULL);
	if (gz != NULL &&
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return reply_send(rq, MHD_HTTP_OK, r);
}

/* Adds our headers to an event stream's response (events_decorate_cb). */
int
reply_decorate_cb(
    void *arg, struct MHD_Connection *conn, struct MHD_Response *r)
{
	const struct reply_req *rq = arg;

	if (reply_common_headers(r) == -1 ||
	    (rq->rq_origin != NULL &&
	        MHD_add_response_header(r,
	            MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
	            rq->rq_origin) != MHD_YES))
		return -1;
	return 0;
}

/* Queues a 304 for a client holding etag (ETag as the header shows it),
 * with the Vary of the response it stands for. */
enum MHD_Result
reply_not_modified(const struct reply_req *rq, const char *etag)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag) != MHD_YES ||
	    MHD_add_response_header(
	        r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES ||
	    reply_encoded_headers(r) == -1) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return reply_send(rq, MHD_HTTP_NOT_MODIFIED, r);
}
