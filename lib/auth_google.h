/*
 * Google service-account keys and the signed JWT assertion that a
 * service account exchanges for an access token ("Using OAuth 2.0 for
 * Server to Server Applications").  The key is read from its JSON file
 * once, at load; each token request signs a fresh assertion with it
 * (RS256 through OpenSSL's EVP API, the one file that uses OpenSSL).
 */
#ifndef GATHERD_AUTH_GOOGLE_H
#define GATHERD_AUTH_GOOGLE_H

#include <stddef.h>
#include <stdint.h>

/* Google's scope for reading Analytics data, the default scope. */
#define AUTH_GOOGLE_SCOPE "https://www.googleapis.com/auth/analytics.readonly"
/* Lifetime of an assertion: Google accepts at most an hour. */
#define AUTH_GOOGLE_LIFETIME_S 3600
/* Largest key file read. */
#define AUTH_GOOGLE_KEY_MAX (64 * 1024)

struct auth_google_key;

/*
 * Parses a service-account key (the JSON text[0..len)); NULL with err
 * set to what is wrong ("missing client_email", "private_key: ...").
 */
struct auth_google_key *
auth_google_key_new(const char *text, size_t len, char *err, size_t errlen);
/* Returns k with one more reference (its holders share it). */
struct auth_google_key *auth_google_key_ref(struct auth_google_key *k);
/* Drops a reference to k, freeing it with the last; NULL is allowed. */
void auth_google_key_free(struct auth_google_key *k);
/* Returns the key's client_email (the assertion's iss). */
const char *auth_google_key_email(const struct auth_google_key *k);
/* Returns the key's private_key_id (the assertion's kid). */
const char *auth_google_key_id(const struct auth_google_key *k);
/* Returns the key's token_uri (where assertions go, and their aud). */
const char *auth_google_key_token_uri(const struct auth_google_key *k);
/*
 * Returns the signed assertion for scope issued at now_s (Unix
 * seconds), "header.claims.signature"; NULL (logged) on failure.
 */
char *auth_google_assertion(
    const struct auth_google_key *k, const char *scope, int64_t now_s);
/*
 * Returns the form body of a token request: the JWT bearer grant and an
 * assertion for scope issued at now_s; NULL (logged) on failure.
 */
char *auth_google_form(
    const struct auth_google_key *k, const char *scope, int64_t now_s);
/*
 * Writes in[0..n) as base64url without padding (RFC 7515) to out, room
 * for base64_encoded_len(n) + 1; returns its length (NUL-terminated).
 */
size_t auth_google_base64url(const void *in, size_t n, char *out);

#endif
