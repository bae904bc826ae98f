/*
 * The dashboard's static files, served from web_root without ever leaving
 * it.  A URL path is checked byte by byte and segment by segment, then
 * opened one segment at a time below a directory fd held for the life of
 * the struct, refusing symlinks, hidden names and anything that is not a
 * regular file.  Pure file-system logic: the HTTP side lives in
 * handlers.c (handlers_file).
 */
#ifndef GATHERD_FILES_H
#define GATHERD_FILES_H

#include <stddef.h>
#include <stdint.h>

#define FILES_PATH_MAX 1024 /* longer URL paths are a 404 */
#define FILES_INDEX "index.html" /* served for a path ending in '/' */

/* An open file ready to be sent. */
struct files_result {
	int fr_fd; /* read-only; the caller closes it (or hands it to MHD) */
	uint64_t fr_size;
	const char *fr_content_type; /* static, "text/html; charset=utf-8" */
	const char *fr_cache_control; /* static */
	int64_t fr_mtime; /* seconds since the epoch, for Last-Modified */
};

struct files;

/* Opens root, an existing directory (or a symlink to one); NULL, logged. */
struct files *files_new(const char *root);
/* Frees f and closes its directory fd; NULL allowed. */
void files_free(struct files *f);
/*
 * Opens the file for a URL path (%-decoded, starting with '/'): 0 and *out
 * filled, or -1 and *out untouched.  errno is ENOENT for anything that must
 * be a 404: a ".", "..", hidden (".well-known" too) or inner empty segment,
 * a backslash or control byte, a symlink anywhere, a missing file, anything
 * not a regular file, and a directory named without its trailing slash
 * (only "dir/" serves "dir/index.html").  EINVAL for a NULL argument; any
 * other errno (EMFILE, EIO, ...) is the server's fault, logged, a 500.
 */
int files_open(struct files *f, const char *path, struct files_result *out);
/* As files_open; a 404 unless strlen(path) == len (a decoded %00 ends it). */
int files_open_n(
    struct files *f, const char *path, size_t len, struct files_result *out);

#endif
