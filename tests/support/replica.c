/*
 * Cluster replicas for the system tests: config written, daemon started
 * with its log in a file (a chatty child never stalls on a pipe), its
 * port read from the log's "listening on" line, its API read with the
 * tests' client.  Every wait is bounded by PROC_WAIT_MS.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "client.h"
#include "replica.h"

/* Sleeps ms. */
static void
replica_nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Waits for r's log to say where it listens; sets r_port. */
static void
replica_wait_port(struct replica *r, size_t from)
{
	static const char prefix[] = "listening on http://127.0.0.1:";
	const char *at;
	char *log;
	int waited;

	for (waited = 0; waited < PROC_WAIT_MS; waited += 20) {
		if ((log = tmpdir_read(r->r_log)) != NULL) {
			at = strlen(log) > from ? strstr(log + from, prefix)
			                        : NULL;
			if (at != NULL &&
			    sscanf(at + strlen(prefix), "%u", &r->r_port) ==
			        1) {
				free(log);
				return;
			}
			free(log);
		}
		replica_nap(20);
	}
	ck_abort_msg("replica %s: no \"listening on\" in its log", r->r_name);
}

/* Returns the size of r's log so far. */
static size_t
replica_log_size(const struct replica *r)
{
	char *log = tmpdir_read(r->r_log);
	size_t n = log != NULL ? strlen(log) : 0;

	free(log);
	return n;
}

/* Starts r's daemon with its config. */
static void
replica_spawn(struct replica *r)
{
	const char *argv[] = {GATHERD_BIN, "-c", r->r_conf, NULL};
	size_t from = replica_log_size(r);

	proc_start_logged(&r->r_proc, argv, r->r_log, NULL);
	replica_wait_port(r, from);
}

/* Writes r's config and starts it. */
void
replica_start(struct replica *r, const char *name, const char *target,
    const char *sources)
{
	char *text;

	memset(r, 0, sizeof *r);
	r->r_proc.p_pid = -1;
	snprintf(r->r_name, sizeof r->r_name, "%s", name);
	tmpdir_make(&r->r_dir);
	ck_assert_int_gt(asprintf(&text,
	                     "[gatherd]\n"
	                     "listen = 127.0.0.1:0\n"
	                     "state_dir = %s\n"
	                     "initial_spread = 0\n"
	                     "\n"
	                     "[cluster]\n"
	                     "redis = %s\n"
	                     "name = %s\n"
	                     "\n"
	                     "%s",
	                     r->r_dir.t_path, target, name, sources),
	    0);
	snprintf(r->r_conf, sizeof r->r_conf, "%s",
	    tmpdir_write(&r->r_dir, "gatherd.conf", text));
	free(text);
	snprintf(r->r_log, sizeof r->r_log, "%s",
	    tmpdir_write(&r->r_dir, "gatherd.log", ""));
	replica_spawn(r);
}

/* Starts r again with the same config. */
void
replica_restart(struct replica *r)
{
	proc_free(&r->r_proc);
	r->r_proc.p_pid = -1;
	replica_spawn(r);
}

/* Sends sig to r; SIGKILL reaps it. */
void
replica_signal(struct replica *r, int sig)
{
	ck_assert_int_gt(r->r_proc.p_pid, 0);
	if (sig == SIGKILL) {
		proc_kill(&r->r_proc);
		return;
	}
	ck_assert_int_eq(kill(r->r_proc.p_pid, sig), 0);
}

/* Stops r with SIGTERM and asserts a clean exit. */
void
replica_stop(struct replica *r)
{
	int status = proc_stop(&r->r_proc);
	char *log;

	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log = tmpdir_read(r->r_log);
		ck_abort_msg("replica %s: unclean exit %#x; log:\n%s",
		    r->r_name, (unsigned)status, log != NULL ? log : "");
	}
}

/* Kills r if it runs and removes what replica_start made. */
void
replica_free(struct replica *r)
{
	proc_free(&r->r_proc);
	tmpdir_remove(&r->r_dir);
}

/* GETs path from r: the body and the status. */
char *
replica_get_text(struct replica *r, const char *path, long *status)
{
	char *body = NULL;

	*status = client_get(r->r_port, path, NULL, &body);
	ck_assert_ptr_nonnull(body);
	return body;
}

/* GETs path from r and returns its JSON. */
struct json_object *
replica_get(struct replica *r, const char *path)
{
	struct json_object *doc;
	long status;
	char *body = replica_get_text(r, path, &status);

	ck_assert_msg(status == 200, "replica %s: GET %s: %ld %s", r->r_name,
	    path, status, body);
	doc = json_tokener_parse(body);
	ck_assert_msg(doc != NULL, "replica %s: GET %s: not JSON: %s",
	    r->r_name, path, body);
	free(body);
	return doc;
}

/* Returns the value of metric line name in r's /metrics, or -1. */
double
replica_metric(struct replica *r, const char *name)
{
	char *body, *at;
	double v = -1;
	size_t n = strlen(name);
	long status;

	body = replica_get_text(r, "/metrics", &status);
	ck_assert_int_eq(status, 200);
	for (at = body; (at = strstr(at, name)) != NULL; at += n) {
		if ((at == body || at[-1] == '\n') && at[n] == ' ') {
			v = strtod(at + n + 1, NULL);
			break;
		}
	}
	free(body);
	return v;
}
