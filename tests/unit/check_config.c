/*
 * Tests of the config module: listen addresses, a complete file with
 * every key and the defaults of absent ones, and every error with its
 * exact "NAME:LINE: " prefix.  Token files are read from tests/data and
 * from a mkdtemp() directory, to check that relative paths follow the
 * config file; the values themselves are check_parse's and the reading
 * of secrets check_secret's, budgets check_config_budget's and jq
 * programs check_config_jq's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

/* The top build directory's config.h is autoconf's; we want lib's. */
#include "../lib/config.h"
#include "log.h"
#include "runner.h"

/* The name config_load_string puts in front of every error. */
#define NAME "t.conf"

/* A minimal valid source, appended where a test needs one. */
#define GOOD_SOURCE                                                            \
	"[source a]\n"                                                         \
	"url = http://a.example/\n"                                            \
	"stat x = /x\n"

/* Loads text as NAME and asserts it is rejected with prefix and phrase. */
static void
expect_error(const char *text, const char *prefix, const char *phrase)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf;

	cf = config_load_string(text, NAME, err, sizeof err);
	ck_assert_msg(cf == NULL, "config accepted:\n%s", text);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "error \"%s\" does not start with \"%s\"", err, prefix);
	ck_assert_msg(strstr(err, phrase) != NULL,
	    "error \"%s\" does not contain \"%s\"", err, phrase);
}

/* Loads text as NAME and asserts it is accepted. */
static struct config *
expect_ok(const char *text)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf;

	cf = config_load_string(text, NAME, err, sizeof err);
	ck_assert_msg(cf != NULL, "config rejected: %s\n%s", err, text);
	return cf;
}

/* Writes text to path, failing the test if it cannot. */
static void
write_file(const char *path, const char *text)
{
	FILE *f;

	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* A file with every key sets every field, in order. */
START_TEST(test_full_config)
{
	static const char text[] =
	    "; a complete config\n"
	    "[gatherd]\n"
	    "listen = 192.0.2.7:9090\n"
	    "user_agent = AnalyticsDashboard/1.0\n"
	    "state_dir = /tmp/gatherd-state\n"
	    "web_root = /srv/gatherd/web\n"
	    "max_concurrency = 32\n"
	    "max_per_host = 4\n"
	    "initial_spread = 2s\n"
	    "max_body = 512k\n"
	    "\n"
	    "[source signups]\n"
	    "url = https://api.example.com/v1/signups?period=day\n"
	    "interval = 30s\n"
	    "timeout = 5s\n"
	    "header = Accept: application/json\n"
	    "header = X-Api-Version: 2\n"
	    "stat total = /data/total\n"
	    "stat active = /data/active_users\n"
	    "\n"
	    "[source orders]\n"
	    "url = http://orders.example.net:8081/stats\n"
	    "interval = 250ms\n"
	    "timeout = 100ms\n"
	    "max_body = 1M\n"
	    "stat count = /count\n"
	    "stat first = /items/0/id\n"
	    "stat all = \n";
	const struct config_source *s;
	struct config *cf;

	cf = expect_ok(text);
	ck_assert_str_eq(cf->cf_path, NAME);
	ck_assert_str_eq(cf->cf_listen_host, "192.0.2.7");
	ck_assert_uint_eq(cf->cf_listen_port, 9090);
	ck_assert_str_eq(cf->cf_user_agent, "AnalyticsDashboard/1.0");
	ck_assert_str_eq(cf->cf_state_dir, "/tmp/gatherd-state");
	ck_assert_str_eq(cf->cf_web_root, "/srv/gatherd/web");
	ck_assert_uint_eq(cf->cf_max_concurrency, 32);
	ck_assert_uint_eq(cf->cf_max_per_host, 4);
	ck_assert_uint_eq(cf->cf_initial_spread_ms, 2000);
	ck_assert_uint_eq(cf->cf_defaults.src_max_body, 512 * 1024);
	ck_assert_ptr_null(cf->cf_api_token);
	ck_assert_uint_eq(cf->cf_nsources, 2);

	s = &cf->cf_sources[0];
	ck_assert_str_eq(s->src_name, "signups");
	ck_assert_str_eq(
	    s->src_url, "https://api.example.com/v1/signups?period=day");
	ck_assert_uint_eq(s->src_interval_ms, 30000);
	ck_assert_uint_eq(s->src_timeout_ms, 5000);
	ck_assert_uint_eq(s->src_max_body, 512 * 1024);
	ck_assert_ptr_null(s->src_token);
	ck_assert_int_eq(s->src_line, 12);
	ck_assert_uint_eq(s->src_nheaders, 2);
	ck_assert_str_eq(s->src_headers[0], "Accept: application/json");
	ck_assert_str_eq(s->src_headers[1], "X-Api-Version: 2");
	ck_assert_uint_eq(s->src_nstats, 2);
	ck_assert_str_eq(s->src_stats[0].cs_name, "total");
	ck_assert_str_eq(s->src_stats[0].cs_pointer, "/data/total");
	ck_assert_str_eq(s->src_stats[1].cs_name, "active");
	ck_assert_str_eq(s->src_stats[1].cs_pointer, "/data/active_users");

	s = &cf->cf_sources[1];
	ck_assert_str_eq(s->src_name, "orders");
	ck_assert_str_eq(s->src_url, "http://orders.example.net:8081/stats");
	ck_assert_uint_eq(s->src_interval_ms, 250);
	ck_assert_uint_eq(s->src_timeout_ms, 100);
	ck_assert_uint_eq(s->src_max_body, 1024 * 1024);
	ck_assert_int_eq(s->src_line, 21);
	ck_assert_uint_eq(s->src_nheaders, 0);
	ck_assert_uint_eq(s->src_nstats, 3);
	ck_assert_str_eq(s->src_stats[0].cs_name, "count");
	ck_assert_str_eq(s->src_stats[0].cs_pointer, "/count");
	ck_assert_str_eq(s->src_stats[1].cs_name, "first");
	ck_assert_str_eq(s->src_stats[1].cs_pointer, "/items/0/id");
	/* The empty pointer selects the whole document (RFC 6901). */
	ck_assert_str_eq(s->src_stats[2].cs_name, "all");
	ck_assert_str_eq(s->src_stats[2].cs_pointer, "");
	config_free(cf);
}
END_TEST

/* Absent keys take the documented defaults. */
START_TEST(test_defaults)
{
	struct config *cf;
	const struct config_source *s;

	cf = expect_ok(GOOD_SOURCE);
	ck_assert_str_eq(cf->cf_listen_host, "127.0.0.1");
	ck_assert_uint_eq(cf->cf_listen_port, 8080);
	ck_assert_msg(strncmp(cf->cf_user_agent, "gatherd/", 8) == 0 &&
	        cf->cf_user_agent[8] != '\0',
	    "user_agent \"%s\"", cf->cf_user_agent);
	ck_assert_uint_eq(cf->cf_max_concurrency, 64);
	ck_assert_uint_eq(cf->cf_max_per_host, 8);
	ck_assert_uint_eq(cf->cf_initial_spread_ms, 5000);
	ck_assert_ptr_nonnull(cf->cf_state_dir);
	ck_assert_ptr_nonnull(cf->cf_web_root);
	ck_assert_ptr_null(cf->cf_api_token);
	ck_assert_int_eq(cf->cf_log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(cf->cf_nsources, 1);
	s = &cf->cf_sources[0];
	ck_assert_uint_eq(s->src_interval_ms, 60000);
	ck_assert_uint_eq(s->src_timeout_ms, 10000);
	ck_assert_uint_eq(s->src_max_body, 8 * 1024 * 1024);
	/* Tunables that follow from the interval and the timeout. */
	ck_assert_uint_eq(s->src_connect_timeout_ms, 10000);
	ck_assert_uint_eq(s->src_retry_base_ms, 1000);
	ck_assert_uint_eq(s->src_retry_max_ms, 8 * 60000);
	ck_assert_uint_eq(s->src_max_age_ms, 10 * 60000);
	ck_assert_uint_eq(s->src_low_speed_limit, 100);
	ck_assert_uint_eq(s->src_low_speed_time_ms, 10000);
	ck_assert_ptr_null(s->src_ca_file);
	ck_assert_int_eq(s->src_line, 1);
	ck_assert_uint_eq(s->src_nheaders, 0);
	ck_assert_ptr_null(s->src_token);
	config_free(cf);
}
END_TEST

/* log_level takes the four level names, once, and nothing else. */
START_TEST(test_log_level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} ok[] = {
	    {"debug", LOG_LEVEL_DEBUG},
	    {"info", LOG_LEVEL_INFO},
	    {"warning", LOG_LEVEL_WARN},
	    {"error", LOG_LEVEL_ERROR},
	};
	static const char *bad[] = {"", "warn", "DEBUG", "quiet", "3", "err",
	    "information", "notice", "critical", "debug;x"};
	char text[256];
	struct config *cf;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		snprintf(text, sizeof text,
		    "[gatherd]\nlog_level = %s\n" GOOD_SOURCE, ok[i].name);
		cf = expect_ok(text);
		ck_assert_int_eq(cf->cf_log_level, ok[i].level);
		config_free(cf);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "[gatherd]\nlog_level = %s\n%s",
		    bad[i], GOOD_SOURCE);
		expect_error(text, NAME ":2: ",
		    "log_level: expected debug, info, warning or error");
	}
	expect_error(
	    "[gatherd]\nlog_level = debug\nlog_level = info\n" GOOD_SOURCE,
	    NAME ":3: ", "duplicate key \"log_level\"");
	expect_error(GOOD_SOURCE "log_level = debug\n",
	    NAME ":4: ", "unknown key \"log_level\" in [source a]");
}
END_TEST

/* initial_spread = 0 means all at once and is kept as 0. */
START_TEST(test_spread_zero)
{
	struct config *cf;

	cf = expect_ok("[gatherd]\ninitial_spread = 0\n" GOOD_SOURCE);
	ck_assert_uint_eq(cf->cf_initial_spread_ms, 0);
	config_free(cf);
}
END_TEST

/* A bracketed IPv6 address and port 0 are valid listen forms. */
START_TEST(test_listen_forms)
{
	struct config *cf;

	cf = expect_ok("[gatherd]\nlisten = [::1]:9000\n" GOOD_SOURCE);
	ck_assert_str_eq(cf->cf_listen_host, "::1");
	ck_assert_uint_eq(cf->cf_listen_port, 9000);
	config_free(cf);
	cf = expect_ok("[gatherd]\nlisten = 0.0.0.0:0\n" GOOD_SOURCE);
	ck_assert_str_eq(cf->cf_listen_host, "0.0.0.0");
	ck_assert_uint_eq(cf->cf_listen_port, 0);
	config_free(cf);
	cf = expect_ok("[gatherd]\nlisten = localhost:65535\n" GOOD_SOURCE);
	ck_assert_str_eq(cf->cf_listen_host, "localhost");
	ck_assert_uint_eq(cf->cf_listen_port, 65535);
	config_free(cf);
}
END_TEST

/* A port alone, bare IPv6, no port and a port over 65535 fail. */
START_TEST(test_listen_bad)
{
	static const char *const bad[] = {
	    "8080",
	    "::1:80",
	    "host:",
	    "host:70000",
	    ":80",
	    "[::1]9000",
	    "[::1]:",
	    "host:-1",
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(text, sizeof text,
		    "[gatherd]\nlisten = %s\n" GOOD_SOURCE, bad[i]);
		expect_error(text, NAME ":2: ", "listen: expected host:port");
	}
}
END_TEST

/* A section that is neither [gatherd] nor [source NAME] fails. */
START_TEST(test_err_unknown_section)
{
	expect_error(GOOD_SOURCE "\n[sources]\nurl = http://b.example/\n",
	    NAME ":5: ", "unknown section [sources]");
}
END_TEST

/* An unknown key in [gatherd] fails at its line. */
START_TEST(test_err_unknown_global_key)
{
	expect_error(
	    "[gatherd]\nlisten = 127.0.0.1:1\nlisten_port = 80\n" GOOD_SOURCE,
	    NAME ":3: ",
	    "unknown key \"listen_port\" in "
	    "[gatherd]");
}
END_TEST

/* An unknown key in a source fails at its line. */
START_TEST(test_err_unknown_source_key)
{
	expect_error(GOOD_SOURCE "intervall = 5s\n",
	    NAME ":4: ", "unknown key \"intervall\" in [source a]");
}
END_TEST

/* A bad duration names the key and the value. */
START_TEST(test_err_bad_duration)
{
	expect_error("[source a]\nurl = http://a.example/\ninterval = 5x\n"
	             "stat x = /x\n",
	    NAME ":3: ", "interval: bad duration \"5x\"");
	expect_error("[source a]\nurl = http://a.example/\ntimeout = 1.5ms\n"
	             "stat x = /x\n",
	    NAME ":3: timeout: bad duration \"1.5ms\" (use e.g. 500ms, 5s; "
	         "at least 10ms)",
	    "");
	expect_error("[source a]\nurl = http://a.example/\ninterval = 30s1m\n"
	             "stat x = /x\n",
	    NAME ":3: interval: bad duration \"30s1m\" (use e.g. 30s, 5m; "
	         "at least 100ms)",
	    "");
	expect_error("[gatherd]\ninitial_spread = soon\n" GOOD_SOURCE,
	    NAME ":2: ", "initial_spread: bad duration \"soon\"");
}
END_TEST

/* Durations with fractions and compounds reach every duration key. */
START_TEST(test_durations_compound)
{
	struct config *cf = expect_ok("[gatherd]\ninitial_spread = 0.5s\n"
	                              "http_connection_timeout = 1m30s\n"
	                              "[source a]\nurl = http://a.example/\n"
	                              "interval = 1h30m\ntimeout = 1.5s\n"
	                              "max_age = 0.5h\nstat x = /x\n");

	ck_assert_uint_eq(cf->cf_initial_spread_ms, 500);
	ck_assert_uint_eq(cf->cf_http_timeout_s, 90);
	ck_assert_uint_eq(cf->cf_sources[0].src_interval_ms, 5400000);
	ck_assert_uint_eq(cf->cf_sources[0].src_timeout_ms, 1500);
	ck_assert_uint_eq(cf->cf_sources[0].src_max_age_ms, 1800000);
	config_free(cf);
}
END_TEST

/* A URL with a scheme other than http or https fails. */
START_TEST(test_err_url_scheme)
{
	expect_error("[source a]\nurl = ftp://a.example/x\nstat x = /x\n",
	    NAME ":2: ", "url must use http or https");
}
END_TEST

/* Something that is not a URL at all fails. */
START_TEST(test_err_url_invalid)
{
	expect_error("[source a]\nurl = not a url\nstat x = /x\n",
	    NAME ":2: ", "url is not a valid URL");
}
END_TEST

/* A source without url is reported at its [source] header. */
START_TEST(test_err_missing_url)
{
	expect_error("[gatherd]\nmax_per_host = 2\n\n[source a]\n"
	             "interval = 5s\n; no url\nstat x = /x\n",
	    NAME ":4: ", "source a: missing url");
}
END_TEST

/* A source without any stat is reported at its [source] header. */
START_TEST(test_err_no_stat)
{
	expect_error(GOOD_SOURCE "[source b]\nurl = http://b.example/\n"
	                         "interval = 5s\n",
	    NAME ":4: ", "source b: no stat");
}
END_TEST

/* A second source of the same name fails at its header line. */
START_TEST(test_err_duplicate_source)
{
	expect_error(GOOD_SOURCE
	    "[source b]\nurl = http://b.example/\n"
	    "stat y = /y\n\n[source a]\nurl = http://c.example/\n"
	    "stat z = /z\n",
	    NAME ":8: ", "duplicate source \"a\"");
}
END_TEST

/* A key given twice in one source fails at the second one. */
START_TEST(test_err_duplicate_key)
{
	expect_error("[source a]\nurl = http://a.example/\ninterval = 5s\n"
	             "stat x = /x\ninterval = 10s\n",
	    NAME ":5: ", "duplicate key \"interval\"");
	expect_error("[gatherd]\nmax_body = 1M\nmax_body = 2M\n" GOOD_SOURCE,
	    NAME ":3: ", "duplicate key \"max_body\"");
}
END_TEST

/* A source name with a space fails at its header line. */
START_TEST(test_err_invalid_source_name)
{
	expect_error("[gatherd]\nmax_per_host = 2\n[source a b]\n"
	             "url = http://a.example/\nstat x = /x\n",
	    NAME ":3: ", "invalid source name \"a b\"");
}
END_TEST

/* A stat name with a slash fails at its line. */
START_TEST(test_err_invalid_stat_name)
{
	expect_error("[source a]\nurl = http://a.example/\nstat a/b = /x\n",
	    NAME ":3: ", "invalid stat name \"a/b\"");
}
END_TEST

/* The same stat name twice in a source fails at the second one. */
START_TEST(test_err_duplicate_stat)
{
	expect_error(GOOD_SOURCE "stat y = /y\nstat x = /z\n",
	    NAME ":5: ", "duplicate stat \"x\"");
}
END_TEST

/* A stat pointer that does not start with '/' fails. */
START_TEST(test_err_stat_pointer)
{
	expect_error("[source a]\nurl = http://a.example/\n"
	             "stat x = data/total\n",
	    NAME ":3: ", "\"data/total\" is not a JSON Pointer");
}
END_TEST

/* A header line without a colon fails. */
START_TEST(test_err_header_colon)
{
	expect_error(GOOD_SOURCE "header = Accept application/json\n",
	    NAME ":4: ", "header: expected \"Name: value\"");
}
END_TEST

/* A key before any section fails at line 1. */
START_TEST(test_err_key_outside_section)
{
	expect_error("listen = 127.0.0.1:80\n" GOOD_SOURCE,
	    NAME ":1: ", "key \"listen\" outside of a section");
}
END_TEST

/* A line that is not INI is a syntax error at its line. */
START_TEST(test_err_syntax)
{
	expect_error(
	    GOOD_SOURCE "this is not ini\n", NAME ":4: ", "syntax error");
	expect_error("this is not ini\n", NAME ":1: ", "syntax error");
}
END_TEST

/* A token file that cannot be opened fails and names the file. */
START_TEST(test_err_token_unreadable)
{
	expect_error(GOOD_SOURCE "token_file = " TEST_DATA "/no-such.token\n",
	    NAME ":4: ", "cannot read token file " TEST_DATA "/no-such.token");
	expect_error("[gatherd]\napi_token_file = " TEST_DATA
	             "/no-such.token\n" GOOD_SOURCE,
	    NAME ":2: ", "cannot read token file");
}
END_TEST

/* A token from tests/data is read and trimmed of spaces and newline. */
START_TEST(test_token_absolute)
{
	struct config *cf;

	cf = expect_ok(
	    "[gatherd]\napi_token_file = " TEST_DATA "/token.txt\n" GOOD_SOURCE
	    "token_file = " TEST_DATA "/token.txt\n");
	ck_assert_str_eq(cf->cf_api_token, "s3cret-Token.42");
	ck_assert_str_eq(cf->cf_sources[0].src_token, "s3cret-Token.42");
	config_free(cf);
}
END_TEST

/* Relative token files follow the config file's directory. */
START_TEST(test_token_relative)
{
	char dir[] = "/tmp/check_config.XXXXXX";
	char conf[128], tok[128], api[128], sub[128], subtok[128];
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/gatherd.conf", dir);
	snprintf(tok, sizeof tok, "%s/source.token", dir);
	snprintf(api, sizeof api, "%s/api.token", dir);
	snprintf(sub, sizeof sub, "%s/tokens", dir);
	snprintf(subtok, sizeof subtok, "%s/tokens/b.token", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	write_file(tok, "\t  abc.DEF-123 \r\n");
	write_file(api, "api-secret\n");
	write_file(subtok, "bee\n");
	write_file(conf,
	    "[gatherd]\napi_token_file = api.token\n" GOOD_SOURCE
	    "token_file = source.token\n"
	    "[source b]\nurl = http://b.example/\nstat y = /y\n"
	    "token_file = tokens/b.token\n");

	cf = config_load(conf, err, sizeof err);
	ck_assert_msg(cf != NULL, "config_load failed: %s", err);
	ck_assert_str_eq(cf->cf_path, conf);
	ck_assert_str_eq(cf->cf_api_token, "api-secret");
	ck_assert_str_eq(cf->cf_sources[0].src_token, "abc.DEF-123");
	ck_assert_str_eq(cf->cf_sources[1].src_token, "bee");
	config_free(cf);

	ck_assert_int_eq(unlink(subtok), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(unlink(tok), 0);
	ck_assert_int_eq(unlink(api), 0);
	ck_assert_int_eq(unlink(conf), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* config_load reports a missing file and errors with the path. */
START_TEST(test_load_file_errors)
{
	char dir[] = "/tmp/check_config.XXXXXX";
	char conf[128], err[CONFIG_ERR_LEN] = "", want[320];
	struct config *cf;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/gatherd.conf", dir);
	cf = config_load(conf, err, sizeof err);
	ck_assert_ptr_null(cf);
	snprintf(want, sizeof want, "%s: ", conf);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0 &&
	        strstr(err, "No such file") != NULL,
	    "error \"%s\"", err);

	write_file(conf, GOOD_SOURCE "token_file = missing.token\n");
	cf = config_load(conf, err, sizeof err);
	ck_assert_ptr_null(cf);
	snprintf(want, sizeof want,
	    "%s:4: cannot read token file %s/"
	    "missing.token",
	    conf, dir);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "error \"%s\", want prefix \"%s\"", err, want);

	ck_assert_int_eq(unlink(conf), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A 1000-character URL parses, and later lines keep their numbers. */
START_TEST(test_long_line)
{
	char url[1100], text[1400];
	struct config *cf;
	size_t n;

	n = (size_t)snprintf(url, sizeof url, "https://long.example/");
	memset(url + n, 'p', 1000 - n);
	url[1000] = '\0';
	snprintf(text, sizeof text,
	    "[source long]\nurl = %s\n"
	    "stat x = /x\n",
	    url);
	cf = expect_ok(text);
	ck_assert_uint_eq(strlen(cf->cf_sources[0].src_url), 1000);
	ck_assert_str_eq(cf->cf_sources[0].src_url, url);
	ck_assert_str_eq(cf->cf_sources[0].src_stats[0].cs_pointer, "/x");
	config_free(cf);

	snprintf(text, sizeof text,
	    "[source long]\nurl = %s\n"
	    "stat x = /x\nbogus = 1\n",
	    url);
	expect_error(text, NAME ":4: ", "unknown key \"bogus\"");
}
END_TEST

/* Redacting a URL removes user and password and keeps the rest. */
START_TEST(test_redact_url)
{
	char *s;

	s = config_redact_url("https://user:secret@example.com/x?y=1");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "https://example.com/x?y=1");
	free(s);
	s = config_redact_url("http://user@example.com:8080/a#f");
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "user") == NULL, "user kept in \"%s\"", s);
	ck_assert_msg(strncmp(s, "http://example.com:8080/a", 25) == 0,
	    "redacted \"%s\"", s);
	free(s);
	s = config_redact_url("https://example.com/plain");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "https://example.com/plain");
	free(s);
}
END_TEST

/* config_find_source finds each source by name and misses others. */
START_TEST(test_find_source)
{
	struct config *cf;
	const struct config_source *s;

	cf = expect_ok(GOOD_SOURCE "[source b]\nurl = http://b.example/\n"
	                           "stat y = /y\n");
	s = config_find_source(cf, "a");
	ck_assert_ptr_eq(s, &cf->cf_sources[0]);
	s = config_find_source(cf, "b");
	ck_assert_ptr_eq(s, &cf->cf_sources[1]);
	ck_assert_ptr_null(config_find_source(cf, "c"));
	ck_assert_ptr_null(config_find_source(cf, "A"));
	ck_assert_ptr_null(config_find_source(cf, ""));
	config_free(cf);
}
END_TEST

/* config_free(NULL) does nothing. */
START_TEST(test_free_null)
{
	config_free(NULL);
}
END_TEST

/* A file with no sources at all is valid and has none. */
START_TEST(test_no_sources)
{
	struct config *cf;

	cf = expect_ok("[gatherd]\nlisten = 127.0.0.1:1\n");
	ck_assert_uint_eq(cf->cf_nsources, 0);
	ck_assert_ptr_null(config_find_source(cf, "a"));
	config_free(cf);
}
END_TEST

/*
 * BUG: a [source a] header right after another [source a] section is
 * merged into it instead of being reported as a duplicate.
 */
START_TEST(test_bug_adjacent_duplicate_source)
{
	expect_error(GOOD_SOURCE "[source a]\nstat y = /y\n",
	    NAME ":4: ", "duplicate source \"a\"");
}
END_TEST

/*
 * BUG: a [source b] section with no key at all is silently dropped
 * instead of failing with "missing url" at its header.
 */
START_TEST(test_bug_empty_source_section)
{
	expect_error(
	    GOOD_SOURCE "[source b]\n", NAME ":4: ", "source b: missing url");
}
END_TEST

/* BUG: an unknown section with no key in it is silently accepted. */
START_TEST(test_bug_empty_unknown_section)
{
	expect_error("[sources]\n" GOOD_SOURCE,
	    NAME ":1: ", "unknown section [sources]");
}
END_TEST

/*
 * BUG: strict_permissions and log_level shared a bit of the "seen" mask,
 * so giving both was a "duplicate key".  Every once-only key of
 * [gatherd] together must be accepted.
 */
START_TEST(test_bug_global_keys_together)
{
	struct config *cf;

	cf = expect_ok("[gatherd]\n"
	               "listen = 127.0.0.1:1\n"
	               "user_agent = x\n"
	               "state_dir = /tmp\n"
	               "web_root = /tmp\n"
	               "max_concurrency = 1\n"
	               "max_per_host = 1\n"
	               "initial_spread = 0\n"
	               "max_event_streams = 1\n"
	               "event_idle_timeout = 1s\n"
	               "strict_permissions = no\n"
	               "log_level = info\n"
	               "http_connection_timeout = 1s\n"
	               "http_max_connections = 1\n"
	               "http_max_connections_per_ip = 1\n"
	               "http_connection_memory = 8k\n"
	               "allow_origins = https://a.example\n" GOOD_SOURCE);
	config_free(cf);
}
END_TEST

/* Builds the suite: values, whole files, errors, token files, bugs. */
/* Tunables set in [gatherd] apply to every source that does not set them. */
START_TEST(test_tunables_inherit)
{
	struct config *cf = expect_ok("[gatherd]\n"
	                              "retry_base = 2s\n"
	                              "retry_max = 1m\n"
	                              "connect_timeout = 3s\n"
	                              "low_speed_limit = 0\n"
	                              "low_speed_time = 4s\n"
	                              "circuit_cooldown = 10s\n"
	                              "max_body = 1M\n"
	                              "[source a]\n"
	                              "url = http://a.example/\n"
	                              "retry_base = 500ms\n"
	                              "max_age = 90s\n"
	                              "stat x = /x\n"
	                              "[source b]\n"
	                              "url = http://b.example/\n"
	                              "interval = 1h\n"
	                              "stat x = /x\n");
	const struct config_source *a = &cf->cf_sources[0];
	const struct config_source *b = &cf->cf_sources[1];

	ck_assert_uint_eq(a->src_retry_base_ms, 500);
	ck_assert_uint_eq(b->src_retry_base_ms, 2000);
	ck_assert_uint_eq(a->src_retry_max_ms, 60000);
	ck_assert_uint_eq(b->src_retry_max_ms, 60000);
	ck_assert_uint_eq(a->src_connect_timeout_ms, 3000);
	ck_assert_uint_eq(a->src_low_speed_limit, 0);
	ck_assert_uint_eq(b->src_low_speed_time_ms, 4000);
	ck_assert_uint_eq(b->src_circuit_cooldown_ms, 10000);
	ck_assert_uint_eq(b->src_max_body, 1024 * 1024);
	ck_assert_uint_eq(a->src_max_age_ms, 90000);
	/* max_age follows the interval unless set. */
	ck_assert_uint_eq(b->src_max_age_ms, 10 * 3600000ULL);
	config_free(cf);
}
END_TEST

/* History and its rollups: the defaults (360 points, 1 m buckets, a
 * day of them), values, [gatherd] as every source's default, 0 = off. */
START_TEST(test_history_keys)
{
	struct config *cf = expect_ok(GOOD_SOURCE);
	const struct config_source *a, *b, *c;

	a = &cf->cf_sources[0];
	ck_assert_uint_eq(a->src_history, 360);
	ck_assert_uint_eq(a->src_history_rollup_ms, 60000);
	ck_assert_uint_eq(a->src_history_rollup_points, 1440);
	config_free(cf);
	cf = expect_ok("[gatherd]\n"
	               "history_rollup = 5m\n"
	               "history_rollup_points = 288\n"
	               "[source a]\n"
	               "url = http://a.example/\n"
	               "history = 3\n"
	               "history_rollup = 1s\n"
	               "stat x = /x\n"
	               "[source b]\n"
	               "url = http://b.example/\n"
	               "history_rollup_points = 0\n"
	               "stat x = /x\n"
	               "[source c]\n"
	               "url = http://c.example/\n"
	               "history_rollup = 1500ms\n"
	               "history_rollup_points = 1000000\n"
	               "stat x = /x\n");
	a = &cf->cf_sources[0];
	b = &cf->cf_sources[1];
	c = &cf->cf_sources[2];
	ck_assert_uint_eq(a->src_history, 3);
	ck_assert_uint_eq(a->src_history_rollup_ms, 1000);
	ck_assert_uint_eq(a->src_history_rollup_points, 288);
	ck_assert_uint_eq(b->src_history_rollup_ms, 300000);
	ck_assert_uint_eq(b->src_history_rollup_points, 0);
	ck_assert_uint_eq(c->src_history_rollup_ms, 1500);
	ck_assert_uint_eq(c->src_history_rollup_points, 1000000);
	config_free(cf);
}
END_TEST

/* Loads text, asserting it is refused with exactly want. */
static void
expect_exact(const char *text, const char *want)
{
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf;

	cf = config_load_string(text, NAME, err, sizeof err);
	ck_assert_msg(cf == NULL, "config accepted:\n%s", text);
	ck_assert_str_eq(err, want);
}

/* Every error of the rollup keys, exactly. */
START_TEST(test_history_rollup_errors)
{
	expect_exact("[gatherd]\nhistory_rollup = 999ms\n" GOOD_SOURCE,
	    NAME ":2: history_rollup: bad duration \"999ms\" (use e.g. 1m, "
	         "5m; at least 1s)");
	expect_exact(GOOD_SOURCE "history_rollup = 0\n",
	    NAME ":4: history_rollup: bad duration \"0\" (use e.g. 1m, 5m; "
	         "at least 1s)");
	expect_exact(GOOD_SOURCE "history_rollup = minute\n",
	    NAME ":4: history_rollup: bad duration \"minute\" (use e.g. 1m, "
	         "5m; at least 1s)");
	expect_exact(GOOD_SOURCE "history_rollup = 8d\n",
	    NAME ":4: history_rollup: bad duration \"8d\" (use e.g. 1m, 5m; "
	         "at least 1s)");
	expect_exact(GOOD_SOURCE "history_rollup_points = 1000001\n",
	    NAME ":4: history_rollup_points: bad number \"1000001\" (use "
	         "e.g. 1440 (buckets per stat, up to 1000000; 0 keeps none))");
	expect_exact(GOOD_SOURCE "history_rollup_points = -1\n",
	    NAME ":4: history_rollup_points: bad number \"-1\" (use e.g. "
	         "1440 (buckets per stat, up to 1000000; 0 keeps none))");
	expect_exact("[gatherd]\nhistory_rollup_points = day\n" GOOD_SOURCE,
	    NAME ":2: history_rollup_points: bad number \"day\" (use e.g. "
	         "1440 (buckets per stat, up to 1000000; 0 keeps none))");
	expect_exact(GOOD_SOURCE "history_rollup = 1m\nhistory_rollup = 2m\n",
	    NAME ":5: duplicate key \"history_rollup\"");
}
END_TEST

/* Defaults that follow from the interval and the timeout. */
START_TEST(test_tunables_derived)
{
	struct config *cf = expect_ok("[source slow]\n"
	                              "url = http://a.example/\n"
	                              "interval = 1h\n"
	                              "timeout = 2s\n"
	                              "stat x = /x\n"
	                              "[source fast]\n"
	                              "url = http://b.example/\n"
	                              "interval = 100ms\n"
	                              "stat x = /x\n");
	const struct config_source *slow = &cf->cf_sources[0];
	const struct config_source *fast = &cf->cf_sources[1];

	/* retry_max: interval x 8, at most 1 h, never below retry_base. */
	ck_assert_uint_eq(slow->src_retry_max_ms, 3600000);
	ck_assert_uint_eq(fast->src_retry_max_ms, 1000);
	/* connect_timeout: the timeout, at most 10 s. */
	ck_assert_uint_eq(slow->src_connect_timeout_ms, 2000);
	ck_assert_uint_eq(fast->src_connect_timeout_ms, 10000);
	ck_assert_uint_eq(fast->src_circuit_cooldown_ms, 30000);
	config_free(cf);
}
END_TEST

/* Tunables are checked like every other key. */
START_TEST(test_tunables_errors)
{
	expect_error("[gatherd]\ninterval = 5s\n",
	    NAME ":2: ", "unknown key \"interval\" in [gatherd]");
	expect_error("[gatherd]\nmax_age = 5s\n",
	    NAME ":2: ", "unknown key \"max_age\"");
	expect_error("[source a]\nurl = http://a.example/\nretry_base = 2s\n"
	             "retry_base = 3s\nstat x = /x\n",
	    NAME ":4: ", "duplicate key \"retry_base\"");
	expect_error("[source a]\nurl = http://a.example/\nretry_max = soon\n"
	             "stat x = /x\n",
	    NAME ":3: ", "retry_max: bad duration");
	expect_error(
	    "[source a]\nurl = http://a.example/\nlow_speed_limit = -1\n"
	    "stat x = /x\n",
	    NAME ":3: ", "low_speed_limit: bad number");
	expect_error("[source a]\nurl = http://a.example/\nretry_base = 10s\n"
	             "retry_max = 5s\nstat x = /x\n",
	    NAME ":1: ", "retry_max is below retry_base");
	expect_error("[source a]\nurl = http://a.example/\n"
	             "ca_file = /nonexistent/ca.pem\nstat x = /x\n",
	    NAME ":3: ", "cannot read ca_file /nonexistent/ca.pem");
}
END_TEST

/* The HTTP server's limits default to 30s, 1024, 64 per address, 32k. */
START_TEST(test_http_defaults)
{
	struct config *cf = expect_ok(GOOD_SOURCE);

	ck_assert_uint_eq(cf->cf_http_timeout_s, 30);
	ck_assert_uint_eq(cf->cf_http_max_conns, 1024);
	ck_assert_uint_eq(cf->cf_http_max_per_ip, 64);
	ck_assert_uint_eq(cf->cf_http_memory, 32 * 1024);
	ck_assert_uint_eq(cf->cf_nallow_origins, 0);
	ck_assert_ptr_null(cf->cf_allow_origins);
	config_free(cf);
}
END_TEST

/* Each limit is read; a timeout is rounded up to whole seconds. */
START_TEST(test_http_keys)
{
	struct config *cf;

	cf = expect_ok("[gatherd]\n"
	               "http_connection_timeout = 1500ms\n"
	               "http_max_connections = 10\n"
	               "http_max_connections_per_ip = 0\n"
	               "http_connection_memory = 16k\n" GOOD_SOURCE);
	ck_assert_uint_eq(cf->cf_http_timeout_s, 2);
	ck_assert_uint_eq(cf->cf_http_max_conns, 10);
	ck_assert_uint_eq(cf->cf_http_max_per_ip, 0);
	ck_assert_uint_eq(cf->cf_http_memory, 16 * 1024);
	config_free(cf);
	cf = expect_ok("[gatherd]\nhttp_connection_timeout = 1h\n"
	               "http_connection_memory = 1M\n" GOOD_SOURCE);
	ck_assert_uint_eq(cf->cf_http_timeout_s, 3600);
	ck_assert_uint_eq(cf->cf_http_memory, 1024 * 1024);
	config_free(cf);
}
END_TEST

/* Limits out of range, malformed or given twice are errors at their line. */
START_TEST(test_http_errors)
{
	static const struct {
		const char *line;
		const char *phrase;
	} bad[] = {
	    {"http_connection_timeout = 0", "1s to 1h"},
	    {"http_connection_timeout = 999ms", "1s to 1h"},
	    {"http_connection_timeout = 2h", "1s to 1h"},
	    {"http_connection_timeout = soon", "bad duration"},
	    {"http_max_connections = 0", "from 1 to 100000"},
	    {"http_max_connections = 100001", "from 1 to 100000"},
	    {"http_max_connections = -1", "from 1 to 100000"},
	    {"http_max_connections_per_ip = many", "0 (no limit)"},
	    {"http_connection_memory = 4k", "8k to 1M"},
	    {"http_connection_memory = 2M", "8k to 1M"},
	    {"http_connection_memory = 32q", "bad size"},
	    {"http_max_conns = 5", "unknown key \"http_max_conns\""},
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "[gatherd]\n%s\n" GOOD_SOURCE,
		    bad[i].line);
		expect_error(text, NAME ":2: ", bad[i].phrase);
	}
	expect_error("[gatherd]\nhttp_max_connections = 5\n"
	             "http_max_connections = 6\n" GOOD_SOURCE,
	    NAME ":3: ", "duplicate key \"http_max_connections\"");
}
END_TEST

/* allow_origins: a comma-separated list, stored in lower case. */
START_TEST(test_allow_origins)
{
	struct config *cf;

	cf = expect_ok("[gatherd]\nallow_origins = https://A.example, "
	               "http://b.example:8080,https://[::1]:9\n" GOOD_SOURCE);
	ck_assert_uint_eq(cf->cf_nallow_origins, 3);
	ck_assert_str_eq(cf->cf_allow_origins[0], "https://a.example");
	ck_assert_str_eq(cf->cf_allow_origins[1], "http://b.example:8080");
	ck_assert_str_eq(cf->cf_allow_origins[2], "https://[::1]:9");
	config_free(cf);
}
END_TEST

/* Anything but scheme://host[:port], wildcards, duplicates: errors. */
START_TEST(test_allow_origins_errors)
{
	static const char *bad[] = {"*", "https://a.example/",
	    "https://a.example/path", "ftp://a.example", "a.example",
	    "https://", "https://a.example:0", "https://a.example:99999",
	    "https://user@a.example", "https://[zz]", "null"};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text,
		    "[gatherd]\nallow_origins = https://ok.example, "
		    "%s\n" GOOD_SOURCE,
		    bad[i]);
		expect_error(text, NAME ":2: ", "is not an origin");
	}
	expect_error("[gatherd]\nallow_origins = https://a.example, "
	             "https://A.EXAMPLE\n" GOOD_SOURCE,
	    NAME ":2: ", "duplicate origin");
	expect_error("[gatherd]\nallow_origins = , ,\n" GOOD_SOURCE,
	    NAME ":2: ", "allow_origins is empty");
	expect_error("[gatherd]\nallow_origins = https://a.example\n"
	             "allow_origins = https://b.example\n" GOOD_SOURCE,
	    NAME ":3: ", "duplicate key \"allow_origins\"");
}
END_TEST

/* A readable ca_file is kept for the source. */
START_TEST(test_ca_file)
{
	char dir[] = "/tmp/gatherd-ca.XXXXXX", path[64], *text;
	struct config *cf;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ca.pem", dir);
	write_file(path, "not really a certificate\n");
	ck_assert_int_gt(asprintf(&text,
	                     "[source a]\nurl = https://a.example/\n"
	                     "ca_file = %s\nstat x = /x\n",
	                     path),
	    0);
	cf = expect_ok(text);
	ck_assert_str_eq(cf->cf_sources[0].src_ca_file, path);
	config_free(cf);
	free(text);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A token file others can read is a warning, or with strict_permissions
 * an error at the line that named it. */
START_TEST(test_token_permissions)
{
	char dir[] = "/tmp/gatherd-perm.XXXXXX", path[64], *text, *lax, *strict;
	char err[CONFIG_ERR_LEN] = "";
	struct config *cf;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/token", dir);
	write_file(path, "s3cret\n");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_gt(asprintf(&text,
	                     "[gatherd]\nstrict_permissions = %%s\n"
	                     "[source a]\nurl = http://a.example/\n"
	                     "token_file = %s\nstat x = /x\n",
	                     path),
	    0);
	ck_assert_int_gt(asprintf(&lax, text, "no"), 0);
	ck_assert_int_gt(asprintf(&strict, text, "yes"), 0);
	cf = expect_ok(lax);
	ck_assert_str_eq(cf->cf_sources[0].src_token, "s3cret");
	config_free(cf);
	cf = config_load_string(strict, NAME, err, sizeof err);
	ck_assert_ptr_null(cf);
	ck_assert_msg(strncmp(err, NAME ":5: token file ", 16) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "readable by everyone"));
	/* Owner and group only: fine either way. */
	ck_assert_int_eq(chmod(path, 0640), 0);
	cf = expect_ok(strict);
	config_free(cf);
	expect_error("[gatherd]\nstrict_permissions = maybe\n",
	    NAME ":2: ", "expected yes or no");
	free(lax);
	free(strict);
	free(text);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("values");
	tcase_add_test(tc, test_redact_url);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_full_config);
	tcase_add_test(tc, test_tunables_inherit);
	tcase_add_test(tc, test_tunables_derived);
	tcase_add_test(tc, test_history_keys);
	tcase_add_test(tc, test_history_rollup_errors);
	tcase_add_test(tc, test_tunables_errors);
	tcase_add_test(tc, test_ca_file);
	tcase_add_test(tc, test_token_permissions);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_log_level);
	tcase_add_test(tc, test_spread_zero);
	tcase_add_test(tc, test_listen_forms);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_find_source);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_no_sources);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_listen_bad);
	tcase_add_test(tc, test_err_unknown_section);
	tcase_add_test(tc, test_err_unknown_global_key);
	tcase_add_test(tc, test_err_unknown_source_key);
	tcase_add_test(tc, test_err_bad_duration);
	tcase_add_test(tc, test_durations_compound);
	tcase_add_test(tc, test_err_url_scheme);
	tcase_add_test(tc, test_err_url_invalid);
	tcase_add_test(tc, test_err_missing_url);
	tcase_add_test(tc, test_err_no_stat);
	tcase_add_test(tc, test_err_duplicate_source);
	tcase_add_test(tc, test_err_duplicate_key);
	tcase_add_test(tc, test_err_invalid_source_name);
	tcase_add_test(tc, test_err_invalid_stat_name);
	tcase_add_test(tc, test_err_duplicate_stat);
	tcase_add_test(tc, test_err_stat_pointer);
	tcase_add_test(tc, test_err_header_colon);
	tcase_add_test(tc, test_err_key_outside_section);
	tcase_add_test(tc, test_err_syntax);
	suite_add_tcase(s, tc);

	tc = tcase_create("tokens");
	tcase_add_test(tc, test_err_token_unreadable);
	tcase_add_test(tc, test_token_absolute);
	tcase_add_test(tc, test_token_relative);
	tcase_add_test(tc, test_load_file_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_test(tc, test_http_defaults);
	tcase_add_test(tc, test_http_keys);
	tcase_add_test(tc, test_http_errors);
	tcase_add_test(tc, test_allow_origins);
	tcase_add_test(tc, test_allow_origins_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("regressions");
	tcase_add_test(tc, test_bug_adjacent_duplicate_source);
	tcase_add_test(tc, test_bug_empty_source_section);
	tcase_add_test(tc, test_bug_empty_unknown_section);
	tcase_add_test(tc, test_bug_global_keys_together);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(config_suite()) == 0 ? 0 : 1;
}
