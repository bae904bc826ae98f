/*
 * Serves the OpenAPI description built into the binary: one response,
 * made at start and shared by every request, and a strong ETag from the
 * document's CRC-32 and length, which change only with the bytes.  It
 * is public, like the probes: it describes the API, not this instance,
 * and a client must be able to read how to authenticate before it can.
 * Its gzip form (level 9, about a tenth of the size) is made at start
 * too, with an ETag of its own, for clients that accept it.
 */
#include <stdio.h>
#include <stdlib.h>

#include <zlib.h>

#include "doccache.h"
#include "gzip.h"
#include "openapi.h"

struct openapi {
	struct MHD_Response *oa_resp;
	char oa_etag[40]; /* "crc32-length", quotes included */
	struct MHD_Response *oa_gz_resp; /* NULL if it could not be made */
	char *oa_gz;
	size_t oa_gz_len;
	char oa_etag_gz[48]; /* "crc32-length-gz" */
};

/* Makes the gzip form's response; 0, or -1 (the identity form serves). */
static int
openapi_gzip(struct openapi *o)
{
	o->oa_gz = gzip_compress(
	    (const char *)openapi_doc, openapi_doc_len, 9, &o->oa_gz_len);
	if (o->oa_gz == NULL)
		return -1;
	snprintf(o->oa_etag_gz, sizeof o->oa_etag_gz, "\"%08lx-%zu-gz\"",
	    crc32(0L, openapi_doc, (uInt)openapi_doc_len), openapi_doc_len);
	o->oa_gz_resp = MHD_create_response_from_buffer(
	    o->oa_gz_len, o->oa_gz, MHD_RESPMEM_PERSISTENT);
	if (o->oa_gz_resp == NULL || reply_json_headers(o->oa_gz_resp) == -1 ||
	    MHD_add_response_header(o->oa_gz_resp,
	        MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES ||
	    MHD_add_response_header(o->oa_gz_resp, MHD_HTTP_HEADER_ETAG,
	        o->oa_etag_gz) != MHD_YES) {
		if (o->oa_gz_resp != NULL)
			MHD_destroy_response(o->oa_gz_resp);
		o->oa_gz_resp = NULL;
		return -1;
	}
	return 0;
}

/* Creates the document's response and ETag; see openapi.h. */
struct openapi *
openapi_new(void)
{
	struct openapi *o;
	uLong crc;

	if ((o = calloc(1, sizeof *o)) == NULL)
		return NULL;
	crc = crc32(0L, openapi_doc, (uInt)openapi_doc_len);
	snprintf(o->oa_etag, sizeof o->oa_etag, "\"%08lx-%zu\"",
	    (unsigned long)crc, openapi_doc_len);
	o->oa_resp = MHD_create_response_from_buffer(
	    openapi_doc_len, (void *)openapi_doc, MHD_RESPMEM_PERSISTENT);
	if (o->oa_resp == NULL || reply_json_headers(o->oa_resp) == -1 ||
	    MHD_add_response_header(
	        o->oa_resp, MHD_HTTP_HEADER_ETAG, o->oa_etag) != MHD_YES)
		goto fail;
	(void)openapi_gzip(o);
	return o;
fail:
	openapi_free(o);
	return NULL;
}

/* Frees o; NULL is allowed. */
void
openapi_free(struct openapi *o)
{
	if (o == NULL)
		return;
	if (o->oa_resp != NULL)
		MHD_destroy_response(o->oa_resp);
	if (o->oa_gz_resp != NULL)
		MHD_destroy_response(o->oa_gz_resp);
	free(o->oa_gz);
	free(o);
}

/* Queues the document, in gzip to a client that accepts it, or a 304
 * for a client that has it in either form. */
enum MHD_Result
openapi_serve(const struct openapi *o, const struct reply_req *rq)
{
	int gzip = o->oa_gz_resp != NULL && reply_accepts_gzip(rq);
	const char *inm;

	inm = MHD_lookup_connection_value(
	    rq->rq_conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (doccache_etag_matches(inm, o->oa_etag) ||
	    (o->oa_gz_resp != NULL &&
	        doccache_etag_matches(inm, o->oa_etag_gz)))
		return reply_not_modified(
		    rq, gzip ? o->oa_etag_gz : o->oa_etag);
	if (gzip)
		return reply_queue_shared(
		    rq, MHD_HTTP_OK, o->oa_gz_resp, o->oa_gz, o->oa_gz_len);
	return reply_queue_shared(rq, MHD_HTTP_OK, o->oa_resp,
	    (const char *)openapi_doc, openapi_doc_len);
}
