/*
 * Tests of the notify module: the STATUS= summary (counting a cache's
 * entries per status and formatting the line, both pure), and what each
 * call sends, read from an AF_UNIX datagram socket that the test binds
 * in a mkdtemp() directory and names in NOTIFY_SOCKET, as systemd does.
 * Every receive is bounded; without libsystemd nothing may arrive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "cache.h"
#include "harness.h"
#include "log.h"
#include "notify.h"
#include "nsock.h"
#include "runner.h"
#include "source.h"

/* Bound on every wait for a datagram, in milliseconds. */
#define RECV_WAIT_MS 5000

/* A fixed wall time in ms. */
#define T0 1795000000000LL

/* Four sources, one per status once the test has polled them. */
static const char conf_text[] = "[source a]\n"
                                "url = http://a.example/\n"
                                "stat x = /x\n"
                                "[source b]\n"
                                "url = http://b.example/\n"
                                "stat x = /x\n"
                                "[source c]\n"
                                "url = http://c.example/\n"
                                "stat x = /x\n"
                                "[source d]\n"
                                "url = http://d.example/\n"
                                "stat x = /x\n";

/* Binds the test's end of NOTIFY_SOCKET and names it there. */
static void
notify_socket_open(struct nsock *n)
{
	nsock_open(n);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", n->n_path, 1), 0);
}

/* Unsets NOTIFY_SOCKET and removes the socket and its directory. */
static void
notify_socket_close(struct nsock *n)
{
	ck_assert_int_eq(unsetenv("NOTIFY_SOCKET"), 0);
	nsock_close(n);
}

/* Asserts that the next datagram is exactly want. */
static void
expect_datagram(struct nsock *n, const char *want)
{
	char buf[512];

#ifdef HAVE_SYSTEMD
	ck_assert_msg(nsock_recv(n, buf, sizeof buf, RECV_WAIT_MS),
	    "no datagram within %d ms; wanted \"%s\"", RECV_WAIT_MS, want);
	ck_assert_str_eq(buf, want);
#else
	ck_assert_msg(!nsock_recv(n, buf, sizeof buf, 0),
	    "datagram \"%s\" sent without libsystemd", buf);
	(void)want;
#endif
}

/* Asserts that no datagram is waiting. */
static void
expect_none(struct nsock *n)
{
	char buf[512];

	ck_assert_msg(!nsock_recv(n, buf, sizeof buf, 0),
	    "unexpected datagram \"%s\"", buf);
}

/* Loads conf_text into a new cache; *cf must be freed after it. */
static struct cache *
make_cache(struct config **cf)
{
	struct cache *c;

	*cf = harness_config(conf_text, "t.conf");
	c = cache_new(*cf);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Polls the cache's entries into a ok, b error, c stale, d pending. */
static void
poll_cache(struct cache *c)
{
	struct source_error err;

	source_error_set(&err, SOURCE_ERR_TIMEOUT, 0, T0, "timed out");
	cache_put_ok(c, cache_find(c, "a"), json_object_new_object(), T0);
	cache_put_error(c, cache_find(c, "b"), &err, 1000);
	cache_put_ok(c, cache_find(c, "c"), json_object_new_object(), T0);
	cache_put_error(c, cache_find(c, "c"), &err, 1000);
}

/* Formats counts into a buffer of len bytes and compares with want. */
static void
expect_format(size_t ok, size_t stale, size_t error, size_t pending, size_t len,
    const char *want)
{
	size_t counts[NOTIFY_NSTATUS];
	char buf[NOTIFY_STATUS_LEN];

	counts[CACHE_OK] = ok;
	counts[CACHE_STALE] = stale;
	counts[CACHE_ERROR] = error;
	counts[CACHE_PENDING] = pending;
	memset(buf, 'X', sizeof buf);
	ck_assert_uint_le(len, sizeof buf);
	notify_format_status(counts, buf, len);
	ck_assert_str_eq(buf, want);
}

/* The summary names the total, then the non-zero counts in a fixed order. */
START_TEST(test_format_status)
{
	char buf[4] = "abc";
	size_t counts[NOTIFY_NSTATUS] = {0};

	expect_format(0, 0, 0, 0, NOTIFY_STATUS_LEN, "0 sources");
	expect_format(1, 0, 0, 0, NOTIFY_STATUS_LEN, "1 source: 1 ok");
	expect_format(0, 0, 0, 1, NOTIFY_STATUS_LEN, "1 source: 1 pending");
	expect_format(
	    11, 1, 0, 0, NOTIFY_STATUS_LEN, "12 sources: 11 ok, 1 stale");
	expect_format(1, 2, 3, 4, NOTIFY_STATUS_LEN,
	    "10 sources: 1 ok, 2 stale, 3 error, 4 pending");
	expect_format(0, 0, 7, 0, NOTIFY_STATUS_LEN, "7 sources: 7 error");
	expect_format(100000, 0, 0, 2, NOTIFY_STATUS_LEN,
	    "100002 sources: 100000 ok, 2 pending");
	/* Truncated, always terminated, never past len. */
	expect_format(11, 1, 0, 0, 8, "12 sour");
	expect_format(11, 1, 0, 0, 16, "12 sources: 11 ");
	expect_format(11, 1, 0, 0, 22, "12 sources: 11 ok, 1 ");
	expect_format(11, 1, 0, 0, 1, "");
	/* A zero-length buffer is left alone. */
	notify_format_status(counts, buf, 0);
	ck_assert_str_eq(buf, "abc");
}
END_TEST

/* Counting follows cache_entry_status for every entry. */
START_TEST(test_count_status)
{
	size_t counts[NOTIFY_NSTATUS];
	struct config *cf;
	struct cache *c;
	char line[NOTIFY_STATUS_LEN];

	c = make_cache(&cf);
	memset(counts, 0xff, sizeof counts);
	notify_count_status(c, counts);
	ck_assert_uint_eq(counts[CACHE_PENDING], 4);
	ck_assert_uint_eq(counts[CACHE_OK], 0);
	ck_assert_uint_eq(counts[CACHE_STALE], 0);
	ck_assert_uint_eq(counts[CACHE_ERROR], 0);
	poll_cache(c);
	notify_count_status(c, counts);
	ck_assert_uint_eq(counts[CACHE_OK], 1);
	ck_assert_uint_eq(counts[CACHE_STALE], 1);
	ck_assert_uint_eq(counts[CACHE_ERROR], 1);
	ck_assert_uint_eq(counts[CACHE_PENDING], 1);
	notify_format_status(counts, line, sizeof line);
	ck_assert_str_eq(line, "4 sources: 1 ok, 1 stale, 1 error, 1 pending");
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Each call sends its one datagram to NOTIFY_SOCKET. */
START_TEST(test_send)
{
	struct nsock n;

	notify_socket_open(&n);
	notify_ready();
	expect_datagram(&n, "READY=1");
	notify_stopping();
	expect_datagram(&n, "STOPPING=1");
	notify_watchdog();
	expect_datagram(&n, "WATCHDOG=1");
	notify_status("polling %d sources", 3);
	expect_datagram(&n, "STATUS=polling 3 sources");
	expect_none(&n);
	notify_socket_close(&n);
	/* Without NOTIFY_SOCKET nothing is sent and nothing fails. */
	notify_ready();
	notify_watchdog();
}
END_TEST

/* RELOADING=1 carries the monotonic time of the call in microseconds. */
START_TEST(test_reloading)
{
	unsigned long long before, after, usec = 0;
	struct timespec ts;
	struct nsock n;
	char buf[512], end;

	notify_socket_open(&n);
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	before = (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
	notify_reloading();
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	after = (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
#ifdef HAVE_SYSTEMD
	ck_assert(nsock_recv(&n, buf, sizeof buf, RECV_WAIT_MS));
	ck_assert_msg(
	    sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu%c", &usec, &end) == 1,
	    "datagram \"%s\"", buf);
	ck_assert_msg(usec >= before && usec <= after,
	    "MONOTONIC_USEC %llu not in [%llu, %llu]", usec, before, after);
#else
	(void)usec;
	(void)end;
	(void)before;
	(void)after;
	ck_assert(!nsock_recv(&n, buf, sizeof buf, 0));
#endif
	notify_ready();
	expect_datagram(&n, "READY=1");
	notify_socket_close(&n);
}
END_TEST

/* The summary goes out when it changes and only then. */
START_TEST(test_update_status)
{
	struct config *cf;
	struct cache *c;
	struct nsock n;

	c = make_cache(&cf);
	notify_socket_open(&n);
	ck_assert_int_eq(notify_update_status(c), 1);
	expect_datagram(&n, "STATUS=4 sources: 4 pending");
	ck_assert_int_eq(notify_update_status(c), 0);
	ck_assert_int_eq(notify_update_status(c), 0);
	expect_none(&n);
	poll_cache(c);
	ck_assert_int_eq(notify_update_status(c), 1);
	expect_datagram(
	    &n, "STATUS=4 sources: 1 ok, 1 stale, 1 error, 1 pending");
	ck_assert_int_eq(notify_update_status(c), 0);
	expect_none(&n);
	notify_socket_close(&n);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* WATCHDOG_USEC turns the watchdog on, for this process only. */
START_TEST(test_watchdog_usec)
{
	char pid[32];

	ck_assert_int_eq(unsetenv("WATCHDOG_USEC"), 0);
	ck_assert_int_eq(unsetenv("WATCHDOG_PID"), 0);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "2000000", 1), 0);
#ifdef HAVE_SYSTEMD
	/* No WATCHDOG_PID: the variable is for whoever reads it. */
	ck_assert_uint_eq(notify_watchdog_usec(), 2000000);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	ck_assert_uint_eq(notify_watchdog_usec(), 2000000);
	/* Meant for another process. */
	snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
	ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_int_eq(unsetenv("WATCHDOG_PID"), 0);
#else
	(void)pid;
#endif
	/* Garbage is reported and turns the watchdog off. */
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "soon", 1), 0);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "0", 1), 0);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_int_eq(unsetenv("WATCHDOG_USEC"), 0);
}
END_TEST

/* Builds the suite. */
static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc;

	tc = tcase_create("status");
	tcase_add_test(tc, test_format_status);
	tcase_add_test(tc, test_count_status);
	suite_add_tcase(s, tc);

	tc = tcase_create("send");
	tcase_add_test(tc, test_send);
	tcase_add_test(tc, test_reloading);
	tcase_add_test(tc, test_update_status);
	tcase_add_test(tc, test_watchdog_usec);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	log_set_level(LOG_LEVEL_QUIET);
	/* The runner's own environment must not leak into the tests. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return runner_run(notify_suite()) == 0 ? 0 : 1;
}
