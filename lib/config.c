/*
 * Reads the INI config with inih and checks every value.  inih does the
 * tokenising; a small reader around it counts lines so that each error
 * names FILE:LINE, and remembers where each [section] starts so errors
 * about a whole section (no url, no stat) point at its header.  Only the
 * first error is reported, the way compilers lead with the first one.
 */
#include <ctype.h>
#include <stddef.h>
#include <sys/stat.h>
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

#include "config.h"
#include "log.h"

#define CONFIG_DEFAULT_LISTEN_PORT 8080
#define CONFIG_DEFAULT_CONCURRENCY 64
#define CONFIG_DEFAULT_PER_HOST 8
#define CONFIG_DEFAULT_SPREAD_MS 5000
#define CONFIG_DEFAULT_STREAMS 256
#define CONFIG_DEFAULT_STREAM_IDLE_MS 60000
#define CONFIG_DEFAULT_HTTP_TIMEOUT_S 30
#define CONFIG_DEFAULT_HTTP_CONNS 1024
#define CONFIG_DEFAULT_HTTP_PER_IP 64
#define CONFIG_DEFAULT_HTTP_MEMORY (32 * 1024)
#define CONFIG_MIN_HTTP_MEMORY (8 * 1024)
#define CONFIG_MAX_HTTP_MEMORY (1024 * 1024)
#define CONFIG_MAX_ORIGINS 64
#define CONFIG_DEFAULT_CONNECT_MS 10000
#define CONFIG_DEFAULT_RETRY_MAX_MS 3600000
#define CONFIG_MAX_DURATION_MS (7ULL * 24 * 3600 * 1000)
#define CONFIG_MAX_TOKEN 4096
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

/* Keys that may appear once per section, as bits of a "seen" mask. */
enum config_key {
	KEY_LISTEN = 1 << 0,
	KEY_USER_AGENT = 1 << 1,
	KEY_STATE_DIR = 1 << 2,
	KEY_WEB_ROOT = 1 << 3,
	KEY_MAX_CONCURRENCY = 1 << 4,
	KEY_MAX_PER_HOST = 1 << 5,
	KEY_INITIAL_SPREAD = 1 << 6,
	KEY_API_TOKEN_FILE = 1 << 7,
	KEY_URL = 1 << 8,
	KEY_TOKEN_FILE = 1 << 9,
	KEY_CA_FILE = 1 << 10,
	KEY_MAX_STREAMS = 1 << 11,
	KEY_STREAM_IDLE = 1 << 12,
	KEY_STRICT_PERMISSIONS = 1 << 13,
	KEY_LOG_LEVEL = 1 << 14,
	KEY_HTTP_TIMEOUT = 1 << 15,
	KEY_HTTP_CONNS = 1 << 16,
	KEY_HTTP_PER_IP = 1 << 17,
	KEY_HTTP_MEMORY = 1 << 18,
	KEY_ALLOW_ORIGINS = 1 << 19,
};

/* How a tunable's value is written. */
enum config_knob_type {
	KNOB_DURATION,
	KNOB_SIZE,
	KNOB_COUNT,
};

/* A per-source tunable, which [gatherd] may also set as a default. */
struct config_knob {
	const char *k_name;
	enum config_knob_type k_type;
	size_t k_offset; /* of a uint64_t in config_source */
	uint64_t k_min;
	uint64_t k_max;
	int k_global; /* allowed in [gatherd] */
	const char *k_hint; /* an example for error messages */
	uint64_t k_default; /* KNOB_DERIVED: computed from others */
};

#define KNOB_DERIVED UINT64_MAX

#define KNOB(field) offsetof(struct config_source, field)
#define KNOB_MAX_DURATION CONFIG_MAX_DURATION_MS

/* The tunables, by index; the index is the tunable's bit in src_set. */
enum config_knob_index {
	KI_INTERVAL,
	KI_TIMEOUT,
	KI_CONNECT_TIMEOUT,
	KI_RETRY_BASE,
	KI_RETRY_MAX,
	KI_MAX_AGE,
	KI_LOW_SPEED_TIME,
	KI_LOW_SPEED_LIMIT,
	KI_MAX_BODY,
	KI_CIRCUIT_COOLDOWN,
	KI_HISTORY,
	KI_COUNT
};

static const struct config_knob config_knobs[KI_COUNT] = {
    [KI_INTERVAL] = {"interval", KNOB_DURATION, KNOB(src_interval_ms), 100,
        KNOB_MAX_DURATION, 0, "30s, 5m; at least 100ms", 60000},
    [KI_TIMEOUT] = {"timeout", KNOB_DURATION, KNOB(src_timeout_ms), 10,
        KNOB_MAX_DURATION, 0, "500ms, 5s; at least 10ms", 10000},
    [KI_CONNECT_TIMEOUT] = {"connect_timeout", KNOB_DURATION,
        KNOB(src_connect_timeout_ms), 10, KNOB_MAX_DURATION, 1,
        "2s; at least 10ms", KNOB_DERIVED},
    [KI_RETRY_BASE] = {"retry_base", KNOB_DURATION, KNOB(src_retry_base_ms), 10,
        KNOB_MAX_DURATION, 1, "1s; at least 10ms", 1000},
    [KI_RETRY_MAX] = {"retry_max", KNOB_DURATION, KNOB(src_retry_max_ms), 10,
        KNOB_MAX_DURATION, 1, "5m; at least 10ms", KNOB_DERIVED},
    [KI_MAX_AGE] = {"max_age", KNOB_DURATION, KNOB(src_max_age_ms), 100,
        KNOB_MAX_DURATION, 0, "10m; at least 100ms", KNOB_DERIVED},
    [KI_LOW_SPEED_TIME] = {"low_speed_time", KNOB_DURATION,
        KNOB(src_low_speed_time_ms), 1000, KNOB_MAX_DURATION, 1,
        "10s; at least 1s", 10000},
    [KI_LOW_SPEED_LIMIT] = {"low_speed_limit", KNOB_COUNT,
        KNOB(src_low_speed_limit), 0, 1ULL << 30, 1,
        "100 (bytes per second; 0 turns it off)", 100},
    [KI_MAX_BODY] = {"max_body", KNOB_SIZE, KNOB(src_max_body), 1, 1ULL << 40,
        1, "512k, 8M", 8 * 1024 * 1024},
    [KI_CIRCUIT_COOLDOWN] = {"circuit_cooldown", KNOB_DURATION,
        KNOB(src_circuit_cooldown_ms), 100, KNOB_MAX_DURATION, 1,
        "30s; at least 100ms", 30000},
    [KI_HISTORY] = {"history", KNOB_COUNT, KNOB(src_history), 0, 100000, 1,
        "360 (points per stat; 0 keeps none)", 360},
};

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
	unsigned cp_global_seen;
	unsigned cp_source_seen;
	struct lh_table *cp_names; /* source names seen, for duplicates */
	size_t cp_sources_cap; /* room in cf_sources */
	int cp_err_line; /* 0 while no error */
	char cp_err[CONFIG_ERR_LEN];
	int cp_open_token_line; /* first token file others can read, or 0 */
	char cp_open_token[256];
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

/* Returns 1 if name is 1 to 64 of [A-Za-z0-9_.-], else 0. */
int
config_valid_name(const char *name)
{
	size_t n;

	for (n = 0; name[n] != '\0'; n++) {
		if (!isalnum((unsigned char)name[n]) && name[n] != '_' &&
		    name[n] != '.' && name[n] != '-')
			return 0;
	}
	return n >= 1 && n <= CONFIG_NAME_MAX;
}

/* Parses an unsigned decimal prefix of text into *v; returns the end. */
static const char *
config_parse_number(const char *text, unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)*text))
		return NULL;
	errno = 0;
	*v = strtoull(text, &end, 10);
	if (errno != 0)
		return NULL;
	return end;
}

/* Parses "250ms", "30s", "5m", "1h" or bare seconds into *ms; 0 or -1. */
int
config_parse_duration(const char *text, uint64_t *ms)
{
	unsigned long long v, mult;
	const char *unit;

	if ((unit = config_parse_number(text, &v)) == NULL)
		return -1;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (*unit == '\0' || strcmp(unit, "s") == 0)
		mult = 1000;
	else if (strcmp(unit, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(unit, "h") == 0)
		mult = 3600 * 1000;
	else
		return -1;
	if (v > CONFIG_MAX_DURATION_MS / mult)
		return -1;
	*ms = v * mult;
	return 0;
}

/* Parses "8M", "512k" or bare bytes into *bytes; 0 or -1. */
int
config_parse_size(const char *text, size_t *bytes)
{
	unsigned long long v, mult;
	const char *unit;

	if ((unit = config_parse_number(text, &v)) == NULL)
		return -1;
	if (*unit == '\0')
		mult = 1;
	else if (strcasecmp(unit, "k") == 0)
		mult = 1024;
	else if (strcasecmp(unit, "m") == 0)
		mult = 1024 * 1024;
	else if (strcasecmp(unit, "g") == 0)
		mult = 1024 * 1024 * 1024;
	else
		return -1;
	if (v > SIZE_MAX / mult)
		return -1;
	*bytes = (size_t)(v * mult);
	return 0;
}

/* Parses a whole number in [min, max] into *out; 0 or -1. */
static int
config_parse_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v;
	const char *end;

	if ((end = config_parse_number(text, &v)) == NULL || *end != '\0' ||
	    v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Parses "host:port" or "[v6]:port" into cf's listen fields; 0 or -1. */
static int
config_parse_listen(struct config *cf, const char *text)
{
	const char *colon, *host = text;
	size_t hostlen;
	unsigned port;

	if (*text == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		host = text + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		if ((colon = strrchr(text, ':')) == NULL)
			return -1;
		hostlen = (size_t)(colon - text);
		if (memchr(text, ':', hostlen) != NULL)
			return -1; /* a bare IPv6 needs brackets */
	}
	if (hostlen == 0 || config_parse_uint(colon + 1, 0, 65535, &port) == -1)
		return -1;
	free(cf->cf_listen_host);
	if ((cf->cf_listen_host = strndup(host, hostlen)) == NULL)
		return -1;
	cf->cf_listen_port = (uint16_t)port;
	return 0;
}

/* Checks that url parses and is http or https; NULL or a reason. */
static const char *
config_check_url(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	const char *why = NULL;

	if ((u = curl_url()) == NULL)
		return "out of memory";
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		why = "is not a valid URL";
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		why = "must use http or https";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0')
		why = "has no host";
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return why;
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

/*
 * Returns a malloc'd path for a token file: an absolute one as given; a
 * relative one in $CREDENTIALS_DIRECTORY (systemd's LoadCredential=) if
 * it is there, else in the config file's directory.  NULL if out of
 * memory.
 */
static char *
config_token_path(const struct config_parse *cp, const char *path)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *full;

	if (*path == '/')
		return strdup(path);
	if (creds != NULL && *creds != '\0') {
		if (asprintf(&full, "%s/%s", creds, path) == -1)
			return NULL;
		if (access(full, F_OK) == 0)
			return full;
		free(full);
	}
	if (cp->cp_dir == NULL)
		return strdup(path);
	if (asprintf(&full, "%s/%s", cp->cp_dir, path) == -1)
		return NULL;
	return full;
}

/* Notes a token file that users other than its owner and group can read;
 * judged after the whole file, when strict_permissions is known. */
static void
config_check_token_mode(struct config_parse *cp, FILE *f, const char *path)
{
	struct stat st;

	if (fstat(fileno(f), &st) == -1 || (st.st_mode & S_IROTH) == 0)
		return;
	log_warnx("%s:%d: token file %s is readable by everyone; chmod o-r it",
	    cp->cp_name, cp->cp_line, path);
	if (cp->cp_open_token_line == 0) {
		cp->cp_open_token_line = cp->cp_line;
		snprintf(
		    cp->cp_open_token, sizeof cp->cp_open_token, "%s", path);
	}
}

/* Reads a secret from path (see config_token_path for relative ones). */
static char *
config_read_token(struct config_parse *cp, const char *path)
{
	char buf[CONFIG_MAX_TOKEN + 2], *full = NULL, *start, *end, *tok = NULL;
	FILE *f = NULL;
	size_t n;

	if (*path == '\0') {
		config_error(cp, 0, "token file name is empty");
		return NULL;
	}
	if ((full = config_token_path(cp, path)) == NULL)
		goto fail;
	path = full;
	if ((f = fopen(path, "r")) == NULL) {
		config_error(cp, 0, "cannot read token file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	config_check_token_mode(cp, f, path);
	n = fread(buf, 1, sizeof buf - 1, f);
	if (ferror(f)) {
		config_error(cp, 0, "cannot read token file %s", path);
		goto fail;
	}
	if (n > CONFIG_MAX_TOKEN) {
		config_error(cp, 0, "token file %s is larger than %d bytes",
		    path, CONFIG_MAX_TOKEN);
		goto fail;
	}
	buf[n] = '\0';
	for (start = buf; isspace((unsigned char)*start); start++)
		;
	for (end = start + strlen(start);
	     end > start && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	if (*start == '\0' || strpbrk(start, "\r\n") != NULL ||
	    strlen(start) != (size_t)(end - start)) {
		config_error(cp, 0,
		    "token file %s must hold one non-empty "
		    "line",
		    path);
		goto fail;
	}
	tok = strdup(start);
fail:
	explicit_bzero(buf, sizeof buf);
	if (f != NULL)
		fclose(f);
	free(full);
	return tok;
}

/* Sets a once-only key: fails if seen already; 0 or -1. */
static int
config_once(
    struct config_parse *cp, unsigned *seen, unsigned key, const char *name)
{
	if (*seen & key) {
		config_error(cp, 0, "duplicate key \"%s\"", name);
		return -1;
	}
	*seen |= key;
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

/* Returns the knob called name, or NULL. */
static const struct config_knob *
config_find_knob(const char *name)
{
	size_t i;

	for (i = 0; i < KI_COUNT; i++) {
		if (strcmp(config_knobs[i].k_name, name) == 0)
			return &config_knobs[i];
	}
	return NULL;
}

/* Sets knob k of src from value, once; 1 or 0 as inih wants. */
static int
config_set_knob(struct config_parse *cp, struct config_source *src,
    const struct config_knob *k, const char *value)
{
	unsigned bit = 1u << (k - config_knobs);
	uint64_t v;
	size_t size = 0;
	unsigned count = 0;
	int rc;

	if (src->src_set & bit) {
		config_error(cp, 0, "duplicate key \"%s\"", k->k_name);
		return 0;
	}
	switch (k->k_type) {
	case KNOB_DURATION:
		rc = config_parse_duration(value, &v);
		break;
	case KNOB_SIZE:
		rc = config_parse_size(value, &size);
		v = size;
		break;
	case KNOB_COUNT:
	default:
		rc = config_parse_uint(value, 0, UINT32_MAX, &count);
		v = count;
		break;
	}
	if (rc == -1 || v < k->k_min || v > k->k_max) {
		config_error(cp, 0, "%s: bad %s \"%s\" (use e.g. %s)",
		    k->k_name,
		    k->k_type == KNOB_DURATION   ? "duration"
		        : k->k_type == KNOB_SIZE ? "size"
		                                 : "number",
		    value, k->k_hint);
		return 0;
	}
	*(uint64_t *)(void *)((char *)src + k->k_offset) = v;
	src->src_set |= bit;
	return 1;
}

/* Returns 1 if text is an origin: http(s)://host[:port], no path. */
static int
config_valid_origin(const char *text)
{
	const char *p, *host;
	unsigned port;

	if (strncmp(text, "https://", 8) == 0)
		host = text + 8;
	else if (strncmp(text, "http://", 7) == 0)
		host = text + 7;
	else
		return 0;
	p = host;
	if (*p == '[') {
		/* An IPv6 literal: hex digits, ':' and '.' in brackets. */
		for (p++; isxdigit((unsigned char)*p) || *p == ':' || *p == '.';
		     p++)
			;
		if (*p != ']' || p == host + 1)
			return 0;
		p++;
	} else {
		for (; isalnum((unsigned char)*p) || *p == '.' || *p == '-';
		     p++)
			;
		if (p == host)
			return 0;
	}
	if (*p == '\0')
		return 1;
	return *p == ':' && config_parse_uint(p + 1, 1, 65535, &port) == 0;
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
		if (!config_valid_origin(origin)) {
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

/* Handles the keys of the HTTP server's limits and CORS; 1 or 0. */
static int
config_http_key(struct config_parse *cp, const char *name, const char *value)
{
	struct config *cf = cp->cp_cf;
	unsigned *seen = &cp->cp_global_seen;
	uint64_t ms;
	size_t size;

	if (strcmp(name, "http_connection_timeout") == 0) {
		if (config_once(cp, seen, KEY_HTTP_TIMEOUT, name) == -1)
			return 0;
		if (config_parse_duration(value, &ms) == -1 || ms < 1000 ||
		    ms > 3600 * 1000) {
			config_error(cp, 0,
			    "http_connection_timeout: bad duration \"%s\" (use "
			    "e.g. 30s; 1s to 1h)",
			    value);
			return 0;
		}
		/* MHD counts whole seconds: round up. */
		cf->cf_http_timeout_s = (unsigned)((ms + 999) / 1000);
	} else if (strcmp(name, "http_max_connections") == 0) {
		if (config_once(cp, seen, KEY_HTTP_CONNS, name) == -1)
			return 0;
		if (config_parse_uint(
		        value, 1, 100000, &cf->cf_http_max_conns) == -1) {
			config_error(cp, 0,
			    "http_max_connections: expected a number from 1 to "
			    "100000, got \"%s\"",
			    value);
			return 0;
		}
	} else if (strcmp(name, "http_max_connections_per_ip") == 0) {
		if (config_once(cp, seen, KEY_HTTP_PER_IP, name) == -1)
			return 0;
		if (config_parse_uint(
		        value, 0, 100000, &cf->cf_http_max_per_ip) == -1) {
			config_error(cp, 0,
			    "http_max_connections_per_ip: expected a number "
			    "from 0 (no limit) to 100000, got \"%s\"",
			    value);
			return 0;
		}
	} else if (strcmp(name, "http_connection_memory") == 0) {
		if (config_once(cp, seen, KEY_HTTP_MEMORY, name) == -1)
			return 0;
		if (config_parse_size(value, &size) == -1 ||
		    size < CONFIG_MIN_HTTP_MEMORY ||
		    size > CONFIG_MAX_HTTP_MEMORY) {
			config_error(cp, 0,
			    "http_connection_memory: bad size \"%s\" (use "
			    "e.g. 32k; 8k to 1M)",
			    value);
			return 0;
		}
		cf->cf_http_memory = size;
	} else if (strcmp(name, "allow_origins") == 0) {
		if (config_once(cp, seen, KEY_ALLOW_ORIGINS, name) == -1)
			return 0;
		return config_set_origins(cp, value);
	} else {
		config_error(cp, 0, "unknown key \"%s\" in [gatherd]", name);
		return 0;
	}
	return 1;
}

/* Handles one key of the [gatherd] section; 1 or 0 as inih wants. */
static int
config_global_key(struct config_parse *cp, const char *name, const char *value)
{
	struct config *cf = cp->cp_cf;
	unsigned *seen = &cp->cp_global_seen;
	const struct config_knob *k;

	if (strcmp(name, "listen") == 0) {
		if (config_once(cp, seen, KEY_LISTEN, name) == -1)
			return 0;
		if (config_parse_listen(cf, value) == -1) {
			config_error(cp, 0,
			    "listen: expected host:port or "
			    "[v6]:port, got \"%s\"",
			    value);
			return 0;
		}
	} else if (strcmp(name, "user_agent") == 0) {
		if (config_once(cp, seen, KEY_USER_AGENT, name) == -1)
			return 0;
		if (*value == '\0') {
			config_error(cp, 0, "user_agent is empty");
			return 0;
		}
		if (config_set_string(&cf->cf_user_agent, value) == -1)
			return 0;
	} else if (strcmp(name, "state_dir") == 0) {
		if (config_once(cp, seen, KEY_STATE_DIR, name) == -1 ||
		    config_set_string(&cf->cf_state_dir, value) == -1)
			return 0;
	} else if (strcmp(name, "web_root") == 0) {
		if (config_once(cp, seen, KEY_WEB_ROOT, name) == -1 ||
		    config_set_string(&cf->cf_web_root, value) == -1)
			return 0;
	} else if (strcmp(name, "max_concurrency") == 0) {
		if (config_once(cp, seen, KEY_MAX_CONCURRENCY, name) == -1)
			return 0;
		if (config_parse_uint(
		        value, 1, 100000, &cf->cf_max_concurrency) == -1) {
			config_error(cp, 0,
			    "max_concurrency: expected a number "
			    "from 1 to 100000, got \"%s\"",
			    value);
			return 0;
		}
	} else if (strcmp(name, "max_per_host") == 0) {
		if (config_once(cp, seen, KEY_MAX_PER_HOST, name) == -1)
			return 0;
		if (config_parse_uint(value, 1, 100000, &cf->cf_max_per_host) ==
		    -1) {
			config_error(cp, 0,
			    "max_per_host: expected a number "
			    "from 1 to 100000, got \"%s\"",
			    value);
			return 0;
		}
	} else if (strcmp(name, "initial_spread") == 0) {
		if (config_once(cp, seen, KEY_INITIAL_SPREAD, name) == -1)
			return 0;
		if (config_parse_duration(value, &cf->cf_initial_spread_ms) ==
		    -1) {
			config_error(cp, 0,
			    "initial_spread: bad duration \"%s\" "
			    "(use e.g. 500ms, 5s, 1m)",
			    value);
			return 0;
		}
	} else if (strcmp(name, "api_token_file") == 0) {
		if (config_once(cp, seen, KEY_API_TOKEN_FILE, name) == -1)
			return 0;
		if ((cf->cf_api_token = config_read_token(cp, value)) == NULL)
			return 0;
	} else if (strcmp(name, "max_event_streams") == 0) {
		if (config_once(cp, seen, KEY_MAX_STREAMS, name) == -1)
			return 0;
		if (config_parse_uint(value, 0, 100000, &cf->cf_max_streams) ==
		    -1) {
			config_error(cp, 0,
			    "max_event_streams: expected a number from 0 to "
			    "100000, got \"%s\"",
			    value);
			return 0;
		}
	} else if (strcmp(name, "strict_permissions") == 0) {
		if (config_once(cp, seen, KEY_STRICT_PERMISSIONS, name) == -1)
			return 0;
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
			cf->cf_strict_permissions = 1;
		else if (strcmp(value, "no") == 0 ||
		    strcmp(value, "false") == 0)
			cf->cf_strict_permissions = 0;
		else {
			config_error(cp, 0,
			    "strict_permissions: expected yes or no, got "
			    "\"%s\"",
			    value);
			return 0;
		}
	} else if (strcmp(name, "event_idle_timeout") == 0) {
		if (config_once(cp, seen, KEY_STREAM_IDLE, name) == -1)
			return 0;
		if (config_parse_duration(value, &cf->cf_stream_idle_ms) ==
		        -1 ||
		    cf->cf_stream_idle_ms < 1000) {
			config_error(cp, 0,
			    "event_idle_timeout: bad duration \"%s\" (use e.g. "
			    "60s; at least 1s)",
			    value);
			return 0;
		}
	} else if (strcmp(name, "log_level") == 0) {
		if (config_once(cp, seen, KEY_LOG_LEVEL, name) == -1)
			return 0;
		if (log_parse_level(value, &cf->cf_log_level) == -1) {
			config_error(cp, 0,
			    "log_level: expected debug, info, warning or "
			    "error, got \"%s\"",
			    value);
			return 0;
		}
	} else if (strncmp(name, "http_", 5) == 0 ||
	    strcmp(name, "allow_origins") == 0) {
		return config_http_key(cp, name, value);
	} else if ((k = config_find_knob(name)) != NULL && k->k_global) {
		return config_set_knob(cp, &cf->cf_defaults, k, value);
	} else {
		config_error(cp, 0, "unknown key \"%s\" in [gatherd]", name);
		return 0;
	}
	return 1;
}

/* Returns 1 if line looks like "Name: value" with a valid name. */
static int
config_valid_header(const char *line)
{
	const char *p;

	for (p = line; *p != ':'; p++) {
		if (*p == '\0' || strchr("()<>@,;\\\"/[]?={} \t", *p) != NULL ||
		    (unsigned char)*p <= 32 || (unsigned char)*p >= 127)
			return 0;
	}
	return p != line;
}

/* Adds a stat called name with pointer value to src; 1 or 0. */
static int
config_add_stat(struct config_parse *cp, struct config_source *src,
    const char *name, const char *value)
{
	struct config_stat *stats;
	size_t i;

	while (*name == ' ' || *name == '\t')
		name++;
	if (!config_valid_name(name)) {
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
	if (*value != '\0' && *value != '/') {
		config_error(cp, 0,
		    "stat %s: \"%s\" is not a JSON Pointer (it "
		    "must start with /)",
		    name, value);
		return 0;
	}
	stats =
	    reallocarray(src->src_stats, src->src_nstats + 1, sizeof *stats);
	if (stats == NULL)
		return 0;
	src->src_stats = stats;
	stats[src->src_nstats].cs_name = strdup(name);
	stats[src->src_nstats].cs_pointer = strdup(value);
	src->src_nstats++;
	return stats[src->src_nstats - 1].cs_name != NULL &&
	    stats[src->src_nstats - 1].cs_pointer != NULL;
}

/* Adds a header line to src; 1 or 0. */
static int
config_add_header(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	char **headers;

	if (!config_valid_header(value)) {
		config_error(cp, 0,
		    "header: expected \"Name: value\", got "
		    "\"%s\"",
		    value);
		return 0;
	}
	headers = reallocarray(
	    src->src_headers, src->src_nheaders + 1, sizeof *headers);
	if (headers == NULL)
		return 0;
	src->src_headers = headers;
	if ((headers[src->src_nheaders] = strdup(value)) == NULL)
		return 0;
	src->src_nheaders++;
	return 1;
}

/* Handles one key of the current source section; 1 or 0. */
static int
config_source_key(struct config_parse *cp, struct config_source *src,
    const char *name, const char *value)
{
	unsigned *seen = &cp->cp_source_seen;
	const struct config_knob *k;
	const char *why;

	if (strcmp(name, "url") == 0) {
		if (config_once(cp, seen, KEY_URL, name) == -1)
			return 0;
		if ((why = config_check_url(value)) != NULL) {
			config_error(cp, 0, "url %s", why);
			return 0;
		}
		return config_set_string(&src->src_url, value) == 0;
	} else if (strcmp(name, "token_file") == 0) {
		if (config_once(cp, seen, KEY_TOKEN_FILE, name) == -1)
			return 0;
		return (src->src_token = config_read_token(cp, value)) != NULL;
	} else if (strcmp(name, "ca_file") == 0) {
		if (config_once(cp, seen, KEY_CA_FILE, name) == -1)
			return 0;
		if (access(value, R_OK) == -1) {
			config_error(cp, 0, "cannot read ca_file %s: %s", value,
			    strerror(errno));
			return 0;
		}
		return config_set_string(&src->src_ca_file, value) == 0;
	} else if ((k = config_find_knob(name)) != NULL) {
		return config_set_knob(cp, src, k, value);
	} else if (strcmp(name, "header") == 0) {
		return config_add_header(cp, src, value);
	} else if (strncmp(name, "stat", 4) == 0 &&
	    (name[4] == ' ' || name[4] == '\t')) {
		return config_add_stat(cp, src, name + 5, value);
	} else {
		config_error(cp, 0, "unknown key \"%s\" in [source %s]", name,
		    src->src_name);
		return 0;
	}
	return 1;
}

/* Starts a new [source NAME] section; returns it, or NULL. */
static struct config_source *
config_new_source(struct config_parse *cp, const char *name)
{
	struct config *cf = cp->cp_cf;
	struct config_source *sources, *src;

	if (!config_valid_name(name)) {
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
	cp->cp_source_seen = 0;
	if (strcmp(name, "gatherd") == 0)
		return;
	if (strncmp(name, "source ", 7) != 0) {
		config_error(cp, cp->cp_header_line,
		    "unknown section [%s] "
		    "(expected [gatherd] or [source NAME])",
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
		return config_global_key(cp, name, value);
	if (cp->cp_source == NULL)
		return 0; /* the section's error is recorded */
	return config_source_key(cp, cp->cp_source, name, value);
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

/* Returns the uint64_t knob k of src. */
static uint64_t *
config_knob_field(struct config_source *src, const struct config_knob *k)
{
	return (uint64_t *)(void *)((char *)src + k->k_offset);
}

/* Returns 1 if src or [gatherd] (d) set tunable i. */
static int
config_knob_given(const struct config_source *src,
    const struct config_source *d, enum config_knob_index i)
{
	return ((src->src_set | d->src_set) & (1u << i)) != 0;
}

/* Fills src's unset tunables from [gatherd], else from the defaults. */
static void
config_inherit(const struct config *cf, struct config_source *src)
{
	const struct config_source *d = &cf->cf_defaults;
	const struct config_knob *k;
	size_t i;

	for (i = 0; i < KI_COUNT; i++) {
		k = &config_knobs[i];
		if (src->src_set & (1u << i))
			continue;
		if (d->src_set & (1u << i))
			*config_knob_field(src, k) =
			    *config_knob_field((struct config_source *)d, k);
		else if (k->k_default != KNOB_DERIVED)
			*config_knob_field(src, k) = k->k_default;
	}
	/* The derived ones follow the interval and the timeout. */
	if (!config_knob_given(src, d, KI_CONNECT_TIMEOUT))
		src->src_connect_timeout_ms =
		    src->src_timeout_ms < CONFIG_DEFAULT_CONNECT_MS
		    ? src->src_timeout_ms
		    : CONFIG_DEFAULT_CONNECT_MS;
	if (!config_knob_given(src, d, KI_RETRY_MAX)) {
		src->src_retry_max_ms =
		    src->src_interval_ms * 8 < CONFIG_DEFAULT_RETRY_MAX_MS
		    ? src->src_interval_ms * 8
		    : CONFIG_DEFAULT_RETRY_MAX_MS;
		if (src->src_retry_max_ms < src->src_retry_base_ms)
			src->src_retry_max_ms = src->src_retry_base_ms;
	}
	if (!config_knob_given(src, d, KI_MAX_AGE))
		src->src_max_age_ms = src->src_interval_ms * 10;
}

/* Checks what only the whole file can tell; 0 or -1. */
static int
config_check_sources(struct config_parse *cp)
{
	struct config *cf = cp->cp_cf;
	struct config_source *src;
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
		if (src->src_retry_max_ms < src->src_retry_base_ms) {
			config_error(cp, src->src_line,
			    "source %s: retry_max "
			    "is below retry_base",
			    src->src_name);
			return -1;
		}
	}
	return 0;
}

/* Sets every default that a key may override; 0 or -1. */
static int
config_set_defaults(struct config *cf)
{
	const char *state = getenv("STATE_DIRECTORY");

	cf->cf_listen_port = CONFIG_DEFAULT_LISTEN_PORT;
	cf->cf_max_concurrency = CONFIG_DEFAULT_CONCURRENCY;
	cf->cf_max_per_host = CONFIG_DEFAULT_PER_HOST;
	cf->cf_initial_spread_ms = CONFIG_DEFAULT_SPREAD_MS;
	cf->cf_max_streams = CONFIG_DEFAULT_STREAMS;
	cf->cf_stream_idle_ms = CONFIG_DEFAULT_STREAM_IDLE_MS;
	cf->cf_log_level = LOG_LEVEL_INFO;
	cf->cf_http_timeout_s = CONFIG_DEFAULT_HTTP_TIMEOUT_S;
	cf->cf_http_max_conns = CONFIG_DEFAULT_HTTP_CONNS;
	cf->cf_http_max_per_ip = CONFIG_DEFAULT_HTTP_PER_IP;
	cf->cf_http_memory = CONFIG_DEFAULT_HTTP_MEMORY;
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
	if (cp->cp_err_line == 0 && cf->cf_strict_permissions &&
	    cp->cp_open_token_line != 0)
		config_error(cp, cp->cp_open_token_line,
		    "token file %s is readable by everyone "
		    "(strict_permissions = yes)",
		    cp->cp_open_token);
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
	if (src->src_token != NULL) {
		explicit_bzero(src->src_token, strlen(src->src_token));
		free(src->src_token);
	}
	for (i = 0; i < src->src_nheaders; i++)
		free(src->src_headers[i]);
	free(src->src_headers);
	for (i = 0; i < src->src_nstats; i++) {
		free(src->src_stats[i].cs_name);
		free(src->src_stats[i].cs_pointer);
	}
	free(src->src_stats);
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
	free(cf->cf_path);
	free(cf->cf_listen_host);
	free(cf->cf_user_agent);
	free(cf->cf_state_dir);
	free(cf->cf_web_root);
	for (i = 0; i < cf->cf_nallow_origins; i++)
		free(cf->cf_allow_origins[i]);
	free(cf->cf_allow_origins);
	if (cf->cf_api_token != NULL) {
		explicit_bzero(cf->cf_api_token, strlen(cf->cf_api_token));
		free(cf->cf_api_token);
	}
	free(cf);
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
