/*
 * The Stripe fake's knobs (fake_api_stripe.c): the secret key it
 * expects, the charges it lists, how it answers, and the first contract
 * violation it saw.  The zone is that of systemd/recipes/stripe.conf.
 */
#ifndef FAKE_API_STRIPE_H
#define FAKE_API_STRIPE_H

#include <stddef.h>

#include "fake_api_mode.h"
#include "fake_upstream.h"

/* The recipe's time zone, where its day starts. */
#define FAKE_STRIPE_ZONE "America/New_York"
/* Most charges the fake holds. */
#define FAKE_STRIPE_MAX 200

/* One charge of today's list. */
struct fake_stripe_charge {
	long long fc_amount; /* in the currency's smallest unit */
	const char *fc_currency; /* "usd" */
	const char *fc_status; /* "succeeded", "pending" or "failed" */
};

/* Sets the secret key the fake expects as the Basic user. */
void fake_stripe_expect(struct fake_upstream *fu, const char *key);
/* Sets today's charges, newest first (copied; at most FAKE_STRIPE_MAX). */
void fake_stripe_charges(
    struct fake_upstream *fu, const struct fake_stripe_charge *c, size_t n);
/* Returns the fake's handle, for fake_api_mode.h. */
struct fu_api_kit *fake_stripe(struct fake_upstream *fu);

#endif
