/* test_facets.c - facet counts against a hand-counted fixture folder.
 *
 * tests/fixtures/facets holds nine invented KBS pages. By hand:
 *   "ferry" is in seven of them:
 *     Economy 2023-01-15, Economy 2023-01-20, Society 2023-03-02,
 *     Society 2023-04-05, Economy 2023-04-11, Culture 2023-04-30,
 *     Culture 2024-02-01
 *   "bridge" in two: Politics 2022-12-31, Sports 2023-02-10.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facets.h"
#include "kbsearch.h"
#include "schema.h"
#include "testutil.h"
#include "xapian_shim.h"

#define FIXTURE KBS_SOURCE_DIR "/tests/fixtures/facets"

static kbs_db *open_indexed(void)
{
    const char *dir = tu_tmpdir();
    char *path = tu_path(dir, "idx");
    kbs_db *db = NULL;
    cr_assert_eq(kbs_db_open(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, NULL), KBS_OK);
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, FIXTURE, NULL, &rep), KBS_OK);
    cr_assert_eq(rep.added, 9);
    free(path);
    return db;
}

static kbs_results *search(kbs_db *db, const char *q, int facets)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.facets = facets;
    o.limit = 2; /* counts cover every match, not just the hits shown */
    kbs_results *r = NULL;
    cr_assert_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_OK, "%s", kbs_db_errmsg(db));
    return r;
}

typedef struct expect {
    const char *value;
    uint64_t count;
} expect;

static void check(const kbs_results *r, int kind, const expect *want, size_t n)
{
    cr_assert_eq(kbs_results_facet_count(r, kind), n, "kind %d: %zu values", kind,
                 kbs_results_facet_count(r, kind));
    for (size_t i = 0; i < n; i++) {
        kbs_facet f;
        cr_assert_eq(kbs_results_facet(r, kind, i, &f), KBS_OK);
        cr_expect_str_eq(f.value, want[i].value, "kind %d, value %zu", kind, i);
        cr_expect_eq(f.count, want[i].count, "kind %d, %s: %llu", kind, f.value,
                     (unsigned long long)f.count);
    }
}

Test(facets, ferry_counts_by_hand)
{
    kbs_db *db = open_indexed();
    kbs_results *r = search(db, "ferry", 1);
    cr_expect_eq(kbs_results_total(r), 7);
    cr_expect_eq(kbs_results_count(r), 2);
    /* Most frequent first, ties by name. */
    static const expect cats[] = {{"Economy", 3}, {"Culture", 2}, {"Society", 2}};
    check(r, KBS_FACET_CATEGORY, cats, 3);
    /* Every month from the first to the last, the empty ones with 0. */
    static const expect months[] = {
        {"2023-01", 2}, {"2023-02", 0}, {"2023-03", 1}, {"2023-04", 3}, {"2023-05", 0},
        {"2023-06", 0}, {"2023-07", 0}, {"2023-08", 0}, {"2023-09", 0}, {"2023-10", 0},
        {"2023-11", 0}, {"2023-12", 0}, {"2024-01", 0}, {"2024-02", 1},
    };
    check(r, KBS_FACET_MONTH, months, 14);
    static const expect years[] = {{"2023", 6}, {"2024", 1}};
    check(r, KBS_FACET_YEAR, years, 2);
    kbs_results_free(r);
    kbs_db_close(db);
}

Test(facets, bridge_and_filters)
{
    kbs_db *db = open_indexed();
    kbs_results *r = search(db, "bridge", 1);
    static const expect cats[] = {{"Politics", 1}, {"Sports", 1}};
    check(r, KBS_FACET_CATEGORY, cats, 2);
    static const expect months[] = {{"2022-12", 1}, {"2023-01", 0}, {"2023-02", 1}};
    check(r, KBS_FACET_MONTH, months, 3);
    static const expect years[] = {{"2022", 1}, {"2023", 1}};
    check(r, KBS_FACET_YEAR, years, 2);
    kbs_results_free(r);

    /* A filter narrows the counts like the hits. */
    r = search(db, "ferry category:economy", 1);
    static const expect eco[] = {{"Economy", 3}};
    check(r, KBS_FACET_CATEGORY, eco, 1);
    static const expect eco_months[] = {
        {"2023-01", 2}, {"2023-02", 0}, {"2023-03", 0}, {"2023-04", 1}};
    check(r, KBS_FACET_MONTH, eco_months, 4);
    kbs_results_free(r);

    /* A phrase: only the candidates whose text has the exact words count. */
    r = search(db, "\"old ferry\"", 1);
    static const expect old[] = {{"Culture", 1}};
    check(r, KBS_FACET_CATEGORY, old, 1);
    kbs_results_free(r);
    kbs_db_close(db);
}

Test(facets, none_unless_asked)
{
    kbs_db *db = open_indexed();
    kbs_results *r = search(db, "ferry", 0);
    cr_expect_eq(kbs_results_facet_count(r, KBS_FACET_CATEGORY), 0);
    cr_expect_eq(kbs_results_facet_count(r, KBS_FACET_MONTH), 0);
    kbs_facet f;
    cr_expect_eq(kbs_results_facet(r, KBS_FACET_CATEGORY, 0, &f), KBS_EINVAL);
    kbs_results_free(r);

    /* Nothing found: no values, not a failure. */
    r = search(db, "volcano", 1);
    cr_expect_eq(kbs_results_count(r), 0);
    cr_expect_eq(kbs_results_facet_count(r, KBS_FACET_MONTH), 0);
    cr_expect_eq(kbs_results_facet_count(r, KBS_FACET_YEAR), 0);
    kbs_results_free(r);

    /* Misuse. */
    r = search(db, "ferry", 1);
    cr_expect_eq(kbs_results_facet_count(r, 99), 0);
    cr_expect_eq(kbs_results_facet_count(NULL, KBS_FACET_CATEGORY), 0);
    cr_expect_eq(kbs_results_facet(r, KBS_FACET_CATEGORY, 3, &f), KBS_EINVAL);
    cr_expect_eq(kbs_results_facet(r, KBS_FACET_CATEGORY, 0, NULL), KBS_EINVAL);
    cr_expect_eq(kbs_results_facet(NULL, KBS_FACET_CATEGORY, 0, &f), KBS_EINVAL);
    cr_expect_eq(kbs_results_facet(r, -1, 0, &f), KBS_EINVAL);
    kbs_results_free(r);
    kbs_db_close(db);
}

/* The module alone: values that are not months are ignored, a span is filled
 * across a year's end, and reset forgets everything. */
Test(facets, module)
{
    facets *f = NULL;
    cr_assert_eq(facets_new(&f), 0);
    cr_assert_eq(facets_add(f, SLOT_MONTH, "2019-11", 7, 4), 0);
    cr_assert_eq(facets_add(f, SLOT_MONTH, "2020-02", 7, 1), 0);
    cr_assert_eq(facets_add(f, SLOT_MONTH, "2020-13", 7, 9), 0);
    cr_assert_eq(facets_add(f, SLOT_MONTH, "20x0-01", 7, 9), 0);
    cr_assert_eq(facets_add(f, SLOT_MONTH, "2020-1", 6, 9), 0);
    cr_assert_eq(facets_add(f, SLOT_CATEGORY, "B", 1, 2), 0);
    cr_assert_eq(facets_add(f, SLOT_CATEGORY, "A", 1, 2), 0);
    cr_assert_eq(facets_add(f, SLOT_CATEGORY, "C", 1, 5), 0);
    cr_assert_eq(facets_finish(f), 0);
    static const char *const months[] = {"2019-11", "2019-12", "2020-01", "2020-02"};
    static const uint64_t mcounts[] = {4, 0, 0, 1};
    cr_assert_eq(facets_count(f, KBS_FACET_MONTH), 4);
    for (size_t i = 0; i < 4; i++) {
        kbs_facet x;
        cr_assert_eq(facets_get(f, KBS_FACET_MONTH, i, &x), KBS_OK);
        cr_expect_str_eq(x.value, months[i]);
        cr_expect_eq(x.count, mcounts[i], "%s", months[i]);
    }
    static const char *const cats[] = {"C", "A", "B"};
    for (size_t i = 0; i < 3; i++) {
        kbs_facet x;
        cr_assert_eq(facets_get(f, KBS_FACET_CATEGORY, i, &x), KBS_OK);
        cr_expect_str_eq(x.value, cats[i]);
    }
    cr_expect_eq(facets_count(f, KBS_FACET_YEAR), 2);
    facets_reset(f);
    cr_expect_eq(facets_count(f, KBS_FACET_CATEGORY), 0);
    cr_assert_eq(facets_add(f, SLOT_MONTH, "2019-11", 7, 4), 0);
    cr_assert_eq(facets_add(f, SLOT_MONTH, "2020-02", 7, 1), 0);
    cr_assert_eq(facets_finish(f), 0);
    facets_free(f);
    facets_free(NULL);
}

/* Does a value-count spy see the documents that collapsing hides? It does:
 * Xapian calls the spies before the collapse step, so the counts cover every
 * version of a story, as kbsearch.h promises. */
Test(facets, spies_see_collapsed_documents)
{
    char *path = tu_path(tu_tmpdir(), "xdb");
    char err[256];
    xs_db *db = NULL;
    cr_assert_eq(xs_db_open(path, XS_OPEN_WRITE_CREATE, &db, err, sizeof err), KBS_OK, "%s", err);
    for (int i = 0; i < 5; i++) {
        xs_doc *doc = NULL;
        char id[16];
        snprintf(id, sizeof id, "Q%d", i);
        cr_assert_eq(xs_doc_new(&doc), KBS_OK);
        cr_assert_eq(xs_doc_add_term(doc, id, strlen(id), 0), KBS_OK);
        cr_assert_eq(xs_doc_add_term(doc, "ferry", 5, 1), KBS_OK);
        /* Three versions of one story, two articles on their own. */
        if (i < 3)
            cr_assert_eq(xs_doc_set_value(doc, SLOT_STORY, "Q0", 2), KBS_OK);
        cr_assert_eq(xs_doc_set_value(doc, SLOT_CATEGORY, "Economy", 7), KBS_OK);
        uint32_t docid;
        cr_assert_eq(xs_db_replace(db, id, strlen(id), doc, &docid), KBS_OK);
        xs_doc_free(doc);
    }
    cr_assert_eq(xs_db_commit(db), KBS_OK);
    xs_query *q = NULL;
    cr_assert_eq(xs_query_term("ferry", 5, 1, 0, &q), KBS_OK);
    facets *f = NULL;
    cr_assert_eq(facets_new(&f), 0);
    static const unsigned slots[] = {SLOT_CATEGORY};
    xs_search_params p;
    memset(&p, 0, sizeof p);
    p.k1 = 1.2;
    p.b = 0.75;
    p.limit = 10;
    p.check_at_least = UINT32_MAX;
    p.sort_slot = -1;
    p.collapse = 1;
    p.collapse_slot = SLOT_STORY;
    p.spy_slots = slots;
    p.nspy_slots = 1;
    p.spy_cb = facets_add;
    p.spy_ctx = f;
    xs_match m[10];
    xs_search_result res;
    cr_assert_eq(xs_db_search(db, q, &p, m, &res), KBS_OK, "%s", xs_db_errmsg(db));
    cr_expect_eq(res.n, 3, "collapsing shows one hit per story: %zu", res.n);
    cr_assert_eq(facets_finish(f), 0);
    kbs_facet c;
    cr_assert_eq(facets_get(f, KBS_FACET_CATEGORY, 0, &c), KBS_OK);
    cr_expect_eq(c.count, 5, "the spy counted %llu of the 5 matches", (unsigned long long)c.count);
    facets_free(f);
    xs_query_free(q);
    xs_db_close(db);
    free(path);
}
