/*
 * Tests of the Redis connection (lib/redis.c) against real redis-server
 * processes that each test starts on a unix socket of its own: round
 * trips with binary values, AUTH, a server killed, frozen and restarted,
 * a socket that is not there, TCP (IPv4 and IPv6) to a port that never
 * answers or refuses, a blocking XREAD on its own connection, and the
 * connection freed from inside each of its callbacks.  The loop runs
 * in the test's thread; every wait is bounded and no assertion is about
 * how fast anything was.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "log.h"
#include "redis.h"
#include "redis_server.h"
#include "runner.h"
#include "tmpdir.h"

/* Bound on every wait for a callback, in milliseconds. */
#define WAIT_MS 20000

/* What the link callback saw. */
struct link {
	int l_ups;
	int l_downs;
};

/* One command's result, copied out of its callback. */
struct result {
	int res_calls; /* must end up 1 */
	enum redis_fail res_fail;
	enum redis_type res_type;
	char res_str[256];
	size_t res_len;
	size_t res_nelem;
	int res_downs_seen; /* the link's downs when the callback ran */
	const struct link *res_link;
};

/* Counts ups and downs. */
static void
link_cb(struct redis *r, int up, void *arg)
{
	struct link *l = arg;

	ck_assert_int_eq(redis_is_up(r), up);
	if (up)
		l->l_ups++;
	else
		l->l_downs++;
}

/* Copies a reply (or the failure) into the result. */
static void
result_cb(const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct result *res = arg;
	const char *s;

	res->res_calls++;
	res->res_fail = fail;
	if (res->res_link != NULL)
		res->res_downs_seen = res->res_link->l_downs;
	ck_assert((reply == NULL) == (fail != REDIS_FAIL_NONE));
	if (reply == NULL)
		return;
	res->res_type = redis_reply_type(reply);
	res->res_nelem = redis_reply_len(reply);
	s = redis_reply_str(reply, &res->res_len);
	ck_assert_uint_lt(res->res_len, sizeof res->res_str);
	if (s != NULL)
		memcpy(res->res_str, s, res->res_len);
}

/* Sets *flag: the loop's deadline passed. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

/* Runs the loop until *value >= want or ms pass; returns 1 if reached. */
static int
run_until(struct event_base *base, const int *value, int want, int ms)
{
	struct timeval tv = {ms / 1000, ms % 1000 * 1000};
	struct event *ev;
	int expired = 0;

	ev = evtimer_new(base, deadline_cb, &expired);
	ck_assert_ptr_nonnull(ev);
	evtimer_add(ev, &tv);
	while (*value < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *value >= want;
}

/* Parameters for a connection to rs reporting to l. */
static struct redis_params
params(const struct redis_server *rs, struct link *l)
{
	struct redis_params p = {
	    .rp_target = rs->rs_target,
	    .rp_kind = REDIS_KIND_COMMANDS,
	    .rp_connect_ms = 2000,
	    .rp_command_ms = 10000,
	    .rp_backoff_base_ms = 10,
	    .rp_backoff_cap_ms = 200,
	    .rp_link_cb = link_cb,
	    .rp_arg = l,
	};

	return p;
}

/* Sends a command of NUL-terminated words and waits for its result. */
static void
call(struct event_base *base, struct redis *r, struct result *res, int argc,
    const char *const *argv)
{
	memset(res, 0, sizeof *res);
	ck_assert_int_eq(redis_command(r, argc, argv, NULL, result_cb, res), 0);
	ck_assert(run_until(base, &res->res_calls, 1, WAIT_MS));
	ck_assert_int_eq(res->res_calls, 1);
}

/* Waits for the link's nth up. */
static void
wait_up(struct event_base *base, struct link *l, int n)
{
	ck_assert_msg(run_until(base, &l->l_ups, n, WAIT_MS),
	    "no connection %d within %d ms", n, WAIT_MS);
}

START_TEST(test_target)
{
	static const struct {
		const char *t;
		const char *why; /* NULL: accepted */
	} cases[] = {
	    {"unix:/run/redis/redis.sock", NULL},
	    {"127.0.0.1:6379", NULL},
	    {"[::1]:6379", NULL},
	    {"localhost:6379",
	        "a host name is not accepted (hiredis resolves names "
	        "blocking): give an IP address or unix:/path"},
	    {"::1:6379", "an IPv6 address goes between brackets: [::1]:6379"},
	    {"[localhost]:6379", "not an IPv6 address between the brackets"},
	    {"unix:redis.sock", "a unix socket needs an absolute path"},
	    {"127.0.0.1", "expected unix:/path or IP:port"},
	    {":6379", "expected unix:/path or IP:port"},
	    {"127.0.0.1:0", "the port is not a number from 1 to 65535"},
	    {"127.0.0.1:65536", "the port is not a number from 1 to 65535"},
	    {"127.0.0.1:+80", "the port is not a number from 1 to 65535"},
	    {"127.0.0.1:", "the port is not a number from 1 to 65535"},
	};
	struct redis_params p = {.rp_target = "redis.example:6379"};
	struct event_base *base;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why = NULL;
		ck_assert_int_eq(redis_check_target(cases[i].t, &why),
		    cases[i].why == NULL ? 0 : -1);
		if (cases[i].why != NULL)
			ck_assert_str_eq(why, cases[i].why);
	}
	base = event_base_new();
	ck_assert_ptr_null(redis_new(base, &p));
	event_base_free(base);
}
END_TEST

START_TEST(test_round_trip)
{
	const char *set[] = {"SET", "k", "a\0b\r\n", NULL};
	const size_t setlen[] = {3, 1, 5};
	const char *get[] = {"GET", "k"};
	const char *incr[] = {"INCR", "k"};
	const char *sub[] = {"SUBSCRIBE", "ch"};
	struct redis_server rs;
	struct event_base *base;
	struct result res;
	struct link l = {0};
	struct redis_params p;
	struct redis *r;

	redis_server_start(&rs, NULL);
	base = event_base_new();
	p = params(&rs, &l);
	r = redis_new(base, &p);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(redis_is_up(r), 0);
	ck_assert_int_eq(redis_command(r, 2, get, NULL, result_cb, &res), -1);
	wait_up(base, &l, 1);
	ck_assert_str_eq(redis_last_error(r), "");

	/* A value with a NUL and a CRLF in it goes and comes back whole. */
	memset(&res, 0, sizeof res);
	ck_assert_int_eq(redis_command(r, 3, set, setlen, result_cb, &res), 0);
	ck_assert(run_until(base, &res.res_calls, 1, WAIT_MS));
	ck_assert_int_eq(res.res_fail, REDIS_FAIL_NONE);
	ck_assert_int_eq(res.res_type, REDIS_TYPE_STATUS);
	ck_assert_str_eq(res.res_str, "OK");
	call(base, r, &res, 2, get);
	ck_assert_int_eq(res.res_type, REDIS_TYPE_STRING);
	ck_assert_uint_eq(res.res_len, 5);
	ck_assert_mem_eq(res.res_str, "a\0b\r\n", 5);

	/* An error reply is a reply. */
	call(base, r, &res, 2, incr);
	ck_assert_int_eq(res.res_fail, REDIS_FAIL_NONE);
	ck_assert_int_eq(res.res_type, REDIS_TYPE_ERROR);
	ck_assert_msg(
	    strstr(res.res_str, "not an integer") != NULL, "%s", res.res_str);

	/* Pub/sub breaks one callback per command: refused. */
	ck_assert_int_eq(redis_command(r, 2, sub, NULL, result_cb, &res), -1);
	ck_assert_int_eq(redis_attempts(r), 1);
	ck_assert_int_eq(l.l_downs, 0);
	redis_free(r);
	event_base_free(base);
	redis_server_free(&rs);
}
END_TEST

/* Connects with pass: up, or refused twice; returns the link's ups. */
static int
try_password(
    struct redis_server *rs, const char *pass, char *why, size_t whylen)
{
	const char *ping[] = {"PING"};
	struct event_base *base;
	struct link l = {0};
	struct redis_params p;
	struct result res;
	struct redis *r;
	int i, ups;

	base = event_base_new();
	p = params(rs, &l);
	p.rp_password = pass;
	r = redis_new(base, &p);
	ck_assert_ptr_nonnull(r);
	/* Up, or a third attempt (two refusals) in the bound. */
	for (i = 0; l.l_ups == 0 && redis_attempts(r) < 3; i++) {
		ck_assert_msg(i < WAIT_MS / 100, "no third attempt");
		run_until(base, &l.l_ups, 1, 100);
	}
	if (l.l_ups > 0) {
		call(base, r, &res, 1, ping);
		ck_assert_str_eq(res.res_str, "PONG");
	}
	snprintf(why, whylen, "%s", redis_last_error(r));
	ups = l.l_ups;
	redis_free(r);
	event_base_free(base);
	return ups;
}

START_TEST(test_auth)
{
	static const char pass[] = "s3cret-Pw-41";
	static const char wrong[] = "wrong-Pw-77";
	struct redis_server rs;
	char why[128], log_path[96], *text;
	int fd, saved;

	redis_server_start(&rs, pass);
	snprintf(log_path, sizeof log_path, "%s/gatherd.log", rs.rs_dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	log_set_level(LOG_LEVEL_DEBUG);

	ck_assert_int_eq(try_password(&rs, pass, why, sizeof why), 1);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(try_password(&rs, wrong, why, sizeof why), 0);
	ck_assert_msg(
	    strncmp(why, "AUTH refused: WRONGPASS", 23) == 0, "%s", why);
	ck_assert_int_eq(try_password(&rs, NULL, why, sizeof why), 0);
	ck_assert_msg(strncmp(why, "PING refused: NOAUTH", 20) == 0, "%s", why);

	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	log_set_level(LOG_LEVEL_QUIET);
	text = tmpdir_read(log_path);
	ck_assert_msg(strstr(text, ": connected\n") != NULL, "log: %s", text);
	ck_assert_msg(
	    strstr(text, "cannot connect: AUTH refused: WRONGPASS") != NULL,
	    "log: %s", text);
	ck_assert_msg(
	    strstr(text, "cannot connect: PING refused: NOAUTH") != NULL,
	    "log: %s", text);
	ck_assert_msg(strstr(text, pass) == NULL, "log: %s", text);
	ck_assert_msg(strstr(text, wrong) == NULL, "log: %s", text);
	free(text);
	unlink(log_path);
	redis_server_free(&rs);
}
END_TEST

START_TEST(test_killed)
{
	const char *get[] = {"GET", "k"};
	const char *set[] = {"SET", "k", "v"};
	struct redis_server rs;
	struct event_base *base;
	struct result res, pending[4];
	struct link l = {0};
	struct redis_params p;
	struct redis *r;
	unsigned n;
	int calls = 0;
	size_t i;

	redis_server_start(&rs, NULL);
	base = event_base_new();
	p = params(&rs, &l);
	r = redis_new(base, &p);
	ck_assert_ptr_nonnull(r);
	wait_up(base, &l, 1);
	call(base, r, &res, 3, set);

	/* Frozen, the server holds the commands; then it is killed. */
	redis_server_freeze(&rs);
	for (i = 0; i < 4; i++) {
		memset(&pending[i], 0, sizeof pending[i]);
		pending[i].res_link = &l;
		ck_assert_int_eq(
		    redis_command(r, 2, get, NULL, result_cb, &pending[i]), 0);
	}
	redis_server_kill(&rs);
	ck_assert(run_until(base, &l.l_downs, 1, WAIT_MS));
	for (i = 0; i < 4; i++) {
		ck_assert(run_until(base, &pending[i].res_calls, 1, WAIT_MS));
		ck_assert_int_eq(pending[i].res_fail, REDIS_FAIL_DOWN);
		/* The owner hears of the loss first. */
		ck_assert_int_eq(pending[i].res_downs_seen, 1);
	}
	ck_assert_int_eq(redis_is_up(r), 0);
	ck_assert_int_eq(redis_command(r, 2, get, NULL, result_cb, &res), -1);
	/* The stale socket refuses: attempts go on, with backoff. */
	n = redis_attempts(r);
	for (i = 0; redis_attempts(r) < n + 3; i++) {
		ck_assert_msg(i < WAIT_MS / 100, "no new attempt");
		ck_assert(!run_until(base, &l.l_ups, 2, 100));
	}
	ck_assert_msg(strstr(redis_last_error(r), "refused") != NULL, "%s",
	    redis_last_error(r));

	/* Back on the same socket (empty): a new context, commands again. */
	redis_server_restart(&rs);
	wait_up(base, &l, 2);
	call(base, r, &res, 3, set);
	ck_assert_str_eq(res.res_str, "OK");
	call(base, r, &res, 2, get);
	ck_assert_str_eq(res.res_str, "v");
	ck_assert_uint_ge(redis_attempts(r), 2);
	ck_assert_int_eq(l.l_downs, 1);
	/* Each pending callback ran once, and no more later. */
	for (i = 0; i < 4; i++)
		calls += pending[i].res_calls;
	ck_assert_int_eq(calls, 4);
	redis_free(r);
	event_base_free(base);
	redis_server_free(&rs);
}
END_TEST

START_TEST(test_timeout)
{
	const char *get[] = {"GET", "k"};
	const char *ping[] = {"PING"};
	struct redis_server rs;
	struct event_base *base;
	struct result first, second, res;
	struct link l = {0};
	struct redis_params p;
	struct redis *r;
	unsigned attempts;
	int i;

	redis_server_start(&rs, NULL);
	base = event_base_new();
	p = params(&rs, &l);
	p.rp_connect_ms = 300;
	p.rp_command_ms = 300;
	r = redis_new(base, &p);
	ck_assert_ptr_nonnull(r);
	wait_up(base, &l, 1);

	redis_server_freeze(&rs);
	memset(&first, 0, sizeof first);
	memset(&second, 0, sizeof second);
	ck_assert_int_eq(redis_command(r, 2, get, NULL, result_cb, &first), 0);
	ck_assert_int_eq(redis_command(r, 2, get, NULL, result_cb, &second), 0);
	ck_assert(run_until(base, &first.res_calls, 1, WAIT_MS));
	ck_assert_int_eq(first.res_fail, REDIS_FAIL_TIMEOUT);
	ck_assert(run_until(base, &second.res_calls, 1, WAIT_MS));
	ck_assert_int_eq(second.res_fail, REDIS_FAIL_DOWN);
	ck_assert_int_eq(l.l_downs, 1);
	ck_assert_str_eq(redis_last_error(r), "no reply in time");

	/* Still frozen: new contexts connect but get no PONG, in turn. */
	attempts = redis_attempts(r);
	for (i = 0; redis_attempts(r) < attempts + 2; i++) {
		ck_assert_msg(i < WAIT_MS / 100, "no new attempt");
		ck_assert_msg(
		    !run_until(base, &l.l_ups, 2, 100), "up while frozen");
	}
	redis_server_thaw(&rs);
	wait_up(base, &l, 2);
	call(base, r, &res, 1, ping);
	ck_assert_str_eq(res.res_str, "PONG");
	ck_assert_int_eq(first.res_calls + second.res_calls, 2);
	redis_free(r);
	event_base_free(base);
	redis_server_free(&rs);
}
END_TEST

START_TEST(test_missing_socket)
{
	struct event_base *base;
	struct link l = {0};
	struct redis_params p;
	struct redis *r;
	struct redis_server rs;
	char dir[] = "/tmp/gatherd-redis-XXXXXX";
	unsigned n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* Not started: only its paths. */
	memset(&rs, 0, sizeof rs);
	snprintf(rs.rs_target, sizeof rs.rs_target, "unix:%s/none.sock", dir);
	base = event_base_new();
	p = params(&rs, &l);
	r = redis_new(base, &p);
	ck_assert_ptr_nonnull(r);
	/* Two seconds of a 10 ms base and a 200 ms cap: some twenty
	 * attempts; a busy loop would make thousands. */
	ck_assert(!run_until(base, &l.l_ups, 1, 2000));
	n = redis_attempts(r);
	ck_assert_msg(n >= 3 && n <= 200, "%u attempts in 2 s", n);
	ck_assert_msg(strstr(redis_last_error(r), "No such file") != NULL, "%s",
	    redis_last_error(r));
	ck_assert_int_eq(l.l_downs, 0);
	redis_free(r);
	event_base_free(base);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Listens on the loopback address of family af, port 0, never
 * accepting; returns the socket (-1 if af has no loopback here). */
static int
listen_mute(int af, char *target, size_t len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = af == AF_INET ? sizeof *sin : sizeof *sin6;
	int fd;

	memset(&ss, 0, sizeof ss);
	ss.ss_family = (sa_family_t)af;
	if (af == AF_INET)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		sin6->sin6_addr = in6addr_loopback;
	fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1) {
		close(fd);
		return -1;
	}
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	snprintf(target, len, af == AF_INET ? "127.0.0.1:%u" : "[::1]:%u",
	    ntohs(af == AF_INET ? sin->sin_port : sin6->sin6_port));
	return fd;
}

/* Runs the loop until r has made n more attempts (bounded). */
static void
wait_attempts(
    struct event_base *base, struct redis *r, struct link *l, unsigned n)
{
	unsigned start = redis_attempts(r);
	int i;

	for (i = 0; redis_attempts(r) < start + n; i++) {
		ck_assert_msg(i < WAIT_MS / 100, "no new attempt");
		ck_assert(!run_until(base, &l->l_ups, 1, 100));
	}
}

START_TEST(test_tcp)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct event_base *base;
	struct redis_params p;
	struct redis_server rs;
	struct link l;
	struct redis *r;
	size_t i;
	int fd;

	base = event_base_new();
	for (i = 0; i < 2; i++) {
		memset(&rs, 0, sizeof rs);
		fd =
		    listen_mute(families[i], rs.rs_target, sizeof rs.rs_target);
		if (fd == -1)
			continue; /* no IPv6 loopback here */
		memset(&l, 0, sizeof l);
		p = params(&rs, &l);
		p.rp_connect_ms = 200;
		r = redis_new(base, &p);
		ck_assert_ptr_nonnull(r);
		/* The kernel accepts; nobody answers PING. */
		wait_attempts(base, r, &l, 2);
		ck_assert_str_eq(redis_last_error(r), "no reply in time");
		/* Nobody listens. */
		close(fd);
		wait_attempts(base, r, &l, 2);
		ck_assert_msg(strstr(redis_last_error(r), "refused") != NULL,
		    "%s: %s", rs.rs_target, redis_last_error(r));
		redis_free(r);
	}
	event_base_free(base);
}
END_TEST

START_TEST(test_block)
{
	const char *xread[] = {
	    "XREAD", "BLOCK", "10000", "STREAMS", "s", "0-0"};
	const char *xread_short[] = {
	    "XREAD", "BLOCK", "1000", "STREAMS", "quiet", "$"};
	const char *xadd[] = {"XADD", "s", "*", "f", "v"};
	const char *info[] = {"INFO", "clients"};
	struct redis_server rs;
	struct event_base *base;
	struct result res, got, late, freed;
	struct link lc = {0}, lb = {0};
	struct redis_params p;
	struct redis *c, *b;

	redis_server_start(&rs, NULL);
	base = event_base_new();
	p = params(&rs, &lc);
	p.rp_command_ms = 300;
	c = redis_new(base, &p);
	ck_assert_ptr_nonnull(c);
	p = params(&rs, &lb);
	p.rp_kind = REDIS_KIND_BLOCKING;
	p.rp_command_ms = 300;
	b = redis_new(base, &p);
	ck_assert_ptr_nonnull(b);
	wait_up(base, &lc, 1);
	wait_up(base, &lb, 1);
	/* Blocking commands only on a blocking connection. */
	ck_assert_int_eq(
	    redis_block(c, 10000, 6, xread, NULL, result_cb, &res), -1);

	/* A block of 1 s outlives the 300 ms command timeout: no reply
	 * (nil) at its end, not a timeout. */
	memset(&late, 0, sizeof late);
	ck_assert_int_eq(
	    redis_block(b, 1000, 6, xread_short, NULL, result_cb, &late), 0);
	ck_assert(run_until(base, &late.res_calls, 1, WAIT_MS));
	ck_assert_int_eq(late.res_fail, REDIS_FAIL_NONE);
	ck_assert_int_eq(late.res_type, REDIS_TYPE_NIL);

	/* XREAD waits (the server counts a blocked client) until XADD. */
	memset(&got, 0, sizeof got);
	ck_assert_int_eq(
	    redis_block(b, 10000, 6, xread, NULL, result_cb, &got), 0);
	for (;;) {
		call(base, c, &res, 2, info);
		if (strstr(res.res_str, "blocked_clients:1\r\n") != NULL)
			break;
	}
	ck_assert_int_eq(got.res_calls, 0);
	call(base, c, &res, 5, xadd);
	ck_assert_int_eq(res.res_type, REDIS_TYPE_STRING);
	ck_assert(run_until(base, &got.res_calls, 1, WAIT_MS));
	ck_assert_int_eq(got.res_fail, REDIS_FAIL_NONE);
	ck_assert_int_eq(got.res_type, REDIS_TYPE_ARRAY);
	ck_assert_uint_eq(got.res_nelem, 1);

	/* Freed while blocked: the callback hears it at once. */
	memset(&freed, 0, sizeof freed);
	xread[5] = "$";
	ck_assert_int_eq(
	    redis_block(b, 10000, 6, xread, NULL, result_cb, &freed), 0);
	redis_free(b);
	ck_assert_int_eq(freed.res_calls, 1);
	ck_assert_int_eq(freed.res_fail, REDIS_FAIL_FREED);
	ck_assert_int_eq(lb.l_downs, 0);
	redis_free(c);
	event_base_free(base);
	redis_server_free(&rs);
}
END_TEST

/* A callback's owner that frees the connection from inside it. */
struct freer {
	struct redis *f_redis; /* NULL once freed */
	int f_free_on_down; /* in the link's down callback too */
	struct result f_res;
	struct link f_link;
};

/* Records the result, then frees the connection. */
static void
freer_result_cb(
    const struct redis_reply *reply, enum redis_fail fail, void *arg)
{
	struct freer *f = arg;

	result_cb(reply, fail, &f->f_res);
	redis_free(f->f_redis);
	f->f_redis = NULL;
}

/* Counts ups and downs; frees the connection on a down if asked. */
static void
freer_link_cb(struct redis *r, int up, void *arg)
{
	struct freer *f = arg;

	link_cb(r, up, &f->f_link);
	if (!up && f->f_free_on_down) {
		redis_free(f->f_redis);
		f->f_redis = NULL;
	}
}

/* Connects f to rs, waits until it is up, freezes rs if asked. */
static void
freer_start(struct freer *f, struct event_base *base, struct redis_server *rs,
    unsigned command_ms, int freeze)
{
	struct redis_params p;

	memset(f, 0, sizeof *f);
	p = params(rs, &f->f_link);
	p.rp_command_ms = command_ms;
	p.rp_link_cb = freer_link_cb;
	p.rp_arg = f;
	f->f_redis = redis_new(base, &p);
	ck_assert_ptr_nonnull(f->f_redis);
	wait_up(base, &f->f_link, 1);
	if (freeze)
		redis_server_freeze(rs);
}

/*
 * Sends two GETs, the first one's callback freeing the connection, and
 * waits for it; returns how the second one ended.
 */
static enum redis_fail
freer_two(struct freer *f, struct event_base *base)
{
	const char *get[] = {"GET", "k"};
	struct result next;

	memset(&next, 0, sizeof next);
	ck_assert_int_eq(
	    redis_command(f->f_redis, 2, get, NULL, freer_result_cb, f), 0);
	ck_assert_int_eq(
	    redis_command(f->f_redis, 2, get, NULL, result_cb, &next), 0);
	ck_assert(run_until(base, &f->f_res.res_calls, 1, WAIT_MS));
	ck_assert_ptr_null(f->f_redis);
	/* redis_free calls what is pending before it returns. */
	ck_assert_int_eq(next.res_calls, 1);
	return next.res_fail;
}

START_TEST(test_free_in_callback)
{
	const char *get[] = {"GET", "k"};
	struct redis_server rs;
	struct event_base *base;
	struct result next, pending;
	struct freer f;

	redis_server_start(&rs, NULL);
	base = event_base_new();

	/* From a reply's callback. */
	freer_start(&f, base, &rs, 10000, 0);
	ck_assert_int_eq(freer_two(&f, base), REDIS_FAIL_FREED);
	ck_assert_int_eq(f.f_res.res_fail, REDIS_FAIL_NONE);

	/* From a timeout's callback, the server frozen. */
	freer_start(&f, base, &rs, 300, 1);
	ck_assert_int_eq(freer_two(&f, base), REDIS_FAIL_FREED);
	ck_assert_int_eq(f.f_res.res_fail, REDIS_FAIL_TIMEOUT);
	ck_assert_int_eq(f.f_link.l_downs, 1);
	redis_server_thaw(&rs);

	/* From the down callback, when a command timed out. */
	freer_start(&f, base, &rs, 300, 1);
	f.f_free_on_down = 1;
	ck_assert_int_eq(freer_two(&f, base), REDIS_FAIL_FREED);
	ck_assert_int_eq(f.f_res.res_fail, REDIS_FAIL_TIMEOUT);
	redis_server_thaw(&rs);

	/* From the down callback, the server killed. */
	freer_start(&f, base, &rs, 10000, 1);
	f.f_free_on_down = 1;
	memset(&next, 0, sizeof next);
	memset(&pending, 0, sizeof pending);
	ck_assert_int_eq(
	    redis_command(f.f_redis, 2, get, NULL, result_cb, &pending), 0);
	ck_assert_int_eq(
	    redis_command(f.f_redis, 2, get, NULL, result_cb, &next), 0);
	redis_server_kill(&rs);
	ck_assert(run_until(base, &f.f_link.l_downs, 1, WAIT_MS));
	ck_assert_ptr_null(f.f_redis);
	ck_assert(run_until(base, &pending.res_calls, 1, WAIT_MS));
	ck_assert_int_eq(pending.res_fail, REDIS_FAIL_DOWN);
	ck_assert_int_eq(next.res_calls, 1);
	ck_assert_int_eq(next.res_fail, REDIS_FAIL_FREED);
	/* Nothing runs later: the loop has no event left. */
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
	redis_server_free(&rs);
}
END_TEST

/* The suite. */
static Suite *
redis_suite(void)
{
	Suite *s = suite_create("redis");
	TCase *tc = tcase_create("redis");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_target);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_missing_socket);
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_block);
	tcase_add_test(tc, test_free_in_callback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (!redis_server_found()) {
		fprintf(stderr,
		    "redis-server not found: install the package "
		    "redis-server (see the README)\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_QUIET);
	return runner_run(redis_suite()) == 0 ? 0 : 1;
}
