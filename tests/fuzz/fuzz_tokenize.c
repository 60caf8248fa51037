/* fuzz_tokenize.c - libFuzzer target: tokenize() in both modes,
 * tokenize_ascii() against it, tok_fold(), and the UTF-8 helpers, on
 * arbitrary bytes.
 *
 * tokenize() takes any bytes (documents are repaired first, but a caller may
 * not be); each token must lie inside the input, in order, with its folded
 * form at most TOK_MAX_BYTES and NUL-terminated. tokenize_ascii() is given
 * the ASCII bytes of the input (its contract) and must find exactly
 * tokenize()'s words. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"
#include "utf8.h"

struct collect {
    const char *text;
    size_t len;     /* of the input */
    size_t last;    /* end of the previous token */
    uint32_t pos;   /* next position expected at least */
    tok_span *want; /* when not NULL: record the words for tokenize_ascii */
    size_t n, cap;
};

static int on_token(void *ctx, const token *t)
{
    struct collect *c = ctx;
    if (t->start >= t->end || t->end > c->len || t->start < c->last)
        abort();
    if (t->len == 0 || t->len > TOK_MAX_BYTES || t->text[t->len] != '\0')
        abort();
    if (t->pos < c->pos)
        abort();
    if (c->want) { /* the folded form tokenize.h promises for ASCII */
        size_t k = 0;
        for (size_t i = t->start; i < t->end; i++) {
            char b = c->text[i];
            if (b == ',')
                continue;
            if (k >= t->len || t->text[k++] != (b >= 'A' && b <= 'Z' ? b + 32 : b))
                abort();
        }
        if (k != t->len)
            abort();
    }
    c->last = t->end;
    c->pos = t->pos;
    if (c->want && c->n < c->cap) {
        c->want[c->n].start = (uint32_t)t->start;
        c->want[c->n].end = (uint32_t)t->end;
        c->want[c->n].flags = t->flags;
    }
    c->n++;
    return 0;
}

static void check_ascii(const char *s, size_t len)
{
    size_t cap = len / 2 + 1;
    tok_span *got = malloc(cap * sizeof *got);
    tok_span *want = malloc(cap * sizeof *want);
    if (!got || !want)
        abort();
    struct collect c = {s, len, 0, 0, want, 0, cap};
    tokenize(s, len, TOKENIZE_DOCUMENT, 0, on_token, &c);
    size_t n = tokenize_ascii(s, len, got);
    if (n > cap)
        abort();
    if (n != c.n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (got[i].start != want[i].start || got[i].end != want[i].end ||
            got[i].flags != want[i].flags)
            abort();
    free(got);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (int mode = TOKENIZE_DOCUMENT; mode <= TOKENIZE_QUERY; mode++) {
        struct collect c = {s, size, 0, 0, NULL, 0, 0};
        tokenize(s, size, mode, 7, on_token, &c);
    }

    /* The same bytes made ASCII, for tokenize_ascii. */
    char *ascii = malloc(size + 1);
    if (!ascii)
        return 0;
    for (size_t i = 0; i < size; i++)
        ascii[i] = (char)(data[i] & 0x7F);
    check_ascii(ascii, size);
    free(ascii);

    const char *out;
    size_t olen;
    char *owned = NULL;
    if (utf8_repair(s, size, &out, &olen, &owned) == 0) {
        if (!utf8_valid(out, olen) || (owned == NULL) != (out == s))
            abort();
        size_t clip = utf8_clip(out, olen, size / 2);
        if (clip > size / 2 || clip > olen || !utf8_valid(out, clip))
            abort();
        free(owned);
    }
    for (size_t i = 0; i < size;) {
        uint32_t cp, folded[2];
        size_t n = utf8_decode(s + i, size - i, &cp);
        if (n == 0 || n > size - i)
            abort();
        int k = tok_fold(cp, folded);
        if (k < 0 || k > 2)
            abort();
        char enc[4];
        for (int j = 0; j < k; j++)
            if (utf8_encode(folded[j], enc) > 4)
                abort();
        i += n;
    }
    return 0;
}
