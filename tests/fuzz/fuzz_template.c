/*
 * libFuzzer harness for templates: the input's first byte picks the
 * context and the zone, the rest is a template's text.  A text that
 * compiles must expand at fixed times around a DST change, and its
 * expansion for a header must hold no CR or LF; one that does not
 * compile must say why.  Secrets come from a fixed table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-03-08T09:59:59Z, a second before DST in Los Angeles, and later. */
static const int64_t fuzz_times[] = {
    INT64_C(1772963999000), INT64_C(1772964000000), 0, -1};
static const char *const fuzz_zones[] = {
    NULL, "America/Los_Angeles", "Asia/Tokyo", "America/Havana"};

/* The secrets: one holding every character an encoding minds. */
static const char *
fuzz_secret_cb(const char *name, void *arg)
{
	(void)arg;
	if (strcmp(name, "odd") == 0)
		return "a b&c=d\"e%f\ng\\h\x01\xff";
	if (strcmp(name, "k") == 0)
		return "k3y";
	return NULL;
}

/* One input: compile, expand, check, free. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tz *zones[4];
	struct template_buf out = {0};
	enum template_context ctx;
	struct tpl *t;
	char err[256], *text;
	size_t i;
	int z;

	if (size == 0)
		return 0;
	ctx = (enum template_context)(data[0] % 5);
	z = (data[0] / 5) % 4;
	if (fuzz_zones[z] != NULL && zones[z] == NULL &&
	    (zones[z] = tz_open(fuzz_zones[z], err, sizeof err)) == NULL)
		abort();
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	err[0] = '\0';
	t = template_compile(text, ctx, fuzz_secret_cb, NULL, err, sizeof err);
	if (t == NULL && err[0] == '\0')
		abort();
	for (i = 0; t != NULL && i < sizeof fuzz_times / sizeof fuzz_times[0];
	     i++) {
		if (template_expand(t, fuzz_times[i], zones[z], fuzz_secret_cb,
		        NULL, &out, err, sizeof err) == -1)
			continue;
		if (ctx == TEMPLATE_HEADER &&
		    strpbrk(out.tb_data, "\r\n") != NULL)
			abort();
		if (ctx == TEMPLATE_URL && template_is_literal(t) &&
		    strcmp(out.tb_data, template_text(t)) != 0 &&
		    strstr(template_text(t), "$$") == NULL)
			abort();
	}
	template_buf_free(&out);
	template_free(t);
	free(text);
	return 0;
}
