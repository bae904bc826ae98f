/*
 * The fake upstream's transfers: big documents, plain or chunked, bytes
 * dripped one at a time, gzip-encoded bodies and gzip bombs, and a body
 * cut off by a connection reset partway.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <microhttpd.h>
/* Makes z_stream.next_in a pointer to const. */
#define ZLIB_CONST
#include <zlib.h>

#include "fake_private.h"

/* Frame of generated bodies; the pad string goes between head and tail. */
static const char fu_frame_head[] =
    "{\"data\":{\"total\":1,\"active\":2},\"pad\":\"";
static const char fu_frame_tail[] = "\"}";

/* Start of the /reset body; 'x' bytes follow. */
static const char fu_reset_head[] = "{\"data\":{\"total\":1,\"pad\":\"";

/* A generated body for /huge and /drip. */
struct fu_body {
	struct fake_upstream *fu;
	uint64_t size;
	uint64_t every_ms;
	int fd;
};

/* The gzip stream of a /gzipbomb body and its next input block. */
struct fu_bomb {
	struct fake_upstream *fu;
	z_stream zs;
	bool ready; /* zs is initialised */
	bool done; /* zs has ended */
	uint64_t size;
	uint64_t fed;
	char in[FU_BLOCK_SIZE];
};

/* Compresses LEN bytes of SRC into a new gzip buffer; NULL on failure. */
static unsigned char *
fu_gzip(const char *src, size_t len, size_t *out_len)
{
	unsigned char *out = NULL;
	z_stream zs;
	uLong cap;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&zs, (uLong)len);
	out = malloc(cap);
	if (out == NULL)
		goto fail;
	zs.next_in = (const Bytef *)src;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto fail;
	*out_len = (size_t)zs.total_out;
	(void)deflateEnd(&zs);
	return out;
fail:
	(void)deflateEnd(&zs);
	free(out);
	return NULL;
}

/* Route /gzip: a small gzip-encoded JSON document. */
enum MHD_Result
fu_route_gzip(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const char body[] = "{\"data\":{\"total\":7,\"active\":3}}";
	static const struct fu_rhdr hdr = {
	    MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip"};
	struct MHD_Response *resp;
	unsigned char *gz;
	size_t len;

	gz = fu_gzip(body, strlen(body), &len);
	if (gz == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, gz, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(gz);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, &hdr, 1);
}

/* Writes N bytes at POS of the generated body of SIZE bytes into BUF. */
static void
fu_body_fill(uint64_t size, uint64_t pos, char *buf, size_t n, char pad)
{
	uint64_t head = sizeof(fu_frame_head) - 1;
	uint64_t tail = sizeof(fu_frame_tail) - 1;
	uint64_t k;

	if (size < head + tail) {
		memset(buf, pad, n);
		return;
	}
	while (n > 0) {
		if (pos < head) {
			k = head - pos < n ? head - pos : n;
			memcpy(buf, fu_frame_head + pos, (size_t)k);
		} else if (pos < size - tail) {
			k = size - tail - pos < n ? size - tail - pos : n;
			memset(buf, pad, (size_t)k);
		} else {
			k = size - pos < n ? size - pos : n;
			memcpy(buf, fu_frame_tail + (pos - (size - tail)),
			    (size_t)k);
		}
		buf += k;
		pos += k;
		n -= (size_t)k;
	}
}

/* Frees a generated body's state. */
static void
fu_body_free_cb(void *cls)
{
	free(cls);
}

/* Produces the next block of a /huge body. */
static ssize_t
fu_huge_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_body *b = cls;
	uint64_t n;

	if (atomic_load(&b->fu->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= b->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = b->size - pos;
	if (n > max)
		n = max;
	if (n > FU_BLOCK_SIZE)
		n = FU_BLOCK_SIZE;
	fu_body_fill(b->size, pos, buf, (size_t)n, 'x');
	return (ssize_t)n;
}

/* Produces the next byte of a /drip body after waiting every_ms. */
static ssize_t
fu_drip_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_body *b = cls;

	if (atomic_load(&b->fu->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= b->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* The headers are out already; even the first byte waits. */
	if (fu_sleep(b->fu, b->fd, b->every_ms) != 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	fu_body_fill(b->size, pos, buf, 1, 'x');
	return 1;
}

/* Queues a generated body of SIZE bytes read by CB. */
static enum MHD_Result
fu_generated(struct fake_upstream *fu, struct MHD_Connection *conn,
    uint64_t size, bool chunked, uint64_t every_ms,
    MHD_ContentReaderCallback cb)
{
	struct MHD_Response *resp;
	struct fu_body *b;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return MHD_NO;
	b->fu = fu;
	b->size = size;
	b->every_ms = every_ms;
	b->fd = fu_conn_fd(conn);
	resp =
	    MHD_create_response_from_callback(chunked ? MHD_SIZE_UNKNOWN : size,
	        FU_BLOCK_SIZE, cb, b, fu_body_free_cb);
	if (resp == NULL) {
		free(b);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, NULL, 0);
}

/* Route /huge?bytes=N&chunked=1: a big valid JSON document. */
enum MHD_Result
fu_route_huge(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	const char *chunked;
	uint64_t size;

	if (fu_arg_num(conn, "bytes", FU_HUGE_DEFAULT, FU_HUGE_MAX, &size) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad bytes");
	chunked =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "chunked");
	return fu_generated(fu, conn, size,
	    chunked != NULL && strcmp(chunked, "1") == 0, 0, fu_huge_cb);
}

/* Route /drip?bytes=N&every_ms=M: a JSON document sent byte by byte. */
enum MHD_Result
fu_route_drip(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	uint64_t size;
	uint64_t every;

	if (fu_arg_num(conn, "bytes", FU_DRIP_DEFAULT, FU_HUGE_MAX, &size) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad bytes");
	if (fu_arg_num(conn, "every_ms", FU_DRIP_EVERY_DEFAULT, FU_MAX_DELAY_MS,
	        &every) != 0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad every_ms");
	return fu_generated(fu, conn, size, false, every, fu_drip_cb);
}

/* Frees a /gzipbomb body's gzip stream and state. */
static void
fu_bomb_free_cb(void *cls)
{
	struct fu_bomb *b = cls;

	if (b->ready)
		(void)deflateEnd(&b->zs);
	free(b);
}

/* Compresses the next part of a /gzipbomb body into BUF. */
static ssize_t
fu_bomb_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_bomb *b = cls;
	uint64_t n;
	size_t room;
	int rc;

	if (b->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	room = max > UINT_MAX ? UINT_MAX : max;
	b->zs.next_out = (Bytef *)buf;
	b->zs.avail_out = (uInt)room;
	/* The body is never held whole: one block of input at a time. */
	while (b->zs.avail_out > 0 && !b->done) {
		if (atomic_load(&b->fu->stopping))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (b->zs.avail_in == 0 && b->fed < b->size) {
			n = b->size - b->fed;
			if (n > FU_BLOCK_SIZE)
				n = FU_BLOCK_SIZE;
			fu_body_fill(b->size, b->fed, b->in, (size_t)n, ' ');
			b->zs.next_in = (const Bytef *)b->in;
			b->zs.avail_in = (uInt)n;
			b->fed += n;
		}
		rc = deflate(&b->zs, b->fed == b->size ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			b->done = true;
		else if (rc != Z_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (room == b->zs.avail_out)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)(room - b->zs.avail_out);
}

/* Route /gzipbomb?bytes=N: gzip of a valid JSON document of N bytes. */
enum MHD_Result
fu_route_gzipbomb(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	static const struct fu_rhdr hdr = {
	    MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip"};
	struct MHD_Response *resp;
	struct fu_bomb *b;
	uint64_t size;

	if (fu_arg_num(conn, "bytes", FU_BOMB_DEFAULT, FU_BOMB_MAX, &size) !=
	        0 ||
	    size < sizeof(fu_frame_head) - 1 + sizeof(fu_frame_tail) - 1)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad bytes");
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return MHD_NO;
	b->fu = fu;
	b->size = size;
	if (deflateInit2(&b->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK) {
		free(b);
		return MHD_NO;
	}
	b->ready = true;
	resp = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, FU_BLOCK_SIZE, fu_bomb_cb, b, fu_bomb_free_cb);
	if (resp == NULL) {
		fu_bomb_free_cb(b);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, &hdr, 1);
}

/* Resets the TCP connection on FD once the bytes queued so far have left. */
static void
fu_abort_conn(struct fake_upstream *fu, int fd)
{
	static const struct linger hard = {1, 0};
	struct sockaddr sa;
	int queued;
	int i;

	if (fd < 0)
		return;
	/* A zero linger resets on close too, should the disconnect fail. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
	for (i = 0; i < FU_DRAIN_MS; i++) {
		if (ioctl(fd, SIOCOUTQ, &queued) != 0 || queued <= 0)
			break;
		if (fu_sleep(fu, fd, 1) != 0)
			break;
	}
	/*
	 * MHD shuts the socket down (FIN) before it closes it, so reset it
	 * here: on Linux connect(AF_UNSPEC) drops a TCP connection with RST
	 * and leaves the descriptor for MHD to close.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	(void)connect(fd, &sa, sizeof(sa));
}

/* Sends N bytes at POS of a /reset body, then resets the connection. */
static ssize_t
fu_reset_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fu_body *b = cls;
	uint64_t head = sizeof(fu_reset_head) - 1;
	uint64_t n;
	uint64_t i;

	if (atomic_load(&b->fu->stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= b->size) {
		fu_abort_conn(b->fu, b->fd);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = b->size - pos;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		buf[i] = pos + i < head ? fu_reset_head[pos + i] : 'x';
	return (ssize_t)n;
}

/* Route /reset?after=N: N bytes of a promised 10000, then a reset. */
enum MHD_Result
fu_route_reset(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	struct fu_body *b;
	uint64_t after;

	if (fu_arg_num(conn, "after", FU_RESET_DEFAULT, FU_RESET_MAX, &after) !=
	    0)
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "bad after");
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return MHD_NO;
	b->fu = fu;
	b->size = after;
	b->fd = fu_conn_fd(conn);
	resp = MHD_create_response_from_callback(
	    FU_RESET_SIZE, FU_BLOCK_SIZE, fu_reset_cb, b, fu_body_free_cb);
	if (resp == NULL) {
		free(b);
		return MHD_NO;
	}
	return fu_queue(conn, MHD_HTTP_OK, resp, FU_JSON, NULL, 0);
}
