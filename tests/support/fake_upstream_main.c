/*
 * Standalone fake-upstream program for demos and manual testing. It serves
 * the fake_upstream routes on 127.0.0.1 until SIGINT or SIGTERM, printing
 * one line with the listening address (and real port) once it is ready.
 * The signals are blocked before the server threads start and then
 * collected with sigwait().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_upstream.h"

/* Port used when -p is not given. */
#define FU_DEFAULT_PORT 8081

/* Prints the usage message to STREAM. */
static void
usage(FILE *stream)
{
	fprintf(stream,
	    "usage: fake-upstream [-p PORT] [-h]\n"
	    "  -p PORT  listen on 127.0.0.1:PORT (default %d, 0 = any)\n"
	    "  -h       show this help\n",
	    FU_DEFAULT_PORT);
}

/* Parses decimal port S into *OUT; returns 0 on success, -1 if invalid. */
static int
parse_port(const char *s, unsigned short *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return -1;
	*out = (unsigned short)v;
	return 0;
}

/* Runs the fake upstream until SIGINT or SIGTERM. */
int
main(int argc, char **argv)
{
	struct fake_upstream *fu;
	unsigned short port = FU_DEFAULT_PORT;
	sigset_t set;
	int opt;
	int sig;
	int rc;

	while ((opt = getopt(argc, argv, "p:h")) != -1) {
		switch (opt) {
		case 'p':
			if (parse_port(optarg, &port) != 0) {
				fprintf(stderr, "fake-upstream: bad port: %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Block before starting so that the server threads inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc != 0) {
		fprintf(stderr, "fake-upstream: pthread_sigmask: %s\n",
		    strerror(rc));
		return 1;
	}
	fu = fake_upstream_start(port);
	if (fu == NULL) {
		fprintf(stderr,
		    "fake-upstream: cannot listen on "
		    "127.0.0.1:%u\n",
		    (unsigned)port);
		return 1;
	}
	printf("fake-upstream: listening on http://127.0.0.1:%u\n",
	    (unsigned)fake_upstream_port(fu));
	fflush(stdout);
	do {
		rc = sigwait(&set, &sig);
	} while (rc == EINTR);
	fake_upstream_stop(fu);
	if (rc != 0) {
		fprintf(stderr, "fake-upstream: sigwait: %s\n", strerror(rc));
		return 1;
	}
	return 0;
}
