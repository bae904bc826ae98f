/*
 * jq programs for stats and error_if, behind a small interface: the only
 * part of gatherd that sees libjq.  A set owns the distinct programs of
 * one config, each compiled once (jq 1.6 takes tens of milliseconds a
 * program) and shared by text; a document is one body as jq sees it,
 * made once per poll and run through as many programs as the source has.
 */
#ifndef GATHERD_EXTRACT_JQ_H
#define GATHERD_EXTRACT_JQ_H

#include <stddef.h>

#include <json-c/json.h>

/* The prefix of a config value that is a jq program ("jq: .a | tonumber"). */
#define EXTRACT_JQ_PREFIX "jq:"
/*
 * The default max_body of a source whose bodies jq sees: jq's work grows
 * with the body (up to about 3 s of CPU a MiB for a program such as
 * [paths] over nesting 63 deep), in a child process past 64 KiB.
 */
#define EXTRACT_JQ_MAX_BODY (1024 * 1024)

struct extract_jq;
struct extract_jq_set;
struct extract_jq_doc;

/* What a program's first output was. */
enum extract_jq_out {
	EXTRACT_JQ_NONE, /* no output at all */
	EXTRACT_JQ_ERROR, /* a jq error: the message is jq's */
	EXTRACT_JQ_SCALAR, /* number, string, boolean or null: in *value */
	EXTRACT_JQ_OBJECT, /* the message is the object as JSON, cut short */
	EXTRACT_JQ_ARRAY, /* the message is the array as JSON, cut short */
};

/* Returns the program of value if it starts with "jq:", else NULL. */
const char *extract_jq_program_of(const char *value);
/* Creates an empty set of programs; NULL if out of memory. */
struct extract_jq_set *extract_jq_set_new(void);
/* Frees set and every program in it; NULL is allowed. */
void extract_jq_set_free(struct extract_jq_set *set);
/*
 * Returns the compiled program, compiling it unless set holds it already;
 * NULL with jq's message (one line) in err if it does not compile.  The
 * set owns the program.
 */
struct extract_jq *extract_jq_set_add(
    struct extract_jq_set *set, const char *program, char *err, size_t errlen);
/* Returns how many distinct programs set holds. */
size_t extract_jq_set_count(const struct extract_jq_set *set);
/* Returns the text of jq, as compiled. */
const char *extract_jq_text(const struct extract_jq *jq);

/* Makes the body json-c parsed as doc into a document for jq; NULL if
 * out of memory.  doc is only read. */
struct extract_jq_doc *extract_jq_doc_new(struct json_object *doc);
/* Frees doc; NULL is allowed. */
void extract_jq_doc_free(struct extract_jq_doc *doc);
/*
 * Runs jq on doc and returns what its first output was.  For
 * EXTRACT_JQ_SCALAR, *value is a new json-c value the caller owns (NULL
 * for null); for the others, msg says what came out or went wrong.
 */
enum extract_jq_out
extract_jq_run(struct extract_jq *jq, struct extract_jq_doc *doc,
    struct json_object **value, char *msg, size_t msglen);

#endif
