/*
 * The token cache.  Each entry stands for one set of credentials and
 * scope (sources naming the same key or client share it), holds the
 * access token and when to renew it, and makes at most one token
 * request at a time: a poll that needs a token while one is being
 * fetched waits for that request instead of making another.  Requests
 * are POSTs through xfer's multi handle, never a blocking call; the
 * grants' bodies come from auth_google.c and auth_oauth2.c.  Tokens and
 * secrets are never logged, and wiped when dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "auth.h"
#include "auth_google.h"
#include "auth_oauth2.h"
#include "log.h"
#include "outcome.h"
#include "secret.h"
#include "timeutil.h"

/* Longest OAuth error code shown in a message. */
#define AUTH_MAX_CODE 64

/* A poll waiting for a token request of its entry. */
struct auth_wait {
	struct auth_wait *aw_next;
	struct auth_cred *aw_cred;
	auth_token_cb aw_cb;
	void *aw_arg;
};

/* What a token request is set up with, for the length of xfer_start. */
struct auth_setup {
	const struct config_source *as_src; /* timeouts, CA file */
	const char *as_user_agent;
	const char *as_form;
};

/* One set of credentials and scope: its token and its request. */
struct auth_cred {
	struct auth_cred *ac_next;
	unsigned ac_refs; /* holders and waiters */
	char *ac_key; /* identity: endpoint, client, scope (and secret) */
	enum auth_grant ac_grant;
	struct auth_google_key *ac_google;
	char *ac_scope; /* or NULL */
	char *ac_url; /* the token endpoint */
	char *ac_url_shown; /* without userinfo, for messages */
	char *ac_user; /* oauth2: form-urlencoded id and secret */
	char *ac_password;
	struct curl_slist *ac_headers;
	char *ac_token; /* or NULL */
	uint64_t ac_gen; /* of ac_token: a 401 drops only the one it got */
	int64_t ac_renew_ms; /* monotonic: renew the token from then on */
	struct xfer_job *ac_job; /* the token request in flight */
	int64_t ac_started_ms;
	const struct auth_setup *ac_setup; /* during xfer_start only */
	struct auth_wait *ac_waiters; /* first come, first called */
	struct auth_wait **ac_waiters_tail;
	struct auth *ac_auth;
};

struct auth {
	struct xfer *a_xfer;
	struct auth_cred *a_creds;
	uint64_t a_requests;
	uint64_t a_gen; /* the last token's generation, over all entries */
};

/* The config's names of the grants. */
static const char *const auth_grant_names[] = {
    [AUTH_UNSET] = "none",
    [AUTH_NONE] = "none",
    [AUTH_GOOGLE] = "google_service_account",
    [AUTH_OAUTH2] = "oauth2_client_credentials",
};

/* Parses an auth value; 0 or -1. */
int
auth_parse_grant(const char *value, enum auth_grant *grant)
{
	enum auth_grant g;

	for (g = AUTH_NONE; g <= AUTH_OAUTH2; g++) {
		if (strcmp(value, auth_grant_names[g]) == 0) {
			*grant = g;
			return 0;
		}
	}
	return -1;
}

/* Returns the config's name of grant. */
const char *
auth_grant_name(enum auth_grant grant)
{
	if ((unsigned)grant > AUTH_OAUTH2)
		return "none";
	return auth_grant_names[grant];
}

/* Returns a token cache whose requests go through x. */
struct auth *
auth_new(struct xfer *x)
{
	struct auth *a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	a->a_xfer = x;
	return a;
}

/* Frees c and its secrets (it is out of the list, nothing waits). */
static void
auth_cred_free(struct auth *a, struct auth_cred *c)
{
	struct auth_wait *w, *next;

	if (c->ac_job != NULL)
		xfer_cancel(a->a_xfer, c->ac_job);
	for (w = c->ac_waiters; w != NULL; w = next) {
		next = w->aw_next;
		free(w);
	}
	secret_free(c->ac_key);
	auth_google_key_free(c->ac_google);
	free(c->ac_scope);
	free(c->ac_url);
	free(c->ac_url_shown);
	secret_free(c->ac_user);
	secret_free(c->ac_password);
	curl_slist_free_all(c->ac_headers);
	secret_free(c->ac_token);
	free(c);
}

/* Frees a, cancelling its token requests. */
void
auth_free(struct auth *a)
{
	struct auth_cred *c, *next;

	if (a == NULL)
		return;
	for (c = a->a_creds; c != NULL; c = next) {
		next = c->ac_next;
		auth_cred_free(a, c);
	}
	free(a);
}

/* Returns the identity of src's credentials and scope (caller frees it
 * with secret_free: it may hold the client secret), or NULL. */
static char *
auth_cred_key(const struct config_source *src)
{
	const struct auth_google_key *k = src->src_google_key;
	char *key = NULL;
	int n;

	if (src->src_auth == AUTH_GOOGLE)
		n = asprintf(&key, "google\n%s\n%s\n%s\n%s",
		    auth_google_key_token_uri(k), auth_google_key_email(k),
		    auth_google_key_id(k), src->src_scope);
	else
		n = asprintf(&key, "oauth2\n%s\n%s\n%s\n%s", src->src_token_url,
		    src->src_client_id,
		    src->src_scope != NULL ? src->src_scope : "",
		    src->src_client_secret);
	return n == -1 ? NULL : key;
}

/* Fills a new entry c from src's credentials; 0 or -1. */
static int
auth_cred_fill(struct auth_cred *c, const struct config_source *src)
{
	struct curl_slist *l;

	c->ac_grant = src->src_auth;
	if (src->src_scope != NULL &&
	    (c->ac_scope = strdup(src->src_scope)) == NULL)
		return -1;
	if (c->ac_grant == AUTH_GOOGLE) {
		c->ac_google = auth_google_key_ref(src->src_google_key);
		c->ac_url = strdup(auth_google_key_token_uri(c->ac_google));
	} else {
		c->ac_url = strdup(src->src_token_url);
		if (auth_oauth2_basic(src->src_client_id,
		        src->src_client_secret, &c->ac_user,
		        &c->ac_password) == -1)
			return -1;
	}
	if (c->ac_url == NULL ||
	    (c->ac_url_shown = config_redact_url(c->ac_url)) == NULL)
		return -1;
	if ((l = curl_slist_append(NULL,
	         "Content-Type: application/x-www-form-urlencoded")) == NULL)
		return -1;
	c->ac_headers = l;
	/* Appended in place: the head stays c->ac_headers. */
	return curl_slist_append(l, "Accept: application/json") != NULL ? 0
	                                                                : -1;
}

/* Returns the shared entry for src's credentials and scope, or NULL. */
struct auth_cred *
auth_cred_get(struct auth *a, const struct config_source *src)
{
	struct auth_cred *c;
	char *key;

	if (src->src_auth != AUTH_GOOGLE && src->src_auth != AUTH_OAUTH2)
		return NULL;
	if ((key = auth_cred_key(src)) == NULL)
		goto fail;
	for (c = a->a_creds; c != NULL; c = c->ac_next) {
		if (strcmp(c->ac_key, key) == 0) {
			secret_free(key);
			c->ac_refs++;
			return c;
		}
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		secret_free(key);
		goto fail;
	}
	c->ac_key = key;
	c->ac_refs = 1;
	c->ac_auth = a;
	c->ac_waiters_tail = &c->ac_waiters;
	if (auth_cred_fill(c, src) == -1) {
		auth_cred_free(a, c);
		goto fail;
	}
	c->ac_next = a->a_creds;
	a->a_creds = c;
	return c;
fail:
	log_warnx(
	    "source %s: out of memory for its credentials", src->src_name);
	return NULL;
}

/* Drops one reference to c, unlinking and freeing it with the last. */
static void
auth_cred_unref(struct auth *a, struct auth_cred *c)
{
	struct auth_cred **pp;

	if (--c->ac_refs > 0)
		return;
	for (pp = &a->a_creds; *pp != NULL; pp = &(*pp)->ac_next) {
		if (*pp == c) {
			*pp = c->ac_next;
			break;
		}
	}
	auth_cred_free(a, c);
}

/* Drops a holder of c, freeing it with the last; NULL is allowed. */
void
auth_cred_put(struct auth *a, struct auth_cred *c)
{
	if (c != NULL)
		auth_cred_unref(a, c);
}

/* Sets j up for c's token request: a form POST, no redirects. */
static int
auth_setup_cb(struct xfer_job *j, void *arg)
{
	struct auth_cred *c = arg;
	const struct auth_setup *s = c->ac_setup;
	const struct config_source *src = s->as_src;
	CURL *e = xfer_job_easy(j);
	CURLcode rc = CURLE_OK;

	curl_easy_reset(e);
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(e, opt, val);                    \
	} while (0)
	SET(CURLOPT_URL, c->ac_url);
	SET(CURLOPT_POST, 1L);
	/* Copied: the form (an assertion) is wiped once this returns. */
	SET(CURLOPT_COPYPOSTFIELDS, s->as_form);
	SET(CURLOPT_HTTPHEADER, c->ac_headers);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, s->as_user_agent);
	SET(CURLOPT_TIMEOUT_MS, (long)src->src_timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)src->src_connect_timeout_ms);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* A token endpoint that redirects is not followed: the form and
	 * the client's credentials go where the config says, or nowhere. */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)AUTH_MAX_BODY);
	if (src->src_ca_file != NULL)
		SET(CURLOPT_CAINFO, src->src_ca_file);
	if (c->ac_grant == AUTH_OAUTH2) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, c->ac_user);
		SET(CURLOPT_PASSWORD, c->ac_password);
	}
#undef SET
	if (rc != CURLE_OK) {
		log_warnx("auth: token request to %s: curl_easy_setopt: %s",
		    c->ac_url_shown, curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/* Copies the OAuth error code of the object o to buf if it is short
 * and printable; returns buf, or NULL if o has none. */
static const char *
auth_error_code(struct json_object *o, char *buf, size_t size)
{
	struct json_object *v;
	const char *s;
	size_t i;

	if (o == NULL || !json_object_object_get_ex(o, "error", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	for (i = 0; s[i] != '\0'; i++) {
		/* RFC 6749 5.2: printable ASCII but '"' and '\'. */
		if (i + 1 >= size || s[i] < 0x20 || s[i] > 0x7e ||
		    s[i] == '"' || s[i] == '\\')
			return "(unreadable)";
		buf[i] = s[i];
	}
	buf[i] = '\0';
	return i > 0 ? buf : "(empty)";
}

/* Reads expires_in of o as seconds (a number or a string of digits);
 * 1 with *s, 0 if absent, -1 if not a positive number. */
static int
auth_expires_in(struct json_object *o, int64_t *s)
{
	struct json_object *v;
	const char *p;
	int64_t n = 0;

	if (!json_object_object_get_ex(o, "expires_in", &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_string)) {
		p = json_object_get_string(v);
		if (*p == '\0' || strlen(p) > 12)
			return -1;
		for (; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			n = n * 10 + (*p - '0');
		}
	} else
		return -1;
	if (n <= 0)
		return -1;
	*s = n < AUTH_MAX_EXPIRES_S ? n : AUTH_MAX_EXPIRES_S;
	return 1;
}

/* Returns a copy of o's access_token if it is one curl can send as a
 * bearer (visible ASCII, not too long), or NULL. */
static char *
auth_access_token(struct json_object *o)
{
	struct json_object *v;
	const char *s;
	size_t i, n;

	if (!json_object_object_get_ex(o, "access_token", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > AUTH_MAX_TOKEN || strlen(s) != n)
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return NULL;
	return strdup(s);
}

/* Returns 1 if o's token_type is absent or Bearer. */
static int
auth_is_bearer(struct json_object *o)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, "token_type", &v) || v == NULL)
		return 1;
	return json_object_is_type(v, json_type_string) &&
	    strcasecmp(json_object_get_string(v), "bearer") == 0;
}

/* Parses a response body as a JSON object, or NULL. */
static struct json_object *
auth_parse_body(const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (len == 0 || (tok = json_tokener_new()) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * Reads c's finished token request j: 0 with *token and its lifetime
 * in *life_s, or -1 with err (kind auth, the endpoint's status and
 * error code in the message).
 */
static int
auth_read(struct auth_cred *c, struct xfer_job *j, CURLcode rc, char **token,
    int64_t *life_s, struct source_error *err)
{
	struct json_object *o = NULL;
	char code[AUTH_MAX_CODE + 1];
	const char *body, *why, *url = c->ac_url_shown;
	long status = xfer_job_status(j);
	size_t len;
	int has;

	*token = NULL;
	if (rc != CURLE_OK) {
		why = xfer_job_error(j);
		if (xfer_job_too_large(j) || rc == CURLE_FILESIZE_EXCEEDED)
			source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
			    "token endpoint %s: response larger than %d bytes",
			    url, AUTH_MAX_BODY);
		else
			source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
			    "token endpoint %s: %s: %s", url,
			    source_err_name(outcome_curl_kind(rc, 0)),
			    *why != '\0' ? why : curl_easy_strerror(rc));
		return -1;
	}
	body = xfer_job_body(j, &len);
	o = auth_parse_body(body, len);
	if (status < 200 || status > 299) {
		why = auth_error_code(o, code, sizeof code);
		if (why != NULL)
			source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
			    "token endpoint %s: HTTP %ld, error %s", url,
			    status, why);
		else
			source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
			    "token endpoint %s: HTTP %ld%s, no OAuth error "
			    "code",
			    url, status, outcome_reason(status));
		goto fail;
	}
	if (o == NULL) {
		source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
		    "token endpoint %s: HTTP %ld, the response is not a JSON "
		    "object",
		    url, status);
		goto fail;
	}
	if ((why = auth_error_code(o, code, sizeof code)) != NULL) {
		source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
		    "token endpoint %s: HTTP %ld, error %s", url, status, why);
		goto fail;
	}
	if (!auth_is_bearer(o)) {
		source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
		    "token endpoint %s: HTTP %ld, token_type is not Bearer",
		    url, status);
		goto fail;
	}
	if ((has = auth_expires_in(o, life_s)) != 1) {
		source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
		    has == 0 ? "token endpoint %s: HTTP %ld without expires_in"
		             : "token endpoint %s: HTTP %ld, expires_in is not "
		               "a positive number of seconds",
		    url, status);
		goto fail;
	}
	if ((*token = auth_access_token(o)) == NULL) {
		source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
		    "token endpoint %s: HTTP %ld without a usable "
		    "access_token",
		    url, status);
		goto fail;
	}
	json_object_put(o);
	return 0;
fail:
	json_object_put(o);
	return -1;
}

/* Calls every poll waiting on c with its token or err, then frees the
 * waits (which may free c). */
static void
auth_wake(struct auth *a, struct auth_cred *c, const struct source_error *err)
{
	struct auth_wait *w = c->ac_waiters, *next;
	unsigned n = 0;

	/* Taken off first: a callback may wait on c again. */
	c->ac_waiters = NULL;
	c->ac_waiters_tail = &c->ac_waiters;
	/* The waits hold c until every callback is done. */
	for (; w != NULL; w = next) {
		next = w->aw_next;
		w->aw_cb(err == NULL ? c->ac_token : NULL, c->ac_gen, err,
		    w->aw_arg);
		free(w);
		n++;
	}
	while (n-- > 0)
		auth_cred_unref(a, c);
}

/* xfer's callback: c's token request has ended with rc. */
static void
auth_done_cb(struct xfer_job *j, CURLcode rc, void *arg)
{
	struct auth_cred *c = arg;
	struct auth *a = c->ac_auth;
	struct source_error err;
	int64_t life_s = 0, life_ms, early;
	char *token;
	int ok;

	memset(&err, 0, sizeof err);
	ok = auth_read(c, j, rc, &token, &life_s, &err) == 0;
	xfer_job_put(a->a_xfer, j);
	c->ac_job = NULL;
	if (ok) {
		secret_free(c->ac_token);
		c->ac_token = token;
		c->ac_gen = ++a->a_gen;
		/* Renewed early: 10 % of its life, at most a minute, and
		 * counted from when it was asked for. */
		life_ms = life_s * 1000;
		early = life_ms / 10 < AUTH_EARLY_MAX_MS ? life_ms / 10
		                                         : AUTH_EARLY_MAX_MS;
		c->ac_renew_ms = c->ac_started_ms + life_ms - early;
		log_debug("auth: new token from %s, valid for %llds",
		    c->ac_url_shown, (long long)life_s);
	} else
		log_debug("auth: %s", err.se_message);
	auth_wake(a, c, ok ? NULL : &err);
}

/* Starts c's token request for a poll of src; 0, or -1 with err. */
static int
auth_fetch(struct auth *a, struct auth_cred *c, const struct config_source *src,
    const char *user_agent, struct source_error *err)
{
	struct auth_setup s = {src, user_agent, NULL};
	const char *why = "out of memory";
	char *form;

	if (c->ac_grant == AUTH_GOOGLE)
		form = auth_google_form(
		    c->ac_google, c->ac_scope, (int64_t)time(NULL));
	else
		form = auth_oauth2_form(c->ac_scope);
	if (form != NULL) {
		s.as_form = form;
		c->ac_setup = &s;
		c->ac_job = xfer_start(a->a_xfer, AUTH_MAX_BODY, auth_setup_cb,
		    auth_done_cb, c, &why);
		c->ac_setup = NULL;
		secret_free(form);
	}
	if (c->ac_job == NULL) {
		source_error_set(err, SOURCE_ERR_AUTH, 0, 0,
		    "token endpoint %s: cannot start a request: %s",
		    c->ac_url_shown, why);
		return -1;
	}
	c->ac_started_ms = timeutil_mono_ms();
	a->a_requests++;
	log_debug("auth: asking %s for a token (source %s)", c->ac_url_shown,
	    src->src_name);
	return 0;
}

/* Returns 1 if auth_token would start a token request for c now. */
int
auth_needs_request(const struct auth_cred *c)
{
	return c->ac_job == NULL &&
	    (c->ac_token == NULL || timeutil_mono_ms() >= c->ac_renew_ms);
}

/* Asks for c's token for a poll of src; 1, 0 (cb later) or -1. */
int
auth_token(struct auth *a, struct auth_cred *c, const struct config_source *src,
    const char *user_agent, auth_token_cb cb, void *arg,
    struct auth_wait **wait, const char **token, uint64_t *gen,
    struct source_error *err)
{
	struct auth_wait *w;

	*wait = NULL;
	if (c->ac_token != NULL && timeutil_mono_ms() < c->ac_renew_ms) {
		*token = c->ac_token;
		*gen = c->ac_gen;
		return 1;
	}
	/* Expired: never sent again. */
	secret_free(c->ac_token);
	c->ac_token = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL) {
		source_error_set(
		    err, SOURCE_ERR_INTERNAL, 0, 0, "out of memory");
		return -1;
	}
	if (c->ac_job == NULL && auth_fetch(a, c, src, user_agent, err) == -1) {
		free(w);
		return -1;
	}
	w->aw_cred = c;
	w->aw_cb = cb;
	w->aw_arg = arg;
	*c->ac_waiters_tail = w;
	c->ac_waiters_tail = &w->aw_next;
	c->ac_refs++;
	*wait = w;
	return 0;
}

/* Stops a wait without calling its callback; NULL is allowed. */
void
auth_cancel(struct auth *a, struct auth_wait *w)
{
	struct auth_cred *c;
	struct auth_wait **pp;

	if (w == NULL)
		return;
	c = w->aw_cred;
	for (pp = &c->ac_waiters; *pp != NULL; pp = &(*pp)->aw_next) {
		if (*pp == w) {
			*pp = w->aw_next;
			if (c->ac_waiters_tail == &w->aw_next)
				c->ac_waiters_tail = pp;
			break;
		}
	}
	free(w);
	auth_cred_unref(a, c);
}

/* Drops c's token of generation gen, which the API refused. */
void
auth_reject(struct auth_cred *c, uint64_t gen)
{
	if (c->ac_token == NULL || c->ac_gen != gen)
		return;
	log_debug("auth: the API refused the token from %s; asking again",
	    c->ac_url_shown);
	secret_free(c->ac_token);
	c->ac_token = NULL;
}

/* Returns the number of token requests a has started. */
uint64_t
auth_requests(const struct auth *a)
{
	return a->a_requests;
}
