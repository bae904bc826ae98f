/*
 * Base64 encoding and strict decoding: the length must be a multiple
 * of 4, padding only at the end, no whitespace, no other alphabet.
 */
#include <stdint.h>

#include "base64.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Returns the length of the text for n bytes (without a NUL). */
size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Writes the text for in[0..n) to out; returns its length. */
size_t
base64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[(v >> 12) & 63];
		out[o++] = base64_alphabet[(v >> 6) & 63];
		out[o++] = base64_alphabet[v & 63];
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[(v >> 12) & 63];
		out[o++] =
		    (char)(i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=');
		out[o++] = '=';
	}
	return o;
}

/* Returns the 6-bit value of base64 character c, or -1. */
static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes text[0..len) into out; the byte count, or -1 if malformed. */
long
base64_decode(const char *text, size_t len, void *out)
{
	unsigned char *o = out;
	size_t i, n = 0, pad = 0;
	int k, d;
	uint32_t v;

	if (len % 4 != 0)
		return -1;
	if (len > 0 && text[len - 1] == '=')
		pad = len > 1 && text[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (i + 4 == len && k >= 4 - (int)pad)
				d = 0;
			else if ((d = base64_value(
			              (unsigned char)text[i + k])) < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		o[n++] = (unsigned char)(v >> 16);
		if (i + 4 < len || pad < 2)
			o[n++] = (unsigned char)(v >> 8);
		if (i + 4 < len || pad < 1)
			o[n++] = (unsigned char)v;
	}
	return (long)n;
}
