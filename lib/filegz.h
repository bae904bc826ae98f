/*
 * gzip copies of the dashboard's files: each made once per version of
 * a file (its URL path, size and modification time), by the first
 * request that accepts gzip, and kept while the file stays as it is.
 * Bounded: at most FILEGZ_MAX_FILES files of at most FILEGZ_MAX_SIZE
 * bytes; others are sent as they are.  The opening and the checks stay
 * files.c's; this only reads an open file and compresses it.
 */
#ifndef GATHERD_FILEGZ_H
#define GATHERD_FILEGZ_H

#include <stddef.h>

#include "files.h"

/* Files with a gzip copy kept at once. */
#define FILEGZ_MAX_FILES 64
/* Bigger files are sent as they are (the dashboard's biggest: 51 KB). */
#define FILEGZ_MAX_SIZE (1024 * 1024)

struct filegz;

/* Returns an empty set of copies; NULL if out of memory. */
struct filegz *filegz_new(void);
/* Frees fg and its copies; NULL is allowed. */
void filegz_free(struct filegz *fg);
/*
 * Returns the gzip copy of the file fr has open for URL path path, made
 * now from fr's fd (read with pread, its offset untouched) if there is
 * none for this size and time; its length in *len.  NULL if the file is
 * too small or too big to keep, the set is full, or on error: send it
 * as it is.  The copy is fg's, valid until the next call.
 */
const char *filegz_get(struct filegz *fg, const char *path,
    const struct files_result *fr, size_t *len);

#endif
