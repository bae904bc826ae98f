/*
 * Unit tests of secret reading: trimming, the one-line rule, the size
 * limit, where a relative name is looked for ($CREDENTIALS_DIRECTORY
 * first, then the given directory), the callback for files everyone
 * can read and the "user:password" of HTTP Basic.  Files come from
 * tests/data and a mkdtemp() directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "log.h"
#include "secret.h"
#include "runner.h"

#define ERR_LEN 512

/* Puts token and a newline in file name of dir (harness_token_file's
 * file, moved there). */
static void
put_token(const char *dir, const char *name, const char *token)
{
	char *tmp = harness_token_file(token), dst[256];

	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	ck_assert_int_eq(rename(tmp, dst), 0);
	free(tmp);
}

/* Reads name from dir as a "token file"; the secret or NULL, err set. */
static char *
read_token(const char *name, const char *dir, char *err)
{
	struct secret_spec ss = {.ss_what = "token file", .ss_dir = dir};

	return secret_read(name, &ss, err, ERR_LEN);
}

/* Asserts that name is rejected with a message containing phrase. */
static void
expect_bad(const char *name, const char *phrase)
{
	char err[ERR_LEN] = "";

	ck_assert_ptr_null(read_token(name, NULL, err));
	ck_assert_msg(strstr(err, phrase) != NULL,
	    "error \"%s\" does not contain \"%s\"", err, phrase);
}

/* Keeps what and the path the readable callback was last told of in
 * arg, as "what path". */
static void
last_readable_cb(const char *what, const char *path, void *arg)
{
	char *last = arg;

	snprintf(last, 256, "%s %s", what, path);
}

/* A token is trimmed of spaces, tabs and newlines around it. */
START_TEST(test_trimmed)
{
	char err[ERR_LEN] = "", *tok;

	tok = read_token(TEST_DATA "/token.txt", NULL, err);
	ck_assert_ptr_nonnull(tok);
	ck_assert_str_eq(tok, "s3cret-Token.42");
	secret_free(tok);
	secret_free(NULL);
}
END_TEST

/* Empty, blank and two-line files, a missing file and no name fail. */
START_TEST(test_bad_files)
{
	expect_bad(TEST_DATA "/empty.token",
	    "token file " TEST_DATA
	    "/empty.token must hold one non-empty line");
	expect_bad(TEST_DATA "/blank.token", "must hold one non-empty line");
	expect_bad(
	    TEST_DATA "/two-lines.token", "must hold one non-empty line");
	expect_bad(TEST_DATA "/no-such.token",
	    "cannot read token file " TEST_DATA "/no-such.token: ");
	expect_bad(TEST_DATA, "cannot read token file " TEST_DATA);
	expect_bad("", "token file name is empty");
}
END_TEST

/* SECRET_MAX bytes are read (here with the newline); one more is an
 * error. */
START_TEST(test_size_limit)
{
	char err[ERR_LEN] = "", *text, *path, *tok;

	ck_assert_ptr_nonnull(text = malloc(SECRET_MAX + 1));
	memset(text, 'a', SECRET_MAX);
	text[SECRET_MAX - 1] = '\0';
	path = harness_token_file(text);
	tok = read_token(path, NULL, err);
	ck_assert_ptr_nonnull(tok);
	ck_assert_uint_eq(strlen(tok), SECRET_MAX - 1);
	secret_free(tok);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	text[SECRET_MAX - 1] = 'a';
	text[SECRET_MAX] = '\0';
	path = harness_token_file(text);
	ck_assert_ptr_null(read_token(path, NULL, err));
	ck_assert_msg(
	    strstr(err, "is larger than 4096 bytes") != NULL, "%s", err);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	free(text);
}
END_TEST

/*
 * With $CREDENTIALS_DIRECTORY set, a relative name found there wins over
 * the given directory; one not there still comes from the directory, and
 * absolute paths are left alone.  Empty or unset: the directory.
 */
START_TEST(test_credentials)
{
	char dir[] = "/tmp/check_secret.XXXXXX";
	char creds[128], capi[128], api[128], tok[128], err[ERR_LEN] = "";
	char *s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(creds, sizeof creds, "%s/credentials", dir);
	snprintf(capi, sizeof capi, "%s/credentials/api.token", dir);
	snprintf(api, sizeof api, "%s/api.token", dir);
	snprintf(tok, sizeof tok, "%s/source.token", dir);
	ck_assert_int_eq(mkdir(creds, 0700), 0);
	put_token(creds, "api.token", "from-credentials");
	put_token(dir, "api.token", "from-config-dir");
	put_token(dir, "source.token", "\t  source-secret \r");

	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	ck_assert_ptr_nonnull(s = read_token("api.token", dir, err));
	ck_assert_str_eq(s, "from-credentials");
	secret_free(s);
	ck_assert_ptr_nonnull(s = read_token("source.token", dir, err));
	ck_assert_str_eq(s, "source-secret");
	secret_free(s);
	ck_assert_ptr_nonnull(s = read_token(TEST_DATA "/token.txt", dir, err));
	ck_assert_str_eq(s, "s3cret-Token.42");
	secret_free(s);

	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", "", 1), 0);
	ck_assert_ptr_nonnull(s = read_token("api.token", dir, err));
	ck_assert_str_eq(s, "from-config-dir");
	secret_free(s);
	ck_assert_int_eq(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	ck_assert_ptr_nonnull(s = read_token("api.token", dir, err));
	ck_assert_str_eq(s, "from-config-dir");
	secret_free(s);

	/* A credential that cannot be read is an error naming its path. */
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	ck_assert_int_eq(unlink(capi), 0);
	ck_assert_int_eq(mkdir(capi, 0700), 0);
	ck_assert_ptr_null(read_token("api.token", dir, err));
	ck_assert_msg(strstr(err, capi) != NULL, "error: %s", err);
	ck_assert_int_eq(unsetenv("CREDENTIALS_DIRECTORY"), 0);

	ck_assert_int_eq(rmdir(capi), 0);
	ck_assert_int_eq(rmdir(creds), 0);
	ck_assert_int_eq(unlink(api), 0);
	ck_assert_int_eq(unlink(tok), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The callback hears of a file others can read, not of an 0640 one. */
START_TEST(test_readable)
{
	char last[256] = "", err[ERR_LEN] = "", *path, *s;
	struct secret_spec ss = {.ss_what = "token file",
	    .ss_readable_cb = last_readable_cb,
	    .ss_arg = last};

	path = harness_token_file("s3cret");
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_ptr_nonnull(s = secret_read(path, &ss, err, sizeof err));
	secret_free(s);
	ck_assert_str_eq(last, "");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_ptr_nonnull(s = secret_read(path, &ss, err, sizeof err));
	ck_assert_str_eq(s, "s3cret");
	secret_free(s);
	ck_assert_str_eq(last + strlen("token file "), path);
	ck_assert_int_eq(strncmp(last, "token file ", 11), 0);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
}
END_TEST

/* Reads the file at path as a "basic auth file"; 0 or -1, err set. */
static int
read_basic_path(const char *path, char **user, char **password, char *err)
{
	struct secret_spec ss = {.ss_what = "basic auth file"};

	return secret_read_basic(path, &ss, user, password, err, ERR_LEN);
}

/* Reads a file of line as a "basic auth file"; 0 or -1, err set. */
static int
read_basic(const char *line, char **user, char **password, char *err)
{
	char *path = harness_token_file(line);
	int rc;

	rc = read_basic_path(path, user, password, err);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	return rc;
}

/* A Basic file is user:password split at the first colon; "key:" has
 * an empty password; no colon or no user is an error naming the file. */
START_TEST(test_basic)
{
	static const struct {
		const char *line, *user, *password;
	} good[] = {
	    {"alice:s3cret", "alice", "s3cret"},
	    {"sk_test_4eC39HqLyjWDarjtT1zdp7dc:",
	        "sk_test_4eC39HqLyjWDarjtT1zdp7dc", ""},
	    {"svc.account:pa:ss word", "svc.account", "pa:ss word"},
	    {"  user:pw  ", "user", "pw"},
	};
	char err[ERR_LEN] = "", *user, *password;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_int_eq(
		    read_basic(good[i].line, &user, &password, err), 0);
		ck_assert_str_eq(user, good[i].user);
		ck_assert_str_eq(password, good[i].password);
		secret_free(user);
		secret_free(password);
	}
	ck_assert_int_eq(read_basic("no-colon", &user, &password, err), -1);
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(password);
	ck_assert_msg(strncmp(err, "basic auth file /tmp/", 21) == 0 &&
	        strstr(err,
	            " must hold user:password (key: for an empty "
	            "password)") != NULL,
	    "%s", err);
	ck_assert_int_eq(read_basic(":password", &user, &password, err), -1);
	ck_assert_ptr_null(user);
	ck_assert_msg(strstr(err, " has an empty user") != NULL, "%s", err);
	ck_assert_int_eq(
	    read_basic_path(TEST_DATA "/no-such.token", &user, &password, err),
	    -1);
	ck_assert_str_eq(err,
	    "cannot read basic auth file " TEST_DATA
	    "/no-such.token: No such file or directory");
	ck_assert_int_eq(read_basic_path(TEST_DATA "/two-lines.token", &user,
	                     &password, err),
	    -1);
	ck_assert_str_eq(err,
	    "basic auth file " TEST_DATA
	    "/two-lines.token must hold one non-empty line");
}
END_TEST

/* Builds the suite: contents, limits, lookup, permissions. */
static Suite *
secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("secret");

	tcase_add_test(tc, test_trimmed);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_credentials);
	tcase_add_test(tc, test_readable);
	tcase_add_test(tc, test_basic);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(secret_suite()) == 0 ? 0 : 1;
}
