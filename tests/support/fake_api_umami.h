/*
 * The Umami Cloud fake's knobs (fake_api_umami.c): the API key it
 * expects, the totals it answers, how it answers, and the first
 * contract violation it saw.  The website id and zone are those of
 * systemd/recipes/umami.conf.
 */
#ifndef FAKE_API_UMAMI_H
#define FAKE_API_UMAMI_H

#include "fake_api_mode.h"
#include "fake_upstream.h"

/* The recipe's website id and time zone. */
#define FAKE_UMAMI_WEBSITE "4fb7c1d2-8e3a-4b5c-9d6e-7f8a9b0c1d2e"
#define FAKE_UMAMI_ZONE "Europe/Berlin"

/* The totals of a website's stats since midnight. */
struct fake_umami_stats {
	long long fs_pageviews;
	long long fs_visitors;
	long long fs_visits;
	long long fs_bounces;
	long long fs_totaltime; /* seconds */
};

/* Sets the API key the fake expects in x-umami-api-key. */
void fake_umami_expect(struct fake_upstream *fu, const char *key);
/* Sets the totals the fake answers (copied). */
void fake_umami_answer(
    struct fake_upstream *fu, const struct fake_umami_stats *stats);
/* Returns the fake's handle, for fake_api_mode.h. */
struct fu_api_kit *fake_umami(struct fake_upstream *fu);

#endif
