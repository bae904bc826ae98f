/*
 * Serves the OpenAPI description built into the binary: one response,
 * made at start and shared by every request, and a strong ETag from the
 * document's CRC-32 and length, which change only with the bytes.  It
 * is public, like the probes: it describes the API, not this instance,
 * and a client must be able to read how to authenticate before it can.
 */
#include <stdio.h>
#include <stdlib.h>

#include <zlib.h>

#include "doccache.h"
#include "openapi.h"

struct openapi {
	struct MHD_Response *oa_resp;
	char oa_etag[40]; /* "crc32-length", quotes included */
};

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
	free(o);
}

/* Queues the document, or a 304 for a client that has it. */
enum MHD_Result
openapi_serve(const struct openapi *o, const struct reply_req *rq)
{
	const char *inm;

	inm = MHD_lookup_connection_value(
	    rq->rq_conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (doccache_etag_matches(inm, o->oa_etag))
		return reply_not_modified(rq, o->oa_etag);
	return reply_queue_shared(rq, MHD_HTTP_OK, o->oa_resp,
	    (const char *)openapi_doc, openapi_doc_len);
}
