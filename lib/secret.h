/*
 * Secrets read from files: a token the config names, looked up in
 * $CREDENTIALS_DIRECTORY (systemd's LoadCredential=) first, trimmed of
 * surrounding white space, at most SECRET_MAX bytes, one line (for HTTP
 * Basic, "user:password").  A secret is never logged; its buffer is
 * wiped before it is freed.
 */
#ifndef GATHERD_SECRET_H
#define GATHERD_SECRET_H

#include <stddef.h>

#define SECRET_MAX 4096

/* Called with what the file is (ss_what) and the path of a secret file
 * that everyone may read. */
typedef void secret_readable_cb(const char *what, const char *path, void *arg);

/* How to find a secret file and what to call it in messages. */
struct secret_spec {
	const char *ss_what; /* "token file", in messages */
	const char *ss_dir; /* for relative names, or NULL for the cwd */
	secret_readable_cb *ss_readable_cb; /* or NULL */
	void *ss_arg;
};

/* Reads the one-line secret in file name; NULL with err set (or empty
 * if out of memory). */
char *secret_read(
    const char *name, const struct secret_spec *ss, char *err, size_t errlen);
/*
 * Reads the whole secret file name (a JSON key), at most max bytes, by
 * the same rules; its length in *len.  NULL with err set (or empty if
 * out of memory).  Free it with secret_free.
 */
char *secret_read_file(const char *name, const struct secret_spec *ss,
    size_t max, size_t *len, char *err, size_t errlen);
/* Reads the line "user:password" in file name into *user and *password,
 * both secrets (the password may be empty: "key:"); 0, or -1 with err
 * set (or empty if out of memory). */
int secret_read_basic(const char *name, const struct secret_spec *ss,
    char **user, char **password, char *err, size_t errlen);
/* Wipes and frees secret; NULL is allowed. */
void secret_free(char *secret);

#endif
