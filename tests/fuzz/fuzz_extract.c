/*
 * libFuzzer harness for extract: the input is an upstream body, parsed
 * by one extractor that is reused from input to input (as the poller
 * reuses its tokener) and searched for a few fixed stats.  Success must
 * give an object with every stat; failure must give an error kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A config_stat from literals; extract never writes through them. */
#define FUZZ_STAT(name, pointer)                                               \
	{                                                                      \
		(char *)(name), (char *)(pointer)                              \
	}

/* Pointers like the example config's, an array index and escapes. */
static const struct config_stat fuzz_stats[] = {
    FUZZ_STAT("total", "/data/total"),
    FUZZ_STAT("active", "/data/active"),
    FUZZ_STAT("first", "/items/0"),
    FUZZ_STAT("escaped", "/a~1b/c~0d"),
};

#define FUZZ_NSTATS (sizeof fuzz_stats / sizeof fuzz_stats[0])

/* Returns the extractor shared by every input. */
static struct extract *
fuzz_extractor(void)
{
	static struct extract *ex;

	if (ex == NULL && (ex = extract_new(EXTRACT_MAX_DEPTH)) == NULL)
		abort();
	return ex;
}

/* Extracts n stats from body; aborts if the result breaks a promise. */
static int
fuzz_extract(
    const char *body, size_t size, const struct config_stat *stats, size_t n)
{
	struct json_object *values = (struct json_object *)&values;
	struct source_error err;

	memset(&err, 0, sizeof err);
	if (extract_values(
	        fuzz_extractor(), body, size, stats, n, &values, &err) == 0) {
		if (values == NULL ||
		    json_object_object_length(values) != (int)n ||
		    err.se_kind != SOURCE_ERR_NONE)
			abort();
		json_object_put(values);
		return 0;
	}
	if (values != NULL || err.se_kind == SOURCE_ERR_NONE ||
	    err.se_message[0] == '\0')
		abort();
	return -1;
}

/* One input: the whole of it is the body, tried with each stat. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, found = 0;
	char *body;

	/* A copy of exactly size bytes, so ASan sees any read past it. */
	if ((body = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	for (i = 0; i < FUZZ_NSTATS; i++) {
		if (fuzz_extract(body, size, &fuzz_stats[i], 1) == 0)
			found++;
	}
	if (found == FUZZ_NSTATS &&
	    fuzz_extract(body, size, fuzz_stats, FUZZ_NSTATS) == -1)
		abort();
	free(body);
	return 0;
}
