/*
 * Reads the INI config with inih and checks every value.  inih does the
 * tokenising; a small reader around it counts lines so that each error
 * names FILE:LINE, and remembers where each [section] starts so errors
 * about a whole section (no url, no stat) point at its header.  Which
 * keys exist and how each is read is config_table.c's; values are parsed
 * by parse.c and secrets read by secret.c; the keys of auth, budgets,
 * [cluster], jq programs, templates and requests are read by the
 * config_*.c files of each, through config_private.h.  Only the first
 * error is reported, the way compilers lead with the first one.
 */
#include <ctype.h>
#include <stddef.h>
#include <unistd.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <ini.h>
#include <json-c/linkhash.h>

#include "auth_google.h"
#include "config.h"
#include "config_private.h"
#include "config_request.h"
#include "config_table.h"
#include "extract_jq.h"
#include "log.h"
#include "parse.h"
#include "secret.h"
#include "template.h"
#include "tz.h"

#define CONFIG_DEFAULT_LISTEN_PORT 8080
#define CONFIG_MAX_ORIGINS 64
#define CONFIG_DEFAULT_CONNECT_MS 10000
#define CONFIG_DEFAULT_RETRY_MAX_MS 3600000
#define CONFIG_MAX_LINE 65536
#define CONFIG_MAX_SECTION 256

#ifndef GATHERD_VERSION
#define GATHERD_VERSION "0"
#endif
#ifndef GATHERD_STATE_DIR
#define GATHERD_STATE_DIR "/var/lib/gatherd"
#endif
#ifndef GATHERD_WEB_ROOT
#define GATHERD_WEB_ROOT "/usr/share/gatherd/web"
#endif

/* Records the first error, at line (0 = the line being parsed). */
void
config_error(struct config_parse *cp, int line, const char *fmt, ...)
{
	va_list ap;

	if (cp->cp_err_line != 0)
		return;
	cp->cp_err_line = line != 0 ? line : cp->cp_line;
	va_start(ap, fmt);
	vsnprintf(cp->cp_err, sizeof cp->cp_err, fmt, ap);
	va_end(ap);
}

/* Returns a copy of url without user and password; NULL if out of memory. */
char *
config_redact_url(const char *url)
{
	CURLU *u;
	char *shown = NULL, *copy;

	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &shown, 0) == CURLUE_OK)
		copy = strdup(shown);
	else
		copy = strdup("(invalid url)");
	curl_free(shown);
	curl_url_cleanup(u);
	return copy;
}

/* Notes a secret file (what: "token file") that users other than its
 * owner and group can read; judged after the whole file, when
 * strict_permissions is known. */
void
config_token_readable_cb(const char *what, const char *path, void *arg)
{
	struct config_parse *cp = arg;

	log_warnx("%s:%d: %s %s is readable by everyone; chmod o-r it",
	    cp->cp_name, cp->cp_line, what, path);
	if (cp->cp_open_token_line == 0) {
		cp->cp_open_token_line = cp->cp_line;
		cp->cp_open_what = what;
		snprintf(
		    cp->cp_open_token, sizeof cp->cp_open_token, "%s", path);
	}
}

/* Sets *dst to the secret in the token file value names; 1 or 0. */
int
config_set_secret(struct config_parse *cp, char **dst, const char *value)
{
	struct secret_spec ss = {.ss_what = "token file",
	    .ss_dir = cp->cp_dir,
	    .ss_readable_cb = config_token_readable_cb,
	    .ss_arg = cp};
	char err[CONFIG_ERR_LEN];

	if ((*dst = secret_read(value, &ss, err, sizeof err)) != NULL)
		return 1;
	if (err[0] != '\0')
		config_error(cp, 0, "%s", err);
	return 0;
}

/* Sets a request key (method, body, Basic auth, a named secret) of src
 * or of [gatherd] with config_request.c; 1 or 0 as inih wants. */
static int
config_set_request(struct config_parse *cp, const struct config_entry *e,
    struct config_source *src, const char *arg, const char *value)
{
	struct config_request_in in = {.ri_cf = cp->cp_cf,
	    .ri_src = src,
	    .ri_dir = cp->cp_dir,
	    .ri_readable_cb = config_token_readable_cb,
	    .ri_arg = cp,
	    .ri_arg_key = arg};
	char err[CONFIG_ERR_LEN];

	if (e->ce_type == CONFIG_BODY || e->ce_type == CONFIG_BODY_FILE)
		src->src_body_line = cp->cp_line;
	if (config_request_set(&in, e, value, err, sizeof err) == 0)
		return 1;
	if (err[0] != '\0')
		config_error(cp, 0, "%s", err);
	return 0;
}

/* Replaces *dst with a copy of value; 0 or -1. */
int
config_set_string(char **dst, const char *value)
{
	char *copy;

	if ((copy = strdup(value)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* Returns 1 if values of e's type have bounds in the table. */
static int
config_bounded(const struct config_entry *e)
{
	return e->ce_type == CONFIG_DURATION ||
	    e->ce_type == CONFIG_DURATION_S || e->ce_type == CONFIG_SIZE ||
	    e->ce_type == CONFIG_COUNT || e->ce_type == CONFIG_UINT;
}

/* Returns 1 if row e holds a number (config_set_number's types). */
static int
config_is_number(const struct config_entry *e)
{
	return config_bounded(e) || e->ce_type == CONFIG_BOOL ||
	    e->ce_type == CONFIG_LOG_LEVEL;
}

/* Stores v in the number field of row e at field. */
static void
config_store_number(const struct config_entry *e, void *field, uint64_t v)
{
	uint64_t v64 = v;
	uint32_t v32 = (uint32_t)v;
	int flag = (int)v;
	enum log_level level = (enum log_level)v;

	if (e->ce_type == CONFIG_BOOL)
		memcpy(field, &flag, sizeof flag);
	else if (e->ce_type == CONFIG_LOG_LEVEL)
		memcpy(field, &level, sizeof level);
	else if (e->ce_size == sizeof v64)
		memcpy(field, &v64, sizeof v64);
	else if (e->ce_size == sizeof v32)
		memcpy(field, &v32, sizeof v32);
}

/* Records the error for a value of row e that does not parse. */
void
config_bad_value(
    struct config_parse *cp, const struct config_entry *e, const char *value)
{
	const char *kind;

	switch (e->ce_type) {
	case CONFIG_DURATION:
	case CONFIG_DURATION_S:
		kind = "duration";
		break;
	case CONFIG_SIZE:
		kind = "size";
		break;
	case CONFIG_COUNT:
		kind = "number";
		break;
	default:
		config_error(cp, 0, "%s: expected %s, got \"%s\"", e->ce_name,
		    e->ce_hint, value);
		return;
	}
	config_error(cp, 0, "%s: bad %s \"%s\" (use e.g. %s)", e->ce_name, kind,
	    value, e->ce_hint);
}

/* Sets the number field of row e from value; 1 or 0 as inih wants. */
static int
config_set_number(struct config_parse *cp, const struct config_entry *e,
    void *field, const char *value)
{
	enum log_level level = LOG_LEVEL_INFO;
	uint64_t v = 0;
	size_t size = 0;
	unsigned count = 0;
	int rc, flag = 0;

	switch (e->ce_type) {
	case CONFIG_DURATION:
	case CONFIG_DURATION_S:
		rc = parse_duration_ms(value, &v);
		break;
	case CONFIG_SIZE:
		rc = parse_size(value, &size);
		v = size;
		break;
	case CONFIG_BOOL:
		rc = parse_bool(value, &flag);
		v = (uint64_t)flag;
		break;
	case CONFIG_LOG_LEVEL:
		rc = log_parse_level(value, &level);
		v = (uint64_t)level;
		break;
	case CONFIG_COUNT:
	case CONFIG_UINT:
	default:
		rc = parse_uint(value, 0, UINT32_MAX, &count);
		v = count;
		break;
	}
	if (rc == -1 ||
	    (config_bounded(e) && (v < e->ce_min || v > e->ce_max))) {
		config_bad_value(cp, e, value);
		return 0;
	}
	/* MHD counts whole seconds: round up. */
	if (e->ce_type == CONFIG_DURATION_S)
		v = (v + 999) / 1000;
	config_store_number(e, field, v);
	return 1;
}

/* Sets listen's host and port from value; 1 or 0 as inih wants. */
static int
config_set_listen(
    struct config_parse *cp, const struct config_entry *e, const char *value)
{
	struct config *cf = cp->cp_cf;
	char *host;
	uint16_t port;

	if (parse_listen(value, &host, &port) == -1) {
		config_bad_value(cp, e, value);
		return 0;
	}
	free(cf->cf_listen_host);
	cf->cf_listen_host = host;
	cf->cf_listen_port = port;
	return 1;
}

/* Sets allow_origins from a comma-separated list; 1 or 0 as inih wants. */
static int
config_set_origins(struct config_parse *cp, const char *value)
{
	struct config *cf = cp->cp_cf;
	const char *p = value, *end;
	char *origin, **grown;
	size_t i, n;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		end = p + n;
		if ((origin = strndup(p, n)) == NULL)
			return 0;
		/* Browsers send scheme and host in lower case. */
		for (i = 0; i < n; i++)
			origin[i] = (char)tolower((unsigned char)origin[i]);
		if (!parse_valid_origin(origin)) {
			config_error(cp, 0,
			    "allow_origins: \"%s\" is not an origin (use e.g. "
			    "https://dash.example.com, no path)",
			    origin);
			free(origin);
			return 0;
		}
		for (i = 0; i < cf->cf_nallow_origins; i++) {
			if (strcmp(cf->cf_allow_origins[i], origin) == 0) {
				config_error(cp, 0,
				    "allow_origins: duplicate origin \"%s\"",
				    origin);
				free(origin);
				return 0;
			}
		}
		if (cf->cf_nallow_origins == CONFIG_MAX_ORIGINS ||
		    (grown = reallocarray(cf->cf_allow_origins,
		         cf->cf_nallow_origins + 1, sizeof *grown)) == NULL) {
			config_error(cp, 0,
			    "allow_origins: more than %d origins",
			    CONFIG_MAX_ORIGINS);
			free(origin);
			return 0;
		}
		cf->cf_allow_origins = grown;
		cf->cf_allow_origins[cf->cf_nallow_origins++] = origin;
		p = end;
	}
	if (cf->cf_nallow_origins == 0) {
		config_error(cp, 0, "allow_origins is empty");
		return 0;
	}
	return 1;
}

/* Sets row e's field (in cf, or in src) from value; 1 or 0 as inih
 * wants.  arg is what follows a prefix key's name ("stat NAME"). */
static int
config_set_value(struct config_parse *cp, const struct config_entry *e,
    struct config_source *src, const char *arg, const char *value)
{
	void *base =
	    e->ce_section == CONFIG_GLOBAL ? (void *)cp->cp_cf : (void *)src;
	void *field = (char *)base + e->ce_offset;
	const char *why;

	if (config_is_number(e))
		return config_set_number(cp, e, field, value);
	switch (e->ce_type) {
	case CONFIG_STRING:
		if ((e->ce_flags & CONFIG_NONEMPTY) && *value == '\0') {
			config_error(cp, 0, "%s is empty", e->ce_name);
			return 0;
		}
		return config_set_string(field, value) == 0;
	case CONFIG_LISTEN:
		return config_set_listen(cp, e, value);
	case CONFIG_SECRET:
		return config_set_secret(cp, field, value);
	case CONFIG_URL:
		if ((why = parse_check_url(value)) != NULL) {
			config_error(cp, 0, "%s %s", e->ce_name, why);
			return 0;
		}
		return config_set_string(field, value) == 0;
	case CONFIG_SOURCE_URL:
		return config_set_url(cp, src, value);
	case CONFIG_TIMEZONE:
		return config_set_timezone(cp, src, value);
	case CONFIG_FILE:
		if (access(value, R_OK) == -1) {
			config_error(cp, 0, "cannot read %s %s: %s", e->ce_name,
			    value, strerror(errno));
			return 0;
		}
		return config_set_string(field, value) == 0;
	case CONFIG_ORIGINS:
		return config_set_origins(cp, value);
	case CONFIG_HEADER:
		return config_add_header(cp, src, value);
	case CONFIG_STAT:
		return config_add_stat(cp, src, arg, value);
	case CONFIG_AUTH:
		return config_set_auth(cp, e, field, value);
	case CONFIG_GOOGLE_KEY:
		return config_set_google_key(cp, field, value);
	case CONFIG_METHOD:
	case CONFIG_BODY:
	case CONFIG_BODY_FILE:
	case CONFIG_MEDIA_TYPE:
	case CONFIG_BASIC_AUTH:
	case CONFIG_NAMED_SECRET:
		return config_set_request(cp, e, src, arg, value);
	case CONFIG_BUDGET_REF:
		return config_set_budget_ref(cp, src, value);
	case CONFIG_JQ:
		return config_set_jq(cp, e, field, value);
	default:
		return 0;
	}
}

/*
 * Handles one key of a section: [gatherd] (src is cf_defaults, where
 * the sources' tunables go) or a source.  seen is the section's record
 * of keys given once; 1 or 0 as inih wants.
 */
static int
config_key(struct config_parse *cp, enum config_section section,
    struct config_source *src, unsigned char *seen, const char *name,
    const char *value)
{
	const struct config_entry *e;
	const char *arg;
	size_t row;

	if ((e = config_table_find(section, name)) == NULL) {
		if (section == CONFIG_GLOBAL)
			config_error(
			    cp, 0, "unknown key \"%s\" in [gatherd]", name);
		else
			config_error(cp, 0, "unknown key \"%s\" in [source %s]",
			    name, src->src_name);
		return 0;
	}
	row = (size_t)(e - config_table);
	if (!(e->ce_flags & CONFIG_REPEAT)) {
		if (seen[row]) {
			config_error(cp, 0, "duplicate key \"%s\"", name);
			return 0;
		}
		seen[row] = 1;
	}
	/* What follows the name: a prefix key's argument after one space
	 * or tab ("stat NAME"), else "". */
	arg = name + strlen(e->ce_name);
	if (e->ce_flags & CONFIG_PREFIX)
		arg++;
	if (!config_set_value(cp, e, src, arg, value))
		return 0;
	if (e->ce_tunable != CONFIG_TUNE_NONE)
		src->src_set |= 1u << e->ce_tunable;
	return 1;
}

/* Starts a new [source NAME] section; returns it, or NULL. */
static struct config_source *
config_new_source(struct config_parse *cp, const char *name)
{
	struct config *cf = cp->cp_cf;
	struct config_source *sources, *src;

	if (!parse_valid_name(name)) {
		config_error(cp, cp->cp_header_line,
		    "invalid source name \"%s\" "
		    "(1 to 64 of A-Z a-z 0-9 _ . -)",
		    name);
		return NULL;
	}
	/* A hash of the names: a config of 50,000 sources is no n^2 scan. */
	if (lh_table_lookup_ex(cp->cp_names, name, NULL)) {
		config_error(
		    cp, cp->cp_header_line, "duplicate source \"%s\"", name);
		return NULL;
	}
	/* Doubling: one realloc per source would copy n^2 bytes. */
	if (cf->cf_nsources == cp->cp_sources_cap) {
		sources = reallocarray(cf->cf_sources,
		    cp->cp_sources_cap ? cp->cp_sources_cap * 2 : 16,
		    sizeof *sources);
		if (sources == NULL)
			return NULL;
		cf->cf_sources = sources;
		cp->cp_sources_cap =
		    cp->cp_sources_cap ? cp->cp_sources_cap * 2 : 16;
	}
	sources = cf->cf_sources;
	src = &sources[cf->cf_nsources];
	memset(src, 0, sizeof *src);
	src->src_line = cp->cp_header_line;
	if ((src->src_name = strdup(name)) == NULL)
		return NULL;
	cf->cf_nsources++;
	/* The key is the source's own copy of the name, freed with it. */
	if (lh_table_insert(cp->cp_names, src->src_name, NULL) != 0)
		return NULL;
	return src;
}

/* Starts the section named name, seen by the reader at cp_header_line. */
static void
config_begin_section(struct config_parse *cp, const char *name)
{
	cp->cp_source = NULL;
	cp->cp_budget = NULL;
	cp->cp_in_cluster = 0;
	memset(cp->cp_source_seen, 0, sizeof cp->cp_source_seen);
	memset(cp->cp_budget_seen, 0, sizeof cp->cp_budget_seen);
	if (strcmp(name, "gatherd") == 0)
		return;
	if (strcmp(name, "cluster") == 0) {
		(void)config_cluster_begin(cp);
		return;
	}
	if (strncmp(name, "budget ", 7) == 0) {
		cp->cp_budget = config_new_budget(cp, name + 7);
		return;
	}
	if (strncmp(name, "source ", 7) != 0) {
		config_error(cp, cp->cp_header_line,
		    "unknown section [%s] "
		    "(expected [gatherd], [source NAME], [budget NAME] "
		    "or [cluster])",
		    name);
		return;
	}
	cp->cp_source = config_new_source(cp, name + 7);
}

/* inih's handler: routes each key to its section; 1 or 0. */
static int
config_handler_cb(
    void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *cp = user;

	if (cp->cp_err_line != 0)
		return 0;
	if (*section == '\0') {
		config_error(cp, 0, "key \"%s\" outside of a section", name);
		return 0;
	}
	if (strcmp(section, "gatherd") == 0)
		return config_key(cp, CONFIG_GLOBAL, &cp->cp_cf->cf_defaults,
		    cp->cp_global_seen, name, value);
	if (cp->cp_budget != NULL)
		return config_budget_key(cp, name, value);
	if (cp->cp_in_cluster)
		return config_cluster_key(cp, name, value);
	if (cp->cp_source == NULL)
		return 0; /* the section's error is recorded */
	return config_key(
	    cp, CONFIG_SOURCE, cp->cp_source, cp->cp_source_seen, name, value);
}

/* inih's reader: one fgets-sized piece at a time, counting lines. */
static char *
config_reader_cb(char *buf, int size, void *user)
{
	struct config_parse *cp = user;
	const char *p;
	size_t n;

	if (cp->cp_file != NULL) {
		if (fgets(buf, size, cp->cp_file) == NULL)
			return NULL;
	} else {
		if (*cp->cp_text == '\0' || size < 2)
			return NULL;
		p = strchr(cp->cp_text, '\n');
		n = p != NULL ? (size_t)(p - cp->cp_text) + 1
		              : strlen(cp->cp_text);
		if (n > (size_t)size - 1)
			n = (size_t)size - 1;
		memcpy(buf, cp->cp_text, n);
		buf[n] = '\0';
		cp->cp_text += n;
	}
	if (cp->cp_at_line_start) {
		cp->cp_line++;
		for (p = buf; *p == ' ' || *p == '\t'; p++)
			;
		/*
		 * inih calls the handler only for keys, so a section is
		 * noticed here, where empty and repeated ones show too.
		 * The name ends at ']' as in inih; without one, inih
		 * reports the syntax error.
		 */
		if (*p == '[' && (n = strcspn(p + 1, "]")) < strlen(p + 1)) {
			char name[CONFIG_MAX_SECTION];

			cp->cp_header_line = cp->cp_line;
			snprintf(name, sizeof name, "%.*s", (int)n, p + 1);
			if (cp->cp_err_line == 0)
				config_begin_section(cp, name);
		}
	}
	n = strlen(buf);
	cp->cp_at_line_start = n > 0 && buf[n - 1] == '\n';
	return buf;
}

/* Returns the uint64_t tunable of row e in src. */
static uint64_t *
config_tunable_field(struct config_source *src, const struct config_entry *e)
{
	return (uint64_t *)(void *)((char *)src + e->ce_offset);
}

/* Returns 1 if src or [gatherd] (d) set tunable t. */
static int
config_tunable_given(const struct config_source *src,
    const struct config_source *d, enum config_tunable t)
{
	return ((src->src_set | d->src_set) & (1u << t)) != 0;
}

/* Fills src's unset tunables from [gatherd], else from the defaults. */
static void
config_inherit(const struct config *cf, struct config_source *src)
{
	const struct config_source *d = &cf->cf_defaults;
	const struct config_entry *e;
	unsigned bit;
	size_t i;

	for (i = 0; i < config_table_size; i++) {
		e = &config_table[i];
		if (e->ce_tunable == CONFIG_TUNE_NONE)
			continue;
		bit = 1u << e->ce_tunable;
		if (src->src_set & bit)
			continue;
		if (d->src_set & bit)
			*config_tunable_field(src, e) =
			    *config_tunable_field((struct config_source *)d, e);
		else if (e->ce_default != CONFIG_DERIVED)
			*config_tunable_field(src, e) = e->ce_default;
	}
	/* The derived ones follow the interval and the timeout. */
	if (!config_tunable_given(src, d, CONFIG_TUNE_CONNECT_TIMEOUT))
		src->src_connect_timeout_ms =
		    src->src_timeout_ms < CONFIG_DEFAULT_CONNECT_MS
		    ? src->src_timeout_ms
		    : CONFIG_DEFAULT_CONNECT_MS;
	if (!config_tunable_given(src, d, CONFIG_TUNE_RETRY_MAX)) {
		src->src_retry_max_ms =
		    src->src_interval_ms * 8 < CONFIG_DEFAULT_RETRY_MAX_MS
		    ? src->src_interval_ms * 8
		    : CONFIG_DEFAULT_RETRY_MAX_MS;
		if (src->src_retry_max_ms < src->src_retry_base_ms)
			src->src_retry_max_ms = src->src_retry_base_ms;
	}
	if (!config_tunable_given(src, d, CONFIG_TUNE_MAX_AGE))
		src->src_max_age_ms = src->src_interval_ms * 10;
	/* A program, not a number: borrowed from cf_jq like the source's. */
	if (src->src_error_if == NULL)
		src->src_error_if = d->src_error_if;
	/* jq's work grows with the body: a smaller cap by default. */
	if (!config_tunable_given(src, d, CONFIG_TUNE_MAX_BODY))
		config_jq_default_max_body(src);
}

/* Checks what only the whole file can tell; 0 or -1. */
static int
config_check_sources(struct config_parse *cp)
{
	struct config *cf = cp->cp_cf;
	struct config_source *src;
	char err[CONFIG_ERR_LEN];
	size_t i;

	for (i = 0; i < cf->cf_nsources; i++) {
		src = &cf->cf_sources[i];
		if (src->src_url == NULL) {
			config_error(cp, src->src_line,
			    "source %s: missing url", src->src_name);
			return -1;
		}
		if (src->src_nstats == 0) {
			config_error(cp, src->src_line,
			    "source %s: no stat "
			    "(add e.g. stat total = /data/total)",
			    src->src_name);
			return -1;
		}
		config_inherit(cf, src);
		if (config_check_auth(cp, src) == -1)
			return -1;
		if (src->src_retry_max_ms < src->src_retry_base_ms) {
			config_error(cp, src->src_line,
			    "source %s: retry_max "
			    "is below retry_base",
			    src->src_name);
			return -1;
		}
		if (config_request_finish(
		        src, &cf->cf_defaults, err, sizeof err) == -1) {
			if (err[0] != '\0')
				config_error(cp, src->src_line, "source %s: %s",
				    src->src_name, err);
			else
				config_error(
				    cp, src->src_line, "out of memory");
			return -1;
		}
		if (config_compile_body(cp, src) == -1)
			return -1;
	}
	return 0;
}

/* Sets every default that a key may override; 0 or -1. */
static int
config_set_defaults(struct config *cf)
{
	const char *state = getenv("STATE_DIRECTORY");
	const struct config_entry *e;
	size_t i;

	/* The numbers of [gatherd] from the table; tunables wait for
	 * config_inherit, after the whole file. */
	for (i = 0; i < config_table_size; i++) {
		e = &config_table[i];
		if (e->ce_section == CONFIG_GLOBAL && config_is_number(e))
			config_store_number(
			    e, (char *)cf + e->ce_offset, e->ce_default);
	}
	cf->cf_listen_port = CONFIG_DEFAULT_LISTEN_PORT;
	/* systemd may pass several directories separated by ':'. */
	if (state != NULL && *state != '\0')
		cf->cf_state_dir = strndup(state, strcspn(state, ":"));
	else
		cf->cf_state_dir = strdup(GATHERD_STATE_DIR);
	cf->cf_listen_host = strdup("127.0.0.1");
	cf->cf_user_agent = strdup("gatherd/" GATHERD_VERSION);
	cf->cf_web_root = strdup(GATHERD_WEB_ROOT);
	return cf->cf_state_dir && cf->cf_listen_host && cf->cf_user_agent &&
	        cf->cf_web_root
	    ? 0
	    : -1;
}

/* Parses from cp's file or text; the config, or NULL with err set. */
static struct config *
config_parse(struct config_parse *cp, char *err, size_t errlen)
{
	struct config *cf;
	const char *slash;
	int rc;

	if ((cf = calloc(1, sizeof *cf)) == NULL)
		goto fail;
	cp->cp_cf = cf;
	if ((cp->cp_names = lh_kchar_table_new(64, NULL)) == NULL)
		goto fail;
	cp->cp_at_line_start = 1;
	if ((slash = strrchr(cp->cp_name, '/')) != NULL &&
	    (cp->cp_dir = strndup(cp->cp_name,
	         (size_t)(slash - cp->cp_name) + (slash == cp->cp_name))) ==
	        NULL)
		goto fail;
	if ((cf->cf_path = strdup(cp->cp_name)) == NULL ||
	    config_set_defaults(cf) == -1)
		goto fail;

	/* Debian's inih makes these settings; lines may be long URLs. */
	ini_allow_multiline = false;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CONFIG_MAX_LINE;

	rc = ini_parse_stream(config_reader_cb, cp, config_handler_cb, cp);
	if (rc == -2)
		config_error(cp, cp->cp_line, "out of memory");
	else if (rc > 0)
		config_error(cp, rc,
		    "syntax error (expected [section] or "
		    "key = value)");
	if (cp->cp_err_line == 0)
		config_check_sources(cp);
	if (cp->cp_err_line == 0)
		config_check_budgets(cp);
	if (cp->cp_err_line == 0)
		config_check_cluster(cp);
	if (cp->cp_err_line == 0 && cf->cf_strict_permissions &&
	    cp->cp_open_token_line != 0)
		config_error(cp, cp->cp_open_token_line,
		    "%s %s is readable by everyone "
		    "(strict_permissions = yes)",
		    cp->cp_open_what, cp->cp_open_token);
	if (cp->cp_err_line != 0)
		goto fail;
	free(cp->cp_dir);
	lh_table_free(cp->cp_names);
	return cf;
fail:
	if (cp->cp_err_line != 0)
		snprintf(err, errlen, "%s:%d: %s", cp->cp_name, cp->cp_err_line,
		    cp->cp_err);
	else
		snprintf(err, errlen, "%s: out of memory", cp->cp_name);
	free(cp->cp_dir);
	if (cp->cp_names != NULL)
		lh_table_free(cp->cp_names);
	config_free(cf);
	return NULL;
}

/* Parses and validates the file at path; NULL with err filled on error. */
struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config_parse cp;
	struct config *cf;

	memset(&cp, 0, sizeof cp);
	cp.cp_name = path;
	if ((cp.cp_file = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	cf = config_parse(&cp, err, errlen);
	fclose(cp.cp_file);
	return cf;
}

/* Same as config_load for text in memory; name is used in messages. */
struct config *
config_load_string(const char *text, const char *name, char *err, size_t errlen)
{
	struct config_parse cp;

	memset(&cp, 0, sizeof cp);
	cp.cp_name = name;
	cp.cp_text = text;
	return config_parse(&cp, err, errlen);
}

/* Frees one source's fields, wiping its secret. */
static void
config_free_source(struct config_source *src)
{
	size_t i;

	free(src->src_name);
	free(src->src_url);
	free(src->src_ca_file);
	secret_free(src->src_token);
	auth_google_key_free(src->src_google_key);
	free(src->src_scope);
	free(src->src_token_url);
	free(src->src_client_id);
	secret_free(src->src_client_secret);
	for (i = 0; i < src->src_nheaders; i++) {
		free(src->src_headers[i]);
		template_free(src->src_header_tpls[i]);
	}
	free(src->src_headers);
	free(src->src_header_tpls);
	template_free(src->src_url_tpl);
	template_free(src->src_body_tpl);
	free(src->src_timezone);
	tz_free(src->src_tz);
	for (i = 0; i < src->src_nstats; i++) {
		free(src->src_stats[i].cs_name);
		free(src->src_stats[i].cs_pointer);
	}
	free(src->src_stats);
	config_request_free(src);
	free(src->src_budget);
}

/* Frees cf; NULL is allowed. */
void
config_free(struct config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->cf_nsources; i++)
		config_free_source(&cf->cf_sources[i]);
	free(cf->cf_sources);
	/* [gatherd]'s defaults: the auth keys and Basic auth to wipe. */
	config_free_source(&cf->cf_defaults);
	config_request_free_secrets(cf);
	for (i = 0; i < cf->cf_nbudgets; i++)
		free(cf->cf_budgets[i].cb_name);
	free(cf->cf_budgets);
	free(cf->cf_path);
	free(cf->cf_listen_host);
	free(cf->cf_user_agent);
	free(cf->cf_state_dir);
	free(cf->cf_web_root);
	for (i = 0; i < cf->cf_nallow_origins; i++)
		free(cf->cf_allow_origins[i]);
	free(cf->cf_allow_origins);
	secret_free(cf->cf_api_token);
	config_cluster_free(&cf->cf_cluster);
	extract_jq_set_free(cf->cf_jq);
	free(cf);
}

/* Returns the value of the secret called name (borrowed), or NULL. */
const char *
config_secret(const struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->cf_nsecrets; i++) {
		if (strcmp(cf->cf_secrets[i].sec_name, name) == 0)
			return cf->cf_secrets[i].sec_value;
	}
	return NULL;
}

/* Returns the source called name, or NULL. */
const struct config_source *
config_find_source(const struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->cf_nsources; i++) {
		if (strcmp(cf->cf_sources[i].src_name, name) == 0)
			return &cf->cf_sources[i];
	}
	return NULL;
}
