/* test_api.c - the library end to end, through the public header only:
 * index a folder, search it, show originals, re-index after changes, and
 * bad articles. Misuse of the API (NULLs, bad ids, missing, locked, damaged
 * or foreign indexes) is tests/test_misuse.c's. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kbsearch.h"
#include "testutil.h"

static const char *ART_A = "Politics\n\nAssembly Passes Security Cooperation Bill\n\n"
                           "Written: 2021-03-04 10:00:00\n\n"
                           "Anchor: The National Assembly passed a bill on security cooperation "
                           "with neighbouring countries.\n\n"
                           "Report: Lawmakers said closer cooperation would help security in "
                           "the region.\n"
                           "Lee Min-ji, KBS World Radio News\n";

static const char *ART_B = "Economy\n\nExports of Chips Rise Again\n\n"
                           "Written: 2022-07-01 09:30:00Updated: 2022-07-01 11:00:00\n\n"
                           "Anchor: Semiconductor exports rose for a third month, and "
                           "officials expect cooperative trade talks to help.\n"
                           "Park Ji-ho, KBS World Radio News\n";

static const char *ART_C = "Coastal towns brace for typhoon\n\n"
                           "Fishing boats returned to port as the storm approached the south "
                           "coast on Tuesday.\n";

struct fixture {
    const char *tmp;
    char *dir; /* articles */
    char *db;  /* index */
};

static struct fixture make_fixture(void)
{
    struct fixture f;
    f.tmp = tu_tmpdir();
    f.dir = tu_path(f.tmp, "articles");
    f.db = tu_path(f.tmp, "index");
    char *p;
    p = tu_path(f.dir, "politics/a.txt");
    tu_write(p, ART_A, strlen(ART_A));
    free(p);
    p = tu_path(f.dir, "economy/b.txt");
    tu_write(p, ART_B, strlen(ART_B));
    free(p);
    p = tu_path(f.dir, "c.txt");
    tu_write(p, ART_C, strlen(ART_C));
    free(p);
    return f;
}

static void free_fixture(struct fixture *f)
{
    tu_rmtree(f->tmp);
    free(f->dir);
    free(f->db);
}

static kbs_db *open_db(const char *path, unsigned flags)
{
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(path, flags, &db, &msg);
    cr_assert_eq(st, KBS_OK, "open %s: %s (%s)", path, kbs_strerror(st), msg ? msg : "");
    kbs_free(msg);
    return db;
}

static kbs_index_report index_dir(const char *db_path, const char *dir)
{
    kbs_db *db = open_db(db_path, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_index_report rep;
    int st = kbs_index_dir(db, dir, NULL, &rep);
    cr_assert_eq(st, KBS_OK, "index: %s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    return rep;
}

static kbs_results *search(kbs_db *db, const char *q)
{
    kbs_results *r = NULL;
    int st = kbs_search(db, q, strlen(q), NULL, &r);
    cr_assert_eq(st, KBS_OK, "search '%s': %s", q, kbs_db_errmsg(db));
    return r;
}

Test(api, index_search_show)
{
    struct fixture f = make_fixture();
    kbs_index_report rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.added, 3);
    cr_expect_eq(rep.skipped, 0);

    kbs_db *db = open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "security cooperation");
    cr_assert_geq(kbs_results_count(r), 1);
    cr_expect_eq(kbs_results_fallback(r), 0);
    kbs_hit h;
    cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
    cr_expect_str_eq(h.title, "Assembly Passes Security Cooperation Bill");
    cr_expect_str_eq(h.category, "Politics");
    cr_expect_str_eq(h.written, "2021-03-04T10:00:00");
    cr_expect_eq(h.rank, 1);
    cr_expect_gt(h.nspans, 0);
    for (size_t i = 0; i < h.nspans; i++) {
        cr_assert_leq(h.spans[i].start + h.spans[i].len, strlen(h.snippet));
        const char *w = h.snippet + h.spans[i].start;
        cr_expect(strncasecmp(w, "secur", 5) == 0 || strncasecmp(w, "cooper", 6) == 0,
                  "span %zu: '%.*s'", i, (int)h.spans[i].len, w);
    }
    /* The byline is not snippet material. */
    cr_expect_null(strstr(h.snippet, "KBS World Radio News"));

    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(kbs_show(db, h.id, &data, &len), KBS_OK);
    cr_expect_eq(len, strlen(ART_A));
    cr_expect_eq(memcmp(data, ART_A, len), 0);
    kbs_free(data);
    kbs_results_free(r);

    /* Stems match: "cooperate" finds "cooperative" and "cooperation". */
    r = search(db, "cooperate");
    cr_expect_eq(kbs_results_count(r), 2);
    kbs_results_free(r);

    kbs_stats s;
    cr_assert_eq(kbs_db_stats(db, &s), KBS_OK);
    cr_expect_eq(s.documents, 3);
    cr_expect_eq(s.text_bytes, strlen(ART_A) + strlen(ART_B) + strlen(ART_C));
    cr_expect_gt(s.store_bytes, 0);
    cr_expect_str_eq(s.first_written, "2021-03-04T10:00:00");
    cr_expect_str_eq(s.last_written, "2022-07-01T09:30:00");
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, fallback_to_any_word)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    kbs_db *db = open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "typhoon semiconductor");
    cr_expect_eq(kbs_results_fallback(r), 1);
    cr_expect_eq(kbs_results_count(r), 2);
    kbs_results_free(r);
    r = search(db, "zebra");
    cr_expect_eq(kbs_results_count(r), 0);
    kbs_results_free(r);
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, phrase_and_hyphen)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    kbs_db *db = open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "\"security cooperation\"");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    r = search(db, "\"cooperation security\"");
    cr_expect_eq(kbs_results_count(r), 0);
    kbs_results_free(r);
    r = search(db, "Min-ji");
    cr_expect_eq(kbs_results_count(r), 0, "bylines are not body text");
    kbs_results_free(r);
    r = search(db, "\"fishing boats\"");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, reindex_change_delete_nochange)
{
    struct fixture f = make_fixture();
    kbs_index_report rep = index_dir(f.db, f.dir);
    cr_assert_eq(rep.added, 3);

    rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.added, 0);
    cr_expect_eq(rep.updated, 0);
    cr_expect_eq(rep.unchanged, 3);
    cr_expect_eq(rep.removed, 0);

    char *c = tu_path(f.dir, "c.txt");
    const char *newc = "Coastal towns clean up after typhoon\n\nVolunteers cleared mud.\n";
    tu_write(c, newc, strlen(newc));
    char *b = tu_path(f.dir, "economy/b.txt");
    cr_assert_eq(unlink(b), 0);
    rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.updated, 1);
    cr_expect_eq(rep.removed, 1);
    cr_expect_eq(rep.unchanged, 1);

    kbs_db *db = open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "volunteers");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    r = search(db, "fishing");
    cr_expect_eq(kbs_results_count(r), 0, "the old version is gone");
    kbs_results_free(r);
    r = search(db, "semiconductor");
    cr_expect_eq(kbs_results_count(r), 0, "the deleted file's article is gone");
    kbs_results_free(r);
    kbs_stats s;
    kbs_db_stats(db, &s);
    cr_expect_eq(s.documents, 2);
    cr_expect_eq(s.text_bytes, strlen(ART_A) + strlen(newc));
    kbs_db_close(db);
    free(b);
    free(c);
    free_fixture(&f);
}

Test(api, touched_but_same_is_unchanged)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    char *c = tu_path(f.dir, "c.txt");
    tu_write(c, ART_C, strlen(ART_C)); /* new mtime, same bytes */
    kbs_index_report rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.unchanged, 3);
    cr_expect_eq(rep.updated, 0);
    free(c);
    free_fixture(&f);
}

Test(api, show_after_file_deleted)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    char *a = tu_path(f.dir, "politics/a.txt");
    char abs[4096];
    cr_assert_not_null(realpath(a, abs));
    cr_assert_eq(unlink(a), 0);
    kbs_db *db = open_db(f.db, KBS_OPEN_READ);
    uint32_t id = 0;
    cr_assert_eq(kbs_lookup(db, abs, &id), KBS_OK, "%s", kbs_db_errmsg(db));
    char *data;
    size_t len;
    cr_assert_eq(kbs_show(db, id, &data, &len), KBS_OK);
    cr_expect_eq(len, strlen(ART_A));
    cr_expect_eq(memcmp(data, ART_A, len), 0);
    kbs_free(data);
    cr_expect_eq(kbs_show(db, 9999, &data, &len), KBS_ENOTFOUND);
    cr_expect_neq(strstr(kbs_db_errmsg(db), "9999"), NULL);
    kbs_db_close(db);
    free(a);
    free_fixture(&f);
}

/* Every file of the project's corpus comes back from the store byte for byte. */
Test(api, store_round_trip_corpus, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "index");
    const char *corpus = KBS_SOURCE_DIR "/corpus";
    kbs_index_report rep = index_dir(dbp, corpus);
    cr_assert_gt(rep.added, 40, "the corpus has its articles");
    kbs_db *db = open_db(dbp, KBS_OPEN_READ);
    kbs_stats s;
    kbs_db_stats(db, &s);
    cr_expect_eq(s.documents, rep.added);
    /* Walk the corpus and compare each file with its stored original. */
    char root[4096];
    cr_assert_not_null(realpath(corpus, root));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "find '%s' -type f ! -name '.*' | sort", root);
    FILE *list = popen(cmd, "r");
    cr_assert_not_null(list);
    char line[4096];
    size_t checked = 0;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        size_t flen = 0;
        char *want = tu_read(line, &flen);
        uint32_t id = 0;
        if (flen == 0 || kbs_lookup(db, line, &id) != KBS_OK) {
            free(want);
            continue; /* README.md and the like are indexed too; empty ones are not */
        }
        char *got;
        size_t glen;
        cr_assert_eq(kbs_show(db, id, &got, &glen), KBS_OK, "%s", line);
        cr_expect_eq(glen, flen, "%s", line);
        cr_expect_eq(memcmp(got, want, flen), 0, "%s differs", line);
        kbs_free(got);
        free(want);
        checked++;
    }
    pclose(list);
    cr_expect_eq(checked, rep.added);
    kbs_results *r = search(db, "security cooperation");
    cr_expect_geq(kbs_results_count(r), 3);
    kbs_results_free(r);
    kbs_db_close(db);
    free(dbp);
    tu_rmtree(tmp);
}

struct skips {
    int n;
    char paths[8][512];
    char msgs[8][600];
};

static int collect_skips(void *ctx, const kbs_index_event *ev)
{
    struct skips *s = ctx;
    if (ev->kind == KBS_EVENT_SKIPPED && s->n < 8) {
        snprintf(s->paths[s->n], sizeof s->paths[0], "%s", ev->path);
        snprintf(s->msgs[s->n], sizeof s->msgs[0], "%s", ev->message);
        s->n++;
    }
    return 0;
}

static const char *skip_msg(const struct skips *s, const char *name)
{
    for (int i = 0; i < s->n; i++) {
        const char *base = strrchr(s->paths[i], '/');
        if (base && strcmp(base + 1, name) == 0)
            return s->msgs[i];
    }
    return NULL;
}

Test(api, bad_inputs_are_skipped_with_reasons, .timeout = 120)
{
    struct fixture f = make_fixture();
    char *p;
    p = tu_path(f.dir, "empty.txt");
    tu_write(p, "", 0);
    free(p);
    p = tu_path(f.dir, "image.jpg");
    tu_write(p, "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01", 16);
    free(p);
    /* Invalid UTF-8 is repaired and indexed, the original kept as it was. */
    const char *bad = "Latin-1 title caf\xe9\n\nThe caf\xe9 served tea to reporters.\n";
    p = tu_path(f.dir, "latin1.txt");
    tu_write(p, bad, strlen(bad));
    free(p);
    /* A 50 MB file is far beyond any article: skipped, with the limit named. */
    size_t big = 50u * 1024 * 1024;
    char *huge = malloc(big);
    cr_assert_not_null(huge);
    for (size_t i = 0; i < big; i++)
        huge[i] = (i % 80 == 79) ? '\n' : "abcdefgh "[i % 9];
    p = tu_path(f.dir, "huge.txt");
    tu_write(p, huge, big);
    free(p);
    free(huge);

    kbs_db *db = open_db(f.db, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    struct skips s;
    memset(&s, 0, sizeof s);
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.callback = collect_skips;
    o.callback_ctx = &s;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, f.dir, &o, &rep), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_eq(rep.added, 4);
    cr_expect_eq(rep.skipped, 3);
    cr_expect_not_null(skip_msg(&s, "empty.txt"));
    const char *m = skip_msg(&s, "image.jpg");
    cr_expect(m && strstr(m, "binary"), "image.jpg: %s", m ? m : "(none)");
    m = skip_msg(&s, "huge.txt");
    cr_expect(m && strstr(m, "too large"), "huge.txt: %s", m ? m : "(none)");
    kbs_db_close(db);

    db = open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "served tea");
    cr_assert_eq(kbs_results_count(r), 1);
    kbs_hit h;
    kbs_results_get(r, 0, &h);
    char *data;
    size_t len;
    cr_assert_eq(kbs_show(db, h.id, &data, &len), KBS_OK);
    cr_expect_eq(len, strlen(bad));
    cr_expect_eq(memcmp(data, bad, len), 0, "the original bytes are kept, not the repair");
    kbs_free(data);
    kbs_results_free(r);
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, unreadable_file_is_skipped_and_kept)
{
    struct fixture f = make_fixture();
    chmod(f.tmp, 0777);
    index_dir(f.db, f.dir);
    /* As root, permissions do not stop reads: drop to nobody for this test
     * (each Criterion test runs in its own process). */
    char *a = tu_path(f.dir, "politics/a.txt");
    /* Change the file so it is looked at again, then make it unreadable. */
    const char *more = "Politics\n\nchanged\n";
    tu_write(a, more, strlen(more));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "chmod -R a+rwX '%s'", f.tmp);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(chmod(a, 0), 0);
    if (geteuid() == 0)
        cr_assert_eq(setuid(65534), 0);
    kbs_db *db = open_db(f.db, KBS_OPEN_WRITE);
    struct skips s;
    memset(&s, 0, sizeof s);
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.callback = collect_skips;
    o.callback_ctx = &s;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, f.dir, &o, &rep), KBS_OK);
    cr_expect_eq(rep.skipped, 1);
    const char *m = skip_msg(&s, "a.txt");
    cr_expect(m && strstr(m, "kept"), "%s", m ? m : "(none)");
    cr_expect_eq(rep.removed, 0, "an unreadable file's article is not dropped");
    kbs_results *r = search(db, "assembly");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    kbs_db_close(db);
    free(a);
    free_fixture(&f);
}

Test(api, index_buffer_and_delete)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "index");
    kbs_db *db = open_db(dbp, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    uint32_t id = 0;
    cr_assert_eq(kbs_index_buffer(db, "mem:1", ART_C, strlen(ART_C), 0, &id), KBS_OK);
    cr_expect_gt(id, 0);
    cr_expect_eq(kbs_index_buffer(db, "mem:2", "a\0b", 3, 0, NULL), KBS_EINPUT);
    cr_expect_eq(kbs_index_buffer(db, "mem:3", "", 0, 0, NULL), KBS_EINPUT);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    kbs_results *r = search(db, "typhoon");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    cr_expect_eq(kbs_delete(db, "mem:1"), KBS_OK);
    cr_expect_eq(kbs_delete(db, "mem:1"), KBS_ENOTFOUND);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    r = search(db, "typhoon");
    cr_expect_eq(kbs_results_count(r), 0);
    kbs_results_free(r);
    kbs_db_close(db);
    free(dbp);
    tu_rmtree(tmp);
}
