/* test_utf8.c - strict decoding, encoding, validation, repair and clipping. */
#include "utf8.h"

#include "testutil.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* The functions touch no files, but every test still gets its own folder,
 * as the house rules ask, so nothing here can collide with a parallel run. */
static const char *tmp;
static void setup(void)
{
    tmp = tu_tmpdir();
}
static void teardown(void)
{
    tu_rmtree(tmp);
}
TestSuite(utf8, .init = setup, .fini = teardown);

struct decode_case {
    int no;
    const char *in;
    size_t len;
    uint32_t cp;
    size_t used;
};

#define S(lit) lit, sizeof(lit) - 1

static const struct decode_case decode_cases[] = {
    {1, S("A"), 0x41, 1},
    {2, S("\xC3\xA9"), 0xE9, 2},                      /* é */
    {3, S("\xE2\x82\xAC"), 0x20AC, 3},                /* € */
    {4, S("\xF0\x9F\x98\x80"), 0x1F600, 4},           /* emoji */
    {5, S("\xC0\xAF"), UTF8_REPLACEMENT, 1},          /* overlong '/' */
    {6, S("\xC1\xBF"), UTF8_REPLACEMENT, 1},          /* overlong, 2 bytes */
    {7, S("\xE0\x80\xAF"), UTF8_REPLACEMENT, 1},      /* overlong, 3 bytes */
    {8, S("\xF0\x80\x80\xAF"), UTF8_REPLACEMENT, 1},  /* overlong, 4 bytes */
    {9, S("\xED\xA0\x80"), UTF8_REPLACEMENT, 1},      /* surrogate D800 */
    {10, S("\xED\xBF\xBF"), UTF8_REPLACEMENT, 1},     /* surrogate DFFF */
    {11, S("\xF4\x90\x80\x80"), UTF8_REPLACEMENT, 1}, /* U+110000 */
    {12, S("\xF5\x80\x80\x80"), UTF8_REPLACEMENT, 1}, /* lead byte never legal */
    {13, S("\xE2\x82"), UTF8_REPLACEMENT, 1},         /* truncated */
    {14, S("\x80"), UTF8_REPLACEMENT, 1},             /* stray continuation */
    {15, S("\xFF"), UTF8_REPLACEMENT, 1},
    {16, S("\xEF\xBF\xBD"), UTF8_REPLACEMENT, 3}, /* a real U+FFFD is fine */
    {17, S("\xF4\x8F\xBF\xBF"), 0x10FFFF, 4},
    {18, S("\xED\x9F\xBF"), 0xD7FF, 3}, /* just below the surrogates */
    {19, S("\xEE\x80\x80"), 0xE000, 3}, /* just above them */
    {20, S("\xC2\x80"), 0x80, 2},
    {21, S("\xDF\xBF"), 0x7FF, 2},
    {22, S("\xE0\xA0\x80"), 0x800, 3},
    {23, S("\xF0\x90\x80\x80"), 0x10000, 4},
    {24, S("\xE2\x28\xA1"), UTF8_REPLACEMENT, 1},     /* bad second byte */
    {25, S("\xF0\x9F\x98"), UTF8_REPLACEMENT, 1},     /* 4-byte form cut short */
    {26, S("\xF0\x9F\x28\x80"), UTF8_REPLACEMENT, 1}, /* bad third byte */
    {27, "\0", 1, 0, 1},
    {28, S("\xC3\xA9xyz"), 0xE9, 2}, /* only the first code point */
};

Test(utf8, decode_table)
{
    for (size_t i = 0; i < sizeof decode_cases / sizeof *decode_cases; i++) {
        const struct decode_case *c = &decode_cases[i];
        uint32_t cp = 0;
        size_t n = utf8_decode(c->in, c->len, &cp);
        cr_expect_eq(n, c->used, "case %d: used %zu, want %zu", c->no, n, c->used);
        cr_expect_eq(cp, c->cp, "case %d: cp %X, want %X", c->no, cp, c->cp);
    }
}

Test(utf8, decode_empty_consumes_nothing)
{
    uint32_t cp = 0;
    cr_expect_eq(utf8_decode("", 0, &cp), 0);
}

/* A length shorter than the sequence must be honoured even when the bytes
 * after it would complete it. */
Test(utf8, decode_respects_len)
{
    uint32_t cp = 0;
    cr_expect_eq(utf8_decode("\xE2\x82\xAC", 2, &cp), 1);
    cr_expect_eq(cp, UTF8_REPLACEMENT);
}

struct encode_case {
    int no;
    uint32_t cp;
    const char *out;
};

static const struct encode_case encode_cases[] = {
    {1, 0x41, "A"},
    {2, 0xE9, "\xC3\xA9"},
    {3, 0x7FF, "\xDF\xBF"},
    {4, 0x800, "\xE0\xA0\x80"},
    {5, 0x20AC, "\xE2\x82\xAC"},
    {6, 0xFFFD, "\xEF\xBF\xBD"},
    {7, 0x10000, "\xF0\x90\x80\x80"},
    {8, 0x10FFFF, "\xF4\x8F\xBF\xBF"},
    {9, 0xD800, "\xEF\xBF\xBD"},    /* surrogate: replaced */
    {10, 0x110000, "\xEF\xBF\xBD"}, /* out of range: replaced */
};

Test(utf8, encode_table)
{
    for (size_t i = 0; i < sizeof encode_cases / sizeof *encode_cases; i++) {
        const struct encode_case *c = &encode_cases[i];
        char out[4];
        size_t n = utf8_encode(c->cp, out);
        cr_expect_eq(n, strlen(c->out), "case %d: %zu bytes", c->no, n);
        cr_expect(memcmp(out, c->out, n) == 0, "case %d: wrong bytes", c->no);
    }
}

Test(utf8, encode_decode_round_trip_every_scalar)
{
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char b[4];
        size_t n = utf8_encode(cp, b);
        uint32_t back = 0;
        size_t m = utf8_decode(b, n, &back);
        if (m != n || back != cp)
            cr_assert_fail("U+%X: %zu/%zu bytes, back U+%X", cp, m, n, back);
        cr_assert(utf8_valid(b, n));
    }
}

struct valid_case {
    int no;
    const char *in;
    size_t len;
    int valid;
};

static const struct valid_case valid_cases[] = {
    {1, S(""), 1},
    {2, S("plain ascii text that is longer than eight bytes"), 1},
    {3, S("Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), 1},
    {4, S("abcdefgh\xFF"), 0},
    {5, S("abc\xC3"), 0},                      /* truncated at the end */
    {6, S("\xED\xA0\x80"), 0},                 /* surrogate */
    {7, S("\xC0\x80"), 0},                     /* overlong NUL */
    {8, "a\0b", 3, 1},                         /* NUL is valid UTF-8 */
    {9, S("0123456789abcdef\xE2\x82\xAC"), 1}, /* multibyte after the fast skip */
    {10, S("0123456789abcdef\xE2\x82"), 0},
};

Test(utf8, valid_table)
{
    for (size_t i = 0; i < sizeof valid_cases / sizeof *valid_cases; i++) {
        const struct valid_case *c = &valid_cases[i];
        cr_expect_eq(!!utf8_valid(c->in, c->len), c->valid, "case %d", c->no);
    }
}

struct repair_case {
    int no;
    const char *in;
    size_t len;
    const char *out; /* NULL: valid, no copy */
};

#define R "\xEF\xBF\xBD"
static const struct repair_case repair_cases[] = {
    {1, S("already fine"), NULL},
    {2, S(""), NULL},
    {3,
     S("a\xFF"
       "b"),
     "a" R "b"},
    {4, S("\xE2\x82"), R R}, /* each bad byte on its own */
    {5, S("\xC0\xAF"), R R},
    {6, S("x\xED\xA0\x80y"), "x" R R R "y"}, /* surrogate: 3 bytes, 3 marks */
    {7, S("caf\xC3\xA9\x80"), "caf\xC3\xA9" R},
    {8, S("\xF0\x9F\x98\x80\xF0\x9F\x98"), "\xF0\x9F\x98\x80" R R R},
    {9, S("long ascii run first, then bad \x81"), "long ascii run first, then bad " R},
};

Test(utf8, repair_table)
{
    for (size_t i = 0; i < sizeof repair_cases / sizeof *repair_cases; i++) {
        const struct repair_case *c = &repair_cases[i];
        const char *out = NULL;
        size_t out_len = 0;
        char *owned = (char *)1;
        cr_assert_eq(utf8_repair(c->in, c->len, &out, &out_len, &owned), 0, "case %d", c->no);
        if (!c->out) {
            cr_expect_eq(out, c->in, "case %d: copied valid text", c->no);
            cr_expect_eq(out_len, c->len, "case %d", c->no);
            cr_expect_null(owned, "case %d", c->no);
            continue;
        }
        cr_assert_not_null(owned, "case %d", c->no);
        cr_expect_eq(out, owned, "case %d", c->no);
        cr_expect_eq(out_len, strlen(c->out), "case %d: len %zu", c->no, out_len);
        cr_expect(memcmp(out, c->out, out_len) == 0, "case %d: wrong bytes", c->no);
        cr_expect_eq(out[out_len], '\0', "case %d: not terminated", c->no);
        cr_expect(utf8_valid(out, out_len), "case %d: repair not valid", c->no);
        free(owned);
    }
}

/* Repair is a pure function of its input: the same bytes always give the same
 * text, which is what lets offsets be recomputed from the original. */
Test(utf8, repair_is_deterministic)
{
    const char in[] = "\x80h\xC3\xA9llo\xE2\x82 w\xF4\x90\x80\x80rld\xC3";
    const char *a, *b;
    size_t alen, blen;
    char *ao, *bo;
    cr_assert_eq(utf8_repair(in, sizeof in - 1, &a, &alen, &ao), 0);
    cr_assert_eq(utf8_repair(in, sizeof in - 1, &b, &blen, &bo), 0);
    cr_assert_eq(alen, blen);
    cr_assert(memcmp(a, b, alen) == 0);
    cr_assert(utf8_valid(a, alen));
    free(ao);
    free(bo);
}

struct clip_case {
    int no;
    const char *in;
    size_t len;
    size_t max;
    size_t want;
};

static const struct clip_case clip_cases[] = {
    {1, S("ab"), 5, 2},
    {2, S("ab"), 2, 2},
    {3, S("abc"), 2, 2},
    {4, S("h\xC3\xA9llo"), 2, 1}, /* would split é */
    {5, S("h\xC3\xA9llo"), 3, 3},
    {6, S("\xE2\x82\xACuro"), 1, 0},
    {7, S("\xE2\x82\xACuro"), 2, 0},
    {8, S("\xE2\x82\xACuro"), 3, 3},
    {9, S("\xF0\x9F\x98\x80!"), 3, 0},
    {10, S("\xF0\x9F\x98\x80!"), 4, 4},
    {11,
     S("a\x80\x80\x80\x80"
       "b"),
     3, 3}, /* stray bytes split nothing */
    {12, S(""), 0, 0},
    {13, S("abc"), 0, 0},
    {14, S("ab\xE2\x82"), 3, 3}, /* truncated: the lead is a lone bad byte */
    {15, S("\xC3\xA9\xC3\xA9"), 3, 2},
};

Test(utf8, clip_table)
{
    for (size_t i = 0; i < sizeof clip_cases / sizeof *clip_cases; i++) {
        const struct clip_case *c = &clip_cases[i];
        size_t n = utf8_clip(c->in, c->len, c->max);
        cr_expect_eq(n, c->want, "case %d: %zu, want %zu", c->no, n, c->want);
    }
}

/* Offsets in a repaired copy back to the original (query errors point into
 * what the caller wrote: tests/test_query.c, end_to_end_errors_and_notes). */
Test(utf8, original_offset)
{
    /* "a" BAD "é" BAD BAD "b": repaired "a" FFFD "é" FFFD FFFD "b". */
    static const char s[] = "a\x90\xc3\xa9\xff\xc3"
                            "b";
    size_t len = sizeof s - 1;
    static const struct {
        size_t off, want;
    } cases[] = {
        {0, 0},  {1, 1},  {2, 1}, {3, 1},           /* inside the first U+FFFD: its byte */
        {4, 2},  {5, 3},                            /* the é's bytes map one to one */
        {6, 4},  {8, 4},  {9, 5}, {11, 5}, {12, 6}, /* the second bad byte; 'b' */
        {13, 7}, {99, 7},                           /* the end, and past it */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_expect_eq(utf8_original_offset(s, len, cases[i].off), cases[i].want, "offset %zu",
                     cases[i].off);
    cr_expect_eq(utf8_original_offset("abc", 3, 2), 2);
    cr_expect_eq(utf8_original_offset("", 0, 0), 0);
}
