/*
 * Every key of the config file, [gatherd], [source NAME], [budget NAME]
 * and [cluster] alike, as data: name, section, type, field, bounds,
 * default and the example an error message gives.  Adding a key is
 * adding a row (and, for a new type, a case in config.c); nothing here
 * parses or allocates.
 */
#include <string.h>

#include "config.h"
#include "config_table.h"
#include "log.h"
#include "parse.h"

/* Offset and size of a field of struct config. */
#define CF(field)                                                              \
	.ce_section = CONFIG_GLOBAL,                                           \
	.ce_offset = offsetof(struct config, field),                           \
	.ce_size = sizeof(((struct config *)0)->field)
/* Offset and size of a field of struct config_source. */
#define SRC(field)                                                             \
	.ce_section = CONFIG_SOURCE,                                           \
	.ce_offset = offsetof(struct config_source, field),                    \
	.ce_size = sizeof(((struct config_source *)0)->field)

/* Offset and size of a field of struct config_budget. */
#define BUD(field)                                                             \
	.ce_section = CONFIG_BUDGET,                                           \
	.ce_offset = offsetof(struct config_budget, field),                    \
	.ce_size = sizeof(((struct config_budget *)0)->field)

/* Offset and size of a field of struct config_cluster. */
#define CL(field)                                                              \
	.ce_section = CONFIG_CLUSTER,                                          \
	.ce_offset = offsetof(struct config_cluster, field),                   \
	.ce_size = sizeof(((struct config_cluster *)0)->field)

/* The offset of a list in struct config_source (no size: not stored
 * whole). */
#define SRC_LIST(field)                                                        \
	.ce_section = CONFIG_SOURCE,                                           \
	.ce_offset = offsetof(struct config_source, field)

/* The offset of a list in struct config. */
#define CF_LIST(field)                                                         \
	.ce_section = CONFIG_GLOBAL, .ce_offset = offsetof(struct config, field)

#define WEEK PARSE_MAX_DURATION_MS
#define LIMIT 100000

const struct config_entry config_table[] = {
    /* [gatherd]: the daemon. */
    {.ce_name = "listen",
        CF(cf_listen_host),
        .ce_type = CONFIG_LISTEN,
        .ce_hint = "host:port or [v6]:port"},
    {.ce_name = "user_agent",
        CF(cf_user_agent),
        .ce_type = CONFIG_STRING,
        .ce_flags = CONFIG_NONEMPTY},
    {.ce_name = "state_dir", CF(cf_state_dir), .ce_type = CONFIG_STRING},
    {.ce_name = "web_root", CF(cf_web_root), .ce_type = CONFIG_STRING},
    {.ce_name = "max_concurrency",
        CF(cf_max_concurrency),
        .ce_type = CONFIG_UINT,
        .ce_min = 1,
        .ce_max = LIMIT,
        .ce_hint = "a number from 1 to 100000",
        .ce_default = 64},
    {.ce_name = "max_per_host",
        CF(cf_max_per_host),
        .ce_type = CONFIG_UINT,
        .ce_min = 1,
        .ce_max = LIMIT,
        .ce_hint = "a number from 1 to 100000",
        .ce_default = 8},
    {.ce_name = "initial_spread",
        CF(cf_initial_spread_ms),
        .ce_type = CONFIG_DURATION,
        .ce_max = WEEK,
        .ce_hint = "500ms, 5s, 1m",
        .ce_default = 5000},
    {.ce_name = "api_token_file", CF(cf_api_token), .ce_type = CONFIG_SECRET},
    {.ce_name = "max_event_streams",
        CF(cf_max_streams),
        .ce_type = CONFIG_UINT,
        .ce_max = LIMIT,
        .ce_hint = "a number from 0 to 100000",
        .ce_default = 256},
    {.ce_name = "strict_permissions",
        CF(cf_strict_permissions),
        .ce_type = CONFIG_BOOL,
        .ce_hint = "yes or no"},
    {.ce_name = "event_idle_timeout",
        CF(cf_stream_idle_ms),
        .ce_type = CONFIG_DURATION,
        .ce_min = 1000,
        .ce_max = WEEK,
        .ce_hint = "60s; at least 1s",
        .ce_default = 60000},
    {.ce_name = "log_level",
        CF(cf_log_level),
        .ce_type = CONFIG_LOG_LEVEL,
        .ce_hint = "debug, info, warning or error",
        .ce_default = LOG_LEVEL_INFO},

    /* [gatherd]: the HTTP server's limits and CORS. */
    {.ce_name = "http_connection_timeout",
        CF(cf_http_timeout_s),
        .ce_type = CONFIG_DURATION_S,
        .ce_min = 1000,
        .ce_max = 3600 * 1000,
        .ce_hint = "30s; 1s to 1h",
        .ce_default = 30},
    {.ce_name = "http_max_connections",
        CF(cf_http_max_conns),
        .ce_type = CONFIG_UINT,
        .ce_min = 1,
        .ce_max = LIMIT,
        .ce_hint = "a number from 1 to 100000",
        .ce_default = 1024},
    {.ce_name = "http_max_connections_per_ip",
        CF(cf_http_max_per_ip),
        .ce_type = CONFIG_UINT,
        .ce_max = LIMIT,
        .ce_hint = "a number from 0 (no limit) to 100000",
        .ce_default = 64},
    {.ce_name = "http_connection_memory",
        CF(cf_http_memory),
        .ce_type = CONFIG_SIZE,
        .ce_min = 8 * 1024,
        .ce_max = 1024 * 1024,
        .ce_hint = "32k; 8k to 1M",
        .ce_default = 32 * 1024},
    {.ce_name = "allow_origins",
        CF(cf_allow_origins),
        .ce_type = CONFIG_ORIGINS},

    /* [source NAME]: where and what. */
    {.ce_name = "url", SRC(src_url), .ce_type = CONFIG_SOURCE_URL},
    {.ce_name = "token_file", SRC(src_token), .ce_type = CONFIG_SECRET},
    {.ce_name = "ca_file", SRC(src_ca_file), .ce_type = CONFIG_FILE},
    {.ce_name = "header",
        SRC_LIST(src_headers),
        .ce_type = CONFIG_HEADER,
        .ce_flags = CONFIG_REPEAT},
    {.ce_name = "stat",
        SRC_LIST(src_stats),
        .ce_type = CONFIG_STAT,
        .ce_flags = CONFIG_REPEAT | CONFIG_PREFIX},
    {.ce_name = "timezone",
        SRC(src_timezone),
        .ce_type = CONFIG_TIMEZONE,
        .ce_hint = "an IANA name such as America/Los_Angeles"},

    /* [source NAME]: access tokens (auth.c), defaults in [gatherd] too. */
    {.ce_name = "auth",
        SRC(src_auth),
        .ce_type = CONFIG_AUTH,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_hint = "google_service_account, oauth2_client_credentials or "
                   "none"},
    {.ce_name = "credentials_file",
        /* A pointer to a struct: the offset is all config.c needs. */
        SRC_LIST(src_google_key),
        .ce_type = CONFIG_GOOGLE_KEY,
        .ce_flags = CONFIG_DEFAULTS},
    {.ce_name = "scope",
        SRC(src_scope),
        .ce_type = CONFIG_STRING,
        .ce_flags = CONFIG_DEFAULTS | CONFIG_NONEMPTY},
    {.ce_name = "token_url",
        SRC(src_token_url),
        .ce_type = CONFIG_URL,
        .ce_flags = CONFIG_DEFAULTS},
    {.ce_name = "client_id",
        SRC(src_client_id),
        .ce_type = CONFIG_STRING,
        .ce_flags = CONFIG_DEFAULTS | CONFIG_NONEMPTY},
    {.ce_name = "client_secret_file",
        SRC(src_client_secret),
        .ce_type = CONFIG_SECRET,
        .ce_flags = CONFIG_DEFAULTS},

    /* [source NAME]: the request's method, body and Basic auth, whose
     * file [gatherd] may give every source; [gatherd]: the secrets that
     * templates name.  config_request.c reads them all. */
    {.ce_name = "method",
        SRC(src_method),
        .ce_type = CONFIG_METHOD,
        .ce_hint = "GET or POST"},
    {.ce_name = "body", SRC(src_body), .ce_type = CONFIG_BODY},
    {.ce_name = "body_file", SRC(src_body), .ce_type = CONFIG_BODY_FILE},
    {.ce_name = "content_type",
        SRC(src_content_type),
        .ce_type = CONFIG_MEDIA_TYPE,
        .ce_hint = "application/json or application/x-www-form-urlencoded"},
    {.ce_name = "basic_auth_file",
        SRC(src_basic_user),
        .ce_type = CONFIG_BASIC_AUTH,
        .ce_flags = CONFIG_DEFAULTS},
    {.ce_name = "secret",
        CF_LIST(cf_secrets),
        .ce_type = CONFIG_NAMED_SECRET,
        .ce_flags = CONFIG_REPEAT | CONFIG_PREFIX},
    {.ce_name = "error_if",
        .ce_section = CONFIG_SOURCE,
        .ce_offset = offsetof(struct config_source, src_error_if),
        .ce_type = CONFIG_JQ,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_hint = "jq: PROGRAM"},

    /* [source NAME]: tunables, most of them defaults in [gatherd] too. */
    {.ce_name = "interval",
        SRC(src_interval_ms),
        .ce_type = CONFIG_DURATION,
        .ce_min = 100,
        .ce_max = WEEK,
        .ce_hint = "30s, 5m; at least 100ms",
        .ce_tunable = CONFIG_TUNE_INTERVAL,
        .ce_default = 60000},
    {.ce_name = "timeout",
        SRC(src_timeout_ms),
        .ce_type = CONFIG_DURATION,
        .ce_min = 10,
        .ce_max = WEEK,
        .ce_hint = "500ms, 5s; at least 10ms",
        .ce_tunable = CONFIG_TUNE_TIMEOUT,
        .ce_default = 10000},
    {.ce_name = "connect_timeout",
        SRC(src_connect_timeout_ms),
        .ce_type = CONFIG_DURATION,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_min = 10,
        .ce_max = WEEK,
        .ce_hint = "2s; at least 10ms",
        .ce_tunable = CONFIG_TUNE_CONNECT_TIMEOUT,
        .ce_default = CONFIG_DERIVED},
    {.ce_name = "retry_base",
        SRC(src_retry_base_ms),
        .ce_type = CONFIG_DURATION,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_min = 10,
        .ce_max = WEEK,
        .ce_hint = "1s; at least 10ms",
        .ce_tunable = CONFIG_TUNE_RETRY_BASE,
        .ce_default = 1000},
    {.ce_name = "retry_max",
        SRC(src_retry_max_ms),
        .ce_type = CONFIG_DURATION,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_min = 10,
        .ce_max = WEEK,
        .ce_hint = "5m; at least 10ms",
        .ce_tunable = CONFIG_TUNE_RETRY_MAX,
        .ce_default = CONFIG_DERIVED},
    {.ce_name = "max_age",
        SRC(src_max_age_ms),
        .ce_type = CONFIG_DURATION,
        .ce_min = 100,
        .ce_max = WEEK,
        .ce_hint = "10m; at least 100ms",
        .ce_tunable = CONFIG_TUNE_MAX_AGE,
        .ce_default = CONFIG_DERIVED},
    {.ce_name = "low_speed_time",
        SRC(src_low_speed_time_ms),
        .ce_type = CONFIG_DURATION,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_min = 1000,
        .ce_max = WEEK,
        .ce_hint = "10s; at least 1s",
        .ce_tunable = CONFIG_TUNE_LOW_SPEED_TIME,
        .ce_default = 10000},
    {.ce_name = "low_speed_limit",
        SRC(src_low_speed_limit),
        .ce_type = CONFIG_COUNT,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_max = 1ULL << 30,
        .ce_hint = "100 (bytes per second; 0 turns it off)",
        .ce_tunable = CONFIG_TUNE_LOW_SPEED_LIMIT,
        .ce_default = 100},
    {.ce_name = "max_body",
        SRC(src_max_body),
        .ce_type = CONFIG_SIZE,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_min = 1,
        .ce_max = 1ULL << 40,
        .ce_hint = "512k, 8M",
        .ce_tunable = CONFIG_TUNE_MAX_BODY,
        .ce_default = 8 * 1024 * 1024},
    {.ce_name = "circuit_cooldown",
        SRC(src_circuit_cooldown_ms),
        .ce_type = CONFIG_DURATION,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_min = 100,
        .ce_max = WEEK,
        .ce_hint = "30s; at least 100ms",
        .ce_tunable = CONFIG_TUNE_CIRCUIT_COOLDOWN,
        .ce_default = 30000},
    {.ce_name = "history",
        SRC(src_history),
        .ce_type = CONFIG_COUNT,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_max = 100000,
        .ce_hint = "360 (points per stat; 0 keeps none)",
        .ce_tunable = CONFIG_TUNE_HISTORY,
        .ce_default = 360},
    {.ce_name = "history_rollup",
        SRC(src_history_rollup_ms),
        .ce_type = CONFIG_DURATION,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_min = 1000,
        .ce_max = WEEK,
        .ce_hint = "1m, 5m; at least 1s",
        .ce_tunable = CONFIG_TUNE_HISTORY_ROLLUP,
        .ce_default = 60000},
    {.ce_name = "history_rollup_points",
        SRC(src_history_rollup_points),
        .ce_type = CONFIG_COUNT,
        .ce_flags = CONFIG_DEFAULTS,
        .ce_max = 1000000,
        .ce_hint = "1440 (buckets per stat, up to 1000000; 0 keeps none)",
        .ce_tunable = CONFIG_TUNE_HISTORY_ROLLUP_POINTS,
        .ce_default = 1440},

    /* Request budgets: [budget NAME], and the sources that draw on one. */
    {.ce_name = "budget",
        SRC(src_budget),
        .ce_type = CONFIG_BUDGET_REF,
        .ce_flags = CONFIG_DEFAULTS},
    {.ce_name = "requests",
        BUD(cb_requests),
        .ce_type = CONFIG_RATE,
        .ce_min = 1,
        .ce_max = LIMIT,
        .ce_hint = "N/DURATION, e.g. 60/1h or 300/5m (N from 1 to 100000, "
                   "DURATION from 100ms to 1 week)"},

    /* [cluster]: replicas sharing one Redis (config_cluster.c). */
    {.ce_name = "redis",
        CL(cc_redis),
        .ce_type = CONFIG_REDIS_TARGET,
        .ce_hint = "unix:/path or IP:port"},
    {.ce_name = "name",
        CL(cc_name),
        .ce_type = CONFIG_CLUSTER_NAME,
        .ce_hint = "1 to 64 of A-Z a-z 0-9 _ . : -"},
    {.ce_name = "prefix",
        CL(cc_prefix),
        .ce_type = CONFIG_CLUSTER_NAME,
        .ce_hint = "1 to 64 of A-Z a-z 0-9 _ . : -"},
    {.ce_name = "redis_password_file",
        CL(cc_password),
        .ce_type = CONFIG_SECRET},
};

const size_t config_table_size = sizeof config_table / sizeof config_table[0];

_Static_assert(sizeof config_table / sizeof config_table[0] <= CONFIG_TABLE_MAX,
    "CONFIG_TABLE_MAX is too small for the table");

/* Returns 1 if key name is row e's: its name, or for a prefix key its
 * name and a space or tab. */
static int
config_table_match(const struct config_entry *e, const char *name)
{
	size_t n = strlen(e->ce_name);

	if (e->ce_flags & CONFIG_PREFIX)
		return strncmp(name, e->ce_name, n) == 0 &&
		    (name[n] == ' ' || name[n] == '\t');
	return strcmp(name, e->ce_name) == 0;
}

/* Returns the row for key name in section, or NULL if it has none. */
const struct config_entry *
config_table_find(enum config_section section, const char *name)
{
	const struct config_entry *e;
	size_t i;

	for (i = 0; i < config_table_size; i++) {
		e = &config_table[i];
		if (e->ce_section != section &&
		    !(section == CONFIG_GLOBAL &&
		        (e->ce_flags & CONFIG_DEFAULTS)))
			continue;
		if (config_table_match(e, name))
			return e;
	}
	return NULL;
}
