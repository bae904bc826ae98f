/*
 * What jq costs gatherd: one poll of a ~1 KB GA4 body with a jq stat
 * (against the same stat by pointer), loading 10,000 sources that share
 * 3 programs, and how long one poll holds the loop on hostile bodies
 * within the default 8 MiB cap: big arrays, nesting at json-c's depth
 * limit, programs over every element, and objects whose keys all
 * collide in upstream jq 1.6's fixed-seed hash (Debian's libjq1 seeds
 * it at random: the figures show whether the one linked does).  For
 * each hostile body: the CPU of a poll done in the loop (as bodies under
 * 64 KiB are), and the loop's own CPU when a child extracts it
 * (extract_child, as bigger ones are), with the wall time to its result.
 * Prints one JSON line per figure.  Usage: jqbench [quick]
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "config.h"
#include "extract.h"
#include "extract_child.h"
#include "extract_jq.h"
#include "log.h"

#define MIB (1024 * 1024)
#define CAP (8 * MIB)

/* Returns the process's CPU time in seconds: the figures are CPU, which
 * other work on a shared machine does not inflate as much as wall time
 * (on an idle loop, a poll blocks it for as long). */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns the monotonic clock in seconds. */
static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A GA4 runReport of about 1 KB: 4 rows of 3 metrics, as strings. */
static char *
ga4_body(void)
{
	char *b = malloc(4096), *p = b;
	int i;

	p += sprintf(p,
	    "{\"dimensionHeaders\":[{\"name\":\"date\"}],"
	    "\"metricHeaders\":[{\"name\":\"activeUsers\",\"type\":"
	    "\"TYPE_INTEGER\"},{\"name\":\"sessions\",\"type\":"
	    "\"TYPE_INTEGER\"},{\"name\":\"bounceRate\",\"type\":"
	    "\"TYPE_FLOAT\"}],\"rows\":[");
	for (i = 0; i < 4; i++)
		p += sprintf(p,
		    "%s{\"dimensionValues\":[{\"value\":\"2026112%d\"}],"
		    "\"metricValues\":[{\"value\":\"%d\"},{\"value\":\"%d\"},"
		    "{\"value\":\"0.%d375\"}]}",
		    i ? "," : "", i, 1234 + i, 2345 + i, i);
	sprintf(p,
	    "],\"rowCount\":4,\"metadata\":{\"currencyCode\":\"USD\","
	    "\"timeZone\":\"America/Los_Angeles\"},\"kind\":"
	    "\"analyticsData#runReport\"}");
	return b;
}

/* Loads text, exiting on an error. */
static struct config *
load(const char *text)
{
	char err[CONFIG_ERR_LEN];
	struct config *cf =
	    config_load_string(text, "bench.conf", err, sizeof err);

	if (cf == NULL) {
		fprintf(stderr, "jqbench: %s\n", err);
		exit(1);
	}
	return cf;
}

/* Times n polls of body by source 0 of cf in 5 rounds; returns the
 * fastest round's microseconds a poll (other work on the machine only
 * ever slows a round down). */
static double
per_poll(struct config *cf, const char *body, long n)
{
	struct extract *ex = extract_new(EXTRACT_MAX_DEPTH);
	struct json_object *values;
	struct source_error err;
	double t0, best = 0;
	long i;
	int round;

	for (round = 0; round < 5; round++) {
		t0 = now();
		for (i = 0; i < n / 5; i++) {
			if (extract_source(ex, body, strlen(body),
			        &cf->cf_sources[0], &values, &err) == -1) {
				fprintf(
				    stderr, "jqbench: %s\n", err.se_message);
				exit(1);
			}
			json_object_put(values);
		}
		t0 = (now() - t0) / (double)(n / 5) * 1e6;
		if (round == 0 || t0 < best)
			best = t0;
	}
	extract_free(ex);
	return best;
}

/* Figure 1: a jq stat on a ~1 KB body, against a pointer. */
static void
bench_poll(long n)
{
	static const char head[] = "[source s]\nurl = http://127.0.0.1/\n";
	char *body = ga4_body(), text[512];
	struct config *jq, *ptr, *ifonly;
	double us_jq, us_ptr, us_if;

	snprintf(text, sizeof text,
	    "%sstat users = jq: .rows[0].metricValues[0].value | tonumber\n",
	    head);
	jq = load(text);
	snprintf(text, sizeof text,
	    "%sstat users = /rows/0/metricValues/0/value\n", head);
	ptr = load(text);
	snprintf(text, sizeof text,
	    "%serror_if = jq: .error.message\n"
	    "stat users = jq: .rows[0].metricValues[0].value | tonumber\n",
	    head);
	ifonly = load(text);
	us_ptr = per_poll(ptr, body, n);
	us_jq = per_poll(jq, body, n);
	us_if = per_poll(ifonly, body, n);
	printf("{\"figure\":\"jq_stat_poll\",\"body_bytes\":%zu,"
	       "\"us_per_poll_pointer\":%.2f,\"us_per_poll_jq\":%.2f,"
	       "\"us_per_poll_jq_and_error_if\":%.2f,\"target_us\":20}\n",
	    strlen(body), us_ptr, us_jq, us_if);
	config_free(jq);
	config_free(ptr);
	config_free(ifonly);
	free(body);
}

/* Figure 2: loading 10,000 sources that share 3 programs. */
static void
bench_load(int n)
{
	static const char *const programs[] = {
	    ".rows[0].metricValues[0].value | tonumber",
	    "[.data[] | select(.status == \"succeeded\") | .amount] | add",
	    "select(.result? == \"error\") | .message",
	};
	size_t cap = (size_t)n * 256, len = 0;
	char *text = malloc(cap);
	struct config *cf;
	double t0;
	int i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "[source s%d]\nurl = http://127.0.0.1/%d\n"
		    "stat v = jq: %s\nerror_if = jq: %s\n",
		    i, i, programs[i % 2], programs[2]);
	t0 = now();
	cf = load(text);
	t0 = now() - t0;
	printf("{\"figure\":\"jq_load\",\"sources\":%d,\"programs\":%zu,"
	       "\"seconds\":%.3f,\"target_s\":2}\n",
	    n, extract_jq_set_count(cf->cf_jq), t0);
	config_free(cf);
	free(text);
}

/* A growing buffer for a body. */
struct buf {
	char *b;
	size_t len, cap;
};

/* Appends s to bf. */
static void
put(struct buf *bf, const char *s, size_t n)
{
	if (bf->len + n + 1 > bf->cap) {
		bf->cap = (bf->len + n + 1) * 2;
		if ((bf->b = realloc(bf->b, bf->cap)) == NULL)
			exit(1);
	}
	memcpy(bf->b + bf->len, s, n);
	bf->len += n;
	bf->b[bf->len] = '\0';
}

#define PUTS(bf, s) put(bf, s, strlen(s))

/* Rotates x left by r. */
static uint32_t
rotl(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* Returns the inverse of odd a modulo 2^32. */
static uint32_t
inverse(uint32_t a)
{
	uint32_t x = a;
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x;
}

/* jq 1.6's MurmurHash3 block step, and its seed. */
#define C1 0xcc9e2d51u
#define C2 0x1b873593u
#define SEED 0x432A9843u

/* Returns the hash state after block k from state h. */
static uint32_t
step(uint32_t h, uint32_t k)
{
	k *= C1;
	k = rotl(k, 15);
	k *= C2;
	h ^= k;
	h = rotl(h, 13);
	return h * 5 + 0xe6546b64u;
}

/* Returns 1 if the 4 bytes of w are printable ASCII but '"' and '\'. */
static int
printable(uint32_t w)
{
	int i;

	for (i = 0; i < 4; i++, w >>= 8) {
		unsigned c = w & 0xff;

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* Returns the printable word after w (bytes counted from the lowest);
 * 0 after the last. */
static uint32_t
next_printable(uint32_t w)
{
	int i;

	for (i = 0; i < 32; i += 8) {
		uint32_t c = (w >> i) & 0xff;

		do
			c++;
		while (c == '"' || c == '\\');
		if (c <= 0x7e)
			return (w & ~(0xffu << i)) | (c << i);
		w = (w & ~(0xffu << i)) | (0x20u << i);
	}
	return 0;
}

/*
 * Writes the next 8-byte key whose jq hash state after both blocks is
 * the same for all: a first block from *a on, and the second block
 * solved for (the step is invertible); returns 0 when out of keys.
 */
static int
colliding_key(uint32_t *a, char key[9])
{
	const uint32_t target = 0x12345678u;
	const uint32_t inv5 = inverse(5), ic1 = inverse(C1), ic2 = inverse(C2);
	uint32_t h1, x, b;

	for (; *a != 0; *a = next_printable(*a)) {
		h1 = step(SEED, *a);
		x = (target - 0xe6546b64u) * inv5;
		x = (x >> 13) | (x << 19); /* undo rotl 13 */
		x ^= h1;
		x *= ic2;
		x = (x >> 15) | (x << 17); /* undo rotl 15 */
		b = x * ic1;
		if (step(h1, b) != target || !printable(b))
			continue;
		memcpy(key, a, 4);
		memcpy(key + 4, &b, 4);
		key[8] = '\0';
		*a = next_printable(*a);
		return 1;
	}
	return 0;
}

/* Appends an object of m members with colliding keys from *a, while
 * the body stays under the cap. */
static void
put_colliding_object(struct buf *bf, size_t m, uint32_t *a)
{
	char key[9], member[48];
	size_t j;

	PUTS(bf, "{");
	for (j = 0; j < m && bf->len < CAP - 64 && colliding_key(a, key); j++) {
		snprintf(member, sizeof member, "%s\"%s\":%zu", j ? "," : "",
		    key, j);
		PUTS(bf, member);
	}
	PUTS(bf, "}");
}

/* Times one poll of body with stat value (a pointer or "jq: ..."); sets
 * *kind to its result. */
static double
poll_once(struct buf *bf, const char *value, const char **kind)
{
	char text[512];
	struct config *cf;
	struct extract *ex = extract_new(EXTRACT_MAX_DEPTH);
	struct json_object *values = NULL;
	struct source_error err;
	double t0;
	int rc;

	snprintf(text, sizeof text,
	    "[source s]\nurl = http://127.0.0.1/\nstat v = %s\n", value);
	cf = load(text);
	memset(&err, 0, sizeof err);
	t0 = now();
	rc = extract_values(
	    ex, bf->b, bf->len, cf->cf_sources[0].src_stats, 1, &values, &err);
	t0 = now() - t0;
	*kind = rc == 0 ? "ok" : source_err_name(err.se_kind);
	json_object_put(values);
	extract_free(ex);
	config_free(cf);
	return t0;
}

/* extract_child's callback: keeps the result's kind. */
static void
child_done_cb(struct json_object *values, struct source_error *err, void *arg)
{
	const char **kind = arg;

	*kind = values != NULL ? "ok" : source_err_name(err->se_kind);
	json_object_put(values);
}

/* Has a child extract body with stat value, as the loop does; returns
 * the loop's CPU seconds (this process's: the child's are its own) and
 * sets *wall_s to the time until the result came. */
static double
child_once(struct buf *bf, const char *value, double *wall_s, const char **kind)
{
	char text[512];
	struct config *cf;
	struct extract *ex = extract_new(EXTRACT_MAX_DEPTH);
	struct event_base *base = event_base_new();
	struct extract_child *ec;
	double t0, w0;

	snprintf(text, sizeof text,
	    "[source s]\nurl = http://127.0.0.1/\nmax_body = 8M\n"
	    "stat v = %s\n",
	    value);
	cf = load(text);
	*kind = "none";
	/* The earlier figures' garbage would make the fork dearer. */
	malloc_trim(0);
	w0 = wall();
	t0 = now();
	ec = extract_child_start(base, ex, bf->b, bf->len, &cf->cf_sources[0],
	    600000, child_done_cb, kind);
	if (ec == NULL) {
		fprintf(stderr, "jqbench: no child\n");
		exit(1);
	}
	event_base_dispatch(base);
	t0 = now() - t0;
	*wall_s = wall() - w0;
	event_base_free(base);
	extract_free(ex);
	config_free(cf);
	return t0;
}

/* Times one poll of body with jq program, and json-c's share of it (the
 * same body with a pointer stat); prints it as figure what. */
static void
hostile(const char *what, struct buf *bf, const char *program)
{
	char value[256];
	const char *kind, *ignored, *child_kind;
	double jq, json_c, loop, child_wall;

	snprintf(value, sizeof value, "jq: %s", program);
	jq = poll_once(bf, value, &kind);
	json_c = poll_once(bf, "/no/such/stat", &ignored);
	loop = child_once(bf, value, &child_wall, &child_kind);
	printf("{\"figure\":\"jq_hostile\",\"body\":\"%s\",\"bytes\":%zu,"
	       "\"program\":\"%s\",\"cpu_ms_poll\":%.1f,"
	       "\"cpu_ms_json_c_alone\":%.1f,\"result\":\"%s\","
	       "\"cpu_ms_loop_with_child\":%.2f,\"wall_ms_child\":%.1f,"
	       "\"child_result\":\"%s\"}\n",
	    what, bf->len, program, jq * 1e3, json_c * 1e3, kind, loop * 1e3,
	    child_wall * 1e3, child_kind);
	fflush(stdout);
}

/* Times giving jq one object of m keys that collide under the fixed
 * seed (extract_jq_doc_new alone). */
static void
colliding(size_t m)
{
	struct buf bf = {0};
	uint32_t a = 0x20202020u;
	struct extract_jq_doc *doc;
	struct json_object *parsed;
	double t0;

	put_colliding_object(&bf, m, &a);
	parsed = json_tokener_parse(bf.b);
	t0 = now();
	doc = extract_jq_doc_new(parsed);
	t0 = now() - t0;
	json_object_put(parsed);
	printf("{\"figure\":\"jq_colliding_keys\",\"members\":%zu,"
	       "\"bytes\":%zu,\"cpu_ms_to_jq\":%.1f}\n",
	    m, bf.len, t0 * 1e3);
	fflush(stdout);
	extract_jq_doc_free(doc);
	free(bf.b);
}

/* Figure 4: what a child costs the loop when the daemon holds mb MiB
 * (10,000 sources: about 150) in small blocks, as its heap does: the
 * fork, and the copies of the pages the loop writes while the child
 * runs are the parent's. */
static void
bench_fork(size_t mb)
{
	struct buf bf = {0};
	size_t i, n = mb * MIB / 256;
	char **blocks = calloc(n, sizeof *blocks);
	const char *kind;
	double loop, child_wall;

	for (i = 0; i < n; i++) {
		if ((blocks[i] = malloc(256)) == NULL)
			exit(1);
		memset(blocks[i], 1, 256);
	}
	PUTS(&bf, "{\"rows\":[{\"x\":1}],\"pad\":\"");
	while (bf.len < EXTRACT_CHILD_MIN)
		PUTS(&bf, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	PUTS(&bf, "\"}");
	loop = child_once(&bf, "jq: .rows[0].x", &child_wall, &kind);
	printf("{\"figure\":\"jq_child_fork\",\"resident_mb\":%zu,"
	       "\"bytes\":%zu,\"cpu_ms_loop\":%.2f,\"wall_ms_child\":%.1f,"
	       "\"result\":\"%s\"}\n",
	    mb, bf.len, loop * 1e3, child_wall * 1e3, kind);
	fflush(stdout);
	for (i = 0; i < n; i++)
		free(blocks[i]);
	free(blocks);
	free(bf.b);
}

/* Figure 3: hostile bodies within the 8 MiB cap. */
static void
bench_hostile(int quick)
{
	struct buf bf = {0};
	char item[64];
	uint32_t a = 0x20202020u;
	size_t i, depth;

	/* 8 MB of small numbers in one array. */
	PUTS(&bf, "[");
	for (i = 0; bf.len < CAP - 16; i++) {
		snprintf(item, sizeof item, "%s%zu", i ? "," : "", i % 10);
		PUTS(&bf, item);
	}
	PUTS(&bf, "]");
	hostile("8 MB array of numbers", &bf, ".[0]");
	hostile("8 MB array of numbers", &bf, "[.[] | . * 2] | length");
	hostile(
	    "8 MB array of numbers", &bf, "[.[] | tostring] | add | length");
	bf.len = 0;

	/* 8 MB of small objects. */
	PUTS(&bf, "[");
	for (i = 0; bf.len < CAP - 64; i++) {
		snprintf(item, sizeof item, "%s{\"a\":%zu,\"s\":\"x\"}",
		    i ? "," : "", i % 100);
		PUTS(&bf, item);
	}
	PUTS(&bf, "]");
	hostile("8 MB array of objects", &bf, "[.[] | .a] | add");
	hostile("8 MB array of objects", &bf, "[.. | numbers] | length");
	bf.len = 0;

	/* Nesting at json-c's limit (63 levels), repeated to 8 MB. */
	PUTS(&bf, "[");
	for (i = 0; bf.len < CAP - 256; i++) {
		if (i)
			PUTS(&bf, ",");
		for (depth = 0; depth < 62; depth++)
			PUTS(&bf, "[");
		PUTS(&bf, "1");
		for (depth = 0; depth < 62; depth++)
			PUTS(&bf, "]");
	}
	PUTS(&bf, "]");
	hostile("8 MB of arrays 63 deep", &bf, "[..] | length");
	hostile("8 MB of arrays 63 deep", &bf, "[paths] | length");
	bf.len = 0;

	/* 8 MB of one object whose keys collide under the fixed seed. */
	put_colliding_object(&bf, SIZE_MAX, &a);
	hostile("one object of colliding keys", &bf, "length");
	free(bf.b);

	/* Quadratic (a fixed seed) or linear (a random one) in m. */
	colliding(4096);
	colliding(16384);
	colliding(65536);
	if (!quick)
		colliding(262144);
}

/* Runs every figure. */
int
main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "quick") == 0;

	log_set_level(LOG_LEVEL_ERROR);
	bench_poll(quick ? 20000 : 200000);
	bench_load(10000);
	bench_fork(16);
	bench_fork(150);
	bench_hostile(quick);
	return 0;
}
