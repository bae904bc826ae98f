/*
 * The configuration: the INI file parsed with inih into an immutable
 * struct config.  Every value is checked on the way in (names, URLs,
 * durations with parse.h, token files with secret.h) so that the rest of
 * the daemon trusts what it gets; errors come back as "FILE:LINE:
 * message", never as a crash.
 */
#ifndef GATHERD_CONFIG_H
#define GATHERD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "parse.h"

#define CONFIG_NAME_MAX PARSE_NAME_MAX
#define CONFIG_ERR_LEN 512

struct auth_google_key;
struct tpl;
struct tz;

struct extract_jq;
struct extract_jq_set;

/* One stat: a name and the JSON Pointer or jq program that selects its
 * value. */
struct config_stat {
	char *cs_name;
	char *cs_pointer; /* the pointer, or "jq: PROGRAM" for a jq stat */
	struct extract_jq *cs_jq; /* a jq stat's program (cf_jq's), or NULL */
};

/* The HTTP method of a source's request. */
enum config_method {
	CONFIG_METHOD_GET, /* the default */
	CONFIG_METHOD_POST,
};

/* What a source's request body is, from its content type, so that a
 * value put into it can be encoded for it. */
enum config_body_kind {
	CONFIG_BODY_NONE, /* no body */
	CONFIG_BODY_JSON, /* application/json or any type ending in +json */
	CONFIG_BODY_FORM, /* application/x-www-form-urlencoded */
	CONFIG_BODY_OTHER, /* anything else, sent as it is */
};

/* One [gatherd] "secret NAME = FILE": a secret a template may name. */
struct config_secret {
	char *sec_name;
	char *sec_value; /* never logged, never shown */
};

/* One [source NAME] section; [gatherd] keeps defaults in the same shape. */
struct config_source {
	char *src_name;
	char *src_url;
	uint64_t src_interval_ms;
	uint64_t src_timeout_ms;
	uint64_t src_connect_timeout_ms;
	uint64_t src_retry_base_ms;
	uint64_t src_retry_max_ms;
	uint64_t src_circuit_cooldown_ms; /* x times opened, up to 10x */
	uint64_t src_max_age_ms; /* stale values past it are expired */
	uint64_t src_low_speed_limit; /* bytes per second, 0: no limit */
	uint64_t src_low_speed_time_ms;
	uint64_t src_max_body; /* bytes */
	uint64_t src_history; /* points kept per stat */
	uint64_t src_history_rollup_ms; /* width of a rollup bucket */
	uint64_t src_history_rollup_points; /* buckets kept per stat */
	unsigned src_set; /* bits of the tunables the file set */
	char *src_ca_file; /* CA bundle, or NULL for the system's */
	char *src_token; /* secret from token_file, or NULL */
	/* Access tokens from a token endpoint (auth.c); [gatherd] may set
	 * each as every source's default. */
	int src_auth; /* enum auth_grant */
	struct auth_google_key *src_google_key; /* credentials_file, shared */
	char *src_scope; /* or NULL; Google's has a default */
	char *src_token_url; /* oauth2_client_credentials */
	char *src_client_id;
	char *src_client_secret; /* secret from client_secret_file */
	char **src_headers; /* "Name: value" lines */
	size_t src_nheaders;
	/* Templates (template.h), compiled at load and expanded per poll:
	 * the url without its userinfo, and one per header line. */
	struct tpl *src_url_tpl;
	struct tpl **src_header_tpls;
	char *src_timezone; /* IANA name of the templates' zone, or NULL */
	struct tz *src_tz; /* src_timezone opened, or NULL for UTC */
	/* The request's method, body and Basic auth (config_request.c). */
	enum config_method src_method;
	char *src_body; /* body's or body_file's text as given, or NULL */
	size_t src_body_len;
	char *src_content_type; /* set exactly when src_body is */
	struct tpl *src_body_tpl; /* src_body compiled for its content type */
	int src_body_line; /* where body or body_file was given */
	enum config_body_kind src_body_kind;
	char *src_basic_user; /* secret from basic_auth_file, or NULL */
	char *src_basic_password; /* secret, "" for "key:" */
	struct config_stat *src_stats;
	size_t src_nstats;
	char *src_budget; /* the [budget NAME] it draws from, or NULL */
	int src_budget_line; /* where budget = was given */
	struct extract_jq *src_error_if; /* cf_jq's, or NULL */
	int src_line; /* line of the section header */
};

/* One [budget NAME]: at most cb_requests starts in any cb_window_ms. */
struct config_budget {
	char *cb_name;
	unsigned cb_requests;
	uint64_t cb_window_ms;
	int cb_line; /* line of the section header */
};

/*
 * The [cluster] section: replicas that share polls, values and history
 * through one Redis (config_cluster.c).  Without the section cc_enabled
 * is 0 and every other field is NULL: gatherd runs alone.
 */
struct config_cluster {
	int cc_enabled; /* 1 when the file has a [cluster] section */
	char *cc_redis; /* "unix:/path", "IPv4:port" or "[IPv6]:port" */
	char *cc_name; /* this replica; default "hostname:listen port" */
	char *cc_prefix; /* of every Redis key; default "gatherd" */
	char *cc_password; /* secret from redis_password_file, or NULL */
	int cc_line; /* line of the section header */
};

/* The whole file. */
struct config {
	char *cf_path;
	char *cf_listen_host; /* "127.0.0.1", "::1" */
	uint16_t cf_listen_port;
	char *cf_user_agent;
	char *cf_state_dir;
	char *cf_web_root;
	unsigned cf_max_concurrency;
	unsigned cf_max_per_host;
	uint64_t cf_initial_spread_ms;
	unsigned cf_max_streams; /* concurrent /api/v1/events streams */
	uint64_t cf_stream_idle_ms; /* a stream not draining this long ends */
	int cf_strict_permissions; /* a token file others can read is an error
	                            */
	unsigned cf_http_timeout_s; /* idle, or a request head this slow */
	unsigned cf_http_max_conns; /* HTTP connections at once */
	unsigned cf_http_max_per_ip; /* from one address; 0: no limit */
	size_t cf_http_memory; /* per connection: URL, headers, buffers */
	char **cf_allow_origins; /* CORS: origins that may read the API */
	size_t cf_nallow_origins;
	struct config_source cf_defaults; /* tunables set in [gatherd] */
	char *cf_api_token; /* secret from api_token_file, or NULL */
	struct config_secret *cf_secrets; /* "secret NAME = FILE" */
	size_t cf_nsecrets;
	enum log_level cf_log_level; /* -v and -q override it */
	struct config_source *cf_sources;
	size_t cf_nsources;
	struct config_budget *cf_budgets;
	size_t cf_nbudgets;
	struct extract_jq_set *cf_jq; /* the distinct jq programs, or NULL */
	struct config_cluster cf_cluster; /* [cluster], or cc_enabled 0 */
};

/* Parses and validates the file at path; NULL with err filled on error. */
struct config *config_load(const char *path, char *err, size_t errlen);
/* Same as config_load for text in memory; name is used in messages. */
struct config *config_load_string(
    const char *text, const char *name, char *err, size_t errlen);
/* Frees cf; NULL is allowed. */
void config_free(struct config *cf);
/* Returns the source called name, or NULL. */
const struct config_source *
config_find_source(const struct config *cf, const char *name);
/* Returns the value of the secret called name (borrowed), or NULL. */
const char *config_secret(const struct config *cf, const char *name);
/* Returns a copy of url without user and password; NULL if out of memory. */
char *config_redact_url(const char *url);
/* Returns the budget called name, or NULL. */
const struct config_budget *
config_find_budget(const struct config *cf, const char *name);
/*
 * Returns the requests per window that the intervals of the sources on
 * b need (the sum of window / interval) and their number in *nsources.
 */
double config_budget_need(
    const struct config *cf, const struct config_budget *b, size_t *nsources);
/* Returns 1 if a and b have the same [cluster] settings (the password
 * too), else 0. */
int config_cluster_same(const struct config *a, const struct config *b);
/*
 * Writes the default replica name "host:port" into out; 0, or -1 if it
 * is not 1 to 64 of [A-Za-z0-9_.:-] or does not fit in outlen.
 */
int config_cluster_default_name(
    const char *host, unsigned port, char *out, size_t outlen);

#endif
