/*
 * What gzip's level costs on a real document: compresses the file named
 * by the first argument with gatherd's own gzip_compress at levels 1, 6
 * and 9, as many times as the second argument says, and prints one JSON
 * line: per level the bytes, the ratio to the identity form and the
 * median milliseconds a compression took.  run.sh feeds it the
 * 5,000-source /api/v1/stats; GZIP_LEVEL in lib/gzip.h is chosen on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gzip.h"

#define GZLEVEL_MAX_REPS 1000

/* Returns the monotonic time in milliseconds. */
static double
gzlevel_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* qsort's order for doubles. */
static int
gzlevel_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Reads the whole file path; its length in *len.  NULL if it cannot. */
static char *
gzlevel_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	static const int levels[] = {1, 6, 9};
	double ms[GZLEVEL_MAX_REPS], t0;
	size_t len = 0, out = 0, i;
	int reps, r;
	char *doc, *gz;

	if (argc != 3 || (reps = atoi(argv[2])) < 1 ||
	    reps > GZLEVEL_MAX_REPS) {
		fprintf(stderr, "usage: gzlevel FILE REPS (1-1000)\n");
		return 2;
	}
	if ((doc = gzlevel_read(argv[1], &len)) == NULL) {
		fprintf(stderr, "gzlevel: cannot read %s\n", argv[1]);
		return 1;
	}
	printf("{\"figure\":\"gzip_level\",\"doc_bytes\":%zu", len);
	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		for (r = 0; r < reps; r++) {
			t0 = gzlevel_now_ms();
			gz = gzip_compress(doc, len, levels[i], &out);
			ms[r] = gzlevel_now_ms() - t0;
			if (gz == NULL) {
				fprintf(stderr, "gzlevel: out of memory\n");
				return 1;
			}
			free(gz);
		}
		qsort(ms, (size_t)reps, sizeof ms[0], gzlevel_cmp);
		printf(",\"level_%d_bytes\":%zu,\"level_%d_ratio\":%.1f,"
		       "\"level_%d_ms\":%.2f",
		    levels[i], out, levels[i], (double)len / (double)out,
		    levels[i], ms[reps / 2]);
	}
	printf("}\n");
	free(doc);
	return 0;
}
