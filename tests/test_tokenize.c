/* test_tokenize.c - words, folding, offsets, positions and flags. */
#include "tokenize.h"

#include "testutil.h"
#include "utf8.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tokenizer touches no files; the folder is made anyway so every test
 * follows the same pattern and could write a failing input out. */
static const char *tmp;
static void setup(void)
{
    tmp = tu_tmpdir();
}
static void teardown(void)
{
    tu_rmtree(tmp);
}
TestSuite(tokenize, .init = setup, .fini = teardown);

#define SEN TOK_SENTENCE
#define HYP TOK_HYPHENATED
#define NUM TOK_NUMBER
#define CJK TOK_CJK

#define MAX_TOKENS 16

struct want {
    const char *text; /* NULL ends the list */
    size_t start, end;
    uint32_t pos;
    unsigned flags;
};

struct tcase {
    int no;
    const char *in;
    size_t len;
    struct want tok[MAX_TOKENS];
};

struct got {
    size_t n;
    char text[MAX_TOKENS * 2][TOK_MAX_BYTES + 1];
    token tok[MAX_TOKENS * 2];
};

static int collect(void *ctx, const token *t)
{
    struct got *g = ctx;
    cr_assert_lt(g->n, MAX_TOKENS * 2, "too many tokens");
    cr_assert_leq(t->len, TOK_MAX_BYTES);
    cr_assert_eq(t->text[t->len], '\0', "token text not terminated");
    memcpy(g->text[g->n], t->text, t->len + 1);
    g->tok[g->n] = *t;
    g->tok[g->n].text = g->text[g->n];
    g->n++;
    return 0;
}

#define S(lit) lit, sizeof(lit) - 1

/* 70 letters: folded longer than TOK_MAX_BYTES, so skipped. */
#define LONG70 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
/* exactly TOK_MAX_BYTES letters: still a token. */
#define LONG64 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const struct tcase cases[] = {
    /* plain words and case */
    {1, S(""), {{0}}},
    {2, S("Hello world"), {{"hello", 0, 5, 0, SEN}, {"world", 6, 11, 1, 0}}},
    {3,
     S("  THE Quick  bRoWn "),
     {{"the", 2, 5, 0, SEN}, {"quick", 6, 11, 1, 0}, {"brown", 13, 18, 2, 0}}},
    /* accented Latin */
    {4, S("\xC3\x89mile Zola"), {{"emile", 0, 6, 0, SEN}, {"zola", 7, 11, 1, 0}}},
    {5, S("M\xC3\xBCller"), {{"muller", 0, 7, 0, SEN}}},
    {6,
     S("Stra\xC3\x9F"
       "e"),
     {{"strasse", 0, 7, 0, SEN}}},
    {7,
     S("\xC5\x92uvre, \xC3\x86r\xC3\xB8 and \xC5\x81\xC3\xB3"
       "d\xC5\xBA"),
     {{"oeuvre", 0, 6, 0, SEN},
      {"aero", 8, 13, 1, 0},
      {"and", 14, 17, 2, 0},
      {"lodz", 18, 25, 3, 0}}},
    {8, /* Vietnamese: Đà Nẵng */
     S("\xC4\x90\xC3\xA0 N\xE1\xBA\xB5ng"),
     {{"da", 0, 4, 0, SEN}, {"nang", 5, 11, 1, 0}}},
    /* apostrophes and quotes */
    {9, S("Japan\xE2\x80\x99s economy"), {{"japan's", 0, 9, 0, SEN}, {"economy", 10, 17, 1, 0}}},
    {10, S("Japan's"), {{"japan's", 0, 7, 0, SEN}}},
    {11, S("rock 'n' roll"), {{"rock", 0, 4, 0, SEN}, {"n", 6, 7, 1, 0}, {"roll", 9, 13, 2, 0}}},
    {12, /* ‘Quoted’ words */
     S("\xE2\x80\x98Quoted\xE2\x80\x99 words"),
     {{"quoted", 3, 9, 0, SEN}, {"words", 13, 18, 1, 0}}},
    {13, /* the players’ union */
     S("the players\xE2\x80\x99 union"),
     {{"the", 0, 3, 0, SEN}, {"players", 4, 11, 1, 0}, {"union", 15, 20, 2, 0}}},
    {14, /* “Hello,” she said */
     S("\xE2\x80\x9CHello,\xE2\x80\x9D she said"),
     {{"hello", 3, 8, 0, SEN}, {"she", 13, 16, 1, 0}, {"said", 17, 21, 2, 0}}},
    /* hyphens */
    {15, S("Kang-Kono"), {{"kang", 0, 4, 0, SEN}, {"kono", 5, 9, 1, HYP}}},
    {16, S("Moon Jae-in"), {{"moon", 0, 4, 0, SEN}, {"jae", 5, 8, 1, 0}, {"in", 9, 11, 2, HYP}}},
    {17, /* U+2010 HYPHEN */
     S("Kim\xE2\x80\x90Jong"),
     {{"kim", 0, 3, 0, SEN}, {"jong", 6, 10, 1, HYP}}},
    {18,
     S("well- known -- dash"),
     {{"well", 0, 4, 0, SEN}, {"known", 6, 11, 1, 0}, {"dash", 15, 19, 2, 0}}},
    /* numbers */
    {19, S("2019-08-01"), {{"2019-08-01", 0, 10, 0, SEN | NUM}}},
    {20,
     S("at 10:30 today"),
     {{"at", 0, 2, 0, SEN}, {"10:30", 3, 8, 1, NUM}, {"today", 9, 14, 2, 0}}},
    {21, S("3.5 percent"), {{"3.5", 0, 3, 0, SEN | NUM}, {"percent", 4, 11, 1, 0}}},
    {22,
     S("1,000 won and 12,345,678"),
     {{"1000", 0, 5, 0, SEN | NUM},
      {"won", 6, 9, 1, 0},
      {"and", 10, 13, 2, 0},
      {"12345678", 14, 24, 3, NUM}}},
    {23, S("24/7"), {{"24/7", 0, 4, 0, SEN | NUM}}},
    {24,
     S("COVID-19 cases"),
     {{"covid", 0, 5, 0, SEN}, {"19", 6, 8, 1, HYP | NUM}, {"cases", 9, 14, 2, 0}}},
    {25, /* a comma not followed by exactly three digits separates */
     S("1,2,3 and 1,0000"),
     {{"1", 0, 1, 0, SEN | NUM},
      {"2", 2, 3, 1, NUM},
      {"3", 4, 5, 2, NUM},
      {"and", 6, 9, 3, 0},
      {"1", 10, 11, 4, NUM},
      {"0000", 12, 16, 5, NUM}}},
    {26,
     S("mp3 G20 19-year-old"),
     {{"mp3", 0, 3, 0, SEN | NUM},
      {"g20", 4, 7, 1, NUM},
      {"19", 8, 10, 2, NUM},
      {"year", 11, 15, 3, HYP},
      {"old", 16, 19, 4, HYP}}},
    {27,
     S("It ended in 2019. Then"),
     {{"it", 0, 2, 0, SEN},
      {"ended", 3, 8, 1, 0},
      {"in", 9, 11, 2, 0},
      {"2019", 12, 16, 3, NUM},
      {"then", 18, 22, 4, SEN}}},
    /* URLs and e-mail: plain separators, no special tokens */
    {28,
     S("see https://www.kbs.co.kr/news?id=7 now"),
     {{"see", 0, 3, 0, SEN},
      {"https", 4, 9, 1, 0},
      {"www", 12, 15, 2, 0},
      {"kbs", 16, 19, 3, 0},
      {"co", 20, 22, 4, 0},
      {"kr", 23, 25, 5, 0},
      {"news", 26, 30, 6, 0},
      {"id", 31, 33, 7, 0},
      {"7", 34, 35, 8, NUM},
      {"now", 36, 39, 9, 0}}},
    {29,
     S("mail kim.soyon@example.com today"),
     {{"mail", 0, 4, 0, SEN},
      {"kim", 5, 8, 1, 0},
      {"soyon", 9, 14, 2, 0},
      {"example", 15, 22, 3, 0},
      {"com", 23, 26, 4, 0},
      {"today", 27, 32, 5, 0}}},
    /* CJK: one token per character */
    {30, /* 日本語 */
     S("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"),
     {{"\xE6\x97\xA5", 0, 3, 0, SEN | CJK},
      {"\xE6\x9C\xAC", 3, 6, 1, CJK},
      {"\xE8\xAA\x9E", 6, 9, 2, CJK}}},
    {31, /* 東京とSeoul */
     S("\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x81\xA8Seoul"),
     {{"\xE6\x9D\xB1", 0, 3, 0, SEN | CJK},
      {"\xE4\xBA\xAC", 3, 6, 1, CJK},
      {"\xE3\x81\xA8", 6, 9, 2, CJK},
      {"seoul", 9, 14, 3, 0}}},
    {32, /* ニュース。次: the ideographic full stop starts a sentence */
     S("\xE3\x83\x8B\xE3\x83\xA5\xE3\x83\xBC\xE3\x82\xB9\xE3\x80\x82\xE6\xAC\xA1"),
     {{"\xE3\x83\x8B", 0, 3, 0, SEN | CJK},
      {"\xE3\x83\xA5", 3, 6, 1, CJK},
      {"\xE3\x83\xBC", 6, 9, 2, CJK},
      {"\xE3\x82\xB9", 9, 12, 3, CJK},
      {"\xE6\xAC\xA1", 15, 18, 4, SEN | CJK}}},
    /* Hangul: words by spaces */
    {33, /* 대한민국 서울특별시 */
     S("\xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD "
       "\xEC\x84\x9C\xEC\x9A\xB8\xED\x8A\xB9\xEB\xB3\x84\xEC\x8B\x9C"),
     {{"\xEB\x8C\x80\xED\x95\x9C\xEB\xAF\xBC\xEA\xB5\xAD", 0, 12, 0, SEN},
      {"\xEC\x84\x9C\xEC\x9A\xB8\xED\x8A\xB9\xEB\xB3\x84\xEC\x8B\x9C", 13, 28, 1, 0}}},
    {34, /* K-pop 가수 */
     S("K-pop \xEA\xB0\x80\xEC\x88\x98"),
     {{"k", 0, 1, 0, SEN}, {"pop", 2, 5, 1, HYP}, {"\xEA\xB0\x80\xEC\x88\x98", 6, 12, 2, 0}}},
    /* Greek and Cyrillic */
    {35, /* ΑΘΗΝΑ Ελλάδα ΟΔΟΣ: tonos dropped, final sigma folded */
     S("\xCE\x91\xCE\x98\xCE\x97\xCE\x9D\xCE\x91 "
       "\xCE\x95\xCE\xBB\xCE\xBB\xCE\xAC\xCE\xB4\xCE\xB1 \xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3"),
     {{"\xCE\xB1\xCE\xB8\xCE\xB7\xCE\xBD\xCE\xB1", 0, 10, 0, SEN},
      {"\xCE\xB5\xCE\xBB\xCE\xBB\xCE\xB1\xCE\xB4\xCE\xB1", 11, 23, 1, 0},
      {"\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83", 24, 32, 2, 0}}},
    {36, /* МОСКВА Ёлка */
     S("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90 \xD0\x81\xD0\xBB\xD0\xBA\xD0\xB0"),
     {{"\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0", 0, 12, 0, SEN},
      {"\xD0\xB5\xD0\xBB\xD0\xBA\xD0\xB0", 13, 21, 1, 0}}},
    /* invalid UTF-8 and NUL bytes are separators; offsets stay in input bytes */
    {37,
     S("ab\xFF"
       "cd \xC3"),
     {{"ab", 0, 2, 0, SEN}, {"cd", 3, 5, 1, 0}}},
    {38,
     S("caf\xC3\xA9\x80s \xED\xA0\x80x"),
     {{"cafe", 0, 5, 0, SEN}, {"s", 6, 7, 1, 0}, {"x", 11, 12, 2, 0}}},
    {39, "one\0two", 7, {{"one", 0, 3, 0, SEN}, {"two", 4, 7, 1, 0}}},
    {40,
     S("a\xEF\xBF\xBD"
       "b"),
     {{"a", 0, 1, 0, SEN}, {"b", 4, 5, 1, 0}}},
    /* the length cap */
    {41, S(LONG70 " next"), {{"next", 71, 75, 0, SEN}}},
    {42, S("short " LONG70 " word"), {{"short", 0, 5, 0, SEN}, {"word", 77, 81, 1, 0}}},
    {43, S(LONG64), {{LONG64, 0, 64, 0, SEN}}},
    {44, S("x-" LONG70 "-y"), {{"x", 0, 1, 0, SEN}, {"y", 73, 74, 1, HYP}}},
    /* nothing to index */
    {45, S("... !!! ??? \xE2\x80\x94 () \"\""), {{0}}},
    {46, S(" \t\r\n "), {{0}}},
    /* sentence starts */
    {47,
     S("One. Two! Three? four"),
     {{"one", 0, 3, 0, SEN},
      {"two", 5, 8, 1, SEN},
      {"three", 10, 15, 2, SEN},
      {"four", 17, 21, 3, SEN}}},
    {48,
     S("Blank\n\nline\nnext \n \r\n after"),
     {{"blank", 0, 5, 0, SEN},
      {"line", 7, 11, 1, SEN},
      {"next", 12, 16, 2, 0},
      {"after", 22, 27, 3, SEN}}},
    {49,
     S("He said \"no.\" Then e.g., this"),
     {{"he", 0, 2, 0, SEN},
      {"said", 3, 7, 1, 0},
      {"no", 9, 11, 2, 0},
      {"then", 14, 18, 3, SEN},
      {"e", 19, 20, 4, 0},
      {"g", 21, 22, 5, 0},
      {"this", 25, 29, 6, 0}}},
    {50,
     S("cost 3.5. Next"),
     {{"cost", 0, 4, 0, SEN}, {"3.5", 5, 8, 1, NUM}, {"next", 10, 14, 2, SEN}}},
    /* invisible and decomposed characters */
    {51, /* Cafe + U+0301 */
     S("Cafe\xCC\x81 caf\xC3\xA9"),
     {{"cafe", 0, 6, 0, SEN}, {"cafe", 7, 12, 1, 0}}},
    {52, /* soft hyphen inside a word */
     S("infor\xC2\xADmation"),
     {{"information", 0, 13, 0, SEN}}},
    {53, /* full-width ＫＢＳ１ */
     S("\xEF\xBC\xAB\xEF\xBC\xA2\xEF\xBC\xB3\xEF\xBC\x91"),
     {{"kbs1", 0, 12, 0, SEN | NUM}}},
    {54, /* NBSP and emoji separate */
     S("10\xC2\xA0km good\xF0\x9F\x91\x8Dnews"),
     {{"10", 0, 2, 0, SEN | NUM},
      {"km", 4, 6, 1, 0},
      {"good", 7, 11, 2, 0},
      {"news", 15, 19, 3, 0}}},
    {55,
     S("'90s and 1990's"),
     {{"90s", 1, 4, 0, SEN | NUM},
      {"and", 5, 8, 1, 0},
      {"1990", 9, 13, 2, NUM},
      {"s", 14, 15, 3, 0}}},
    {56, /* possessive of a hyphenated name */
     S("Lee-Kim's plan"),
     {{"lee", 0, 3, 0, SEN}, {"kim's", 4, 9, 1, HYP}, {"plan", 10, 14, 2, 0}}},
};

static void check_case(const struct tcase *c, int mode)
{
    struct got g;
    memset(&g, 0, sizeof g);
    cr_assert_eq(tokenize(c->in, c->len, mode, 0, collect, &g), 0, "case %d", c->no);
    size_t want_n = 0;
    while (want_n < MAX_TOKENS && c->tok[want_n].text)
        want_n++;
    for (size_t i = 0; i < g.n && i < want_n; i++) {
        const struct want *w = &c->tok[i];
        const token *t = &g.tok[i];
        cr_expect_str_eq(t->text, w->text, "case %d token %zu: \"%s\", want \"%s\"", c->no, i,
                         t->text, w->text);
        cr_expect_eq(t->len, strlen(w->text), "case %d token %zu: len", c->no, i);
        cr_expect_eq(t->start, w->start, "case %d token %zu (%s): start %zu, want %zu", c->no, i,
                     w->text, t->start, w->start);
        cr_expect_eq(t->end, w->end, "case %d token %zu (%s): end %zu, want %zu", c->no, i, w->text,
                     t->end, w->end);
        cr_expect_eq(t->pos, w->pos, "case %d token %zu (%s): pos %u, want %u", c->no, i, w->text,
                     t->pos, w->pos);
        cr_expect_eq(t->flags, w->flags, "case %d token %zu (%s): flags %u, want %u", c->no, i,
                     w->text, t->flags, w->flags);
    }
    cr_expect_eq(g.n, want_n, "case %d: %zu tokens, want %zu", c->no, g.n, want_n);
}

Test(tokenize, table)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i], TOKENIZE_DOCUMENT);
}

/* Queries must split exactly like documents, or indexed terms would not be
 * found. */
Test(tokenize, query_mode_matches_document_mode)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i], TOKENIZE_QUERY);
}

Test(tokenize, first_pos_offsets_positions)
{
    struct got g;
    memset(&g, 0, sizeof g);
    const char in[] = "Kang-Kono spoke";
    cr_assert_eq(tokenize(in, sizeof in - 1, TOKENIZE_DOCUMENT, 100, collect, &g), 0);
    cr_assert_eq(g.n, 3);
    cr_expect_eq(g.tok[0].pos, 100);
    cr_expect_eq(g.tok[1].pos, 101);
    cr_expect_eq(g.tok[2].pos, 102);
}

static int stop_at_second(void *ctx, const token *t)
{
    (void)t;
    int *n = ctx;
    return ++*n == 2 ? 42 : 0;
}

Test(tokenize, callback_stops)
{
    int n = 0;
    const char in[] = "one two three four";
    cr_expect_eq(tokenize(in, sizeof in - 1, TOKENIZE_DOCUMENT, 0, stop_at_second, &n), 42);
    cr_expect_eq(n, 2);
    n = 0; /* also when the stop comes inside a hyphenated word */
    cr_expect_eq(tokenize("Kang-Kono-Lee", 13, TOKENIZE_DOCUMENT, 0, stop_at_second, &n), 42);
    cr_expect_eq(n, 2);
}

Test(tokenize, null_empty_input)
{
    int n = 0;
    cr_expect_eq(tokenize(NULL, 0, TOKENIZE_DOCUMENT, 0, stop_at_second, &n), 0);
    cr_expect_eq(n, 0);
}

struct fold_case {
    int no;
    uint32_t cp;
    int n;
    uint32_t out[2];
};

static const struct fold_case fold_cases[] = {
    {1, 'A', 1, {'a'}},          {2, 'z', 1, {'z'}},
    {3, '5', 1, {'5'}},          {4, 0xC9, 1, {'e'}},    /* É */
    {5, 0xDF, 2, {'s', 's'}},                            /* ß */
    {6, 0x1E9E, 2, {'s', 's'}},                          /* ẞ */
    {7, 0xC6, 2, {'a', 'e'}},                            /* Æ */
    {8, 0x153, 2, {'o', 'e'}},                           /* œ */
    {9, 0xF8, 1, {'o'}},                                 /* ø */
    {10, 0x111, 1, {'d'}},                               /* đ */
    {11, 0x141, 1, {'l'}},                               /* Ł */
    {12, 0x1A0, 1, {'o'}},                               /* Ơ */
    {13, 0x1B0, 1, {'u'}},                               /* ư */
    {14, 0x1EA0, 1, {'a'}},                              /* Ạ */
    {15, 0x1EF9, 1, {'y'}},                              /* ỹ */
    {16, 0x219, 1, {'s'}},                               /* ș */
    {17, 0x14A, 1, {0x14B}},                             /* Ŋ -> ŋ: no ASCII base */
    {18, 0x386, 1, {0x3B1}},                             /* Ά -> α */
    {19, 0x3A3, 1, {0x3C3}},                             /* Σ -> σ */
    {20, 0x3C2, 1, {0x3C3}},                             /* ς -> σ */
    {21, 0x3CA, 1, {0x3B9}},                             /* ϊ -> ι */
    {22, 0x42F, 1, {0x44F}},                             /* Я -> я */
    {23, 0x401, 1, {0x435}},                             /* Ё -> е */
    {24, 0x419, 1, {0x439}},                             /* Й -> й: a letter of its own */
    {25, 0x4D0, 1, {0x4D1}},                             /* Ӑ -> ӑ */
    {26, 0x531, 1, {0x561}},                             /* Armenian */
    {27, 0x301, 0, {0}},                                 /* combining acute: dropped */
    {28, 0xAD, 0, {0}},                                  /* soft hyphen: dropped */
    {29, 0x65E5, 1, {0x65E5}},                           /* 日 */
    {30, 0xD55C, 1, {0xD55C}},                           /* 한 */
    {31, 0xFF2B, 1, {'k'}},                              /* Ｋ */
    {32, 0xFF11, 1, {'1'}},                              /* １ */
    {33, 0xFB01, 2, {'f', 'i'}}, {34, 0xB5, 1, {0x3BC}}, /* micro sign -> μ */
    {35, 0xD7, 1, {0xD7}},                               /* × is not a letter: unchanged */
    {36, 0x130, 1, {'i'}},                               /* İ */
    {37, 0x1C4, 2, {'d', 'z'}},
};

Test(tokenize, fold_table)
{
    for (size_t i = 0; i < sizeof fold_cases / sizeof *fold_cases; i++) {
        const struct fold_case *c = &fold_cases[i];
        uint32_t out[2] = {0, 0};
        int n = tok_fold(c->cp, out);
        cr_expect_eq(n, c->n, "case %d: %d code points, want %d", c->no, n, c->n);
        for (int k = 0; k < n && k < c->n; k++)
            cr_expect_eq(out[k], c->out[k], "case %d: out[%d] U+%X, want U+%X", c->no, k, out[k],
                         c->out[k]);
    }
}

/* Every folded Latin-1 and Latin Extended-A letter is plain ASCII: that is
 * what makes "Muller" find "Müller". */
Test(tokenize, fold_latin_to_ascii)
{
    for (uint32_t cp = 0xC0; cp < 0x180; cp++) {
        if (cp == 0xD7 || cp == 0xF7 || cp == 0x138 || cp == 0x14A || cp == 0x14B)
            continue; /* ×, ÷, ĸ and ŋ have no ASCII letter */
        uint32_t out[2];
        int n = tok_fold(cp, out);
        cr_assert(n >= 1 && n <= 2, "U+%X", cp);
        for (int k = 0; k < n; k++)
            cr_assert(out[k] >= 'a' && out[k] <= 'z', "U+%X folds to U+%X", cp, out[k]);
    }
}

/* Random bytes, with a bias towards word characters and multibyte lead
 * bytes: whatever comes in, tokens stay inside the input, in order, at
 * consecutive positions, valid UTF-8 and within the cap. */
static int check_sane(void *ctx, const token *t)
{
    size_t *st = ctx; /* [0] input len, [1] expected pos, [2] last end */
    cr_assert_leq(t->start, t->end);
    cr_assert_leq(t->end, st[0]);
    cr_assert_geq(t->start, st[2]);
    cr_assert_eq(t->pos, st[1]);
    cr_assert_gt(t->len, 0);
    cr_assert_leq(t->len, TOK_MAX_BYTES);
    cr_assert(utf8_valid(t->text, t->len));
    cr_assert_eq(strlen(t->text), t->len, "NUL inside a token");
    st[1]++;
    st[2] = t->end;
    return 0;
}

Test(tokenize, random_input_is_safe)
{
    static const char pool[] =
        "aZ09 -'.,:/!?\n\xC3\xA9\xE2\x80\x99\xE6\x97\xA5\xED\x95\x9C\xFF\x80";
    unsigned seed = 12345;
    char buf[512];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 500) + 1;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) & 0x7FFF;
            buf[i] = (r & 3) ? pool[r % (sizeof pool - 1)] : (char)(r & 0xFF);
        }
        size_t st[3] = {len, 7, 0};
        cr_assert_eq(tokenize(buf, len, TOKENIZE_DOCUMENT, 7, check_sane, st), 0);
    }
}

struct all {
    token *toks;
    char (*texts)[TOK_MAX_BYTES + 1];
    size_t n, cap;
};

static int collect_all(void *ctx, const token *t)
{
    struct all *a = ctx;
    cr_assert_lt(a->n, a->cap);
    memcpy(a->texts[a->n], t->text, t->len + 1);
    a->toks[a->n] = *t;
    a->toks[a->n].text = a->texts[a->n];
    a->n++;
    return 0;
}

/* tokenize_ascii() must find exactly tokenize()'s words in ASCII text:
 * the same spans and flags, and the folded form its header promises. */
static void check_ascii_agrees(const char *in, size_t len, const char *what)
{
    size_t cap = len + 1;
    token *toks = malloc(cap * sizeof *toks);
    char(*texts)[TOK_MAX_BYTES + 1] = malloc(cap * sizeof *texts);
    tok_span *spans = malloc((len / 2 + 1) * sizeof *spans);
    cr_assert(toks && texts && spans);
    struct all all = {toks, texts, 0, cap};
    cr_assert_eq(tokenize(in, len, TOKENIZE_DOCUMENT, 0, collect_all, &all), 0);
    size_t n = tokenize_ascii(in, len, spans);
    cr_assert_leq(n, len / 2 + 1, "%s", what);
    cr_assert_eq(n, all.n, "%s: %zu spans, tokenize() has %zu words", what, n, all.n);
    for (size_t i = 0; i < n; i++) {
        char folded[TOK_MAX_BYTES + 1];
        size_t fl = 0;
        for (size_t k = spans[i].start; k < spans[i].end && fl < TOK_MAX_BYTES; k++)
            if (in[k] != ',')
                folded[fl++] = (char)(in[k] >= 'A' && in[k] <= 'Z' ? in[k] + 32 : in[k]);
        folded[fl] = '\0';
        cr_assert_eq(spans[i].start, toks[i].start, "%s: word %zu start", what, i);
        cr_assert_eq(spans[i].end, toks[i].end, "%s: word %zu end", what, i);
        cr_assert_eq(spans[i].flags, toks[i].flags, "%s: word %zu flags", what, i);
        cr_assert_str_eq(folded, toks[i].text, "%s: word %zu folded", what, i);
    }
    free(spans);
    free(texts);
    free(toks);
}

Test(tokenize, ascii_matches_tokenize_on_the_table)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct tcase *c = &cases[i];
        int ascii = 1;
        for (size_t k = 0; k < c->len; k++)
            ascii &= (unsigned char)c->in[k] < 0x80;
        if (!ascii)
            continue;
        char what[32];
        snprintf(what, sizeof what, "case %d", c->no);
        check_ascii_agrees(c->in, c->len, what);
    }
}

/* Seeded random ASCII built from the pieces the rules turn on: joiners
 * between letters and digits, grouping commas, terminators, blank lines,
 * words at and over the cap. */
Test(tokenize, ascii_matches_tokenize_on_random_text)
{
    static const char *const pieces[] = {
        " ",   "  ",   "\n",    "\n\n",  "\t",    ".",        ",",    "-",  "'",  "a",
        "Oil", "OIL",  "price", "1",     "2",     "000",      ":",    "/",  "!",  "?",
        "\"",  ")",    "(",     "U.S.",  "co-op", "--",       "''",   "a-", "-1", "1-",
        "1:2", "1/2",  "1.2.3", "1,234", "1,2",   "1,23",     "\r\n", "]",  "}",  "@",
        "Z9",  "\x01", LONG64,  "x",     "'s",    "9,999,999"};
    unsigned seed = 4242;
    char buf[2048];
    for (int round = 0; round < 2000; round++) {
        size_t len = 0, want = (size_t)(round % 40) + 1;
        for (size_t i = 0; i < want; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof pieces / sizeof *pieces)];
            size_t pl = strlen(p);
            memcpy(buf + len, p, pl);
            len += pl;
        }
        char what[32];
        snprintf(what, sizeof what, "round %d", round);
        check_ascii_agrees(buf, len, what);
    }
}
