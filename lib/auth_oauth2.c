/*
 * OAuth 2.0 client credentials: the token request's body and the
 * client's HTTP Basic credentials.  RFC 6749 asks that id and secret be
 * form-urlencoded before Basic joins them with a colon, so a secret
 * holding ':' or '%' reaches the server intact; curl_easy_escape does
 * the percent-encoding (every byte but A-Z a-z 0-9 - . _ ~).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "auth_oauth2.h"
#include "secret.h"

/* Returns a malloc'd form-urlencoded copy of s, or NULL. */
static char *
auth_oauth2_encode(const char *s)
{
	char *escaped, *copy;

	if ((escaped = curl_easy_escape(NULL, s, 0)) == NULL)
		return NULL;
	copy = strdup(escaped);
	explicit_bzero(escaped, strlen(escaped));
	curl_free(escaped);
	return copy;
}

/* Returns the form body of a client credentials request, or NULL. */
char *
auth_oauth2_form(const char *scope)
{
	char *enc, *form;

	if (scope == NULL)
		return strdup("grant_type=client_credentials");
	if ((enc = auth_oauth2_encode(scope)) == NULL)
		return NULL;
	if (asprintf(&form, "grant_type=client_credentials&scope=%s", enc) ==
	    -1)
		form = NULL;
	free(enc);
	return form;
}

/* Sets *user and *password to the form-urlencoded id and secret. */
int
auth_oauth2_basic(
    const char *id, const char *secret, char **user, char **password)
{
	*user = auth_oauth2_encode(id);
	*password = auth_oauth2_encode(secret);
	if (*user == NULL || *password == NULL) {
		secret_free(*user);
		secret_free(*password);
		*user = *password = NULL;
		return -1;
	}
	return 0;
}
