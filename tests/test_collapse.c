/* test_collapse.c - one hit per story on a read-only handle (collapse.c,
 * stories.c) against Xapian's collapse key (what a writable handle uses).
 *
 * The corpus is written here: STORIES stories of 1 to 7 versions each (six
 * sentences shared, one of their own, and a title of their own), all
 * mentioning the harbour a different number of times, so that versions rank
 * apart and stories interleave. Pages of every size and offset, by relevance
 * and by date, words and phrases, must be those of Xapian's collapse, and
 * each hit's version count the number of its story's other matches. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "testutil.h"

#define STORIES 9
#define MAX_VERSIONS 7

static const char *const NAMES[STORIES] = {"alder", "birch",  "cedar", "dogwood", "elm",
                                           "fir",   "ginkgo", "hazel", "juniper"};
static const char *const ORDINALS[MAX_VERSIONS] = {"first", "second", "third",  "fourth",
                                                   "fifth", "sixth",  "seventh"};

static unsigned versions_of_story(unsigned s)
{
    return 1 + (s * 3) % MAX_VERSIONS;
}

/* Writes the corpus into dir/news; returns that folder (free()). */
static char *write_corpus(const char *dir)
{
    char *news = tu_path(dir, "news");
    char text[4096], name[64];
    for (unsigned s = 0; s < STORIES; s++) {
        const char *w = NAMES[s];
        for (unsigned v = 0; v < versions_of_story(s); v++) {
            int n = snprintf(text, sizeof text,
                             "Economy\n\n%s harbour report, %s take\n\n"
                             "Written: 2024-05-%02u 08:%02u:00\n\n"
                             "The %s committee met at noon to discuss the plans.\n\n"
                             "Members of the %s group said the %s budget was too small.\n\n"
                             "A spokesman for %s traders asked for %s loans this year.\n\n"
                             "Officials promised that %s farmers would get help soon.\n\n"
                             "The %s market will reopen when the repairs are finished.\n\n"
                             "Residents near the %s square welcomed the decision today.\n\n"
                             "This %s version adds a note on the %s weather outlook.\n\n",
                             w, ORDINALS[v], 1 + s, v, w, w, w, w, w, w, w, w, ORDINALS[v], w);
            cr_assert(n > 0 && (size_t)n < sizeof text);
            /* The harbour, (s + v) % 4 more times: versions of one story
             * score apart, and stories interleave. */
            for (unsigned k = 0; k < (s + v) % 4; k++)
                strcat(text, "Boats crowded the harbour again.\n\n");
            snprintf(name, sizeof name, "202405%02u_%s-%u.txt", 1 + s, w, v);
            char *p = tu_path(news, name);
            tu_write(p, text, strlen(text));
            free(p);
        }
    }
    return news;
}

struct page {
    size_t n;
    uint64_t total;
    uint32_t id[64];
    uint32_t versions[64];
    unsigned story[64]; /* from the file's name: 202405DD_, DD = story + 1 */
};

static void search(kbs_db *db, const char *q, uint32_t offset, uint32_t limit, int sort,
                   int all_versions, int exact, struct page *out)
{
    kbs_search_options o = tu_page_options(offset, limit, sort, exact);
    o.all_versions = all_versions;
    kbs_results *res = NULL;
    cr_assert_eq(kbs_search(db, q, strlen(q), &o, &res), KBS_OK, "%s", kbs_db_errmsg(db));
    out->n = kbs_results_count(res);
    out->total = kbs_results_total(res);
    cr_assert_leq(out->n, 64);
    for (size_t i = 0; i < out->n; i++) {
        kbs_hit h;
        kbs_results_get(res, i, &h);
        out->id[i] = h.id;
        out->versions[i] = h.versions;
        const char *base = strrchr(h.path, '/');
        cr_assert_not_null(base);
        out->story[i] = (unsigned)((base[7] - '0') * 10 + (base[8] - '0')) - 1;
    }
    kbs_results_free(res);
}

Test(collapse, pages_are_those_of_xapians_collapse_key)
{
    const char *tmp = tu_tmpdir();
    char *news = write_corpus(tmp);
    char *index = tu_path(tmp, "index");
    kbs_db *w = tu_open_db(index, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(w, news, NULL, &rep), KBS_OK, "%s", kbs_db_errmsg(w));
    cr_assert_eq(kbs_db_commit(w), KBS_OK);
    kbs_db *r = tu_open_db(index, KBS_OPEN_READ);

    unsigned articles = 0;
    for (unsigned s = 0; s < STORIES; s++)
        articles += versions_of_story(s);
    /* Every version matches "harbour": the stories were found. */
    struct page all, exact;
    search(r, "harbour", 0, 64, KBS_SORT_RELEVANCE, 1, 0, &all);
    cr_assert_eq(all.n, articles);
    search(r, "harbour", 0, 64, KBS_SORT_RELEVANCE, 0, 1, &exact);
    cr_assert_eq(exact.n, STORIES, "%zu stories found of %d", exact.n, STORIES);

    /* Phrases too: their candidates are checked one by one, and collapsed as
     * they come (phrase_check.c). */
    const char *queries[] = {"harbour",
                             "harbour boats",
                             "committee OR weather",
                             "fir",
                             "\"harbour report\"",
                             "\"boats crowded\"",
                             "\"crowded the\" fir"};
    const int sorts[] = {KBS_SORT_RELEVANCE, KBS_SORT_NEWEST, KBS_SORT_OLDEST};
    for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
        for (size_t si = 0; si < sizeof sorts / sizeof *sorts; si++) {
            struct page every;
            search(r, queries[qi], 0, 64, sorts[si], 1, 0, &every);
            for (uint32_t limit = 1; limit <= 12; limit++) {
                for (uint32_t offset = 0; offset <= 10; offset += 2) {
                    struct page a, b;
                    search(r, queries[qi], offset, limit, sorts[si], 0, 0, &a);
                    search(w, queries[qi], offset, limit, sorts[si], 0, 0, &b);
                    cr_assert_eq(a.n, b.n, "%s sort %d offset %u limit %u: %zu hits, %zu",
                                 queries[qi], sorts[si], offset, limit, a.n, b.n);
                    for (size_t i = 0; i < a.n; i++) {
                        cr_assert_eq(a.id[i], b.id[i], "%s sort %d offset %u limit %u hit %zu",
                                     queries[qi], sorts[si], offset, limit, i);
                        /* The count is every other match of the story
                         * when every match fell in the window (the page's
                         * end and at least 5 more: collapse.c), and never
                         * more. */
                        uint32_t others = 0;
                        for (size_t j = 0; j < every.n; j++)
                            others += every.story[j] == a.story[i] && every.id[j] != a.id[i];
                        if (offset + limit + 5 > every.n)
                            cr_expect_eq(a.versions[i], others, "%s: hit %u: %u versions, %u",
                                         queries[qi], a.id[i], a.versions[i], others);
                        else
                            cr_expect_leq(a.versions[i], others, "%s: hit %u: %u versions, %u",
                                          queries[qi], a.id[i], a.versions[i], others);
                    }
                    /* Every match seen, the total is exact; else an estimate
                     * between the stories seen and the matches. */
                    struct page c;
                    search(r, queries[qi], offset, limit, sorts[si], 0, 1, &c);
                    if (offset + limit + 5 > every.n)
                        cr_expect_eq(a.total, c.total, "%s: total %llu, exactly %llu", queries[qi],
                                     (unsigned long long)a.total, (unsigned long long)c.total);
                    else
                        cr_expect((a.n == 0 || a.total >= offset + a.n) && a.total <= every.n,
                                  "%s: total %llu of %zu matches", queries[qi],
                                  (unsigned long long)a.total, every.n);
                }
            }
        }
    }
    kbs_db_close(r);
    kbs_db_close(w);
    free(index);
    free(news);
}

/* A story whose best candidate for a phrase has the phrase's stems but not
 * its words, and whose other version has the words: the story is found, by
 * the version that holds the phrase (Xapian's collapse key, dropping the
 * lesser version before the check, lost the story). */
Test(collapse, a_phrase_finds_the_version_that_holds_it)
{
    static const char *const shared =
        "The quay committee met at noon to discuss the plans.\n\n"
        "Members of the fishing group said the budget was too small.\n\n"
        "A spokesman for the traders asked for cheaper loans this year.\n\n"
        "Officials promised that the farmers would get help soon.\n\n"
        "The fish market will reopen when the repairs are finished.\n\n"
        "Residents near the old square welcomed the decision today.\n\n";
    const char *tmp = tu_tmpdir();
    char *news = tu_path(tmp, "news");
    char text[4096];
    snprintf(text, sizeof text,
             "Economy\n\nQuay report\n\nWritten: 2024-05-01 08:00:00\n\n%s"
             "Each boat crowds the quay, and one more boat crowds the pier.\n\n",
             shared);
    char *p = tu_path(news, "20240501_quay-0.txt");
    tu_write(p, text, strlen(text));
    free(p);
    snprintf(text, sizeof text,
             "Economy\n\nQuay report, updated\n\nWritten: 2024-05-01 09:00:00\n\n%s"
             "Boats crowded the harbour at dawn.\n\n",
             shared);
    p = tu_path(news, "20240501_quay-1.txt");
    tu_write(p, text, strlen(text));
    free(p);
    char *index = tu_path(tmp, "index");
    kbs_db *w = tu_open_db(index, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(w, news, NULL, &rep), KBS_OK, "%s", kbs_db_errmsg(w));
    kbs_db_close(w);

    /* A handle's first search, as the command line's only one. */
    kbs_db *r = tu_open_db(index, KBS_OPEN_READ);
    struct page all, page;
    search(r, "\"boats crowded\"", 0, 10, KBS_SORT_RELEVANCE, 0, 0, &page);
    cr_assert_eq(page.n, 1, "the story is found by the first search");
    search(r, "quay", 0, 10, KBS_SORT_RELEVANCE, 0, 0, &page);
    cr_assert_eq(page.n, 1, "the two versions are one story");
    search(r, "boat crowds", 0, 10, KBS_SORT_RELEVANCE, 1, 0, &all);
    cr_assert_eq(all.n, 2);
    search(r, "\"boats crowded\"", 0, 10, KBS_SORT_RELEVANCE, 0, 0, &page);
    cr_assert_eq(page.n, 1, "the story is found");
    char *path = tu_path(news, "20240501_quay-1.txt");
    kbs_results *res = NULL;
    kbs_search_options o;
    kbs_search_options_init(&o);
    cr_assert_eq(kbs_search(r, "\"boats crowded\"", 16, &o, &res), KBS_OK);
    kbs_hit h;
    cr_assert_eq(kbs_results_get(res, 0, &h), KBS_OK);
    cr_expect_str_eq(h.path, path);
    cr_expect_eq(h.versions, 0, "the other version lacks the phrase");
    cr_expect_eq(kbs_results_total(res), 1);
    kbs_results_free(res);
    free(path);
    kbs_db_close(r);
    free(index);
    free(news);
}
