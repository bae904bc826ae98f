/*
 * The fake of the Google Analytics 4 Data API (runReport and
 * runRealtimeReport on analyticsdata.googleapis.com), for
 * systemd/recipes/ga4.conf: what the tests set (the property, its time
 * zone, each metric's value, how it fails) and what they read back
 * (counters, the last violation of the documented request contract).
 * The bearer it takes is one the fake token endpoint issued
 * (fake_token.h), whose JWT check is the real RS256 one.
 */
#ifndef FAKE_API_GA4_H
#define FAKE_API_GA4_H

#include "fake_upstream.h"

/* How the fake answers a valid report request. */
enum fake_ga4_mode {
	FAKE_GA4_OK, /* 200 with one row of metric values */
	FAKE_GA4_EMPTY, /* 200 without "rows": no data (all zero) */
	FAKE_GA4_QUOTA, /* 429 RESOURCE_EXHAUSTED */
	FAKE_GA4_DENIED, /* 403 PERMISSION_DENIED */
};

/* Has the fake serve property id, whose reporting days are in zone. */
void fake_ga4_expect(
    struct fake_upstream *fu, const char *property_id, const char *zone);
/* Sets a metric's value, a decimal string as GA4 sends it, for
 * runReport (realtime 0) or runRealtimeReport (1). */
void fake_ga4_set_metric(struct fake_upstream *fu, int realtime,
    const char *name, const char *value);
/* Sets how valid report requests are answered. */
void fake_ga4_set_mode(struct fake_upstream *fu, enum fake_ga4_mode mode);
/* Returns the reports answered with 200 (realtime 0 or 1). */
unsigned long fake_ga4_served(struct fake_upstream *fu, int realtime);
/* Has the API refuse every token issued so far (401), as Google does
 * with an expired or revoked token; not a violation. */
void fake_ga4_revoke(struct fake_upstream *fu);
/* Returns the last contract violation (caller frees), or NULL. */
char *fake_ga4_violation(struct fake_upstream *fu);

#endif
