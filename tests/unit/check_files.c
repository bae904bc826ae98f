/*
 * Unit tests for the files module.  Each test builds its own web root under
 * mkdtemp(): pages, a subdirectory, a hidden file, symlinks inside and out
 * of the root, a FIFO and files outside it, and removes it when done (main
 * removes whatever a failed test left).  Every way out of the root, and
 * every name that is not a plain visible file in it, must be -1 and ENOENT
 * without leaking a file descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "files.h"
#include "log.h"
#include "runner.h"

#define HTML_CT "text/html; charset=utf-8"
#define CACHE_HTML "no-cache"
#define CACHE_OTHER "no-cache"

static char top[] = "/tmp/check_files.XXXXXX"; /* made and removed by main */

/* One test's directory: dir/root is served, dir/outside* must not be. */
struct fixture {
	char fx_dir[PATH_MAX];
	char fx_root[PATH_MAX];
	struct files *fx_files;
};

/* A file the fixture creates and its content. */
struct fixture_file {
	const char *ff_name; /* relative to the fixture's directory */
	const char *ff_body;
};

static const struct fixture_file fixture_files[] = {
    {"outside", "outside the root\n"},
    {"outdir/x", "inside a directory outside the root\n"},
    {"root/index.html", "<!doctype html><title>gatherd</title>\n"},
    {"root/app.js", "console.log(\"app\");\n"},
    {"root/style.css", "body { margin: 0; }\n"},
    {"root/sub/index.html", "<!doctype html><title>sub</title>\n"},
    {"root/sub/data.json", "{\"ok\": true}\n"},
    {"root/sub/deep/more.txt", "two levels down\n"},
    {"root/back\\slash.txt", "a backslash in the name\n"},
    {"root/ctl\x01.txt", "a control byte in the name\n"},
    {"root/del\x7f.txt", "a DEL in the name\n"},
    {"root/.hidden", "hidden\n"},
    {"root/sub/.hidden", "hidden too\n"},
    {"root/Upper.HTML", "<p>upper</p>\n"},
    {"root/page.htm", "<p>htm</p>\n"},
    {"root/mod.mjs", "export {};\n"},
    {"root/image.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"},
    {"root/logo.png", "\x89PNG\r\n"},
    {"root/favicon.ico", "ico"},
    {"root/font.woff2", "wOF2"},
    {"root/readme.txt", "read me\n"},
    {"root/app.js.map", "{\"version\": 3}\n"},
    {"root/photo.JPG", "jpeg"},
    {"root/blob.bin", "bin"},
    {"root/noext", "no extension"},
    {"root/archive.tar.gz", "gz"},
};

/* Joins dir and name into buf, which has PATH_MAX bytes. */
static void
path_join(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	ck_assert(n > 0 && n < PATH_MAX);
}

/* Writes body to dir/name. */
static void
write_file(const char *dir, const char *name, const char *body)
{
	char path[PATH_MAX];
	size_t len = strlen(body);
	int fd;

	path_join(path, dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	ck_assert(write(fd, body, len) == (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* Makes the directory dir/name. */
static void
make_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];

	path_join(path, dir, name);
	ck_assert_msg(mkdir(path, 0755) == 0, "%s: %s", path, strerror(errno));
}

/* Makes the symlink dir/name pointing to target. */
static void
make_link(const char *target, const char *dir, const char *name)
{
	char path[PATH_MAX];

	path_join(path, dir, name);
	ck_assert_msg(
	    symlink(target, path) == 0, "%s: %s", path, strerror(errno));
}

/* Builds the web root and the files around it, and opens the root. */
static void
fixture_init(struct fixture *fx)
{
	char target[PATH_MAX];
	char path[PATH_MAX];
	size_t i;

	path_join(fx->fx_dir, top, "t.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->fx_dir));
	make_dir(fx->fx_dir, "outdir");
	make_dir(fx->fx_dir, "root");
	make_dir(fx->fx_dir, "root/sub");
	make_dir(fx->fx_dir, "root/sub/deep");
	for (i = 0; i < sizeof fixture_files / sizeof fixture_files[0]; i++)
		write_file(fx->fx_dir, fixture_files[i].ff_name,
		    fixture_files[i].ff_body);
	path_join(fx->fx_root, fx->fx_dir, "root");
	/* Absolute symlinks out of the root, relative ones within it. */
	path_join(target, fx->fx_dir, "outside");
	make_link(target, fx->fx_root, "link-out");
	path_join(target, fx->fx_dir, "outdir");
	make_link(target, fx->fx_root, "dirlink-out");
	make_link("app.js", fx->fx_root, "link-in");
	make_link("sub", fx->fx_root, "dirlink-in");
	path_join(path, fx->fx_root, "fifo");
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	fx->fx_files = files_new(fx->fx_root);
	ck_assert_ptr_nonnull(fx->fx_files);
}

/* Removes one entry, children first; nftw callback. */
static int
remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Removes dir and everything below it, never following a symlink. */
static int
remove_tree(const char *dir)
{
	return nftw(dir, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Closes the root and removes the test's directory. */
static void
fixture_free(struct fixture *fx)
{
	files_free(fx->fx_files);
	fx->fx_files = NULL;
	ck_assert_int_eq(remove_tree(fx->fx_dir), 0);
}

/* Returns the lowest free descriptor, to catch leaks. */
static int
lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(close(fd), 0);
	return fd;
}

/* Reads all of fd into buf (size bytes at most); returns the length. */
static size_t
read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size && (n = read(fd, buf + len, size - len)) > 0)
		len += (size_t)n;
	ck_assert(len < size);
	return len;
}

/* Opens path and checks its content, type and caching, then closes it. */
static void
check_served(struct fixture *fx, const char *path, const char *file,
    const char *type, const char *cache)
{
	struct files_result r;
	char want[256], got[256];
	struct stat st;
	char disk[PATH_MAX];
	int fd, flags, free_fd;
	size_t len;

	free_fd = lowest_free_fd();
	memset(&r, 0, sizeof r);
	ck_assert_msg(files_open(fx->fx_files, path, &r) == 0, "%s: %s", path,
	    strerror(errno));
	ck_assert_int_ge(r.fr_fd, 0);
	ck_assert_str_eq(r.fr_content_type, type);
	ck_assert_str_eq(r.fr_cache_control, cache);
	/* Read-only, close-on-exec, blocking again. */
	flags = fcntl(r.fr_fd, F_GETFL);
	ck_assert_int_ne(flags, -1);
	ck_assert_int_eq(flags & O_ACCMODE, O_RDONLY);
	ck_assert_int_eq(flags & O_NONBLOCK, 0);
	ck_assert_int_eq(fcntl(r.fr_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* The right file: same size, mtime and bytes as on disk. */
	path_join(disk, fx->fx_root, file);
	ck_assert_int_eq(stat(disk, &st), 0);
	ck_assert_uint_eq(r.fr_size, (uint64_t)st.st_size);
	ck_assert_int_eq(r.fr_mtime, (int64_t)st.st_mtim.tv_sec);
	fd = open(disk, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ne(fd, -1);
	len = read_all(fd, want, sizeof want);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_uint_eq(len, r.fr_size);
	ck_assert_uint_eq(read_all(r.fr_fd, got, sizeof got), len);
	ck_assert(memcmp(got, want, len) == 0);
	ck_assert_int_eq(close(r.fr_fd), 0);
	/* No directory fd left behind by the walk. */
	ck_assert_int_eq(lowest_free_fd(), free_fd);
}

/* Copies len bytes of path into buf, control bytes as \xNN, for messages. */
static const char *
show(const char *path, size_t len, char *buf, size_t size)
{
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; i < len && n + 5 < size; i++) {
		c = (unsigned char)path[i];
		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

/* Checks that path (len bytes) is a 404 and leaves *out alone. */
static void
check_missing_n(struct fixture *fx, const char *path, size_t len)
{
	struct files_result r, before;
	char buf[128];

	memset(&r, 0xa5, sizeof r);
	memcpy(&before, &r, sizeof r);
	errno = 0;
	ck_assert_msg(files_open_n(fx->fx_files, path, len, &r) == -1,
	    "\"%s\" (%zu bytes) was served", show(path, len, buf, sizeof buf),
	    len);
	ck_assert_msg(errno == ENOENT, "\"%s\": errno %d",
	    show(path, len, buf, sizeof buf), errno);
	ck_assert(memcmp(&r, &before, sizeof r) == 0);
}

/* Checks that the C string path is a 404, through files_open. */
static void
check_missing(struct fixture *fx, const char *path)
{
	struct files_result r;

	check_missing_n(fx, path, strlen(path));
	memset(&r, 0, sizeof r);
	errno = 0;
	ck_assert_int_eq(files_open(fx->fx_files, path, &r), -1);
	ck_assert_int_eq(errno, ENOENT);
}

/* "/" and "/index.html" serve the root's index.html, never cached. */
START_TEST(test_index)
{
	struct fixture fx;

	fixture_init(&fx);
	check_served(&fx, "/", "index.html", HTML_CT, CACHE_HTML);
	check_served(&fx, "/index.html", "index.html", HTML_CT, CACHE_HTML);
	fixture_free(&fx);
}
END_TEST

/* Types by extension, case-insensitive; only HTML is no-cache. */
START_TEST(test_types)
{
	static const struct {
		const char *path, *type, *cache;
	} cases[] = {
	    {"/app.js", "text/javascript; charset=utf-8", CACHE_OTHER},
	    {"/style.css", "text/css; charset=utf-8", CACHE_OTHER},
	    {"/Upper.HTML", HTML_CT, CACHE_HTML},
	    {"/page.htm", HTML_CT, CACHE_HTML},
	    {"/mod.mjs", "text/javascript; charset=utf-8", CACHE_OTHER},
	    {"/sub/data.json", "application/json", CACHE_OTHER},
	    {"/app.js.map", "application/json", CACHE_OTHER},
	    {"/image.svg", "image/svg+xml", CACHE_OTHER},
	    {"/logo.png", "image/png", CACHE_OTHER},
	    {"/favicon.ico", "image/x-icon", CACHE_OTHER},
	    {"/font.woff2", "font/woff2", CACHE_OTHER},
	    {"/readme.txt", "text/plain; charset=utf-8", CACHE_OTHER},
	    {"/photo.JPG", "image/jpeg", CACHE_OTHER},
	    {"/blob.bin", "application/octet-stream", CACHE_OTHER},
	    {"/noext", "application/octet-stream", CACHE_OTHER},
	    {"/archive.tar.gz", "application/octet-stream", CACHE_OTHER},
	};
	struct fixture fx;
	size_t i;

	fixture_init(&fx);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_served(&fx, cases[i].path, cases[i].path + 1,
		    cases[i].type, cases[i].cache);
	fixture_free(&fx);
}
END_TEST

/* "dir/" serves its index.html; "dir" without the slash is a 404. */
START_TEST(test_subdir)
{
	struct fixture fx;

	fixture_init(&fx);
	check_served(&fx, "/sub/", "sub/index.html", HTML_CT, CACHE_HTML);
	check_served(
	    &fx, "/sub/index.html", "sub/index.html", HTML_CT, CACHE_HTML);
	check_served(&fx, "/sub/deep/more.txt", "sub/deep/more.txt",
	    "text/plain; charset=utf-8", CACHE_OTHER);
	check_missing(&fx, "/sub");
	fixture_free(&fx);
}
END_TEST

/* Names that are not there. */
START_TEST(test_missing)
{
	static const char *const paths[] = {"/missing", "/missing/",
	    "/missing/x", "/sub/missing.html", "/sub/deep/missing",
	    "/sub/deep/", "/app.js/", "/app.js/x", "/index.html/"};
	struct fixture fx;
	size_t i;
	int fd;

	fixture_init(&fx);
	fd = lowest_free_fd();
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		check_missing(&fx, paths[i]);
	ck_assert_int_eq(lowest_free_fd(), fd);
	fixture_free(&fx);
}
END_TEST

/* Every way out of the root, and every non-file in it, is a 404. */
START_TEST(test_escapes)
{
	static const char *const paths[] = {"/../outside", "/sub/../../outside",
	    "/..", "/../", "/sub/..", "/sub/../index.html", "/.", "/./",
	    "/./app.js", "/sub/./data.json", "//app.js", "/sub//data.json",
	    "//", "/.hidden", "/sub/.hidden", "/link-out", "/link-in",
	    "/dirlink-out/x", "/dirlink-out/", "/dirlink-in/data.json",
	    "/dirlink-in/", "/fifo", "/\\..\\outside", "/sub\\..\\..\\outside",
	    "/app\\.js", "/back\\slash.txt", "/ctl\x01.txt", "/del\x7f.txt",
	    "/app\x01.js", "/\x01", "/app.js\x7f", "/app.js\n", "/app.js\t",
	    "/\x1b[2J", "", "app.js", "../outside", "\\app.js"};
	struct fixture fx;
	char target[PATH_MAX];
	char *longpath;
	size_t i;
	int fd;

	fixture_init(&fx);
	/* The targets are real: following them would serve a file. */
	path_join(target, fx.fx_root, "../outside");
	ck_assert_int_eq(access(target, R_OK), 0);
	path_join(target, fx.fx_root, "dirlink-out/x");
	ck_assert_int_eq(access(target, R_OK), 0);
	fd = lowest_free_fd();
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		check_missing(&fx, paths[i]);
	/* A 5000-byte path, and one 300-byte segment (past NAME_MAX). */
	longpath = malloc(5001);
	ck_assert_ptr_nonnull(longpath);
	longpath[0] = '/';
	memset(longpath + 1, 'a', 4999);
	longpath[5000] = '\0';
	check_missing(&fx, longpath);
	longpath[301] = '\0';
	check_missing(&fx, longpath);
	free(longpath);
	ck_assert_int_eq(lowest_free_fd(), fd);
	fixture_free(&fx);
}
END_TEST

/* A decoded %00 ends the C string early; the decoded length catches it. */
START_TEST(test_embedded_nul)
{
	static const char nul[] = "/app.js\0.html";
	static const char nul_dir[] = "/sub/\0";
	struct files_result r;
	struct fixture fx;

	fixture_init(&fx);
	check_missing_n(&fx, nul, sizeof nul - 1);
	check_missing_n(&fx, nul_dir, sizeof nul_dir - 1);
	/* A length shorter than the string must not serve a prefix. */
	check_missing_n(&fx, "/sub/index.html", 5);
	check_missing_n(&fx, "/app.js", 4);
	/* With its true length the same path is served. */
	ck_assert_int_eq(files_open_n(fx.fx_files, nul, strlen(nul), &r), 0);
	ck_assert_str_eq(r.fr_content_type, "text/javascript; charset=utf-8");
	ck_assert_int_eq(close(r.fr_fd), 0);
	fixture_free(&fx);
}
END_TEST

/* files_new needs an existing directory; the root may be a symlink. */
START_TEST(test_new)
{
	struct fixture fx;
	struct files *f;
	char path[PATH_MAX];

	fixture_init(&fx);
	path_join(path, fx.fx_dir, "missing");
	ck_assert_ptr_null(files_new(path));
	path_join(path, fx.fx_dir, "outside");
	ck_assert_ptr_null(files_new(path));
	ck_assert_ptr_null(files_new(NULL));
	files_free(NULL);
	/* The operator's own symlink to the root is followed. */
	make_link(fx.fx_root, fx.fx_dir, "rootlink");
	path_join(path, fx.fx_dir, "rootlink");
	f = files_new(path);
	ck_assert_ptr_nonnull(f);
	files_free(fx.fx_files);
	fx.fx_files = f;
	check_served(&fx, "/app.js", "app.js", "text/javascript; charset=utf-8",
	    CACHE_OTHER);
	fixture_free(&fx);
}
END_TEST

/* NULL arguments are EINVAL, not a 404. */
START_TEST(test_bad_args)
{
	struct files_result r;
	struct fixture fx;

	fixture_init(&fx);
	errno = 0;
	ck_assert_int_eq(files_open(NULL, "/", &r), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(files_open(fx.fx_files, NULL, &r), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(files_open(fx.fx_files, "/", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	fixture_free(&fx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("files");
	int failed;

	log_set_level(LOG_LEVEL_QUIET);
	if (mkdtemp(top) == NULL) {
		perror(top);
		return 1;
	}
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_subdir);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_new);
	tcase_add_test(tc, test_bad_args);
	suite_add_tcase(s, tc);
	failed = runner_run(s);
	/* Tests remove their own directories; this catches failed ones. */
	if (remove_tree(top) != 0) {
		perror(top);
		failed++;
	}
	return failed == 0 ? 0 : 1;
}
