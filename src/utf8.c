/* utf8.c - strict UTF-8 decoding, encoding, validation and repair.
 *
 * Strict means the Unicode "maximal subpart" rules are not attempted: any
 * byte that does not start a well-formed sequence (overlong forms, surrogates,
 * code points above U+10FFFF, truncated or stray continuation bytes) becomes
 * one U+FFFD and the decoder moves on by exactly one byte. One byte per error
 * keeps repair and offsets simple to reason about: the repaired text maps back
 * to the original byte by byte. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* The legal range of the second byte depends on the lead byte; the Unicode
 * well-formed byte sequence table (Table 3-7) is where overlongs, surrogates
 * and values above U+10FFFF are excluded, so the later bytes only need to be
 * continuation bytes. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0) {
        *cp = UTF8_REPLACEMENT;
        return 0;
    }
    unsigned char b0 = p[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    uint32_t c;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
        c = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        c = b0 & 0x0Fu;
        if (b0 == 0xE0)
            lo = 0xA0; /* below is overlong */
        else if (b0 == 0xED)
            hi = 0x9F; /* above is a surrogate */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        c = b0 & 0x07u;
        if (b0 == 0xF0)
            lo = 0x90; /* below is overlong */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above is past U+10FFFF */
    } else {
        *cp = UTF8_REPLACEMENT;
        return 1;
    }
    if (len < need || p[1] < lo || p[1] > hi) {
        *cp = UTF8_REPLACEMENT;
        return 1;
    }
    c = (c << 6) | (p[1] & 0x3Fu);
    for (size_t k = 2; k < need; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            *cp = UTF8_REPLACEMENT;
            return 1;
        }
        c = (c << 6) | (p[k] & 0x3Fu);
    }
    *cp = c;
    return need;
}

size_t utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    /* A caller handing us a surrogate or an out-of-range value would otherwise
     * produce bytes our own decoder rejects. */
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = UTF8_REPLACEMENT;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid prefix; the word-at-a-time ASCII skip matters because
 * every stored article goes through here before indexing. */
static size_t valid_prefix(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp == UTF8_REPLACEMENT && n == 1)
            return i;
        i += n;
    }
    return len;
}

int utf8_valid(const char *s, size_t len)
{
    return valid_prefix(s, len) == len;
}

int utf8_repair(const char *s, size_t len, const char **out, size_t *out_len, char **owned)
{
    size_t good = valid_prefix(s, len);
    if (good == len) {
        *out = s;
        *out_len = len;
        *owned = NULL;
        return 0;
    }
    /* Exact size first: a bad byte grows by two (1 byte -> EF BF BD). */
    size_t size = good;
    for (size_t i = good; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        size += (cp == UTF8_REPLACEMENT && n == 1) ? 3 : n;
        i += n;
    }
    char *r = malloc(size + 1);
    if (!r)
        return -1;
    memcpy(r, s, good);
    size_t o = good;
    for (size_t i = good; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp == UTF8_REPLACEMENT && n == 1) {
            o += utf8_encode(UTF8_REPLACEMENT, r + o);
        } else {
            memcpy(r + o, s + i, n);
            o += n;
        }
        i += n;
    }
    r[o] = '\0';
    *out = r;
    *out_len = o;
    *owned = r;
    return 0;
}

size_t utf8_original_offset(const char *s, size_t len, size_t off)
{
    /* The walk utf8_repair makes: a bad byte is 3 bytes in the copy, every
     * other sequence itself. */
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        int bad = cp == UTF8_REPLACEMENT && n == 1;
        size_t r = bad ? 3 : n;
        if (off < o + r)
            return bad ? i : i + (off - o);
        o += r;
        i += n;
    }
    return len;
}

size_t utf8_clip(const char *s, size_t len, size_t max_bytes)
{
    if (len <= max_bytes)
        return len;
    /* A sequence is at most 4 bytes, so only the 3 bytes before the cut can
     * start one that the cut would split; looking further back is never
     * needed, even in invalid text. */
    for (size_t k = 1; k <= 3 && k <= max_bytes; k++) {
        size_t at = max_bytes - k;
        unsigned char b = (unsigned char)s[at];
        if ((b & 0xC0) == 0x80)
            continue;
        uint32_t cp;
        size_t n = utf8_decode(s + at, len - at, &cp);
        return at + n > max_bytes ? at : max_bytes;
    }
    return max_bytes;
}
