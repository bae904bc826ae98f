/*
 * Error classification of finished transfers.  curl's results and the
 * reason phrases of the statuses upstreams often send are plain tables,
 * one row each; a result or status not in them takes the default.  A
 * rate limit is a 429, or GitHub's dialect: a 403 with
 * X-RateLimit-Remaining: 0.  The Retry-After and rate-limit reset
 * headers are parsed by the backoff, which also decides how long a
 * failure waits.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "backoff.h"
#include "outcome.h"

/* One curl result and the error kind it means. */
struct outcome_curl_row {
	CURLcode ocr_rc;
	enum source_err ocr_kind;
};

/* curl's results by kind; CURLE_WRITE_ERROR depends on the body cap. */
static const struct outcome_curl_row outcome_curl_table[] = {
    {CURLE_COULDNT_RESOLVE_HOST, SOURCE_ERR_DNS},
    {CURLE_COULDNT_RESOLVE_PROXY, SOURCE_ERR_DNS},
    {CURLE_OPERATION_TIMEDOUT, SOURCE_ERR_TIMEOUT},
    {CURLE_SSL_CONNECT_ERROR, SOURCE_ERR_TLS},
    {CURLE_PEER_FAILED_VERIFICATION, SOURCE_ERR_TLS},
    {CURLE_SSL_CERTPROBLEM, SOURCE_ERR_TLS},
    {CURLE_SSL_CIPHER, SOURCE_ERR_TLS},
    {CURLE_SSL_CACERT_BADFILE, SOURCE_ERR_TLS},
    {CURLE_SSL_ISSUER_ERROR, SOURCE_ERR_TLS},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, SOURCE_ERR_TLS},
    {CURLE_SSL_INVALIDCERTSTATUS, SOURCE_ERR_TLS},
    {CURLE_SSL_CRL_BADFILE, SOURCE_ERR_TLS},
    {CURLE_SSL_SHUTDOWN_FAILED, SOURCE_ERR_TLS},
    {CURLE_USE_SSL_FAILED, SOURCE_ERR_TLS},
    {CURLE_FILESIZE_EXCEEDED, SOURCE_ERR_TOO_LARGE},
    {CURLE_OUT_OF_MEMORY, SOURCE_ERR_INTERNAL},
    {CURLE_BAD_CONTENT_ENCODING, SOURCE_ERR_PARSE},
    {CURLE_TOO_MANY_REDIRECTS, SOURCE_ERR_HTTP_STATUS},
    {CURLE_UNSUPPORTED_PROTOCOL, SOURCE_ERR_HTTP_STATUS},
};

/* One HTTP status and the words that follow "HTTP <status>". */
struct outcome_reason_row {
	long orr_status;
	const char *orr_reason;
};

/* What the statuses upstreams often send mean, and what to check. */
static const struct outcome_reason_row outcome_reason_table[] = {
    {400, " Bad Request"},
    {401,
        " Unauthorized: the upstream refused the token (check "
        "token_file); next try after a full interval"},
    {403,
        " Forbidden: the token lacks access (check token_file "
        "and its permissions); next try after a full interval"},
    {404, " Not Found (check url)"},
    {410, " Gone (check url)"},
    {429, " Too Many Requests"},
    {500, " Internal Server Error"},
    {502, " Bad Gateway"},
    {503, " Service Unavailable"},
    {504, " Gateway Timeout"},
};

#define OUTCOME_NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Maps a failed transfer's result to an error kind. */
enum source_err
outcome_curl_kind(CURLcode rc, int too_large)
{
	size_t i;

	if (rc == CURLE_WRITE_ERROR)
		return too_large ? SOURCE_ERR_TOO_LARGE : SOURCE_ERR_INTERNAL;
	for (i = 0; i < OUTCOME_NITEMS(outcome_curl_table); i++)
		if (outcome_curl_table[i].ocr_rc == rc)
			return outcome_curl_table[i].ocr_kind;
	return SOURCE_ERR_CONNECT;
}

/* Returns a short reason phrase for the statuses upstreams often send. */
const char *
outcome_reason(long status)
{
	size_t i;

	for (i = 0; i < OUTCOME_NITEMS(outcome_reason_table); i++)
		if (outcome_reason_table[i].orr_status == status)
			return outcome_reason_table[i].orr_reason;
	return "";
}

/* Returns the header name of in's transfer, or NULL. */
static const char *
outcome_header(const struct outcome_in *in, const char *name)
{
	return in->oi_header != NULL ? in->oi_header(in->oi_header_arg, name)
	                             : NULL;
}

/* Returns 1 if a 403 is GitHub's rate limit: X-RateLimit-Remaining: 0. */
static int
outcome_quota_spent(const struct outcome_in *in)
{
	const char *v;
	size_t zeros;

	if (in->oi_status != 403 ||
	    (v = outcome_header(in, "X-RateLimit-Remaining")) == NULL)
		return 0;
	while (isspace((unsigned char)*v))
		v++;
	/* Zero, in one digit or more; nothing else. */
	if ((zeros = strspn(v, "0")) == 0)
		return 0;
	for (v += zeros; isspace((unsigned char)*v); v++)
		;
	return *v == '\0';
}

/* Returns 1 if in's status says the upstream's rate limit was hit. */
static int
outcome_rate_limited(const struct outcome_in *in)
{
	return in->oi_status == 429 || outcome_quota_spent(in);
}

/* Returns the server's hint of when to come back in ms, or -1. */
int64_t
outcome_hint(const struct outcome_in *in)
{
	int limited = outcome_rate_limited(in);
	int64_t now = in->oi_now_ms;
	uint64_t ms;

	if (!limited && in->oi_status != 503)
		return -1;
	if (backoff_parse_retry_after(
	        outcome_header(in, "Retry-After"), now, &ms) == 0)
		return (int64_t)ms;
	if (limited &&
	    (backoff_parse_reset(
	         outcome_header(in, "RateLimit-Reset"), now, &ms) == 0 ||
	        backoff_parse_reset(
	            outcome_header(in, "X-RateLimit-Reset"), now, &ms) == 0))
		return (int64_t)ms;
	return -1;
}

/* Works out how a finished transfer went. */
enum outcome
outcome_classify(
    const struct outcome_in *in, struct source_error *err, int64_t *hint_ms)
{
	long status = in->oi_status;
	enum source_err kind;

	*hint_ms = -1;
	if (in->oi_rc != CURLE_OK) {
		kind = outcome_curl_kind(in->oi_rc, in->oi_too_large);
		if (kind == SOURCE_ERR_TOO_LARGE)
			source_error_set(err, kind, (int)status, 0,
			    "body larger than max_body (%llu bytes)",
			    (unsigned long long)in->oi_max_body);
		else
			source_error_set(err, kind, (int)status, 0, "%s",
			    in->oi_errbuf != NULL && in->oi_errbuf[0] != '\0'
			        ? in->oi_errbuf
			        : curl_easy_strerror(in->oi_rc));
		return OUTCOME_FAILED;
	}
	if (status == 304 && in->oi_validated)
		return OUTCOME_NOT_MODIFIED; /* keep the values, no parse */
	if (status < 200 || status > 299) {
		*hint_ms = outcome_hint(in);
		if (outcome_quota_spent(in))
			source_error_set(err, SOURCE_ERR_RATE_LIMITED,
			    (int)status, 0,
			    "HTTP 403 Forbidden: rate limit exhausted "
			    "(X-RateLimit-Remaining: 0)");
		else
			source_error_set(err,
			    status == 429 ? SOURCE_ERR_RATE_LIMITED
			                  : SOURCE_ERR_HTTP_STATUS,
			    (int)status, 0, "HTTP %ld%s", status,
			    outcome_reason(status));
		return OUTCOME_FAILED;
	}
	return OUTCOME_BODY;
}
