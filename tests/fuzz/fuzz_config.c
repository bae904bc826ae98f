/*
 * libFuzzer harness for the config parser: the input is a config file's
 * text, parsed with config_load_string and freed.  A config that loads
 * must hold what config.h promises (valid names, a URL and a stat per
 * source); one that does not must say FILE:LINE: message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts, so that libFuzzer reports the input, if cf breaks a promise. */
static void
fuzz_check(const struct config *cf)
{
	const struct config_source *src;
	size_t i, j;

	for (i = 0; i < cf->cf_nsources; i++) {
		src = &cf->cf_sources[i];
		if (!parse_valid_name(src->src_name) || src->src_url == NULL ||
		    src->src_nstats == 0 || src->src_interval_ms < 100 ||
		    src->src_retry_max_ms < src->src_retry_base_ms ||
		    config_find_source(cf, src->src_name) != src)
			abort();
		for (j = 0; j < src->src_nstats; j++) {
			if (!parse_valid_name(src->src_stats[j].cs_name))
				abort();
		}
	}
}

/* One input: parse the text, check the result, free it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char name[] = "fuzz.conf";
	char err[CONFIG_ERR_LEN], *text;
	struct config *cf;

	/* The parser takes a C string: an embedded NUL ends the text. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	cf = config_load_string(text, name, err, sizeof err);
	if (cf != NULL)
		fuzz_check(cf);
	else if (strncmp(err, name, sizeof name - 1) != 0 ||
	    err[sizeof name - 1] != ':')
		abort();
	config_free(cf);
	free(text);
	return 0;
}
