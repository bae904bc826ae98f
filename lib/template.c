/*
 * Compiles and expands templates.  Compiling splits the text into
 * literal runs and placeholders once, checking every name, offset and
 * format, so that an expansion at each poll only computes times and
 * encodes values.  Offsets are durations as the config writes them
 * (parse.c), or whole days ("7d"), which for today and yesterday are
 * calendar days in the zone.  Encoding is libcurl's percent-encoding
 * for URLs and forms and json-c's string escaping for JSON; buffers that
 * held a value are wiped, since the value may be a secret.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "parse.h"
#include "template.h"

/* The longest placeholder between "${" and "}". */
#define TPL_PLACEHOLDER_MAX 128
/* The longest strftime pattern, and a conversion's widest width. */
#define TPL_PATTERN_MAX 64
#define TPL_WIDTH_MAX 32
/* The most days an offset may move, about ten years. */
#define TPL_DAYS_MAX 3660
#define TPL_DAY_MS 86400000LL
/* Room for one formatted time. */
#define TPL_VALUE_MAX 1024
/* The bytes a URL or form encoding leaves as they are (RFC 3986). */
#define TPL_UNRESERVED                                                         \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

/* What a part of a template is. */
enum tpl_kind {
	TPL_LITERAL, /* text copied as it is */
	TPL_DAY, /* the start of a day: today, yesterday */
	TPL_NOW, /* the time of the poll */
	TPL_SECRET, /* a named secret */
};

/* How a time is written. */
enum tpl_format {
	TPL_STRFTIME,
	TPL_UNIX,
	TPL_UNIX_MS,
	TPL_RFC3339,
};

/* One literal run or placeholder. */
struct tpl_part {
	enum tpl_kind tp_kind;
	char *tp_text; /* the literal, the secret's name, or the pattern */
	size_t tp_len; /* of a literal */
	char *tp_source; /* "${...}" as written, for messages */
	enum tpl_format tp_format;
	int64_t tp_offset; /* days for TPL_DAY, ms for TPL_NOW */
	/* The time last written and its text: a day's start is written the
	 * same all day, so a poll copies it instead of formatting it. */
	int tp_have_memo;
	int64_t tp_memo_ms;
	struct tz *tp_memo_tz;
	char tp_memo[64];
};

/* A compiled template. */
struct tpl {
	char *t_text;
	enum template_context t_ctx;
	struct tpl_part *t_parts;
	size_t t_nparts;
};

/* Makes room for n more bytes and the NUL in b; 0 or -1.  The old
 * memory is wiped, not left to realloc. */
static int
tpl_reserve(struct template_buf *b, size_t n)
{
	size_t cap;
	char *grown;

	if (b->tb_cap - b->tb_len > n)
		return 0;
	if (n > SIZE_MAX / 4 - b->tb_len)
		return -1;
	cap = b->tb_cap ? b->tb_cap : 256;
	while (cap - b->tb_len <= n)
		cap *= 2;
	if ((grown = malloc(cap)) == NULL)
		return -1;
	if (b->tb_data != NULL) {
		memcpy(grown, b->tb_data, b->tb_len);
		explicit_bzero(b->tb_data, b->tb_cap);
		free(b->tb_data);
	}
	b->tb_data = grown;
	b->tb_cap = cap;
	return 0;
}

/* Appends n bytes of s to b; 0 or -1. */
static int
tpl_append(struct template_buf *b, const char *s, size_t n)
{
	if (tpl_reserve(b, n) == -1)
		return -1;
	memcpy(b->tb_data + b->tb_len, s, n);
	b->tb_len += n;
	b->tb_data[b->tb_len] = '\0';
	return 0;
}

/* Appends n bytes of s to b, growing it as a template's expansion
 * does; 0 or -1. */
int
template_buf_append(struct template_buf *b, const char *s, size_t n)
{
	return tpl_append(b, s, n);
}

/* Wipes and frees b's memory, leaving it empty. */
void
template_buf_free(struct template_buf *b)
{
	if (b->tb_data != NULL) {
		explicit_bzero(b->tb_data, b->tb_cap);
		free(b->tb_data);
	}
	b->tb_data = NULL;
	b->tb_len = 0;
	b->tb_cap = 0;
}

/* Appends s percent-encoded by libcurl, a space as "+" if form; 0 or -1. */
static int
tpl_append_escaped(struct template_buf *b, const char *s, size_t n, int form)
{
	char *e, *p;
	size_t len;
	int rc = 0;

	/* A value of unreserved bytes only (a date, a number) stays as it
	 * is in either encoding. */
	if (strspn(s, TPL_UNRESERVED) >= n)
		return tpl_append(b, s, n);
	if (n > INT32_MAX || (e = curl_easy_escape(NULL, s, (int)n)) == NULL)
		return -1;
	len = strlen(e);
	if (!form)
		rc = tpl_append(b, e, len);
	else {
		/* application/x-www-form-urlencoded writes a space as "+";
		 * curl wrote "%20" and left no other "%20" (a "%" is
		 * "%25"). */
		for (p = e; rc == 0 && *p != '\0';) {
			if (strncmp(p, "%20", 3) == 0) {
				rc = tpl_append(b, "+", 1);
				p += 3;
			} else
				rc = tpl_append(b, p++, 1);
		}
	}
	explicit_bzero(e, len);
	curl_free(e);
	return rc;
}

/* Appends s escaped as json-c escapes a string, without its quotes. */
static int
tpl_append_json(struct template_buf *b, const char *s, size_t n)
{
	struct json_object *o;
	const char *out;
	size_t len;
	int rc = -1;

	if (n > INT32_MAX ||
	    (o = json_object_new_string_len(s, (int)n)) == NULL)
		return -1;
	out = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (out != NULL && len >= 2)
		rc = tpl_append(b, out + 1, len - 2);
	/* json-c's copies may hold a secret: wipe them before the free. */
	if (out != NULL)
		explicit_bzero((char *)(uintptr_t)out, len);
	explicit_bzero((char *)(uintptr_t)json_object_get_string(o), n);
	json_object_put(o);
	return rc;
}

/* Appends value, encoded for ctx, to b; 0, or -1 with err set. */
static int
tpl_encode(struct template_buf *b, enum template_context ctx,
    const struct tpl_part *tp, const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);
	int rc;

	switch (ctx) {
	case TEMPLATE_URL:
		rc = tpl_append_escaped(b, value, n, 0);
		break;
	case TEMPLATE_FORM:
		rc = tpl_append_escaped(b, value, n, 1);
		break;
	case TEMPLATE_JSON:
		rc = tpl_append_json(b, value, n);
		break;
	case TEMPLATE_HEADER:
		if (strpbrk(value, "\r\n") != NULL) {
			snprintf(err, errlen,
			    "%s: a value with CR or LF cannot go in a header",
			    tp->tp_source);
			return -1;
		}
		rc = tpl_append(b, value, n);
		break;
	case TEMPLATE_RAW:
	default:
		rc = tpl_append(b, value, n);
		break;
	}
	if (rc == -1)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* Formats the time at ms as RFC 3339 in tz ("Z" for UTC); 0 or -1. */
static int
tpl_rfc3339(struct tz *tz, int64_t ms, char *buf, size_t size)
{
	struct tm tm;
	long off;
	int n;

	if (tz_local(tz, ms, &tm) == -1)
		return -1;
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (n < 0 || (size_t)n >= size)
		return -1;
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		n = snprintf(buf + n, size - (size_t)n, "Z");
	else
		n = snprintf(buf + n, size - (size_t)n, "%c%02ld:%02ld",
		    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	return n < 0 ? -1 : 0;
}

/* Returns a divided by b (b > 0), rounded down. */
static int64_t
tpl_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Writes the time ms of placeholder tp in tz into buf; 0 or -1. */
static int
tpl_format_time(const struct tpl_part *tp, int64_t ms, struct tz *tz, char *buf,
    size_t size)
{
	int n;

	switch (tp->tp_format) {
	case TPL_UNIX:
		n = snprintf(buf, size, "%" PRId64, tpl_floor_div(ms, 1000));
		return n < 0 || (size_t)n >= size ? -1 : 0;
	case TPL_UNIX_MS:
		n = snprintf(buf, size, "%" PRId64, ms);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	case TPL_RFC3339:
		return tpl_rfc3339(tz, ms, buf, size);
	case TPL_STRFTIME:
	default:
		return tz_format(tz, ms, tp->tp_text, buf, size) == -1 ? -1 : 0;
	}
}

/* Writes the time of placeholder tp at now_ms in tz into buf, from its
 * memo if it wrote that time in that zone last; 0 or -1. */
static int
tpl_time(
    struct tpl_part *tp, int64_t now_ms, struct tz *tz, char *buf, size_t size)
{
	int64_t ms;

	if (tp->tp_kind == TPL_DAY) {
		if (tz_midnight_ms(tz, now_ms, (int)tp->tp_offset, &ms) == -1)
			return -1;
	} else
		ms = now_ms + tp->tp_offset;
	if (tp->tp_have_memo && tp->tp_memo_ms == ms && tp->tp_memo_tz == tz &&
	    strlen(tp->tp_memo) < size) {
		memcpy(buf, tp->tp_memo, strlen(tp->tp_memo) + 1);
		return 0;
	}
	if (tpl_format_time(tp, ms, tz, buf, size) == -1)
		return -1;
	/* Only a day's start comes again: a now never does. */
	if (tp->tp_kind == TPL_DAY && strlen(buf) < sizeof tp->tp_memo) {
		memcpy(tp->tp_memo, buf, strlen(buf) + 1);
		tp->tp_memo_ms = ms;
		tp->tp_memo_tz = tz;
		tp->tp_have_memo = 1;
	}
	return 0;
}

/* Expands t at now_ms in tz into out; see template.h. */
int
template_expand(const struct tpl *t, int64_t now_ms, struct tz *tz,
    template_secret_cb *lookup, void *arg, struct template_buf *out, char *err,
    size_t errlen)
{
	struct tpl_part *tp;
	char value[TPL_VALUE_MAX];
	const char *secret;
	size_t i;

	if (tz == NULL)
		tz = tz_utc();
	out->tb_len = 0;
	/* An empty template expands to "", not to no string at all. */
	if (tpl_append(out, "", 0) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < t->t_nparts; i++) {
		tp = &t->t_parts[i];
		switch (tp->tp_kind) {
		case TPL_LITERAL:
			if (tpl_append(out, tp->tp_text, tp->tp_len) == -1) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			continue;
		case TPL_SECRET:
			secret =
			    lookup != NULL ? lookup(tp->tp_text, arg) : NULL;
			if (secret == NULL) {
				snprintf(err, errlen, "%s: no such secret",
				    tp->tp_source);
				return -1;
			}
			if (tpl_encode(
			        out, t->t_ctx, tp, secret, err, errlen) == -1)
				return -1;
			continue;
		case TPL_DAY:
		case TPL_NOW:
		default:
			if (tpl_time(tp, now_ms, tz, value, sizeof value) ==
			    -1) {
				snprintf(err, errlen,
				    "%s: the time %" PRId64
				    " ms cannot be written",
				    tp->tp_source, now_ms);
				return -1;
			}
			if (tpl_encode(out, t->t_ctx, tp, value, err, errlen) ==
			    -1)
				return -1;
			continue;
		}
	}
	return 0;
}

/* Checks a strftime pattern: known conversions only, and no %s, which
 * glibc computes in the process's zone; NULL or a reason. */
static const char *
tpl_check_pattern(const char *pat, enum template_context ctx)
{
	const char *p;
	int width;

	if (strlen(pat) > TPL_PATTERN_MAX)
		return "strftime pattern too long (64 bytes at most)";
	for (p = pat; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		while (*p != '\0' && strchr("_-0^#", *p) != NULL)
			p++;
		for (width = 0; isdigit((unsigned char)*p); p++) {
			width = width * 10 + (*p - '0');
			if (width > TPL_WIDTH_MAX)
				return "strftime field width over 32";
		}
		if (*p == 'E' || *p == 'O')
			p++;
		if (*p == 's')
			return "%s is not supported (use :unix)";
		if (*p == 'n' && ctx == TEMPLATE_HEADER)
			return "%n cannot go in a header";
		if (*p == '\0' ||
		    strchr("aAbBcCdDeFgGhHIjklmMnprRStTuUVwWxXyYzZ%", *p) ==
		        NULL)
			return "unknown strftime conversion";
	}
	return NULL;
}

/* Parses a whole number of days ("7d") into *days; 0 or -1. */
static int
tpl_parse_days(const char *text, int64_t *days)
{
	char digits[16];
	size_t n = strlen(text);
	unsigned v;

	if (n < 2 || n >= sizeof digits || text[n - 1] != 'd')
		return -1;
	memcpy(digits, text, n - 1);
	digits[n - 1] = '\0';
	if (parse_uint(digits, 0, TPL_DAYS_MAX, &v) == -1)
		return -1;
	*days = v;
	return 0;
}

/* Parses the offset of a today/yesterday (days) or now (ms) placeholder,
 * sign included, into tp; 0 or -1. */
static int
tpl_parse_offset(struct tpl_part *tp, const char *text)
{
	int sign = *text == '-' ? -1 : 1;
	uint64_t ms;
	int64_t days;

	if (*text != '-' && *text != '+')
		return -1;
	text++;
	if (tpl_parse_days(text, &days) == 0) {
		if (tp->tp_kind == TPL_DAY)
			tp->tp_offset += sign * days;
		else
			tp->tp_offset = sign * days * TPL_DAY_MS;
		return 0;
	}
	/* A day is a calendar day: "today+6h" is not a day. */
	if (tp->tp_kind == TPL_DAY || parse_duration_ms(text, &ms) == -1)
		return -1;
	tp->tp_offset = sign * (int64_t)ms;
	return 0;
}

/* Parses the format after the colon into tp; NULL or a reason. */
static const char *
tpl_parse_format(
    struct tpl_part *tp, const char *fmt, enum template_context ctx)
{
	const char *why;

	if (strcmp(fmt, "unix") == 0)
		tp->tp_format = TPL_UNIX;
	else if (strcmp(fmt, "unix_ms") == 0)
		tp->tp_format = TPL_UNIX_MS;
	else if (strcmp(fmt, "rfc3339") == 0)
		tp->tp_format = TPL_RFC3339;
	else if (strchr(fmt, '%') == NULL)
		return "unknown format (use unix, unix_ms, rfc3339 or a "
		       "strftime pattern such as %Y%m%d)";
	else if ((why = tpl_check_pattern(fmt, ctx)) != NULL)
		return why;
	else {
		tp->tp_format = TPL_STRFTIME;
		free(tp->tp_text);
		if ((tp->tp_text = strdup(fmt)) == NULL)
			return "out of memory";
	}
	return NULL;
}

/* Parses a time placeholder (inner is between "${" and "}") into tp;
 * NULL or a reason. */
static const char *
tpl_parse_time(struct tpl_part *tp, char *inner, enum template_context ctx)
{
	char *fmt, *off;
	size_t n;

	if ((fmt = strchr(inner, ':')) != NULL)
		*fmt++ = '\0';
	n = strcspn(inner, "+-");
	off = inner + n;
	if (n == 5 && strncmp(inner, "today", n) == 0)
		tp->tp_kind = TPL_DAY;
	else if (n == 9 && strncmp(inner, "yesterday", n) == 0) {
		tp->tp_kind = TPL_DAY;
		tp->tp_offset = -1;
	} else if (n == 3 && strncmp(inner, "now", n) == 0)
		tp->tp_kind = TPL_NOW;
	else
		return "unknown placeholder (use today, yesterday, now or "
		       "secret:NAME)";
	if (*off != '\0' && tpl_parse_offset(tp, off) == -1)
		return tp->tp_kind == TPL_DAY
		    ? "bad offset (a number of days, e.g. today-7d)"
		    : "bad offset (a duration, e.g. now-30m, now+1h, now-7d)";
	/* Defaults: a date for days, a full time for now. */
	tp->tp_format = tp->tp_kind == TPL_DAY ? TPL_STRFTIME : TPL_RFC3339;
	if ((tp->tp_text = strdup("%Y-%m-%d")) == NULL)
		return "out of memory";
	if (fmt == NULL)
		return NULL;
	if (*fmt == '\0')
		return "empty format after the colon";
	return tpl_parse_format(tp, fmt, ctx);
}

/* Parses the placeholder at p ("${...}", len bytes) into tp; NULL or a
 * reason. */
static const char *
tpl_parse_placeholder(struct tpl_part *tp, const char *p, size_t len,
    enum template_context ctx, template_secret_cb *exists, void *arg)
{
	char inner[TPL_PLACEHOLDER_MAX + 1];

	if ((tp->tp_source = strndup(p, len)) == NULL)
		return "out of memory";
	if (len - 3 > TPL_PLACEHOLDER_MAX)
		return "placeholder too long";
	memcpy(inner, p + 2, len - 3);
	inner[len - 3] = '\0';
	if (strncmp(inner, "secret:", 7) != 0)
		return tpl_parse_time(tp, inner, ctx);
	tp->tp_kind = TPL_SECRET;
	if ((tp->tp_text = strdup(inner + 7)) == NULL)
		return "out of memory";
	if (!parse_valid_name(tp->tp_text))
		return "invalid secret name (1 to 64 of A-Z a-z 0-9 _ . -)";
	if (exists == NULL || exists(tp->tp_text, arg) == NULL)
		return "unknown secret (define it in [gatherd] first: "
		       "secret NAME = FILE)";
	return NULL;
}

/* Adds an empty part to t; returns it, or NULL if out of memory. */
static struct tpl_part *
tpl_add_part(struct tpl *t)
{
	struct tpl_part *parts;

	parts = reallocarray(t->t_parts, t->t_nparts + 1, sizeof *parts);
	if (parts == NULL)
		return NULL;
	t->t_parts = parts;
	memset(&parts[t->t_nparts], 0, sizeof *parts);
	return &parts[t->t_nparts++];
}

/* Ends the literal run in lit, if any, as a part of t; 0 or -1. */
static int
tpl_flush_literal(struct tpl *t, struct template_buf *lit)
{
	struct tpl_part *tp;

	if (lit->tb_len == 0)
		return 0;
	if ((tp = tpl_add_part(t)) == NULL)
		return -1;
	tp->tp_kind = TPL_LITERAL;
	tp->tp_len = lit->tb_len;
	if ((tp->tp_text = strndup(lit->tb_data, lit->tb_len)) == NULL)
		return -1;
	lit->tb_len = 0;
	return 0;
}

/* Compiles text for ctx; see template.h. */
struct tpl *
template_compile(const char *text, enum template_context ctx,
    template_secret_cb *exists, void *arg, char *err, size_t errlen)
{
	struct template_buf lit = {0};
	struct tpl *t;
	struct tpl_part *tp;
	const char *p = text, *end, *why;

	if ((t = calloc(1, sizeof *t)) == NULL ||
	    (t->t_text = strdup(text)) == NULL)
		goto nomem;
	t->t_ctx = ctx;
	while (*p != '\0') {
		if (ctx == TEMPLATE_HEADER && (*p == '\r' || *p == '\n')) {
			snprintf(err, errlen, "CR or LF in a header");
			goto fail;
		}
		if (p[0] != '$' || (p[1] != '$' && p[1] != '{')) {
			if (tpl_append(&lit, p++, 1) == -1)
				goto nomem;
			continue;
		}
		if (p[1] == '$') {
			/* "$$" is one "$", never the start of a "${". */
			if (tpl_append(&lit, p, 1) == -1)
				goto nomem;
			p += 2;
			continue;
		}
		if ((end = strchr(p, '}')) == NULL) {
			snprintf(err, errlen,
			    "unterminated \"${\" (write $$ for a $)");
			goto fail;
		}
		if (tpl_flush_literal(t, &lit) == -1 ||
		    (tp = tpl_add_part(t)) == NULL)
			goto nomem;
		why = tpl_parse_placeholder(
		    tp, p, (size_t)(end - p) + 1, ctx, exists, arg);
		if (why != NULL) {
			snprintf(err, errlen, "%.*s: %s",
			    (int)((end - p) + 1 > 80 ? 80 : (end - p) + 1), p,
			    why);
			goto fail;
		}
		p = end + 1;
	}
	if (tpl_flush_literal(t, &lit) == -1)
		goto nomem;
	template_buf_free(&lit);
	return t;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	template_buf_free(&lit);
	template_free(t);
	return NULL;
}

/* Frees t; NULL is allowed. */
void
template_free(struct tpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->t_nparts; i++) {
		free(t->t_parts[i].tp_text);
		free(t->t_parts[i].tp_source);
	}
	free(t->t_parts);
	free(t->t_text);
	free(t);
}

/* Returns the text t was compiled from. */
const char *
template_text(const struct tpl *t)
{
	return t->t_text;
}

/* Returns 1 if t has no placeholder. */
int
template_is_literal(const struct tpl *t)
{
	size_t i;

	for (i = 0; i < t->t_nparts; i++) {
		if (t->t_parts[i].tp_kind != TPL_LITERAL)
			return 0;
	}
	return 1;
}

/* Returns the context for a body of the given Content-Type. */
enum template_context
template_body_context(const char *content_type)
{
	size_t n;

	if (content_type == NULL)
		return TEMPLATE_JSON;
	/* The media type, without parameters or white space. */
	n = strcspn(content_type, "; \t");
	if ((n == 16 &&
	        strncasecmp(content_type, "application/json", n) == 0) ||
	    (n > 5 && strncasecmp(content_type + n - 5, "+json", 5) == 0))
		return TEMPLATE_JSON;
	if (n == 33 &&
	    strncasecmp(content_type, "application/x-www-form-urlencoded", n) ==
	        0)
		return TEMPLATE_FORM;
	return TEMPLATE_RAW;
}
