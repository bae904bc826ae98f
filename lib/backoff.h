/*
 * When to try a failing source again: exponential backoff with full
 * jitter, Retry-After and rate-limit reset headers, a full interval for
 * client errors that will not heal, and a circuit breaker that stops
 * requests after repeated failures.  Pure: the caller passes the clock
 * and the random numbers, so every decision can be tested exactly.
 */
#ifndef GATHERD_BACKOFF_H
#define GATHERD_BACKOFF_H

#include <stdint.h>

#define BACKOFF_CIRCUIT_THRESHOLD 5 /* consecutive failures to open */
#define BACKOFF_CIRCUIT_STEPS 10 /* the cool-down grows 10 times */
#define BACKOFF_HINT_MIN_MS 1000 /* Retry-After clamp */
#define BACKOFF_HINT_MAX_MS 3600000
/* A reset header above this is an epoch second, not seconds to wait. */
#define BACKOFF_RESET_EPOCH_MIN 1000000000ULL

/* How one source retries. */
struct backoff_policy {
	uint64_t bp_base_ms; /* retry_base */
	uint64_t bp_max_ms; /* retry_max */
	uint64_t bp_interval_ms; /* the normal interval */
	uint64_t bp_cooldown_ms; /* circuit_cooldown, 30 s by default */
};

/* One source's failure streak and circuit. */
struct backoff {
	unsigned b_failures; /* consecutive failed polls */
	unsigned b_opened; /* times the circuit opened since ok */
	int b_open; /* the circuit is open */
};

/* Returns random(0, min(max, base * 2^attempt)) for rnd in [0, 1). */
uint64_t backoff_full_jitter(
    uint64_t base_ms, uint64_t max_ms, unsigned attempt, double rnd);
/* Returns the cool-down after the circuit opened for the nth time:
 * step x opened, at most 10 steps, jittered down to no less than half. */
uint64_t backoff_cooldown(uint64_t step_ms, unsigned opened, double rnd);
/* Returns 1 for client errors that retrying soon will not heal. */
int backoff_is_permanent(int http_status);
/*
 * Parses a Retry-After value, delay-seconds or an HTTP-date, as seen at
 * wall time now_ms; 0 with *delay_ms clamped to [1 s, 1 h], -1 if garbage.
 */
int backoff_parse_retry_after(
    const char *value, int64_t now_ms, uint64_t *delay_ms);
/*
 * Parses X-RateLimit-Reset or RateLimit-Reset: seconds to wait, or (above
 * BACKOFF_RESET_EPOCH_MIN) the epoch second of the reset; as above.
 */
int backoff_parse_reset(const char *value, int64_t now_ms, uint64_t *delay_ms);
/* Records a success: the streak ends and the circuit closes. */
void backoff_success(struct backoff *b);
/*
 * Records a failure and returns the delay until the next attempt.
 * hint_ms is a server's Retry-After (or -1); rnd is in [0, 1).  Opens
 * the circuit after BACKOFF_CIRCUIT_THRESHOLD failures in a row.
 */
uint64_t backoff_failure(struct backoff *b, const struct backoff_policy *p,
    int http_status, int64_t hint_ms, double rnd);

#endif
