/*
 * redis-server as a child of the test: its arguments, the wait for its
 * first PONG (a raw RESP PING on the unix socket, so the support code
 * needs no hiredis), and the signals the failure tests send it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "redis_server.h"

#define REDIS_SERVER_BIN "/usr/bin/redis-server"

/* Returns the monotonic clock in milliseconds. */
static long long
redis_server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
redis_server_found(void)
{
	return access(REDIS_SERVER_BIN, X_OK) == 0;
}

/*
 * Sends PING on the socket and returns 1 if an answer came: +PONG, or
 * -NOAUTH from a server with a password; 0 if none (yet).
 */
static int
redis_server_answers(const struct redis_server *rs)
{
	struct sockaddr_un sun;
	struct timeval tv = {1, 0};
	char buf[64];
	ssize_t n;
	int fd, ok = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", rs->rs_sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 &&
	    write(fd, "PING\r\n", 6) == 6) {
		n = read(fd, buf, sizeof buf - 1);
		if (n > 0) {
			buf[n] = '\0';
			ok = strncmp(buf, "+PONG", 5) == 0 ||
			    strncmp(buf, "-NOAUTH", 7) == 0;
		}
	}
	close(fd);
	return ok;
}

/* Runs redis-server on rs's socket and waits until it answers. */
static void
redis_server_run(struct redis_server *rs)
{
	const char *argv[16];
	long long deadline;
	int i = 0;

	argv[i++] = REDIS_SERVER_BIN;
	argv[i++] = "--port";
	argv[i++] = "0";
	argv[i++] = "--save";
	argv[i++] = "";
	argv[i++] = "--appendonly";
	argv[i++] = "no";
	argv[i++] = "--dir";
	argv[i++] = rs->rs_dir;
	argv[i++] = "--unixsocket";
	argv[i++] = rs->rs_sock;
	argv[i++] = "--unixsocketperm";
	argv[i++] = "700";
	if (rs->rs_pass[0] != '\0') {
		argv[i++] = "--requirepass";
		argv[i++] = rs->rs_pass;
	}
	argv[i] = NULL;
	proc_start_logged(&rs->rs_proc, argv, rs->rs_log, NULL);
	deadline = redis_server_now_ms() + PROC_WAIT_MS;
	while (!redis_server_answers(rs)) {
		ck_assert_msg(redis_server_now_ms() < deadline,
		    "redis-server did not answer on %s within %d ms (see %s)",
		    rs->rs_sock, PROC_WAIT_MS, rs->rs_log);
		usleep(10 * 1000);
	}
}

void
redis_server_start(struct redis_server *rs, const char *pass)
{
	memset(rs, 0, sizeof *rs);
	rs->rs_proc.p_pid = -1;
	rs->rs_proc.p_fd[0] = rs->rs_proc.p_fd[1] = -1;
	snprintf(rs->rs_dir, sizeof rs->rs_dir, "/tmp/gatherd-redis-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(rs->rs_dir));
	snprintf(rs->rs_sock, sizeof rs->rs_sock, "%s/redis.sock", rs->rs_dir);
	snprintf(rs->rs_target, sizeof rs->rs_target, "unix:%s", rs->rs_sock);
	snprintf(rs->rs_log, sizeof rs->rs_log, "%s/redis.log", rs->rs_dir);
	if (pass != NULL)
		snprintf(rs->rs_pass, sizeof rs->rs_pass, "%s", pass);
	redis_server_run(rs);
}

void
redis_server_kill(struct redis_server *rs)
{
	proc_kill(&rs->rs_proc);
}

void
redis_server_freeze(struct redis_server *rs)
{
	ck_assert_int_gt(rs->rs_proc.p_pid, 0);
	ck_assert_int_eq(kill(rs->rs_proc.p_pid, SIGSTOP), 0);
}

void
redis_server_thaw(struct redis_server *rs)
{
	ck_assert_int_gt(rs->rs_proc.p_pid, 0);
	ck_assert_int_eq(kill(rs->rs_proc.p_pid, SIGCONT), 0);
}

void
redis_server_restart(struct redis_server *rs)
{
	ck_assert_int_eq(rs->rs_proc.p_pid, -1);
	proc_free(&rs->rs_proc);
	redis_server_run(rs);
}

void
redis_server_free(struct redis_server *rs)
{
	proc_free(&rs->rs_proc);
	unlink(rs->rs_sock);
	unlink(rs->rs_log);
	if (rmdir(rs->rs_dir) == -1)
		fprintf(stderr, "rmdir %s: %s\n", rs->rs_dir, strerror(errno));
}

/* Runs redis-cli with args; its output, trimmed of the last newline. */
char *
redis_server_cli(struct redis_server *rs, const char *args)
{
	char cmd[512], *out = NULL;
	size_t cap = 0, len = 0;
	FILE *f;
	int c, status;

	snprintf(
	    cmd, sizeof cmd, "redis-cli -s %s --raw %s", rs->rs_sock, args);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 256;
			out = realloc(out, cap);
			ck_assert_ptr_nonnull(out);
		}
		out[len++] = (char)c;
	}
	status = pclose(f);
	ck_assert_msg(status == 0, "redis-cli %s: status %d", args, status);
	if (out == NULL && (out = malloc(1)) == NULL)
		ck_abort_msg("out of memory");
	if (len > 0 && out[len - 1] == '\n')
		len--;
	out[len] = '\0';
	return out;
}
