/*
 * The libjq glue: compiling programs once into a set keyed by their
 * text, giving jq the tree json-c parsed once per poll, and running a
 * program to its first output, which is turned into a json-c scalar or
 * a one-line message.  jq's values are reference counted: every jv
 * handed to jq is consumed by it, so each use of the document is a
 * jv_copy.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <json-c/linkhash.h>

#include "extract_jq.h"

/* Where the largest exact integer of a double ends. */
#define EXTRACT_JQ_EXACT 9007199254740992.0

/* One compiled program, shared by every stat and source with its text. */
struct extract_jq {
	jq_state *ej_jq;
	char *ej_text;
};

/* The distinct programs of one config. */
struct extract_jq_set {
	struct lh_table *js_programs; /* text -> struct extract_jq */
};

/* One body as jq sees it. */
struct extract_jq_doc {
	jv jd_value;
};

/* The first message jq reports while compiling. */
struct extract_jq_msg {
	char *jm_buf;
	size_t jm_len;
	int jm_set;
};

/* Returns the program of value if it starts with "jq:", else NULL. */
const char *
extract_jq_program_of(const char *value)
{
	size_t n = strlen(EXTRACT_JQ_PREFIX);

	if (strncmp(value, EXTRACT_JQ_PREFIX, n) != 0)
		return NULL;
	value += n;
	while (*value == ' ' || *value == '\t')
		value++;
	return value;
}

/* Copies n bytes of text into buf as one line: control bytes become
 * spaces, and a cut never leaves half a UTF-8 character. */
static void
extract_jq_line(const char *text, size_t n, char *buf, size_t buflen)
{
	size_t i;

	if (buflen == 0)
		return;
	if (n > buflen - 1) {
		n = buflen - 1;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): a char */
		buf[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	buf[n] = '\0';
}

/*
 * Writes jq's message msg (consumed) into buf on one line; with
 * first_line only its first line (a compile error's, before jq quotes
 * the program), without jq's "jq: error: " or a trailing colon.
 */
static void
extract_jq_message(jv msg, int first_line, char *buf, size_t buflen)
{
	const char *s, *prefix = "jq: error: ";
	size_t n;

	/* Not jq_format_error: it prints to stderr on some values. */
	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, JV_PRINT_INVALID);
	s = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg)
	                                       : "unknown error";
	n = strlen(s);
	if (first_line) {
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			s += strlen(prefix);
		n = strcspn(s, "\n");
		while (n > 0 && (s[n - 1] == ':' || s[n - 1] == ' '))
			n--;
	}
	extract_jq_line(s, n, buf, buflen);
	jv_free(msg);
}

/* Writes v (consumed) as JSON into buf, cut short with "..." if long. */
static void
extract_jq_dump(jv v, char *buf, size_t buflen)
{
	jv text = jv_dump_string(v, 0);
	const char *s =
	    jv_get_kind(text) == JV_KIND_STRING ? jv_string_value(text) : "";
	size_t n = strlen(s);

	if (n < buflen || buflen < 4) {
		extract_jq_line(s, n, buf, buflen);
	} else {
		extract_jq_line(s, n, buf, buflen - 3);
		memcpy(buf + strlen(buf), "...", 4);
	}
	jv_free(text);
}

/* jq's error callback while compiling: keeps the first message. */
static void
extract_jq_compile_error_cb(void *arg, jv msg)
{
	struct extract_jq_msg *m = arg;

	if (m->jm_set) {
		jv_free(msg);
		return;
	}
	m->jm_set = 1;
	extract_jq_message(msg, 1, m->jm_buf, m->jm_len);
}

/* jq's error callback once compiled: runtime errors come back from
 * jq_next, so anything else reported is dropped rather than printed. */
static void
extract_jq_quiet_cb(void *arg, jv msg)
{
	jv_free(msg);
}

/* jq's handler for memory exhausted; jq aborts after it. */
static void
extract_jq_nomem_cb(void *arg)
{
	static const char msg[] = "gatherd: jq: out of memory\n";

	fputs(msg, stderr);
}

/* Frees one compiled program. */
static void
extract_jq_free(struct extract_jq *ej)
{
	if (ej == NULL)
		return;
	jq_teardown(&ej->ej_jq);
	free(ej->ej_text);
	free(ej);
}

/* Frees the program of one entry of the set's table. */
static void
extract_jq_entry_free_cb(struct lh_entry *e)
{
	extract_jq_free(lh_entry_v(e));
}

/* Compiles program into a new struct; NULL with jq's message in err. */
static struct extract_jq *
extract_jq_compile(const char *program, char *err, size_t errlen)
{
	struct extract_jq_msg m = {err, errlen, 0};
	struct extract_jq *ej;

	snprintf(err, errlen, "out of memory");
	if ((ej = calloc(1, sizeof *ej)) == NULL)
		return NULL;
	if ((ej->ej_text = strdup(program)) == NULL ||
	    (ej->ej_jq = jq_init()) == NULL)
		goto fail;
	/*
	 * jq_init leaves these unset; no input (input fails), no debug
	 * output, and no library search path but none: a program is one
	 * config line, not a reason to read modules from disk.
	 */
	jq_set_nomem_handler(ej->ej_jq, extract_jq_nomem_cb, NULL);
	jq_set_input_cb(ej->ej_jq, NULL, NULL);
	jq_set_debug_cb(ej->ej_jq, NULL, NULL);
	jq_set_attr(ej->ej_jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
	jq_set_attr(ej->ej_jq, jv_string("JQ_ORIGIN"), jv_string("/"));
	jq_set_attr(ej->ej_jq, jv_string("PROGRAM_ORIGIN"), jv_string("/"));
	jq_set_error_cb(ej->ej_jq, extract_jq_compile_error_cb, &m);
	if (!jq_compile(ej->ej_jq, program)) {
		if (!m.jm_set)
			snprintf(err, errlen, "the program does not compile");
		goto fail;
	}
	jq_set_error_cb(ej->ej_jq, extract_jq_quiet_cb, NULL);
	return ej;
fail:
	extract_jq_free(ej);
	return NULL;
}

/* Creates an empty set of programs; NULL if out of memory. */
struct extract_jq_set *
extract_jq_set_new(void)
{
	struct extract_jq_set *set;

	if ((set = calloc(1, sizeof *set)) == NULL)
		return NULL;
	set->js_programs = lh_kchar_table_new(16, extract_jq_entry_free_cb);
	if (set->js_programs == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

/* Frees set and every program in it; NULL is allowed. */
void
extract_jq_set_free(struct extract_jq_set *set)
{
	if (set == NULL)
		return;
	lh_table_free(set->js_programs);
	free(set);
}

/* Returns the compiled program, compiling it unless set holds it. */
struct extract_jq *
extract_jq_set_add(
    struct extract_jq_set *set, const char *program, char *err, size_t errlen)
{
	struct extract_jq *ej;
	void *found;

	if (lh_table_lookup_ex(set->js_programs, program, &found))
		return found;
	if ((ej = extract_jq_compile(program, err, errlen)) == NULL)
		return NULL;
	/* The key is the program's own copy of its text, freed with it. */
	if (lh_table_insert(set->js_programs, ej->ej_text, ej) != 0) {
		snprintf(err, errlen, "out of memory");
		extract_jq_free(ej);
		return NULL;
	}
	return ej;
}

/* Returns how many distinct programs set holds. */
size_t
extract_jq_set_count(const struct extract_jq_set *set)
{
	return (size_t)lh_table_length(set->js_programs);
}

/* Returns the text of jq, as compiled. */
const char *
extract_jq_text(const struct extract_jq *jq)
{
	return jq->ej_text;
}

/* Slots of the table of keys seen in one body (a power of two). */
#define EXTRACT_JQ_KEYS 128

/*
 * The keys of one body's objects as jq strings, by their text: an API
 * repeats the same few keys in every row, and jq hashes a string once,
 * so each key is made (and hashed) once a body instead of once a use.
 */
struct extract_jq_keys {
	struct {
		const char *ek_name; /* json-c's text; NULL: free slot */
		size_t ek_len;
		jv ek_key;
	} ek_slot[EXTRACT_JQ_KEYS];
};

/* Returns the jq string for the key name of length len (a copy the
 * caller owns), from keys or made and kept there. */
static jv
extract_jq_key(struct extract_jq_keys *keys, const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i, probe;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	for (probe = 0; probe < 8; probe++) {
		i = (h + probe) & (EXTRACT_JQ_KEYS - 1);
		if (keys->ek_slot[i].ek_name == NULL) {
			keys->ek_slot[i].ek_name = name;
			keys->ek_slot[i].ek_len = len;
			keys->ek_slot[i].ek_key = jv_string_sized(
			    name, len > INT_MAX ? INT_MAX : (int)len);
			return jv_copy(keys->ek_slot[i].ek_key);
		}
		if (keys->ek_slot[i].ek_len == len &&
		    memcmp(keys->ek_slot[i].ek_name, name, len) == 0)
			return jv_copy(keys->ek_slot[i].ek_key);
	}
	return jv_string_sized(name, len > INT_MAX ? INT_MAX : (int)len);
}

/* Frees the strings keys holds. */
static void
extract_jq_keys_clear(struct extract_jq_keys *keys)
{
	size_t i;

	for (i = 0; i < EXTRACT_JQ_KEYS; i++) {
		if (keys->ek_slot[i].ek_name != NULL)
			jv_free(keys->ek_slot[i].ek_key);
	}
}

/*
 * Returns o as a jq value: json-c has parsed and checked the body, so jq
 * is given the tree rather than the text (jq 1.6's parser is slower than
 * json-c's and this copy together).  json-c's depth limit bounds the
 * recursion.
 */
static jv
extract_jq_value(struct extract_jq_keys *keys, struct json_object *o)
{
	struct json_object_iter it;
	size_t i, n;
	jv v;

	switch (json_object_get_type(o)) {
	case json_type_boolean:
		return jv_bool(json_object_get_boolean(o));
	case json_type_int:
	case json_type_double:
		return jv_number(json_object_get_double(o));
	case json_type_string:
		return jv_string_sized(
		    json_object_get_string(o), json_object_get_string_len(o));
	case json_type_array:
		n = json_object_array_length(o);
		if (n > INT_MAX)
			n = INT_MAX;
		v = jv_array_sized((int)n);
		for (i = 0; i < n; i++)
			v = jv_array_set(v, (int)i,
			    extract_jq_value(
			        keys, json_object_array_get_idx(o, i)));
		return v;
	case json_type_object:
		v = jv_object();
		json_object_object_foreachC(o, it)
		{
			v = jv_object_set(v,
			    extract_jq_key(keys, it.key, strlen(it.key)),
			    extract_jq_value(keys, it.val));
		}
		return v;
	case json_type_null:
	default:
		return jv_null();
	}
}

/* Makes the body json-c parsed as doc into a document for jq; NULL if
 * out of memory. */
struct extract_jq_doc *
extract_jq_doc_new(struct json_object *doc)
{
	struct extract_jq_doc *jd;

	struct extract_jq_keys keys;

	if ((jd = malloc(sizeof *jd)) == NULL)
		return NULL;
	memset(&keys, 0, sizeof keys);
	jd->jd_value = extract_jq_value(&keys, doc);
	extract_jq_keys_clear(&keys);
	return jd;
}

/* Frees doc; NULL is allowed. */
void
extract_jq_doc_free(struct extract_jq_doc *doc)
{
	if (doc == NULL)
		return;
	jv_free(doc->jd_value);
	free(doc);
}

/* Makes the number n (consumed) into a json-c value: an integer when it
 * is one, else a double shown as jq writes it (0.67, not json-c's
 * 0.67000000000000004). */
static struct json_object *
extract_jq_number(jv n)
{
	double d = jv_number_value(n);
	struct json_object *v;
	jv text;

	if (d == floor(d) && fabs(d) <= EXTRACT_JQ_EXACT) {
		jv_free(n);
		return json_object_new_int64((int64_t)d);
	}
	text = jv_dump_string(n, 0);
	v = jv_get_kind(text) == JV_KIND_STRING
	    ? json_object_new_double_s(d, jv_string_value(text))
	    : NULL;
	jv_free(text);
	return v;
}

/* Turns the first output out (consumed) into a result. */
static enum extract_jq_out
extract_jq_output(
    jq_state *jq, jv out, struct json_object **value, char *msg, size_t msglen)
{
	enum extract_jq_out r = EXTRACT_JQ_SCALAR;
	jv_kind kind = jv_get_kind(out);
	double d;

	switch (kind) {
	case JV_KIND_INVALID:
		if (jv_invalid_has_msg(jv_copy(out))) {
			extract_jq_message(
			    jv_invalid_get_msg(out), 0, msg, msglen);
			return EXTRACT_JQ_ERROR;
		}
		jv_free(out);
		if (jq_halted(jq)) {
			/* halt_error's message, or halt's silence. */
			out = jq_get_error_message(jq);
			if (jv_is_valid(out) &&
			    jv_get_kind(out) != JV_KIND_NULL) {
				extract_jq_message(out, 0, msg, msglen);
				return EXTRACT_JQ_ERROR;
			}
			jv_free(out);
		}
		snprintf(msg, msglen, "no output");
		return EXTRACT_JQ_NONE;
	case JV_KIND_NULL:
		*value = NULL;
		break;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		*value = json_object_new_boolean(kind == JV_KIND_TRUE);
		break;
	case JV_KIND_NUMBER:
		d = jv_number_value(out);
		if (!isfinite(d)) {
			snprintf(msg, msglen, "%s is not a JSON number",
			    isnan(d) ? "nan" : "an infinite number");
			r = EXTRACT_JQ_ERROR;
			break;
		}
		*value = extract_jq_number(jv_copy(out));
		break;
	case JV_KIND_STRING:
		*value = json_object_new_string_len(
		    jv_string_value(out), jv_string_length_bytes(jv_copy(out)));
		break;
	case JV_KIND_OBJECT:
	case JV_KIND_ARRAY:
	default:
		extract_jq_dump(jv_copy(out), msg, msglen);
		r = kind == JV_KIND_OBJECT ? EXTRACT_JQ_OBJECT
		                           : EXTRACT_JQ_ARRAY;
		break;
	}
	if (r == EXTRACT_JQ_SCALAR && kind != JV_KIND_NULL && *value == NULL) {
		snprintf(msg, msglen, "out of memory");
		r = EXTRACT_JQ_ERROR;
	}
	jv_free(out);
	return r;
}

/* Runs jq on doc and returns what its first output was. */
enum extract_jq_out
extract_jq_run(struct extract_jq *jq, struct extract_jq_doc *doc,
    struct json_object **value, char *msg, size_t msglen)
{
	enum extract_jq_out r;

	*value = NULL;
	msg[0] = '\0';
	jq_start(jq->ej_jq, jv_copy(doc->jd_value), 0);
	r = extract_jq_output(
	    jq->ej_jq, jq_next(jq->ej_jq), value, msg, msglen);
	/* Let the rest of the run (and its hold on the body) go now. */
	jq_start(jq->ej_jq, jv_null(), 0);
	/*
	 * jq 1.6's reset frees a halted run's exit code and message but
	 * keeps them, so the next reset would free them again: replace
	 * them with values that hold nothing (halted is cleared again by
	 * the next jq_start).
	 */
	jq_halt(jq->ej_jq, jv_invalid(), jv_invalid());
	return r;
}
