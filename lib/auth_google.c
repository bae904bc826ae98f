/*
 * Google service accounts: the JSON key file parsed with json-c, its
 * PEM private key read by OpenSSL, and the RS256 JWT assertion of the
 * JWT bearer grant (RFC 7523) signed with EVP_DigestSign and SHA-256.
 * The only file in lib/ that includes OpenSSL; nothing here is
 * hand-rolled cryptography.  The key's buffers are wiped when freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth_google.h"
#include "base64.h"
#include "log.h"
#include "parse.h"

/* The least RSA modulus RS256 allows (RFC 7518, section 3.3). */
#define AUTH_GOOGLE_MIN_BITS 2048

/* A service-account key: who it is, where it asks, what it signs with. */
struct auth_google_key {
	unsigned gk_refs;
	char *gk_email;
	char *gk_key_id;
	char *gk_token_uri;
	EVP_PKEY *gk_pkey;
};

/* Returns a copy of string field name of key, or NULL with err set. */
static char *
auth_google_field(
    struct json_object *key, const char *name, char *err, size_t errlen)
{
	struct json_object *v;
	char *copy;

	if (!json_object_object_get_ex(key, name, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0) {
		snprintf(err, errlen, "missing %s", name);
		return NULL;
	}
	if ((copy = strdup(json_object_get_string(v))) == NULL)
		snprintf(err, errlen, "out of memory");
	return copy;
}

/* Refuses OpenSSL's passphrase prompt: a key must not be encrypted. */
static int
auth_google_no_pass_cb(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

/* Reads the PEM private key pem as an RSA key of 2048 bits or more;
 * NULL with err set. */
static EVP_PKEY *
auth_google_read_pkey(const char *pem, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	unsigned long code;
	const char *reason;
	BIO *bio;

	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, auth_google_no_pass_cb, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		code = ERR_peek_last_error();
		reason = code != 0 ? ERR_reason_error_string(code) : NULL;
		snprintf(err, errlen,
		    "private_key is not a PEM private key OpenSSL can read "
		    "(%s)",
		    reason != NULL ? reason : "no key found");
		ERR_clear_error();
		return NULL;
	}
	if (!EVP_PKEY_is_a(pkey, "RSA") ||
	    EVP_PKEY_get_bits(pkey) < AUTH_GOOGLE_MIN_BITS) {
		snprintf(err, errlen,
		    "private_key is not an RSA key of at least %d bits "
		    "(RS256 needs one)",
		    AUTH_GOOGLE_MIN_BITS);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* Parses a service-account key; NULL with err set. */
struct auth_google_key *
auth_google_key_new(const char *text, size_t len, char *err, size_t errlen)
{
	struct auth_google_key *k = NULL;
	struct json_object *key = NULL;
	struct json_tokener *tok;
	char *type = NULL, *pem = NULL;
	const char *why;
	size_t end;

	err[0] = '\0';
	if ((tok = json_tokener_new()) == NULL)
		goto oom;
	key = json_tokener_parse_ex(tok, text, (int)len);
	end = key != NULL ? json_tokener_get_parse_end(tok) : 0;
	while (end < len &&
	    (text[end] == ' ' || text[end] == '\t' || text[end] == '\r' ||
	        text[end] == '\n'))
		end++;
	if (key == NULL || end != len ||
	    !json_object_is_type(key, json_type_object)) {
		snprintf(
		    err, errlen, "not a service-account key (a JSON object)");
		json_tokener_free(tok);
		goto fail;
	}
	json_tokener_free(tok);
	if ((type = auth_google_field(key, "type", err, errlen)) == NULL)
		goto fail;
	if (strcmp(type, "service_account") != 0) {
		snprintf(err, errlen,
		    "type is \"%.40s\", not \"service_account\"", type);
		goto fail;
	}
	if ((k = calloc(1, sizeof *k)) == NULL)
		goto oom;
	k->gk_refs = 1;
	if ((k->gk_email = auth_google_field(
	         key, "client_email", err, errlen)) == NULL ||
	    (k->gk_key_id = auth_google_field(
	         key, "private_key_id", err, errlen)) == NULL ||
	    (k->gk_token_uri =
	            auth_google_field(key, "token_uri", err, errlen)) == NULL ||
	    (pem = auth_google_field(key, "private_key", err, errlen)) == NULL)
		goto fail;
	if ((why = parse_check_url(k->gk_token_uri)) != NULL) {
		snprintf(err, errlen, "token_uri %s", why);
		goto fail;
	}
	if ((k->gk_pkey = auth_google_read_pkey(pem, err, errlen)) == NULL)
		goto fail;
	explicit_bzero(pem, strlen(pem));
	free(pem);
	free(type);
	json_object_put(key);
	return k;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	if (pem != NULL) {
		explicit_bzero(pem, strlen(pem));
		free(pem);
	}
	free(type);
	/* json-c's copy of the PEM goes with the object, unwiped: json-c
	 * gives no way to wipe its strings. */
	json_object_put(key);
	auth_google_key_free(k);
	return NULL;
}

/* Returns k with one more reference. */
struct auth_google_key *
auth_google_key_ref(struct auth_google_key *k)
{
	k->gk_refs++;
	return k;
}

/* Drops a reference to k, freeing it with the last; NULL is allowed. */
void
auth_google_key_free(struct auth_google_key *k)
{
	if (k == NULL || --k->gk_refs > 0)
		return;
	free(k->gk_email);
	free(k->gk_key_id);
	free(k->gk_token_uri);
	EVP_PKEY_free(k->gk_pkey);
	free(k);
}

/* Returns the key's client_email. */
const char *
auth_google_key_email(const struct auth_google_key *k)
{
	return k->gk_email;
}

/* Returns the key's private_key_id. */
const char *
auth_google_key_id(const struct auth_google_key *k)
{
	return k->gk_key_id;
}

/* Returns the key's token_uri. */
const char *
auth_google_key_token_uri(const struct auth_google_key *k)
{
	return k->gk_token_uri;
}

/* Writes in[0..n) as base64url without padding to out; its length. */
size_t
auth_google_base64url(const void *in, size_t n, char *out)
{
	size_t len = base64_encode(in, n, out), i;

	while (len > 0 && out[len - 1] == '=')
		len--;
	for (i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	out[len] = '\0';
	return len;
}

/* Appends the base64url of in[0..n) to buf at *len (room checked by the
 * caller). */
static void
auth_google_append(char *buf, size_t *len, const void *in, size_t n)
{
	*len += auth_google_base64url(in, n, buf + *len);
}

/* Returns obj as compact JSON, for the JWT's parts; NULL if it cannot. */
static const char *
auth_google_json(struct json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

/* Adds string value v as field name of obj; 0 or -1. */
static int
auth_google_add(struct json_object *obj, const char *name, const char *v)
{
	struct json_object *s = json_object_new_string(v);

	if (s == NULL || json_object_object_add(obj, name, s) != 0) {
		json_object_put(s);
		return -1;
	}
	return 0;
}

/* Adds integer v as field name of obj; 0 or -1. */
static int
auth_google_add_int(struct json_object *obj, const char *name, int64_t v)
{
	struct json_object *i = json_object_new_int64(v);

	if (i == NULL || json_object_object_add(obj, name, i) != 0) {
		json_object_put(i);
		return -1;
	}
	return 0;
}

/* Signs data[0..len) with RS256 (RSASSA-PKCS1-v1_5, SHA-256); returns
 * the signature (*siglen bytes, caller frees) or NULL. */
static unsigned char *
auth_google_sign(EVP_PKEY *pkey, const char *data, size_t len, size_t *siglen)
{
	unsigned char *sig = NULL;
	EVP_MD_CTX *ctx;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(
	        ctx, NULL, siglen, (const unsigned char *)data, len) != 1 ||
	    (sig = malloc(*siglen)) == NULL ||
	    EVP_DigestSign(
	        ctx, sig, siglen, (const unsigned char *)data, len) != 1) {
		free(sig);
		sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return sig;
}

/* Returns the signed assertion for scope issued at now_s, or NULL. */
char *
auth_google_assertion(
    const struct auth_google_key *k, const char *scope, int64_t now_s)
{
	struct json_object *header, *claims;
	const char *h, *c;
	size_t hlen = 0, clen = 0, len = 0, siglen = 0;
	unsigned char *sig = NULL;
	char *jwt = NULL;

	header = json_object_new_object();
	claims = json_object_new_object();
	if (header == NULL || claims == NULL ||
	    auth_google_add(header, "alg", "RS256") == -1 ||
	    auth_google_add(header, "typ", "JWT") == -1 ||
	    auth_google_add(header, "kid", k->gk_key_id) == -1 ||
	    auth_google_add(claims, "iss", k->gk_email) == -1 ||
	    auth_google_add(claims, "scope", scope) == -1 ||
	    auth_google_add(claims, "aud", k->gk_token_uri) == -1 ||
	    auth_google_add_int(claims, "iat", now_s) == -1 ||
	    auth_google_add_int(
	        claims, "exp", now_s + AUTH_GOOGLE_LIFETIME_S) == -1 ||
	    (h = auth_google_json(header, &hlen)) == NULL ||
	    (c = auth_google_json(claims, &clen)) == NULL)
		goto fail;
	/* header.claims, then "." and the signature: each part grows by
	 * 4/3; an RSA signature is at most 2 KB for a 16384-bit key. */
	if ((jwt = malloc(base64_encoded_len(hlen) + base64_encoded_len(clen) +
	         base64_encoded_len(2048) + 4)) == NULL)
		goto fail;
	auth_google_append(jwt, &len, h, hlen);
	jwt[len++] = '.';
	auth_google_append(jwt, &len, c, clen);
	if ((sig = auth_google_sign(k->gk_pkey, jwt, len, &siglen)) == NULL ||
	    siglen > 2048)
		goto fail;
	jwt[len++] = '.';
	auth_google_append(jwt, &len, sig, siglen);
	free(sig);
	json_object_put(header);
	json_object_put(claims);
	return jwt;
fail:
	log_warnx("auth: cannot sign an assertion for %s", k->gk_email);
	free(sig);
	free(jwt);
	json_object_put(header);
	json_object_put(claims);
	return NULL;
}

/* Returns the form body of a token request with a fresh assertion. */
char *
auth_google_form(
    const struct auth_google_key *k, const char *scope, int64_t now_s)
{
	char *jwt, *form;

	if ((jwt = auth_google_assertion(k, scope, now_s)) == NULL)
		return NULL;
	/* A JWT is base64url and dots: nothing in it needs encoding. */
	if (asprintf(&form,
	        "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3A"
	        "jwt-bearer&assertion=%s",
	        jwt) == -1)
		form = NULL;
	free(jwt);
	return form;
}
