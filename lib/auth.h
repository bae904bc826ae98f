/*
 * Access tokens for sources whose API wants one from a token endpoint
 * (auth = google_service_account or oauth2_client_credentials): one
 * cache entry per set of credentials and scope, shared by every source
 * that names them, with at most one token request in flight each.  A
 * token is kept until shortly before it expires; a 401 drops it.  The
 * token requests are transfers of xfer, on the loop like the polls.
 */
#ifndef GATHERD_AUTH_H
#define GATHERD_AUTH_H

#include <stdint.h>

#include "config.h"
#include "source.h"
#include "xfer.h"

/* How a source gets its access token (src_auth). */
enum auth_grant {
	AUTH_UNSET = 0, /* not given: [gatherd]'s, else none */
	AUTH_NONE, /* auth = none */
	AUTH_GOOGLE, /* auth = google_service_account */
	AUTH_OAUTH2, /* auth = oauth2_client_credentials */
};

/* Largest token response read. */
#define AUTH_MAX_BODY (64 * 1024)
/* Longest access token taken. */
#define AUTH_MAX_TOKEN 8192
/* Longest expires_in taken, in seconds (a year); longer is clamped. */
#define AUTH_MAX_EXPIRES_S (365LL * 24 * 3600)
/* A token is renewed this long before it expires: 10 % of its life,
 * at most this many ms. */
#define AUTH_EARLY_MAX_MS 60000

struct auth;
struct auth_cred;
struct auth_wait;

/*
 * Called once when the token a source waited for came (token, borrowed
 * for the call, and its generation), or could not be had (token NULL,
 * err of kind auth).
 */
typedef void (*auth_token_cb)(
    const char *token, uint64_t gen, const struct source_error *err, void *arg);

/* Parses an auth value ("none", "google_service_account", ...); 0 or -1. */
int auth_parse_grant(const char *value, enum auth_grant *grant);
/* Returns the config's name of grant. */
const char *auth_grant_name(enum auth_grant grant);

/* Returns a token cache whose requests go through x; NULL if no memory. */
struct auth *auth_new(struct xfer *x);
/* Frees a, cancelling its token requests (waiters are not called). */
void auth_free(struct auth *a);
/*
 * Returns the shared entry for src's credentials and scope (one more
 * holder), or NULL if src has no auth or memory ran out (logged).
 */
struct auth_cred *
auth_cred_get(struct auth *a, const struct config_source *src);
/* Drops a holder of c, freeing it with the last; NULL is allowed. */
void auth_cred_put(struct auth *a, struct auth_cred *c);
/* Returns 1 if auth_token would start a token request for c now (no
 * token to renew from, none under way), else 0. */
int auth_needs_request(const struct auth_cred *c);
/*
 * Asks for c's token for a poll of src: 1 with *token (valid until the
 * loop turns) and *gen if one is held; 0 if a request is under way, and
 * cb will be called (*wait is set until then, for auth_cancel); -1 with
 * err if no request could start.
 */
int auth_token(struct auth *a, struct auth_cred *c,
    const struct config_source *src, const char *user_agent, auth_token_cb cb,
    void *arg, struct auth_wait **wait, const char **token, uint64_t *gen,
    struct source_error *err);
/* Stops a wait without calling its callback; NULL is allowed. */
void auth_cancel(struct auth *a, struct auth_wait *w);
/* Drops c's token of generation gen, which the API refused (a 401). */
void auth_reject(struct auth_cred *c, uint64_t gen);
/* Returns the number of token requests a has started. */
uint64_t auth_requests(const struct auth *a);

#endif
