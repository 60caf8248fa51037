/* test_threads.c - the thread contract of kbsearch.h: distinct handles are
 * independent, so one thread may index while another searches the same index
 * through its own handle. Run under ThreadSanitizer by .ci/run (KBS_TSAN). */
#ifndef KBS_TEST_STANDALONE
#include <criterion/criterion.h>
#else
/*
 * Criterion cannot start under ThreadSanitizer: it maps its shared arena at
 * random fixed addresses that TSan reserves for its shadow memory, and aborts
 * ("Could not initialize inheritable arena", Snaipe/Criterion#274). So the
 * TSan build (tests/CMakeLists.txt) runs these same tests from the main() at
 * the end, with these stand-ins: any failed check ends the run with status 1.
 * The message arguments are not kept; run() prints what went wrong first.
 */
#include <stdio.h>
#include <stdlib.h>
#define Test(suite, name) static void suite##_##name(void)
#define KBS_CHECK(cond, text)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, text);                      \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define KBS_CHECK1(a, ...) KBS_CHECK(a, #a)
#define KBS_CHECK2(op, a, b, ...) KBS_CHECK((a)op(b), #a " " #op " " #b)
#define cr_assert(...) KBS_CHECK1(__VA_ARGS__, 0)
#define cr_expect(...) KBS_CHECK1(__VA_ARGS__, 0)
#define cr_assert_not_null(...) KBS_CHECK1(__VA_ARGS__, 0)
#define cr_assert_eq(...) KBS_CHECK2(==, __VA_ARGS__, 0)
#define cr_expect_eq(...) KBS_CHECK2(==, __VA_ARGS__, 0)
#define cr_expect_geq(...) KBS_CHECK2(>=, __VA_ARGS__, 0)
#define cr_log_info(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "testutil.h"

#define NARTICLES 500
#define BATCH 50 /* documents per commit: ten commits for the reader to see */

/* Invented articles, all different, all with the word "lighthouse" (so that
 * one query counts every committed article) and a title word per article. */
static const char *const CATEGORIES[] = {"Economy", "Society", "Culture", "Sci-Tech"};
static const char *const PLACES[] = {"Ulsan", "Mokpo", "Sokcho", "Yeosu", "Gangneung", "Tongyeong"};
static const char *const SUBJECTS[] = {"fishing cooperatives", "ferry operators",
                                       "coastal schools",      "harbour engineers",
                                       "weather forecasters",  "island clinics"};
static const char *const ACTIONS[] = {"repainted", "rewired", "surveyed", "restored", "automated"};

static char *article_text(unsigned i)
{
    size_t cap = 2048;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    const char *place = PLACES[i % 6];
    int n =
        snprintf(text, cap,
                 "%s\n\n%s Lighthouse Keepers Mark Season %u\n\n"
                 "Written: %04u-%02u-%02u 09:%02u:00\n\n"
                 "Anchor: The old lighthouse near %s was %s this week, and %s say the light "
                 "will now reach ships %u kilometres out at sea.\n\n"
                 "Report: Volunteers counted %u steps to the lamp room. The keepers logged season "
                 "number %u, and the harbour office plans an open day for %s in the spring.\n"
                 "Han Seo-yeon, KBS World Radio News\n",
                 CATEGORIES[i % 4], place, i, 2015 + i % 9, 1 + i % 12, 1 + i % 28, i % 60, place,
                 ACTIONS[i % 5], SUBJECTS[(i / 6) % 6], 10 + i % 30, 100 + i, i, SUBJECTS[i % 6]);
    cr_assert(n > 0 && (size_t)n < cap);
    return text;
}

/* The first error one thread met, for the main thread to report: Criterion's
 * asserts may only fail on the thread that runs the test. */
struct outcome {
    int status;
    char what[512];
};

static void note(struct outcome *o, int status, const char *what, const char *detail)
{
    if (o->status != KBS_OK || status == KBS_OK)
        return;
    o->status = status;
    snprintf(o->what, sizeof o->what, "%s: %s (%s)", what, kbs_strerror(status),
             detail ? detail : "");
}

struct writer {
    const char *db_path;
    const char *dir;
    atomic_int *done;
    struct outcome out;
    kbs_index_report report;
    uint64_t added_events;
};

static int count_events(void *ctx, const kbs_index_event *ev)
{
    struct writer *w = ctx;
    if (ev->kind == KBS_EVENT_ADDED)
        w->added_events++;
    return 0;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(w->db_path, KBS_OPEN_WRITE, &db, &msg);
    note(&w->out, st, "writer: open", msg);
    kbs_free(msg);
    if (st == KBS_OK) {
        kbs_index_options opts;
        kbs_index_options_init(&opts);
        opts.batch_docs = BATCH;
        opts.callback = count_events;
        opts.callback_ctx = w;
        st = kbs_index_dir(db, w->dir, &opts, &w->report);
        note(&w->out, st, "writer: index", kbs_db_errmsg(db));
        /* One file again, alone: unchanged, so nothing for the reader to see. */
        char *one = tu_path(w->dir, "part0/lighthouse-000.txt");
        int changed = -1;
        st = kbs_index_file(db, one, NULL, NULL, &changed);
        note(&w->out, st, "writer: index one file", kbs_db_errmsg(db));
        if (st == KBS_OK && changed != 0)
            note(&w->out, KBS_EINTERNAL, "writer: index one file", "an unchanged file changed");
        free(one);
        note(&w->out, kbs_db_close(db), "writer: close", NULL);
    }
    atomic_store(w->done, 1);
    return NULL;
}

struct reader {
    const char *db_path;
    atomic_int *done;
    int reopen; /* non-zero: a fresh handle for every search */
    struct outcome out;
    unsigned searches;
    unsigned while_indexing; /* searches that began before the writer finished */
    uint64_t last_total;
    char bad[256]; /* the first total that was not one of the commits */
};

/* One search for every article; checks what a reader may see between commits:
 * a whole number of batches, never fewer than before. */
static void search_once(struct reader *r, kbs_db *db)
{
    static const char q[] = "lighthouse";
    kbs_search_options so;
    kbs_search_options_init(&so);
    so.exact_count = 1;
    so.limit = 5;
    kbs_results *res = NULL;
    int st = kbs_search(db, q, strlen(q), &so, &res);
    note(&r->out, st, "reader: search", kbs_db_errmsg(db));
    if (st != KBS_OK)
        return;
    uint64_t total = kbs_results_total(res);
    if (!r->bad[0] &&
        (total < r->last_total || total > NARTICLES || (total % BATCH != 0 && total != NARTICLES)))
        snprintf(r->bad, sizeof r->bad, "search %u saw %llu articles after %llu", r->searches,
                 (unsigned long long)total, (unsigned long long)r->last_total);
    r->last_total = total;
    r->searches++;
    for (size_t i = 0; i < kbs_results_count(res); i++) {
        kbs_hit hit;
        st = kbs_results_get(res, i, &hit);
        note(&r->out, st, "reader: hit", NULL);
        if (st != KBS_OK)
            break;
        if (!strstr(hit.title, "Lighthouse") && !r->bad[0])
            snprintf(r->bad, sizeof r->bad, "hit %zu has the title '%s'", i, hit.title);
        if (i == 0) { /* the store of originals, read while it grows */
            char *data = NULL;
            size_t len = 0;
            st = kbs_show(db, hit.id, &data, &len);
            note(&r->out, st, "reader: show", kbs_db_errmsg(db));
            if (st == KBS_OK && !strstr(data, "lighthouse") && !r->bad[0])
                snprintf(r->bad, sizeof r->bad, "article %u shows without its text", hit.id);
            kbs_free(data);
        }
    }
    kbs_results_free(res);
}

static kbs_db *reader_open(struct reader *r)
{
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(r->db_path, KBS_OPEN_READ, &db, &msg);
    note(&r->out, st, "reader: open", msg);
    kbs_free(msg);
    return st == KBS_OK ? db : NULL;
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    kbs_db *db = r->reopen ? NULL : reader_open(r);
    for (;;) {
        /* Read before searching, so the last search runs after the last commit. */
        int done = atomic_load(r->done);
        if (!done)
            r->while_indexing++;
        if (r->reopen)
            db = reader_open(r);
        if (!db)
            break;
        search_once(r, db);
        if (r->reopen) {
            note(&r->out, kbs_db_close(db), "reader: close", NULL);
            db = NULL;
        }
        if (done || r->out.status != KBS_OK)
            break;
    }
    note(&r->out, kbs_db_close(db), "reader: close", NULL);
    return NULL;
}

/* The articles on disk and an empty index, made before the threads start so
 * that the reader never meets an index half created. */
static void setup(const char *tmp, char **dir, char **db_path)
{
    *dir = tu_path(tmp, "articles");
    *db_path = tu_path(tmp, "index");
    for (unsigned i = 0; i < NARTICLES; i++) {
        char name[64];
        snprintf(name, sizeof name, "part%u/lighthouse-%03u.txt", i % 7, i);
        char *path = tu_path(*dir, name);
        char *text = article_text(i);
        tu_write(path, text, strlen(text));
        free(text);
        free(path);
    }
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(*db_path, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg);
    cr_assert_eq(st, KBS_OK, "create: %s", msg ? msg : "");
    cr_assert_eq(kbs_db_close(db), KBS_OK);
}

static void run(int reopen)
{
    const char *tmp = tu_tmpdir();
    char *dir, *db_path;
    setup(tmp, &dir, &db_path);

    atomic_int done;
    atomic_init(&done, 0);
    struct writer w = {.db_path = db_path, .dir = dir, .done = &done};
    struct reader r = {.db_path = db_path, .done = &done, .reopen = reopen};
    pthread_t wt, rt;
    cr_assert_eq(pthread_create(&rt, NULL, reader_main, &r), 0);
    cr_assert_eq(pthread_create(&wt, NULL, writer_main, &w), 0);
    cr_assert_eq(pthread_join(wt, NULL), 0);
    cr_assert_eq(pthread_join(rt, NULL), 0);

    if (w.out.status != KBS_OK || r.out.status != KBS_OK || r.bad[0])
        cr_log_info("writer: %s; reader: %s; %s", w.out.what, r.out.what, r.bad);
    cr_expect_eq(w.out.status, KBS_OK, "%s", w.out.what);
    cr_expect_eq(r.out.status, KBS_OK, "%s", r.out.what);
    cr_expect_eq(w.report.added, NARTICLES);
    cr_expect_eq(w.added_events, NARTICLES);
    cr_expect_eq(w.report.skipped, 0);
    cr_expect_eq(r.bad[0], '\0', "%s", r.bad);
    cr_expect_geq(r.searches, 1);
    /* A handle kept open stays on the commit it last read; a fresh one after
     * the writer is done must see everything. */
    if (reopen)
        cr_expect_eq(r.last_total, NARTICLES, "the reader's last search saw %llu articles",
                     (unsigned long long)r.last_total);
    cr_log_info("%u searches, %u of them while indexing", r.searches, r.while_indexing);

    /* And a new handle after both are gone sees the whole index. */
    kbs_db *db = NULL;
    cr_assert_eq(kbs_db_open(db_path, KBS_OPEN_READ, &db, NULL), KBS_OK);
    kbs_stats stats;
    cr_assert_eq(kbs_db_stats(db, &stats), KBS_OK);
    cr_expect_eq(stats.documents, NARTICLES);
    kbs_db_close(db);

    tu_rmtree(tmp);
    free(dir);
    free(db_path);
}

Test(threads, writer_and_reader_reopening)
{
    run(1);
}

/* A reader that keeps one handle while commits go by must still see whole
 * commits (the library moves it to the latest one when Xapian asks). */
Test(threads, writer_and_reader_keeping_its_handle)
{
    run(0);
}

#ifdef KBS_TEST_STANDALONE
int main(void)
{
    threads_writer_and_reader_reopening();
    threads_writer_and_reader_keeping_its_handle();
    fputs("test_threads: 2 tests passed\n", stderr);
    return 0;
}
#endif
