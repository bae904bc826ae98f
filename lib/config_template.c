/*
 * Reads the keys that are templates or shape them: a source's url
 * (checked, and compiled without its user and password), its header
 * lines, and its timezone.  Each is compiled or opened at load, so an
 * error names its FILE:LINE.  Templates are template.c's, zones tz.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "config_private.h"
#include "parse.h"
#include "template.h"
#include "tz.h"

/* Returns the value of the named secret of the config arg, or NULL:
 * template_compile's check that a ${secret:NAME} exists. */
static const char *
config_template_secret(const char *name, void *arg)
{
	return config_secret(arg, name);
}

/*
 * Compiles text, the value of key what, as a template for ctx; NULL
 * with the error recorded (at line, 0 for the current one).  A
 * ${secret:NAME} must name a secret [gatherd] defined before it.
 */
static struct tpl *
config_template_at(struct config_parse *cp, int line, const char *what,
    const char *text, enum template_context ctx)
{
	char err[CONFIG_ERR_LEN];
	struct tpl *t;

	if ((t = template_compile(text, ctx, config_template_secret, cp->cp_cf,
	         err, sizeof err)) == NULL)
		config_error(cp, line, "%s: %s", what, err);
	return t;
}

/* Compiles text, key what's value on the current line, for ctx. */
static struct tpl *
config_template(struct config_parse *cp, const char *what, const char *text,
    enum template_context ctx)
{
	return config_template_at(cp, 0, what, text, ctx);
}

/* Compiles src's body as a template for its content type once its
 * section is read; 0, or -1 with the error recorded at the body's line. */
int
config_compile_body(struct config_parse *cp, struct config_source *src)
{
	char what[CONFIG_ERR_LEN];

	if (src->src_body == NULL)
		return 0;
	snprintf(what, sizeof what, "source %s: body", src->src_name);
	template_free(src->src_body_tpl);
	src->src_body_tpl = config_template_at(cp, src->src_body_line, what,
	    src->src_body, template_body_context(src->src_content_type));
	return src->src_body_tpl != NULL ? 0 : -1;
}

/* Returns how many "${" text holds. */
static size_t
config_count_placeholders(const char *text)
{
	size_t n = 0;

	while ((text = strstr(text, "${")) != NULL) {
		n++;
		text += 2;
	}
	return n;
}

/* Sets src's url and its template, which is of the url without user and
 * password (those go to curl apart); 1 or 0 as inih wants. */
int
config_set_url(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	struct tpl *t;
	const char *why;
	char *shown;

	if ((why = parse_check_url(value)) != NULL) {
		/* A "${" in the scheme, host or port is what curl refuses. */
		config_error(cp, 0, "url %s%s", why,
		    strstr(value, "${") != NULL
		        ? " (templates go in the path and query only)"
		        : "");
		return 0;
	}
	shown = strchr(value, '@') != NULL ? config_redact_url(value)
	                                   : strdup(value);
	if (shown == NULL)
		return 0;
	if (config_count_placeholders(shown) !=
	    config_count_placeholders(value)) {
		config_error(cp, 0,
		    "url: no ${...} in the user or password "
		    "(templates go in the path and query)");
		free(shown);
		return 0;
	}
	t = config_template(cp, "url", shown, TEMPLATE_URL);
	free(shown);
	if (t == NULL)
		return 0;
	template_free(src->src_url_tpl);
	src->src_url_tpl = t;
	return config_set_string(&src->src_url, value) == 0;
}

/* Sets src's time zone for its templates; 1 or 0 as inih wants. */
int
config_set_timezone(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	char err[CONFIG_ERR_LEN];
	struct tz *tz;

	if ((tz = tz_open(value, err, sizeof err)) == NULL) {
		config_error(cp, 0, "timezone: %s", err);
		return 0;
	}
	tz_free(src->src_tz);
	src->src_tz = tz;
	return config_set_string(&src->src_timezone, value) == 0;
}

/* Adds a header line and its template to src; 1 or 0. */
int
config_add_header(
    struct config_parse *cp, struct config_source *src, const char *value)
{
	struct tpl **tpls;
	struct tpl *t;
	char **headers;

	if (!parse_valid_header(value)) {
		config_error(cp, 0,
		    "header: expected \"Name: value\", got "
		    "\"%s\"",
		    value);
		return 0;
	}
	if ((t = config_template(cp, "header", value, TEMPLATE_HEADER)) == NULL)
		return 0;
	headers = reallocarray(
	    src->src_headers, src->src_nheaders + 1, sizeof *headers);
	if (headers != NULL)
		src->src_headers = headers;
	/* NOLINTBEGIN(bugprone-sizeof-expression): an array of pointers */
	tpls = reallocarray(
	    src->src_header_tpls, src->src_nheaders + 1, sizeof *tpls);
	/* NOLINTEND(bugprone-sizeof-expression) */
	if (tpls != NULL)
		src->src_header_tpls = tpls;
	if (headers == NULL || tpls == NULL ||
	    (headers[src->src_nheaders] = strdup(value)) == NULL) {
		template_free(t);
		return 0;
	}
	tpls[src->src_nheaders] = t;
	src->src_nheaders++;
	return 1;
}
