/* test_dedup.c - near-duplicate articles grouped into stories (dedup.c), one
 * hit per story in search, kbs_versions() and kbs_similar().
 *
 * The fixtures (tests/fixtures/stories, KBS layout, invented text): a story
 * (port-strike), its update the same evening (more sentences, a new title),
 * the same story filed again the next day under another category; a
 * different story on the same port and union (port-cranes); two quarterly
 * results of one company written from one template, differing only in their
 * figures (hanbit-q1, a year apart); and a festival. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "article.h"
#include "db_internal.h"
#include "dedup.h"
#include "kbsearch.h"
#include "testutil.h"

static const char *const FIXTURES[] = {
    "20230427_hanbit-q1.txt",      "20240425_hanbit-q1.txt",
    "20240504_bread-festival.txt", "20240510_port-strike-update.txt",
    "20240510_port-strike.txt",    "20240511_port-strike-refiled.txt",
    "20240514_port-cranes.txt",
};
#define NFIX (sizeof FIXTURES / sizeof FIXTURES[0])

static char *fixture(const char *name, size_t *len)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/stories", KBS_FIXTURES);
    char *p = tu_path(dir, name);
    char *data = tu_read(p, len);
    cr_assert_not_null(data, "cannot read the fixture %s", p);
    free(p);
    return data;
}

/* Copies the fixtures into DIR/news; returns that folder (free()). */
static char *write_news(const char *dir)
{
    char *news = tu_path(dir, "news");
    for (size_t i = 0; i < NFIX; i++) {
        size_t len;
        char *data = fixture(FIXTURES[i], &len);
        char *p = tu_path(news, FIXTURES[i]);
        tu_write(p, data, len);
        free(p);
        free(data);
    }
    return news;
}

static kbs_db *open_db(const char *dir)
{
    char *path = tu_path(dir, "index");
    kbs_db *db = NULL;
    char *err = NULL;
    int st = kbs_db_open(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &err);
    cr_assert_eq(st, KBS_OK, "%s", err ? err : "");
    free(path);
    return db;
}

static void index_dir(kbs_db *db, const char *news)
{
    kbs_index_report rep;
    int st = kbs_index_dir(db, news, NULL, &rep);
    cr_assert_eq(st, KBS_OK, "%s", kbs_db_errmsg(db));
}

static uint32_t id_of(kbs_db *db, const char *news, const char *name)
{
    char *p = tu_path(news, name);
    uint32_t id = 0;
    cr_assert_eq(kbs_lookup(db, p, &id), KBS_OK, "%s: %s", name, kbs_db_errmsg(db));
    free(p);
    return id;
}

/* The ids of the other versions of docid's story, newest first, in out. */
static size_t versions_of(kbs_db *db, uint32_t docid, uint32_t out[8])
{
    kbs_results *res = NULL;
    int st = kbs_versions(db, docid, NULL, &res);
    cr_assert_eq(st, KBS_OK, "%s", kbs_db_errmsg(db));
    size_t n = kbs_results_count(res);
    for (size_t i = 0; i < n && i < 8; i++) {
        kbs_hit h;
        kbs_results_get(res, i, &h);
        out[i] = h.id;
    }
    kbs_results_free(res);
    return n;
}

/* ---- the verdict and the sentences ------------------------------------------- */

Test(dedup, same_story_table)
{
    static const struct {
        size_t na, nb, shared;
        int same;
    } cases[] = {
        {10, 10, 10, 1},                 /* a copy */
        {10, 14, 10, 1},                 /* an update that added four sentences */
        {8, 12, 6, 1},                   /* ... and rewrote two */
        {6, 20, 6, 1},                   /* more than tripled, the first version whole inside */
        {6, 21, 6, 0},                   /* a short item quoted inside a long feature */
        {10, 10, 5, 0},                  /* half the sentences: another story on the same event */
        {10, 10, 6, 1},                  /* most of them */
        {2, 2, 2, 1},                    /* the fewest sentences that can make a story */
        {1, 1, 1, 0},                    /* one shared sentence is no evidence */
        {0, 0, 0, 0},    {40, 40, 3, 0}, /* boilerplate: an agency's standard sentences */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(dedup_same_story(cases[i].na, cases[i].nb, cases[i].shared), cases[i].same,
                     "case %zu: %zu, %zu, %zu shared", i + 1, cases[i].na, cases[i].nb,
                     cases[i].shared);
}

static size_t sentences(const char *text, uint64_t **h)
{
    article art;
    cr_assert_eq(article_parse(text, strlen(text), &art), 0);
    size_t n = 0;
    cr_assert_eq(dedup_sentences(text, &art, h, &n), 0);
    article_free(&art);
    return n;
}

Test(dedup, sentences_keep_their_figures)
{
    /* PLAIN layout: the first line is the title, not a sentence. */
    const char *a = "Results\nProfit rose to 41.2 billion won in the quarter. The company "
                    "makes noodles and sauces for shops. Short one.\n";
    const char *b = "Other title\nProfit rose to 36.6 billion won in the quarter. The "
                    "COMPANY makes   noodles and sauces for shops!\n";
    uint64_t *ha, *hb;
    size_t na = sentences(a, &ha), nb = sentences(b, &hb);
    /* "Short one." has too few words to count. */
    cr_assert_eq(na, 2);
    cr_assert_eq(nb, 2);
    size_t shared = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            shared += ha[i] == hb[j];
    /* Case, spacing and punctuation are folded away; the figure is not. */
    cr_assert_eq(shared, 1);
    free(ha);
    free(hb);
}

/* ---- grouping at index time -------------------------------------------------- */

struct ids {
    uint32_t strike, update, refiled, cranes, festival, q2023, q2024;
};

static struct ids ids_of(kbs_db *db, const char *news)
{
    struct ids x;
    x.strike = id_of(db, news, "20240510_port-strike.txt");
    x.update = id_of(db, news, "20240510_port-strike-update.txt");
    x.refiled = id_of(db, news, "20240511_port-strike-refiled.txt");
    x.cranes = id_of(db, news, "20240514_port-cranes.txt");
    x.festival = id_of(db, news, "20240504_bread-festival.txt");
    x.q2023 = id_of(db, news, "20230427_hanbit-q1.txt");
    x.q2024 = id_of(db, news, "20240425_hanbit-q1.txt");
    return x;
}

static void expect_fixture_stories(kbs_db *db, const struct ids *x)
{
    uint32_t v[8];
    /* The story and its update, and the copy filed again: one story, newest
     * first. */
    cr_assert_eq(versions_of(db, x->strike, v), 2);
    cr_expect_eq(v[0], x->refiled);
    cr_expect_eq(v[1], x->update);
    cr_assert_eq(versions_of(db, x->update, v), 2);
    cr_expect_eq(v[0], x->refiled);
    cr_expect_eq(v[1], x->strike);
    /* Another story on the same port and union is not a version. */
    cr_expect_eq(versions_of(db, x->cranes, v), 0);
    /* Two results from one template, with other figures: not one story. */
    cr_expect_eq(versions_of(db, x->q2023, v), 0);
    cr_expect_eq(versions_of(db, x->q2024, v), 0);
    cr_expect_eq(versions_of(db, x->festival, v), 0);
}

/* Grouped one by one, and (bulk_min 1) from one walk over the min-hash
 * terms, as a large pass is: the same stories. */
static void group_folder(uint32_t bulk_min, int parallel)
{
    const char *tmp = tu_tmpdir();
    char *news = write_news(tmp);
    kbs_db *db = open_db(tmp);
    db->dedup_bulk_min = bulk_min;
    if (parallel) {
        /* Chunks of two files: the versions of the story land in different
         * workers' scratch databases, and only the merged index sees them all. */
        db->parallel_min_files = 2;
        db->parallel_chunk_files = 2;
        db->workers = 2;
    }
    index_dir(db, news);
    struct ids x = ids_of(db, news);
    expect_fixture_stories(db, &x);
    kbs_db_close(db);
    free(news);
}

Test(dedup, a_folder_is_grouped_into_stories)
{
    group_folder(0, 0);
    group_folder(1, 0);
}

Test(dedup, a_parallel_build_groups_after_the_merge)
{
    group_folder(0, 1);
    group_folder(1, 1);
}

/* The stories are worked out before the merge; an article the index held
 * already that a new one joins gets its story in the merged copy. */
Test(dedup, a_parallel_build_joins_new_articles_to_older_ones)
{
    const char *tmp = tu_tmpdir();
    char *news = tu_path(tmp, "news");
    size_t len;
    char *data = fixture("20240510_port-strike.txt", &len);
    char *p = tu_path(news, "20240510_port-strike.txt");
    tu_write(p, data, len);
    free(p);
    free(data);
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    free(write_news(tmp));
    db->parallel_min_files = 2;
    db->parallel_chunk_files = 2;
    db->workers = 2;
    db->dedup_bulk_min = 1; /* 6 new of 7: the walk over the terms */
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, news, NULL, &rep), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_assert_eq(rep.added, NFIX - 1);
    struct ids x = ids_of(db, news);
    cr_assert_lt(x.strike, x.update, "the older article keeps its id");
    expect_fixture_stories(db, &x);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    db = open_db(tmp);
    expect_fixture_stories(db, &x);
    kbs_db_close(db);
    free(news);
}

/* The stories of a parallel build are in the merged copy when it replaces
 * the index: a kill right after the swap (at the run's first removal) must
 * not leave the new articles ungrouped for good (a re-run finds them
 * unchanged and never looks at them again). */
Test(dedup, a_parallel_build_killed_after_the_swap_keeps_its_stories)
{
    const char *tmp = tu_tmpdir();
    char *news = tu_path(tmp, "news");
    char *gone = tu_path(news, "zz-gone.txt");
    const char *text = "Gone\n\nAn article whose file goes away.\n";
    tu_write(gone, text, strlen(text));
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    cr_assert_eq(unlink(gone), 0);
    free(write_news(tmp));

    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        db = open_db(tmp);
        db->parallel_min_files = 2;
        db->parallel_chunk_files = 2;
        db->workers = 2;
        kbs_index_options o;
        kbs_index_options_init(&o);
        static int kind = KBS_EVENT_REMOVED; /* right after the swap */
        o.callback = tu_die_on_event;
        o.callback_ctx = &kind;
        kbs_index_dir(db, news, &o, NULL);
        _exit(4); /* not reached: the callback kills the process */
    }
    int ws = 0;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "status %d", ws);
    db = open_db(tmp);
    struct ids x = ids_of(db, news);
    expect_fixture_stories(db, &x);
    kbs_db_close(db);
    free(gone);
    free(news);
}

Test(dedup, buffers_are_grouped_when_committed)
{
    const char *tmp = tu_tmpdir();
    kbs_db *db = open_db(tmp);
    uint32_t id[NFIX];
    for (size_t i = 0; i < NFIX; i++) {
        size_t len;
        char *data = fixture(FIXTURES[i], &len);
        char key[128];
        snprintf(key, sizeof key, "mem/%s", FIXTURES[i]);
        cr_assert_eq(kbs_index_buffer(db, key, data, len, 0, &id[i]), KBS_OK, "%s",
                     kbs_db_errmsg(db));
        free(data);
    }
    uint32_t v[8];
    /* Not before the commit (dedup.h says when). */
    cr_expect_eq(versions_of(db, id[4], v), 0);
    cr_assert_eq(kbs_db_commit(db), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_eq(versions_of(db, id[4], v), 2);
    cr_expect_eq(versions_of(db, id[6], v), 0);
    /* Deleting the update leaves the story and its copy together. */
    cr_assert_eq(kbs_delete(db, "mem/20240510_port-strike-update.txt"), KBS_OK);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    db = open_db(tmp);
    cr_assert_eq(versions_of(db, id[4], v), 1);
    cr_expect_eq(v[0], id[5]);
    kbs_db_close(db);
}

Test(dedup, an_update_that_diverges_leaves_its_story)
{
    const char *tmp = tu_tmpdir();
    char *news = write_news(tmp);
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    struct ids x = ids_of(db, news);
    /* The update's file now holds another story altogether. */
    size_t len;
    char *other = fixture("20240504_bread-festival.txt", &len);
    char *p = tu_path(news, "20240510_port-strike-update.txt");
    char *changed = malloc(len + 40);
    cr_assert_not_null(changed);
    memcpy(changed, other, len);
    memcpy(changed + len, "\nThe stalls close at nine every night.\n", 39);
    tu_write(p, changed, len + 39);
    index_dir(db, news);
    uint32_t v[8];
    /* It left the strike's story, which goes on without it... */
    cr_assert_eq(versions_of(db, x.strike, v), 1);
    cr_expect_eq(v[0], x.refiled);
    /* ... and, a copy of the festival's page now, joined the festival's. */
    cr_assert_eq(versions_of(db, x.update, v), 1);
    cr_expect_eq(v[0], x.festival);
    free(p);
    free(changed);
    free(other);
    kbs_db_close(db);
    free(news);
}

/* The first `lines` lines of s (their length). */
static size_t head_lines(const char *s, size_t len, int lines)
{
    size_t i = 0;
    for (int n = 0; i < len && n < lines; i++)
        n += s[i] == '\n';
    return i;
}

/* An update with the same display fields keeps its values as stored, its
 * story among them (xs_db_update): the pass must still see it, whether the
 * new text stays in the story or leaves it. */
Test(dedup, an_update_with_the_same_fields_keeps_or_leaves_its_story)
{
    const char *tmp = tu_tmpdir();
    char *news = write_news(tmp);
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    struct ids x = ids_of(db, news);
    uint32_t v[8];
    cr_assert_eq(versions_of(db, x.update, v), 2);

    /* A sentence more: the same story. */
    size_t len;
    char *orig = fixture("20240510_port-strike-update.txt", &len);
    char *p = tu_path(news, "20240510_port-strike-update.txt");
    static const char more[] = "\nA spokesman for the port declined to comment on Saturday.\n";
    char *changed = malloc(len + sizeof more);
    cr_assert_not_null(changed);
    memcpy(changed, orig, len);
    memcpy(changed + len, more, sizeof more - 1);
    tu_write(p, changed, len + sizeof more - 1);
    index_dir(db, news);
    cr_expect_eq(versions_of(db, x.update, v), 2);
    cr_expect_eq(versions_of(db, x.strike, v), 2);

    /* The same header (title, category, dates), the festival's body. */
    size_t flen;
    char *fest = fixture("20240504_bread-festival.txt", &flen);
    size_t h = head_lines(orig, len, 11), fh = head_lines(fest, flen, 11);
    char *mixed = malloc(h + flen - fh + 1);
    cr_assert_not_null(mixed);
    memcpy(mixed, orig, h);
    memcpy(mixed + h, fest + fh, flen - fh);
    tu_write(p, mixed, h + flen - fh);
    index_dir(db, news);
    cr_assert_eq(versions_of(db, x.strike, v), 1);
    cr_expect_eq(v[0], x.refiled);
    cr_assert_eq(versions_of(db, x.update, v), 1);
    cr_expect_eq(v[0], x.festival);
    kbs_check_report r;
    cr_assert_eq(kbs_db_check(db, &r), KBS_OK);
    cr_expect_eq(r.problems, 0, "%s", r.message);
    free(mixed);
    free(fest);
    free(changed);
    free(orig);
    free(p);
    kbs_db_close(db);
    free(news);
}

Test(dedup, a_deleted_article_leaves_the_others_grouped)
{
    const char *tmp = tu_tmpdir();
    char *news = write_news(tmp);
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    struct ids x = ids_of(db, news);
    /* The first article of the story (its key is named after it). */
    char *p = tu_path(news, "20240510_port-strike.txt");
    cr_assert_eq(unlink(p), 0);
    index_dir(db, news);
    uint32_t v[8];
    cr_assert_eq(versions_of(db, x.update, v), 1);
    cr_expect_eq(v[0], x.refiled);
    cr_expect_eq(versions_of(db, x.refiled, v), 1);
    /* Back again: it joins them. */
    size_t len;
    char *data = fixture("20240510_port-strike.txt", &len);
    tu_write(p, data, len);
    index_dir(db, news);
    uint32_t again = id_of(db, news, "20240510_port-strike.txt");
    cr_expect_eq(versions_of(db, again, v), 2);
    free(data);
    free(p);
    kbs_db_close(db);
    free(news);
}

/* ---- search: one hit per story ------------------------------------------------- */

static kbs_results *search(kbs_db *db, const char *q, int all_versions)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.all_versions = all_versions;
    o.exact_count = 1;
    kbs_results *res = NULL;
    cr_assert_eq(kbs_search(db, q, strlen(q), &o, &res), KBS_OK, "%s", kbs_db_errmsg(db));
    return res;
}

Test(dedup, search_shows_one_hit_per_story)
{
    const char *tmp = tu_tmpdir();
    char *news = write_news(tmp);
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    struct ids x = ids_of(db, news);

    kbs_results *res = search(db, "seomun", 0);
    cr_assert_eq(kbs_results_count(res), 2);
    cr_expect_eq(kbs_results_total(res), 2);
    int story = 0, cranes = 0;
    for (size_t i = 0; i < 2; i++) {
        kbs_hit h;
        kbs_results_get(res, i, &h);
        cr_expect_eq(h.rank, i + 1);
        if (h.id == x.cranes) {
            cranes++;
            cr_expect_eq(h.versions, 0);
        } else {
            story++;
            cr_expect(h.id == x.strike || h.id == x.update || h.id == x.refiled);
            cr_expect_eq(h.versions, 2, "hit %u: +%u versions", h.id, h.versions);
        }
    }
    cr_expect_eq(story, 1);
    cr_expect_eq(cranes, 1);
    kbs_results_free(res);

    res = search(db, "seomun", 1);
    cr_assert_eq(kbs_results_count(res), 4);
    cr_expect_eq(kbs_results_total(res), 4);
    for (size_t i = 0; i < 4; i++) {
        kbs_hit h;
        kbs_results_get(res, i, &h);
        cr_expect_eq(h.versions, 0);
    }
    kbs_results_free(res);

    /* Newest first: the newest version stands for the story. */
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.sort = KBS_SORT_NEWEST;
    cr_assert_eq(kbs_search(db, "strike", 6, &o, &res), KBS_OK);
    cr_assert_eq(kbs_results_count(res), 1);
    kbs_hit h;
    kbs_results_get(res, 0, &h);
    cr_expect_eq(h.id, x.refiled);
    cr_expect_eq(h.versions, 2);
    kbs_results_free(res);
    kbs_db_close(db);
    free(news);
}

/* ---- similar articles ------------------------------------------------------------ */

/* Without a story in the index there is nothing to collapse, and search
 * skips collapsing (the shim): the hits and the total are those of
 * all_versions, a page at a time (limit 1: the estimate, not a full count). */
Test(dedup, an_index_without_stories_searches_as_all_versions)
{
    static const char *const plain[] = {"20230427_hanbit-q1.txt", "20240425_hanbit-q1.txt",
                                        "20240504_bread-festival.txt"};
    const char *tmp = tu_tmpdir();
    char *news = tu_path(tmp, "news");
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t len;
        char *data = fixture(plain[i], &len);
        char *p = tu_path(news, plain[i]);
        tu_write(p, data, len);
        free(p);
        free(data);
    }
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    for (uint32_t limit = 1; limit <= 3; limit++) {
        kbs_results *r[2];
        for (int all = 0; all < 2; all++) {
            kbs_search_options o;
            kbs_search_options_init(&o);
            o.all_versions = all;
            o.limit = limit;
            o.no_snippets = 1;
            cr_assert_eq(kbs_search(db, "year", 4, &o, &r[all]), KBS_OK, "%s", kbs_db_errmsg(db));
        }
        cr_expect_eq(kbs_results_total(r[0]), 3, "limit %u", limit);
        cr_expect_eq(kbs_results_total(r[0]), kbs_results_total(r[1]), "limit %u", limit);
        cr_assert_eq(kbs_results_count(r[0]), limit);
        cr_assert_eq(kbs_results_count(r[1]), limit);
        for (size_t i = 0; i < limit; i++) {
            kbs_hit a, b;
            kbs_results_get(r[0], i, &a);
            kbs_results_get(r[1], i, &b);
            cr_expect_eq(a.id, b.id, "limit %u, hit %zu", limit, i);
            cr_expect_eq(a.score, b.score);
            cr_expect_eq(a.versions, 0);
        }
        kbs_results_free(r[0]);
        kbs_results_free(r[1]);
    }
    kbs_db_close(db);
    free(news);
}

Test(dedup, similar_leaves_out_the_story_and_ranks_the_related_first)
{
    const char *tmp = tu_tmpdir();
    char *news = write_news(tmp);
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    struct ids x = ids_of(db, news);
    kbs_results *res = NULL;
    cr_assert_eq(kbs_similar(db, x.strike, NULL, &res), KBS_OK, "%s", kbs_db_errmsg(db));
    size_t n = kbs_results_count(res);
    cr_assert_gt(n, 0);
    kbs_hit h;
    kbs_results_get(res, 0, &h);
    cr_expect_eq(h.id, x.cranes, "the related story first, not %s", h.title);
    cr_expect_gt(h.nspans, 0, "its snippet highlights the words used");
    for (size_t i = 0; i < n; i++) {
        kbs_results_get(res, i, &h);
        cr_expect(h.id != x.strike && h.id != x.update && h.id != x.refiled, "hit %zu is %u", i + 1,
                  h.id);
    }
    /* The words used, stems separated by spaces; never a prefixed term. */
    const char *q = kbs_results_query(res);
    cr_expect(strstr(q, "seomun") != NULL, "%s", q);
    cr_expect(strchr(q, 'X') == NULL && strchr(q, 'Q') == NULL, "%s", q);
    kbs_results_free(res);

    /* Versions of a story: the same from any of them. */
    cr_assert_eq(kbs_similar(db, x.update, NULL, &res), KBS_OK);
    kbs_results_get(res, 0, &h);
    cr_expect_eq(h.id, x.cranes);
    kbs_results_free(res);
    kbs_db_close(db);
    free(news);
}

Test(dedup, misuse)
{
    const char *tmp = tu_tmpdir();
    char *news = write_news(tmp);
    kbs_db *db = open_db(tmp);
    index_dir(db, news);
    kbs_results *res = NULL;
    cr_expect_eq(kbs_similar(NULL, 1, NULL, &res), KBS_EINVAL);
    cr_expect_eq(kbs_versions(NULL, 1, NULL, &res), KBS_EINVAL);
    cr_expect_eq(kbs_similar(db, 0, NULL, &res), KBS_EINVAL);
    cr_expect_eq(kbs_versions(db, 0, NULL, &res), KBS_EINVAL);
    cr_expect_eq(kbs_similar(db, 1, NULL, NULL), KBS_EINVAL);
    cr_expect_eq(kbs_versions(db, 1, NULL, NULL), KBS_EINVAL);
    cr_expect_eq(kbs_similar(db, 999, NULL, &res), KBS_ENOTFOUND);
    cr_expect(strstr(kbs_db_errmsg(db), "999") != NULL, "%s", kbs_db_errmsg(db));
    cr_expect_eq(kbs_versions(db, 999, NULL, &res), KBS_ENOTFOUND);
    cr_expect_null(res);
    kbs_db_close(db);
    free(news);
}
