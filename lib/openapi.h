/*
 * GET /api/v1/openapi.json: the OpenAPI 3.1 description of the HTTP API.
 * The document is lib/openapi.json, the one copy in the tree, built into
 * the binary as bytes (lib/Makefile.am makes openapi_doc.c from it), so
 * it is the same for every gatherd of a version and needs no file at
 * run time.  It is served as one shared response with a strong ETag.
 */
#ifndef GATHERD_OPENAPI_H
#define GATHERD_OPENAPI_H

#include <stddef.h>

#include <microhttpd.h>

#include "reply.h"

struct openapi;

/* The bytes of lib/openapi.json (openapi_doc.c, made by the build). */
extern const unsigned char openapi_doc[];
/* How many bytes openapi_doc holds. */
extern const size_t openapi_doc_len;

/* Creates the document's response and ETag; NULL if out of memory. */
struct openapi *openapi_new(void);
/* Frees o (MHD keeps the response while it is sent); NULL is allowed. */
void openapi_free(struct openapi *o);
/* Queues the document, or a 304 if If-None-Match names its ETag. */
enum MHD_Result
openapi_serve(const struct openapi *o, const struct reply_req *rq);

#endif
