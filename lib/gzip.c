/*
 * gzip for the API's responses.  The Accept-Encoding parser follows RFC
 * 9110: each coding's q-value in thousandths, "*" standing for codings
 * not named, identity acceptable unless refused but preferred only if
 * named (itself or through "*") with a q-value above gzip's; a q-value
 * it cannot read refuses its coding, so a garbled header never gets
 * gzip by mistake.  Compression is zlib's deflate with the gzip wrapper, one
 * call for a whole body, or a stream for a body rendered as it is sent.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "gzip.h"

/* zlib's window for the gzip wrapper: 2^15 bytes, plus 16 for gzip. */
#define GZIP_WINDOW_BITS (15 + 16)
/* zlib's default memory level (128 KB for the hash chains). */
#define GZIP_MEM_LEVEL 8
/* A q-value of 1, in thousandths. */
#define GZIP_Q_ONE 1000

/* A gzip member being made a piece at a time. */
struct gzip_stream {
	z_stream gs_z;
	int gs_end; /* the last input has been fed */
	int gs_done; /* Z_STREAM_END came out */
};

/* Returns 1 if c is HTTP's optional white space. */
static int
gzip_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Reads the q-value s (n bytes, "0", "0.5", "1.000"...) in thousandths;
 * -1 if it is not one.
 */
static int
gzip_qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * GZIP_Q_ONE;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > GZIP_Q_ONE ? -1 : q;
}

/*
 * Reads the parameters of one element, p to end (each ";" OWS name "="
 * value OWS): returns its weight in thousandths, 1000 if it has none,
 * 0 if its q is not a q-value.
 */
static int
gzip_weight(const char *p, const char *end)
{
	const char *param, *stop;
	int q = GZIP_Q_ONE;

	while (p < end) {
		if (*p != ';')
			return 0;
		for (param = p + 1; param < end && gzip_ows(*param); param++)
			;
		for (p = param; p < end && *p != ';'; p++)
			;
		for (stop = p; stop > param && gzip_ows(stop[-1]); stop--)
			;
		if (stop - param >= 2 && strncasecmp(param, "q=", 2) == 0 &&
		    (q = gzip_qvalue(param + 2, (size_t)(stop - param - 2))) ==
		        -1)
			return 0;
	}
	return q;
}

/* Returns 1 if the coding s (n bytes) is name, in any case. */
static int
gzip_is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* Decides whether ae lets us answer in gzip; see gzip.h. */
int
gzip_accepted(const char *ae)
{
	int gz = -1, star = -1, identity = -1, q, id;
	const char *p, *end, *stop, *name, *params;
	size_t n;

	if (ae == NULL)
		return 0;
	for (p = ae; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (name = p; name < end && gzip_ows(*name); name++)
			;
		for (stop = end; stop > name && gzip_ows(stop[-1]); stop--)
			;
		for (n = 0;
		     name + n < stop && name[n] != ';' && !gzip_ows(name[n]);
		     n++)
			;
		if (n == 0)
			continue;
		for (params = name + n; params < stop && gzip_ows(*params);
		     params++)
			;
		q = gzip_weight(params, stop);
		if (gzip_is(name, n, "gzip") || gzip_is(name, n, "x-gzip"))
			gz = q > gz ? q : gz;
		else if (gzip_is(name, n, "*"))
			star = q;
		else if (gzip_is(name, n, "identity"))
			identity = q;
	}
	if (gz == -1)
		gz = star == -1 ? 0 : star;
	/* Identity not named is acceptable, but preferred to nothing. */
	id = identity != -1 ? identity : star != -1 ? star : 0;
	return gz > 0 && gz >= id;
}

/* Starts deflate with the gzip wrapper on z; 0 or -1. */
static int
gzip_init(z_stream *z, int level)
{
	memset(z, 0, sizeof *z);
	return deflateInit2(z, level, Z_DEFLATED, GZIP_WINDOW_BITS,
	           GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY) == Z_OK
	    ? 0
	    : -1;
}

/* Compresses a whole body into one gzip member; see gzip.h. */
char *
gzip_compress(const char *in, size_t len, int level, size_t *outlen)
{
	unsigned long bound;
	char *out = NULL;
	z_stream z;

	if (len > UINT_MAX || gzip_init(&z, level) == -1)
		return NULL;
	bound = deflateBound(&z, (uLong)len);
	if (bound > UINT_MAX || (out = malloc(bound)) == NULL)
		goto fail;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)bound;
	/* deflateBound's room is enough for one Z_FINISH. */
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		goto fail;
	*outlen = (size_t)z.total_out;
	deflateEnd(&z);
	return out;
fail:
	free(out);
	deflateEnd(&z);
	return NULL;
}

/* Starts a gzip member made a piece at a time; see gzip.h. */
struct gzip_stream *
gzip_stream_new(int level)
{
	struct gzip_stream *gs;

	if ((gs = calloc(1, sizeof *gs)) == NULL)
		return NULL;
	if (gzip_init(&gs->gs_z, level) == -1) {
		free(gs);
		return NULL;
	}
	return gs;
}

/* Returns 1 if gs wants more input; see gzip.h. */
int
gzip_stream_hungry(const struct gzip_stream *gs)
{
	return !gs->gs_end && gs->gs_z.avail_in == 0;
}

/* Gives gs the next piece of the body; see gzip.h. */
void
gzip_stream_feed(struct gzip_stream *gs, const char *in, size_t len, int end)
{
	gs->gs_z.next_in = (Bytef *)(uintptr_t)in;
	gs->gs_z.avail_in = (uInt)len;
	gs->gs_end = end;
}

/* Writes what gs has compressed so far into out; see gzip.h. */
long
gzip_stream_drain(struct gzip_stream *gs, char *out, size_t max)
{
	int rc;

	if (gs->gs_done || max == 0)
		return 0;
	if (max > UINT_MAX)
		max = UINT_MAX;
	gs->gs_z.next_out = (Bytef *)out;
	gs->gs_z.avail_out = (uInt)max;
	rc = deflate(&gs->gs_z, gs->gs_end ? Z_FINISH : Z_NO_FLUSH);
	if (rc == Z_STREAM_END)
		gs->gs_done = 1;
	else if (rc != Z_OK && rc != Z_BUF_ERROR)
		return -1;
	return (long)(max - gs->gs_z.avail_out);
}

/* Returns 1 once the whole member has been drained. */
int
gzip_stream_done(const struct gzip_stream *gs)
{
	return gs->gs_done;
}

/* Frees gs; NULL is allowed. */
void
gzip_stream_free(struct gzip_stream *gs)
{
	if (gs == NULL)
		return;
	deflateEnd(&gs->gs_z);
	free(gs);
}
