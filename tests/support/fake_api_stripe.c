/*
 * A fake of Stripe's list of charges (GET /v1/charges on
 * api.stripe.com), enforcing its documented contract: HTTP Basic with
 * the secret key as the user and no password, created[gte] as today's
 * midnight in the recipe's zone in Unix seconds, limit from 1 to 100,
 * and no parameter Stripe does not know.  It answers the documented
 * list object {"object":"list","data":[charges],"has_more":B,
 * "url":"/v1/charges"}, at most limit charges, has_more true when there
 * were more; errors are {"error":{"type":"invalid_request_error",
 * "message":...}} with 400, 401 or 429 (code "rate_limit").  Sources:
 * https://docs.stripe.com/api/charges/list
 * https://docs.stripe.com/api/authentication
 * https://docs.stripe.com/api/errors
 * https://docs.stripe.com/api/pagination
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api_stripe.h"
#include "fake_api_kit.h"

/* The path the fake serves. */
#define FU_STRIPE_PATH "/api.stripe.com/v1/charges"
/* Stripe's largest page. */
#define FU_STRIPE_LIMIT 100

/* One charge held, its strings copied. */
struct fu_stripe_charge {
	long long sc_amount;
	char sc_currency[8];
	char sc_status[16];
};

/* The Stripe fake's state. */
struct fu_stripe {
	struct fu_api_kit st_kit;
	struct fu_stripe_charge st_charges[FAKE_STRIPE_MAX];
	size_t st_n;
};

/* What one request's answer needs, copied under the lock. */
struct fu_stripe_req {
	struct fu_stripe *sr_state;
	struct fu_stripe_charge sr_charges[FU_STRIPE_LIMIT];
	size_t sr_n;
	int sr_more;
	int64_t sr_midnight; /* today's midnight, Unix seconds */
	char sr_unknown[64]; /* a parameter Stripe does not know, or "" */
};

/* The list parameters Stripe documents for charges. */
static const char *const fu_stripe_params[] = {
    "created",
    "created[gt]",
    "created[gte]",
    "created[lt]",
    "created[lte]",
    "customer",
    "ending_before",
    "expand[]",
    "limit",
    "payment_intent",
    "starting_after",
    "transfer_group",
};

/* Returns a new state, or NULL. */
static void *
fu_stripe_new(void)
{
	return fu_api_kit_new(sizeof(struct fu_stripe), FAKE_STRIPE_ZONE, "");
}

/* Returns fu's Stripe state. */
static struct fu_stripe *
fu_stripe(struct fake_upstream *fu)
{
	return fu_api_kit_get(fu, FU_API_STRIPE, fu_stripe_new);
}

/* MHD iterator: notes the first query parameter Stripe does not know. */
static enum MHD_Result
fu_stripe_param_cb(
    void *arg, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct fu_stripe_req *r = arg;
	size_t i;

	(void)kind;
	(void)value;
	for (i = 0; i < sizeof fu_stripe_params / sizeof *fu_stripe_params; i++)
		if (strcmp(key, fu_stripe_params[i]) == 0)
			return MHD_YES;
	if (r->sr_unknown[0] == '\0')
		snprintf(r->sr_unknown, sizeof r->sr_unknown, "%s", key);
	return MHD_YES;
}

/* Returns the limit argument (1 to 100, default 10), or -1 if bad. */
static long
fu_stripe_limit(struct MHD_Connection *conn)
{
	const char *v = fu_api_kit_arg(conn, "limit");
	char *end;
	long n;

	if (v == NULL)
		return 10;
	n = strtol(v, &end, 10);
	return *v != '\0' && *end == '\0' && n >= 1 && n <= FU_STRIPE_LIMIT
	    ? n
	    : -1;
}

/* Checks a request against the list's contract; copies the page. */
static unsigned
fu_stripe_check(struct fu_api_kit *kit, struct MHD_Connection *conn,
    const struct fu_upload *req, void *arg, char *why, size_t size)
{
	struct fu_stripe_req *r = arg;
	struct fu_stripe *s = r->sr_state;
	const char *gte = fu_api_kit_arg(conn, "created[gte]");
	long limit;

	if (!fu_api_kit_basic(kit, conn, why, size)) {
		snprintf(why, size, "Invalid API Key provided");
		return MHD_HTTP_UNAUTHORIZED;
	}
	if (strcmp(req->url, FU_STRIPE_PATH) != 0 ||
	    strcmp(req->method, MHD_HTTP_METHOD_GET) != 0) {
		snprintf(why, size, "Unrecognized request URL (%s: %s)",
		    req->method, req->url);
		return MHD_HTTP_NOT_FOUND;
	}
	MHD_get_connection_values(
	    conn, MHD_GET_ARGUMENT_KIND, fu_stripe_param_cb, r);
	if (r->sr_unknown[0] != '\0') {
		snprintf(
		    why, size, "Received unknown parameter: %s", r->sr_unknown);
		return MHD_HTTP_BAD_REQUEST;
	}
	if ((limit = fu_stripe_limit(conn)) < 0) {
		snprintf(why, size, "Invalid integer: limit must be 1 to 100");
		return MHD_HTTP_BAD_REQUEST;
	}
	if (!fu_api_kit_is_midnight(kit->ak_zone, gte, 1, &r->sr_midnight)) {
		snprintf(why, size,
		    "created[gte] is %s, not today's midnight in %s (%" PRId64
		    ")",
		    gte ? gte : "(none)", kit->ak_zone, r->sr_midnight);
		return MHD_HTTP_BAD_REQUEST;
	}
	r->sr_n = s->st_n < (size_t)limit ? s->st_n : (size_t)limit;
	r->sr_more = s->st_n > r->sr_n;
	memcpy(r->sr_charges, s->st_charges, r->sr_n * sizeof *r->sr_charges);
	return 0;
}

/* Queues Stripe's error {"error":{type, message[, code]}} with status. */
static enum MHD_Result
fu_stripe_error(struct MHD_Connection *conn, unsigned status,
    const char *message, const char *code)
{
	struct json_object *o, *e;

	if ((o = json_object_new_object()) == NULL ||
	    (e = json_object_new_object()) == NULL)
		abort();
	fu_api_kit_add(e, "type", fu_api_kit_jstr("invalid_request_error"));
	fu_api_kit_add(e, "message", fu_api_kit_jstr(message));
	if (code != NULL)
		fu_api_kit_add(e, "code", fu_api_kit_jstr(code));
	fu_api_kit_add(o, "error", e);
	return fu_api_kit_reply(conn, status, o, NULL, NULL);
}

/* Returns charge i of r as a Stripe charge object. */
static struct json_object *
fu_stripe_charge(const struct fu_stripe_req *r, size_t i)
{
	const struct fu_stripe_charge *c = &r->sr_charges[i];
	int64_t now = fu_api_kit_now_ms() / 1000, created = now - (int64_t)i;
	struct json_object *o;
	char id[32];

	if ((o = json_object_new_object()) == NULL)
		abort();
	snprintf(id, sizeof id, "ch_3Fake%08zu", i);
	fu_api_kit_add(o, "id", fu_api_kit_jstr(id));
	fu_api_kit_add(o, "object", fu_api_kit_jstr("charge"));
	fu_api_kit_add(o, "amount", json_object_new_int64(c->sc_amount));
	fu_api_kit_add(o, "amount_captured",
	    json_object_new_int64(
	        strcmp(c->sc_status, "succeeded") == 0 ? c->sc_amount : 0));
	fu_api_kit_add(o, "currency", fu_api_kit_jstr(c->sc_currency));
	fu_api_kit_add(o, "status", fu_api_kit_jstr(c->sc_status));
	fu_api_kit_add(o, "paid",
	    json_object_new_boolean(strcmp(c->sc_status, "succeeded") == 0));
	fu_api_kit_add(o, "created",
	    json_object_new_int64(
	        created < r->sr_midnight ? r->sr_midnight : created));
	fu_api_kit_add(o, "livemode", json_object_new_boolean(0));
	return o;
}

/* Queues the list object of r's page. */
static enum MHD_Result
fu_stripe_answer(struct MHD_Connection *conn, const struct fu_stripe_req *r)
{
	struct json_object *o, *data;
	size_t i;

	if ((o = json_object_new_object()) == NULL ||
	    (data = json_object_new_array()) == NULL)
		abort();
	for (i = 0; i < r->sr_n; i++)
		if (json_object_array_add(data, fu_stripe_charge(r, i)) != 0)
			abort();
	fu_api_kit_add(o, "object", fu_api_kit_jstr("list"));
	fu_api_kit_add(o, "data", data);
	fu_api_kit_add(o, "has_more", json_object_new_boolean(r->sr_more));
	fu_api_kit_add(o, "url", fu_api_kit_jstr("/v1/charges"));
	return fu_api_kit_reply(conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* Route /api.stripe.com/...: the list of charges. */
enum MHD_Result
fu_api_stripe(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_upload *req)
{
	struct fu_stripe_req *r;
	struct fu_api_verdict v;
	enum MHD_Result ret;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return MHD_NO;
	r->sr_state = fu_stripe(fu);
	fu_api_kit_admit(
	    &r->sr_state->st_kit, conn, req, fu_stripe_check, r, &v);
	if (v.av_status != 0)
		ret = fu_stripe_error(conn, v.av_status, v.av_why, NULL);
	else if (v.av_mode == FAKE_API_REFUSE)
		ret = fu_stripe_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "Invalid API Key provided: sk_test_****", NULL);
	else if (v.av_mode == FAKE_API_LIMIT)
		ret = fu_stripe_error(conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "Request rate limit exceeded. Learn more about rate "
		    "limits here https://stripe.com/docs/rate-limits.",
		    "rate_limit");
	else if (v.av_mode == FAKE_API_FAIL)
		ret = fu_stripe_error(conn, MHD_HTTP_BAD_REQUEST,
		    "Invalid timestamp: must be an integer Unix timestamp.",
		    "parameter_invalid_integer");
	else
		ret = fu_stripe_answer(conn, r);
	free(r);
	return ret;
}

/* Sets the secret key the fake expects. */
void
fake_stripe_expect(struct fake_upstream *fu, const char *key)
{
	fu_api_kit_expect(&fu_stripe(fu)->st_kit, key, "");
}

/* Sets today's charges. */
void
fake_stripe_charges(
    struct fake_upstream *fu, const struct fake_stripe_charge *c, size_t n)
{
	struct fu_stripe *s = fu_stripe(fu);
	size_t i;

	if (n > FAKE_STRIPE_MAX)
		abort();
	pthread_mutex_lock(&s->st_kit.ak_lock);
	for (i = 0; i < n; i++) {
		s->st_charges[i].sc_amount = c[i].fc_amount;
		snprintf(s->st_charges[i].sc_currency,
		    sizeof s->st_charges[i].sc_currency, "%s",
		    c[i].fc_currency);
		snprintf(s->st_charges[i].sc_status,
		    sizeof s->st_charges[i].sc_status, "%s", c[i].fc_status);
	}
	s->st_n = n;
	pthread_mutex_unlock(&s->st_kit.ak_lock);
}

/* Returns the fake's handle. */
struct fu_api_kit *
fake_stripe(struct fake_upstream *fu)
{
	return &fu_stripe(fu)->st_kit;
}
