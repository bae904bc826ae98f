/*
 * Base64 (RFC 4648, standard alphabet, padded) for binary data kept in
 * JSON text: the state file's history points.
 */
#ifndef GATHERD_BASE64_H
#define GATHERD_BASE64_H

#include <stddef.h>

/* Returns the length of the text for n bytes (without a NUL). */
size_t base64_encoded_len(size_t n);
/* Writes the text for in[0..n) to out (base64_encoded_len(n) bytes, no
 * NUL); returns that length. */
size_t base64_encode(const void *in, size_t n, char *out);
/* Decodes text[0..len) into out (room for len / 4 * 3 bytes); returns
 * the number of bytes, or -1 if text is not padded base64. */
long base64_decode(const char *text, size_t len, void *out);

#endif
