/*
 * Static files below web_root.  The URL path is validated first (no ".",
 * "..", hidden or empty segments, no backslashes or control bytes, no
 * embedded NUL), then walked with openat() one segment at a time from a
 * directory fd of the root, with O_NOFOLLOW on every component: a symlink
 * anywhere ends the walk, so nothing outside the root is ever opened.  The
 * walk works on every kernel and under any seccomp filter, where openat2()
 * may be missing or refused with EPERM rather than ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"

/*
 * Every file is revalidated (a 304 when unchanged): after an upgrade the
 * page, its script and its styles must never come from different builds.
 */
#define FILES_CACHE_HTML "no-cache"
#define FILES_CACHE_OTHER "no-cache"
#define FILES_TYPE_DEFAULT "application/octet-stream"

/* The root every path is opened below. */
struct files {
	int f_dirfd; /* web_root, O_DIRECTORY */
	char *f_root; /* for log lines */
};

/* A file name extension, its media type and its caching. */
struct files_type {
	const char *ft_ext; /* without the dot, matched case-insensitively */
	const char *ft_type;
	const char *ft_cache;
};

/* Media types by extension; anything else is FILES_TYPE_DEFAULT. */
static const struct files_type files_types[] = {
    {"html", "text/html; charset=utf-8", FILES_CACHE_HTML},
    {"htm", "text/html; charset=utf-8", FILES_CACHE_HTML},
    {"css", "text/css; charset=utf-8", FILES_CACHE_OTHER},
    {"js", "text/javascript; charset=utf-8", FILES_CACHE_OTHER},
    {"mjs", "text/javascript; charset=utf-8", FILES_CACHE_OTHER},
    {"json", "application/json", FILES_CACHE_OTHER},
    {"map", "application/json", FILES_CACHE_OTHER},
    {"svg", "image/svg+xml", FILES_CACHE_OTHER},
    {"png", "image/png", FILES_CACHE_OTHER},
    {"ico", "image/x-icon", FILES_CACHE_OTHER},
    {"woff2", "font/woff2", FILES_CACHE_OTHER},
    {"txt", "text/plain; charset=utf-8", FILES_CACHE_OTHER},
    /* Not in the first list, but a dashboard may well carry them. */
    {"jpg", "image/jpeg", FILES_CACHE_OTHER},
    {"jpeg", "image/jpeg", FILES_CACHE_OTHER},
    {"gif", "image/gif", FILES_CACHE_OTHER},
    {"webp", "image/webp", FILES_CACHE_OTHER},
    {"woff", "font/woff", FILES_CACHE_OTHER},
};

/* Returns 0 if path (len bytes, NUL-terminated) may be served, else -1. */
static int
files_check_path(const char *path, size_t len)
{
	size_t i, seg;
	unsigned char c;

	if (len == 0 || len > FILES_PATH_MAX || path[0] != '/')
		return -1;
	/* A %00 decoded by MHD ends the C string before len. */
	if (strnlen(path, len + 1) != len)
		return -1;
	seg = 1; /* where the current segment starts */
	for (i = 1; i <= len; i++) {
		if (i == len || path[i] == '/') {
			/* Only the last segment may be empty: "dir/". */
			if (i == seg && i != len)
				return -1;
			/* ".", ".." and hidden names. */
			if (i != seg && path[seg] == '.')
				return -1;
			seg = i + 1;
			continue;
		}
		c = (unsigned char)path[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -1;
	}
	return 0;
}

/* Fills the content type and caching for the file name name. */
static void
files_set_type(const char *name, struct files_result *out)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	out->fr_content_type = FILES_TYPE_DEFAULT;
	out->fr_cache_control = FILES_CACHE_OTHER;
	if (dot == NULL)
		return;
	for (i = 0; i < sizeof files_types / sizeof files_types[0]; i++) {
		if (strcasecmp(dot + 1, files_types[i].ft_ext) == 0) {
			out->fr_content_type = files_types[i].ft_type;
			out->fr_cache_control = files_types[i].ft_cache;
			return;
		}
	}
}

/* Returns whether an openat() or fstat() errno means the file is not there. */
static int
files_is_missing(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR: /* a file used as a directory, or a symlink to one */
	case ELOOP: /* a symlink under O_NOFOLLOW */
	case EACCES:
	case EPERM:
	case ENAMETOOLONG:
	case ENXIO: /* a socket */
	case ENODEV:
	case EISDIR:
		return 1;
	default:
		return 0;
	}
}

/*
 * Opens rel, a writable copy of the validated path without its leading '/',
 * below f's root; 0 and *out filled, or -1 and errno as for files_open.
 */
static int
files_walk(
    struct files *f, const char *path, char *rel, struct files_result *out)
{
	int dirfd = -1, fd = -1, next, flags, err;
	char *seg = rel, *slash;
	const char *name;
	struct stat st;

	while ((slash = strchr(seg, '/')) != NULL) {
		*slash = '\0';
		next = openat(dirfd == -1 ? f->f_dirfd : dirfd, seg,
		    O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
		if (next == -1)
			goto fail;
		if (dirfd != -1)
			(void)close(dirfd); /* read-only: nothing to flush */
		dirfd = next;
		seg = slash + 1;
	}
	name = *seg == '\0' ? FILES_INDEX : seg;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = openat(dirfd == -1 ? f->f_dirfd : dirfd, name,
	    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		/* Directories without their slash, FIFOs, devices. */
		errno = ENOENT;
		goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	if (dirfd != -1)
		(void)close(dirfd);
	out->fr_fd = fd;
	out->fr_size = (uint64_t)st.st_size;
	out->fr_mtime = (int64_t)st.st_mtim.tv_sec;
	files_set_type(name, out);
	return 0;

fail:
	err = errno;
	if (fd != -1)
		(void)close(fd);
	if (dirfd != -1)
		(void)close(dirfd);
	if (files_is_missing(err)) {
		errno = ENOENT;
	} else {
		log_warnx(
		    "web_root %s: %s: %s", f->f_root, path, strerror(err));
		errno = err;
	}
	return -1;
}

/* Opens root for serving; NULL, logged, on error. */
struct files *
files_new(const char *root)
{
	struct files *f = NULL;

	if (root == NULL) {
		log_warnx("web_root is not set");
		errno = EINVAL;
		goto fail;
	}
	if ((f = calloc(1, sizeof *f)) == NULL) {
		log_warn("web_root %s", root);
		goto fail;
	}
	f->f_dirfd = -1;
	if ((f->f_root = strdup(root)) == NULL) {
		log_warn("web_root %s", root);
		goto fail;
	}
	f->f_dirfd = open(root, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (f->f_dirfd == -1) {
		log_warn("web_root %s", root);
		goto fail;
	}
	return f;

fail:
	files_free(f);
	return NULL;
}

/* Closes the root and frees f; NULL allowed. */
void
files_free(struct files *f)
{
	if (f == NULL)
		return;
	if (f->f_dirfd != -1)
		(void)close(f->f_dirfd);
	free(f->f_root);
	free(f);
}

/* Validates path, then walks it below the root. */
int
files_open_n(
    struct files *f, const char *path, size_t len, struct files_result *out)
{
	char rel[FILES_PATH_MAX + 1];

	if (f == NULL || path == NULL || out == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (files_check_path(path, len) == -1) {
		/* Not logged: the path may hold anything. */
		errno = ENOENT;
		return -1;
	}
	/* Terminated here, not trusted to be: len bytes were checked. */
	memcpy(rel, path + 1, len - 1);
	rel[len - 1] = '\0';
	return files_walk(f, path, rel, out);
}

/* files_open_n for a path whose length is its strlen. */
int
files_open(struct files *f, const char *path, struct files_result *out)
{
	return files_open_n(f, path, path == NULL ? 0 : strlen(path), out);
}
