/*
 * The fake of GitHub's REST API "Get a repository" (fake_api_github.c),
 * as the recipe systemd/recipes/github.conf calls it: the knobs a test
 * turns (the token it expects, a rate limit, a refused token) and what
 * it served.  Thread-safe.
 */
#ifndef FAKE_API_GITHUB_H
#define FAKE_API_GITHUB_H

#include <stdint.h>

#include "fake_upstream.h"

/* The counts the fake's repository object carries. */
#define FAKE_GITHUB_STARS 4242
#define FAKE_GITHUB_FORKS 317
#define FAKE_GITHUB_OPEN_ISSUES 58

/* What the fake answers to a request that keeps the contract. */
enum fake_github_mode {
	FAKE_GITHUB_OK, /* 200 and the repository object */
	FAKE_GITHUB_RATE_LIMITED, /* 403, x-ratelimit-remaining: 0 */
	FAKE_GITHUB_BAD_CREDENTIALS, /* 401 "Bad credentials" */
};

/* Sets the personal access token the fake expects as a Bearer. */
void fake_github_expect(struct fake_upstream *fu, const char *token);
/* Sets what the fake answers; reset is x-ratelimit-reset (Unix time). */
void fake_github_set_mode(
    struct fake_upstream *fu, enum fake_github_mode mode, int64_t reset);
/* Returns the last contract violation (caller frees), or NULL if none. */
char *fake_github_violation(struct fake_upstream *fu);
/* Returns how many requests reached the fake. */
unsigned long fake_github_requests(struct fake_upstream *fu);

#endif
