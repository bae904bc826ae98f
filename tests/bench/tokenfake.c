/*
 * The token endpoint of the benchmark's cached-token figure: the fake
 * upstream's POST /token (tests/support/fake_token.c) told to grant
 * tokens to client "bench" with secret "bench-secret", good for an hour,
 * so a poll of a source with auth = oauth2_client_credentials uses the
 * cached token.  Prints the port it listens on, then runs until SIGINT
 * or SIGTERM, and on stop how many tokens it granted.
 * Usage: tokenfake PORT
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_token.h"
#include "fake_upstream.h"

/* Serves POST /token on 127.0.0.1:PORT until a signal. */
int
main(int argc, char **argv)
{
	struct fake_token_counts c;
	struct fake_upstream *fu;
	sigset_t set;
	int rc, sig;

	if (argc != 2) {
		fprintf(stderr, "usage: tokenfake PORT\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if ((rc = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0) {
		fprintf(stderr, "tokenfake: %s\n", strerror(rc));
		return 1;
	}
	if ((fu = fake_upstream_start((unsigned short)atoi(argv[1]))) == NULL) {
		fprintf(stderr, "tokenfake: cannot listen on %s\n", argv[1]);
		return 1;
	}
	fake_token_expect_client(fu, "bench", "bench-secret", NULL);
	printf("%u\n", (unsigned)fake_upstream_port(fu));
	fflush(stdout);
	do
		rc = sigwait(&set, &sig);
	while (rc == EINTR);
	fake_token_counts(fu, &c);
	fprintf(stderr, "tokenfake: %lu tokens granted of %lu asked\n",
	    c.ftc_granted, c.ftc_requests);
	fake_upstream_stop(fu);
	return 0;
}
