/* test_stoppos.c - stop words are indexed without positions (stem.h,
 * stem_is_stopword; schema format 4, by their stems until format 9): the
 * stems of the stop list are the terms that lack some, the terms keep their
 * wdf, and quoted phrases, title: phrases,
 * NEAR and snippets with stop words still find exactly what they say, with
 * the counts reported. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "kbsearch.h"
#include "schema.h"
#include "stem.h"
#include "testutil.h"

static const char *tmp;

static void setup(void)
{
    tmp = tu_tmpdir();
}
static void teardown(void)
{
    tu_rmtree(tmp);
}
TestSuite(stoppos, .init = setup, .fini = teardown);

/* ---- the rule ---------------------------------------------------------------- */

/* Every stop word's stem is a stop stem, and nothing else is: the table has
 * as many entries as the stop list has distinct stems. */
Test(stoppos, table_is_the_stems_of_the_stop_list)
{
    stemmer *st = NULL;
    cr_assert_eq(stemmer_new("english", &st), 0);
    char seen[200][16];
    size_t nseen = 0;
    for (size_t i = 0; i < stem_stopword_count(); i++) {
        const char *w = stem_stopword_at(i);
        const char *s;
        size_t slen;
        cr_assert_eq(stemmer_stem(st, w, strlen(w), &s, &slen), 0);
        cr_expect(stem_is_stopstem(s, slen), "the stem %.*s of %s is not a stop stem", (int)slen, s,
                  w);
        size_t k = 0;
        while (k < nseen && !(strlen(seen[k]) == slen && memcmp(seen[k], s, slen) == 0))
            k++;
        if (k == nseen) {
            cr_assert_lt(nseen, 200);
            cr_assert_lt(slen, 16);
            memcpy(seen[nseen], s, slen);
            seen[nseen++][slen] = '\0';
        }
    }
    cr_assert_null(stem_stopword_at(stem_stopword_count()));
    cr_expect_eq(nseen, stem_stopstem_count(), "%zu distinct stems, %zu in the table", nseen,
                 stem_stopstem_count());
    stemmer_free(st);
}

struct stop_case {
    int no;
    const char *stem;
    int stop;
};

static const struct stop_case stop_cases[] = {
    {1, "the", 1},       {2, "of", 1},    {3, "abov", 1},  {4, "becaus", 1},
    {5, "themselv", 1},  {6, "onli", 1},  {7, "own", 1},   {8, "have", 1},
    {9, "above", 0},     {10, "bank", 0}, {11, "thes", 0}, {12, "", 0},
    {13, "yourselv", 1}, {14, "a", 1},    {15, "zzz", 0},  {16, "theirs", 0},
    {17, "englands", 0}, {18, "us", 0},   {19, "will", 0}, {20, "themselves", 0},
};

Test(stoppos, stop_stems_table)
{
    for (size_t i = 0; i < sizeof stop_cases / sizeof *stop_cases; i++) {
        const struct stop_case *c = &stop_cases[i];
        cr_expect_eq(!!stem_is_stopstem(c->stem, strlen(c->stem)), c->stop, "case %d: %s", c->no,
                     c->stem);
    }
    /* (ptr, len): the bytes after len are not read. */
    cr_expect(stem_is_stopstem("thebank", 3));
    cr_expect(!stem_is_stopstem("the", 2));
}

/* ---- an index ------------------------------------------------------------------ */

struct art {
    const char *key, *title, *body;
};

/* Invented articles. "bank of england" in its exact form only in b1, b5 (the
 * title), b8 and b10; the others hold its words otherwise. */
static const struct art arts[] = {
    {"b1", "Rates held", "The Bank of England kept its rate where it was on Thursday."},
    {"b2", "A branch closes", "A bank in England closed its last branch in the village."},
    {"b3", "Word order", "The bank said england of all places would do."},
    {"b4", "Punctuation", "The bank, of course, said England would wait."},
    {"b5", "Bank of England governor speaks", "The governor spoke to students at noon."},
    {"b6", "A play", "Whether to be or not to be is the question the actor asked."},
    {"b7", "Honesty", "To be honest, or not, to be fair, the actor said little."},
    {"b8", "Long phrase",
     "Yesterday the governor of the bank of england said on monday that rates would stay."},
    {"b9", "Long phrase, changed",
     "Yesterday the governor of the bank in england said on monday that rates would stay."},
    {"b10", "Far apart",
     "A bank ltd england branch opened. The bank of england was not told of it."},
    {"b11", "Far apart only", "A bank ltd england branch opened, the staff of it said."},
    /* "underlying" is no stop word, but its stem is "under"'s, which is. */
    {"b12", "Factory data", "Underlying factory data was weak."},
    {"b13", "Rules", "Under factory rules, owners paid."},
};
#define NARTS (sizeof arts / sizeof *arts)

static kbs_db *build(void)
{
    char *path = tu_path(tmp, "idx");
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg);
    cr_assert_eq(st, KBS_OK, "open: %s", msg ? msg : "");
    for (size_t i = 0; i < NARTS; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s\n\nWritten: 2021-03-%02zu 08:00:00\n\n%s\n", arts[i].title,
                 i + 1, arts[i].body);
        st = kbs_index_buffer(db, arts[i].key, text, strlen(text), 0, NULL);
        cr_assert_eq(st, KBS_OK, "index %s: %s", arts[i].key, kbs_db_errmsg(db));
    }
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    free(path);
    return db;
}

/* The keys of the hits of q, sorted by key and joined with spaces, and the
 * total: exact (exact_count) or the page's own (search_phrases). */
static void hits(kbs_db *db, const char *q, int exact, char *out, size_t outlen, uint64_t *total)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.limit = 50;
    o.exact_count = exact;
    o.all_versions = 1;
    o.no_snippets = 1;
    kbs_results *r = NULL;
    int st = kbs_search(db, q, strlen(q), &o, &r);
    cr_assert_eq(st, KBS_OK, "search %s: %s", q, kbs_db_errmsg(db));
    const char *keys[NARTS];
    size_t n = kbs_results_count(r);
    cr_assert_leq(n, NARTS);
    for (size_t i = 0; i < n; i++) {
        kbs_hit h;
        cr_assert_eq(kbs_results_get(r, i, &h), KBS_OK);
        keys[i] = NULL;
        for (size_t k = 0; k < NARTS; k++)
            if (strcmp(h.path, arts[k].key) == 0)
                keys[i] = arts[k].key;
        cr_assert_not_null(keys[i], "unknown hit %s", h.path);
    }
    /* In the order of arts[], so the expectation reads the same. */
    out[0] = '\0';
    for (size_t k = 0; k < NARTS; k++)
        for (size_t i = 0; i < n; i++)
            if (keys[i] == arts[k].key) {
                if (out[0])
                    strncat(out, " ", outlen - strlen(out) - 1);
                strncat(out, keys[i], outlen - strlen(out) - 1);
            }
    *total = kbs_results_fallback(r) ? 0 : kbs_results_total(r);
    if (kbs_results_fallback(r))
        out[0] = '\0';
    kbs_results_free(r);
}

struct phrase_case {
    int no;
    const char *q;
    const char *want; /* the keys, in the order of arts[] */
};

static const struct phrase_case phrase_cases[] = {
    /* a stop word inside */
    {1, "\"bank of england\"", "b1 b5 b8 b10"},
    {2, "\"bank in england\"", "b2 b9"},
    /* at the start, at the end */
    {3, "\"of england\"", "b1 b5 b8 b10"},
    {4, "\"the bank of\"", "b1 b4 b8 b10"},
    {5, "\"bank of\"", "b1 b4 b5 b8 b10"},
    /* only stop words */
    {6, "\"to be or not to be\"", "b6"},
    {7, "\"of the\"", "b8 b9"},
    /* longer than 8 words, a stop word changed in b9 */
    {8, "\"governor of the bank of england said on monday that rates\"", "b8"},
    {9, "\"governor of the bank in england said on monday that rates\"", "b9"},
    /* in the title only, in the body only */
    {10, "title:\"bank of england\"", "b5"},
    {11, "body:\"bank of england\"", "b1 b8 b10"},
    {12, "title:\"of england\"", "b5"},
    /* with other words */
    {13, "\"bank of england\" governor", "b5 b8"},
    {14, "\"bank of england\" -governor", "b1 b10"},
    /* the words without the stop word in between: not the phrase */
    {15, "\"bank england\"", ""},
    /* no stop word: as before */
    {16, "\"rates would stay\"", "b8 b9"},
    /* a word whose stem is a stop word's, and that stop word */
    {17, "\"underlying factory\"", "b12"},
    {18, "\"under factory\"", "b13"},
};

static void check_phrases(int exact)
{
    kbs_db *db = build();
    for (size_t i = 0; i < sizeof phrase_cases / sizeof *phrase_cases; i++) {
        const struct phrase_case *c = &phrase_cases[i];
        char got[256];
        uint64_t total = 0;
        hits(db, c->q, exact, got, sizeof got, &total);
        cr_expect_str_eq(got, c->want, "case %d: %s: got [%s], want [%s]", c->no, c->q, got,
                         c->want);
        size_t nwant = 0;
        for (const char *s = c->want; *s; s++)
            nwant += *s == 'b';
        cr_expect_eq(total, nwant, "case %d: %s: total %llu, want %zu", c->no, c->q,
                     (unsigned long long)total, nwant);
    }
    cr_assert_eq(kbs_db_close(db), KBS_OK);
}

Test(stoppos, phrases_page_totals)
{
    check_phrases(0);
}

Test(stoppos, phrases_exact_counts)
{
    check_phrases(1);
}

/* NEAR leaves stop words out: they have no positions to be near with. */
static const struct phrase_case near_cases[] = {
    {1, "bank NEAR/2 england", "b1 b2 b3 b5 b8 b9 b10 b11"},
    {2, "\"bank of\" NEAR/3 england", "b1 b4 b5 b8 b10"},
    {3, "governor NEAR/5 england", "b5 b8 b9"},
    /* one word with positions: both words anywhere */
    {4, "actor NEAR/2 the", "b6 b7"},
};

Test(stoppos, near_without_stop_words)
{
    kbs_db *db = build();
    for (size_t i = 0; i < sizeof near_cases / sizeof *near_cases; i++) {
        const struct phrase_case *c = &near_cases[i];
        char got[256];
        uint64_t total = 0;
        hits(db, c->q, 1, got, sizeof got, &total);
        cr_expect_str_eq(got, c->want, "case %d: %s: got [%s], want [%s]", c->no, c->q, got,
                         c->want);
    }
    cr_assert_eq(kbs_db_close(db), KBS_OK);
}

/* In the index: stop words' terms are there with their wdf, and a PHRASE or
 * NEAR through them finds nothing (no positions); other words have theirs. */
static uint32_t count_of(kbs_db *db, xs_query *q)
{
    xs_search_params p;
    memset(&p, 0, sizeof p);
    p.limit = 20;
    p.check_at_least = UINT32_MAX;
    p.sort_slot = -1;
    p.k1 = 1.2;
    p.b = 0.75;
    xs_match m[20];
    xs_search_result res;
    cr_assert_eq(xs_db_search(db->xdb, q, &p, m, &res), KBS_OK);
    return (uint32_t)res.n;
}

/* a's places only where the word form_a stood, if given. */
static xs_query *two(int op, const char *a, const char *b, uint32_t window, const char *form_a)
{
    xs_query *t[2] = {NULL, NULL}, *out = NULL;
    cr_assert_eq(xs_query_term(a, strlen(a), 1, 1, &t[0]), KBS_OK);
    if (form_a)
        cr_assert_eq(xs_query_set_form(t[0], stem_form_tag(form_a, strlen(form_a))), KBS_OK);
    cr_assert_eq(xs_query_term(b, strlen(b), 1, 2, &t[1]), KBS_OK);
    cr_assert_eq(xs_query_combine(op, t, 2, window, &out), KBS_OK);
    xs_query_free(t[0]);
    xs_query_free(t[1]);
    return out;
}

Test(stoppos, index_has_no_stop_positions)
{
    kbs_db *db = build();
    struct {
        int op;
        const char *a, *b;
        uint32_t window, want;
        const char *form_a;
    } cases[] = {
        /* b1 b2 b3 b5 (its title) b8 b9 b10 b11: a window of 3 */
        {XS_OP_PHRASE, "bank", "england", 3, 8, NULL},
        {XS_OP_PHRASE, "bank", "of", 2, 0, NULL},
        {XS_OP_PHRASE, "of", "england", 2, 0, NULL},
        {XS_OP_NEAR, "the", "bank", 5, 0, NULL},
        {XS_OP_AND, "bank", "of", 0, 8, NULL},
        /* "under" has the places of "underlying" (b12) and not its own (b13) */
        {XS_OP_PHRASE, "under", "factori", 2, 1, NULL},
        {XS_OP_PHRASE, "under", "factori", 2, 1, "underlying"},
        {XS_OP_PHRASE, "under", "factori", 2, 0, "under"},
        {XS_OP_AND, "under", "factori", 0, 2, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        xs_query *q = two(cases[i].op, cases[i].a, cases[i].b, cases[i].window, cases[i].form_a);
        cr_expect_eq(count_of(db, q), cases[i].want, "case %zu: %s %s", i + 1, cases[i].a,
                     cases[i].b);
        xs_query_free(q);
    }
    /* The wdf stays: "the" twice in b6's body. */
    uint32_t docid = 0;
    kbs_hit h;
    kbs_results *r = NULL;
    kbs_search_options o;
    kbs_search_options_init(&o);
    cr_assert_eq(kbs_search(db, "\"to be or not to be\"", 20, &o, &r), KBS_OK);
    cr_assert_eq(kbs_results_count(r), 1);
    cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
    docid = h.id;
    kbs_results_free(r);
    xs_term_stats ts;
    cr_assert_eq(xs_db_term_stats(db->xdb, docid, "the", 3, &ts), KBS_OK);
    cr_expect_eq(ts.wdf, 2);
    cr_assert_eq(xs_db_term_stats(db->xdb, docid, "be", 2, &ts), KBS_OK);
    cr_expect_eq(ts.wdf, 2);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
}

/* A phrase's highlight is one span over the whole phrase, stop words
 * included, in the body and in the title's lead. */
Test(stoppos, snippet_spans_the_phrase)
{
    kbs_db *db = build();
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.all_versions = 1;
    kbs_results *r = NULL;
    const char *q = "\"bank of england\" thursday";
    cr_assert_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_OK);
    cr_assert_eq(kbs_results_count(r), 1);
    kbs_hit h;
    cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
    cr_assert_str_eq(h.path, "b1");
    int phrase = 0;
    for (size_t i = 0; i < h.nspans; i++) {
        const char *s = h.snippet + h.spans[i].start;
        if (h.spans[i].len == 15 && memcmp(s, "Bank of England", 15) == 0)
            phrase = 1;
    }
    cr_expect(phrase, "no span over \"Bank of England\" in: %s", h.snippet);
    kbs_results_free(r);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
}

/* An index of the format before (stop words with positions) is refused,
 * saying to index again. */
Test(stoppos, older_format_is_refused)
{
    char *path = tu_path(tmp, "old");
    kbs_db *db = NULL;
    char *msg = NULL;
    cr_assert_eq(kbs_db_open(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg), KBS_OK);
    cr_assert_eq(xs_db_set_metadata(db->xdb, META_FORMAT, "4", 1), KBS_OK);
    cr_assert_eq(xs_db_commit(db->xdb), KBS_OK);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    db = NULL;
    int st = kbs_db_open(path, KBS_OPEN_READ, &db, &msg);
    cr_expect_eq(st, KBS_EFOREIGN);
    cr_expect_null(db);
    cr_assert_not_null(msg);
    cr_expect(strstr(msg, "format 4") && strstr(msg, "index your articles again"), "%s", msg);
    free(msg);
    free(path);
}
