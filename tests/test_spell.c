/* test_spell.c - spelling suggestions: the words fed to the spelling table
 * while indexing, and the correction of queries from it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "kbsearch.h"
#include "spell.h"
#include "testutil.h"
#include "tokenize.h"

/* Invented articles, plain layout (title, blank line, paragraphs). Each
 * word the corrections below rely on ("security", "cooperation", "korea",
 * "year", "sales") is seen at least five times, so that it is in the
 * spelling table whatever SPELL_MIN_SEEN is up to 5. As stems in articles
 * (the larger of body and title): "secur" 3, "cooper" 3, "year" 5, "sale" 4,
 * "korea" 2, "wale" 1. */
static const char *const ARTICLES[] = {
    "Security talks open in the capital\n\n"
    "Ministers from five countries met this year to discuss maritime security and "
    "closer cooperation on fishing rights; security and cooperation at sea were the "
    "themes.\n",

    "Port security tightened after alarm\n\n"
    "Inspectors checked every container twice this year, and retail sales at the "
    "harbour shops fell sharply.\n",

    "North Korea tests a new engine\n\n"
    "Analysts said the security of the region depends on cooperation between North "
    "Korea and its neighbours; the test came late in the year, and South Korea "
    "raised its guard.\n",

    "Security experts praise cooperation\n\n"
    "A panel of engineers in South Korea said that sales of secure routers grew this "
    "year, and Korea expects more cooperation.\n",

    "Car sales slow in the spring\n\n"
    "Dealers reported weaker sales of small cars this year and blamed rising interest "
    "rates.\n",

    "Rugby tour of Wales announced\n\n"
    "The touring side will play four matches; ticket sales open on Monday.\n",
};

struct env {
    const char *tmp;
    char *path;
    kbs_db *db;
};

/* An index of ARTICLES (or none of them), open for writing. */
static struct env make_env(int with_articles)
{
    struct env e;
    e.tmp = tu_tmpdir();
    e.path = tu_path(e.tmp, "index");
    e.db = tu_open_db(e.path, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    size_t n = with_articles ? sizeof ARTICLES / sizeof *ARTICLES : 0;
    for (size_t i = 0; i < n; i++) {
        char key[48];
        snprintf(key, sizeof key, "/articles/%zu.txt", i);
        int st = kbs_index_buffer(e.db, key, ARTICLES[i], strlen(ARTICLES[i]), 0, NULL);
        cr_assert_eq(st, KBS_OK, "index %s: %s", key, kbs_db_errmsg(e.db));
    }
    cr_assert_eq(kbs_db_commit(e.db), KBS_OK, "%s", kbs_db_errmsg(e.db));
    return e;
}

static void free_env(struct env *e)
{
    cr_assert_eq(kbs_db_close(e->db), KBS_OK);
    tu_rmtree(e->tmp);
    free(e->path);
}

/* The correction of q, or NULL; fails the test on a bad status. */
static char *correct(kbs_db *db, const char *q)
{
    char *out = (char *)"untouched";
    int st = spell_correct_query(db->xdb, db->stem, q, strlen(q), &out);
    cr_assert_eq(st, KBS_OK, "spell_correct_query(%s): %s", q, kbs_strerror(st));
    cr_assert_neq(out, (char *)"untouched");
    return out;
}

/* ---- queries ----------------------------------------------------------------- */

struct qcase {
    const char *query;
    const char *expected; /* NULL: nothing to correct */
};

static const struct qcase QUERY_CASES[] = {
    /* 1 */ {"securty", "security"},
    /* 2 */ {"securty cooperation", "security cooperation"},
    /* 3 */ {"Securty", "Security"},
    /* 4 */ {"SECURTY", "SECURITY"},
    /* 5 */ {"security cooperation", NULL},
    /* 6 */ {"title:securty AND \"north korea\"", "title:security AND \"north korea\""},
    /* 7 */ {"cooperaton NEAR/5 securty", "cooperation NEAR/5 security"},
    /* 8 */ {"securty NEAR cooperation", "security NEAR cooperation"},
    /* 9 */ {"(securty OR cooperation) NOT sales", "(security OR cooperation) NOT sales"},
    /* 10 */ {"date:2019-08-01..2019-08-31 securty", "date:2019-08-01..2019-08-31 security"},
    /* 11 */
    {"after:2019-08-01 before:2019-09-01 securty", "after:2019-08-01 before:2019-09-01 security"},
    /* 12 */ {"category:secu by:securty securty", "category:secu by:securty security"},
    /* 13 */ {"by:\"securty person\" securty", "by:\"securty person\" security"},
    /* 14 */ {"body:securty title:cooperaton", "body:security title:cooperation"},
    /* 15 */ {"2019 securty 3.5", "2019 security 3.5"},
    /* 16 */ {"the securty of the region", "the security of the region"},
    /* 17 */ {"securt* cooperaton", "securt* cooperation"},
    /* 18 */ {"securt*", NULL},
    /* 19 */ {"-securty +cooperaton", "-security +cooperation"},
    /* 20 */ {"\"maritime securty\"", "\"maritime security\""},
    /* 21 */ {"Year of Securty", "Year of Security"},
    /* 22 */ {"wales", NULL},                                /* rare but real: "sales" is only 4x */
    /* 23 */ {"near", "year"},                               /* a lower-case word is a word */
    /* 24 */ {"AND OR NOT NEAR", NULL},                      /* operators alone */
    /* 25 */ {"title:body by:title", NULL},                  /* field names alone */
    /* 26 */ {"zzzzqqq", NULL},                              /* nothing close */
    /* 27 */ {"securty:cooperaton", "security:cooperation"}, /* not a field name */
    /* 28 */ {"north-korae", "north-korea"},
    /* 29 */ {"", NULL},
    /* 30 */ {"  \t ", NULL},
    /* 31 */ {"secutity's", NULL},     /* apostrophe words are left alone */
    /* 32 */ {"sxlxs", NULL},          /* two edits from "sales": too far for a short word */
    /* 33 */ {"securxtx", "security"}, /* two edits are fine in a longer one */
};

Test(spell, query_cases)
{
    struct env e = make_env(1);
    for (size_t i = 0; i < sizeof QUERY_CASES / sizeof *QUERY_CASES; i++) {
        const struct qcase *c = &QUERY_CASES[i];
        char *got = correct(e.db, c->query);
        if (c->expected)
            cr_expect(got && strcmp(got, c->expected) == 0, "case %zu: [%s] -> [%s], expected [%s]",
                      i + 1, c->query, got ? got : "(null)", c->expected);
        else
            cr_expect_null(got, "case %zu: [%s] -> [%s], expected no correction", i + 1, c->query,
                           got ? got : "");
        free(got);
    }
    free_env(&e);
}

Test(spell, empty_index)
{
    struct env e = make_env(0);
    cr_expect_null(correct(e.db, "securty"));
    cr_expect_null(correct(e.db, "securty cooperation"));
    free_env(&e);
}

Test(spell, invalid_utf8_is_replaced)
{
    struct env e = make_env(1);
    char *got = correct(e.db, "securty \xff");
    cr_expect_str_eq(got, "security \xEF\xBF\xBD");
    free(got);
    free_env(&e);
}

Test(spell, only_the_first_words_are_checked)
{
    struct env e = make_env(1);
    const size_t words = 10000;
    buf q = BUF_INIT;
    for (size_t i = 0; i < words; i++)
        buf_append_str(&q, "securty ");
    cr_assert(!buf_failed(&q));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *got = correct(e.db, q.data);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* a guard against quadratic work, not a speed goal (bench/ has those) */
    cr_expect_lt(secs, 60.0, "10,000 words took %.2f s", secs);
    cr_assert_not_null(got);
    /* The first SPELL_MAX_CHECKED are corrected, the rest kept as typed. */
    buf want = BUF_INIT;
    for (size_t i = 0; i < words; i++)
        buf_append_str(&want, i < SPELL_MAX_CHECKED ? "security " : "securty ");
    cr_expect_str_eq(got, want.data);
    free(got);
    buf_free(&want);
    buf_free(&q);
    free_env(&e);
}

Test(spell, bad_arguments)
{
    struct env e = make_env(1);
    char *out = NULL;
    cr_expect_eq(spell_correct_query(NULL, e.db->stem, "a", 1, &out), KBS_EINVAL);
    cr_expect_eq(spell_correct_query(e.db->xdb, NULL, "a", 1, &out), KBS_EINVAL);
    cr_expect_eq(spell_correct_query(e.db->xdb, e.db->stem, NULL, 1, &out), KBS_EINVAL);
    cr_expect_eq(spell_correct_query(e.db->xdb, e.db->stem, "a", 1, NULL), KBS_EINVAL);
    cr_expect_eq(spell_correct_query(e.db->xdb, e.db->stem, NULL, 0, &out), KBS_OK);
    cr_expect_null(out);
    free_env(&e);
}

/* A reader sees the spelling table the writer committed. */
Test(spell, reader_sees_committed_words)
{
    struct env e = make_env(1);
    kbs_db *r = tu_open_db(e.path, KBS_OPEN_READ);
    char *got = correct(r, "cooperaton");
    cr_expect_str_eq(got, "cooperation");
    free(got);
    kbs_db_close(r);
    free_env(&e);
}

/* ---- the collector ------------------------------------------------------------ */

struct ccase {
    const char *word; /* folded, as the tokenizer hands it over */
    unsigned flags;
    int kept;
};

static const struct ccase COLLECT_CASES[] = {
    /* 1 */ {"security", 0, 1},
    /* 2 */ {"abc", 0, 1},                       /* SPELL_MIN_BYTES */
    /* 3 */ {"ab", 0, 0},                        /* too short */
    /* 4 */ {"abcdefghijklmnopqrstuvwx", 0, 1},  /* SPELL_MAX_BYTES */
    /* 5 */ {"abcdefghijklmnopqrstuvwxy", 0, 0}, /* too long */
    /* 6 */ {"the", 0, 0},                       /* stop word */
    /* 7 */ {"because", 0, 0},                   /* stop word */
    /* 8 */ {"g20", TOK_NUMBER, 0},              /* digits */
    /* 9 */ {"2019", TOK_NUMBER, 0},
    /* 10 */ {"japan's", 0, 0},                  /* apostrophe */
    /* 11 */ {"\xe6\x97\xa5", TOK_CJK, 0},       /* one ideograph */
    /* 12 */ {"\xd0\xbc\xd0\xb8\xd1\x80", 0, 1}, /* Cyrillic letters */
    /* 13 */ {"kono", TOK_HYPHENATED, 1},        /* a part of "kang-kono" */
};

Test(spell, collector_filters)
{
    for (size_t i = 0; i < sizeof COLLECT_CASES / sizeof *COLLECT_CASES; i++) {
        const struct ccase *c = &COLLECT_CASES[i];
        spell_collector *col = NULL;
        cr_assert_eq(spell_collector_new(&col), KBS_OK);
        cr_assert_eq(spell_collect(col, NULL, c->word, strlen(c->word), c->flags), KBS_OK);
        cr_expect_eq(spell_pending(col), (size_t)c->kept, "case %zu (%s)", i + 1, c->word);
        spell_collector_free(col);
    }
}

Test(spell, collector_counts_distinct_words)
{
    spell_collector *col = NULL;
    cr_assert_eq(spell_collector_new(&col), KBS_OK);
    /* Enough distinct words to make the table grow several times. */
    char w[16];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(w, sizeof w, "zq%c%c%c", 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i / 676 % 26);
            cr_assert_eq(spell_collect(col, NULL, w, strlen(w), 0), KBS_OK);
        }
    }
    cr_expect_eq(spell_pending(col), 5000u);
    spell_collector_free(col);
    spell_collector_free(NULL);
}

static char *suggestion(kbs_db *db, const char *word)
{
    char *s = NULL;
    int st = xs_db_spelling_suggestion(db->xdb, word, strlen(word), 2, &s);
    cr_assert_eq(st, KBS_OK, "%s: %s", word, kbs_strerror(st));
    return s;
}

static void index_one(kbs_db *db, const char *key, const char *art)
{
    int st = kbs_index_buffer(db, key, art, strlen(art), 0, NULL);
    cr_assert_eq(st, KBS_OK, "%s: %s", key, kbs_db_errmsg(db));
}

/* An article in the KBS layout whose body says `word` n times, with a
 * byline (bylines are not fed). */
static char *article_with(const char *title, const char *word, int n)
{
    buf b = BUF_INIT;
    buf_printf(&b, "Politics\n\n%s\n\nWritten: 2021-03-04 10:00:00\n\nAnchor:", title);
    for (int i = 0; i < n; i++)
        buf_printf(&b, " The %s met again.", word);
    buf_append_str(&b, "\nZyxwvut Qponmlk, KBS World Radio News\n");
    cr_assert(!buf_failed(&b));
    return buf_detach(&b, NULL);
}

/* Indexing feeds the words of titles and bodies seen SPELL_MIN_SEEN times,
 * not bylines; a word seen fewer times waits for more sightings, also
 * across commits. */
Test(spell, index_feeds_words_seen_enough)
{
    struct env e = make_env(0);
    char *a = article_with("Harbour Board Reshuffle", "chairperson", SPELL_MIN_SEEN);
    char *b = article_with("Ferry Timetable Changes", "authority", SPELL_MIN_SEEN - 1);
    char *c = article_with("Port Fees Rise", "authority", 1);
    /* Enough bylines to count, were they fed. */
    for (int i = 0; i < SPELL_MIN_SEEN; i++) {
        char key[32];
        snprintf(key, sizeof key, "/a%d.txt", i);
        index_one(e.db, key, a);
    }
    index_one(e.db, "/b.txt", b);
    cr_expect_gt(spell_pending(e.db->spell), 0u);
    cr_assert_eq(kbs_db_commit(e.db), KBS_OK, "%s", kbs_db_errmsg(e.db));

    const struct {
        const char *typo, *expected;
    } cases[] = {
        /* 1 */ {"reshufle", "reshuffle"},     /* title, once per article */
        /* 2 */ {"chairpersn", "chairperson"}, /* body */
        /* 3 */ {"zyxwvvt", NULL},             /* bylines are not fed */
        /* 4 */ {"authorty", NULL},            /* not seen enough yet */
        /* 5 */ {"timetabel", NULL},           /* seen once */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = suggestion(e.db, cases[i].typo);
        if (cases[i].expected)
            cr_expect(s && strcmp(s, cases[i].expected) == 0, "case %zu: %s -> %s", i + 1,
                      cases[i].typo, s ? s : "(null)");
        else
            cr_expect_null(s, "case %zu: %s -> %s", i + 1, cases[i].typo, s);
        free(s);
    }
    /* The words not seen enough are still held; one more sighting in a later
     * batch hands "authority" over. */
    cr_expect_gt(spell_pending(e.db->spell), 0u);
    index_one(e.db, "/c.txt", c);
    cr_assert_eq(kbs_db_commit(e.db), KBS_OK, "%s", kbs_db_errmsg(e.db));
    char *s = suggestion(e.db, "authorty");
    cr_expect_str_eq(s, "authority");
    free(s);
    free(a);
    free(b);
    free(c);
    free_env(&e);
}

/* A lazy flush (a batch commit in the middle of a run) lets the words wait;
 * a forced one hands them over. */
Test(spell, lazy_flush_waits)
{
    struct env e = make_env(0);
    spell_collector *col = NULL;
    cr_assert_eq(spell_collector_new(&col), KBS_OK);
    for (int i = 0; i < SPELL_MIN_SEEN; i++)
        cr_assert_eq(spell_collect(col, e.db->xdb, "lighthouse", 10, 0), KBS_OK);
    cr_assert_eq(spell_flush(col, e.db->xdb, 1), KBS_OK);
    cr_expect_eq(spell_pending(col), 1u);
    cr_assert_eq(spell_flush(col, e.db->xdb, 0), KBS_OK);
    cr_expect_eq(spell_pending(col), 0u);
    cr_assert_eq(kbs_db_commit(e.db), KBS_OK);
    char *s = suggestion(e.db, "lighthose");
    cr_expect_str_eq(s, "lighthouse");
    free(s);
    spell_collector_free(col);
    free_env(&e);
}

/* A word handed over is handed over again once its count has doubled, so
 * that Xapian's choice between two words as close follows the counts. */
Test(spell, counts_are_refreshed)
{
    struct env e = make_env(0);
    spell_collector *col = NULL;
    cr_assert_eq(spell_collector_new(&col), KBS_OK);
    const int m = SPELL_MIN_SEEN;
    const struct {
        const char *word;
        int times;
        const char *expected; /* for "tral", one insertion from both */
    } steps[] = {
        /* 1 */ {"trial", m, "trail"},     /* with trail x(m + 1) below */
        /* 2 */ {"trial", m - 1, "trail"}, /* 2m - 1 seen, m handed over: not due yet */
        /* 3 */ {"trial", 1, "trial"},     /* 2m seen: handed over again */
    };
    for (int i = 0; i < m + 1; i++)
        cr_assert_eq(spell_collect(col, e.db->xdb, "trail", 5, 0), KBS_OK);
    for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
        for (int i = 0; i < steps[k].times; i++)
            cr_assert_eq(spell_collect(col, e.db->xdb, steps[k].word, strlen(steps[k].word), 0),
                         KBS_OK);
        cr_assert_eq(spell_flush(col, e.db->xdb, 0), KBS_OK);
        cr_assert_eq(kbs_db_commit(e.db), KBS_OK);
        char *s = suggestion(e.db, "tral");
        cr_expect(s && strcmp(s, steps[k].expected) == 0, "step %zu: %s", k + 1, s ? s : "(null)");
        free(s);
    }
    spell_collector_free(col);
    free_env(&e);
}

/* A folder indexed in many batches: the words are in the table when the run
 * returns, with the handle still open. */
Test(spell, index_dir_hands_over_at_the_end)
{
    struct env e = make_env(0);
    char *dir = tu_path(e.tmp, "articles");
    for (size_t i = 0; i < sizeof ARTICLES / sizeof *ARTICLES; i++) {
        char name[32];
        snprintf(name, sizeof name, "%zu.txt", i);
        char *p = tu_path(dir, name);
        tu_write(p, ARTICLES[i], strlen(ARTICLES[i]));
        free(p);
    }
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.batch_docs = 1;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(e.db, dir, &o, &rep), KBS_OK, "%s", kbs_db_errmsg(e.db));
    cr_assert_eq(rep.added, sizeof ARTICLES / sizeof *ARTICLES);
    cr_expect_eq(spell_pending(e.db->spell) > 0, 1); /* "wales", seen once */
    char *s = suggestion(e.db, "cooperaton");
    cr_expect_str_eq(s, "cooperation");
    free(s);
    kbs_db *r = tu_open_db(e.path, KBS_OPEN_READ);
    char *got = correct(r, "securty");
    cr_expect_str_eq(got, "security");
    free(got);
    kbs_db_close(r);
    free(dir);
    free_env(&e);
}

/* A parallel build: each worker holds its words across its chunks and hands
 * them over once at its end; the merge adds the workers' counts. Chunks of
 * two articles: "cooperation" and "security" are counted in several. */
Test(spell, a_parallel_build_hands_over_each_workers_words)
{
    struct env e = make_env(0);
    char *dir = tu_path(e.tmp, "articles");
    for (size_t i = 0; i < sizeof ARTICLES / sizeof *ARTICLES; i++) {
        char name[32];
        snprintf(name, sizeof name, "%zu.txt", i);
        char *p = tu_path(dir, name);
        tu_write(p, ARTICLES[i], strlen(ARTICLES[i]));
        free(p);
    }
    e.db->parallel_min_files = 2;
    e.db->parallel_chunk_files = 2;
    e.db->workers = 2;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(e.db, dir, NULL, &rep), KBS_OK, "%s", kbs_db_errmsg(e.db));
    cr_assert_eq(rep.added, sizeof ARTICLES / sizeof *ARTICLES);
    kbs_db *r = tu_open_db(e.path, KBS_OPEN_READ);
    const struct {
        const char *typo, *expected;
    } cases[] = {
        /* 1 */ {"cooperaton", "cooperation"},
        /* 2 */ {"securty", "security"},
        /* 3 */ {"slaes", "sales"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = correct(r, cases[i].typo);
        cr_expect(got && strcmp(got, cases[i].expected) == 0, "case %zu: %s -> %s", i + 1,
                  cases[i].typo, got ? got : "(null)");
        free(got);
    }
    kbs_db_close(r);
    free(dir);
    free_env(&e);
}

/* A held collector lets lazy flushes pass however many words are due; a
 * flush that is not lazy hands them over. */
Test(spell, a_held_collector_waits_for_a_full_flush)
{
    struct env e = make_env(0);
    spell_collector *col = NULL;
    cr_assert_eq(spell_collector_new(&col), KBS_OK);
    spell_hold(col, 1);
    char w[16];
    const size_t n = SPELL_LAZY_WORDS + 2;
    for (size_t i = 0; i < n; i++) {
        /* Letters only, distinct: "baaaa", "baaab", ... */
        size_t v = i;
        for (int k = 5; k >= 1; k--, v /= 26)
            w[k] = (char)('a' + v % 26);
        w[0] = 'b';
        for (int t = 0; t < SPELL_MIN_SEEN; t++)
            cr_assert_eq(spell_collect(col, e.db->xdb, w, 6, 0), KBS_OK);
    }
    cr_assert_eq(spell_flush(col, e.db->xdb, 1), KBS_OK);
    cr_expect_eq(spell_pending(col), n, "a lazy flush of a held collector waits");
    spell_hold(col, 0);
    cr_assert_eq(spell_flush(col, e.db->xdb, 1), KBS_OK);
    cr_expect_eq(spell_pending(col), 0u, "past SPELL_LAZY_WORDS, once no longer held");
    spell_collector_free(col);
    free_env(&e);
}

/* ---- the shim's spelling calls -------------------------------------------------- */

Test(spell, shim_arguments_and_readers)
{
    struct env e = make_env(1);
    char *s = (char *)"x";
    cr_expect_eq(xs_db_add_spelling(NULL, "word", 4, 1), KBS_EINVAL);
    cr_expect_eq(xs_db_add_spelling(e.db->xdb, NULL, 4, 1), KBS_EINVAL);
    cr_expect_eq(xs_db_add_spelling(e.db->xdb, "word", 0, 1), KBS_EINVAL);
    cr_expect_eq(xs_db_add_spelling(e.db->xdb, "word", 4, 0), KBS_EINVAL);
    cr_expect_eq(xs_db_spelling_suggestion(NULL, "word", 4, 2, &s), KBS_EINVAL);
    cr_expect_eq(xs_db_spelling_suggestion(e.db->xdb, "word", 4, 2, NULL), KBS_EINVAL);
    cr_expect_eq(xs_db_spelling_suggestion(e.db->xdb, "", 0, 2, &s), KBS_EINVAL);
    kbs_db *r = tu_open_db(e.path, KBS_OPEN_READ);
    cr_expect_eq(xs_db_add_spelling(r->xdb, "word", 4, 1), KBS_EREADONLY);
    cr_expect_eq(xs_db_spelling_suggestion(r->xdb, "securiyt", 8, 2, &s), KBS_OK);
    cr_expect_str_eq(s, "security");
    free(s);
    kbs_db_close(r);
    free_env(&e);
}

/* Words added and committed raise the frequency that picks a suggestion. */
Test(spell, shim_frequency_decides)
{
    struct env e = make_env(0);
    /* "tral" is one insertion from both. */
    cr_assert_eq(xs_db_add_spelling(e.db->xdb, "trail", 5, 1), KBS_OK);
    cr_assert_eq(xs_db_add_spelling(e.db->xdb, "trial", 5, 9), KBS_OK);
    cr_assert_eq(kbs_db_commit(e.db), KBS_OK);
    char *s = NULL;
    cr_assert_eq(xs_db_spelling_suggestion(e.db->xdb, "tral", 4, 1, &s), KBS_OK);
    cr_expect_str_eq(s, "trial");
    free(s);
    cr_assert_eq(xs_db_add_spelling(e.db->xdb, "trail", 5, 20), KBS_OK);
    cr_assert_eq(kbs_db_commit(e.db), KBS_OK);
    s = NULL;
    cr_assert_eq(xs_db_spelling_suggestion(e.db->xdb, "tral", 4, 1, &s), KBS_OK);
    cr_expect_str_eq(s, "trail");
    free(s);
    free_env(&e);
}
