/*
 * Routes of the fake upstream for access tokens: POST /token, an OAuth
 * 2.0 token endpoint enforcing the request contract of both grants
 * gatherd speaks, and GET /authed, an API that wants one of its tokens.
 * Google's grant is checked as Google documents it: the form's
 * grant_type, then the JWT's header (RS256, JWT, the key's id), its
 * RS256 signature with OpenSSL's EVP_DigestVerify against the public
 * key, and every claim (iss, scope, aud, iat near now, exp = iat + 1 h).
 * The client credentials grant is checked per RFC 6749 4.4 and 2.3.1:
 * grant_type, scope, and id and secret form-urlencoded inside Basic.
 * State is under the server's lock; the test keys are made here too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "fake_private.h"
#include "fake_token.h"

/* Longest form field kept. */
#define FT_FIELD_MAX 8192
/* How far iat may be from the fake's clock, in seconds. */
#define FT_SKEW_S 300
/* How long FAKE_TOKEN_SLOW waits before it answers. */
#define FT_SLOW_MS 30000

/* The token endpoint's expectations, counters and issued tokens. */
struct fu_token {
	char *public_pem;
	char *email;
	char *kid;
	char *google_scope;
	char *aud;
	char *client_id;
	char *client_secret;
	char *client_scope;
	enum fake_token_mode mode;
	long expires_in;
	bool deny_all;
	struct fake_token_counts counts;
	char **issued;
	size_t nissued;
	size_t valid_from; /* issued[valid_from..] are valid */
	char *last_error;
};

/* The fields of a token request's form. */
struct ft_form {
	char grant_type[FT_FIELD_MAX];
	char assertion[FT_FIELD_MAX];
	char scope[FT_FIELD_MAX];
	bool has_scope;
	bool too_long;
};

/* Returns a new token endpoint's state, or NULL. */
struct fu_token *
fu_token_new(void)
{
	struct fu_token *t = calloc(1, sizeof *t);

	if (t != NULL)
		t->expires_in = 3600;
	return t;
}

/* Frees t; NULL is allowed. */
void
fu_token_free(struct fu_token *t)
{
	size_t i;

	if (t == NULL)
		return;
	free(t->public_pem);
	free(t->email);
	free(t->kid);
	free(t->google_scope);
	free(t->aud);
	free(t->client_id);
	free(t->client_secret);
	free(t->client_scope);
	for (i = 0; i < t->nissued; i++)
		free(t->issued[i]);
	free(t->issued);
	free(t->last_error);
	free(t);
}

/* Replaces *dst with a copy of s (NULL allowed). */
static void
ft_set(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? strdup(s) : NULL;
}

/* Has POST /token take JWT assertions of this key and these claims. */
void
fake_token_expect_google(struct fake_upstream *fu, const char *public_pem,
    const char *email, const char *kid, const char *scope, const char *aud)
{
	struct fu_token *t = fu->token;

	pthread_mutex_lock(&fu->lock);
	ft_set(&t->public_pem, public_pem);
	ft_set(&t->email, email);
	ft_set(&t->kid, kid);
	ft_set(&t->google_scope, scope);
	ft_set(&t->aud, aud);
	pthread_mutex_unlock(&fu->lock);
}

/* Has POST /token take this client. */
void
fake_token_expect_client(struct fake_upstream *fu, const char *id,
    const char *secret, const char *scope)
{
	struct fu_token *t = fu->token;

	pthread_mutex_lock(&fu->lock);
	ft_set(&t->client_id, id);
	ft_set(&t->client_secret, secret);
	ft_set(&t->client_scope, scope);
	pthread_mutex_unlock(&fu->lock);
}

/* Sets how POST /token answers. */
void
fake_token_set_mode(struct fake_upstream *fu, enum fake_token_mode mode)
{
	pthread_mutex_lock(&fu->lock);
	fu->token->mode = mode;
	pthread_mutex_unlock(&fu->lock);
}

/* Sets the expires_in of the tokens granted from now on. */
void
fake_token_set_expires_in(struct fake_upstream *fu, long seconds)
{
	pthread_mutex_lock(&fu->lock);
	fu->token->expires_in = seconds;
	pthread_mutex_unlock(&fu->lock);
}

/* Makes every token issued so far invalid for /authed. */
void
fake_token_revoke(struct fake_upstream *fu)
{
	pthread_mutex_lock(&fu->lock);
	fu->token->valid_from = fu->token->nissued;
	pthread_mutex_unlock(&fu->lock);
}

/* Has /authed answer 401 to every token or not. */
void
fake_token_deny_all(struct fake_upstream *fu, int deny)
{
	pthread_mutex_lock(&fu->lock);
	fu->token->deny_all = deny != 0;
	pthread_mutex_unlock(&fu->lock);
}

/* Reads the counters. */
void
fake_token_counts(struct fake_upstream *fu, struct fake_token_counts *c)
{
	pthread_mutex_lock(&fu->lock);
	*c = fu->token->counts;
	pthread_mutex_unlock(&fu->lock);
}

/* Returns why the last grant was refused, or NULL. */
char *
fake_token_last_error(struct fake_upstream *fu)
{
	char *s;

	pthread_mutex_lock(&fu->lock);
	s = fu->token->last_error != NULL ? strdup(fu->token->last_error)
	                                  : NULL;
	pthread_mutex_unlock(&fu->lock);
	return s;
}

/* Returns every token issued so far, NULL-terminated. */
char **
fake_token_issued(struct fake_upstream *fu)
{
	char **list;
	size_t i;

	pthread_mutex_lock(&fu->lock);
	if ((list = calloc(fu->token->nissued + 1, sizeof *list)) != NULL)
		for (i = 0; i < fu->token->nissued; i++)
			list[i] = strdup(fu->token->issued[i]);
	pthread_mutex_unlock(&fu->lock);
	return list;
}

/* Makes a 2048-bit RSA key as PEM texts; 0 or -1. */
int
fake_token_keygen(char **private_pem, char **public_pem)
{
	EVP_PKEY *pkey;
	BIO *priv = NULL, *pub = NULL;
	char *data;
	long n;
	int rc = -1;

	*private_pem = *public_pem = NULL;
	if ((pkey = EVP_RSA_gen(2048)) == NULL)
		return -1;
	if ((priv = BIO_new(BIO_s_mem())) == NULL ||
	    (pub = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) !=
	        1 ||
	    PEM_write_bio_PUBKEY(pub, pkey) != 1)
		goto fail;
	n = BIO_get_mem_data(priv, &data);
	*private_pem = strndup(data, (size_t)n);
	n = BIO_get_mem_data(pub, &data);
	*public_pem = strndup(data, (size_t)n);
	if (*private_pem != NULL && *public_pem != NULL)
		rc = 0;
fail:
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(pkey);
	return rc;
}

/* Returns a service-account key file's JSON text. */
char *
fake_token_key_json(const char *private_pem, const char *email, const char *kid,
    const char *token_uri)
{
	struct json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(
	    o, "type", json_object_new_string("service_account"));
	json_object_object_add(
	    o, "project_id", json_object_new_string("gatherd-test"));
	json_object_object_add(
	    o, "private_key_id", json_object_new_string(kid));
	json_object_object_add(
	    o, "private_key", json_object_new_string(private_pem));
	json_object_object_add(
	    o, "client_email", json_object_new_string(email));
	json_object_object_add(
	    o, "client_id", json_object_new_string("1234567890"));
	json_object_object_add(o, "auth_uri",
	    json_object_new_string(
	        "https://accounts.google.com/o/oauth2/auth"));
	json_object_object_add(
	    o, "token_uri", json_object_new_string(token_uri));
	text = strdup(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/* Records why a grant was refused (under the lock). */
static void
ft_refuse(struct fake_upstream *fu, const char *why)
{
	pthread_mutex_lock(&fu->lock);
	ft_set(&fu->token->last_error, why);
	pthread_mutex_unlock(&fu->lock);
}

/* Appends a piece of a form field to the right buffer. */
static enum MHD_Result
ft_form_cb(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	struct ft_form *f = cls;
	char *dst = NULL;

	if (strcmp(key, "grant_type") == 0)
		dst = f->grant_type;
	else if (strcmp(key, "assertion") == 0)
		dst = f->assertion;
	else if (strcmp(key, "scope") == 0) {
		dst = f->scope;
		f->has_scope = true;
	}
	if (dst == NULL)
		return MHD_YES;
	if (off + size >= FT_FIELD_MAX) {
		f->too_long = true;
		return MHD_YES;
	}
	memcpy(dst + off, data, size);
	dst[off + size] = '\0';
	return MHD_YES;
}

/* Parses the urlencoded form body into f; 0 or -1. */
static int
ft_parse_form(struct MHD_Connection *conn, const char *body, size_t len,
    struct ft_form *f)
{
	struct MHD_PostProcessor *pp;
	int rc = 0;

	memset(f, 0, sizeof *f);
	if ((pp = MHD_create_post_processor(conn, 4096, ft_form_cb, f)) == NULL)
		return -1;
	if (len > 0 && MHD_post_process(pp, body, len) != MHD_YES)
		rc = -1;
	if (MHD_destroy_post_processor(pp) != MHD_YES)
		rc = -1;
	return rc == 0 && !f->too_long ? 0 : -1;
}

/* Decodes base64url text[0..n) into a new buffer (*len bytes). */
static unsigned char *
ft_b64url_decode(const char *text, size_t n, size_t *len)
{
	char *std;
	unsigned char *out;
	size_t i, padded = (n + 3) / 4 * 4;
	int got;

	if (n % 4 == 1 || (std = malloc(padded + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (text[i] == '-')
			std[i] = '+';
		else if (text[i] == '_')
			std[i] = '/';
		else if (text[i] == '+' || text[i] == '/' || text[i] == '=')
			break; /* not base64url */
		else
			std[i] = text[i];
	}
	if (i < n || (out = malloc(padded / 4 * 3 + 1)) == NULL) {
		free(std);
		return NULL;
	}
	for (; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';
	got = EVP_DecodeBlock(out, (unsigned char *)std, (int)padded);
	free(std);
	if (got < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes too. */
	*len = (size_t)got - (padded - n);
	out[*len] = '\0';
	return out;
}

/* Parses a decoded JWT part as a JSON object, or NULL. */
static struct json_object *
ft_part_json(const char *text, size_t n)
{
	size_t len;
	unsigned char *raw = ft_b64url_decode(text, n, &len);
	struct json_object *o;

	if (raw == NULL)
		return NULL;
	o = json_tokener_parse((char *)raw);
	free(raw);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* Returns 1 if the string field name of o is want. */
static int
ft_field_is(struct json_object *o, const char *name, const char *want)
{
	struct json_object *v;

	return want != NULL && json_object_object_get_ex(o, name, &v) &&
	    json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), want) == 0;
}

/* Returns the integer field name of o, or -1. */
static int64_t
ft_field_int(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* Verifies the RS256 signature sig[0..n) of input[0..len) with the PEM
 * public key; 1 if good. */
static int
ft_verify(const char *public_pem, const char *input, size_t len,
    const unsigned char *sig, size_t n)
{
	EVP_PKEY *pub = NULL;
	EVP_MD_CTX *ctx = NULL;
	BIO *bio;
	int ok = 0;

	if ((bio = BIO_new_mem_buf(public_pem, -1)) == NULL)
		return 0;
	pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pub != NULL && (ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(ctx, sig, n, (const unsigned char *)input, len) ==
	        1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pub);
	return ok;
}

/* Checks a JWT bearer assertion against t; NULL, or why it is refused.
 * Called with a copy of the expectations, outside the lock. */
static const char *
ft_check_jwt(const struct fu_token *t, const char *jwt)
{
	const char *dot1, *dot2, *why = NULL;
	struct json_object *header = NULL, *claims = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int64_t iat, exp, now = (int64_t)time(NULL);

	if ((dot1 = strchr(jwt, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL)
		return "assertion is not header.claims.signature";
	if ((header = ft_part_json(jwt, (size_t)(dot1 - jwt))) == NULL ||
	    (claims = ft_part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1))) ==
	        NULL) {
		why = "assertion header or claims are not base64url JSON";
		goto done;
	}
	if (!ft_field_is(header, "alg", "RS256") ||
	    !ft_field_is(header, "typ", "JWT") ||
	    !ft_field_is(header, "kid", t->kid)) {
		why = "header is not {alg: RS256, typ: JWT, kid: the key's}";
		goto done;
	}
	if ((sig = ft_b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen)) ==
	        NULL ||
	    !ft_verify(t->public_pem, jwt, (size_t)(dot2 - jwt), sig, siglen)) {
		why = "bad signature";
		goto done;
	}
	iat = ft_field_int(claims, "iat");
	exp = ft_field_int(claims, "exp");
	if (!ft_field_is(claims, "iss", t->email))
		why = "wrong iss";
	else if (!ft_field_is(claims, "scope", t->google_scope))
		why = "wrong scope";
	else if (!ft_field_is(claims, "aud", t->aud))
		why = "wrong aud";
	else if (iat < now - FT_SKEW_S || iat > now + FT_SKEW_S)
		why = "iat is not now";
	else if (exp != iat + 3600)
		why = "exp is not iat + 3600";
done:
	free(sig);
	json_object_put(header);
	json_object_put(claims);
	return why;
}

/* Checks the client's Basic credentials and scope; NULL or why not. */
static const char *
ft_check_client(const struct fu_token *t, struct MHD_Connection *conn,
    const struct ft_form *f)
{
	char *user, *pass = NULL;
	const char *why = NULL;

	if ((user = MHD_basic_auth_get_username_password(conn, &pass)) == NULL)
		return "no Basic client authentication";
	/* RFC 6749 2.3.1: both were form-urlencoded before Basic. */
	MHD_http_unescape(user);
	if (pass != NULL)
		MHD_http_unescape(pass);
	if (t->client_id == NULL || strcmp(user, t->client_id) != 0)
		why = "wrong client_id";
	else if (pass == NULL || t->client_secret == NULL ||
	    strcmp(pass, t->client_secret) != 0)
		why = "wrong client secret";
	else if ((t->client_scope != NULL) != f->has_scope ||
	    (f->has_scope && strcmp(f->scope, t->client_scope) != 0))
		why = "wrong scope";
	MHD_free(user);
	if (pass != NULL)
		MHD_free(pass);
	return why;
}

/* Issues a new token under the lock; returns a copy, or NULL. */
static char *
ft_issue(struct fake_upstream *fu)
{
	struct fu_token *t = fu->token;
	unsigned char rnd[16];
	char *token = NULL, **grown;
	size_t i;

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return NULL;
	pthread_mutex_lock(&fu->lock);
	if ((grown = realloc(t->issued, (t->nissued + 1) * sizeof *grown)) !=
	    NULL) {
		t->issued = grown;
		if ((token = malloc(sizeof rnd * 2 + 32)) != NULL) {
			i = (size_t)sprintf(token, "ya29.fake%zu.", t->nissued);
			for (size_t k = 0; k < sizeof rnd; k++)
				i += (size_t)sprintf(token + i, "%02x", rnd[k]);
			t->issued[t->nissued++] = token;
			token = strdup(token);
		}
	}
	pthread_mutex_unlock(&fu->lock);
	return token;
}

/* Copies t's expectations (under the lock) for a check outside it. */
static void
ft_copy(struct fake_upstream *fu, struct fu_token *copy)
{
	struct fu_token *t = fu->token;

	memset(copy, 0, sizeof *copy);
	pthread_mutex_lock(&fu->lock);
	ft_set(&copy->public_pem, t->public_pem);
	ft_set(&copy->email, t->email);
	ft_set(&copy->kid, t->kid);
	ft_set(&copy->google_scope, t->google_scope);
	ft_set(&copy->aud, t->aud);
	ft_set(&copy->client_id, t->client_id);
	ft_set(&copy->client_secret, t->client_secret);
	ft_set(&copy->client_scope, t->client_scope);
	copy->mode = t->mode;
	copy->expires_in = t->expires_in;
	t->counts.ftc_requests++;
	pthread_mutex_unlock(&fu->lock);
}

/* Frees the strings of a copy made by ft_copy. */
static void
ft_copy_free(struct fu_token *copy)
{
	free(copy->public_pem);
	free(copy->email);
	free(copy->kid);
	free(copy->google_scope);
	free(copy->aud);
	free(copy->client_id);
	free(copy->client_secret);
	free(copy->client_scope);
}

/* Answers a grant that passed every check: a new token. */
static enum MHD_Result
ft_grant(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_token *t)
{
	char body[512], *token;
	int n;

	if ((token = ft_issue(fu)) == NULL)
		return MHD_NO;
	if (t->mode == FAKE_TOKEN_NO_EXPIRES)
		n = snprintf(body, sizeof body,
		    "{\"access_token\":\"%s\",\"token_type\":\"Bearer\"}",
		    token);
	else
		n = snprintf(body, sizeof body,
		    "{\"access_token\":\"%s\",\"expires_in\":%ld,"
		    "\"token_type\":\"Bearer\"}",
		    token, t->expires_in);
	free(token);
	if (t->mode == FAKE_TOKEN_OK) {
		pthread_mutex_lock(&fu->lock);
		fu->token->counts.ftc_granted++;
		pthread_mutex_unlock(&fu->lock);
	}
	return fu_reply(conn, MHD_HTTP_OK, FU_JSON, body, (size_t)n,
	    "Cache-Control", "no-store");
}

/* Answers a POST /token as the mode says. */
static enum MHD_Result
ft_answer(struct fake_upstream *fu, struct MHD_Connection *conn,
    const struct fu_token *t, const char *body, size_t len)
{
	static const char html[] = "<html><body>Sign in</body></html>";
	static const char bad_client[] =
	    "{\"error\":\"invalid_client\",\"error_description\":"
	    "\"The OAuth client was not found.\"}";
	static const char no_token[] =
	    "{\"token_type\":\"Bearer\",\"expires_in\":3600}";
	struct ft_form f;
	const char *why = NULL;

	switch (t->mode) {
	case FAKE_TOKEN_SLOW:
		if (fu_sleep(fu, fu_conn_fd(conn), FT_SLOW_MS) != 0)
			return MHD_NO;
		break;
	case FAKE_TOKEN_INVALID_CLIENT:
		return fu_reply(conn, MHD_HTTP_BAD_REQUEST, FU_JSON, bad_client,
		    strlen(bad_client), NULL, NULL);
	case FAKE_TOKEN_HTML:
		return fu_reply(
		    conn, MHD_HTTP_OK, FU_HTML, html, strlen(html), NULL, NULL);
	case FAKE_TOKEN_NO_ACCESS_TOKEN:
		return fu_reply(conn, MHD_HTTP_OK, FU_JSON, no_token,
		    strlen(no_token), NULL, NULL);
	default:
		break;
	}
	if (ft_parse_form(conn, body, len, &f) != 0)
		why = "the body is not a form";
	else if (strcmp(f.grant_type,
	             "urn:ietf:params:oauth:grant-type:jwt-bearer") == 0)
		why = t->public_pem == NULL ? "no Google key expected"
		                            : ft_check_jwt(t, f.assertion);
	else if (strcmp(f.grant_type, "client_credentials") == 0)
		why = ft_check_client(t, conn, &f);
	else
		why = "unsupported grant_type";
	if (why != NULL) {
		ft_refuse(fu, why);
		return fu_error(conn, MHD_HTTP_BAD_REQUEST, "invalid_grant");
	}
	return ft_grant(fu, conn, t);
}

/* Route POST /token: an OAuth 2.0 token endpoint. */
enum MHD_Result
fu_route_token(struct fake_upstream *fu, struct MHD_Connection *conn,
    const char *method, const char *body, size_t len)
{
	struct fu_token t;
	const char *ctype;
	enum MHD_Result ret;

	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return fu_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, FU_JSON,
		    "{\"error\":\"invalid_request\"}", 27,
		    MHD_HTTP_HEADER_ALLOW, "POST");
	ctype = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	ft_copy(fu, &t);
	if (ctype == NULL ||
	    strncmp(ctype, "application/x-www-form-urlencoded", 33) != 0) {
		ft_refuse(fu, "not a form");
		ret = fu_error(conn, MHD_HTTP_BAD_REQUEST, "invalid_request");
	} else
		ret = ft_answer(fu, conn, &t, body, len);
	ft_copy_free(&t);
	return ret;
}

/* Returns 1 if the request's bearer is a token issued and not revoked
 * (under the lock). */
static int
ft_valid_bearer(struct fu_token *t, const char *auth)
{
	size_t i;

	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || t->deny_all)
		return 0;
	for (i = t->valid_from; i < t->nissued; i++)
		if (strcmp(auth + 7, t->issued[i]) == 0)
			return 1;
	return 0;
}

/* Route GET /authed: stats for a valid bearer, else 401. */
enum MHD_Result
fu_route_authed(struct fake_upstream *fu, struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct fu_token *t = fu->token;
	unsigned long served;
	char body[128];
	int ok, n;

	pthread_mutex_lock(&fu->lock);
	t->counts.ftc_api_calls++;
	if (!(ok = ft_valid_bearer(t, auth)))
		t->counts.ftc_api_denied++;
	served = t->counts.ftc_api_calls - t->counts.ftc_api_denied;
	pthread_mutex_unlock(&fu->lock);
	if (!ok)
		return fu_reply(conn, MHD_HTTP_UNAUTHORIZED, FU_JSON,
		    "{\"error\":\"invalid_token\"}", 25, "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
	n = snprintf(body, sizeof body, "{\"data\":{\"total\":%lu}}", served);
	return fu_reply(
	    conn, MHD_HTTP_OK, FU_JSON, body, (size_t)n, NULL, NULL);
}
