/* test_index.c - what index.c and build.c do beyond the public contract that test_api
 * covers: the parallel build (worker processes, scratch databases, the merge
 * and the swap) must give the index a sequential run gives, keep ids, survive
 * an interruption; and the store's compression dictionary. The knobs that
 * force a parallel build on a small corpus live in the handle
 * (db_internal.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db_internal.h"
#include "kbsearch.h"
#include "testutil.h"

/* ---- a made-up corpus ---- */

/* Invented words, so that the articles share a vocabulary (and phrases)
 * without copying any real text. */
static const char *const WORDS[] = {
    "harbour", "ferry",    "council", "budget",   "island",  "farmers",  "market", "rain",
    "bridge",  "school",   "teacher", "festival", "river",   "factory",  "wages",  "talks",
    "union",   "minister", "railway", "station",  "harvest", "rice",     "port",   "storm",
    "coast",   "village",  "mayor",   "plan",     "housing", "traffic",  "museum", "library",
    "energy",  "solar",    "wind",    "exports",  "chips",   "shipyard", "steel",  "trade",
    "the",     "of",       "and",     "a",        "in",      "on",       "for",    "with",
    "new",     "old",      "said",    "will",     "after",   "before",   "local",  "northern",
};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* Writes article number i (deterministic for a seed) to dir/NNNN.txt. */
static void write_article(const char *dir, unsigned i, uint64_t seed, size_t body_words)
{
    uint64_t s = seed * 7919 + i;
    char *text = malloc(body_words * 12 + 256);
    cr_assert_not_null(text);
    size_t n = 0;
    n += (size_t)sprintf(text + n, "%s %s %s number %u\n\n", WORDS[rnd(&s) % 40],
                         WORDS[rnd(&s) % 40], WORDS[rnd(&s) % 40], i);
    n += (size_t)sprintf(text + n, "Written: 20%02u-%02u-%02u 10:00:00\n\n", 10 + i % 12,
                         1 + i % 12, 1 + i % 28);
    for (size_t w = 0; w < body_words; w++) {
        n += (size_t)sprintf(text + n, "%s%s", WORDS[rnd(&s) % NWORDS],
                             w % 40 == 39 ? ".\n\n" : " ");
    }
    n += (size_t)sprintf(text + n, "\nthe harbour ferry sails at dawn\n");
    char name[32];
    snprintf(name, sizeof name, "%04u.txt", i);
    char *p = tu_path(dir, name);
    tu_write(p, text, n);
    free(p);
    free(text);
}

/* n articles, numbered from first, plus two files that cannot be indexed
 * (they sort last, so that the ids of the others match a sequential run). */
static char *make_corpus(const char *tmp, const char *name, unsigned first, unsigned n,
                         size_t body_words)
{
    char *dir = tu_path(tmp, name);
    for (unsigned i = first; i < first + n; i++)
        write_article(dir, i, 42, body_words);
    char *p = tu_path(dir, "zz-binary.dat");
    tu_write(p, "\x00\x01\x02\x03binary\x00", 11);
    free(p);
    p = tu_path(dir, "zz-empty.txt");
    tu_write(p, "", 0);
    free(p);
    return dir;
}

/* ---- helpers ---- */

enum mode { SEQUENTIAL, PARALLEL };

static void set_mode(kbs_db *db, enum mode m)
{
    if (m == SEQUENTIAL) {
        db->parallel_min_files = UINT32_MAX;
    } else {
        db->parallel_min_files = 1;
        db->parallel_chunk_files = 37; /* several chunks, the last one short */
        db->workers = 2;
    }
}

static kbs_index_report index_dir(const char *path, const char *dir, enum mode m)
{
    kbs_db *db = tu_open_db(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    set_mode(db, m);
    kbs_index_report rep;
    int st = kbs_index_dir(db, dir, NULL, &rep);
    cr_assert_eq(st, KBS_OK, "index %s: %s", dir, kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    return rep;
}

static void expect_sound(const char *path)
{
    kbs_db *db = tu_open_db(path, KBS_OPEN_READ);
    kbs_check_report c;
    cr_assert_eq(kbs_db_check(db, &c), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_eq(c.problems, 0, "%s: %s", path, c.message);
    kbs_db_close(db);
}

static const char *const QUERIES[] = {
    "harbour ferry", "\"harbour ferry sails\"", "budget OR storm",
    "council -rain", "minister NEAR/3 talks",   "numbr",
    "title:bridge",  "shipyard steel exports",
};
#define NQUERIES (sizeof QUERIES / sizeof QUERIES[0])

/* Both indexes answer every query alike: same hits in the same order, same
 * scores, snippets and suggestions; and show gives the same originals. */
static void expect_same_answers(const char *a_path, const char *b_path)
{
    kbs_db *a = tu_open_db(a_path, KBS_OPEN_READ), *b = tu_open_db(b_path, KBS_OPEN_READ);
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.limit = 50;
    o.exact_count = 1;
    for (size_t q = 0; q < NQUERIES; q++) {
        kbs_results *ra = NULL, *rb = NULL;
        const char *qs = QUERIES[q];
        cr_assert_eq(kbs_search(a, qs, strlen(qs), &o, &ra), KBS_OK, "%s", kbs_db_errmsg(a));
        cr_assert_eq(kbs_search(b, qs, strlen(qs), &o, &rb), KBS_OK, "%s", kbs_db_errmsg(b));
        cr_assert_eq(kbs_results_count(ra), kbs_results_count(rb), "query %s", qs);
        cr_expect_eq(kbs_results_total(ra), kbs_results_total(rb), "query %s", qs);
        const char *sa = kbs_results_suggestion(ra), *sb = kbs_results_suggestion(rb);
        cr_expect_str_eq(sa ? sa : "", sb ? sb : "", "query %s", qs);
        for (size_t i = 0; i < kbs_results_count(ra); i++) {
            kbs_hit ha, hb;
            cr_assert_eq(kbs_results_get(ra, i, &ha), KBS_OK);
            cr_assert_eq(kbs_results_get(rb, i, &hb), KBS_OK);
            cr_expect_eq(ha.id, hb.id, "query %s hit %zu", qs, i);
            cr_expect_str_eq(ha.path, hb.path, "query %s hit %zu", qs, i);
            cr_expect(fabs(ha.score - hb.score) < 1e-9, "query %s hit %zu: %g vs %g", qs, i,
                      ha.score, hb.score);
            cr_expect_str_eq(ha.snippet, hb.snippet, "query %s hit %zu", qs, i);
        }
        kbs_results_free(ra);
        kbs_results_free(rb);
    }
    kbs_stats sa, sb;
    cr_assert_eq(kbs_db_stats(a, &sa), KBS_OK);
    cr_assert_eq(kbs_db_stats(b, &sb), KBS_OK);
    cr_expect_eq(sa.documents, sb.documents);
    cr_expect_eq(sa.text_bytes, sb.text_bytes);
    cr_expect_eq(sa.store_bytes, sb.store_bytes);
    cr_expect_str_eq(sa.first_written, sb.first_written);
    cr_expect_str_eq(sa.last_written, sb.last_written);
    /* Ids of deleted articles stay unused: look a little past the count. */
    for (uint32_t id = 1; id <= sa.documents + 5; id++) {
        char *da = NULL, *db = NULL;
        size_t la = 0, lb = 0;
        int st = kbs_show(a, id, &da, &la);
        cr_assert_eq(kbs_show(b, id, &db, &lb), st, "id %u: %s", id, kbs_db_errmsg(b));
        if (st == KBS_OK)
            cr_expect(la == lb && memcmp(da, db, la) == 0, "id %u differs", id);
        kbs_free(da);
        kbs_free(db);
    }
    kbs_db_close(a);
    kbs_db_close(b);
}

/* Entries of the folder that holds path whose names start with path's name
 * followed by mark. */
static int leftovers(const char *path, const char *mark)
{
    char *copy = strdup(path);
    char *slash = strrchr(copy, '/');
    *slash = '\0';
    const char *name = slash + 1;
    DIR *d = opendir(copy);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, name, strlen(name)) &&
            !strncmp(e->d_name + strlen(name), mark, strlen(mark)))
            n++;
    closedir(d);
    free(copy);
    return n;
}

/* ---- the parallel build ---- */

Test(index, parallel_build_equals_sequential, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dir = make_corpus(tmp, "articles", 0, 300, 120);
    char *seq = tu_path(tmp, "seq"), *par = tu_path(tmp, "par");

    kbs_index_report rs = index_dir(seq, dir, SEQUENTIAL);
    kbs_index_report rp = index_dir(par, dir, PARALLEL);
    cr_expect_eq(rs.added, 300);
    cr_expect_eq(rp.added, rs.added);
    cr_expect_eq(rp.skipped, rs.skipped);
    cr_expect_eq(rp.skipped, 2);
    cr_expect_eq(rp.bytes_indexed, rs.bytes_indexed);
    expect_same_answers(seq, par);
    expect_sound(par);
    cr_expect_eq(leftovers(par, ".build-"), 0);

    /* Nothing changed: nothing to do, and nothing parallel about it. */
    kbs_index_report again = index_dir(par, dir, PARALLEL);
    cr_expect_eq(again.unchanged, 300);
    cr_expect_eq(again.added + again.updated + again.removed, 0);
    tu_rmtree(tmp);
    free(dir);
    free(seq);
    free(par);
}

/* The run's options: one worker and the smallest memory budget (a batch
 * committed every MiB of text) give the same index; a budget too small to
 * work with is refused before anything is done. */
Test(index, workers_and_memory_budget_options, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dir = make_corpus(tmp, "articles", 0, 300, 120);
    char *seq = tu_path(tmp, "seq"), *par = tu_path(tmp, "par");
    index_dir(seq, dir, SEQUENTIAL);

    kbs_db *db = tu_open_db(par, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    db->parallel_min_files = 1;
    db->parallel_chunk_files = 37;
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.max_memory_mb = 63;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, dir, &o, &rep), KBS_EINVAL);
    cr_expect(strstr(kbs_db_errmsg(db), "at least 64"), "%s", kbs_db_errmsg(db));
    o.max_memory_mb = 64;
    o.workers = 1;
    cr_assert_eq(kbs_index_dir(db, dir, &o, &rep), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_eq(rep.added, 300);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    expect_same_answers(seq, par);
    expect_sound(par);
    tu_rmtree(tmp);
    free(dir);
    free(seq);
    free(par);
}

Test(index, parallel_build_into_an_index_keeps_its_ids, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dir = make_corpus(tmp, "articles", 0, 60, 80);
    char *seq = tu_path(tmp, "seq"), *par = tu_path(tmp, "par");
    index_dir(seq, dir, SEQUENTIAL);
    index_dir(par, dir, SEQUENTIAL);
    kbs_db *db = tu_open_db(par, KBS_OPEN_READ);
    uint32_t before[60];
    for (unsigned i = 0; i < 60; i++) {
        char name[32];
        snprintf(name, sizeof name, "%04u.txt", i);
        char *p = tu_path(dir, name);
        char *real = realpath(p, NULL);
        cr_assert_eq(kbs_lookup(db, real, &before[i]), KBS_OK);
        free(p);
        free(real);
    }
    kbs_db_close(db);

    /* More articles, one changed and one gone: a second run in parallel. */
    for (unsigned i = 60; i < 200; i++)
        write_article(dir, i, 42, 80);
    write_article(dir, 7, 99, 90);
    char *gone = tu_path(dir, "0011.txt");
    cr_assert_eq(unlink(gone), 0);
    kbs_index_report rs = index_dir(seq, dir, SEQUENTIAL);
    kbs_index_report rp = index_dir(par, dir, PARALLEL);
    cr_expect_eq(rp.added, 140);
    cr_expect_eq(rp.updated, 1);
    cr_expect_eq(rp.removed, 1);
    cr_expect_eq(rp.unchanged, rs.unchanged);

    db = tu_open_db(par, KBS_OPEN_READ);
    for (unsigned i = 0; i < 60; i++) {
        if (i == 11)
            continue;
        char name[32];
        snprintf(name, sizeof name, "%04u.txt", i);
        char *p = tu_path(dir, name);
        char *real = realpath(p, NULL);
        uint32_t id = 0;
        cr_assert_eq(kbs_lookup(db, real, &id), KBS_OK);
        cr_expect_eq(id, before[i], "%s moved from %u to %u", name, before[i], id);
        free(p);
        free(real);
    }
    kbs_db_close(db);
    expect_same_answers(seq, par);
    expect_sound(par);
    tu_rmtree(tmp);
    free(dir);
    free(gone);
    free(seq);
    free(par);
}

Test(index, killed_parallel_build_leaves_the_index_as_it_was, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dir = make_corpus(tmp, "articles", 0, 40, 80);
    char *path = tu_path(tmp, "index"), *seq = tu_path(tmp, "seq");
    index_dir(path, dir, SEQUENTIAL);
    for (unsigned i = 40; i < 240; i++)
        write_article(dir, i, 42, 80);

    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        kbs_db *db = NULL;
        if (kbs_db_open(path, KBS_OPEN_WRITE, &db, NULL) != KBS_OK)
            _exit(3);
        set_mode(db, PARALLEL);
        kbs_index_options o;
        kbs_index_options_init(&o);
        /* Killed at the first article a worker reports: mid-build. */
        static int kind = KBS_EVENT_ADDED;
        o.callback = tu_die_on_event;
        o.callback_ctx = &kind;
        kbs_index_dir(db, dir, &o, NULL);
        _exit(4); /* not reached: the callback kills the process */
    }
    int ws = 0;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "status %d", ws);
    cr_expect_eq(leftovers(path, ".build-"), 1);

    /* The index is as the first run left it. */
    kbs_db *db = tu_open_db(path, KBS_OPEN_READ);
    kbs_stats s;
    cr_assert_eq(kbs_db_stats(db, &s), KBS_OK);
    cr_expect_eq(s.documents, 40);
    kbs_results *r = NULL;
    cr_assert_eq(kbs_search(db, "harbour", 7, NULL, &r), KBS_OK);
    cr_expect_gt(kbs_results_count(r), 0);
    kbs_results_free(r);
    kbs_db_close(db);
    expect_sound(path);

    /* The next run clears what the killed one left (even one that builds
     * nothing in parallel) and completes. */
    kbs_index_report rep = index_dir(path, dir, SEQUENTIAL);
    cr_expect_eq(rep.added, 200);
    cr_expect_eq(leftovers(path, ".build-"), 0);
    index_dir(seq, dir, SEQUENTIAL);
    expect_same_answers(seq, path);
    expect_sound(path);
    tu_rmtree(tmp);
    free(dir);
    free(path);
    free(seq);
}

/* The merged copy is the index as soon as it is moved into place: it must
 * carry the running totals of the articles it holds, not leave them to the
 * run's next commit (a kill in between left kbs.text_bytes at the old run's
 * figure with every new article in: a failure of tests/crash_test.sh). */
Test(index, killed_after_the_swap_keeps_the_totals_of_the_merged_articles, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dir = make_corpus(tmp, "articles", 0, 40, 80);
    char *path = tu_path(tmp, "index");
    index_dir(path, dir, SEQUENTIAL);
    for (unsigned i = 40; i < 240; i++)
        write_article(dir, i, 42, 80);
    char *gone = tu_path(dir, "0011.txt");
    cr_assert_eq(unlink(gone), 0);

    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        kbs_db *db = NULL;
        if (kbs_db_open(path, KBS_OPEN_WRITE, &db, NULL) != KBS_OK)
            _exit(3);
        set_mode(db, PARALLEL);
        kbs_index_options o;
        kbs_index_options_init(&o);
        /* Killed at the first removal: after the merged copy has replaced
         * the index, before the run commits. */
        static int kind = KBS_EVENT_REMOVED;
        o.callback = tu_die_on_event;
        o.callback_ctx = &kind;
        kbs_index_dir(db, dir, &o, NULL);
        _exit(4); /* not reached: the callback kills the process */
    }
    int ws = 0;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "status %d", ws);

    /* The copy is in place: the new articles and the one not yet removed. */
    kbs_db *db = tu_open_db(path, KBS_OPEN_READ);
    kbs_stats s;
    cr_assert_eq(kbs_db_stats(db, &s), KBS_OK);
    cr_expect_eq(s.documents, 240);
    kbs_db_close(db);
    expect_sound(path);

    kbs_index_report rep = index_dir(path, dir, SEQUENTIAL);
    cr_expect_eq(rep.added, 0);
    cr_expect_eq(rep.removed, 1);
    expect_sound(path);
    tu_rmtree(tmp);
    free(dir);
    free(gone);
    free(path);
}

struct stopper {
    unsigned added, stop_at;
};

static int stop_after(void *ctx, const kbs_index_event *ev)
{
    struct stopper *s = ctx;
    if (ev->kind == KBS_EVENT_ADDED && ++s->added >= s->stop_at)
        return 1;
    return 0;
}

Test(index, stopped_parallel_build_keeps_what_was_done, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dir = make_corpus(tmp, "articles", 0, 400, 60);
    char *path = tu_path(tmp, "index"), *seq = tu_path(tmp, "seq");
    kbs_db *db = tu_open_db(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    set_mode(db, PARALLEL);
    struct stopper s = {0, 30};
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.callback = stop_after;
    o.callback_ctx = &s;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, dir, &o, &rep), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    cr_expect_geq(rep.added, 30);
    cr_expect_lt(rep.added, 400);
    cr_expect_eq(leftovers(path, ".build-"), 0);

    /* Every article the run reported is in the index, sound. */
    db = tu_open_db(path, KBS_OPEN_READ);
    kbs_stats st;
    cr_assert_eq(kbs_db_stats(db, &st), KBS_OK);
    cr_expect_eq(st.documents, rep.added);
    kbs_db_close(db);
    expect_sound(path);

    kbs_index_report rest = index_dir(path, dir, PARALLEL);
    cr_expect_eq(rest.added + rep.added, 400);
    index_dir(seq, dir, SEQUENTIAL);
    kbs_db *a = tu_open_db(seq, KBS_OPEN_READ), *b = tu_open_db(path, KBS_OPEN_READ);
    kbs_stats sa, sb;
    cr_assert_eq(kbs_db_stats(a, &sa), KBS_OK);
    cr_assert_eq(kbs_db_stats(b, &sb), KBS_OK);
    cr_expect_eq(sa.documents, sb.documents);
    cr_expect_eq(sa.text_bytes, sb.text_bytes);
    cr_expect_eq(sa.store_bytes, sb.store_bytes);
    kbs_db_close(a);
    kbs_db_close(b);
    expect_sound(path);
    tu_rmtree(tmp);
    free(dir);
    free(path);
    free(seq);
}

/* ---- the store's dictionary ---- */

Test(index, dictionary_trained_on_a_big_first_run, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    /* ~1.5 MB: enough for a dictionary. */
    char *dir = make_corpus(tmp, "articles", 0, 500, 400);
    char *path = tu_path(tmp, "index");
    index_dir(path, dir, PARALLEL);

    kbs_db *db = tu_open_db(path, KBS_OPEN_READ);
    /* A reader sets the dictionary when a record first needs it. */
    cr_expect_eq(db->has_dict, 0);
    char *v = NULL;
    size_t len = 0;
    cr_assert_eq(xs_db_get_metadata(db->xdb, META_ZDICT, &v, &len), KBS_OK);
    cr_expect_gt(len, 1000);
    free(v);
    kbs_stats s;
    cr_assert_eq(kbs_db_stats(db, &s), KBS_OK);
    cr_expect_lt(s.store_bytes * 4, s.text_bytes, "store %llu of %llu",
                 (unsigned long long)s.store_bytes, (unsigned long long)s.text_bytes);
    for (unsigned i = 0; i < 500; i += 37) {
        char name[32];
        snprintf(name, sizeof name, "%04u.txt", i);
        char *p = tu_path(dir, name);
        char *real = realpath(p, NULL);
        size_t flen = 0;
        char *file = tu_read(p, &flen);
        uint32_t id = 0;
        cr_assert_eq(kbs_lookup(db, real, &id), KBS_OK);
        char *data = NULL;
        size_t dlen = 0;
        cr_assert_eq(kbs_show(db, id, &data, &dlen), KBS_OK, "%s", kbs_db_errmsg(db));
        cr_expect(dlen == flen && memcmp(data, file, flen) == 0, "%s differs", name);
        kbs_free(data);
        free(file);
        free(p);
        free(real);
    }
    cr_expect_eq(db->has_dict, 1);
    kbs_db_close(db);
    expect_sound(path);

    /* A later run packs its articles with the same dictionary. */
    for (unsigned i = 500; i < 520; i++)
        write_article(dir, i, 42, 400);
    kbs_index_report rep = index_dir(path, dir, SEQUENTIAL);
    cr_expect_eq(rep.added, 20);
    expect_sound(path);
    tu_rmtree(tmp);
    free(dir);
    free(path);
}

Test(index, no_dictionary_for_a_small_run)
{
    const char *tmp = tu_tmpdir();
    char *dir = make_corpus(tmp, "articles", 0, 20, 50);
    char *path = tu_path(tmp, "index");
    index_dir(path, dir, SEQUENTIAL);
    kbs_db *db = tu_open_db(path, KBS_OPEN_READ);
    cr_expect_eq(db->has_dict, 0);
    kbs_db_close(db);
    tu_rmtree(tmp);
    free(dir);
    free(path);
}

/* A writer killed mid-build can leave, for a moment, a worker that still
 * holds the lock it inherited. The next writer waits for it when the writer
 * named in the lock file is gone, and opens. */
Test(index, a_lock_left_to_a_dying_worker_is_waited_for, .timeout = 60)
{
    const char *tmp = tu_tmpdir();
    char *path = tu_path(tmp, "index");
    kbs_db_close(tu_open_db(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE));
    pid_t dead = fork(); /* a pid that no process has any more */
    cr_assert_geq(dead, 0);
    if (dead == 0)
        _exit(0);
    cr_assert_eq(waitpid(dead, NULL, 0), dead);
    char *lock = tu_path(path, LOCK_NAME);
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t worker = fork();
    cr_assert_geq(worker, 0);
    if (worker == 0) {
        int fd = open(lock, O_RDWR);
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)dead);
        if (fd < 0 || flock(fd, LOCK_EX) != 0 || ftruncate(fd, 0) != 0 ||
            pwrite(fd, pid, (size_t)n, 0) != n || write(ready[1], "x", 1) != 1)
            _exit(3);
        usleep(300 * 1000);
        _exit(0);
    }
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1);
    kbs_db *db = tu_open_db(path, KBS_OPEN_WRITE);
    kbs_db_close(db);
    cr_assert_eq(waitpid(worker, NULL, 0), worker);
    close(ready[0]);
    close(ready[1]);
    free(lock);
    free(path);
}
