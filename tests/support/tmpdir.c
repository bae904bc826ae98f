/*
 * Temporary directories for the files a test writes: mkdtemp under
 * /tmp, the files remembered, all of it removed by tmpdir_remove.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "tmpdir.h"

/* Makes a new temporary directory. */
void
tmpdir_make(struct tmpdir *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->t_path, sizeof t->t_path, "/tmp/gatherd-check-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->t_path));
}

/* Writes text as file name in t; returns its path (owned by t). */
const char *
tmpdir_write(struct tmpdir *t, const char *name, const char *text)
{
	char *path;
	FILE *f;

	ck_assert_uint_lt(
	    t->t_nfiles, sizeof t->t_files / sizeof t->t_files[0]);
	ck_assert_int_gt(asprintf(&path, "%s/%s", t->t_path, name), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	t->t_files[t->t_nfiles++] = path;
	return path;
}

/* Returns the text of the file at path, up to a NUL (free it). */
char *
tmpdir_read(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;

	ck_assert_msg(fp != NULL, "%s: cannot open", path);
	if (getdelim(&text, &cap, '\0', fp) < 0) {
		free(text);
		text = strdup("");
	}
	fclose(fp);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* Removes t's files and t itself. */
void
tmpdir_remove(struct tmpdir *t)
{
	char state[128];
	size_t i;

	for (i = 0; i < t->t_nfiles; i++) {
		ck_assert_int_eq(unlink(t->t_files[i]), 0);
		free(t->t_files[i]);
	}
	/* The daemon's state file, when the test ran one. */
	snprintf(state, sizeof state, "%s/state.json", t->t_path);
	unlink(state);
	ck_assert_int_eq(rmdir(t->t_path), 0);
}
