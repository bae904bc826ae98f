/*
 * The request of one poll: the headers a source sends (its own, an
 * Accept, a POST's Content-Type, the validators of a conditional GET)
 * and the options of the easy handle that carries it: URL, method and
 * body, credentials, User-Agent, timeouts, redirects and the protocols
 * allowed, with the templates of the URL and headers expanded for the
 * poll.  Nothing here starts a transfer;
 * that is xfer's job.
 */
#ifndef GATHERD_REQUEST_H
#define GATHERD_REQUEST_H

#include <curl/curl.h>

#include "config.h"

struct request;

/*
 * Returns src's request headers with the validators etag and
 * last_modified (either may be NULL); NULL if out of memory.
 */
struct request *request_new(const struct config_source *src, const char *etag,
    const char *last_modified);
/* Frees r; NULL is allowed. */
void request_free(struct request *r);
/*
 * Sets every option of e, reset first, for a poll of src through r:
 * url is the URL without credentials (src's userinfo goes through
 * curl's own options), replaced by the expansion of src's url template
 * if it has placeholders; header and body templates are expanded too,
 * at the wall time of the call, ${secret:NAME} from cf's secrets, and
 * the user agent is cf's.  0 or -1 (logged, never with a secret).
 */
int request_setup(struct request *r, CURL *e, const struct config_source *src,
    const char *url, const struct config *cf);

/*
 * Sends token as e's bearer through curl's own auth (never to another
 * host on a redirect); for an access token from auth.  0 or -1.
 */
int request_set_bearer(CURL *e, const char *token);

#endif
