/*
 * Unit tests for the admit module: the global and per-host caps, the
 * per-host FIFO, hosts served round-robin, hosts told apart by scheme,
 * name (any case) and port, and tickets freed while waiting or in
 * flight.  No network: tickets stand for plain integers.
 */
#include <check.h>

#include "admit.h"
#include "log.h"
#include "runner.h"

static int ids[8] = {0, 1, 2, 3, 4, 5, 6, 7};

/* Makes n tickets in a: ticket i polls urls[i] and stands for ids[i]. */
static void
tickets_new(struct admit *a, struct admit_ticket **t, const char **urls, int n)
{
	int i;

	ck_assert_ptr_nonnull(a);
	for (i = 0; i < n; i++) {
		t[i] = admit_ticket_new(a, urls[i], &ids[i]);
		ck_assert_ptr_nonnull(t[i]);
	}
}

/* Frees n tickets, which leaves nothing in flight, then a. */
static void
tickets_free(struct admit *a, struct admit_ticket **t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		admit_ticket_free(a, t[i]);
	ck_assert_uint_eq(admit_in_flight(a), 0);
	ck_assert_ptr_null(admit_next(a));
	admit_free(a);
}

/* Returns the id of the next ticket admit lets start, or -1. */
static int
next_id(struct admit *a)
{
	int *id = admit_next(a);

	return id != NULL ? *id : -1;
}

/* Per host: max_per_host start, the rest wait in order. */
START_TEST(test_per_host)
{
	const char *urls[] = {"http://up.example/s", "http://up.example/s",
	    "http://up.example/s", "http://up.example/s"};
	struct admit *a = admit_new(10, 2);
	struct admit_ticket *t[4];

	tickets_new(a, t, urls, 4);
	ck_assert_int_eq(admit_request(a, t[0]), 1);
	ck_assert_int_eq(admit_request(a, t[1]), 1);
	ck_assert_int_eq(admit_request(a, t[2]), 0);
	ck_assert_int_eq(admit_request(a, t[3]), 0);
	/* Waiting already: nothing changes. */
	ck_assert_int_eq(admit_request(a, t[2]), -1);
	ck_assert_uint_eq(admit_in_flight(a), 2);
	ck_assert_int_eq(next_id(a), -1);
	admit_done(a, t[0]);
	ck_assert_int_eq(next_id(a), 2);
	ck_assert_int_eq(next_id(a), -1);
	admit_done(a, t[1]);
	ck_assert_int_eq(next_id(a), 3);
	ck_assert_uint_eq(admit_in_flight(a), 2);
	tickets_free(a, t, 4);
}
END_TEST

/* A host with polls waiting goes first: no poll jumps its queue. */
START_TEST(test_no_jumping)
{
	const char *urls[] = {"http://a/", "http://a/", "http://a/"};
	struct admit *a = admit_new(1, 8);
	struct admit_ticket *t[3];

	tickets_new(a, t, urls, 3);
	ck_assert_int_eq(admit_request(a, t[0]), 1);
	ck_assert_int_eq(admit_request(a, t[1]), 0);
	admit_done(a, t[0]);
	/* Room again, but t1 waits first. */
	ck_assert_int_eq(admit_request(a, t[2]), 0);
	ck_assert_int_eq(next_id(a), 1);
	ck_assert_int_eq(next_id(a), -1);
	admit_done(a, t[1]);
	ck_assert_int_eq(next_id(a), 2);
	tickets_free(a, t, 3);
}
END_TEST

/* The global cap: hosts with waiting polls are served in turn. */
START_TEST(test_round_robin)
{
	const char *urls[] = {"http://a/", "http://a/", "http://a/",
	    "http://b/", "http://b/", "http://c/"};
	/* Ready order: a (1), b (3), c (5); a and b go to the back. */
	const int order[] = {1, 3, 5, 2, 4};
	struct admit *a = admit_new(1, 8);
	struct admit_ticket *t[6];
	int i, prev = 0;

	tickets_new(a, t, urls, 6);
	ck_assert_int_eq(admit_request(a, t[0]), 1);
	for (i = 1; i < 6; i++)
		ck_assert_int_eq(admit_request(a, t[i]), 0);
	for (i = 0; i < 5; i++) {
		admit_done(a, t[prev]);
		ck_assert_int_eq(next_id(a), order[i]);
		ck_assert_int_eq(next_id(a), -1);
		prev = order[i];
	}
	tickets_free(a, t, 6);
}
END_TEST

/* One host is scheme, lower-cased name and port (default filled in). */
START_TEST(test_host_key)
{
	const char *urls[] = {"http://Up.Example/x", "http://up.example:80/y",
	    "https://up.example/x", "http://up.example:8080/x"};
	struct admit *a = admit_new(10, 1);
	struct admit_ticket *t[4];

	tickets_new(a, t, urls, 4);
	ck_assert_int_eq(admit_request(a, t[0]), 1);
	ck_assert_int_eq(admit_request(a, t[1]), 0); /* same host */
	ck_assert_int_eq(admit_request(a, t[2]), 1); /* other scheme */
	ck_assert_int_eq(admit_request(a, t[3]), 1); /* other port */
	ck_assert_ptr_null(admit_ticket_new(a, "not a url", &ids[4]));
	tickets_free(a, t, 4);
}
END_TEST

/* Freeing a ticket gives its slot back or leaves its queue. */
START_TEST(test_ticket_free)
{
	const char *urls[] = {"http://a/", "http://a/", "http://a/"};
	struct admit *a = admit_new(10, 1);
	struct admit_ticket *t[3];

	tickets_new(a, t, urls, 3);
	ck_assert_int_eq(admit_request(a, t[0]), 1);
	ck_assert_int_eq(admit_request(a, t[1]), 0);
	ck_assert_int_eq(admit_request(a, t[2]), 0);
	admit_ticket_free(a, t[1]); /* waiting: leaves the queue */
	admit_ticket_free(a, t[0]); /* in flight: the slot is free */
	t[0] = t[1] = NULL;
	ck_assert_uint_eq(admit_in_flight(a), 0);
	ck_assert_int_eq(next_id(a), 2);
	ck_assert_int_eq(next_id(a), -1);
	tickets_free(a, t, 3);
	admit_free(NULL);
}
END_TEST

/* New caps apply to the next poll admitted. */
START_TEST(test_set_caps)
{
	const char *urls[] = {"http://a/", "http://a/", "http://b/"};
	struct admit *a = admit_new(1, 1);
	struct admit_ticket *t[3];

	tickets_new(a, t, urls, 3);
	ck_assert_int_eq(admit_request(a, t[0]), 1);
	ck_assert_int_eq(admit_request(a, t[1]), 0);
	ck_assert_int_eq(admit_request(a, t[2]), 0);
	admit_set_caps(a, 3, 2);
	/* Host a, at its old cap, is served again once one of its polls
	 * ends (as before the split); b is ready now. */
	ck_assert_int_eq(next_id(a), 2);
	ck_assert_int_eq(next_id(a), -1);
	admit_done(a, t[0]);
	ck_assert_int_eq(next_id(a), 1);
	tickets_free(a, t, 3);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("admit");
	TCase *tc = tcase_create("admit");

	log_set_level(LOG_LEVEL_QUIET);
	tcase_add_test(tc, test_per_host);
	tcase_add_test(tc, test_no_jumping);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_host_key);
	tcase_add_test(tc, test_ticket_free);
	tcase_add_test(tc, test_set_caps);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
