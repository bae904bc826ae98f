/*
 * Reads secrets from files for the config: finds the file (absolute, in
 * $CREDENTIALS_DIRECTORY, or next to the config), checks who can read
 * it, and returns its one line trimmed.  Every buffer that held the
 * secret is wiped; messages name the file, never its contents.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

/*
 * Returns a malloc'd path for a secret file: an absolute one as given; a
 * relative one in $CREDENTIALS_DIRECTORY (systemd's LoadCredential=) if
 * it is there, else in dir (the config file's directory).  NULL if out
 * of memory.
 */
static char *
secret_path(const char *name, const char *dir)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *full;

	if (*name == '/')
		return strdup(name);
	if (creds != NULL && *creds != '\0') {
		if (asprintf(&full, "%s/%s", creds, name) == -1)
			return NULL;
		if (access(full, F_OK) == 0)
			return full;
		free(full);
	}
	if (dir == NULL)
		return strdup(name);
	if (asprintf(&full, "%s/%s", dir, name) == -1)
		return NULL;
	return full;
}

/* Tells ss's callback if users other than the owner and group can read
 * f; the caller judges it (warning or error). */
static void
secret_check_mode(const struct secret_spec *ss, FILE *f, const char *path)
{
	struct stat st;

	if (fstat(fileno(f), &st) == -1 || (st.st_mode & S_IROTH) == 0)
		return;
	if (ss->ss_readable_cb != NULL)
		ss->ss_readable_cb(ss->ss_what, path, ss->ss_arg);
}

/*
 * Reads the whole file name, at most max bytes, NUL-terminated; its
 * length in *len and the path it came from in *path (caller frees
 * both; wipe the text).  NULL with err set (or empty if out of memory).
 */
static char *
secret_load(const char *name, const struct secret_spec *ss, size_t max,
    size_t *len, char **path, char *err, size_t errlen)
{
	char *buf = NULL, *text = NULL;
	FILE *f = NULL;
	size_t n = 0;

	err[0] = '\0';
	*path = NULL;
	if (*name == '\0') {
		snprintf(err, errlen, "%s name is empty", ss->ss_what);
		return NULL;
	}
	if ((*path = secret_path(name, ss->ss_dir)) == NULL ||
	    (buf = malloc(max + 1)) == NULL)
		goto fail;
	if ((f = fopen(*path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read %s %s: %s", ss->ss_what,
		    *path, strerror(errno));
		goto fail;
	}
	secret_check_mode(ss, f, *path);
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s %s", ss->ss_what, *path);
		goto fail;
	}
	if (n > max) {
		snprintf(err, errlen, "%s %s is larger than %zu bytes",
		    ss->ss_what, *path, max);
		goto fail;
	}
	if ((text = malloc(n + 1)) == NULL)
		goto fail;
	memcpy(text, buf, n);
	text[n] = '\0';
	*len = n;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, max + 1);
		free(buf);
	}
	if (f != NULL)
		fclose(f);
	return text;
}

/* Reads the one-line secret in file name, and sets *pathp to the path
 * it was found at (the caller frees it, also on error); NULL with err
 * set (or empty if out of memory). */
static char *
secret_line(const char *name, const struct secret_spec *ss, char **pathp,
    char *err, size_t errlen)
{
	char *buf, *path, *start, *end, *tok = NULL;
	size_t n = 0;

	if ((buf = secret_load(name, ss, SECRET_MAX, &n, pathp, err, errlen)) ==
	    NULL)
		return NULL;
	path = *pathp;
	for (start = buf; isspace((unsigned char)*start); start++)
		;
	for (end = start + strlen(start);
	     end > start && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	if (*start == '\0' || strpbrk(start, "\r\n") != NULL ||
	    strlen(start) != (size_t)(end - start)) {
		snprintf(err, errlen, "%s %s must hold one non-empty line",
		    ss->ss_what, path);
		goto fail;
	}
	tok = strdup(start);
fail:
	explicit_bzero(buf, n);
	free(buf);
	return tok;
}

/* Reads the one-line secret in file name; NULL with err set (or empty
 * if out of memory). */
char *
secret_read(
    const char *name, const struct secret_spec *ss, char *err, size_t errlen)
{
	char *path, *tok;

	tok = secret_line(name, ss, &path, err, errlen);
	free(path);
	return tok;
}

/* Reads the whole secret file name, at most max bytes; NULL with err
 * set (or empty if out of memory). */
char *
secret_read_file(const char *name, const struct secret_spec *ss, size_t max,
    size_t *len, char *err, size_t errlen)
{
	char *path, *text;

	text = secret_load(name, ss, max, len, &path, err, errlen);
	free(path);
	return text;
}

/* Reads the line "user:password" in file name into *user and *password,
 * both secrets (the password may be empty: "key:"); 0, or -1 with err
 * set (or empty if out of memory). */
int
secret_read_basic(const char *name, const struct secret_spec *ss, char **user,
    char **password, char *err, size_t errlen)
{
	char *path, *line, *colon = NULL;
	int rc = -1;

	*user = *password = NULL;
	if ((line = secret_line(name, ss, &path, err, errlen)) == NULL)
		goto fail;
	/* RFC 7617: the user ends at the first colon. */
	if ((colon = strchr(line, ':')) == NULL) {
		snprintf(err, errlen,
		    "%s %s must hold user:password (key: for an empty "
		    "password)",
		    ss->ss_what, path);
		goto fail;
	}
	if (colon == line) {
		snprintf(
		    err, errlen, "%s %s has an empty user", ss->ss_what, path);
		goto fail;
	}
	*colon = '\0';
	if ((*user = strdup(line)) == NULL ||
	    (*password = strdup(colon + 1)) == NULL) {
		secret_free(*user);
		*user = NULL;
		goto fail;
	}
	rc = 0;
fail:
	/* Whole again, so that secret_free wipes the password too. */
	if (colon != NULL)
		*colon = ':';
	secret_free(line);
	free(path);
	return rc;
}

/* Wipes and frees secret; NULL is allowed. */
void
secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
