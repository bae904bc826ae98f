/*
 * The keys of a source's request: method, body or body_file,
 * content_type and basic_auth_file, and [gatherd]'s named secrets.
 * config.c hands each such key here as it reads it, and each source
 * once the file is read, for what only the whole section tells (a body
 * needs POST, one kind of credentials) and for [gatherd]'s Basic auth.
 */
#ifndef GATHERD_CONFIG_REQUEST_H
#define GATHERD_CONFIG_REQUEST_H

#include <stddef.h>

#include "config.h"
#include "config_table.h"
#include "secret.h"

/* The largest body_file read, in bytes. */
#define CONFIG_REQUEST_BODY_MAX (256 * 1024)

/* Where a request key is read into, and how to find its files. */
struct config_request_in {
	struct config *ri_cf; /* for named secrets */
	struct config_source *ri_src; /* the source, or [gatherd]'s defaults */
	const char *ri_dir; /* the config file's directory, or NULL */
	secret_readable_cb *ri_readable_cb; /* told of files all may read */
	void *ri_arg;
	const char *ri_arg_key; /* what follows "secret ": the name */
};

/* Sets the request key of row e (a CONFIG_METHOD ... CONFIG_NAMED_SECRET
 * type) from value; 0, or -1 with err set (empty if out of memory). */
int config_request_set(const struct config_request_in *in,
    const struct config_entry *e, const char *value, char *err, size_t errlen);
/*
 * Checks src's request once its section is read, gives it the Basic
 * auth of [gatherd] (d) unless it has credentials of its own, and sets
 * its content type's default; 0, or -1 with err set (empty if out of
 * memory).
 */
int config_request_finish(struct config_source *src,
    const struct config_source *d, char *err, size_t errlen);
/* Frees src's request fields, wiping its credentials. */
void config_request_free(struct config_source *src);
/* Frees cf's named secrets, wiping them. */
void config_request_free_secrets(struct config *cf);
/* Returns the name of method m: "GET" or "POST". */
const char *config_request_method_name(enum config_method m);

#endif
