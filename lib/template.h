/*
 * Templates in request URLs, header values and bodies: "${today}",
 * "${yesterday}", "${now}" with an optional offset ("${now-30m}",
 * "${today-7d}") and format (":%Y%m%d", ":unix", ":unix_ms",
 * ":rfc3339"), "${secret:NAME}", and "$$" for a "$".  A template is
 * compiled once, at config load, into literal runs and placeholders,
 * and expanded at each poll for a time and a zone, each value encoded
 * for where it lands.  Pure: no config, no I/O, secrets through a
 * callback.
 */
#ifndef GATHERD_TEMPLATE_H
#define GATHERD_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "tz.h"

/* Where an expansion lands, and so how each value is encoded. */
enum template_context {
	TEMPLATE_URL, /* percent-encoded (every byte but A-Z a-z 0-9 -._~) */
	TEMPLATE_JSON, /* inside a JSON string: escaped as json-c does */
	TEMPLATE_FORM, /* an application/x-www-form-urlencoded value */
	TEMPLATE_HEADER, /* verbatim, a CR or LF refused */
	TEMPLATE_RAW, /* verbatim (a body of another content type) */
};

/* Returns the value of the secret called name, or NULL if none. */
typedef const char *template_secret_cb(const char *name, void *arg);

/* A growing output buffer, reused from poll to poll; always
 * NUL-terminated once written.  It may hold secrets: freed wiped. */
struct template_buf {
	char *tb_data;
	size_t tb_len;
	size_t tb_cap;
};

struct tpl;

/*
 * Compiles text for context ctx; secrets named in it must be known to
 * exists (NULL: no secret exists).  NULL with a message in err (no
 * "FILE:LINE", which is the caller's) if a name, offset or format is
 * unknown, or if out of memory.
 */
struct tpl *template_compile(const char *text, enum template_context ctx,
    template_secret_cb *exists, void *arg, char *err, size_t errlen);
/* Frees t; NULL is allowed. */
void template_free(struct tpl *t);
/* Returns the text t was compiled from (secrets unexpanded). */
const char *template_text(const struct tpl *t);
/* Returns 1 if t has no placeholder (its expansion is its text). */
int template_is_literal(const struct tpl *t);
/*
 * Expands t at wall time now_ms in zone tz into out (emptied first),
 * secrets from lookup (NULL: none); 0, or -1 with err set (a secret's
 * value never in it).  t keeps the text of each day's start it wrote
 * last, to copy it at the next poll: one thread expands a template.
 */
int template_expand(const struct tpl *t, int64_t now_ms, struct tz *tz,
    template_secret_cb *lookup, void *arg, struct template_buf *out, char *err,
    size_t errlen);
/* Returns the context for a body of the given Content-Type. */
enum template_context template_body_context(const char *content_type);
/* Appends n bytes of s to b (NUL-terminated after them; old memory
 * wiped when it grows); 0 or -1. */
int template_buf_append(struct template_buf *b, const char *s, size_t n);
/* Wipes and frees b's memory, leaving it empty. */
void template_buf_free(struct template_buf *b);

#endif
