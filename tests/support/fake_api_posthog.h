/*
 * The fake of PostHog's query API (POST /api/projects/ID/query/ on
 * us.posthog.com), for systemd/recipes/posthog.conf: what the tests set
 * (the project and personal API key it takes, the rows each HogQL query
 * returns, how it fails) and what they read back (counters, the last
 * violation of the documented request contract).
 */
#ifndef FAKE_API_POSTHOG_H
#define FAKE_API_POSTHOG_H

#include "fake_upstream.h"

/* How the fake answers a valid query. */
enum fake_posthog_mode {
	FAKE_POSTHOG_OK, /* 200 with the query's results */
	FAKE_POSTHOG_THROTTLED, /* 429 throttled_error, Retry-After */
	FAKE_POSTHOG_BAD_KEY, /* 401 authentication_error */
};

/* Has the fake take this personal API key for this project id. */
void fake_posthog_expect(
    struct fake_upstream *fu, const char *key, const char *project_id);
/*
 * Has the HogQL query hogql (exactly) answer results, the JSON text of
 * its rows ("[[1234, 56]]"), with these column names (NULL-terminated).
 */
void fake_posthog_answer(struct fake_upstream *fu, const char *hogql,
    const char *results, const char *const *columns);
/* Sets how valid queries are answered. */
void fake_posthog_set_mode(struct fake_upstream *fu, enum fake_posthog_mode m);
/* Returns the queries answered with results. */
unsigned long fake_posthog_served(struct fake_upstream *fu);
/* Returns the last contract violation (caller frees), or NULL. */
char *fake_posthog_violation(struct fake_upstream *fu);

#endif
