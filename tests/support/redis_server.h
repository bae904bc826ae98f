/*
 * A real redis-server for the tests: started on a unix socket in a new
 * temporary directory (no TCP port, no persistence), waited for until it
 * answers PING, and then killed, frozen, thawed or restarted on the same
 * socket as a test needs.  Every wait is bounded; redis_server_free
 * leaves no process, socket or directory behind.
 */
#ifndef GATHERD_REDIS_SERVER_H
#define GATHERD_REDIS_SERVER_H

#include "proc.h"

/* A redis-server and where it listens. */
struct redis_server {
	struct proc rs_proc; /* p_pid -1 while not running */
	char rs_dir[64];
	char rs_sock[128]; /* the socket's path */
	char rs_target[136]; /* "unix:" and the path, for redis_new */
	char rs_log[128]; /* its stdout and stderr */
	char rs_pass[64]; /* requirepass, "" for none */
};

/* Returns 1 if redis-server is installed (tests skip without it). */
int redis_server_found(void);
/* Starts redis-server (with requirepass if pass is not NULL). */
void redis_server_start(struct redis_server *rs, const char *pass);
/* Kills it with SIGKILL and reaps it; the stale socket stays. */
void redis_server_kill(struct redis_server *rs);
/* Sends SIGSTOP: it accepts connections but answers nothing. */
void redis_server_freeze(struct redis_server *rs);
/* Sends SIGCONT. */
void redis_server_thaw(struct redis_server *rs);
/* Starts it again on the same socket (after redis_server_kill). */
void redis_server_restart(struct redis_server *rs);
/*
 * Runs redis-cli on it with args (words split by the shell: no quoting
 * needed for keys and numbers) and returns its --raw output without the
 * last newline (free it); the test fails if redis-cli does.
 */
char *redis_server_cli(struct redis_server *rs, const char *args);
/* Kills it if it runs and removes its socket, log and directory. */
void redis_server_free(struct redis_server *rs);

#endif
