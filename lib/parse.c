/*
 * The value parsers of the config file, moved out of config.c so that
 * other readers of the same syntax share them.  Numbers are decimal
 * without sign or spaces; durations ("1m30s", "1.5s") are whole
 * milliseconds and stop at a week, sizes at SIZE_MAX.
 * Nothing here allocates except parse_listen's host, or logs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "parse.h"

/* Fraction digits past this many must be zeros: 1 ns is far below the
 * millisecond a duration comes to. */
#define PARSE_FRACTION_SCALE 1000000000ULL

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

/* The units of a duration, longest first: a compound names each at
 * most once and in this order ("1h30m", never "30m1h"). */
enum parse_unit_index { PARSE_H, PARSE_M, PARSE_S, PARSE_MS };

/* Each unit's name and length in ms, by parse_unit_index. */
static const struct parse_unit {
	const char *pu_name;
	uint64_t pu_ms;
} parse_units[] = {
    [PARSE_H] = {"h", 3600 * 1000},
    [PARSE_M] = {"m", 60 * 1000},
    [PARSE_S] = {"s", 1000},
    [PARSE_MS] = {"ms", 1},
};

/* Returns the index in parse_units of the unit text starts with, its
 * length in *len; -1 if there is none. */
static int
parse_unit(const char *text, size_t *len)
{
	int i, found = -1;
	size_t n;

	/* The longest name wins: "ms" is not "m" then "s". */
	for (i = 0; i < (int)(sizeof parse_units / sizeof parse_units[0]);
	     i++) {
		n = strlen(parse_units[i].pu_name);
		if (strncmp(text, parse_units[i].pu_name, n) == 0 &&
		    (found == -1 || n > *len)) {
			found = i;
			*len = n;
		}
	}
	return found;
}

/*
 * Parses a decimal "12" or "1.25" at the start of text: the whole part
 * into *whole, the fraction as *frac / *scale (at most 9 significant
 * digits).  Returns the end, or NULL.
 */
static const char *
parse_decimal(const char *text, unsigned long long *whole,
    unsigned long long *frac, unsigned long long *scale)
{
	const char *p;

	if ((p = parse_number(text, whole)) == NULL)
		return NULL;
	*frac = 0;
	*scale = 1;
	if (*p != '.')
		return p;
	if (!isdigit((unsigned char)*++p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		if (*scale < PARSE_FRACTION_SCALE) {
			*frac = *frac * 10 + (unsigned long long)(*p - '0');
			*scale *= 10;
		} else if (*p != '0') {
			return NULL;
		}
	}
	return p;
}

/* Returns whole + frac / scale units of mult ms in *ms if that is a
 * whole number of ms within a week; 0 or -1. */
static int
parse_duration_part(unsigned long long whole, unsigned long long frac,
    unsigned long long scale, uint64_t mult, uint64_t *ms)
{
	/* frac < 10^9 and mult <= 3.6 * 10^6: no overflow. */
	if (whole > PARSE_MAX_DURATION_MS / mult || (frac * mult) % scale != 0)
		return -1;
	*ms = whole * mult + frac * mult / scale;
	return *ms > PARSE_MAX_DURATION_MS ? -1 : 0;
}

/* Parses "250ms", "1.5s", "1m30s", "1h" or bare seconds into *ms. */
int
parse_duration_ms(const char *text, uint64_t *ms)
{
	unsigned long long whole, frac, scale;
	const char *p = text;
	uint64_t total = 0, part;
	size_t len = 0;
	int unit, next = 0;

	do {
		if ((p = parse_decimal(p, &whole, &frac, &scale)) == NULL)
			return -1;
		/* A bare number alone is seconds, as before units. */
		if (*p == '\0' && next == 0) {
			unit = PARSE_S;
			len = 0;
		} else if ((unit = parse_unit(p, &len)) < next) {
			return -1;
		}
		if (parse_duration_part(whole, frac, scale,
		        parse_units[unit].pu_ms, &part) == -1)
			return -1;
		total += part;
		if (total > PARSE_MAX_DURATION_MS)
			return -1;
		next = unit + 1;
		p += len;
	} while (*p != '\0');
	*ms = total;
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

/* Returns 1 if c may be in an HTTP token (RFC 9110 tchar). */
static int
parse_tchar(int c)
{
	return c != '\0' &&
	    (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Returns the end of the HTTP token at the start of p, or NULL. */
static const char *
parse_token(const char *p)
{
	const char *start = p;

	while (parse_tchar(*p))
		p++;
	return p == start ? NULL : p;
}

/* Returns the end of the quoted-string at the start of p, or NULL. */
static const char *
parse_quoted(const char *p)
{
	for (p++; *p != '"'; p++) {
		if (*p == '\\')
			p++;
		if (*p == '\0' || *p == 0x7f ||
		    ((unsigned char)*p < 0x20 && *p != '\t'))
			return NULL;
	}
	return p + 1;
}

/* Returns 1 if text is a media type: type/subtype, then optional
 * "; name=value" parameters (RFC 9110 8.3.1), else 0. */
int
parse_valid_media_type(const char *text)
{
	const char *p;

	if ((p = parse_token(text)) == NULL || *p++ != '/' ||
	    (p = parse_token(p)) == NULL)
		return 0;
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return 1;
		if (*p++ != ';')
			return 0;
		p += strspn(p, " \t");
		if ((p = parse_token(p)) == NULL || *p++ != '=')
			return 0;
		p = *p == '"' ? parse_quoted(p) : parse_token(p);
		if (p == NULL)
			return 0;
	}
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
