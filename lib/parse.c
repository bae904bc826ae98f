/*
 * The value parsers of the config file, moved out of config.c so that
 * other readers of the same syntax share them.  Numbers are decimal
 * without sign or spaces; durations stop at a week, sizes at SIZE_MAX.
 * Nothing here allocates except parse_listen's host, or logs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "parse.h"

/* Returns 1 if name is 1 to 64 of [A-Za-z0-9_.-], else 0. */
int
parse_valid_name(const char *name)
{
	size_t n;

	for (n = 0; name[n] != '\0'; n++) {
		if (!isalnum((unsigned char)name[n]) && name[n] != '_' &&
		    name[n] != '.' && name[n] != '-')
			return 0;
	}
	return n >= 1 && n <= PARSE_NAME_MAX;
}

/* Parses an unsigned decimal prefix of text into *v; returns the end. */
static const char *
parse_number(const char *text, unsigned long long *v)
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
parse_duration_ms(const char *text, uint64_t *ms)
{
	unsigned long long v, mult;
	const char *unit;

	if ((unit = parse_number(text, &v)) == NULL)
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
	if (v > PARSE_MAX_DURATION_MS / mult)
		return -1;
	*ms = v * mult;
	return 0;
}

/* Parses "8M", "512k" or bare bytes into *bytes; 0 or -1. */
int
parse_size(const char *text, size_t *bytes)
{
	unsigned long long v, mult;
	const char *unit;

	if ((unit = parse_number(text, &v)) == NULL)
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
int
parse_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v;
	const char *end;

	if ((end = parse_number(text, &v)) == NULL || *end != '\0' || v < min ||
	    v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Parses yes or true (1) and no or false (0) into *out; 0 or -1. */
int
parse_bool(const char *text, int *out)
{
	if (strcmp(text, "yes") == 0 || strcmp(text, "true") == 0)
		*out = 1;
	else if (strcmp(text, "no") == 0 || strcmp(text, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* Parses "host:port" or "[v6]:port"; *host is malloc'd; 0 or -1. */
int
parse_listen(const char *text, char **host, uint16_t *port)
{
	const char *colon, *start = text;
	size_t hostlen;
	unsigned v;

	if (*text == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		start = text + 1;
		hostlen = (size_t)(close - start);
		colon = close + 1;
	} else {
		if ((colon = strrchr(text, ':')) == NULL)
			return -1;
		hostlen = (size_t)(colon - text);
		if (memchr(text, ':', hostlen) != NULL)
			return -1; /* a bare IPv6 needs brackets */
	}
	if (hostlen == 0 || parse_uint(colon + 1, 0, 65535, &v) == -1)
		return -1;
	if ((*host = strndup(start, hostlen)) == NULL)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Returns 1 if text is an origin: http(s)://host[:port], no path. */
int
parse_valid_origin(const char *text)
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
	return *p == ':' && parse_uint(p + 1, 1, 65535, &port) == 0;
}

/* Returns 1 if line looks like "Name: value" with a valid name. */
int
parse_valid_header(const char *line)
{
	const char *p;

	for (p = line; *p != ':'; p++) {
		if (*p == '\0' || strchr("()<>@,;\\\"/[]?={} \t", *p) != NULL ||
		    (unsigned char)*p <= 32 || (unsigned char)*p >= 127)
			return 0;
	}
	return p != line;
}

/* Checks that url parses and is http or https; NULL or a reason. */
const char *
parse_check_url(const char *url)
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
