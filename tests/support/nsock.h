/*
 * The test's end of NOTIFY_SOCKET: a datagram socket in a new directory,
 * named by n_env for a child's environment or n_path for setenv, and
 * the datagrams read from it so far.  Every wait is bounded.
 */
#ifndef GATHERD_NSOCK_H
#define GATHERD_NSOCK_H

#include <stddef.h>

/* Bound on nsock_wait, in milliseconds. */
#define NSOCK_WAIT_MS 20000

/* The test's end of NOTIFY_SOCKET and every datagram read from it. */
struct nsock {
	char n_dir[64];
	char n_path[128];
	char n_env[160]; /* "NOTIFY_SOCKET=..." */
	int n_fd;
	char *n_msgs[256];
	size_t n_nmsgs;
};

/* Binds a datagram socket in a new directory, as systemd does. */
void nsock_open(struct nsock *n);
/* Closes and removes the socket and frees the datagrams. */
void nsock_close(struct nsock *n);
/* Returns how many datagrams nsock_wait kept start with prefix. */
size_t nsock_count(const struct nsock *n, const char *prefix);
/* Returns the index of the first datagram >= from with prefix, or -1. */
long nsock_index(const struct nsock *n, const char *prefix, size_t from);
/* Prints the datagrams kept into a static buffer, for messages. */
const char *nsock_dump(const struct nsock *n);
/* Reads and keeps datagrams until count start with prefix, or fails. */
void nsock_wait(struct nsock *n, const char *prefix, size_t count);
/*
 * Receives one datagram into buf (not kept) within timeout_ms; 1, or 0
 * if none came.
 */
int nsock_recv(struct nsock *n, char *buf, size_t len, int timeout_ms);

#endif
