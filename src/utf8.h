/* utf8.h - decoding UTF-8 without trusting it. */
#ifndef KBS_UTF8_H
#define KBS_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT 0xFFFDu

/* Decodes the code point at s[0..len). Returns the number of bytes consumed
 * (1..4, never 0 when len > 0) and stores the code point in *cp. A malformed,
 * overlong, surrogate or truncated sequence consumes 1 byte and yields
 * UTF8_REPLACEMENT. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Encodes cp into out (room for 4 bytes); returns the byte count (1..4). */
size_t utf8_encode(uint32_t cp, char *out);

/* Non-zero if s[0..len) is entirely valid UTF-8. */
int utf8_valid(const char *s, size_t len);

/* Makes text safe to index: if s is valid UTF-8, *out = s and *out_len = len and
 * *owned = NULL (no copy). Otherwise every invalid byte is replaced with U+FFFD
 * in a new buffer, returned in *out and also in *owned for the caller to free().
 * Returns 0, or -1 when out of memory. The repair is deterministic, so offsets
 * into the repaired text are reproducible from the original. */
int utf8_repair(const char *s, size_t len, const char **out, size_t *out_len, char **owned);

/* The offset in s[0..len) of the byte that offset `off` of its utf8_repair()
 * copy comes from: where a caller who wrote s should look. An offset inside
 * a U+FFFD that replaced a bad byte gives that byte's; an offset past the
 * copy's end gives len. */
size_t utf8_original_offset(const char *s, size_t len, size_t off);

/* Length in bytes of the longest prefix of s[0..len) that is at most
 * max_bytes long and does not split a UTF-8 sequence. */
size_t utf8_clip(const char *s, size_t len, size_t max_bytes);

#endif
