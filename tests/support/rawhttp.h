/*
 * A raw HTTP client for tests: requests libcurl will not make (bodies on
 * GET, two lengths, byte-at-a-time heads) are written to a socket by
 * hand, and every read is bounded.  It needs libc and Check alone, so
 * the hostile clients, which do not link the harness, build it in too.
 */
#ifndef GATHERD_RAWHTTP_H
#define GATHERD_RAWHTTP_H

#include <stddef.h>

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

#endif
