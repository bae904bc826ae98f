/*
 * How the tests steer the analytics API fakes driven by a mode
 * (fake_api_mixpanel.c, fake_api_amplitude.c, fake_api_umami.c,
 * fake_api_stripe.c): each answers the documented answer, or the API's
 * own auth refusal, rate limit or error, as its fake_<api>_mode() says.
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

#endif
