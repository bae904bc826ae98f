/*
 * Reads the keys that hold jq programs: stat NAME = (a JSON Pointer or
 * jq: PROGRAM) and error_if.  Each distinct program is compiled once,
 * at load, into the config's set of programs (cf_jq), so an error names
 * its FILE:LINE.  A source whose bodies jq sees gets a smaller default
 * max_body.  Running the programs is extract_jq.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_private.h"
#include "extract_jq.h"
#include "parse.h"

/*
 * Returns the compiled program of value ("jq: PROGRAM") for key what,
 * compiled once per distinct program in cf_jq; NULL with the error.
 */
static struct extract_jq *
config_jq(struct config_parse *cp, const char *what, const char *value)
{
	struct config *cf = cp->cp_cf;
	const char *program = extract_jq_program_of(value);
	struct extract_jq *jq;
	char err[CONFIG_ERR_LEN / 2];

	if (program == NULL || *program == '\0') {
		config_error(
		    cp, 0, "%s: expected jq: PROGRAM, got \"%s\"", what, value);
		return NULL;
	}
	if (cf->cf_jq == NULL && (cf->cf_jq = extract_jq_set_new()) == NULL) {
		config_error(cp, 0, "out of memory");
		return NULL;
	}
	if ((jq = extract_jq_set_add(cf->cf_jq, program, err, sizeof err)) ==
	    NULL)
		config_error(cp, 0, "%s: jq: %s", what, err);
	return jq;
}

/* Sets the program field of row e from value; 1 or 0 as inih wants. */
int
config_set_jq(struct config_parse *cp, const struct config_entry *e,
    void *field, const char *value)
{
	struct extract_jq **dst = field;

	return (*dst = config_jq(cp, e->ce_name, value)) != NULL;
}

/* Adds a stat called name with pointer or jq program value to src; 1 or
 * 0. */
int
config_add_stat(struct config_parse *cp, struct config_source *src,
    const char *name, const char *value)
{
	struct config_stat *stats, *st;
	struct extract_jq *jq = NULL;
	char what[CONFIG_NAME_MAX + 8];
	size_t i;

	while (*name == ' ' || *name == '\t')
		name++;
	if (!parse_valid_name(name)) {
		config_error(cp, 0,
		    "invalid stat name \"%s\" (1 to 64 of "
		    "A-Z a-z 0-9 _ . -)",
		    name);
		return 0;
	}
	for (i = 0; i < src->src_nstats; i++) {
		if (strcmp(src->src_stats[i].cs_name, name) == 0) {
			config_error(cp, 0, "duplicate stat \"%s\"", name);
			return 0;
		}
	}
	snprintf(what, sizeof what, "stat %s", name);
	if (extract_jq_program_of(value) != NULL) {
		if ((jq = config_jq(cp, what, value)) == NULL)
			return 0;
	} else if (*value != '\0' && *value != '/') {
		config_error(cp, 0,
		    "stat %s: \"%s\" is not a JSON Pointer (it "
		    "must start with /) nor jq: PROGRAM",
		    name, value);
		return 0;
	}
	stats =
	    reallocarray(src->src_stats, src->src_nstats + 1, sizeof *stats);
	if (stats == NULL)
		return 0;
	src->src_stats = stats;
	st = &stats[src->src_nstats++];
	memset(st, 0, sizeof *st);
	st->cs_name = strdup(name);
	st->cs_jq = jq;
	/* A jq stat's identity is its program, spelt one way. */
	if (jq != NULL &&
	    asprintf(&st->cs_pointer, "%s %s", EXTRACT_JQ_PREFIX,
	        extract_jq_text(jq)) == -1)
		st->cs_pointer = NULL;
	else if (jq == NULL)
		st->cs_pointer = strdup(value);
	return st->cs_name != NULL && st->cs_pointer != NULL;
}

/* Gives src, whose bodies jq sees, jq's smaller default max_body. */
void
config_jq_default_max_body(struct config_source *src)
{
	size_t i;
	int jq = src->src_error_if != NULL;

	for (i = 0; i < src->src_nstats && !jq; i++)
		jq = src->src_stats[i].cs_jq != NULL;
	if (jq && src->src_max_body > EXTRACT_JQ_MAX_BODY)
		src->src_max_body = EXTRACT_JQ_MAX_BODY;
}
