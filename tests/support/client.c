/*
 * The tests' HTTP client.  libcurl makes the ordinary requests (one
 * function, whatever the program: in-process harness or a daemon run as
 * a process); raw connections to 127.0.0.1 by hand, writes that survive
 * a peer gone and reads bounded by a deadline make the rest.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <zlib.h>

#include "client.h"

/* Returns the monotonic time in milliseconds. */
long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens a connection to port on 127.0.0.1; -1 if the connect fails. */
int
raw_connect(unsigned port, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	/* Bounds connect() too, should the listen queue be full. */
	if (timeout_ms != 0)
		ck_assert_int_eq(
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Closes fd with a reset instead of a FIN. */
void
raw_reset(int fd)
{
	struct linger lg = {1, 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

/* Writes len bytes; 0, or -1 once the peer has closed or reset. */
int
raw_send(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until until, the peer's close or the deadline; caller frees. */
char *
raw_read(int fd, const char *until, int timeout_ms, int *closed)
{
	long long deadline = now_ms() + timeout_ms;
	struct pollfd pfd = {fd, POLLIN, 0};
	size_t len = 0;
	char *buf = calloc(1, 1), *grown;
	ssize_t n;
	int rc;

	ck_assert_ptr_nonnull(buf);
	*closed = 0;
	while ((until == NULL || strstr(buf, until) == NULL) &&
	    now_ms() < deadline) {
		rc = poll(&pfd, 1, (int)(deadline - now_ms()));
		if (rc == -1 && errno == EINTR)
			continue;
		ck_assert_int_ge(rc, 0);
		if (rc == 0)
			break;
		grown = realloc(buf, len + 65536 + 1);
		ck_assert_ptr_nonnull(grown);
		buf = grown;
		n = recv(fd, buf + len, 65536, 0);
		if (n <= 0) {
			*closed = 1;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}

/* Returns the status of a raw response, or 0 if there is none. */
long
raw_status(const char *resp)
{
	long status = 0;

	if (sscanf(resp, "HTTP/1.%*1[01] %ld ", &status) != 1)
		return 0;
	return status;
}

/* libcurl write callback: appends to a harness_buf. */
size_t
harness_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct harness_buf *b = arg;
	size_t n = size * nmemb;
	char *grown;

	if ((grown = realloc(b->b_data, b->b_len + n + 1)) == NULL)
		return 0;
	b->b_data = grown;
	memcpy(b->b_data + b->b_len, data, n);
	b->b_len += n;
	b->b_data[b->b_len] = '\0';
	return n;
}

/* Makes one request to base ("http://127.0.0.1:PORT") + path. */
struct harness_resp *
client_request(
    const char *base, const char *method, const char *path, const char *header)
{
	struct harness_buf body = {NULL, 0}, head = {NULL, 0};
	struct curl_slist *hdrs = NULL;
	struct harness_resp *r;
	char url[512];
	CURL *c;

	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (c = curl_easy_init()) == NULL)
		abort();
	snprintf(url, sizeof url, "%s%s", base, path);
	if (header != NULL)
		hdrs = curl_slist_append(NULL, header);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	/* Send paths as written: tests probe "/../" themselves. */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, harness_write_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->r_status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	r->r_body = body.b_data ? body.b_data : strdup("");
	r->r_len = body.b_len;
	r->r_headers = head.b_data ? head.b_data : strdup("");
	return r;
}

/* Inflates one gzip member; see client.h. */
char *
client_gunzip(const char *gz, size_t n, size_t *len)
{
	size_t room = 4096;
	char *out = NULL;
	z_stream z;
	int rc = Z_OK;

	memset(&z, 0, sizeof z);
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)gz;
	z.avail_in = (uInt)n;
	while (rc == Z_OK || rc == Z_BUF_ERROR) {
		/* Room for what came so far, as much again and a NUL. */
		room *= 2;
		out = realloc(out, room + 1);
		ck_assert_ptr_nonnull(out);
		z.next_out = (Bytef *)out + z.total_out;
		z.avail_out = (uInt)(room - z.total_out);
		rc = inflate(&z, Z_FINISH);
		ck_assert_msg(rc != Z_BUF_ERROR || z.avail_out == 0,
		    "a truncated gzip member (%zu bytes)", n);
	}
	ck_assert_int_eq(rc, Z_STREAM_END);
	/* One member and nothing after it. */
	ck_assert_uint_eq(z.avail_in, 0);
	*len = (size_t)z.total_out;
	out[*len] = '\0';
	inflateEnd(&z);
	return out;
}

/* Frees a response; NULL is allowed. */
void
harness_resp_free(struct harness_resp *r)
{
	if (r == NULL)
		return;
	free(r->r_body);
	free(r->r_headers);
	free(r);
}

/* Returns the value of header name in r (a copy), or NULL. */
char *
harness_resp_header(const struct harness_resp *r, const char *name)
{
	size_t n = strlen(name);
	const char *line, *end;

	for (line = r->r_headers; line != NULL && *line != '\0';
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			line += n + 1;
			while (*line == ' ')
				line++;
			end = line + strcspn(line, "\r\n");
			return strndup(line, (size_t)(end - line));
		}
	}
	return NULL;
}

/* GETs path from 127.0.0.1:port with the optional header; the status. */
long
client_get(unsigned port, const char *path, const char *header, char **body)
{
	struct harness_resp *r;
	char base[64];
	long status;

	snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
	r = client_request(base, "GET", path, header);
	status = r->r_status;
	*body = r->r_body;
	r->r_body = NULL;
	harness_resp_free(r);
	return status;
}

/* Returns header name of a raw response (a copy), or NULL. */
char *
raw_header(const char *resp, const char *name)
{
	struct harness_resp r = {0, NULL, 0, (char *)resp};
	const char *end = strstr(resp, "\r\n\r\n");
	char *head, *v;

	/* Only the head: a body may hold anything. */
	head = strndup(resp, end != NULL ? (size_t)(end - resp) : strlen(resp));
	ck_assert_ptr_nonnull(head);
	r.r_headers = head;
	v = harness_resp_header(&r, name);
	free(head);
	return v;
}

/* Asserts the header name of the raw response resp is exactly want. */
void
raw_assert_header(const char *resp, const char *name, const char *want)
{
	char *v = raw_header(resp, name);

	ck_assert_msg(v != NULL, "no %s header in:\n%s", name, resp);
	ck_assert_str_eq(v, want);
	free(v);
}
