/*
 * libFuzzer harness for the way a URL reaches a handler: the first byte
 * picks a method, the rest is the request target as sent.  As MHD does,
 * the query is cut off and the path is %-decoded (with api_unescape),
 * then route_find picks the row; paths for the dashboard go on to
 * files_open_n below a small web root made once in a temporary
 * directory.  Whatever is opened must be one of the files made there
 * to be served: never a hidden one, a symlink's target or a FIFO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ftw.h>

#include "api.h"
#include "files.h"
#include "handlers.h"
#include "log.h"
#include "routes.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_SERVED 8

static char fuzz_root[256];
static struct files *fuzz_files;
static struct stat fuzz_served[FUZZ_MAX_SERVED]; /* files that may be served */
static size_t fuzz_nserved;

/* Methods MHD hands to the router, and some it must refuse. */
static const char *const fuzz_methods[] = {
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "OPTIONS",
    "get",
    "GETX",
    "",
};

#define FUZZ_NMETHODS (sizeof fuzz_methods / sizeof fuzz_methods[0])

/* Creates the file rel below the root; served says it may be served. */
static void
fuzz_file(const char *rel, int served)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", fuzz_root, rel);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "%s\n", rel);
	if (fclose(f) != 0)
		abort();
	if (served) {
		if (fuzz_nserved == FUZZ_MAX_SERVED ||
		    stat(path, &fuzz_served[fuzz_nserved]) == -1)
			abort();
		fuzz_nserved++;
	}
}

/* Creates the directory rel below the root. */
static void
fuzz_dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", fuzz_root, rel);
	if (mkdir(path, 0755) == -1)
		abort();
}

/* nftw callback: removes one entry of the web root. */
static int
fuzz_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* At exit: closes and removes the web root. */
static void
fuzz_cleanup(void)
{
	files_free(fuzz_files);
	nftw(fuzz_root, fuzz_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Builds the web root: files, a subdirectory with an index, one without,
 * a hidden file, symlinks out of the root and within it, and a FIFO.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_QUIET);
	snprintf(fuzz_root, sizeof fuzz_root, "%s/gatherd-fuzz-router-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(fuzz_root) == NULL)
		abort();
	fuzz_file("index.html", 1);
	fuzz_file("app.js", 1);
	fuzz_file("style.css", 1);
	fuzz_file("a b.txt", 1);
	fuzz_file(".hidden", 0);
	fuzz_dir("css");
	fuzz_file("css/site.css", 1);
	fuzz_file("css/index.html", 1);
	fuzz_file("css/.map", 0);
	fuzz_dir("empty");
	snprintf(path, sizeof path, "%s/etc", fuzz_root);
	if (symlink("/etc", path) == -1)
		abort();
	snprintf(path, sizeof path, "%s/link.html", fuzz_root);
	if (symlink("index.html", path) == -1)
		abort();
	snprintf(path, sizeof path, "%s/fifo", fuzz_root);
	if (mkfifo(path, 0600) == -1)
		abort();
	if ((fuzz_files = files_new(fuzz_root)) == NULL)
		abort();
	atexit(fuzz_cleanup);
	return 0;
}

/* Aborts unless fr is one of the files that may be served; closes it. */
static void
fuzz_check_file(const struct files_result *fr)
{
	struct stat st;
	size_t i;

	if (fstat(fr->fr_fd, &st) == -1 ||
	    (uint64_t)st.st_size != fr->fr_size ||
	    fr->fr_content_type == NULL || fr->fr_cache_control == NULL)
		abort();
	for (i = 0; i < fuzz_nserved; i++) {
		if (st.st_dev == fuzz_served[i].st_dev &&
		    st.st_ino == fuzz_served[i].st_ino)
			break;
	}
	if (i == fuzz_nserved)
		abort();
	close(fr->fr_fd);
}

/* Opens what a dashboard path names, as handlers_file would. */
static void
fuzz_open(const char *path, size_t len)
{
	struct files_result fr;

	if (files_open_n(fuzz_files, path, len, &fr) == 0)
		fuzz_check_file(&fr);
	else if (errno != ENOENT)
		abort();
}

/* One input: a method byte, then the request target. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *method;
	struct route_match m;
	char *url, *query;
	size_t len;

	if (size == 0)
		return 0;
	method = fuzz_methods[data[0] % FUZZ_NMETHODS];
	if ((url = malloc(size)) == NULL)
		return 0;
	/* A request line cannot carry a NUL: the target ends at one. */
	memcpy(url, data + 1, size - 1);
	url[size - 1] = '\0';
	if ((query = strchr(url, '?')) != NULL)
		*query = '\0';
	len = api_unescape(url);
	if (len != strlen(url))
		abort();
	route_find(url, &m);
	/* Every row allows GET and HEAD, and no other method. */
	if (route_allows(m.rm_route, method) !=
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
		abort();
	if (m.rm_route->ro_handler == handlers_source_stats) {
		if (m.rm_rest != url + strlen("/api/v1/stats/"))
			abort();
	} else if (m.rm_route->ro_handler == handlers_history) {
		if (strlen(m.rm_name) > CONFIG_NAME_MAX ||
		    strncmp(m.rm_rest, m.rm_name, strlen(m.rm_name)) != 0 ||
		    strcmp(m.rm_rest + strlen(m.rm_name), "/history") != 0)
			abort();
	} else if (m.rm_route->ro_handler == handlers_file) {
		if (m.rm_rest != url || strncmp(url, "/api/", 5) == 0 ||
		    m.rm_route->ro_token)
			abort();
		fuzz_open(m.rm_rest, len);
	} else if (m.rm_route->ro_handler == NULL) {
		/* Nothing there: a 404, under /api/ alone. */
		if (strncmp(url, "/api/", 5) != 0 || m.rm_name[0] != '\0')
			abort();
	} else if (m.rm_rest != NULL || m.rm_name[0] != '\0') {
		abort();
	}
	free(url);
	return 0;
}
