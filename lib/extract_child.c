/*
 * Extraction of a big body by jq, away from the loop: jq's work grows
 * with the body (seconds of CPU a MiB for some programs) and cannot be
 * interrupted, so a body of EXTRACT_CHILD_MIN bytes or more is handed to
 * a forked child, which has its own copy of the config, the programs and
 * the body.  The child writes the result to a pipe the loop watches and
 * exits; one that runs past its time limit is killed, and one that dies
 * (jq aborts when out of memory) is a failed poll, not a dead daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "extract_child.h"

/* What the child writes first, then values as JSON text if ok. */
struct extract_child_head {
	int eh_ok;
	struct source_error eh_err;
};

/* One extraction under way in a child. */
struct extract_child {
	pid_t ec_pid;
	int ec_fd; /* the pipe's read end */
	struct event *ec_read;
	struct event *ec_timer;
	uint64_t ec_limit_ms;
	char *ec_buf; /* what the child wrote so far */
	size_t ec_len, ec_cap;
	extract_child_cb ec_cb;
	void *ec_arg;
};

/* Writes n bytes of p to fd, whatever the pipe takes at a time; 0 or -1. */
static int
extract_child_write(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Closes every descriptor from 3 on but keep. */
static void
extract_child_close_all(int keep)
{
	long fd, max = sysconf(_SC_OPEN_MAX);

	if ((keep <= 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	for (fd = 3; fd < (max > 0 ? max : 65536); fd++) {
		if (fd != keep)
			close((int)fd);
	}
}

/* The child: extracts, writes the result to fd and exits. */
static void
extract_child_run(int fd, struct extract *ex, const char *body, size_t len,
    const struct config_source *src)
{
	struct extract_child_head head;
	struct json_object *values = NULL;
	const char *text = "";
	sigset_t all;

	/* The loop's signals are the parent's business. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/*
	 * Nor are its sockets: a copy held here would keep one the parent
	 * closes registered in the epoll set they share.
	 */
	extract_child_close_all(fd);
	memset(&head, 0, sizeof head);
	head.eh_ok =
	    extract_source(ex, body, len, src, &values, &head.eh_err) == 0;
	if (head.eh_ok)
		text = json_object_to_json_string_ext(
		    values, JSON_C_TO_STRING_PLAIN);
	if (extract_child_write(fd, &head, sizeof head) == -1 ||
	    extract_child_write(fd, text, strlen(text)) == -1)
		_exit(1);
	_exit(0);
}

/* Reaps the child, killing it first if kill_it. */
static void
extract_child_reap(struct extract_child *ec, int kill_it)
{
	if (ec->ec_pid <= 0)
		return;
	if (kill_it)
		kill(ec->ec_pid, SIGKILL);
	while (waitpid(ec->ec_pid, NULL, 0) == -1 && errno == EINTR)
		;
	ec->ec_pid = -1;
}

/* Frees ec, reaping its child (killed first if kill_it). */
static void
extract_child_free(struct extract_child *ec, int kill_it)
{
	if (ec->ec_read != NULL)
		event_free(ec->ec_read);
	if (ec->ec_timer != NULL)
		event_free(ec->ec_timer);
	if (ec->ec_fd != -1)
		close(ec->ec_fd);
	extract_child_reap(ec, kill_it);
	free(ec->ec_buf);
	free(ec);
}

/* Hands ec's result (all of it if eof, else none: why) to its callback
 * and frees ec. */
static void
extract_child_finish(struct extract_child *ec, int eof, const char *why)
{
	struct extract_child_head head;
	struct json_object *values = NULL;
	struct source_error err;
	extract_child_cb cb = ec->ec_cb;
	void *arg = ec->ec_arg;

	memset(&err, 0, sizeof err);
	source_error_set(&err, SOURCE_ERR_INTERNAL, 0, 0, "%s", why);
	if (eof && ec->ec_len >= sizeof head) {
		memcpy(&head, ec->ec_buf, sizeof head);
		err = head.eh_err;
		if (head.eh_ok) {
			ec->ec_buf[ec->ec_len] = '\0';
			values = json_tokener_parse(ec->ec_buf + sizeof head);
			if (values == NULL)
				source_error_set(&err, SOURCE_ERR_INTERNAL, 0,
				    0, "jq's result does not parse");
		}
	} else if (eof)
		source_error_set(&err, SOURCE_ERR_INTERNAL, 0, 0,
		    "jq's child process died before its result");
	/* At the end of the pipe the child has exited, or is exiting. */
	extract_child_free(ec, !eof);
	cb(values, &err, arg);
}

/* The pipe is readable: more of the result, or its end. */
static void
extract_child_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct extract_child *ec = arg;
	char *grown;
	ssize_t n;

	if (ec->ec_cap - ec->ec_len < 4096) {
		if ((grown = realloc(ec->ec_buf, ec->ec_cap * 2)) == NULL) {
			extract_child_finish(ec, 0, "out of memory");
			return;
		}
		ec->ec_buf = grown;
		ec->ec_cap *= 2;
	}
	/* One byte kept for the NUL that ends the values' text. */
	n = read(fd, ec->ec_buf + ec->ec_len, ec->ec_cap - ec->ec_len - 1);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		ec->ec_len += (size_t)n;
		return;
	}
	/* The end of the pipe, or (never seen) an error reading it. */
	extract_child_finish(ec, n == 0, "cannot read jq's child process");
}

/* The child ran past its time: killed, and the poll fails. */
static void
extract_child_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct extract_child *ec = arg;
	extract_child_cb cb = ec->ec_cb;
	void *cb_arg = ec->ec_arg;
	struct source_error err;

	memset(&err, 0, sizeof err);
	source_error_set(&err, SOURCE_ERR_MISSING_STAT, 0, 0,
	    "jq: no result within %llu ms",
	    (unsigned long long)ec->ec_limit_ms);
	extract_child_free(ec, 1);
	cb(NULL, &err, cb_arg);
}

/* Starts extracting body for src in a child; NULL if it cannot. */
struct extract_child *
extract_child_start(struct event_base *base, struct extract *ex,
    const char *body, size_t len, const struct config_source *src,
    uint64_t limit_ms, extract_child_cb cb, void *arg)
{
	struct extract_child *ec;
	struct timeval tv;
	int fds[2] = {-1, -1};

	if ((ec = calloc(1, sizeof *ec)) == NULL)
		return NULL;
	ec->ec_fd = -1;
	ec->ec_pid = -1;
	ec->ec_cb = cb;
	ec->ec_arg = arg;
	ec->ec_limit_ms = limit_ms;
	ec->ec_cap = 16384;
	if ((ec->ec_buf = malloc(ec->ec_cap)) == NULL ||
	    pipe2(fds, O_CLOEXEC) == -1)
		goto fail;
	ec->ec_fd = fds[0];
	if ((ec->ec_pid = fork()) == -1)
		goto fail;
	if (ec->ec_pid == 0) {
		close(fds[0]);
		extract_child_run(fds[1], ex, body, len, src);
	}
	close(fds[1]);
	fds[1] = -1;
	tv.tv_sec = (time_t)(limit_ms / 1000);
	tv.tv_usec = (suseconds_t)(limit_ms % 1000) * 1000;
	ec->ec_read = event_new(
	    base, ec->ec_fd, EV_READ | EV_PERSIST, extract_child_read_cb, ec);
	ec->ec_timer = evtimer_new(base, extract_child_timer_cb, ec);
	if (ec->ec_read == NULL || ec->ec_timer == NULL ||
	    evutil_make_socket_nonblocking(ec->ec_fd) == -1 ||
	    event_add(ec->ec_read, NULL) == -1 ||
	    evtimer_add(ec->ec_timer, &tv) == -1)
		goto fail;
	return ec;
fail:
	if (fds[1] != -1)
		close(fds[1]);
	extract_child_free(ec, 1);
	return NULL;
}

/* Stops ec's extraction (its callback is not called) and frees it. */
void
extract_child_cancel(struct extract_child *ec)
{
	if (ec != NULL)
		extract_child_free(ec, 1);
}
