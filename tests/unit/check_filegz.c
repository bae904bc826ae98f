/*
 * Unit tests of the dashboard files' gzip copies: one copy per version
 * of a file (the same buffer while its size and time stay), a new one
 * when either moves, the file's offset left alone, and the files sent
 * as they are (too small, too big, a full set).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "client.h"
#include "filegz.h"
#include "gzip.h"
#include "runner.h"
#include "tmpdir.h"

/* Opens path as files_open would hand it over, with size and time. */
static void
open_as(struct files_result *fr, const char *path, size_t size, int64_t mtime)
{
	memset(fr, 0, sizeof *fr);
	fr->fr_fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fr->fr_fd, 0);
	fr->fr_size = size;
	fr->fr_mtime = mtime;
}

/* Asserts gz (len bytes) inflates to want. */
static void
assert_copy_of(const char *gz, size_t len, const char *want)
{
	size_t n = 0;
	char *text = client_gunzip(gz, len, &n);

	ck_assert_uint_eq(n, strlen(want));
	ck_assert_msg(memcmp(text, want, n) == 0, "not the file's bytes");
	free(text);
}

/* Made once per version: the same copy until the size or time moves. */
START_TEST(test_once_per_version)
{
	struct files_result fr;
	struct filegz *fg;
	const char *path, *gz, *again;
	char v1[4096], v2[4096];
	size_t len = 0, len2 = 0;
	struct tmpdir t;
	FILE *f;

	memset(v1, 'x', sizeof v1 - 1);
	v1[sizeof v1 - 1] = '\0';
	memcpy(v2, v1, sizeof v2);
	v2[10] = 'y';
	tmpdir_make(&t);
	path = tmpdir_write(&t, "app.js", v1);
	fg = filegz_new();
	ck_assert_ptr_nonnull(fg);
	open_as(&fr, path, strlen(v1), 100);
	gz = filegz_get(fg, "/app.js", &fr, &len);
	ck_assert_ptr_nonnull(gz);
	assert_copy_of(gz, len, v1);
	/* Read with pread: the fd is still at its start for a plain send. */
	ck_assert_int_eq(lseek(fr.fr_fd, 0, SEEK_CUR), 0);
	close(fr.fr_fd);
	/* The same version: the same copy, not made again. */
	open_as(&fr, path, strlen(v1), 100);
	again = filegz_get(fg, "/app.js", &fr, &len2);
	ck_assert_ptr_eq(again, gz);
	ck_assert_uint_eq(len2, len);
	close(fr.fr_fd);
	/* Rewritten, same size, a later time: a new copy of the new bytes. */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(v2, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	open_as(&fr, path, strlen(v2), 101);
	gz = filegz_get(fg, "/app.js", &fr, &len);
	ck_assert_ptr_nonnull(gz);
	assert_copy_of(gz, len, v2);
	close(fr.fr_fd);
	filegz_free(fg);
	filegz_free(NULL);
	tmpdir_remove(&t);
}
END_TEST

/* Too small, too big, shorter than said, or no room: sent as it is. */
START_TEST(test_left_as_is)
{
	struct files_result fr;
	struct filegz *fg;
	const char *path;
	char name[32], text[512];
	size_t len = 0, i;
	struct tmpdir t;

	memset(text, 'z', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	tmpdir_make(&t);
	path = tmpdir_write(&t, "big.js", text);
	fg = filegz_new();
	ck_assert_ptr_nonnull(fg);
	open_as(&fr, path, GZIP_MIN_BODY - 1, 1);
	ck_assert_ptr_null(filegz_get(fg, "/small.js", &fr, &len));
	fr.fr_size = FILEGZ_MAX_SIZE + 1;
	ck_assert_ptr_null(filegz_get(fg, "/huge.js", &fr, &len));
	/* fstat said more than the file holds: it changed, no copy. */
	fr.fr_size = sizeof text + 100;
	ck_assert_ptr_null(filegz_get(fg, "/short.js", &fr, &len));
	/* A full set: the next file goes as it is, the kept ones stay. */
	fr.fr_size = strlen(text);
	for (i = 0; i < FILEGZ_MAX_FILES; i++) {
		snprintf(name, sizeof name, "/f%zu.js", i);
		ck_assert_ptr_nonnull(filegz_get(fg, name, &fr, &len));
	}
	ck_assert_ptr_null(filegz_get(fg, "/one-more.js", &fr, &len));
	ck_assert_ptr_nonnull(filegz_get(fg, "/f0.js", &fr, &len));
	close(fr.fr_fd);
	filegz_free(fg);
	tmpdir_remove(&t);
}
END_TEST

/* Builds the suite. */
static Suite *
filegz_suite(void)
{
	Suite *s = suite_create("filegz");
	TCase *tc;

	tc = tcase_create("copies");
	tcase_add_test(tc, test_once_per_version);
	tcase_add_test(tc, test_left_as_is);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_run(filegz_suite()) == 0 ? 0 : 1;
}
