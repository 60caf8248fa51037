/* test_norms.c - a reader's searches weigh their terms with the document
 * lengths held in memory (shim/norms.h) from its second search on; they must
 * give what Xapian's own BM25 gives, which a writable handle still uses: the
 * same hits in the same order, the same scores to the last bit, the same
 * version counts and totals, for every kind of query the language has. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "testutil.h"

#define LIMIT 12

struct page {
    size_t n;
    uint64_t total;
    uint32_t id[LIMIT];
    double score[LIMIT];
    uint32_t versions[LIMIT];
};

static void search(kbs_db *db, const char *q, const kbs_search_options *o, struct page *out)
{
    kbs_results *res = NULL;
    cr_assert_eq(kbs_search(db, q, strlen(q), o, &res), KBS_OK, "%s: %s", q, kbs_db_errmsg(db));
    out->n = kbs_results_count(res);
    out->total = kbs_results_total(res);
    cr_assert_leq(out->n, LIMIT);
    for (size_t i = 0; i < out->n; i++) {
        kbs_hit h;
        cr_assert_eq(kbs_results_get(res, i, &h), KBS_OK);
        out->id[i] = h.id;
        out->score[i] = h.score;
        out->versions[i] = h.versions;
    }
    kbs_results_free(res);
}

static const char *const QUERIES[] = {
    "korea",
    "security cooperation",
    "missile OR nuclear OR satellite",
    "north -south",
    "economy NOT \"interest rate\"",
    "(typhoon OR storm) damage",
    "title:korea",
    "body:cooperation",
    "\"security cooperation\"",
    "\"north korea\" missile",
    "exports NEAR/3 chip",
    "secur* cooperation",
    "st*",
    "co* trade",
    "cooperation*",
    "title:ko*",
    "korea OR sec*",
    "pr* -korea",
    "category:economy inflation",
    "korea date:2019..2022",
    "after:2020-01-01 seoul",
    "+korea trade deficit exports",
    "the of and",
    "zzyzx",
};

/* Every query, sort, offset, version and count option, on the reader (the
 * norms, after its first search) and on the writer (Xapian's BM25). */
static void compare_all(kbs_db *r, kbs_db *w)
{
    const int sorts[] = {KBS_SORT_RELEVANCE, KBS_SORT_NEWEST};
    for (size_t qi = 0; qi < sizeof QUERIES / sizeof *QUERIES; qi++)
        for (size_t si = 0; si < 2; si++)
            for (int any = 0; any < 2; any++)
                for (int all_versions = 0; all_versions < 2; all_versions++)
                    for (int exact = 0; exact < 2; exact++)
                        for (uint32_t offset = 0; offset <= 4; offset += 4)
                            for (uint32_t most = 0; most <= 3; most += 3) {
                                /* A wildcard's expansion cut to its 3 most frequent terms
                                 * as well as to the default 100 ("s*" has more). */
                                if (most && !strchr(QUERIES[qi], '*'))
                                    continue;
                                kbs_search_options o =
                                    tu_page_options(offset, LIMIT, sorts[si], exact);
                                o.max_expansion = most;
                                o.all_versions = all_versions;
                                o.match = any ? KBS_MATCH_ANY : KBS_MATCH_ALL;
                                struct page a, b;
                                search(r, QUERIES[qi], &o, &a);
                                search(w, QUERIES[qi], &o, &b);
                                const char *q = QUERIES[qi];
                                cr_assert_eq(
                                    a.n, b.n,
                                    "%s (sort %d any %d all %d exact %d offset %u most %u)", q,
                                    sorts[si], any, all_versions, exact, offset, most);
                                /* One hit per story: the reader collapses with its story
                                 * map (collapse.c), whose totals and version counts are
                                 * estimates of their own (tests/test_collapse.c). */
                                if (all_versions || exact)
                                    cr_expect_eq(a.total, b.total, "%s: total %llu, %llu", q,
                                                 (unsigned long long)a.total,
                                                 (unsigned long long)b.total);
                                for (size_t i = 0; i < a.n; i++) {
                                    cr_expect_eq(a.id[i], b.id[i], "%s: hit %zu", q, i);
                                    /* Bit for bit: the same formula in the same order. */
                                    cr_expect(a.score[i] == b.score[i], "%s: hit %zu: %.17g, %.17g",
                                              q, i, a.score[i], b.score[i]);
                                    if (all_versions || exact)
                                        cr_expect_eq(a.versions[i], b.versions[i], "%s: hit %zu", q,
                                                     i);
                                }
                            }
}

Test(norms, a_readers_scores_are_xapians)
{
    const char *tmp = tu_tmpdir();
    char *index = tu_path(tmp, "index");
    kbs_db *w = tu_open_db(index, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(w, KBS_SOURCE_DIR "/corpus", NULL, &rep), KBS_OK, "%s",
                 kbs_db_errmsg(w));
    cr_assert_eq(kbs_db_commit(w), KBS_OK);
    cr_assert_geq(rep.added, 50);
    kbs_db *r = tu_open_db(index, KBS_OPEN_READ);
    compare_all(r, w);

    /* The index changes (an article much longer, one gone, one new): a new
     * reader reads the new lengths, and the old one, still on its revision,
     * still gives that revision's pages. */
    kbs_db *old = tu_open_db(index, KBS_OPEN_READ);
    struct page before;
    kbs_search_options o = tu_page_options(0, LIMIT, KBS_SORT_RELEVANCE, 0);
    search(old, "korea", &o, &before);
    search(old, "korea", &o, &before);
    static const char filler[] = "Officials in Seoul said the talks would go on next week.\n\n";
    char text[16384];
    int len = snprintf(text, sizeof text,
                       "Economy\n\nKorea and Japan review their trade talks\n\n"
                       "Written: 2024-06-02 09:00:00\n\n"
                       "Korea and Japan met again to review their trade talks.\n\n");
    while ((size_t)len + sizeof filler < sizeof text) {
        memcpy(text + len, filler, sizeof filler);
        len += (int)sizeof filler - 1;
    }
    cr_assert_eq(kbs_index_buffer(w, "extra/20240602_trade-review.txt", text, (size_t)len, 0, NULL),
                 KBS_OK, "%s", kbs_db_errmsg(w));
    cr_assert_eq(kbs_db_commit(w), KBS_OK);
    kbs_db *r2 = tu_open_db(index, KBS_OPEN_READ);
    compare_all(r2, w);
    struct page again;
    search(old, "korea", &o, &again);
    cr_assert_eq(again.n, before.n);
    for (size_t i = 0; i < again.n; i++) {
        cr_expect_eq(again.id[i], before.id[i]);
        cr_expect(again.score[i] == before.score[i]);
    }

    kbs_db_close(old);
    kbs_db_close(r2);
    kbs_db_close(r);
    kbs_db_close(w);
    free(index);
}
