/*
 * The process spawner of the system tests (check_main, hostile): one
 * environment filter, one fork and execve that only makes
 * async-signal-safe calls in the child (the parent has threads), and
 * bounded reads and waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "client.h"
#include "proc.h"

extern char **environ;

/*
 * What a child must not inherit from the shell or service that runs the
 * tests: ASAN_OPTIONS (each child gets its own), what gatherd reads
 * itself (JOURNAL_STREAM: log format; CREDENTIALS_DIRECTORY: token
 * files; STATE_DIRECTORY: the default state_dir) and what libsystemd's
 * sd_notify and sd_watchdog_enabled read (NOTIFY_SOCKET, WATCHDOG_USEC,
 * WATCHDOG_PID).  A test that wants one passes it in extra.
 */
static const char *const proc_drop[] = {
    "ASAN_OPTIONS=", "JOURNAL_STREAM=", "NOTIFY_SOCKET=", "WATCHDOG_USEC=",
    "WATCHDOG_PID=", "CREDENTIALS_DIRECTORY=", "STATE_DIRECTORY="};

/* Returns 1 if the environment entry e is one proc_drop names. */
static int
proc_dropped(const char *e)
{
	size_t k;

	for (k = 0; k < sizeof proc_drop / sizeof proc_drop[0]; k++) {
		if (strncmp(e, proc_drop[k], strlen(proc_drop[k])) == 0)
			return 1;
	}
	return 0;
}

/*
 * Returns environ without the variables in proc_drop, plus the
 * NULL-terminated extra list and asan.  The extra entry
 * PROC_JOURNAL_STREAM_STDERR becomes a JOURNAL_STREAM that names errfd.
 */
static char **
proc_env(const char *const *extra, const char *asan, int errfd)
{
	static char journal[64];
	size_t i, j, n = 0, nextra = 0;
	struct stat st;
	char **env;

	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	env = calloc(n + nextra + 2, sizeof *env);
	ck_assert_ptr_nonnull(env);
	for (i = 0, j = 0; i < n; i++) {
		if (!proc_dropped(environ[i]))
			env[j++] = environ[i];
	}
	for (i = 0; i < nextra; i++) {
		if (strcmp(extra[i], PROC_JOURNAL_STREAM_STDERR) == 0) {
			ck_assert_int_eq(fstat(errfd, &st), 0);
			snprintf(journal, sizeof journal,
			    "JOURNAL_STREAM=%llu:%llu",
			    (unsigned long long)st.st_dev,
			    (unsigned long long)st.st_ino);
			env[j++] = journal;
		} else
			env[j++] = (char *)extra[i];
	}
	/* A leak at exit must make the exit status non-zero. */
	env[j] = (char *)(asan != NULL ? asan : "ASAN_OPTIONS=detect_leaks=1");
	return env;
}

/* Forks argv[0] with env, stdin /dev/null, stdout out and stderr err. */
static pid_t
proc_exec(const char *const argv[], char **env, int out, int err)
{
	pid_t parent = getpid(), pid;
	int devnull;

	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(devnull, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Only async-signal-safe calls: the parent has threads. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent || dup2(devnull, 0) == -1 ||
		    dup2(out, 1) == -1 || dup2(err, 2) == -1)
			_exit(127);
		execve(argv[0], (char *const *)argv, env);
		_exit(127);
	}
	close(devnull);
	free(env);
	return pid;
}

/* Starts argv[0] with its output into pipes p reads. */
void
proc_start_argv(struct proc *p, const char *const argv[],
    const char *const *extra, const char *asan)
{
	int out[2], err[2];

	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	p->p_pid =
	    proc_exec(argv, proc_env(extra, asan, err[1]), out[1], err[1]);
	close(out[1]);
	close(err[1]);
	p->p_fd[0] = out[0];
	p->p_fd[1] = err[0];
	p->p_buf[0] = strdup("");
	p->p_buf[1] = strdup("");
	p->p_len[0] = p->p_len[1] = 0;
	ck_assert(p->p_buf[0] != NULL && p->p_buf[1] != NULL);
}

/* Starts argv[0] with its output appended to the file log. */
void
proc_start_logged(
    struct proc *p, const char *const argv[], const char *log, const char *asan)
{
	int fd;

	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_msg(fd != -1, "%s: %s", log, strerror(errno));
	p->p_pid = proc_exec(argv, proc_env(NULL, asan, fd), fd, fd);
	close(fd);
	p->p_fd[0] = p->p_fd[1] = -1;
	p->p_buf[0] = strdup("");
	p->p_buf[1] = strdup("");
	p->p_len[0] = p->p_len[1] = 0;
	ck_assert(p->p_buf[0] != NULL && p->p_buf[1] != NULL);
}

/* Reads what the child has written within timeout_ms; 0 once both EOF. */
int
proc_read(struct proc *p, int timeout_ms)
{
	struct pollfd pfd[2];
	char chunk[4096];
	ssize_t got;
	int i, n = 0, idx[2];

	for (i = 0; i < 2; i++) {
		if (p->p_fd[i] == -1)
			continue;
		pfd[n].fd = p->p_fd[i];
		pfd[n].events = POLLIN;
		idx[n++] = i;
	}
	if (n == 0)
		return 0;
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (poll(pfd, (nfds_t)n, timeout_ms) == -1) {
		ck_assert_int_eq(errno, EINTR);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		got = read(pfd[i].fd, chunk, sizeof chunk);
		if (got <= 0) {
			close(p->p_fd[idx[i]]);
			p->p_fd[idx[i]] = -1;
			continue;
		}
		p->p_buf[idx[i]] = realloc(
		    p->p_buf[idx[i]], p->p_len[idx[i]] + (size_t)got + 1);
		ck_assert_ptr_nonnull(p->p_buf[idx[i]]);
		memcpy(p->p_buf[idx[i]] + p->p_len[idx[i]], chunk, (size_t)got);
		p->p_len[idx[i]] += (size_t)got;
		p->p_buf[idx[i]][p->p_len[idx[i]]] = '\0';
	}
	return 1;
}

/* Kills the child if it is still running and reaps it. */
void
proc_kill(struct proc *p)
{
	if (p->p_pid > 0) {
		kill(p->p_pid, SIGKILL);
		waitpid(p->p_pid, NULL, 0);
		p->p_pid = -1;
	}
}

/* Reaps the child by deadline; its wait status, or -1 if it still runs. */
static int
proc_reap(struct proc *p, long long deadline)
{
	int status = 0;
	pid_t w = 0;

	/* Bounded polling: the child may take a moment after closing. */
	while ((w = waitpid(p->p_pid, &status, WNOHANG)) == 0 &&
	    now_ms() < deadline)
		usleep(10 * 1000);
	if (w != p->p_pid)
		return -1;
	p->p_pid = -1;
	return status;
}

/* Reads the child's output to the end and returns its wait status. */
int
proc_finish(struct proc *p)
{
	long long deadline = now_ms() + PROC_WAIT_MS;
	int status;

	while (proc_read(p, (int)(deadline - now_ms())) != 0 &&
	    now_ms() < deadline)
		;
	if ((status = proc_reap(p, deadline)) == -1) {
		proc_kill(p);
		ck_abort_msg("%s did not exit within %d ms; stderr: %s",
		    "the child", PROC_WAIT_MS, p->p_buf[1]);
	}
	return status;
}

/* Sends SIGTERM and reaps the child, killing it if slow; status or -1. */
int
proc_stop(struct proc *p)
{
	int status;

	if (p->p_pid <= 0)
		return -1;
	(void)kill(p->p_pid, SIGTERM);
	if ((status = proc_reap(p, now_ms() + PROC_WAIT_MS)) == -1)
		proc_kill(p);
	return status;
}

/* Kills the child if it still runs and frees what proc_start made. */
void
proc_free(struct proc *p)
{
	int i;

	proc_kill(p);
	for (i = 0; i < 2; i++) {
		if (p->p_fd[i] != -1)
			close(p->p_fd[i]);
		free(p->p_buf[i]);
		p->p_buf[i] = NULL;
	}
}

/* Reads stderr until a whole line holds needle; returns it, or fails. */
const char *
proc_wait_stderr(struct proc *p, const char *needle)
{
	long long deadline = now_ms() + PROC_WAIT_MS;
	const char *at;

	while ((at = strstr(p->p_buf[1], needle)) == NULL ||
	    strchr(at, '\n') == NULL) {
		if (now_ms() >= deadline ||
		    proc_read(p, (int)(deadline - now_ms())) == 0) {
			proc_kill(p);
			ck_abort_msg(
			    "no \"%s\" on stderr: %s", needle, p->p_buf[1]);
		}
	}
	return at;
}
