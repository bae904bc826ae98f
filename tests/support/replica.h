/*
 * A gatherd replica of a cluster test: the built daemon run as a process
 * with a config of its own ([cluster] on the test's redis-server, listen
 * on port 0, a state_dir of its own), its log in a file, its port read
 * from the log, and its JSON API fetched and parsed.  It can be killed,
 * frozen, thawed and started again; every wait is bounded.
 */
#ifndef GATHERD_REPLICA_H
#define GATHERD_REPLICA_H

#include <json-c/json.h>

#include "proc.h"
#include "tmpdir.h"

/* One replica. */
struct replica {
	struct proc r_proc; /* p_pid -1 while not running */
	struct tmpdir r_dir; /* its config, log and state_dir */
	char r_name[32];
	char r_conf[256];
	char r_log[256];
	unsigned r_port;
};

/*
 * Writes replica name's config in a new temporary directory (its
 * [gatherd] and [cluster] on redis target, then sources: the [source]
 * sections) and starts it; returns once it listens.
 */
void replica_start(struct replica *r, const char *name, const char *target,
    const char *sources);
/* Starts r again with the same config (after replica_kill). */
void replica_restart(struct replica *r);
/* Kills r with sig (SIGKILL reaps it; SIGSTOP, SIGCONT do not). */
void replica_signal(struct replica *r, int sig);
/* Stops r with SIGTERM and asserts a clean exit (no leak under ASan). */
void replica_stop(struct replica *r);
/* Kills r if it runs and removes what replica_start made. */
void replica_free(struct replica *r);
/* GETs path from r and returns its JSON (asserted 200), owned. */
struct json_object *replica_get(struct replica *r, const char *path);
/* GETs path from r and returns the body (any status in *status), owned. */
char *replica_get_text(struct replica *r, const char *path, long *status);
/* Returns the value of metric line name (e.g. "gatherd_cluster_up") in
 * r's /metrics, or -1 if absent. */
double replica_metric(struct replica *r, const char *name);

#endif
