/*
 * Unit tests for the admit module: the global and per-host caps, the
 * per-host FIFO, hosts served round-robin, hosts told apart by scheme,
 * name (any case) and port, and tickets freed while waiting or in
 * flight.  No network: tickets stand for plain integers.
 */
#include <check.h>

#include "admit.h"
#include "log.h"

static int ids[8] = {0, 1, 2, 3, 4, 5, 6, 7};

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
	struct admit *a = admit_new(10, 2);
	struct admit_ticket *t[4];
	int i;

	ck_assert_ptr_nonnull(a);
	for (i = 0; i < 4; i++) {
		t[i] = admit_ticket_new(a, "http://up.example/s", &ids[i]);
		ck_assert_ptr_nonnull(t[i]);
	}
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
	for (i = 0; i < 4; i++)
		admit_ticket_free(a, t[i]);
	ck_assert_uint_eq(admit_in_flight(a), 0);
	admit_free(a);
}
END_TEST

/* A host with polls waiting goes first: no poll jumps its queue. */
START_TEST(test_no_jumping)
{
	struct admit *a = admit_new(1, 8);
	struct admit_ticket *t0 = admit_ticket_new(a, "http://a/", &ids[0]);
	struct admit_ticket *t1 = admit_ticket_new(a, "http://a/", &ids[1]);
	struct admit_ticket *t2 = admit_ticket_new(a, "http://a/", &ids[2]);

	ck_assert_int_eq(admit_request(a, t0), 1);
	ck_assert_int_eq(admit_request(a, t1), 0);
	admit_done(a, t0);
	/* Room again, but t1 waits first. */
	ck_assert_int_eq(admit_request(a, t2), 0);
	ck_assert_int_eq(next_id(a), 1);
	ck_assert_int_eq(next_id(a), -1);
	admit_ticket_free(a, t0);
	admit_ticket_free(a, t1);
	admit_ticket_free(a, t2);
	admit_free(a);
}
END_TEST

/* The global cap: hosts with waiting polls are served in turn. */
START_TEST(test_round_robin)
{
	struct admit *a = admit_new(1, 8);
	struct admit_ticket *t[6];
	const char *urls[6] = {"http://a/", "http://a/", "http://a/",
	    "http://b/", "http://b/", "http://c/"};
	int i;

	for (i = 0; i < 6; i++)
		t[i] = admit_ticket_new(a, urls[i], &ids[i]);
	ck_assert_int_eq(admit_request(a, t[0]), 1);
	for (i = 1; i < 6; i++)
		ck_assert_int_eq(admit_request(a, t[i]), 0);
	/* Ready order: a (t1), b (t3), c (t5); a and b go to the back. */
	admit_done(a, t[0]);
	ck_assert_int_eq(next_id(a), 1);
	ck_assert_int_eq(next_id(a), -1);
	admit_done(a, t[1]);
	ck_assert_int_eq(next_id(a), 3);
	admit_done(a, t[3]);
	ck_assert_int_eq(next_id(a), 5);
	admit_done(a, t[5]);
	ck_assert_int_eq(next_id(a), 2);
	admit_done(a, t[2]);
	ck_assert_int_eq(next_id(a), 4);
	admit_done(a, t[4]);
	ck_assert_int_eq(next_id(a), -1);
	ck_assert_uint_eq(admit_in_flight(a), 0);
	for (i = 0; i < 6; i++)
		admit_ticket_free(a, t[i]);
	admit_free(a);
}
END_TEST

/* One host is scheme, lower-cased name and port (default filled in). */
START_TEST(test_host_key)
{
	struct admit *a = admit_new(10, 1);
	struct admit_ticket *t0 =
	    admit_ticket_new(a, "http://Up.Example/x", &ids[0]);
	struct admit_ticket *t1 =
	    admit_ticket_new(a, "http://up.example:80/y", &ids[1]);
	struct admit_ticket *t2 =
	    admit_ticket_new(a, "https://up.example/x", &ids[2]);
	struct admit_ticket *t3 =
	    admit_ticket_new(a, "http://up.example:8080/x", &ids[3]);

	ck_assert_int_eq(admit_request(a, t0), 1);
	ck_assert_int_eq(admit_request(a, t1), 0); /* same host */
	ck_assert_int_eq(admit_request(a, t2), 1); /* other scheme */
	ck_assert_int_eq(admit_request(a, t3), 1); /* other port */
	ck_assert_ptr_null(admit_ticket_new(a, "not a url", &ids[4]));
	admit_ticket_free(a, t0);
	admit_ticket_free(a, t1);
	admit_ticket_free(a, t2);
	admit_ticket_free(a, t3);
	ck_assert_uint_eq(admit_in_flight(a), 0);
	admit_free(a);
}
END_TEST

/* Freeing a ticket gives its slot back or leaves its queue. */
START_TEST(test_ticket_free)
{
	struct admit *a = admit_new(10, 1);
	struct admit_ticket *t0 = admit_ticket_new(a, "http://a/", &ids[0]);
	struct admit_ticket *t1 = admit_ticket_new(a, "http://a/", &ids[1]);
	struct admit_ticket *t2 = admit_ticket_new(a, "http://a/", &ids[2]);

	ck_assert_int_eq(admit_request(a, t0), 1);
	ck_assert_int_eq(admit_request(a, t1), 0);
	ck_assert_int_eq(admit_request(a, t2), 0);
	admit_ticket_free(a, t1); /* waiting: leaves the queue */
	admit_ticket_free(a, t0); /* in flight: the slot is free */
	ck_assert_uint_eq(admit_in_flight(a), 0);
	ck_assert_int_eq(next_id(a), 2);
	ck_assert_int_eq(next_id(a), -1);
	admit_ticket_free(a, t2);
	admit_ticket_free(a, NULL);
	admit_free(a);
	admit_free(NULL);
}
END_TEST

/* New caps apply to the next poll admitted. */
START_TEST(test_set_caps)
{
	struct admit *a = admit_new(1, 1);
	struct admit_ticket *t0 = admit_ticket_new(a, "http://a/", &ids[0]);
	struct admit_ticket *t1 = admit_ticket_new(a, "http://a/", &ids[1]);
	struct admit_ticket *t2 = admit_ticket_new(a, "http://b/", &ids[2]);

	ck_assert_int_eq(admit_request(a, t0), 1);
	ck_assert_int_eq(admit_request(a, t1), 0);
	ck_assert_int_eq(admit_request(a, t2), 0);
	admit_set_caps(a, 3, 2);
	/* Host a, at its old cap, is served again once one of its polls
	 * ends (as before the split); b is ready now. */
	ck_assert_int_eq(next_id(a), 2);
	ck_assert_int_eq(next_id(a), -1);
	admit_ticket_free(a, t0);
	ck_assert_int_eq(next_id(a), 1);
	admit_ticket_free(a, t1);
	admit_ticket_free(a, t2);
	admit_free(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("admit");
	TCase *tc = tcase_create("admit");
	SRunner *sr;
	int failed;

	log_set_level(LOG_LEVEL_QUIET);
	tcase_add_test(tc, test_per_host);
	tcase_add_test(tc, test_no_jumping);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_host_key);
	tcase_add_test(tc, test_ticket_free);
	tcase_add_test(tc, test_set_caps);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
