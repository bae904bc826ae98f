/*
 * Tests of the store: a round trip through state.json (values, times,
 * errors, validators, history), what restore must leave alone (changed
 * URLs, removed sources, bad entries, corrupt files moved aside), an
 * unwritable state_dir, the debounce timer and failed writes.  The crash
 * test kills tests/store-crash with SIGKILL at random points, many times,
 * and checks that state.json is always one whole generation.
 */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "cache.h"
#include "config.h"
#include "harness.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"
#include "runner.h"

/* A fixed wall time in ms: 2026-11-18T11:06:40Z. */
#define T0 1795000000000LL

#define TOKEN "tok-SECRET-4711"
#define PASSWORD "pw-SECRET-0815"

/* Three sources: one with credentials and a token, one failing, one idle. */
static const char conf_a[] =
    "[gatherd]\n"
    "history = 5\n"
    "\n"
    "[source signups]\n"
    "url = https://user:" PASSWORD "@api.example.com/v1/signups?x=1\n"
    "token_file = @DIR@/token\n"
    "stat total = /data/total\n"
    "stat active = /data/active\n"
    "stat label = /data/label\n"
    "stat ratio = /data/ratio\n"
    "\n"
    "[source orders]\n"
    "url = http://orders.example.net/stats\n"
    "stat count = /count\n"
    "\n"
    "[source idle]\n"
    "url = http://idle.example.net/\n"
    "stat n = /n\n";

/* Config a with signups moved and orders' credentials changed. */
static const char conf_b[] =
    "[gatherd]\n"
    "history = 5\n"
    "\n"
    "[source signups]\n"
    "url = https://api.example.com/v2/signups\n"
    "stat total = /data/total\n"
    "\n"
    "[source orders]\n"
    "url = http://someone:else@orders.example.net/stats\n"
    "stat count = /count\n"
    "\n"
    "[source idle]\n"
    "url = http://idle.example.net/\n"
    "stat n = /n\n";

/* Config a without signups, with a new source and a stat added to orders. */
static const char conf_c[] = "[gatherd]\n"
                             "history = 5\n"
                             "\n"
                             "[source orders]\n"
                             "url = http://orders.example.net/stats\n"
                             "stat count = /count\n"
                             "stat extra = /extra\n"
                             "\n"
                             "[source fresh]\n"
                             "url = http://fresh.example.net/\n"
                             "stat n = /n\n";

/* Config a with signups' password rotated and its stat active moved. */
static const char conf_d[] =
    "[gatherd]\n"
    "history = 5\n"
    "\n"
    "[source signups]\n"
    "url = https://user:rotated@api.example.com/v1/signups?x=1\n"
    "stat total = /data/total\n"
    "stat active = /data/now_active\n"
    "stat label = /data/label\n"
    "stat ratio = /data/ratio\n";

/* A state directory and the config and cache under test. */
struct fixture {
	char f_dir[64];
	struct event_base *f_base;
	struct config *f_cf;
	struct cache *f_cache;
	struct store *f_store;
};

/* Returns dir/name in a static buffer (one at a time). */
static const char *
path_in(const char *dir, const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

/* Writes len bytes of text to dir/name. */
static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	FILE *f = fopen(path_in(dir, name), "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Returns the contents of dir/name (caller frees) or NULL if missing. */
static char *
read_file(const char *dir, const char *name, size_t *len)
{
	struct stat sb;
	char *buf;
	FILE *f;

	if ((f = fopen(path_in(dir, name), "r")) == NULL) {
		ck_assert_int_eq(errno, ENOENT);
		return NULL;
	}
	ck_assert_int_eq(fstat(fileno(f), &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, (size_t)sb.st_size, f);
	ck_assert_uint_eq(*len, (size_t)sb.st_size);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Returns 1 if dir/name exists. */
static int
exists(const char *dir, const char *name)
{
	struct stat sb;

	return lstat(path_in(dir, name), &sb) == 0;
}

/* Counts the files in dir whose name starts with prefix; *last: one. */
static int
count_prefix(const char *dir, const char *prefix, char *last, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (last != NULL)
			snprintf(last, len, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* Removes every file in dir, then dir. */
static void
remove_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlink(path_in(dir, de->d_name)) == -1)
			ck_assert_int_eq(rmdir(path_in(dir, de->d_name)), 0);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* Loads text with "@DIR@" replaced by dir, failing the test on error. */
static struct config *
load_config(const char *text, const char *dir)
{
	struct config *cf;
	char *buf, *at;

	buf = malloc(strlen(text) + strlen(dir) + 1);
	ck_assert_ptr_nonnull(buf);
	if ((at = strstr(text, "@DIR@")) != NULL)
		sprintf(buf, "%.*s%s%s", (int)(at - text), text, dir, at + 5);
	else
		strcpy(buf, text);
	cf = harness_config(buf, "store.conf");
	free(buf);
	return cf;
}

/* Makes a state directory with the token file config a needs. */
static void
fixture_dir(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->f_dir, sizeof f->f_dir, "/tmp/gatherd-check-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->f_dir));
	write_file(f->f_dir, "token", TOKEN "\n", strlen(TOKEN) + 1);
	f->f_base = event_base_new();
	ck_assert_ptr_nonnull(f->f_base);
}

/* Starts a cache of config text and its store in f's directory. */
static void
fixture_open(struct fixture *f, const char *text, unsigned interval_ms)
{
	f->f_cf = load_config(text, f->f_dir);
	f->f_cache = cache_new(f->f_cf);
	ck_assert_ptr_nonnull(f->f_cache);
	f->f_store = store_new(f->f_base, f->f_dir, f->f_cache, interval_ms);
	ck_assert_ptr_nonnull(f->f_store);
}

/* Frees the store, the cache and the config (not the directory). */
static void
fixture_close(struct fixture *f)
{
	store_free(f->f_store);
	cache_free(f->f_cache);
	config_free(f->f_cf);
	f->f_store = NULL;
	f->f_cache = NULL;
	f->f_cf = NULL;
}

/* Closes f and removes its directory. */
static void
fixture_done(struct fixture *f)
{
	fixture_close(f);
	event_base_free(f->f_base);
	remove_dir(f->f_dir);
}

/* Returns a values object from a JSON text. */
static struct json_object *
values(const char *json)
{
	struct json_object *v = json_tokener_parse(json);

	ck_assert_ptr_nonnull(v);
	return v;
}

/* Fills config a's cache: signups stale with an error, orders failing. */
static void
fill_a(struct cache *c)
{
	struct cache_entry *e = cache_find(c, "signups");
	struct source_error err;

	cache_put_ok(c, e,
	    values("{\"total\": 12345, \"active\": 6.25, \"label\": \"x\","
	           " \"ratio\": 0.30000000000000004}"),
	    T0);
	ck_assert_int_eq(
	    cache_set_validators(e, "\"v1\"", "Wed, 18 Nov 2026 11:06:40 GMT"),
	    1);
	cache_put_ok(c, e,
	    values("{\"total\": 12346, \"active\": null, \"label\": \"y\","
	           " \"ratio\": 0.1}"),
	    T0 + 30000);
	source_error_set(&err, SOURCE_ERR_TIMEOUT, 0, T0 + 60000,
	    "timed out after %d ms", 5000);
	cache_put_error(c, e, &err, 1000);
	e = cache_find(c, "orders");
	cache_put_ok(c, e, values("{\"count\": 7}"), T0 + 1000);
	ck_assert_int_eq(cache_set_validators(e, "W/\"o7\"", NULL), 1);
	source_error_set(&err, SOURCE_ERR_HTTP_STATUS, 503, T0 + 2000,
	    "HTTP 503 Service Unavailable");
	cache_put_error(c, e, &err, 1000);
}

/* Collects history points. */
struct points {
	struct history_point p_pt[16];
	size_t p_n;
};

/* Appends a point to a struct points. */
static void
collect_cb(const struct history_point *pt, void *arg)
{
	struct points *p = arg;

	ck_assert_uint_lt(p->p_n, 16);
	p->p_pt[p->p_n++] = *pt;
}

/* Asserts that two history rings hold the same points. */
static void
expect_same_history(const struct history *a, const struct history *b)
{
	struct points pa = {.p_n = 0}, pb = {.p_n = 0};
	size_t i;

	history_each(a, INT64_MIN, collect_cb, &pa);
	history_each(b, INT64_MIN, collect_cb, &pb);
	ck_assert_uint_eq(pa.p_n, pb.p_n);
	for (i = 0; i < pa.p_n; i++) {
		ck_assert_int_eq(pa.p_pt[i].hp_ms, pb.p_pt[i].hp_ms);
		if (isnan(pa.p_pt[i].hp_value))
			ck_assert(isnan(pb.p_pt[i].hp_value));
		else
			ck_assert_msg(
			    pa.p_pt[i].hp_value == pb.p_pt[i].hp_value,
			    "point %zu: %.17g != %.17g", i, pa.p_pt[i].hp_value,
			    pb.p_pt[i].hp_value);
	}
}

/* Asserts that restored entry b holds what a held, as a stale entry. */
static void
expect_restored(const struct cache_entry *a, const struct cache_entry *b)
{
	size_t i;

	ck_assert_msg(json_object_equal(a->ce_values, b->ce_values),
	    "values %s != %s", json_object_to_json_string(a->ce_values),
	    json_object_to_json_string(b->ce_values));
	ck_assert_int_eq(a->ce_updated_at, b->ce_updated_at);
	ck_assert_int_eq(a->ce_has_error, b->ce_has_error);
	ck_assert_int_eq(a->ce_error.se_kind, b->ce_error.se_kind);
	ck_assert_int_eq(
	    a->ce_error.se_http_status, b->ce_error.se_http_status);
	ck_assert_int_eq(a->ce_error.se_at, b->ce_error.se_at);
	ck_assert_str_eq(a->ce_error.se_message, b->ce_error.se_message);
	ck_assert_pstr_eq(a->ce_etag, b->ce_etag);
	ck_assert_pstr_eq(a->ce_last_modified, b->ce_last_modified);
	for (i = 0; i < a->ce_src->src_nstats; i++)
		expect_same_history(a->ce_history[i], b->ce_history[i]);
	/* Restored is not polled: stale until the first poll succeeds. */
	ck_assert_int_eq(cache_entry_status(b), cache_entry_status(a));
	ck_assert_int_eq(b->ce_last_ok, 0);
	ck_assert_uint_eq(b->ce_polls_total, 0);
	ck_assert_uint_eq(b->ce_failures_total, 0);
	ck_assert_int_eq(b->ce_last_attempt_at, 0);
}

/* Asserts that e holds no state at all. */
static void
expect_pending(const struct cache_entry *e)
{
	size_t i;

	ck_assert_int_eq(cache_entry_status(e), CACHE_PENDING);
	ck_assert_ptr_null(e->ce_values);
	ck_assert_int_eq(e->ce_has_error, 0);
	ck_assert_ptr_null(e->ce_etag);
	ck_assert_ptr_null(e->ce_last_modified);
	for (i = 0; i < e->ce_src->src_nstats; i++)
		ck_assert_uint_eq(history_len(e->ce_history[i]), 0);
}

/* Writes config a's filled state to f's directory and closes it. */
static void
save_a(struct fixture *f)
{
	fixture_open(f, conf_a, 0);
	fill_a(f->f_cache);
	ck_assert_int_eq(store_flush(f->f_store), 0);
	ck_assert_uint_eq(store_writes(f->f_store), 1);
	fixture_close(f);
}

/* Everything saved comes back the same, stale, and nothing secret is saved. */
START_TEST(test_round_trip)
{
	struct fixture f, g;
	struct cache_entry *e;
	struct json_object *doc;
	uint64_t gen;
	size_t len, i;
	char *text;

	fixture_dir(&f);
	fixture_open(&f, conf_a, 0);
	fill_a(f.f_cache);
	ck_assert_int_eq(
	    cache_entry_status(cache_find(f.f_cache, "signups")), CACHE_STALE);
	ck_assert_int_eq(store_flush(f.f_store), 0);
	ck_assert_uint_eq(store_writes(f.f_store), 1);
	/* Nothing changed since: a second flush writes nothing. */
	ck_assert_int_eq(store_flush(f.f_store), 0);
	ck_assert_uint_eq(store_writes(f.f_store), 1);
	ck_assert(!exists(f.f_dir, STORE_FILE ".tmp"));

	text = read_file(f.f_dir, STORE_FILE, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(text[len - 1], '\n');
	ck_assert_ptr_null(strstr(text, TOKEN));
	ck_assert_ptr_null(strstr(text, PASSWORD));
	ck_assert_ptr_null(strstr(text, "user"));
	doc = json_tokener_parse(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(doc, "version")),
	    STORE_VERSION);
	ck_assert_str_eq(
	    json_object_get_string(json_object_object_get(
	        json_object_object_get(
	            json_object_object_get(doc, "sources"), "signups"),
	        "url")),
	    "https://api.example.com/v1/signups?x=1");
	/* idle holds nothing and is not saved. */
	ck_assert_ptr_null(json_object_object_get(
	    json_object_object_get(doc, "sources"), "idle"));
	json_object_put(doc);
	free(text);

	/* A new cache from the same config gets it all back. */
	memcpy(&g, &f, sizeof g);
	fixture_open(&g, conf_a, 0);
	gen = cache_generation(g.f_cache);
	ck_assert_int_eq(store_restore(g.f_store), 0);
	ck_assert_uint_gt(cache_generation(g.f_cache), gen);
	for (i = 0; i < cache_count(f.f_cache); i++)
		expect_restored(
		    cache_entry_at(f.f_cache, i), cache_entry_at(g.f_cache, i));
	ck_assert_int_eq(
	    cache_entry_status(cache_find(g.f_cache, "signups")), CACHE_STALE);
	ck_assert_int_eq(
	    cache_entry_status(cache_find(g.f_cache, "orders")), CACHE_STALE);
	expect_pending(cache_find(g.f_cache, "idle"));
	/* A 304 on the restored validators keeps the restored values. */
	e = cache_find(g.f_cache, "signups");
	cache_put_ok(g.f_cache, e, NULL, T0 + 90000);
	ck_assert_int_eq(cache_entry_status(e), CACHE_OK);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "total")),
	    12346);
	fixture_close(&f);
	fixture_done(&g);
}
END_TEST

/* A source whose URL changed is not restored; credentials do not count. */
START_TEST(test_url_changed)
{
	struct fixture f;
	struct cache_entry *e;

	fixture_dir(&f);
	save_a(&f);
	fixture_open(&f, conf_b, 0);
	ck_assert_int_eq(store_restore(f.f_store), 0);
	expect_pending(cache_find(f.f_cache, "signups"));
	e = cache_find(f.f_cache, "orders");
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "count")),
	    7);
	ck_assert_str_eq(e->ce_etag, "W/\"o7\"");
	expect_pending(cache_find(f.f_cache, "idle"));
	fixture_done(&f);
}
END_TEST

/*
 * A restart after the password in a URL changed restores the source; a
 * stat whose pointer changed loses its values and history, and with them
 * the validators.  check_cache asks the same of a reload.
 */
START_TEST(test_identity)
{
	struct fixture f;
	struct cache_entry *e;

	fixture_dir(&f);
	save_a(&f);
	fixture_open(&f, conf_d, 0);
	ck_assert_int_eq(store_restore(f.f_store), 0);
	e = cache_find(f.f_cache, "signups");
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "total")),
	    12346);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
	ck_assert(!json_object_object_get_ex(e->ce_values, "active", NULL));
	ck_assert_uint_eq(history_len(e->ce_history[1]), 0);
	ck_assert_uint_eq(history_len(e->ce_history[2]), 2);
	ck_assert_ptr_null(e->ce_etag);
	ck_assert_ptr_null(e->ce_last_modified);
	ck_assert_int_eq(e->ce_error.se_kind, SOURCE_ERR_TIMEOUT);
	fixture_done(&f);
}
END_TEST

/* A removed source's state is ignored; an added stat drops validators. */
START_TEST(test_removed_source)
{
	struct fixture f;
	struct cache_entry *e;

	fixture_dir(&f);
	save_a(&f);
	fixture_open(&f, conf_c, 0);
	ck_assert_int_eq(store_restore(f.f_store), 0);
	ck_assert_uint_eq(cache_count(f.f_cache), 2);
	e = cache_find(f.f_cache, "orders");
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "count")),
	    7);
	ck_assert_ptr_null(json_object_object_get(e->ce_values, "extra"));
	/* A 304 must not keep values without the new stat forever. */
	ck_assert_ptr_null(e->ce_etag);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 1);
	ck_assert_uint_eq(history_len(e->ce_history[1]), 0);
	ck_assert_int_eq(e->ce_error.se_http_status, 503);
	expect_pending(cache_find(f.f_cache, "fresh"));
	/* The file stays where it is: it was not corrupt. */
	ck_assert(exists(f.f_dir, STORE_FILE));
	ck_assert_int_eq(
	    count_prefix(f.f_dir, STORE_FILE ".corrupt-", NULL, 0), 0);
	fixture_done(&f);
}
END_TEST

/* Bad files: each is moved aside, whole, and the cache starts empty. */
START_TEST(test_corrupt)
{
	static const char *const cases[] = {
	    "this is not JSON\n\x01\x02",
	    "",
	    "TRUNCATE",
	    "{\"version\": 4, \"sources\": {}}",
	    "{\"version\": 0, \"sources\": {}}",
	    "{\"sources\": {}}",
	    "{\"version\": \"1\", \"sources\": {}}",
	    "[1, 2, 3]",
	    "{\"version\": 1, \"sources\": [1]}",
	    "{\"version\": 1}",
	    "{\"version\": 1, \"sources\": {}} trailing",
	    "\"just a string\"",
	};
	struct fixture f;
	char name[NAME_MAX + 1], *good, *bad, *moved;
	size_t i, j, len, glen, mlen;

	fixture_dir(&f);
	save_a(&f);
	good = read_file(f.f_dir, STORE_FILE, &glen);
	ck_assert_ptr_nonnull(good);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (strcmp(cases[i], "TRUNCATE") == 0) {
			bad = strndup(good, glen / 2);
			len = glen / 2;
		} else {
			bad = strdup(cases[i]);
			len = strlen(cases[i]);
		}
		ck_assert_ptr_nonnull(bad);
		write_file(f.f_dir, STORE_FILE, bad, len);
		fixture_open(&f, conf_a, 0);
		ck_assert_int_eq(store_restore(f.f_store), 0);
		for (j = 0; j < cache_count(f.f_cache); j++)
			expect_pending(cache_entry_at(f.f_cache, j));
		ck_assert_msg(!exists(f.f_dir, STORE_FILE), "case %zu", i);
		ck_assert_int_eq(count_prefix(f.f_dir, STORE_FILE ".corrupt-",
		                     name, sizeof name),
		    1);
		moved = read_file(f.f_dir, name, &mlen);
		ck_assert_ptr_nonnull(moved);
		ck_assert_uint_eq(mlen, len);
		ck_assert(memcmp(moved, bad, len) == 0);
		ck_assert_int_eq(unlink(path_in(f.f_dir, name)), 0);
		/* The daemon goes on and writes a good file again. */
		fill_a(f.f_cache);
		ck_assert_int_eq(store_flush(f.f_store), 0);
		ck_assert(exists(f.f_dir, STORE_FILE));
		fixture_close(&f);
		free(moved);
		free(bad);
	}
	/* A directory where the file should be is moved aside too. */
	ck_assert_int_eq(unlink(path_in(f.f_dir, STORE_FILE)), 0);
	ck_assert_int_eq(mkdir(path_in(f.f_dir, STORE_FILE), 0700), 0);
	fixture_open(&f, conf_a, 0);
	ck_assert_int_eq(store_restore(f.f_store), 0);
	ck_assert(!exists(f.f_dir, STORE_FILE));
	ck_assert_int_eq(
	    count_prefix(f.f_dir, STORE_FILE ".corrupt-", NULL, 0), 1);
	free(good);
	fixture_done(&f);
}
END_TEST

/* An entry of the wrong shape is skipped; the others are restored. */
START_TEST(test_bad_entries)
{
	/* Every bad form is check_state_codec's; here: a bad entry is
	 * skipped and the file is not moved aside. */
	static const char *const bad[] = {
	    "\"a string\"",
	    "{\"url\": \"https://api.example.com/v1/signups?x=1\", "
	    "\"history\": {\"total\": \"AAA\"}}",
	};
	static const char good[] =
	    "{\"url\": \"http://orders.example.net/stats\", "
	    "\"values\": {\"count\": 8, \"gone\": 1}, \"updated_at\": "
	    "1795000000000, "
	    "\"history\": {\"count\": [[1795000000000, 8], [1795000000000, "
	    "null]], \"gone\": [[1, 1]]}, \"ghost\": true}";
	struct fixture f;
	struct cache_entry *e;
	char *text;
	size_t i;

	fixture_dir(&f);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_gt(asprintf(&text,
		                     "{\"version\": 1, \"future\": 1, "
		                     "\"sources\": {\"signups\": %s, "
		                     "\"orders\": %s, \"removed\": {}}}",
		                     bad[i], good),
		    0);
		write_file(f.f_dir, STORE_FILE, text, strlen(text));
		free(text);
		fixture_open(&f, conf_a, 0);
		ck_assert_int_eq(store_restore(f.f_store), 0);
		e = cache_find(f.f_cache, "signups");
		ck_assert_msg(cache_entry_status(e) == CACHE_PENDING &&
		        history_len(e->ce_history[0]) == 0,
		    "case %zu restored", i);
		e = cache_find(f.f_cache, "orders");
		ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
		ck_assert_str_eq(json_object_to_json_string_ext(
		                     e->ce_values, JSON_C_TO_STRING_PLAIN),
		    "{\"count\":8}");
		ck_assert_int_eq(e->ce_updated_at, T0);
		ck_assert_int_eq(e->ce_has_error, 0);
		ck_assert_uint_eq(history_len(e->ce_history[0]), 2);
		ck_assert(exists(f.f_dir, STORE_FILE));
		ck_assert_int_eq(
		    count_prefix(f.f_dir, STORE_FILE ".corrupt-", NULL, 0), 0);
		fixture_close(&f);
	}
	fixture_done(&f);
}
END_TEST

/* Counts the lines of text that hold needle. */
static int
count_lines(const char *text, const char *needle)
{
	const char *p;
	int n = 0;

	for (p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Sends the log (at info) to dir/log for a while; returns the old
 * stderr for log_release. */
static int
log_catch(const char *dir)
{
	int fd, saved;

	fd = open(path_in(dir, "log"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	log_set_level(LOG_LEVEL_INFO);
	return saved;
}

/* Puts stderr back and returns what was logged (the caller frees). */
static char *
log_release(const char *dir, int saved, size_t *len)
{
	char *text;

	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	log_set_level(LOG_LEVEL_QUIET);
	ck_assert_ptr_nonnull(text = read_file(dir, "log", len));
	return text;
}

/*
 * A changed byte in a block of state.json leaves that block out with a
 * warning naming the source, the stat and the block; the file is kept
 * and the rest of the state restored.
 */
START_TEST(test_corrupt_block)
{
	static const char at_block[] = "\"count\":{\"raw\":{\"blocks\":[[";
	struct fixture f, g;
	struct cache_entry *e;
	char *text, *p, *log;
	size_t len, llen;
	int saved;

	fixture_dir(&f);
	fixture_open(&f, conf_a, 0);
	fill_a(f.f_cache);
	ck_assert_int_eq(store_flush(f.f_store), 0);
	text = read_file(f.f_dir, STORE_FILE, &len);
	ck_assert_ptr_nonnull(p = strstr(text, at_block));
	ck_assert_ptr_nonnull(p = strchr(p + strlen(at_block), '"'));
	p += 5;
	*p = *p == 'A' ? 'B' : 'A';
	write_file(f.f_dir, STORE_FILE, text, len);
	free(text);

	memcpy(&g, &f, sizeof g);
	fixture_open(&g, conf_a, 0);
	saved = log_catch(g.f_dir);
	ck_assert_int_eq(store_restore(g.f_store), 0);
	log = log_release(g.f_dir, saved, &llen);
	ck_assert_msg(count_lines(log,
	                  "source orders: stat count: history "
	                  "block 0 is left out: the block's "
	                  "checksum does not match") == 1,
	    "log: %s", log);
	free(log);
	ck_assert(exists(g.f_dir, STORE_FILE));
	ck_assert_int_eq(
	    count_prefix(g.f_dir, STORE_FILE ".corrupt-", NULL, 0), 0);
	e = cache_find(g.f_cache, "orders");
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_uint_eq(history_len(e->ce_history[0]), 0);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(e->ce_values, "count")),
	    7);
	expect_restored(
	    cache_find(f.f_cache, "signups"), cache_find(g.f_cache, "signups"));
	fixture_close(&f);
	fixture_done(&g);
}
END_TEST

/* A version 2 file, history as base64 of 16-byte points, restores. */
START_TEST(test_version_2)
{
	/* [T0, 5], [T0 + 1000, NaN], [T0 + 2000, -0.0]. */
	static const char v2[] =
	    "{\"version\":2,\"saved_at\":1795000003000,\"sources\":{"
	    "\"orders\":{\"url\":\"http://orders.example.net/stats\","
	    "\"values\":{\"count\":8},\"updated_at\":1795000002000,"
	    "\"etag\":\"o8\",\"stats\":{\"count\":\"/count\"},"
	    "\"history\":{\"count\":\"AF5W7qEBAAAAAAAAAAAUQOhhVu6hAQAAAQAAAA"
	    "AA+H/QZVbuoQEAAAAAAAAAAACA\"}}}}\n";
	struct history_point pt[3] = {
	    {T0, 5.0}, {T0 + 1000, NAN}, {T0 + 2000, -0.0}};
	struct history *h = history_new(5);
	struct cache_entry *e;
	struct fixture f;
	size_t i, len;
	char *text;

	for (i = 0; i < 3; i++)
		history_add(h, pt[i].hp_ms, pt[i].hp_value);
	fixture_dir(&f);
	write_file(f.f_dir, STORE_FILE, v2, strlen(v2));
	fixture_open(&f, conf_a, 0);
	ck_assert_int_eq(store_restore(f.f_store), 0);
	ck_assert(exists(f.f_dir, STORE_FILE));
	e = cache_find(f.f_cache, "orders");
	ck_assert_int_eq(cache_entry_status(e), CACHE_STALE);
	ck_assert_int_eq(e->ce_updated_at, T0 + 2000);
	ck_assert_str_eq(e->ce_etag, "o8");
	expect_same_history(h, e->ce_history[0]);
	/* Saved again, it is version 3. */
	cache_put_ok(f.f_cache, e, values("{\"count\": 9}"), T0 + 3000);
	ck_assert_int_eq(store_flush(f.f_store), 0);
	text = read_file(f.f_dir, STORE_FILE, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(strncmp(text, "{\"version\":3,", 12), 0);
	free(text);
	fixture_done(&f);
	history_free(h);
}
END_TEST

/* A missing file restores nothing; a stale temp file is removed unread. */
START_TEST(test_missing_and_stale_tmp)
{
	static const char junk[] = "{\"version\": 1, \"sources\": {";
	struct fixture f;
	size_t i;

	fixture_dir(&f);
	fixture_open(&f, conf_a, 0);
	ck_assert_int_eq(store_restore(f.f_store), 0);
	for (i = 0; i < cache_count(f.f_cache); i++)
		expect_pending(cache_entry_at(f.f_cache, i));
	ck_assert(!exists(f.f_dir, STORE_FILE));
	fixture_close(&f);

	save_a(&f);
	/* A write that was killed half-way left this behind. */
	write_file(f.f_dir, STORE_FILE ".tmp", junk, strlen(junk));
	fixture_open(&f, conf_a, 0);
	ck_assert(!exists(f.f_dir, STORE_FILE ".tmp"));
	ck_assert_int_eq(store_restore(f.f_store), 0);
	ck_assert_int_eq(
	    cache_entry_status(cache_find(f.f_cache, "signups")), CACHE_STALE);
	ck_assert_int_eq(
	    count_prefix(f.f_dir, STORE_FILE ".corrupt-", NULL, 0), 0);
	fixture_done(&f);
}
END_TEST

/* store_new fails for a state_dir that cannot be written. */
START_TEST(test_unwritable)
{
	struct fixture f;
	struct config *cf;
	struct cache *c;
	char path[128];

	fixture_dir(&f);
	cf = load_config(conf_a, f.f_dir);
	c = cache_new(cf);
	ck_assert_ptr_nonnull(c);
	/* A regular file, a path under one, a path that does not exist. */
	ck_assert_ptr_null(
	    store_new(f.f_base, path_in(f.f_dir, "token"), c, 0));
	snprintf(path, sizeof path, "%s/token/state", f.f_dir);
	ck_assert_ptr_null(store_new(f.f_base, path, c, 0));
	ck_assert_ptr_null(
	    store_new(f.f_base, path_in(f.f_dir, "missing"), c, 0));
	/* Mode bits do not stop root: only try them as someone else. */
	if (geteuid() != 0) {
		snprintf(path, sizeof path, "%s/ro", f.f_dir);
		ck_assert_int_eq(mkdir(path, 0500), 0);
		ck_assert_ptr_null(store_new(f.f_base, path, c, 0));
		ck_assert_int_eq(rmdir(path), 0);
	}
	/* Nothing was left in the directory. */
	ck_assert_int_eq(count_prefix(f.f_dir, STORE_FILE, NULL, 0), 0);
	store_free(NULL);
	cache_free(c);
	config_free(cf);
	fixture_done(&f);
}
END_TEST

/* Waits (bounded) until st has made want writes. */
static void
wait_writes(struct store *st, uint64_t want)
{
	int tries;

	for (tries = 0; store_writes(st) < want && tries < 500; tries++)
		usleep(10 * 1000);
	ck_assert_uint_eq(store_writes(st), want);
}

/* Changes within the interval make one write, no sooner than the interval. */
START_TEST(test_debounce)
{
	struct fixture f;
	struct cache_entry *e;
	int64_t start;
	size_t len;
	char *text;

	fixture_dir(&f);
	fixture_open(&f, conf_a, 300);
	e = cache_find(f.f_cache, "orders");
	start = timeutil_mono_ms();
	cache_put_ok(f.f_cache, e, values("{\"count\": 1}"), T0);
	cache_put_ok(f.f_cache, e, values("{\"count\": 2}"), T0 + 1);
	store_changed(f.f_store);
	/* Nothing is written until the loop turns. */
	usleep(50 * 1000);
	ck_assert_uint_eq(store_writes(f.f_store), 0);
	/* The timer is the only event: the loop returns after it. */
	ck_assert_int_eq(event_base_loop(f.f_base, EVLOOP_ONCE), 0);
	ck_assert_int_ge(timeutil_mono_ms() - start, 290);
	wait_writes(f.f_store, 1);
	ck_assert(!exists(f.f_dir, STORE_FILE ".tmp"));
	text = read_file(f.f_dir, STORE_FILE, &len);
	ck_assert_ptr_nonnull(strstr(text, "\"values\":{\"count\":2}"));
	free(text);

	/* Three more changes, one more write. */
	cache_put_ok(f.f_cache, e, values("{\"count\": 3}"), T0 + 2);
	cache_put_ok(f.f_cache, e, values("{\"count\": 4}"), T0 + 3);
	cache_put_ok(f.f_cache, e, values("{\"count\": 5}"), T0 + 4);
	ck_assert_int_eq(event_base_loop(f.f_base, EVLOOP_ONCE), 0);
	wait_writes(f.f_store, 2);
	text = read_file(f.f_dir, STORE_FILE, &len);
	ck_assert_ptr_nonnull(strstr(text, "\"values\":{\"count\":5}"));
	free(text);
	/* The next tick sees the write landed and stops the timer. */
	ck_assert_int_eq(event_base_loop(f.f_base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(event_base_loop(f.f_base, EVLOOP_NONBLOCK), 1);
	ck_assert_uint_eq(store_writes(f.f_store), 2);
	ck_assert(!exists(f.f_dir, STORE_FILE ".tmp"));
	fixture_done(&f);
}
END_TEST

/* Pending state dropped by store_free without store_flush is no leak. */
START_TEST(test_free_unflushed)
{
	struct fixture f;

	fixture_dir(&f);
	fixture_open(&f, conf_a, 60000);
	fill_a(f.f_cache);
	fixture_close(&f);
	ck_assert(!exists(f.f_dir, STORE_FILE));
	ck_assert(!exists(f.f_dir, STORE_FILE ".tmp"));
	/* The cache outlives a store that listened to it. */
	fixture_open(&f, conf_a, 60000);
	store_free(f.f_store);
	f.f_store = NULL;
	fill_a(f.f_cache);
	fixture_done(&f);
}
END_TEST

/* A failed write is logged once, leaves the old file and is retried. */
START_TEST(test_write_fails)
{
	struct fixture f;
	struct cache_entry *e;
	char *old, *now, *text;
	size_t olen, nlen, len;
	int saved, i;

	fixture_dir(&f);
	save_a(&f);
	old = read_file(f.f_dir, STORE_FILE, &olen);
	fixture_open(&f, conf_a, 100);
	e = cache_find(f.f_cache, "orders");

	saved = log_catch(f.f_dir);

	/* A directory in the temporary file's place stops even root. */
	ck_assert_int_eq(mkdir(path_in(f.f_dir, STORE_FILE ".tmp"), 0700), 0);
	for (i = 0; i < 3; i++) {
		cache_put_ok(f.f_cache, e, values("{\"count\": 9}"), T0 + i);
		ck_assert_int_eq(store_flush(f.f_store), -1);
	}
	ck_assert_uint_eq(store_writes(f.f_store), 0);
	now = read_file(f.f_dir, STORE_FILE, &nlen);
	ck_assert_uint_eq(nlen, olen);
	ck_assert(memcmp(now, old, olen) == 0);
	free(now);

	/* Fixed: the next tick retries with no new change. */
	ck_assert_int_eq(rmdir(path_in(f.f_dir, STORE_FILE ".tmp")), 0);
	ck_assert_int_eq(event_base_loop(f.f_base, EVLOOP_ONCE), 0);
	wait_writes(f.f_store, 1);
	ck_assert_int_eq(event_base_loop(f.f_base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(store_flush(f.f_store), 0);

	text = log_release(f.f_dir, saved, &len);
	ck_assert_msg(
	    count_lines(text, "cannot create " STORE_FILE ".tmp") == 1,
	    "log: %s", text);
	ck_assert_ptr_nonnull(strstr(text, "Is a directory"));
	ck_assert_msg(
	    count_lines(text, "state written again") == 1, "log: %s", text);
	free(text);
	now = read_file(f.f_dir, STORE_FILE, &nlen);
	ck_assert_ptr_nonnull(strstr(now, "{\"count\":9}"));
	free(now);
	free(old);
	fixture_done(&f);
}
END_TEST

/* Sources and history points per source of the crash test's state. */
#define CRASH_SOURCES 24
#define CRASH_POINTS 500
#define CRASH_RUNS 200
#define CRASH_LIMIT_MS 40000

/* The running victim and the lines it has printed. */
struct victim {
	pid_t v_pid;
	int v_fd; /* its stdout */
	char v_buf[4096];
	size_t v_len;
	long long v_restored; /* -1 until "restored N" */
	long long v_wrote; /* the last "wrote N", 0 if none */
};

/* Returns the next number of a small xorshift generator. */
static unsigned
crash_rand(unsigned *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Starts store-crash on dir. */
static void
victim_start(struct victim *v, const char *dir)
{
	char n[16], p[16];
	int out[2];

	memset(v, 0, sizeof *v);
	v->v_restored = -1;
	snprintf(n, sizeof n, "%d", CRASH_SOURCES);
	snprintf(p, sizeof p, "%d", CRASH_POINTS);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	v->v_pid = fork();
	ck_assert_int_ge(v->v_pid, 0);
	if (v->v_pid == 0) {
		if (dup2(out[1], 1) == -1)
			_exit(127);
		execl(
		    STORE_CRASH_BIN, STORE_CRASH_BIN, dir, n, p, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	v->v_fd = out[0];
}

/* Reads what the victim printed within timeout_ms; 0 at end of file. */
static int
victim_read(struct victim *v, int timeout_ms)
{
	struct pollfd pfd = {.fd = v->v_fd, .events = POLLIN};
	char *nl, *line;
	ssize_t got;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 1;
	got =
	    read(v->v_fd, v->v_buf + v->v_len, sizeof v->v_buf - v->v_len - 1);
	if (got <= 0)
		return 0;
	v->v_len += (size_t)got;
	v->v_buf[v->v_len] = '\0';
	line = v->v_buf;
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		if (sscanf(line, "restored %lld", &v->v_restored) != 1)
			ck_assert_int_eq(
			    sscanf(line, "wrote %lld", &v->v_wrote), 1);
		line = nl + 1;
	}
	v->v_len -= (size_t)(line - v->v_buf);
	memmove(v->v_buf, line, v->v_len);
	return 1;
}

/* Kills the victim with SIGKILL, reaps it and reads its last lines. */
static void
victim_kill(struct victim *v)
{
	int status;

	ck_assert_int_eq(kill(v->v_pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(v->v_pid, &status, 0), v->v_pid);
	while (victim_read(v, 5000) != 0)
		;
	close(v->v_fd);
	/* It must not have ended by itself (a failed check, a crash). */
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "store-crash ended by itself: status %#x", (unsigned)status);
}

/* Returns the points a saved history shows: its blocks' less the skip. */
static long long
saved_points(struct json_object *raw)
{
	struct json_object *blocks = json_object_object_get(raw, "blocks");
	long long n = 0;
	size_t i;

	ck_assert_ptr_nonnull(blocks);
	for (i = 0; i < json_object_array_length(blocks); i++)
		n += json_object_get_int64(json_object_array_get_idx(
		    json_object_array_get_idx(blocks, i), 0));
	return n - json_object_get_int64(json_object_object_get(raw, "skip"));
}

/*
 * Checks that dir's state.json is one whole generation: it parses to
 * the end, has every source with a full history, and every source holds
 * the same generation.  Returns that generation.
 */
static long long
crash_check_file(const char *dir)
{
	struct json_object *doc, *sources, *e, *h;
	struct json_tokener *tok;
	long long gen = -1, g;
	size_t len, n = 0;
	char *text;

	text = read_file(dir, STORE_FILE, &len);
	ck_assert_msg(text != NULL, "no " STORE_FILE " after a kill");
	tok = json_tokener_new();
	ck_assert_ptr_nonnull(tok);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	ck_assert_msg(doc != NULL, "%s does not parse: %s", STORE_FILE,
	    json_tokener_error_desc(json_tokener_get_error(tok)));
	/* One newline ends the file; json-c may count it as parsed. */
	ck_assert_int_eq(text[len - 1], '\n');
	ck_assert_uint_ge(json_tokener_get_parse_end(tok), len - 1);
	json_tokener_free(tok);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(doc, "version")),
	    STORE_VERSION);
	sources = json_object_object_get(doc, "sources");
	json_object_object_foreach(sources, name, src)
	{
		(void)name;
		e = json_object_object_get(src, "values");
		g = json_object_get_int64(json_object_object_get(e, "gen"));
		ck_assert_msg(gen == -1 || g == gen,
		    "a mix of generations: %lld and %lld", gen, g);
		gen = g;
		/* CRASH_POINTS points in the blocks, less the skipped. */
		h = json_object_object_get(src, "history");
		ck_assert_int_eq(saved_points(json_object_object_get(
		                     json_object_object_get(h, "gen"), "raw")),
		    CRASH_POINTS);
		n++;
	}
	ck_assert_uint_eq(n, CRASH_SOURCES);
	json_object_put(doc);
	free(text);
	return gen;
}

/* Waits up to timeout_ms for STORE_FILE.tmp to be created in dir. */
static int
crash_wait_tmp(int ino, int timeout_ms)
{
	struct pollfd pfd = {.fd = ino, .events = POLLIN};
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	int64_t deadline = timeutil_mono_ms() + timeout_ms;
	ssize_t got;
	char *p;

	while (timeutil_mono_ms() < deadline) {
		if (poll(&pfd, 1, (int)(deadline - timeutil_mono_ms())) <= 0)
			continue;
		if ((got = read(ino, buf, sizeof buf)) <= 0)
			continue;
		for (p = buf; p < buf + got; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->len > 0 &&
			    strcmp(ev->name, STORE_FILE ".tmp") == 0)
				return 1;
		}
	}
	return 0;
}

/* Drops the inotify events read so far. */
static void
crash_drain(int ino)
{
	char buf[4096];

	while (read(ino, buf, sizeof buf) > 0)
		;
}

/*
 * SIGKILL at random points, many times: after each kill state.json is
 * the last generation the victim reported or the one it was writing,
 * never a mix and never cut short; the next run restores exactly it.
 * Odd runs are killed a random 0-100 ms into the write cycle, even runs
 * a random 0-3 ms after the temporary file appears, inside the write.
 */
START_TEST(test_crash_kill)
{
	struct victim v;
	char dir[64];
	const char *env;
	unsigned seed, delay;
	long long on_disk = 0, gen;
	int64_t start = timeutil_mono_ms(), deadline;
	int runs, tmp_left = 0, in_write = 0, ino, max_runs = CRASH_RUNS;

	seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	if ((env = getenv("STORE_CRASH_SEED")) != NULL)
		seed = (unsigned)strtoul(env, NULL, 10);
	if ((env = getenv("STORE_CRASH_RUNS")) != NULL)
		max_runs = atoi(env);
	if (seed == 0)
		seed = 1;
	fprintf(stderr,
	    "crash test: seed %u (STORE_CRASH_SEED=%u repeats it)\n", seed,
	    seed);
	snprintf(dir, sizeof dir, "/tmp/gatherd-check-crash-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert_int_ge(ino, 0);
	ck_assert_int_ge(inotify_add_watch(ino, dir, IN_CREATE), 0);

	for (runs = 0;
	     runs < max_runs && timeutil_mono_ms() - start < CRASH_LIMIT_MS;
	     runs++) {
		victim_start(&v, dir);
		deadline = timeutil_mono_ms() + 20000;
		while (v.v_wrote == 0 && timeutil_mono_ms() < deadline &&
		    victim_read(&v, 1000) != 0)
			;
		if (v.v_wrote == 0) {
			victim_kill(&v);
			ck_abort_msg("run %d: store-crash wrote nothing", runs);
		}
		/* The next run restores exactly what the last kill left. */
		ck_assert_int_eq(v.v_restored, on_disk);
		if (runs % 2 == 1) {
			delay = crash_rand(&seed) % 100000;
			usleep(delay);
		} else {
			crash_drain(ino);
			ck_assert(crash_wait_tmp(ino, 10000));
			delay = crash_rand(&seed) % 3000;
			if (delay > 0)
				usleep(delay);
			in_write++;
		}
		victim_kill(&v);
		if (exists(dir, STORE_FILE ".tmp"))
			tmp_left++;
		gen = crash_check_file(dir);
		ck_assert_msg(gen == v.v_wrote || gen == v.v_wrote + 1,
		    "run %d: generation %lld on disk, last reported %lld", runs,
		    gen, v.v_wrote);
		ck_assert_int_eq(
		    count_prefix(dir, STORE_FILE ".corrupt-", NULL, 0), 0);
		on_disk = gen;
	}
	fprintf(stderr,
	    "crash test: %d kills in %.1f s (%d aimed at a write), %d left "
	    "a partial " STORE_FILE ".tmp; state.json was whole every "
	    "time\n",
	    runs, (double)(timeutil_mono_ms() - start) / 1000, in_write,
	    tmp_left);
	/* A slow machine gets fewer runs, but never just a handful. */
	ck_assert_int_ge(runs, max_runs < 20 ? max_runs : 20);
	close(ino);
	remove_dir(dir);
}
END_TEST

/* Builds the suite. */
static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = tcase_create("restore");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_url_changed);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_removed_source);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_bad_entries);
	tcase_add_test(tc, test_corrupt_block);
	tcase_add_test(tc, test_version_2);
	tcase_add_test(tc, test_missing_and_stale_tmp);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_debounce);
	tcase_add_test(tc, test_free_unflushed);
	tcase_add_test(tc, test_write_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("crash");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crash_kill);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits 0 only if every test passed. */
int
main(void)
{
	log_set_level(
	    getenv("HARNESS_VERBOSE") ? LOG_LEVEL_DEBUG : LOG_LEVEL_QUIET);
	return runner_run(store_suite()) == 0 ? 0 : 1;
}
