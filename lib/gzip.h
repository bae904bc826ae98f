/*
 * The API's one content coding, gzip: whether a request's
 * Accept-Encoding lets us send it (RFC 9110 section 12.5.3: q-values,
 * "*", identity, names in any case), and the gzip form of a body, made
 * in one call or a piece at a time for bodies rendered as they are sent.
 * The only file that includes zlib for compression.
 */
#ifndef GATHERD_GZIP_H
#define GATHERD_GZIP_H

#include <stddef.h>

/* Bodies shorter than this are sent as they are: gzip would not pay. */
#define GZIP_MIN_BODY 256
/* zlib's level for the API's bodies (see README, Compression). */
#define GZIP_LEVEL 1

struct gzip_stream;

/*
 * Returns 1 if a request whose Accept-Encoding is ae (NULL: none) is
 * best answered in gzip: gzip (or x-gzip, or "*" when gzip is not
 * named) has a q-value above 0 and not below identity's, if identity
 * is named (itself or through "*").  0 otherwise.
 */
int gzip_accepted(const char *ae);
/*
 * Returns len bytes of in as one gzip member (a new buffer the caller
 * frees) and its length in *outlen; NULL if out of memory.
 */
char *gzip_compress(const char *in, size_t len, int level, size_t *outlen);
/* Starts a gzip member made a piece at a time; NULL if out of memory. */
struct gzip_stream *gzip_stream_new(int level);
/* Returns 1 if gs has used up its input and wants more (not after end). */
int gzip_stream_hungry(const struct gzip_stream *gs);
/*
 * Gives gs the next len bytes of the body (end: the last ones); in must
 * stay as it is until gzip_stream_hungry says so.
 */
void
gzip_stream_feed(struct gzip_stream *gs, const char *in, size_t len, int end);
/*
 * Writes what gs has compressed so far into out, at most max bytes;
 * returns how many (0: it needs input, or the member is complete),
 * or -1 on error.
 */
long gzip_stream_drain(struct gzip_stream *gs, char *out, size_t max);
/* Returns 1 once the whole member has been drained. */
int gzip_stream_done(const struct gzip_stream *gs);
/* Frees gs; NULL is allowed. */
void gzip_stream_free(struct gzip_stream *gs);

#endif
