/* test_phrase_page.c - a quoted phrase's exact forms are checked only for the
 * hits a page needs (phrase_check.c, phrase_search), yet every page holds the same
 * hits, in the same order, as when every match is checked (exact_count, where
 * the matcher checks them all): also when the best-ranked candidates fail the
 * check and more must be fetched, for any offset, limit and order. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "testutil.h"

/* Stems match "quarterly profit" in all of them; the exact forms only in the
 * PASS articles, and the index's form tags (shim/positions.h) rule out the
 * FAIL ones before any text is read. "output was steady" is in all of them
 * as far as the index can tell (was is a stop word, with no positions: any
 * word between output and steady matches), and only the stored text of a
 * FAIL article ("output is steady") rules it out. The FAIL ones repeat the
 * words, so they rank first: more of them than the first batch of
 * candidates (32) forces a second batch. */
#define NFAIL 45
#define NPASS 17

static kbs_db *build(const char *dir)
{
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(dir, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg);
    cr_assert_eq(st, KBS_OK, "open: %s", msg ? msg : "");
    char text[2048], key[64];
    for (int i = 0; i < NFAIL + NPASS; i++) {
        int pass = i >= NFAIL;
        /* Dates spread both ways, so that date order differs from rank order. */
        int day = 1 + (i * 7) % 28, month = 1 + (i * 5) % 12;
        if (pass && i % 3 == 0) /* the phrase in the title only */
            snprintf(text, sizeof text,
                     "Quarterly profit at mill number %d\n\nWritten: 2020-%02d-%02d 08:00:00\n\n"
                     "The mill reported figures for the season to its owners and the town "
                     "council, which met on Tuesday to discuss the harbour. Output was steady.\n",
                     i, month, day);
        else if (pass)
            snprintf(text, sizeof text,
                     "Mill report %d\n\nWritten: 2020-%02d-%02d 08:00:00\n\n"
                     "The mill said its quarterly profit was steady, and the town council met "
                     "on Tuesday to discuss the harbour, the roads, the school and the "
                     "new bridge over the river near the old station. Output was steady.\n",
                     i, month, day);
        else
            snprintf(text, sizeof text,
                     "Mill report %d\n\nWritten: 2020-%02d-%02d 08:00:00\n\n"
                     "Quarterly profits rose. Quarterly profits grew%.*s. Output is steady, "
                     "output is steady, output is steady.\n",
                     i, month, day, i % 7, "!!!!!!!");
        snprintf(key, sizeof key, "mem/%03d.txt", i);
        st = kbs_index_buffer(db, key, text, strlen(text), 0, NULL);
        cr_assert_eq(st, KBS_OK, "index %s: %s", key, kbs_db_errmsg(db));
    }
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    return db;
}

/* The ids of a page, and its total. */
static size_t page(kbs_db *db, const char *q, uint32_t offset, uint32_t limit, int sort, int exact,
                   uint32_t *ids, uint64_t *total)
{
    kbs_search_options o = tu_page_options(offset, limit, sort, exact);
    kbs_results *r = NULL;
    int st = kbs_search(db, q, strlen(q), &o, &r);
    cr_assert_eq(st, KBS_OK, "search %s: %s", q, kbs_db_errmsg(db));
    size_t n = kbs_results_count(r);
    for (size_t i = 0; i < n; i++) {
        kbs_hit h;
        cr_assert_eq(kbs_results_get(r, i, &h), KBS_OK);
        ids[i] = h.id;
    }
    *total = kbs_results_total(r);
    kbs_results_free(r);
    return n;
}

Test(phrase_page, pages_match_checking_every_match)
{
    const char *tmp = tu_tmpdir();
    char *dir = tu_path(tmp, "index");
    kbs_db *db = build(dir);
    static const char *const queries[] = {"\"quarterly profit\"", "\"output was steady\""};
    static const struct {
        uint32_t offset, limit;
    } cases[] = {{0, 10}, {0, 1}, {0, 17}, {0, 100}, {5, 5}, {10, 10}, {16, 3}, {17, 10}, {40, 10}};
    static const int sorts[] = {KBS_SORT_RELEVANCE, KBS_SORT_NEWEST, KBS_SORT_OLDEST};
    for (size_t qi = 0; qi < 2; qi++)
        for (size_t s = 0; s < sizeof sorts / sizeof *sorts; s++) {
            const char *q = queries[qi];
            uint32_t all[200];
            uint64_t exact_total = 0;
            size_t nall = page(db, q, 0, 200, sorts[s], 1, all, &exact_total);
            cr_assert_eq(nall, NPASS, "sort %d: %zu hits, not %d", sorts[s], nall, NPASS);
            cr_assert_eq(exact_total, NPASS);
            for (size_t i = 0; i < nall; i++)
                cr_assert_geq(all[i], NFAIL + 1, "a hit without the exact forms: id %u", all[i]);
            for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
                uint32_t got[200];
                uint64_t total = 0;
                size_t n = page(db, q, cases[c].offset, cases[c].limit, sorts[s], 0, got, &total);
                size_t want = cases[c].offset >= nall ? 0 : nall - cases[c].offset;
                if (want > cases[c].limit)
                    want = cases[c].limit;
                cr_expect_eq(n, want, "sort %d offset %u limit %u: %zu hits, not %zu", sorts[s],
                             cases[c].offset, cases[c].limit, n, want);
                for (size_t i = 0; i < n && i < want; i++)
                    cr_expect_eq(got[i], all[cases[c].offset + i],
                                 "sort %d offset %u limit %u: hit %zu is %u, not %u", sorts[s],
                                 cases[c].offset, cases[c].limit, i, got[i],
                                 all[cases[c].offset + i]);
                /* An estimate, but never below what was found nor above the
                 * stems' matches. */
                cr_expect((n == 0 || total >= cases[c].offset + n) && total <= NFAIL + NPASS,
                          "sort %d offset %u limit %u: total %llu", sorts[s], cases[c].offset,
                          cases[c].limit, (unsigned long long)total);
                /* Every match was checked; or, for the first query, the form
                 * tags let only the PASS ones through, and the estimate counts
                 * those (phrase_search). */
                if (cases[c].offset + cases[c].limit > NPASS || qi == 0)
                    cr_expect_eq(total, NPASS, "sort %d offset %u limit %u: total %llu", sorts[s],
                                 cases[c].offset, cases[c].limit, (unsigned long long)total);
            }
        }
    /* Every article matches the stems, none the exact forms: nothing, and 0. */
    uint32_t none[10];
    uint64_t total = 1;
    cr_expect_eq(page(db, "\"quarterly profited\"", 0, 10, KBS_SORT_RELEVANCE, 0, none, &total), 0);
    cr_expect_eq(total, 0);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    tu_rmtree(tmp);
    free(dir);
}
