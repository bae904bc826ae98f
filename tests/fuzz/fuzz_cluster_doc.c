/*
 * libFuzzer harness for what a replica reads from Redis: the input's
 * first line is a source's shared-state document, the lines after it
 * history points written for the stats "total active".  A document the
 * decoder accepts must encode again to a document that decodes to the
 * same state, and apply to a cache entry; a point it accepts must land
 * in the history, and one it refuses must leave the history alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cluster_doc.h"
#include "config.h"
#include "history.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_conf[] = "[gatherd]\n"
                                "history = 8\n"
                                "[source a]\n"
                                "url = http://127.0.0.1:1/a\n"
                                "stat total = /data/total\n"
                                "stat active = /data/active\n";

static struct config *fuzz_cf;

/* At exit: frees the config. */
static void
fuzz_cleanup(void)
{
	config_free(fuzz_cf);
}

/* Loads the config once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[CONFIG_ERR_LEN];

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_QUIET);
	if ((fuzz_cf = config_load_string(
	         fuzz_conf, "fuzz.conf", err, sizeof err)) == NULL) {
		fprintf(stderr, "fuzz_cluster_doc: %s\n", err);
		abort();
	}
	atexit(fuzz_cleanup);
	return 0;
}

/* Returns 1 if a and b are both NULL or equal strings. */
static int
fuzz_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Aborts unless a and b hold the same state. */
static void
fuzz_check_same(const struct cache_shared *a, const struct cache_shared *b)
{
	if (!json_object_equal(a->cs_values, b->cs_values) ||
	    a->cs_updated_at != b->cs_updated_at ||
	    a->cs_last_attempt_at != b->cs_last_attempt_at ||
	    a->cs_last_ok != b->cs_last_ok ||
	    a->cs_has_error != b->cs_has_error ||
	    (a->cs_has_error &&
	        (a->cs_error.se_kind != b->cs_error.se_kind ||
	            strcmp(a->cs_error.se_message, b->cs_error.se_message) !=
	                0)) ||
	    !fuzz_same(a->cs_etag, b->cs_etag) ||
	    !fuzz_same(a->cs_last_modified, b->cs_last_modified) ||
	    a->cs_polls_total != b->cs_polls_total ||
	    a->cs_backoff.b_failures != b->cs_backoff.b_failures ||
	    a->cs_backoff.b_open != b->cs_backoff.b_open ||
	    strcmp(a->cs_polled_by, b->cs_polled_by) != 0)
		abort();
}

/* One input: a document, then point lines. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl, *end = text + size;
	struct cache_shared s, again;
	struct cache_entry *e;
	struct cache *c;
	size_t len, before;
	char *enc;

	if ((c = cache_new(fuzz_cf)) == NULL)
		abort();
	e = cache_entry_at(c, 0);
	nl = memchr(text, '\n', size);
	len = nl != NULL ? (size_t)(nl - text) : size;
	if (cluster_doc_decode(text, len, &s) == NULL) {
		if ((enc = cluster_doc_encode(&s, &len)) == NULL)
			abort();
		if (cluster_doc_decode(enc, len, &again) != NULL)
			abort();
		fuzz_check_same(&s, &again);
		free(enc);
		cache_shared_clear(&again);
		cache_apply_shared(c, e, &s, 1);
	}
	while (nl != NULL) {
		text = nl + 1;
		nl = memchr(text, '\n', (size_t)(end - text));
		len = nl != NULL ? (size_t)(nl - text) : (size_t)(end - text);
		before = history_len(e->ce_history[0]);
		if (cluster_doc_add_point(e, "total active", text, len) == 0) {
			if (history_len(e->ce_history[0]) !=
			    (before < 8 ? before + 1 : 8))
				abort();
		} else if (history_len(e->ce_history[0]) != before)
			abort();
	}
	cache_free(c);
	return 0;
}
