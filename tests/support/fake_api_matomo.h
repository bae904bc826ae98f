/*
 * The fake of Matomo's Reporting API, VisitsSummary.get
 * (fake_api_matomo.c), as the recipe systemd/recipes/matomo.conf calls
 * it: the knobs a test turns (the token_auth it expects, an error inside
 * a 200, a refused token) and what it served.  Thread-safe.
 */
#ifndef FAKE_API_MATOMO_H
#define FAKE_API_MATOMO_H

#include "fake_upstream.h"

/* The report the fake serves. */
#define FAKE_MATOMO_VISITS 1234
#define FAKE_MATOMO_ACTIONS 4321
#define FAKE_MATOMO_BOUNCE_RATE "67%"
#define FAKE_MATOMO_AVG_TIME 187
/* The message of the fake's error inside a 200. */
#define FAKE_MATOMO_ERROR                                                      \
	"You can't access this resource as it requires 'view' access for "     \
	"the website id = 1."

/* What the fake answers to a request that keeps the contract. */
enum fake_matomo_mode {
	FAKE_MATOMO_OK, /* 200 and the VisitsSummary.get report */
	FAKE_MATOMO_API_ERROR, /* 200 {"result":"error","message":...} */
	FAKE_MATOMO_BAD_TOKEN, /* 401: the token is invalid or expired */
};

/* Sets the token_auth the fake expects in the POST body. */
void fake_matomo_expect(struct fake_upstream *fu, const char *token);
/* Sets what the fake answers. */
void fake_matomo_set_mode(struct fake_upstream *fu, enum fake_matomo_mode mode);
/* Returns the last contract violation (caller frees), or NULL if none. */
char *fake_matomo_violation(struct fake_upstream *fu);
/* Returns how many requests reached the fake. */
unsigned long fake_matomo_requests(struct fake_upstream *fu);

#endif
