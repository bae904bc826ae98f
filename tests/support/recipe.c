/*
 * Runs the README's recipes against the analytics API fakes: reads a
 * recipe file as it ships, points its https URLs at the fake upstream
 * (the host becomes the first path segment, which is how the fakes are
 * routed) and starts gatherd on it in process with its secrets in a
 * credentials directory.  Nothing else in the recipe is changed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe.h"

/* Returns the text of systemd/recipes/NAME.conf (caller frees). */
char *
recipe_read(const char *name)
{
	char path[1024], *text;
	FILE *f;
	long n;

	snprintf(path, sizeof path, "%s/%s.conf", TEST_RECIPES, name);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "recipe: cannot open %s\n", path);
		abort();
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)n + 1)) == NULL ||
	    fread(text, 1, (size_t)n, f) != (size_t)n)
		abort();
	text[n] = '\0';
	fclose(f);
	return text;
}

/* Returns text with every "https://" URL pointed at up (caller frees). */
char *
recipe_point(const char *text, const char *up)
{
	static const char https[] = "https://";
	size_t n = 0, len = strlen(https), uplen = strlen(up);
	const char *p;
	char *out, *o;

	for (p = text; (p = strstr(p, https)) != NULL; p += len)
		n++;
	if ((out = malloc(strlen(text) + n * (uplen + 1) + 1)) == NULL)
		abort();
	for (o = out, p = text; *p != '\0';) {
		if (strncmp(p, https, len) == 0) {
			/* "https://HOST/x" becomes "UP/HOST/x". */
			memcpy(o, up, uplen);
			o += uplen;
			*o++ = '/';
			p += len;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/* Returns text with every "interval = ..." line made "interval = every". */
char *
recipe_every(const char *text, const char *every)
{
	static const char key[] = "interval = ";
	size_t len = strlen(key);
	const char *p, *eol;
	char *out, *o;

	if ((out = malloc(strlen(text) * (strlen(every) + 2) + 1)) == NULL)
		abort();
	for (o = out, p = text; *p != '\0'; p = eol) {
		eol = p + strcspn(p, "\n");
		eol += *eol == '\n';
		if (strncmp(p, key, len) == 0)
			o += sprintf(o, "%s%s\n", key, every);
		else {
			memcpy(o, p, (size_t)(eol - p));
			o += eol - p;
		}
	}
	*o = '\0';
	return out;
}

/* Starts gatherd on recipe NAME against fu, secrets in creds. */
struct harness *
recipe_start(struct fake_upstream *fu, const char *name, const char *creds,
    const char *every)
{
	char up[64], *text, *pointed;
	struct harness *h;

	if (creds != NULL && setenv("CREDENTIALS_DIRECTORY", creds, 1) != 0)
		abort();
	snprintf(up, sizeof up, "http://127.0.0.1:%u", fake_upstream_port(fu));
	text = recipe_read(name);
	if (every != NULL) {
		pointed = recipe_every(text, every);
		free(text);
		text = pointed;
	}
	pointed = recipe_point(text, up);
	h = harness_start_fu(fu, NULL, pointed);
	free(pointed);
	free(text);
	if (creds != NULL)
		unsetenv("CREDENTIALS_DIRECTORY");
	return h;
}

/* Writes text and a newline to dir/name, mode 0600. */
void
recipe_write_secret(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "recipe: cannot write %s\n", path);
		abort();
	}
	fprintf(f, "%s\n", text);
	fclose(f);
}
