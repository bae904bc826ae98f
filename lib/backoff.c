/*
 * Retry timing.  Full jitter (random(0, min(cap, base * 2^n))) spreads
 * the retries of many clients so a recovering API is not hit in waves;
 * a server's own hint (Retry-After, RateLimit-Reset) wins over our
 * guess; the circuit breaker turns a dead upstream's retries into a
 * probe every 30 s x times opened, at most 5 min (circuit_cooldown). HTTP-dates
 * are parsed by curl_getdate, the parser libcurl uses for cookies.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "backoff.h"

/* Returns random(0, min(max, base * 2^attempt)) for rnd in [0, 1). */
uint64_t
backoff_full_jitter(
    uint64_t base_ms, uint64_t max_ms, unsigned attempt, double rnd)
{
	uint64_t ceiling = base_ms;

	while (attempt-- > 0 && ceiling < max_ms)
		ceiling *= 2;
	if (ceiling > max_ms)
		ceiling = max_ms;
	if (rnd < 0.0 || rnd >= 1.0)
		rnd = 0.0;
	return (uint64_t)((double)ceiling * rnd);
}

/* Returns the cool-down after the circuit opened for the nth time. */
uint64_t
backoff_cooldown(uint64_t step_ms, unsigned opened, double rnd)
{
	uint64_t full = step_ms *
	    (opened < BACKOFF_CIRCUIT_STEPS ? opened : BACKOFF_CIRCUIT_STEPS);

	if (rnd < 0.0 || rnd >= 1.0)
		rnd = 0.0;
	/* Equal jitter: never less than half, so a probe is never early. */
	/* NOLINTNEXTLINE(bugprone-integer-division): whole ms, as meant */
	return full / 2 + (uint64_t)((double)(full / 2) * rnd);
}

/* Returns 1 for client errors that retrying soon will not heal. */
int
backoff_is_permanent(int http_status)
{
	switch (http_status) {
	case 400:
	case 401:
	case 403:
	case 404:
	case 410:
		return 1;
	default:
		return 0;
	}
}

/* Clamps a hinted delay in ms to [1 s, 1 h]. */
static uint64_t
backoff_clamp_hint(int64_t ms)
{
	if (ms < BACKOFF_HINT_MIN_MS)
		return BACKOFF_HINT_MIN_MS;
	if (ms > BACKOFF_HINT_MAX_MS)
		return BACKOFF_HINT_MAX_MS;
	return (uint64_t)ms;
}

/* Clamps the ms from now_ms until epoch second when to [1 s, 1 h]. */
static uint64_t
backoff_clamp_until(int64_t when, int64_t now_ms)
{
	/* Decided in seconds first: when * 1000 may overflow. */
	if (when > now_ms / 1000 + BACKOFF_HINT_MAX_MS / 1000)
		return BACKOFF_HINT_MAX_MS;
	if (when < now_ms / 1000 - 1)
		return BACKOFF_HINT_MIN_MS;
	return backoff_clamp_hint(when * 1000 - now_ms);
}

/* Parses a whole number of seconds (digits only, white space around). */
static int
backoff_parse_seconds(const char *value, uint64_t *secs)
{
	unsigned long long v;
	char *end;

	while (isspace((unsigned char)*value))
		value++;
	if (!isdigit((unsigned char)*value))
		return -1;
	errno = 0;
	v = strtoull(value, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return -1;
	if (errno == ERANGE || v > UINT32_MAX)
		v = UINT32_MAX;
	*secs = v;
	return 0;
}

/* Parses Retry-After (delay-seconds or HTTP-date); 0 or -1 if garbage. */
int
backoff_parse_retry_after(const char *value, int64_t now_ms, uint64_t *delay_ms)
{
	uint64_t secs;
	time_t when;

	if (value == NULL)
		return -1;
	if (backoff_parse_seconds(value, &secs) == 0) {
		*delay_ms = backoff_clamp_hint(secs > BACKOFF_HINT_MAX_MS / 1000
		        ? BACKOFF_HINT_MAX_MS
		        : (int64_t)secs * 1000);
		return 0;
	}
	/* An HTTP-date must have letters, which curl_getdate also needs. */
	if ((when = curl_getdate(value, NULL)) == -1)
		return -1;
	*delay_ms = backoff_clamp_until((int64_t)when, now_ms);
	return 0;
}

/* Parses X-RateLimit-Reset or RateLimit-Reset; 0 or -1 if garbage. */
int
backoff_parse_reset(const char *value, int64_t now_ms, uint64_t *delay_ms)
{
	uint64_t secs;

	if (value == NULL || backoff_parse_seconds(value, &secs) == -1)
		return -1;
	/*
	 * Above 10^9 (2001-09-09) it is GitHub's epoch second of the reset:
	 * no one asks for a wait of 31 years.  Else the IETF draft's delta.
	 */
	if (secs > BACKOFF_RESET_EPOCH_MIN)
		*delay_ms = backoff_clamp_until((int64_t)secs, now_ms);
	else
		*delay_ms = backoff_clamp_hint(secs > BACKOFF_HINT_MAX_MS / 1000
		        ? BACKOFF_HINT_MAX_MS
		        : (int64_t)secs * 1000);
	return 0;
}

/* Records a success: the streak ends and the circuit closes. */
void
backoff_success(struct backoff *b)
{
	b->b_failures = 0;
	b->b_opened = 0;
	b->b_open = 0;
}

/* Records a failure and returns the delay until the next attempt. */
uint64_t
backoff_failure(struct backoff *b, const struct backoff_policy *p,
    int http_status, int64_t hint_ms, double rnd)
{
	uint64_t delay, cooldown;

	b->b_failures++;
	if (hint_ms >= 0)
		delay = (uint64_t)hint_ms;
	else if (backoff_is_permanent(http_status))
		delay = p->bp_interval_ms;
	else
		delay = backoff_full_jitter(
		    p->bp_base_ms, p->bp_max_ms, b->b_failures - 1, rnd);
	if (b->b_failures >= BACKOFF_CIRCUIT_THRESHOLD) {
		/* Open, or a half-open probe failed: open for longer. */
		b->b_opened++;
		b->b_open = 1;
		cooldown =
		    backoff_cooldown(p->bp_cooldown_ms, b->b_opened, rnd);
		if (cooldown > delay)
			delay = cooldown;
	}
	return delay;
}
