/* test_phrase_check.c - a quoted phrase's exact forms are checked in the
 * stored text (phrase_check.c) the same way whether the text is ASCII (read
 * with tokenize_ascii) or not (tokenize): each article is indexed twice, once
 * as is and once with a last paragraph that holds a non-ASCII word, and every
 * query must find both twins or neither. The stems match in every case; the
 * cases where the exact forms do not are the point of the check. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "testutil.h"

/* One article (its title, its body), and a phrase with whether it is there.
 * Each article also gets a word of its own, "tagNN", to aim a query at it. */
static const struct {
    const char *title, *body, *phrase;
    int found;
} cases[] = {
    {"Mill results", "Quarterly profits rose at the mill.", "quarterly profits", 1},
    {"Mill results", "Quarterly profits rose at the mill.", "quarterly profit", 0},
    {"Trade", "Japan's exports fell in May.", "japan's exports", 1},
    {"Trade", "Japan's exports fell in May.", "japan exports", 0},
    {"Talks", "The Kang-Kono talks ended late.", "kang kono talks", 1},
    {"Talks", "The Kang-Kono talks ended late.", "kang-kono talks", 1},
    {"Talks", "The Kang-Kono talks ended late.", "kang konos talks", 0},
    {"Jobs", "The maker will cut 1,000 jobs this year.", "1,000 jobs", 1},
    {"Jobs", "The maker will cut 1,000 jobs this year.", "1000 jobs", 1},
    {"Jobs", "The maker will cut 1,000 jobs this year.", "1,000 job", 0},
    {"Rival Nears Deal", "The two companies met again.", "rival nears", 1},
    {"Rival Nears Deal", "The two companies met again.", "rivals near", 0},
    {"Rates", "Prices ended the year\n\nLower rates came next.", "year lower rates", 1},
    {"Rates", "Prices ended the years\n\nLower rates came next.", "year lower rates", 0},
    {"Shares", "MARKET SHARE GREW.", "market share", 1},
    {"Shares", "Market shares grew.", "market share", 0},
    {"Banks", "The Bank of England said so.", "bank of england", 1},
    {"Banks", "The bank in England, of all places.", "bank of england", 0},
    {"Oil", "Oil-rich states pumped more.", "oil rich states", 1},
    {"Oil", "Oil-riches states pumped more.", "oil rich states", 0},
    /* The words in a row with other bytes between them (the ASCII texts'
     * search for the phrase before they are read word by word). */
    {"Sales", "Sales rose last-months and again.", "last months", 1},
    {"Sales", "It was the last, months ago.", "last months", 1},
    {"Sales", "Sales were down.\n\nLast\n\nMonths were calm.", "last months", 1},
    {"Sales", "SALES FELL LAST MONTHS.", "last months", 1},
    {"Sales", "It came last -- (months) later.", "last months", 1},
    {"Sales", "The lasts months were hard.", "last months", 0},
    {"Sales", "The last monthsy figure.", "last months", 0},
    {"Sales", "His last'months figure.", "last months", 0},
    {"Sales", "The last month's figure.", "last month's", 1},
    {"Sales", "The last month's figure.", "last month", 0},
    {"Sales",
     "The last "
     "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
     " months.",
     "last months", 1},
    /* "claim" and "claims" share their form tag (stem.h): the index cannot
     * tell them apart, so the stored text must (phrase_check.c). */
    {"Office", "The claims office opened.", "claim office", 0},
    {"Office", "The claims office opened.", "claims office", 1},
    {"Office", "The claim office opened.", "claim office", 1},
    {"Office", "The claim office opened.", "claims office", 0},
};
#define NCASES (sizeof cases / sizeof *cases)

Test(phrase_check, ascii_and_unicode_texts_agree)
{
    const char *tmp = tu_tmpdir();
    char *dir = tu_path(tmp, "index");
    kbs_db *db = tu_open_db(dir, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    char text[1024], key[64];
    for (size_t i = 0; i < NCASES; i++)
        for (int twin = 0; twin < 2; twin++) {
            snprintf(text, sizeof text,
                     "%s\n\nWritten: 2020-01-%02zu 08:00:00\n\n%s\n\nTag tag%02zu.%s\n",
                     cases[i].title, 1 + i % 28, cases[i].body, i,
                     twin ? "\n\nThe caf\xc3\xa9 stayed open." : "");
            snprintf(key, sizeof key, "mem/%02zu-%d.txt", i, twin);
            int st = kbs_index_buffer(db, key, text, strlen(text), 0, NULL);
            cr_assert_eq(st, KBS_OK, "index %s: %s", key, kbs_db_errmsg(db));
        }
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    for (size_t i = 0; i < NCASES; i++) {
        char q[256];
        snprintf(q, sizeof q, "\"%s\" tag%02zu", cases[i].phrase, i);
        for (int exact = 0; exact < 2; exact++) {
            kbs_search_options o;
            kbs_search_options_init(&o);
            o.all_versions = 1; /* the twins are versions of one story */
            o.exact_count = exact;
            o.no_snippets = 1;
            kbs_results *r = NULL;
            int st = kbs_search(db, q, strlen(q), &o, &r);
            cr_assert_eq(st, KBS_OK, "search %s: %s", q, kbs_db_errmsg(db));
            size_t want = cases[i].found ? 2 : 0;
            /* Nothing found shows the articles with any of the words. */
            int fell_back = kbs_results_fallback(r);
            cr_expect_eq(fell_back, !cases[i].found, "%s: fallback %d", q, fell_back);
            if (fell_back) {
                kbs_results_free(r);
                continue;
            }
            cr_expect_eq(kbs_results_count(r), want, "%s (exact count %d): %zu hits, not %zu", q,
                         exact, kbs_results_count(r), want);
            cr_expect_eq(kbs_results_total(r), want, "%s (exact count %d): total %llu, not %zu", q,
                         exact, (unsigned long long)kbs_results_total(r), want);
            kbs_results_free(r);
        }
    }
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    tu_rmtree(tmp);
    free(dir);
}

/* Hits of q, as all_versions counts them exactly (0 when it fell back). */
static size_t hits_of(kbs_db *db, const char *q)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.all_versions = 1;
    o.exact_count = 1;
    o.no_snippets = 1;
    kbs_results *r = NULL;
    cr_assert_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_OK, "search %s: %s", q,
                 kbs_db_errmsg(db));
    size_t n = kbs_results_fallback(r) ? 0 : kbs_results_count(r);
    kbs_results_free(r);
    return n;
}

/* A caller's title (kbs_index_buffer_meta) is not in the text: a phrase
 * whose words the text lacks is still found there, and only there. */
Test(phrase_check, caller_title_the_text_lacks)
{
    const char *tmp = tu_tmpdir();
    char *dir = tu_path(tmp, "index");
    kbs_db *db = tu_open_db(dir, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_article_meta m;
    kbs_article_meta_init(&m);
    m.title = "Rival Nears Deal";
    const char *text = "The two companies met again on Monday.\n";
    int st = kbs_index_buffer_meta(db, "mem/given.txt", text, strlen(text), &m, NULL);
    cr_assert_eq(st, KBS_OK, "index: %s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    static const struct {
        const char *q;
        size_t hits;
    } cases[] = {
        {"\"rival nears\"", 1},
        {"title:\"rival nears\"", 1},
        {"body:\"rival nears\"", 0},
        {"\"rivals near\"", 0},
        {"\"nears deal\"", 1},
        {"\"companies met\"", 1},
        {"\"rival nears\" \"companies met\"", 1},
        {"\"rival nears\" \"company met\"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_expect_eq(hits_of(db, cases[i].q), cases[i].hits, "%s: not %zu hits", cases[i].q,
                     cases[i].hits);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    tu_rmtree(tmp);
    free(dir);
}
