/*
 * What the config_*.c family shares and nothing else includes: the
 * parser's state, the first-error record that becomes "FILE:LINE:
 * message", and the small setters every key file uses.  config.c drives
 * inih and the table; config_auth.c, config_budget.c, config_cluster.c,
 * config_jq.c and config_template.c read their keys into the same
 * struct config_parse.
 * Not installed, not for other modules.
 */
#ifndef GATHERD_CONFIG_PRIVATE_H
#define GATHERD_CONFIG_PRIVATE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "config_table.h"

struct auth_google_key;
struct lh_table;

/* Parser state shared by the line reader and the inih handler. */
struct config_parse {
	struct config *cp_cf;
	const char *cp_name; /* file name for messages */
	char *cp_dir; /* directory for relative token files */
	FILE *cp_file; /* source of lines, or */
	const char *cp_text; /* text in memory */
	int cp_line; /* line being parsed */
	int cp_at_line_start;
	int cp_header_line; /* line of the latest [section] */
	struct config_source *cp_source; /* current [source], or NULL */
	struct config_budget *cp_budget; /* current [budget], or NULL */
	int cp_in_cluster; /* the current section is [cluster] */
	/* Keys given once so far, by config_table row. */
	unsigned char cp_global_seen[CONFIG_TABLE_MAX];
	unsigned char cp_source_seen[CONFIG_TABLE_MAX];
	unsigned char cp_budget_seen[CONFIG_TABLE_MAX];
	unsigned char cp_cluster_seen[CONFIG_TABLE_MAX];
	struct lh_table *cp_names; /* source names seen, for duplicates */
	size_t cp_sources_cap; /* room in cf_sources */
	size_t cp_budgets_cap; /* room in cf_budgets */
	int cp_err_line; /* 0 while no error */
	char cp_err[CONFIG_ERR_LEN];
	int cp_open_token_line; /* first secret file others can read, or 0 */
	char cp_open_token[256];
	const char *cp_open_what; /* what that file is: "token file" */
};

/* config.c: the shared internals. */

/* Records the first error, at line (0 = the line being parsed). */
void config_error(struct config_parse *cp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Notes a secret file (what: "token file") that users other than its
 * owner and group can read; a secret_readable_cb with cp as arg. */
void config_token_readable_cb(const char *what, const char *path, void *arg);
/* Sets *dst to the secret in the token file value names; 1 or 0. */
int config_set_secret(struct config_parse *cp, char **dst, const char *value);
/* Replaces *dst with a copy of value; 0 or -1. */
int config_set_string(char **dst, const char *value);
/* Records the error for a value of row e that does not parse. */
void config_bad_value(
    struct config_parse *cp, const struct config_entry *e, const char *value);

/* config_auth.c: auth and its keys.  Setters return 1 or 0 as inih
 * wants. */

/* Sets *dst to the service-account key in the file value names. */
int config_set_google_key(
    struct config_parse *cp, struct auth_google_key **dst, const char *value);
/* Sets the int field of row e (an enum auth_grant) from value. */
int config_set_auth(struct config_parse *cp, const struct config_entry *e,
    int *field, const char *value);
/* Gives src [gatherd]'s auth keys, checks they make one grant and sets
 * Google's default scope; 0 or -1 with the error recorded. */
int config_check_auth(struct config_parse *cp, struct config_source *src);

/* config_budget.c: [budget NAME] sections and budget = NAME. */

/* Sets src's budget and the line that named it; 1 or 0. */
int config_set_budget_ref(
    struct config_parse *cp, struct config_source *src, const char *value);
/* Handles one key of a [budget NAME] section; 1 or 0. */
int
config_budget_key(struct config_parse *cp, const char *name, const char *value);
/* Starts a new [budget NAME] section; returns it, or NULL. */
struct config_budget *
config_new_budget(struct config_parse *cp, const char *name);
/* Checks the budgets once the whole file is read; 0 or -1. */
int config_check_budgets(struct config_parse *cp);

/* config_cluster.c: the [cluster] section. */

/* Starts the [cluster] section at cp_header_line; 0, or -1 with the
 * error recorded (a second [cluster]). */
int config_cluster_begin(struct config_parse *cp);
/* Handles one key of the [cluster] section; 1 or 0 as inih wants. */
int config_cluster_key(
    struct config_parse *cp, const char *name, const char *value);
/* Checks [cluster] once the whole file is read (redis given) and fills
 * in the default name and prefix; 0 or -1. */
int config_check_cluster(struct config_parse *cp);
/* Frees [cluster]'s fields, wiping the password. */
void config_cluster_free(struct config_cluster *cc);

/* config_jq.c: stats and jq programs; 1 or 0 as inih wants. */

/* Sets the program field of row e from value. */
int config_set_jq(struct config_parse *cp, const struct config_entry *e,
    void *field, const char *value);
/* Adds a stat called name with pointer or jq program value to src. */
int config_add_stat(struct config_parse *cp, struct config_source *src,
    const char *name, const char *value);
/* Gives src, whose bodies jq sees (a jq stat or an error_if), jq's
 * smaller default max_body; for a source with no max_body set. */
void config_jq_default_max_body(struct config_source *src);

/* config_template.c: url and header templates, time zones; 1 or 0 as
 * inih wants. */

/* Sets src's url and its template. */
int config_set_url(
    struct config_parse *cp, struct config_source *src, const char *value);
/* Sets src's time zone for its templates. */
int config_set_timezone(
    struct config_parse *cp, struct config_source *src, const char *value);
/* Adds a header line and its template to src. */
int config_add_header(
    struct config_parse *cp, struct config_source *src, const char *value);
/* Compiles src's body for its content type once its section is read
 * (secrets may be defined after it); 0, or -1 with the error recorded. */
int config_compile_body(struct config_parse *cp, struct config_source *src);

#endif
