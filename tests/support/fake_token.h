/*
 * The fake upstream's token endpoint and the API behind it, for the
 * auth tests: POST /token grants an access token for Google's JWT
 * bearer grant (the assertion's RS256 signature verified with the
 * public key, every claim checked) or for the client credentials grant
 * (HTTP Basic checked); GET /authed?name=X serves stats only to a
 * bearer it issued.  It counts what it saw and can be told to fail.
 * Also the test keys: an RSA key made at run time, never a file in git.
 */
#ifndef FAKE_TOKEN_H
#define FAKE_TOKEN_H

#include "fake_upstream.h"

/* How POST /token answers. */
enum fake_token_mode {
	FAKE_TOKEN_OK, /* checks the grant, then a token or a 400/401 */
	FAKE_TOKEN_SLOW, /* answers after 30 s (or when the client leaves) */
	FAKE_TOKEN_INVALID_CLIENT, /* 400 {"error":"invalid_client"} */
	FAKE_TOKEN_HTML, /* 200 with an HTML page */
	FAKE_TOKEN_NO_EXPIRES, /* 200 with a token but no expires_in */
	FAKE_TOKEN_NO_ACCESS_TOKEN, /* 200 with expires_in, no token */
};

/* What the token endpoint and the API have seen since start. */
struct fake_token_counts {
	unsigned long ftc_requests; /* POST /token */
	unsigned long ftc_granted; /* of which answered with a token */
	unsigned long ftc_api_calls; /* GET /authed */
	unsigned long ftc_api_denied; /* of which answered 401 */
};

/*
 * Makes a 2048-bit RSA key; sets *private_pem (PKCS#8) and *public_pem
 * (caller frees both); 0 or -1.
 */
int fake_token_keygen(char **private_pem, char **public_pem);
/* Returns a service-account key file's JSON text (caller frees). */
char *fake_token_key_json(const char *private_pem, const char *email,
    const char *kid, const char *token_uri);
/* Has POST /token take JWT assertions of this key and these claims. */
void fake_token_expect_google(struct fake_upstream *fu, const char *public_pem,
    const char *email, const char *kid, const char *scope, const char *aud);
/* Has POST /token take this client (scope NULL: none sent). */
void fake_token_expect_client(struct fake_upstream *fu, const char *id,
    const char *secret, const char *scope);
/* Sets how POST /token answers. */
void fake_token_set_mode(struct fake_upstream *fu, enum fake_token_mode mode);
/* Sets the expires_in of the tokens granted from now on (default 3600). */
void fake_token_set_expires_in(struct fake_upstream *fu, long seconds);
/* Makes every token issued so far invalid for /authed. */
void fake_token_revoke(struct fake_upstream *fu);
/* Has /authed answer 401 to every token (deny 1) or not (0). */
void fake_token_deny_all(struct fake_upstream *fu, int deny);
/* Reads the counters. */
void fake_token_counts(struct fake_upstream *fu, struct fake_token_counts *c);
/* Returns why the last grant was refused (caller frees), or NULL. */
char *fake_token_last_error(struct fake_upstream *fu);
/* Returns every token issued so far, NULL-terminated (caller frees
 * each and the array). */
char **fake_token_issued(struct fake_upstream *fu);

#endif
