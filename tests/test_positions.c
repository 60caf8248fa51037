/* test_positions.c - word positions in chunks of the database's metadata
 * (shim/positions.h), against a reference computed here by brute force.
 *
 * Random articles over a small vocabulary (so that words repeat, lists span
 * many chunks, and phrases both match and fail), written the ways kbsearch
 * writes: one writer committing in batches, articles replaced in place
 * (their chunks merged with new entries) and deleted; scratch databases
 * merged by compaction. Every PHRASE and NEAR must then match exactly the
 * articles where the words stand as asked: in order within the window
 * (the last word's position minus the first's below it) for a phrase, in
 * any order within it for NEAR. Each occurrence has one of NFORMS form tags
 * (as "rate" and "rates" share a stem), and half the phrases ask for a tag
 * of some of their words: those match only at places of that tag. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "xapian_shim.h"

#define NDOCS 600
#define MAXLEN 60
#define NVOCAB 10
#define NFORMS 3

/* The last word is rare (in about one article in six): a phrase led by
 * another word's rare form then skips the articles without it by its
 * postings (PosSource::in_others). */
static const char *const VOCAB[NVOCAB] = {"ferry", "harbour", "strike", "island", "dawn",
                                          "fish",  "crew",    "port",   "tide",   "gull"};

struct art {
    int live;
    size_t n;
    int word[MAXLEN];      /* index into VOCAB */
    uint32_t pos[MAXLEN];  /* ascending, with gaps (stop words have none) */
    unsigned form[MAXLEN]; /* each place's form tag */
};

static struct art arts[NDOCS + 1]; /* by id; 0 unused */

static uint32_t rnd_state;
static uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 16) % n;
}

static void make_art(struct art *a)
{
    a->live = 1;
    a->n = 1 + rnd(MAXLEN);
    uint32_t p = 1 + rnd(3);
    for (size_t i = 0; i < a->n; i++) {
        /* Skewed: the first words are far more common. */
        int w = (int)rnd(NVOCAB - 1);
        if (rnd(2))
            w = (int)rnd(1 + (uint32_t)w);
        a->word[i] = w;
        a->pos[i] = p;
        /* The tags far apart: 0, 127, and 254 seldom (1 place in 32), so
         * that a phrase asking for it may lead the match by that form
         * (PosSource::init). */
        a->form[i] = rnd(32) ? 127 * rnd(NFORMS - 1) : 254;
        p += 1 + (rnd(5) == 0); /* now and then a stop word's gap */
    }
    if (rnd(6) == 0)
        for (size_t k = 0; k < 3; k++)
            a->word[rnd((uint32_t)a->n)] = NVOCAB - 1;
}

static xs_doc *doc_of(uint32_t id, const struct art *a)
{
    xs_doc *doc = NULL;
    cr_assert_eq(xs_doc_new(&doc), KBS_OK);
    char key[16];
    int kn = snprintf(key, sizeof key, "Q%u", id);
    cr_assert_eq(xs_doc_add_term(doc, key, (size_t)kn, 0), KBS_OK);
    for (size_t i = 0; i < a->n; i++) {
        const char *w = VOCAB[a->word[i]];
        cr_assert_eq(xs_doc_add_posting(doc, w, strlen(w), a->pos[i], 1, a->form[i]), KBS_OK);
    }
    return doc;
}

static void write_art(xs_db *db, uint32_t id)
{
    xs_doc *doc = doc_of(id, &arts[id]);
    cr_assert_eq(xs_db_replace_docid(db, id, doc), KBS_OK, "%s", xs_db_errmsg(db));
    xs_doc_free(doc);
}

/* Does a hold the words in order within window (ordered) or in any order
 * within it, word k only at places of tag qf[k] (-1: any)? Every choice of
 * places is tried. */
static int holds_from(const struct art *a, const int *q, const int *qf, size_t nq, size_t k,
                      uint32_t lo, uint32_t hi, uint32_t window, int ordered, uint32_t last)
{
    if (k == nq)
        return hi - lo < window;
    for (size_t i = 0; i < a->n; i++) {
        if (a->word[i] != q[k] || (qf[k] >= 0 && a->form[i] != (unsigned)qf[k]))
            continue;
        uint32_t p = a->pos[i];
        if (ordered && k > 0 && p <= last)
            continue;
        uint32_t nlo = k == 0 || p < lo ? p : lo, nhi = k == 0 || p > hi ? p : hi;
        if (nhi - nlo >= window)
            continue;
        if (holds_from(a, q, qf, nq, k + 1, nlo, nhi, window, ordered, p))
            return 1;
    }
    return 0;
}

static int holds(const struct art *a, const int *q, const int *qf, size_t nq, uint32_t window,
                 int ordered)
{
    return a->live && holds_from(a, q, qf, nq, 0, 0, 0, window ? window : (uint32_t)nq, ordered, 0);
}

static int by_id(const void *x, const void *y)
{
    uint32_t a = ((const xs_match *)x)->docid, b = ((const xs_match *)y)->docid;
    return (a > b) - (a < b);
}

/* The first page of qq weighed through the norms, where a phrase turns
 * away the candidates too light to make it (positions.h, StemWeights),
 * equals the first page weighed by Xapian, where every candidate's
 * positions are read: the same articles, the same scores to the bit.
 * Returns how many candidates were turned away. */
static uint64_t same_first_page(xs_db *db, const xs_query *qq, const char *when)
{
    xs_match a[5], b[5];
    xs_search_params p = {.k1 = 1.2, .b = 0.75, .limit = 5, .sort_slot = -1, .norms = 1};
    xs_search_result ra, rb;
    cr_assert_eq(xs_db_search(db, qq, &p, a, &ra), KBS_OK, "%s", xs_db_errmsg(db));
    p.norms = 0;
    cr_assert_eq(xs_db_search(db, qq, &p, b, &rb), KBS_OK, "%s", xs_db_errmsg(db));
    cr_assert_eq(ra.n, rb.n, "%s: %zu hits weighed through the norms, %zu by Xapian", when, ra.n,
                 rb.n);
    for (size_t i = 0; i < ra.n; i++) {
        cr_assert_eq(a[i].docid, b[i].docid, "%s: hit %zu: article %u, Xapian's %u", when, i,
                     a[i].docid, b[i].docid);
        cr_assert_eq(a[i].weight, b[i].weight, "%s: hit %zu: weight %.17g, Xapian's %.17g", when, i,
                     a[i].weight, b[i].weight);
    }
    cr_assert_eq(rb.pos_light, 0, "%s: Xapian's weights turned candidates away", when);
    return ra.pos_light;
}

/* 200 random phrases and NEARs of 2 or 3 different words, each compared
 * with the reference; on a reader with the norms loaded (first_pages),
 * also their first pages (same_first_page). */
static void compare_all_pages(xs_db *db, const char *when, int first_pages)
{
    static xs_match m[NDOCS];
    xs_search_params p = {.k1 = 1.2, .b = 0.75, .limit = NDOCS, .sort_slot = -1};
    size_t matched = 0, failed = 0, tag_ruled_out = 0, led = 0, not_led = 0;
    uint64_t light = 0;
    static const int any[3] = {-1, -1, -1};
    for (int qi = 0; qi < 300; qi++) {
        int q[3];
        size_t nq = 2 + rnd(2);
        for (size_t i = 0; i < nq; i++) {
            int again;
            do {
                q[i] = (int)rnd(NVOCAB);
                again = 0;
                for (size_t j = 0; j < i; j++)
                    again |= q[j] == q[i];
            } while (again);
        }
        int ordered = (int)rnd(2);
        uint32_t window = ordered ? (rnd(2) ? 0 : (uint32_t)nq + rnd(4)) : 2 + rnd(8);
        /* Tags only in phrases: NEAR matches stems. */
        int qf[3] = {-1, -1, -1}, tagged = ordered && rnd(2);
        xs_query *subs[3], *qq = NULL;
        for (size_t i = 0; i < nq; i++) {
            cr_assert_eq(
                xs_query_term(VOCAB[q[i]], strlen(VOCAB[q[i]]), 1, (uint32_t)i + 1, &subs[i]),
                KBS_OK);
            if (tagged && rnd(3)) {
                qf[i] = (int)(127 * rnd(NFORMS));
                cr_assert_eq(xs_query_set_form(subs[i], (unsigned)qf[i]), KBS_OK);
            }
        }
        cr_assert_eq(xs_query_combine(ordered ? XS_OP_PHRASE : XS_OP_NEAR, subs, nq, window, &qq),
                     KBS_OK);
        for (size_t i = 0; i < nq; i++)
            xs_query_free(subs[i]);
        xs_search_result r;
        cr_assert_eq(xs_db_search(db, qq, &p, m, &r), KBS_OK, "%s", xs_db_errmsg(db));
        if (first_pages)
            light += same_first_page(db, qq, when);
        xs_query_free(qq);
        led += (size_t)(r.pos_led > 0);
        not_led += (size_t)(tagged && r.pos_led == 0);
        qsort(m, r.n, sizeof *m, by_id);
        size_t k = 0;
        for (uint32_t id = 1; id <= NDOCS; id++) {
            int want = holds(&arts[id], q, qf, nq, window, ordered);
            int got = k < r.n && m[k].docid == id;
            k += (size_t)got;
            cr_assert_eq(got, want, "%s: %s of %s %s%s%s%s window %u: article %u %s", when,
                         ordered ? "phrase" : "NEAR", VOCAB[q[0]], VOCAB[q[1]], nq > 2 ? " " : "",
                         nq > 2 ? VOCAB[q[2]] : "", "", window, id,
                         want ? "is missing" : "should not match");
            matched += (size_t)want;
            failed += (size_t)!want;
            tag_ruled_out += (size_t)(!want && holds(&arts[id], q, any, nq, window, ordered));
        }
        cr_assert_eq(k, r.n, "%s: a match that is no article", when);
    }
    /* The random queries are worth something only if both outcomes occur. */
    cr_expect_gt(matched, 500, "%s: %zu matches", when, matched);
    cr_expect_gt(failed, 500, "%s: %zu rejections", when, failed);
    cr_expect_gt(tag_ruled_out, 50, "%s: %zu rejections by a form tag alone", when, tag_ruled_out);
    /* Both ways of matching a phrase with tags. Since format 12 a phrase
     * with tags is led by its smallest form stream unless that stream
     * looks larger than its rarest stem's articles: seldom. */
    cr_expect_gt(led, 5, "%s: %zu phrases led by a word's form", when, led);
    cr_expect_gt(not_led, 0, "%s: %zu phrases with tags checked on the words' AND", when, not_led);
    if (first_pages)
        cr_expect_gt(light, 1000, "%s: %llu candidates turned away by their weight", when,
                     (unsigned long long)light);
}

static void compare_all(xs_db *db, const char *when)
{
    compare_all_pages(db, when, 0);
}

static void check_clean(xs_db *db, uint64_t *entries)
{
    uint64_t words = 0, chunks = 0;
    char problem[300];
    cr_assert_eq(xs_db_check_positions(db, &words, &chunks, entries, problem, sizeof problem),
                 KBS_OK);
    cr_expect_str_eq(problem, "");
    /* A stream per word and form tag (shim/positions.h). */
    cr_expect_geq(words, NVOCAB);
    cr_expect_leq(words, NVOCAB * 256);
    cr_expect_gt(chunks, 2 * NVOCAB, "the lists should span several chunks each");
}

/* The (article, word, form tag) triples the articles hold: an entry each. */
static uint64_t pairs(void)
{
    uint64_t n = 0;
    for (uint32_t id = 1; id <= NDOCS; id++) {
        if (!arts[id].live)
            continue;
        static unsigned char seen[NVOCAB][256];
        memset(seen, 0, sizeof seen);
        for (size_t i = 0; i < arts[id].n; i++)
            seen[arts[id].word[i]][arts[id].form[i] & 255] = 1;
        for (int w = 0; w < NVOCAB; w++)
            for (int f = 0; f < 256; f++)
                n += (uint64_t)seen[w][f];
    }
    return n;
}

/* A new database at path holding NDOCS random articles (from seed),
 * committed every commit_every of them and at the end; returned open. */
static xs_db *written_db(const char *path, uint32_t seed, uint32_t commit_every)
{
    rnd_state = seed;
    xs_db *db = NULL;
    char err[256];
    cr_assert_eq(xs_db_open(path, XS_OPEN_WRITE_CREATE, &db, err, sizeof err), KBS_OK, "%s", err);
    for (uint32_t id = 1; id <= NDOCS; id++) {
        make_art(&arts[id]);
        write_art(db, id);
        if (id % commit_every == 0)
            cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    }
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    return db;
}

Test(positions, one_writer_batches_replacements_deletions)
{
    char *path = tu_path(tu_tmpdir(), "db");
    char err[256];
    xs_db *db = written_db(path, 7, 37);
    uint64_t entries = 0;
    check_clean(db, &entries);
    cr_expect_eq(entries, pairs());
    compare_all(db, "written");

    /* A fifth replaced in place (some twice before a commit), in random
     * order: their chunks are merged with the new entries. */
    for (int i = 0; i < NDOCS / 5; i++) {
        uint32_t id = 1 + rnd(NDOCS);
        make_art(&arts[id]);
        write_art(db, id);
        if (i % 50 == 49)
            cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    }
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    check_clean(db, &entries);
    compare_all(db, "replaced");

    /* Written again unchanged, and one word appended to some (an update
     * that adds a line): the unchanged words' chunks are left alone. */
    for (uint32_t id = 1; id <= NDOCS; id += 3) {
        struct art *a = &arts[id];
        if (id % 2 && a->n < MAXLEN) {
            a->word[a->n] = (int)rnd(NVOCAB);
            a->pos[a->n] = a->pos[a->n - 1] + 2;
            a->n++;
        }
        write_art(db, id);
    }
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    check_clean(db, &entries);
    compare_all(db, "written again");

    /* Deleted: their entries stay behind, never read. */
    for (int i = 0; i < 40; i++) {
        uint32_t id = 1 + rnd(NDOCS);
        char key[16];
        int kn = snprintf(key, sizeof key, "Q%u", id);
        if (arts[id].live)
            cr_assert_eq(xs_db_delete(db, key, (size_t)kn), KBS_OK, "%s", xs_db_errmsg(db));
        arts[id].live = 0;
    }
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    compare_all(db, "deleted");
    check_clean(db, &entries);
    cr_expect_gt(entries, pairs(), "the deleted articles' entries are still there");
    uint64_t stale = 0, dropped = 0;
    cr_assert_eq(xs_db_prune_positions(db, 0, &stale), KBS_OK, "%s", xs_db_errmsg(db));
    cr_expect_eq(stale, entries - pairs());
    cr_assert_eq(xs_db_prune_positions(db, 1, &dropped), KBS_OK, "%s", xs_db_errmsg(db));
    cr_expect_eq(dropped, stale);
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    check_clean(db, &entries);
    cr_expect_eq(entries, pairs(), "pruned");
    compare_all(db, "pruned");
    xs_db_close(db);

    /* A reader sees the same. */
    cr_assert_eq(xs_db_open(path, XS_OPEN_READ, &db, err, sizeof err), KBS_OK, "%s", err);
    check_clean(db, &entries);
    cr_expect_geq(entries, pairs());
    uint64_t rev;
    cr_assert_eq(xs_db_norms_load(db, &rev), KBS_OK, "%s", xs_db_errmsg(db));
    compare_all_pages(db, "reader", 1);
    xs_db_close(db);
    free(path);
}

Test(positions, uncommitted_positions_are_dropped_with_the_documents)
{
    char *path = tu_path(tu_tmpdir(), "db");
    char err[256];
    xs_db *db = written_db(path, 11, NDOCS);
    /* Rewritten, then closed without a commit: nothing of it stays. */
    struct art keep = arts[5];
    make_art(&arts[5]);
    write_art(db, 5);
    xs_db_close(db);
    arts[5] = keep;
    cr_assert_eq(xs_db_open(path, XS_OPEN_READ, &db, err, sizeof err), KBS_OK, "%s", err);
    uint64_t entries = 0;
    check_clean(db, &entries);
    cr_expect_eq(entries, pairs());
    compare_all(db, "after a dropped change");
    xs_db_close(db);
    free(path);
}

/* Part 0 writes its positions at every commit; part 1's batch commits hold
 * them all for its last commit (xs_db_commit_holding), some articles
 * written again meanwhile; part 2 holds less than it writes, so that held
 * positions are written into chunks an earlier commit of the same
 * database wrote. */
Test(positions, scratch_databases_merged)
{
    rnd_state = 3;
    const char *dir = tu_tmpdir();
    char *parts[3], *out = tu_path(dir, "out");
    const uint32_t from[4] = {1, 150, 420, NDOCS + 1};
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "part%d", k);
        parts[k] = tu_path(dir, name);
        xs_db *db = NULL;
        char err[256];
        cr_assert_eq(xs_db_open(parts[k], XS_OPEN_SCRATCH, &db, err, sizeof err), KBS_OK, "%s",
                     err);
        const size_t hold[3] = {0, (size_t)1 << 30, 3000};
        for (uint32_t id = from[k]; id < from[k + 1]; id++) {
            make_art(&arts[id]);
            write_art(db, id);
            if (k == 1 && id % 7 == 0) {
                /* Written again, its first note still held. */
                make_art(&arts[id - 3]);
                write_art(db, id - 3);
            }
            if (id % 50 == 0)
                cr_assert_eq(xs_db_commit_holding(db, hold[k]), KBS_OK, "%s", xs_db_errmsg(db));
        }
        cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
        xs_db_close(db);
    }
    char err[256];
    const char *srcs[] = {parts[0], parts[1], parts[2]};
    cr_assert_eq(xs_compact_merge(srcs, 3, out, err, sizeof err), KBS_OK, "%s", err);
    xs_db *db = NULL;
    cr_assert_eq(xs_db_open(out, XS_OPEN_READ, &db, err, sizeof err), KBS_OK, "%s", err);
    uint64_t entries = 0;
    check_clean(db, &entries);
    cr_expect_eq(entries, pairs());
    compare_all(db, "merged");
    xs_db_close(db);

    /* The merged index written to: a replacement lands in the chunks the
     * merge brought together. */
    cr_assert_eq(xs_db_open(out, XS_OPEN_WRITE, &db, err, sizeof err), KBS_OK, "%s", err);
    for (uint32_t id = 140; id < 160; id++) {
        make_art(&arts[id]);
        write_art(db, id);
    }
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    check_clean(db, &entries);
    compare_all(db, "merged, then written");
    xs_db_close(db);
    for (int k = 0; k < 3; k++)
        free(parts[k]);
    free(out);
}

/* A document with the id term Qid and the given forms of stems. */
static void write_forms(xs_db *db, uint32_t id, const char *const *stems, const uint64_t *hashes,
                        size_t n)
{
    xs_doc *doc = NULL;
    cr_assert_eq(xs_doc_new(&doc), KBS_OK);
    char key[16];
    int kn = snprintf(key, sizeof key, "Q%u", id);
    cr_assert_eq(xs_doc_add_term(doc, key, (size_t)kn, 0), KBS_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(xs_doc_add_posting(doc, stems[i], strlen(stems[i]), 1 + (uint32_t)i, 1,
                                        (unsigned)(hashes[i] >> 56)),
                     KBS_OK);
        cr_assert_eq(xs_doc_add_form(doc, stems[i], strlen(stems[i]), hashes[i]), KBS_OK);
    }
    cr_assert_eq(xs_db_replace_docid(db, id, doc), KBS_OK, "%s", xs_db_errmsg(db));
    xs_doc_free(doc);
}

static int alone(xs_db *db, const char *stem, uint64_t hash)
{
    int a = -1;
    cr_assert_eq(xs_db_form_alone(db, stem, strlen(stem), hash, &a), KBS_OK, "%s",
                 xs_db_errmsg(db));
    return a;
}

/* Each stem's recorded forms (positions.h): joined when scratch databases
 * are merged, added to by a later writer, and checked. Hashes of one tag
 * share their top 8 bits. */
Test(positions, forms_recorded_merged_and_checked)
{
    const char *dir = tu_tmpdir();
    char *parts[2] = {tu_path(dir, "part0"), tu_path(dir, "part1")}, *out = tu_path(dir, "out");
    static const char *const stems[] = {"claim", "ferri"};
    const uint64_t a = 0xab00000000000001u, c = 0xab00000000000002u, d = 0x1200000000000000u,
                   b = 0x3400000000000005u, b2 = 0x3400000000000009u;
    char err[256];
    for (int k = 0; k < 2; k++) {
        xs_db *db = NULL;
        cr_assert_eq(xs_db_open(parts[k], XS_OPEN_SCRATCH, &db, err, sizeof err), KBS_OK, "%s",
                     err);
        const uint64_t h0[2] = {a, b}, h1[2] = {c, d};
        const char *const s1[2] = {"claim", "claim"};
        if (k == 0)
            write_forms(db, 1, stems, h0, 2);
        else
            write_forms(db, 5, s1, h1, 2);
        /* The same form again, in a later commit: recorded once. */
        cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
        if (k == 0)
            write_forms(db, 3, stems, h0, 1);
        cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
        xs_db_close(db);
    }
    const char *srcs[] = {parts[0], parts[1]};
    cr_assert_eq(xs_compact_merge(srcs, 2, out, err, sizeof err), KBS_OK, "%s", err);
    xs_db *db = NULL;
    cr_assert_eq(xs_db_open(out, XS_OPEN_WRITE, &db, err, sizeof err), KBS_OK, "%s", err);
    cr_expect_eq(alone(db, "claim", a), 0, "c, from the other part, shares a's tag");
    cr_expect_eq(alone(db, "claim", c), 0);
    cr_expect_eq(alone(db, "claim", d), 1);
    cr_expect_eq(alone(db, "ferri", b), 1);
    cr_expect_eq(alone(db, "nowhere", b), 1, "a stem without a record has no other form");
    uint64_t words = 0, chunks = 0, entries = 0;
    char problem[300];
    cr_assert_eq(xs_db_check_positions(db, &words, &chunks, &entries, problem, sizeof problem),
                 KBS_OK);
    cr_expect_str_eq(problem, "");

    /* A writer's new form joins the record. */
    const char *const s2[1] = {"ferri"};
    const uint64_t h2[1] = {b2};
    write_forms(db, 6, s2, h2, 1);
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    cr_expect_eq(alone(db, "ferri", b), 0);
    cr_assert_eq(xs_db_check_positions(db, &words, &chunks, &entries, problem, sizeof problem),
                 KBS_OK);
    cr_expect_str_eq(problem, "");

    /* A damaged record is named, and refused. */
    cr_assert_eq(xs_db_set_metadata(db, "fferri", "abc", 3), KBS_OK);
    cr_assert_eq(xs_db_commit(db), KBS_OK, "%s", xs_db_errmsg(db));
    cr_assert_eq(xs_db_check_positions(db, &words, &chunks, &entries, problem, sizeof problem),
                 KBS_OK);
    cr_expect(strstr(problem, "forms of the word \"ferri\" is malformed") != NULL, "%s", problem);
    int x = -1;
    cr_expect_eq(xs_db_form_alone(db, "ferri", 5, b, &x), KBS_ECORRUPT);
    xs_db_close(db);
    for (int k = 0; k < 2; k++)
        free(parts[k]);
    free(out);
}
