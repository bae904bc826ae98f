/*
 * The keys of the config file as one table, in the manner of tmux's
 * options-table.c: one row per key of [gatherd], [source NAME],
 * [budget NAME] and [cluster], saying how its value is parsed, where it is
 * stored, whether it may repeat and its bounds and default.  config.c drives
 * inih with it.
 */
#ifndef GATHERD_CONFIG_TABLE_H
#define GATHERD_CONFIG_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Which section a key belongs to, and so which struct holds it. */
enum config_section {
	CONFIG_GLOBAL, /* [gatherd]: struct config */
	CONFIG_SOURCE, /* [source NAME]: struct config_source */
	CONFIG_BUDGET, /* [budget NAME]: struct config_budget */
	CONFIG_CLUSTER, /* [cluster]: struct config_cluster */
};

/* How a key's value is parsed and stored. */
enum config_type {
	CONFIG_DURATION, /* milliseconds, an unsigned integer field */
	CONFIG_DURATION_S, /* whole seconds rounded up, from a duration */
	CONFIG_SIZE, /* bytes, "8M", "512k" */
	CONFIG_COUNT, /* a tunable number: "bad number" when wrong */
	CONFIG_UINT, /* a number in bounds: "expected" when wrong */
	CONFIG_BOOL, /* int: yes/true or no/false */
	CONFIG_LOG_LEVEL, /* enum log_level */
	CONFIG_STRING, /* char * */
	CONFIG_LISTEN, /* cf_listen_host and cf_listen_port */
	CONFIG_SECRET, /* char *: the secret in the file the value names */
	CONFIG_URL, /* char *: an http or https URL */
	CONFIG_SOURCE_URL, /* src_url and src_url_tpl: a URL with templates */
	CONFIG_FILE, /* char *: a file that must be readable */
	CONFIG_ORIGINS, /* cf_allow_origins: a comma-separated list */
	CONFIG_HEADER, /* src_headers: a "Name: value" line added */
	CONFIG_STAT, /* src_stats: "stat NAME = /pointer" or "jq: PROGRAM" */
	CONFIG_AUTH, /* int: enum auth_grant */
	CONFIG_GOOGLE_KEY, /* src_google_key: a service-account key file */
	CONFIG_TIMEZONE, /* src_timezone and src_tz: an IANA zone name */
	/* The request's keys, read by config_request.c. */
	CONFIG_METHOD, /* src_method: GET or POST */
	CONFIG_BODY, /* src_body: the text given */
	CONFIG_BODY_FILE, /* src_body: the text of a file */
	CONFIG_MEDIA_TYPE, /* src_content_type: "type/subtype; a=b" */
	CONFIG_BASIC_AUTH, /* src_basic_user and _password, from a file */
	CONFIG_NAMED_SECRET, /* cf_secrets: "secret NAME = FILE" */
	CONFIG_BUDGET_REF, /* src_budget: a [budget NAME]'s name */
	CONFIG_RATE, /* cb_requests and cb_window_ms: "60/1h" */
	CONFIG_JQ, /* struct extract_jq *: "jq: PROGRAM", compiled at load */
	/* [cluster]'s keys, read by config_cluster.c. */
	CONFIG_REDIS_TARGET, /* char *: "unix:/path" or "IP:port" */
	CONFIG_CLUSTER_NAME, /* char *: 1 to 64 of [A-Za-z0-9_.:-] */
};

/* A key may be given more than once (headers, stats). */
#define CONFIG_REPEAT 0x1
/* A [source] key that [gatherd] may set as every source's default. */
#define CONFIG_DEFAULTS 0x2
/* A string that must not be empty. */
#define CONFIG_NONEMPTY 0x4
/* The key is the name, white space and an argument ("stat NAME"). */
#define CONFIG_PREFIX 0x8

/* The per-source tunables, each a bit of src_set (0 is not one). */
enum config_tunable {
	CONFIG_TUNE_NONE,
	CONFIG_TUNE_INTERVAL,
	CONFIG_TUNE_TIMEOUT,
	CONFIG_TUNE_CONNECT_TIMEOUT,
	CONFIG_TUNE_RETRY_BASE,
	CONFIG_TUNE_RETRY_MAX,
	CONFIG_TUNE_MAX_AGE,
	CONFIG_TUNE_LOW_SPEED_TIME,
	CONFIG_TUNE_LOW_SPEED_LIMIT,
	CONFIG_TUNE_MAX_BODY,
	CONFIG_TUNE_CIRCUIT_COOLDOWN,
	CONFIG_TUNE_HISTORY,
	CONFIG_TUNE_HISTORY_ROLLUP,
	CONFIG_TUNE_HISTORY_ROLLUP_POINTS,
};

/* A tunable's default that config.c computes from other values. */
#define CONFIG_DERIVED UINT64_MAX

/* One key of the config file. */
struct config_entry {
	const char *ce_name;
	enum config_section ce_section;
	enum config_type ce_type;
	int ce_flags; /* CONFIG_REPEAT, CONFIG_DEFAULTS, ... */
	size_t ce_offset; /* of the field in its section's struct */
	size_t ce_size; /* of that field */
	uint64_t ce_min; /* numbers: bounds of the parsed value */
	uint64_t ce_max;
	const char *ce_hint; /* valid values, for error messages */
	enum config_tunable ce_tunable; /* a source's tunable, or NONE */
	uint64_t ce_default; /* numbers: the field when the key is absent */
};

/* The rows, and how many. */
extern const struct config_entry config_table[];
extern const size_t config_table_size;

/* Room for one "seen" flag per row. */
#define CONFIG_TABLE_MAX 128

/* Returns the row for key name in section, or NULL if it has none. */
const struct config_entry *
config_table_find(enum config_section section, const char *name);

#endif
