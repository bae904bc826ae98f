/*
 * The client credentials grant of OAuth 2.0 (RFC 6749, section 4.4):
 * the form body of a token request and the client's id and secret as
 * HTTP Basic credentials, each form-urlencoded first (section 2.3.1).
 * Pure text: auth.c sends it.
 */
#ifndef GATHERD_AUTH_OAUTH2_H
#define GATHERD_AUTH_OAUTH2_H

/*
 * Returns the form body "grant_type=client_credentials", with
 * "&scope=..." when scope is not NULL; NULL if out of memory.
 */
char *auth_oauth2_form(const char *scope);
/*
 * Sets *user and *password (caller frees both with secret_free) to the
 * form-urlencoded id and secret, which curl's Basic auth joins with a
 * colon and encodes; 0, or -1 if out of memory.
 */
int auth_oauth2_basic(
    const char *id, const char *secret, char **user, char **password);

#endif
