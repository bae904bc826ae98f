/*
 * Builds the request of a poll.  The header list is made once per
 * change (config or validators) and lent to curl for every poll; if a
 * header is a template, its expansion is checked at each poll and the
 * list made again when it differs.  A templated URL or body is expanded
 * at each poll, from the templates config compiled.  The easy handle
 * is reset and set up in full for each poll because the pool lends it
 * to any source, so a POST's method and body never reach the next GET.
 * Credentials never sit in the URL curl holds, and a bearer token or
 * Basic credentials go through curl's own auth so they are never sent
 * on to another host.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "request.h"
#include "template.h"
#include "timeutil.h"

/* One source's request headers, and the room its templates expand in. */
struct request {
	struct curl_slist *r_headers;
	int r_per_poll; /* a header is a template: r_headers at each poll */
	char *r_etag; /* the validators, kept for r_per_poll */
	char *r_last_modified;
	struct template_buf r_url; /* the url of the latest poll */
	struct template_buf r_line; /* a header line being expanded */
	struct template_buf r_body; /* the body of the latest poll */
	/* The templated header lines expanded, one after another, for the
	 * list in r_headers and for this poll: the list is made again only
	 * when they differ (a ${today} changes once a day). */
	struct template_buf r_made;
	struct template_buf r_now;
};

/* Returns the value of the named secret of the config arg, or NULL. */
static const char *
request_secret(const char *name, void *arg)
{
	return config_secret(arg, name);
}

/* Returns t if it must be expanded at each poll (a placeholder, or a
 * "$$" that stands for a "$"), else NULL: its text is what is sent. */
static const struct tpl *
request_dynamic(const struct tpl *t)
{
	if (t == NULL)
		return NULL;
	return !template_is_literal(t) || strchr(template_text(t), '$') != NULL
	    ? t
	    : NULL;
}

/* Expands t for a poll at now_ms into out, secrets from cf; 0, or -1
 * logged with what names (never a secret's value). */
static int
request_expand(const struct tpl *t, const struct config_source *src,
    const struct config *cf, int64_t now_ms, const char *what,
    struct template_buf *out)
{
	char err[256];

	if (template_expand(t, now_ms, src->src_tz, request_secret,
	        (void *)(uintptr_t)cf, out, err, sizeof err) == -1) {
		log_warnx("source %s: %s: %s", src->src_name, what, err);
		return -1;
	}
	return 0;
}

/* Returns src's header i's template if it has placeholders, else NULL. */
static const struct tpl *
request_header_tpl(const struct config_source *src, size_t i)
{
	if (src->src_header_tpls == NULL)
		return NULL;
	return request_dynamic(src->src_header_tpls[i]);
}

/* Appends line to *list; 0 or -1. */
static int
request_append(struct curl_slist **list, const char *line)
{
	struct curl_slist *l;

	if ((l = curl_slist_append(*list, line)) == NULL)
		return -1;
	*list = l;
	return 0;
}

/* Appends the header of src's method: a POST's Content-Type (none
 * without a body, where curl would send its form type); 0 or -1. */
static int
request_append_post(struct curl_slist **list, const struct config_source *src)
{
	char *line;
	int rc;

	if (src->src_method != CONFIG_METHOD_POST)
		return 0;
	if (src->src_content_type == NULL)
		rc = request_append(list, "Content-Type:");
	else {
		if (asprintf(
		        &line, "Content-Type: %s", src->src_content_type) == -1)
			return -1;
		rc = request_append(list, line);
		free(line);
	}
	return rc;
}

/* Builds r's header list for a poll at now_ms: the config's, templates
 * expanded with cf's secrets, then our validators; 0 or -1 (logged). */
static int
request_headers(struct request *r, const struct config_source *src,
    const struct config *cf, int64_t now_ms, struct curl_slist **out)
{
	const struct tpl *t;
	struct curl_slist *list = NULL;
	const char *line;
	int has_accept = 0;
	char buf[1024];
	size_t i;

	for (i = 0; i < src->src_nheaders; i++) {
		line = src->src_headers[i];
		if (strncasecmp(line, "Accept:", 7) == 0)
			has_accept = 1;
		if ((t = request_header_tpl(src, i)) != NULL) {
			if (request_expand(
			        t, src, cf, now_ms, "header", &r->r_line) == -1)
				goto fail;
			line = r->r_line.tb_data;
		}
		if (request_append(&list, line) == -1)
			goto fail;
	}
	if (!has_accept &&
	    request_append(&list, "Accept: application/json") == -1)
		goto fail;
	if (request_append_post(&list, src) == -1)
		goto fail;
	/* A POST with If-None-Match is answered 412, not 304 (RFC 9110
	 * 13.1.2): validators go with a GET only. */
	if (src->src_method == CONFIG_METHOD_GET && r->r_etag != NULL) {
		snprintf(buf, sizeof buf, "If-None-Match: %s", r->r_etag);
		if (request_append(&list, buf) == -1)
			goto fail;
	}
	if (src->src_method == CONFIG_METHOD_GET &&
	    r->r_last_modified != NULL) {
		snprintf(buf, sizeof buf, "If-Modified-Since: %s",
		    r->r_last_modified);
		if (request_append(&list, buf) == -1)
			goto fail;
	}
	*out = list;
	return 0;
fail:
	curl_slist_free_all(list);
	return -1;
}

/* Expands src's templated header lines for a poll at now_ms into
 * r_now, one after another; 0 or -1 (logged). */
static int
request_expand_headers(struct request *r, const struct config_source *src,
    const struct config *cf, int64_t now_ms)
{
	const struct tpl *t;
	size_t i;

	r->r_now.tb_len = 0;
	for (i = 0; i < src->src_nheaders; i++) {
		if ((t = request_header_tpl(src, i)) == NULL)
			continue;
		if (request_expand(t, src, cf, now_ms, "header", &r->r_line) ==
		        -1 ||
		    /* Each line with its NUL, so lines cannot run together. */
		    template_buf_append(&r->r_now, r->r_line.tb_data,
		        r->r_line.tb_len + 1) == -1)
			return -1;
	}
	return 0;
}

/* Makes r's header list for a poll at now_ms again if its templated
 * lines expand to other text than the list has; 0 or -1 (logged). */
static int
request_renew_headers(struct request *r, const struct config_source *src,
    const struct config *cf, int64_t now_ms)
{
	struct curl_slist *list;
	struct template_buf swap;

	if (request_expand_headers(r, src, cf, now_ms) == -1)
		return -1;
	if (r->r_headers != NULL && r->r_now.tb_len == r->r_made.tb_len &&
	    memcmp(r->r_now.tb_data, r->r_made.tb_data, r->r_now.tb_len) == 0)
		return 0;
	/* The last poll's transfer, which had the old list, is over. */
	if (request_headers(r, src, cf, now_ms, &list) == -1)
		return -1;
	curl_slist_free_all(r->r_headers);
	r->r_headers = list;
	swap = r->r_made;
	r->r_made = r->r_now;
	r->r_now = swap;
	return 0;
}

/* Builds the request headers: the config's, a POST's, our validators. */
struct request *
request_new(const struct config_source *src, const char *etag,
    const char *last_modified)
{
	struct request *r;
	size_t i;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	if ((etag != NULL && (r->r_etag = strdup(etag)) == NULL) ||
	    (last_modified != NULL &&
	        (r->r_last_modified = strdup(last_modified)) == NULL))
		goto fail;
	for (i = 0; i < src->src_nheaders; i++) {
		if (request_header_tpl(src, i) != NULL)
			r->r_per_poll = 1;
	}
	/* Without templates, one list serves every poll. */
	if (!r->r_per_poll &&
	    request_headers(r, src, NULL, 0, &r->r_headers) == -1)
		goto fail;
	return r;
fail:
	request_free(r);
	return NULL;
}

/* Frees r; NULL is allowed. */
void
request_free(struct request *r)
{
	if (r == NULL)
		return;
	curl_slist_free_all(r->r_headers);
	free(r->r_etag);
	free(r->r_last_modified);
	template_buf_free(&r->r_url);
	template_buf_free(&r->r_line);
	template_buf_free(&r->r_body);
	template_buf_free(&r->r_made);
	template_buf_free(&r->r_now);
	free(r);
}

/* Sets CURLOPT_USERNAME and CURLOPT_PASSWORD from url's userinfo. */
static int
request_userinfo(CURL *e, const char *url)
{
	char *user = NULL, *password = NULL;
	CURLU *u;
	int rc = 0;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		rc = -1;
	else {
		/* Decoded: "user%40corp" in the URL is the name user@corp. */
		if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) ==
		        CURLUE_OK &&
		    curl_easy_setopt(e, CURLOPT_USERNAME, user) != CURLE_OK)
			rc = -1;
		if (curl_url_get(u, CURLUPART_PASSWORD, &password,
		        CURLU_URLDECODE) == CURLUE_OK &&
		    curl_easy_setopt(e, CURLOPT_PASSWORD, password) != CURLE_OK)
			rc = -1;
	}
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		curl_free(password);
	}
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

/* Converts ms to whole seconds for curl's options, rounding up. */
static long
request_seconds(uint64_t ms)
{
	return (long)((ms + 999) / 1000);
}

/* Sets every option of e for a poll of src, cf's secrets and user agent;
 * 0 or -1 (logged). */
int
request_setup(struct request *r, CURL *e, const struct config_source *src,
    const char *url, const struct config *cf)
{
	const struct tpl *body_tpl = request_dynamic(src->src_body_tpl);
	CURLcode rc = CURLE_OK;
	int64_t now_ms = timeutil_wall_ms();
	const char *body = src->src_body;
	size_t body_len = src->src_body_len;

	/* Templates: one time for the url, every header and the body. */
	if (request_dynamic(src->src_url_tpl) != NULL) {
		if (request_expand(src->src_url_tpl, src, cf, now_ms, "url",
		        &r->r_url) == -1)
			return -1;
		url = r->r_url.tb_data;
	}
	if (r->r_per_poll && request_renew_headers(r, src, cf, now_ms) == -1)
		return -1;
	if (body_tpl != NULL) {
		if (request_expand(
		        body_tpl, src, cf, now_ms, "body", &r->r_body) == -1)
			return -1;
		body = r->r_body.tb_data;
		body_len = r->r_body.tb_len;
	}
	/* Keeps curl's caches (connections, DNS) but no option of the last
	 * source that used the handle. */
	curl_easy_reset(e);
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(e, opt, val);                    \
	} while (0)
	/* Credentials in the URL go through curl's own options, so the URL
	 * curl holds (and may name in an error) has none. */
	SET(CURLOPT_URL, url);
	if (strchr(src->src_url, '@') != NULL &&
	    request_userinfo(e, src->src_url) == -1)
		rc = CURLE_URL_MALFORMAT;
	SET(CURLOPT_HTTPHEADER, r->r_headers);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, cf->cf_user_agent);
	SET(CURLOPT_TIMEOUT_MS, (long)src->src_timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)src->src_connect_timeout_ms);
	if (src->src_low_speed_limit > 0) {
		/* A drip of a few bytes a second is not a live upstream. */
		SET(CURLOPT_LOW_SPEED_LIMIT, (long)src->src_low_speed_limit);
		SET(CURLOPT_LOW_SPEED_TIME,
		    request_seconds(src->src_low_speed_time_ms));
	}
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 3L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)src->src_max_body);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (src->src_ca_file != NULL)
		SET(CURLOPT_CAINFO, src->src_ca_file);
	if (src->src_token != NULL) {
		/* curl's own bearer auth: never sent to another host. */
		SET(CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		SET(CURLOPT_XOAUTH2_BEARER, src->src_token);
	}
	if (src->src_basic_user != NULL) {
		/* curl's own Basic auth: never sent to another host either. */
		SET(CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, src->src_basic_user);
		SET(CURLOPT_PASSWORD, src->src_basic_password);
	}
	if (src->src_method == CONFIG_METHOD_POST) {
		/* The body is the config's, alive as long as src, or r's
		 * expansion, alive until the next poll: curl borrows it.  A
		 * 301, 302 or 303 turns the POST into a GET, as browsers do;
		 * 307 and 308 keep it. */
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		SET(CURLOPT_POSTFIELDS, body != NULL ? body : "");
	}
#undef SET
	if (rc != CURLE_OK) {
		log_warnx("source %s: curl_easy_setopt: %s", src->src_name,
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/* Sends token as e's bearer through curl's own auth; 0 or -1. */
int
request_set_bearer(CURL *e, const char *token)
{
	/* curl's own bearer auth: never sent to another host. */
	if (curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BEARER) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, token) != CURLE_OK)
		return -1;
	return 0;
}
