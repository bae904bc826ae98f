/*
 * The tests' one HTTP client, for in-process tests and for daemons run
 * as processes alike.  libcurl makes the ordinary requests (any method,
 * one extra header line, status, body and header block back); requests
 * libcurl will not make (bodies on GET, two lengths, byte-at-a-time
 * heads) are written to a socket by hand, and every read is bounded.
 * The response types keep the harness_ names the check programs use.
 */
#ifndef GATHERD_CLIENT_H
#define GATHERD_CLIENT_H

#include <stddef.h>

/* One HTTP response as the test client saw it. */
struct harness_resp {
	long r_status;
	char *r_body; /* NUL-terminated, never NULL */
	size_t r_len;
	char *r_headers; /* raw header block */
};

/* A growing buffer for libcurl's write callbacks. */
struct harness_buf {
	char *b_data; /* NUL-terminated, NULL until something came */
	size_t b_len;
};

/*
 * Makes one request (GET, HEAD or any other method) to base, as
 * "http://127.0.0.1:PORT", plus path, sent as written, with an optional
 * extra header line; status 0 if no response came.
 */
struct harness_resp *client_request(
    const char *base, const char *method, const char *path, const char *header);
/*
 * GETs path from 127.0.0.1:port with an optional extra header line;
 * returns the status (0: no response) and sets *body (caller frees).
 */
long
client_get(unsigned port, const char *path, const char *header, char **body);
/* Frees a response; NULL is allowed. */
void harness_resp_free(struct harness_resp *r);
/* Returns the value of header name in r (a copy), or NULL. */
char *harness_resp_header(const struct harness_resp *r, const char *name);
/*
 * Inflates n bytes of gz, which must be exactly one gzip member, failing
 * the test if not; returns the body (caller frees, NUL-terminated) and
 * its length in *len.
 */
char *client_gunzip(const char *gz, size_t n, size_t *len);
/* libcurl write callback: appends to a struct harness_buf. */
size_t harness_write_cb(char *data, size_t size, size_t nmemb, void *arg);

/* Returns the monotonic time in milliseconds. */
long long now_ms(void);
/*
 * Opens a connection to port on 127.0.0.1; connect() and every send
 * are bounded by timeout_ms if not 0.  Returns the fd, or -1.
 */
int raw_connect(unsigned port, int timeout_ms);
/* Closes fd with a reset instead of a FIN. */
void raw_reset(int fd);
/* Writes len bytes of data to fd; 0, or -1 once the peer has gone. */
int raw_send(int fd, const void *data, size_t len);
/*
 * Reads from fd until the text holds until (NULL: never enough), the
 * peer closes or resets, or timeout_ms pass; returns what came (caller
 * frees, never NULL; NUL bytes in it end the text early) and sets
 * *closed if the peer is gone.
 */
char *raw_read(int fd, const char *until, int timeout_ms, int *closed);
/* Returns the status of a raw response, or 0 if there is none. */
long raw_status(const char *resp);
/* Returns the value of header name in a raw response's head, or NULL. */
char *raw_header(const char *resp, const char *name);
/* Asserts the header name of the raw response resp is exactly want. */
void raw_assert_header(const char *resp, const char *name, const char *want);

#endif
