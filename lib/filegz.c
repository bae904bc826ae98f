/*
 * The dashboard's files in gzip, compressed once per version of each
 * file rather than per request: a page load asks for about fifteen
 * files, 104 KB that gzip makes 46 KB.  A file's version is its size
 * and modification time, the ones Last-Modified already stands for; a
 * file replaced on disk gets a new copy on its next request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filegz.h"
#include "gzip.h"

/* Made once per version: the smallest zlib makes (a few ms in all). */
#define FILEGZ_LEVEL 9

/* One file's gzip copy. */
struct filegz_copy {
	char *fc_path; /* NULL: a free slot */
	uint64_t fc_size;
	int64_t fc_mtime;
	char *fc_gz;
	size_t fc_len;
};

struct filegz {
	struct filegz_copy fg_copies[FILEGZ_MAX_FILES];
};

/* Returns an empty set of copies; see filegz.h. */
struct filegz *
filegz_new(void)
{
	return calloc(1, sizeof(struct filegz));
}

/* Empties the slot fc. */
static void
filegz_drop(struct filegz_copy *fc)
{
	free(fc->fc_path);
	free(fc->fc_gz);
	memset(fc, 0, sizeof *fc);
}

/* Frees fg and its copies; NULL is allowed. */
void
filegz_free(struct filegz *fg)
{
	size_t i;

	if (fg == NULL)
		return;
	for (i = 0; i < FILEGZ_MAX_FILES; i++)
		filegz_drop(&fg->fg_copies[i]);
	free(fg);
}

/* Returns path's slot, else a free one, else NULL (the set is full). */
static struct filegz_copy *
filegz_slot(struct filegz *fg, const char *path)
{
	struct filegz_copy *free_slot = NULL;
	size_t i;

	for (i = 0; i < FILEGZ_MAX_FILES; i++) {
		if (fg->fg_copies[i].fc_path == NULL) {
			if (free_slot == NULL)
				free_slot = &fg->fg_copies[i];
		} else if (strcmp(fg->fg_copies[i].fc_path, path) == 0)
			return &fg->fg_copies[i];
	}
	return free_slot;
}

/* Reads the size bytes of fd from its start; a new buffer, or NULL. */
static char *
filegz_read(int fd, size_t size)
{
	char *buf;
	size_t got = 0;
	ssize_t n;

	if ((buf = malloc(size ? size : 1)) == NULL)
		return NULL;
	while (got < size) {
		n = pread(fd, buf + got, size - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Shorter than fstat said: changed under us. */
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	return buf;
}

/* Returns the file's gzip copy, made if not current; see filegz.h. */
const char *
filegz_get(struct filegz *fg, const char *path, const struct files_result *fr,
    size_t *len)
{
	struct filegz_copy *fc;
	char *text, *gz;
	size_t gzlen = 0;

	if (fr->fr_size < GZIP_MIN_BODY || fr->fr_size > FILEGZ_MAX_SIZE ||
	    (fc = filegz_slot(fg, path)) == NULL)
		return NULL;
	if (fc->fc_path == NULL || fc->fc_size != fr->fr_size ||
	    fc->fc_mtime != fr->fr_mtime) {
		if ((text = filegz_read(fr->fr_fd, (size_t)fr->fr_size)) ==
		    NULL)
			return NULL;
		gz = gzip_compress(
		    text, (size_t)fr->fr_size, FILEGZ_LEVEL, &gzlen);
		free(text);
		if (gz == NULL)
			return NULL;
		filegz_drop(fc);
		if ((fc->fc_path = strdup(path)) == NULL) {
			free(gz);
			return NULL;
		}
		fc->fc_size = fr->fr_size;
		fc->fc_mtime = fr->fr_mtime;
		fc->fc_gz = gz;
		fc->fc_len = gzlen;
	}
	*len = fc->fc_len;
	return fc->fc_gz;
}
