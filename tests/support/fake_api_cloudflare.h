/*
 * The fake of Cloudflare's GraphQL Analytics API
 * (fake_api_cloudflare.c), as the recipe systemd/recipes/cloudflare.conf
 * calls it: the knobs a test turns (the API token it expects, errors
 * inside a 200, the rate limit, a refused token) and what it served.
 * Thread-safe.
 */
#ifndef FAKE_API_CLOUDFLARE_H
#define FAKE_API_CLOUDFLARE_H

#include "fake_upstream.h"

/* The zone the recipe names (Cloudflare's documentation's example). */
#define FAKE_CLOUDFLARE_ZONE "023e105f4ecef8ad9ca31a8372d0c353"
/* The day's totals the fake serves. */
#define FAKE_CLOUDFLARE_REQUESTS 52170
#define FAKE_CLOUDFLARE_CACHED 31044
#define FAKE_CLOUDFLARE_PAGE_VIEWS 8400
#define FAKE_CLOUDFLARE_THREATS 12
#define FAKE_CLOUDFLARE_UNIQUES 2511
/* The message of the fake's error inside a 200 (the documented sample). */
#define FAKE_CLOUDFLARE_ERROR "cannot request data older than 2678400s"

/* What the fake answers to a request that keeps the contract. */
enum fake_cloudflare_mode {
	FAKE_CLOUDFLARE_OK, /* 200, data and "errors": null */
	FAKE_CLOUDFLARE_GRAPHQL_ERROR, /* 200, data null, errors[] */
	FAKE_CLOUDFLARE_RATE_LIMITED, /* 429 with retry-after */
	FAKE_CLOUDFLARE_BAD_TOKEN, /* 403, "Authentication error" */
};

/* Sets the API token the fake expects as a Bearer. */
void fake_cloudflare_expect(struct fake_upstream *fu, const char *token);
/* Sets what the fake answers. */
void fake_cloudflare_set_mode(
    struct fake_upstream *fu, enum fake_cloudflare_mode mode);
/* Returns the last contract violation (caller frees), or NULL if none. */
char *fake_cloudflare_violation(struct fake_upstream *fu);
/* Returns how many requests reached the fake. */
unsigned long fake_cloudflare_requests(struct fake_upstream *fu);

#endif
