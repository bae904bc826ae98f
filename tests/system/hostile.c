/*
 * Hostile clients against the real gatherd binary: slowloris heads, ten
 * thousand connections opened and dropped, more connections than one
 * address may have, oversized URLs and headers, bodies, smuggling
 * headers, raw NUL and non-UTF-8 bytes and every path-escape trick.
 * After each attack gatherd must answer /healthz within HEALTHZ_MS, its
 * resident memory must stay within RSS_GROWTH_KB of where it started,
 * and its debug log must say what it refused.  The daemon runs with
 * small limits so that every wait is short; all loops are bounded.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "client.h"
#include "proc.h"
#include "runner.h"

/*
 * The liveness bound: /healthz on a new connection, retried while a
 * just-closed attack still holds the address's slots.  Generous, for
 * sanitizer builds on a busy machine; it answers in milliseconds.
 */
#define HEALTHZ_MS 2000

/*
 * The memory bound, over the resident size after a warm-up.  At most
 * MAX_CONNS connections live at once, each with a pool of CONN_MEMORY
 * bytes (1 MiB in all) and a few hundred bytes of MHD's and ours, so a
 * plain build must stay within 4 MiB (it grows by about 0.2).  Under
 * ASan freed blocks wait in a quarantine, capped here at QUARANTINE_MB,
 * before their memory is reused: 16 MiB more, and redzones, so 32 MiB
 * (it grows by about 15).  A leak smaller than a few kB per connection
 * passes the bound over 10,000 connections, so gatherd must also exit
 * cleanly under LeakSanitizer at the end.
 */
#define MAX_CONNS 64
#define PER_IP 16
#define CONN_MEMORY "16k"
#define QUARANTINE_MB 16
#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang */
#define HOSTILE_ASAN 1
#endif
#endif
#ifdef HOSTILE_ASAN
#define RSS_GROWTH_KB (32 * 1024)
#else
#define RSS_GROWTH_KB (4 * 1024)
#endif

/* Bound on reads. */
#define READ_MS 3000

/* The API token, and what a request to the file server sends with it. */
#define TOKEN "hostile-test-token-7f3a"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"

/* In the file outside web_root that no request may ever read. */
#define SECRET "SECRET-OUTSIDE-WEB-ROOT"

/* The daemon under attack, set up before the tests fork. */
static struct proc gatherd = {-1, {-1, -1}, {NULL, NULL}, {0, 0}};
static unsigned daemon_port;
static char dir[64]; /* config, web root, secret, logs */
static char log_path[128];
static long baseline_kb;

/* The upstream gatherd polls while it is under attack (a process). */
static struct proc upstream = {-1, {-1, -1}, {NULL, NULL}, {0, 0}};

/* Writes text to the file dir/name. */
static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* Removes dir/name, a file or an empty directory, if it is there. */
static void
remove_path(const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (unlink(path) == -1 && errno == EISDIR)
		(void)rmdir(path);
}

/* Opens a connection to the daemon; -1 if the connect fails. */
static int
conn_open(void)
{
	return raw_connect(daemon_port, READ_MS);
}

/* Sends req on a new connection and reads until the daemon closes. */
static char *
exchange(const void *req, size_t len, int *closed)
{
	int fd = conn_open();
	char *resp;

	ck_assert_msg(fd != -1, "cannot connect: %s", strerror(errno));
	/* A refusal may close before everything is sent: read anyway. */
	(void)raw_send(fd, req, len);
	resp = raw_read(fd, NULL, READ_MS, closed);
	close(fd);
	return resp;
}

/* Returns a field of /proc/PID/status in kB ("VmRSS"), or -1. */
static long
proc_kb(const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)gatherd.p_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* Returns the size of the daemon's log so far. */
static long
log_size(void)
{
	struct stat st;

	ck_assert_int_eq(stat(log_path, &st), 0);
	return (long)st.st_size;
}

/* Returns the log from offset on (caller frees). */
static char *
log_since(long offset)
{
	long size = log_size();
	char *text;
	FILE *f;
	size_t got;

	text = calloc(1, (size_t)(size - offset) + 1);
	ck_assert_ptr_nonnull(text);
	f = fopen(log_path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
	got = fread(text, 1, (size_t)(size - offset), f);
	text[got] = '\0';
	fclose(f);
	return text;
}

/* Waits (bounded) for a line holding needle in the log after offset. */
static void
assert_logged(long offset, const char *needle)
{
	long long deadline = now_ms() + HEALTHZ_MS;
	char *text;
	int found;

	for (;;) {
		text = log_since(offset);
		found = strstr(text, needle) != NULL;
		if (found || now_ms() >= deadline)
			break;
		free(text);
		usleep(20 * 1000);
	}
	ck_assert_msg(found, "no \"%s\" in the log:\n%s", needle, text);
	free(text);
}

/*
 * Returns how long /healthz took to answer 200 on a new connection,
 * retrying while connections are refused (an attack's closed sockets
 * may not be counted out yet); fails past HEALTHZ_MS.
 */
static long long
healthz_ms(void)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	                          "Connection: close\r\n\r\n";
	long long start = now_ms(), took;
	char *resp = NULL;
	int closed, fd;

	do {
		free(resp);
		resp = NULL;
		if ((fd = conn_open()) == -1)
			continue;
		if (raw_send(fd, req, sizeof req - 1) == 0)
			resp = raw_read(fd, "{\"status\":\"ok\"}\n",
			    (int)(start + HEALTHZ_MS - now_ms()), &closed);
		close(fd);
	} while ((resp == NULL || raw_status(resp) != 200) &&
	    now_ms() - start < HEALTHZ_MS);
	took = now_ms() - start;
	ck_assert_msg(resp != NULL && raw_status(resp) == 200,
	    "no /healthz within %d ms: %s", HEALTHZ_MS,
	    resp != NULL ? resp : "(nothing)");
	free(resp);
	return took;
}

/*
 * The checks after every attack: the daemon runs, answers /healthz in
 * time, has not grown past the bound and logged each of the NULL-ended
 * lines that follow offset.
 */
static void
check_after(const char *attack, long offset, ...)
{
	const char *needle;
	long long took;
	long rss;
	va_list ap;

	ck_assert_msg(kill(gatherd.p_pid, 0) == 0, "gatherd is gone");
	took = healthz_ms();
	rss = proc_kb("VmRSS");
	ck_assert_int_gt(rss, 0);
	printf("hostile: %-16s /healthz %3lld ms, VmRSS %6ld kB (%+ld kB, at "
	       "most %+d)\n",
	    attack, took, rss, rss - baseline_kb, RSS_GROWTH_KB);
	fflush(stdout);
	ck_assert_msg(rss - baseline_kb <= RSS_GROWTH_KB,
	    "%s: VmRSS grew by %ld kB, over %d kB", attack, rss - baseline_kb,
	    RSS_GROWTH_KB);
	va_start(ap, offset);
	while ((needle = va_arg(ap, const char *)) != NULL)
		assert_logged(offset, needle);
	va_end(ap);
}

/*
 * Slowloris: PER_IP - 4 connections each send a byte of an endless
 * head every 200 ms.  /healthz must be served meanwhile, and each of
 * them cut off at the 2 s head deadline though none ever idles.
 */
START_TEST(test_slowloris)
{
	static const char head[] =
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ";
	enum { N = PER_IP - 4 };
	long offset = log_size();
	long long start = now_ms(), cut[N];
	int fds[N], open_n = N, i, round = 0;
	struct pollfd pfd;
	char c;

	for (i = 0; i < N; i++) {
		fds[i] = conn_open();
		ck_assert_int_ne(fds[i], -1);
		cut[i] = -1;
	}
	/* 40 rounds of 200 ms: 8 s at most. */
	while (open_n > 0 && round++ < 40) {
		for (i = 0; i < N; i++) {
			if (cut[i] != -1)
				continue;
			c = round <= (int)sizeof head - 1 ? head[round - 1]
			                                  : 'a';
			pfd = (struct pollfd){fds[i], POLLIN, 0};
			if (raw_send(fds[i], &c, 1) == -1 ||
			    (poll(&pfd, 1, 0) == 1 &&
			        recv(fds[i], &c, 1, 0) <= 0)) {
				cut[i] = now_ms() - start;
				open_n--;
			}
		}
		if (round % 5 == 0)
			(void)healthz_ms(); /* alive under attack */
		usleep(200 * 1000);
	}
	for (i = 0; i < N; i++) {
		close(fds[i]);
		ck_assert_msg(cut[i] != -1, "connection %d never cut off", i);
		ck_assert_msg(cut[i] >= 1500 && cut[i] <= 5000,
		    "connection %d cut off after %lld ms", i, cut[i]);
	}
	check_after("slowloris", offset,
	    "closing the connection from 127.0.0.1: no complete request "
	    "within 2s",
	    NULL);
}
END_TEST

/*
 * 10,000 connections opened and dropped: closed at once, closed after
 * half a request, closed with a full request unread, or reset.  Every
 * 500 of them /healthz is asked for, behind whatever is still queued.
 */
START_TEST(test_ten_thousand)
{
	static const char part[] = "GET /api/v1/sta";
	static const char full[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	long offset = log_size();
	long long start = now_ms(), took, worst = 0;
	int i, fd, failed = 0;

	for (i = 0; i < 10000 && now_ms() - start < 40000; i++) {
		if (i % 500 == 499 && (took = healthz_ms()) > worst)
			worst = took;
		if ((fd = conn_open()) == -1) {
			failed++;
			continue;
		}
		switch (i % 4) {
		case 0:
			close(fd);
			break;
		case 1:
			(void)raw_send(fd, part, sizeof part - 1);
			close(fd);
			break;
		case 2:
			(void)raw_send(fd, full, sizeof full - 1);
			close(fd);
			break;
		default:
			raw_reset(fd);
			break;
		}
	}
	printf("hostile: 10000 connections in %lld ms, %d connects failed, "
	       "/healthz within %lld ms meanwhile\n",
	    now_ms() - start, failed, worst);
	ck_assert_msg(i == 10000, "only %d connections within 40 s", i);
	check_after("10k connections", offset,
	    "closing the connection from 127.0.0.1: the client closed it "
	    "before a complete request",
	    NULL);
}
END_TEST

/* Opens a connection, has one request answered and keeps it open. */
static int
hold_one(void)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = conn_open(), closed;
	char *resp;

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(raw_send(fd, req, sizeof req - 1), 0);
	resp = raw_read(fd, "{\"status\":\"ok\"}\n", READ_MS, &closed);
	ck_assert_msg(raw_status(resp) == 200, "not served: %s", resp);
	free(resp);
	return fd;
}

/* More connections than one address may have: the extra ones close. */
START_TEST(test_per_ip)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	enum { EXTRA = 8 };
	long offset = log_size();
	int fds[PER_IP], i, fd, closed, refused = 0;
	char *resp;

	for (i = 0; i < PER_IP; i++)
		fds[i] = hold_one();
	for (i = 0; i < EXTRA; i++) {
		if ((fd = conn_open()) == -1) {
			refused++;
			continue;
		}
		(void)raw_send(fd, req, sizeof req - 1);
		resp = raw_read(fd, NULL, READ_MS, &closed);
		refused += closed && resp[0] == '\0';
		free(resp);
		close(fd);
	}
	ck_assert_int_eq(refused, EXTRA);
	for (i = 0; i < PER_IP; i++)
		close(fds[i]);
	check_after("per-IP limit", offset,
	    "Server reached connection limit. Closing inbound connection "
	    "(http_max_connections or http_max_connections_per_ip)",
	    NULL);
}
END_TEST

/* Returns prefix, n bytes of fill, then rest (caller frees); *len. */
static char *
make_request(
    const char *prefix, size_t n, char fill, const char *rest, size_t *len)
{
	size_t p = strlen(prefix), r = strlen(rest);
	char *req = malloc(p + n + 32 + r);

	ck_assert_ptr_nonnull(req);
	memcpy(req, prefix, p);
	memset(req + p, fill, n);
	memcpy(req + p + n, rest, r + 1);
	*len = p + n + r;
	return req;
}

/* Sends req (len bytes) and asserts the status and that it closed. */
static void
expect_closed_with(const char *req, size_t len, long status)
{
	char *resp;
	int closed;

	resp = exchange(req, len, &closed);
	ck_assert_msg(
	    raw_status(resp) == status, "not %ld: %.300s", status, resp);
	ck_assert_msg(closed, "left open: %.300s", resp);
	free(resp);
}

/* Oversized URLs and headers: gatherd's 414, MHD's 414 and 431. */
START_TEST(test_oversized)
{
	static const char rest[] = " HTTP/1.1\r\nHost: x\r\n\r\n";
	long offset = log_size();
	size_t len, i;
	char *req;

	req = make_request("GET /healthz?q=", 3000, 'a', rest, &len);
	expect_closed_with(req, len, 414);
	free(req);
	req = make_request("GET /", 40000, 'a', rest, &len);
	expect_closed_with(req, len, 414);
	free(req);
	/* A request line that never ends. */
	req = make_request("GET /", 100000, 'a', "", &len);
	expect_closed_with(req, len, 414);
	free(req);
	req = make_request("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", 40000,
	    'b', "\r\n\r\n", &len);
	expect_closed_with(req, len, 431);
	free(req);
	/* Many small headers: 400 of them, 40 kB. */
	req = malloc(400 * 100 + 64);
	ck_assert_ptr_nonnull(req);
	len = (size_t)sprintf(req, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; i < 400; i++)
		len += (size_t)sprintf(req + len, "X-H%03zu: %090d\r\n", i, 0);
	len += (size_t)sprintf(req + len, "\r\n");
	expect_closed_with(req, len, 431);
	free(req);
	check_after("oversized", offset,
	    "refused GET from 127.0.0.1: 414 the URL is longer than 2048 "
	    "bytes",
	    "HTTP response code is 414). Closing connection",
	    "HTTP response code is 431). Closing connection", NULL);
}
END_TEST

/* Bodies on GET, chunks, two lengths, a length and chunks, bad lengths. */
START_TEST(test_bodies)
{
	static const struct {
		const char *req;
		long status;
	} cases[] = {
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
	     "hello",
	        413},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	        413},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\n"
	     "Transfer-Encoding: chunked\r\n\r\nzz\r\nbad chunk\r\n",
	        413},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	     "Content-Length: 5\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
	        400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	        400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\n"
	     "Content-Length: 99999999999999999999999\r\n\r\n",
	        413},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n",
	        400},
	    {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n"
	     "hello",
	        400},
	};
	long offset = log_size();
	size_t i, len;
	char *req, *resp;
	int closed;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_closed_with(
		    cases[i].req, strlen(cases[i].req), cases[i].status);
	/* A megabyte of POST body: refused before it is read. */
	req = make_request("POST /api/v1/stats HTTP/1.1\r\nHost: x\r\n"
	                   "Content-Length: 1048576\r\n\r\n",
	    1048576, 'p', "", &len);
	resp = exchange(req, len, &closed);
	ck_assert_msg(
	    raw_status(resp) == 405 || raw_status(resp) == 0, "%.300s", resp);
	free(resp);
	free(req);
	check_after("bodies", offset,
	    "refused GET from 127.0.0.1: 413 requests must not have a body",
	    "refused GET from 127.0.0.1: 400 conflicting Content-Length or "
	    "Transfer-Encoding",
	    "HTTP response code is 400). Closing connection",
	    "refused POST from 127.0.0.1: 405", NULL);
}
END_TEST

/* Methods other than GET and HEAD, also broken ones. */
START_TEST(test_methods)
{
	static const char *methods[] = {"POST", "PUT", "DELETE", "PATCH",
	    "TRACE", "CONNECT", "OPTIONS", "get", "PROPFIND", "G\x01T"};
	long offset = log_size();
	char req[256], *resp;
	long status;
	size_t i;
	int closed;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		snprintf(req, sizeof req,
		    "%s /api/v1/stats HTTP/1.1\r\nHost: x\r\n"
		    "Origin: https://evil.example\r\nConnection: close\r\n"
		    "\r\n",
		    methods[i]);
		resp = exchange(req, strlen(req), &closed);
		status = raw_status(resp);
		ck_assert_msg(status == 405 || status == 400, "%s: %.300s",
		    methods[i], resp);
		free(resp);
	}
	check_after("methods", offset,
	    "refused DELETE from 127.0.0.1: 405 only GET and HEAD are allowed",
	    "refused G?T from 127.0.0.1: 405", NULL);
}
END_TEST

/* A wrong token is refused, and neither it nor the real one is logged. */
START_TEST(test_auth)
{
	static const char req[] = "GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n"
	                          "Authorization: Bearer WRONG-" TOKEN "\r\n"
	                          "Connection: close\r\n\r\n";
	long offset = log_size();
	char *resp, *text;
	int closed;

	resp = exchange(req, sizeof req - 1, &closed);
	ck_assert_msg(raw_status(resp) == 401, "%.300s", resp);
	free(resp);
	check_after("auth", offset,
	    "refused GET from 127.0.0.1: 401 missing or wrong bearer token",
	    NULL);
	text = log_since(0);
	ck_assert_msg(strstr(text, TOKEN) == NULL, "a token was logged");
	free(text);
}
END_TEST

/* Sends GET target (len bytes, any bytes) with the token; the answer. */
static char *
get_raw(const char *target, size_t tlen, int *closed)
{
	static const char tail[] =
	    " HTTP/1.1\r\nHost: x\r\n" AUTH "Connection: close\r\n\r\n";
	char req[4096];
	size_t len;

	ck_assert_uint_lt(4 + tlen + sizeof tail, sizeof req);
	memcpy(req, "GET ", 4);
	memcpy(req + 4, target, tlen);
	memcpy(req + 4 + tlen, tail, sizeof tail - 1);
	len = 4 + tlen + sizeof tail - 1;
	return exchange(req, len, closed);
}

/* Asserts target is refused (4xx) and shows nothing of the secret. */
static void
expect_no_escape(const char *target, size_t tlen)
{
	char *resp;
	long status;
	int closed;

	resp = get_raw(target, tlen, &closed);
	status = raw_status(resp);
	ck_assert_msg(
	    strstr(resp, SECRET) == NULL, "%s served the secret", target);
	ck_assert_msg(
	    status >= 400 && status < 500, "%s: %.300s", target, resp);
	free(resp);
}

/* Every path-escape trick, encoded and raw: none leaves web_root. */
START_TEST(test_path_escapes)
{
	static const char *targets[] = {"/../secret.txt", "/../../secret.txt",
	    "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
	    "/.%2e/secret.txt", "/%2e./secret.txt", "/..%2fsecret.txt",
	    "/%2e%2e%2fsecret.txt", "/sub%2f..%2f..%2fsecret.txt",
	    "/sub/%2e%2e/%2e%2e/secret.txt", "/%252e%252e/secret.txt",
	    "/..\\secret.txt", "/%5c..%5csecret.txt",
	    "/sub\\..\\..\\secret.txt", "//secret.txt", "//../secret.txt",
	    "/sub//../../secret.txt", "/%00../secret.txt",
	    "/../secret.txt%00.html", "/index.html%00/../../secret.txt",
	    "/%c0%ae%c0%ae/secret.txt", "/%c0%2e%c0%2e/secret.txt",
	    "/%e0%80%ae%e0%80%ae/secret.txt", "/%f0%80%80%ae%f0%80%80%ae/x",
	    "/..%c0%afsecret.txt", "/..%c1%9csecret.txt",
	    "/..%e0%80%afsecret.txt", "/....//secret.txt", "/..;/secret.txt",
	    "/link", "/sub/link", "/./index.html", "/sub/../index.html",
	    "/%2e/index.html", "/.hidden", "/sub/.hidden",
	    "http://x/../secret.txt", "/%2e%2e%5csecret.txt",
	    "/sub/..%00/..%00/secret.txt"};
	static const char raw[][24] = {"/\xc0\xae\xc0\xae/secret.txt",
	    "/..\xc0\xafsecret.txt", "/\xe0\x80\xae\xe0\x80\xae/secret.txt"};
	long offset = log_size();
	char *resp;
	size_t i;
	int closed;

	/* The web root works, so refusals below mean something. */
	resp = get_raw("/index.html", 11, &closed);
	ck_assert_msg(raw_status(resp) == 200 && strstr(resp, "hostile-index"),
	    "%.300s", resp);
	free(resp);
	for (i = 0; i < sizeof targets / sizeof targets[0]; i++)
		expect_no_escape(targets[i], strlen(targets[i]));
	for (i = 0; i < sizeof raw / sizeof raw[0]; i++)
		expect_no_escape(raw[i], strlen(raw[i]));
	check_after("path escapes", offset, NULL);
}
END_TEST

/*
 * NUL, control and non-UTF-8 bytes in the path, raw and encoded.  A raw
 * NUL cuts the request target there (MHD parses C strings): what is
 * served is the prefix, which passes the same checks as any path.
 */
START_TEST(test_path_bytes)
{
	static const struct {
		const char *t;
		size_t len;
		long status;
	} targets[] = {
	    {"/he\0althz", 9, 404},
	    {"/\0", 2, 200}, /* "/": the index */
	    {"/index.html\0/../../secret.txt", 30, 200},
	    {"/\xff\xfe\xfd", 4, 404},
	    {"/\x80", 2, 404},
	    {"/\xed\xa0\x80", 4, 404}, /* a UTF-16 surrogate */
	    {"/\x01\x02\x7f", 4, 404},
	    {"/%ff%fe", 7, 404},
	    {"/%00", 4, 404},
	    {"/api/v1/stats/%00", 17, 404},
	    {"/api/v1/stats/%ff", 17, 404},
	    {"/api/v1/sources/%00/history?stat=%00", 36, 404},
	    {"/api/v1/sources/main/history?stat=total&since=%00", 49, 400},
	    {"/healthz%00", 11, 404},
	    {"/%", 2, 404},
	    {"/%zz", 4, 404},
	    {"/%u002e%u002e/secret.txt", 24, 404},
	};
	long offset = log_size();
	char *resp;
	size_t i;
	int closed;

	for (i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		resp = get_raw(targets[i].t, targets[i].len, &closed);
		ck_assert_msg(raw_status(resp) == targets[i].status,
		    "target %zu: not %ld: %.300s", i, targets[i].status, resp);
		ck_assert_msg(strstr(resp, SECRET) == NULL,
		    "target %zu served the secret", i);
		if (targets[i].status == 200)
			ck_assert(strstr(resp, "hostile-index") != NULL);
		free(resp);
	}
	check_after("path bytes", offset, NULL);
}
END_TEST

/* 1,000 pipelined requests in one write, all answered in order. */
START_TEST(test_pipelined)
{
	static const char one[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	enum { N = 1000 };
	long offset = log_size();
	char *reqs, *resp, *p;
	int fd, closed, n = 0;
	size_t i;

	reqs = malloc(N * (sizeof one - 1));
	ck_assert_ptr_nonnull(reqs);
	for (i = 0; i < N; i++)
		memcpy(reqs + i * (sizeof one - 1), one, sizeof one - 1);
	fd = conn_open();
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(raw_send(fd, reqs, N * (sizeof one - 1)), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	resp = raw_read(fd, NULL, 10000, &closed);
	for (p = resp; (p = strstr(p, "HTTP/1.1 200 OK")) != NULL; p++)
		n++;
	ck_assert_msg(n == N, "%d of %d pipelined requests answered", n, N);
	free(resp);
	free(reqs);
	close(fd);
	check_after("pipelined", offset, NULL);
}
END_TEST

/*
 * Clients that ask and never read: twelve connections each pipeline
 * requests for the dashboard's 64 kB script and stop reading.  gatherd
 * keeps serving others, and drops them at the 2 s idle timeout.
 */
START_TEST(test_slow_readers)
{
	static const char one[] =
	    "GET /app.js HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n";
	enum { N = 12, REQS = 200 };
	long offset = log_size();
	long long start;
	int fds[N], i, j, closed, gone = 0;
	struct pollfd pfd;
	char *resp;

	for (i = 0; i < N; i++) {
		fds[i] = conn_open();
		ck_assert_int_ne(fds[i], -1);
		/* As many as the socket takes without waiting. */
		for (j = 0; j < REQS; j++) {
			pfd = (struct pollfd){fds[i], POLLOUT, 0};
			if (poll(&pfd, 1, 0) != 1 ||
			    send(fds[i], one, sizeof one - 1,
			        MSG_NOSIGNAL | MSG_DONTWAIT) <= 0)
				break;
		}
	}
	/* Not a byte read for 3.5 s, while others are served. */
	start = now_ms();
	while (now_ms() - start < 3500) {
		(void)healthz_ms();
		usleep(500 * 1000);
	}
	/* Now read: each must come to its end (data, then reset or end). */
	for (i = 0; i < N; i++) {
		resp = raw_read(fds[i], NULL, 2000, &closed);
		gone += closed;
		free(resp);
		close(fds[i]);
	}
	ck_assert_msg(
	    gone == N, "%d of %d slow readers still open", N - gone, N);
	check_after("slow readers", offset, NULL);
}
END_TEST

/* More event streams than max_event_streams: 503 for the rest. */
START_TEST(test_streams)
{
	static const char req[] =
	    "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n" AUTH "\r\n";
	enum { N = 8 };
	long offset = log_size();
	int fds[N], i, closed, ok = 0, busy = 0;
	char *resp;

	for (i = 0; i < N; i++) {
		fds[i] = conn_open();
		ck_assert_int_ne(fds[i], -1);
		ck_assert_int_eq(raw_send(fds[i], req, sizeof req - 1), 0);
		resp = raw_read(fds[i], "\r\n\r\n", READ_MS, &closed);
		ok += raw_status(resp) == 200;
		busy += raw_status(resp) == 503;
		free(resp);
	}
	ck_assert_int_eq(ok, 4);
	ck_assert_int_eq(busy, N - 4);
	for (i = 0; i < N; i++)
		close(fds[i]);
	check_after(
	    "event streams", offset, "event stream refused: 4 open", NULL);
}
END_TEST

/* Writes the config, the web root and the secret into dir. */
static void
make_files(unsigned up_port)
{
	char conf[1024], path[256], target[256], *js;

	write_file("secret.txt", SECRET "\n");
	write_file("token", TOKEN "\n");
	snprintf(path, sizeof path, "%s/token", dir);
	ck_assert_int_eq(chmod(path, 0600), 0);
	snprintf(path, sizeof path, "%s/state", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/web", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/web/sub", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	write_file("web/index.html", "<!doctype html><p>hostile-index\n");
	write_file("web/.hidden", SECRET "\n");
	write_file("web/sub/.hidden", SECRET "\n");
	/* Big enough that 200 of them fill any socket buffer. */
	js = malloc(64 * 1024 + 1);
	ck_assert_ptr_nonnull(js);
	memset(js, '/', 64 * 1024);
	js[64 * 1024] = '\0';
	write_file("web/app.js", js);
	free(js);
	snprintf(path, sizeof path, "%s/web/link", dir);
	snprintf(target, sizeof target, "%s/secret.txt", dir);
	ck_assert_int_eq(symlink(target, path), 0);
	snprintf(path, sizeof path, "%s/web/sub/link", dir);
	ck_assert_int_eq(symlink("../../secret.txt", path), 0);
	snprintf(conf, sizeof conf,
	    "[gatherd]\n"
	    "listen = 127.0.0.1:0\n"
	    "initial_spread = 0\n"
	    "web_root = %s/web\n"
	    "state_dir = %s/state\n"
	    "api_token_file = token\n"
	    "max_event_streams = 4\n"
	    "http_connection_timeout = 2s\n"
	    "http_max_connections = %d\n"
	    "http_max_connections_per_ip = %d\n"
	    "http_connection_memory = " CONN_MEMORY "\n"
	    "allow_origins = https://dash.example\n"
	    "\n"
	    "[source main]\n"
	    "url = http://127.0.0.1:%u/stats?name=main\n"
	    "interval = 500ms\n"
	    "timeout = 2s\n"
	    "stat total = /data/total\n",
	    dir, dir, MAX_CONNS, PER_IP, up_port);
	write_file("gatherd.conf", conf);
}

/* Starts argv[0] as p, its stdout and stderr appended to dir/out. */
static void
spawn(
    struct proc *p, const char *const argv[], const char *out, const char *asan)
{
	char path[128];

	snprintf(path, sizeof path, "%s/%s", dir, out);
	proc_start_logged(p, argv, path, asan);
}

/* Waits (bounded) for prefix and a port in dir/name; the port, or 0. */
static unsigned
wait_port(const char *name, const char *prefix)
{
	long long deadline = now_ms() + PROC_WAIT_MS;
	char path[128], text[4096], *at;
	unsigned port = 0;
	size_t got;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	while (port == 0 && now_ms() < deadline) {
		if ((f = fopen(path, "r")) != NULL) {
			got = fread(text, 1, sizeof text - 1, f);
			text[got] = '\0';
			fclose(f);
			if ((at = strstr(text, prefix)) != NULL &&
			    strchr(at, '\n') != NULL)
				port = (unsigned)strtoul(
				    at + strlen(prefix), NULL, 10);
		}
		if (port == 0)
			usleep(20 * 1000);
	}
	return port;
}

/* Starts the fake upstream program; returns its port, or 0. */
static unsigned
start_upstream(void)
{
	static const char *const argv[] = {FAKE_UPSTREAM_BIN, "-p", "0", NULL};

	spawn(&upstream, argv, "upstream.log", "ASAN_OPTIONS=detect_leaks=0");
	return wait_port(
	    "upstream.log", "fake-upstream: listening on http://127.0.0.1:");
}

/* Starts gatherd -v -c dir/gatherd.conf, its log in log_path. */
static void
start_daemon(void)
{
	static char asan[64], conf[128];
	const char *const argv[] = {GATHERD_BIN, "-v", "-c", conf, NULL};

	snprintf(conf, sizeof conf, "%s/gatherd.conf", dir);
	snprintf(log_path, sizeof log_path, "%s/gatherd.log", dir);
	snprintf(asan, sizeof asan,
	    "ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=%d", QUARANTINE_MB);
	spawn(&gatherd, argv, "gatherd.log", asan);
}

/* Makes some ordinary requests so that later growth is not warm-up. */
static void
warm_up(void)
{
	static const char *reqs[] = {
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    "GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n" AUTH
	    "Connection: close\r\n\r\n",
	    "GET /index.html HTTP/1.1\r\nHost: x\r\n" AUTH
	    "Connection: close\r\n\r\n",
	    "GET /nope HTTP/1.1\r\nHost: x\r\n" AUTH
	    "Origin: https://dash.example\r\nConnection: close\r\n\r\n",
	    "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n" AUTH
	    "Connection: close\r\n\r\n",
	};
	char *resp;
	int i, closed;
	size_t k;

	for (i = 0; i < 100; i++) {
		for (k = 0; k < sizeof reqs / sizeof reqs[0]; k++) {
			int fd = conn_open();

			if (fd == -1)
				continue;
			(void)raw_send(fd, reqs[k], strlen(reqs[k]));
			/* Streams never end: take the head and go. */
			resp = raw_read(fd, "\r\n\r\n", READ_MS, &closed);
			free(resp);
			close(fd);
		}
	}
}

/* Removes everything make_files made; once. */
static void
remove_files(void)
{
	static const char *names[] = {"web/sub/link", "web/sub/.hidden",
	    "web/sub", "web/link", "web/app.js", "web/.hidden",
	    "web/index.html", "web", "state/state.json", "state", "secret.txt",
	    "token", "gatherd.conf", "gatherd.log", "upstream.log"};
	size_t i;

	if (dir[0] == '\0')
		return;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		remove_path(names[i]);
	(void)rmdir(dir);
	dir[0] = '\0';
}

/* Starts the upstream and gatherd, warms it up and notes its memory. */
static void
setup(void)
{
	unsigned up;
	char *text;

	snprintf(dir, sizeof dir, "/tmp/gatherd-hostile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	up = start_upstream();
	ck_assert_msg(up != 0, "the fake upstream did not start");
	make_files(up);
	start_daemon();
	daemon_port =
	    wait_port("gatherd.log", "listening on http://127.0.0.1:");
	if (daemon_port == 0) {
		text = log_since(0);
		fprintf(stderr, "hostile: gatherd's log:\n%s\n", text);
		free(text);
		ck_abort_msg("gatherd did not start");
	}
	warm_up();
	usleep(300 * 1000);
	baseline_kb = proc_kb("VmRSS");
	printf("hostile: gatherd pid %d on port %u, VmRSS %ld kB after "
	       "warm-up\n",
	    (int)gatherd.p_pid, daemon_port, baseline_kb);
	fflush(stdout);
}

/*
 * Stops gatherd, which must exit 0: under ASan that also means no leak
 * and no error on the way out; its log must hold no sanitizer report.
 */
static void
teardown(void)
{
	int status, clean;
	char *text;

	printf("hostile: VmRSS %ld kB, VmHWM %ld kB at the end\n",
	    proc_kb("VmRSS"), proc_kb("VmHWM"));
	fflush(stdout);
	status = proc_stop(&gatherd);
	(void)proc_stop(&upstream);
	text = log_since(0);
	clean = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    strstr(text, "Sanitizer") == NULL &&
	    strstr(text, "runtime error") == NULL;
	if (!clean)
		fprintf(stderr, "hostile: gatherd's log:\n%s\n", text);
	free(text);
	remove_files();
	ck_assert_msg(clean, "gatherd did not exit cleanly (status %#x)",
	    (unsigned)status);
}

/* Builds the suite: one daemon, then each attack and its checks. */
static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("attacks");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_slowloris);
	tcase_add_test(tc, test_ten_thousand);
	tcase_add_test(tc, test_per_ip);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_bodies);
	tcase_add_test(tc, test_methods);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_path_escapes);
	tcase_add_test(tc, test_path_bytes);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_slow_readers);
	tcase_add_test(tc, test_streams);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int failed;

	failed = runner_run(hostile_suite());
	/* After a failed setup no teardown ran: clean up here. */
	(void)proc_stop(&gatherd);
	(void)proc_stop(&upstream);
	proc_free(&gatherd);
	proc_free(&upstream);
	remove_files();
	return failed == 0 ? 0 : 1;
}
