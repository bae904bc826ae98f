/*
 * Unit tests of the gzip module: Accept-Encoding values as browsers,
 * tools and odd clients send them (q-values, "*", identity, case,
 * white space, garbled weights) and whether each gets gzip; and the
 * compressed bodies, whole or streamed a few bytes at a time, inflated
 * back with zlib to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "client.h"
#include "gzip.h"
#include "runner.h"

/* Accept-Encoding values and whether each is answered in gzip. */
static const struct {
	const char *ae; /* the header's value, or NULL for none */
	int gzip;
} ae_cases[] = {
    {NULL, 0},
    {"", 0},
    {"gzip", 1},
    {"GZIP", 1},
    {"x-gzip", 1},
    {"gzip, deflate, br, zstd", 1},
    {"deflate, br", 0},
    {"identity", 0},
    {"*", 1},
    {"*;q=0", 0},
    {"gzip;q=0", 0},
    {"gzip; q=0", 0},
    {"gzip;Q=0.000", 0},
    {"gzip;q=0.001", 1},
    {"gzip;q=1.000", 1},
    {"gzip;q=0, *", 0},
    {"*, gzip;q=0", 0},
    {"br, *;q=0.1", 1},
    {"gzip;q=0.5, identity;q=0.8", 0},
    {"gzip;q=0.8, identity;q=0.5", 1},
    {"gzip;q=0.5, identity", 0},
    {"gzip, identity;q=0", 1},
    {"*;q=0.5, identity", 0},
    {"identity;q=0, *;q=0", 0},
    {"  gzip  ;  q=0.7  ,identity;q=0.7", 1},
    {"deflate;q=1,gzip;q=0.9", 1},
    {",,gzip,,", 1},
    {"gzipx", 0},
    {"gzi", 0},
    {"gzip;q=2", 0},
    {"gzip;q=1.5", 0},
    {"gzip;q=0.5000", 0},
    {"gzip;q=.5", 0},
    {"gzip;q=", 0},
    {"gzip;q=abc", 0},
    {"gzip;level=9", 1},
    {"gzip;level=9;q=0", 0},
    {"gzip x", 0},
};

/* Each Accept-Encoding is answered in gzip or not as listed. */
START_TEST(test_accepted)
{
	ck_assert_msg(gzip_accepted(ae_cases[_i].ae) == ae_cases[_i].gzip,
	    "Accept-Encoding: %s should%s get gzip",
	    ae_cases[_i].ae ? ae_cases[_i].ae : "(none)",
	    ae_cases[_i].gzip ? "" : " not");
}
END_TEST

/* Inflates n bytes of gz into out; returns the length. */
static size_t
inflate_all(const char *gz, size_t n, char *out, size_t max)
{
	size_t len = 0;
	char *body = client_gunzip(gz, n, &len);

	ck_assert_uint_le(len, max);
	memcpy(out, body, len);
	free(body);
	return len;
}

/* Fills buf with len bytes of a JSON-like text that compresses. */
static void
fill_text(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = "{\"source\":\"s0001\",\"value\":12.5}\n"[i % 33] +
		    (char)(i % 333 == 0);
}

/* A whole body compresses and inflates back to the same bytes. */
START_TEST(test_compress_round_trip)
{
	static const size_t lens[] = {0, 1, 255, 4096, 700000};
	size_t i, n, back;
	char *in, *gz, *out;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		in = malloc(lens[i] + 1);
		out = malloc(lens[i] + 1);
		ck_assert_ptr_nonnull(in);
		ck_assert_ptr_nonnull(out);
		fill_text(in, lens[i]);
		gz = gzip_compress(in, lens[i], GZIP_LEVEL, &n);
		ck_assert_ptr_nonnull(gz);
		/* The gzip magic, and deflate. */
		ck_assert_uint_ge(n, 18);
		ck_assert_int_eq((unsigned char)gz[0], 0x1f);
		ck_assert_int_eq((unsigned char)gz[1], 0x8b);
		ck_assert_int_eq(gz[2], 8);
		if (lens[i] >= 4096)
			ck_assert_uint_lt(n * 5, lens[i]);
		back = inflate_all(gz, n, out, lens[i] + 1);
		ck_assert_uint_eq(back, lens[i]);
		ck_assert(memcmp(in, out, lens[i]) == 0);
		free(gz);
		free(out);
		free(in);
	}
}
END_TEST

/* A streamed body, fed and drained in odd sizes, inflates back. */
START_TEST(test_stream_round_trip)
{
	const size_t len = 200000, piece = 7919, room = 61;
	char *in, *gz, *out;
	struct gzip_stream *gs;
	size_t fed = 0, n = 0, take;
	long w;

	in = malloc(len);
	gz = malloc(len);
	out = malloc(len + 1);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(gz);
	ck_assert_ptr_nonnull(out);
	fill_text(in, len);
	gs = gzip_stream_new(GZIP_LEVEL);
	ck_assert_ptr_nonnull(gs);
	while (!gzip_stream_done(gs)) {
		if (gzip_stream_hungry(gs)) {
			take = len - fed < piece ? len - fed : piece;
			gzip_stream_feed(gs, in + fed, take, fed + take == len);
			fed += take;
		}
		w = gzip_stream_drain(gs, gz + n, room);
		ck_assert_int_ge(w, 0);
		n += (size_t)w;
		ck_assert_uint_lt(n + room, len);
	}
	ck_assert_int_eq(gzip_stream_drain(gs, gz + n, room), 0);
	ck_assert_uint_eq(inflate_all(gz, n, out, len + 1), len);
	ck_assert(memcmp(in, out, len) == 0);
	gzip_stream_free(gs);
	gzip_stream_free(NULL);
	free(out);
	free(gz);
	free(in);
}
END_TEST

/* Builds the suite. */
static Suite *
gzip_suite(void)
{
	Suite *s = suite_create("gzip");
	TCase *tc;

	tc = tcase_create("pure");
	tcase_add_loop_test(
	    tc, test_accepted, 0, (int)(sizeof ae_cases / sizeof ae_cases[0]));
	tcase_add_test(tc, test_compress_round_trip);
	tcase_add_test(tc, test_stream_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_run(gzip_suite()) == 0 ? 0 : 1;
}
