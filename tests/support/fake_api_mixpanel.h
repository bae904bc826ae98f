/*
 * The Mixpanel fake's knobs (fake_api_mixpanel.c): the service account
 * it expects, the count it answers, how it answers, and the first
 * contract violation it saw.  The project, event and zone are those of
 * systemd/recipes/mixpanel.conf.
 */
#ifndef FAKE_API_MIXPANEL_H
#define FAKE_API_MIXPANEL_H

#include "fake_api_mode.h"
#include "fake_upstream.h"

/* The recipe's project id, event and project time zone. */
#define FAKE_MIXPANEL_PROJECT "1234567"
#define FAKE_MIXPANEL_EVENT "Sign Up"
#define FAKE_MIXPANEL_ZONE "America/Los_Angeles"

/* Sets the service account's user name and secret the fake expects. */
void fake_mixpanel_expect(
    struct fake_upstream *fu, const char *user, const char *secret);
/* Sets the count of the event today that the fake answers. */
void fake_mixpanel_answer(struct fake_upstream *fu, long long count);
/* Returns the fake's handle, for fake_api_mode.h. */
struct fu_api_kit *fake_mixpanel(struct fake_upstream *fu);

#endif
