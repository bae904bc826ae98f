/*
 * Temporary directories for the files a test writes (configs, token
 * files, web roots): made with mkdtemp under /tmp, every file written
 * remembered, and all of it removed at the end, so a test that passes
 * leaves nothing behind.
 */
#ifndef GATHERD_TMPDIR_H
#define GATHERD_TMPDIR_H

#include <stddef.h>

/* A temporary directory and the files written into it. */
struct tmpdir {
	char t_path[64];
	char *t_files[8];
	size_t t_nfiles;
};

/* Makes a new temporary directory "/tmp/gatherd-check-XXXXXX". */
void tmpdir_make(struct tmpdir *t);
/* Writes text as file name in t; returns its path (owned by t). */
const char *tmpdir_write(struct tmpdir *t, const char *name, const char *text);
/* Returns the text of the file at path, up to a NUL (free it). */
char *tmpdir_read(const char *path);
/* Removes t's files, a daemon's state.json if there is one, and t. */
void tmpdir_remove(struct tmpdir *t);

#endif
