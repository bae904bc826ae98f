/*
 * libFuzzer harness for the server's retry hints: the input, as a C
 * string, is given to backoff_parse_retry_after and backoff_parse_reset
 * at a fixed wall time.  A value they accept must come out clamped to
 * [1 s, 1 h]; one they refuse must leave the delay alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-11-22T10:00:00Z, the design's example time. */
#define FUZZ_NOW_MS INT64_C(1795341600000)
#define FUZZ_UNSET UINT64_C(0xdeadbeef)

/* Aborts unless rc and delay are what backoff.h promises. */
static void
fuzz_check(int rc, uint64_t delay)
{
	if (rc == 0 &&
	    (delay < BACKOFF_HINT_MIN_MS || delay > BACKOFF_HINT_MAX_MS))
		abort();
	if (rc == -1 && delay != FUZZ_UNSET)
		abort();
	if (rc != 0 && rc != -1)
		abort();
}

/* One input: the header value, ending at the first NUL if any. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t delay;
	char *value;
	int rc;

	if ((value = malloc(size + 1)) == NULL)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	delay = FUZZ_UNSET;
	rc = backoff_parse_retry_after(value, FUZZ_NOW_MS, &delay);
	fuzz_check(rc, delay);
	delay = FUZZ_UNSET;
	rc = backoff_parse_reset(value, FUZZ_NOW_MS, &delay);
	fuzz_check(rc, delay);
	free(value);
	return 0;
}
