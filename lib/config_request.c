/*
 * Reads the request keys of a source and [gatherd]'s named secrets: the
 * method, the body (given, or a file's text), its content type, the
 * Basic credentials of basic_auth_file and "secret NAME = FILE", every
 * secret through secret.c.  Then checks each source as a whole.  Messages
 * name keys and files, never a secret or a body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "auth.h"
#include "config_request.h"
#include "parse.h"

/* The content type of a body when none is given, and the two kinds
 * templates encode for. */
#define CONFIG_REQUEST_JSON "application/json"
#define CONFIG_REQUEST_FORM "application/x-www-form-urlencoded"
#define CONFIG_REQUEST_JSON_SUFFIX "+json"

/* The names of the methods, by enum config_method. */
static const char *const config_request_methods[] = {
    [CONFIG_METHOD_GET] = "GET",
    [CONFIG_METHOD_POST] = "POST",
};

/* Returns the name of method m: "GET" or "POST". */
const char *
config_request_method_name(enum config_method m)
{
	return config_request_methods[m == CONFIG_METHOD_POST
	        ? CONFIG_METHOD_POST
	        : CONFIG_METHOD_GET];
}

/* Sets src's method from value; 0, or -1 with err set. */
static int
config_request_method(struct config_source *src, const struct config_entry *e,
    const char *value, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i <
	     sizeof config_request_methods / sizeof config_request_methods[0];
	     i++) {
		if (strcmp(value, config_request_methods[i]) == 0) {
			src->src_method = (enum config_method)i;
			return 0;
		}
	}
	snprintf(err, errlen, "%s: expected %s, got \"%s\"", e->ce_name,
	    e->ce_hint, value);
	return -1;
}

/* Sets src's body to a copy of the len bytes of text; 0, or -1 with err
 * set (empty if out of memory). */
static int
config_request_set_body(struct config_source *src, const char *text, size_t len,
    char *err, size_t errlen)
{
	/* A second body key of the same name is config.c's duplicate. */
	if (src->src_body != NULL) {
		snprintf(err, errlen, "body and body_file are exclusive");
		return -1;
	}
	if ((src->src_body = malloc(len + 1)) == NULL)
		return -1;
	memcpy(src->src_body, text, len);
	src->src_body[len] = '\0';
	src->src_body_len = len;
	return 0;
}

/* Returns a malloc'd path for file name: as given if absolute, else in
 * dir (the config file's directory, NULL for the cwd); NULL if out of
 * memory. */
static char *
config_request_path(const char *name, const char *dir)
{
	char *path;

	if (*name == '/' || dir == NULL)
		return strdup(name);
	if (asprintf(&path, "%s/%s", dir, name) == -1)
		return NULL;
	return path;
}

/* Sets in's source's body to the text of file name; 0, or -1 with err
 * set (empty if out of memory). */
static int
config_request_body_file(const struct config_request_in *in, const char *name,
    char *err, size_t errlen)
{
	char *path = NULL, *buf = NULL;
	FILE *f = NULL;
	size_t n;
	int rc = -1;

	if (*name == '\0') {
		snprintf(err, errlen, "body_file is empty");
		return -1;
	}
	if ((path = config_request_path(name, in->ri_dir)) == NULL ||
	    (buf = malloc(CONFIG_REQUEST_BODY_MAX + 1)) == NULL)
		goto fail;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read body_file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	/* A directory opens, then fails to read: EISDIR. */
	n = fread(buf, 1, CONFIG_REQUEST_BODY_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read body_file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (n > CONFIG_REQUEST_BODY_MAX) {
		snprintf(err, errlen, "body_file %s is larger than %dk", path,
		    CONFIG_REQUEST_BODY_MAX / 1024);
		goto fail;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "body_file %s holds a NUL byte", path);
		goto fail;
	}
	/* An editor's line end after the last line is not the body's. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	rc = config_request_set_body(in->ri_src, buf, n, err, errlen);
fail:
	if (f != NULL)
		fclose(f);
	free(buf);
	free(path);
	return rc;
}

/* Sets src's content type from value; 0, or -1 with err set (empty if
 * out of memory). */
static int
config_request_content_type(struct config_source *src,
    const struct config_entry *e, const char *value, char *err, size_t errlen)
{
	if (!parse_valid_media_type(value)) {
		snprintf(err, errlen,
		    "%s: \"%s\" is not a media type (use e.g. %s)", e->ce_name,
		    value, e->ce_hint);
		return -1;
	}
	return (src->src_content_type = strdup(value)) == NULL ? -1 : 0;
}

/* Returns the spec secret.c reads in's files with, what naming them. */
static struct secret_spec
config_request_spec(const struct config_request_in *in, const char *what)
{
	struct secret_spec ss = {.ss_what = what,
	    .ss_dir = in->ri_dir,
	    .ss_readable_cb = in->ri_readable_cb,
	    .ss_arg = in->ri_arg};

	return ss;
}

/* Adds the secret in file to in's config as "secret NAME" (in's
 * ri_arg_key); 0, or -1 with err set (empty if out of memory). */
static int
config_request_add_secret(const struct config_request_in *in, const char *file,
    char *err, size_t errlen)
{
	struct secret_spec ss = config_request_spec(in, "secret file");
	struct config *cf = in->ri_cf;
	struct config_secret *grown;
	const char *name = in->ri_arg_key;
	char *name_copy = NULL, *value = NULL;

	name += strspn(name, " \t");
	if (!parse_valid_name(name)) {
		snprintf(err, errlen,
		    "invalid secret name \"%s\" (1 to 64 of "
		    "A-Z a-z 0-9 _ . -)",
		    name);
		return -1;
	}
	if (config_secret(cf, name) != NULL) {
		snprintf(err, errlen, "duplicate secret \"%s\"", name);
		return -1;
	}
	if ((value = secret_read(file, &ss, err, errlen)) == NULL)
		return -1;
	if ((name_copy = strdup(name)) == NULL ||
	    (grown = reallocarray(
	         cf->cf_secrets, cf->cf_nsecrets + 1, sizeof *grown)) == NULL) {
		free(name_copy);
		secret_free(value);
		return -1;
	}
	cf->cf_secrets = grown;
	grown[cf->cf_nsecrets].sec_name = name_copy;
	grown[cf->cf_nsecrets].sec_value = value;
	cf->cf_nsecrets++;
	return 0;
}

/* Sets the request key of row e (a CONFIG_METHOD ... CONFIG_NAMED_SECRET
 * type) from value; 0, or -1 with err set (empty if out of memory). */
int
config_request_set(const struct config_request_in *in,
    const struct config_entry *e, const char *value, char *err, size_t errlen)
{
	struct config_source *src = in->ri_src;
	struct secret_spec ss;

	err[0] = '\0';
	switch (e->ce_type) {
	case CONFIG_METHOD:
		return config_request_method(src, e, value, err, errlen);
	case CONFIG_BODY:
		return config_request_set_body(
		    src, value, strlen(value), err, errlen);
	case CONFIG_BODY_FILE:
		return config_request_body_file(in, value, err, errlen);
	case CONFIG_MEDIA_TYPE:
		return config_request_content_type(src, e, value, err, errlen);
	case CONFIG_BASIC_AUTH:
		ss = config_request_spec(in, "basic auth file");
		return secret_read_basic(value, &ss, &src->src_basic_user,
		    &src->src_basic_password, err, errlen);
	case CONFIG_NAMED_SECRET:
		return config_request_add_secret(in, value, err, errlen);
	default:
		snprintf(err, errlen, "%s is not a request key", e->ce_name);
		return -1;
	}
}

/* Returns 1 if url has a user or a password in it, else 0. */
static int
config_request_userinfo(const char *url)
{
	char *part = NULL;
	CURLU *u;
	int found = 0;

	if (url == NULL || (u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	        curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK))
		found = 1;
	curl_free(part);
	curl_url_cleanup(u);
	return found;
}

/* Returns 1 if src has a header line called name, else 0. */
static int
config_request_has_header(const struct config_source *src, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < src->src_nheaders; i++) {
		if (strncasecmp(src->src_headers[i], name, n) == 0 &&
		    src->src_headers[i][n] == ':')
			return 1;
	}
	return 0;
}

/* Returns the kind of a body of media type type. */
static enum config_body_kind
config_request_body_kind(const char *type)
{
	size_t n = strcspn(type, "; \t");
	size_t suffix = strlen(CONFIG_REQUEST_JSON_SUFFIX);

	if ((n == strlen(CONFIG_REQUEST_JSON) &&
	        strncasecmp(type, CONFIG_REQUEST_JSON, n) == 0) ||
	    (n > suffix &&
	        strncasecmp(type + n - suffix, CONFIG_REQUEST_JSON_SUFFIX,
	            suffix) == 0))
		return CONFIG_BODY_JSON;
	if (n == strlen(CONFIG_REQUEST_FORM) &&
	    strncasecmp(type, CONFIG_REQUEST_FORM, n) == 0)
		return CONFIG_BODY_FORM;
	return CONFIG_BODY_OTHER;
}

/* Checks what only src's whole section tells; NULL or the reason. */
static const char *
config_request_check(const struct config_source *src, int userinfo)
{
	if (src->src_basic_user != NULL && src->src_token != NULL)
		return "basic_auth_file and token_file are exclusive";
	if (src->src_basic_user != NULL && src->src_auth > AUTH_NONE)
		return "basic_auth_file and auth are exclusive";
	if (src->src_basic_user != NULL && userinfo)
		return "basic_auth_file and a user in the url are exclusive";
	if (src->src_body != NULL && src->src_method != CONFIG_METHOD_POST)
		return "a body needs method = POST";
	if (src->src_content_type != NULL && src->src_body == NULL)
		return "content_type needs a body or body_file";
	if (src->src_method == CONFIG_METHOD_POST &&
	    config_request_has_header(src, "Content-Type"))
		return "a POST sets content_type, not a Content-Type header";
	return NULL;
}

/*
 * Checks src's request once its section is read, gives it the Basic
 * auth of [gatherd] (d) unless it has credentials of its own, and sets
 * its content type's default; 0, or -1 with err set (empty if out of
 * memory).
 */
int
config_request_finish(struct config_source *src, const struct config_source *d,
    char *err, size_t errlen)
{
	int userinfo = config_request_userinfo(src->src_url);
	const char *why;

	err[0] = '\0';
	if ((why = config_request_check(src, userinfo)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	/* A source's own credentials, of any kind, replace [gatherd]'s. */
	if (d->src_basic_user != NULL && src->src_basic_user == NULL &&
	    src->src_token == NULL && src->src_auth <= AUTH_NONE && !userinfo) {
		if ((src->src_basic_user = strdup(d->src_basic_user)) == NULL ||
		    (src->src_basic_password = strdup(d->src_basic_password)) ==
		        NULL)
			return -1;
	}
	if (src->src_body == NULL)
		return 0;
	if (src->src_content_type == NULL &&
	    (src->src_content_type = strdup(CONFIG_REQUEST_JSON)) == NULL)
		return -1;
	src->src_body_kind = config_request_body_kind(src->src_content_type);
	return 0;
}

/* Frees src's request fields, wiping its credentials. */
void
config_request_free(struct config_source *src)
{
	/* A body may hold a literal key: wiped like a secret. */
	if (src->src_body != NULL) {
		explicit_bzero(src->src_body, src->src_body_len);
		free(src->src_body);
	}
	free(src->src_content_type);
	secret_free(src->src_basic_user);
	secret_free(src->src_basic_password);
}

/* Frees cf's named secrets, wiping them. */
void
config_request_free_secrets(struct config *cf)
{
	size_t i;

	for (i = 0; i < cf->cf_nsecrets; i++) {
		free(cf->cf_secrets[i].sec_name);
		secret_free(cf->cf_secrets[i].sec_value);
	}
	free(cf->cf_secrets);
}
