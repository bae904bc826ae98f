/*
 * A fake of GitHub's REST API "Get a repository" for the recipe
 * systemd/recipes/github.conf: GET /repos/OWNER/REPO on api.github.com
 * with a Bearer token, the versioned media type and an API version
 * header, answered with the documented repository object and rate-limit
 * headers.  On its knobs it answers GitHub's primary rate limit (403,
 * x-ratelimit-remaining: 0, x-ratelimit-reset as an absolute Unix time)
 * or its 401 "Bad credentials".  A request that breaks the documented
 * contract is refused as GitHub would and recorded.
 *
 * Documentation followed:
 * https://docs.github.com/rest/repos/repos#get-a-repository
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
 * https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
 * https://docs.github.com/rest/about-the-rest-api/api-versions
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fake_api_github.h"
#include "fake_api_kit.h"
#include "fake_private.h"

/* The documented API version and media type the recipe sends. */
#define GITHUB_VERSION "2022-11-28"
#define GITHUB_MEDIA "application/vnd.github+json"
/* The documented answers of a refused request. */
#define GITHUB_BAD_CREDENTIALS                                                 \
	"{\"message\":\"Bad credentials\",\"documentation_url\":"              \
	"\"https://docs.github.com/rest\",\"status\":\"401\"}"
#define GITHUB_RATE_LIMITED                                                    \
	"{\"message\":\"API rate limit exceeded for user ID 1. If you "        \
	"reach out to GitHub Support for help, please include the request "    \
	"ID 0000:0000:0000:0000:00000000.\",\"documentation_url\":"            \
	"\"https://docs.github.com/rest/overview/"                             \
	"rate-limits-for-the-rest-api\",\"status\":\"403\"}"

/* The fake's state, in fu's FU_API_GITHUB slot. */
struct fu_github {
	struct fu_api_kit gh_rec; /* its lock guards the rest */
	char *gh_token; /* the Bearer expected; NULL takes none */
	enum fake_github_mode gh_mode;
	int64_t gh_reset;
};

/* Returns a new state, or NULL. */
static void *
fu_github_make(void)
{
	struct fu_github *g = calloc(1, sizeof(*g));

	if (g != NULL && fu_api_kit_init(&g->gh_rec) != 0) {
		free(g);
		return NULL;
	}
	return g;
}

/* Frees a state made by fu_github_make. */
static void
fu_github_free(void *arg)
{
	struct fu_github *g = arg;

	if (g == NULL)
		return;
	fu_api_kit_fini(&g->gh_rec);
	free(g->gh_token);
	free(g);
}

/* Returns fu's GitHub state, aborting if it cannot be made. */
static struct fu_github *
fu_github(struct fake_upstream *fu)
{
	struct fu_github *g =
	    fu_api_state(fu, FU_API_GITHUB, fu_github_make, fu_github_free);

	if (g == NULL)
		abort();
	return g;
}

/* Returns 1 if s is a non-empty run of a GitHub name's characters. */
static int
fu_github_name_ok(const char *s, size_t n)
{
	return n > 0 && n <= 100 &&
	    strspn(s,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789-_.") >= n;
}

/* Returns the request header name of conn, or "". */
static const char *
fu_github_header(struct MHD_Connection *conn, const char *name)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	return v != NULL ? v : "";
}

/* Answers 200 with the documented repository object for owner/repo. */
static enum MHD_Result
fu_github_repo(struct MHD_Connection *conn, const char *full, int64_t reset)
{
	char body[2048], rst[32];
	const char *repo = strchr(full, '/') + 1;
	struct fu_rhdr hdrs[] = {
	    {"x-ratelimit-limit", "5000"},
	    {"x-ratelimit-remaining", "4999"},
	    {"x-ratelimit-used", "1"},
	    {"x-ratelimit-reset", rst},
	    {"x-ratelimit-resource", "core"},
	    {"x-github-api-version-selected", GITHUB_VERSION},
	};
	int n;

	snprintf(rst, sizeof rst, "%" PRId64, reset);
	n = snprintf(body, sizeof body,
	    "{\"id\":1296269,\"node_id\":\"MDEwOlJlcG9zaXRvcnkxMjk2MjY5\","
	    "\"name\":\"%s\",\"full_name\":\"%s\",\"private\":false,"
	    "\"owner\":{\"login\":\"%.*s\",\"id\":1,\"type\":\"User\"},"
	    "\"html_url\":\"https://github.com/%s\","
	    "\"description\":\"This your first repo!\",\"fork\":false,"
	    "\"url\":\"https://api.github.com/repos/%s\","
	    "\"homepage\":\"https://github.com\",\"language\":null,"
	    "\"forks_count\":%d,\"forks\":%d,"
	    "\"stargazers_count\":%d,\"watchers_count\":%d,\"watchers\":%d,"
	    "\"size\":108,\"default_branch\":\"master\","
	    "\"open_issues_count\":%d,\"open_issues\":%d,"
	    "\"is_template\":false,\"topics\":[\"octocat\",\"api\"],"
	    "\"has_issues\":true,\"archived\":false,\"disabled\":false,"
	    "\"visibility\":\"public\","
	    "\"pushed_at\":\"2011-01-26T19:06:43Z\","
	    "\"created_at\":\"2011-01-26T19:01:12Z\","
	    "\"updated_at\":\"2011-01-26T19:14:43Z\","
	    "\"subscribers_count\":42,\"network_count\":0}",
	    repo, full, (int)(repo - 1 - full), full, full, full,
	    FAKE_GITHUB_FORKS, FAKE_GITHUB_FORKS, FAKE_GITHUB_STARS,
	    FAKE_GITHUB_STARS, FAKE_GITHUB_STARS, FAKE_GITHUB_OPEN_ISSUES,
	    FAKE_GITHUB_OPEN_ISSUES);
	if (n < 0 || (size_t)n >= sizeof body)
		return MHD_NO;
	return fu_reply_list(conn, MHD_HTTP_OK,
	    "application/json; charset=utf-8", body, (size_t)n, hdrs,
	    sizeof hdrs / sizeof hdrs[0]);
}

/* Answers GitHub's primary rate limit: 403 with remaining 0 and reset. */
static enum MHD_Result
fu_github_limited(struct MHD_Connection *conn, int64_t reset)
{
	char rst[32];
	struct fu_rhdr hdrs[] = {
	    {"x-ratelimit-limit", "5000"},
	    {"x-ratelimit-remaining", "0"},
	    {"x-ratelimit-used", "5000"},
	    {"x-ratelimit-reset", rst},
	    {"x-ratelimit-resource", "core"},
	};

	snprintf(rst, sizeof rst, "%" PRId64, reset);
	return fu_reply_list(conn, MHD_HTTP_FORBIDDEN,
	    "application/json; charset=utf-8", GITHUB_RATE_LIMITED,
	    strlen(GITHUB_RATE_LIMITED), hdrs, sizeof hdrs / sizeof hdrs[0]);
}

/* Answers 401 Bad credentials, as GitHub does to a refused token. */
static enum MHD_Result
fu_github_unauthorized(struct MHD_Connection *conn)
{
	return fu_reply(conn, MHD_HTTP_UNAUTHORIZED,
	    "application/json; charset=utf-8", GITHUB_BAD_CREDENTIALS,
	    strlen(GITHUB_BAD_CREDENTIALS), NULL, NULL);
}

/* Route /api.github.com/ (any method): GET /repos/OWNER/REPO. */
enum MHD_Result
fu_api_github(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *body)
{
	static const char prefix[] = "/api.github.com/repos/";
	struct fu_github *g = fu_github(fu);
	const char *full, *slash, *auth;
	enum fake_github_mode mode;
	int64_t reset;
	int token_ok;

	auth = fu_api_kit_bearer(conn);
	pthread_mutex_lock(&g->gh_rec.ak_lock);
	g->gh_rec.ak_requests++;
	mode = g->gh_mode;
	reset = g->gh_reset;
	token_ok = auth != NULL && g->gh_token != NULL &&
	    strcmp(auth, g->gh_token) == 0;
	pthread_mutex_unlock(&g->gh_rec.ak_lock);
	full = strncmp(body->url, prefix, strlen(prefix)) == 0
	    ? body->url + strlen(prefix)
	    : "";
	if (full[0] == '\0' || (slash = strchr(full, '/')) == NULL ||
	    !fu_github_name_ok(full, (size_t)(slash - full)) ||
	    !fu_github_name_ok(slash + 1, strlen(slash + 1))) {
		fu_api_kit_violation(
		    &g->gh_rec, "path %s is not /repos/OWNER/REPO", body->url);
		return fu_reply_json(conn, MHD_HTTP_NOT_FOUND, NULL, NULL,
		    "{\"message\":\"Not Found\",\"documentation_url\":"
		    "\"https://docs.github.com/rest\",\"status\":\"404\"}");
	}
	if (strcmp(body->method, MHD_HTTP_METHOD_GET) != 0 || body->len != 0) {
		fu_api_kit_violation(&g->gh_rec,
		    "%s with a %zu-byte body, not a GET", body->method,
		    body->len);
		return fu_reply_json(conn, MHD_HTTP_NOT_FOUND, NULL, NULL,
		    "{\"message\":\"Not Found\",\"documentation_url\":"
		    "\"https://docs.github.com/rest\",\"status\":\"404\"}");
	}
	/* Every request needs a User-Agent; the media type and version
	 * are the recipe's, as GitHub recommends. */
	if (fu_github_header(conn, MHD_HTTP_HEADER_USER_AGENT)[0] == '\0' ||
	    strcmp(fu_github_header(conn, MHD_HTTP_HEADER_ACCEPT),
	        GITHUB_MEDIA) != 0 ||
	    strcmp(fu_github_header(conn, "X-GitHub-Api-Version"),
	        GITHUB_VERSION) != 0) {
		fu_api_kit_violation(&g->gh_rec,
		    "headers: User-Agent \"%s\", Accept \"%s\", "
		    "X-GitHub-Api-Version \"%s\"",
		    fu_github_header(conn, MHD_HTTP_HEADER_USER_AGENT),
		    fu_github_header(conn, MHD_HTTP_HEADER_ACCEPT),
		    fu_github_header(conn, "X-GitHub-Api-Version"));
		return fu_reply_json(conn, MHD_HTTP_BAD_REQUEST, NULL, NULL,
		    "{\"message\":\"Invalid request\",\"documentation_url\":"
		    "\"https://docs.github.com/rest\",\"status\":\"400\"}");
	}
	if (!token_ok) {
		fu_api_kit_violation(
		    &g->gh_rec, "Authorization is not the expected Bearer");
		return fu_github_unauthorized(conn);
	}
	switch (mode) {
	case FAKE_GITHUB_RATE_LIMITED:
		return fu_github_limited(conn, reset);
	case FAKE_GITHUB_BAD_CREDENTIALS:
		return fu_github_unauthorized(conn);
	case FAKE_GITHUB_OK:
		break;
	}
	return fu_github_repo(conn, full, reset);
}

/* Sets the token the fake expects as a Bearer. */
void
fake_github_expect(struct fake_upstream *fu, const char *token)
{
	struct fu_github *g = fu_github(fu);
	char *copy = strdup(token);

	if (copy == NULL)
		abort();
	pthread_mutex_lock(&g->gh_rec.ak_lock);
	free(g->gh_token);
	g->gh_token = copy;
	pthread_mutex_unlock(&g->gh_rec.ak_lock);
}

/* Sets what the fake answers and its x-ratelimit-reset. */
void
fake_github_set_mode(
    struct fake_upstream *fu, enum fake_github_mode mode, int64_t reset)
{
	struct fu_github *g = fu_github(fu);

	pthread_mutex_lock(&g->gh_rec.ak_lock);
	g->gh_mode = mode;
	g->gh_reset = reset;
	pthread_mutex_unlock(&g->gh_rec.ak_lock);
}

/* Returns a copy of the last contract violation, or NULL. */
char *
fake_github_violation(struct fake_upstream *fu)
{
	return fu_api_kit_last_violation(&fu_github(fu)->gh_rec);
}

/* Returns how many requests reached the fake. */
unsigned long
fake_github_requests(struct fake_upstream *fu)
{
	return fu_api_kit_count(&fu_github(fu)->gh_rec, 0);
}
