/*
 * Tests of the gatherd program itself: the built binary is run with
 * fork and execve, its stdout and stderr read through pipes, and every
 * wait is bounded (a child still alive after PROC_WAIT_MS is killed and
 * the test fails).  The options, config checking, --once, the daemon's
 * clean exit on SIGTERM and SIGINT, log levels, journald prefixes and the
 * sd_notify datagrams (read from a socket the test names in NOTIFY_SOCKET)
 * are checked; under ASan a leak at exit makes the exit status non-zero,
 * so a clean exit means a clean tear-down.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "fake_upstream.h"
#include "client.h"
#include "harness.h"
#include "nsock.h"
#include "proc.h"
#include "runner.h"
#include "tmpdir.h"

/*
 * Starts GATHERD_BIN with the extra environment (NULL-terminated, or
 * NULL) and the arguments in ap (up to a NULL).
 */
static void
proc_vstart_env(struct proc *p, const char *const *extra, va_list ap)
{
	const char *argv[16];
	size_t n = 0;

	argv[n++] = GATHERD_BIN;
	while ((argv[n] = va_arg(ap, const char *)) != NULL) {
		n++;
		ck_assert_uint_lt(n, sizeof argv / sizeof argv[0]);
	}
	proc_start_argv(p, argv, extra, NULL);
}

/* Starts GATHERD_BIN with the arguments in ap (up to a NULL). */
static void
proc_vstart(struct proc *p, va_list ap)
{
	proc_vstart_env(p, NULL, ap);
}

/* Starts GATHERD_BIN with the arguments that follow, up to a NULL. */
static void
proc_start(struct proc *p, ...)
{
	va_list ap;

	va_start(ap, p);
	proc_vstart(p, ap);
	va_end(ap);
}

/* Starts GATHERD_BIN with the extra environment and the arguments. */
static void
proc_start_env(struct proc *p, const char *const *extra, ...)
{
	va_list ap;

	va_start(ap, extra);
	proc_vstart_env(p, extra, ap);
	va_end(ap);
}

/* Runs gatherd with the arguments after rc to the end; asserts exit rc. */
static void
run(struct proc *p, int rc, ...)
{
	va_list ap;
	int status;

	va_start(ap, rc);
	proc_vstart(p, ap);
	va_end(ap);
	status = proc_finish(p);
	ck_assert_msg(WIFEXITED(status),
	    "gatherd did not exit: status %#x, "
	    "stderr: %s",
	    (unsigned)status, p->p_buf[1]);
	ck_assert_msg(WEXITSTATUS(status) == rc,
	    "exit %d, not %d; stderr: "
	    "%s",
	    WEXITSTATUS(status), rc, p->p_buf[1]);
}

/* Writes a config for fu with the given global lines and source url path. */
static const char *
write_config(struct tmpdir *t, struct fake_upstream *fu, const char *global,
    const char *path)
{
	const char *file;
	char *text;

	ck_assert_int_gt(asprintf(&text,
	                     "[gatherd]\n"
	                     "%s"
	                     "state_dir = %s\n"
	                     "initial_spread = 0\n"
	                     "\n"
	                     "[source main]\n"
	                     "url = http://127.0.0.1:%u%s\n"
	                     "interval = 1h\n"
	                     "timeout = 5s\n"
	                     "stat total = /data/total\n"
	                     "stat active = /data/active\n",
	                     global, t->t_path, fake_upstream_port(fu), path),
	    0);
	file = tmpdir_write(t, "gatherd.conf", text);
	free(text);
	return file;
}

/* GETs path from gatherd on port with the bearer token; the status. */
static long
http_get_token(unsigned port, const char *path, const char *token, char **body)
{
	char auth[256];

	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	return client_get(port, path, auth, body);
}

/* -V prints "gatherd VERSION" on stdout and exits 0. */
START_TEST(test_version)
{
	struct proc p;

	run(&p, 0, "-V", NULL);
	ck_assert_msg(
	    strncmp(p.p_buf[0], "gatherd ", 8) == 0, "stdout: %s", p.p_buf[0]);
	ck_assert_uint_gt(p.p_len[0], 9);
	ck_assert_int_eq(p.p_buf[0][p.p_len[0] - 1], '\n');
	/* One line. */
	ck_assert_ptr_eq(strchr(p.p_buf[0], '\n'), p.p_buf[0] + p.p_len[0] - 1);
	ck_assert_str_eq(p.p_buf[1], "");
	proc_free(&p);
	run(&p, 0, "--version", NULL);
	ck_assert(strncmp(p.p_buf[0], "gatherd ", 8) == 0);
	proc_free(&p);
}
END_TEST

/* -h prints the usage, which mentions --once, and exits 0. */
START_TEST(test_help)
{
	struct proc p;

	run(&p, 0, "-h", NULL);
	ck_assert_msg(
	    strstr(p.p_buf[0], "--once") != NULL, "stdout: %s", p.p_buf[0]);
	ck_assert_ptr_nonnull(strstr(p.p_buf[0], "-c"));
	ck_assert_ptr_nonnull(strstr(p.p_buf[0], "--quiet"));
	ck_assert_ptr_nonnull(strstr(p.p_buf[0], "--verbose"));
	ck_assert_str_eq(p.p_buf[1], "");
	proc_free(&p);
	run(&p, 0, "--help", NULL);
	ck_assert_ptr_nonnull(strstr(p.p_buf[0], "--once"));
	proc_free(&p);
}
END_TEST

/* An unknown option or a stray argument exits 1 with the usage. */
START_TEST(test_bad_usage)
{
	struct proc p;

	run(&p, 1, "--bogus", NULL);
	ck_assert_ptr_nonnull(strstr(p.p_buf[1], "usage:"));
	ck_assert_str_eq(p.p_buf[0], "");
	proc_free(&p);
	run(&p, 1, "-x", NULL);
	ck_assert_ptr_nonnull(strstr(p.p_buf[1], "usage:"));
	proc_free(&p);
	run(&p, 1, "-t", "stray", NULL);
	ck_assert_ptr_nonnull(strstr(p.p_buf[1], "usage:"));
	proc_free(&p);
	run(&p, 1, "-c", NULL);
	ck_assert_ptr_nonnull(strstr(p.p_buf[1], "usage:"));
	proc_free(&p);
}
END_TEST

/* -t on a good config prints exactly "PATH: ok" and exits 0. */
START_TEST(test_check_good)
{
	struct tmpdir t;
	struct proc p;
	const char *path;
	char *want;

	tmpdir_make(&t);
	path = tmpdir_write(&t, "good.conf",
	    "[gatherd]\n"
	    "listen = 127.0.0.1:0\n"
	    "\n"
	    "[source signups]\n"
	    "url = http://127.0.0.1:1/stats\n"
	    "stat total = /data/total\n");
	ck_assert_int_gt(asprintf(&want, "%s: ok\n", path), 0);
	run(&p, 0, "-t", "-c", path, NULL);
	ck_assert_str_eq(p.p_buf[1], want);
	ck_assert_str_eq(p.p_buf[0], "");
	proc_free(&p);
	run(&p, 0, "--check-config", "-c", path, NULL);
	ck_assert_str_eq(p.p_buf[1], want);
	proc_free(&p);
	free(want);
	tmpdir_remove(&t);
}
END_TEST

/* -t on a config with an unknown key on line 3 prints PATH:3: and exits 1. */
START_TEST(test_check_bad)
{
	struct tmpdir t;
	struct proc p;
	const char *path;
	char *want;

	tmpdir_make(&t);
	path = tmpdir_write(&t, "bad.conf",
	    "[gatherd]\n"
	    "listen = 127.0.0.1:0\n"
	    "bogus = 1\n"
	    "\n"
	    "[source signups]\n"
	    "url = http://127.0.0.1:1/stats\n"
	    "stat total = /data/total\n");
	ck_assert_int_gt(asprintf(&want, "%s:3: ", path), 0);
	run(&p, 1, "-t", "-c", path, NULL);
	ck_assert_msg(strncmp(p.p_buf[1], want, strlen(want)) == 0,
	    "stderr: %s", p.p_buf[1]);
	ck_assert_ptr_nonnull(strstr(p.p_buf[1], "bogus"));
	/* One line, the error. */
	ck_assert_ptr_eq(strchr(p.p_buf[1], '\n'), p.p_buf[1] + p.p_len[1] - 1);
	ck_assert_str_eq(p.p_buf[0], "");
	proc_free(&p);
	free(want);
	tmpdir_remove(&t);
}
END_TEST

/* A config file that does not exist is an error naming it, exit 1. */
START_TEST(test_missing_config)
{
	struct tmpdir t;
	struct proc p;
	char *path, *want;

	tmpdir_make(&t);
	ck_assert_int_gt(asprintf(&path, "%s/missing.conf", t.t_path), 0);
	ck_assert_int_gt(asprintf(&want, "%s: ", path), 0);
	run(&p, 1, "-c", path, NULL);
	ck_assert_msg(strncmp(p.p_buf[1], want, strlen(want)) == 0,
	    "stderr: %s", p.p_buf[1]);
	proc_free(&p);
	run(&p, 1, "-t", "-c", path, NULL);
	ck_assert_msg(strncmp(p.p_buf[1], want, strlen(want)) == 0,
	    "stderr: %s", p.p_buf[1]);
	proc_free(&p);
	free(want);
	free(path);
	tmpdir_remove(&t);
}
END_TEST

/*
 * Runs gatherd --once against path on a new fake upstream and asserts
 * exit status rc; returns the document it printed (caller puts) and
 * sets *requests to how many requests the upstream saw.
 */
static struct json_object *
run_once(const char *path, int rc, unsigned long *requests)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct json_object *doc;
	struct tmpdir t;
	struct proc p;

	ck_assert_ptr_nonnull(fu);
	tmpdir_make(&t);
	run(&p, rc, "--once", "-c", write_config(&t, fu, "", path), NULL);
	doc = json_tokener_parse(p.p_buf[0]);
	ck_assert_msg(doc != NULL, "stdout: %s", p.p_buf[0]);
	*requests = fake_upstream_requests(fu);
	proc_free(&p);
	tmpdir_remove(&t);
	fake_upstream_stop(fu);
	return doc;
}

/* --once against a good upstream prints the stats document, exit 0. */
START_TEST(test_once_ok)
{
	unsigned long requests;
	struct json_object *doc = run_once("/stats?name=main", 0, &requests);

	ck_assert_str_eq(harness_str(doc, "/sources/main/status"), "ok");
	ck_assert_int_eq(harness_int(doc, "/sources/main/values/total"), 1000);
	ck_assert_int_eq(harness_int(doc, "/sources/main/values/active"), 1);
	ck_assert_ptr_nonnull(harness_str(doc, "/generated_at"));
	ck_assert_uint_eq(requests, 1);
	json_object_put(doc);
}
END_TEST

/* --once with a failing source still prints the document, exit 1. */
START_TEST(test_once_failing)
{
	unsigned long requests;
	struct json_object *doc = run_once("/status/500", 1, &requests);

	ck_assert_str_eq(harness_str(doc, "/sources/main/status"), "error");
	ck_assert_str_eq(
	    harness_str(doc, "/sources/main/error/kind"), "http_status");
	ck_assert_int_eq(
	    harness_int(doc, "/sources/main/error/http_status"), 500);
	json_object_put(doc);
}
END_TEST

/* Waits for the "listening on" line and returns the port it names. */
static unsigned
wait_listening(struct proc *p)
{
	static const char prefix[] = "listening on http://127.0.0.1:";
	const char *line;
	unsigned port = 0;
	char slash = 0;

	line = proc_wait_stderr(p, prefix);
	ck_assert_int_eq(
	    sscanf(line + strlen(prefix), "%u%c", &port, &slash), 2);
	ck_assert_int_eq(slash, '/');
	ck_assert(port > 0 && port < 65536);
	return port;
}

/* Polls /api/v1/stats/main on port until it is ok (bounded). */
static void
wait_source_ok(unsigned port)
{
	struct json_object *doc;
	const char *status;
	char *body;
	int tries, ok = 0;

	for (tries = 0; !ok && tries < PROC_WAIT_MS / 20; tries++) {
		if (client_get(port, "/api/v1/stats/main", NULL, &body) ==
		        200 &&
		    (doc = json_tokener_parse(body)) != NULL) {
			status = harness_str(doc, "/status");
			ok = status != NULL && strcmp(status, "ok") == 0;
			json_object_put(doc);
		}
		free(body);
		if (!ok)
			usleep(20 * 1000);
	}
	ck_assert_msg(ok, "source main never became ok");
}

/* A daemon under test, its upstream and its config directory. */
struct daemon {
	struct fake_upstream *d_fu;
	struct tmpdir d_dir;
	const char *d_conf;
	struct proc d_proc;
	unsigned d_port;
};

/*
 * Starts gatherd polling path on a new fake upstream with the extra
 * environment (or NULL), until it listens.
 */
static void
daemon_start_env(struct daemon *d, const char *path, const char *const *env)
{
	char *body;

	d->d_fu = fake_upstream_start(0);
	ck_assert_ptr_nonnull(d->d_fu);
	tmpdir_make(&d->d_dir);
	d->d_conf =
	    write_config(&d->d_dir, d->d_fu, "listen = 127.0.0.1:0\n", path);
	proc_start_env(&d->d_proc, env, "-c", d->d_conf, NULL);
	d->d_port = wait_listening(&d->d_proc);
	ck_assert_int_eq(client_get(d->d_port, "/healthz", NULL, &body), 200);
	ck_assert_str_eq(body, "{\"status\":\"ok\"}\n");
	free(body);
}

/* Starts gatherd polling path on a new fake upstream, until it listens. */
static void
daemon_start(struct daemon *d, const char *path)
{
	daemon_start_env(d, path, NULL);
}

/* Sends sig to the daemon, expects exit status 0 and frees d. */
static void
daemon_stop(struct daemon *d, int sig)
{
	struct proc *p = &d->d_proc;
	int status;

	ck_assert_int_eq(kill(p->p_pid, sig), 0);
	status = proc_finish(p);
	ck_assert_msg(WIFEXITED(status),
	    "gatherd did not exit: status %#x, "
	    "stderr: %s",
	    (unsigned)status, p->p_buf[1]);
	ck_assert_msg(WEXITSTATUS(status) == 0, "exit %d; stderr: %s",
	    WEXITSTATUS(status), p->p_buf[1]);
	ck_assert_str_eq(p->p_buf[0], "");
	proc_free(p);
	tmpdir_remove(&d->d_dir);
	fake_upstream_stop(d->d_fu);
}

/* Starts the daemon, waits for its source, then expects exit 0 on sig. */
static void
check_signal_exit(int sig)
{
	struct daemon d;

	daemon_start(&d, "/stats?name=main");
	wait_source_ok(d.d_port);
	daemon_stop(&d, sig);
}

/* The daemon serves /healthz and its source, and exits 0 on SIGTERM. */
START_TEST(test_daemon_sigterm)
{
	check_signal_exit(SIGTERM);
}
END_TEST

/* The daemon exits 0 on SIGINT. */
START_TEST(test_daemon_sigint)
{
	check_signal_exit(SIGINT);
}
END_TEST

/* SIGTERM during a poll and with an idle API connection open: exit 0. */
START_TEST(test_daemon_sigterm_busy)
{
	struct daemon d;
	struct harness_buf body = {NULL, 0};
	char url[64];
	long status = 0;
	int tries;
	CURL *c;

	daemon_start(&d, "/stats?name=main&delay_ms=60000");
	/* The upstream holds the first poll for a minute. */
	for (tries = 0;
	     fake_upstream_inflight(d.d_fu) == 0 && tries < PROC_WAIT_MS / 20;
	     tries++)
		usleep(20 * 1000);
	ck_assert_uint_eq(fake_upstream_inflight(d.d_fu), 1);
	/* A kept-alive client connection, still open at the signal. */
	snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/stats", d.d_port);
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(body.b_data);
	ck_assert_ptr_nonnull(strstr(body.b_data, "\"pending\""));
	daemon_stop(&d, SIGTERM);
	curl_easy_cleanup(c);
	free(body.b_data);
}
END_TEST

/* After SIGHUP with a valid config the daemon runs on, then exits 0. */
START_TEST(test_daemon_sighup)
{
	struct daemon d;
	char *body;

	daemon_start(&d, "/stats?name=main");
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(&d.d_proc, "reload: ");
	ck_assert_int_eq(client_get(d.d_port, "/healthz", NULL, &body), 200);
	free(body);
	wait_source_ok(d.d_port);
	daemon_stop(&d, SIGTERM);
}
END_TEST

/* SIGHUP with a broken config keeps the running one; exit 0 after. */
START_TEST(test_daemon_sighup_bad_config)
{
	struct daemon d;
	char *body, *want;
	FILE *f;

	daemon_start(&d, "/stats?name=main");
	f = fopen(d.d_conf, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("[gatherd]\nbogus = 1\n", f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	ck_assert_int_gt(asprintf(&want, "reload: %s:2: ", d.d_conf), 0);
	proc_wait_stderr(&d.d_proc, want);
	free(want);
	proc_wait_stderr(&d.d_proc, "keeping the running config");
	ck_assert_int_eq(client_get(d.d_port, "/healthz", NULL, &body), 200);
	free(body);
	wait_source_ok(d.d_port);
	daemon_stop(&d, SIGTERM);
}
END_TEST

/* Returns source name's object in /api/v1/sources on port (caller puts). */
static struct json_object *
source_view(unsigned port, const char *name)
{
	struct json_object *doc, *list, *s, *found = NULL;
	char *body;
	size_t i;

	ck_assert_int_eq(client_get(port, "/api/v1/sources", NULL, &body), 200);
	doc = json_tokener_parse(body);
	free(body);
	ck_assert_ptr_nonnull(doc);
	list = json_object_object_get(doc, "sources");
	for (i = 0; i < json_object_array_length(list); i++) {
		s = json_object_array_get_idx(list, i);
		if (strcmp(harness_str(s, "/name"), name) == 0)
			found = json_object_get(s);
	}
	json_object_put(doc);
	return found;
}

/* Waits until source name has made at least n polls; returns the count. */
static long long
wait_polls(unsigned port, const char *name, long long n)
{
	struct json_object *v;
	long long polls = -1;
	int tries;

	for (tries = 0; tries < PROC_WAIT_MS / 20; tries++) {
		if ((v = source_view(port, name)) != NULL) {
			polls = harness_int(v, "/polls_total");
			json_object_put(v);
			if (polls >= n)
				return polls;
		}
		usleep(20 * 1000);
	}
	ck_abort_msg("source %s never reached %lld polls", name, n);
	return -1;
}

/* Returns the number of history points of name's stat total on port. */
static size_t
points_of(unsigned port, const char *name)
{
	struct json_object *doc;
	char path[128], *body;
	size_t n;

	snprintf(
	    path, sizeof path, "/api/v1/sources/%s/history?stat=total", name);
	ck_assert_int_eq(client_get(port, path, NULL, &body), 200);
	ck_assert_ptr_nonnull(doc = json_tokener_parse(body));
	n = json_object_array_length(json_object_object_get(doc, "points"));
	json_object_put(doc);
	free(body);
	return n;
}

/* Writes the reload test's config with the given source sections. */
static void
write_sources(struct daemon *d, const char *sections)
{
	char *text, *up;
	FILE *f;

	ck_assert_int_gt(
	    asprintf(&up, "http://127.0.0.1:%u", fake_upstream_port(d->d_fu)),
	    0);
	text = harness_subst(sections, up);
	ck_assert_ptr_nonnull(f = fopen(d->d_conf, "w"));
	ck_assert_int_ge(fprintf(f,
	                     "[gatherd]\nlisten = 127.0.0.1:%u\n"
	                     "state_dir = %s\ninitial_spread = 0\n%s",
	                     d->d_port, d->d_dir.t_path, text),
	    0);
	ck_assert_int_eq(fclose(f), 0);
	free(text);
	free(up);
}

/*
 * A reload applies the config as a diff: an unchanged source keeps its
 * counters and history, a removed one goes, a new one starts, one whose
 * URL changed starts afresh, and an open connection stays open.
 */
START_TEST(test_daemon_reload_diff)
{
	static const char before[] =
	    "[source keep]\nurl = @UP@/stats?name=keep\ninterval = 200ms\n"
	    "stat total = /data/total\n"
	    "[source gone]\nurl = @UP@/stats?name=gone\ninterval = 200ms\n"
	    "stat total = /data/total\n"
	    "[source moved]\nurl = @UP@/stats?name=moved1\ninterval = 200ms\n"
	    "stat total = /data/total\n";
	static const char after[] =
	    "[source keep]\nurl = @UP@/stats?name=keep\ninterval = 200ms\n"
	    "stat total = /data/total\n"
	    "[source moved]\nurl = @UP@/stats?name=moved2\ninterval = 1h\n"
	    "stat total = /data/total\n"
	    "[source new]\nurl = @UP@/stats?name=new\ninterval = 1h\n"
	    "stat total = /data/total\n";
	struct json_object *v, *ready;
	struct daemon d;
	long long polls, moved_polls;
	size_t points;
	struct harness_buf kept = {NULL, 0};
	long connects = -1;
	char url[128], *body;
	CURL *c;

	daemon_start(&d, "/stats?name=main");
	write_sources(&d, before);
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(
	    &d.d_proc, "reload: 3 sources (0 kept, 3 new, 1 removed)");
	moved_polls = wait_polls(d.d_port, "moved", 3);
	/* Points first: a poll between the two reads only adds polls. */
	while ((points = points_of(d.d_port, "keep")) < 3)
		usleep(20 * 1000);
	polls = wait_polls(d.d_port, "keep", 3);

	/* A connection opened before the reload... */
	ck_assert_ptr_nonnull(c = curl_easy_init());
	snprintf(url, sizeof url, "http://127.0.0.1:%u/healthz", d.d_port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &kept);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);

	write_sources(&d, after);
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(
	    &d.d_proc, "reload: 3 sources (1 kept, 2 new, 2 removed)");

	/* ...is still open after it. */
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
	ck_assert_int_eq(connects, 0);
	curl_easy_cleanup(c);
	free(kept.b_data);

	/* keep goes on where it was. */
	ck_assert_int_ge(wait_polls(d.d_port, "keep", polls + 2), polls + 2);
	ck_assert_uint_gt(points_of(d.d_port, "keep"), points);
	/* gone is gone. */
	ck_assert_int_eq(
	    client_get(d.d_port, "/api/v1/stats/gone", NULL, &body), 404);
	free(body);
	ck_assert_ptr_null(source_view(d.d_port, "gone"));
	/* new and moved start afresh: one poll each, first values. */
	ck_assert_int_eq(wait_polls(d.d_port, "new", 1), 1);
	ck_assert_int_eq(wait_polls(d.d_port, "moved", 1), 1);
	ck_assert_int_lt(1, moved_polls);
	v = source_view(d.d_port, "moved");
	ck_assert_str_eq(harness_str(v, "/status"), "ok");
	json_object_put(v);
	ck_assert_int_eq(
	    client_get(d.d_port, "/api/v1/stats/moved", NULL, &body), 200);
	v = json_tokener_parse(body);
	free(body);
	ck_assert_int_eq(harness_int(v, "/values/total"), 1000);
	json_object_put(v);

	/* /readyz tells how the last reload went. */
	ck_assert_int_eq(client_get(d.d_port, "/readyz", NULL, &body), 200);
	ready = json_tokener_parse(body);
	free(body);
	ck_assert(json_object_get_boolean(json_object_object_get(
	    json_object_object_get(ready, "reload"), "ok")));
	json_object_put(ready);
	write_sources(&d, "[source broken\n");
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(&d.d_proc, "keeping the running config");
	ck_assert_int_eq(client_get(d.d_port, "/readyz", NULL, &body), 200);
	ready = json_tokener_parse(body);
	free(body);
	ck_assert(!json_object_get_boolean(json_object_object_get(
	    json_object_object_get(ready, "reload"), "ok")));
	ck_assert_ptr_nonnull(
	    strstr(harness_str(ready, "/reload/error"), "gatherd.conf:5: "));
	json_object_put(ready);
	/* The running config still polls. */
	ck_assert_int_ge(wait_polls(d.d_port, "keep", polls + 3), polls + 3);
	daemon_stop(&d, SIGTERM);
}
END_TEST

/* A restart restores the last values at once, stale with their time. */
START_TEST(test_daemon_restores_state)
{
	struct json_object *first, *again;
	struct daemon d;
	char *body;
	int status;

	daemon_start(&d, "/stats?name=main");
	wait_source_ok(d.d_port);
	ck_assert_int_eq(
	    client_get(d.d_port, "/api/v1/stats/main", NULL, &body), 200);
	first = json_tokener_parse(body);
	free(body);
	/* SIGTERM writes the state before the daemon goes. */
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGTERM), 0);
	status = proc_finish(&d.d_proc);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	proc_free(&d.d_proc);

	/* The upstream now takes 5 s: what we see first is the restore. */
	fake_upstream_rewrite(d.d_fu, "main", "/stats?delay_ms=5000");
	proc_start(&d.d_proc, "-c", d.d_conf, NULL);
	d.d_port = wait_listening(&d.d_proc);
	ck_assert_int_eq(
	    client_get(d.d_port, "/api/v1/stats/main", NULL, &body), 200);
	again = json_tokener_parse(body);
	free(body);
	ck_assert_str_eq(harness_str(again, "/status"), "stale");
	ck_assert_str_eq(harness_str(again, "/updated_at"),
	    harness_str(first, "/updated_at"));
	ck_assert_int_eq(harness_int(again, "/values/total"),
	    harness_int(first, "/values/total"));
	json_object_put(first);
	json_object_put(again);
	fake_upstream_rewrite(d.d_fu, "main", NULL);
	daemon_stop(&d, SIGTERM);
}
END_TEST

/* Fails if any secret of the secrets test appears in text. */
static void
assert_no_secret(const char *what, const char *text)
{
	static const char *const secrets[] = {
	    "API-s3cret", "SRC-s3cret", "URL-s3cret", "dXNlcjpVUkwtczNjcmV0"};
	size_t i;

	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		ck_assert_msg(strstr(text, secrets[i]) == NULL,
		    "%s shows the secret %s", what, secrets[i]);
}

/*
 * No token, Authorization value or URL credential ever shows: not in a
 * log line (at debug level), an API response, /metrics or the state
 * file, whatever the upstreams answer.
 */
START_TEST(test_daemon_keeps_secrets)
{
	static const char *const paths[] = {"/api/v1/stats",
	    "/api/v1/stats/bearer", "/api/v1/stats/basic",
	    "/api/v1/stats/refused", "/api/v1/sources", "/metrics", "/readyz",
	    "/api/v1/info", "/api/v1/sources/bearer/history?stat=total",
	    "/nope"};
	struct fake_upstream *fu = fake_upstream_start(0);
	struct tmpdir t;
	struct proc p;
	char *text, *body, state[128];
	unsigned port;
	size_t i;
	FILE *f;
	int status;

	ck_assert_ptr_nonnull(fu);
	tmpdir_make(&t);
	tmpdir_write(&t, "api.token", "API-s3cret\n");
	tmpdir_write(&t, "src.token", "SRC-s3cret\n");
	ck_assert_int_gt(asprintf(&text,
	                     "[gatherd]\nlisten = 127.0.0.1:0\nstate_dir = %s\n"
	                     "initial_spread = 0\napi_token_file = api.token\n"
	                     "[source bearer]\n"
	                     "url = http://127.0.0.1:%u/stats?name=b\n"
	                     "interval = 200ms\ntoken_file = src.token\n"
	                     "stat total = /data/total\n"
	                     "[source basic]\n"
	                     "url = http://user:URL-s3cret@127.0.0.1:%u/status/"
	                     "503?retry_after=\n"
	                     "interval = 200ms\nretry_base = 20ms\n"
	                     "stat total = /data/total\n"
	                     "[source refused]\n"
	                     "url = http://127.0.0.1:%u/status/401\n"
	                     "interval = 200ms\ntoken_file = src.token\n"
	                     "stat total = /data/total\n",
	                     t.t_path, fake_upstream_port(fu),
	                     fake_upstream_port(fu), fake_upstream_port(fu)),
	    0);
	tmpdir_write(&t, "gatherd.conf", text);
	free(text);
	ck_assert_int_gt(asprintf(&text, "%s/gatherd.conf", t.t_path), 0);
	proc_start(&p, "-v", "-c", text, NULL);
	free(text);
	port = wait_listening(&p);
	/* Let every source fail or succeed a few times. */
	for (i = 0; i < 150; i++) {
		if (http_get_token(
		        port, "/api/v1/sources", "API-s3cret", &body) == 200 &&
		    strstr(body, "\"polls_total\":4") != NULL) {
			free(body);
			break;
		}
		free(body);
		usleep(20 * 1000);
	}
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		http_get_token(port, paths[i], "API-s3cret", &body);
		assert_no_secret(paths[i], body);
		free(body);
		/* A wrong token: refused, and not echoed either (the
		 * dashboard's files need none: /nope is just missing). */
		ck_assert_int_eq(
		    http_get_token(port, paths[i], "URL-s3cret", &body),
		    strncmp(paths[i], "/readyz", 7) == 0 ? 200
		        : strcmp(paths[i], "/nope") == 0 ? 404
		                                         : 401);
		assert_no_secret(paths[i], body);
		free(body);
	}
	ck_assert_int_eq(kill(p.p_pid, SIGTERM), 0);
	status = proc_finish(&p);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_ptr_nonnull(strstr(p.p_buf[1], "source refused"));
	assert_no_secret("the log", p.p_buf[1]);
	snprintf(state, sizeof state, "%s/state.json", t.t_path);
	ck_assert_ptr_nonnull(f = fopen(state, "r"));
	body = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_gt(fread(body, 1, (1 << 20) - 1, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(body, "\"bearer\""));
	assert_no_secret("state.json", body);
	free(body);
	proc_free(&p);
	tmpdir_remove(&t);
	fake_upstream_stop(fu);
}
END_TEST

/* A daemon that cannot listen exits 1. */
START_TEST(test_daemon_listen_fails)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct tmpdir t;
	struct proc p;
	const char *path;
	char *global;

	ck_assert_ptr_nonnull(fu);
	tmpdir_make(&t);
	/* The fake upstream's port is taken. */
	ck_assert_int_gt(asprintf(&global, "listen = 127.0.0.1:%u\n",
	                     fake_upstream_port(fu)),
	    0);
	path = write_config(&t, fu, global, "/stats?name=main");
	run(&p, 1, "-c", path, NULL);
	ck_assert_ptr_nonnull(strstr(p.p_buf[1], "listen"));
	proc_free(&p);
	free(global);
	tmpdir_remove(&t);
	fake_upstream_stop(fu);
}
END_TEST

/*
 * Under systemd's protocol: READY=1 first, a STATUS= line with the
 * counts (status), WATCHDOG=1 every second for WATCHDOG_USEC=2s (no
 * WATCHDOG_PID, which sd_watchdog_enabled accepts), and STOPPING=1
 * after SIGTERM, which still exits 0.
 */
static void
check_notify_run(const char *path, const char *status)
{
	const char *env[3];
	struct daemon d;
	struct nsock n;

	nsock_open(&n);
	env[0] = n.n_env;
	env[1] = "WATCHDOG_USEC=2000000";
	env[2] = NULL;
	daemon_start_env(&d, path, env);
	nsock_wait(&n, "READY=1", 1);
	ck_assert_msg(nsock_index(&n, "READY=1", 0) == 0,
	    "READY=1 is not the first datagram: %s", nsock_dump(&n));
	nsock_wait(&n, status, 1);
	nsock_wait(&n, "WATCHDOG=1", 2);
	ck_assert_uint_eq(nsock_count(&n, "STOPPING=1"), 0);
	daemon_stop(&d, SIGTERM);
	nsock_wait(&n, "STOPPING=1", 1);
	ck_assert_uint_eq(nsock_count(&n, "READY=1"), 1);
	ck_assert_msg(nsock_index(&n, "STOPPING=1", 0) == (long)n.n_nmsgs - 1,
	    "datagrams after STOPPING=1: %s", nsock_dump(&n));
	nsock_close(&n);
}

/* A daemon with a good source: READY=1, "1 source: 1 ok", watchdog. */
START_TEST(test_daemon_notify)
{
	check_notify_run("/stats?name=main", "STATUS=1 source: 1 ok");
}
END_TEST

/* A daemon with a failing source says so in its STATUS= line. */
START_TEST(test_daemon_notify_error)
{
	check_notify_run("/status/500", "STATUS=1 source: 1 error");
}
END_TEST

/* SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again. */
START_TEST(test_daemon_notify_reload)
{
	const char *env[2];
	struct daemon d;
	struct nsock n;
	long first, reloading, again;

	nsock_open(&n);
	env[0] = n.n_env;
	env[1] = NULL;
	daemon_start_env(&d, "/stats?name=main", env);
	nsock_wait(&n, "READY=1", 1);
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	nsock_wait(&n, "RELOADING=1\nMONOTONIC_USEC=", 1);
	nsock_wait(&n, "READY=1", 2);
	first = nsock_index(&n, "READY=1", 0);
	reloading = nsock_index(&n, "RELOADING=1", 0);
	again = nsock_index(&n, "READY=1", (size_t)first + 1);
	ck_assert_msg(first == 0 && first < reloading && reloading < again,
	    "order: %s", nsock_dump(&n));
	ck_assert_uint_eq(nsock_count(&n, "WATCHDOG=1"), 0);
	daemon_stop(&d, SIGTERM);
	nsock_wait(&n, "STOPPING=1", 1);
	nsock_close(&n);
}
END_TEST

/* A SIGHUP whose config is refused still sends RELOADING=1, then
 * READY=1: systemd's reload protocol wants the pair for every reload. */
START_TEST(test_daemon_notify_reload_refused)
{
	const char *env[2];
	struct daemon d;
	struct nsock n;
	long reloading, again;
	char *body;
	FILE *f;

	nsock_open(&n);
	env[0] = n.n_env;
	env[1] = NULL;
	daemon_start_env(&d, "/stats?name=main", env);
	nsock_wait(&n, "READY=1", 1);
	f = fopen(d.d_conf, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("[gatherd]\nno such key = 1\n", f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	nsock_wait(&n, "RELOADING=1\nMONOTONIC_USEC=", 1);
	nsock_wait(&n, "READY=1", 2);
	reloading = nsock_index(&n, "RELOADING=1", 0);
	again = nsock_index(
	    &n, "READY=1", (size_t)nsock_index(&n, "READY=1", 0) + 1);
	ck_assert_msg(
	    reloading >= 0 && reloading < again, "order: %s", nsock_dump(&n));
	/* Refused: the running config stays, the reason is shown. */
	ck_assert_int_eq(client_get(d.d_port, "/readyz", NULL, &body), 200);
	ck_assert_msg(strstr(body, "no such key") != NULL, "%s", body);
	free(body);
	daemon_stop(&d, SIGTERM);
	nsock_wait(&n, "STOPPING=1", 1);
	nsock_close(&n);
}
END_TEST

/*
 * Runs gatherd with global lines in [gatherd] (web_root is missing: a
 * warning), listening on port 0, with the option flag (or NULL) and a
 * watchdog (its debug line), until READY=1; stops it with SIGTERM and
 * returns what it wrote on stderr (the caller frees it).
 */
static char *
run_logging(const char *global, const char *flag, const char *extra_env)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	const char *path, *env[4];
	char *lines, *out;
	struct tmpdir t;
	struct nsock n;
	struct proc p;
	int status;

	ck_assert_ptr_nonnull(fu);
	tmpdir_make(&t);
	nsock_open(&n);
	ck_assert_int_gt(asprintf(&lines,
	                     "listen = 127.0.0.1:0\n"
	                     "web_root = %s/no-such-web-root\n"
	                     "%s",
	                     t.t_path, global),
	    0);
	path = write_config(&t, fu, lines, "/stats?name=main");
	env[0] = n.n_env;
	env[1] = "WATCHDOG_USEC=2000000";
	env[2] = extra_env;
	env[3] = NULL;
	if (flag != NULL)
		proc_start_env(&p, env, flag, "-c", path, NULL);
	else
		proc_start_env(&p, env, "-c", path, NULL);
	nsock_wait(&n, "READY=1", 1);
	ck_assert_int_eq(kill(p.p_pid, SIGTERM), 0);
	status = proc_finish(&p);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x; stderr: %s", (unsigned)status, p.p_buf[1]);
	out = strdup(p.p_buf[1]);
	ck_assert_ptr_nonnull(out);
	proc_free(&p);
	nsock_close(&n);
	free(lines);
	tmpdir_remove(&t);
	fake_upstream_stop(fu);
	return out;
}

/* Asserts which of debug, info and warning lines appear in err. */
static void
expect_levels(const char *err, int debug, int info, int warning)
{
	ck_assert_msg((strstr(err, "watchdog: keep-alive every 1000 ms") !=
	                  NULL) == debug,
	    "debug line %s: %s", debug ? "missing" : "shown", err);
	ck_assert_msg((strstr(err, "listening on http://") != NULL) == info &&
	        (strstr(err, "stopping") != NULL) == info,
	    "info lines %s: %s", info ? "missing" : "shown", err);
	ck_assert_msg((strstr(err, "no-such-web-root") != NULL) == warning,
	    "warning %s: %s", warning ? "missing" : "shown", err);
}

/* log_level in the config sets what is logged. */
START_TEST(test_log_level_key)
{
	char *err;

	err = run_logging("", NULL, NULL);
	expect_levels(err, 0, 1, 1);
	ck_assert_ptr_nonnull(strstr(err, "warning: web_root "));
	free(err);
	err = run_logging("log_level = debug\n", NULL, NULL);
	expect_levels(err, 1, 1, 1);
	free(err);
	err = run_logging("log_level = info\n", NULL, NULL);
	expect_levels(err, 0, 1, 1);
	free(err);
	err = run_logging("log_level = warning\n", NULL, NULL);
	expect_levels(err, 0, 0, 1);
	free(err);
	err = run_logging("log_level = error\n", NULL, NULL);
	ck_assert_str_eq(err, "");
	free(err);
}
END_TEST

/* -v and -q win over log_level, either way round. */
START_TEST(test_log_flags)
{
	char *err;

	err = run_logging("", "-v", NULL);
	expect_levels(err, 1, 1, 1);
	free(err);
	err = run_logging("log_level = error\n", "--verbose", NULL);
	expect_levels(err, 1, 1, 1);
	free(err);
	err = run_logging("", "-q", NULL);
	expect_levels(err, 0, 0, 1);
	free(err);
	err = run_logging("log_level = debug\n", "--quiet", NULL);
	expect_levels(err, 0, 0, 1);
	free(err);
}
END_TEST

/* Errors still show with -q and log_level = error; -t is not affected. */
START_TEST(test_log_errors_shown)
{
	struct fake_upstream *fu = fake_upstream_start(0);
	struct tmpdir t;
	struct proc p;
	const char *path;
	char *global, *want;

	ck_assert_ptr_nonnull(fu);
	tmpdir_make(&t);
	/* The fake upstream's port is taken. */
	ck_assert_int_gt(
	    asprintf(&global, "listen = 127.0.0.1:%u\nlog_level = error\n",
	        fake_upstream_port(fu)),
	    0);
	path = write_config(&t, fu, global, "/stats?name=main");
	run(&p, 1, "-q", "-c", path, NULL);
	ck_assert_msg(strncmp(p.p_buf[1], "error: cannot listen on ", 24) == 0,
	    "stderr: %s", p.p_buf[1]);
	proc_free(&p);
	ck_assert_int_gt(asprintf(&want, "%s: ok\n", path), 0);
	run(&p, 0, "-q", "-t", "-c", path, NULL);
	ck_assert_str_eq(p.p_buf[1], want);
	proc_free(&p);
	free(want);
	free(global);
	tmpdir_remove(&t);
	fake_upstream_stop(fu);
}
END_TEST

/* Returns 1 if every line of text starts with "<N>", N a digit. */
static int
all_lines_prefixed(const char *text)
{
	const char *line;

	for (line = text; *line != '\0'; line = strchr(line, '\n') + 1) {
		if (line[0] != '<' || line[1] < '0' || line[1] > '7' ||
		    line[2] != '>' || strchr(line, '\n') == NULL)
			return 0;
	}
	return 1;
}

/*
 * With stderr being the stream JOURNAL_STREAM names, every line carries
 * its syslog priority; a JOURNAL_STREAM naming another stream (inherited
 * by a child of a service) is ignored.
 */
START_TEST(test_journal_prefix)
{
	char *err;

	err = run_logging("", NULL, PROC_JOURNAL_STREAM_STDERR);
	ck_assert_msg(all_lines_prefixed(err), "stderr: %s", err);
	ck_assert_ptr_nonnull(strstr(err, "<6>listening on http://"));
	ck_assert_ptr_nonnull(strstr(err, "<4>web_root "));
	ck_assert_ptr_nonnull(strstr(err, "<6>signal 15: stopping\n"));
	ck_assert_ptr_null(strstr(err, "warning: "));
	free(err);
	err = run_logging("", "-v", PROC_JOURNAL_STREAM_STDERR);
	ck_assert_msg(all_lines_prefixed(err), "stderr: %s", err);
	ck_assert_ptr_nonnull(strstr(err, "<7>watchdog: keep-alive every"));
	free(err);
	err = run_logging("", NULL, "JOURNAL_STREAM=1:1");
	ck_assert_ptr_nonnull(strstr(err, "warning: web_root "));
	ck_assert_ptr_null(strstr(err, "<6>"));
	ck_assert_ptr_null(strstr(err, "<4>"));
	free(err);
}
END_TEST

/* Writes the identity test's config: source keep with password pw. */
static void
write_rotated(struct daemon *d, const char *pw)
{
	char sections[256];

	snprintf(sections, sizeof sections,
	    "[source keep]\nurl = http://user:%s@127.0.0.1:%u/stats?name=keep"
	    "\ninterval = 1h\nstat total = /data/total\n",
	    pw, fake_upstream_port(d->d_fu));
	write_sources(d, sections);
}

/*
 * One identity rule both ways: a new password in the URL keeps the
 * source on SIGHUP (its counters go on and the poller keeps its place in
 * the hour, where a new source would poll at once) and across a restart
 * (its values come back from the state file).
 */
START_TEST(test_daemon_password_rotated)
{
	struct json_object *v;
	struct daemon d;
	int status;

	daemon_start(&d, "/stats?name=main");
	write_rotated(&d, "one");
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(
	    &d.d_proc, "reload: 1 sources (0 kept, 1 new, 1 removed)");
	ck_assert_int_eq(wait_polls(d.d_port, "keep", 1), 1);
	write_rotated(&d, "two");
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(
	    &d.d_proc, "reload: 1 sources (1 kept, 0 new, 0 removed)");
	usleep(500 * 1000);
	v = source_view(d.d_port, "keep");
	ck_assert_int_eq(harness_int(v, "/polls_total"), 1);
	json_object_put(v);

	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGTERM), 0);
	status = proc_finish(&d.d_proc);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	proc_free(&d.d_proc);
	write_rotated(&d, "three");
	/* The upstream now takes 5 s: what we see first is the restore. */
	fake_upstream_rewrite(d.d_fu, "keep", "/stats?delay_ms=5000");
	proc_start(&d.d_proc, "-c", d.d_conf, NULL);
	d.d_port = wait_listening(&d.d_proc);
	ck_assert_ptr_nonnull(v = source_view(d.d_port, "keep"));
	ck_assert_str_eq(harness_str(v, "/status"), "stale");
	json_object_put(v);
	fake_upstream_rewrite(d.d_fu, "keep", NULL);
	daemon_stop(&d, SIGTERM);
}
END_TEST

/*
 * -t warns of a budget its sources' intervals overdraw (60 an hour for
 * 60 + 120) and of one no source uses, and still exits 0; a budget its
 * sources use exactly (300 per 5 min for one a second) is fine.
 */
START_TEST(test_check_budget_warning)
{
	struct tmpdir t;
	struct proc p;
	const char *path;
	char *want;

	tmpdir_make(&t);
	path = tmpdir_write(&t, "budget.conf",
	    "[gatherd]\n"
	    "listen = 127.0.0.1:0\n"
	    "budget = mixpanel\n"
	    "\n"
	    "[budget mixpanel]\n"
	    "requests = 60/1h\n"
	    "[budget spare]\n"
	    "requests = 10/1m\n"
	    "[budget fine]\n"
	    "requests = 300/5m\n"
	    "[source a]\n"
	    "url = http://127.0.0.1:1/a\n"
	    "interval = 1m\n"
	    "stat total = /data/total\n"
	    "[source b]\n"
	    "url = http://127.0.0.1:1/b\n"
	    "interval = 30s\n"
	    "stat total = /data/total\n"
	    "[source c]\n"
	    "url = http://127.0.0.1:1/c\n"
	    "budget = fine\n"
	    "interval = 1s\n"
	    "stat total = /data/total\n");
	ck_assert_int_gt(asprintf(&want,
	                     "warning: %s:7: budget spare is used by no "
	                     "source\n"
	                     "warning: %s:5: budget mixpanel allows 60 "
	                     "requests per 1h, but the intervals of its 2 "
	                     "sources need 180; their polls will wait for "
	                     "it\n"
	                     "%s: ok\n",
	                     path, path, path),
	    0);
	run(&p, 0, "-t", "-c", path, NULL);
	ck_assert_str_eq(p.p_buf[1], want);
	ck_assert_str_eq(p.p_buf[0], "");
	proc_free(&p);
	free(want);
	tmpdir_remove(&t);
}
END_TEST

/* A budget of one request an hour, source s on it, and source t polled
 * freely; extra is more sections. */
static void
write_budget(struct daemon *d, const char *requests, const char *extra)
{
	char sections[768];

	snprintf(sections, sizeof sections,
	    "[budget b]\nrequests = %s\n"
	    "[source s]\nurl = @UP@/stats?name=s\ninterval = 100ms\n"
	    "budget = b\nstat total = /data/total\n"
	    "[source t]\nurl = @UP@/stats?name=t\ninterval = 100ms\n"
	    "stat total = /data/total\n%s",
	    requests, extra);
	write_sources(d, sections);
}

/*
 * A SIGHUP keeps a budget whose requests did not change, with its
 * starts: the source spent it and does not poll again, though t polls
 * on.  A changed budget starts afresh, and s polls once more.
 */
START_TEST(test_daemon_budget_reload)
{
	struct json_object *v;
	struct daemon d;
	long long t_polls;
	char *next_at;

	daemon_start(&d, "/stats?name=main");
	write_budget(&d, "1/1h", "");
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(
	    &d.d_proc, "reload: 2 sources (0 kept, 2 new, 1 removed)");
	ck_assert_int_eq(wait_polls(d.d_port, "s", 1), 1);
	ck_assert_ptr_nonnull(v = source_view(d.d_port, "s"));
	ck_assert_int_eq(harness_int(v, "/budget/remaining"), 0);
	ck_assert_ptr_nonnull(
	    next_at = strdup(harness_str(v, "/budget/next_at")));
	json_object_put(v);

	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(
	    &d.d_proc, "reload: 2 sources (2 kept, 0 new, 0 removed)");
	/* Three more polls of t: s was due three times meanwhile. */
	t_polls = wait_polls(d.d_port, "t", 1);
	wait_polls(d.d_port, "t", t_polls + 3);
	ck_assert_ptr_nonnull(v = source_view(d.d_port, "s"));
	ck_assert_int_eq(harness_int(v, "/polls_total"), 1);
	ck_assert_int_eq(harness_int(v, "/budget/remaining"), 0);
	ck_assert_str_eq(harness_str(v, "/budget/next_at"), next_at);
	ck_assert_str_eq(harness_str(v, "/status"), "ok");
	json_object_put(v);

	write_budget(&d, "2/1h",
	    "[source u]\nurl = @UP@/stats?name=u\ninterval = 1h\n"
	    "stat total = /data/total\n");
	ck_assert_int_eq(kill(d.d_proc.p_pid, SIGHUP), 0);
	proc_wait_stderr(
	    &d.d_proc, "reload: 3 sources (2 kept, 1 new, 0 removed)");
	ck_assert_int_eq(wait_polls(d.d_port, "s", 2), 2);
	free(next_at);
	daemon_stop(&d, SIGTERM);
}
END_TEST

/* Builds the suite. */
static Suite *
main_suite(void)
{
	Suite *s = suite_create("main");
	TCase *tc;

	tc = tcase_create("options");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_bad_usage);
	tcase_add_test(tc, test_check_good);
	tcase_add_test(tc, test_check_bad);
	tcase_add_test(tc, test_missing_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("once");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_once_ok);
	tcase_add_test(tc, test_once_failing);
	suite_add_tcase(s, tc);

	tc = tcase_create("daemon");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_daemon_sigterm);
	tcase_add_test(tc, test_daemon_sigint);
	tcase_add_test(tc, test_daemon_sigterm_busy);
	tcase_add_test(tc, test_daemon_sighup);
	tcase_add_test(tc, test_daemon_sighup_bad_config);
	tcase_add_test(tc, test_daemon_reload_diff);
	tcase_add_test(tc, test_daemon_restores_state);
	tcase_add_test(tc, test_daemon_keeps_secrets);
	tcase_add_test(tc, test_daemon_listen_fails);
	tcase_add_test(tc, test_daemon_password_rotated);
	suite_add_tcase(s, tc);

	tc = tcase_create("systemd");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_daemon_notify);
	tcase_add_test(tc, test_daemon_notify_error);
	tcase_add_test(tc, test_daemon_notify_reload);
	tcase_add_test(tc, test_daemon_notify_reload_refused);
	tcase_add_test(tc, test_journal_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("logging");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_log_level_key);
	tcase_add_test(tc, test_log_flags);
	tcase_add_test(tc, test_log_errors_shown);
	suite_add_tcase(s, tc);

	tc = tcase_create("budget");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_check_budget_warning);
	tcase_add_test(tc, test_daemon_budget_reload);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(main_suite()) == 0 ? 0 : 1;
}
