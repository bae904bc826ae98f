/*
 * What a template costs: compiling one, opening a time zone (alone,
 * and while the zone is open for another source), and expanding a
 * typical url at each poll, in UTC and in a zone with DST.
 * Prints one JSON line per figure.  Build it optimised, outside the
 * sanitizer build, from the top of the tree:
 *   cc -O2 -D_GNU_SOURCE -Ilib tests/bench/template.c lib/template.c \
 *     lib/tz.c lib/parse.c $(pkg-config --cflags --libs libcurl json-c \
 *     glib-2.0) -o template-bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "template.h"
#include "tz.h"

#define URL                                                                    \
	"https://api.example.com/v1/segmentation?event=signup"                 \
	"&from_date=${today-7d}&to_date=${today}&at=${now:unix}"

/* Returns the monotonic clock in nanoseconds. */
static double
bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Expands t n times in tz, a second apart; the ns per expansion. */
static double
bench_expand(const struct tpl *t, struct tz *tz, int n)
{
	struct template_buf out = {0};
	int64_t now = 1773000000000LL;
	char err[256];
	double start;
	int i;

	start = bench_ns();
	for (i = 0; i < n; i++) {
		if (template_expand(t, now + (int64_t)i * 1000, tz, NULL, NULL,
		        &out, err, sizeof err) == -1) {
			fprintf(stderr, "expand: %s\n", err);
			exit(1);
		}
	}
	start = (bench_ns() - start) / n;
	template_buf_free(&out);
	return start;
}

int
main(void)
{
	struct tpl *t, *lit;
	struct tz *la;
	char err[256];
	double start;
	int i, n = 200000;

	start = bench_ns();
	for (i = 0; i < 10000; i++) {
		t = template_compile(
		    URL, TEMPLATE_URL, NULL, NULL, err, sizeof err);
		template_free(t);
	}
	printf("{\"what\":\"compile\",\"ns\":%.0f}\n",
	    (bench_ns() - start) / 10000);
	/* The first source in a zone reads its file; while one is open,
	 * the next share its rules (GLib keeps one copy per file). */
	start = bench_ns();
	for (i = 0; i < 1000; i++)
		tz_free(tz_open("America/Los_Angeles", err, sizeof err));
	printf("{\"what\":\"tz_open\",\"ns\":%.0f}\n",
	    (bench_ns() - start) / 1000);
	la = tz_open("America/Los_Angeles", err, sizeof err);
	start = bench_ns();
	for (i = 0; i < 1000; i++)
		tz_free(tz_open("America/Los_Angeles", err, sizeof err));
	printf("{\"what\":\"tz_open_shared\",\"ns\":%.0f}\n",
	    (bench_ns() - start) / 1000);
	t = template_compile(URL, TEMPLATE_URL, NULL, NULL, err, sizeof err);
	lit = template_compile("https://api.example.com/v1/stats", TEMPLATE_URL,
	    NULL, NULL, err, sizeof err);
	if (t == NULL || lit == NULL || la == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("{\"what\":\"expand_utc\",\"ns\":%.0f}\n",
	    bench_expand(t, NULL, n));
	printf(
	    "{\"what\":\"expand_la\",\"ns\":%.0f}\n", bench_expand(t, la, n));
	printf("{\"what\":\"expand_literal\",\"ns\":%.0f}\n",
	    bench_expand(lit, NULL, n));
	template_free(t);
	template_free(lit);
	tz_free(la);
	return 0;
}
