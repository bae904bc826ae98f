/*
 * The state codec.  Encoding builds one json-c object per source, with
 * each stat's history as a custom serializer that writes its compressed
 * blocks in base64 straight into json-c's print buffer; decoding checks
 * every member's type before anything reaches the cache, and a block
 * that fails its checks on restore is left out alone, with a warning.
 * Versions 2 (base64 of 16-byte points) and 1 ([[ms, value], ...]) are
 * read too.
 */
#include <endian.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/printbuf.h>

#include "base64.h"
#include "log.h"
#include "state_codec.h"
#include "state_rollup.h"
#include "tsblock.h"

/* Adds key: v to o, where v NULL means out of memory; 0 or -1. */
int
state_codec_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -1;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Adds key: null to o; 0 or -1. */
static int
state_codec_add_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) == 0 ? 0 : -1;
}

/* Adds key: s to o, or null if s is NULL; 0 or -1. */
static int
state_codec_add_string(struct json_object *o, const char *key, const char *s)
{
	if (s == NULL)
		return state_codec_add_null(o, key);
	return state_codec_add(o, key, json_object_new_string(s));
}

/*
 * A stat's history is saved as its compressed blocks, each the bytes
 * tsblock_data hands out, in base64, written straight into json-c's print
 * buffer: no point is decoded or encoded again on a save.
 */
#define STATE_CODEC_CHUNK 768 /* bytes base64'd at a time: a multiple of 3 */

/* What the block serializer carries from block to block. */
struct state_codec_blocks {
	struct printbuf *sb_pb;
	size_t sb_n; /* blocks written */
	int sb_failed;
};

/* Appends text of len bytes to sb's printbuf, remembering a failure. */
static void
state_codec_blocks_put(
    struct state_codec_blocks *sb, const char *text, size_t len)
{
	if (!sb->sb_failed && printbuf_memappend(sb->sb_pb, text, (int)len) < 0)
		sb->sb_failed = 1;
}

/* history_each_block callback: writes [count, "base64"]. */
static void
state_codec_block_cb(const uint8_t *data, size_t len, unsigned count, void *arg)
{
	struct state_codec_blocks *sb = arg;
	char text[STATE_CODEC_CHUNK / 3 * 4 + 1], head[24];
	size_t off, n;

	n = (size_t)snprintf(
	    head, sizeof head, "%s[%u,\"", sb->sb_n++ > 0 ? "," : "", count);
	state_codec_blocks_put(sb, head, n);
	for (off = 0; off < len; off += n) {
		n = len - off < STATE_CODEC_CHUNK ? len - off
		                                  : STATE_CODEC_CHUNK;
		state_codec_blocks_put(
		    sb, text, base64_encode(data + off, n, text));
	}
	state_codec_blocks_put(sb, "\"]", 2);
}

/* json-c serializer of a history: {"skip": N, "blocks": [...]}. */
static int
state_codec_history_serialise(
    struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	const struct history *h = json_object_get_userdata(jso);
	struct state_codec_blocks sb = {pb, 0, 0};
	char tail[48];
	size_t skip;
	int n;

	(void)level;
	(void)flags;
	state_codec_blocks_put(&sb, "{\"blocks\":[", 11);
	skip = history_each_block(h, state_codec_block_cb, &sb);
	n = snprintf(tail, sizeof tail, "],\"skip\":%zu}", skip);
	state_codec_blocks_put(&sb, tail, (size_t)n);
	return sb.sb_failed ? -1 : 0;
}

/* Returns h as saved, written from h when turned into text; NULL: OOM. */
struct json_object *
state_codec_history_json(const struct history *h)
{
	struct json_object *o;

	if ((o = json_object_new_object()) != NULL)
		json_object_set_serializer(o, state_codec_history_serialise,
		    (void *)(uintptr_t)h, NULL);
	return o;
}

/* Returns {stat: {"raw": history, "rollup": rollups}} for e's stats (no
 * rollup member while there are no closed buckets), or NULL. */
static struct json_object *
state_codec_histories_json(const struct cache_entry *e)
{
	const struct config_source *src = e->ce_src;
	struct json_object *o, *stat;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < src->src_nstats; i++) {
		if ((stat = json_object_new_object()) != NULL &&
		    (state_codec_add(stat, "raw",
		         state_codec_history_json(e->ce_history[i])) == -1 ||
		        (rollup_len(e->ce_rollup[i]) > 0 &&
		            state_codec_add(stat, "rollup",
		                state_rollup_json(e->ce_rollup[i])) == -1))) {
			json_object_put(stat);
			stat = NULL;
		}
		if (state_codec_add(o, src->src_stats[i].cs_name, stat) == -1) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* Returns {stat: pointer} for e's stats, so a changed one is told; NULL. */
static struct json_object *
state_codec_stats_json(const struct cache_entry *e)
{
	const struct config_source *src = e->ce_src;
	struct json_object *o;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < src->src_nstats; i++) {
		if (state_codec_add_string(o, src->src_stats[i].cs_name,
		        src->src_stats[i].cs_pointer) == -1) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* Returns err as saved, or NULL if out of memory. */
struct json_object *
state_codec_error_encode(const struct source_error *err)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (state_codec_add_string(o, "kind", source_err_name(err->se_kind)) ==
	        -1 ||
	    state_codec_add_string(o, "message", err->se_message) == -1 ||
	    state_codec_add(o, "http_status",
	        json_object_new_int(err->se_http_status)) == -1 ||
	    state_codec_add(o, "at", json_object_new_int64(err->se_at)) == -1) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Returns 1 if e holds nothing worth saving. */
int
state_codec_empty(const struct cache_entry *e)
{
	size_t i;

	if (e->ce_values != NULL || e->ce_has_error)
		return 0;
	for (i = 0; i < e->ce_src->src_nstats; i++) {
		if (history_len(e->ce_history[i]) > 0)
			return 0;
	}
	return 1;
}

/* Returns e's saved state; values are shared, not copied.  NULL: OOM. */
struct json_object *
state_codec_encode(const struct cache_entry *e)
{
	struct json_object *o;
	int rc;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	/* The url without credentials: only to tell a changed source. */
	rc = state_codec_add_string(o, "url", e->ce_url_shown);
	if (rc == 0 && e->ce_values != NULL)
		rc = state_codec_add(
		         o, "values", json_object_get(e->ce_values)) ||
		    state_codec_add(o, "updated_at",
		        json_object_new_int64(e->ce_updated_at));
	if (rc == 0)
		rc = state_codec_add_string(o, "etag", e->ce_etag) ||
		    state_codec_add_string(
		        o, "last_modified", e->ce_last_modified);
	if (rc == 0 && e->ce_has_error)
		rc = state_codec_add(
		    o, "error", state_codec_error_encode(&e->ce_error));
	if (rc == 0)
		rc = state_codec_add(o, "stats", state_codec_stats_json(e));
	if (rc == 0)
		rc = state_codec_add(
		    o, "history", state_codec_histories_json(e));
	if (rc != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Returns o as compact JSON text of *len bytes, owned by o; NULL: OOM. */
const char *
state_codec_text(struct json_object *o, size_t *len)
{
	return json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

/* Returns 1 if buf[from..len) is only JSON white space. */
static int
state_codec_only_space(const char *buf, size_t from, size_t len)
{
	for (; from < len; from++) {
		if (strchr(" \t\r\n", buf[from]) == NULL || buf[from] == '\0')
			return 0;
	}
	return 1;
}

/* Parses all of buf as one JSON document; NULL with why or *oom set. */
struct json_object *
state_codec_parse(const char *buf, size_t len, char *why, size_t wlen, int *oom)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	struct json_object *doc;

	if (len > INT32_MAX) {
		snprintf(why, wlen, "too large");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(STATE_CODEC_MAX_DEPTH)) == NULL) {
		*oom = 1;
		return NULL;
	}
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (doc == NULL && jerr == json_tokener_continue)
		snprintf(why, wlen, "truncated after %zu bytes", len);
	else if (doc == NULL)
		snprintf(why, wlen, "bad JSON at byte %zu: %s",
		    json_tokener_get_parse_end(tok),
		    json_tokener_error_desc(jerr));
	else if (!state_codec_only_space(
	             buf, json_tokener_get_parse_end(tok), len)) {
		snprintf(why, wlen, "trailing bytes at byte %zu",
		    json_tokener_get_parse_end(tok));
		json_object_put(doc);
		doc = NULL;
	}
	json_tokener_free(tok);
	return doc;
}

/*
 * Sets *v to o's member key: NULL if absent or null.  0, or -1 if it is
 * there with a type other than type.
 */
int
state_codec_member(struct json_object *o, const char *key, enum json_type type,
    struct json_object **v)
{
	if (!json_object_object_get_ex(o, key, v) || *v == NULL) {
		*v = NULL;
		return 0;
	}
	return json_object_is_type(*v, type) ? 0 : -1;
}

/*
 * Decodes a stat's saved records; NULL, or why they are bad.  With e,
 * restores every point (oldest first) into e's stat *idx.
 */
static const char *
state_codec_decode_points(
    struct json_object *text, struct cache_entry *e, const size_t *idx)
{
	const char *why = NULL;
	unsigned char *raw;
	uint64_t ms, bits;
	int64_t last = INT64_MIN;
	double v;
	size_t len = (size_t)json_object_get_string_len(text), i;
	long n;

	if ((raw = malloc(len / 4 * 3 + 1)) == NULL)
		return "out of memory";
	n = base64_decode(json_object_get_string(text), len, raw);
	if (n < 0 || n % STATE_CODEC_POINT_BYTES != 0)
		why = "history is not base64 of 16-byte points";
	for (i = 0; why == NULL && i < (size_t)n;
	     i += STATE_CODEC_POINT_BYTES) {
		memcpy(&ms, raw + i, 8);
		memcpy(&bits, raw + i + 8, 8);
		ms = le64toh(ms);
		bits = le64toh(bits);
		memcpy(&v, &bits, sizeof v);
		if ((int64_t)ms < last)
			why = "history out of order";
		else if (e != NULL)
			cache_restore_point(e, *idx, (int64_t)ms, v);
		last = (int64_t)ms;
	}
	free(raw);
	return why;
}

/*
 * Sets *data and *len to the bytes of a saved block [count, "base64"]
 * (decoded into *buf, grown as needed, of *cap bytes) and *count.  NULL,
 * or why it is not a block.
 */
static const char *
state_codec_block_bytes(struct json_object *blk, uint8_t **buf, size_t *cap,
    size_t *len, unsigned *count)
{
	struct json_object *n, *text;
	size_t tlen, need;
	uint8_t *grown;
	int64_t c;
	long got;

	if (!json_object_is_type(blk, json_type_array) ||
	    json_object_array_length(blk) != 2)
		return "the block is not [count, \"base64\"]";
	n = json_object_array_get_idx(blk, 0);
	text = json_object_array_get_idx(blk, 1);
	if (!json_object_is_type(n, json_type_int) ||
	    !json_object_is_type(text, json_type_string))
		return "the block is not [count, \"base64\"]";
	c = json_object_get_int64(n);
	if (c < 0 || c > TSBLOCK_POINTS_MAX)
		return "the block's count is out of range";
	tlen = (size_t)json_object_get_string_len(text);
	need = tlen / 4 * 3 + 1;
	if (need > *cap) {
		if ((grown = realloc(*buf, need)) == NULL)
			return "out of memory";
		*buf = grown;
		*cap = need;
	}
	if ((got = base64_decode(json_object_get_string(text), tlen, *buf)) < 0)
		return "the block is not base64";
	*len = (size_t)got;
	*count = (unsigned)c;
	return NULL;
}

/*
 * Checks the shape of a saved history o and, with h, appends its blocks
 * to h, telling cb of each left out.  NULL, or why o is not a history.
 */
static const char *
state_codec_history_walk(struct json_object *o, struct history *h,
    state_codec_skip_cb *cb, void *arg)
{
	struct json_object *skip, *blocks;
	const char *why;
	uint8_t *buf = NULL;
	size_t i, n, len = 0, cap = 0, first;
	unsigned count = 0;

	if (!json_object_is_type(o, json_type_object))
		return "a history is not an object";
	if (state_codec_member(o, "skip", json_type_int, &skip) == -1 ||
	    state_codec_member(o, "blocks", json_type_array, &blocks) == -1)
		return "a history's member has the wrong type";
	if (skip != NULL && json_object_get_int64(skip) < 0)
		return "a history skips a negative number of points";
	if (h == NULL || blocks == NULL)
		return NULL;
	first = skip != NULL ? (size_t)json_object_get_int64(skip) : 0;
	n = json_object_array_length(blocks);
	for (i = 0; i < n; i++) {
		why = state_codec_block_bytes(
		    json_object_array_get_idx(blocks, i), &buf, &cap, &len,
		    &count);
		/* The skip is the first block's: with it gone, none is. */
		if (why == NULL &&
		    history_load_block(
		        h, buf, len, count, i == 0 ? first : 0, &why) == 0)
			continue;
		if (cb != NULL)
			cb(i, why, arg);
	}
	free(buf);
	return NULL;
}

/* Checks the shape of a saved history; NULL if good, else why. */
const char *
state_codec_history_check(struct json_object *o)
{
	return state_codec_history_walk(o, NULL, NULL, NULL);
}

/* Appends a saved history's good blocks to h; NULL, or why not one. */
const char *
state_codec_history_restore(struct json_object *o, struct history *h,
    state_codec_skip_cb *cb, void *arg)
{
	return state_codec_history_walk(o, h, cb, arg);
}

/* Checks a stat's saved {"raw": history, ...}; NULL if good, else why. */
static const char *
state_codec_check_stat_history(struct json_object *o)
{
	struct json_object *raw;

	/* Rollups are not checked here: bad ones are rebuilt from the raw
	 * points on restore (state_rollup_restore), losing nothing else.
	 * Other members (from a newer gatherd) are not read. */
	if (state_codec_member(o, "raw", json_type_object, &raw) == -1)
		return "a stat's raw history is not an object";
	return raw != NULL ? state_codec_history_check(raw) : NULL;
}

/* Checks a saved {stat: [[ms, value], ...]}; NULL if good, else why. */
static const char *
state_codec_check_history(struct json_object *h)
{
	struct json_object *pt, *ms, *v;
	const char *why;
	int64_t last;
	size_t i, n;

	json_object_object_foreach(h, stat, points)
	{
		(void)stat;
		if (json_object_is_type(points, json_type_object)) {
			if ((why = state_codec_check_stat_history(points)) !=
			    NULL)
				return why;
			continue;
		}
		/* Version 2 wrote base64 of 16-byte points. */
		if (json_object_is_type(points, json_type_string)) {
			if ((why = state_codec_decode_points(
			         points, NULL, NULL)) != NULL)
				return why;
			continue;
		}
		/* Version 1 wrote [[ms, value], ...]. */
		if (!json_object_is_type(points, json_type_array))
			return "history is not an array";
		n = json_object_array_length(points);
		last = INT64_MIN;
		for (i = 0; i < n; i++) {
			pt = json_object_array_get_idx(points, i);
			if (!json_object_is_type(pt, json_type_array) ||
			    json_object_array_length(pt) != 2)
				return "history point is not [ms, value]";
			ms = json_object_array_get_idx(pt, 0);
			v = json_object_array_get_idx(pt, 1);
			if (!json_object_is_type(ms, json_type_int) ||
			    (v != NULL &&
			        !json_object_is_type(v, json_type_double) &&
			        !json_object_is_type(v, json_type_int)))
				return "history point is not [ms, value]";
			if (json_object_get_int64(ms) < last)
				return "history out of order";
			last = json_object_get_int64(ms);
		}
	}
	return NULL;
}

/* Checks saved values: scalars only, as extract makes them. */
const char *
state_codec_check_values(struct json_object *values)
{
	json_object_object_foreach(values, stat, v)
	{
		(void)stat;
		switch (json_object_get_type(v)) {
		case json_type_null:
		case json_type_boolean:
		case json_type_double:
		case json_type_int:
		case json_type_string:
			break;
		default:
			return "a value is an object or array";
		}
	}
	return NULL;
}

/* Reads a saved error into err; NULL if good, else why. */
const char *
state_codec_error_decode(struct json_object *o, struct source_error *err)
{
	struct json_object *kind, *msg, *status, *at;
	enum source_err k;

	if (state_codec_member(o, "kind", json_type_string, &kind) == -1 ||
	    state_codec_member(o, "message", json_type_string, &msg) == -1 ||
	    state_codec_member(o, "http_status", json_type_int, &status) ==
	        -1 ||
	    state_codec_member(o, "at", json_type_int, &at) == -1 ||
	    kind == NULL || at == NULL)
		return "bad error";
	for (k = SOURCE_ERR_DNS; k <= SOURCE_ERR_INTERNAL; k++) {
		if (strcmp(source_err_name(k), json_object_get_string(kind)) ==
		    0)
			break;
	}
	if (k > SOURCE_ERR_INTERNAL)
		return "unknown error kind";
	source_error_set(err, k,
	    status != NULL ? json_object_get_int(status) : 0,
	    json_object_get_int64(at), "%s",
	    msg != NULL ? json_object_get_string(msg) : "");
	return NULL;
}

/* Reads e's saved state o into sv; NULL if good, else why. */
const char *
state_codec_decode(struct json_object *o, struct state_saved *sv)
{
	struct json_object *url, *updated, *etag, *lm, *err;
	const char *why;

	memset(sv, 0, sizeof *sv);
	if (!json_object_is_type(o, json_type_object))
		return "not an object";
	if (state_codec_member(o, "url", json_type_string, &url) == -1 ||
	    url == NULL)
		return "no url";
	sv->sv_url = json_object_get_string(url);
	if (state_codec_member(o, "values", json_type_object, &sv->sv_values) ==
	        -1 ||
	    state_codec_member(o, "updated_at", json_type_int, &updated) ==
	        -1 ||
	    state_codec_member(o, "etag", json_type_string, &etag) == -1 ||
	    state_codec_member(o, "last_modified", json_type_string, &lm) ==
	        -1 ||
	    state_codec_member(o, "error", json_type_object, &err) == -1 ||
	    state_codec_member(
	        o, "history", json_type_object, &sv->sv_history) == -1 ||
	    state_codec_member(o, "stats", json_type_object, &sv->sv_stats) ==
	        -1)
		return "a member has the wrong type";
	if (sv->sv_stats != NULL) {
		json_object_object_foreach(sv->sv_stats, stat, pointer)
		{
			(void)stat;
			if (!json_object_is_type(pointer, json_type_string))
				return "a stat's pointer is not a string";
		}
	}
	if (sv->sv_values != NULL) {
		if (updated == NULL || json_object_get_int64(updated) <= 0)
			return "values without updated_at";
		if ((why = state_codec_check_values(sv->sv_values)) != NULL)
			return why;
		sv->sv_updated_at = json_object_get_int64(updated);
	}
	if (err != NULL) {
		if ((why = state_codec_error_decode(err, &sv->sv_error)) !=
		    NULL)
			return why;
		sv->sv_has_error = 1;
	}
	if (sv->sv_history != NULL &&
	    (why = state_codec_check_history(sv->sv_history)) != NULL)
		return why;
	sv->sv_etag = etag != NULL ? json_object_get_string(etag) : NULL;
	sv->sv_last_modified = lm != NULL ? json_object_get_string(lm) : NULL;
	return NULL;
}

/*
 * Returns the index of e's stat that is the same stat (source_same_stat)
 * as the one saved as name, or -1.
 */
static int
state_codec_stat_index(
    const struct cache_entry *e, const struct state_saved *sv, const char *name)
{
	struct json_object *pointer = NULL;
	struct config_stat saved;
	int i;

	if ((i = cache_stat_index(e, name)) == -1)
		return -1;
	/* A file from before pointers were saved: NULL, which matches. */
	if (sv->sv_stats != NULL)
		json_object_object_get_ex(sv->sv_stats, name, &pointer);
	saved.cs_name = (char *)name;
	saved.cs_pointer =
	    pointer != NULL ? (char *)json_object_get_string(pointer) : NULL;
	return source_same_stat(&e->ce_src->src_stats[i], &saved) ? i : -1;
}

/*
 * Returns the saved values of e's configured stats (shared), NULL if
 * none is there; *all says whether every configured stat was.
 */
static struct json_object *
state_codec_pick_values(const struct cache_entry *e,
    const struct state_saved *sv, int *all, int *oom)
{
	const struct config_source *src = e->ce_src;
	struct json_object *o, *v, *saved = sv->sv_values;
	size_t i, found = 0;

	*all = 0;
	*oom = 0;
	if (saved == NULL)
		return NULL;
	if ((o = json_object_new_object()) == NULL)
		goto fail;
	for (i = 0; i < src->src_nstats; i++) {
		if (!json_object_object_get_ex(
		        saved, src->src_stats[i].cs_name, &v) ||
		    state_codec_stat_index(e, sv, src->src_stats[i].cs_name) ==
		        -1)
			continue;
		if (json_object_object_add(o, src->src_stats[i].cs_name,
		        json_object_get(v)) != 0) {
			json_object_put(v);
			goto fail;
		}
		found++;
	}
	*all = found == src->src_nstats;
	if (found == 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
fail:
	json_object_put(o);
	*oom = 1;
	return NULL;
}

/* Which stat of which source a restored history is, for its warnings. */
struct state_codec_where {
	const char *sw_source;
	const char *sw_stat;
};

/* state_codec_skip_cb of a restore: a block left out is logged. */
static void
state_codec_skipped_cb(size_t block, const char *why, void *arg)
{
	const struct state_codec_where *w = arg;

	log_warnx("source %s: stat %s: history block %zu is left out: %s",
	    w->sw_source, w->sw_stat, block, why);
}

/*
 * Restores a stat's saved {"raw": history, "rollup": rollups} into e's
 * stat i.  Rollups saved under another width, broken, or missing (an
 * older file) are rebuilt from the raw points.
 */
static void
state_codec_restore_stat(
    struct cache_entry *e, const char *stat, size_t i, struct json_object *o)
{
	struct state_codec_where w = {e->ce_src->src_name, stat};
	struct json_object *raw, *rollup;

	if (json_object_object_get_ex(o, "raw", &raw) && raw != NULL)
		(void)state_codec_history_restore(
		    raw, e->ce_history[i], state_codec_skipped_cb, &w);
	if (json_object_object_get_ex(o, "rollup", &rollup) &&
	    state_rollup_restore(
	        rollup, e->ce_rollup[i], state_codec_skipped_cb, &w) == 1)
		return;
	cache_rebuild_rollup(e, i);
}

/* Applies checked state sv to e; 0, or -1 if out of memory. */
int
state_codec_apply(
    struct cache *c, struct cache_entry *e, const struct state_saved *sv)
{
	struct json_object *values, *pt, *v;
	size_t j, n;
	int all, oom, idx;

	values = state_codec_pick_values(e, sv, &all, &oom);
	if (oom)
		return -1;
	if (sv->sv_history != NULL) {
		json_object_object_foreach(sv->sv_history, stat, arr)
		{
			/* A stat no longer configured, or whose pointer
			 * changed, is dropped. */
			if ((idx = state_codec_stat_index(e, sv, stat)) < 0)
				continue;
			if (json_object_is_type(arr, json_type_object)) {
				state_codec_restore_stat(
				    e, stat, (size_t)idx, arr);
				continue;
			}
			if (json_object_is_type(arr, json_type_string)) {
				j = (size_t)idx;
				(void)state_codec_decode_points(arr, e, &j);
				continue;
			}
			n = json_object_array_length(arr);
			for (j = 0; j < n; j++) {
				pt = json_object_array_get_idx(arr, j);
				v = json_object_array_get_idx(pt, 1);
				cache_restore_point(e, (size_t)idx,
				    json_object_get_int64(
				        json_object_array_get_idx(pt, 0)),
				    v != NULL ? json_object_get_double(v)
				              : NAN);
			}
		}
	}
	/*
	 * The validators stand for the whole upstream answer: with a stat
	 * added since, a 304 would keep values that lack it forever.
	 */
	return cache_restore_entry(c, e, values, sv->sv_updated_at,
	    sv->sv_has_error ? &sv->sv_error : NULL, all ? sv->sv_etag : NULL,
	    all ? sv->sv_last_modified : NULL);
}

/* Returns 1 if sv, saved as the source called name, is e's. */
int
state_codec_same_source(
    const struct cache_entry *e, const char *name, const struct state_saved *sv)
{
	struct config_source saved;

	/* Only what the state file holds: the name and the redacted URL. */
	memset(&saved, 0, sizeof saved);
	saved.src_name = (char *)name;
	saved.src_url = (char *)sv->sv_url;
	return source_same(e->ce_src, &saved);
}
