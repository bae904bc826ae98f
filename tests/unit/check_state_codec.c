/*
 * Tests of the state codec, without files: a source's state encoded to
 * text, parsed and decoded back into a fresh cache (values, times, the
 * error, validators, history bit for bit, as compressed blocks), a
 * corrupt block left out alone, version 2's and an old entry without stat
 * pointers, and every bad form decode must refuse with a reason.  The
 * state file around it (writes, crashes, corrupt files) is check_store's.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cache.h"
#include "harness.h"
#include "log.h"
#include "points.h"
#include "rollup.h"
#include "state_codec.h"
#include "runner.h"

/* A fixed wall time in ms: 2026-11-18T11:06:40Z. */
#define T0 1795000000000LL

/* Encodes e, parses the text and decodes it into sv; returns the doc. */
static struct json_object *
round_trip(const struct cache_entry *e, struct state_saved *sv)
{
	struct json_object *o, *doc;
	const char *text, *why;
	char err[128] = "";
	size_t len;
	int oom = 0;

	ck_assert_ptr_nonnull(o = state_codec_encode(e));
	ck_assert_ptr_nonnull(text = state_codec_text(o, &len));
	ck_assert_ptr_null(strstr(text, "secret"));
	doc = state_codec_parse(text, len, err, sizeof err, &oom);
	ck_assert_msg(doc != NULL, "%s", err);
	json_object_put(o);
	why = state_codec_decode(doc, sv);
	ck_assert_msg(why == NULL, "%s", why);
	return doc;
}

/* Everything encoded comes back the same; credentials never go out. */
START_TEST(test_round_trip)
{
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf), *c2 = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups"), *e2;
	struct source_error err;
	struct state_saved sv;
	struct json_object *doc, *v;

	ck_assert_int_eq(state_codec_empty(e), 1);
	cache_put_ok(
	    c, e, json_tokener_parse("{\"total\": 5, \"active\": 1}"), T0);
	cache_put_ok(c, e,
	    json_tokener_parse("{\"total\": 6, \"active\": null}"), T0 + 1000);
	ck_assert_int_eq(cache_set_validators(e, "\"v1\"", "yesterday"), 1);
	source_error_set(&err, SOURCE_ERR_TIMEOUT, 0, T0 + 2000, "slow");
	cache_put_error(c, e, &err, 1000);
	ck_assert_int_eq(state_codec_empty(e), 0);

	doc = round_trip(e, &sv);
	ck_assert_str_eq(sv.sv_url, "https://api.example.com/v1/signups?x=1");
	ck_assert_int_eq(sv.sv_updated_at, T0 + 1000);
	ck_assert_str_eq(sv.sv_etag, "\"v1\"");
	ck_assert_str_eq(sv.sv_last_modified, "yesterday");
	ck_assert_int_eq(sv.sv_has_error, 1);
	ck_assert_str_eq(sv.sv_error.se_message, "slow");
	ck_assert_ptr_nonnull(sv.sv_stats);
	e2 = cache_find(c2, "signups");
	ck_assert_int_eq(state_codec_same_source(e2, "signups", &sv), 1);
	ck_assert_int_eq(state_codec_same_source(e2, "orders", &sv), 0);
	ck_assert_int_eq(state_codec_apply(c2, e2, &sv), 0);
	json_object_put(doc);
	ck_assert_int_eq(cache_entry_status(e2), CACHE_STALE);
	ck_assert(json_object_object_get_ex(e2->ce_values, "total", &v));
	ck_assert_int_eq(json_object_get_int(v), 6);
	ck_assert_str_eq(e2->ce_etag, "\"v1\"");
	ck_assert_int_eq(e2->ce_error.se_kind, SOURCE_ERR_TIMEOUT);
	ck_assert_uint_eq(history_len(e2->ce_history[0]), 2);
	ck_assert_uint_eq(history_len(e2->ce_history[1]), 2);
	cache_free(c);
	cache_free(c2);
	config_free(cf);
}
END_TEST

/* The kinds of real APIs' failures, auth and api_error, survive the
 * state file. */
START_TEST(test_api_kinds)
{
	static const enum source_err kinds[] = {
	    SOURCE_ERR_AUTH, SOURCE_ERR_API_ERROR};
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups");
	struct source_error err;
	struct state_saved sv;
	struct json_object *doc;
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		source_error_set(&err, kinds[i], 200, T0, "said no");
		cache_put_error(c, e, &err, 1000);
		doc = round_trip(e, &sv);
		ck_assert_int_eq(sv.sv_has_error, 1);
		ck_assert_int_eq(sv.sv_error.se_kind, kinds[i]);
		ck_assert_str_eq(sv.sv_error.se_message, "said no");
		json_object_put(doc);
	}
	cache_free(c);
	config_free(cf);
}
END_TEST

/* An entry from before pointers were saved matches every stat. */
START_TEST(test_no_pointers)
{
	static const char old[] =
	    "{\"url\": \"http://orders.example.net/stats\", "
	    "\"values\": {\"count\": 8, \"gone\": 1}, \"updated_at\": "
	    "1795000000000, \"etag\": \"o\", "
	    "\"history\": {\"count\": [[1795000000000, 8], [1795000000000, "
	    "null]], \"gone\": [[1, 1]]}, \"ghost\": true}";
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "orders");
	struct json_object *doc = json_tokener_parse(old);
	struct state_saved sv;

	ck_assert_ptr_null(state_codec_decode(doc, &sv));
	ck_assert_ptr_null(sv.sv_stats);
	ck_assert_int_eq(state_codec_apply(c, e, &sv), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(
	                     e->ce_values, JSON_C_TO_STRING_PLAIN),
	    "{\"count\":8}");
	ck_assert_str_eq(e->ce_etag, "o");
	ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
	json_object_put(doc);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Fills stat i of e with n points, every awkward double among them. */
static void
fill(struct cache_entry *e, size_t i, int n)
{
	static const double odd[] = {
	    NAN, -0.0, INFINITY, -INFINITY, 1e308, 5e-324};
	int k;

	for (k = 0; k < n; k++)
		cache_restore_point(e, i, T0 + 1000LL * k,
		    k % 7 == 0 ? odd[(k / 7) % 6] : 100.0 + k * (double)i);
}

/* The text of e's saved state; the caller frees. */
static char *
encode_text(const struct cache_entry *e)
{
	struct json_object *o;
	const char *text;
	char *copy;
	size_t len;

	ck_assert_ptr_nonnull(o = state_codec_encode(e));
	ck_assert_ptr_nonnull(text = state_codec_text(o, &len));
	ck_assert_ptr_nonnull(copy = strdup(text));
	json_object_put(o);
	return copy;
}

/* Parses and decodes text into sv and applies it to e; returns the doc. */
static struct json_object *
decode_apply(const char *text, struct cache *c, struct cache_entry *e,
    struct state_saved *sv)
{
	struct json_object *doc;
	const char *why;
	char err[128] = "";
	int oom = 0;

	doc = state_codec_parse(text, strlen(text), err, sizeof err, &oom);
	ck_assert_msg(doc != NULL, "%s", err);
	why = state_codec_decode(doc, sv);
	ck_assert_msg(why == NULL, "%s", why);
	ck_assert_int_eq(state_codec_apply(c, e, sv), 0);
	return doc;
}

/* The history is saved as its blocks and comes back bit for bit, the
 * skipped points of the oldest block still skipped; appends go on. */
START_TEST(test_history_blocks)
{
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf), *c2 = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups"),
	                   *e2 = cache_find(c2, "signups");
	static struct points total, active;
	struct json_object *doc, *raw;
	struct state_saved sv;
	char *text, *again;

	/* 500 points in 360, blocks of 240: three blocks, 140 of the first
	 * skipped, of which 120 were trimmed off it (60 at a time). */
	fill(e, 0, 500);
	fill(e, 1, 37);
	points_of(e->ce_history[0], &total);
	points_of(e->ce_history[1], &active);
	ck_assert_uint_eq(total.p_n, 360);
	text = encode_text(e);
	ck_assert_ptr_nonnull(strstr(text, "\"skip\":20}"));
	ck_assert_ptr_nonnull(strstr(text, "{\"raw\":{\"blocks\":[[120,\""));
	doc = decode_apply(text, c2, e2, &sv);
	raw = json_object_object_get(
	    json_object_object_get(sv.sv_history, "total"), "raw");
	ck_assert_uint_eq(
	    json_object_array_length(json_object_object_get(raw, "blocks")), 3);
	json_object_put(doc);
	ck_assert_uint_eq(history_len(e2->ce_history[0]), 360);
	ck_assert_uint_eq(history_len(e2->ce_history[1]), 37);
	points_expect(e2->ce_history[0], 0, &total, 0, 360);
	points_expect(e2->ce_history[1], 0, &active, 0, 37);
	/* Saved again, the same text: the same blocks and skip. */
	again = encode_text(e2);
	ck_assert_str_eq(again, text);
	free(again);
	/* The open block takes appends after the load as before it. */
	cache_restore_point(e, 0, T0 + 600000, 1.5);
	cache_restore_point(e2, 0, T0 + 600000, -0.0);
	cache_restore_point(e, 0, T0 + 601000, -0.0);
	cache_restore_point(e2, 0, T0 + 601000, -0.0);
	points_of(e->ce_history[0], &total);
	total.p_bits[358] = 0x8000000000000000ULL; /* -0.0 went to e2 */
	points_expect(e2->ce_history[0], 0, &total, 0, 360);
	free(text);
	cache_free(c);
	cache_free(c2);
	config_free(cf);
}
END_TEST

/* Where state_codec_history_restore said it left blocks out. */
struct skipped {
	size_t sk_block[8];
	const char *sk_why[8];
	size_t sk_n;
};

/* state_codec_skip_cb: records a block left out. */
static void
skipped_cb(size_t block, const char *why, void *arg)
{
	struct skipped *sk = arg;

	ck_assert_uint_lt(sk->sk_n, 8);
	ck_assert_ptr_nonnull(why);
	sk->sk_block[sk->sk_n] = block;
	sk->sk_why[sk->sk_n] = why;
	sk->sk_n++;
}

/* A byte changed in a block's base64 leaves that block out, with its
 * index and why; the other blocks, stats and values are restored. */
START_TEST(test_corrupt_block)
{
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf), *c2 = cache_new(cf);
	struct cache_entry *e = cache_find(c, "signups"),
	                   *e2 = cache_find(c2, "signups");
	static struct points total, active;
	struct skipped sk = {{0}, {0}, 0};
	struct json_object *doc, *raw;
	struct state_saved sv;
	struct history *h;
	char *text, *at;

	cache_put_ok(
	    c, e, json_tokener_parse("{\"total\": 5, \"active\": 1}"), T0);
	cache_clear_history(e);
	fill(e, 0, 500);
	fill(e, 1, 300);
	points_of(e->ce_history[0], &total);
	points_of(e->ce_history[1], &active);
	text = encode_text(e);
	/* The second block of total: a character inside its payload. */
	ck_assert_ptr_nonnull(at = strstr(text, "\"total\":{\"raw\""));
	ck_assert_ptr_nonnull(at = strstr(at, "\"],[240,\""));
	at += strlen("\"],[240,\"") + 40;
	*at = *at == 'A' ? 'B' : 'A';
	doc = decode_apply(text, c2, e2, &sv);
	/* Shown: 100 of block 0 (140 skipped), none of 1, 20 of 2. */
	ck_assert_uint_eq(history_len(e2->ce_history[0]), 120);
	points_expect(e2->ce_history[0], 0, &total, 0, 100);
	points_expect(e2->ce_history[0], 100, &total, 340, 20);
	ck_assert_uint_eq(history_len(e2->ce_history[1]), 300);
	points_expect(e2->ce_history[1], 0, &active, 0, 300);
	ck_assert_int_eq(cache_entry_status(e2), CACHE_STALE);
	/* What the warning is told. */
	raw = json_object_object_get(
	    json_object_object_get(sv.sv_history, "total"), "raw");
	ck_assert_ptr_nonnull(h = history_new(360));
	ck_assert_ptr_null(
	    state_codec_history_restore(raw, h, skipped_cb, &sk));
	ck_assert_uint_eq(sk.sk_n, 1);
	ck_assert_uint_eq(sk.sk_block[0], 1);
	ck_assert_str_eq(sk.sk_why[0], "the block's checksum does not match");
	ck_assert_uint_eq(history_len(h), 120);
	history_free(h);
	json_object_put(doc);
	free(text);
	cache_free(c);
	cache_free(c2);
	config_free(cf);
}
END_TEST

/* Blocks of the wrong shape are each left out and told; a history of
 * the wrong shape is refused whole. */
START_TEST(test_bad_blocks)
{
	static const char blocks[] =
	    "{\"skip\": 0, \"blocks\": [[1], [\"a\", \"b\"], [241, \"AAAA\"], "
	    "[1, \"!!!!\"], [-1, \"\"], 5, [0, \"\"], [1, \"AAAAAAAA\"]]}";
	static const char *const bad[] = {
	    "5",
	    "{\"blocks\": 5}",
	    "{\"blocks\": [], \"skip\": -1}",
	    "{\"skip\": \"1\"}",
	};
	struct skipped sk = {{0}, {0}, 0};
	struct json_object *o;
	struct history *h = history_new(10);
	size_t i;

	ck_assert_ptr_nonnull(o = json_tokener_parse(blocks));
	ck_assert_ptr_null(state_codec_history_check(o));
	ck_assert_ptr_null(state_codec_history_restore(o, h, skipped_cb, &sk));
	ck_assert_uint_eq(sk.sk_n, 8);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(sk.sk_block[i], i);
	ck_assert_uint_eq(history_len(h), 0);
	json_object_put(o);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_ptr_nonnull(o = json_tokener_parse(bad[i]));
		ck_assert_msg(state_codec_history_check(o) != NULL,
		    "case %zu checked", i);
		ck_assert_msg(
		    state_codec_history_restore(o, h, NULL, NULL) != NULL,
		    "case %zu restored", i);
		json_object_put(o);
	}
	history_free(h);
}
END_TEST

/* A version 2 entry, base64 of 16-byte points, still restores bit for
 * bit; members beside raw (rollups to come) are not read. */
START_TEST(test_v2_and_rollup)
{
	/* [T0, 5], [T0 + 1000, a NaN with payload 1], [T0 + 2000, -0.0]. */
	static const char v2[] =
	    "{\"url\": \"http://orders.example.net/stats\", "
	    "\"values\": {\"count\": 8}, \"updated_at\": 1795000000000, "
	    "\"stats\": {\"count\": \"/count\"}, "
	    "\"history\": {\"count\": \"AF5W7qEBAAAAAAAAAAAUQOhhVu6hAQAAAQAAAA"
	    "AA+H/QZVbuoQEAAAAAAAAAAACA\"}}";
	static const char rollup[] =
	    "{\"url\": \"http://orders.example.net/stats\", "
	    "\"history\": {\"count\": {\"raw\": {\"blocks\": [], \"skip\": 0}, "
	    "\"rollup\": {\"1m\": [1, 2, 3]}}}}";
	struct config *cf = harness_config(harness_three_sources, "a.conf");
	struct cache *c = cache_new(cf);
	struct cache_entry *e = cache_find(c, "orders");
	static struct points p;
	struct json_object *doc;
	struct state_saved sv;

	doc = decode_apply(v2, c, e, &sv);
	points_of(e->ce_history[0], &p);
	ck_assert_uint_eq(p.p_n, 3);
	ck_assert_int_eq(p.p_ms[0], T0);
	ck_assert_uint_eq(p.p_bits[0], 0x4014000000000000ULL);
	ck_assert_int_eq(p.p_ms[1], T0 + 1000);
	ck_assert_uint_eq(p.p_bits[1], 0x7ff8000000000001ULL);
	ck_assert_uint_eq(p.p_bits[2], 0x8000000000000000ULL);
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	json_object_put(doc);
	cache_free(c);

	c = cache_new(cf);
	e = cache_find(c, "orders");
	doc = decode_apply(rollup, c, e, &sv);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 0);
	json_object_put(doc);
	cache_free(c);
	config_free(cf);
}
END_TEST

/* Rollups of 10 s, 20 kept, and 30 raw points: most buckets are older
 * than the raw points, so only saved rollups can bring them back. */
static const char rollup_conf[] = "[source r]\n"
                                  "url = http://r.example/stats\n"
                                  "history = 30\n"
                                  "history_rollup = 10s\n"
                                  "history_rollup_points = 20\n"
                                  "stat v = /v\n";

/* Every bucket rollup_each reports, as the range query would see it. */
struct buckets {
	int64_t bk_start[32];
	uint64_t bk_bits[32][3]; /* min, max, sum */
	uint64_t bk_count[32];
	size_t bk_n;
};

/* Returns the bits of d. */
static uint64_t
bits_of(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof v);
	return v;
}

/* rollup_each callback: records a bucket. */
static void
bucket_cb(int64_t start_ms, int64_t width_ms, double min, double max,
    double sum, uint64_t count, void *arg)
{
	struct buckets *b = arg;

	(void)width_ms;
	ck_assert_uint_lt(b->bk_n, 32);
	b->bk_start[b->bk_n] = start_ms;
	b->bk_bits[b->bk_n][0] = bits_of(min);
	b->bk_bits[b->bk_n][1] = bits_of(max);
	b->bk_bits[b->bk_n][2] = bits_of(sum);
	b->bk_count[b->bk_n] = count;
	b->bk_n++;
}

/* Asserts r reports the buckets want, bit for bit. */
static void
buckets_expect(const struct rollup *r, const struct buckets *want)
{
	static struct buckets got;
	size_t i;

	memset(&got, 0, sizeof got);
	rollup_each(r, INT64_MIN, bucket_cb, &got);
	ck_assert_uint_eq(got.bk_n, want->bk_n);
	for (i = 0; i < got.bk_n; i++) {
		ck_assert_int_eq(got.bk_start[i], want->bk_start[i]);
		ck_assert(memcmp(got.bk_bits[i], want->bk_bits[i],
		              sizeof got.bk_bits[i]) == 0);
		ck_assert_uint_eq(got.bk_count[i], want->bk_count[i]);
	}
}

/* 185 points a second apart (some NaN, -0.0, an infinity): 18 closed
 * buckets and an open one of 4 numbers. */
static void
fill_rollup(struct cache_entry *e)
{
	int k;

	for (k = 0; k < 185; k++)
		cache_restore_point(e, 0, T0 + 1000LL * k,
		    k == 3           ? INFINITY
		        : k == 50    ? -0.0
		        : k % 9 == 0 ? NAN
		                     : (double)(k * 37 % 101) / 8.0);
}

/* The rollups are saved (their blocks, the open bucket) and come back
 * bit for bit, beyond the raw points; saved again, the same text. */
START_TEST(test_rollups_saved)
{
	struct config *cf = harness_config(rollup_conf, "r.conf");
	struct cache *c = cache_new(cf), *c2 = cache_new(cf);
	struct cache_entry *e = cache_find(c, "r"), *e2 = cache_find(c2, "r");
	static struct buckets want;
	struct json_object *doc;
	struct state_saved sv;
	char *text, *again;

	fill_rollup(e);
	memset(&want, 0, sizeof want);
	rollup_each(e->ce_rollup[0], INT64_MIN, bucket_cb, &want);
	ck_assert_uint_eq(want.bk_n, 19);
	ck_assert_uint_eq(want.bk_count[18], 4); /* 180 is NaN */
	text = encode_text(e);
	ck_assert_ptr_nonnull(strstr(text, "\"rollup\":{\"width_ms\":10000,"));
	doc = decode_apply(text, c2, e2, &sv);
	json_object_put(doc);
	buckets_expect(e2->ce_rollup[0], &want);
	ck_assert_uint_eq(history_len(e2->ce_history[0]), 30);
	again = encode_text(e2);
	ck_assert_str_eq(again, text);
	free(again);
	/* The open bucket goes on filling where it was. */
	cache_restore_point(e, 0, T0 + 185000, 2.0);
	cache_restore_point(e2, 0, T0 + 185000, 2.0);
	cache_restore_point(e, 0, T0 + 190000, 3.0);
	cache_restore_point(e2, 0, T0 + 190000, 3.0);
	memset(&want, 0, sizeof want);
	rollup_each(e->ce_rollup[0], INT64_MIN, bucket_cb, &want);
	buckets_expect(e2->ce_rollup[0], &want);
	free(text);
	cache_free(c);
	cache_free(c2);
	config_free(cf);
}
END_TEST

/* Saved rollups that cannot be used (another width, a corrupt block in
 * one series, none saved at all) are rebuilt from the raw points: the
 * buckets those points cover, nothing made up, the raw points kept. */
START_TEST(test_rollups_rebuilt)
{
	static const char other_width[] = "[source r]\n"
	                                  "url = http://r.example/stats\n"
	                                  "history = 30\n"
	                                  "history_rollup = 5s\n"
	                                  "stat v = /v\n";
	struct config *cf = harness_config(rollup_conf, "r.conf");
	struct config *cf5 = harness_config(other_width, "r5.conf");
	struct cache *c = cache_new(cf), *c2;
	struct cache_entry *e = cache_find(c, "r"), *e2;
	struct rollup *from_raw;
	static struct buckets want;
	struct history_point pt;
	struct json_object *doc;
	struct state_saved sv;
	char *text, *at, *cut;
	int k;

	fill_rollup(e);
	text = encode_text(e);

	/* Under 5 s buckets: what the 30 raw points make. */
	c2 = cache_new(cf5);
	e2 = cache_find(c2, "r");
	doc = decode_apply(text, c2, e2, &sv);
	json_object_put(doc);
	ck_assert_ptr_nonnull(from_raw = rollup_new(5000, 1440));
	for (k = 155; k < 185; k++) {
		pt.hp_ms = T0 + 1000LL * k;
		pt.hp_value = (double)(k * 37 % 101) / 8.0;
		rollup_add(from_raw, pt.hp_ms, k % 9 == 0 ? NAN : pt.hp_value);
	}
	memset(&want, 0, sizeof want);
	rollup_each(from_raw, INT64_MIN, bucket_cb, &want);
	ck_assert_uint_eq(want.bk_n, 6);
	buckets_expect(e2->ce_rollup[0], &want);
	cache_free(c2);

	/* A character changed in the sum series' first block. */
	ck_assert_ptr_nonnull(at = strstr(text, "\"sum\":{\"blocks\":[["));
	ck_assert_ptr_nonnull(at = strstr(at, ",\""));
	at += 20;
	*at = *at == 'A' ? 'B' : 'A';
	c2 = cache_new(cf);
	e2 = cache_find(c2, "r");
	doc = decode_apply(text, c2, e2, &sv);
	json_object_put(doc);
	rollup_free(from_raw);
	ck_assert_ptr_nonnull(from_raw = rollup_new(10000, 20));
	for (k = 155; k < 185; k++)
		rollup_add(from_raw, T0 + 1000LL * k,
		    k % 9 == 0 ? NAN : (double)(k * 37 % 101) / 8.0);
	memset(&want, 0, sizeof want);
	rollup_each(from_raw, INT64_MIN, bucket_cb, &want);
	ck_assert_uint_eq(want.bk_n, 4);
	buckets_expect(e2->ce_rollup[0], &want);
	ck_assert_uint_eq(history_len(e2->ce_history[0]), 30);
	cache_free(c2);

	/* No rollup member (a version 3 file from before them). */
	ck_assert_ptr_nonnull(cut = strstr(text, ",\"rollup\":{"));
	at = strstr(cut, "\"}}");
	ck_assert_ptr_nonnull(at);
	memmove(cut, at + 2, strlen(at + 2) + 1);
	c2 = cache_new(cf);
	e2 = cache_find(c2, "r");
	doc = decode_apply(text, c2, e2, &sv);
	json_object_put(doc);
	buckets_expect(e2->ce_rollup[0], &want);
	cache_free(c2);

	rollup_free(from_raw);
	free(text);
	cache_free(c);
	config_free(cf);
	config_free(cf5);
}
END_TEST

/* Every bad form of an entry is refused with a reason. */
START_TEST(test_bad_entries)
{
	static const char *const bad[] = {
	    "\"a string\"",
	    "{\"values\": {\"total\": 1}, \"updated_at\": 1}",
	    "{\"url\": 7}",
	    "{\"url\": \"@URL@\", \"values\": 5, \"updated_at\": 1}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": {\"a\": 1}}, "
	    "\"updated_at\": 1}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": [1]}, "
	    "\"updated_at\": 1}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": 1}}",
	    "{\"url\": \"@URL@\", \"values\": {\"total\": 1}, "
	    "\"updated_at\": \"yesterday\"}",
	    "{\"url\": \"@URL@\", \"etag\": 5}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": [[2, 1], [1, 1]]}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": [[1]]}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": [[1, \"x\"]]}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": 5}}",
	    "{\"url\": \"@URL@\", \"history\": [1]}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": \"AAAA\"}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": \"!!!!\"}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": {\"raw\": 5}}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": {\"raw\": "
	    "{\"blocks\": {}}}}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": {\"raw\": "
	    "{\"blocks\": [], \"skip\": -1}}}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": {\"raw\": 5}}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": {\"raw\": "
	    "{\"blocks\": {}}}}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": {\"raw\": "
	    "{\"blocks\": [], \"skip\": -1}}}}",
	    "{\"url\": \"@URL@\", \"history\": {\"total\": \"AAA\"}}",
	    /* Two 16-byte points, [2, 1] then [1, 1]: out of order. */
	    "{\"url\": \"@URL@\", \"history\": {\"total\": "
	    "\"AgAAAAAAAAAAAAAAAADwPwEAAAAAAAAAAAAAAAAA8D8=\"}}",
	    "{\"url\": \"@URL@\", \"error\": {\"kind\": \"bogus\", \"at\": 1}}",
	    "{\"url\": \"@URL@\", \"error\": {\"kind\": \"dns\"}}",
	    "{\"url\": \"@URL@\", \"error\": \"boom\"}",
	    "{\"url\": \"@URL@\", \"stats\": 5}",
	    "{\"url\": \"@URL@\", \"stats\": {\"total\": 5}}",
	};
	static const char url[] = "https://api.example.com/v1/signups?x=1";
	struct json_object *doc;
	struct state_saved sv;
	char entry[512], *at;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if ((at = strstr(bad[i], "@URL@")) != NULL)
			snprintf(entry, sizeof entry, "%.*s%s%s",
			    (int)(at - bad[i]), bad[i], url, at + 5);
		else
			snprintf(entry, sizeof entry, "%s", bad[i]);
		ck_assert_ptr_nonnull(doc = json_tokener_parse(entry));
		ck_assert_msg(state_codec_decode(doc, &sv) != NULL,
		    "case %zu decoded", i);
		json_object_put(doc);
	}
}
END_TEST

/* The parser takes one whole JSON document, strictly, and not too deep. */
START_TEST(test_parse)
{
	static const char *const bad[] = {
	    "",
	    "{\"a\": 1",
	    "{\"a\": 1} trailing",
	    "{\"a\": tru}",
	    "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
	    "\"\xff\"",
	};
	struct json_object *doc;
	char why[128];
	size_t i;
	int oom;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		oom = 0;
		doc = state_codec_parse(
		    bad[i], strlen(bad[i]), why, sizeof why, &oom);
		ck_assert_msg(doc == NULL, "case %zu parsed", i);
		ck_assert_int_eq(oom, 0);
		ck_assert_msg(why[0] != '\0', "case %zu: no reason", i);
	}
	oom = 0;
	doc = state_codec_parse("{\"a\": 1}\n", 9, why, sizeof why, &oom);
	ck_assert_ptr_nonnull(doc);
	json_object_put(doc);
}
END_TEST

/* Builds the suite: round trips, old entries, bad entries, the parser. */
static Suite *
state_codec_suite(void)
{
	Suite *s = suite_create("state_codec");
	TCase *tc;

	tc = tcase_create("codec");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_api_kinds);
	tcase_add_test(tc, test_no_pointers);
	tcase_add_test(tc, test_history_blocks);
	tcase_add_test(tc, test_corrupt_block);
	tcase_add_test(tc, test_bad_blocks);
	tcase_add_test(tc, test_v2_and_rollup);
	tcase_add_test(tc, test_rollups_saved);
	tcase_add_test(tc, test_rollups_rebuilt);
	tcase_add_test(tc, test_bad_entries);
	tcase_add_test(tc, test_parse);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	harness_init();
	return runner_run(state_codec_suite()) == 0 ? 0 : 1;
}
