/*
 * Tests of auth_google: base64url, the RS256 assertion (signed with a
 * key made for the run, then verified with its public key by OpenSSL,
 * its header and claims compared byte for byte), the form of the token
 * request, and the key file read at load: every missing field and every
 * key OpenSSL cannot use is a "FILE:LINE: message" error.  Also the auth
 * keys of the config as a whole: defaults from [gatherd], auth = none,
 * Google's default scope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../lib/config.h"
#include "auth.h"
#include "auth_google.h"
#include "base64.h"
#include "fake_token.h"
#include "log.h"
#include "runner.h"
#include "tmpdir.h"

#define EMAIL "gatherd@example-project.iam.gserviceaccount.com"
#define KID "3f2a9c0d1e"
#define TOKEN_URI "https://oauth2.googleapis.com/token"
#define SCOPE "https://www.googleapis.com/auth/analytics.readonly"
#define NOW 1700000000

/* The key pair of the run, made once. */
static char *private_pem, *public_pem;

/* Returns the key made for the run, loaded from its JSON. */
static struct auth_google_key *
load_key(void)
{
	char err[256] = "", *json;
	struct auth_google_key *k;

	json = fake_token_key_json(private_pem, EMAIL, KID, TOKEN_URI);
	ck_assert_ptr_nonnull(json);
	k = auth_google_key_new(json, strlen(json), err, sizeof err);
	ck_assert_msg(k != NULL, "key refused: %s", err);
	free(json);
	return k;
}

/* Decodes base64url text[0..n) into a new NUL-terminated buffer. */
static char *
unb64url(const char *text, size_t n, size_t *len)
{
	char *std = malloc(n + 4), *out = malloc(n + 4);
	size_t i;
	long got;

	ck_assert_ptr_nonnull(std);
	ck_assert_ptr_nonnull(out);
	for (i = 0; i < n; i++) {
		ck_assert_msg(
		    text[i] != '=' && text[i] != '+' && text[i] != '/',
		    "not base64url without padding: %.*s", (int)n, text);
		std[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
	}
	while (i % 4 != 0)
		std[i++] = '=';
	got = base64_decode(std, i, out);
	ck_assert_int_ge(got, 0);
	out[got] = '\0';
	*len = (size_t)got;
	free(std);
	return out;
}

/* Returns 1 if sig[0..n) is the RS256 signature of data with the run's
 * public key. */
static int
verify(const char *data, size_t len, const char *sig, size_t n)
{
	BIO *bio = BIO_new_mem_buf(public_pem, -1);
	EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ck_assert_ptr_nonnull(pub);
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(ctx, (const unsigned char *)sig, n,
	        (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pub);
	BIO_free(bio);
	return ok;
}

/* base64url: the URL-safe alphabet, no padding (RFC 7515 appendix C). */
START_TEST(test_base64url)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
	    {"", 0, ""},
	    {"f", 1, "Zg"},
	    {"fo", 2, "Zm8"},
	    {"foo", 3, "Zm9v"},
	    {"foob", 4, "Zm9vYg"},
	    {"\xfb\xff", 2, "-_8"},
	    {"\x03\xe0\x3f\xff\xfe", 5, "A-A___4"},
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_uint_eq(
		    auth_google_base64url(cases[i].in, cases[i].n, out),
		    strlen(cases[i].out));
		ck_assert_str_eq(out, cases[i].out);
	}
}
END_TEST

/* The assertion: header and claims as Google documents them, and a
 * signature the public key verifies. */
START_TEST(test_assertion)
{
	struct auth_google_key *k = load_key();
	char *jwt = auth_google_assertion(k, SCOPE, NOW), *dot1, *dot2;
	char *header, *claims, *sig;
	size_t len, siglen;

	ck_assert_ptr_nonnull(jwt);
	dot1 = strchr(jwt, '.');
	ck_assert_ptr_nonnull(dot1);
	dot2 = strchr(dot1 + 1, '.');
	ck_assert_ptr_nonnull(dot2);
	ck_assert_ptr_null(strchr(dot2 + 1, '.'));
	header = unb64url(jwt, (size_t)(dot1 - jwt), &len);
	ck_assert_str_eq(
	    header, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" KID "\"}");
	claims = unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), &len);
	ck_assert_str_eq(claims,
	    "{\"iss\":\"" EMAIL "\",\"scope\":\"" SCOPE
	    "\",\"aud\":\"" TOKEN_URI
	    "\",\"iat\":1700000000,\"exp\":1700003600}");
	sig = unb64url(dot2 + 1, strlen(dot2 + 1), &siglen);
	ck_assert_uint_eq(siglen, 256); /* a 2048-bit key */
	ck_assert(verify(jwt, (size_t)(dot2 - jwt), sig, siglen));
	/* One claim changed: the signature no longer holds. */
	dot1[3] = dot1[3] == 'A' ? 'B' : 'A';
	ck_assert(!verify(jwt, (size_t)(dot2 - jwt), sig, siglen));
	free(header);
	free(claims);
	free(sig);
	free(jwt);
	auth_google_key_free(k);
}
END_TEST

/* The token request's form: the JWT bearer grant and the assertion. */
START_TEST(test_form)
{
	static const char grant[] =
	    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
	    "&assertion=";
	struct auth_google_key *k = load_key();
	char *form = auth_google_form(k, SCOPE, NOW);
	char *jwt = auth_google_assertion(k, SCOPE, NOW);

	ck_assert_ptr_nonnull(form);
	ck_assert_int_eq(strncmp(form, grant, strlen(grant)), 0);
	/* RS256 with PKCS#1 v1.5 is deterministic: the same assertion. */
	ck_assert_str_eq(form + strlen(grant), jwt);
	free(form);
	free(jwt);
	auth_google_key_free(k);
}
END_TEST

/* Loads text as t.conf; returns the config, or NULL with err. */
static struct config *
load(const char *text, char *err, size_t errlen)
{
	return config_load_string(text, "t.conf", err, errlen);
}

/* A key file that is wrong in one way each, and the error it gives. */
struct bad_key {
	const char *bk_json; /* "%s": the run's private key */
	const char *bk_error; /* after "t.conf:4: credentials_file K: " */
};

static const struct bad_key bad_keys[] = {
    {"{\"type\":\"service_account\",\"private_key_id\":\"k\","
     "\"private_key\":\"%s\",\"token_uri\":\"https://a.example/t\"}",
        "missing client_email"},
    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
     "\"private_key\":\"%s\",\"token_uri\":\"https://a.example/t\"}",
        "missing private_key_id"},
    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
     "\"private_key_id\":\"k\",\"private_key\":\"%s\"}",
        "missing token_uri"},
    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
     "\"private_key_id\":\"k\",\"token_uri\":\"https://a.example/t\"}%s",
        "missing private_key"},
    {"{\"client_email\":\"a@b\",\"private_key\":\"%s\"}", "missing type"},
    {"{\"type\":\"authorized_user\",\"private_key\":\"%s\"}",
        "type is \"authorized_user\", not \"service_account\""},
    {"[\"%s\"]", "not a service-account key (a JSON object)"},
    {"{\"type\":\"service_account\",\"private_key\":\"%s\"",
        "not a "
        "service-account "
        "key (a JSON "
        "object)"},
    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
     "\"private_key_id\":\"k\",\"private_key\":\"%s\","
     "\"token_uri\":\"ftp://a.example/t\"}",
        "token_uri "},
};

/* Writes a key file for bad_keys[i] and checks the load error. */
START_TEST(test_bad_key)
{
	const struct bad_key *bk = &bad_keys[_i];
	struct json_object *pem = json_object_new_string(private_pem);
	char err[CONFIG_ERR_LEN] = "", *json, *conf, *want, *inner;
	const char *path, *quoted, *at;
	struct tmpdir t;

	/* The PEM as a JSON string, without its quotes, in place of %s
	 * where the text has a string there. */
	quoted = json_object_to_json_string_ext(pem, JSON_C_TO_STRING_PLAIN);
	inner = strndup(quoted + 1, strlen(quoted) - 2);
	at = strstr(bk->bk_json, "%s");
	ck_assert_ptr_nonnull(at);
	ck_assert_int_gt(asprintf(&json, "%.*s%s%s", (int)(at - bk->bk_json),
	                     bk->bk_json, at[2] == '"' ? inner : "", at + 2),
	    0);
	free(inner);
	tmpdir_make(&t);
	path = tmpdir_write(&t, "key.json", json);
	ck_assert_int_gt(asprintf(&conf,
	                     "[source a]\nurl = https://a.example/\n"
	                     "auth = google_service_account\n"
	                     "credentials_file = %s\nstat x = /x\n",
	                     path),
	    0);
	ck_assert_ptr_null(load(conf, err, sizeof err));
	ck_assert_int_gt(asprintf(&want, "t.conf:4: credentials_file %s: %s",
	                     path, bk->bk_error),
	    0);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got \"%s\"", err);
	if (bk->bk_error[strlen(bk->bk_error) - 1] != ' ')
		ck_assert_str_eq(err, want);
	free(want);
	free(conf);
	free(json);
	json_object_put(pem);
	tmpdir_remove(&t);
}
END_TEST

/* Writes a key JSON with private key pem (JSON-escaped) to t; path. */
static const char *
write_key(struct tmpdir *t, const char *pem)
{
	char *json = fake_token_key_json(pem, EMAIL, KID, TOKEN_URI);
	const char *path = tmpdir_write(t, "key.json", json);

	free(json);
	return path;
}

/* Returns the PEM (PKCS#8) of a key made by EVP_PKEY_Q_keygen. */
static char *
pem_of(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	ck_assert_int_eq(
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return pem;
}

/* Keys OpenSSL cannot use for RS256: each an error at load. */
START_TEST(test_unusable_key)
{
	char err[CONFIG_ERR_LEN] = "", *conf, *want, *pem = NULL;
	const char *path, *why;
	struct tmpdir t;

	switch (_i) {
	case 0:
		pem = strdup("-----BEGIN PRIVATE KEY-----\nnot a key\n"
		             "-----END PRIVATE KEY-----\n");
		why = "private_key is not a PEM private key OpenSSL can read (";
		break;
	case 1:
		pem =
		    pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
		why = "private_key is not an RSA key of at least 2048 bits "
		      "(RS256 needs one)";
		break;
	default:
		pem = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
		why = "private_key is not an RSA key of at least 2048 bits "
		      "(RS256 needs one)";
		break;
	}
	tmpdir_make(&t);
	path = write_key(&t, pem);
	ck_assert_int_gt(asprintf(&conf,
	                     "[gatherd]\nauth = google_service_account\n"
	                     "credentials_file = %s\n",
	                     path),
	    0);
	ck_assert_ptr_null(load(conf, err, sizeof err));
	ck_assert_int_gt(
	    asprintf(&want, "t.conf:3: credentials_file %s: %s", path, why), 0);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got \"%s\"", err);
	free(want);
	free(conf);
	free(pem);
	tmpdir_remove(&t);
}
END_TEST

/* A missing key file names the file and the reason. */
START_TEST(test_missing_key_file)
{
	char err[CONFIG_ERR_LEN] = "";

	ck_assert_ptr_null(load("[source a]\nurl = https://a.example/\n"
	                        "credentials_file = /nonexistent/key.json\n",
	    err, sizeof err));
	ck_assert_str_eq(err,
	    "t.conf:3: cannot read credentials file /nonexistent/key.json: No "
	    "such file or directory");
}
END_TEST

/* [gatherd] gives every source its key (shared, not read again) and
 * Google's default scope; auth = none opts a source out; a scope of its
 * own wins. */
START_TEST(test_defaults)
{
	char err[CONFIG_ERR_LEN] = "", *conf;
	struct config *cf;
	struct tmpdir t;
	const char *path;

	tmpdir_make(&t);
	path = write_key(&t, private_pem);
	ck_assert_int_gt(
	    asprintf(&conf,
	        "[gatherd]\nauth = google_service_account\n"
	        "credentials_file = %s\n"
	        "[source a]\nurl = https://a.example/\nstat x = /x\n"
	        "[source b]\nurl = https://b.example/\nstat x = /x\n"
	        "scope = https://www.googleapis.com/auth/analytics\n"
	        "[source c]\nurl = https://c.example/\nstat x = /x\n"
	        "auth = none\n",
	        path),
	    0);
	cf = load(conf, err, sizeof err);
	ck_assert_msg(cf != NULL, "%s", err);
	ck_assert_int_eq(cf->cf_sources[0].src_auth, AUTH_GOOGLE);
	ck_assert_ptr_eq(
	    cf->cf_sources[0].src_google_key, cf->cf_defaults.src_google_key);
	ck_assert_ptr_eq(
	    cf->cf_sources[1].src_google_key, cf->cf_defaults.src_google_key);
	ck_assert_str_eq(cf->cf_sources[0].src_scope, SCOPE);
	ck_assert_str_eq(cf->cf_sources[1].src_scope,
	    "https://www.googleapis.com/auth/analytics");
	ck_assert_int_eq(cf->cf_sources[2].src_auth, AUTH_NONE);
	ck_assert_ptr_null(cf->cf_sources[2].src_google_key);
	ck_assert_str_eq(
	    auth_google_key_email(cf->cf_sources[0].src_google_key), EMAIL);
	ck_assert_str_eq(
	    auth_google_key_id(cf->cf_sources[0].src_google_key), KID);
	ck_assert_str_eq(
	    auth_google_key_token_uri(cf->cf_sources[0].src_google_key),
	    TOKEN_URI);
	config_free(cf);
	free(conf);
	tmpdir_remove(&t);
}
END_TEST

/* A source's auth keys must make one grant; each error byte for byte. */
START_TEST(test_grant_errors)
{
	static const struct {
		const char *conf;
		const char *err;
	} cases[] = {
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "auth = saml\n",
	        "t.conf:4: auth: expected google_service_account, "
	        "oauth2_client_credentials or none, got \"saml\""},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "auth = google_service_account\n",
	        "t.conf:1: source a: auth = google_service_account needs "
	        "credentials_file"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "scope = x\n",
	        "t.conf:1: source a: scope needs auth = "
	        "google_service_account or oauth2_client_credentials"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "auth = google_service_account\nclient_id = abc\n",
	        "t.conf:1: source a: client_id is not a key of auth = "
	        "google_service_account"},
	    {"[gatherd]\nauth = google_service_account\n"
	     "[source a]\nurl = https://a.example/\nstat x = /x\n",
	        "t.conf:3: source a: auth = google_service_account needs "
	        "credentials_file"},
	    {"[source a]\nurl = https://a.example/\nstat x = /x\n"
	     "scope =\n",
	        "t.conf:4: scope is empty"},
	};
	char err[CONFIG_ERR_LEN] = "";

	ck_assert_ptr_null(load(cases[_i].conf, err, sizeof err));
	ck_assert_str_eq(err, cases[_i].err);
}
END_TEST

/* token_file and auth cannot both give the Authorization header. */
START_TEST(test_token_file_and_auth)
{
	char err[CONFIG_ERR_LEN] = "", *conf;
	struct tmpdir t;
	const char *key, *token;

	tmpdir_make(&t);
	key = write_key(&t, private_pem);
	token = tmpdir_write(&t, "token", "abc\n");
	ck_assert_int_gt(asprintf(&conf,
	                     "[source a]\nurl = https://a.example/\n"
	                     "stat x = /x\ntoken_file = %s\n"
	                     "auth = google_service_account\n"
	                     "credentials_file = %s\n",
	                     token, key),
	    0);
	ck_assert_ptr_null(load(conf, err, sizeof err));
	ck_assert_str_eq(err,
	    "t.conf:1: source a: token_file and auth = "
	    "google_service_account exclude each other");
	free(conf);
	tmpdir_remove(&t);
}
END_TEST

/* The grants' names both ways. */
START_TEST(test_grant_names)
{
	enum auth_grant g = AUTH_UNSET;

	ck_assert_int_eq(auth_parse_grant("google_service_account", &g), 0);
	ck_assert_int_eq(g, AUTH_GOOGLE);
	ck_assert_int_eq(auth_parse_grant("oauth2_client_credentials", &g), 0);
	ck_assert_int_eq(g, AUTH_OAUTH2);
	ck_assert_int_eq(auth_parse_grant("none", &g), 0);
	ck_assert_int_eq(g, AUTH_NONE);
	ck_assert_int_eq(auth_parse_grant("Google_service_account", &g), -1);
	ck_assert_str_eq(
	    auth_grant_name(AUTH_OAUTH2), "oauth2_client_credentials");
}
END_TEST

/* The suite. */
static Suite *
auth_google_suite(void)
{
	Suite *s = suite_create("auth_google");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_base64url);
	tcase_add_test(tc, test_assertion);
	tcase_add_test(tc, test_form);
	tcase_add_loop_test(
	    tc, test_bad_key, 0, (int)(sizeof bad_keys / sizeof bad_keys[0]));
	tcase_add_loop_test(tc, test_unusable_key, 0, 3);
	tcase_add_test(tc, test_missing_key_file);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_grant_errors, 0, 6);
	tcase_add_test(tc, test_token_file_and_auth);
	tcase_add_test(tc, test_grant_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	log_set_level(LOG_LEVEL_QUIET);
	if (fake_token_keygen(&private_pem, &public_pem) != 0) {
		fprintf(stderr, "cannot make an RSA key\n");
		return 1;
	}
	rc = runner_run(auth_google_suite()) == 0 ? 0 : 1;
	free(private_pem);
	free(public_pem);
	return rc;
}
