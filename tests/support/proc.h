/*
 * The process spawner of the system tests: a program (gatherd, the fake
 * upstream) run with fork and execve in an environment cleaned of what
 * would change how it logs, talks to systemd or finds its files, its
 * output read through pipes or appended to a log file.  Every wait is
 * bounded by PROC_WAIT_MS; a child still alive then is killed.
 */
#ifndef GATHERD_PROC_H
#define GATHERD_PROC_H

#include <sys/types.h>

/* Bound on every wait for a child, in milliseconds. */
#define PROC_WAIT_MS 20000

/* In an extra environment: JOURNAL_STREAM naming the child's stderr. */
#define PROC_JOURNAL_STREAM_STDERR "JOURNAL_STREAM=@stderr"

/* A running child and what it has written so far. */
struct proc {
	pid_t p_pid;
	int p_fd[2]; /* read ends: stdout, stderr; -1 once closed */
	char *p_buf[2]; /* NUL-terminated, never NULL */
	size_t p_len[2];
};

/*
 * Starts argv[0] with the arguments in argv (NULL-terminated), stdin
 * /dev/null and stdout and stderr into pipes that proc_read reads.  Its
 * environment is ours without the variables proc.c drops, plus extra
 * (NULL-terminated, or NULL), plus asan (an "ASAN_OPTIONS=..." entry, or
 * NULL for detect_leaks=1).
 */
void proc_start_argv(struct proc *p, const char *const argv[],
    const char *const *extra, const char *asan);
/*
 * Like proc_start_argv without extra, but stdout and stderr appended to
 * the file log: a file, not a pipe, so that a chatty child never stalls.
 */
void proc_start_logged(struct proc *p, const char *const argv[],
    const char *log, const char *asan);
/* Reads what the child has written within timeout_ms; 0 once both EOF. */
int proc_read(struct proc *p, int timeout_ms);
/* Kills the child if it is still running and reaps it. */
void proc_kill(struct proc *p);
/* Reads the child's output to the end and returns its wait status. */
int proc_finish(struct proc *p);
/*
 * Sends SIGTERM and reaps the child (SIGKILL if it takes longer than
 * PROC_WAIT_MS); returns its wait status, or -1 if it had to be killed
 * or had gone.  Never fails the test: teardowns call it.
 */
int proc_stop(struct proc *p);
/* Kills the child if it still runs and frees what proc_start made. */
void proc_free(struct proc *p);
/* Reads stderr until a whole line holds needle; returns it, or fails. */
const char *proc_wait_stderr(struct proc *p, const char *needle);

#endif
