/*
 * Unit tests for the admit module: the global and per-host caps, the
 * per-host FIFO, hosts served round-robin, hosts told apart by scheme,
 * name (any case) and port, and tickets freed while waiting or in
 * flight, and request budgets: polls over a budget wait in its FIFO
 * until a slot frees (fixed times), a held slot, budgets kept or started
 * afresh by a reload.  No network: tickets stand for plain integers.
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
		t[i] = admit_ticket_new(a, urls[i], NULL, &ids[i]);
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
	ck_assert_ptr_null(admit_next(a, 0));
	admit_free(a);
}

/* Returns the id of the next ticket admit lets start, or -1. */
static int
next_id(struct admit *a)
{
	int *id = admit_next(a, 0);

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
	ck_assert_int_eq(admit_request(a, t[0], 0), 1);
	ck_assert_int_eq(admit_request(a, t[1], 0), 1);
	ck_assert_int_eq(admit_request(a, t[2], 0), 0);
	ck_assert_int_eq(admit_request(a, t[3], 0), 0);
	/* Waiting already: nothing changes. */
	ck_assert_int_eq(admit_request(a, t[2], 0), -1);
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
	ck_assert_int_eq(admit_request(a, t[0], 0), 1);
	ck_assert_int_eq(admit_request(a, t[1], 0), 0);
	admit_done(a, t[0]);
	/* Room again, but t1 waits first. */
	ck_assert_int_eq(admit_request(a, t[2], 0), 0);
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
	ck_assert_int_eq(admit_request(a, t[0], 0), 1);
	for (i = 1; i < 6; i++)
		ck_assert_int_eq(admit_request(a, t[i], 0), 0);
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
	ck_assert_int_eq(admit_request(a, t[0], 0), 1);
	ck_assert_int_eq(admit_request(a, t[1], 0), 0); /* same host */
	ck_assert_int_eq(admit_request(a, t[2], 0), 1); /* other scheme */
	ck_assert_int_eq(admit_request(a, t[3], 0), 1); /* other port */
	ck_assert_ptr_null(admit_ticket_new(a, "not a url", NULL, &ids[4]));
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
	ck_assert_int_eq(admit_request(a, t[0], 0), 1);
	ck_assert_int_eq(admit_request(a, t[1], 0), 0);
	ck_assert_int_eq(admit_request(a, t[2], 0), 0);
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
	ck_assert_int_eq(admit_request(a, t[0], 0), 1);
	ck_assert_int_eq(admit_request(a, t[1], 0), 0);
	ck_assert_int_eq(admit_request(a, t[2], 0), 0);
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

/* A time far from zero. */
#define T0 5000000

/* One budget "b" of 2 starts per 10 s, as config.c would make it. */
static struct config_budget budget_b[] = {
    {.cb_name = (char *)"b", .cb_requests = 2, .cb_window_ms = 10000},
};

/* Sets budget b in a and makes n tickets for one host, the first nb on
 * b; ticket i stands for ids[i]. */
static void
budget_tickets_new(struct admit *a, struct admit_ticket **t, int n, int nb)
{
	int i;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(admit_set_budgets(a, budget_b, 1), 0);
	for (i = 0; i < n; i++) {
		t[i] = admit_ticket_new(
		    a, "http://a/", i < nb ? "b" : NULL, &ids[i]);
		ck_assert_ptr_nonnull(t[i]);
	}
}

/* Returns the id of the next ticket admit lets start at now, or -1. */
static int
next_id_at(struct admit *a, int64_t now)
{
	int *id = admit_next(a, now);

	return id != NULL ? *id : -1;
}

/* Over its budget a poll waits, in order, until the oldest start is a
 * window ago; a poll without a budget on the same host does not. */
START_TEST(test_budget_wait)
{
	struct admit *a = admit_new(10, 10);
	struct admit_ticket *t[5];
	unsigned remaining;
	int64_t next_at;
	int i;

	budget_tickets_new(a, t, 5, 4);
	ck_assert_ptr_null(admit_ticket_new(a, "http://a/", "nope", &ids[5]));
	ck_assert_int_eq(admit_next_at(a, T0), BUDGET_NEVER);
	ck_assert_int_eq(admit_request(a, t[0], T0), 1);
	ck_assert_int_eq(admit_request(a, t[1], T0 + 1000), 1);
	ck_assert_int_eq(admit_request(a, t[2], T0 + 1000), 0);
	ck_assert_int_eq(admit_request(a, t[3], T0 + 2000), 0);
	ck_assert_int_eq(admit_request(a, t[2], T0 + 2000), -1);
	ck_assert_int_eq(admit_request(a, t[4], T0 + 2000), 1);
	ck_assert_str_eq(
	    admit_ticket_budget(t[2], T0 + 2000, &remaining, &next_at), "b");
	ck_assert_uint_eq(remaining, 0);
	ck_assert_int_eq(next_at, T0 + 10000);
	ck_assert_ptr_null(
	    admit_ticket_budget(t[4], T0 + 2000, &remaining, &next_at));
	/* Not before the first start is 10 s old. */
	ck_assert_int_eq(admit_next_at(a, T0 + 2000), T0 + 10000);
	admit_tick(a, T0 + 9999);
	ck_assert_int_eq(next_id_at(a, T0 + 9999), -1);
	admit_tick(a, T0 + 10000);
	ck_assert_int_eq(next_id_at(a, T0 + 10000), 2);
	ck_assert_int_eq(next_id_at(a, T0 + 10000), -1);
	/* t3 waits for t1's start to leave the window. */
	ck_assert_int_eq(admit_next_at(a, T0 + 10000), T0 + 11000);
	admit_tick(a, T0 + 11000);
	ck_assert_int_eq(next_id_at(a, T0 + 11000), 3);
	ck_assert_str_eq(
	    admit_ticket_budget(t[0], T0 + 11000, &remaining, &next_at), "b");
	ck_assert_uint_eq(remaining, 0);
	ck_assert_int_eq(next_at, T0 + 20000);
	ck_assert_uint_eq(admit_in_flight(a), 5);
	for (i = 0; i < 5; i++)
		admit_done(a, t[i]);
	tickets_free(a, t, 5);
}
END_TEST

/* A poll that passed its budget but waits for its host holds a slot;
 * its start is recorded when it starts; freed, it gives the slot back. */
START_TEST(test_budget_hold)
{
	struct admit *a = admit_new(10, 1);
	struct admit_ticket *t[3];
	unsigned remaining;
	int64_t next_at;

	budget_tickets_new(a, t, 3, 3);
	ck_assert_int_eq(admit_request(a, t[0], T0), 1);
	ck_assert_int_eq(admit_request(a, t[1], T0), 0); /* host full */
	ck_assert_int_eq(admit_request(a, t[2], T0), 0); /* budget */
	admit_ticket_budget(t[0], T0, &remaining, &next_at);
	ck_assert_uint_eq(remaining, 0);
	admit_done(a, t[0]);
	ck_assert_int_eq(next_id_at(a, T0 + 4000), 1);
	/* t1 started at T0 + 4000: the slots free at T0 + 10 s and + 14 s. */
	ck_assert_int_eq(admit_next_at(a, T0 + 4000), T0 + 10000);
	admit_tick(a, T0 + 10000);
	admit_done(a, t[1]);
	ck_assert_int_eq(next_id_at(a, T0 + 10000), 2);
	admit_done(a, t[2]);
	/* A held slot comes back when its ticket is freed; the poll
	 * waiting for the budget may go at once. */
	ck_assert_int_eq(admit_request(a, t[0], T0 + 30000), 1);
	ck_assert_int_eq(admit_request(a, t[1], T0 + 30000), 0); /* holds */
	ck_assert_int_eq(admit_request(a, t[2], T0 + 30000), 0); /* budget */
	admit_ticket_budget(t[0], T0 + 30000, &remaining, &next_at);
	ck_assert_uint_eq(remaining, 0);
	ck_assert_int_eq(next_at, T0 + 40000);
	admit_ticket_free(a, t[1]);
	t[1] = NULL;
	ck_assert_int_eq(admit_next_at(a, T0 + 30000), T0 + 30000);
	admit_tick(a, T0 + 30000);
	admit_done(a, t[0]);
	ck_assert_int_eq(next_id_at(a, T0 + 30000), 2);
	admit_done(a, t[2]);
	tickets_free(a, t, 3);
}
END_TEST

/* A reload keeps a budget whose n and window did not change, with its
 * starts; a changed one starts afresh; a wait moves to the new budget. */
START_TEST(test_budget_reload)
{
	struct config_budget changed[] = {
	    {.cb_name = (char *)"b", .cb_requests = 3, .cb_window_ms = 10000},
	    {.cb_name = (char *)"c", .cb_requests = 1, .cb_window_ms = 1000},
	};
	struct admit *a = admit_new(10, 10);
	struct admit_ticket *t[3];
	unsigned remaining;
	int64_t next_at;
	int i;

	budget_tickets_new(a, t, 3, 3);
	ck_assert_int_eq(admit_request(a, t[0], T0), 1);
	ck_assert_int_eq(admit_request(a, t[1], T0), 1);
	ck_assert_int_eq(admit_request(a, t[2], T0), 0);
	/* The same budget again: its two starts stay, t2 still waits. */
	ck_assert_int_eq(admit_set_budgets(a, budget_b, 1), 0);
	admit_ticket_budget(t[0], T0 + 1000, &remaining, &next_at);
	ck_assert_uint_eq(remaining, 0);
	admit_tick(a, T0 + 1000);
	ck_assert_int_eq(next_id_at(a, T0 + 1000), -1);
	/* A token fetch takes from the same budget. */
	ck_assert_int_eq(budget_take(admit_budget(a, "b"), T0 + 1000), -1);
	ck_assert_ptr_null(admit_budget(a, "c"));
	/* 3 per 10 s is another budget: fresh, and t2 may go. */
	ck_assert_int_eq(admit_set_budgets(a, changed, 2), 0);
	ck_assert_int_eq(admit_ticket_set_budget(a, t[2], "b"), 0);
	admit_ticket_budget(t[2], T0 + 1000, &remaining, &next_at);
	ck_assert_uint_eq(remaining, 3);
	admit_tick(a, T0 + 1000);
	ck_assert_int_eq(next_id_at(a, T0 + 1000), 2);
	/* t0 and t1 still hold the old budget until moved. */
	ck_assert_int_eq(admit_ticket_set_budget(a, t[0], "c"), 0);
	ck_assert_int_eq(admit_ticket_set_budget(a, t[1], NULL), 0);
	ck_assert_int_eq(admit_ticket_set_budget(a, t[1], "nope"), -1);
	ck_assert_int_eq(budget_take(admit_budget(a, "c"), T0 + 1000), 0);
	admit_done(a, t[0]);
	ck_assert_int_eq(admit_request(a, t[0], T0 + 1500), 0);
	/* Moved off "c" while waiting: it goes to its host's queue. */
	ck_assert_int_eq(admit_ticket_set_budget(a, t[0], NULL), 0);
	ck_assert_int_eq(next_id_at(a, T0 + 1500), 0);
	for (i = 0; i < 3; i++)
		admit_done(a, t[i]);
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
	tcase_add_test(tc, test_budget_wait);
	tcase_add_test(tc, test_budget_hold);
	tcase_add_test(tc, test_budget_reload);
	suite_add_tcase(s, tc);
	return runner_run(s) == 0 ? 0 : 1;
}
