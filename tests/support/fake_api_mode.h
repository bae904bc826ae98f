/*
 * How the tests steer the analytics API fakes driven by a mode
 * (fake_api_mixpanel.c, fake_api_amplitude.c, fake_api_umami.c,
 * fake_api_stripe.c): each answers the documented answer, or the API's
 * own auth refusal, rate limit or error, as its mode says, and tells the
 * contract violation it saw last.  A fake is named by its
 * fake_<api>(fu), a handle to its state.
 */
#ifndef FAKE_API_MODE_H
#define FAKE_API_MODE_H

/* How an API fake answers the requests that keep its contract. */
enum fake_api_mode {
	FAKE_API_ANSWER, /* the documented answer */
	FAKE_API_REFUSE, /* the API's refusal of the credentials (401) */
	FAKE_API_LIMIT, /* the API's rate-limit answer (429) */
	FAKE_API_FAIL, /* the API's error answer (400) */
};

struct fu_api_kit;

/* Sets how the fake behind k answers the requests that keep its
 * contract. */
void fake_api_mode(struct fu_api_kit *k, enum fake_api_mode mode);
/* Returns a copy of the last contract violation the fake behind k saw
 * (caller frees), or NULL. */
char *fake_api_violation(struct fu_api_kit *k);
/* Returns how many documented answers the fake behind k served. */
unsigned long fake_api_answers(struct fu_api_kit *k);

#endif
