/*
 * The test's end of NOTIFY_SOCKET: an AF_UNIX datagram socket bound in
 * a mkdtemp() directory, as systemd binds one, for the notify module's
 * unit tests and for the daemon run as a process.  Every receive is
 * bounded.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>

#include "client.h"
#include "nsock.h"

/* Binds a datagram socket in a new directory, as systemd does. */
void
nsock_open(struct nsock *n)
{
	struct sockaddr_un sun;

	memset(n, 0, sizeof *n);
	snprintf(n->n_dir, sizeof n->n_dir, "/tmp/gatherd-check-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(n->n_dir));
	snprintf(n->n_path, sizeof n->n_path, "%s/notify", n->n_dir);
	snprintf(n->n_env, sizeof n->n_env, "NOTIFY_SOCKET=%s", n->n_path);
	n->n_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(n->n_fd, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(n->n_path), sizeof sun.sun_path);
	memcpy(sun.sun_path, n->n_path, strlen(n->n_path) + 1);
	ck_assert_int_eq(bind(n->n_fd, (struct sockaddr *)&sun, sizeof sun), 0);
}

/* Closes and removes the socket and frees the datagrams. */
void
nsock_close(struct nsock *n)
{
	size_t i;

	for (i = 0; i < n->n_nmsgs; i++)
		free(n->n_msgs[i]);
	ck_assert_int_eq(close(n->n_fd), 0);
	ck_assert_int_eq(unlink(n->n_path), 0);
	ck_assert_int_eq(rmdir(n->n_dir), 0);
}

/* Returns how many datagrams so far start with prefix. */
size_t
nsock_count(const struct nsock *n, const char *prefix)
{
	size_t i, count = 0;

	for (i = 0; i < n->n_nmsgs; i++) {
		if (strncmp(n->n_msgs[i], prefix, strlen(prefix)) == 0)
			count++;
	}
	return count;
}

/* Returns the index of the first datagram >= from with prefix, or -1. */
long
nsock_index(const struct nsock *n, const char *prefix, size_t from)
{
	size_t i;

	for (i = from; i < n->n_nmsgs; i++) {
		if (strncmp(n->n_msgs[i], prefix, strlen(prefix)) == 0)
			return (long)i;
	}
	return -1;
}

/* Prints the datagrams so far into a static buffer, for messages. */
const char *
nsock_dump(const struct nsock *n)
{
	static char buf[4096];
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n->n_nmsgs && used < sizeof buf; i++) {
		w = snprintf(
		    buf + used, sizeof buf - used, "[%s] ", n->n_msgs[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* Reads datagrams until count of them start with prefix (bounded). */
void
nsock_wait(struct nsock *n, const char *prefix, size_t count)
{
	long long deadline = now_ms() + NSOCK_WAIT_MS;
	struct pollfd pfd;
	char buf[1024];
	ssize_t got;
	int r;

	while (nsock_count(n, prefix) < count) {
		pfd.fd = n->n_fd;
		pfd.events = POLLIN;
		if (now_ms() >= deadline ||
		    (r = poll(&pfd, 1, (int)(deadline - now_ms()))) == 0)
			ck_abort_msg("%zu x \"%s\" not received within %d ms; "
			             "got %s",
			    count, prefix, NSOCK_WAIT_MS, nsock_dump(n));
		if (r == -1) {
			ck_assert_int_eq(errno, EINTR);
			continue;
		}
		got = recv(n->n_fd, buf, sizeof buf - 1, MSG_DONTWAIT);
		ck_assert_msg(got >= 0, "recv: %s", strerror(errno));
		buf[got] = '\0';
		ck_assert_uint_lt(
		    n->n_nmsgs, sizeof n->n_msgs / sizeof n->n_msgs[0]);
		n->n_msgs[n->n_nmsgs] = strdup(buf);
		ck_assert_ptr_nonnull(n->n_msgs[n->n_nmsgs]);
		n->n_nmsgs++;
	}
}

/* Receives one datagram into buf within timeout_ms; 1, or 0 if none. */
int
nsock_recv(struct nsock *n, char *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = {.fd = n->n_fd, .events = POLLIN};
	ssize_t got;

	if (poll(&pfd, 1, timeout_ms) == 0)
		return 0;
	got = recv(n->n_fd, buf, len - 1, MSG_DONTWAIT);
	ck_assert_msg(got >= 0, "recv: %s", strerror(errno));
	buf[got] = '\0';
	return 1;
}
