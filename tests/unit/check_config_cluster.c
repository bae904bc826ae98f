/*
 * Tests of config_cluster.c: the [cluster] section's four keys, the
 * defaults filled in once the whole file is read (the name from the
 * host name and listen's port), the password read like every secret
 * file and never logged, config_cluster_same, and every error as the
 * exact "FILE:LINE: message".  The targets' rules themselves are
 * redis_check_target's, tested with the connection in check_redis.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <check.h>

/* The top build directory's config.h is autoconf's; we want lib's. */
#include "../lib/config.h"
#include "harness.h"
#include "log.h"
#include "runner.h"
#include "tmpdir.h"

/* The name config_load_string puts in front of every error. */
#define NAME "t.conf"

/* A minimal valid source, appended where a test needs one. */
#define GOOD_SOURCE HARNESS_CONFIG_SOURCE

/* The hint of a bad name or prefix. */
#define CHARS "1 to 64 of A-Z a-z 0-9 _ . : -"

/* Returns "hostname:port", the default replica name (the caller frees). */
static char *
default_name(unsigned port)
{
	char host[HOST_NAME_MAX + 1], *name;

	ck_assert_int_eq(gethostname(host, sizeof host), 0);
	host[sizeof host - 1] = '\0';
	ck_assert_int_gt(asprintf(&name, "%s:%u", host, port), 0);
	return name;
}

/* Writes text as secret file name in t with mode; returns its path
 * (owned by t). */
static const char *
write_secret(struct tmpdir *t, const char *name, const char *text, mode_t mode)
{
	const char *path = tmpdir_write(t, name, text);

	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* Loads the config file at path, failing the test on an error. */
static struct config *
load_file(const char *path)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf;

	cf = config_load(path, err, sizeof err);
	ck_assert_msg(cf != NULL, "config rejected: %s", err);
	return cf;
}

/* Every key given: the values as written, the password read and
 * trimmed from a file named relative to the config file. */
START_TEST(test_cluster_keys)
{
	struct tmpdir t;
	const char *path;
	struct config *cf;

	tmpdir_make(&t);
	(void)write_secret(&t, "redis.pass", "  s3cret-Pa55 \t\n", 0600);
	path = tmpdir_write(&t, "gatherd.conf",
	    "[gatherd]\n"
	    "listen = 127.0.0.1:9000\n"
	    "; the replica\n"
	    "[cluster]\n"
	    "redis = unix:/run/redis/redis.sock\n"
	    "name = web-1.example:8080\n"
	    "prefix = dash_A.1:x-y\n"
	    "redis_password_file = redis.pass\n" GOOD_SOURCE);
	cf = load_file(path);
	ck_assert_int_eq(cf->cf_cluster.cc_enabled, 1);
	ck_assert_int_eq(cf->cf_cluster.cc_line, 4);
	ck_assert_str_eq(cf->cf_cluster.cc_redis, "unix:/run/redis/redis.sock");
	ck_assert_str_eq(cf->cf_cluster.cc_name, "web-1.example:8080");
	ck_assert_str_eq(cf->cf_cluster.cc_prefix, "dash_A.1:x-y");
	ck_assert_str_eq(cf->cf_cluster.cc_password, "s3cret-Pa55");
	/* The rest of the file is as without [cluster]. */
	ck_assert_uint_eq(cf->cf_nsources, 1);
	ck_assert_uint_eq(cf->cf_listen_port, 9000);
	config_free(cf);
	tmpdir_remove(&t);
}
END_TEST

/* $CREDENTIALS_DIRECTORY comes first for a relative password file, as
 * for every secret file. */
START_TEST(test_cluster_credentials_directory)
{
	struct tmpdir conf, creds;
	const char *path;
	struct config *cf;

	tmpdir_make(&conf);
	tmpdir_make(&creds);
	(void)write_secret(&conf, "redis.pass", "next-to-the-config\n", 0600);
	(void)write_secret(&creds, "redis.pass", "from-systemd\n", 0600);
	path = tmpdir_write(&conf, "gatherd.conf",
	    "[cluster]\n"
	    "redis = 127.0.0.1:6379\n"
	    "name = a\n"
	    "redis_password_file = redis.pass\n");
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds.t_path, 1), 0);
	cf = load_file(path);
	ck_assert_int_eq(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	ck_assert_str_eq(cf->cf_cluster.cc_password, "from-systemd");
	config_free(cf);
	cf = load_file(path);
	ck_assert_str_eq(cf->cf_cluster.cc_password, "next-to-the-config");
	config_free(cf);
	tmpdir_remove(&creds);
	tmpdir_remove(&conf);
}
END_TEST

/* A password file others can read is a warning that names the file,
 * never the password; an error with strict_permissions, at its line. */
START_TEST(test_cluster_password_readable)
{
	char err[CONFIG_ERR_LEN] = "", logpath[128], want[512], *logged;
	struct tmpdir t;
	const char *path, *pass;
	struct config *cf;
	int saved, fd;

	tmpdir_make(&t);
	pass = write_secret(&t, "redis.pass", "open-S3CRET\n", 0644);
	path = tmpdir_write(&t, "gatherd.conf",
	    "[cluster]\n"
	    "redis = [::1]:6379\n"
	    "name = a\n"
	    "redis_password_file = redis.pass\n");

	/* The log, caught from stderr at its most verbose. */
	snprintf(logpath, sizeof logpath, "%s/log", t.t_path);
	ck_assert_int_ge(fd = open(logpath, O_WRONLY | O_CREAT, 0600), 0);
	fflush(stderr);
	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	log_set_level(LOG_LEVEL_DEBUG);
	cf = config_load(path, err, sizeof err);
	log_set_level(LOG_LEVEL_QUIET);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	close(fd);
	ck_assert_msg(cf != NULL, "config rejected: %s", err);
	ck_assert_str_eq(cf->cf_cluster.cc_password, "open-S3CRET");
	ck_assert_str_eq(cf->cf_cluster.cc_redis, "[::1]:6379");
	config_free(cf);
	logged = tmpdir_read(logpath);
	ck_assert_int_eq(unlink(logpath), 0);
	snprintf(want, sizeof want,
	    "%s:4: token file %s is readable by everyone; chmod o-r it", path,
	    pass);
	ck_assert_msg(strstr(logged, want) != NULL, "log: %s", logged);
	ck_assert_ptr_null(strstr(logged, "S3CRET"));
	free(logged);

	/* strict_permissions makes it an error, at the key's line. */
	path = tmpdir_write(&t, "strict.conf",
	    "[cluster]\n"
	    "redis = [::1]:6379\n"
	    "name = a\n"
	    "redis_password_file = redis.pass\n"
	    "[gatherd]\n"
	    "strict_permissions = yes\n");
	ck_assert_ptr_null(config_load(path, err, sizeof err));
	snprintf(want, sizeof want,
	    "%s:4: token file %s is readable by everyone "
	    "(strict_permissions = yes)",
	    path, pass);
	ck_assert_str_eq(err, want);
	tmpdir_remove(&t);
}
END_TEST

/* Without [cluster] gatherd runs alone: nothing is set. */
START_TEST(test_cluster_absent)
{
	struct config *cf;

	cf = harness_config(GOOD_SOURCE, NAME);
	ck_assert_int_eq(cf->cf_cluster.cc_enabled, 0);
	ck_assert_ptr_null(cf->cf_cluster.cc_redis);
	ck_assert_ptr_null(cf->cf_cluster.cc_name);
	ck_assert_ptr_null(cf->cf_cluster.cc_prefix);
	ck_assert_ptr_null(cf->cf_cluster.cc_password);
	config_free(cf);
}
END_TEST

/* The defaults: the name is hostname:port of listen, which may come
 * after the section (8080 without listen), the prefix "gatherd", no
 * password. */
START_TEST(test_cluster_defaults)
{
	struct config *cf;
	char *want;

	cf = harness_config("[cluster]\n"
	                    "redis = 192.0.2.1:6379\n"
	                    "[gatherd]\n"
	                    "listen = [::1]:9191\n" GOOD_SOURCE,
	    NAME);
	want = default_name(9191);
	ck_assert_int_eq(cf->cf_cluster.cc_enabled, 1);
	ck_assert_int_eq(cf->cf_cluster.cc_line, 1);
	ck_assert_str_eq(cf->cf_cluster.cc_redis, "192.0.2.1:6379");
	ck_assert_str_eq(cf->cf_cluster.cc_name, want);
	ck_assert_str_eq(cf->cf_cluster.cc_prefix, "gatherd");
	ck_assert_ptr_null(cf->cf_cluster.cc_password);
	free(want);
	config_free(cf);

	cf = harness_config("[cluster]\nredis = unix:/r.sock\n", NAME);
	want = default_name(8080);
	ck_assert_str_eq(cf->cf_cluster.cc_name, want);
	free(want);
	config_free(cf);

	/* Port 0 needs no name when one is given. */
	cf = harness_config("[gatherd]\nlisten = 127.0.0.1:0\n"
	                    "[cluster]\nredis = unix:/r.sock\nname = r1\n",
	    NAME);
	ck_assert_str_eq(cf->cf_cluster.cc_name, "r1");
	config_free(cf);
}
END_TEST

/* The default name from a host name and a port: it must itself be a
 * valid name, else the file has to give one. */
START_TEST(test_cluster_default_name)
{
	char host[80], out[128], small[8];

	ck_assert_int_eq(config_cluster_default_name(
	                     "web-1.example.com", 8080, out, sizeof out),
	    0);
	ck_assert_str_eq(out, "web-1.example.com:8080");
	/* 58 + ":65535" is 64 bytes: the longest that passes. */
	memset(host, 'h', 58);
	host[58] = '\0';
	ck_assert_int_eq(
	    config_cluster_default_name(host, 65535, out, sizeof out), 0);
	ck_assert_uint_eq(strlen(out), 64);
	host[58] = 'h';
	host[59] = '\0';
	ck_assert_int_eq(
	    config_cluster_default_name(host, 65535, out, sizeof out), -1);
	ck_assert_int_eq(
	    config_cluster_default_name("my host", 80, out, sizeof out), -1);
	ck_assert_int_eq(
	    config_cluster_default_name("a/b", 80, out, sizeof out), -1);
	ck_assert_int_eq(
	    config_cluster_default_name("web-1", 80, small, sizeof small), -1);
}
END_TEST

/* One refused [cluster] line: the text after "[cluster]\n" and the
 * message at line 2. */
struct cluster_bad {
	const char *cb_line;
	const char *cb_err;
};

static const struct cluster_bad cluster_bad[] = {
    /* redis: an IP or a unix socket, as redis_check_target says. */
    {"redis = localhost:6379",
        NAME ":2: bad redis target \"localhost:6379\": a host name is not "
             "accepted (hiredis resolves names blocking): give an IP "
             "address or unix:/path"},
    {"redis = 127.0.0.1:0",
        NAME ":2: bad redis target \"127.0.0.1:0\": the port is not a "
             "number from 1 to 65535"},
    {"redis = 127.0.0.1:65536",
        NAME ":2: bad redis target \"127.0.0.1:65536\": the port is not "
             "a number from 1 to 65535"},
    {"redis = 127.0.0.1:x",
        NAME ":2: bad redis target \"127.0.0.1:x\": the port is not a "
             "number from 1 to 65535"},
    {"redis = unix:",
        NAME ":2: bad redis target \"unix:\": a unix socket needs an "
             "absolute path"},
    {"redis = unix:redis.sock",
        NAME ":2: bad redis target \"unix:redis.sock\": a unix socket "
             "needs an absolute path"},
    {"redis = ::1:6379",
        NAME ":2: bad redis target \"::1:6379\": an IPv6 address goes "
             "between brackets: [::1]:6379"},
    {"redis = 127.0.0.1",
        NAME ":2: bad redis target \"127.0.0.1\": expected unix:/path or "
             "IP:port"},
    {"redis =",
        NAME ":2: bad redis target \"\": expected unix:/path or IP:port"},
    /* name and prefix: 1 to 64 of [A-Za-z0-9_.:-]. */
    {"name = web 1", NAME ":2: name: expected " CHARS ", got \"web 1\""},
    {"name = web/1", NAME ":2: name: expected " CHARS ", got \"web/1\""},
    {"name =", NAME ":2: name: expected " CHARS ", got \"\""},
    {"prefix = gatherd{1}",
        NAME ":2: prefix: expected " CHARS ", got \"gatherd{1}\""},
    {"prefix =", NAME ":2: prefix: expected " CHARS ", got \"\""},
    /* Keys of other sections, and none. */
    {"url = http://a.example/", NAME ":2: unknown key \"url\" in [cluster]"},
    {"listen = 127.0.0.1:8080", NAME ":2: unknown key \"listen\" in [cluster]"},
    {"password = x", NAME ":2: unknown key \"password\" in [cluster]"},
    /* The secret file: its path in the message, never its text. */
    {"redis_password_file = /nonexistent/redis.pass",
        NAME ":2: cannot read token file /nonexistent/redis.pass: No such "
             "file or directory"},
    {"redis_password_file =", NAME ":2: token file name is empty"},
};

/* Each bad line of [cluster], byte for byte. */
START_TEST(test_cluster_bad_values)
{
	const struct cluster_bad *b = &cluster_bad[_i];
	char text[512];

	snprintf(text, sizeof text, "[cluster]\n%s\nredis = unix:/r.sock\n",
	    b->cb_line);
	harness_config_refused(text, NAME, b->cb_err);
}
END_TEST

/* What only the section or the whole file tells, byte for byte. */
START_TEST(test_cluster_errors)
{
	static const char *const keys[] = {"name", "prefix"};
	char long_name[66], text[256], want[256];
	size_t i;

	/* 64 bytes pass, 65 do not. */
	memset(long_name, 'n', 64);
	long_name[64] = '\0';
	snprintf(text, sizeof text,
	    "[cluster]\nredis = unix:/r.sock\n"
	    "name = %s\nprefix = %s\n",
	    long_name, long_name);
	config_free(harness_config(text, NAME));
	long_name[64] = 'n';
	long_name[65] = '\0';
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		snprintf(text, sizeof text,
		    "[cluster]\nredis = unix:/r.sock\n%s = %s\n", keys[i],
		    long_name);
		snprintf(want, sizeof want,
		    NAME ":3: %s: expected " CHARS ", got \"%s\"", keys[i],
		    long_name);
		harness_config_refused(text, NAME, want);
	}
	/* redis is required, at the section's header. */
	harness_config_refused(GOOD_SOURCE "\n[cluster]\nname = a\n", NAME,
	    NAME ":5: [cluster] needs redis = unix:/path or IP:port");
	harness_config_refused(GOOD_SOURCE "[cluster]\n", NAME,
	    NAME ":4: [cluster] needs redis = unix:/path or IP:port");
	/* One [cluster] only. */
	harness_config_refused("[cluster]\nredis = unix:/r.sock\n"
	                       "[gatherd]\n"
	                       "[cluster]\nredis = unix:/r.sock\n",
	    NAME,
	    NAME ":4: duplicate section [cluster] (the first is at line 1)");
	/* Each key once. */
	harness_config_refused("[cluster]\nredis = unix:/r.sock\n"
	                       "name = a\nredis = unix:/s.sock\n",
	    NAME, NAME ":4: duplicate key \"redis\"");
	harness_config_refused("[cluster]\nredis = unix:/r.sock\n"
	                       "prefix = a\nprefix = a\n",
	    NAME, NAME ":4: duplicate key \"prefix\"");
	/* Its keys belong to it alone. */
	harness_config_refused("[gatherd]\nredis = unix:/r.sock\n", NAME,
	    NAME ":2: unknown key \"redis\" in [gatherd]");
	harness_config_refused(GOOD_SOURCE "prefix = a\n", NAME,
	    NAME ":4: unknown key \"prefix\" in [source a]");
	/* The default name needs listen's port. */
	harness_config_refused("[cluster]\nredis = unix:/r.sock\n"
	                       "[gatherd]\nlisten = 127.0.0.1:0\n",
	    NAME,
	    NAME ":1: [cluster] needs name = when listen's port is 0 (the "
	         "default name is hostname:port)");
	/* A section name close to it. */
	harness_config_refused("[clusters]\nredis = unix:/r.sock\n", NAME,
	    NAME ":1: unknown section [clusters] (expected [gatherd], "
	         "[source NAME], [budget NAME] or [cluster])");
}
END_TEST

/* A password file of two lines or of white space: refused, naming the
 * file only; and the key given twice. */
START_TEST(test_cluster_password_errors)
{
	static const char *const bad[] = {
	    "first-S3CRET\nsecond-S3CRET\n", " \n"};
	char name[16], text[256], want[512];
	struct tmpdir t;
	const char *pass;
	size_t i;

	tmpdir_make(&t);
	for (i = 0; i <= sizeof bad / sizeof bad[0]; i++) {
		snprintf(name, sizeof name, "pass%zu", i);
		/* The last: a good file, given twice. */
		pass = write_secret(&t, name,
		    i < sizeof bad / sizeof bad[0] ? bad[i] : "S3CRET\n", 0600);
		snprintf(text, sizeof text,
		    "[cluster]\nredis = unix:/r.sock\nname = a\n"
		    "redis_password_file = %s\nredis_password_file = %s\n",
		    pass, pass);
		if (i < sizeof bad / sizeof bad[0])
			snprintf(want, sizeof want,
			    NAME ":4: token file %s must hold one non-empty "
			         "line",
			    pass);
		else
			snprintf(want, sizeof want,
			    NAME ":5: duplicate key \"redis_password_file\"");
		harness_config_refused(text, NAME, want);
	}
	tmpdir_remove(&t);
}
END_TEST

/* Two files' [cluster]: the same when every setting is, whatever the
 * lines; different when any one is, the password included. */
START_TEST(test_cluster_same)
{
	static const char *const texts[] = {
	    "[cluster]\nredis = unix:/r.sock\nname = a\n",
	    "[cluster]\nredis = unix:/s.sock\nname = a\n",
	    "[cluster]\nredis = unix:/r.sock\nname = b\n",
	    "[cluster]\nredis = unix:/r.sock\nname = a\nprefix = p\n",
	    "[cluster]\nredis = unix:/r.sock\nname = a\n"
	    "redis_password_file = @P1@\n",
	    "[cluster]\nredis = unix:/r.sock\nname = a\n"
	    "redis_password_file = @P2@\n",
	    GOOD_SOURCE,
	};
	struct config *cf[sizeof texts / sizeof texts[0]], *again;
	char text[512], *at;
	struct tmpdir t;
	const char *p1, *p2;
	size_t i, j;

	tmpdir_make(&t);
	p1 = write_secret(&t, "p1", "one\n", 0600);
	p2 = write_secret(&t, "p2", "two\n", 0600);
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		snprintf(text, sizeof text, "%s", texts[i]);
		if ((at = strstr(text, "@P1@")) != NULL)
			snprintf(
			    at, sizeof text - (size_t)(at - text), "%s\n", p1);
		if ((at = strstr(text, "@P2@")) != NULL)
			snprintf(
			    at, sizeof text - (size_t)(at - text), "%s\n", p2);
		cf[i] = harness_config(text, NAME);
	}
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		for (j = 0; j < sizeof texts / sizeof texts[0]; j++)
			ck_assert_int_eq(
			    config_cluster_same(cf[i], cf[j]), i == j);
	}
	/* Moved down, with the prefix written out: the same settings. */
	again = harness_config("; moved\n" GOOD_SOURCE "[cluster]\n"
	                       "prefix = gatherd\nname = a\n"
	                       "redis = unix:/r.sock\n",
	    NAME);
	ck_assert_int_eq(config_cluster_same(cf[0], again), 1);
	ck_assert_int_eq(config_cluster_same(again, cf[0]), 1);
	config_free(again);
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
		config_free(cf[i]);
	tmpdir_remove(&t);
}
END_TEST

static Suite *
config_cluster_suite(void)
{
	Suite *s = suite_create("config_cluster");
	TCase *tc;

	tc = tcase_create("cluster");
	tcase_add_test(tc, test_cluster_keys);
	tcase_add_test(tc, test_cluster_credentials_directory);
	tcase_add_test(tc, test_cluster_password_readable);
	tcase_add_test(tc, test_cluster_absent);
	tcase_add_test(tc, test_cluster_defaults);
	tcase_add_test(tc, test_cluster_default_name);
	tcase_add_loop_test(tc, test_cluster_bad_values, 0,
	    (int)(sizeof cluster_bad / sizeof cluster_bad[0]));
	tcase_add_test(tc, test_cluster_errors);
	tcase_add_test(tc, test_cluster_password_errors);
	tcase_add_test(tc, test_cluster_same);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(config_cluster_suite()) == 0 ? 0 : 1;
}
