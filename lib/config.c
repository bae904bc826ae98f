/*
 * Reads the INI config with inih and checks every value.  inih does the
 * tokenising; a small reader around it counts lines so that each error
 * names FILE:LINE, and remembers where each [section] starts so errors
 * about a whole section (no url, no stat) point at its header.  Which
 * keys exist and how each is read is config_table.c's; values are parsed
 * by parse.c and secrets read by secret.c; templates are compiled by
 * template.c and time zones opened by tz.c.  Only the first error is
 * reported, the way compilers lead with the first one.
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

#include "auth.h"
#include "auth_google.h"
#include "config.h"
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
#define CONFIG_MIN_BUDGET_WINDOW_MS 100

#ifndef GATHERD_VERSION
#define GATHERD_VERSION "0"
#endif
#ifndef GATHERD_STATE_DIR
#define GATHERD_STATE_DIR "/var/lib/gatherd"
#endif
#ifndef GATHERD_WEB_ROOT
#define GATHERD_WEB_ROOT "/usr/share/gatherd/web"
#endif

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
	/* Keys given once so far, by config_table row. */
	unsigned char cp_global_seen[CONFIG_TABLE_MAX];
	unsigned char cp_source_seen[CONFIG_TABLE_MAX];
	unsigned char cp_budget_seen[CONFIG_TABLE_MAX];
	struct lh_table *cp_names; /* source names seen, for duplicates */
	size_t cp_sources_cap; /* room in cf_sources */
	size_t cp_budgets_cap; /* room in cf_budgets */
	int cp_err_line; /* 0 while no error */
	char cp_err[CONFIG_ERR_LEN];
	int cp_open_token_line; /* first secret file others can read, or 0 */
	char cp_open_token[256];
	const char *cp_open_what; /* what that file is: "token file" */
};

/* Records the first error, at line (0 = the line being parsed). */
static void __attribute__((format(printf, 3, 4)))
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
static void
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
static int
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

/* Sets *dst to the service-account key in the file value names (read
 * as a secret); 1 or 0. */
static int
config_set_google_key(
    struct config_parse *cp, struct auth_google_key **dst, const char *value)
{
	struct secret_spec ss = {.ss_what = "credentials file",
	    .ss_dir = cp->cp_dir,
	    .ss_readable_cb = config_token_readable_cb,
	    .ss_arg = cp};
	char err[CONFIG_ERR_LEN], why[CONFIG_ERR_LEN];
	size_t len = 0;
	char *text;

	if ((text = secret_read_file(value, &ss, AUTH_GOOGLE_KEY_MAX, &len, err,
	         sizeof err)) == NULL) {
		if (err[0] != '\0')
			config_error(cp, 0, "%s", err);
		return 0;
	}
	*dst = auth_google_key_new(text, len, why, sizeof why);
	explicit_bzero(text, len);
	free(text);
	if (*dst == NULL) {
		config_error(cp, 0, "credentials_file %s: %s", value, why);
		return 0;
	}
	return 1;
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

	if (config_request_set(&in, e, value, err, sizeof err) == 0)
		return 1;
	if (err[0] != '\0')
		config_error(cp, 0, "%s", err);
	return 0;
}

/* Replaces *dst with a copy of value; 0 or -1. */
static int
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
static void
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

/* Sets the int field of row e (an enum auth_grant) from value; 1 or 0. */
static int
config_set_auth(struct config_parse *cp, const struct config_entry *e,
    int *field, const char *value)
{
	enum auth_grant grant;

	if (auth_parse_grant(value, &grant) == -1) {
		config_bad_value(cp, e, value);
		return 0;
	}
	*field = (int)grant;
	return 1;
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
static int
config_set_jq(struct config_parse *cp, const struct config_entry *e,
    void *field, const char *value)
{
	struct extract_jq **dst = field;

	return (*dst = config_jq(cp, e->ce_name, value)) != NULL;
}

/* Adds a stat called name with pointer or jq program value to src; 1 or
 * 0. */
static int
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

/*
 * Compiles text, the value of key what, as a template for ctx; NULL
 * with the error recorded.  No named secret exists yet: every
 * ${secret:NAME} is an unknown one.
 */
static struct tpl *
config_template(struct config_parse *cp, const char *what, const char *text,
    enum template_context ctx)
{
	char err[CONFIG_ERR_LEN];
	struct tpl *t;

	if ((t = template_compile(text, ctx, NULL, NULL, err, sizeof err)) ==
	    NULL)
		config_error(cp, 0, "%s: %s", what, err);
	return t;
}

/* Returns how many "${" text holds. */
static size_t
config_count_placeholders(const char *text)
{
	size_t n = 0;

	while ((text = strstr(text, "${")) != NULL) {
		n++;
		text += 2;
	}
	return n;
}

/* Sets src's url and its template, which is of the url without user and
 * password (those go to curl apart); 1 or 0 as inih wants. */
static int
config_set_url(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	struct tpl *t;
	const char *why;
	char *shown;

	if ((why = parse_check_url(value)) != NULL) {
		/* A "${" in the scheme, host or port is what curl refuses. */
		config_error(cp, 0, "url %s%s", why,
		    strstr(value, "${") != NULL
		        ? " (templates go in the path and query only)"
		        : "");
		return 0;
	}
	shown = strchr(value, '@') != NULL ? config_redact_url(value)
	                                   : strdup(value);
	if (shown == NULL)
		return 0;
	if (config_count_placeholders(shown) !=
	    config_count_placeholders(value)) {
		config_error(cp, 0,
		    "url: no ${...} in the user or password "
		    "(templates go in the path and query)");
		free(shown);
		return 0;
	}
	t = config_template(cp, "url", shown, TEMPLATE_URL);
	free(shown);
	if (t == NULL)
		return 0;
	template_free(src->src_url_tpl);
	src->src_url_tpl = t;
	return config_set_string(&src->src_url, value) == 0;
}

/* Sets src's time zone for its templates; 1 or 0 as inih wants. */
static int
config_set_timezone(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	char err[CONFIG_ERR_LEN];
	struct tz *tz;

	if ((tz = tz_open(value, err, sizeof err)) == NULL) {
		config_error(cp, 0, "timezone: %s", err);
		return 0;
	}
	tz_free(src->src_tz);
	src->src_tz = tz;
	return config_set_string(&src->src_timezone, value) == 0;
}

/* Adds a header line and its template to src; 1 or 0. */
static int
config_add_header(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	struct tpl **tpls;
	struct tpl *t;
	char **headers;

	if (!parse_valid_header(value)) {
		config_error(cp, 0,
		    "header: expected \"Name: value\", got "
		    "\"%s\"",
		    value);
		return 0;
	}
	if ((t = config_template(cp, "header", value, TEMPLATE_HEADER)) == NULL)
		return 0;
	headers = reallocarray(
	    src->src_headers, src->src_nheaders + 1, sizeof *headers);
	if (headers != NULL)
		src->src_headers = headers;
	/* NOLINTBEGIN(bugprone-sizeof-expression): an array of pointers */
	tpls = reallocarray(
	    src->src_header_tpls, src->src_nheaders + 1, sizeof *tpls);
	/* NOLINTEND(bugprone-sizeof-expression) */
	if (tpls != NULL)
		src->src_header_tpls = tpls;
	if (headers == NULL || tpls == NULL ||
	    (headers[src->src_nheaders] = strdup(value)) == NULL) {
		template_free(t);
		return 0;
	}
	tpls[src->src_nheaders] = t;
	src->src_nheaders++;
	return 1;
}

/* Sets src's budget (a [budget NAME] checked after the whole file) and
 * the line that named it; 1 or 0. */
static int
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

/* Handles one key of a [budget NAME] section (its only key, requests,
 * sets the rate); 1 or 0 as inih wants. */
static int
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

/* Starts a new [budget NAME] section; returns it, or NULL. */
static struct config_budget *
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

/* Starts the section named name, seen by the reader at cp_header_line. */
static void
config_begin_section(struct config_parse *cp, const char *name)
{
	cp->cp_source = NULL;
	cp->cp_budget = NULL;
	memset(cp->cp_source_seen, 0, sizeof cp->cp_source_seen);
	memset(cp->cp_budget_seen, 0, sizeof cp->cp_budget_seen);
	if (strcmp(name, "gatherd") == 0)
		return;
	if (strncmp(name, "budget ", 7) == 0) {
		cp->cp_budget = config_new_budget(cp, name + 7);
		return;
	}
	if (strncmp(name, "source ", 7) != 0) {
		config_error(cp, cp->cp_header_line,
		    "unknown section [%s] "
		    "(expected [gatherd], [source NAME] or [budget NAME])",
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
}

/* Copies [gatherd]'s string *from to *to if the source gave none; 0 or
 * -1. */
static int
config_inherit_string(char **to, const char *from)
{
	if (*to != NULL || from == NULL)
		return 0;
	return (*to = strdup(from)) != NULL ? 0 : -1;
}

/*
 * Fills the auth keys src did not give from [gatherd]: its auth, then
 * only the keys of the grant that makes (the scope only if [gatherd]
 * means the same grant), none after auth = none; 0 or -1.
 */
static int
config_inherit_auth(const struct config *cf, struct config_source *src)
{
	const struct config_source *d = &cf->cf_defaults;
	int same;

	if (src->src_auth == AUTH_UNSET)
		src->src_auth =
		    d->src_auth != AUTH_UNSET ? d->src_auth : AUTH_NONE;
	same = d->src_auth == AUTH_UNSET || d->src_auth == src->src_auth;
	if (src->src_auth == AUTH_GOOGLE && src->src_google_key == NULL &&
	    d->src_google_key != NULL)
		src->src_google_key = auth_google_key_ref(d->src_google_key);
	if (src->src_auth == AUTH_OAUTH2 &&
	    (config_inherit_string(&src->src_token_url, d->src_token_url) ==
	            -1 ||
	        config_inherit_string(&src->src_client_id, d->src_client_id) ==
	            -1 ||
	        config_inherit_string(
	            &src->src_client_secret, d->src_client_secret) == -1))
		return -1;
	if (src->src_auth != AUTH_NONE && same &&
	    config_inherit_string(&src->src_scope, d->src_scope) == -1)
		return -1;
	return 0;
}

/* Returns the first auth key src holds that grant does not use, or
 * NULL. */
static const char *
config_stray_auth_key(const struct config_source *src, enum auth_grant grant)
{
	if (grant != AUTH_GOOGLE && src->src_google_key != NULL)
		return "credentials_file";
	if (grant != AUTH_OAUTH2 && src->src_token_url != NULL)
		return "token_url";
	if (grant != AUTH_OAUTH2 && src->src_client_id != NULL)
		return "client_id";
	if (grant != AUTH_OAUTH2 && src->src_client_secret != NULL)
		return "client_secret_file";
	if (grant == AUTH_NONE && src->src_scope != NULL)
		return "scope";
	return NULL;
}

/* Checks that src's auth keys make one grant and sets Google's default
 * scope; 0 or -1. */
static int
config_check_auth(struct config_parse *cp, struct config_source *src)
{
	enum auth_grant grant;
	const char *key, *missing = NULL;

	if (config_inherit_auth(cp->cp_cf, src) == -1) {
		config_error(cp, src->src_line, "out of memory");
		return -1;
	}
	grant = (enum auth_grant)src->src_auth;
	if (grant == AUTH_NONE)
		grant = AUTH_UNSET;
	if ((key = config_stray_auth_key(src, src->src_auth)) != NULL) {
		config_error(cp, src->src_line,
		    grant == AUTH_UNSET
		        ? "source %s: %s needs auth = google_service_account "
		          "or oauth2_client_credentials"
		        : "source %s: %s is not a key of auth = %s",
		    src->src_name, key, auth_grant_name(grant));
		return -1;
	}
	if (grant == AUTH_UNSET)
		return 0;
	if (src->src_token != NULL) {
		config_error(cp, src->src_line,
		    "source %s: token_file and auth = %s exclude each other",
		    src->src_name, auth_grant_name(grant));
		return -1;
	}
	if (grant == AUTH_GOOGLE && src->src_google_key == NULL)
		missing = "credentials_file";
	else if (grant == AUTH_OAUTH2 && src->src_token_url == NULL)
		missing = "token_url";
	else if (grant == AUTH_OAUTH2 && src->src_client_id == NULL)
		missing = "client_id";
	else if (grant == AUTH_OAUTH2 && src->src_client_secret == NULL)
		missing = "client_secret_file";
	if (missing != NULL) {
		config_error(cp, src->src_line, "source %s: auth = %s needs %s",
		    src->src_name, auth_grant_name(grant), missing);
		return -1;
	}
	if (grant == AUTH_GOOGLE && src->src_scope == NULL &&
	    (src->src_scope = strdup(AUTH_GOOGLE_SCOPE)) == NULL) {
		config_error(cp, src->src_line, "out of memory");
		return -1;
	}
	return 0;
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
	}
	return 0;
}

/*
 * Checks the budgets once the whole file is read: each has its rate,
 * each name a source gives (or [gatherd] gives them all) is one; a
 * budget no source uses is only a warning, as a source taken out for a
 * while should not make the file fail.  0 or -1.
 */
static int
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
