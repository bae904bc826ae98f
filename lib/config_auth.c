/*
 * Reads a source's access-token keys: auth = ..., credentials_file,
 * token_url, client_id, client_secret_file and scope.  Once the file is
 * read, each source inherits the keys [gatherd] gave, and the keys it
 * then holds are checked to make exactly one grant.  The grants
 * themselves are auth.c's; config.c drives the parse.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_google.h"
#include "config_private.h"
#include "secret.h"

/* Sets *dst to the service-account key in the file value names (read
 * as a secret); 1 or 0. */
int
config_set_google_key(
    struct config_parse *cp, struct auth_google_key **dst, const char *value)
{
	struct secret_spec ss = {.ss_what = "credentials file",
	    .ss_dir = cp->cp_dir,
	    .ss_readable_cb = config_token_readable_cb,
	    .ss_arg = cp};
	char err[CONFIG_ERR_LEN], why[CONFIG_ERR_LEN];
	size_t len = 0;
	char *text;

	if ((text = secret_read_file(value, &ss, AUTH_GOOGLE_KEY_MAX, &len, err,
	         sizeof err)) == NULL) {
		if (err[0] != '\0')
			config_error(cp, 0, "%s", err);
		return 0;
	}
	*dst = auth_google_key_new(text, len, why, sizeof why);
	explicit_bzero(text, len);
	free(text);
	if (*dst == NULL) {
		config_error(cp, 0, "credentials_file %s: %s", value, why);
		return 0;
	}
	return 1;
}

/* Sets the int field of row e (an enum auth_grant) from value; 1 or 0. */
int
config_set_auth(struct config_parse *cp, const struct config_entry *e,
    int *field, const char *value)
{
	enum auth_grant grant;

	if (auth_parse_grant(value, &grant) == -1) {
		config_bad_value(cp, e, value);
		return 0;
	}
	*field = (int)grant;
	return 1;
}

/* Copies [gatherd]'s string *from to *to if the source gave none; 0 or
 * -1. */
static int
config_inherit_string(char **to, const char *from)
{
	if (*to != NULL || from == NULL)
		return 0;
	return (*to = strdup(from)) != NULL ? 0 : -1;
}

/*
 * Fills the auth keys src did not give from [gatherd]: its auth, then
 * only the keys of the grant that makes (the scope only if [gatherd]
 * means the same grant), none after auth = none; 0 or -1.
 */
static int
config_inherit_auth(const struct config *cf, struct config_source *src)
{
	const struct config_source *d = &cf->cf_defaults;
	int same;

	if (src->src_auth == AUTH_UNSET)
		src->src_auth =
		    d->src_auth != AUTH_UNSET ? d->src_auth : AUTH_NONE;
	same = d->src_auth == AUTH_UNSET || d->src_auth == src->src_auth;
	if (src->src_auth == AUTH_GOOGLE && src->src_google_key == NULL &&
	    d->src_google_key != NULL)
		src->src_google_key = auth_google_key_ref(d->src_google_key);
	if (src->src_auth == AUTH_OAUTH2 &&
	    (config_inherit_string(&src->src_token_url, d->src_token_url) ==
	            -1 ||
	        config_inherit_string(&src->src_client_id, d->src_client_id) ==
	            -1 ||
	        config_inherit_string(
	            &src->src_client_secret, d->src_client_secret) == -1))
		return -1;
	if (src->src_auth != AUTH_NONE && same &&
	    config_inherit_string(&src->src_scope, d->src_scope) == -1)
		return -1;
	return 0;
}

/* Returns the first auth key src holds that grant does not use, or
 * NULL. */
static const char *
config_stray_auth_key(const struct config_source *src, enum auth_grant grant)
{
	if (grant != AUTH_GOOGLE && src->src_google_key != NULL)
		return "credentials_file";
	if (grant != AUTH_OAUTH2 && src->src_token_url != NULL)
		return "token_url";
	if (grant != AUTH_OAUTH2 && src->src_client_id != NULL)
		return "client_id";
	if (grant != AUTH_OAUTH2 && src->src_client_secret != NULL)
		return "client_secret_file";
	if (grant == AUTH_NONE && src->src_scope != NULL)
		return "scope";
	return NULL;
}

/* Checks that src's auth keys make one grant and sets Google's default
 * scope; 0 or -1. */
int
config_check_auth(struct config_parse *cp, struct config_source *src)
{
	enum auth_grant grant;
	const char *key, *missing = NULL;

	if (config_inherit_auth(cp->cp_cf, src) == -1) {
		config_error(cp, src->src_line, "out of memory");
		return -1;
	}
	grant = (enum auth_grant)src->src_auth;
	if (grant == AUTH_NONE)
		grant = AUTH_UNSET;
	if ((key = config_stray_auth_key(src, src->src_auth)) != NULL) {
		config_error(cp, src->src_line,
		    grant == AUTH_UNSET
		        ? "source %s: %s needs auth = google_service_account "
		          "or oauth2_client_credentials"
		        : "source %s: %s is not a key of auth = %s",
		    src->src_name, key, auth_grant_name(grant));
		return -1;
	}
	if (grant == AUTH_UNSET)
		return 0;
	if (src->src_token != NULL) {
		config_error(cp, src->src_line,
		    "source %s: token_file and auth = %s exclude each other",
		    src->src_name, auth_grant_name(grant));
		return -1;
	}
	if (grant == AUTH_GOOGLE && src->src_google_key == NULL)
		missing = "credentials_file";
	else if (grant == AUTH_OAUTH2 && src->src_token_url == NULL)
		missing = "token_url";
	else if (grant == AUTH_OAUTH2 && src->src_client_id == NULL)
		missing = "client_id";
	else if (grant == AUTH_OAUTH2 && src->src_client_secret == NULL)
		missing = "client_secret_file";
	if (missing != NULL) {
		config_error(cp, src->src_line, "source %s: auth = %s needs %s",
		    src->src_name, auth_grant_name(grant), missing);
		return -1;
	}
	if (grant == AUTH_GOOGLE && src->src_scope == NULL &&
	    (src->src_scope = strdup(AUTH_GOOGLE_SCOPE)) == NULL) {
		config_error(cp, src->src_line, "out of memory");
		return -1;
	}
	return 0;
}
