/*
 * libFuzzer harness for the Accept-Encoding parser: the input, as a C
 * string, is given to gzip_accepted.  It must answer 0 or 1, read
 * nothing past the string (ASan), and never choose gzip for a value
 * that names neither gzip nor "*".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns 1 if s holds "gzip" in any case, else 0. */
static int
fuzz_names_gzip(const char *s)
{
	for (; *s != '\0'; s++) {
		if (strncasecmp(s, "gzip", 4) == 0)
			return 1;
	}
	return 0;
}

/* One input: the header's value, ending at the first NUL if any. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value;
	int gz;

	if ((value = malloc(size + 1)) == NULL)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	gz = gzip_accepted(value);
	if (gz != 0 && gz != 1)
		abort();
	if (gz && !fuzz_names_gzip(value) && strchr(value, '*') == NULL)
		abort();
	free(value);
	return 0;
}
