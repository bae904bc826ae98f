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

/* Each character's 6-bit value plus one, 0 if it is not in the alphabet:
 * one load a character, which matters for megabytes of state. */
static const uint8_t base64_values[256] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 63, 0, 0, 0, 64, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62,
    0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0, 0, 0, 0, 0, 0, 27, 28, 29, 30,
    31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
    50, 51, 52, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

/* Decodes text[0..len) into out; the byte count, or -1 if malformed. */
long
base64_decode(const char *text, size_t len, void *out)
{
	const unsigned char *t = (const unsigned char *)text;
	unsigned char *o = out;
	size_t i, n = 0, pad = 0;
	unsigned a, b, c, d;
	uint32_t v;

	if (len % 4 != 0)
		return -1;
	if (len > 0 && t[len - 1] == '=')
		pad = len > 1 && t[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len; i += 4) {
		/* The padding counts as zeros, and only in the last group. */
		a = base64_values[t[i]];
		b = base64_values[t[i + 1]];
		c = i + 4 == len && pad == 2 ? 1 : base64_values[t[i + 2]];
		d = i + 4 == len && pad > 0 ? 1 : base64_values[t[i + 3]];
		if (a == 0 || b == 0 || c == 0 || d == 0)
			return -1;
		v = (uint32_t)(a - 1) << 18 | (uint32_t)(b - 1) << 12 |
		    (uint32_t)(c - 1) << 6 | (uint32_t)(d - 1);
		o[n++] = (unsigned char)(v >> 16);
		if (i + 4 < len || pad < 2)
			o[n++] = (unsigned char)(v >> 8);
		if (i + 4 < len || pad < 1)
			o[n++] = (unsigned char)v;
	}
	return (long)n;
}
