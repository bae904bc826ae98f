/*
 * A fake of Matomo's Reporting API for the recipe
 * systemd/recipes/matomo.conf: VisitsSummary.get for one site and
 * today, as a form-encoded POST to index.php with token_auth in the body
 * (never in the URL, where Matomo 5 refuses a secure-only token), the
 * form decoded by GLib.  It answers the report as Matomo does, numbers
 * as numbers but bounce_rate as a string with a "%", and on its knobs an
 * error inside a 200 ({"result":"error","message":...}) or the 401 of a
 * refused token.  Matomo documents no rate limit, so there is none.
 *
 * Documentation followed:
 * https://developer.matomo.org/api-reference/reporting-api
 * https://developer.matomo.org/api-reference/reporting-api#VisitsSummary
 * https://matomo.org/faq/general/faq_114/ (token_auth, POST only tokens)
 * The refusal's text is Matomo's own (plugins/Login, NoAccessException on a
 * failed API login); its status, 401, is what Matomo Cloud users report.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <microhttpd.h>

#include "fake_api_matomo.h"
#include "fake_api_kit.h"
#include "fake_private.h"

/* The only path of the API. */
#define MATOMO_PATH "/matomo.example.com/index.php"
/* Matomo's answers to a token it refuses, sent securely or not. */
#define MATOMO_BAD_TOKEN                                                       \
	"Unable to authenticate with the provided token. It is either "        \
	"invalid or expired."
#define MATOMO_INSECURE_TOKEN                                                  \
	"Unable to authenticate with the provided token. It is either "        \
	"invalid, expired or is required to be sent as a POST parameter."

/* The fake's state, in fu's FU_API_MATOMO slot. */
struct fu_matomo {
	struct fu_api_kit mt_rec; /* its lock guards the rest */
	char *mt_token;
	enum fake_matomo_mode mt_mode;
};

/* One form field the request must carry with exactly this value. */
struct fu_matomo_field {
	const char *mf_name;
	const char *mf_value;
};

/* The fields of VisitsSummary.get for site 1, today, in JSON. */
static const struct fu_matomo_field fu_matomo_fields[] = {
    {"module", "API"},
    {"method", "VisitsSummary.get"},
    {"idSite", "1"},
    {"period", "day"},
    {"date", "today"},
    {"format", "JSON"},
};

/* Returns a new state, or NULL. */
static void *
fu_matomo_make(void)
{
	struct fu_matomo *m = calloc(1, sizeof(*m));

	if (m != NULL && fu_api_kit_init(&m->mt_rec) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

/* Frees a state made by fu_matomo_make. */
static void
fu_matomo_free(void *arg)
{
	struct fu_matomo *m = arg;

	if (m == NULL)
		return;
	fu_api_kit_fini(&m->mt_rec);
	free(m->mt_token);
	free(m);
}

/* Returns fu's Matomo state, aborting if it cannot be made. */
static struct fu_matomo *
fu_matomo(struct fake_upstream *fu)
{
	struct fu_matomo *m =
	    fu_api_state(fu, FU_API_MATOMO, fu_matomo_make, fu_matomo_free);

	if (m == NULL)
		abort();
	return m;
}

/* Answers Matomo's error shape {"result":"error","message":MSG}. */
static enum MHD_Result
fu_matomo_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return fu_reply_json(conn, status, NULL, NULL,
	    "{\"result\":\"error\",\"message\":\"%s\"}", msg);
}

/* Answers the VisitsSummary.get report of one day. */
static enum MHD_Result
fu_matomo_report(struct MHD_Connection *conn)
{
	return fu_reply_json(conn, MHD_HTTP_OK, NULL, NULL,
	    "{\"nb_uniq_visitors\":1001,\"nb_users\":0,\"nb_visits\":%d,"
	    "\"nb_actions\":%d,\"nb_visits_converted\":12,"
	    "\"bounce_count\":827,\"sum_visit_length\":230758,"
	    "\"max_actions\":57,\"bounce_rate\":\"%s\","
	    "\"nb_actions_per_visit\":3.5,\"avg_time_on_site\":%d}",
	    FAKE_MATOMO_VISITS, FAKE_MATOMO_ACTIONS, FAKE_MATOMO_BOUNCE_RATE,
	    FAKE_MATOMO_AVG_TIME);
}

/*
 * Checks the decoded form against VisitsSummary.get's contract and the
 * expected token; returns NULL if it holds, else what broke (a static
 * string) with *token_bad set when only the token differs.
 */
static const char *
fu_matomo_check_form(GHashTable *form, const char *token, int *token_bad)
{
	const char *v;
	size_t i;

	*token_bad = 0;
	for (i = 0; i < sizeof fu_matomo_fields / sizeof fu_matomo_fields[0];
	     i++) {
		v = g_hash_table_lookup(form, fu_matomo_fields[i].mf_name);
		if (v == NULL || strcmp(v, fu_matomo_fields[i].mf_value) != 0)
			return fu_matomo_fields[i].mf_name;
	}
	v = g_hash_table_lookup(form, "token_auth");
	if (v == NULL || token == NULL || strcmp(v, token) != 0) {
		*token_bad = 1;
		return "token_auth";
	}
	return NULL;
}

/* Route /matomo.example.com/ (any method): POST /index.php. */
enum MHD_Result
fu_api_matomo(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *body)
{
	struct fu_matomo *m = fu_matomo(fu);
	const char *ctype, *broke;
	GHashTable *form = NULL;
	enum fake_matomo_mode mode;
	enum MHD_Result ret;
	int token_bad = 0;

	pthread_mutex_lock(&m->mt_rec.ak_lock);
	m->mt_rec.ak_requests++;
	pthread_mutex_unlock(&m->mt_rec.ak_lock);
	ctype = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (strcmp(body->url, MATOMO_PATH) != 0 ||
	    strcmp(body->method, MHD_HTTP_METHOD_POST) != 0) {
		fu_api_kit_violation(&m->mt_rec, "%s %s, not POST %s",
		    body->method, body->url, MATOMO_PATH);
		return fu_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	}
	/* A token in the URL is refused, as for a secure-only token. */
	if (MHD_lookup_connection_value(
	        conn, MHD_GET_ARGUMENT_KIND, "token_auth") != NULL) {
		fu_api_kit_violation(&m->mt_rec, "token_auth in the URL");
		return fu_matomo_error(
		    conn, MHD_HTTP_UNAUTHORIZED, MATOMO_INSECURE_TOKEN);
	}
	if (ctype == NULL ||
	    g_ascii_strncasecmp(ctype, "application/x-www-form-urlencoded",
	        strlen("application/x-www-form-urlencoded")) != 0) {
		fu_api_kit_violation(&m->mt_rec, "Content-Type %s",
		    ctype != NULL ? ctype : "(none)");
		return fu_matomo_error(
		    conn, MHD_HTTP_UNAUTHORIZED, MATOMO_INSECURE_TOKEN);
	}
	form = g_uri_parse_params(
	    body->data, (gssize)body->len, "&", G_URI_PARAMS_WWW_FORM, NULL);
	pthread_mutex_lock(&m->mt_rec.ak_lock);
	mode = m->mt_mode;
	broke = form != NULL
	    ? fu_matomo_check_form(form, m->mt_token, &token_bad)
	    : "the form";
	pthread_mutex_unlock(&m->mt_rec.ak_lock);
	if (broke != NULL) {
		/* Never the token itself in the record: it is a secret. */
		fu_api_kit_violation(
		    &m->mt_rec, "body: %s missing or wrong", broke);
		ret = token_bad ? fu_matomo_error(conn, MHD_HTTP_UNAUTHORIZED,
		                      MATOMO_BAD_TOKEN)
		                : fu_reply_json(conn, MHD_HTTP_OK, NULL, NULL,
		                      "{\"result\":\"error\",\"message\":"
		                      "\"Please specify a value for '%s'.\"}",
		                      broke);
	} else if (mode == FAKE_MATOMO_API_ERROR)
		ret = fu_matomo_error(conn, MHD_HTTP_OK, FAKE_MATOMO_ERROR);
	else if (mode == FAKE_MATOMO_BAD_TOKEN)
		ret = fu_matomo_error(
		    conn, MHD_HTTP_UNAUTHORIZED, MATOMO_BAD_TOKEN);
	else
		ret = fu_matomo_report(conn);
	if (form != NULL)
		g_hash_table_unref(form);
	return ret;
}

/* Sets the token_auth the fake expects. */
void
fake_matomo_expect(struct fake_upstream *fu, const char *token)
{
	struct fu_matomo *m = fu_matomo(fu);
	char *copy = strdup(token);

	if (copy == NULL)
		abort();
	pthread_mutex_lock(&m->mt_rec.ak_lock);
	free(m->mt_token);
	m->mt_token = copy;
	pthread_mutex_unlock(&m->mt_rec.ak_lock);
}

/* Sets what the fake answers. */
void
fake_matomo_set_mode(struct fake_upstream *fu, enum fake_matomo_mode mode)
{
	struct fu_matomo *m = fu_matomo(fu);

	pthread_mutex_lock(&m->mt_rec.ak_lock);
	m->mt_mode = mode;
	pthread_mutex_unlock(&m->mt_rec.ak_lock);
}

/* Returns a copy of the last contract violation, or NULL. */
char *
fake_matomo_violation(struct fake_upstream *fu)
{
	return fu_api_kit_last_violation(&fu_matomo(fu)->mt_rec);
}

/* Returns how many requests reached the fake. */
unsigned long
fake_matomo_requests(struct fake_upstream *fu)
{
	return fu_api_kit_count(&fu_matomo(fu)->mt_rec, 0);
}
