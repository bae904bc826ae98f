/*
 * Integration tests of the history endpoint's range form
 * (from=&to=&step=): a source polled every 100 ms by the fake upstream,
 * its raw points read with the plain form, and the buckets of the range
 * form checked against buckets computed here from those points.  Every
 * 400 is checked with its exact message, and the plain form unchanged.
 * With 3 raw points and 1 s rollups the range reaches back to the first
 * poll through the rollups, every value counted once.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "harness.h"
#include "runner.h"

/* One source polled every 100 ms: a counter, a constant ratio, a string. */
static const char polled[] = "[source s]\n"
                             "url = @UP@/stats?name=s\n"
                             "interval = 100ms\n"
                             "stat total = /data/total\n"
                             "stat ratio = /data/ratio\n"
                             "stat label = /data/label\n";

/* The most raw points a test reads. */
#define MAX_POINTS 64

/* Raw points of a stat, read with the plain form. */
struct raw {
	int64_t r_ms[MAX_POINTS];
	double r_value[MAX_POINTS];
	int r_n;
};

/* Reads the plain history of stat into raw once it holds >= n points. */
static void
read_raw(struct harness *h, const char *stat, int n, struct raw *raw)
{
	struct json_object *doc = NULL, *points, *p;
	char path[128];
	int tries, i;

	snprintf(path, sizeof path, "/api/v1/sources/s/history?stat=%s", stat);
	for (tries = 0; tries < 1000; tries++) {
		json_object_put(doc);
		doc = harness_get_json(h, path);
		if (doc != NULL &&
		    json_object_array_length(harness_at(doc, "/points")) >=
		        (size_t)n)
			break;
		usleep(20 * 1000);
	}
	ck_assert_ptr_nonnull(doc);
	points = harness_at(doc, "/points");
	ck_assert_uint_ge(json_object_array_length(points), (size_t)n);
	raw->r_n = 0;
	for (i = 0; i < (int)json_object_array_length(points) && i < MAX_POINTS;
	     i++) {
		p = json_object_array_get_idx(points, i);
		raw->r_ms[i] = llround(
		    json_object_get_double(json_object_array_get_idx(p, 0)) *
		    1000.0);
		raw->r_value[i] = json_object_array_get_idx(p, 1) == NULL
		    ? NAN
		    : json_object_get_double(json_object_array_get_idx(p, 1));
		raw->r_n++;
	}
	json_object_put(doc);
}

/*
 * Asserts that the range answer doc holds exactly the buckets of the
 * raw points in [from_ms, to_ms] at step_ms, computed here.
 */
static void
assert_buckets(struct json_object *doc, const struct raw *raw, int64_t from_ms,
    int64_t to_ms, int64_t step_ms)
{
	struct json_object *points = harness_at(doc, "/points");
	double min = 0, max = 0, sum = 0;
	int64_t start = -1, s;
	size_t nb = 0;
	char ptr[64];
	int i, count = 0;

	for (i = 0; i <= raw->r_n; i++) {
		s = -2;
		if (i < raw->r_n) {
			if (raw->r_ms[i] < from_ms || raw->r_ms[i] > to_ms ||
			    isnan(raw->r_value[i]))
				continue;
			s = raw->r_ms[i] / step_ms * step_ms;
		}
		if (count > 0 && s != start) {
			/* Bucket start..start+step is complete: compare. */
			ck_assert_uint_lt(nb, json_object_array_length(points));
			snprintf(ptr, sizeof ptr, "/points/%zu/0", nb);
			ck_assert_int_eq(
			    llround(harness_number(doc, ptr) * 1000.0), start);
			snprintf(ptr, sizeof ptr, "/points/%zu/1", nb);
			ck_assert_double_eq_tol(
			    harness_number(doc, ptr), sum / count, 1e-9);
			snprintf(ptr, sizeof ptr, "/points/%zu/2", nb);
			ck_assert_double_eq(harness_number(doc, ptr), min);
			snprintf(ptr, sizeof ptr, "/points/%zu/3", nb);
			ck_assert_double_eq(harness_number(doc, ptr), max);
			snprintf(ptr, sizeof ptr, "/points/%zu", nb);
			ck_assert_uint_eq(
			    json_object_array_length(harness_at(doc, ptr)), 4);
			nb++;
			count = 0;
		}
		if (s < 0)
			continue;
		if (count == 0) {
			start = s;
			min = max = sum = raw->r_value[i];
			count = 1;
			continue;
		}
		min = fmin(min, raw->r_value[i]);
		max = fmax(max, raw->r_value[i]);
		sum += raw->r_value[i];
		count++;
	}
	ck_assert_uint_eq(json_object_array_length(points), nb);
}

/* GETs the range form of stat with the given query tail. */
static struct json_object *
get_range(struct harness *h, const char *stat, const char *query)
{
	struct json_object *doc;
	char path[256];

	snprintf(path, sizeof path, "/api/v1/sources/s/history?stat=%s&%s",
	    stat, query);
	doc = harness_get_json(h, path);
	ck_assert_msg(doc != NULL, "%s: not a 200 JSON answer", path);
	return doc;
}

/* Formats ms as unix seconds with 3 decimals into buf. */
static const char *
secs(char *buf, size_t size, int64_t ms)
{
	snprintf(buf, size, "%lld.%03lld", (long long)(ms / 1000),
	    (long long)(ms % 1000));
	return buf;
}

/*
 * The range form's buckets are the raw points' per step: 1 s steps over
 * ten polls, one big step, from= cutting into a bucket, and a range past
 * the last point (no buckets).
 */
START_TEST(test_range_buckets)
{
	struct harness *h = harness_start(NULL, polled);
	struct json_object *doc;
	char q[256], a[32], b[32];
	int64_t from_ms, to_ms;
	struct raw raw;

	read_raw(h, "total", 10, &raw);
	ck_assert_int_eq(raw.r_value[0], 1000);
	/* from on a whole second before the first point, to at the last. */
	from_ms = raw.r_ms[0] / 1000 * 1000;
	to_ms = raw.r_ms[raw.r_n - 1];
	snprintf(q, sizeof q, "from=%lld&to=%s&step=1",
	    (long long)(from_ms / 1000), secs(a, sizeof a, to_ms));
	doc = get_range(h, "total", q);
	ck_assert_str_eq(harness_str(doc, "/source"), "s");
	ck_assert_str_eq(harness_str(doc, "/stat"), "total");
	ck_assert_int_eq(harness_int(doc, "/step"), 1);
	ck_assert_int_eq(harness_int(doc, "/from"), from_ms / 1000);
	ck_assert_int_eq(llround(harness_number(doc, "/to") * 1000.0), to_ms);
	ck_assert_int_eq(json_object_object_length(doc), 6);
	assert_buckets(doc, &raw, from_ms, to_ms, 1000);
	/* Ten points make at least one bucket. */
	ck_assert_uint_ge(
	    json_object_array_length(harness_at(doc, "/points")), 1);
	/* Integers stay integers: the first bucket's min is one. */
	ck_assert(
	    json_object_is_type(harness_at(doc, "/points/0/2"), json_type_int));
	json_object_put(doc);

	/* One step of an hour: every point in one or two buckets. */
	snprintf(q, sizeof q, "from=%lld&to=%s&step=3600",
	    (long long)(from_ms / 1000), secs(a, sizeof a, to_ms));
	doc = get_range(h, "total", q);
	assert_buckets(doc, &raw, from_ms, to_ms, 3600000);
	ck_assert_int_eq(harness_int(doc, "/points/0/0") % 3600, 0);
	json_object_put(doc);

	/* from= at the third point: the first two are left out. */
	snprintf(q, sizeof q, "from=%s&to=%s&step=60",
	    secs(a, sizeof a, raw.r_ms[2]), secs(b, sizeof b, to_ms));
	doc = get_range(h, "total", q);
	assert_buckets(doc, &raw, raw.r_ms[2], to_ms, 60000);
	ck_assert_double_eq(harness_number(doc, "/points/0/2"), raw.r_value[2]);
	json_object_put(doc);

	/* A decimal step: t is a multiple of 1.5 s. */
	snprintf(q, sizeof q, "from=%lld&to=%s&step=1.5",
	    (long long)(from_ms / 1000), secs(a, sizeof a, to_ms));
	doc = get_range(h, "total", q);
	ck_assert_double_eq(harness_number(doc, "/step"), 1.5);
	assert_buckets(doc, &raw, from_ms, to_ms, 1500);
	json_object_put(doc);

	/* After the last point and before the next: no bucket at all. */
	snprintf(q, sizeof q, "from=%s&to=%s&step=1",
	    secs(a, sizeof a, to_ms + 1), secs(b, sizeof b, to_ms + 2));
	doc = get_range(h, "total", q);
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(doc, "/points")), 0);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/*
 * Decimals average as decimals; a string stat (no value on any poll)
 * has no bucket; to= left out is now, so every point so far is in.
 */
START_TEST(test_range_values)
{
	struct harness *h = harness_start(NULL, polled);
	struct json_object *doc;
	struct raw raw, total;
	char q[128], ptr[32];
	size_t n, i;
	int j;

	read_raw(h, "ratio", 3, &raw);
	snprintf(q, sizeof q, "from=%lld&step=86400",
	    (long long)(raw.r_ms[0] / 1000 - 5));
	doc = get_range(h, "ratio", q);
	n = json_object_array_length(harness_at(doc, "/points"));
	ck_assert_uint_ge(n, 1);
	for (i = 0; i < n; i++) {
		for (j = 1; j <= 3; j++) {
			snprintf(ptr, sizeof ptr, "/points/%zu/%d", i, j);
			ck_assert_double_eq(harness_number(doc, ptr), 0.25);
		}
	}
	ck_assert_double_ge(
	    harness_number(doc, "/to") * 1000.0, (double)raw.r_ms[raw.r_n - 1]);
	json_object_put(doc);

	doc = get_range(h, "label", q);
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(doc, "/points")), 0);
	json_object_put(doc);

	/* Read the range after the raw points: it holds at least those. */
	read_raw(h, "total", 3, &total);
	doc = get_range(h, "total", q);
	ck_assert_int_eq(harness_int(doc, "/points/0/2"), 1000);
	n = json_object_array_length(harness_at(doc, "/points"));
	snprintf(ptr, sizeof ptr, "/points/%zu/3", n - 1);
	ck_assert_int_ge(
	    harness_int(doc, ptr), (long long)total.r_value[total.r_n - 1]);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* Asserts GET of query on stat total is a 400 saying exactly message. */
static void
assert_400(struct harness *h, const char *query, const char *message)
{
	struct harness_resp *r;
	struct json_object *doc;
	char path[256];

	snprintf(path, sizeof path, "/api/v1/sources/s/history?stat=total&%s",
	    query);
	r = harness_request(h, "GET", path, NULL);
	ck_assert_msg(r->r_status == 400, "%s: status %ld", query, r->r_status);
	doc = json_tokener_parse(r->r_body);
	ck_assert_msg(doc != NULL, "%s: not JSON: %s", query, r->r_body);
	ck_assert_int_eq(harness_int(doc, "/error/status"), 400);
	ck_assert_msg(strcmp(harness_str(doc, "/error/message"), message) == 0,
	    "%s: message %s, not %s", query, harness_str(doc, "/error/message"),
	    message);
	json_object_put(doc);
	harness_resp_free(r);
}

/* Every bad range is a 400 whose message names the parameter. */
START_TEST(test_range_errors)
{
	struct harness *h = harness_start(NULL, polled);
	static const char *const bad_from[] = {"from=x&step=1", "from=&step=1",
	    "from=-5&step=1", "from=1e9&step=1", "from=%2B5&step=1",
	    "from=5.&step=1", "from=.5&step=1", "from=0x10&step=1",
	    "from=%205&step=1", "from=5%20&step=1", "from=nan&step=1",
	    "from=inf&step=1", "from=1.2.3&step=1", "from=1000000000001&step=1",
	    "from=1%005&step=100000000", "from&step=1"};
	struct json_object *doc;
	struct raw raw;
	size_t i;

	for (i = 0; i < sizeof bad_from / sizeof bad_from[0]; i++)
		assert_400(h, bad_from[i], "from= must be unix seconds");
	assert_400(h, "from=5&to=x&step=1", "to= must be unix seconds");
	assert_400(h, "from=5&to=-1&step=1", "to= must be unix seconds");
	assert_400(h, "from=5&to=10&step=x", "step= must be seconds");
	assert_400(h, "from=5&to=10&step=-1", "step= must be seconds");
	assert_400(h, "from=5&to=10&step=", "step= must be seconds");
	assert_400(h, "from=5&to=10&step", "step= must be seconds");
	assert_400(h, "step", "step= must be seconds");
	assert_400(h, "from=5&to&step=1", "to= must be unix seconds");
	assert_400(
	    h, "from=5&to=10&step=1&since", "since= does not go with from=");
	assert_400(h, "step=60", "step= needs from=");
	assert_400(h, "to=10&step=60", "step= needs from=");
	assert_400(h, "from=5", "from= needs step=");
	assert_400(h, "from=5&to=10", "from= needs step=");
	assert_400(h, "to=10", "to= needs from= and step=");
	assert_400(
	    h, "from=5&to=10&step=0.5", "step= must be at least 1 second");
	assert_400(h, "from=5&to=10&step=0", "step= must be at least 1 second");
	assert_400(h, "from=10&to=5&step=1", "from= must be before to=");
	assert_400(h, "from=10&to=10&step=1", "from= must be before to=");
	assert_400(h, "from=0&to=10000&step=1",
	    "from= to to= spans more than 10000 steps: use a larger step= or "
	    "a shorter range");
	assert_400(h, "from=99999999999&step=1",
	    "from= must be before now (to= when left out)");
	assert_400(
	    h, "from=5&to=10&step=1&since=3", "since= does not go with from=");
	/* The last step that fits: 10000 buckets of 1 s. */
	doc = harness_get_json(
	    h, "/api/v1/sources/s/history?stat=total&from=0&to=9999&step=1");
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
	/* Decimals are read to the nearest ms: 1.001 * 1000 is 1000.99... */
	doc = harness_get_json(
	    h, "/api/v1/sources/s/history?stat=total&from=1.001&to=2&step=1");
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(
	    json_object_to_json_string(harness_at(doc, "/from")), "1.001");
	json_object_put(doc);
	/* The plain form is as it was: no step, [t, value] pairs. */
	read_raw(h, "total", 1, &raw);
	doc =
	    harness_get_json(h, "/api/v1/sources/s/history?stat=total&since=0");
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_object_object_length(doc), 3);
	ck_assert_uint_eq(
	    json_object_array_length(harness_at(doc, "/points/0")), 2);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* history = 3 and rollups of 1 s, polled every 100 ms; or rollups off. */
#define ROLLED(points)                                                         \
	"[source s]\n"                                                         \
	"url = @UP@/stats?name=s\n"                                            \
	"interval = 100ms\n"                                                   \
	"history = 3\n"                                                        \
	"history_rollup = 1s\n"                                                \
	"history_rollup_points = " points "\n"                                 \
	"stat total = /data/total\n"

/* Reads the raw points of total until the oldest is at least value. */
static void
read_raw_from(struct harness *h, double value, struct raw *raw)
{
	int tries;

	for (tries = 0; tries < 500; tries++) {
		read_raw(h, "total", 3, raw);
		if (raw->r_value[0] >= value)
			return;
		usleep(20 * 1000);
	}
	ck_abort_msg("total never reached %g", value);
}

/* GETs the range of total from a minute before raw's first point, at
 * step_s seconds. */
static struct json_object *
get_minute_range(struct harness *h, const struct raw *raw, int step_s)
{
	char q[128];

	snprintf(q, sizeof q, "from=%lld&step=%d",
	    (long long)(raw->r_ms[0] / 1000 - 60), step_s);
	return get_range(h, "total", q);
}

/*
 * Asserts that the buckets of doc hold the counter's values (1000, then
 * one more a poll) from 1000 on, every one once: each bucket's average
 * is the middle of its min and max and the next starts one above, on
 * multiples of step_s; returns how many buckets there are.
 */
static size_t
assert_counter_buckets(struct json_object *doc, int step_s)
{
	size_t i, n = json_object_array_length(harness_at(doc, "/points"));
	double min, max, prev_max = 999;
	long long t, prev_t = -1;
	char ptr[32];

	for (i = 0; i < n; i++) {
		snprintf(ptr, sizeof ptr, "/points/%zu/0", i);
		t = harness_int(doc, ptr);
		ck_assert_int_eq(t % step_s, 0);
		ck_assert_int_gt(t, prev_t);
		snprintf(ptr, sizeof ptr, "/points/%zu/2", i);
		min = harness_number(doc, ptr);
		snprintf(ptr, sizeof ptr, "/points/%zu/3", i);
		max = harness_number(doc, ptr);
		ck_assert_double_eq(min, prev_max + 1);
		snprintf(ptr, sizeof ptr, "/points/%zu/1", i);
		ck_assert_double_eq(harness_number(doc, ptr), (min + max) / 2);
		prev_max = max;
		prev_t = t;
	}
	return n;
}

/*
 * With 3 raw points and 1 s rollups, a range from before the first poll
 * reaches past the raw points: the older buckets come from the rollups,
 * exact (every value once, none lost where rollups give way to raw
 * points), at the rollups' width and at a wider step.
 */
START_TEST(test_range_rollups)
{
	struct harness *h = harness_start(NULL, ROLLED("1440"));
	struct json_object *doc;
	struct raw raw;
	size_t n;

	read_raw_from(h, 1025, &raw);
	doc = get_minute_range(h, &raw, 1);
	n = assert_counter_buckets(doc, 1);
	ck_assert_uint_ge(n, 3);
	/* The first bucket is the first poll's, long before the raw ones. */
	ck_assert_int_eq(harness_int(doc, "/points/0/2"), 1000);
	ck_assert_int_lt(harness_int(doc, "/points/0/0") * 1000, raw.r_ms[0]);
	json_object_put(doc);
	/* Two rollup buckets a step: merged exactly. */
	doc = get_minute_range(h, &raw, 2);
	ck_assert_uint_ge(assert_counter_buckets(doc, 2), 2);
	ck_assert_int_eq(harness_int(doc, "/points/0/2"), 1000);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* history_rollup_points = 0: the range holds the raw points alone. */
START_TEST(test_range_rollups_off)
{
	struct harness *h = harness_start(NULL, ROLLED("0"));
	struct json_object *doc;
	struct raw raw;
	size_t n;

	read_raw_from(h, 1025, &raw);
	doc = get_minute_range(h, &raw, 1);
	n = json_object_array_length(harness_at(doc, "/points"));
	/* At most 3 points, later than the ones read: 1 or 2 buckets. */
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, 2);
	ck_assert_double_ge(harness_number(doc, "/points/0/2"), raw.r_value[0]);
	ck_assert_int_ge(harness_int(doc, "/points/0/0"), raw.r_ms[0] / 1000);
	json_object_put(doc);
	harness_stop(h);
}
END_TEST

/* Builds the suite. */
static Suite *
history_api_suite(void)
{
	Suite *s = suite_create("history_api");
	TCase *tc = tcase_create("range");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_range_buckets);
	tcase_add_test(tc, test_range_values);
	tcase_add_test(tc, test_range_errors);
	tcase_add_test(tc, test_range_rollups);
	tcase_add_test(tc, test_range_rollups_off);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	harness_init();
	return runner_run(history_api_suite()) == 0 ? 0 : 1;
}
