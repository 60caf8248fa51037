/* test_stem.c - stems, stop words and the bounded cache. */
#include "stem.h"

#include "testutil.h"
#include "tokenize.h"

#include <criterion/criterion.h>
#include <libstemmer.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

/* No files here either; the folder keeps the house pattern. */
static const char *tmp;
static stemmer *st;

static void setup(void)
{
    tmp = tu_tmpdir();
    cr_assert_eq(stemmer_new("english", &st), 0);
    cr_assert_not_null(st);
}
static void teardown(void)
{
    stemmer_free(st);
    tu_rmtree(tmp);
}
TestSuite(stem, .init = setup, .fini = teardown);

#define LONG70 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"

struct stem_case {
    int no;
    const char *word;
    const char *stem;
};

static const struct stem_case stem_cases[] = {
    {1, "japan's", "japan"}, /* Snowball drops the possessive itself */
    {2, "korea's", "korea"},
    {3, "cooperation", "cooper"},
    {4, "cooperate", "cooper"},
    {5, "cooperative", "cooper"},
    {6, "cooperatives", "cooper"},
    {7, "running", "run"},
    {8, "nations", "nation"},
    {9, "national", "nation"},
    {10, "sanctions", "sanction"},
    {11, "players", "player"},
    {12, "united", "unit"},
    {13, "states", "state"},
    {14, "generously", "generous"},
    {15, "happiness", "happi"},
    {16, "news", "news"},
    {17, "2019", "2019"}, /* digits: never stemmed */
    {18, "2019-08-01", "2019-08-01"},
    {19, "g20", "g20"},
    {20, "covid19s", "covid19s"}, /* a digit anywhere keeps the word */
    {21, "3.5", "3.5"},
    {22, "is", "is"}, /* 1-2 bytes */
    {23, "a", "a"},
    {24, "\xE6\x97\xA5", "\xE6\x97\xA5"},         /* 日: one CJK character */
    {25, "\xF0\xA0\x80\x80", "\xF0\xA0\x80\x80"}, /* U+20000, 4 bytes */
    {26, "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
     "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4"}, /* 한국어 */
    {27, LONG70 "ing", LONG70 "ing"},         /* over the token cap */
    {28, "don't", "don't"},
    {29, "relational", "relat"},
    {30, "economies", "economi"},
    {31, "economy", "economi"},
};

Test(stem, table)
{
    for (size_t i = 0; i < sizeof stem_cases / sizeof *stem_cases; i++) {
        const struct stem_case *c = &stem_cases[i];
        const char *out = NULL;
        size_t n = 0;
        cr_assert_eq(stemmer_stem(st, c->word, strlen(c->word), &out, &n), 0, "case %d", c->no);
        cr_expect_eq(n, strlen(c->stem), "case %d: %zu bytes", c->no, n);
        cr_expect_str_eq(out, c->stem, "case %d: %s -> %s, want %s", c->no, c->word, out, c->stem);
        cr_expect_neq(out, c->word, "case %d: must point into the stemmer", c->no);
    }
}

/* A second pass answers from the cache; it must give the same stems. */
Test(stem, cached_results_agree)
{
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < sizeof stem_cases / sizeof *stem_cases; i++) {
            const struct stem_case *c = &stem_cases[i];
            const char *out;
            size_t n;
            cr_assert_eq(stemmer_stem(st, c->word, strlen(c->word), &out, &n), 0);
            cr_expect_str_eq(out, c->stem, "pass %d case %d", pass, c->no);
        }
    }
}

/* The word need not be NUL-terminated: tokens are (ptr, len). */
Test(stem, word_is_ptr_len)
{
    const char text[] = "cooperationXYZ";
    const char *out;
    size_t n;
    cr_assert_eq(stemmer_stem(st, text, 11, &out, &n), 0);
    cr_expect_str_eq(out, "cooper");
}

/* Same spelling as the tokenizer's output. */
static int stem_tokens(void *ctx, const token *t)
{
    const char **want = ctx;
    const char *out;
    size_t n;
    cr_assert_eq(stemmer_stem(st, t->text, t->len, &out, &n), 0);
    cr_expect_str_eq(out, want[t->pos], "token %u", t->pos);
    return 0;
}

Test(stem, tokenizer_output)
{
    const char *want[] = {"japan", "cooper", "with", "cooper", "partner"};
    const char text[] = "Japan\xE2\x80\x99s cooperation with Cooperative partners";
    cr_assert_eq(tokenize(text, sizeof text - 1, TOKENIZE_DOCUMENT, 0, stem_tokens, want), 0);
}

struct stop_case {
    int no;
    const char *word;
    int stop;
};

static const struct stop_case stop_cases[] = {
    {1, "the", 1},        {2, "of", 1},     {3, "and", 1},          {4, "a", 1},
    {5, "yourselves", 1}, {6, "i", 1},      {7, "themselves", 1},   {8, "them", 1},
    {9, "between", 1},    {10, "would", 1}, {11, "ought", 1},       {12, "yourself", 1},
    {13, "japan", 0},     {14, "th", 0},    {15, "thee", 0},        {16, "themselve", 0},
    {17, "don't", 0},     {18, "The", 0}, /* the list holds folded words */
    {19, "z", 0},         {20, "", 0},      {21, "yourselvess", 0}, {22, "aa", 0},
    {23, "abo", 0},       {24, "news", 0},  {25, "with", 1},        {26, "whom", 1},
};

Test(stem, stop_words)
{
    for (size_t i = 0; i < sizeof stop_cases / sizeof *stop_cases; i++) {
        const struct stop_case *c = &stop_cases[i];
        cr_expect_eq(!!stem_is_stopword(c->word, strlen(c->word)), c->stop, "case %d: %s", c->no,
                     c->word);
    }
}

/* The stop flag that stemmer_stem_term() keeps in its cache says what
 * stem_is_stopword() says of the word (not of its stem: "owned" keeps its
 * positions, stem.h), on the first call (a miss) and the second (a hit),
 * for every stop word and for words that are not. */
Test(stem, stem_term_stop_flag_agrees)
{
    static const char *const others[] = {"ferry", "owned", "theory", "abovementioned", "a",
                                         "2019",  "i",     "its",    "itself",         "ownership"};
    for (int pass = 0; pass < 3; pass++) {
        /* A third pass after the forms are forgotten: first again. */
        if (pass == 2)
            stemmer_forget_forms(st);
        for (size_t i = 0; i < stem_stopword_count() + sizeof others / sizeof *others; i++) {
            const char *w =
                i < stem_stopword_count() ? stem_stopword_at(i) : others[i - stem_stopword_count()];
            const char *stem;
            size_t slen;
            int stop = -1;
            stem_form form = {256, 0, -1};
            cr_assert_eq(stemmer_stem_term(st, w, strlen(w), &stem, &slen, &stop, &form), 0);
            cr_expect_eq(stop, !!stem_is_stopword(w, strlen(w)), "pass %d: %s -> %.*s", pass, w,
                         (int)slen, stem);
            /* The tag given with the stem is the word's own. */
            cr_expect_eq(form.tag, stem_form_tag(w, strlen(w)), "pass %d: %s", pass, w);
            cr_expect_eq(form.hash, stem_form_hash(w, strlen(w)), "pass %d: %s", pass, w);
            cr_expect_eq(form.tag, (unsigned)(form.hash >> 56), "pass %d: %s", pass, w);
            /* First only the first time (some words are in both lists),
             * and never for a number. */
            int before = 0;
            for (size_t j = 0; j < i && !before; j++)
                before =
                    strcmp(w, j < stem_stopword_count() ? stem_stopword_at(j)
                                                        : others[j - stem_stopword_count()]) == 0;
            int may_share = strcmp(w, "2019") != 0;
            cr_expect_eq(form.first, pass != 1 && !before && may_share, "pass %d: %s", pass, w);
        }
    }
}

Test(stem, stop_word_is_ptr_len)
{
    cr_expect(stem_is_stopword("theory", 3));
    cr_expect(!stem_is_stopword("theory", 6));
}

/* Distinct letters-only words that exercise real suffixes. */
static size_t make_word(unsigned long i, char *out)
{
    static const char *const suffix[] = {"ing", "ation", "s", "ed", "ly", "ness", "ful", ""};
    size_t n = 0;
    out[n++] = 'k';
    unsigned long v = i / 8;
    do {
        out[n++] = (char)('a' + v % 26);
        v /= 26;
    } while (v);
    const char *s = suffix[i % 8];
    size_t sl = strlen(s);
    memcpy(out + n, s, sl);
    n += sl;
    out[n] = '\0';
    return n;
}

/* 200,000 distinct words overflow the cache several times: every stem must
 * still match libstemmer's, and the heap must not grow with the vocabulary. */
Test(stem, cache_is_bounded_and_correct, .timeout = 120)
{
    struct sb_stemmer *ref = sb_stemmer_new("english", "UTF_8");
    cr_assert_not_null(ref);
    char w[32];
    /* Warm up (fills the scratch buffer and libstemmer's own buffer). */
    for (unsigned long i = 0; i < 1000; i++) {
        size_t n = make_word(i, w), m;
        const char *out;
        cr_assert_eq(stemmer_stem(st, w, n, &out, &m), 0);
    }
    size_t before = mallinfo2().uordblks;
    for (unsigned long i = 0; i < 200000; i++) {
        size_t n = make_word(i, w), m;
        const char *out;
        cr_assert_eq(stemmer_stem(st, w, n, &out, &m), 0);
        const sb_symbol *r = sb_stemmer_stem(ref, (const sb_symbol *)w, (int)n);
        int rl = sb_stemmer_length(ref);
        if (m != (size_t)rl || memcmp(out, r, m) != 0 || out[m] != '\0')
            cr_assert_fail("word %lu %s: got %.*s, want %.*s", i, w, (int)m, out, rl, r);
    }
    size_t after = mallinfo2().uordblks;
    cr_expect_leq(after, before + 4096, "heap grew from %zu to %zu bytes", before, after);
    /* Words seen before the last clear come back right. */
    const char *out;
    size_t m;
    cr_assert_eq(stemmer_stem(st, "cooperation", 11, &out, &m), 0);
    cr_expect_str_eq(out, "cooper");
    sb_stemmer_delete(ref);
}

Test(stem, unknown_language)
{
    stemmer *s = (stemmer *)1;
    cr_expect_eq(stemmer_new("klingon", &s), -1);
    cr_expect_null(s);
    cr_expect_eq(stemmer_new(NULL, &s), -1);
}

Test(stem, free_null_is_noop)
{
    stemmer_free(NULL);
}
