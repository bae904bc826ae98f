/*
 * The fake of Plausible's Stats API v2 (POST /api/v2/query on
 * plausible.io), for systemd/recipes/plausible.conf: what the tests set
 * (the key and site it takes, the site's time zone, each metric's value,
 * how it fails) and what they read back (counters, the last violation of
 * the documented request contract).
 */
#ifndef FAKE_API_PLAUSIBLE_H
#define FAKE_API_PLAUSIBLE_H

#include "fake_upstream.h"

/* How the fake answers a valid query. */
enum fake_plausible_mode {
	FAKE_PLAUSIBLE_OK, /* 200 with the results */
	FAKE_PLAUSIBLE_RATE_LIMITED, /* 429, the key's 600/hour spent */
	FAKE_PLAUSIBLE_BAD_KEY, /* 401, as for a revoked key */
};

/* Has the fake take this API key for this site, whose days are in zone. */
void fake_plausible_expect(struct fake_upstream *fu, const char *key,
    const char *site_id, const char *zone);
/* Sets metric name's value, as JSON text ("123", "42.5", "null"). */
void fake_plausible_set_metric(
    struct fake_upstream *fu, const char *name, const char *json);
/* Sets how valid queries are answered. */
void fake_plausible_set_mode(
    struct fake_upstream *fu, enum fake_plausible_mode mode);
/* Returns the queries answered with results. */
unsigned long fake_plausible_served(struct fake_upstream *fu);
/* Returns the last contract violation (caller frees), or NULL. */
char *fake_plausible_violation(struct fake_upstream *fu);

#endif
