/*
 * Parsers for the values a config file holds: durations, sizes, bounded
 * numbers, yes/no, listen addresses, names, origins, header lines, media
 * types and URLs.  Pure functions of their text, with no config structs,
 * so that templates and range queries can read the same syntax; each
 * returns 0 or -1 (or 1/0 for the validity tests) and leaves messages to
 * the caller.
 */
#ifndef GATHERD_PARSE_H
#define GATHERD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PARSE_NAME_MAX 64
#define PARSE_MAX_DURATION_MS (7ULL * 24 * 3600 * 1000)

/* Returns 1 if name is 1 to 64 of [A-Za-z0-9_.-], else 0. */
int parse_valid_name(const char *name);
/*
 * Parses a duration into *ms: "250ms", "30s", "5m", "1h", fractions
 * ("1.5s", "0.5m") and compounds with each unit once, longest first
 * ("1m30s", "1h30m"), or a bare number of seconds ("45", "1.5").  It
 * must come to whole milliseconds within a week; 0 or -1.
 */
int parse_duration_ms(const char *text, uint64_t *ms);
/* Parses "8M", "512k" or bare bytes into *bytes; 0 or -1. */
int parse_size(const char *text, size_t *bytes);
/* Parses a whole number in [min, max] into *out; 0 or -1. */
int parse_uint(const char *text, unsigned min, unsigned max, unsigned *out);
/* Parses yes or true (1) and no or false (0) into *out; 0 or -1. */
int parse_bool(const char *text, int *out);
/* Parses "host:port" or "[v6]:port"; *host is malloc'd; 0 or -1. */
int parse_listen(const char *text, char **host, uint16_t *port);
/* Returns 1 if text is an origin: http(s)://host[:port], no path. */
int parse_valid_origin(const char *text);
/* Returns 1 if line looks like "Name: value" with a valid name. */
int parse_valid_header(const char *line);
/* Returns 1 if text is a media type: type/subtype, then optional
 * "; name=value" parameters (RFC 9110 8.3.1), else 0. */
int parse_valid_media_type(const char *text);
/* Checks that url parses and is http or https; NULL or a reason. */
const char *parse_check_url(const char *url);

#endif
