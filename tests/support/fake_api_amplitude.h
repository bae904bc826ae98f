/*
 * The Amplitude fake's knobs (fake_api_amplitude.c): the project's API
 * and secret keys it expects, the count it answers, how it answers, and
 * the first contract violation it saw.  The event and zone are those of
 * systemd/recipes/amplitude.conf.
 */
#ifndef FAKE_API_AMPLITUDE_H
#define FAKE_API_AMPLITUDE_H

#include "fake_api_mode.h"
#include "fake_upstream.h"

/* The recipe's event type and project time zone. */
#define FAKE_AMPLITUDE_EVENT "Sign Up"
#define FAKE_AMPLITUDE_ZONE "America/Chicago"

/* Sets the API key and secret key the fake expects. */
void fake_amplitude_expect(
    struct fake_upstream *fu, const char *api_key, const char *secret_key);
/* Sets the count of the event today that the fake answers. */
void fake_amplitude_answer(struct fake_upstream *fu, long long count);
/* Returns the fake's handle, for fake_api_mode.h. */
struct fu_api_kit *fake_amplitude(struct fake_upstream *fu);

#endif
