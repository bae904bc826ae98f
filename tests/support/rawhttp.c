/*
 * A raw HTTP client for tests: connections to 127.0.0.1 by hand, writes
 * that survive a peer gone, and reads bounded by a deadline.
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

#include "rawhttp.h"

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
