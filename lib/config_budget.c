/*
 * Reads request budgets: the [budget NAME] sections and their requests
 * = N/DURATION, and a source's budget = NAME.  Once the file is read,
 * every name a source gives must be a budget, and a budget no source
 * uses is a warning.  Also answers what the sources on a budget need,
 * for the -t warning.  The sliding window itself is budget.c's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_private.h"
#include "log.h"
#include "parse.h"

#define CONFIG_MIN_BUDGET_WINDOW_MS 100

/* Sets src's budget (a [budget NAME] checked after the whole file) and
 * the line that named it; 1 or 0. */
int
config_set_budget_ref(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	if (!parse_valid_name(value)) {
		config_error(cp, 0,
		    "budget: invalid name \"%s\" (1 to 64 of "
		    "A-Z a-z 0-9 _ . -)",
		    value);
		return 0;
	}
	src->src_budget_line = cp->cp_line;
	return config_set_string(&src->src_budget, value) == 0;
}

/* Sets the current budget's rate from "N/DURATION"; 1 or 0. */
static int
config_set_rate(
    struct config_parse *cp, const struct config_entry *e, const char *value)
{
	struct config_budget *b = cp->cp_budget;
	const char *slash = strchr(value, '/');
	char count[16];
	unsigned n;
	uint64_t ms;

	if (slash == NULL || (size_t)(slash - value) >= sizeof count)
		goto bad;
	memcpy(count, value, (size_t)(slash - value));
	count[slash - value] = '\0';
	if (parse_uint(count, (unsigned)e->ce_min, (unsigned)e->ce_max, &n) ==
	        -1 ||
	    parse_duration_ms(slash + 1, &ms) == -1 ||
	    ms < CONFIG_MIN_BUDGET_WINDOW_MS)
		goto bad;
	b->cb_requests = n;
	b->cb_window_ms = ms;
	return 1;
bad:
	config_bad_value(cp, e, value);
	return 0;
}

/* Handles one key of a [budget NAME] section (its only key, requests,
 * sets the rate); 1 or 0 as inih wants. */
int
config_budget_key(struct config_parse *cp, const char *name, const char *value)
{
	const struct config_entry *e;
	size_t row;

	if ((e = config_table_find(CONFIG_BUDGET, name)) == NULL ||
	    e->ce_type != CONFIG_RATE) {
		config_error(cp, 0,
		    "unknown key \"%s\" in [budget %s] (it takes "
		    "requests = N/DURATION)",
		    name, cp->cp_budget->cb_name);
		return 0;
	}
	row = (size_t)(e - config_table);
	if (cp->cp_budget_seen[row]) {
		config_error(cp, 0, "duplicate key \"%s\"", name);
		return 0;
	}
	cp->cp_budget_seen[row] = 1;
	return config_set_rate(cp, e, value);
}

/* Starts a new [budget NAME] section; returns it, or NULL. */
struct config_budget *
config_new_budget(struct config_parse *cp, const char *name)
{
	struct config *cf = cp->cp_cf;
	struct config_budget *budgets, *b;
	size_t cap;

	if (!parse_valid_name(name)) {
		config_error(cp, cp->cp_header_line,
		    "invalid budget name \"%s\" "
		    "(1 to 64 of A-Z a-z 0-9 _ . -)",
		    name);
		return NULL;
	}
	if (config_find_budget(cf, name) != NULL) {
		config_error(
		    cp, cp->cp_header_line, "duplicate budget \"%s\"", name);
		return NULL;
	}
	if (cf->cf_nbudgets == cp->cp_budgets_cap) {
		cap = cp->cp_budgets_cap ? cp->cp_budgets_cap * 2 : 4;
		if ((budgets = reallocarray(
		         cf->cf_budgets, cap, sizeof *budgets)) == NULL)
			return NULL;
		cf->cf_budgets = budgets;
		cp->cp_budgets_cap = cap;
	}
	b = &cf->cf_budgets[cf->cf_nbudgets];
	memset(b, 0, sizeof *b);
	b->cb_line = cp->cp_header_line;
	if ((b->cb_name = strdup(name)) == NULL)
		return NULL;
	cf->cf_nbudgets++;
	return b;
}

/*
 * Checks the budgets once the whole file is read: each has its rate,
 * each name a source gives (or [gatherd] gives them all) is one; a
 * budget no source uses is only a warning, as a source taken out for a
 * while should not make the file fail.  0 or -1.
 */
int
config_check_budgets(struct config_parse *cp)
{
	struct config *cf = cp->cp_cf;
	const struct config_source *d = &cf->cf_defaults;
	struct config_source *src;
	size_t i, users;

	for (i = 0; i < cf->cf_nbudgets; i++) {
		if (cf->cf_budgets[i].cb_requests == 0) {
			config_error(cp, cf->cf_budgets[i].cb_line,
			    "budget %s: missing requests (add e.g. "
			    "requests = 60/1h)",
			    cf->cf_budgets[i].cb_name);
			return -1;
		}
	}
	for (i = 0; i < cf->cf_nsources; i++) {
		src = &cf->cf_sources[i];
		if (src->src_budget == NULL && d->src_budget != NULL) {
			if ((src->src_budget = strdup(d->src_budget)) == NULL)
				return -1;
			src->src_budget_line = d->src_budget_line;
		}
		if (src->src_budget != NULL &&
		    config_find_budget(cf, src->src_budget) == NULL) {
			config_error(cp, src->src_budget_line,
			    "source %s: unknown budget \"%s\" (add a "
			    "[budget %s] section)",
			    src->src_name, src->src_budget, src->src_budget);
			return -1;
		}
	}
	for (i = 0; i < cf->cf_nbudgets; i++) {
		(void)config_budget_need(cf, &cf->cf_budgets[i], &users);
		if (users == 0)
			log_warnx("%s:%d: budget %s is used by no source",
			    cp->cp_name, cf->cf_budgets[i].cb_line,
			    cf->cf_budgets[i].cb_name);
	}
	return 0;
}

/* Returns the budget called name, or NULL. */
const struct config_budget *
config_find_budget(const struct config *cf, const char *name)
{
	size_t i;

	/* A handful of budgets, one per upstream key: a scan is enough. */
	for (i = 0; i < cf->cf_nbudgets; i++) {
		if (strcmp(cf->cf_budgets[i].cb_name, name) == 0)
			return &cf->cf_budgets[i];
	}
	return NULL;
}

/* Returns the requests per window the sources on b need, and how many. */
double
config_budget_need(
    const struct config *cf, const struct config_budget *b, size_t *nsources)
{
	const struct config_source *src;
	double need = 0.0;
	size_t i;

	*nsources = 0;
	for (i = 0; i < cf->cf_nsources; i++) {
		src = &cf->cf_sources[i];
		if (src->src_budget == NULL ||
		    strcmp(src->src_budget, b->cb_name) != 0)
			continue;
		(*nsources)++;
		need += (double)b->cb_window_ms / (double)src->src_interval_ms;
	}
	return need;
}
