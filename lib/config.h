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

struct extract_jq;
struct extract_jq_set;

/* One stat: a name and the JSON Pointer or jq program that selects its
 * value. */
struct config_stat {
	char *cs_name;
	char *cs_pointer; /* the pointer, or "jq: PROGRAM" for a jq stat */
	struct extract_jq *cs_jq; /* a jq stat's program (cf_jq's), or NULL */
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
	unsigned src_set; /* bits of the tunables the file set */
	char *src_ca_file; /* CA bundle, or NULL for the system's */
	char *src_token; /* secret from token_file, or NULL */
	char **src_headers; /* "Name: value" lines */
	size_t src_nheaders;
	struct config_stat *src_stats;
	size_t src_nstats;
	struct extract_jq *src_error_if; /* cf_jq's, or NULL */
	int src_line; /* line of the section header */
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
	enum log_level cf_log_level; /* -v and -q override it */
	struct config_source *cf_sources;
	size_t cf_nsources;
	struct extract_jq_set *cf_jq; /* the distinct jq programs, or NULL */
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
/* Returns a copy of url without user and password; NULL if out of memory. */
char *config_redact_url(const char *url);

#endif
